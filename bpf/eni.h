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

/* The ENI settings of ifindex in the active slot, or NULL when it is not configured there.
 * *slot receives the active slot either way (0 when the state cannot be read). */
static __always_inline const struct eniaddr_eni *eni_lookup(__u32 ifindex, __u32 *slot)
{
	struct eniaddr_eni_key key = { .ifindex = ifindex };
	struct eniaddr_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&ENIADDR_MAP_STATE, &zero);
	if (!st)
		return NULL;
	key.slot = st->active_slot;
	*slot = key.slot;
	return bpf_map_lookup_elem(&ENIADDR_MAP_ENIS, &key);
}

#endif /* ENIADDR_BPF_ENI_H */
