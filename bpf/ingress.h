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
#include "failsafe.h"
#include "frags.h"
#include "rules.h"
#include "conntrack.h"

/* Steps 8-9 for a destination this ENI owns: a live flow passes (CT_*), else a rule of the
 * address's inbound policy must admit the packet, which then starts a flow (ALLOWED), or not
 * (NO_RULE). */
static __always_inline enum eniaddr_reason ingress_owned(const struct pkt_meta *p,
							 const struct eniaddr_owner *o,
							 __u32 slot, __u32 ifindex)
{
	enum eniaddr_reason r = ct_track(p, o, slot, ifindex);

	if (r)
		return r;
	if (!rules_match(o->in_policy, p->saddr, p->proto, p->port))
		return ENIADDR_R_NO_RULE;
	return ct_create(p, o, slot, ifindex, ENIADDR_DIR_INGRESS);
}

/*
 * Steps 6-9 (failsafes, ownership, connection tracking, rules) and the fragment memory, on the
 * parsed summary only. Deliberately a global function (not inlined): the verifier checks it
 * once, on its own. Inlined, it would be re-verified for every header layout the parser can
 * produce (VLAN depth times IPv6 extension chains), which exceeds the verifier's budget. Costs
 * one BPF-to-BPF call.
 */
__noinline int ingress_judge(struct pkt_meta *p, __u32 slot, __u32 ifindex)
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
		else {
			p->owner_ifindex = ifindex;
			p->policy = o->in_policy;
			r = ingress_owned(p, o, slot, ifindex);
		}
	}
	if (p->frag == PKT_FRAG_FIRST)
		frag_remember(ifindex, p, r);
	return r;
}

/*
 * The ingress decision for a frame of [data, data_end) that arrived on ifindex. *mode receives
 * the ENI's mode (enforce when unknown) for the caller's verdict, *p (zeroed by the caller) what
 * was parsed, for the counters and events. Never returns ENIADDR_R_NONE.
 */
static __always_inline enum eniaddr_reason ingress_decide(void *data, void *data_end,
							  __u32 ifindex, __u8 *mode,
							  struct pkt_meta *p)
{
	struct cursor c = { .data = data, .end = data_end };
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
	r = parse_l3(&c, proto, p);
	if (r)
		return r;
	if (p->frag == PKT_FRAG_LATER)
		return frag_follows(ifindex, p); /* no L4 header here: never read ports */
	r = parse_l4(&c, p);
	if (r)
		return r;
	return ingress_judge(p, slot, ifindex);
}

/* Decide, count, and return the action (pass, drop, audit) for one ingress frame. */
static __always_inline enum eniaddr_action ingress_verdict(void *data, void *data_end,
							   __u32 ifindex, __u64 len)
{
	__u8 mode = ENIADDR_MODE_ENFORCE;
	struct pkt_meta p = {};
	enum eniaddr_reason r;

	r = ingress_decide(data, data_end, ifindex, &mode, &p);
	return account(&p, ifindex, ENIADDR_DIR_INGRESS, r, mode, len);
}

#endif /* ENIADDR_BPF_INGRESS_H */
