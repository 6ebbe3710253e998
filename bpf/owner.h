/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/owner.h — BPF-only: the ENI that owns an address (destination on ingress, source on
 * egress) in the active slot. Shared by ingress.h and egress.h so ownership means one thing; the
 * ENI a packet is on comes from eni.h.
 */
#ifndef ENIADDR_BPF_OWNER_H
#define ENIADDR_BPF_OWNER_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "maps.bpf.h"
#include "parse.h"

/* Whether slot may hold a delegated prefix of addr's family (eniaddr_state's NO_PFX bits). */
static __always_inline bool slot_has_prefixes(__u32 slot, const __u8 addr[16])
{
	const struct eniaddr_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&ENIADDR_MAP_STATE, &zero);
	return !st || !(st->flags & ENIADDR_STATE_F_NO_PFX(slot, !addr_is_v4mapped(addr)));
}

/* The owner of addr in slot: an exact address first, then a delegated prefix (a trie walk,
 * skipped when the slot has no prefix of the family). */
static __always_inline const struct eniaddr_owner *owner_lookup(__u32 slot, const __u8 addr[16])
{
	struct eniaddr_addr_key ak = { .slot = slot };
	struct eniaddr_pfx_key pk = { .prefixlen = 32 + 128, .slot = slot };
	const struct eniaddr_owner *o;

	__builtin_memcpy(ak.addr, addr, 16);
	o = bpf_map_lookup_elem(&ENIADDR_MAP_ADDRS, &ak);
	if (o || !slot_has_prefixes(slot, addr))
		return o;
	__builtin_memcpy(pk.addr, addr, 16);
	return bpf_map_lookup_elem(&ENIADDR_MAP_PFX, &pk);
}

/* Whether ENI ifindex may own addr as an exact address in slot (the hint of maps/eniaddr.h):
 * worth asking conntrack before the owner. */
static __always_inline bool owner_hinted(__u32 slot, const __u8 addr[16], __u32 ifindex)
{
	__u32 bit = eniaddr_hint_bit(addr, ifindex);
	__u32 word = (slot & 1) * ENIADDR_HINT_WORDS + (bit >> 6);
	const __u64 *w = bpf_map_lookup_elem(&ENIADDR_MAP_OWNED_HINT, &word);

	return w && (*w & (1ULL << (bit & 63)));
}

/*
 * Transit traffic (issue 8 item 4): an ENI whose source/destination check is off (a NAT
 * instance, a router) carries packets for addresses no ENI owns, judged by that ENI's own groups
 * (the judges set p->policy from it) and tracked under its ifindex. Such a packet has no owner
 * entry: the judges pass owner NULL down, and a NULL owner is never untracked. With the check on,
 * such packets stay NOT_OWNED / SPOOFED_SOURCE.
 */
static __always_inline bool eni_takes_transit(const struct eniaddr_eni *eni)
{
	return !(eni->flags & ENIADDR_ENI_F_SRC_CHECK);
}

#endif /* ENIADDR_BPF_OWNER_H */
