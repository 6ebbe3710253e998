/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/counters.h — BPF-only: the one exit every program takes. A reason becomes an action
 * (pass, drop, or audit when the ENI only audits), and the per-CPU counter of (device,
 * direction, action) counts the packet and its bytes in the reason's field (maps/eniaddr.h).
 * A drop or audit of an owned address also counts for that address, and becomes a drop event
 * while someone traces (events.h).
 */
#ifndef ENIADDR_BPF_COUNTERS_H
#define ENIADDR_BPF_COUNTERS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "addr.h"
#include "maps.bpf.h"
#include "dryrun.h"
#include "parse.h"
#include "events.h"
#include "addr_drops.h"

static __always_inline enum eniaddr_action reason_action(enum eniaddr_reason r, __u8 mode)
{
	if (r < ENIADDR_R_FIRST_DROP)
		return ENIADDR_ACT_PASS;
	return mode == ENIADDR_MODE_AUDIT ? ENIADDR_ACT_AUDIT : ENIADDR_ACT_DROP;
}

/* The counters' device slot of ifindex (eniaddr_stats_dev), 0 (the shared bucket) when it has
 * none. The one place a device becomes a counter index. */
static __always_inline __u32 stats_dev(__u32 ifindex)
{
	__u32 *dev = bpf_map_lookup_elem(&ENIADDR_MAP_STATS_DEV, &ifindex);

	return dev && *dev < ENIADDR_STATS_DEVS ? *dev : 0;
}

/* Two inlined array lookups and two plain adds: the values are per CPU. */
static __always_inline void count_packet(__u32 ifindex, enum eniaddr_reason r, __u8 dir,
					 enum eniaddr_action act, __u64 len)
{
	__u32 idx = ENIADDR_STATS_INDEX(stats_dev(ifindex), dir & 1, act & 3), ri = r;
	struct eniaddr_stats *s;
	struct eniaddr_stat *c;

	/* the register checked must be the one used as index: clang may otherwise check one copy
	 * of r and index with another, whose bounds the verifier never learnt */
	barrier_var(ri);
	if (!dp_writes() || ri >= ENIADDR_R_COUNT)
		return;
	s = bpf_map_lookup_elem(&ENIADDR_MAP_STATS, &idx);
	if (!s)
		return;
	c = &((struct eniaddr_stat *)&s->reason)[ri];
	c->packets += 1;
	c->bytes += len;
}

/* A drop or audit of an address this ENI owns: counted for the address too (addr_drops.h), paid
 * by drops only. (tests/bpf/bench_noaddr.bpf.c builds without it, so `make bench` shows what it
 * costs.) */
static __always_inline void count_addr_drop(const struct eniaddr_pkt *p, __u8 dir, __u64 len)
{
#ifndef ENIADDR_BENCH_NO_ADDR_DROPS
	struct addr_drop_ref r = { .ifindex = p->owner_ifindex, .dir = dir,
				   .addr = dir == ENIADDR_DIR_INGRESS ? p->daddr : p->saddr };

	if (dp_writes())
		addr_drop_count(&r, len);
#endif
}

/* A dry run (explain) records the verdict; the datapath's program never gets here. */
static __always_inline void explain_verdict(__u32 owner_ifindex, __u32 policy, __u8 dir,
					    enum eniaddr_reason r, enum eniaddr_action act)
{
	struct eniaddr_explain *x = explain_rec();

	if (!x)
		return;
	x->runs++;
	x->reason = r;
	x->dir = dir;
	x->action = act;
	x->owner_ifindex = owner_ifindex;
	x->policy = policy;
}

/* Counts the packet with action act; a drop or audit also per address and as an event. */
static __always_inline void count_verdict(const struct eniaddr_pkt *p, __u32 ifindex, __u8 dir,
					  enum eniaddr_reason r, enum eniaddr_action act,
					  __u64 len)
{
	explain_verdict(p->owner_ifindex, p->policy, dir, r, act);
	count_packet(ifindex, r, dir, act, len);
	if (act != ENIADDR_ACT_DROP && act != ENIADDR_ACT_AUDIT)
		return;
	trace_drop(p, ifindex, dir, r, act, len);
	/* last: nothing is live after it, so its compares spill no register to the stack */
	if (p->owner_ifindex)
		count_addr_drop(p, dir, len);
}

/* A frame that passes before anything is parsed or looked up (arp.h): counted, nothing else. */
static __always_inline void count_early_pass(__u32 ifindex, __u8 dir, enum eniaddr_reason r,
					     __u64 len)
{
	explain_verdict(0, 0, dir, r, ENIADDR_ACT_PASS);
	count_packet(ifindex, r, dir, ENIADDR_ACT_PASS, len);
}

/* Counts the packet and returns what to do with it. */
static __always_inline enum eniaddr_action account(const struct eniaddr_pkt *p, __u32 ifindex,
						   __u8 dir, enum eniaddr_reason r, __u8 mode,
						   __u64 len)
{
	enum eniaddr_action act = reason_action(r, mode);

	count_verdict(p, ifindex, dir, r, act, len);
	return act;
}

#endif /* ENIADDR_BPF_COUNTERS_H */
