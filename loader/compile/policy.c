// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * loader/compile_policy.c — one policy (a direction and a set of groups) -> its rule bits and
 * eniaddr_src entries; the l4 entries come from compile_ports.c.
 *
 * Steps: expand every rule's peer into prefixes (CIDR, prefix-list CIDRs, group members and the
 * local addresses carrying the group); number the distinct selectors (bit i = i-th in sorted
 * order); give every distinct prefix the OR of the bits of all rules whose prefix contains it,
 * so the longest match alone answers.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "compile/priv.h"

/* A rule after expansion: one peer prefix and its selector. */
struct xrule {
	struct ip_prefix p;
	bool v4;
	struct sel s;
	unsigned int bit;
};

struct xrule_vec {
	struct xrule *v;
	size_t n, cap;
};

/* ::ffff:0.0.0.0/96, the IPv4 root in the mapped space. */
static const struct ip_prefix v4_root = {
	.addr = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff }, .plen = 96,
};

/* Bitwise, like the LPM trie: no family check (callers stay within one family, or want the
 * trie's view on purpose). */
static bool raw_contains(const struct ip_prefix *outer, const struct ip_prefix *inner)
{
	int full = outer->plen / 8, rest = outer->plen % 8;

	if (outer->plen > inner->plen || memcmp(outer->addr, inner->addr, (size_t)full))
		return false;
	return !rest || !((outer->addr[full] ^ inner->addr[full]) & (0xff00u >> rest));
}

static int sel_cmp(const struct sel *a, const struct sel *b)
{
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->lo != b->lo)
		return a->lo < b->lo ? -1 : 1;
	return (a->hi > b->hi) - (a->hi < b->hi);
}

static int sel_qcmp(const void *a, const void *b)
{
	return sel_cmp(a, b);
}

/* IPv4 first, then by address and length: containing prefixes come before contained ones. */
static int prefix_cmp(const struct ip_prefix *a, bool a4, const struct ip_prefix *b, bool b4)
{
	int d;

	if (a4 != b4)
		return a4 ? -1 : 1;
	d = memcmp(a->addr, b->addr, 16);
	if (d)
		return d;
	return (a->plen > b->plen) - (a->plen < b->plen);
}

static int xrule_qcmp(const void *a, const void *b)
{
	const struct xrule *x = a, *y = b;
	int d = prefix_cmp(&x->p, x->v4, &y->p, y->v4);

	return d ? d : (x->bit > y->bit) - (x->bit < y->bit);
}

/* Protocol and range -> selector, per the rule comment in state.h. */
static int rule_sel(const struct rule *r, struct sel *s, struct err *e)
{
	s->proto = r->proto == RULE_PROTO_ALL ? SEL_PROTO_ALL : r->proto;
	s->lo = 0;
	s->hi = 65535;
	if (r->proto < RULE_PROTO_ALL || r->proto > 255)
		return err_set(e, EINVAL, "%s: protocol %d is out of range", r->where, r->proto);
	switch (r->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if (r->from < 0 || r->to > 65535 || r->from > r->to)
			return err_set(e, EINVAL, "%s: port range %d..%d is invalid", r->where,
				       r->from, r->to);
		s->lo = (uint32_t)r->from;
		s->hi = (uint32_t)r->to;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (r->from < RULE_PORT_ANY || r->from > 255 || r->to < RULE_PORT_ANY || r->to > 255)
			return err_set(e, EINVAL, "%s: ICMP type %d code %d is invalid", r->where,
				       r->from, r->to);
		if (r->from == RULE_PORT_ANY)
			break; /* every type and code */
		s->lo = (uint32_t)r->from << 8;
		s->hi = s->lo | 0xff; /* every code of the type */
		if (r->to != RULE_PORT_ANY)
			s->lo = s->hi = s->lo | (uint32_t)r->to;
		break;
	default:
		break; /* all, or a protocol without ports: the datapath looks up port 0 */
	}
	return 0;
}

static int push(struct xrule_vec *xs, const struct ip_prefix *p, const struct sel *s)
{
	struct xrule *x = VEC_PUSH(xs);

	if (!x)
		return -ENOMEM;
	x->p = *p;
	ip_prefix_clear_host_bits(&x->p);
	x->v4 = ip_prefix_is_v4(&x->p);
	x->s = *s;
	return 0;
}

static bool refs_have(const struct group_refs *refs, const char *id)
{
	for (size_t i = 0; i < refs->ids.n; i++)
		if (!strcmp(refs->ids.v[i], id))
			return true;
	return false;
}

