/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/events.h — BPF-only: drop events for `trace` (maps/eniaddr.h, eniaddr_trace). Only drops
 * and audits come here, and the first thing read is the enabled word: when nobody traces a drop
 * pays one array lookup and a pass nothing. Every event that matches the tracer's filters is
 * either written or counted as lost (no token, ring full), so events + lost = drops counted.
 */
#ifndef ENIADDR_BPF_EVENTS_H
#define ENIADDR_BPF_EVENTS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "maps.bpf.h"
#include "dryrun.h"
#include "parse.h"

/* Per-CPU token bucket in ns of refill: one token per period_ns, at most burst_ns banked. */
static __always_inline bool trace_token(struct eniaddr_trace_cpu *c,
					const struct eniaddr_trace *t, __u64 now)
{
	__u64 level = c->last_ns ? c->tokens_ns + (now - c->last_ns) : t->burst_ns;

	if (level > t->burst_ns)
		level = t->burst_ns;
	c->last_ns = now;
	if (level < t->period_ns) {
		c->tokens_ns = level;
		return false;
	}
	c->tokens_ns = level - t->period_ns;
	return true;
}

#ifdef ENIADDR_BENCH_NO_EVENTS
/* tests/bpf/bench_noevents.bpf.c: the same programs without events, so `make bench` measures
 * what the switch costs a drop when nobody traces. */
static __always_inline void trace_drop(const struct eniaddr_pkt *p, __u32 ifindex, __u8 dir,
				       enum eniaddr_reason r, enum eniaddr_action act, __u64 len)
{
}
#else
static __always_inline void trace_drop(const struct eniaddr_pkt *p, __u32 ifindex, __u8 dir,
				       enum eniaddr_reason r, enum eniaddr_action act, __u64 len)
{
	const struct eniaddr_trace *t;
	struct eniaddr_trace_cpu *c;
	struct eniaddr_event *ev;
	__u32 zero = 0;
	__u64 now;

	t = bpf_map_lookup_elem(&ENIADDR_MAP_TRACE, &zero);
	if (!t || !t->enabled || !dp_writes())
		return;
	if ((t->ifindex && t->ifindex != ifindex) ||
	    (t->reasons && !(t->reasons & (1ULL << (r & 63)))))
		return;
	c = bpf_map_lookup_elem(&ENIADDR_MAP_TRACE_CPU, &zero);
	if (!c)
		return;
	now = bpf_ktime_get_ns();
	if (t->period_ns && !trace_token(c, t, now)) {
		c->lost_rate++;
		return;
	}
	ev = bpf_ringbuf_reserve(&ENIADDR_MAP_EVENTS, sizeof(*ev), 0);
	if (!ev) {
		c->lost_full++;
		return;
	}
	ev->time_ns = now;
	ev->ifindex = ifindex;
	ev->len = len;
	ev->reason = r;
	ev->dir = dir;
	ev->action = act;
	ev->pkt = *p;
	bpf_ringbuf_submit(ev, 0);
	c->sent++;
}
#endif

#endif /* ENIADDR_BPF_EVENTS_H */
