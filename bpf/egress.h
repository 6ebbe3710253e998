/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/egress.h — BPF-only: the decision of tc_egress (clsact egress of every attached ENI).
 * It fixes asymmetric routing: a packet leaves by the ENI that owns its source address, whatever
 * ENI the main routing table picked, and a source no managed ENI owns is dropped here (counted)
 * instead of silently by the VPC's source/destination check. The order of the checks is the
 * scope comment of tc_egress in eniaddr.bpf.c. Parsing is parse.h's, ownership owner.h's.
 *
 * tc verdicts: TC_ACT_UNSPEC ("continue": the next filter, then the qdisc) for everything we do
 * not act on, so other tc programs on the device keep working; TC_ACT_SHOT for a drop;
 * TC_ACT_REDIRECT after bpf_redirect_neigh().
 */
#ifndef ENIADDR_BPF_EGRESS_H
#define ENIADDR_BPF_EGRESS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "addr.h"
#include "consts.h"
#include "maps.bpf.h"
#include "parse.h"
#include "counters.h"
#include "eni.h"
#include "owner.h"
#include "failsafe.h"
#include "frags.h"
#include "rules.h"
#include "conntrack.h"

/* linux/pkt_cls.h; consts.h has only the two tc_ingress returns (UNSPEC, SHOT). */
#ifndef TC_ACT_REDIRECT
#define TC_ACT_REDIRECT 7
#endif

/* ---- address classes (16-byte, IPv4-mapped) ---- */

/* 0.0.0.0 or :: — DHCPv4 discover, IPv6 duplicate address detection. */
static __always_inline bool addr_is_unspecified(const __u8 a[16])
{
	if (addr_is_v4mapped(a))
		return addr_word(a, 3) == 0;
	return !(addr_word(a, 0) | addr_word(a, 1) | addr_word(a, 2) | addr_word(a, 3));
}

/* 169.254.0.0/16 or fe80::/10: never assigned to an ENI, scoped to the link. */
static __always_inline bool addr_is_link_local(const __u8 a[16])
{
	if (addr_is_v4mapped(a))
		return (addr_word(a, 3) & 0xffff0000) == 0xa9fe0000;
	return (addr_word(a, 0) & 0xffc00000) == 0xfe800000;
}

/* Destinations that name a link, not a host somewhere: link-local, multicast (224.0.0.0/4,
 * ff00::/8) and the limited broadcast. The kernel chose the link on purpose
 * (IP_MULTICAST_IF, SO_BINDTODEVICE, a scope id): such packets are never redirected. */
static __always_inline bool addr_is_link_scoped(const __u8 a[16])
{
	__u32 last = addr_word(a, 3);

	if (addr_is_link_local(a))
		return true;
	if (addr_is_v4mapped(a))
		return (last & 0xf0000000) == 0xe0000000 || last == 0xffffffff;
	return (addr_word(a, 0) & 0xff000000) == 0xff000000;
}

/* ---- the redirect ---- */

static __always_inline bool in_subnet(const __u8 a[16], const struct eniaddr_nexthop *nh)
{
	int i;

	for (i = 0; i < 4; i++)
		if ((addr_word_be(a, i) & addr_word_be(nh->mask, i)) != addr_word_be(nh->subnet, i))
			return false;
	return true;
}

