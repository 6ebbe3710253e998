// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/lib/bpf_fixture.c — see bpf_fixture.h. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <net/if.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "bpf_fixture.h"
#include "compile/compile.h"
#include "kernel/owned_hint.h"
#include "kernel/owner_maps.h"
#include "kernel/publish.h"
#include "kernel/stats.h"

/* ---- setup ---- */

/* The veth pairs of devs: "x0" brings its peer "x1". */
static int add_veths(const struct netns *ns, const char *const *devs, size_t n_devs)
{
	char peer[IF_NAMESIZE];
	size_t i;
	int rc;

	for (i = 0; i < n_devs; i++) {
		if (strlen(devs[i]) != 2 || (devs[i][1] != '0' && devs[i][1] != '1'))
			return -EINVAL;
		if (devs[i][1] != '0')
			continue;
		snprintf(peer, sizeof(peer), "%c1", devs[i][0]);
		rc = netns_veth_add(ns, devs[i], NULL, peer);
		if (rc)
			return rc;
	}
	return 0;
}

static int load(struct bpf_fixture *fx, __u32 ct_size)
{
	int rc;

	fx->skel = eniaddr__open();
	if (!fx->skel)
		return -errno;
	if (ct_size) {
		rc = bpf_map__set_max_entries(fx->skel->maps.ENIADDR_MAP_CT, ct_size) ?:
		     bpf_map__set_max_entries(fx->skel->maps.ENIADDR_MAP_CT4, ct_size);
		if (rc)
			return rc;
	}
	rc = eniaddr__load(fx->skel);
	if (rc)
		return rc;
	return runtime_fds_from_object(fx->skel->obj, &fx->maps);
}

/* As attach does: headers written, each device its own counter slot. */
static int count_devices(struct bpf_fixture *fx, size_t n_devs)
{
	struct err e = {};
	size_t i;
	int rc = stats_init(&fx->maps, &e);

	for (i = 0; !rc && i < n_devs; i++) {
		rc = stats_dev_assign(&fx->maps, (__u32)fx->ifindex[i], &e);
		rc = rc > 0 ? 0 : rc ? rc : -ENOSPC;
	}
	if (rc)
		fprintf(stderr, "%s: counter slots: %s\n", program_invocation_short_name, e.msg);
	return rc;
}

