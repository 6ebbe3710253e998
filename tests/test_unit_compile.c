// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_unit_compile.c — the rule compiler (loader/compile/compile.h), without privileges.
 *
 * Two oracles: an evaluator that answers allowed(policy, source, protocol, port) from the
 * compiled entries exactly as the datapath does (longest-prefix match over the raw key bytes of
 * eniaddr_src and eniaddr_l4, then AND of the bit sets), and a reference that answers it straight
 * from the desired state (does any rule of the groups match?). Scenario tables state the expected
 * verdict and check both; a randomized differential test compares them on thousands of packets.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compile/compile.h"
#include "guard.h"
#include "state.h"

#define IN  ENIADDR_DIR_INGRESS
#define OUT ENIADDR_DIR_EGRESS
#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define ICMP IPPROTO_ICMP
#define ICMP6 IPPROTO_ICMPV6
#define ALL RULE_PROTO_ALL
#define ANY RULE_PORT_ANY
#define TC(type, code) (((unsigned int)(type) << 8) | (unsigned int)(code)) /* ICMP "port" */

/* ---------------------------------------------------------------- building a desired state */

static struct ip_prefix pfx(const char *s)
{
	struct ip_prefix p;

	if (ip_prefix_parse(s, &p))
		fail_msg("bad prefix in test: %s", s);
	return p;
}

static struct group *grp(struct desired_state *s, const char *id)
{
	struct group *g = state_find_group(s, id);

	if (g)
		return g;
	g = VEC_PUSH(&s->groups);
	assert_non_null(g);
	snprintf(g->id, sizeof(g->id), "%s", id);
	snprintf(g->where, sizeof(g->where), "test: groups.%s", id);
	g->egress_set = true; /* tests opt in to AWS's default with default_egress() */
	return g;
}

static void default_egress(struct desired_state *s, const char *id)
{
	grp(s, id)->egress_set = false;
}

/* peer: "pl-…" a prefix list, "sg-…" a group, anything else a CIDR. */
static void rule(struct desired_state *s, const char *gid, int dir, int proto, int from, int to,
		 const char *peer)
{
	struct group *g = grp(s, gid);
	struct rule *r = dir == IN ? VEC_PUSH(&g->ingress) : VEC_PUSH(&g->egress);

	assert_non_null(r);
	r->proto = proto;
	r->from = from;
	r->to = to;
	if (!strncmp(peer, "pl-", 3) || !strncmp(peer, "sg-", 3)) {
		r->peer_kind = peer[0] == 'p' ? PEER_PREFIX_LIST : PEER_GROUP;
		snprintf(r->ref, sizeof(r->ref), "%s", peer);
	} else {
		r->peer_kind = PEER_CIDR;
		r->cidr = pfx(peer);
	}
	snprintf(r->where, sizeof(r->where), "test: %s.%s[%zu]", gid, dir == IN ? "in" : "out",
		 dir == IN ? g->ingress.n - 1 : g->egress.n - 1);
}

static void refs_csv(struct group_refs *refs, const char *csv)
{
	char buf[512], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", csv);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
		assert_int_equal(group_refs_add(refs, t), 0);
}

/* An ENI with groups "sg-a,sg-b" and addresses "10.0.0.5,10.0.0.6" (the first is primary). */
static struct eni *eni(struct desired_state *s, int ifindex, const char *groups, const char *addrs)
{
	struct eni *n = VEC_PUSH(&s->enis);
	char buf[512], *save = NULL;

	assert_non_null(n);
	n->ifindex = ifindex;
	n->src_check = true;
	snprintf(n->ifname, sizeof(n->ifname), "eth%d", ifindex);
	snprintf(n->where, sizeof(n->where), "test: enis[%zu]", s->enis.n - 1);
	state_default_timeouts(&n->timeouts);
	refs_csv(&n->groups, groups);
	snprintf(buf, sizeof(buf), "%s", addrs);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		struct address *a = VEC_PUSH(&n->addrs);

		assert_non_null(a);
		a->ip = pfx(t);
		a->primary = n->addrs.n == 1;
		snprintf(a->where, sizeof(a->where), "test: enis[%zu].addresses[%zu]", s->enis.n - 1,
			 n->addrs.n - 1);
	}
	return n;
}

static struct address *find_addr(const struct desired_state *s, const char *ip, struct eni **owner)
{
	struct ip_prefix p = pfx(ip);

	for (size_t i = 0; i < s->enis.n; i++)
		for (size_t j = 0; j < s->enis.v[i].addrs.n; j++)
			if (ip_prefix_equal(&s->enis.v[i].addrs.v[j].ip, &p)) {
				if (owner)
					*owner = &s->enis.v[i];
				return &s->enis.v[i].addrs.v[j];
			}
	fail_msg("address %s is not in the test state", ip);
	return NULL;
}

static void override(struct desired_state *s, const char *ip, const char *groups)
{
	struct address *a = find_addr(s, ip, NULL);

	a->has_override = true;
	refs_csv(&a->groups, groups);
}

static void plist(struct desired_state *s, const char *id, const char *cidrs)
{
	struct prefix_list *pl = VEC_PUSH(&s->prefix_lists);
	char buf[512], *save = NULL;

	assert_non_null(pl);
	snprintf(pl->id, sizeof(pl->id), "%s", id);
	snprintf(buf, sizeof(buf), "%s", cidrs);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		struct ip_prefix *p = VEC_PUSH(&pl->cidrs);

		assert_non_null(p);
		*p = pfx(t);
	}
}

static void member(struct desired_state *s, const char *gid, const char *ip)
{
	struct ip_prefix *p = VEC_PUSH(&grp(s, gid)->members);

	assert_non_null(p);
	*p = pfx(ip);
}

/* ---------------------------------------------------------------- the evaluator (datapath) */

/* LPM trie semantics: the first prefixlen bits of the key data (everything after prefixlen). */
static bool lpm_hit(const void *entry, const void *lookup, size_t key_size)
{
	__u32 plen;
	const uint8_t *a = (const uint8_t *)entry + 4, *b = (const uint8_t *)lookup + 4;

	memcpy(&plen, entry, 4);
	assert_true(plen <= (key_size - 4) * 8);
	if (memcmp(a, b, plen / 8))
		return false;
	return !(plen % 8) || !((a[plen / 8] ^ b[plen / 8]) & (0xff00u >> (plen % 8)));
}

static const struct eniaddr_rule_bits *src_lookup(const struct compiled *c, __u32 policy,
						  const uint8_t addr[16])
{
	struct eniaddr_src_key k = { .prefixlen = 32 + 128, .policy = policy };
	const struct compiled_src *best = NULL;

	memcpy(k.addr, addr, 16);
	for (size_t i = 0; i < c->srcs.n; i++)
		if (lpm_hit(&c->srcs.v[i].k, &k, sizeof(k)) &&
		    (!best || c->srcs.v[i].k.prefixlen > best->k.prefixlen))
			best = &c->srcs.v[i];
	return best ? &best->v : NULL;
}

/* The datapath's "port": TCP/UDP port, ICMP type << 8 | code, 0 for every other protocol. */
static unsigned int dp_port(int proto, unsigned int port)
{
	return proto == TCP || proto == UDP || proto == ICMP || proto == ICMP6 ? port : 0;
}

static const struct eniaddr_rule_bits *l4_lookup(const struct compiled *c, __u32 policy,
						 int proto, unsigned int port)
{
	struct eniaddr_l4_key k = {
		.prefixlen = 32 + 8 + 16, .policy = policy,
		.sel = htonl(ENIADDR_L4_SEL(proto, dp_port(proto, port))),
	};
	const struct compiled_l4 *best = NULL;

	for (size_t i = 0; i < c->l4s.n; i++)
		if (lpm_hit(&c->l4s.v[i].k, &k, sizeof(k)) &&
		    (!best || c->l4s.v[i].k.prefixlen > best->k.prefixlen))
			best = &c->l4s.v[i];
	return best ? &best->v : NULL;
}

