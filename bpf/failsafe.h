/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/failsafe.h — BPF-only: what security groups never filter (REFERENCE.md §3), as endpoints
 * and conversations, never as ports or address ranges:
 *  - IPv6 neighbour discovery (ICMPv6 133..137) with hop limit 255, which proves it was sent on
 *    this link (RFC 4861 §7.1); multicast listener discovery (ICMPv6 130..132, 143) from a
 *    link-local (or, for reports, the unspecified) source with hop limit 1 to a multicast group
 *    (RFC 3810 §5). Both pass in before ownership: their destinations are multicast or scoped.
 *  - DHCPv4 from this ENI's subnet router (base + 1, eniaddr_nexthop) port 67 to port 68 of an
 *    address this ENI owns or the limited broadcast; DHCPv6 from a link-local server port 547
 *    to port 546 of a link-local client. Outbound, the client's side of the same conversations.
 *  - The link-local services (IMDS 169.254.169.254 tcp/80, the Amazon DNS resolver
 *    169.254.169.253 port 53, Time Sync 169.254.169.123 udp/123, their IPv6 forms fd00:ec2::254,
 *    ::253, ::123): only the *request* is exempt, outbound from an owned address; it starts a
 *    tracked flow, and the answer passes in as that flow's reply (CT_REPLY). Nothing unsolicited
 *    from those addresses passes. The same resolver at the VPC's base + 2 is treated alike when
 *    the loader knows the VPC (vpc_dns of the ENI's IPv4 eniaddr_nexthop entry).
 * Path-MTU errors have no failsafe: they pass as CT_RELATED to a live flow, or by a rule, as
 * AWS documents. ARP is not IP and is passed before parsing IP.
 */
#ifndef ENIADDR_BPF_FAILSAFE_H
#define ENIADDR_BPF_FAILSAFE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "addr.h"
#include "consts.h"
#include "maps.bpf.h"
#include "parse.h"

#define ND_HOP_LIMIT  255 /* RFC 4861 §7.1.1: anything else was forwarded, discard it */
#define MLD_HOP_LIMIT 1   /* RFC 3810 §5 */

/* fe80::/10 */
static __always_inline bool fs_is_ll6(const __u8 a[16])
{
	return (addr_word(a, 0) & 0xffc00000) == 0xfe800000;
}

/* ff00::/8 */
static __always_inline bool fs_is_mcast6(const __u8 a[16])
{
	return (addr_word(a, 0) & 0xff000000) == 0xff000000;
}

static __always_inline bool fs_is_unspec6(const __u8 a[16])
{
	return !(addr_word(a, 0) | addr_word(a, 1) | addr_word(a, 2) | addr_word(a, 3));
}

static __always_inline bool fs_addr_eq(const __u8 a[16], const __u8 b[16])
{
	return addr_word(a, 0) == addr_word(b, 0) && addr_word(a, 1) == addr_word(b, 1) &&
	       addr_word(a, 2) == addr_word(b, 2) && addr_word(a, 3) == addr_word(b, 3);
}

/* Whether (addr, proto, port) is one of the link-local service endpoints. */
static __always_inline bool is_service_endpoint(const __u8 addr[16], __u8 proto, __u16 port)
{
	bool dns = (proto == IPPROTO_UDP || proto == IPPROTO_TCP) && port == DNS_PORT;
	bool imds = proto == IPPROTO_TCP && port == IMDS_PORT;
	bool ntp = proto == IPPROTO_UDP && port == NTP_PORT;
	__u32 last = addr_word(addr, 3);

	if (addr_is_v4mapped(addr))
		return (last == LL_IMDS_V4 && imds) || (last == LL_DNS_V4 && dns) ||
		       (last == LL_NTP_V4 && ntp);
	if (addr_word(addr, 0) != LL_SVC_V6_W0 || addr_word(addr, 1) || addr_word(addr, 2))
		return false;
	return (last == LL_IMDS_V6_LAST && imds) || (last == LL_DNS_V6_LAST && dns) ||
	       (last == LL_NTP_V6_LAST && ntp);
}

/* A request to a link-local service (outbound). */
static __always_inline bool is_service_request(const struct pkt_meta *p)
{
	return is_service_endpoint(p->daddr, p->proto, p->port);
}

/* The Amazon DNS resolver at ENI ifindex's VPC base + 2, port 53 UDP/TCP, as the loader wrote it
 * into the ENI's IPv4 eniaddr_nexthop entry. Only port-53 IPv4 packets pay the lookup. */
static __always_inline bool is_vpc_dns(const __u8 addr[16], __u8 proto, __u16 port, __u32 slot,
				       __u32 ifindex)
{
	struct eniaddr_nexthop_key k = {
		.slot = slot, .ifindex = ifindex, .family = ENIADDR_AF_INET,
	};
	const struct eniaddr_nexthop *nh;
	__u32 last;

	if (port != DNS_PORT || (proto != IPPROTO_UDP && proto != IPPROTO_TCP) || !addr_is_v4mapped(addr))
		return false;
	nh = bpf_map_lookup_elem(&ENIADDR_MAP_NEXTHOP, &k);
	if (!nh || !nh->vpc_dns)
		return false;
	last = addr_word_be(addr, 3);
	return last == nh->vpc_dns;
}

/* An outbound request exempt from the outbound rules: to a link-local service or to the VPC's
 * resolver. The caller tracks it, so that only its answer comes back in. */
static __always_inline bool is_exempt_request(const struct pkt_meta *p, __u32 slot,
					      __u32 ifindex)
{
	return is_service_request(p) || is_vpc_dns(p->daddr, p->proto, p->port, slot, ifindex);
}

/* A packet of a conversation with a link-local service, either way: always tracked. */
static __always_inline bool is_service_flow(const struct pkt_meta *p)
{
	return is_service_request(p) || is_service_endpoint(p->saddr, p->proto, p->sport);
}

static __always_inline bool is_nd(const struct pkt_meta *p)
{
	return p->v6 && p->proto == IPPROTO_ICMPV6 && p->icmp_type >= ICMPV6_ND_FIRST &&
	       p->icmp_type <= ICMPV6_ND_LAST;
}

static __always_inline bool is_mld(const struct pkt_meta *p)
{
	if (!p->v6 || p->proto != IPPROTO_ICMPV6)
		return false;
	switch (p->icmp_type) {
	case ICMPV6_MLD_QUERY:
	case ICMPV6_MLD_REPORT:
	case ICMPV6_MLD_DONE:
	case ICMPV6_MLD2_REPORT:
		return true;
	default:
		return false;
	}
}

/* ND on its link (hop limit 255), or MLD from a link-local sender to a group (hop limit 1). */
static __always_inline bool is_link_discovery(const struct pkt_meta *p)
{
	if (is_nd(p))
		return p->ttl == ND_HOP_LIMIT;
	return is_mld(p) && p->ttl == MLD_HOP_LIMIT && fs_is_mcast6(p->daddr) &&
	       (fs_is_ll6(p->saddr) || fs_is_unspec6(p->saddr));
}

/* True when IPv4 address src is the VPC's router on ENI ifindex's subnet (eniaddr_nexthop): the
 * subnet's base + 1, where AWS's DHCP server answers, or the router the loader learned for it. */
static __always_inline bool is_subnet_router(const __u8 src[16], __u32 slot, __u32 ifindex)
{
	struct eniaddr_nexthop_key k = {
		.slot = slot, .ifindex = ifindex, .family = ENIADDR_AF_INET,
	};
	const struct eniaddr_nexthop *nh = bpf_map_lookup_elem(&ENIADDR_MAP_NEXTHOP, &k);

	if (!nh)
		return false;
	if (fs_addr_eq(src, nh->gateway))
		return true;
	return addr_word(src, 0) == addr_word(nh->subnet, 0) &&
	       addr_word(src, 1) == addr_word(nh->subnet, 1) &&
	       addr_word(src, 2) == addr_word(nh->subnet, 2) &&
	       addr_word(src, 3) == addr_word(nh->subnet, 3) + 1;
}

/*
 * Inbound, after the ownership lookup (owned: the destination belongs to this ENI): discovery
 * on the link, and the DHCP server's answers. NONE when p is none of them; the caller then
 * judges it like any packet.
 */
static __always_inline enum eniaddr_reason failsafe_in(const struct pkt_meta *p, __u32 slot,
						       __u32 ifindex, bool owned)
{
	if (is_link_discovery(p))
		return ENIADDR_R_FAILSAFE_ND;
	if (p->proto != IPPROTO_UDP)
		return ENIADDR_R_NONE;
	if (p->v6) {
		if (p->sport == DHCP6_SERVER_PORT && p->port == DHCP6_CLIENT_PORT &&
		    fs_is_ll6(p->saddr) && fs_is_ll6(p->daddr))
			return ENIADDR_R_FAILSAFE_DHCP;
		return ENIADDR_R_NONE;
	}
	if (p->sport == DHCP4_SERVER_PORT && p->port == DHCP4_CLIENT_PORT &&
	    (owned || addr_word(p->daddr, 3) == IPV4_BROADCAST) &&
	    is_subnet_router(p->saddr, slot, ifindex))
		return ENIADDR_R_FAILSAFE_DHCP;
	return ENIADDR_R_NONE;
}

/*
 * Outbound from an address this ENI owns: the DHCP client's side (to the router or the limited
 * broadcast) passes as FAILSAFE_DHCP. (DHCPv6 clients send from their link-local address,
 * which egress.h passes as link-scoped before any of this.) A request to a link-local
 * service is not answered here: egress.h tracks it whatever the outbound rules say, so its
 * answer comes back as the flow's reply.
 */
static __always_inline enum eniaddr_reason failsafe_out(const struct pkt_meta *p, __u32 slot,
							__u32 ifindex)
{
	if (p->proto != IPPROTO_UDP || p->v6)
		return ENIADDR_R_NONE;
	if (p->sport == DHCP4_CLIENT_PORT && p->port == DHCP4_SERVER_PORT &&
	    (addr_word(p->daddr, 3) == IPV4_BROADCAST || is_subnet_router(p->daddr, slot, ifindex)))
		return ENIADDR_R_FAILSAFE_DHCP;
	return ENIADDR_R_NONE;
}

#endif /* ENIADDR_BPF_FAILSAFE_H */
