// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * loader/compile/cache.c — the rule part of a compile kept for the next one (compile.h, struct
 * compile_cache): the canonical inputs of the policies, and the copy and slot move of the part.
 *
 * The key follows what compile/policy.c reads, in the same order: a change there that reads one
 * more field must add it here, or a compile would reuse rules that no longer match. The test
 * (test_bpf_publish_cached) compiles every kind of change both ways and compares the maps.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile/priv.h"

static int grow(struct compile_key *k, size_t n)
{
	size_t cap = k->cap ? k->cap : 4096;
	uint8_t *grown;

	while (cap < k->n + n)
		cap *= 2;
	grown = realloc(k->v, cap);
	if (!grown)
		return -ENOMEM;
	k->v = grown;
	k->cap = cap;
	return 0;
}

static inline int put(struct compile_key *k, const void *p, size_t n)
{
	if (k->n + n > k->cap && grow(k, n))
		return -ENOMEM;
	memcpy(k->v + k->n, p, n);
	k->n += n;
	return 0;
}

static int put_u32(struct compile_key *k, uint32_t v)
{
	return put(k, &v, sizeof(v));
}

/* Length first, so "ab" + "c" never reads as "a" + "bc". */
static int put_str(struct compile_key *k, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	return put_u32(k, (uint32_t)n) ?: put(k, s, n);
}

static int put_prefix(struct compile_key *k, const struct ip_prefix *p)
{
	return put(k, p->addr, sizeof(p->addr)) ?: put(k, &p->plen, sizeof(p->plen));
}

static int put_prefixes(struct compile_key *k, const struct ip_prefix *v, size_t n)
{
	int ret = put_u32(k, (uint32_t)n);

	for (size_t i = 0; i < n && !ret; i++)
		ret = put_prefix(k, &v[i]);
	return ret;
}

/* The fields of a rule policy.c reads, in one piece (a group or prefix list peer adds its id). */
struct rule_fields {
	int32_t proto, from, to, peer_kind;
	uint8_t addr[16];
	uint8_t plen;
} __attribute__((packed));

static int put_rule(struct compile_key *k, const struct rule *r)
{
	struct rule_fields f = {
		.proto = r->proto, .from = r->from, .to = r->to, .peer_kind = (int32_t)r->peer_kind,
	};

	if (r->peer_kind == PEER_CIDR) {
		memcpy(f.addr, r->cidr.addr, sizeof(f.addr));
		f.plen = r->cidr.plen;
		return put(k, &f, sizeof(f));
	}
	return put(k, &f, sizeof(f)) ?: put_str(k, r->ref, sizeof(r->ref));
}

static bool has_group(const struct group_refs *refs, const char *id)
{
	for (size_t i = 0; i < refs->ids.n; i++)
		if (!strcmp(refs->ids.v[i], id))
			return true;
	return false;
}

/* The expansions of the groups rules name as peers, each built once per compile. */
struct peer_memo {
	struct peer_bytes {
		const struct group *g;
		struct compile_key bytes;
	} *v;
	size_t n, cap;
};

static int prefix_qcmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ip_prefix));
}

/*
 * What a group peer expands to (policy.c, expand_group): the group's members and the addresses
 * and delegated prefixes of every ENI carrying it. Order and repeats do not change the rules
 * (they are sorted and de-duplicated there), so they go in sorted and once each — an address
 * moving between two ENIs that both carry the group changes nothing — with the count including
 * repeats, which the expansion limit (check_fanout) counts.
 */
static int group_peer_bytes(const struct desired_state *s, const struct group *g,
			    struct compile_key *out)
{
	VEC(struct ip_prefix) all = { 0 };
	size_t uniq = 0;
	int ret = 0;

	for (size_t i = 0; i < g->members.n && !ret; i++)
		ret = VEC_PUSH(&all) ? (all.v[all.n - 1] = g->members.v[i], 0) : -ENOMEM;
	for (size_t i = 0; i < s->enis.n && !ret; i++) {
		const struct eni *n = &s->enis.v[i];

		if (!has_group(&n->groups, g->id))
			continue;
		for (size_t j = 0; j < n->addrs.n && !ret; j++)
			ret = VEC_PUSH(&all) ? (all.v[all.n - 1] = n->addrs.v[j].ip, 0) : -ENOMEM;
		for (size_t j = 0; j < n->prefixes.n && !ret; j++)
			ret = VEC_PUSH(&all) ? (all.v[all.n - 1] = n->prefixes.v[j], 0) : -ENOMEM;
	}
	if (!ret && all.n > 1)
		qsort(all.v, all.n, sizeof(*all.v), prefix_qcmp);
	for (size_t i = 0; i < all.n && !ret; i++)
		if (!uniq || prefix_qcmp(&all.v[uniq - 1], &all.v[i]))
			all.v[uniq++] = all.v[i];
	if (!ret)
		ret = put_u32(out, (uint32_t)all.n) ?: put_prefixes(out, all.v, uniq);
	VEC_FREE(&all);
	return ret;
}

