/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/compile/priv.h — internals shared by compile.c (policies, owners, limits),
 * compile_policy.c (rule expansion, selectors, src entries) and compile_ports.c (l4 entries).
 * Not an API: only compile*.c include it.
 */
#ifndef ENIADDR_COMPILE_PRIV_H
#define ENIADDR_COMPILE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "compile/compile.h"

/* An L4 selector: protocol (SEL_PROTO_ALL or 0..255) and an inclusive 16-bit range. */
#define SEL_PROTO_ALL (-1)
struct sel {
	int proto;
	uint32_t lo, hi;
};

/* Entries are pushed while they fit the slot and only counted beyond, so a huge config costs
 * counting, not memory, and the error can still say how many were needed. */
struct compile_ctx {
	const struct desired_state *s;
	struct compiled *out;
	size_t src_needed, l4_needed;
	size_t src_cap, l4_cap;
};

/* One policy to build: a direction and a sorted, duplicate-free set of groups. */
struct policy_req {
	__u32 id;
	enum eniaddr_dir dir;
	const struct group **groups;
	size_t n_groups;
	char groups_str[STATE_WHERE_LEN]; /* "sg-a,sg-b" */
	const char *where;                /* the ENI or address that first used it */
	size_t n_src, n_l4;               /* entries it needs, for the capacity message */
};

/* The policies of one compile, in id order (id = index + 1, with the slot bit). */
struct policy_table {
	struct policy_req *v;
	size_t n, cap;
};

/*
 * compile/cache.c: the canonical inputs of every policy of t, in id order, into key (see
 * struct compile_cache); -ENOMEM.
 */
int cache_key_build(const struct desired_state *s, const struct policy_table *t,
		    struct compile_key *key);

/* Frees the rule part of c (srcs, l4s, policies, pol_tbl, nodes, bits). compile/cache.c */
void free_rules(struct compiled *c);

/* Whether cache holds the rule part compiled from cache->next (the key just built): then it
 * moves into out (moved to out->slot when compiled for the other) and the cache lends it until
 * compile_cache_keep(). Either way out carries the cache's new ticket; on a miss next becomes
 * the key out's rules will be compiled from. */
bool cache_take(struct compile_cache *cache, struct compiled *out);

static inline void bits_set(struct eniaddr_rule_bits *b, unsigned int bit)
{
	b->w[bit / 64] |= 1ull << (bit % 64);
}

static inline void bits_or(struct eniaddr_rule_bits *dst, const struct eniaddr_rule_bits *src)
{
	for (int i = 0; i < ENIADDR_RULE_WORDS; i++)
		dst->w[i] |= src->w[i];
}

static inline bool bits_any(const struct eniaddr_rule_bits *b)
{
	for (int i = 0; i < ENIADDR_RULE_WORDS; i++)
		if (b->w[i])
			return true;
	return false;
}

/* Rules of req -> src and l4 entries of req->id, info filled. compile_policy.c */
int compile_policy(struct compile_ctx *c, struct policy_req *req, struct compiled_policy *info,
		   struct err *e);

/* Sorted, distinct selectors (bit i = sels[i]) -> l4 entries of policy. compile_ports.c */
int compile_l4(struct compile_ctx *c, __u32 policy, const struct sel *sels, size_t n,
	       size_t *n_entries);

/* -E2BIG naming the prefixes when out has more distinct prefix lengths of a family than
 * eniaddr_state lists (ENIADDR_PFX_LENS). compile/prefixes.c */
int compile_check_pfx_lens(const struct desired_state *s, const struct compiled *out,
			   struct err *e);

#endif