/* The answer of the rule entries (eniaddr_src, eniaddr_l4) by longest-prefix match. */
static bool eval_lpm(const struct compiled *c, __u32 policy, const uint8_t src[16], int proto,
		 unsigned int port)
{
	const struct eniaddr_rule_bits *a, *b;

	if (policy == ENIADDR_POLICY_NONE)
		return false;
	if (!ip_is_v4(src)) /* as the datapath: each family's rules under its own id */
		policy |= ENIADDR_POLICY_V6_BIT;
	a = src_lookup(c, policy, src);
	b = l4_lookup(c, policy, proto, port);
	if (!a || !b)
		return false;
	for (int i = 0; i < ENIADDR_RULE_WORDS; i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}

/* The answer of the rule tables, read exactly as bpf/rules.h reads them: policy entry, stride-8
 * trie walks (3 bytes of protocol and port; 4 of an IPv4 peer), classes of rule bits; an IPv6 peer
 * through eniaddr_src. Indexes out of what the compiler wrote fail the test. */
static __u32 walk(const struct compiled *c, __u32 e, const uint8_t *key, int n)
{
	__u32 base = c->slot * (ENIADDR_MAX_TRIE_NODES / 2);

	for (int i = 0; i < n; i++) {
		__u32 idx;

		if (!(e & ENIADDR_TRIE_CHILD))
			return e;
		idx = (e & ~ENIADDR_TRIE_CHILD) - base;
		assert_true(idx > 0 && idx < c->nodes.n);
		e = c->nodes.v[idx].e[key[i]];
	}
	return e & ENIADDR_TRIE_CHILD ? 0 : e;
}

static const struct eniaddr_rule_bits *class_bits(const struct compiled *c, __u32 cls)
{
	__u32 idx = cls - c->slot * (ENIADDR_MAX_BITS / 2);

	assert_true(idx > 0 && idx < c->bits.n);
	return &c->bits.v[idx];
}

/* bpf/rules.h rules_meet: only the words inside both spans are read. */
static bool span_meet(const struct eniaddr_rule_bits *a, const struct eniaddr_rule_bits *b)
{
	unsigned int lo = a->lo > b->lo ? a->lo : b->lo, hi = a->hi < b->hi ? a->hi : b->hi;

	for (unsigned int i = lo; i <= hi && i < ENIADDR_RULE_WORDS; i++)
		if (a->w[i] & b->w[i])
			return true;
	return false;
}

static bool eval_tables(const struct compiled *c, __u32 policy, const uint8_t src[16], int proto,
			unsigned int port)
{
	unsigned int dport = dp_port(proto, port);
	const uint8_t l4key[3] = { (uint8_t)proto, (uint8_t)(dport >> 8), (uint8_t)dport };
	const struct eniaddr_rule_bits *a, *b;
	const struct eniaddr_policy *pol;
	bool v6 = !ip_is_v4(src);
	__u32 local = policy & ENIADDR_POLICY_ID_MASK, cls;

	if (policy == ENIADDR_POLICY_NONE)
		return false;
	assert_int_equal(!!(policy & ENIADDR_POLICY_SLOT_BIT), c->slot);
	if (local >= c->pol_tbl.n)
		return false; /* the datapath reads an all-zero entry: no roots */
	pol = &c->pol_tbl.v[local];
	cls = walk(c, pol->l4_root[v6], l4key, 3);
	if (!cls)
		return false;
	b = class_bits(c, cls);
	if (v6) {
		a = src_lookup(c, policy | ENIADDR_POLICY_V6_BIT, src);
	} else {
		cls = walk(c, pol->v4_root, &src[12], 4);
		a = cls ? class_bits(c, cls) : NULL;
	}
	if (!a)
		return false;
	return span_meet(a, b);
}

/* The datapath's verdict: the tables it reads, which must agree with the entries they were
 * built from on every packet any test asks about. */
static bool eval(const struct compiled *c, __u32 policy, const uint8_t src[16], int proto,
		 unsigned int port)
{
	bool lpm = eval_lpm(c, policy, src, proto, port);
	bool tables = eval_tables(c, policy, src, proto, port);

	if (lpm != tables) {
		char a[64];

		ip_addr_format(src, a, sizeof(a));
		fail_msg("policy %#x peer %s proto %d port %u: tables say %d, rule entries %d",
			 policy, a, proto, port, tables, lpm);
	}
	return tables;
}

static const struct compiled_addr *c_addr(const struct compiled *c, const char *ip)
{
	struct ip_prefix p = pfx(ip);

	for (size_t i = 0; i < c->addrs.n; i++)
		if (!memcmp(c->addrs.v[i].k.addr, p.addr, 16))
			return &c->addrs.v[i];
	fail_msg("no compiled address %s", ip);
	return NULL;
}

static const struct compiled_eni *c_eni(const struct compiled *c, int ifindex)
{
	for (size_t i = 0; i < c->enis.n; i++)
		if (c->enis.v[i].k.ifindex == (__u32)ifindex)
			return &c->enis.v[i];
	fail_msg("no compiled ENI %d", ifindex);
	return NULL;
}

static const struct compiled_policy *c_policy(const struct compiled *c, __u32 id)
{
	for (size_t i = 0; i < c->policies.n; i++)
		if (c->policies.v[i].id == id)
			return &c->policies.v[i];
	fail_msg("no compiled policy %#x", id);
	return NULL;
}

/* ---------------------------------------------------------------- the reference (state) */

static bool refs_have(const struct group_refs *r, const char *id)
{
	for (size_t i = 0; i < r->ids.n; i++)
		if (!strcmp(r->ids.v[i], id))
			return true;
	return false;
}

static bool ref_l4(const struct rule *r, int proto, unsigned int port)
{
	if (r->proto != ALL && r->proto != proto)
		return false;
	switch (r->proto) {
	case TCP:
	case UDP:
		return (int)port >= r->from && (int)port <= r->to;
	case ICMP:
	case ICMP6:
		if (r->from == ANY)
			return true;
		return (int)(port >> 8) == r->from && (r->to == ANY || (int)(port & 0xff) == r->to);
	default:
		return true;
	}
}

static bool ref_peer(const struct desired_state *s, const struct rule *r, const uint8_t src[16])
{
	struct ip_prefix host = { .plen = 128 };
	const struct prefix_list *pl;
	const struct group *g;

	memcpy(host.addr, src, 16);
	switch (r->peer_kind) {
	case PEER_CIDR:
		return ip_prefix_contains(&r->cidr, &host);
	case PEER_PREFIX_LIST:
		pl = state_find_prefix_list(s, r->ref);
		for (size_t i = 0; pl && i < pl->cidrs.n; i++)
			if (ip_prefix_contains(&pl->cidrs.v[i], &host))
				return true;
		return false;
	case PEER_GROUP:
		g = state_find_group(s, r->ref);
		for (size_t i = 0; g && i < g->members.n; i++)
			if (ip_prefix_contains(&g->members.v[i], &host))
				return true;
		/* addresses and delegated prefixes of local ENIs carrying the group (per ENI) */
		for (size_t i = 0; g && i < s->enis.n; i++) {
			const struct eni *n = &s->enis.v[i];

			for (size_t j = 0; refs_have(&n->groups, g->id) && j < n->addrs.n; j++)
				if (ip_prefix_equal(&n->addrs.v[j].ip, &host))
					return true;
			for (size_t j = 0; refs_have(&n->groups, g->id) && j < n->prefixes.n; j++)
				if (ip_prefix_contains(&n->prefixes.v[j], &host))
					return true;
		}
		return false;
	}
	return false;
}

static bool ref_allowed(const struct desired_state *s, int dir, const struct group_refs *groups,
			const uint8_t src[16], int proto, unsigned int port)
{
	for (size_t i = 0; i < groups->ids.n; i++) {
		const struct group *g = state_find_group(s, groups->ids.v[i]);
		size_t n = dir == IN ? g->ingress.n : g->egress.n;
		const struct rule *rules = dir == IN ? g->ingress.v : g->egress.v;

		if (dir == OUT && !g->egress_set)
			return true; /* AWS default: all outbound */
		for (size_t j = 0; j < n; j++)
			if (ref_l4(&rules[j], proto, port) && ref_peer(s, &rules[j], src))
				return true;
	}
	return false;
}

/* ---------------------------------------------------------------- scenario tables */

/* dir IN: peer sends to local; OUT: local sends to peer. port as the datapath composes it. */
struct pkt {
	int dir;
	const char *local;
	const char *peer;
	int proto;
	unsigned int port;
	bool allow;
};

static bool compiled_verdict(const struct compiled *c, int dir, const char *local,
			     const uint8_t peer[16], int proto, unsigned int port)
{
	const struct compiled_addr *a = c_addr(c, local);

	return eval(c, dir == IN ? a->v.in_policy : a->v.out_policy, peer, proto, port);
}

static bool reference_verdict(const struct desired_state *s, int dir, const char *local,
			      const uint8_t peer[16], int proto, unsigned int port)
{
	struct eni *owner;
	struct address *a = find_addr(s, local, &owner);
	const struct group_refs *g = dir == OUT || !a->has_override ? &owner->groups : &a->groups;

	return ref_allowed(s, dir, g, peer, proto, port);
}

static void check_pkts_on(const struct desired_state *s, const struct compiled *c,
			  const struct pkt *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t peer[16];
		bool got, ref;

		assert_int_equal(ip_addr_parse(p[i].peer, peer), 0);
		got = compiled_verdict(c, p[i].dir, p[i].local, peer, p[i].proto, p[i].port);
		ref = reference_verdict(s, p[i].dir, p[i].local, peer, p[i].proto, p[i].port);
		if (got != p[i].allow || ref != p[i].allow)
			fail_msg("case %zu: %s %s %s %s proto %d port %u: compiled %d, reference %d, want %d",
				 i, p[i].dir == IN ? "in" : "out", p[i].local,
				 p[i].dir == IN ? "<-" : "->", p[i].peer, p[i].proto, p[i].port, got,
				 ref, p[i].allow);
	}
}

static void compile_ok(const struct desired_state *s, unsigned int slot, struct compiled *c)
{
	struct err e = { 0 };
	int ret = compile_state(s, slot, c, &e);

	if (ret)
		fail_msg("compile_state: %d: %s", ret, e.msg);
}