/*
 * A group as peer: its members (the source's list), plus the addresses and delegated prefixes of
 * our own ENIs that carry the group, so a state built by hand need not repeat them. Membership is
 * per ENI, as on AWS: an address override changes what the address admits, not which groups it
 * belongs to. Duplicates go away when rules are de-duplicated.
 */
static int expand_group(const struct desired_state *s, const struct rule *r, const struct sel *sl,
			struct xrule_vec *xs, struct err *e)
{
	const struct group *g = state_find_group(s, r->ref);
	int ret;

	if (!g)
		return err_set(e, EINVAL, "%s: group %s is not defined", r->where, r->ref);
	for (size_t i = 0; i < g->members.n; i++)
		if ((ret = push(xs, &g->members.v[i], sl)))
			return ret;
	for (size_t i = 0; i < s->enis.n; i++) {
		const struct eni *n = &s->enis.v[i];

		if (!refs_have(&n->groups, g->id))
			continue;
		for (size_t j = 0; j < n->addrs.n; j++)
			if ((ret = push(xs, &n->addrs.v[j].ip, sl)))
				return ret;
		for (size_t j = 0; j < n->prefixes.n; j++)
			if ((ret = push(xs, &n->prefixes.v[j], sl)))
				return ret;
	}
	return 0;
}

static int expand_rule(const struct desired_state *s, const struct rule *r, struct xrule_vec *xs,
		       struct err *e)
{
	const struct prefix_list *pl;
	struct sel sl;
	int ret = rule_sel(r, &sl, e);

	if (ret)
		return ret;
	switch (r->peer_kind) {
	case PEER_CIDR:
		return push(xs, &r->cidr, &sl);
	case PEER_PREFIX_LIST:
		pl = state_find_prefix_list(s, r->ref);
		if (!pl)
			return err_set(e, EINVAL, "%s: prefix list %s is not defined", r->where,
				       r->ref);
		for (size_t i = 0; i < pl->cidrs.n; i++)
			if ((ret = push(xs, &pl->cidrs.v[i], &sl)))
				return ret;
		return 0;
	case PEER_GROUP:
		return expand_group(s, r, &sl, xs, e);
	}
	return err_set(e, EINVAL, "%s: unknown peer kind %d", r->where, (int)r->peer_kind);
}

/* AWS: a group without an egress list allows all outbound traffic, IPv4 and IPv6. */
static int expand_default_egress(const struct group *g, struct xrule_vec *xs)
{
	static const struct ip_prefix v6_any = { .plen = 0 };
	const struct sel all = { .proto = SEL_PROTO_ALL, .lo = 0, .hi = 65535 };
	int ret = push(xs, &v4_root, &all);

	return ret ? ret : push(xs, &v6_any, &all);
}

/* How many prefixes rule r expands to (expand_rule), without allocating. */
static size_t rule_fanout(const struct desired_state *s, const struct rule *r)
{
	const struct prefix_list *pl;
	const struct group *g;
	size_t n;

	switch (r->peer_kind) {
	case PEER_PREFIX_LIST:
		pl = state_find_prefix_list(s, r->ref);
		return pl ? pl->cidrs.n : 0;
	case PEER_GROUP:
		g = state_find_group(s, r->ref);
		if (!g)
			return 0;
		n = g->members.n;
		for (size_t i = 0; i < s->enis.n; i++)
			if (refs_have(&s->enis.v[i].groups, g->id))
				n += s->enis.v[i].addrs.n + s->enis.v[i].prefixes.n;
		return n;
	default:
		return 1;
	}
}

/* Refuses a policy whose expansion exceeds COMPILE_MAX_EXPANSION, before expanding it. */
static int check_fanout(const struct desired_state *s, const struct policy_req *req,
			struct err *e)
{
	size_t total = 0, rules = 0;

	for (size_t i = 0; i < req->n_groups; i++) {
		const struct group *g = req->groups[i];
		bool in = req->dir == ENIADDR_DIR_INGRESS;
		size_t n = in ? g->ingress.n : g->egress.n;
		const struct rule *rv = in ? g->ingress.v : g->egress.v;

		for (size_t j = 0; j < n; j++) {
			total += rule_fanout(s, &rv[j]);
			rules++;
			if (total > COMPILE_MAX_EXPANSION)
				return err_set(e, E2BIG, "%s: %s rules of %s expand to more "
					       "than %u peer prefixes (rules x prefix-list entries "
					       "x group members; %zu rules so far, the last %s): "
					       "split the groups or use CIDRs", req->where,
					       in ? "ingress" : "egress", req->groups_str,
					       COMPILE_MAX_EXPANSION, rules, rv[j].where);
		}
	}
	return 0;
}