/*
 * Sends the packet out of owner, the ENI that owns its source. bpf_redirect_neigh() resolves the
 * L2 next hop on owner (neighbour lookup, ARP/ND if needed) and fills in owner's MAC as source.
 * The next hop: the destination itself when it lies in owner's subnet of the packet's family,
 * else owner's router (eniaddr_nexthop: the subnet from the configuration or the interface, the
 * router learned from the instance's routes). A link-local router is fine: the neighbour lookup
 * happens on owner, the device the helper sends to. Without an entry for owner and family the
 * kernel looks the route up itself, restricted to owner: that reaches on-link peers through
 * owner's connected route, and off-link ones only if owner has a route of its own.
 *
 * An on-subnet IPv4 destination takes that same kernel lookup, not the explicit next hop (the
 * destination itself): with an explicit next hop the helper keeps the route the packet came
 * with, the other ENI's, and a packet that waits for ARP on owner is sent, once resolved,
 * through that route's neighbour (__neigh_update re-looks it up through the skb's dst): with
 * the other ENI's source MAC, out of owner. The lookup restricted to owner gives the packet a
 * route on owner (its connected route, else the kernel assumes the destination on link), so it
 * waits for and leaves with owner's neighbour. IPv6 has no such on-link fallback (an owner
 * without a route for the subnet would lose the packet) and off-subnet destinations need the
 * learned router: both keep the explicit next hop, and a packet that waits for ND or for the
 * router's ARP still leaves with the wrong MAC once (README, "A redirect that waits for its
 * neighbour"). bpf_fib_lookup cannot help: it refuses interfaces without forwarding.
 *
 * Returns REDIRECT (REDIRECT_GUESS when the router is only the subnet's base + 1), or
 * REDIRECT_FAILED when the helper refuses. Failures after the program returns (owner gone or
 * down, no neighbour answer) are the kernel's and show in owner's tx_dropped and the neighbour
 * table's statistics, not in our counters.
 */
static __always_inline enum eniaddr_reason redirect_to_owner(const struct pkt_meta *p, __u32 slot,
							     __u32 owner)
{
	struct eniaddr_nexthop_key k = {
		.slot = slot,
		.ifindex = owner,
		.family = p->v6 ? ENIADDR_AF_INET6 : ENIADDR_AF_INET,
	};
	struct bpf_redir_neigh nh = { .nh_family = k.family };
	enum eniaddr_reason ok = ENIADDR_R_REDIRECT;
	const struct eniaddr_nexthop *sub;
	long ret;

	sub = bpf_map_lookup_elem(&ENIADDR_MAP_NEXTHOP, &k);
	if (!sub || (!p->v6 && in_subnet(p->daddr, sub))) {
		ret = bpf_redirect_neigh(owner, NULL, 0, 0);
	} else {
		if (in_subnet(p->daddr, sub)) {
			addr_copy(nh.ipv6_nh, p->daddr);
		} else {
			if (p->v6)
				addr_copy(nh.ipv6_nh, sub->gateway);
			else
				nh.ipv4_nh = addr_word_be(sub->gateway, 3);
			if (sub->origin == ENIADDR_NH_GUESS)
				ok = ENIADDR_R_REDIRECT_GUESS;
		}
		ret = bpf_redirect_neigh(owner, &nh, sizeof(nh), 0);
	}
	return ret == TC_ACT_REDIRECT ? ok : ENIADDR_R_REDIRECT_FAILED;
}

/*
 * The outbound step (issue 3), for a packet whose source this ENI owns: it leaves here, by the
 * right ENI, and is judged here and nowhere else. Redirected packets come back through the
 * owner's tc_egress and arrive here there, so each packet is judged exactly once, as the ENI
 * that owns its source (its timeouts, its conntrack entries, the address's outbound policy).
 * Order: a later fragment follows its first fragment; failsafes; a live flow passes (CT_*);
 * else the outbound policy must admit the destination and L4 selector, and the packet starts a
 * flow (ALLOWED), or not (EGRESS_NO_RULE). l4 is ENIADDR_R_NONE when p's L4 fields were read,
 * else why not: such a packet cannot be judged by port and keeps that reason (MALFORMED,
 * EXT_HDR_CAP). A first fragment that passes is remembered for the rest of its datagram.
 * o NULL: transit (owner.h), p->policy holds the policy either way; eni: the device's ENI.
 * c: the packet's conntrack probe (conntrack.h).
 */