static int put_group_peer(struct compile_key *k, const struct desired_state *s, const char *id,
			  struct peer_memo *memo)
{
	const struct group *g = state_find_group(s, id);
	struct peer_bytes *pb = NULL;
	int ret = put_u32(k, g != NULL);

	if (ret || !g)
		return ret;
	for (size_t i = 0; i < memo->n && !pb; i++)
		if (memo->v[i].g == g)
			pb = &memo->v[i];
	if (!pb) {
		pb = VEC_PUSH(memo);
		if (!pb)
			return -ENOMEM;
		pb->g = g;
		ret = group_peer_bytes(s, g, &pb->bytes);
	}
	return ret ?: put(k, pb->bytes.v, pb->bytes.n);
}

static int put_list_peer(struct compile_key *k, const struct desired_state *s, const char *id)
{
	const struct prefix_list *pl = state_find_prefix_list(s, id);
	int ret = put_u32(k, pl != NULL);

	return ret || !pl ? ret : put_prefixes(k, pl->cidrs.v, pl->cidrs.n);
}

/* Whether an earlier rule of the same policy (groups before gi, rules before ri) named the
 * same peer: its expansion is in the key already. */
static bool peer_seen(const struct policy_req *req, size_t gi, size_t ri, const struct rule *r)
{
	bool in = req->dir == ENIADDR_DIR_INGRESS;

	for (size_t i = 0; i <= gi; i++) {
		const struct group *g = req->groups[i];
		const struct rule *v = in ? g->ingress.v : g->egress.v;
		size_t n = i < gi ? (in ? g->ingress.n : g->egress.n) : ri;

		for (size_t j = 0; j < n; j++)
			if (v[j].peer_kind == r->peer_kind && !strcmp(v[j].ref, r->ref))
				return true;
	}
	return false;
}

static int put_policy(struct compile_key *k, const struct desired_state *s,
		      const struct policy_req *req, struct peer_memo *memo)
{
	bool in = req->dir == ENIADDR_DIR_INGRESS, refs = false;
	int ret = put_u32(k, req->id & ~ENIADDR_POLICY_SLOT_BIT) ?: put_u32(k, (uint32_t)req->dir) ?:
		  put_u32(k, (uint32_t)req->n_groups);

	for (size_t i = 0; i < req->n_groups && !ret; i++) {
		const struct group *g = req->groups[i];
		const struct rule *v = in ? g->ingress.v : g->egress.v;
		size_t n = in ? g->ingress.n : g->egress.n;

		ret = put_str(k, g->id, sizeof(g->id)) ?: put_u32(k, g->egress_set) ?:
		      put_u32(k, (uint32_t)n);
		for (size_t j = 0; j < n && !ret; j++) {
			ret = put_rule(k, &v[j]);
			refs |= v[j].peer_kind != PEER_CIDR;
		}
	}
	/* the peers the rules name, each once */
	for (size_t i = 0; i < req->n_groups && !ret && refs; i++) {
		const struct group *g = req->groups[i];
		const struct rule *v = in ? g->ingress.v : g->egress.v;
		size_t n = in ? g->ingress.n : g->egress.n;

		for (size_t j = 0; j < n && !ret; j++) {
			if (v[j].peer_kind == PEER_CIDR || peer_seen(req, i, j, &v[j]))
				continue;
			ret = v[j].peer_kind == PEER_GROUP ? put_group_peer(k, s, v[j].ref, memo)
							   : put_list_peer(k, s, v[j].ref);
		}
	}
	return ret;
}

int cache_key_build(const struct desired_state *s, const struct policy_table *t,
		    struct compile_key *key)
{
	struct peer_memo memo = { 0 };
	int ret = put_u32(key, (uint32_t)t->n);

	for (size_t i = 0; i < t->n && !ret; i++)
		ret = put_policy(key, s, &t->v[i], &memo);
	for (size_t i = 0; i < memo.n; i++)
		VEC_FREE(&memo.v[i].bytes);
	VEC_FREE(&memo);
	return ret;
}

void free_rules(struct compiled *c)
{
	VEC_FREE(&c->srcs);
	VEC_FREE(&c->l4s);
	VEC_FREE(&c->policies);
	VEC_FREE(&c->pol_tbl);
	VEC_FREE(&c->nodes);
	VEC_FREE(&c->bits);
}

static __u32 policy_in_slot(__u32 id, unsigned int slot)
{
	return (id & ~ENIADDR_POLICY_SLOT_BIT) | (slot ? ENIADDR_POLICY_SLOT_BIT : 0);
}

/* A trie entry or root (maps/eniaddr.h) of the other slot's half, in this slot's half. */
static __u32 entry_moved(__u32 x, __u32 node_delta, __u32 bits_delta)
{
	if (!x)
		return 0;
	if (x & ENIADDR_TRIE_CHILD)
		return ENIADDR_TRIE_CHILD | ((x & ~ENIADDR_TRIE_CHILD) + node_delta);
	return x + bits_delta;
}

/*
 * The rule part compiled for the other slot, as a compile for c->slot makes it: policy ids carry
 * the slot bit, trie entries name nodes and classes in the slot's half of each array. Nothing
 * else depends on the slot (the tables are built in the same order whatever the half).
 */
