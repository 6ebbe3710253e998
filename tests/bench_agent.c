// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bench_agent.c — what the agent costs and how fast it follows IMDS, in the two-instances
 * bed (scripts/vpcbed.sh) with the real `eniaddr-bpf run` (1 s poll, the default) and the IMDS
 * emulator in each instance:
 *  - reassignment A -> B (and back): from the moment both emulators' worlds say so to the moment
 *    the new owner's published maps hold the address; median and worst of 20, each started at a
 *    random phase of the poll;
 *  - local move eth1 <-> eth0 on A: the same, while the maps are probed continuously: probes
 *    that found the address owned by neither ENI (must be 0);
 *  - the agent's resident memory and its CPU while idle (20 s, nothing changing), and the IMDS
 *    requests a steady-state poll costs.
 * The baseline is the poll interval itself, measured in the same run: latency / interval says
 * how much of a poll the agent adds (the incumbent's is 60-65 s, REFERENCE.md §2).
 * Prints a Markdown table. Needs root.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agentbed.h"
#include "agentworld.h"
#include "vpcbed.h"

#define RUNS 20
#define INTERVAL_MS 1000
#define IDLE_S 20

static char bed[VPCBED_NAME_MAX];
static struct agentbed a, b;

static void set_worlds(enum agentworld_owner owner)
{
	char text[4096];

	agentworld_text(0, owner, text, sizeof(text));
	imds_emu_set_world(&a.emu, text);
	agentworld_text(1, owner, text, sizeof(text));
	imds_emu_set_world(&b.emu, text);
}

static int cmp_u64(const void *x, const void *y)
{
	__u64 p = *(const __u64 *)x, q = *(const __u64 *)y;

	return (p > q) - (p < q);
}

/*
 * Moves the floating address to `to` and returns the ms until the probe p shows owner `want`;
 * every probe on the way of `watch` (may be NULL) must give one of watch_ifs, else *neither++.
 */
static long move_once(enum agentworld_owner to, struct pubprobe *p, int want,
		      struct pubprobe *watch, const int watch_ifs[2], long *probes, long *neither)
{
	__u64 t0;

	usleep((useconds_t)(rand() % INTERVAL_MS) * 1000); /* a random phase of the poll */
	t0 = pubprobe_now_ms();
	set_worlds(to);
	for (;;) {
		if (watch) {
			int o = pubprobe_owner(watch, AGENTWORLD_FLOATING);

			(*probes)++;
			if (o != watch_ifs[0] && o != watch_ifs[1])
				(*neither)++;
		}
		if (pubprobe_owner(p, AGENTWORLD_FLOATING) == want)
			return (long)(pubprobe_now_ms() - t0);
		if (pubprobe_now_ms() - t0 > 10000)
			return -ETIMEDOUT;
		if (!watch)
			usleep(500);
	}
}

static void row(const char *what, __u64 v[], int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp_u64);
	printf("| %s: median of %d | %llu ms | %.2f | ≤ 1000 ms |\n", what, n,
	       (unsigned long long)v[n / 2], (double)v[n / 2] / INTERVAL_MS);
	printf("| %s: worst of %d | %llu ms | %.2f | ≤ 1000 ms |\n", what, n,
	       (unsigned long long)v[n - 1], (double)v[n - 1] / INTERVAL_MS);
}

static int run(void)
{
	char ns_a[VPCBED_NS_MAX], ns_b[VPCBED_NS_MAX], wa[4096], wb[4096];
	int a_ifs[2], b0;
	__u64 ab[RUNS], local[RUNS];
	long probes = 0, neither = 0, ticks0, ticks1, req0, req1, rss;
	double hz = (double)sysconf(_SC_CLK_TCK);

	vpcbed_ns(ns_a, bed, "inst");
	vpcbed_ns(ns_b, bed, "instb");
	agentworld_text(0, FLOAT_A_ETH1, wa, sizeof(wa));
	agentworld_text(1, FLOAT_A_ETH1, wb, sizeof(wb));
	if (vpcbed_up(bed, "two-instances") || agentbed_start(&a, ns_a, wa, agentworld_sgs, NULL) ||
	    agentbed_start(&b, ns_b, wb, agentworld_sgs, NULL)) {
		fprintf(stderr, "bench: could not start the bed and the agents\n");
		return 1;
	}
	a_ifs[0] = agentbed_ifindex(&a, "eth0");
	a_ifs[1] = agentbed_ifindex(&a, "eth1");
	b0 = agentbed_ifindex(&b, "eth0");
	for (int i = 0; i < RUNS; i++) {
		long to_b = move_once(FLOAT_B_ETH0, &b.probe, b0, NULL, NULL, NULL, NULL);
		long to_a = move_once(FLOAT_A_ETH1, &a.probe, a_ifs[1], NULL, NULL, NULL, NULL);

		if (to_b < 0 || to_a < 0) {
			fprintf(stderr, "bench: a reassignment was not enforced within 10 s\n");
			return 1;
		}
		ab[i] = (__u64)(i % 2 ? to_a : to_b);
	}
	for (int i = 0; i < RUNS; i++) {
		long ms = move_once(i % 2 ? FLOAT_A_ETH1 : FLOAT_A_ETH0, &a.probe, a_ifs[i % 2 ? 1 : 0],
				    &a.probe, a_ifs, &probes, &neither);

		if (ms < 0) {
			fprintf(stderr, "bench: a local move was not enforced within 10 s\n");
			return 1;
		}
		local[i] = (__u64)ms;
	}
	/* Idle: nothing changes for IDLE_S seconds. */
	sleep(2);
	ticks0 = agentbed_cpu_ticks(&a);
	req0 = imds_emu_stat(&a.emu, "requests");
	sleep(IDLE_S);
	ticks1 = agentbed_cpu_ticks(&a);
	req1 = imds_emu_stat(&a.emu, "requests");
	rss = agentbed_rss_kb(&a);

	printf("Two simulated instances in one subnet (scripts/vpcbed.sh two-instances), each running "
	       "`eniaddr-bpf run` with its default 1 s poll against its own IMDS emulator. Latency: "
	       "from the emulators' world change to the new owner's published maps holding the "
	       "address, each run started at a random phase of the poll; the ratio is to the poll "
	       "interval (amazon-ec2-net-utils: 60-65 s).\n\n");
	printf("| measure | value | vs 1 s poll | target |\n|---|---:|---:|---|\n");
	row("reassignment A -> B", ab, RUNS);
	row("local move eth1 <-> eth0", local, RUNS);
	printf("| local move: probes of the maps finding the address on neither ENI | %ld of %ld | "
	       "| 0 |\n", neither, probes);
	printf("| agent resident memory (VmRSS) | %.1f MB | | ≤ 20 MB |\n", rss / 1024.0);
	printf("| agent CPU, idle, %d s at 1 s poll | %.2f %% | | < 1 %% |\n", IDLE_S,
	       (ticks1 - ticks0) / hz / IDLE_S * 100.0);
	printf("| IMDS requests per second, idle (2 ENIs) | %.1f | | well under 1024 packets/s |\n",
	       (double)(req1 - req0) / IDLE_S);
	return 0;
}

int main(void)
{
	int ret;

	if (geteuid()) {
		fprintf(stderr, "bench_agent: needs root\n");
		return 1;
	}
	srand((unsigned int)time(NULL));
	snprintf(bed, sizeof(bed), "agb%d", getpid() % 100000);
	ret = run();
	agentbed_stop(&a);
	agentbed_stop(&b);
	vpcbed_down(bed);
	return ret;
}
