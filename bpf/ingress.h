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
#include "eni.h"
#include "owner.h"
#include "failsafe.h"
#include "frags.h"
#include "rules.h"
#include "conntrack.h"
#include "unconfigured.h"

/* Steps 8-9 for a destination this ENI owns (owner o; NULL: transit, owner.h): a live flow
 * passes (CT_*), else a rule of the address's inbound policy (p->policy) must admit the packet,
 * which then starts a flow (ALLOWED), or not (NO_RULE). c: the packet's conntrack probe. */
static __always_inline enum eniaddr_reason ingress_owned(const struct pkt_meta *p,
							 const struct eniaddr_owner *o,
							 const struct eniaddr_timeouts *t,
							 __u32 ifindex, struct eniaddr_ct_probe *c)
{
	enum eniaddr_reason r = ct_track(p, o, t, ifindex, c);
	const struct eniaddr_rule_bits *l4;

	if (r)
		return r;
	if (!rules_match(p->policy, p->v6, p->saddr, p->proto, p->port, &l4))
		return ENIADDR_R_NO_RULE;
	return ct_create(p, o, t, ifindex, ENIADDR_DIR_INGRESS, l4, c);
}

/*
 * Steps 6-9 (failsafes, ownership, connection tracking, rules) and the fragment memory, on the
 * parsed summary only. Deliberately a global function (not inlined): the verifier checks it
 * once, on its own. Inlined, it would be re-verified for every header layout the parser can
 * produce (VLAN depth times IPv6 extension chains), which exceeds the verifier's budget. Costs
 * one BPF-to-BPF call. eni is the packet's ENI entry (eni.h), handed down so that connection
 * tracking reads its timeouts without a second lookup.
 *
 * First the stamped shortcut (conntrack.h): a packet of a confirmed flow whose ownership this
 * generation already proved skips steps 6-7, the owner lookup. Only for a destination the
 * slot's hint says this ENI may own (owner.h): the rest (not owned, another ENI's, transit,
 * prefixes) would only add a conntrack miss. Everything else takes the steps in order, and a
 * confirmed flow that passes them is stamped.
 *
 * A destination nobody owns (owner_absent: no ENI's hint bit, no prefix the hints cannot
 * list) skips the probe and the owner lookup, whose answer is known: no owner. The steps that
 * follow are the ones an owner miss takes (failsafes, transit, NOT_OWNED); only transit needs
 * the probe, started as a miss would have left it (no stamps: this ENI's bit is clear). With
 * this ENI's bit clear but some ENI's set, the owner is looked up as before (WRONG_ENI).
 */
__noinline int ingress_judge(struct pkt_meta *p, const struct eniaddr_eni *eni, __u32 slot,
			    __u32 ifindex)
{
	const struct eniaddr_owner *o = NULL;
	struct eniaddr_ct_probe *c = NULL;
	const struct eniaddr_timeouts *t;
	enum eniaddr_reason r;
	bool hinted, owned;
	__u32 fold;

	if (!p || !eni) /* global functions get nullable pointers; we never pass NULL */
		return ENIADDR_R_MALFORMED;
	t = &eni->timeouts;
	fold = eniaddr_addr_fold(p->daddr, 0); /* one fold for both hints */
	hinted = owner_hinted(slot, fold, ifindex);
	if (hinted || !owner_absent(slot, fold, p->v6)) {
		/* Not hinted (nobody's exact address here): the owner first, conntrack after. */
		c = ct_probe_start(slot, ENIADDR_DIR_INGRESS, hinted);
		if (!c)
			return ENIADDR_R_MALFORMED; /* never: a per-CPU array has its entries */
		r = ct_track_stamped(p, t, ifindex, c, p->lane_missed);
		if (r) {
			if (!c->transit)
				p->owner_ifindex = ifindex; /* for the per-address drop counters */
			goto out;
		}
		o = owner_lookup(slot, p->daddr, p->v6);
	}
	owned = o && o->ifindex == ifindex;
	r = failsafe_in(p, slot, ifindex, owned);
	if (!r) {
		if (!o && eni_takes_transit(eni)) {
			if (!c)
				c = ct_probe_start(slot, ENIADDR_DIR_INGRESS, false);
			if (!c)
				return ENIADDR_R_MALFORMED; /* never, as above */
			p->policy = eni->in_policy;
			/* source/dest check off */
			r = ingress_owned(p, NULL, t, ifindex, c);
		} else if (!o) {
			r = ENIADDR_R_NOT_OWNED;
		} else if (!owned) {
			r = ENIADDR_R_WRONG_ENI;
		} else {
			p->owner_ifindex = ifindex; /* for the per-address drop counters */
			p->policy = o->in_policy;
			r = ingress_owned(p, o, t, ifindex, c);
		}
	}
out:
	if (p->frag == PKT_FRAG_FIRST)
		frag_remember(ifindex, p, r);
	return r;
}

/*
 * The ingress decision for a frame of [data, data_end) that arrived on ifindex. *mode receives
 * the ENI's mode (enforce when unknown) for the caller's verdict; *want, when a header reached
 * past data_end, the offset the parser needed (tc_ingress pulls it and asks again); *p (zeroed
 * by the caller) what was parsed and judged, for the counters and events. Never returns
 * ENIADDR_R_NONE.
 */
static __always_inline enum eniaddr_reason ingress_decide(void *data, void *data_end,
							  __u32 ifindex, __u8 *mode, __u32 *want,
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
	if (!r && !eni) /* attached before any apply: passes, unless attach said --unconfigured drop */
		return unconfigured_verdict(ifindex, proto);
	if (!r)
		r = parse_l3(&c, proto, p);
	if (!r && p->frag == PKT_FRAG_LATER)
		return frag_follows(ifindex, p); /* no L4 header here: never read ports */
	if (!r)
		r = parse_l4(&c, p);
	if (r) {
		*want = c.want;
		return r;
	}
	return ingress_judge(p, eni, slot, ifindex);
}

/* ingress_decide on [data, data_end), leaving in *s what counting needs: pkt_meta stays in the
 * caller's frame only (the programs call this from a global function, so the counting that
 * follows does not stack on top of it). lane_missed: the lane asked the confirmed table for
 * this packet's key and found nothing (lane.h); the stamped shortcut does not ask again. */
static __always_inline enum eniaddr_reason ingress_summarized(void *data, void *data_end,
							      __u32 ifindex, __u8 *mode,
							      __u32 *want, struct eniaddr_pkt *s,
							      __u32 lane_missed)
{
	struct pkt_meta p = { .lane_missed = lane_missed };
	enum eniaddr_reason r;

	r = ingress_decide(data, data_end, ifindex, mode, want, &p);
	pkt_summarize(&p, s);
	return r;
}

#endif /* ENIADDR_BPF_INGRESS_H */
