// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * loader/compile/compile.c — see compile.h. This file finds the policies (one per direction and set of
 * groups), writes the owner entries (ENIs, addresses, delegated prefixes), checks that the slot
 * holds everything and sorts the result; compile_policy.c and compile_ports.c build the rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile/priv.h"

static int cmp_group_id(const void *a, const void *b)
{
	return strcmp((*(const struct group *const *)a)->id, (*(const struct group *const *)b)->id);
}

/* "sg-a,sg-b"; a list longer than buf ends in "..." rather than silently. */
static void join_ids(const struct group **groups, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + used, len - used, "%s%s", i ? "," : "", groups[i]->id);

		if (w < 0 || (size_t)w >= len - used) {
			memcpy(buf + len - 4, "...", 4);
			return;
		}
		used += (size_t)w;
	}
}

/* Groups are compared as the sorted, duplicate-free pointer lists state_find_group gives. */
static struct policy_req *policy_find(struct policy_table *t, enum eniaddr_dir dir,
				      const struct group **groups, size_t n)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].dir == dir && t->v[i].n_groups == n &&
		    !memcmp(t->v[i].groups, groups, n * sizeof(*groups)))
			return &t->v[i];
	return NULL;
}

/*
 * The policy of (dir, refs): found or added with the next id. An empty list is
 * ENIADDR_POLICY_NONE, nothing allowed. On AWS an ENI always has a group; for one configured
 * without any we allow no outbound traffic either, rather than invent an allow-all.
 */
