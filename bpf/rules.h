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

/* true when a rule of policy admits peer with (proto, port) together: the rule bits of the
 * longest peer prefix and of the longest port prefix meet. port: TCP/UDP destination port,
 * ICMP type << 8 | code, 0 for other protocols (struct pkt_meta's port). */
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

static __always_inline bool rules_match(__u32 policy, const __u8 peer[16], __u8 proto, __u16 port)
{
	struct eniaddr_src_key sk = { .prefixlen = 32 + 128, .policy = policy };
	struct eniaddr_l4_key lk = {
		.prefixlen = 32 + 8 + 16,
		.policy = policy,
		.sel = bpf_htonl(ENIADDR_L4_SEL(proto, port)),
	};
	const struct eniaddr_rule_bits *src, *l4 = NULL;
	int i;

	if (policy == ENIADDR_POLICY_NONE) {
		rules_explain(NULL, NULL);
		return false;
	}
	__builtin_memcpy(sk.addr, peer, 16);
	src = bpf_map_lookup_elem(&ENIADDR_MAP_SRC, &sk);
	if (src || explain_rec()) /* a dry run also names the port's rules */
		l4 = bpf_map_lookup_elem(&ENIADDR_MAP_L4, &lk);
	rules_explain(src, l4);
	if (!src || !l4)
		return false;
	for (i = 0; i < ENIADDR_RULE_WORDS; i++)
		if (src->w[i] & l4->w[i])
			return true;
	return false;
}

#endif /* ENIADDR_BPF_RULES_H */