static __always_inline enum eniaddr_reason egress_source_owned(const struct pkt_meta *p,
							       const struct eniaddr_owner *o,
							       const struct eniaddr_eni *eni,
							       __u32 slot, __u32 ifindex, __u32 l4r,
							       struct eniaddr_ct_probe *c)
{
	const struct eniaddr_rule_bits *l4 = NULL;
	enum eniaddr_reason r;

	if (p->frag == PKT_FRAG_LATER)
		return frag_follows(ifindex, p);
	if (l4r)
		return l4r;
	r = failsafe_out(p, slot, ifindex);
	if (!r)
		r = ct_track(p, o, &eni->timeouts, ifindex, c);
	if (!r && is_exempt_request(p, slot, ifindex)) {
		/* exempt from the rules, tracked so that only its answer comes back in */
		r = ENIADDR_R_FAILSAFE_LINK_LOCAL;
		if (p->proto != IPPROTO_TCP || !(p->tcp_flags & TCP_F_RST))
			r = ct_start(p, &eni->timeouts, ifindex, ENIADDR_DIR_EGRESS, c);
		if (r == ENIADDR_R_ALLOWED)
			r = ENIADDR_R_FAILSAFE_LINK_LOCAL;
	} else if (!r && !rules_match(p->policy, p->v6, p->daddr, p->proto, p->port, &l4)) {
		r = ENIADDR_R_EGRESS_NO_RULE;
	} else if (!r) {
		r = ct_create(p, o, &eni->timeouts, ifindex, ENIADDR_DIR_EGRESS, l4, c);
	}
	if (p->frag == PKT_FRAG_FIRST)
		frag_remember(ifindex, p, r);
	return r;
}

/*
 * Steps 3-6 of the scope comment, on the parsed summary only. Global (not inlined) for the same
 * reason as ingress_judge: the verifier checks it once instead of once per header layout the
 * parser can produce. Costs one BPF-to-BPF call. eni: the device's ENI entry, as for
 * ingress_judge.
 */
__noinline int egress_judge(struct pkt_meta *p, const struct eniaddr_eni *eni, __u32 slot,
			   __u32 ifindex, __u32 l4)
{
	const struct eniaddr_owner *o = NULL;
	struct eniaddr_ct_probe *c = NULL;
	enum eniaddr_reason r;
	bool hinted;
	__u32 fold;

	if (!p || !eni) /* global functions get nullable pointers; we never pass NULL */
		return ENIADDR_R_MALFORMED;
	/* Neighbour discovery belongs to the link it was sent on, whatever its source. */
	if (is_nd(p))
		return ENIADDR_R_FAILSAFE_ND;
	if (addr_is_unspecified(p->saddr) || addr_is_link_local(p->saddr))
		return ENIADDR_R_FAILSAFE_LINK_LOCAL;
	/* The stamped shortcut (conntrack.h), for what egress_source_owned would track. */
	/* No flow to find here, or nobody's source (the hint): the owner first. */
	fold = eniaddr_addr_fold(p->saddr, 0); /* one fold for both hints */
	hinted = !l4 && p->frag != PKT_FRAG_LATER && owner_hinted(slot, fold, ifindex);
	/* A source nobody owns (owner.h, owner_absent): no probe, no owner lookup, as in
	 * ingress_judge. */
	if (hinted || !owner_absent(slot, fold, p->v6)) {
		c = ct_probe_start(slot, ENIADDR_DIR_EGRESS, hinted);
		if (!c)
			return ENIADDR_R_MALFORMED; /* never: a per-CPU array has its entries */
		r = ct_track_stamped(p, &eni->timeouts, ifindex, c, p->lane_missed);
		if (r) {
			if (!c->transit)
				p->owner_ifindex = ifindex; /* for the per-address drop counters */
			if (p->frag == PKT_FRAG_FIRST)
				frag_remember(ifindex, p, r);
			return r;
		}
		o = owner_lookup(slot, p->saddr, p->v6);
	}
	if (!o && eni_takes_transit(eni)) { /* source/dest check off: forwarded traffic */
		if (!c) /* as a miss would have left it: no stamps */
			c = ct_probe_start(slot, ENIADDR_DIR_EGRESS, false);
		if (!c)
			return ENIADDR_R_MALFORMED; /* never, as above */
		p->policy = eni->out_policy;
		return egress_source_owned(p, NULL, eni, slot, ifindex, l4, c);
	}
	if (!o)
		return ENIADDR_R_SPOOFED_SOURCE;
	if (o->ifindex == ifindex) {
		p->owner_ifindex = ifindex; /* for the per-address drop counters */
		p->policy = o->out_policy;
		return egress_source_owned(p, o, eni, slot, ifindex, l4, c);
	}
	if (addr_is_link_scoped(p->daddr))
		return ENIADDR_R_FAILSAFE_LINK_LOCAL;
	return redirect_to_owner(p, slot, o->ifindex);
}

