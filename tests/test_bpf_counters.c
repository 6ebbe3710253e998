// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_bpf_counters.c — the counter layout (maps/eniaddr.h, eniaddr_stats): a packet moves
 * its reason's named field in the entry of (device slot, direction, action) on the CPU it ran
 * on, exactly once; user space sums the CPUs right; per-address drops likewise, colliding
 * addresses counted apart, a hammered address kept exactly through a spray, and the rows plus
 * the unattributed drops equal to the drops at owned addresses; a device
 * without a slot counts in the shared bucket; reset zeroes counts and keeps the headers; and a
 * released slot is clean for the next device. (Each reason's exactly-once is the ingress and
 * egress tables' check, test_bpf_ingress and test_bpf_egress.)
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "bpf_fixture.h"
#include "eniaddr.h"
#include "kernel/stats.h"

#define POLICY 1u
#define DST "192.0.2.1"
#define SPRAYED "10.7.0.0/16" /* a delegated prefix: 65,536 owned addresses to spray */
#define SPRAY (3 * ENIADDR_ADDR_DROP_BUCKETS * ENIADDR_ADDR_DROP_WAYS) /* addresses: 3 tables */

static struct bpf_fixture fx;

static int setup(void **state)
{
	static const char *const devs[] = { "a0" };
	struct eniaddr_eni eni = { .in_policy = POLICY, .out_policy = POLICY,
				   .timeouts = { 7200, 60, 10, 30, 180, 30, 600, 0 } };
	struct eniaddr_owner o = { .in_policy = POLICY, .out_policy = POLICY };

	if (fixture_setup(&fx, "bpfcnt", devs, 1, 0))
		return -1;
	o.ifindex = (__u32)fx.ifindex[0];
	fixture_put_state(&fx, 0);
	fixture_put_eni(&fx, 0, fx.ifindex[0], &eni);
	fixture_put_owner(&fx, 0, DST, &o);
	fixture_put_owner(&fx, 0, SPRAYED, &o);
	fixture_put_src(&fx, POLICY, "0.0.0.0/0", RULE_BITS(0));
	fixture_put_l4(&fx, POLICY, IPPROTO_TCP, 443, 16, RULE_BITS(0));
	*state = &fx;
	return 0;
}

static void on_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	assert_int_equal(sched_setaffinity(0, sizeof(set), &set), 0);
}