static void check_pkts(const struct desired_state *s, const struct pkt *p, size_t n)
{
	struct compiled c;

	compile_ok(s, 0, &c);
	check_pkts_on(s, &c, p, n);
	compiled_free(&c);
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LOCAL "10.0.0.5"

static int setup(void **st)
{
	struct desired_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -1;
	state_init(s);
	*st = s;
	return 0;
}

static int teardown(void **st)
{
	state_free(*st);
	free(*st);
	return 0;
}

static void test_union_of_groups(void **st)
{
	struct desired_state *s = *st;
	struct compiled c;
	static const struct pkt p[] = {
		{ IN, LOCAL, "10.1.1.1", TCP, 22, true },
		{ IN, LOCAL, "10.1.1.1", UDP, 53, false },
		{ IN, LOCAL, "192.168.7.1", UDP, 53, true },
		{ IN, LOCAL, "192.168.7.1", TCP, 22, false },
		{ IN, LOCAL, "172.16.0.1", TCP, 22, false },
	};

	rule(s, "sg-b", IN, UDP, 53, 53, "192.168.0.0/16");
	rule(s, "sg-a", IN, TCP, 22, 22, "10.0.0.0/8");
	eni(s, 2, "sg-b,sg-a,sg-b", LOCAL);
	check_pkts(s, p, ARRAY_SIZE(p));

	compile_ok(s, 0, &c);
	assert_int_equal(c.policies.n, 2); /* one in, one out */
	assert_string_equal(c_policy(&c, c_eni(&c, 2)->v.in_policy)->groups, "sg-a,sg-b");
	assert_int_equal(c_policy(&c, c_eni(&c, 2)->v.in_policy)->n_rules, 2);
	assert_int_equal(c_policy(&c, c_eni(&c, 2)->v.in_policy)->n_selectors, 2);
	compiled_free(&c);
}

static void test_overlapping_cidrs(void **st)
{
	struct desired_state *s = *st;
	static const struct pkt p[] = {
		{ IN, LOCAL, "10.1.2.3", TCP, 22, true },
		{ IN, LOCAL, "10.1.2.3", TCP, 80, true },
		{ IN, LOCAL, "10.2.0.1", TCP, 22, true },
		{ IN, LOCAL, "10.2.0.1", TCP, 80, false },
		{ IN, LOCAL, "11.0.0.1", TCP, 22, false },
		{ IN, LOCAL, "10.1.2.3", TCP, 81, false },
	};

	rule(s, "sg-a", IN, TCP, 22, 22, "10.0.0.0/8");
	rule(s, "sg-a", IN, TCP, 80, 80, "10.1.0.0/16");
	eni(s, 2, "sg-a", LOCAL);
	check_pkts(s, p, ARRAY_SIZE(p));
}

static void test_port_edges(void **st)
{
	struct desired_state *s = *st;
	static const struct pkt p[] = {
		{ IN, LOCAL, "1.2.3.4", TCP, 0, true },
		{ IN, LOCAL, "1.2.3.4", TCP, 1, true },
		{ IN, LOCAL, "1.2.3.4", TCP, 2, false },
		{ IN, LOCAL, "1.2.3.4", TCP, 999, false },
		{ IN, LOCAL, "1.2.3.4", TCP, 1000, true },
		{ IN, LOCAL, "1.2.3.4", TCP, 1500, true },
		{ IN, LOCAL, "1.2.3.4", TCP, 2000, true },
		{ IN, LOCAL, "1.2.3.4", TCP, 2001, false },
		{ IN, LOCAL, "1.2.3.4", TCP, 65533, false },
		{ IN, LOCAL, "1.2.3.4", TCP, 65534, true },
		{ IN, LOCAL, "1.2.3.4", TCP, 65535, true },
		{ IN, LOCAL, "1.2.3.4", UDP, 99, false },
		{ IN, LOCAL, "1.2.3.4", UDP, 100, true },
		{ IN, LOCAL, "1.2.3.4", UDP, 101, false },
		{ IN, LOCAL, "1.2.3.4", UDP, 0, false },
		{ IN, LOCAL, "1.2.3.4", UDP, 65535, false },
		{ IN, LOCAL, "1.2.3.4", UDP, 1000, false }, /* TCP's range is not UDP's */
	};

	rule(s, "sg-a", IN, TCP, 0, 1, "0.0.0.0/0");
	rule(s, "sg-a", IN, TCP, 1000, 2000, "0.0.0.0/0");
	rule(s, "sg-a", IN, TCP, 65534, 65535, "0.0.0.0/0");
	rule(s, "sg-a", IN, UDP, 100, 100, "0.0.0.0/0");
	eni(s, 2, "sg-a", LOCAL);
	check_pkts(s, p, ARRAY_SIZE(p));
}

static void test_icmp_wildcards(void **st)
{
	struct desired_state *s = *st;
	static const struct pkt p[] = {
		{ IN, LOCAL, "10.0.0.1", ICMP, TC(0, 0), true },
		{ IN, LOCAL, "10.0.0.1", ICMP, TC(255, 255), true },
		{ IN, LOCAL, "192.168.0.1", ICMP, TC(8, 0), true },
		{ IN, LOCAL, "192.168.0.1", ICMP, TC(8, 255), true },
		{ IN, LOCAL, "192.168.0.1", ICMP, TC(7, 255), false },
		{ IN, LOCAL, "192.168.0.1", ICMP, TC(9, 0), false },
		{ IN, LOCAL, "172.16.0.1", ICMP, TC(3, 4), true },
		{ IN, LOCAL, "172.16.0.1", ICMP, TC(3, 3), false },
		{ IN, LOCAL, "172.16.0.1", ICMP, TC(3, 5), false },
		{ IN, LOCAL, "172.16.0.1", ICMP, TC(8, 0), false },
		{ IN, LOCAL, "2001:db8::1", ICMP6, TC(128, 0), true },
		{ IN, LOCAL, "2001:db8::1", ICMP6, TC(129, 0), false },
		{ IN, LOCAL, "2001:db8::1", ICMP, TC(128, 0), false },
		{ IN, LOCAL, "10.0.0.1", TCP, TC(8, 0), false },
	};

	rule(s, "sg-a", IN, ICMP, ANY, ANY, "10.0.0.0/8");
	rule(s, "sg-a", IN, ICMP, 8, ANY, "192.168.0.0/16");
	rule(s, "sg-a", IN, ICMP, 3, 4, "172.16.0.0/12");
	rule(s, "sg-a", IN, ICMP6, 128, 0, "2001:db8::/32");
	eni(s, 2, "sg-a", LOCAL);
	check_pkts(s, p, ARRAY_SIZE(p));
}

static void test_proto_all_and_numbered(void **st)
{
	struct desired_state *s = *st;
	struct compiled c;
	size_t n_all = 0;
	static const struct pkt p[] = {
		{ IN, LOCAL, "10.0.0.1", TCP, 1, true },
		{ IN, LOCAL, "10.0.0.1", UDP, 65535, true },
		{ IN, LOCAL, "10.0.0.1", ICMP, TC(3, 4), true },
		{ IN, LOCAL, "10.0.0.1", 0, 0, true },
		{ IN, LOCAL, "10.0.0.1", 255, 0, true },
		{ IN, LOCAL, "11.0.0.1", TCP, 443, true },
		{ IN, LOCAL, "11.0.0.1", TCP, 444, false },
		{ IN, LOCAL, "11.0.0.1", UDP, 443, false },
		{ IN, LOCAL, "172.16.0.9", 50, 0, true },    /* ESP */
		{ IN, LOCAL, "172.16.0.9", 50, 4500, true }, /* ports never matter for it */
		{ IN, LOCAL, "172.16.0.9", 51, 0, false },
		{ IN, LOCAL, "172.16.0.9", TCP, 0, false },
		{ IN, LOCAL, "11.0.0.1", 50, 0, false },
	};

	rule(s, "sg-a", IN, ALL, ANY, ANY, "10.0.0.0/8");
	rule(s, "sg-a", IN, TCP, 443, 443, "0.0.0.0/0");
	rule(s, "sg-a", IN, 50, ANY, ANY, "172.16.0.0/12");
	eni(s, 2, "sg-a", LOCAL);
	check_pkts(s, p, ARRAY_SIZE(p));

	/* "all" is one policy-wide entry (prefixlen 32) that protocols without rules of their
	 * own fall back to; ESP has its own 0..65535 block, TCP its own port blocks. */
	compile_ok(s, 0, &c);
	for (size_t i = 0; i < c.l4s.n; i++)
		n_all += c.l4s.v[i].k.prefixlen == 32;
	assert_int_equal(n_all, 1);
	n_all = 0;
	for (size_t i = 0; i < c.l4s.n; i++)
		n_all += c.l4s.v[i].k.prefixlen == 40;
	assert_int_equal(n_all, 1); /* ESP */
	compiled_free(&c);
}

static void test_prefix_list(void **st)
{
	struct desired_state *s = *st;
	static const struct pkt p[] = {
		{ IN, LOCAL, "10.9.9.9", TCP, 443, true },
		{ IN, LOCAL, "2001:db8::5", TCP, 443, true },
		{ IN, LOCAL, "11.0.0.1", TCP, 443, false },
		{ IN, LOCAL, "2001:db9::5", TCP, 443, false },
		{ IN, LOCAL, "10.9.9.9", TCP, 80, false },
	};

	plist(s, "pl-1", "10.0.0.0/8,2001:db8::/32");
	rule(s, "sg-a", IN, TCP, 443, 443, "pl-1");
	eni(s, 2, "sg-a", LOCAL);
	check_pkts(s, p, ARRAY_SIZE(p));
}

static void test_group_reference(void **st)
{
	struct desired_state *s = *st;
	struct compiled c;
	static const struct pkt p[] = {
		{ IN, "10.0.1.10", "10.5.5.5", TCP, 5432, true },    /* listed member */
		{ IN, "10.0.1.10", "10.0.2.20", TCP, 5432, true },   /* local ENI in sg-web */
		{ IN, "10.0.1.10", "10.0.2.21", TCP, 5432, true },   /* its secondary address */
		{ IN, "10.0.1.10", "10.0.2.36", TCP, 5432, true },   /* its delegated /28 */
		{ IN, "10.0.1.10", "10.0.2.48", TCP, 5432, false },  /* just past the /28 */
		{ IN, "10.0.1.10", "10.0.3.30", TCP, 5432, false },  /* override: not a member */
		{ IN, "10.0.1.10", "10.0.2.22", TCP, 5432, false },
		{ IN, "10.0.1.10", "10.5.5.6", TCP, 5432, false },
		{ IN, "10.0.1.10", "10.5.5.5", TCP, 5433, false },
		{ IN, "10.0.3.30", "10.0.2.20", UDP, 53, true },     /* override admits sg-web's rule */
	};
	struct eni *web;

	rule(s, "sg-db", IN, TCP, 5432, 5432, "sg-web");
	rule(s, "sg-web", IN, UDP, 53, 53, "sg-web");
	member(s, "sg-web", "10.5.5.5");
	member(s, "sg-web", "10.0.2.20"); /* also local: must not count twice */
	grp(s, "sg-other");
	eni(s, 2, "sg-db", "10.0.1.10");
	web = eni(s, 3, "sg-web", "10.0.2.20,10.0.2.21");
	*VEC_PUSH(&web->prefixes) = pfx("10.0.2.32/28");
	eni(s, 4, "sg-other", "10.0.3.30,10.0.3.31");
	override(s, "10.0.3.30", "sg-web");
	check_pkts(s, p, ARRAY_SIZE(p));

	compile_ok(s, 0, &c);
	/* 10.5.5.5, 10.0.2.20 (listed and local), 10.0.2.21, 10.0.2.32/28 */
	assert_int_equal(c_policy(&c, c_addr(&c, "10.0.1.10")->v.in_policy)->n_rules, 4);
	compiled_free(&c);
}

static void test_families_stay_apart(void **st)
{
	struct desired_state *s = *st;
	struct compiled c;
	static const struct pkt p[] = {
		/* ::/0 only */
		{ IN, "10.0.0.5", "10.0.0.1", TCP, 22, false },
		{ IN, "10.0.0.5", "2001:db8::1", TCP, 22, true },
		/* 0.0.0.0/0 only */
		{ IN, "10.0.0.6", "2001:db8::1", TCP, 80, false },
		{ IN, "10.0.0.6", "10.0.0.1", TCP, 80, true },
		/* ::/0 tcp 22 with 10.0.0.0/8 tcp 80, and ::/80 (which covers ::ffff:0:0/96) */
		{ IN, "10.0.0.7", "10.0.0.1", TCP, 22, false },
		{ IN, "10.0.0.7", "11.0.0.1", TCP, 22, false },
		{ IN, "10.0.0.7", "11.0.0.1", UDP, 53, false },
		{ IN, "10.0.0.7", "10.0.0.1", TCP, 80, true },
		{ IN, "10.0.0.7", "2001:db8::1", TCP, 80, false },
		{ IN, "10.0.0.7", "::1", UDP, 53, true },
		{ IN, "10.0.0.7", "::1", TCP, 22, true },
	};

	rule(s, "sg-v6", IN, TCP, 22, 22, "::/0");
	rule(s, "sg-v4", IN, TCP, 80, 80, "0.0.0.0/0");
	rule(s, "sg-mix", IN, TCP, 22, 22, "::/0");
	rule(s, "sg-mix", IN, TCP, 80, 80, "10.0.0.0/8");
	rule(s, "sg-mix", IN, UDP, 53, 53, "::/80");
	eni(s, 2, "sg-v6", "10.0.0.5,10.0.0.6,10.0.0.7");
	override(s, "10.0.0.6", "sg-v4");
	override(s, "10.0.0.7", "sg-mix");
	check_pkts(s, p, ARRAY_SIZE(p));

	/* Each family's prefixes live under its own id: IPv4 lookups never meet ::/0 or ::/80. */
	compile_ok(s, 0, &c);
	for (size_t i = 0; i < c.srcs.n; i++) {
		bool v6_id = c.srcs.v[i].k.policy & ENIADDR_POLICY_V6_BIT;

		assert_true(v6_id == !ip_is_v4(c.srcs.v[i].k.addr));
		if ((c.srcs.v[i].k.policy & ~ENIADDR_POLICY_V6_BIT) ==
		    c_addr(&c, "10.0.0.5")->v.in_policy)
			assert_true(v6_id); /* the ::/0-only policy has no IPv4 entry at all */
	}
	compiled_free(&c);
}

static void test_override_policies(void **st)
{
	struct desired_state *s = *st;
	struct compiled c;
	const struct compiled_eni *ce;
	static const struct pkt p[] = {
		{ IN, "10.0.0.1", "1.1.1.1", TCP, 22, true },
		{ IN, "10.0.0.1", "1.1.1.1", TCP, 443, false },
		{ IN, "10.0.0.2", "1.1.1.1", TCP, 22, false },
		{ IN, "10.0.0.2", "1.1.1.1", TCP, 443, true },
		{ IN, "10.0.0.4", "1.1.1.1", TCP, 22, true },
		{ IN, "10.0.0.4", "1.1.1.1", TCP, 443, true },
		{ IN, "10.0.0.6", "1.1.1.1", TCP, 22, false }, /* empty override: nothing in */
		{ OUT, "10.0.0.2", "8.8.8.8", UDP, 53, true }, /* out stays the ENI's */
		{ OUT, "10.0.0.2", "8.8.8.8", TCP, 443, false },
	};

	rule(s, "sg-a", IN, TCP, 22, 22, "0.0.0.0/0");
	rule(s, "sg-a", OUT, UDP, 53, 53, "0.0.0.0/0");
	rule(s, "sg-b", IN, TCP, 443, 443, "0.0.0.0/0");
	rule(s, "sg-b", OUT, TCP, 443, 443, "0.0.0.0/0");
	eni(s, 2, "sg-a", "10.0.0.1,10.0.0.2,10.0.0.3,10.0.0.4,10.0.0.5,10.0.0.6");
	override(s, "10.0.0.2", "sg-b");
	override(s, "10.0.0.3", "sg-b");
	override(s, "10.0.0.4", "sg-b,sg-a");
	override(s, "10.0.0.5", "sg-a,sg-b,sg-a");
	override(s, "10.0.0.6", "");
	check_pkts(s, p, ARRAY_SIZE(p));

	compile_ok(s, 0, &c);
	ce = c_eni(&c, 2);
	assert_int_equal(c_addr(&c, "10.0.0.1")->v.in_policy, ce->v.in_policy);
	assert_int_equal(c_addr(&c, "10.0.0.1")->v.flags, ENIADDR_ADDR_F_PRIMARY);
	assert_int_not_equal(c_addr(&c, "10.0.0.2")->v.in_policy, ce->v.in_policy);
	assert_int_equal(c_addr(&c, "10.0.0.2")->v.in_policy, c_addr(&c, "10.0.0.3")->v.in_policy);
	assert_int_equal(c_addr(&c, "10.0.0.4")->v.in_policy, c_addr(&c, "10.0.0.5")->v.in_policy);
	assert_int_not_equal(c_addr(&c, "10.0.0.4")->v.in_policy,
			     c_addr(&c, "10.0.0.2")->v.in_policy);
	assert_int_equal(c_addr(&c, "10.0.0.6")->v.in_policy, ENIADDR_POLICY_NONE);
	for (const char *const *a = (const char *const[]){ "10.0.0.2", "10.0.0.6", NULL }; *a; a++) {
		assert_int_equal(c_addr(&c, *a)->v.out_policy, ce->v.out_policy);
		assert_int_equal(c_addr(&c, *a)->v.flags, ENIADDR_ADDR_F_OVERRIDE);
	}
	assert_string_equal(c_policy(&c, c_addr(&c, "10.0.0.5")->v.in_policy)->groups, "sg-a,sg-b");
	/* in sg-a, out sg-a, in sg-b, in sg-a+sg-b; ids 1..4 in order of first use */
	assert_int_equal(c.policies.n, 4);
	for (size_t i = 0; i < c.policies.n; i++)
		assert_int_equal(c.policies.v[i].id, i + 1);
	assert_int_equal(c_policy(&c, ce->v.out_policy)->dir, OUT);
	compiled_free(&c);
}

/* Keys, flags and settings of enis, addrs and pfxs; an ENI without groups gets NONE both ways. */
static void test_owner_entries(void **st)
{
	struct desired_state *s = *st;
	struct compiled c;
	struct eni *n;
	const struct compiled_eni *ce;
	struct err e = { 0 };

	rule(s, "sg-a", IN, TCP, 22, 22, "0.0.0.0/0");
	n = eni(s, 7, "sg-a", "10.0.0.1,2001:db8::10");
	n->mode = ENIADDR_MODE_AUDIT;
	n->timeouts.tcp_established = 3600;
	*VEC_PUSH(&n->prefixes) = pfx("10.0.0.16/28");
	*VEC_PUSH(&n->prefixes) = pfx("2001:db8:1:2:3::/80");
	n = eni(s, 3, "", "10.0.9.9");
	n->src_check = false;
	compile_ok(s, 1, &c);

	assert_int_equal(c.enis.n, 2);
	assert_int_equal(c.enis.v[0].k.ifindex, 3); /* sorted by ifindex */
	ce = c_eni(&c, 3);
	assert_int_equal(ce->k.slot, 1);
	assert_int_equal(ce->v.in_policy, ENIADDR_POLICY_NONE);
	assert_int_equal(ce->v.out_policy, ENIADDR_POLICY_NONE);
	assert_int_equal(ce->v.flags, 0);
	assert_int_equal(ce->v.mode, ENIADDR_MODE_ENFORCE);
	ce = c_eni(&c, 7);
	assert_int_equal(ce->v.mode, ENIADDR_MODE_AUDIT);
	assert_int_equal(ce->v.flags, ENIADDR_ENI_F_SRC_CHECK);
	assert_int_equal(ce->v.timeouts.tcp_established, 3600);
	assert_int_equal(ce->v.timeouts.udp, s->enis.v[0].timeouts.udp);
	assert_int_equal(ce->v.in_policy, 1 | ENIADDR_POLICY_SLOT_BIT);

	assert_int_equal(c.addrs.n, 3);
	assert_int_equal(c_addr(&c, "2001:db8::10")->v.flags, 0);
	assert_int_equal(c_addr(&c, "2001:db8::10")->v.ifindex, 7);
	assert_int_equal(c_addr(&c, "2001:db8::10")->k.slot, 1);
	assert_int_equal(c_addr(&c, "10.0.9.9")->v.in_policy, ENIADDR_POLICY_NONE);

	assert_int_equal(c.pfxs.n, 2);
	assert_int_equal(c.pfxs.v[0].k.prefixlen, 32 + 96 + 28); /* ::ffff:… sorts before 2001:… */
	assert_int_equal(c.pfxs.v[1].k.prefixlen, 32 + 80);
	for (size_t i = 0; i < c.pfxs.n; i++) {
		assert_int_equal(c.pfxs.v[i].k.slot, 1);
		assert_int_equal(c.pfxs.v[i].v.flags, ENIADDR_ADDR_F_PREFIX);
		assert_int_equal(c.pfxs.v[i].v.ifindex, 7);
		assert_int_equal(c.pfxs.v[i].v.in_policy, ce->v.in_policy);
		assert_int_equal(c.pfxs.v[i].v.out_policy, ce->v.out_policy);
	}
	assert_memory_equal(c.pfxs.v[0].k.addr, pfx("10.0.0.16").addr, 16);
	compiled_free(&c);

	/* an unresolved interface is the caller's bug, reported, not compiled */
	s->enis.v[1].ifindex = 0;
	assert_int_equal(compile_state(s, 0, &c, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "test: enis[1]"));
	assert_int_equal(c.enis.n + c.addrs.n + c.srcs.n + c.l4s.n + c.policies.n, 0);
}

/* Slot 1: same decisions, every policy id with the slot bit, keys in slot 1. */
static void test_slot_bit(void **st)
{
	struct desired_state *s = *st;
	struct compiled c0, c1;

	rule(s, "sg-a", IN, TCP, 22, 22, "10.0.0.0/8");
	rule(s, "sg-a", OUT, ALL, ANY, ANY, "0.0.0.0/0");
	rule(s, "sg-b", IN, UDP, 53, 53, "::/0");
	eni(s, 2, "sg-a", "10.0.0.1,10.0.0.2");
	override(s, "10.0.0.2", "sg-b");
	compile_ok(s, 0, &c0);
	compile_ok(s, 1, &c1);
	assert_int_equal(c0.srcs.n, c1.srcs.n);
	assert_int_equal(c0.l4s.n, c1.l4s.n);
	assert_int_equal(c1.policies.n, 3);
	for (size_t i = 0; i < c1.policies.n; i++)
		assert_int_equal(c1.policies.v[i].id, c0.policies.v[i].id | ENIADDR_POLICY_SLOT_BIT);
	for (size_t i = 0; i < c1.srcs.n; i++) {
		assert_int_equal(c1.srcs.v[i].k.policy,
				 c0.srcs.v[i].k.policy | ENIADDR_POLICY_SLOT_BIT);
		assert_int_equal(c0.srcs.v[i].k.policy & ENIADDR_POLICY_SLOT_BIT, 0);
	}
	for (size_t i = 0; i < c1.l4s.n; i++)
		assert_int_equal(c1.l4s.v[i].k.policy, c0.l4s.v[i].k.policy | ENIADDR_POLICY_SLOT_BIT);
	for (size_t i = 0; i < c1.addrs.n; i++) {
		assert_int_equal(c1.addrs.v[i].k.slot, 1);
		assert_int_equal(c1.addrs.v[i].v.in_policy,
				 c0.addrs.v[i].v.in_policy | ENIADDR_POLICY_SLOT_BIT);
		assert_int_equal(c1.addrs.v[i].v.out_policy,
				 c0.addrs.v[i].v.out_policy | ENIADDR_POLICY_SLOT_BIT);
	}
	assert_int_equal(c1.enis.v[0].k.slot, 1);
	assert_int_equal(c1.enis.v[0].v.in_policy, c0.enis.v[0].v.in_policy | ENIADDR_POLICY_SLOT_BIT);
	/* the slot-1 entries decide like slot 0's */
	{
		static const struct pkt p[] = {
			{ IN, "10.0.0.1", "10.9.9.9", TCP, 22, true },
			{ IN, "10.0.0.2", "10.9.9.9", TCP, 22, false },
			{ IN, "10.0.0.2", "2001:db8::9", UDP, 53, true },
			{ OUT, "10.0.0.2", "8.8.8.8", UDP, 53, true },
			{ OUT, "10.0.0.2", "2001:db8::9", UDP, 53, false },
		};

		check_pkts_on(s, &c1, p, ARRAY_SIZE(p));
		check_pkts_on(s, &c0, p, ARRAY_SIZE(p));
	}
	compiled_free(&c0);
	compiled_free(&c1);
}

static void test_egress_default(void **st)
{
	struct desired_state *s = *st;
	static const struct pkt p[] = {
		/* sg-open: no egress list, AWS allows all outbound, both families */
		{ OUT, "10.0.0.1", "8.8.8.8", TCP, 443, true },
		{ OUT, "10.0.0.1", "2001:4860::8888", UDP, 53, true },
		{ OUT, "10.0.0.1", "9.9.9.9", 47, 0, true },
		/* sg-web: egress tcp 443 only */
		{ OUT, "10.0.1.1", "8.8.8.8", TCP, 443, true },
		{ OUT, "10.0.1.1", "8.8.8.8", UDP, 53, false },
		{ OUT, "10.0.1.1", "2001:4860::8888", TCP, 443, false },
		/* sg-closed: an empty egress list allows nothing out */
		{ OUT, "10.0.2.1", "8.8.8.8", TCP, 443, false },
		/* union with the default: all */
		{ OUT, "10.0.3.1", "8.8.8.8", UDP, 53, true },
		/* ingress is untouched by the egress default */
		{ IN, "10.0.0.1", "8.8.8.8", TCP, 443, false },
	};

	default_egress(s, "sg-open");
	rule(s, "sg-web", OUT, TCP, 443, 443, "0.0.0.0/0");
	grp(s, "sg-closed");
	eni(s, 2, "sg-open", "10.0.0.1");
	eni(s, 3, "sg-web", "10.0.1.1");
	eni(s, 4, "sg-closed", "10.0.2.1");
	eni(s, 5, "sg-web,sg-open", "10.0.3.1");
	check_pkts(s, p, ARRAY_SIZE(p));
}

/* Guards join every ENI (with groups or none) and every override, inbound only. */
static void test_guard_in_every_policy(void **st)
{
	struct desired_state *s = *st;
	static const struct pkt p[] = {
		{ IN, "10.0.0.1", "198.51.100.9", TCP, 22, true },
		{ IN, "10.0.0.1", "198.51.100.9", TCP, 23, false },
		{ IN, "10.0.0.1", "198.51.101.9", TCP, 22, false },
		{ IN, "10.0.0.2", "198.51.100.9", TCP, 22, true },   /* override */
		{ IN, "10.0.0.2", "192.0.2.5", TCP, 9090, true },
		{ IN, "10.0.1.1", "198.51.100.9", TCP, 22, true },   /* no groups at all */
		{ IN, "10.0.1.1", "203.0.113.7", UDP, 53, true },    /* guard without port */
		{ IN, "10.0.1.1", "203.0.113.8", UDP, 53, false },
		{ OUT, "10.0.1.1", "198.51.100.9", TCP, 22, false }, /* nothing outbound */
		{ OUT, "10.0.0.1", "8.8.8.8", UDP, 53, true },       /* the default egress stays */
	};
	struct eniaddr_guard g[2];
	struct err e = { 0 };

	rule(s, "sg-web", IN, TCP, 80, 80, "0.0.0.0/0");
	default_egress(s, "sg-open");
	rule(s, "sg-admin", IN, TCP, 9090, 9090, "192.0.2.0/24");
	eni(s, 2, "sg-web,sg-open", "10.0.0.1,10.0.0.2");
	override(s, "10.0.0.2", "sg-admin");
	eni(s, 3, "", "10.0.1.1");
	assert_int_equal(guard_parse("198.51.100.0/24:22", &g[0], &e), 0);
	assert_int_equal(guard_parse("203.0.113.7", &g[1], &e), 0);
	assert_int_equal(guard_apply(s, g, 2, &e), 0);
	check_pkts(s, p, ARRAY_SIZE(p));
	/* applying again (a publisher compiling the same state twice) changes nothing */
	assert_int_equal(guard_apply(s, g, 2, &e), 0);
	check_pkts(s, p, ARRAY_SIZE(p));
	/* a configuration cannot take the guard's group over */
	snprintf(grp(s, "eniaddr-guard")->where, STATE_WHERE_LEN, "cfg.json: security_groups[3]");
	assert_int_equal(guard_apply(s, g, 2, &e), -EEXIST);
	assert_non_null(strstr(e.msg, "cfg.json: security_groups[3]: the configuration defines "
				      "group eniaddr-guard"));
}

/* ---------------------------------------------------------------- limits */

static void test_too_many_selectors(void **st)
{
	struct desired_state *s = *st;
	struct compiled c;
	struct err e = { 0 };

	for (int port = 1; port <= ENIADDR_MAX_RULE_BITS; port++)
		rule(s, port % 2 ? "sg-big" : "sg-big2", IN, TCP, port, port, "10.0.0.0/8");
	/* the same selector from another peer takes no new bit */
	rule(s, "sg-big", IN, TCP, 1, 1, "11.0.0.0/8");
	eni(s, 2, "sg-big,sg-big2", "10.0.0.1");
	compile_ok(s, 0, &c); /* exactly ENIADDR_MAX_RULE_BITS fit */
	assert_int_equal(c_policy(&c, c.enis.v[0].v.in_policy)->n_selectors, ENIADDR_MAX_RULE_BITS);
	assert_int_equal(c_policy(&c, c.enis.v[0].v.in_policy)->n_rules, ENIADDR_MAX_RULE_BITS + 1);
	{
		uint8_t a[16];

		assert_int_equal(ip_addr_parse("10.1.1.1", a), 0);
		assert_true(eval(&c, c.enis.v[0].v.in_policy, a, TCP, ENIADDR_MAX_RULE_BITS));
		assert_false(eval(&c, c.enis.v[0].v.in_policy, a, TCP, ENIADDR_MAX_RULE_BITS + 1));
	}
	compiled_free(&c);

	rule(s, "sg-big2", IN, UDP, 9, 9, "10.0.0.0/8");
	assert_int_equal(compile_state(s, 0, &c, &e), -E2BIG);
	assert_non_null(strstr(e.msg, "test: enis[0]"));
	assert_non_null(strstr(e.msg, "sg-big,sg-big2"));
	assert_non_null(strstr(e.msg, "1025"));
	assert_non_null(strstr(e.msg, "1024"));
	assert_int_equal(c.enis.n + c.addrs.n + c.srcs.n + c.l4s.n + c.policies.n, 0);
}

/* AWS's quota: 1000 inbound rules per family in one group, IPv4 and IPv6 counted apart, any mix
 * of ports and CIDRs. Here every rule has its own port: 2000 selectors in one policy. */
static void test_aws_quota_per_family(void **st)
{
	struct desired_state *s = *st;
	struct compiled c;
	char cidr[64];
	uint8_t a4[16], a6[16];
	__u32 pol;

	for (int i = 0; i < 1000; i++) {
		snprintf(cidr, sizeof(cidr), "10.%d.%d.0/24", i / 256, i % 256);
		rule(s, "sg-quota", IN, i % 3 ? TCP : UDP, 1000 + i, 1000 + i, cidr);
		snprintf(cidr, sizeof(cidr), "2001:db8:%x::/48", i);
		rule(s, "sg-quota", IN, i % 3 ? TCP : UDP, 20000 + i, 20000 + i + i % 5, cidr);
	}
	eni(s, 2, "sg-quota", "10.200.0.1,2001:db8:ffff::1");
	compile_ok(s, 0, &c);
	pol = c.enis.v[0].v.in_policy;
	assert_int_equal(c_policy(&c, pol)->n_selectors, 2000);
	assert_int_equal(ip_addr_parse("10.3.230.9", a4), 0);      /* rule 998's peer (TCP) */
	assert_int_equal(ip_addr_parse("2001:db8:3e6::9", a6), 0); /* rule 998's peer */
	assert_true(eval(&c, pol, a4, TCP, 1998));
	assert_false(eval(&c, pol, a4, UDP, 1998));
	assert_false(eval(&c, pol, a4, TCP, 1997));  /* rule 997's port, another peer */
	assert_false(eval(&c, pol, a4, TCP, 20998)); /* the IPv6 rule's port: not for IPv4 */
	assert_true(eval(&c, pol, a6, TCP, 20998 + 3));
	assert_false(eval(&c, pol, a6, TCP, 20998 + 4));
	assert_false(eval(&c, pol, a6, TCP, 1998));  /* the IPv4 rule's port: not for IPv6 */
	compiled_free(&c);
}

/* 1025 rules from a group of 1024 members multiply out past COMPILE_MAX_EXPANSION: refused
 * with the numbers before the product is allocated; one rule less fits the bound. */
static void test_expansion_bound(void **st)
{
	struct desired_state *s = *st;
	struct compiled c;
	struct err e = { 0 };
	struct group *g;

	for (int i = 0; i < 1024; i++) {
		struct ip_prefix *p = VEC_PUSH(&grp(s, "sg-many")->members);

		assert_non_null(p);
		*p = pfx("10.0.0.0");
		p->addr[14] = (uint8_t)(i >> 8);
		p->addr[15] = (uint8_t)i;
	}
	for (int i = 0; i < 1024; i++)
		rule(s, "sg-rules", IN, TCP, 1000 + i % 5, 1000 + i % 5, "sg-many");
	eni(s, 2, "sg-rules", "10.1.0.1");
	compile_ok(s, 0, &c); /* 1024 x 1024 = the bound exactly */
	compiled_free(&c);
	rule(s, "sg-rules", IN, TCP, 22, 22, "sg-many");
	assert_int_equal(compile_state(s, 0, &c, &e), -E2BIG);
	assert_non_null(strstr(e.msg, "test: enis[0]: ingress rules of sg-rules expand to more "
				      "than 1048576 peer prefixes"));
	assert_non_null(strstr(e.msg, "1025 rules so far, the last test: sg-rules.in[1024]"));
	g = grp(s, "sg-rules");
	assert_int_equal(g->ingress.n, 1025);
	assert_int_equal(c.enis.n + c.addrs.n + c.srcs.n + c.l4s.n + c.policies.n, 0);
}

static void expect_e2big(const struct desired_state *s, const char *map, const char *needed,
			 const char *fit)
{
	struct compiled c;
	struct err e = { 0 };

	assert_int_equal(compile_state(s, 0, &c, &e), -E2BIG);
	if (!strstr(e.msg, map) || !strstr(e.msg, needed) || !strstr(e.msg, fit))
		fail_msg("message lacks %s/%s/%s: %s", map, needed, fit, e.msg);
	assert_int_equal(c.enis.n + c.addrs.n + c.pfxs.n + c.srcs.n + c.l4s.n, 0);
}

static void test_capacity_addrs(void **st)
{
	struct desired_state *s = *st;
	struct eni *n = eni(s, 2, "", "");
	struct err e = { 0 };
	struct address *v6;
	struct compiled c;

	for (int i = 0; i <= ENIADDR_MAX_ADDRS / 2; i++) {
		struct address *a = VEC_PUSH(&n->addrs);

		a->ip = pfx("10.0.0.0");
		a->ip.addr[13] = (uint8_t)(i >> 16);
		a->ip.addr[14] = (uint8_t)(i >> 8);
		a->ip.addr[15] = (uint8_t)i;
	}
	expect_e2big(s, "eniaddr_addrs4: ", "131073 entries needed",
		     "131072 fit; most on test: enis[0] with 131073");
	n->addrs.n--;
	/* a full IPv4 slot leaves the IPv6 one its own room: each family has a map */
	v6 = VEC_PUSH(&n->addrs);
	assert_non_null(v6);
	v6->ip = pfx("2001:db8::1");
	if (compile_state(s, 0, &c, &e))
		fail_msg("131072 IPv4 and one IPv6 address: %s", e.msg);
	assert_int_equal(c.addrs.n, ENIADDR_MAX_ADDRS / 2 + 1);
	compiled_free(&c);
	n->addrs.n--;
	for (int i = 0; i <= ENIADDR_MAX_PREFIXES / 2; i++) {
		struct ip_prefix *p = VEC_PUSH(&n->prefixes);

		*p = pfx("10.128.0.0/28");
		p->addr[14] = (uint8_t)(i >> 4);
		p->addr[15] = (uint8_t)(i << 4);
	}
	expect_e2big(s, "eniaddr_pfx4: ", "2049 entries needed", "2048 fit");
}

static void add_prefix(struct eni *n, const char *text)
{
	struct ip_prefix *p = VEC_PUSH(&n->prefixes);

	assert_non_null(p);
	*p = pfx(text);
}

/* The datapath looks a prefix up once per distinct length of its family (eniaddr_state lists
 * ENIADDR_PFX_LENS): four lengths per family compile, listed longest first; a fifth is refused
 * with every length named by a prefix and where it came from; keys carry no host bits. */
static void test_prefix_lengths(void **st)
{
	static const __u8 v4[ENIADDR_PFX_LENS] = { 32 + 96 + 28, 32 + 96 + 27, 32 + 96 + 24,
						     32 + 96 + 16 };
	static const __u8 v6[ENIADDR_PFX_LENS] = { 32 + 80, 32 + 64, 32 + 56, 32 + 48 };
	struct desired_state *s = *st;
	struct eni *a, *b;
	__u8 lens[2][ENIADDR_PFX_LENS];
	struct compiled c;
	struct err e = { 0 };

	eni(s, 2, "", "");
	eni(s, 3, "", ""); /* may move the first */
	a = &s->enis.v[0];
	b = &s->enis.v[1];
	add_prefix(a, "10.1.0.16/28");
	add_prefix(a, "10.1.0.64/28");
	add_prefix(b, "10.2.0.0/16");
	add_prefix(a, "10.1.0.32/27");
	add_prefix(b, "10.3.0.0/24");
	add_prefix(a, "2001:db8:1::/64");
	add_prefix(b, "2001:db8:2::/48");
	add_prefix(a, "2001:db8:1:0:1::/80");
	add_prefix(b, "2001:db8:3::/56");
	a->prefixes.v[1].addr[15] |= 5; /* host bits, as no parser leaves them */
	if (compile_state(s, 0, &c, &e))
		fail_msg("compile: %s", e.msg);
	assert_int_equal(compiled_pfx_lens(&c, lens), 0);
	assert_memory_equal(lens[0], v4, sizeof(v4));
	assert_memory_equal(lens[1], v6, sizeof(v6));
	for (size_t i = 0; i < c.pfxs.n; i++)
		if (c.pfxs.v[i].k.prefixlen == 32 + 96 + 28)
			assert_int_equal(c.pfxs.v[i].k.addr[15] & 0xf, 0);
	compiled_free(&c);

	add_prefix(b, "10.4.0.0/20"); /* a fifth IPv4 length */
	assert_int_equal(compile_state(s, 0, &c, &e), -E2BIG);
	for (const char *want = "eniaddr_pfx\0IPv4\0more than 4 lengths\0"
				"/28 (10.1.0.16/28 of test: enis[0])\0/16 (10.2.0.0/16 of test: enis[1])\0"
				"/27 (10.1.0.32/27 of test: enis[0])\0/24 (10.3.0.0/24 of test: enis[1])\0"
				"/20 (10.4.0.0/20 of test: enis[1])\0";
	     *want; want += strlen(want) + 1)
		if (!strstr(e.msg, want))
			fail_msg("message lacks '%s': %s", want, e.msg);
	b->prefixes.n--;

	add_prefix(a, "2001:db8:400::/40"); /* a fifth IPv6 length */
	err_clear(&e);
	assert_int_equal(compile_state(s, 0, &c, &e), -E2BIG);
	if (!strstr(e.msg, "IPv6") || !strstr(e.msg, "/40 (2001:db8:400::/40 of test: enis[0])"))
		fail_msg("message lacks the IPv6 lengths: %s", e.msg);
}

static void test_capacity_enis(void **st)
{
	struct desired_state *s = *st;

	for (int i = 0; i <= ENIADDR_MAX_ENIS; i++)
		eni(s, 2 + i, "", "");
	expect_e2big(s, "eniaddr_enis", "65 entries needed", "64 fit");
}

static void test_capacity_src(void **st)
{
	struct desired_state *s = *st;
	struct prefix_list *pl;

	plist(s, "pl-huge", "");
	pl = &s->prefix_lists.v[0];
	for (int i = 0; i <= ENIADDR_MAX_SRC / 2; i++) {
		struct ip_prefix *p = VEC_PUSH(&pl->cidrs);

		*p = pfx("10.0.0.0");
		p->addr[13] = (uint8_t)(i >> 16);
		p->addr[14] = (uint8_t)(i >> 8);
		p->addr[15] = (uint8_t)i;
	}
	rule(s, "sg-a", IN, TCP, 22, 22, "pl-huge");
	eni(s, 2, "sg-a", "10.0.0.1");
	expect_e2big(s, "eniaddr_src", "65537 entries needed", "65536 fit");
}

/* 7 policies of 1024 ranges x 10 port blocks each need 71680 l4 entries, more than 65536. */
static void test_capacity_l4(void **st)
{
	struct desired_state *s = *st;
	struct compiled c;
	struct err e = { 0 };

	for (int g = 0; g < 7; g++) {
		char id[16], ip[32];

		snprintf(id, sizeof(id), "sg-%d", g);
		for (int i = 0; i < 1024; i++)
			rule(s, id, IN, TCP, i * 64 + 1, i * 64 + 62, "0.0.0.0/0");
		snprintf(ip, sizeof(ip), "10.0.0.%d", g + 1);
		eni(s, 2 + g, id, ip);
	}
	assert_int_equal(compile_state(s, 0, &c, &e), -E2BIG);
	if (!strstr(e.msg, "eniaddr_l4") || !strstr(e.msg, "71680 entries needed") ||
	    !strstr(e.msg, "65536 fit") || !strstr(e.msg, "sg-0") || !strstr(e.msg, "10240"))
		fail_msg("unexpected message: %s", e.msg);
	/* one fewer fits */
	s->enis.n--;
	compile_ok(s, 0, &c);
	assert_int_equal(c.l4s.n, 6 * 10240);
	compiled_free(&c);
	s->enis.n++;
}

/* ---------------------------------------------------------------- port blocks */

static void check_blocks(unsigned int lo, unsigned int hi, const unsigned int *st,
			 const unsigned int *pl, int n)
{
	unsigned long next = lo;

	for (int i = 0; i < n; i++) {
		unsigned long size = 1ul << (16 - pl[i]);

		assert_true(pl[i] <= 16);
		assert_int_equal(st[i], next);      /* contiguous, ascending */
		assert_int_equal(st[i] % size, 0);  /* aligned */
		next = st[i] + size;
	}
	assert_int_equal(next, (unsigned long)hi + 1);
}

static void test_port_blocks(void **st)
{
	static const struct {
		unsigned int lo, hi;
		int n;
		unsigned int first_start, first_plen;
	} cases[] = {
		{ 0, 65535, 1, 0, 0 },
		{ 1, 65534, 30, 1, 16 },
		{ 80, 80, 1, 80, 16 },
		{ 1024, 65535, 6, 1024, 6 },
		{ 0, 0, 1, 0, 16 },
		{ 65535, 65535, 1, 65535, 16 },
		{ 0, 32767, 1, 0, 1 },
		{ 32768, 65535, 1, 32768, 1 },
		{ 1, 62, 10, 1, 16 },
		{ 8000, 8080, 3, 8000, 10 }, /* 8000-8063, 8064-8079, 8080 */
	};
	unsigned int starts[32], plens[32], small[2], smallp[2];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int n = port_range_to_prefixes(cases[i].lo, cases[i].hi, starts, plens, 32);

		if (n != cases[i].n)
			fail_msg("%u..%u: %d blocks, want %d", cases[i].lo, cases[i].hi, n,
				 cases[i].n);
		check_blocks(cases[i].lo, cases[i].hi, starts, plens, n);
		assert_int_equal(starts[0], cases[i].first_start);
		assert_int_equal(plens[0], cases[i].first_plen);
	}
	/* max bounds what is written, not what is counted */
	assert_int_equal(port_range_to_prefixes(1, 65534, small, smallp, 2), 30);
	assert_int_equal(small[1], 2);
	assert_int_equal(port_range_to_prefixes(5, 4, starts, plens, 32), -EINVAL);
	assert_int_equal(port_range_to_prefixes(0, 65536, starts, plens, 32), -EINVAL);
	/* every range: valid cover of at most 30 blocks */
	for (unsigned int lo = 0; lo < 65536; lo += 997)
		for (unsigned int hi = lo; hi < 65536; hi += 1009) {
			int n = port_range_to_prefixes(lo, hi, starts, plens, 32);

			assert_true(n >= 1 && n <= 30);
			check_blocks(lo, hi, starts, plens, n);
		}
}

