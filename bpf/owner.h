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

/* eniaddr_state's list of prefix lengths of slot for a family (0 IPv4, 1 IPv6); NULL never. */
static __always_inline const __u8 *prefix_lens(__u32 slot, int v6)
{
	const struct eniaddr_state *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&ENIADDR_MAP_STATE, &zero);
	return st ? st->pfx_lens[slot & 1][v6 & 1] : NULL;
}

/*
 * The delegated prefix of slot holding an IPv6 addr: one exact lookup per prefix length the slot
 * has of the family (eniaddr_state's lists, longest first), so the longest prefix wins as in a
 * trie and a slot with one length (AWS delegates only IPv4 /28 and IPv6 /80) pays one hash
 * lookup. An empty list costs no lookup at all.
 */
static __always_inline const struct eniaddr_owner *prefix_owner6(__u32 slot, const __u8 addr[16])
{
	struct eniaddr_pfx_key pk = { .slot = slot };
	const struct eniaddr_owner *o;
	const __u8 *lens = prefix_lens(slot, 1);
	__u64 w[2];

	if (!lens)
		return NULL;
	addr_copy(w, addr);
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

/* The same for an IPv4 address a (network order) in eniaddr_pfx4, whose keys hold the plain
 * IPv4 length: the list's 32 + 96 + n is /n. */
static __always_inline const struct eniaddr_owner *prefix_owner4(__u32 slot, __be32 a)
{
	struct eniaddr_pfx4_key pk = { .slot = slot };
	const struct eniaddr_owner *o;
	const __u8 *lens = prefix_lens(slot, 0);

	if (!lens)
		return NULL;
	for (int i = 0; i < ENIADDR_PFX_LENS; i++) {
		__u32 len = lens[i], bits = len - (32 + 96);
		__be32 k;

		if (len < 32 + 96 || len > 32 + 128) /* 0 ends the list */
			break;
		k = a & (bits ? bpf_htonl(~0u << (32 - bits)) : 0);
		pk.prefixlen = bits;
		__builtin_memcpy(ADDR_A4(pk.addr), &k, 4);
		o = map_lookup(ENIADDR_MAP_PFX4, &pk);
		if (o)
			return o;
	}
	return NULL;
}

/* The owner of addr (16 bytes, IPv4-mapped when !v6) in slot: an exact address first, then a
 * delegated prefix, each in the maps of the family. Every lookup is its own call on its own map
 * (lookup.h), so the verifier inlines each. */
static __always_inline const struct eniaddr_owner *owner_lookup(__u32 slot, const __u8 addr[16],
								 bool v6)
{
	const struct eniaddr_owner *o;

	if (!v6) {
		struct eniaddr_addr4_key k = { .slot = slot };
		__be32 a = addr_word_be(addr, 3);

		__builtin_memcpy(ADDR_A4(k.addr), &a, 4);
		o = map_lookup(ENIADDR_MAP_ADDRS4, &k);
		return o ? o : prefix_owner4(slot, a);
	}
	{
		struct eniaddr_addr_key k = { .slot = slot };

		addr_copy(k.addr, addr);
		o = map_lookup(ENIADDR_MAP_ADDRS, &k);
		return o ? o : prefix_owner6(slot, addr);
	}
}

/* Whether ENI ifindex may own the address of fold (eniaddr_addr_fold(addr, 0)) exactly in
 * slot (the hint of maps/eniaddr.h): worth asking conntrack before the owner. */
static __always_inline bool owner_hinted(__u32 slot, __u32 fold, __u32 ifindex)
{
	__u32 bit = eniaddr_hint_bit_of(fold, ifindex);
	__u32 word = (slot & 1) * ENIADDR_HINT_WORDS + (bit >> 6);
	const __u64 *w = bpf_map_lookup_elem(&ENIADDR_MAP_OWNED_HINT, &word);

	return w && (*w & (1ULL << (bit & 63)));
}

/*
 * Whether no ENI owns the address of fold (eniaddr_addr_fold(addr, 0), addr IPv4-mapped when
 * !v6) in slot, proven without the owner maps: its bit in eniaddr_any_hint is clear and the
 * slot has no prefix of the family that hint cannot list (eniaddr_state.uncovered). Then
 * owner_lookup would return NULL, and the caller skips it. Sound because (1) the publisher sets
 * the bit of every address owner_lookup can find in the slot (every exact address, every host
 * of every IPv4 prefix of /24 or longer; any other prefix sets the family's uncovered flag
 * instead), and (2) it writes a slot's bits and flags before the flip that makes the slot
 * active, and only into the inactive slot (owned_hint.c, publish.c flip()). False means
 * "look", never "owned".
 */
static __always_inline bool owner_absent(__u32 slot, __u32 fold, bool v6)
{
	const struct eniaddr_state *st;
	__u32 bit, word, zero = 0;
	const __u64 *w;

	bit = eniaddr_any_bit_of(fold);
	word = (slot & 1) * ENIADDR_ANY_WORDS + (bit >> 6);
	w = bpf_map_lookup_elem(&ENIADDR_MAP_ANY_HINT, &word);
	if (!w || *w & (1ULL << (bit & 63)))
		return false; /* someone's, maybe (another ENI's: WRONG_ENI, a redirect) */
	st = bpf_map_lookup_elem(&ENIADDR_MAP_STATE, &zero);
	return st && !(st->uncovered[slot & 1] & (v6 ? ENIADDR_UNCOVERED_V6 : ENIADDR_UNCOVERED_V4));
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
