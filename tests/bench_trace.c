// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bench_trace.c — what observing drops costs the fast path. The same no_rule drop through
 * the programs built without events (tests/bpf/bench_noevents.bpf.c) and without per-address
 * counters (bench_noaddr.bpf.c), through the real programs with nobody tracing, with a tracer
 * whose filter the drop misses, and with a tracer whose rate limit turns it into a lost count;
 * all on the same maps, in the same run, as ratios to the build without events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/bpf.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_fixture.h" /* first: the shared types the skeleton names */
#include "bench_noaddr.skel.h"
#include "bench_noevents.skel.h"
#include "kernel/trace.h"

#define TRIALS 7
#define REPEAT (1u << 20)
#define POLICY 1u

static struct bpf_fixture fx;

static int fastest(const struct bpf_program *prog, const struct pkt *p, __u32 *ns, __u32 *ret)
{
	return fixture_run_fastest(prog, p, fx.ifindex[0], REPEAT, TRIALS, ns, ret);
}

static void setup_maps(void)
{
	struct eniaddr_eni eni = { .in_policy = POLICY, .out_policy = POLICY,
				   .timeouts = { 7200, 60, 10, 30, 180, 30, 600, 0 } };
	struct eniaddr_owner o = { .ifindex = (__u32)fx.ifindex[0], .in_policy = POLICY,
				   .out_policy = POLICY };

	fixture_put_state(&fx, 0);
	fixture_put_eni(&fx, 0, fx.ifindex[0], &eni);
	fixture_put_owner(&fx, 0, "192.0.2.1", &o);
	fixture_put_src(&fx, POLICY, "0.0.0.0/0", RULE_BITS(0));
	fixture_put_l4(&fx, POLICY, IPPROTO_TCP, 1000, 16, RULE_BITS(0));
}

enum build { REAL, NO_EVENTS, NO_ADDR };

struct row {
	const char *what;
	int tracer;     /* 0: none, 1: filter on another device, 2: rate 1/s (lost) */
	enum build build;
};

int main(void)
{
	static const struct row rows[] = {
		{ "no_rule drop, built without events", 0, NO_EVENTS },
		{ "no_rule drop, built without per-address counters", 0, NO_ADDR },
		{ "no_rule drop, nobody traces", 0, REAL },
		{ "no_rule drop, a tracer on another device", 1, REAL },
		{ "no_rule drop, traced, over the rate (counted lost)", 2, REAL },
	};
	static const char *const devs[] = { "a0" };
	struct bench_noevents *noev = bench_noevents__open();
	struct bench_noaddr *noaddr = bench_noaddr__open();
	const struct bpf_program *progs[3];
	struct pkt p;
	struct pkt_spec spec = { .src = "198.51.100.7", .dst = "192.0.2.1", .proto = IPPROTO_TCP,
				 .sport = 40000, .dport = 999, .payload = 18 };
	struct err e = {};
	__u32 ns, ref = 0, ret;
	int err = fixture_setup(&fx, "btrace", devs, 1, 0);

	if (err)
		return 1;
	setup_maps();
	if (!noev || !noaddr || fixture_load_on_maps(&fx, noev->obj) ||
	    fixture_load_on_maps(&fx, noaddr->obj)) {
		fprintf(stderr, "bench: loading the builds without events / address counters failed\n");
		err = -EINVAL;
		goto out;
	}
	progs[REAL] = fx.skel->progs.xdp_ingress;
	progs[NO_EVENTS] = noev->progs.xdp_ingress;
	progs[NO_ADDR] = noaddr->progs.xdp_ingress;
	err = pkt_build(&p, &spec);
	if (err)
		goto out;
	p.data[p.off[PKT_L_L4] + 13] = 0x04; /* RST: a drop either way, never state */
	/* Warm-up: the first runs pay for cold caches. */
	for (int b = 0; b < 3 && !err; b++)
		err = fastest(progs[b], &p, &ns, &ret);
	if (err)
		goto out;
	printf("| case | ns/packet | vs built without events |\n|---|---:|---:|\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct trace_filter f = { .ifindex = r->tracer == 1 ? 999999 : 0, .rate = 1 };

		if (r->tracer && (err = trace_start(&fx.maps, &f, &e)))
			goto out;
		err = fastest(progs[r->build], &p, &ns, &ret);
		if (r->tracer)
			trace_stop(&fx.maps, &e);
		if (err)
			goto out;
		if (ret != XDP_DROP) {
			fprintf(stderr, "bench: %s: verdict %u, not a drop\n", r->what, ret);
			err = -EPROTO;
			goto out;
		}
		if (r->build == NO_EVENTS)
			ref = ns;
		printf("| %s | %u | %.2f |\n", r->what, ns, ref ? (double)ns / ref : 0.0);
	}
out:
	if (err)
		fprintf(stderr, "bench: %s\n", e.msg[0] ? e.msg : strerror(-err));
	bench_noevents__destroy(noev);
	bench_noaddr__destroy(noaddr);
	fixture_teardown(&fx);
	return err ? 1 : 0;
}