/* ---------------------------------------------------------------- structure of the output */

/* Sorted, no duplicate keys (LPM and hash maps hold one value per key), prefixes canonical. */
/* b's span is its first and last nonzero word (0, 0 for none), counted here apart from the
 * compiler, and its padding is clear. */
static void check_span(const struct eniaddr_rule_bits *b)
{
	int lo = -1, hi = -1;

	for (int i = 0; i < ENIADDR_RULE_WORDS; i++)
		if (b->w[i] && lo < 0)
			lo = i;
	for (int i = ENIADDR_RULE_WORDS - 1; i >= 0; i--)
		if (b->w[i] && hi < 0)
			hi = i;
	assert_int_equal(b->lo, lo < 0 ? 0 : lo);
	assert_int_equal(b->hi, hi < 0 ? 0 : hi);
	for (size_t i = 0; i < sizeof(b->pad); i++)
		assert_int_equal(b->pad[i], 0);
}

static void check_structure(const struct compiled *c)
{
	for (size_t i = 0; i < c->srcs.n; i++)
		check_span(&c->srcs.v[i].v);
	for (size_t i = 0; i < c->l4s.n; i++)
		check_span(&c->l4s.v[i].v);
	for (size_t i = 0; i < c->bits.n; i++)
		check_span(&c->bits.v[i]);
	for (size_t i = 0; i < c->srcs.n; i++) {
		const struct eniaddr_src_key *k = &c->srcs.v[i].k;
		struct ip_prefix p = { .plen = (uint8_t)(k->prefixlen - 32) };

		assert_true(k->prefixlen >= 32 && k->prefixlen <= 160);
		assert_int_not_equal(k->policy, ENIADDR_POLICY_NONE);
		/* each family's prefixes under its own id */
		assert_int_equal(!!(k->policy & ENIADDR_POLICY_V6_BIT), !ip_is_v4(k->addr));
		memcpy(p.addr, k->addr, 16);
		for (int b = p.plen; b < 128; b++)
			assert_false(p.addr[b / 8] & (0x80 >> (b % 8)));
		if (i) {
			const struct eniaddr_src_key *q = &c->srcs.v[i - 1].k;
			int d = q->policy != k->policy ? (q->policy < k->policy ? -1 : 1)
						       : memcmp(q->addr, k->addr, 16);

			assert_true(d < 0 || (d == 0 && q->prefixlen < k->prefixlen));
		}
	}
	for (size_t i = 0; i < c->l4s.n; i++) {
		const struct eniaddr_l4_key *k = &c->l4s.v[i].k;
		__u32 sel = ntohl(k->sel), port = (sel >> 8) & 0xffff;

		assert_int_not_equal(k->policy, ENIADDR_POLICY_NONE);
		if (k->prefixlen == 32) { /* the policy-wide "all protocols" entry */
			assert_int_equal(sel, 0);
			continue;
		}
		assert_true(k->prefixlen >= 40 && k->prefixlen <= 56);
		assert_int_equal(sel & 0xff, 0);
		assert_int_equal(port % (1u << (56 - k->prefixlen)), 0);
		if (i && c->l4s.v[i - 1].k.prefixlen > 32) {
			const struct eniaddr_l4_key *q = &c->l4s.v[i - 1].k;

			/* blocks of one policy never overlap */
			assert_true(q->policy < k->policy ||
				    (q->policy == k->policy &&
				     (uint64_t)ntohl(q->sel) + (1ull << (8 + 56 - q->prefixlen)) <= sel));
		}
	}
	for (size_t i = 1; i < c->addrs.n; i++)
		assert_true(memcmp(c->addrs.v[i - 1].k.addr, c->addrs.v[i].k.addr, 16) < 0);
	for (size_t i = 1; i < c->enis.n; i++)
		assert_true(c->enis.v[i - 1].k.ifindex < c->enis.v[i].k.ifindex);
}

