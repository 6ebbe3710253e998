/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/eni.h — BPF-only: the one place a packet's interface becomes its ENI. Every program looks
 * its ENI up here, once per packet, and passes the settings pointer down (policies, mode, source
 * check, timeouts); nothing else maps an ifindex to ENI state. A dense per-ENI index (for
 * per-CPU array counters) belongs here too, so there is one ifindex -> ENI mapping to keep true.
 */
#ifndef ENIADDR_BPF_ENI_H
#define ENIADDR_BPF_ENI_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "maps.bpf.h"
#include "owner.h"

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

/* What the judging functions need of the packet's ENI, copied to the stack once per packet: a
 * global function takes pointers to memory, and a map value's address inside a struct would lose
 * its type, so the ENI is never looked up again (conntrack's timeouts come from here). */
struct eni_env {
	struct eniaddr_owner transit;     /* the ENI as owner of forwarded traffic (owner.h) */
	struct eniaddr_timeouts timeouts; /* for connection tracking */
};

static __always_inline void eni_env_fill(struct eni_env *env, const struct eniaddr_eni *eni,
					 __u32 ifindex)
{
	transit_owner(&env->transit, eni, ifindex);
	if (eni)
		env->timeouts = eni->timeouts;
	else
		__builtin_memset(&env->timeouts, 0, sizeof(env->timeouts));
}

#endif /* ENIADDR_BPF_ENI_H */
