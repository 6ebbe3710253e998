// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_bpf_publish_cached.c — the agent's fast path for a sync (a compile reusing the rules
 * of the last one, a publish trusting its own record of the slots) leaves the kernel's maps
 * exactly as the slow path (everything compiled, the inactive slot read back) does.
 *
 * Two copies of the object, each with its own maps (two fixtures): the same sequence of desired
 * states, each a fresh parse of one native config plus that step's changes (as the agent builds
 * its state anew on every reconcile), goes to copy A through compile_state_with(cache) and
 * publish_commit_with(shadow), and to copy B through compile_state and a publish without shadow.
 * After every step both compiled outputs are compared byte for byte, and every entry of every
 * map a publish writes — both slots of eniaddr_enis, _addrs, _pfx, _src, _l4, _nexthop, the
 * whole of eniaddr_policies, _trie, _bits, _eni_rows, _eni_index(_big), _owned_hint, and
 * eniaddr_state — is dumped from both and compared. Each step also says whether A must have reused the rules (its policies' inputs did
 * not change) and checks that A's publisher trusted its record, so the fast path is what ran.
 *
 * Then other publishers come in between, as a CLI `apply` does: one that succeeds (the
 * generation moves) and one that fails half way through the inactive slot and undoes it (no
 * generation moves; the publish ledger does). A's record must be distrusted and the maps still
 * equal B's. The tests run in order and build on each other.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/reconcile.h"
#include "bpf_fixture.h"
#include "compile/compile.h"
#include "guard.h"
#include "kernel/ledger.h"
#include "kernel/owner_maps.h"
#include "kernel/publish.h"
#include "source/native.h"
#include "state.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Ifindexes of ENIs that need no device: only compiled and published, never run. */
#define IF_C 9003
#define IF_D 9004

static struct bpf_fixture fa, fb; /* A: the fast path; B: the reference */
static struct compile_cache cache;
static struct publish_shadow shadow;
static int step_no; /* the number of changes applied to the base (cumulative) */

/* The agent's own reconcile, on a private bpffs (the last test). */
static struct {
	char tmp[64], bpffs[128];
	bool mounted, open;
	struct reconciler r;
} ag;

/*
 * eth-a and eth-b carry sg-web (which also names itself as a peer), eth-c carries sg-db (whose
 * rule names sg-web); 10.0.1.12 has its own groups (sg-admin, whose udp rule names sg-web);
 * pl-corp is a prefix list; sg-db has no egress list (AWS's default, all allowed).
 */
static const char *base =
	"{\"enis\": ["
	" {\"interface\": \"eth-a\", \"security_groups\": [\"sg-web\"],"
	"  \"addresses\": [\"10.0.1.10\", {\"address\": \"10.0.1.11\", \"primary\": true},"
	"   {\"address\": \"10.0.1.12\", \"security_groups\": [\"sg-admin\"]}, \"2001:db8:1::10\"],"
	"  \"prefixes\": [\"10.0.1.32/28\"], \"subnets\": [\"10.0.1.0/24\", \"2001:db8:1::/64\"],"
	"  \"vpc_cidr\": \"10.0.0.0/16\"},"
	" {\"interface\": \"eth-b\", \"security_groups\": [\"sg-web\"],"
	"  \"addresses\": [{\"address\": \"10.0.1.20\", \"primary\": true}, \"10.0.1.21\"],"
	"  \"subnets\": [\"10.0.1.0/24\"]},"
	" {\"interface\": \"eth-c\", \"security_groups\": [\"sg-db\"],"
	"  \"addresses\": [{\"address\": \"10.0.2.30\", \"primary\": true}]}],"
	" \"security_groups\": ["
	"  {\"id\": \"sg-web\", \"ingress\": ["
	"    {\"protocol\": \"tcp\", \"ports\": \"443\", \"from\": [\"0.0.0.0/0\", \"::/0\"]},"
	"    {\"protocol\": \"tcp\", \"ports\": \"8000-8080\", \"from\": [\"pl-corp\", \"sg-admin\"]},"
	"    {\"protocol\": \"icmp\", \"icmp_type\": 8, \"icmp_code\": -1, \"from\": [\"10.0.0.0/8\"]},"
	"    {\"protocol\": \"udp\", \"ports\": \"5000-5100\", \"from\": [\"sg-web\"]}],"
	"   \"egress\": [{\"protocol\": \"all\", \"to\": [\"0.0.0.0/0\", \"::/0\"]}]},"
	"  {\"id\": \"sg-db\", \"ingress\": ["
	"    {\"protocol\": \"tcp\", \"ports\": \"5432\", \"from\": [\"sg-web\"]}]},"
	"  {\"id\": \"sg-admin\", \"ingress\": ["
	"    {\"protocol\": \"tcp\", \"ports\": 22, \"from\": [\"192.0.2.0/24\"]},"
	"    {\"protocol\": \"udp\", \"from\": [\"sg-web\"]}],"
	"   \"egress\": [{\"protocol\": \"tcp\", \"ports\": 443, \"to\": [\"0.0.0.0/0\"]}],"
	"   \"members\": [\"10.0.2.5\"]}],"
	" \"prefix_lists\": [{\"id\": \"pl-corp\", \"cidrs\": [\"192.0.2.0/24\", \"2001:db8:ff::/48\"]}]}";