static bool compiled_equal(const struct compiled *a, const struct compiled *b)
{
#define SAME(f) (a->f.n == b->f.n && (!a->f.n || !memcmp(a->f.v, b->f.v, a->f.n * sizeof(*a->f.v))))
	return SAME(enis) && SAME(addrs) && SAME(pfxs) && SAME(srcs) && SAME(l4s) && SAME(policies);
#undef SAME
}

/* ---------------------------------------------------------------- randomized differential */

static uint64_t rnd(uint64_t *x) /* xorshift64*, fixed seed: the same run every time */
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 2685821657736338717ull;
}

#define R(n) ((unsigned int)(rnd(rng) % (n)))

static void rand_prefix(uint64_t *rng, char *buf, size_t len)
{
	static const int v4len[] = { 0, 8, 12, 16, 20, 24, 26, 28, 30, 32 };
	static const int v6len[] = { 0, 16, 32, 48, 56, 64, 96, 112, 120, 128 };

	switch (R(20)) {
	case 0:
		snprintf(buf, len, "::/%d", R(2) ? 80 : 64); /* IPv6 prefixes over the v4 space */
		return;
	case 1:
	case 2:
	case 3:
	case 4:
	case 5:
		snprintf(buf, len, "2001:db8:%x::%x/%d", R(3), R(4), v6len[R(ARRAY_SIZE(v6len))]);
		return;
	default:
		snprintf(buf, len, "10.%u.%u.%u/%d", R(3), R(4), R(256), v4len[R(ARRAY_SIZE(v4len))]);
	}
}

