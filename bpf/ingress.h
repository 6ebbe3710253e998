/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/ingress.h — BPF-only: the ingress decision shared by xdp_ingress and tc_ingress. Given the
 * bytes of a frame and the interface it arrived on, it names one enum eniaddr_reason; the caller
 * turns that into a verdict through counters.h. The order of the checks is the scope comment at
 * the top of eniaddr.bpf.c.
 */
#ifndef ENIADDR_BPF_INGRESS_H
#define ENIADDR_BPF_INGRESS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "consts.h"
#include "maps.bpf.h"
#include "parse.h"
#include "counters.h"
#include "owner.h"

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

/* What security groups never filter, or the box loses its network. */
static __always_inline enum eniaddr_reason failsafe(const struct pkt_meta *p)
{
	if (p->v6 && p->proto == IPPROTO_ICMPV6 && p->icmp_type >= ICMPV6_ND_FIRST &&
	    p->icmp_type <= ICMPV6_ND_LAST)
		return ENIADDR_R_FAILSAFE_ND;
	if (p->proto == IPPROTO_UDP &&
	    (p->v6 ? p->sport == DHCP6_SERVER_PORT && p->port == DHCP6_CLIENT_PORT
		   : p->sport == DHCP4_SERVER_PORT && p->port == DHCP4_CLIENT_PORT))
		return ENIADDR_R_FAILSAFE_DHCP;
	if (is_link_local_service(p->saddr))
		return ENIADDR_R_FAILSAFE_LINK_LOCAL;
	if (!p->v6 && p->proto == IPPROTO_ICMP && p->icmp_type == ICMP_DEST_UNREACH &&
	    p->icmp_code == ICMP_FRAG_NEEDED)
		return ENIADDR_R_FAILSAFE_PMTU;
	if (p->v6 && p->proto == IPPROTO_ICMPV6 && p->icmp_type == ICMPV6_PKT_TOOBIG)
		return ENIADDR_R_FAILSAFE_PMTU;
	return ENIADDR_R_NONE;
}

/* ALLOWED when a rule of the policy admits the source and the L4 selector together: the rule
 * bits of the longest source prefix and of the longest port prefix meet. */
static __always_inline enum eniaddr_reason rules_check(__u32 policy, const struct pkt_meta *p)
{
	struct eniaddr_src_key sk = { .prefixlen = 32 + 128, .policy = policy };
	struct eniaddr_l4_key lk = {
		.prefixlen = 32 + 8 + 16,
		.policy = policy,
		.sel = bpf_htonl(ENIADDR_L4_SEL(p->proto, p->port)),
	};
	const struct eniaddr_rule_bits *src, *l4;
	int i;

	if (policy == ENIADDR_POLICY_NONE)
		return ENIADDR_R_NO_RULE;
	__builtin_memcpy(sk.addr, p->saddr, 16);
	src = bpf_map_lookup_elem(&ENIADDR_MAP_SRC, &sk);
	if (!src)
		return ENIADDR_R_NO_RULE;
	l4 = bpf_map_lookup_elem(&ENIADDR_MAP_L4, &lk);
	if (!l4)
		return ENIADDR_R_NO_RULE;
	for (i = 0; i < ENIADDR_RULE_WORDS; i++)
		if (src->w[i] & l4->w[i])
			return ENIADDR_R_ALLOWED;
	return ENIADDR_R_NO_RULE;
}

static __always_inline void frag_key_fill(struct eniaddr_frag_key *k, __u32 ifindex,
					  const struct pkt_meta *p)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->id = p->frag_id;
	k->proto = p->frag_proto;
	__builtin_memcpy(k->saddr, p->saddr, 16);
	__builtin_memcpy(k->daddr, p->daddr, 16);
}

/* A non-first fragment passes only while the first fragment of its datagram is remembered. */
static __always_inline enum eniaddr_reason frag_follows(__u32 ifindex, const struct pkt_meta *p)
{
	struct eniaddr_frag_key k;
	struct eniaddr_frag *f;

	frag_key_fill(&k, ifindex, p);
	f = bpf_map_lookup_elem(&ENIADDR_MAP_FRAGS, &k);
	if (!f)
		return ENIADDR_R_FRAGMENT;
	if (bpf_ktime_get_ns() >= f->expires_ns) {
		bpf_map_delete_elem(&ENIADDR_MAP_FRAGS, &k);
		return ENIADDR_R_FRAGMENT;
	}
	return ENIADDR_R_FRAGMENT_FOLLOWS;
}

