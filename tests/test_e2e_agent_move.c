// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_agent_move.c — reassignment with traffic, in the two-instances bed
 * (scripts/vpcbed.sh): instances A (eth0, eth1) and B (eth0) in one subnet, each running
 * `eniaddr-bpf run --manage-addresses` against its own IMDS emulator. A client keeps opening
 * TCP connections to the floating secondary address while the VPC and IMDS move it:
 *  - A -> B: new connections reach B (its counters say so) within a bounded time of the
 *    metadata change, and every connection to an address that did not move succeeds meanwhile;
 *  - A's eth1 -> A's eth0 (a local move): the same, and every probe of A's maps between polls
 *    finds the address owned by exactly one of the two ENIs, never by neither.
 * The deadline is generous: the benchmark (bench_agent) measures the latency itself. Needs root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agentbed.h"
#include "agentworld.h"
#include "vpcbed.h"

#define DEADLINE_MS 2500
#define TRY_MS 150 /* a connection attempt to the moving address */

static char bed[VPCBED_NAME_MAX];
static char ns_a[VPCBED_NS_MAX], ns_b[VPCBED_NS_MAX], ns_con[VPCBED_NS_MAX];
static struct agentbed a, b;
static const char *const manage[] = { "--manage-addresses", NULL };

static void set_worlds(enum agentworld_owner owner)
{
	char text[4096];

	agentworld_text(0, owner, text, sizeof(text));
	assert_int_equal(imds_emu_set_world(&a.emu, text), 0);
	agentworld_text(1, owner, text, sizeof(text));
	assert_int_equal(imds_emu_set_world(&b.emu, text), 0);
}

static int setup(void **state)
{
	char wa[4096], wb[4096];

	if (geteuid())
		return -1;
	snprintf(bed, sizeof(bed), "agm%d", getpid() % 100000);
	vpcbed_ns(ns_a, bed, "inst");
	vpcbed_ns(ns_b, bed, "instb");
	vpcbed_ns(ns_con, bed, "con");
	agentworld_text(0, FLOAT_A_ETH1, wa, sizeof(wa));
	agentworld_text(1, FLOAT_A_ETH1, wb, sizeof(wb));
	if (vpcbed_up(bed, "two-instances") ||
	    agentbed_start(&a, ns_a, wa, agentworld_sgs, manage) ||
	    agentbed_start(&b, ns_b, wb, agentworld_sgs, manage))
		return -1;
	if (vpcbed_tcp_echo_server(ns_a, "0.0.0.0", AGENTWORLD_PORT) < 0 ||
	    vpcbed_tcp_echo_server(ns_b, "0.0.0.0", AGENTWORLD_PORT) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	agentbed_stop(&a);
	agentbed_stop(&b);
	vpcbed_down(bed);
	return 0;
}

/* Waits until a connection to the floating address succeeds, checking on the way that every
 * connection to the unmoved address succeeds and (local move) that A's maps always give it an
 * owner among a_ifs. Returns the ms from t0. */
static __u64 wait_reachable(__u64 t0, const char *steady, const int a_ifs[2])
{
	int tries = 0;

	for (;;) {
		if (a_ifs) {
			int o = pubprobe_owner(&a.probe, AGENTWORLD_FLOATING);

			if (o != a_ifs[0] && o != a_ifs[1])
				fail_msg("A's maps: %s owned by %d, neither ENI", AGENTWORLD_FLOATING, o);
		}
		if (vpcbed_tcp_echo(ns_con, AGENTWORLD_FLOATING, AGENTWORLD_PORT, TRY_MS) == 0)
			return pubprobe_now_ms() - t0;
		tries++;
		int r = vpcbed_tcp_echo(ns_con, steady, AGENTWORLD_PORT, 1000);

		if (r)
			fail_msg("a connection to %s (not moving) failed during the move: %s", steady,
				 strerror(-r));
		if (pubprobe_now_ms() - t0 > DEADLINE_MS)
			fail_msg("%s unreachable %d ms after the metadata change (%d tries)",
				 AGENTWORLD_FLOATING, DEADLINE_MS, tries);
	}
}

/* The VPC and both IMDS worlds move the floating address to `to`; returns the ms until new
 * connections to it succeed (see wait_reachable). */
static __u64 move_to(enum agentworld_owner to, const char *steady, const int a_ifs[2])
{
	__u64 t0;

	assert_int_equal(agentworld_move(bed, to), 0);
	t0 = pubprobe_now_ms();
	set_worlds(to);
	return wait_reachable(t0, steady, a_ifs);
}

static void test_reassign_a_to_b(void **state)
{
	long before;
	__u64 ms;

	assert_int_equal(vpcbed_tcp_echo(ns_con, AGENTWORLD_FLOATING, AGENTWORLD_PORT, 1000), 0);
	assert_int_equal(vpcbed_tcp_echo(ns_con, "192.0.2.10", AGENTWORLD_PORT, 1000), 0);
	before = clirun_counter(&b.cli, "eth0", "ingress", "allowed", "pass");
	ms = move_to(FLOAT_B_ETH0, "192.0.2.10", NULL);
	print_message("A -> B: new connections reach B %llu ms after the metadata change\n",
		      (unsigned long long)ms);
	assert_true(clirun_counter(&b.cli, "eth0", "ingress", "allowed", "pass") > before);
	/* A lets go too. */
	if (pubprobe_wait_owner(&a.probe, AGENTWORLD_FLOATING, false, 0, DEADLINE_MS, NULL) < 0)
		fail_msg("A still owns %s", AGENTWORLD_FLOATING);
	/* And back, for the next test. */
	move_to(FLOAT_A_ETH1, "192.0.2.30", NULL);
}

static void test_local_move_eth1_to_eth0(void **state)
{
	int ifs[2] = { agentbed_ifindex(&a, "eth0"), agentbed_ifindex(&a, "eth1") };
	__u64 ms;
	int last;

	assert_true(ifs[0] > 0 && ifs[1] > 0);
	assert_int_equal(pubprobe_owner(&a.probe, AGENTWORLD_FLOATING), ifs[1]);
	ms = move_to(FLOAT_A_ETH0, "192.0.2.20", ifs);
	print_message("eth1 -> eth0: reachable again %llu ms after the metadata change\n",
		      (unsigned long long)ms);
	if (pubprobe_wait_owner(&a.probe, AGENTWORLD_FLOATING, false, ifs[0], DEADLINE_MS,
				&last) < 0)
		fail_msg("A's maps: %s owned by %d, not eth0", AGENTWORLD_FLOATING, last);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reassign_a_to_b),
		cmocka_unit_test(test_local_move_eth1_to_eth0),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