static const int rand_protos[] = { TCP, TCP, TCP, TCP, UDP, UDP, ICMP, ICMP6, ALL, 50, 47 };
static const int pkt_protos[] = { TCP, TCP, TCP, UDP, UDP, ICMP, ICMP6, 50, 47 };

static unsigned int rand_port(uint64_t *rng)
{
	static const unsigned int edges[] = { 0, 1, 22, 80, 443, 1023, 1024, 65534, 65535 };

	return R(3) ? R(2048) : R(2) ? edges[R(ARRAY_SIZE(edges))] : R(65536);
}

static void rand_rule(struct desired_state *s, uint64_t *rng, const char *gid, int dir)
{
	static const char *const peers[] = { "pl-0", "pl-1", "sg-0", "sg-1", "sg-2", "sg-3" };
	int proto = rand_protos[R(ARRAY_SIZE(rand_protos))], from = ANY, to = ANY;
	char peer[64];

	if (proto == TCP || proto == UDP) {
		unsigned int lo = rand_port(rng), span[] = { 0, 0, R(16), R(1024), R(65536) };
		unsigned int hi = lo + span[R(5)];

		from = (int)lo;
		to = (int)(hi > 65535 ? 65535 : hi);
	} else if (proto == ICMP || proto == ICMP6) {
		static const int types[] = { 0, 3, 8, 11, 128, 129, 255 };

		from = R(5) ? types[R(ARRAY_SIZE(types))] : ANY;
		to = from != ANY && R(2) ? (int)R(16) : ANY;
	}
	if (R(5))
		rand_prefix(rng, peer, sizeof(peer));
	else
		snprintf(peer, sizeof(peer), "%s", peers[R(ARRAY_SIZE(peers))]);
	rule(s, gid, dir, proto, from, to, peer);
}

