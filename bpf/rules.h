/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/rules.h — BPF-only: does a policy allow a peer and an L4 selector? Shared by the inbound
 * check (peer = the source) and the outbound one (peer = the destination). The rule-bit scheme is
 * described at eniaddr_src / eniaddr_l4 in maps/eniaddr.h.
 */
#ifndef ENIADDR_BPF_RULES_H
#define ENIADDR_BPF_RULES_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "maps.bpf.h"
#include "dryrun.h"

/* The bits of policy's selectors covering (proto, port), or NULL: one longest-prefix lookup. */
static __always_inline const struct eniaddr_rule_bits *rules_l4(__u32 policy, __u8 proto,
								__u16 port)
{
	struct eniaddr_l4_key lk = {
		.prefixlen = 32 + 8 + 16,
		.policy = policy,
		.sel = bpf_htonl(ENIADDR_L4_SEL(proto, port)),
	};

	return bpf_map_lookup_elem(&ENIADDR_MAP_L4, &lk);
}

static __always_inline bool rules_meet(const struct eniaddr_rule_bits *a,
				       const struct eniaddr_rule_bits *b)
{
	int i;

	for (i = 0; i < ENIADDR_RULE_WORDS; i++)
		if (a->w[i] & b->w[i])
			return true;
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
 * longest peer prefix and of the longest port prefix meet. port: TCP/UDP destination port,
 * ICMP type << 8 | code, 0 for other protocols (struct pkt_meta's port). *l4 receives the port's
 * bits (NULL when none), which the untracked check reuses. */
static __always_inline bool rules_match(__u32 policy, const __u8 peer[16], __u8 proto, __u16 port,
					const struct eniaddr_rule_bits **l4)
{
	struct eniaddr_src_key sk = { .prefixlen = 32 + 128, .policy = policy };
	const struct eniaddr_rule_bits *src;

	*l4 = NULL;
	if (policy == ENIADDR_POLICY_NONE) {
		rules_explain(NULL, NULL);
		return false;
	}
	__builtin_memcpy(sk.addr, peer, 16);
	src = bpf_map_lookup_elem(&ENIADDR_MAP_SRC, &sk);
	if (src || explain_rec()) /* a dry run also names the port's rules */
		*l4 = rules_l4(policy, proto, port);
	rules_explain(src, *l4);
	if (!src)
		return false;
	return *l4 && rules_meet(src, *l4);
}

/*
 * true when one of the selectors in l4 has a rule of policy whose peer is the whole family
 * (0.0.0.0/0 for IPv4, ::/0 for IPv6): the eniaddr_src entry of exactly that root holds those
 * bits (for IPv4 the compiler always writes the mapped /96 root when a shorter IPv6 prefix could
 * answer instead, see add_v4_guard in loader/compile/policy.c).
 */
static __always_inline bool rules_root_meets(__u32 policy, bool v6,
					     const struct eniaddr_rule_bits *l4)
{
	struct eniaddr_src_key sk = { .prefixlen = 32, .policy = policy };
	const struct eniaddr_rule_bits *root;

	if (!v6) {
		sk.prefixlen = 32 + 96;
		sk.addr[10] = 0xff;
		sk.addr[11] = 0xff;
	}
	root = bpf_map_lookup_elem(&ENIADDR_MAP_SRC, &sk);
	/* an IPv4 lookup may only stop at the IPv4 root, never at a shorter IPv6 prefix */
	return root && rules_meet(root, l4);
}

#endif /* ENIADDR_BPF_RULES_H */
