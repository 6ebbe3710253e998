// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_bpf_explain.c — `explain` (loader/kernel/explain.c) against the real programs: for
 * a table of packets written as the user writes them (loader/packet.c), the dry run on the live
 * maps names the same verdict and reason as the program the datapath runs does with the same
 * frame (its counter moves for that reason, once), and it leaves every map it could write
 * (both conntrack tables, counters, per-address drops, fragments, trace buckets) byte-for-byte
 * unchanged.
 */
#include <errno.h>
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
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "bpf_fixture.h"
#include "eniaddr.h"
#include "kernel/ct_gc.h"
#include "kernel/explain.h"
#include "kernel/stats.h"
#include "packet.h"

enum eni_id { ENI_A, ENI_B, ENI_COUNT };

#define POL_ENI  1u
#define POL_OWN  2u /* 10.1.1.11's override */
#define POL_OUT  3u

static struct bpf_fixture fx;
static struct explainer ex;

static void put_owner(const char *addr, enum eni_id eni, __u32 in, __u32 flags)
{
	struct eniaddr_owner o = { .ifindex = (__u32)fx.ifindex[eni], .in_policy = in,
				   .out_policy = POL_OUT, .flags = flags };

	fixture_put_owner(&fx, 0, addr, &o);
}

static int setup(void **state)
{
	static const char *const devs[] = { [ENI_A] = "a0", [ENI_B] = "b0" };
	struct eniaddr_eni eni = {
		.in_policy = POL_ENI, .out_policy = POL_OUT, .flags = ENIADDR_ENI_F_SRC_CHECK,
		.timeouts = { .tcp_established = 7200, .tcp_syn = 60, .tcp_closing = 10, .udp = 30,
			      .udp_stream = 180, .icmp = 30, .other = 600 },
	};
	struct err e = {};

	if (fixture_setup(&fx, "bpfex", devs, ENI_COUNT, 0))
		return -1;
	fixture_put_state(&fx, 0);
	fixture_put_eni(&fx, 0, fx.ifindex[ENI_A], &eni);
	fixture_put_eni(&fx, 0, fx.ifindex[ENI_B], &eni);
	put_owner("10.1.1.10", ENI_A, POL_ENI, ENIADDR_ADDR_F_PRIMARY);
	put_owner("10.1.1.11", ENI_A, POL_OWN, ENIADDR_ADDR_F_OVERRIDE);
	put_owner("2001:db8:1::10", ENI_A, POL_ENI, 0);
	put_owner("10.1.2.10", ENI_B, POL_ENI, ENIADDR_ADDR_F_PRIMARY);
	/* The ENI's policy: tcp 443 and udp 53 from anywhere, ping from 203.0.113.0/24. */
	fixture_put_src(&fx, POL_ENI, "0.0.0.0/0", RULE_BITS(0, 1));
	fixture_put_src(&fx, POL_ENI, "203.0.113.0/24", RULE_BITS(0, 1, 2));
	fixture_put_src(&fx, POL_ENI, "::/0", RULE_BITS(0, 1));
	fixture_put_l4(&fx, POL_ENI, IPPROTO_TCP, 443, 16, RULE_BITS(0));
	fixture_put_l4(&fx, POL_ENI, IPPROTO_UDP, 53, 16, RULE_BITS(1));
	fixture_put_l4(&fx, POL_ENI, IPPROTO_ICMP, 8 << 8, 8, RULE_BITS(2));
	/* The override: tcp 22 from 198.51.100.0/24 only. */
	fixture_put_src(&fx, POL_OWN, "198.51.100.0/24", RULE_BITS(0));
	fixture_put_l4(&fx, POL_OWN, IPPROTO_TCP, 22, 16, RULE_BITS(0));
	if (explainer_open(&ex, &fx.maps, &e)) {
		fprintf(stderr, "explainer: %s\n", e.msg);
		return -1;
	}
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	explainer_close(&ex);
	fixture_teardown(&fx);
	return 0;
}

/* ---- every byte a run could change ---- */

struct dump {
	unsigned char *b;
	size_t n, cap;
};

/* Grows by doubling: a per-CPU array dumps thousands of entries, and a realloc per entry is
 * quadratic (ASan's realloc always moves). */
