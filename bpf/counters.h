/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/counters.h — BPF-only: the one exit every program takes. A reason becomes an action
 * (pass, drop, or audit when the ENI only audits), and the per-CPU counter named by
 * (ifindex, reason, direction, action) counts the packet and its bytes.
 */
#ifndef ENIADDR_BPF_COUNTERS_H
#define ENIADDR_BPF_COUNTERS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "maps.bpf.h"

static __always_inline enum eniaddr_action reason_action(enum eniaddr_reason r, __u8 mode)
{
	if (r < ENIADDR_R_FIRST_DROP)
		return ENIADDR_ACT_PASS;
	return mode == ENIADDR_MODE_AUDIT ? ENIADDR_ACT_AUDIT : ENIADDR_ACT_DROP;
}

/* Per-CPU values: plain increments are safe. A missing key is created with BPF_NOEXIST; if
 * another CPU created it in between, count into that entry instead. A full map loses the count
 * (ENIADDR_MAX_STATS is far above ifindexes x reasons x actions in use). */
static __always_inline void count_packet(__u32 ifindex, enum eniaddr_reason r, __u8 dir,
					 enum eniaddr_action act, __u64 len)
{
	struct eniaddr_stat_key key = {
		.ifindex = ifindex,
		.reason = r,
		.dir = dir,
		.action = act,
	};
	struct eniaddr_stat first = { .packets = 1, .bytes = len };
	struct eniaddr_stat *s;

	s = bpf_map_lookup_elem(&ENIADDR_MAP_STATS, &key);
	if (!s) {
		if (!bpf_map_update_elem(&ENIADDR_MAP_STATS, &key, &first, BPF_NOEXIST))
			return;
		s = bpf_map_lookup_elem(&ENIADDR_MAP_STATS, &key);
		if (!s)
			return;
	}
	s->packets += 1;
	s->bytes += len;
}

/* Counts the packet and returns what to do with it. */
static __always_inline enum eniaddr_action account(__u32 ifindex, __u8 dir, enum eniaddr_reason r,
						   __u8 mode, __u64 len)
{
	enum eniaddr_action act = reason_action(r, mode);

	count_packet(ifindex, r, dir, act, len);
	return act;
}

#endif /* ENIADDR_BPF_COUNTERS_H */
