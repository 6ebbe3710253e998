/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/owner.h — BPF-only: the ENI that owns an address (destination on ingress, source on
 * egress) in the active slot. Shared by ingress.h and egress.h so ownership means one thing; the
 * ENI a packet is on comes from eni.h.
 */
#ifndef ENIADDR_BPF_OWNER_H
#define ENIADDR_BPF_OWNER_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "addr.h"
#include "lookup.h"
#include "maps.bpf.h"
#include "parse.h"

/* The first bits of a 64-bit word in network order (0..64 of them), as a mask over it. */
static __always_inline __u64 net_mask64(__u32 bits)
{
	return bits >= 64 ? ~0ULL : bits ? bpf_cpu_to_be64(~0ULL << (64 - bits)) : 0;
}

/*
 * The delegated prefix of slot holding addr: one exact lookup per prefix length the slot has of
 * addr's family (eniaddr_state's lists, longest first), so the longest prefix wins as in a trie
 * and a slot with one length (AWS delegates only IPv4 /28 and IPv6 /80) pays one hash lookup.
 * An empty list costs no lookup at all.
 */
static __always_inline const struct eniaddr_owner *prefix_owner(__u32 slot, const __u8 addr[16])
{
	struct eniaddr_pfx_key pk = { .slot = slot };
	const struct eniaddr_owner *o;
	const struct eniaddr_state *st;
	const __u8 *lens;
	__u64 w[2];
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&ENIADDR_MAP_STATE, &zero);
	if (!st)
		return NULL;
	addr_copy(w, addr);
	lens = st->pfx_lens[slot & 1][!addr_is_v4mapped((const __u8 *)w)];
	for (int i = 0; i < ENIADDR_PFX_LENS; i++) {
		__u32 len = lens[i], bits = len - 32, m[2];
		__u64 k[2];

		if (len < 32 || len > 32 + 128) /* 0 ends the list */
			break;
		m[0] = bits > 64 ? 64 : bits;
		m[1] = bits > 64 ? bits - 64 : 0;
		k[0] = w[0] & net_mask64(m[0]);
		k[1] = w[1] & net_mask64(m[1]);
		pk.prefixlen = len;
		addr_copy(pk.addr, k);
		o = map_lookup(ENIADDR_MAP_PFX, &pk);
		if (o)
			return o;
	}
	return NULL;
}

/* The owner of addr in slot: an exact address first, then a delegated prefix. */
static __always_inline const struct eniaddr_owner *owner_lookup(__u32 slot, const __u8 addr[16])
{
	struct eniaddr_addr_key ak = { .slot = slot };
	const struct eniaddr_owner *o;

	addr_copy(ak.addr, addr);
	o = map_lookup(ENIADDR_MAP_ADDRS, &ak); /* never merged with the prefix lookup */
	return o ? o : prefix_owner(slot, addr);
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