static void dump_add(struct dump *d, const void *p, size_t n)
{
	if (d->n + n > d->cap) {
		d->cap = (d->n + n) * 2;
		d->b = realloc(d->b, d->cap);
	}
	assert_non_null(d->b);
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

/* Keys and values (every CPU's) of fd, in iteration order. */
static void dump_map(struct dump *d, int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	unsigned char key[64], prev[64], *val;
	bool percpu, first = true;
	size_t vsize;

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	percpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH ||
		 info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
	vsize = percpu ? ((info.value_size + 7) & ~7u) * (size_t)fx.ncpus : info.value_size;
	val = malloc(vsize);
	assert_non_null(val);
	while (!bpf_map_get_next_key(fd, first ? NULL : prev, key)) {
		first = false;
		assert_int_equal(bpf_map_lookup_elem(fd, key, val), 0);
		dump_add(d, key, info.key_size);
		dump_add(d, val, vsize);
		memcpy(prev, key, info.key_size);
	}
	free(val);
}

static struct dump dump_all(void)
{
	struct dump d = {};

	dump_map(&d, fx.maps.ct);
	dump_map(&d, fx.maps.ct_new);
	dump_map(&d, fx.maps.ct4);
	dump_map(&d, fx.maps.ct4_new);
	dump_map(&d, fx.maps.stats);
	dump_map(&d, fx.maps.addr_drops);
	dump_map(&d, fx.maps.frags);
	dump_map(&d, fx.maps.trace_cpu);
	return d;
}

/* ---- the table ---- */

struct explain_case {
	const char *packet;
	enum eni_id eni;
	enum eniaddr_reason reason;
	const char *verdict;
	__u32 policy;     /* the policy the dry run read (0: none) */
	bool ct_hit, would_track;
};

static const struct explain_case cases[] = {
	{ "tcp 203.0.113.7:40000 > 10.1.1.10:443 syn", ENI_A, ENIADDR_R_ALLOWED, "pass", POL_ENI,
	  false, true },
	/* The same again: now the real run above made the entry, and explain sees it. */
	{ "tcp 203.0.113.7:40000 > 10.1.1.10:443 ack", ENI_A, ENIADDR_R_CT_ESTABLISHED, "pass",
	  POL_ENI, true, false },
	{ "tcp 203.0.113.7:40001 > 10.1.1.10:80 syn", ENI_A, ENIADDR_R_NO_RULE, "drop", POL_ENI,
	  false, false },
	{ "tcp 203.0.113.7:40002 > 10.1.1.10:443 rst", ENI_A, ENIADDR_R_ALLOWED, "pass", POL_ENI,
	  false, false },
	{ "tcp 198.51.100.9:40000 > 10.1.1.11:22", ENI_A, ENIADDR_R_ALLOWED, "pass", POL_OWN, false,
	  true },
	{ "tcp 203.0.113.7:40000 > 10.1.1.11:443 syn", ENI_A, ENIADDR_R_NO_RULE, "drop", POL_OWN,
	  false, false },
	{ "udp [2001:db8::5]:5353 > [2001:db8:1::10]:53", ENI_A, ENIADDR_R_ALLOWED, "pass", POL_ENI,
	  false, true },
	{ "udp [2001:db8::5]:5353 > [2001:db8:1::10]:54", ENI_A, ENIADDR_R_NO_RULE, "drop", POL_ENI,
	  false, false },
	{ "icmp 203.0.113.9 > 10.1.1.10 echo-request", ENI_A, ENIADDR_R_ALLOWED, "pass", POL_ENI,
	  false, true },
	{ "icmp 192.0.2.9 > 10.1.1.10 echo-request", ENI_A, ENIADDR_R_NO_RULE, "drop", POL_ENI,
	  false, false },
	{ "icmp 203.0.113.9 > 10.1.1.10 type 13 code 0", ENI_A, ENIADDR_R_NO_RULE, "drop", POL_ENI,
	  false, false },
	{ "tcp 203.0.113.7:40000 > 10.9.9.9:443", ENI_A, ENIADDR_R_NOT_OWNED, "drop", 0, false,
	  false },
	{ "tcp 203.0.113.7:40000 > 10.1.2.10:443", ENI_A, ENIADDR_R_WRONG_ENI, "drop", 0, false,
	  false },
};

static bool one_case(const struct explain_case *c, enum explain_prog prog)
{
	int ifindex = fx.ifindex[c->eni];
	struct packet_spec spec;
	struct explain_result r;
	struct eniaddr_stat_key key = { .ifindex = (__u32)ifindex, .reason = (__u16)c->reason,
					.dir = ENIADDR_DIR_INGRESS,
					.action = c->reason >= ENIADDR_R_FIRST_DROP ?
						  ENIADDR_ACT_DROP : ENIADDR_ACT_PASS };
	struct fixture_snapshot before;
	struct fixture_moved moved;
	struct dump d0, d1;
	struct err e = {};
	__u8 frame[PACKET_MAX_FRAME];
	__u32 real = ~0u;
	const char *tag = prog == EXPLAIN_XDP_INGRESS ? "xdp" : "tc";
	size_t len;
	bool ok = true;

	assert_int_equal(packet_parse(c->packet, &spec, &e), 0);
	len = packet_build(&spec, frame);
	struct pkt p = { .len = len };
	memcpy(p.data, frame, len);

	d0 = dump_all();
	assert_int_equal(explainer_run(&ex, prog, ifindex, frame, len, &r, &e), 0);
	d1 = dump_all();
	if (d0.n != d1.n || memcmp(d0.b, d1.b, d0.n)) {
		print_error("%s [%s]: explain changed a map\n", c->packet, tag);
		ok = false;
	}
	free(d0.b);
	free(d1.b);
	if (r.rec.reason != c->reason || strcmp(explain_verdict(prog, r.retval), c->verdict) ||
	    r.rec.policy != c->policy || r.rec.ct_hit != c->ct_hit ||
	    r.rec.ct_would_create != c->would_track) {
		print_error("%s [%s]: explain said %s/%s policy %u hit %u track %u\n", c->packet,
			    tag, explain_verdict(prog, r.retval), stats_reason_name(r.rec.reason),
			    r.rec.policy, r.rec.ct_hit, r.rec.ct_would_create);
		ok = false;
	}
	/* The datapath's program, same frame: same verdict, and the explained reason's counter
	 * is the one that moves. */
	key.reason = r.rec.reason;
	key.action = r.rec.action;
	before = fixture_snapshot(&fx, &key);
	assert_int_equal(fixture_run(prog == EXPLAIN_XDP_INGRESS ? fx.skel->progs.xdp_ingress
								 : fx.skel->progs.tc_ingress,
				     &p, ifindex, &real), 0);
	moved = fixture_moved(&fx, &before);
	if (real != r.retval || moved.packets != 1 || moved.total != 1) {
		print_error("%s [%s]: the real program returned %u (explain %u), moved %llu of %llu\n",
			    c->packet, tag, real, r.retval, (unsigned long long)moved.packets,
			    (unsigned long long)moved.total);
		ok = false;
	}
	return ok;
}

static void run_table(enum explain_prog prog)
{
	struct err e = {};
	size_t n, i;
	int failed = 0;

	assert_int_equal(ct_flush_all(&fx.maps, 0, &n, &e), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		failed += !one_case(&cases[i], prog);
	assert_int_equal(failed, 0);
}

static void test_explain_agrees_xdp(void **state)
{
	run_table(EXPLAIN_XDP_INGRESS);
}

static void test_explain_agrees_tc(void **state)
{
	run_table(EXPLAIN_TC_INGRESS);
}

/* The entry explain reports is the one the real run made, as it is. */
static void test_explain_reports_the_entry(void **state)
{
	struct packet_spec spec;
	struct explain_result r;
	struct eniaddr_ct v;
	struct err e = {};
	__u8 frame[PACKET_MAX_FRAME];
	size_t len;

	assert_int_equal(packet_parse("tcp 203.0.113.7:40000 > 10.1.1.10:443 ack", &spec, &e), 0);
	len = packet_build(&spec, frame);
	assert_int_equal(explainer_run(&ex, EXPLAIN_XDP_INGRESS, fx.ifindex[ENI_A], frame, len, &r,
				       &e), 0);
	assert_true(r.rec.ct_hit);
	/* Not answered yet: the entry is in the unconfirmed table of IPv4 (explain reports the key
	 * in the common form). */
	assert_int_equal(ct_flow_lookup(&fx.maps, true, &r.rec.ct_key, &v), 0);
	assert_memory_equal(&v, &r.rec.ct, sizeof(v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explain_agrees_xdp),
		cmocka_unit_test(test_explain_agrees_tc),
		cmocka_unit_test(test_explain_reports_the_entry),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