/* ------------------------------------------------------------------ changes to the state */

static struct eni *eni_named(struct desired_state *s, const char *name)
{
	for (size_t i = 0; i < s->enis.n; i++)
		if (!strcmp(s->enis.v[i].ifname, name))
			return &s->enis.v[i];
	fail_msg("no ENI %s", name);
	return NULL;
}

static struct address *addr_of(struct eni *n, const char *ip, size_t *at)
{
	struct ip_prefix p;

	assert_int_equal(ip_prefix_parse(ip, &p), 0);
	for (size_t i = 0; i < n->addrs.n; i++)
		if (ip_prefix_equal(&n->addrs.v[i].ip, &p)) {
			if (at)
				*at = i;
			return &n->addrs.v[i];
		}
	fail_msg("%s has no address %s", n->ifname, ip);
	return NULL;
}

static void add_addr(struct desired_state *s, const char *eni, const char *ip)
{
	struct address *a = VEC_PUSH(&eni_named(s, eni)->addrs);

	assert_non_null(a);
	assert_int_equal(ip_prefix_parse(ip, &a->ip), 0);
}

static void drop_addr(struct desired_state *s, const char *eni, const char *ip)
{
	struct eni *n = eni_named(s, eni);
	size_t at = 0;

	addr_of(n, ip, &at);
	group_refs_free(&n->addrs.v[at].groups);
	memmove(&n->addrs.v[at], &n->addrs.v[at + 1], (n->addrs.n - at - 1) * sizeof(*n->addrs.v));
	n->addrs.n--;
}

static void move_addr(struct desired_state *s, const char *from, const char *to, const char *ip)
{
	drop_addr(s, from, ip);
	add_addr(s, to, ip);
}

static struct rule *push_rule(struct desired_state *s, const char *group, int proto, int port,
			      const char *cidr)
{
	struct group *g = state_find_group(s, group);
	struct rule *r;

	assert_non_null(g);
	r = VEC_PUSH(&g->ingress);
	assert_non_null(r);
	r->proto = proto;
	r->from = r->to = port;
	r->peer_kind = PEER_CIDR;
	assert_int_equal(ip_prefix_parse(cidr, &r->cidr), 0);
	return r;
}

static void push_prefix(void *vec, const char *cidr)
{
	VEC(struct ip_prefix) *v = vec;
	struct ip_prefix *p = VEC_PUSH(v);

	assert_non_null(p);
	assert_int_equal(ip_prefix_parse(cidr, p), 0);
}

