/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/owner.h — BPF-only: the two lookups both directions start from. The settings of the ENI a
 * packet is on, and the ENI that owns an address (destination on ingress, source on egress),
 * both in the active slot. Shared by ingress.h and egress.h so ownership means one thing.
 */
#ifndef ENIADDR_BPF_OWNER_H
#define ENIADDR_BPF_OWNER_H

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

/* The owner of addr in slot: an exact address first, then a delegated prefix. */
static __always_inline const struct eniaddr_owner *owner_lookup(__u32 slot, const __u8 addr[16])
{
	struct eniaddr_addr_key ak = { .slot = slot };
	struct eniaddr_pfx_key pk = { .prefixlen = 32 + 128, .slot = slot };
	const struct eniaddr_owner *o;

	__builtin_memcpy(ak.addr, addr, 16);
	o = bpf_map_lookup_elem(&ENIADDR_MAP_ADDRS, &ak);
	if (o)
		return o;
	__builtin_memcpy(pk.addr, addr, 16);
	return bpf_map_lookup_elem(&ENIADDR_MAP_PFX, &pk);
}

/*
 * The stand-in owner of transit traffic (issue 8 item 4): an ENI whose source/destination check
 * is off (a NAT instance, a router) carries packets for addresses no ENI owns, judged by that
 * ENI's own groups and tracked under its ifindex. ifindex 0 (the check is on, or no ENI) means
 * "no transit": such packets stay NOT_OWNED / SPOOFED_SOURCE. Never untracked (flags 0).
 */
static __always_inline void transit_owner(struct eniaddr_owner *t, const struct eniaddr_eni *eni,
					  __u32 ifindex)
{
	__builtin_memset(t, 0, sizeof(*t));
	if (!eni || (eni->flags & ENIADDR_ENI_F_SRC_CHECK))
		return;
	t->ifindex = ifindex;
	t->in_policy = eni->in_policy;
	t->out_policy = eni->out_policy;
}

#endif /* ENIADDR_BPF_OWNER_H */