static const char *const rand_locals[] = {
	"10.0.0.10", "10.0.0.11", "2001:db8:0:1::10", "10.1.0.20", "10.2.0.30", "2001:db8:2::30",
};

static void rand_state(struct desired_state *s, uint64_t *rng, int n_rules)
{
	char buf[64];

	for (int g = 0; g < 4; g++) {
		snprintf(buf, sizeof(buf), "sg-%d", g);
		grp(s, buf)->egress_set = R(4) != 0;
	}
	for (int i = 0; i < 2; i++) {
		plist(s, i ? "pl-1" : "pl-0", "");
		for (unsigned int n = R(4) + 1; n; n--) {
			rand_prefix(rng, buf, sizeof(buf));
			*VEC_PUSH(&s->prefix_lists.v[i].cidrs) = pfx(buf);
		}
	}
	for (unsigned int n = R(4); n; n--) {
		snprintf(buf, sizeof(buf), "10.%u.%u.%u", R(3), R(4), R(256));
		member(s, R(2) ? "sg-2" : "sg-3", buf);
	}
	eni(s, 2, "sg-0,sg-1", "10.0.0.10,10.0.0.11,2001:db8:0:1::10");
	*VEC_PUSH(&eni(s, 3, "sg-2", "10.1.0.20")->prefixes) = pfx("10.1.0.64/28");
	eni(s, 4, "sg-3,sg-0", "10.2.0.30,2001:db8:2::30");
	override(s, "10.0.0.11", "sg-2,sg-3");
	for (int i = 0; i < n_rules; i++) {
		snprintf(buf, sizeof(buf), "sg-%u", R(4));
		rand_rule(s, rng, buf, R(10) < 7 ? IN : OUT);
	}
}

