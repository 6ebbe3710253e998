// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * loader/compile_ports.c — a policy's L4 selectors -> eniaddr_l4 entries. Each protocol's 16-bit
 * space (TCP/UDP port, ICMP type << 8 | code, 0 for the rest) is cut at every range boundary into
 * elementary intervals; an interval's bits are the OR of the selectors covering it, so the one
 * longest-prefix hit the datapath gets already holds the union. Intervals are written as aligned
 * power-of-two port blocks, the way Cilium puts port ranges into an LPM key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile/priv.h"

#define PORT_SPACE 65536u

int port_range_to_prefixes(unsigned int lo, unsigned int hi, unsigned int starts[],
			   unsigned int plens[], int max)
{
	unsigned long cur = lo;
	int n = 0;

	if (lo > hi || hi >= PORT_SPACE)
		return -EINVAL;
	while (cur <= hi) {
		unsigned int k = 16; /* block of 2^k ports */

		/* Largest block that starts aligned at cur and stays within hi. */
		while (k > 0 && ((cur & ((1ul << k) - 1)) || cur + (1ul << k) - 1 > hi))
			k--;
		if (n < max) {
			starts[n] = (unsigned int)cur;
			plens[n] = 16 - k;
		}
		n++;
		cur += 1ul << k;
	}
	return n;
}

/* Writes lo..hi of proto with bits as port blocks (pushed while they fit, always counted). */
static int emit_interval(struct compile_ctx *c, __u32 policy, unsigned int proto,
			 uint32_t lo, uint32_t hi, const struct eniaddr_rule_bits *bits,
			 size_t *n_entries)
{
	unsigned int starts[32], plens[32];
	int n = port_range_to_prefixes(lo, hi, starts, plens, 32);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		struct compiled_l4 *l;

		c->l4_needed++;
		(*n_entries)++;
		if (c->out->l4s.n >= c->l4_cap)
			continue;
		l = VEC_PUSH(&c->out->l4s);
		if (!l)
			return -ENOMEM;
		l->k.prefixlen = 32 + 8 + plens[i];
		l->k.policy = policy;
		l->k.sel = htonl(ENIADDR_L4_SEL(proto, starts[i]));
		l->v = *bits;
	}
	return 0;
}

/*
 * The "all" selectors (sels[0..n_all), every protocol and port) as one policy-wide entry:
 * prefixlen 32 covers the policy id only, so it is the longest match for every protocol that
 * has no entries of its own. One entry instead of one per protocol.
 */
static int emit_any_proto(struct compile_ctx *c, __u32 policy, size_t n_all, size_t *n_entries)
{
	struct compiled_l4 *l;

	c->l4_needed++;
	(*n_entries)++;
	if (c->out->l4s.n >= c->l4_cap)
		return 0;
	l = VEC_PUSH(&c->out->l4s);
	if (!l)
		return -ENOMEM;
	l->k.prefixlen = 32;
	l->k.policy = policy;
	l->k.sel = 0;
	memset(&l->v, 0, sizeof(l->v));
	for (size_t j = 0; j < n_all; j++)
		bits_set(&l->v, (unsigned int)j);
	return 0;
}

/* Where a selector starts (on) or stops (off) covering ports: the events of the sweep below. */
struct edge {
	uint32_t at;
	unsigned int bit;
	bool on;
};

static int edge_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct edge *)a)->at, y = ((const struct edge *)b)->at;

	return (x > y) - (x < y);
}

/*
 * One protocol: the selectors in idx (bit numbers into sels) are its own plus every "all"
 * selector. A sweep over the port space in edge order keeps the bits of the selectors covering
 * the current port, so each elementary interval costs its edges, not a pass over every
 * selector. Every edge is where some selector starts or stops covering, so neighbouring
 * intervals always differ in bits: the intervals are already the longest runs, nothing to merge.
 */
static int compile_proto(struct compile_ctx *c, __u32 policy, unsigned int proto,
			 const struct sel *sels, const size_t *idx, size_t n_idx,
			 struct edge *edges, size_t *n_entries)
{
	struct eniaddr_rule_bits bits = { 0 };
	size_t ne = 0, e = 0;
	uint32_t cur = 0, next;
	int ret;

	for (size_t j = 0; j < n_idx; j++) {
		edges[ne++] = (struct edge){ sels[idx[j]].lo, (unsigned int)idx[j], true };
		edges[ne++] = (struct edge){ sels[idx[j]].hi + 1, (unsigned int)idx[j], false };
	}
	qsort(edges, ne, sizeof(*edges), edge_cmp);
	while (cur < PORT_SPACE) {
		for (; e < ne && edges[e].at <= cur; e++) {
			__u64 m = 1ull << (edges[e].bit % 64);

			if (edges[e].on)
				bits.w[edges[e].bit / 64] |= m;
			else
				bits.w[edges[e].bit / 64] &= ~m;
		}
		next = e < ne ? edges[e].at : PORT_SPACE;
		if (bits_any(&bits)) { /* else no entry: the lookup misses, no rule */
			ret = emit_interval(c, policy, proto, cur, next - 1, &bits, n_entries);
			if (ret)
				return ret;
		}
		cur = next;
	}
	return 0;
}

int compile_l4(struct compile_ctx *c, __u32 policy, const struct sel *sels, size_t n,
	       size_t *n_entries)
{
	size_t n_all = 0, first = 0, *idx;
	struct edge *edges;
	int ret = 0;

	*n_entries = 0;
	if (!n)
		return 0;
	idx = calloc(n, sizeof(*idx));
	edges = calloc(2 * n, sizeof(*edges));
	if (!idx || !edges) {
		ret = -ENOMEM;
		goto out;
	}
	/* sels is sorted, so the "all" selectors (proto -1) come first. */
	while (n_all < n && sels[n_all].proto == SEL_PROTO_ALL)
		n_all++;
	for (size_t j = 0; j < n_all; j++)
		idx[j] = j;
	if (n_all)
		ret = emit_any_proto(c, policy, n_all, n_entries);
	first = n_all;
	for (int proto = 0; proto < 256 && !ret; proto++) {
		size_t n_idx = n_all;

		while (first < n && sels[first].proto == proto)
			idx[n_idx++] = first++;
		/* Only protocols named by some rule get entries of their own, with the "all"
		 * selectors folded in: their intervals are then never empty, so a lookup never
		 * falls through to the policy-wide entry. Other protocols find that entry. */
		if (n_idx > n_all)
			ret = compile_proto(c, policy, (unsigned int)proto, sels, idx, n_idx, edges,
					    n_entries);
	}
out:
	free(idx);
	free(edges);
	return ret;
}