static void c_same(struct desired_state *s) { (void)s; }
static void c_move_same_groups(struct desired_state *s) { move_addr(s, "eth-b", "eth-a", "10.0.1.21"); }
static void c_move_other_groups(struct desired_state *s) { move_addr(s, "eth-a", "eth-c", "10.0.1.10"); }
static void c_add_addr(struct desired_state *s) { add_addr(s, "eth-c", "10.0.2.31"); }
static void c_drop_member(struct desired_state *s) { drop_addr(s, "eth-a", "2001:db8:1::10"); }
static void c_timeouts(struct desired_state *s) { eni_named(s, "eth-a")->timeouts.tcp_established = 7200; }
static void c_mode(struct desired_state *s) { eni_named(s, "eth-b")->mode = ENIADDR_MODE_AUDIT; }
static void c_rule_added(struct desired_state *s) { push_rule(s, "sg-db", IPPROTO_TCP, 6379, "10.0.0.0/8"); }
static void c_rule_changed(struct desired_state *s)
{
	struct rule *r = &state_find_group(s, "sg-web")->ingress.v[0];

	assert_int_equal(r->from, 443);
	r->from = r->to = 8443;
}
static void c_rule_peer(struct desired_state *s)
{
	struct group *g = state_find_group(s, "sg-web");
	size_t i = 0;

	while (i < g->ingress.n && g->ingress.v[i].proto != IPPROTO_ICMP) /* from 10.0.0.0/8 */
		i++;
	assert_true(i < g->ingress.n);
	assert_int_equal(ip_prefix_parse("11.0.0.0/8", &g->ingress.v[i].cidr), 0);
}
static void c_members(struct desired_state *s) { push_prefix(&state_find_group(s, "sg-admin")->members, "10.0.2.6/32"); }
static void c_prefix_list(struct desired_state *s) { push_prefix(&state_find_prefix_list(s, "pl-corp")->cidrs, "198.51.100.0/24"); }
static void c_eni_added(struct desired_state *s)
{
	struct eni *n = VEC_PUSH(&s->enis);

	assert_non_null(n);
	snprintf(n->ifname, sizeof(n->ifname), "eth-d");
	n->src_check = true;
	state_default_timeouts(&n->timeouts);
	assert_int_equal(group_refs_add(&n->groups, "sg-db"), 0);
	add_addr(s, "eth-d", "10.0.3.40");
	n = eni_named(s, "eth-d");
	n->addrs.v[0].primary = true;
}
static void c_eni_removed(struct desired_state *s)
{
	struct eni *n = eni_named(s, "eth-b");
	size_t at = (size_t)(n - s->enis.v);

	eni_free(n);
	memmove(n, n + 1, (s->enis.n - at - 1) * sizeof(*n));
	s->enis.n--;
}
static void c_override(struct desired_state *s)
{
	struct address *a = addr_of(eni_named(s, "eth-c"), "10.0.2.31", NULL);

	a->has_override = true;
	assert_int_equal(group_refs_add(&a->groups, "sg-admin"), 0);
}
static void c_guard(struct desired_state *s)
{
	struct eniaddr_guard g;
	struct err e = {};

	assert_int_equal(guard_parse("198.51.100.0/24:22", &g, &e), 0);
	assert_int_equal(guard_apply(s, &g, 1, &e), 0);
}
static void c_router(struct desired_state *s)
{
	struct eni *n = eni_named(s, "eth-a");
	struct ip_prefix p;

	assert_int_equal(ip_prefix_parse("10.0.1.254", &p), 0);
	n->routers[ENI_V4].set = true;
	n->routers[ENI_V4].origin = ENIADDR_NH_CONFIG;
	memcpy(n->routers[ENI_V4].addr, p.addr, 16);
}

enum expect { MISS, HIT };