static void move_rules(struct compiled *c, unsigned int from)
{
	__u32 nd = (c->slot - from) * (ENIADDR_MAX_TRIE_NODES / 2); /* modulo 2^32: may go down */
	__u32 bd = (c->slot - from) * (ENIADDR_MAX_BITS / 2);

	for (size_t i = 0; i < c->srcs.n; i++)
		c->srcs.v[i].k.policy = policy_in_slot(c->srcs.v[i].k.policy, c->slot);
	for (size_t i = 0; i < c->l4s.n; i++)
		c->l4s.v[i].k.policy = policy_in_slot(c->l4s.v[i].k.policy, c->slot);
	for (size_t i = 0; i < c->policies.n; i++)
		c->policies.v[i].id = policy_in_slot(c->policies.v[i].id, c->slot);
	for (size_t i = 0; i < c->pol_tbl.n; i++) {
		struct eniaddr_policy *p = &c->pol_tbl.v[i];

		p->v4_root = entry_moved(p->v4_root, nd, bd);
		p->l4_root[0] = entry_moved(p->l4_root[0], nd, bd);
		p->l4_root[1] = entry_moved(p->l4_root[1], nd, bd);
	}
	for (size_t i = 0; i < c->nodes.n; i++)
		for (int b = 0; b < 256; b++)
			c->nodes.v[i].e[b] = entry_moved(c->nodes.v[i].e[b], nd, bd);
}

/* Moves the rule vectors of src into dst, leaving src's empty. */
static void move_vecs(struct compiled *dst, struct compiled *src)
{
#define MOVE(f) do { dst->f = src->f; memset(&src->f, 0, sizeof(src->f)); } while (0)
	MOVE(srcs);
	MOVE(l4s);
	MOVE(policies);
	MOVE(pol_tbl);
	MOVE(nodes);
	MOVE(bits);
#undef MOVE
}

/* A copy of n elements of size bytes (NULL for none); false when out of memory. */
static bool dup_elems(void **dst, size_t *dn, size_t *dcap, const void *src, size_t n,
		      size_t size)
{
	*dst = NULL;
	*dn = *dcap = 0;
	if (!n)
		return true;
	*dst = malloc(n * size);
	if (!*dst)
		return false;
	memcpy(*dst, src, n * size);
	*dn = *dcap = n;
	return true;
}

#define DUP(dst, src) \
	dup_elems((void **)&(dst)->v, &(dst)->n, &(dst)->cap, (src)->v, (src)->n, sizeof(*(src)->v))

/* c's rule part copied into dst and moved to the other slot. */
static bool copy_moved(struct compiled *dst, const struct compiled *c)
{
	bool ok = DUP(&dst->srcs, &c->srcs) && DUP(&dst->l4s, &c->l4s) &&
		  DUP(&dst->policies, &c->policies) && DUP(&dst->pol_tbl, &c->pol_tbl) &&
		  DUP(&dst->nodes, &c->nodes) && DUP(&dst->bits, &c->bits);

	if (!ok) {
		free_rules(dst);
		return false;
	}
	dst->slot = 1 - c->slot;
	move_rules(dst, c->slot);
	return true;
}

bool cache_take(struct compile_cache *cache, struct compiled *out)
{
	unsigned int s = out->slot;
	bool same = cache->key.v && cache->key.n == cache->next.n &&
		    !memcmp(cache->key.v, cache->next.v, cache->next.n);
	struct compile_key k;

	out->cache_ticket = ++cache->ticket;
	if (same && (cache->valid[s] || cache->valid[1 - s])) {
		unsigned int from = cache->valid[s] ? s : 1 - s;

		move_vecs(out, &cache->rules[from]);
		cache->valid[from] = false; /* lent until compile_cache_keep() */
		if (from != s)
			move_rules(out, from);
		cache->hits++;
		return true;
	}
	/* out's rules will be compiled from next: it becomes the key, the old key's buffer the
	 * next one's */
	for (int i = 0; i < 2; i++) {
		free_rules(&cache->rules[i]);
		cache->valid[i] = false;
	}
	k = cache->key;
	cache->key = cache->next;
	cache->next = k;
	cache->misses++;
	return false;
}

void compile_cache_keep(struct compile_cache *cache, struct compiled *c)
{
	unsigned int s = c->slot;

	if (c->cache_ticket && c->cache_ticket == cache->ticket && cache->key.v && s <= 1) {
		free_rules(&cache->rules[s]);
		move_vecs(&cache->rules[s], c);
		cache->rules[s].slot = s;
		cache->valid[s] = true;
		/* The next publish goes to the other slot: its copy is made now, after this one
		 * is published, not between the next decision and its publish. */
		if (!cache->valid[1 - s]) {
			free_rules(&cache->rules[1 - s]);
			cache->valid[1 - s] = copy_moved(&cache->rules[1 - s], &cache->rules[s]);
		}
	}
	compiled_free(c);
}

void compile_cache_free(struct compile_cache *cache)
{
	for (int i = 0; i < 2; i++) {
		free_rules(&cache->rules[i]);
		cache->valid[i] = false;
	}
	VEC_FREE(&cache->key);
	VEC_FREE(&cache->next);
}