static int expand_policy(const struct desired_state *s, const struct policy_req *req,
			 struct xrule_vec *xs, struct err *e)
{
	int ret = check_fanout(s, req, e);

	if (ret)
		return ret;

	for (size_t i = 0; i < req->n_groups; i++) {
		const struct group *g = req->groups[i];
		bool in = req->dir == ENIADDR_DIR_INGRESS;
		size_t n = in ? g->ingress.n : g->egress.n;
		const struct rule *rules = in ? g->ingress.v : g->egress.v;

		if (!in && !g->egress_set) {
			if ((ret = expand_default_egress(g, xs)))
				return ret;
			continue;
		}
		for (size_t j = 0; j < n; j++)
			if ((ret = expand_rule(s, &rules[j], xs, e)))
				return ret;
	}
	return 0;
}

/* Distinct selectors of the expanded rules, sorted; each rule learns its bit. */
static int number_selectors(struct xrule_vec *xs, struct sel **out, size_t *n_out)
{
	struct sel *sels = calloc(xs->n ? xs->n : 1, sizeof(*sels));
	size_t n = 0;

	if (!sels)
		return -ENOMEM;
	for (size_t i = 0; i < xs->n; i++)
		sels[i] = xs->v[i].s;
	qsort(sels, xs->n, sizeof(*sels), sel_qcmp);
	for (size_t i = 0; i < xs->n; i++)
		if (!n || sel_cmp(&sels[n - 1], &sels[i]))
			sels[n++] = sels[i];
	for (size_t i = 0; i < xs->n; i++) {
		const struct sel *hit = bsearch(&xs->v[i].s, sels, n, sizeof(*sels), sel_qcmp);

		xs->v[i].bit = (unsigned int)(hit - sels);
	}
	*out = sels;
	*n_out = n;
	return 0;
}

struct pnode {
	struct ip_prefix p;
	bool v4;
	struct eniaddr_rule_bits bits;
};

/*
 * xs sorted and de-duplicated -> one node per distinct prefix with the bits of its own rules.
 * Room is left at the front for the IPv4 root, see add_v4_guard().
 */
static struct pnode *collect_prefixes(const struct xrule_vec *xs, size_t *n_out)
{
	struct pnode *nodes = calloc(xs->n + 1, sizeof(*nodes));
	size_t n = 1;

	if (!nodes)
		return NULL;
	for (size_t i = 0; i < xs->n; i++) {
		const struct xrule *x = &xs->v[i];

		if (n == 1 || prefix_cmp(&nodes[n - 1].p, nodes[n - 1].v4, &x->p, x->v4)) {
			nodes[n].p = x->p;
			nodes[n].v4 = x->v4;
			n++;
		}
		bits_set(&nodes[n - 1].bits, x->bit);
	}
	*n_out = n;
	return nodes;
}

/*
 * The LPM trie knows no families: an IPv6 prefix such as ::/0 or ::/80 also covers every
 * IPv4-mapped source. When the policy has one, the IPv4 root (0.0.0.0/0, mapped /96) must exist
 * so IPv4 lookups stop there; without a 0.0.0.0/0 rule it holds no bits. Uses the spare node 0
 * (IPv4 nodes come first and the root sorts before every other IPv4 prefix). Returns the first
 * used node.
 */
static size_t add_v4_guard(struct pnode *nodes, size_t n)
{
	bool need = false;

	for (size_t i = 1; i < n; i++) {
		if (nodes[i].v4 && ip_prefix_equal(&nodes[i].p, &v4_root))
			return 1;
		if (!nodes[i].v4 && raw_contains(&nodes[i].p, &v4_root))
			need = true;
	}
	if (!need)
		return 1;
	nodes[0].p = v4_root;
	nodes[0].v4 = true;
	return 0;
}

/*
 * Sorted by family, address, then length, every prefix comes after all prefixes containing it,
 * and the ones containing it are exactly the stack left after popping those that do not: each
 * node ORs in its parent's bits, which already hold the grandparents'. O(n), not O(n^2).
 */
static int propagate(struct pnode *nodes, size_t first, size_t n)
{
	size_t *stack = calloc(n, sizeof(*stack)), depth = 0;

	if (!stack)
		return -ENOMEM;
	for (size_t i = first; i < n; i++) {
		while (depth && (nodes[stack[depth - 1]].v4 != nodes[i].v4 ||
				 !raw_contains(&nodes[stack[depth - 1]].p, &nodes[i].p)))
			depth--;
		if (depth)
			bits_or(&nodes[i].bits, &nodes[stack[depth - 1]].bits);
		stack[depth++] = i;
	}
	free(stack);
	return 0;
}

