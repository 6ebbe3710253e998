/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/addr_drops.h — BPF-only: the per-address drop table (eniaddr_addr_drops, maps/eniaddr.h).
 * A key is counted in its bucket of a per-CPU array: one inlined lookup, then up to
 * ENIADDR_ADDR_DROP_WAYS key compares; a miss takes an empty way, replaces the way with the
 * fewest packets, or counts the packet as unattributed. No atomics: the bucket is this CPU's.
 */
#ifndef ENIADDR_BPF_ADDR_DROPS_H
#define ENIADDR_BPF_ADDR_DROPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "maps.bpf.h"
#include "addr.h"

/* The packet's (ENI, direction, address) for the table: addr points into the packet's summary,
 * not a copy, so counting needs no key on the stack the judges have filled. */
struct addr_drop_ref {
	__u32 ifindex;
	__u32 dir;
	const __u8 *addr; /* 4-byte aligned (bpf/addr.h) */
};

static __always_inline bool addr_drop_same(const struct addr_drop_ref *r,
					   const struct eniaddr_addr_drop_key *k)
{
	return k->ifindex == r->ifindex && k->dir == r->dir && addr_eq(k->addr, r->addr);
}

static __always_inline void addr_drop_take(struct eniaddr_addr_drop *w,
					   const struct addr_drop_ref *r, __u64 len)
{
	w->k.ifindex = r->ifindex;
	w->k.dir = r->dir;
	addr_copy(w->k.addr, r->addr);
	w->packets = 1;
	w->bytes = len;
}

/* An address without a way in bucket b (maps/eniaddr.h): an empty way if there is one; else the
 * way with the fewest packets once the bucket has missed as many since its last replacement
 * (its counts become unattributed); else the packet is unattributed. */
static __always_inline void addr_drop_miss(struct eniaddr_addr_drop_bucket *b,
					   const struct addr_drop_ref *r, __u64 len)
{
	__u32 i, min = 0;

#pragma unroll
	for (i = 0; i < ENIADDR_ADDR_DROP_WAYS; i++) {
		if (!b->way[i].k.ifindex) {
			addr_drop_take(&b->way[i], r, len);
			return;
		}
		if (b->way[i].packets < b->way[min].packets)
			min = i;
	}
	b->misses += 1;
	barrier_var(min);
	min &= ENIADDR_ADDR_DROP_WAYS - 1;
	if (b->way[min].packets > b->misses) {
		b->unattributed.packets += 1;
		b->unattributed.bytes += len;
		return;
	}
	b->unattributed.packets += b->way[min].packets;
	b->unattributed.bytes += b->way[min].bytes;
	b->misses = 0;
	addr_drop_take(&b->way[min], r, len);
}

/* Counts one packet of len bytes for r. */
static __always_inline void addr_drop_count(const struct addr_drop_ref *r, __u64 len)
{
	__u32 idx = eniaddr_addr_drop_index_of(r->addr, r->ifindex, r->dir), i;
	struct eniaddr_addr_drop_bucket *b = bpf_map_lookup_elem(&ENIADDR_MAP_ADDR_DROPS, &idx);

	if (!b)
		return;
#pragma unroll
	for (i = 0; i < ENIADDR_ADDR_DROP_WAYS; i++) {
		if (addr_drop_same(r, &b->way[i].k)) {
			b->way[i].packets += 1;
			b->way[i].bytes += len;
			return;
		}
	}
	addr_drop_miss(b, r, len);
}

#endif /* ENIADDR_BPF_ADDR_DROPS_H */
