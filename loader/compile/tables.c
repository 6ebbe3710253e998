// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * loader/compile/tables.c — the rule entries (eniaddr_src for IPv4 peers, eniaddr_l4) -> the
 * tables the datapath reads: per policy, multibit tries of stride 8 whose leaves are classes of
 * rule bits (maps/eniaddr.h, eniaddr_policies / eniaddr_trie / eniaddr_bits).
 *
 * Longest match by construction (controlled prefix expansion with leaf pushing): a policy's
 * entries are inserted shortest first; a prefix of length L fills the entries it covers in the
 * node of its last key byte, and a longer one later overwrites its own part, descending through
 * child nodes that start as copies of the entry they replace. The entries already hold the union
 * of every covering rule, so the one leaf found is the answer. Identical bit sets share a class.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile/priv.h"

#define NODES_PER_SLOT (ENIADDR_MAX_TRIE_NODES / 2)
#define BITS_PER_SLOT  (ENIADDR_MAX_BITS / 2)

struct tables {
	struct compiled *c;
	__u32 node_base, bits_base;
	__u32 *seen;     /* open-addressing set of bits indexes, for sharing classes */
	size_t seen_cap; /* power of two */
	const char *policy; /* groups of the policy being built, for messages */
	struct err *e;
};

static uint64_t bits_hash(const struct eniaddr_rule_bits *b)
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < ENIADDR_RULE_WORDS; i++)
		h = (h ^ b->w[i]) * 1099511628211ull;
	/* A multiply carries a word's high bits only upwards: fold them into the low bits the
	 * table index takes (MurmurHash3's finaliser), or classes differing in high rule bits
	 * all probe from the same place. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

/* The class of b: an existing one with the same bits, or a new one. */
static int class_of(struct tables *t, const struct eniaddr_rule_bits *b, __u32 *cls)
{
	size_t i = bits_hash(b) & (t->seen_cap - 1);
	struct eniaddr_rule_bits *slot;

	for (; t->seen[i]; i = (i + 1) & (t->seen_cap - 1))
		if (!memcmp(&t->c->bits.v[t->seen[i]], b, sizeof(*b))) {
			*cls = t->bits_base + t->seen[i];
			return 0;
		}
	if (t->c->bits.n >= BITS_PER_SLOT)
		return err_set(t->e, E2BIG,
			       "%s: slot %u: the rules need more than %d rule-bit classes (policy of %s); raise ENIADDR_MAX_BITS",
			       ENIADDR_STR(ENIADDR_MAP_BITS), t->c->slot, BITS_PER_SLOT, t->policy);
	slot = VEC_PUSH(&t->c->bits);
	if (!slot)
		return -ENOMEM;
	*slot = *b;
	t->seen[i] = (__u32)(t->c->bits.n - 1);
	*cls = t->bits_base + t->seen[i];
	return 0;
}

/* A new node whose 256 entries all hold fill; *entry receives the child entry naming it. */
static int new_node(struct tables *t, __u32 fill, __u32 *entry)
{
	struct eniaddr_trie_node *n;

	if (t->c->nodes.n >= NODES_PER_SLOT)
		return err_set(t->e, E2BIG,
			       "%s: slot %u: the rules need more than %d trie nodes (policy of %s); raise ENIADDR_MAX_TRIE_NODES",
			       ENIADDR_STR(ENIADDR_MAP_TRIE), t->c->slot, NODES_PER_SLOT, t->policy);
	n = VEC_PUSH(&t->c->nodes);
	if (!n)
		return -ENOMEM;
	for (int i = 0; i < 256; i++)
		n->e[i] = fill;
	*entry = ENIADDR_TRIE_CHILD | (t->node_base + (__u32)(t->c->nodes.n - 1));
	return 0;
}

/* The entry *at (a root, or an entry of a node) as a child node, created when it is a leaf. Node
 * memory moves as nodes are added, so entries are addressed by (node, byte), never by pointer. */
static int descend(struct tables *t, __u32 *root, size_t node, int byte, size_t *child)
{
	__u32 e = root ? *root : t->c->nodes.v[node].e[byte], made;
	int ret;

	if (!(e & ENIADDR_TRIE_CHILD)) {
		ret = new_node(t, e, &made);
		if (ret)
			return ret;
		if (root)
			*root = made;
		else
			t->c->nodes.v[node].e[byte] = made;
		e = made;
	}
	*child = (e & ~ENIADDR_TRIE_CHILD) - t->node_base;
	return 0;
}

/* Inserts the prefix of plen bits of key (n bytes) with class cls under *root. Shorter prefixes
 * were inserted before, so the entries it covers are leaves. */