/* Applied in order, each on top of the ones before. */
static const struct change {
	const char *name;
	void (*apply)(struct desired_state *s);
	enum expect rules; /* whether A may reuse the rules of the step before */
} changes[] = {
	{ "the same state again", c_same, HIT },
	{ "an address moves between two ENIs of the same groups", c_move_same_groups, HIT },
	{ "an address moves to an ENI of other groups (a group peer shrinks)", c_move_other_groups, MISS },
	{ "an address is added to an ENI whose group no rule names", c_add_addr, HIT },
	{ "an address a group peer counts is removed", c_drop_member, MISS },
	{ "an ENI's timeouts change", c_timeouts, HIT },
	{ "an ENI's mode changes", c_mode, HIT },
	{ "a rule is added", c_rule_added, MISS },
	{ "a rule's port changes", c_rule_changed, MISS },
	{ "a rule's peer CIDR changes", c_rule_peer, MISS },
	{ "a group's member list grows", c_members, MISS },
	{ "a prefix list grows", c_prefix_list, MISS },
	{ "an ENI of known groups is added", c_eni_added, HIT },
	{ "an ENI is removed (its addresses leave a group peer)", c_eni_removed, MISS },
	{ "an address gets an override of a group already in use", c_override, HIT },
	{ "an ENI's router is configured", c_router, HIT },
	{ "a management guard is added", c_guard, MISS },
};

/* The base with the first n changes, ifindexes bound as the agent's localize would. */
static void build(struct desired_state *s, int n)
{
	struct err e = {};

	state_init(s);
	if (source_native_parse(base, "cfg.json", s, &e))
		fail_msg("parsing the config: %s", e.msg);
	for (int i = 0; i < n; i++)
		changes[i].apply(s);
	for (size_t i = 0; i < s->enis.n; i++) {
		struct eni *x = &s->enis.v[i];

		x->ifindex = !strcmp(x->ifname, "eth-a") ? fa.ifindex[0] :
			     !strcmp(x->ifname, "eth-b") ? fa.ifindex[1] :
			     !strcmp(x->ifname, "eth-c") ? IF_C : IF_D;
	}
	if (state_validate(s, &e))
		fail_msg("state of step %d: %s", n, e.msg);
}

/* -------------------------------------------------------------------------- the map dumps */

struct dump {
	uint8_t *recs; /* key, then value; sorted by key */
	size_t n, ks, vs;
};

static int rec_cmp(const void *a, const void *b, void *ks)
{
	return memcmp(a, b, *(size_t *)ks);
}

/* Every entry of the map (both slots), in key order: BPF_MAP_LOOKUP_BATCH where the map has it
 * (hash maps and arrays), else key by key (LPM tries). */
static void dump_map(int fd, struct dump *d)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), count;
	uint8_t key[64], next[64], *keys, *vals;
	void *prev = NULL;
	bool first = true, done = false;
	size_t rs;

	memset(d, 0, sizeof(*d));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	d->ks = info.key_size;
	d->vs = info.value_size;
	rs = d->ks + d->vs;
	assert_true(d->ks <= sizeof(key));
	d->recs = malloc((size_t)info.max_entries * rs + 1);
	keys = malloc((size_t)info.max_entries * d->ks + 1);
	vals = malloc((size_t)info.max_entries * d->vs + 1);
	assert_true(d->recs && keys && vals);
	while (!done) {
		count = info.max_entries;
		if (bpf_map_lookup_batch(fd, first ? NULL : key, key, keys, vals, &count, NULL)) {
			if (errno != ENOENT)
				break; /* no batch operations: below */
			done = true;
		}
		first = false;
		for (__u32 i = 0; i < count; i++, d->n++) {
			memcpy(d->recs + d->n * rs, keys + i * d->ks, d->ks);
			memcpy(d->recs + d->n * rs + d->ks, vals + (size_t)i * d->vs, d->vs);
		}
	}
	if (!done) {
		d->n = 0;
		while (!bpf_map_get_next_key(fd, prev, next)) {
			assert_true(d->n < info.max_entries);
			memcpy(d->recs + d->n * rs, next, d->ks);
			assert_int_equal(bpf_map_lookup_elem(fd, next, d->recs + d->n * rs + d->ks), 0);
			d->n++;
			memcpy(key, next, d->ks);
			prev = key;
		}
	}
	free(keys);
	free(vals);
	if (d->n > 1)
		qsort_r(d->recs, d->n, rs, rec_cmp, &d->ks);
}