/*
 * The egress decision for a frame of [data, data_end) leaving ifindex. *mode and *src_check
 * receive the ENI's settings (enforce and off when it is not configured). *src_unread says the
 * reason came before the source address could be read (step 2): like SPOOFED_SOURCE it is the
 * source check's to drop. An unreadable L4 header of an owned source (step 4) is not: it drops
 * whatever the check says, since it cannot be judged by port. *p (zeroed by the caller) receives
 * what was parsed and judged, for the counters and events. Never NONE.
 */
static __always_inline enum eniaddr_reason egress_decide(void *data, void *data_end,
							 __u32 ifindex, __u8 *mode,
							 bool *src_check, bool *src_unread,
							 __u32 *want, struct pkt_meta *p)
{
	struct cursor c = { .data = data, .end = data_end };
	const struct eniaddr_eni *eni;
	enum eniaddr_reason r;
	__u32 slot = 0;
	__be16 proto;

	eni = eni_lookup(ifindex, &slot);
	if (eni) {
		*mode = eni->mode;
		*src_check = eni->flags & ENIADDR_ENI_F_SRC_CHECK;
	}
	*src_unread = true; /* until the addresses are read */
	r = parse_eth(&c, &proto);
	if (r)
		return r;
	if (!eni)
		return ENIADDR_R_UNCONFIGURED; /* attached before any apply: touch nothing */
	r = parse_l3(&c, proto, p);
	*want = c.want;
	/* The addresses are known once the fixed header is read; parse_ipv6 sets p->v6 only then
	 * (its extension walk may still have failed). Without them nothing can be decided. */
	if (r && !p->v6)
		return r;
	*src_unread = false;
	if (!r && p->frag != PKT_FRAG_LATER)
		r = parse_l4(&c, p);
	*want = c.want;
	return egress_judge(p, eni, slot, ifindex, r);
}

/* Counts r of packet p on ifindex (direction egress) with the ENI's settings, and returns the
 * tc verdict. */
static __always_inline int egress_account(const struct eniaddr_pkt *p, __u32 ifindex,
					  enum eniaddr_reason r, __u8 mode, bool src_check,
					  bool src_unread, __u64 len)
{
	if (r == ENIADDR_R_REDIRECT || r == ENIADDR_R_REDIRECT_GUESS) {
		count_verdict(p, ifindex, ENIADDR_DIR_EGRESS, r, ENIADDR_ACT_REDIRECT, len);
		return TC_ACT_REDIRECT;
	}
	/* "This source is not proven ours" (steps 2 and 6) is the source check's to drop. */
	if (!src_check && (src_unread || r == ENIADDR_R_SPOOFED_SOURCE)) {
		count_verdict(p, ifindex, ENIADDR_DIR_EGRESS, r, ENIADDR_ACT_PASS, len);
		return TC_ACT_UNSPEC;
	}
	if (account(p, ifindex, ENIADDR_DIR_EGRESS, r, mode, len) == ENIADDR_ACT_DROP)
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC;
}

#endif /* ENIADDR_BPF_EGRESS_H */