static int emit_src(struct compile_ctx *c, struct policy_req *req, struct xrule_vec *xs)
{
	size_t n, first;
	struct pnode *nodes = collect_prefixes(xs, &n);
	int ret;

	if (!nodes)
		return -ENOMEM;
	first = add_v4_guard(nodes, n);
	ret = propagate(nodes, first, n);
	for (size_t i = first; i < n && !ret; i++) {
		struct compiled_src *src;

		c->src_needed++;
		req->n_src++;
		if (c->out->srcs.n >= c->src_cap)
			continue;
		src = VEC_PUSH(&c->out->srcs);
		if (!src) {
			ret = -ENOMEM;
			break;
		}
		src->k.prefixlen = 32 + nodes[i].p.plen;
		src->k.policy = req->id;
		memcpy(src->k.addr, nodes[i].p.addr, 16);
		src->v = nodes[i].bits;
	}
	free(nodes);
	return ret;
}

static size_t dedup_xrules(struct xrule_vec *xs)
{
	size_t n = 0;

	if (!xs->n)
		return 0;
	qsort(xs->v, xs->n, sizeof(*xs->v), xrule_qcmp);
	for (size_t i = 0; i < xs->n; i++)
		if (!n || xrule_qcmp(&xs->v[n - 1], &xs->v[i]))
			xs->v[n++] = xs->v[i];
	xs->n = n;
	return n;
}

static int range_qcmp(const void *a, const void *b)
{
	const struct sel *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

/* Whether the rules with peer exactly root (0.0.0.0/0 or ::/0) allow proto on every port. */
static bool open_to_all(const struct xrule_vec *xs, bool v4, int proto)
{
	struct sel *r = calloc(xs->n ? xs->n : 1, sizeof(*r));
	uint32_t next = 0; /* first port not covered yet */
	size_t n = 0;

	if (!r)
		return false; /* only loses the optimisation: the flow stays tracked */
	for (size_t i = 0; i < xs->n; i++) {
		const struct xrule *x = &xs->v[i];
		bool root = v4 ? x->v4 && ip_prefix_equal(&x->p, &v4_root) : !x->v4 && !x->p.plen;

		if (root && (x->s.proto == proto || x->s.proto == SEL_PROTO_ALL))
			r[n++] = x->s;
	}
	if (n > 1)
		qsort(r, n, sizeof(*r), range_qcmp);
	for (size_t i = 0; i < n && r[i].lo <= next; i++)
		if (r[i].hi + 1 > next)
			next = r[i].hi + 1;
	free(r);
	return next > 65535;
}

static unsigned int open_protocols(const struct xrule_vec *xs)
{
	return (open_to_all(xs, true, IPPROTO_TCP) ? POLICY_OPEN_TCP4 : 0) |
	       (open_to_all(xs, false, IPPROTO_TCP) ? POLICY_OPEN_TCP6 : 0) |
	       (open_to_all(xs, true, IPPROTO_UDP) ? POLICY_OPEN_UDP4 : 0) |
	       (open_to_all(xs, false, IPPROTO_UDP) ? POLICY_OPEN_UDP6 : 0);
}

int compile_policy(struct compile_ctx *c, struct policy_req *req, struct compiled_policy *info,
		   struct err *e)
{
	struct xrule_vec xs = { 0 };
	struct sel *sels = NULL;
	size_t n_sels = 0;
	int ret;

	ret = expand_policy(c->s, req, &xs, e);
	if (!ret)
		ret = number_selectors(&xs, &sels, &n_sels);
	if (ret)
		goto out;
	if (n_sels > ENIADDR_MAX_RULE_BITS) {
		ret = err_set(e, E2BIG,
			      "%s: %s rules of %s use %zu distinct protocol/port selectors, at most %d fit in one policy",
			      req->where, req->dir == ENIADDR_DIR_INGRESS ? "ingress" : "egress",
			      req->groups_str, n_sels, ENIADDR_MAX_RULE_BITS);
		goto out;
	}
	info->id = req->id;
	info->dir = req->dir;
	info->n_rules = (unsigned int)dedup_xrules(&xs);
	info->n_selectors = (unsigned int)n_sels;
	info->open = open_protocols(&xs);
	memcpy(info->groups, req->groups_str, sizeof(info->groups));
	ret = emit_src(c, req, &xs);
	if (!ret)
		ret = compile_l4(c, req->id, sels, n_sels, &req->n_l4);
out:
	free(sels);
	VEC_FREE(&xs);
	return ret;
}
