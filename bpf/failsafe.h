/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/failsafe.h — BPF-only: what security groups never filter (REFERENCE.md §3), in both
 * directions: neighbour discovery, DHCP, the link-local services (IMDS, the Amazon DNS resolver,
 * Time Sync) and path-MTU errors. Checked before connection tracking and rules, or the instance
 * loses its network. ARP is not IP and is passed before parsing IP.
 */
#ifndef ENIADDR_BPF_FAILSAFE_H
#define ENIADDR_BPF_FAILSAFE_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "consts.h"
#include "parse.h"

/* IMDS, the Amazon DNS resolver and Time Sync, in their IPv4 and IPv6 forms (REFERENCE §3). */
static __always_inline bool is_link_local_service(const __u8 addr[16])
{
	__u32 w[4];
	__u32 last;

	__builtin_memcpy(w, addr, sizeof(w));
	last = bpf_ntohl(w[3]);
	if (w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0xffff))
		return last == 0xa9fea9fe || last == 0xa9fea9fd || last == 0xa9fea97b;
	if (w[0] == bpf_htonl(0xfd000ec2) && w[1] == 0 && w[2] == 0)
		return last == 0x254 || last == 0x253 || last == 0x123;
	return false;
}

static __always_inline bool is_pmtu_error(const struct pkt_meta *p)
{
	if (p->v6)
		return p->proto == IPPROTO_ICMPV6 && p->icmp_type == ICMPV6_PKT_TOOBIG;
	return p->proto == IPPROTO_ICMP && p->icmp_type == ICMP_DEST_UNREACH &&
	       p->icmp_code == ICMP_FRAG_NEEDED;
}

static __always_inline bool is_nd(const struct pkt_meta *p)
{
	return p->v6 && p->proto == IPPROTO_ICMPV6 && p->icmp_type >= ICMPV6_ND_FIRST &&
	       p->icmp_type <= ICMPV6_ND_LAST;
}

/* Inbound: ND, DHCP server to client, answers of the link-local services, PMTU errors. */
static __always_inline enum eniaddr_reason failsafe(const struct pkt_meta *p)
{
	if (is_nd(p))
		return ENIADDR_R_FAILSAFE_ND;
	if (p->proto == IPPROTO_UDP &&
	    (p->v6 ? p->sport == DHCP6_SERVER_PORT && p->port == DHCP6_CLIENT_PORT
		   : p->sport == DHCP4_SERVER_PORT && p->port == DHCP4_CLIENT_PORT))
		return ENIADDR_R_FAILSAFE_DHCP;
	if (is_link_local_service(p->saddr))
		return ENIADDR_R_FAILSAFE_LINK_LOCAL;
	if (is_pmtu_error(p))
		return ENIADDR_R_FAILSAFE_PMTU;
	return ENIADDR_R_NONE;
}

/* Outbound, the mirror image: DHCP client to server, requests to the link-local services,
 * PMTU errors we send. (ND was passed before the source check, see egress.h.) */
static __always_inline enum eniaddr_reason failsafe_out(const struct pkt_meta *p)
{
	if (is_nd(p))
		return ENIADDR_R_FAILSAFE_ND;
	if (p->proto == IPPROTO_UDP &&
	    (p->v6 ? p->sport == DHCP6_CLIENT_PORT && p->port == DHCP6_SERVER_PORT
		   : p->sport == DHCP4_CLIENT_PORT && p->port == DHCP4_SERVER_PORT))
		return ENIADDR_R_FAILSAFE_DHCP;
	if (is_link_local_service(p->daddr))
		return ENIADDR_R_FAILSAFE_LINK_LOCAL;
	if (is_pmtu_error(p))
		return ENIADDR_R_FAILSAFE_PMTU;
	return ENIADDR_R_NONE;
}

#endif /* ENIADDR_BPF_FAILSAFE_H */