int fixture_setup(struct bpf_fixture *fx, const char *tag, const char *const *devs,
		  size_t n_devs, __u32 ct_size)
{
	size_t i;
	int rc;

	memset(fx, 0, sizeof(*fx));
	fx->ns.fd = -1;
	map_fds_init(&fx->maps);
	if (n_devs > FIXTURE_MAX_DEVS)
		return -EINVAL;
	fx->ncpus = libbpf_num_possible_cpus();
	if (fx->ncpus <= 0)
		return fx->ncpus ? fx->ncpus : -EINVAL;
	rc = netns_create(&fx->ns, tag);
	if (!rc)
		rc = add_veths(&fx->ns, devs, n_devs);
	for (i = 0; !rc && i < n_devs; i++) {
		rc = netns_ifindex(&fx->ns, devs[i]);
		fx->ifindex[i] = rc;
		rc = rc > 0 ? 0 : rc;
	}
	if (!rc)
		rc = netns_enter(&fx->ns);
	if (rc) {
		fprintf(stderr, "%s: namespace setup: %s\n", program_invocation_short_name,
			strerror(-rc));
		goto fail;
	}
	rc = load(fx, ct_size);
	if (!rc)
		rc = count_devices(fx, n_devs);
	if (rc) {
		fprintf(stderr, "%s: loading the BPF object: %s\n", program_invocation_short_name,
			strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	fixture_teardown(fx);
	return rc;
}

void fixture_teardown(struct bpf_fixture *fx)
{
	eniaddr__destroy(fx->skel);
	fx->skel = NULL;
	map_fds_init(&fx->maps);
	netns_destroy(&fx->ns);
}

int fixture_load_on_maps(const struct bpf_fixture *fx, struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		int fd;

		if (bpf_map__is_internal(map))
			continue;
		fd = runtime_map_fd(&fx->maps, bpf_map__name(map));
		if (fd < 0)
			return fd;
		if (bpf_map__reuse_fd(map, fd))
			return -errno;
	}
	return bpf_object__load(obj);
}

int fixture_group_teardown(void **state)
{
	if (*state)
		fixture_teardown(*state);
	return 0;
}

/* ---- runs ---- */

int fixture_run_repeat(const struct bpf_program *prog, const struct pkt *p, int ifindex,
		       __u32 repeat, __u32 *retval, __u32 *ns_per_run)
{
	struct xdp_md xdp = { .data_end = (__u32)p->len, .ingress_ifindex = (__u32)ifindex };
	struct __sk_buff skb = { .ifindex = (__u32)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data, .data_size_in = (__u32)p->len,
		    .repeat = (int)repeat);
	int err;

	if (bpf_program__type(prog) == BPF_PROG_TYPE_XDP) {
		opts.ctx_in = &xdp;
		opts.ctx_size_in = sizeof(xdp);
	} else {
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
	}
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	*retval = opts.retval;
	if (ns_per_run)
		*ns_per_run = opts.duration;
	return err;
}

int fixture_run(const struct bpf_program *prog, const struct pkt *p, int ifindex,
		__u32 *retval)
{
	return fixture_run_repeat(prog, p, ifindex, 1, retval, NULL);
}

int fixture_run_fastest(const struct bpf_program *prog, const struct pkt *p, int ifindex,
			__u32 repeat, int trials, __u32 *ns, __u32 *retval)
{
	__u32 t;

	*ns = ~0u;
	for (int i = 0; i < trials; i++) {
		int err = fixture_run_repeat(prog, p, ifindex, repeat, retval, &t);

		if (err)
			return err;
		if (t < *ns)
			*ns = t;
	}
	return 0;
}

/* ---- counters ---- */

struct fixture_count fixture_stat(const struct bpf_fixture *fx, const struct eniaddr_stat_key *k)
{
	struct fixture_count c = { 0, 0 };
	struct eniaddr_stat s;
	struct err e = {};

	if (stats_get(&fx->maps, k, &s, &e))
		return c;
	c.packets = s.packets;
	c.bytes = s.bytes;
	return c;
}

__u64 fixture_stat_total(const struct bpf_fixture *fx)
{
	struct stat_rows rows = {};
	struct err e = {};
	__u64 total = 0;
	size_t i;

	if (!stats_read(&fx->maps, 0, &rows, &e))
		for (i = 0; i < rows.v.n; i++)
			total += rows.v.v[i].packets;
	VEC_FREE(&rows.v);
	return total;
}

struct fixture_snapshot fixture_snapshot(const struct bpf_fixture *fx,
					 const struct eniaddr_stat_key *k)
{
	struct fixture_snapshot s = { .key = *k };

	s.count = fixture_stat(fx, k);
	s.total = fixture_stat_total(fx);
	return s;
}

struct fixture_moved fixture_moved(const struct bpf_fixture *fx,
				   const struct fixture_snapshot *before)
{
	struct fixture_count now = fixture_stat(fx, &before->key);
	struct fixture_moved m = {
		.packets = now.packets - before->count.packets,
		.bytes = now.bytes - before->count.bytes,
	};

	m.total = fixture_stat_total(fx) - before->total;
	return m;
}

const char *fixture_reason_name(enum eniaddr_reason r)
{
	const char *name = stats_reason_name(r);

	return name ? name : "?";
}

/* ---- map entries ---- */

static struct eniaddr_state get_state(const struct bpf_fixture *fx)
{
	struct eniaddr_state st;
	__u32 zero = 0;

	assert_int_equal(bpf_map_lookup_elem(fx->maps.state, &zero, &st), 0);
	return st;
}

static void set_state(const struct bpf_fixture *fx, const struct eniaddr_state *st)
{
	__u32 zero = 0;

	assert_int_equal(bpf_map_update_elem(fx->maps.state, &zero, st, 0), 0);
}

void fixture_put_state(const struct bpf_fixture *fx, __u32 slot)
{
	fixture_put_state_gen(fx, slot, 1);
}

void fixture_put_state_gen(const struct bpf_fixture *fx, __u32 slot, __u64 gen)
{
	struct eniaddr_state st = get_state(fx);

	st.active_slot = slot;
	st.generation = gen;
	set_state(fx, &st);
}

void fixture_put_pfx_lens(const struct bpf_fixture *fx, __u32 slot, bool v6,
			  const __u8 lens[ENIADDR_PFX_LENS])
{
	struct eniaddr_state st = get_state(fx);

	memcpy(st.pfx_lens[slot][v6], lens, ENIADDR_PFX_LENS);
	st.uncovered[slot] = eniaddr_pfx_uncovered(st.pfx_lens[slot]);
	set_state(fx, &st);
}

/* Both slots' prefix lengths (and the uncovered flags that go with them) and hints as the
 * publisher writes them: from what the owner maps hold. */
static void sync_owners(const struct bpf_fixture *fx)
{
	struct compiled c[2] = { { .slot = 0 }, { .slot = 1 } };
	struct eniaddr_state st = get_state(fx);
	struct err e = {};

	for (int s = 0; s < 2; s++)
		assert_int_equal(owner_read(&fx->maps, s, &c[s].addrs, &c[s].pfxs, &e), 0);
	for (int s = 0; s < 2; s++) {
		assert_int_equal(compiled_pfx_lens(&c[s], st.pfx_lens[s]), 0);
		st.uncovered[s] = eniaddr_pfx_uncovered(st.pfx_lens[s]);
		if (publish_owned_hint(&fx->maps, &c[s], &e))
			fail_msg("hints of slot %d: %s", s, e.msg);
		compiled_free(&c[s]);
	}
	set_state(fx, &st);
}

/* The row of slot that holds ifindex's settings (1-based), else a free one: packets read the
 * settings there (maps/eniaddr.h, eniaddr_eni_rows), the record in eniaddr_enis. */
static __u32 fixture_eni_row(const struct bpf_fixture *fx, __u32 slot, __u32 ifindex)
{
	int fd = ifindex < ENIADDR_ENI_INDEX_MAX ? fx->maps.eni_index : fx->maps.eni_index_big;
	struct eniaddr_eni_index ix = {};
	struct eniaddr_eni_row r;

	if (bpf_map_lookup_elem(fd, &ifindex, &ix))
		assert_int_equal(errno, ENOENT); /* the hash of large ifindexes: none yet */
	if (ix.row[slot])
		return ix.row[slot];
	for (__u32 i = 0; i < ENIADDR_MAX_ENIS; i++) {
		__u32 key = slot * ENIADDR_MAX_ENIS + i;

		assert_int_equal(bpf_map_lookup_elem(fx->maps.eni_rows, &key, &r), 0);
		if (!r.ifindex) {
			ix.row[slot] = (__u8)(i + 1);
			assert_int_equal(bpf_map_update_elem(fd, &ifindex, &ix, 0), 0);
			return i + 1;
		}
	}
	fail_msg("no free ENI row in slot %u", slot);
	return 0;
}

void fixture_put_eni(const struct bpf_fixture *fx, __u32 slot, int ifindex,
		     const struct eniaddr_eni *v)
{
	struct eniaddr_eni_key k = { .slot = slot, .ifindex = (__u32)ifindex };
	struct eniaddr_eni_row r = { .eni = *v, .ifindex = (__u32)ifindex };
	__u32 row = slot * ENIADDR_MAX_ENIS + fixture_eni_row(fx, slot, (__u32)ifindex) - 1;

	assert_int_equal(bpf_map_update_elem(fx->maps.enis, &k, v, 0), 0);
	assert_int_equal(bpf_map_update_elem(fx->maps.eni_rows, &row, &r, 0), 0);
}

static struct ip_prefix prefix(const char *text)
{
	struct ip_prefix p;

	assert_int_equal(ip_prefix_parse(text, &p), 0);
	return p;
}

void fixture_put_any_hint(const struct bpf_fixture *fx, __u32 slot, const __u8 addr[16],
			  bool set)
{
	__u32 bit = eniaddr_any_bit(addr), key = slot * ENIADDR_ANY_WORDS + (bit >> 6);
	__u64 w;

	assert_int_equal(bpf_map_lookup_elem(fx->maps.any_hint, &key, &w), 0);
	w = set ? w | 1ULL << (bit & 63) : w & ~(1ULL << (bit & 63));
	assert_int_equal(bpf_map_update_elem(fx->maps.any_hint, &key, &w, 0), 0);
}

void fixture_put_hint(const struct bpf_fixture *fx, __u32 slot, const __u8 addr[16],
		      __u32 ifindex, bool set)
{
	__u32 bit = eniaddr_hint_bit(addr, ifindex), key = slot * ENIADDR_HINT_WORDS + (bit >> 6);
	__u64 w;

	assert_int_equal(bpf_map_lookup_elem(fx->maps.owned_hint, &key, &w), 0);
	w = set ? w | 1ULL << (bit & 63) : w & ~(1ULL << (bit & 63));
	assert_int_equal(bpf_map_update_elem(fx->maps.owned_hint, &key, &w, 0), 0);
}

void fixture_put_owner(const struct bpf_fixture *fx, __u32 slot, const char *text,
		       const struct eniaddr_owner *o)
{
	struct ip_prefix p = prefix(text);
	struct eniaddr_owner v = *o;

	if (!strchr(text, '/')) {
		struct compiled_addr a = { .k.slot = slot, .v = v };

		memcpy(a.k.addr, p.addr, 16);
		assert_int_equal(owner_addr_put(&fx->maps, &a, 0), 0);
	} else {
		struct compiled_pfx x = { .k = { .prefixlen = 32 + p.plen, .slot = slot }, .v = v };

		memcpy(x.k.addr, p.addr, 16);
		x.v.flags |= ENIADDR_ADDR_F_PREFIX;
		assert_int_equal(owner_pfx_put(&fx->maps, &x, 0), 0);
	}
	sync_owners(fx);
}

void fixture_del_owner(const struct bpf_fixture *fx, __u32 slot, const char *text)
{
	struct ip_prefix p = prefix(text);

	if (!strchr(text, '/')) {
		struct eniaddr_addr_key k = { .slot = slot };

		memcpy(k.addr, p.addr, 16);
		assert_int_equal(owner_addr_delete(&fx->maps, &k), 0);
	} else {
		struct eniaddr_pfx_key k = { .prefixlen = 32 + p.plen, .slot = slot };

		memcpy(k.addr, p.addr, 16);
		assert_int_equal(owner_pfx_delete(&fx->maps, &k), 0);
	}
	sync_owners(fx);
}

bool fixture_owner_absent(const struct bpf_fixture *fx, __u32 slot, const char *addr)
{
	struct eniaddr_state st = get_state(fx);
	struct ip_prefix p = prefix(addr);
	__u32 bit = eniaddr_any_bit(p.addr), key = slot * ENIADDR_ANY_WORDS + (bit >> 6);
	__u8 fam = ip_prefix_is_v4(&p) ? ENIADDR_UNCOVERED_V4 : ENIADDR_UNCOVERED_V6;
	__u64 w;

	assert_int_equal(bpf_map_lookup_elem(fx->maps.any_hint, &key, &w), 0);
	return !(st.uncovered[slot] & fam) && !(w & 1ULL << (bit & 63));
}

/* Every entry of the rule map fd (key and value types K, V, the compiled vector type T) into
 * the compiled state of its slot. */
#define READ_RULES(fd, K, T, vec_of)                                                       \
	do {                                                                                \
		K key_, *prev_ = NULL;                                                      \
		while (!bpf_map_get_next_key(fd, prev_, &key_)) {                          \
			T *x_ = VEC_PUSH(&vec_of(&c[publish_policy_slot(key_.policy)]));    \
			assert_non_null(x_);                                                \
			x_->k = key_;                                                       \
			assert_int_equal(bpf_map_lookup_elem(fd, &key_, &x_->v), 0);       \
			prev_ = &key_;                                                      \
		}                                                                           \
	} while (0)
#define SRCS(cc) (cc)->srcs
#define L4S(cc) (cc)->l4s

/* The rule tables the datapath reads, rebuilt from the hand-written entries as a publish would. */
static void sync_tables(const struct bpf_fixture *fx)
{
	struct compiled c[2] = { { .slot = 0 }, { .slot = 1 } };
	struct err e = { 0 };

	READ_RULES(fx->maps.src, struct eniaddr_src_key, struct compiled_src, SRCS);
	READ_RULES(fx->maps.l4, struct eniaddr_l4_key, struct compiled_l4, L4S);
	for (int s = 0; s < 2; s++) {
		if (compile_tables(&c[s], &e))
			fail_msg("rule tables of slot %d: %s", s, e.msg);
		/* no stale roots from earlier calls: every policy of the slot is rewritten */
		while (c[s].pol_tbl.n < ENIADDR_MAX_POLICIES)
			assert_non_null(VEC_PUSH(&c[s].pol_tbl));
		if (publish_tables(&fx->maps, &c[s], &e))
			fail_msg("rule tables of slot %d: %s", s, e.msg);
		compiled_free(&c[s]);
	}
}

void fixture_put_subnet4(const struct bpf_fixture *fx, __u32 slot, int ifindex,
			 const char *subnet)
{
	struct eniaddr_nexthop_key k = { .slot = slot, .ifindex = (__u32)ifindex,
					 .family = ENIADDR_AF_INET };
	struct ip_prefix p = prefix(subnet);
	struct eniaddr_nexthop v = { .plen = p.plen };

	memcpy(v.subnet, p.addr, 16);
	for (unsigned int i = 0; i < p.plen; i++)
		v.mask[i / 8] |= (__u8)(0x80 >> (i % 8));
	memcpy(v.gateway, p.addr, 16);
	v.gateway[15]++;
	assert_int_equal(bpf_map_update_elem(fx->maps.nexthop, &k, &v, 0), 0);
}

void fixture_put_src(const struct bpf_fixture *fx, __u32 policy, const char *text,
		     struct eniaddr_rule_bits bits)
{
	struct ip_prefix p = prefix(text);
	struct eniaddr_src_key k = { .prefixlen = 32 + p.plen, .policy = policy };

	if (!ip_prefix_is_v4(&p))
		k.policy |= ENIADDR_POLICY_V6_BIT;
	memcpy(k.addr, p.addr, 16);
	assert_int_equal(bpf_map_update_elem(fx->maps.src, &k, &bits, 0), 0);
	sync_tables(fx);
}

void fixture_put_l4(const struct bpf_fixture *fx, __u32 policy, int proto, __u32 port,
		    int port_bits, struct eniaddr_rule_bits bits)
{
	struct eniaddr_l4_key k = { .prefixlen = 32, .policy = policy };

	if (proto >= 0) {
		k.prefixlen = 32 + 8 + (__u32)port_bits;
		k.sel = htonl(ENIADDR_L4_SEL(proto, port));
	}
	assert_int_equal(bpf_map_update_elem(fx->maps.l4, &k, &bits, 0), 0);
	k.policy |= ENIADDR_POLICY_V6_BIT;
	assert_int_equal(bpf_map_update_elem(fx->maps.l4, &k, &bits, 0), 0);
	sync_tables(fx);
}

struct eniaddr_rule_bits rule_bits_of(const int *list)
{
	struct eniaddr_rule_bits b = { 0 };

	for (; *list >= 0; list++)
		b.w[*list / 64] |= 1ull << (*list % 64);
	compile_rule_span(&b);
	return b;
}