/* Remembers a first fragment that passed (a rule or a failsafe), so the rest may follow. */
static __always_inline void frag_remember(__u32 ifindex, const struct pkt_meta *p,
					  enum eniaddr_reason r)
{
	struct eniaddr_frag_key k;
	struct eniaddr_frag v = {};

	if (r == ENIADDR_R_NONE || r >= ENIADDR_R_FIRST_DROP)
		return;
	frag_key_fill(&k, ifindex, p);
	v.expires_ns = bpf_ktime_get_ns() + ENIADDR_FRAG_TIMEOUT_NS;
	v.reason = r;
	bpf_map_update_elem(&ENIADDR_MAP_FRAGS, &k, &v, BPF_ANY);
}

/*
 * Steps 6-8 (failsafes, ownership, rules) and the fragment memory, on the parsed summary only.
 * Deliberately a global function (not inlined): the verifier checks it once, on its own. Inlined,
 * it would be re-verified for every header layout the parser can produce (VLAN depth times IPv6
 * extension chains), which exceeds the verifier's budget. Costs one BPF-to-BPF call.
 */
__noinline int ingress_judge(const struct pkt_meta *p, __u32 slot, __u32 ifindex)
{
	const struct eniaddr_owner *o;
	enum eniaddr_reason r;

	if (!p) /* global functions get nullable pointers; we never pass NULL */
		return ENIADDR_R_MALFORMED;
	r = failsafe(p);
	if (!r) {
		o = owner_lookup(slot, p->daddr);
		if (!o)
			r = ENIADDR_R_NOT_OWNED;
		else if (o->ifindex != ifindex)
			r = ENIADDR_R_WRONG_ENI;
		else
			r = rules_check(o->in_policy, p);
	}
	if (p->frag == PKT_FRAG_FIRST)
		frag_remember(ifindex, p, r);
	return r;
}

/*
 * The ingress decision for a frame of [data, data_end) that arrived on ifindex. *mode receives
 * the ENI's mode (enforce when unknown) for the caller's verdict. Never returns ENIADDR_R_NONE.
 */
static __always_inline enum eniaddr_reason ingress_decide(void *data, void *data_end,
							  __u32 ifindex, __u8 *mode)
{
	struct cursor c = { .data = data, .end = data_end };
	struct pkt_meta p = {};
	const struct eniaddr_eni *eni;
	enum eniaddr_reason r;
	__u32 slot = 0;
	__be16 proto;

	eni = eni_lookup(ifindex, &slot);
	if (eni)
		*mode = eni->mode;
	r = parse_eth(&c, &proto); /* a runt is malformed, configured or not */
	if (r)
		return r;
	if (!eni)
		return ENIADDR_R_UNCONFIGURED; /* attached before any apply: never blackhole */
	r = parse_vlans(&c, &proto);
	if (r)
		return r;
	if (proto == bpf_htons(ETH_P_ARP))
		return ENIADDR_R_FAILSAFE_ARP;
	if (proto == bpf_htons(ETH_P_IP))
		r = parse_ipv4(&c, &p);
	else if (proto == bpf_htons(ETH_P_IPV6))
		r = parse_ipv6(&c, &p);
	else
		return ENIADDR_R_OTHER_L3;
	if (r)
		return r;
	if (p.frag == PKT_FRAG_LATER)
		return frag_follows(ifindex, &p); /* no L4 header here: never read ports */
	r = parse_l4(&c, &p);
	if (r)
		return r;
	return ingress_judge(&p, slot, ifindex);
}

/* Decide, count, and return the action (pass, drop, audit) for one ingress frame. */
static __always_inline enum eniaddr_action ingress_verdict(void *data, void *data_end,
							   __u32 ifindex, __u64 len)
{
	__u8 mode = ENIADDR_MODE_ENFORCE;
	enum eniaddr_reason r;

	r = ingress_decide(data, data_end, ifindex, &mode);
	return account(ifindex, ENIADDR_DIR_INGRESS, r, mode, len);
}

#endif /* ENIADDR_BPF_INGRESS_H */
