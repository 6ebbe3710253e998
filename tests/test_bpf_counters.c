// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_bpf_counters.c — the counter layout (maps/eniaddr.h, eniaddr_stats): a packet moves
 * its reason's named field in the entry of (device slot, direction, action) on the CPU it ran
 * on, exactly once; user space sums the CPUs right; per-address drops likewise; a device
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

static struct pkt tcp_to(int dport)
{
	struct pkt_spec spec = { .src = "198.51.100.7", .dst = DST, .proto = IPPROTO_TCP,
				 .sport = 40000, .dport = (uint16_t)dport, .payload = 10 };
	struct pkt p;

	assert_int_equal(pkt_build(&p, &spec), 0);
	p.data[p.off[PKT_L_L4] + 13] = 0x04; /* RST: never state, so every run meets the rules */
	return p;
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
	VEC_FREE(&rows.v);
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
		cmocka_unit_test(test_device_without_slot_counts_in_bucket),
		cmocka_unit_test(test_reset_keeps_headers),
		cmocka_unit_test(test_release_and_reassign),
	};

	return cmocka_run_group_tests(tests, setup, fixture_group_teardown);
}
