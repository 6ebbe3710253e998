// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bench_rules.c — per-packet cost of the XDP ingress program as the rule set and the
 * address set grow, as ratios to baselines measured in the same run:
 *   - count-and-pass: the cheapest useful XDP program (tests/bpf/bench_pass.bpf.c);
 *   - the same case with 1 rule (for the rule rows) or 1 address (for the address rows).
 * The real path builds the maps: desired state -> compile_state -> publish_commit. Timing comes
 * from BPF_PROG_TEST_RUN (the kernel's own per-run average over `repeat` runs); each figure is
 * the median of TRIALS runs. Prints a Markdown table; tests/bench.sh writes it to BENCHMARKS.md.
 */
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_pass.skel.h"
#include "compile.h"
#include "eniaddr.skel.h"
#include "netns.h"
#include "pkt.h"
#include "publish.h"
#include "state.h"

#define TRIALS 7
#define REPEAT (1u << 20)

static struct eniaddr *skel;
static struct map_fds fds;
static int ifindex;

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* Median ns per run of prog on the frame, and its return value. */
static int time_prog(int prog_fd, const struct pkt *p, __u32 *ns, __u32 *retval)
{
	struct xdp_md ctx = { .data_end = (__u32)p->len, .ingress_ifindex = (__u32)ifindex };
	__u32 t[TRIALS];

	for (int i = 0; i < TRIALS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data,
			    .data_size_in = (__u32)p->len, .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
			    .repeat = REPEAT);
		int err = bpf_prog_test_run_opts(prog_fd, &opts);

		if (err)
			return err;
		t[i] = opts.duration;
		*retval = opts.retval;
	}
	qsort(t, TRIALS, sizeof(t[0]), cmp_u32);
	*ns = t[TRIALS / 2];
	return 0;
}

/* One ENI with n_addrs addresses (192.0.2.1 first) and one group of n_rules rules: rule i
 * allows tcp port 1000+i from its own /24 (10.i/256.i%256.0/24). */
static int publish_case(int n_rules, int n_addrs)
{
	struct desired_state s;
	struct compiled c = {};
	struct err e = {};
	struct group *g;
	struct eni *eni;
	unsigned int slot;
	__u64 gen;
	char buf[64];
	int err;

	state_init(&s);
	eni = VEC_PUSH(&s.enis);
	g = VEC_PUSH(&s.groups);
	if (!eni || !g)
		return -ENOMEM;
	snprintf(eni->ifname, sizeof(eni->ifname), "veth0");
	eni->ifindex = ifindex;
	eni->src_check = true;
	state_default_timeouts(&eni->timeouts);
	snprintf(g->id, sizeof(g->id), "sg-bench");
	g->egress_set = true;
	err = group_refs_add(&eni->groups, "sg-bench");
	for (int i = 0; !err && i < n_addrs; i++) {
		struct address *a = VEC_PUSH(&eni->addrs);

		if (!a)
			return -ENOMEM;
		snprintf(buf, sizeof(buf), i == 0 ? "192.0.2.1" : "10.%d.%d.%d", 200 + i / 65536,
			 (i / 256) % 256, i % 256);
		err = ip_prefix_parse(buf, &a->ip);
		a->primary = i == 0;
	}
	for (int i = 0; !err && i < n_rules; i++) {
		struct rule *r = VEC_PUSH(&g->ingress);

		if (!r)
			return -ENOMEM;
		r->proto = IPPROTO_TCP;
		r->from = r->to = 1000 + i;
		r->peer_kind = PEER_CIDR;
		snprintf(buf, sizeof(buf), "10.%d.%d.0/24", i / 256, i % 256);
		err = ip_prefix_parse(buf, &r->cidr);
	}
	if (!err)
		err = publish_prepare(&fds, &slot, &e);
	if (!err)
		err = compile_state(&s, slot, &c, &e);
	if (!err)
		err = publish_commit(&fds, &c, &gen, &e);
	if (err)
		fprintf(stderr, "bench: %s\n", e.msg[0] ? e.msg : strerror(-err));
	compiled_free(&c);
	state_free(&s);
	return err;
}

/* On a wrong verdict: which reasons did count, to say why. */
static void dump_reasons(void)
{
	struct eniaddr_stat_key k, *prev = NULL;

	while (!bpf_map_get_next_key(fds.stats, prev, &k)) {
		fprintf(stderr, "bench:   counted reason %u action %u\n", k.reason, k.action);
		prev = &k;
	}
}

