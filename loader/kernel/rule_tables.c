// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/rule_tables.c — see rule_tables.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>

#include "kernel/rule_tables.h"

struct runs {
	const struct map_fds *m;
	int bit;
	void (*emit)(void *ctx, __u64 lo, __u64 hi);
	void *ctx;
	bool open;
	__u64 start, last;
};

int rule_trie_levels(enum rule_trie t)
{
	return t == RULE_TRIE_V4_PEER ? 4 : 3;
}

static void feed(struct runs *r, __u64 lo, __u64 hi, bool has)
{
	if (has && r->open) {
		r->last = hi;
	} else if (has) {
		r->open = true;
		r->start = lo;
		r->last = hi;
	} else if (r->open) {
		r->emit(r->ctx, r->start, r->last);
		r->open = false;
	}
}

static int class_has(const struct runs *r, __u32 cls, bool *has)
{
	struct eniaddr_rule_bits b;

	*has = false;
	if (!cls)
		return 0;
	if (bpf_map_lookup_elem(r->m->bits, &cls, &b))
		return -errno;
	*has = b.w[r->bit / 64] >> (r->bit % 64) & 1;
	return 0;
}

/* Entry e covering the keys [lo, lo + 256^levels - 1]. */
static int visit(struct runs *r, __u32 e, int levels, __u64 lo)
{
	__u64 span = 1ull << (8 * levels);
	struct eniaddr_trie_node node;
	__u32 idx;
	bool has;
	int err;

	if (!(e & ENIADDR_TRIE_CHILD) || !levels) {
		err = class_has(r, e & ENIADDR_TRIE_CHILD ? 0 : e, &has);
		if (!err)
			feed(r, lo, lo + span - 1, has);
		return err;
	}
	idx = e & ~ENIADDR_TRIE_CHILD;
	if (bpf_map_lookup_elem(r->m->trie, &idx, &node))
		return -errno;
	for (int i = 0; i < 256; i++) {
		err = visit(r, node.e[i], levels - 1, lo + (__u64)i * (span >> 8));
		if (err)
			return err;
	}
	return 0;
}

int rule_trie_runs(const struct map_fds *m, __u32 policy, enum rule_trie t, int bit,
		   void (*emit)(void *ctx, __u64 lo, __u64 hi), void *ctx)
{
	struct runs r = { .m = m, .bit = bit, .emit = emit, .ctx = ctx };
	__u32 idx = (policy & ENIADDR_POLICY_SLOT_BIT ? ENIADDR_MAX_POLICIES : 0) +
		    (policy & ENIADDR_POLICY_ID_MASK);
	struct eniaddr_policy pol;
	__u32 root;
	int err;

	if (bpf_map_lookup_elem(m->policies, &idx, &pol))
		return -errno;
	root = t == RULE_TRIE_V4_PEER ? pol.v4_root : pol.l4_root[t == RULE_TRIE_PORTS_V6];
	err = visit(&r, root, rule_trie_levels(t), 0);
	feed(&r, 0, 0, false); /* closes the last run */
	return err;
}
