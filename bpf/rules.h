/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/rules.h — BPF-only: does a policy allow a peer and an L4 selector? Shared by the inbound
 * check (peer = the source) and the outbound one (peer = the destination). The rule-bit scheme is
 * described at eniaddr_src / eniaddr_l4 in maps/eniaddr.h, the tables read here at
 * eniaddr_policies / eniaddr_trie / eniaddr_bits.
 *
 * Cost, whatever the number of rules: one policy read, 3 trie reads for the port, 4 for an IPv4
 * peer (an LPM lookup for an IPv6 one), two class reads and the ANDs of the words inside both
 * classes' spans (usually one). Every read is an array lookup the verifier inlines.
 */
#ifndef ENIADDR_BPF_RULES_H
#define ENIADDR_BPF_RULES_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "addr.h"
#include "maps.bpf.h"
#include "dryrun.h"
#include "lookup.h"

/* Follows entry e through the trie, one key byte per level (at most n levels); returns the
 * class it ends in, or 0 when no rule covers the key. */
static __always_inline __u32 trie_walk(__u32 e, const __u8 *key, int n)
{
	const struct eniaddr_trie_node *node;
	__u32 idx;
	int i;

#pragma unroll
	for (i = 0; i < n; i++) {
		if (!(e & ENIADDR_TRIE_CHILD))
			return e;
		idx = e & ~ENIADDR_TRIE_CHILD;
		node = bpf_map_lookup_elem(&ENIADDR_MAP_TRIE, &idx);
		if (!node)
			return 0;
		e = node->e[key[i]];
	}
	return e & ENIADDR_TRIE_CHILD ? 0 : e;
}

/* The trie roots of policy (an id of either slot), or NULL for ENIADDR_POLICY_NONE. */
static __always_inline const struct eniaddr_policy *rules_policy(__u32 policy)
{
	__u32 idx = (policy & ENIADDR_POLICY_SLOT_BIT ? ENIADDR_MAX_POLICIES : 0) +
		    (policy & ENIADDR_POLICY_ID_MASK);

	if (policy == ENIADDR_POLICY_NONE)
		return NULL;
	return bpf_map_lookup_elem(&ENIADDR_MAP_POLICIES, &idx);
}

/* The bits of the selectors of pol's family (v6) covering (proto, port), or NULL. */
static __always_inline const struct eniaddr_rule_bits *
port_bits(const struct eniaddr_policy *pol, bool v6, __u8 proto, __u16 port)
{
	__u8 key[3] = { proto, port >> 8, port & 0xff };
	__u32 cls = trie_walk(pol->l4_root[v6 ? 1 : 0], key, 3);

	return cls ? bpf_map_lookup_elem(&ENIADDR_MAP_BITS, &cls) : NULL;
}

/* The rule bits of the peer's class: the IPv4 trie, or for IPv6 the longest prefix of
 * eniaddr_src under the policy's IPv6 id. NULL when no rule names the peer. */
static __always_inline const struct eniaddr_rule_bits *
peer_bits(const struct eniaddr_policy *pol, __u32 policy, bool v6, const __u8 peer[16])
{
	struct eniaddr_src_key sk = {
		.prefixlen = 32 + 128,
		.policy = policy | ENIADDR_POLICY_V6_BIT,
	};
	__u32 cls;

	if (v6) {
		addr_copy(sk.addr, peer);
		return map_lookup(ENIADDR_MAP_SRC, &sk);
	}
	cls = trie_walk(pol->v4_root, &peer[12], 4);
	return cls ? map_lookup(ENIADDR_MAP_BITS, &cls) : NULL;
}

/* The bits of policy's selectors of family v6 covering (proto, port), or NULL. */
static __always_inline const struct eniaddr_rule_bits *rules_l4(__u32 policy, bool v6, __u8 proto,
								__u16 port)
{
	const struct eniaddr_policy *pol = rules_policy(policy);

	return pol ? port_bits(pol, v6, proto, port) : NULL;
}

/* true when a and b share a bit. They can only share one in a word inside both spans
 * (maps/eniaddr.h), so only words max(lo)..min(hi) are read: the usual pair of classes meets in
 * the first of them, wherever its bits lie. The index is masked and the walk capped at
 * ENIADDR_RULE_WORDS words, so even a span out of range stays a bounded read inside w. */
static __always_inline bool rules_meet(const struct eniaddr_rule_bits *a,
				       const struct eniaddr_rule_bits *b)
{
	__u32 lo = a->lo > b->lo ? a->lo : b->lo, hi = a->hi < b->hi ? a->hi : b->hi, i;
	int k;

	for (k = 0; k < ENIADDR_RULE_WORDS; k++) {
		i = lo + k;
		if (i > hi)
			break;
		i &= ENIADDR_RULE_WORDS - 1;
		if (a->w[i] & b->w[i])
			return true;
	}
	return false;
}

/* A dry run records the two rule sets that met (or did not); NULL: that lookup found nothing. */
static __always_inline void rules_explain(const struct eniaddr_rule_bits *src,
					  const struct eniaddr_rule_bits *l4)
{
	struct eniaddr_explain *x = explain_rec();

	if (!x)
		return;
	x->rules_checked = 1;
	if (src)
		x->src_bits = *src;
	if (l4)
		x->l4_bits = *l4;
}

/* true when a rule of policy admits peer with (proto, port) together: the rule bits of the
 * peer's class and of the port's class meet. port: TCP/UDP destination port, ICMP type << 8 |
 * code, 0 for other protocols (struct pkt_meta's port). v6: the packet is IPv6, whose rules are
 * numbered apart from the IPv4 ones. *l4 receives the port's bits (NULL when none), which the
 * untracked check reuses. */
static __always_inline bool rules_match(__u32 policy, bool v6, const __u8 peer[16], __u8 proto,
					__u16 port, const struct eniaddr_rule_bits **l4)
{
	const struct eniaddr_policy *pol = rules_policy(policy);
	const struct eniaddr_rule_bits *src = NULL;

	*l4 = NULL;
	if (!pol) {
		rules_explain(NULL, NULL);
		return false;
	}
	*l4 = port_bits(pol, v6, proto, port);
	if (*l4 || explain_rec()) /* a dry run also names the peer's rules */
		src = peer_bits(pol, policy, v6, peer);
	rules_explain(src, *l4);
	return src && *l4 && rules_meet(src, *l4);
}

/*
 * true when one of the selectors in l4 (bits of family v6) has a rule of policy whose peer is the
 * whole family (0.0.0.0/0 for IPv4, ::/0 for IPv6): the eniaddr_src entry of exactly that root
 * holds those bits. Each family's entries live under its own id, so an IPv4 lookup can only stop
 * at the IPv4 root.
 */
static __always_inline bool rules_root_meets(__u32 policy, bool v6,
					     const struct eniaddr_rule_bits *l4)
{
	struct eniaddr_src_key sk = { .prefixlen = 32, .policy = policy };
	const struct eniaddr_rule_bits *root;

	if (v6) {
		sk.policy |= ENIADDR_POLICY_V6_BIT;
	} else {
		sk.prefixlen = 32 + 96;
		sk.addr[10] = 0xff;
		sk.addr[11] = 0xff;
	}
	root = bpf_map_lookup_elem(&ENIADDR_MAP_SRC, &sk);
	return root && rules_meet(root, l4);
}

#endif /* ENIADDR_BPF_RULES_H */