static int policy_get(const struct desired_state *s, struct policy_table *t, unsigned int slot,
		      enum eniaddr_dir dir, const struct group_refs *refs, const char *where,
		      __u32 *id, struct err *e)
{
	const struct group **groups;
	struct policy_req *req;
	size_t n = 0;

	*id = ENIADDR_POLICY_NONE;
	if (!refs->ids.n)
		return 0;
	groups = calloc(refs->ids.n, sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	for (size_t i = 0; i < refs->ids.n; i++) {
		groups[n] = state_find_group(s, refs->ids.v[i]);
		if (!groups[n]) {
			free(groups);
			return err_set(e, EINVAL, "%s: group %s is not defined", where,
				       refs->ids.v[i]);
		}
		n++;
	}
	qsort(groups, n, sizeof(*groups), cmp_group_id);
	n = 0; /* drop duplicates: a group listed twice is the same set */
	for (size_t i = 0; i < refs->ids.n; i++)
		if (!n || groups[i] != groups[n - 1])
			groups[n++] = groups[i];
	req = policy_find(t, dir, groups, n);
	if (req) {
		free(groups);
		*id = req->id;
		return 0;
	}
	req = VEC_PUSH(t);
	if (!req) {
		free(groups);
		return -ENOMEM;
	}
	req->id = (__u32)t->n | (slot ? ENIADDR_POLICY_SLOT_BIT : 0);
	req->dir = dir;
	req->groups = groups;
	req->n_groups = n;
	req->where = where;
	join_ids(groups, n, req->groups_str, sizeof(req->groups_str));
	*id = req->id;
	return 0;
}

static int add_eni(const struct desired_state *s, struct policy_table *t, struct compiled *out,
		   const struct eni *n, struct err *e)
{
	struct compiled_eni *ce;
	__u32 in, outp;
	int ret;

	if (n->ifindex <= 0)
		return err_set(e, EINVAL, "%s: interface is not resolved (no ifindex)", n->where);
	if ((ret = policy_get(s, t, out->slot, ENIADDR_DIR_INGRESS, &n->groups, n->where, &in, e)) ||
	    (ret = policy_get(s, t, out->slot, ENIADDR_DIR_EGRESS, &n->groups, n->where, &outp, e)))
		return ret;
	if (!(ce = VEC_PUSH(&out->enis)))
		return -ENOMEM;
	ce->k.slot = out->slot;
	ce->k.ifindex = (__u32)n->ifindex;
	ce->v.in_policy = in;
	ce->v.out_policy = outp;
	ce->v.mode = (__u8)n->mode;
	ce->v.flags = n->src_check ? ENIADDR_ENI_F_SRC_CHECK : 0;
	ce->v.timeouts = n->timeouts;

	for (size_t i = 0; i < n->addrs.n; i++) {
		const struct address *a = &n->addrs.v[i];
		struct compiled_addr *ca;
		__u32 a_in = in;

		if (!ip_prefix_is_host(&a->ip))
			return err_set(e, EINVAL, "%s: address is not a single host", a->where);
		if (a->has_override &&
		    (ret = policy_get(s, t, out->slot, ENIADDR_DIR_INGRESS, &a->groups, a->where,
				      &a_in, e)))
			return ret;
		if (!(ca = VEC_PUSH(&out->addrs)))
			return -ENOMEM;
		ca->k.slot = out->slot;
		memcpy(ca->k.addr, a->ip.addr, 16);
		ca->v.ifindex = (__u32)n->ifindex;
		ca->v.in_policy = a_in;
		ca->v.out_policy = outp;
		ca->v.flags = (a->primary ? ENIADDR_ADDR_F_PRIMARY : 0) |
			      (a->has_override ? ENIADDR_ADDR_F_OVERRIDE : 0);
	}
	for (size_t i = 0; i < n->prefixes.n; i++) {
		struct compiled_pfx *cp = VEC_PUSH(&out->pfxs);
		struct ip_prefix p = n->prefixes.v[i];

		if (!cp)
			return -ENOMEM;
		ip_prefix_clear_host_bits(&p); /* an exact-match key: the datapath masks the same */
		cp->k.prefixlen = 32 + p.plen;
		cp->k.slot = out->slot;
		memcpy(cp->k.addr, p.addr, 16);
		cp->v.ifindex = (__u32)n->ifindex;
		cp->v.in_policy = in;
		cp->v.out_policy = outp;
		cp->v.flags = ENIADDR_ADDR_F_PREFIX;
	}
	return 0;
}

/* The policy with most entries of a map, so a capacity error says where they come from. */
static const struct policy_req *largest(const struct policy_table *t, bool l4)
{
	const struct policy_req *best = NULL;

	for (size_t i = 0; i < t->n; i++)
		if (!best || (l4 ? t->v[i].n_l4 > best->n_l4 : t->v[i].n_src > best->n_src))
			best = &t->v[i];
	return best;
}

static int check_rules_fit(const struct compile_ctx *c, const struct policy_table *t,
			   struct err *e)
{
	for (int l4 = 0; l4 < 2; l4++) {
		size_t needed = l4 ? c->l4_needed : c->src_needed;
		size_t cap = l4 ? c->l4_cap : c->src_cap;
		const struct policy_req *big = largest(t, l4);

		if (needed > cap)
			return err_set(e, E2BIG,
				       "%s: slot %u: %zu entries needed, %zu fit; largest: %s policy of %s (first used by %s) with %zu",
				       l4 ? ENIADDR_STR(ENIADDR_MAP_L4) : ENIADDR_STR(ENIADDR_MAP_SRC),
				       c->out->slot, needed, cap,
				       big->dir == ENIADDR_DIR_INGRESS ? "ingress" : "egress",
				       big->groups_str, big->where, l4 ? big->n_l4 : big->n_src);
	}
	return 0;
}

/* How many exact addresses (or delegated prefixes) of family v6 ENI n owns. */
static size_t owned_of_family(const struct eni *n, bool prefixes, bool v6)
{
	size_t k = 0;

	if (prefixes)
		for (size_t i = 0; i < n->prefixes.n; i++)
			k += ip_prefix_is_v4(&n->prefixes.v[i]) != v6;
	else
		for (size_t i = 0; i < n->addrs.n; i++)
			k += ip_is_v4(n->addrs.v[i].ip.addr) != v6;
	return k;
}

/* The ENI with most addresses (or delegated prefixes) of a family, named by a capacity error. */
static const struct eni *most_owned(const struct desired_state *s, bool prefixes, bool v6,
				    size_t *count)
{
	const struct eni *best = NULL;

	*count = 0;
	for (size_t i = 0; i < s->enis.n; i++) {
		size_t k = owned_of_family(&s->enis.v[i], prefixes, v6);

		if (!best || k > *count) {
			best = &s->enis.v[i];
			*count = k;
		}
	}
	return best;
}

/* Each family has maps of its own (maps/eniaddr.h), each holding half its size per slot. */
static int check_owners_fit(const struct desired_state *s, const struct compiled *out,
			    struct err *e)
{
	const char *map[2][2] = {
		{ ENIADDR_STR(ENIADDR_MAP_ADDRS4), ENIADDR_STR(ENIADDR_MAP_ADDRS) },
		{ ENIADDR_STR(ENIADDR_MAP_PFX4), ENIADDR_STR(ENIADDR_MAP_PFX) },
	};
	const size_t cap[2] = { ENIADDR_MAX_ADDRS / 2, ENIADDR_MAX_PREFIXES / 2 };
	size_t n[2][2] = {}, most;
	const struct eni *big;

	if (out->enis.n > ENIADDR_MAX_ENIS)
		return err_set(e, E2BIG, "%s: slot %u: %zu entries needed, %d fit: too many ENIs",
			       ENIADDR_STR(ENIADDR_MAP_ENIS), out->slot, out->enis.n,
			       ENIADDR_MAX_ENIS);
	for (size_t i = 0; i < out->addrs.n; i++)
		n[0][!ip_is_v4(out->addrs.v[i].k.addr)]++;
	for (size_t i = 0; i < out->pfxs.n; i++)
		n[1][!ip_is_v4(out->pfxs.v[i].k.addr)]++;
	for (int p = 0; p < 2; p++)
		for (int v6 = 0; v6 < 2; v6++) {
			if (n[p][v6] <= cap[p])
				continue;
			big = most_owned(s, p, v6, &most);
			return err_set(e, E2BIG,
				       "%s: slot %u: %zu entries needed, %zu fit; most on %s with %zu",
				       map[p][v6], out->slot, n[p][v6], cap[p], big->where, most);
		}
	return 0;
}

#define CMP(a, b) (((a) > (b)) - ((a) < (b)))

static int cmp_eni(const void *a, const void *b)
{
	return CMP(((const struct compiled_eni *)a)->k.ifindex,
		   ((const struct compiled_eni *)b)->k.ifindex);
}

static int cmp_addr(const void *a, const void *b)
{
	return memcmp(((const struct compiled_addr *)a)->k.addr,
		      ((const struct compiled_addr *)b)->k.addr, 16);
}

static int cmp_pfx(const void *a, const void *b)
{
	const struct compiled_pfx *x = a, *y = b;
	int d = memcmp(x->k.addr, y->k.addr, 16);

	return d ? d : CMP(x->k.prefixlen, y->k.prefixlen);
}

static int cmp_src(const void *a, const void *b)
{
	const struct compiled_src *x = a, *y = b;
	int d;

	if (x->k.policy != y->k.policy)
		return CMP(x->k.policy, y->k.policy);
	d = memcmp(x->k.addr, y->k.addr, 16);
	return d ? d : CMP(x->k.prefixlen, y->k.prefixlen);
}

static int cmp_l4(const void *a, const void *b)
{
	const struct compiled_l4 *x = a, *y = b;

	if (x->k.policy != y->k.policy)
		return CMP(x->k.policy, y->k.policy);
	if (x->k.sel != y->k.sel)
		return CMP(ntohl(x->k.sel), ntohl(y->k.sel));
	return CMP(x->k.prefixlen, y->k.prefixlen);
}

static int cmp_policy(const void *a, const void *b)
{
	return CMP(((const struct compiled_policy *)a)->id, ((const struct compiled_policy *)b)->id);
}

/* qsort() must not see the NULL of an empty vector. */
#define SORT_VEC(vec, cmp) \
	do { if ((vec)->n > 1) qsort((vec)->v, (vec)->n, sizeof(*(vec)->v), cmp); } while (0)

/* Every vector sorted by its key, so equal states compile to equal output and diffs stay small
 * (compile_rules sorts the rule part). */
static void sort_owners(struct compiled *out)
{
	SORT_VEC(&out->enis, cmp_eni);
	SORT_VEC(&out->addrs, cmp_addr);
	SORT_VEC(&out->pfxs, cmp_pfx);
}

/* The policy id of out (policies sorted by id: compile_rules), NULL for ENIADDR_POLICY_NONE.
 * A binary search: it runs twice for each of 10,000s of addresses. */
static const struct compiled_policy *policy_of(const struct compiled *out, __u32 id)
{
	const struct compiled_policy key = { .id = id };

	return out->policies.n ? bsearch(&key, out->policies.v, out->policies.n,
					 sizeof(key), cmp_policy) : NULL;
}

static unsigned int policy_rules(const struct compiled *out, __u32 id)
{
	const struct compiled_policy *p = policy_of(out, id);

	return p ? p->n_rules : 0;
}

/* For status: each ENI's rule counts, capped at what the u16 fields hold. */
static void fill_rule_counts(struct compiled *out)
{
	for (size_t i = 0; i < out->enis.n; i++) {
		struct eniaddr_eni *v = &out->enis.v[i].v;
		unsigned int in = policy_rules(out, v->in_policy), o = policy_rules(out, v->out_policy);

		v->in_rules = (__u16)(in > 0xffff ? 0xffff : in);
		v->out_rules = (__u16)(o > 0xffff ? 0xffff : o);
	}
}

static unsigned int policy_open(const struct compiled *out, __u32 id)
{
	const struct compiled_policy *p = policy_of(out, id);

	return p ? p->open : 0; /* ENIADDR_POLICY_NONE: nothing is open */
}

/* ENIADDR_ADDR_F_{IN,OUT}_OPEN_* of an owner: which of its policies are open for its family;
 * the datapath pairs them with the rule that permits a flow (maps/eniaddr.h). */
static __u32 untracked_flags(const struct compiled *out, const struct eniaddr_owner *o,
			     const uint8_t addr[16])
{
	unsigned int in = policy_open(out, o->in_policy), op = policy_open(out, o->out_policy);
	bool v4 = ip_is_v4(addr);
	unsigned int tcp = v4 ? POLICY_OPEN_TCP4 : POLICY_OPEN_TCP6;
	unsigned int udp = v4 ? POLICY_OPEN_UDP4 : POLICY_OPEN_UDP6;

	return (in & tcp ? ENIADDR_ADDR_F_IN_OPEN_TCP : 0) |
	       (in & udp ? ENIADDR_ADDR_F_IN_OPEN_UDP : 0) |
	       (op & tcp ? ENIADDR_ADDR_F_OUT_OPEN_TCP : 0) |
	       (op & udp ? ENIADDR_ADDR_F_OUT_OPEN_UDP : 0);
}

static void mark_untracked(struct compiled *out)
{
	for (size_t i = 0; i < out->addrs.n; i++)
		out->addrs.v[i].v.flags |= untracked_flags(out, &out->addrs.v[i].v,
							   out->addrs.v[i].k.addr);
	for (size_t i = 0; i < out->pfxs.n; i++)
		out->pfxs.v[i].v.flags |= untracked_flags(out, &out->pfxs.v[i].v,
							  out->pfxs.v[i].k.addr);
}

void compile_rule_span(struct eniaddr_rule_bits *b)
{
	int lo = -1, hi = 0;

	for (int i = 0; i < ENIADDR_RULE_WORDS; i++)
		if (b->w[i]) {
			lo = lo < 0 ? i : lo;
			hi = i;
		}
	b->lo = (__u8)(lo < 0 ? 0 : lo);
	b->hi = (__u8)hi;
}

/* Every policy of t compiled into out (src, l4 entries with their spans, policy info), sorted,
 * and the rule tables built from them (a class is a copy of an entry's value, span and all). */
static int compile_rules(struct compile_ctx *c, struct policy_table *t, struct compiled *out,
			 struct err *e)
{
	int ret = 0;

	for (size_t i = 0; i < t->n && !ret; i++) {
		struct compiled_policy *info = VEC_PUSH(&out->policies);

		ret = info ? compile_policy(c, &t->v[i], info, e) : -ENOMEM;
	}
	if (!ret)
		ret = check_rules_fit(c, t, e);
	if (!ret) {
		for (size_t i = 0; i < out->srcs.n; i++)
			compile_rule_span(&out->srcs.v[i].v);
		for (size_t i = 0; i < out->l4s.n; i++)
			compile_rule_span(&out->l4s.v[i].v);
		SORT_VEC(&out->srcs, cmp_src);
		SORT_VEC(&out->l4s, cmp_l4);
		SORT_VEC(&out->policies, cmp_policy);
		ret = compile_tables(out, e);
	}
	return ret;
}

int compile_state(const struct desired_state *s, unsigned int slot, struct compiled *out,
		  struct err *e)
{
	return compile_state_with(s, slot, NULL, out, e);
}

int compile_state_with(const struct desired_state *s, unsigned int slot,
		       struct compile_cache *cache, struct compiled *out, struct err *e)
{
	struct compile_ctx c = {
		.s = s, .out = out, .src_cap = ENIADDR_MAX_SRC / 2, .l4_cap = ENIADDR_MAX_L4 / 2,
	};
	struct policy_table t = { 0 };
	bool hit = false;
	int ret = 0;

	memset(out, 0, sizeof(*out));
	out->slot = slot;
	if (slot > 1)
		return err_set(e, EINVAL, "slot %u does not exist (0 or 1)", slot);
	for (size_t i = 0; i < s->enis.n && !ret; i++)
		ret = add_eni(s, &t, out, &s->enis.v[i], e);
	if (!ret)
		ret = check_owners_fit(s, out, e);
	if (!ret)
		ret = compile_check_pfx_lens(s, out, e);
	if (!ret)
		ret = compile_nexthops(s, out, e);
	/* The rules: the cache's when every policy's inputs are those it compiled, else built. */
	if (!ret && cache) {
		cache->next.n = 0;
		ret = cache_key_build(s, &t, &cache->next);
	}
	if (!ret && cache)
		hit = cache_take(cache, out);
	if (!ret && !hit)
		ret = compile_rules(&c, &t, out, e);
	if (!ret) {
		fill_rule_counts(out);
		mark_untracked(out);
		sort_owners(out);
	}
	for (size_t i = 0; i < t.n; i++)
		free(t.v[i].groups);
	VEC_FREE(&t);
	if (ret == -ENOMEM)
		err_set(e, ENOMEM, "compiling slot %u: out of memory", slot);
	if (ret)
		compiled_free(out);
	return ret;
}

void compiled_free(struct compiled *c)
{
	unsigned int slot = c->slot;

	VEC_FREE(&c->enis);
	VEC_FREE(&c->addrs);
	VEC_FREE(&c->pfxs);
	VEC_FREE(&c->nexthops);
	free_rules(c);
	c->slot = slot;
	c->cache_ticket = 0; /* nothing left for compile_cache_keep() */
}

bool compiled_src_published(const struct compiled_src *src)
{
	static const __u8 v4_root[16] = { [10] = 0xff, [11] = 0xff };

	if (src->k.policy & ENIADDR_POLICY_V6_BIT)
		return true;
	return src->k.prefixlen == 32 + 96 && !memcmp(src->k.addr, v4_root, 16);
}