/* The maps a publish writes (and eniaddr_l4, which it must leave alone), A's against B's. */
static void assert_maps_equal(const char *what)
{
	const struct { const char *name; size_t off; } maps[] = {
		{ "eniaddr_state", offsetof(struct map_fds, state) },
		{ "eniaddr_enis", offsetof(struct map_fds, enis) },
		{ "eniaddr_addrs", offsetof(struct map_fds, addrs) },
		{ "eniaddr_addrs4", offsetof(struct map_fds, addrs4) },
		{ "eniaddr_pfx", offsetof(struct map_fds, pfx) },
		{ "eniaddr_pfx4", offsetof(struct map_fds, pfx4) },
		{ "eniaddr_src", offsetof(struct map_fds, src) },
		{ "eniaddr_l4", offsetof(struct map_fds, l4) },
		{ "eniaddr_nexthop", offsetof(struct map_fds, nexthop) },
		{ "eniaddr_policies", offsetof(struct map_fds, policies) },
		{ "eniaddr_trie", offsetof(struct map_fds, trie) },
		{ "eniaddr_bits", offsetof(struct map_fds, bits) },
		{ "eniaddr_eni_rows", offsetof(struct map_fds, eni_rows) },
		{ "eniaddr_eni_index", offsetof(struct map_fds, eni_index) },
		{ "eniaddr_eni_index_big", offsetof(struct map_fds, eni_index_big) },
		{ "eniaddr_owned_hint", offsetof(struct map_fds, owned_hint) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(maps); i++) {
		struct dump a, b;
		size_t rs;

		dump_map(*(const int *)((const char *)&fa.maps + maps[i].off), &a);
		dump_map(*(const int *)((const char *)&fb.maps + maps[i].off), &b);
		rs = a.ks + a.vs;
		if (a.n != b.n)
			fail_msg("%s: %s holds %zu entries after the fast path, %zu after the slow one",
				 what, maps[i].name, a.n, b.n);
		for (size_t j = 0; j < a.n; j++)
			if (memcmp(a.recs + j * rs, b.recs + j * rs, rs))
				fail_msg("%s: %s entry %zu of %zu differs between the fast and the slow path",
					 what, maps[i].name, j, a.n);
		free(a.recs);
		free(b.recs);
	}
}

#define SAME_VEC(what, field)                                                                 \
	do {                                                                                  \
		if (a->field.n != b->field.n ||                                               \
		    (a->field.n && memcmp(a->field.v, b->field.v, a->field.n * sizeof(*a->field.v)))) \
			fail_msg("%s: compiled " #field " differ (%zu and %zu entries)", what,  \
				 a->field.n, b->field.n);                                     \
	} while (0)

static void assert_compiled_equal(const char *what, const struct compiled *a,
				  const struct compiled *b)
{
	assert_int_equal(a->slot, b->slot);
	SAME_VEC(what, enis);
	SAME_VEC(what, addrs);
	SAME_VEC(what, pfxs);
	SAME_VEC(what, srcs);
	SAME_VEC(what, l4s);
	SAME_VEC(what, policies);
	SAME_VEC(what, nexthops);
	SAME_VEC(what, pol_tbl);
	SAME_VEC(what, nodes);
	SAME_VEC(what, bits);
}

/* ------------------------------------------------------------------------- the publishes */

/* s into A the agent's way (cache and shadow) and into B the slow way; compared. */
static void publish_both(const struct desired_state *s, const char *what)
{
	struct publish_opts fast = { .shadow = &shadow }, slow = { 0 };
	struct compiled ca = { 0 }, cb = { 0 };
	struct publish_result ra, rb;
	unsigned int sa, sb;
	struct err e = {};

	assert_int_equal(publish_prepare(&fa.maps, &sa, &e), 0);
	assert_int_equal(publish_prepare(&fb.maps, &sb, &e), 0);
	assert_int_equal(sa, sb);
	if (compile_state_with(s, sa, &cache, &ca, &e) || compile_state(s, sb, &cb, &e))
		fail_msg("%s: compile: %s", what, e.msg);
	assert_compiled_equal(what, &ca, &cb);
	if (publish_commit_with(&fa.maps, &ca, &fast, &ra, &e) ||
	    publish_commit_with(&fb.maps, &cb, &slow, &rb, &e))
		fail_msg("%s: publish: %s", what, e.msg);
	assert_int_equal(ra.generation, rb.generation);
	compile_cache_keep(&cache, &ca);
	compiled_free(&cb);
	assert_maps_equal(what);
}

static int group_setup(void **state)
{
	static const char *const devs[] = { "a0", "b0" };
	struct err e = {};

	(void)state;
	if (fixture_setup(&fa, "pubca", devs, 2, ENIADDR_CT_SIZE_MIN) ||
	    fixture_setup(&fb, "pubcb", devs, 2, ENIADDR_CT_SIZE_MIN))
		return -1;
	fa.maps.ledger = ledger_create(&e); /* as the agent's pins give it */
	return fa.maps.ledger < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	(void)state;
	if (ag.open)
		reconciler_close(&ag.r);
	if (ag.mounted && umount2(ag.bpffs, MNT_DETACH))
		fprintf(stderr, "test_bpf_publish_cached: umount %s: %s\n", ag.bpffs, strerror(errno));
	if (ag.bpffs[0])
		rmdir(ag.bpffs);
	if (ag.tmp[0])
		rmdir(ag.tmp);
	if (fa.maps.ledger >= 0)
		close(fa.maps.ledger);
	compile_cache_free(&cache);
	publish_shadow_free(&shadow);
	fixture_teardown(&fb);
	fixture_teardown(&fa);
	return 0;
}

/* ----------------------------------------------------------------------------- the tests */

/* Every change of the list, one publish each: the same maps both ways, and the fast path taken
 * where it may be (the rules reused exactly when their inputs did not change; the publisher's
 * record trusted from the second publish on: the first reads both slots back). */
static void test_every_change_publishes_the_same_maps(void **state)
{
	struct desired_state s;

	(void)state;
	build(&s, 0);
	publish_both(&s, "the base config");
	state_free(&s);
	assert_int_equal(cache.misses, 1);
	assert_int_equal(shadow.read_back, 1);
	for (size_t i = 0; i < ARRAY_SIZE(changes); i++) {
		unsigned long hits = cache.hits, trusted = shadow.trusted;

		build(&s, (int)i + 1);
		publish_both(&s, changes[i].name);
		state_free(&s);
		step_no = (int)i + 1;
		if ((cache.hits > hits) != (changes[i].rules == HIT))
			fail_msg("%s: the rules were %s, expected %s", changes[i].name,
				 cache.hits > hits ? "reused" : "compiled anew",
				 changes[i].rules == HIT ? "reused" : "compiled anew");
		if (shadow.trusted != trusted + 1)
			fail_msg("%s: the publisher read the slot back instead of trusting its record",
				 changes[i].name);
	}
	assert_int_equal(shadow.read_back, 1);
}

/* Another publisher (a CLI `apply`, no shadow) publishes a different state; the agent then
 * publishes its own again: its record of the slots is distrusted (the generation moved). */
static void test_foreign_publish_distrusts_the_record(void **state)
{
	struct publish_opts plain = { 0 };
	struct desired_state other, s;
	struct publish_result r;
	unsigned long read_back = shadow.read_back;
	struct err e = {};

	(void)state;
	build(&other, 0);
	for (int k = 0; k < 2; k++) {
		struct bpf_fixture *f = k ? &fb : &fa;
		struct compiled c = { 0 };
		unsigned int slot;

		assert_int_equal(publish_prepare(&f->maps, &slot, &e), 0);
		assert_int_equal(compile_state(&other, slot, &c, &e), 0);
		assert_int_equal(publish_commit_with(&f->maps, &c, &plain, &r, &e), 0);
		compiled_free(&c);
	}
	state_free(&other);
	build(&s, step_no);
	publish_both(&s, "the agent's state after another publisher's");
	state_free(&s);
	assert_int_equal(shadow.read_back, read_back + 1);
	/* and it is trusted again from the next publish on */
	build(&s, step_no);
	publish_both(&s, "the agent's state once more");
	state_free(&s);
	assert_int_equal(shadow.read_back, read_back + 1);
}

/* A compiled state whose src entries repeat a key: its publish fails after writing the owners
 * of the inactive slot, and clears that slot again. */
static void failing_publish(struct bpf_fixture *f, const struct desired_state *s)
{
	struct publish_opts plain = { 0 };
	struct compiled c = { 0 };
	struct publish_result r;
	struct compiled_src *dup;
	size_t pub = 0;
	unsigned int slot;
	struct err e = {};
	__u64 before;

	assert_int_equal(publish_prepare(&f->maps, &slot, &e), 0);
	assert_int_equal(compile_state(s, slot, &c, &e), 0);
	while (pub < c.srcs.n && !compiled_src_published(&c.srcs.v[pub]))
		pub++;
	assert_true(pub < c.srcs.n);
	dup = VEC_PUSH(&c.srcs);
	assert_non_null(dup);
	*dup = c.srcs.v[pub]; /* one the maps hold, twice */
	before = 0;
	if (f->maps.ledger >= 0)
		assert_int_equal(ledger_read(f->maps.ledger, &before, &e), 0);
	assert_int_equal(publish_commit_with(&f->maps, &c, &plain, &r, &e), -EEXIST);
	if (f->maps.ledger >= 0) {
		__u64 after;

		assert_int_equal(ledger_read(f->maps.ledger, &after, &e), 0);
		assert_int_equal(after, before + 1);
	}
	compiled_free(&c);
}

/* Exact addresses of slot, both families. */
static size_t addrs_in_slot(const struct map_fds *m, unsigned int slot)
{
	VEC(struct compiled_addr) v = {};
	struct err e = {};
	size_t n;

	assert_int_equal(owner_read(m, (int)slot, &v, NULL, &e), 0);
	n = v.n;
	VEC_FREE(&v);
	return n;
}

/* Another publisher fails half way and undoes its writes: the inactive slot the agent's record
 * describes is empty now, and no generation moved. Only the ledger tells; the agent must read
 * the slot back, or its publish would skip the entries it believes are there. */
static void test_failed_foreign_publish_distrusts_the_record(void **state)
{
	unsigned long read_back = shadow.read_back;
	struct eniaddr_state before, after;
	struct desired_state other, s;
	unsigned int inactive;
	__u32 key = 0;

	(void)state;
	assert_int_equal(bpf_map_lookup_elem(fa.maps.state, &key, &before), 0);
	inactive = 1 - before.active_slot;
	assert_true(addrs_in_slot(&fa.maps, inactive) > 0); /* what the record says */
	build(&other, 0);
	failing_publish(&fa, &other);
	failing_publish(&fb, &other);
	state_free(&other);
	assert_int_equal(bpf_map_lookup_elem(fa.maps.state, &key, &after), 0);
	assert_int_equal(after.generation, before.generation);
	assert_int_equal(addrs_in_slot(&fa.maps, inactive), 0);
	build(&s, step_no);
	publish_both(&s, "the agent's state after a failed publish of another");
	state_free(&s);
	assert_int_equal(shadow.read_back, read_back + 1);
	assert_true(addrs_in_slot(&fa.maps, inactive) > 0);
}

/* Without a ledger nothing proves that nobody else wrote: the record is never trusted. */
static void test_no_ledger_no_trust(void **state)
{
	unsigned long trusted = shadow.trusted;
	int ledger = fa.maps.ledger;
	struct desired_state s;

	(void)state;
	fa.maps.ledger = -1;
	for (int i = 0; i < 2; i++) {
		build(&s, step_no);
		publish_both(&s, "a publish without a ledger");
		state_free(&s);
	}
	fa.maps.ledger = ledger;
	assert_int_equal(shadow.trusted, trusted);
}

/* The agent's source: a0 with 192.0.2.10 and 192.0.2.30, b0 with 192.0.2.20; once moved,
 * 192.0.2.30 is b0's. */
static int agent_build(void *ctx, struct desired_state *out, struct err *e)
{
	static const char *fmt =
		"{\"enis\": ["
		" {\"interface\": \"a0\", \"security_groups\": [\"sg-x\"],"
		"  \"addresses\": [{\"address\": \"192.0.2.10\", \"primary\": true}%s]},"
		" {\"interface\": \"b0\", \"security_groups\": [\"sg-x\"],"
		"  \"addresses\": [{\"address\": \"192.0.2.20\", \"primary\": true}%s]}],"
		" \"security_groups\": [{\"id\": \"sg-x\", \"ingress\": ["
		"  {\"protocol\": \"tcp\", \"ports\": \"22\", \"from\": [\"198.51.100.0/24\"]},"
		"  {\"protocol\": \"udp\", \"ports\": \"53\", \"from\": [\"sg-x\"]}]}]}";
	bool moved = *(const bool *)ctx;
	char text[1024];

	snprintf(text, sizeof(text), fmt, moved ? "" : ", \"192.0.2.30\"",
		 moved ? ", \"192.0.2.30\"" : "");
	return source_native_parse(text, "agent.json", out, e);
}

/* The owner of addr in the active slot, 0 when none. */
static __u32 owner_ifindex(const struct map_fds *m, const char *addr)
{
	struct eniaddr_addr_key k = { 0 };
	struct eniaddr_state st;
	struct eniaddr_owner o;
	struct ip_prefix p;
	__u32 zero = 0;

	assert_int_equal(bpf_map_lookup_elem(m->state, &zero, &st), 0);
	assert_int_equal(ip_prefix_parse(addr, &p), 0);
	k.slot = st.active_slot;
	memcpy(k.addr, p.addr, 16);
	return owner_addr_get(m, &k, &o) == 1 ? o.ifindex : 0;
}

/* `run` itself takes the fast path: its second reconcile, an address moving between its ENIs,
 * reuses the rules and trusts its record; the move is published. */
static void test_agent_reconcile_takes_the_fast_path(void **state)
{
	bool moved = false;
	struct state_builder src = { agent_build, &moved };
	struct reconcile_result res;
	struct err e = {};
	int fd;

	(void)state;
	snprintf(ag.tmp, sizeof(ag.tmp), "/tmp/eniaddr-pubcache-XXXXXX");
	assert_non_null(mkdtemp(ag.tmp));
	snprintf(ag.bpffs, sizeof(ag.bpffs), "%s/bpf", ag.tmp);
	assert_int_equal(mkdir(ag.bpffs, 0700), 0);
	assert_int_equal(mount("bpf", ag.bpffs, "bpf", 0, "mode=0700"), 0);
	ag.mounted = true;
	if (reconciler_open(&ag.r, ag.bpffs, ATTACH_REQ_GENERIC, ENIADDR_CT_SIZE_MIN, &e))
		fail_msg("reconciler_open: %s", e.msg);
	ag.open = true;
	fd = ledger_open(&ag.r.pins, false, &e); /* the agent pinned the ledger */
	assert_true(fd >= 0);
	close(fd);
	if (reconcile(&ag.r, &src, &res, &e))
		fail_msg("first reconcile: %s", e.msg);
	assert_true(res.published);
	assert_int_equal(owner_ifindex(&ag.r.maps, "192.0.2.30"), fb.ifindex[0]);
	assert_int_equal(ag.r.cache.misses, 1);
	moved = true;
	if (reconcile(&ag.r, &src, &res, &e))
		fail_msg("second reconcile: %s", e.msg);
	assert_true(res.published);
	assert_int_equal(owner_ifindex(&ag.r.maps, "192.0.2.30"), fb.ifindex[1]);
	assert_int_equal(ag.r.cache.hits, 1);
	assert_int_equal(ag.r.shadow.trusted, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_change_publishes_the_same_maps),
		cmocka_unit_test(test_foreign_publish_distrusts_the_record),
		cmocka_unit_test(test_failed_foreign_publish_distrusts_the_record),
		cmocka_unit_test(test_no_ledger_no_trust),
		cmocka_unit_test(test_agent_reconcile_takes_the_fast_path),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