static int trie_insert(struct tables *t, __u32 *root, const __u8 *key, int n, int plen, __u32 cls)
{
	size_t node;
	int ret, k;

	if (plen == 0) {
		*root = cls;
		return 0;
	}
	ret = descend(t, root, 0, 0, &node);
	for (k = 0; !ret && plen > 8 * (k + 1); k++)
		ret = descend(t, NULL, node, key[k], &node);
	if (ret)
		return ret;
	if (k >= n)
		return err_set(t->e, EINVAL, "rule tables: a prefix of %d bits in a %d-byte key", plen,
			       n);
	{
		int span = 1 << (8 * (k + 1) - plen), first = key[k] & ~(span - 1);

		for (int b = first; b < first + span; b++) {
			if (t->c->nodes.v[node].e[b] & ENIADDR_TRIE_CHILD)
				return err_set(t->e, EINVAL,
					       "rule tables: entries not inserted shortest first");
			t->c->nodes.v[node].e[b] = cls;
		}
	}
	return 0;
}

/* One entry of a policy to insert: its key bytes, their prefix length, its bits. */
struct ins {
	__u32 id;  /* rule-map policy id (with the family bit) */
	bool l4;
	__u8 key[4];
	int plen;
	const struct eniaddr_rule_bits *bits;
};

static int ins_cmp(const void *a, const void *b)
{
	const struct ins *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->l4 != y->l4)
		return x->l4 ? 1 : -1;
	return (x->plen > y->plen) - (x->plen < y->plen);
}

static const char *groups_of(const struct compiled *c, __u32 id)
{
	for (size_t i = 0; i < c->policies.n; i++)
		if (c->policies.v[i].id == (id & ~ENIADDR_POLICY_V6_BIT))
			return c->policies.v[i].groups;
	return "?";
}

/* srcs (IPv4 only: IPv6 peers stay in eniaddr_src) and l4s -> one insertion list. */
static struct ins *collect(const struct compiled *c, size_t *n_out)
{
	struct ins *v = calloc(c->srcs.n + c->l4s.n + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < c->srcs.n; i++) {
		const struct compiled_src *s = &c->srcs.v[i];

		if (s->k.policy & ENIADDR_POLICY_V6_BIT)
			continue;
		v[n].id = s->k.policy;
		memcpy(v[n].key, &s->k.addr[12], 4);
		v[n].plen = (int)s->k.prefixlen - 32 - 96; /* IPv4-mapped: the last 32 bits */
		v[n++].bits = &s->v;
	}
	for (size_t i = 0; i < c->l4s.n; i++) {
		const struct compiled_l4 *l = &c->l4s.v[i];

		v[n].id = l->k.policy;
		v[n].l4 = true;
		memcpy(v[n].key, &l->k.sel, 4); /* protocol, port high, port low, 0 */
		v[n].plen = (int)l->k.prefixlen - 32;
		v[n++].bits = &l->v;
	}
	qsort(v, n, sizeof(*v), ins_cmp);
	*n_out = n;
	return v;
}

/* The eniaddr_policies entry of rule-map id, the table grown to hold it. */
static int policy_entry(struct tables *t, __u32 id, struct eniaddr_policy **out)
{
	__u32 local = id & ENIADDR_POLICY_ID_MASK;

	if ((id & ~(ENIADDR_POLICY_SLOT_BIT | ENIADDR_POLICY_V6_BIT)) >= ENIADDR_MAX_POLICIES)
		return err_set(t->e, E2BIG, "%s: slot %u: more than %d policies; raise ENIADDR_MAX_POLICIES",
			       ENIADDR_STR(ENIADDR_MAP_POLICIES), t->c->slot,
			       ENIADDR_MAX_POLICIES - 1);
	while (t->c->pol_tbl.n <= local)
		if (!VEC_PUSH(&t->c->pol_tbl))
			return -ENOMEM;
	*out = &t->c->pol_tbl.v[local];
	return 0;
}

int compile_tables(struct compiled *c, struct err *e)
{
	struct tables t = {
		.c = c,
		.node_base = c->slot * NODES_PER_SLOT,
		.bits_base = c->slot * BITS_PER_SLOT,
		.e = e,
	};
	size_t n = 0;
	struct ins *v = collect(c, &n);
	int ret = 0;

	t.seen_cap = 16;
	while (t.seen_cap < 2 * (n + 1))
		t.seen_cap *= 2;
	t.seen = calloc(t.seen_cap, sizeof(*t.seen));
	/* index 0 of each table is never used: 0 means "none" */
	if (!v || !t.seen || !VEC_PUSH(&c->nodes) || !VEC_PUSH(&c->bits) || !VEC_PUSH(&c->pol_tbl))
		ret = -ENOMEM;
	for (size_t i = 0; i < n && !ret; i++) {
		struct eniaddr_policy *pol = NULL;
		__u32 cls = 0, *root;

		t.policy = groups_of(c, v[i].id);
		ret = class_of(&t, v[i].bits, &cls);
		if (!ret)
			ret = policy_entry(&t, v[i].id, &pol);
		if (ret)
			break;
		root = v[i].l4 ? &pol->l4_root[!!(v[i].id & ENIADDR_POLICY_V6_BIT)] : &pol->v4_root;
		if (v[i].plen < 0 || v[i].plen > (v[i].l4 ? 24 : 32))
			ret = err_set(e, EINVAL, "rule tables: prefix length %d out of range",
				      v[i].plen);
		else
			ret = trie_insert(&t, root, v[i].key, v[i].l4 ? 3 : 4, v[i].plen, cls);
	}
	free(v);
	free(t.seen);
	return ret;
}
