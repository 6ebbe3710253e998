// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bench_trace.c — what drop events cost the fast path. The same no_rule drop (and an
 * allowed packet) through the programs built without events (tests/bpf/bench_noevents.bpf.c),
 * through the real programs with nobody tracing, with a tracer whose filter the drop misses,
 * and with a tracer whose rate limit turns it into a lost count; all on the same maps, in the
 * same run, as ratios to the build without events.
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

/* The build without events, on the fixture's maps. */
static struct bench_noevents *load_noevents(void)
{
	struct bench_noevents *o = bench_noevents__open();
	struct bpf_map *map;

	if (!o)
		return NULL;
	bpf_object__for_each_map(map, o->obj) {
		int fd;

		if (bpf_map__is_internal(map))
			continue;
		fd = runtime_map_fd(&fx.maps, bpf_map__name(map));
		if (fd < 0 || bpf_map__reuse_fd(map, fd))
			goto fail;
	}
	if (!bench_noevents__load(o))
		return o;
fail:
	bench_noevents__destroy(o);
	return NULL;
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

struct row {
	const char *what;
	int tracer;     /* 0: none, 1: filter on another device, 2: rate 1/s (lost) */
	bool noevents;  /* the build without events */
};

int main(void)
{
	static const struct row rows[] = {
		{ "no_rule drop, built without events", 0, true },
		{ "no_rule drop, nobody traces", 0, false },
		{ "no_rule drop, a tracer on another device", 1, false },
		{ "no_rule drop, traced, over the rate (counted lost)", 2, false },
	};
	static const char *const devs[] = { "a0" };
	struct bench_noevents *noev = NULL;
	struct pkt p;
	struct pkt_spec spec = { .src = "198.51.100.7", .dst = "192.0.2.1", .proto = IPPROTO_TCP,
				 .sport = 40000, .dport = 999, .payload = 18 };
	struct err e = {};
	__u32 ns, ref = 0, ret;
	int err = fixture_setup(&fx, "btrace", devs, 1, 0);

	if (err)
		return 1;
	setup_maps();
	noev = load_noevents();
	if (!noev) {
		fprintf(stderr, "bench: loading the build without events failed\n");
		err = -EINVAL;
		goto out;
	}
	err = pkt_build(&p, &spec);
	if (err)
		goto out;
	p.data[p.off[PKT_L_L4] + 13] = 0x04; /* RST: a drop either way, never state */
	/* Warm-up: the first runs pay for cold caches. */
	err = fastest(noev->progs.xdp_ingress, &p, &ns, &ret);
	if (!err)
		err = fastest(fx.skel->progs.xdp_ingress, &p, &ns, &ret);
	if (err)
		goto out;
	printf("| case | ns/packet | vs built without events |\n|---|---:|---:|\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct trace_filter f = { .ifindex = r->tracer == 1 ? 999999 : 0, .rate = 1 };

		if (r->tracer && (err = trace_start(&fx.maps, &f, &e)))
			goto out;
		err = fastest(r->noevents ? noev->progs.xdp_ingress : fx.skel->progs.xdp_ingress, &p,
			      &ns, &ret);
		if (r->tracer)
			trace_stop(&fx.maps, &e);
		if (err)
			goto out;
		if (ret != XDP_DROP) {
			fprintf(stderr, "bench: %s: verdict %u, not a drop\n", r->what, ret);
			err = -EPROTO;
			goto out;
		}
		if (r->noevents)
			ref = ns;
		printf("| %s | %u | %.2f |\n", r->what, ns, ref ? (double)ns / ref : 0.0);
	}
out:
	if (err)
		fprintf(stderr, "bench: %s\n", e.msg[0] ? e.msg : strerror(-err));
	bench_noevents__destroy(noev);
	fixture_teardown(&fx);
	return err ? 1 : 0;
}