static void all_cpus(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < fx.ncpus && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static struct pkt tcp_to_addr(const char *dst, int dport)
{
	struct pkt_spec spec = { .src = "198.51.100.7", .dst = dst, .proto = IPPROTO_TCP,
				 .sport = 40000, .dport = (uint16_t)dport, .payload = 10 };
	struct pkt p;

	assert_int_equal(pkt_build(&p, &spec), 0);
	p.data[p.off[PKT_L_L4] + 13] = 0x04; /* RST: never state, so every run meets the rules */
	return p;
}

static struct pkt tcp_to(int dport)
{
	return tcp_to_addr(DST, dport);
}

static void run_n(const struct bpf_program *prog, const struct pkt *p, int ifindex, int n,
		  __u32 want)
{
	for (int i = 0; i < n; i++) {
		__u32 ret = 0;

		assert_int_equal(fixture_run(prog, p, ifindex, &ret), 0);
		assert_int_equal(ret, want);
	}
}

/* The raw per-CPU entry of (ifindex's slot, dir, act). */
static struct eniaddr_stats *raw_entry(int ifindex, __u8 dir, __u8 act)
{
	struct eniaddr_stats *v = calloc((size_t)fx.ncpus, sizeof(*v));
	__u32 dev = 0, idx;

	assert_non_null(v);
	assert_int_equal(bpf_map_lookup_elem(fx.maps.stats_dev, &ifindex, &dev), 0);
	idx = ENIADDR_STATS_INDEX(dev, dir, act);
	assert_int_equal(bpf_map_lookup_elem(fx.maps.stats, &idx, v), 0);
	return v;
}

/* 3 drops on CPU 0 and 2 on CPU 1 land in the named field of each CPU's copy; the sum is 5. */
static void test_per_cpu_fields_and_sum(void **state)
{
	struct eniaddr_stat_key k = { .ifindex = (__u32)fx.ifindex[0], .reason = ENIADDR_R_NO_RULE,
				      .dir = ENIADDR_DIR_INGRESS, .action = ENIADDR_ACT_DROP };
	struct pkt p = tcp_to(80);
	struct eniaddr_stats *v;
	struct eniaddr_stat sum;
	struct err e = {};
	__u64 total0 = fixture_stat_total(&fx);

	if (fx.ncpus < 2)
		skip();
	on_cpu(0);
	run_n(fx.skel->progs.xdp_ingress, &p, fx.ifindex[0], 3, XDP_DROP);
	on_cpu(1);
	run_n(fx.skel->progs.tc_ingress, &p, fx.ifindex[0], 2, TC_ACT_SHOT);
	all_cpus();
	v = raw_entry(fx.ifindex[0], ENIADDR_DIR_INGRESS, ENIADDR_ACT_DROP);
	assert_int_equal(v[0].reason.no_rule.packets, 3);
	assert_int_equal(v[1].reason.no_rule.packets, 2);
	assert_int_equal(v[0].reason.no_rule.bytes, 3 * p.len);
	assert_int_equal(v[1].reason.no_rule.bytes, 2 * p.len);
	assert_int_equal(v[0].ifindex, fx.ifindex[0]);
	assert_int_equal(v[1].ifindex, fx.ifindex[0]);
	assert_int_equal(v[1].dir, ENIADDR_DIR_INGRESS);
	assert_int_equal(v[1].action, ENIADDR_ACT_DROP);
	free(v);
	assert_int_equal(stats_get(&fx.maps, &k, &sum, &e), 0);
	assert_int_equal(sum.packets, 5);
	assert_int_equal(sum.bytes, 5 * p.len);
	assert_int_equal(fixture_stat_total(&fx) - total0, 5); /* nothing else moved */
}

/* The dropped-at address counts per CPU too; a pass never creates an entry. */
static void test_per_address_drops(void **state)
{
	struct addr_drop_rows rows = {};
	struct pkt drop = tcp_to(81), pass = tcp_to(443);
	struct err e = {};
	__u8 dst[16];
	size_t i;
	__u64 packets = 0;

	assert_int_equal(stats_reset(&fx.maps, &e), 0);
	assert_int_equal(ip_addr_parse(DST, dst), 0);
	on_cpu(0);
	run_n(fx.skel->progs.xdp_ingress, &drop, fx.ifindex[0], 4, XDP_DROP);
	run_n(fx.skel->progs.xdp_ingress, &pass, fx.ifindex[0], 4, XDP_PASS);
	if (fx.ncpus > 1)
		on_cpu(1);
	run_n(fx.skel->progs.xdp_ingress, &drop, fx.ifindex[0], 3, XDP_DROP);
	all_cpus();
	assert_int_equal(stats_read_addrs(&fx.maps, 0, &rows, &e), 0);
	assert_int_equal(rows.v.n, 1);
	for (i = 0; i < rows.v.n; i++) {
		assert_memory_equal(rows.v.v[i].k.addr, dst, 16);
		assert_int_equal(rows.v.v[i].k.dir, ENIADDR_DIR_INGRESS);
		assert_int_equal(rows.v.v[i].k.ifindex, fx.ifindex[0]);
		packets += rows.v.v[i].packets;
		assert_int_equal(rows.v.v[i].bytes, 7 * drop.len);
	}
	assert_int_equal(packets, 7);
	assert_int_equal(rows.unattributed.packets, 0);
	VEC_FREE(&rows.v);
}

/* 10.7.x.y, the n-th address of SPRAYED. */
static const char *sprayed(unsigned int n, char buf[24])
{
	snprintf(buf, 24, "10.7.%u.%u", (n >> 8) & 0xff, n & 0xff);
	return buf;
}

/* The bucket of an ingress drop at text on the fixture's device. */
static __u32 bucket_of(const char *text)
{
	struct eniaddr_addr_drop_key k = { .ifindex = (__u32)fx.ifindex[0],
					   .dir = ENIADDR_DIR_INGRESS };

	assert_int_equal(ip_addr_parse(text, k.addr), 0);
	return eniaddr_addr_drop_index(&k);
}

/* The row of text (zero when none), and the sums over every row. */
struct addr_view {
	__u64 packets, bytes, all_packets, all_bytes;
	struct eniaddr_stat unattributed;
	size_t rows;
};

static struct addr_view addr_view(const char *text)
{
	struct addr_drop_rows rows = {};
	struct addr_view v = {};
	struct err e = {};
	__u8 a[16];

	assert_int_equal(ip_addr_parse(text, a), 0);
	assert_int_equal(stats_read_addrs(&fx.maps, 0, &rows, &e), 0);
	for (size_t i = 0; i < rows.v.n; i++) {
		const struct addr_drop_row *r = &rows.v.v[i];

		if (!memcmp(r->k.addr, a, 16)) {
			v.packets += r->packets;
			v.bytes += r->bytes;
		}
		v.all_packets += r->packets;
		v.all_bytes += r->bytes;
	}
	v.unattributed = rows.unattributed;
	v.rows = rows.v.n;
	VEC_FREE(&rows.v);
	return v;
}

/* The no_rule drops eniaddr_stats counted on the device: every one at an owned address here. */
static struct eniaddr_stat owned_drops(void)
{
	struct eniaddr_stat_key k = { .ifindex = (__u32)fx.ifindex[0], .reason = ENIADDR_R_NO_RULE,
				      .dir = ENIADDR_DIR_INGRESS, .action = ENIADDR_ACT_DROP };
	struct eniaddr_stat s;
	struct err e = {};

	assert_int_equal(stats_get(&fx.maps, &k, &s, &e), 0);
	return s;
}

/* Rows plus unattributed are exactly the drops eniaddr_stats counted at owned addresses. */
static void assert_reconciles(const struct addr_view *v)
{
	struct eniaddr_stat drops = owned_drops();

	assert_int_equal(v->all_packets + v->unattributed.packets, drops.packets);
	assert_int_equal(v->all_bytes + v->unattributed.bytes, drops.bytes);
}

static void drop_n(const char *text, int n)
{
	struct pkt p = tcp_to_addr(text, 81);

	run_n(fx.skel->progs.xdp_ingress, &p, fx.ifindex[0], n, XDP_DROP);
}

/* Two addresses of one bucket are counted apart, each exactly. */
static void test_colliding_addresses_both_counted(void **state)
{
	char a[24], b[24];
	struct addr_view va, vb;
	struct err e = {};
	unsigned int n;
	struct pkt p = tcp_to_addr(sprayed(1, a), 81);

	for (n = 2; bucket_of(sprayed(n, b)) != bucket_of(a); n++)
		assert_true(n < 65536);
	assert_int_equal(stats_reset(&fx.maps, &e), 0);
	on_cpu(0);
	drop_n(a, 3);
	drop_n(b, 5);
	drop_n(a, 1);
	all_cpus();
	va = addr_view(a);
	vb = addr_view(b);
	assert_int_equal(va.packets, 4);
	assert_int_equal(va.bytes, 4 * p.len);
	assert_int_equal(vb.packets, 5);
	assert_int_equal(vb.bytes, 5 * p.len);
	assert_int_equal(va.rows, 2);
	assert_int_equal(va.unattributed.packets, 0);
	assert_reconciles(&va);
}

/* An outsider sprays one drop at each of three tables' worth of owned addresses while one is
 * hammered: the hammered address keeps its exact count, what found no way is unattributed, and
 * rows plus unattributed are every drop. A new address hammered after the spray, in the
 * hammered one's bucket, takes the way with the fewest packets from its first packet. */
static void test_spray_keeps_hammered(void **state)
{
	char hammered[24], late[24], buf[24];
	struct addr_view v;
	struct err e = {};
	struct pkt p = tcp_to_addr(sprayed(0, hammered), 81);
	unsigned int i, hits = 0;

	/* late shares the hammered address's bucket, whose first way the hammered one holds */
	for (i = SPRAY + 1; bucket_of(sprayed(i, late)) != bucket_of(hammered); i++)
		assert_true(i < 65536);
	assert_int_equal(stats_reset(&fx.maps, &e), 0);
	on_cpu(0);
	run_n(fx.skel->progs.xdp_ingress, &p, fx.ifindex[0], 1, XDP_DROP);
	hits = 1;
	for (i = 1; i <= SPRAY; i++) {
		drop_n(sprayed(i, buf), 1);
		if (i % 8 == 0) {
			run_n(fx.skel->progs.xdp_ingress, &p, fx.ifindex[0], 1, XDP_DROP);
			hits++;
		}
	}
	drop_n(late, 50);
	all_cpus();
	v = addr_view(hammered);
	assert_int_equal(v.packets, hits);
	assert_int_equal(v.bytes, (__u64)hits * p.len);
	assert_true(v.unattributed.packets > 0); /* the spray overflowed the table */
	assert_true(v.rows <= ENIADDR_ADDR_DROP_BUCKETS * ENIADDR_ADDR_DROP_WAYS);
	assert_reconciles(&v);
	assert_int_equal(addr_view(late).packets, 50);
}

/* A device without a slot (lo here) counts in the shared bucket, reported as ifindex 0. */
static void test_device_without_slot_counts_in_bucket(void **state)
{
	struct eniaddr_stat_key k = { .ifindex = 0, .reason = ENIADDR_R_UNCONFIGURED,
				      .dir = ENIADDR_DIR_INGRESS, .action = ENIADDR_ACT_PASS };
	struct fixture_snapshot before = fixture_snapshot(&fx, &k);
	struct pkt p = tcp_to(443);

	run_n(fx.skel->progs.xdp_ingress, &p, 1 /* lo */, 2, XDP_PASS);
	assert_int_equal(fixture_moved(&fx, &before).packets, 2);
	assert_int_equal(fixture_moved(&fx, &before).total, 2);
}

/* Reset zeroes every count and keeps every header; packets count again from zero. */
static void test_reset_keeps_headers(void **state)
{
	struct stat_rows rows = {};
	struct pkt p = tcp_to(80);
	struct eniaddr_stats *v;
	struct err e = {};

	run_n(fx.skel->progs.xdp_ingress, &p, fx.ifindex[0], 1, XDP_DROP);
	assert_int_equal(stats_reset(&fx.maps, &e), 0);
	assert_int_equal(stats_read(&fx.maps, 0, &rows, &e), 0);
	assert_int_equal(rows.v.n, 0);
	v = raw_entry(fx.ifindex[0], ENIADDR_DIR_EGRESS, ENIADDR_ACT_AUDIT);
	assert_int_equal(v[0].ifindex, fx.ifindex[0]);
	assert_int_equal(v[0].dir, ENIADDR_DIR_EGRESS);
	assert_int_equal(v[0].action, ENIADDR_ACT_AUDIT);
	free(v);
	run_n(fx.skel->progs.xdp_ingress, &p, fx.ifindex[0], 1, XDP_DROP);
	assert_int_equal(fixture_stat_total(&fx), 1);
}

/* A released slot goes to the next device clean; the released device counts in the bucket. */
static void test_release_and_reassign(void **state)
{
	struct eniaddr_stat_key k = { .ifindex = (__u32)fx.ifindex[0], .reason = ENIADDR_R_NO_RULE,
				      .dir = ENIADDR_DIR_INGRESS, .action = ENIADDR_ACT_DROP };
	struct eniaddr_stat s;
	struct err e = {};
	int slot;

	assert_true(fixture_stat(&fx, &k).packets > 0);
	slot = stats_dev_assign(&fx.maps, (__u32)fx.ifindex[0], &e);
	assert_true(slot > 0);
	assert_int_equal(stats_dev_release(&fx.maps, (__u32)fx.ifindex[0], &e), 0);
	assert_int_equal(stats_get(&fx.maps, &k, &s, &e), 0); /* now the bucket's */
	assert_int_equal(s.packets, 0);
	assert_int_equal(stats_dev_assign(&fx.maps, 4242, &e), slot);
	k.ifindex = 4242;
	assert_int_equal(stats_get(&fx.maps, &k, &s, &e), 0);
	assert_int_equal(s.packets, 0);
	assert_int_equal(stats_dev_release(&fx.maps, 4242, &e), 0);
	assert_int_equal(stats_dev_assign(&fx.maps, (__u32)fx.ifindex[0], &e), slot);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_cpu_fields_and_sum),
		cmocka_unit_test(test_per_address_drops),
		cmocka_unit_test(test_colliding_addresses_both_counted),
		cmocka_unit_test(test_spray_keeps_hammered),
		cmocka_unit_test(test_device_without_slot_counts_in_bucket),
		cmocka_unit_test(test_reset_keeps_headers),
		cmocka_unit_test(test_release_and_reassign),
	};

	return cmocka_run_group_tests(tests, setup, fixture_group_teardown);
}