/* A source: inside a random rule's peer (or a local address), or anywhere near the test space. */
static void rand_source(const struct desired_state *s, uint64_t *rng, uint8_t src[16])
{
	const struct group *g = &s->groups.v[R(s->groups.n)];
	const struct rule *r = NULL;
	struct ip_prefix p;
	char buf[64];

	if (g->ingress.n && R(4))
		r = &g->ingress.v[R(g->ingress.n)];
	else if (g->egress.n && R(2))
		r = &g->egress.v[R(g->egress.n)];
	if (!r || R(5) == 0) {
		rand_prefix(rng, buf, sizeof(buf));
		p = pfx(buf);
	} else if (r->peer_kind == PEER_CIDR) {
		p = r->cidr;
	} else if (r->peer_kind == PEER_PREFIX_LIST) {
		const struct prefix_list *pl = state_find_prefix_list(s, r->ref);

		p = pl->cidrs.v[R(pl->cidrs.n)];
	} else {
		const struct group *rg = state_find_group(s, r->ref);

		if (rg->members.n && R(2))
			p = rg->members.v[R(rg->members.n)];
		else
			p = pfx(R(4) ? rand_locals[R(6)] : "10.1.0.64/28"); /* ENI 3's prefix */
	}
	unsigned int mode = R(4); /* host bits: 0 all zero, 1 all one (the edges), else random */

	memcpy(src, p.addr, 16);
	for (int b = p.plen; b < 128; b++)
		if (mode == 1 || (mode > 1 && (rnd(rng) & 1)))
			src[b / 8] |= (uint8_t)(0x80 >> (b % 8));
}

static void test_random_differential(void **st)
{
	static const int sizes[] = { 1, 2, 3, 5, 8, 13, 21, 40, 80, 150, 300, 500, 700, 1000 };
	uint64_t seed = 0x5eed5eed12345678ull, *rng = &seed;
	size_t packets = 0, allowed = 0;

	for (size_t k = 0; k < ARRAY_SIZE(sizes); k++) {
		struct desired_state s;
		struct compiled c, again;

		state_init(&s);
		rand_state(&s, rng, sizes[k]);
		compile_ok(&s, k % 2, &c);
		check_structure(&c);
		compile_ok(&s, k % 2, &again);
		assert_true(compiled_equal(&c, &again)); /* deterministic */
		compiled_free(&again);
		for (int i = 0; i < 450; i++) {
			const char *local = rand_locals[R(6)];
			int dir = R(3) ? IN : OUT;
			int proto = R(8) ? pkt_protos[R(ARRAY_SIZE(pkt_protos))] : (int)R(256);
			unsigned int port = rand_port(rng);
			uint8_t src[16];
			bool got, ref;

			rand_source(&s, rng, src);
			if (proto == ICMP || proto == ICMP6)
				port = R(2) ? TC(R(2) ? 8 : R(256), R(3) ? 0 : R(256)) : port;
			got = compiled_verdict(&c, dir, local, src, proto, port);
			ref = reference_verdict(&s, dir, local, src, proto, port);
			if (got != ref) {
				char a[64];

				ip_addr_format(src, a, sizeof(a));
				fail_msg("set %zu (%d rules) packet %d: %s %s %s proto %d port %u: compiled %d, reference %d",
					 k, sizes[k], i, dir == IN ? "in" : "out", local, a, proto,
					 port, got, ref);
			}
			packets++;
			allowed += got;
		}
		compiled_free(&c);
		state_free(&s);
	}
	/* the random space must exercise both verdicts, or the comparison proves little */
	print_message("%zu packets, %zu allowed\n", packets, allowed);
	assert_true(allowed > packets / 10 && allowed < packets * 9 / 10);
}

/*
 * Every rule-bit value carries the span of its nonzero words, and the tables meet through it
 * (span_meet, as bpf/rules.h). 999 rules tcp 1000+i from 10.(i/256).(i%256).0/24 and one tcp 1
 * from 0.0.0.0/0: tcp 1 is bit 0, rule i is bit i + 1, so rule i's peer holds bits 0 and i + 1
 * (span 0 .. (i + 1) / 64) and its port bit i + 1 alone. Meets at both ends of a span, none
 * across adjacent ones.
 */
static void test_rule_spans(void **st)
{
	static const struct pkt p[] = {
		{ IN, LOCAL, "10.3.230.7", TCP, 1998, true },  /* rule 998: bit 999, word 15 */
		{ IN, LOCAL, "10.3.230.7", TCP, 1997, false }, /* bit 998: same word, not its bit */
		{ IN, LOCAL, "10.3.230.7", TCP, 1, true },     /* the root's bit: word 0 */
		{ IN, LOCAL, "10.1.244.7", TCP, 1500, true },  /* rule 500: bit 501, word 7 */
		{ IN, LOCAL, "10.0.62.7", TCP, 1063, false },  /* words 0..0 against 1..1 */
		{ IN, LOCAL, "10.0.62.7", TCP, 1062, true },   /* rule 62: bit 63, word 0 */
		{ IN, LOCAL, "10.0.63.7", TCP, 1063, true },   /* rule 63: bit 64, word 1 */
		{ IN, LOCAL, "192.0.2.1", TCP, 1998, false },
		{ IN, LOCAL, "192.0.2.1", TCP, 1, true },
	};
	static const struct { const char *peer; unsigned int port; int lo, hi, plo, phi; } want[] = {
		{ "10.3.230.7", 1998, 0, 15, 15, 15 },
		{ "10.1.244.7", 1500, 0, 7, 7, 7 },
		{ "10.0.62.7", 1062, 0, 0, 0, 0 },
		{ "10.0.63.7", 1063, 0, 1, 1, 1 },
		{ "192.0.2.1", 1, 0, 0, 0, 0 },
	};
	struct desired_state *s = *st;
	struct compiled c;
	char cidr[32];
	__u32 policy;

	for (int i = 0; i < 999; i++) {
		snprintf(cidr, sizeof(cidr), "10.%d.%d.0/24", i / 256, i % 256);
		rule(s, "sg-a", IN, TCP, 1000 + i, 1000 + i, cidr);
	}
	rule(s, "sg-a", IN, TCP, 1, 1, "0.0.0.0/0");
	eni(s, 2, "sg-a", LOCAL);
	compile_ok(s, 0, &c);
	check_structure(&c);
	policy = c_addr(&c, LOCAL)->v.in_policy;
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct eniaddr_rule_bits *a, *b;
		uint8_t peer[16];

		assert_int_equal(ip_addr_parse(want[i].peer, peer), 0);
		a = src_lookup(&c, policy, peer);
		b = l4_lookup(&c, policy, TCP, want[i].port);
		assert_non_null(a);
		assert_non_null(b);
		if (a->lo != want[i].lo || a->hi != want[i].hi || b->lo != want[i].plo ||
		    b->hi != want[i].phi)
			fail_msg("%s port %u: spans %u..%u and %u..%u, want %d..%d and %d..%d",
				 want[i].peer, want[i].port, a->lo, a->hi, b->lo, b->hi, want[i].lo,
				 want[i].hi, want[i].plo, want[i].phi);
	}
	check_pkts_on(s, &c, p, ARRAY_SIZE(p));
	compiled_free(&c);
}

/* 1000 rules on one ENI (16 groups x ~60 rules, AWS's ceiling): well under a second. */
static void test_thousand_rules_fast(void **st)
{
	struct desired_state *s = *st;
	uint64_t seed = 42, *rng = &seed;
	struct compiled c;
	struct timespec t0, t1;
	double ms;
	char groups[256] = "", id[16], cidr[64];

	for (int g = 0; g < 16; g++) {
		snprintf(id, sizeof(id), "sg-%02d", g);
		snprintf(groups + strlen(groups), sizeof(groups) - strlen(groups), "%s%s",
			 g ? "," : "", id);
		for (int i = 0; i < 62; i++) {
			unsigned int lo = R(3) ? R(65536) : 1024 + R(64);

			if (R(4))
				snprintf(cidr, sizeof(cidr), "10.%u.%u.0/%u", R(256), R(256),
					 16 + R(9));
			else
				snprintf(cidr, sizeof(cidr), "2001:db8:%x:%x::/%u", R(65536),
					 R(65536), 32 + R(97));
			rule(s, id, IN, R(5) ? TCP : UDP, (int)lo,
			     (int)(R(2) ? lo : lo + R(65536 - lo)), cidr);
		}
		rule(s, id, OUT, ALL, ANY, ANY, "0.0.0.0/0");
	}
	eni(s, 2, groups, "10.0.0.1");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	compile_ok(s, 0, &c);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	print_message("992 rules: %.1f ms, %u selectors, %zu src, %zu l4 entries\n", ms,
		      c_policy(&c, c.enis.v[0].v.in_policy)->n_selectors, c.srcs.n, c.l4s.n);
	check_structure(&c);
	assert_true(ms < 1000.0);
	compiled_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_blocks),
		cmocka_unit_test_setup_teardown(test_union_of_groups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlapping_cidrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_edges, setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_wildcards, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proto_all_and_numbered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_reference, setup, teardown),
		cmocka_unit_test_setup_teardown(test_families_stay_apart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_override_policies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_egress_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guard_in_every_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expansion_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_selectors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_addrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_enis, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix_lengths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_src, setup, teardown),
		cmocka_unit_test_setup_teardown(test_capacity_l4, setup, teardown),
		cmocka_unit_test(test_random_differential),
		cmocka_unit_test_setup_teardown(test_aws_quota_per_family, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thousand_rules_fast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_spans, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
