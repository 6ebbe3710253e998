/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/eni.h — BPF-only: the one place a packet's interface becomes its ENI settings. Every
 * program looks its ENI up here, once, at the start of the packet, and keeps the pointer
 * (policies, mode, source check, and connection tracking's timeouts): the pointer goes down to
 * the judges (ingress_judge, egress_judge) as an argument, which costs no stack.
 */
#ifndef ENIADDR_BPF_ENI_H
#define ENIADDR_BPF_ENI_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "maps.bpf.h"

/* Which row of slot holds ifindex's settings (maps/eniaddr.h), 1-based; 0: none. */
static __always_inline __u32 eni_row(__u32 ifindex, __u32 slot)
{
	const struct eniaddr_eni_index *ix;

	/* The array first, whatever ifindex is (past its end it finds nothing): two lookups in
	 * the two arms of an if would be merged by clang into one call on either map, which the
	 * verifier can no longer inline (lookup.h). */
	ix = bpf_map_lookup_elem(&ENIADDR_MAP_ENI_INDEX, &ifindex);
	if (!ix && ifindex >= ENIADDR_ENI_INDEX_MAX)
		ix = bpf_map_lookup_elem(&ENIADDR_MAP_ENI_INDEX_BIG, &ifindex);
	return ix ? ix->row[slot & 1] : 0;
}

/* The ENI settings of ifindex in the active slot, or NULL when it is not configured there.
 * *slot receives the active slot either way (0 when the state cannot be read). Three array
 * reads, no hash (a hash only for an ifindex >= ENIADDR_ENI_INDEX_MAX). */
static __always_inline const struct eniaddr_eni *eni_lookup(__u32 ifindex, __u32 *slot)
{
	const struct eniaddr_eni_row *r;
	struct eniaddr_state *st;
	__u32 zero = 0, row;

	st = bpf_map_lookup_elem(&ENIADDR_MAP_STATE, &zero);
	if (!st)
		return NULL;
	*slot = st->active_slot;
	row = eni_row(ifindex, *slot);
	if (!row || row > ENIADDR_MAX_ENIS) /* never past the slot's own rows */
		return NULL;
	row = (*slot & 1) * ENIADDR_MAX_ENIS + row - 1;
	r = bpf_map_lookup_elem(&ENIADDR_MAP_ENI_ROWS, &row);
	return r ? &r->eni : NULL;
}

#endif /* ENIADDR_BPF_ENI_H */