static int build(struct pkt *p, const char *src, const char *dst, int dport)
{
	struct pkt_spec spec = { .src = src, .dst = dst, .proto = IPPROTO_TCP, .sport = 40000,
				 .dport = (uint16_t)dport, .payload = 18 };

	return pkt_build(p, &spec);
}

struct row {
	const char *what;
	int n_rules, n_addrs;
	bool match; /* the packet matches the last rule (pass) or none (drop) */
};

int main(void)
{
	static const struct row rows[] = {
		{ "allowed, 1 rule",       1,    1, true },
		{ "allowed, 10 rules",     10,   1, true },
		{ "allowed, 100 rules",    100,  1, true },
		{ "allowed, 1000 rules",   1000, 1, true },
		{ "no_rule drop, 1 rule",  1,    1, false },
		{ "no_rule drop, 1000 rules", 1000, 1, false },
		{ "allowed, 1 address",    1,    1, true },
		{ "allowed, 1000 addresses", 1, 1000, true },
		{ "allowed, 8000 addresses", 1, 8000, true },
	};
	struct bench_pass *base = NULL;
	struct netns ns = { .fd = -1 };
	__u32 base_ns, ref_ns = 0, ns_run, ret;
	struct pkt p;
	char src[32];
	int err;

	err = netns_create(&ns, "bench");
	if (!err)
		err = netns_veth_add(&ns, "veth0", NULL, "veth1");
	if (!err)
		ifindex = netns_ifindex(&ns, "veth0");
	if (!err && ifindex > 0)
		err = netns_enter(&ns);
	skel = err ? NULL : eniaddr__open_and_load();
	base = skel ? bench_pass__open_and_load() : NULL;
	if (!skel || !base || ifindex <= 0) {
		fprintf(stderr, "bench: setup failed (%s)\n", strerror(errno));
		goto out;
	}
	map_fds_init(&fds);
	fds.state = bpf_map__fd(skel->maps.eniaddr_state);
	fds.enis = bpf_map__fd(skel->maps.eniaddr_enis);
	fds.addrs = bpf_map__fd(skel->maps.eniaddr_addrs);
	fds.pfx = bpf_map__fd(skel->maps.eniaddr_pfx);
	fds.src = bpf_map__fd(skel->maps.eniaddr_src);
	fds.l4 = bpf_map__fd(skel->maps.eniaddr_l4);
	fds.stats = bpf_map__fd(skel->maps.eniaddr_stats);

	err = build(&p, "10.0.0.1", "192.0.2.1", 1000);
	if (!err)
		err = time_prog(bpf_program__fd(base->progs.xdp_count_pass), &p, &base_ns, &ret);
	if (err)
		goto out;
	printf("| case | ns/packet | vs count-and-pass | vs 1 rule / 1 address | verdict |\n");
	printf("|---|---:|---:|---:|---|\n");
	printf("| count-and-pass baseline | %u | 1.00 | | pass |\n", base_ns);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int last = r->n_rules - 1;

		err = publish_case(r->n_rules, r->n_addrs);
		if (err)
			goto out;
		snprintf(src, sizeof(src), "10.%d.%d.7", last / 256, last % 256);
		err = build(&p, src, r->n_addrs > 1 ? "10.200.0.5" : "192.0.2.1",
			    r->match ? 1000 + last : 999);
		if (!err)
			err = time_prog(bpf_program__fd(skel->progs.xdp_ingress), &p, &ns_run, &ret);
		if (err)
			goto out;
		if (r->n_rules == 1 && r->n_addrs == 1 && r->match)
			ref_ns = ns_run;
		if (ret != (r->match ? XDP_PASS : XDP_DROP)) {
			fprintf(stderr, "bench: %s: unexpected verdict %u\n", r->what, ret);
			dump_reasons();
			err = -EPROTO;
			goto out;
		}
		printf("| %s | %u | %.2f | %.2f | %s |\n", r->what, ns_run,
		       (double)ns_run / base_ns, ref_ns ? (double)ns_run / ref_ns : 0.0,
		       ret == XDP_PASS ? "pass" : "drop");
	}
out:
	bench_pass__destroy(base);
	eniaddr__destroy(skel);
	netns_destroy(&ns);
	return err ? 1 : 0;
}
