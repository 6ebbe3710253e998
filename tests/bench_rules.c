// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bench_rules.c — per-packet cost of the XDP ingress program as the rule set and the
 * address set grow, as ratios to baselines measured in the same run:
 *   - count-and-pass: the cheapest useful XDP program (tests/bpf/bench_pass.bpf.c);
 *   - the same case with 1 rule (for the rule rows) or 1 address (for the address rows).
 * The real path builds the maps: desired state -> compile_state -> publish_commit. Timing comes
 * from BPF_PROG_TEST_RUN (the kernel's own per-run average over `repeat` runs); each figure is
 * the fastest of TRIALS runs (the one least disturbed by the rest of the machine). Prints a Markdown table; tests/bench.sh writes it to BENCHMARKS.md.
 */
#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_linear.skel.h"
#include "bench_pass.skel.h"
#include "bpf_fixture.h"
#include "compile/compile.h"
#include "kernel/publish.h"
#include "kernel/stats.h"
#include "state.h"

#define TRIALS 7
#define REPEAT (1u << 20)

static struct bpf_fixture fx; /* one ENI: veth a0 */

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/* The fastest ns per run of prog on the frame over TRIALS, and its return value. */
static int time_prog(const struct bpf_program *prog, const struct pkt *p, __u32 *ns,
		     __u32 *retval)
{
	__u32 t[TRIALS];

	for (int i = 0; i < TRIALS; i++) {
		int err = fixture_run_repeat(prog, p, fx.ifindex[0], REPEAT, retval, &t[i]);

		if (err)
			return err;
	}
	qsort(t, TRIALS, sizeof(t[0]), cmp_u32);
	*ns = t[0]; /* the least disturbed run */
	return 0;
}

/* How the rules of a case differ from each other. */
enum spread {
	SPREAD_BOTH,   /* rule i: tcp port 1000+i from 10.i/256.i%256.0/24 */
	SPREAD_PORTS,  /* rule i: tcp port 1000+i from 10.0.0.0/8 */
	SPREAD_SOURCES,/* rule i: tcp port 1000 from 10.i/256.i%256.0/24 */
};

/* One ENI with n_addrs addresses (192.0.2.1 first) and one group of n_rules rules. */
static int publish_case(int n_rules, int n_addrs, enum spread spread)
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
	snprintf(eni->ifname, sizeof(eni->ifname), "a0");
	eni->ifindex = fx.ifindex[0];
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
		r->from = r->to = spread == SPREAD_SOURCES ? 1000 : 1000 + i;
		r->peer_kind = PEER_CIDR;
		if (spread == SPREAD_PORTS)
			snprintf(buf, sizeof(buf), "10.0.0.0/8");
		else
			snprintf(buf, sizeof(buf), "10.%d.%d.0/24", i / 256, i % 256);
		err = ip_prefix_parse(buf, &r->cidr);
	}
	if (!err)
		err = publish_prepare(&fx.maps, &slot, &e);
	if (!err)
		err = compile_state(&s, slot, &c, &e);
	if (!err)
		err = publish_commit(&fx.maps, &c, &gen, &e);
	if (err)
		fprintf(stderr, "bench: %s\n", e.msg[0] ? e.msg : strerror(-err));
	compiled_free(&c);
	state_free(&s);
	return err;
}

/* On a wrong verdict: which reasons did count, to say why. */
static void dump_reasons(void)
{
	struct stat_rows rows = {};
	struct err e = {};
	size_t i;

	if (!stats_read(&fx.maps, 0, &rows, &e))
		for (i = 0; i < rows.v.n; i++)
			fprintf(stderr, "bench:   counted reason %u action %u\n",
				rows.v.v[i].k.reason, rows.v.v[i].k.action);
	VEC_FREE(&rows.v);
}

#define TCP_FLAGS_OFF 13
#define TCP_RST 0x04
#define TCP_ACK 0x10

/* A TCP frame with the given flags. The rule rows send RSTs: a bare RST creates no connection
 * state, so every run meets the rules instead of the connection table. */
static int build(struct pkt *p, const char *src, const char *dst, int dport, uint8_t flags)
{
	struct pkt_spec spec = { .src = src, .dst = dst, .proto = IPPROTO_TCP, .sport = 40000,
				 .dport = (uint16_t)dport, .payload = 18 };
	int err = pkt_build(p, &spec);

	if (!err)
		p->data[p->off[PKT_L_L4] + TCP_FLAGS_OFF] = flags;
	return err;
}

/* Runs p (a client's ACK from src to dst:dport) through xdp_ingress once, and with confirm the
 * server's answer through tc_egress, so the flow moves to the confirmed table. */
static int start_flow(const struct pkt *p, const char *src, const char *dst, int dport,
		      bool confirm)
{
	struct pkt_spec spec = { .src = dst, .dst = src, .proto = IPPROTO_TCP,
				 .sport = (uint16_t)dport, .dport = 40000, .payload = 18 };
	struct pkt reply;
	__u32 ret;
	int err = fixture_run(fx.skel->progs.xdp_ingress, p, fx.ifindex[0], &ret);

	if (err || !confirm)
		return err;
	err = pkt_build(&reply, &spec);
	if (!err) {
		reply.data[reply.off[PKT_L_L4] + TCP_FLAGS_OFF] = TCP_ACK;
		err = fixture_run(fx.skel->progs.tc_egress, &reply, fx.ifindex[0], &ret);
	}
	if (!err && ret != (__u32)TC_ACT_UNSPEC)
		err = -EPROTO;
	return err;
}

/* The linear-scan comparison: the same rules as SPREAD_BOTH, scanned one by one; the packet
 * matches the last rule. Returns the fastest ns, or 0 when it could not run. */
static __u32 linear_ns(int n_rules, const struct pkt *p)
{
	struct bench_linear *lin = bench_linear__open();
	__u32 ns = 0, ret = 0;

	if (!lin)
		return 0;
	lin->rodata->n_rules = (__u32)n_rules;
	if (bench_linear__load(lin))
		goto out;
	for (int i = 0; i < n_rules; i++) {
		struct { __be32 addr, mask; __u16 port, pad; } r = {
			.addr = htonl(0x0a000000u | (__u32)i << 8), .mask = htonl(0xffffff00u),
			.port = (__u16)(1000 + i),
		};
		__u32 k = (__u32)i;

		if (bpf_map_update_elem(bpf_map__fd(lin->maps.linear_rules), &k, &r, 0))
			goto out;
	}
	if (time_prog(lin->progs.xdp_linear, p, &ns, &ret) || ret != XDP_PASS)
		ns = 0;
out:
	bench_linear__destroy(lin);
	return ns;
}

struct row {
	const char *what;
	int n_rules, n_addrs;
	enum spread spread;
	bool match;   /* the packet matches the last rule (pass) or none (drop) */
	bool tracked; /* an ACK of a tracked flow: answered by the connection table */
	bool confirm; /* the flow was answered first: it sits in the confirmed table */
};

int main(void)
{
	static const struct row rows[] = {
		{ "allowed, 1 rule",       1,    1, SPREAD_BOTH, true, false, false },
		{ "allowed, 10 rules",     10,   1, SPREAD_BOTH, true, false, false },
		{ "allowed, 100 rules",    100,  1, SPREAD_BOTH, true, false, false },
		{ "allowed, 1000 rules",   1000, 1, SPREAD_BOTH, true, false, false },
		{ "allowed, 1000 rules: 1000 ports, one source", 1000, 1, SPREAD_PORTS, true, false, false },
		{ "allowed, 1000 rules: 1000 sources, one port", 1000, 1, SPREAD_SOURCES, true, false, false },
		{ "no_rule drop, 1 rule",  1,    1, SPREAD_BOTH, false, false, false },
		{ "no_rule drop, 1000 rules", 1000, 1, SPREAD_BOTH, false, false, false },
		{ "allowed, 1000 addresses", 1, 1000, SPREAD_BOTH, true, false, false },
		{ "allowed, 8000 addresses", 1, 8000, SPREAD_BOTH, true, false, false },
		{ "tracked flow (ct_established), 1 rule", 1, 1, SPREAD_BOTH, true, true, true },
		{ "tracked flow (ct_established), 1000 rules", 1000, 1, SPREAD_BOTH, true, true, true },
		{ "unconfirmed flow (no reply yet), 1 rule", 1, 1, SPREAD_BOTH, true, true, false },
	};
	static const char *const devs[] = { "a0" };
	struct bench_pass *base = NULL;
	__u32 base_ns, ref_ns = 0, lin_ref = 0, ns_run, ret;
	struct eniaddr_stat_key want = { .dir = ENIADDR_DIR_INGRESS };
	struct fixture_snapshot before;
	struct pkt p;
	char src[32];
	int err;

	err = fixture_setup(&fx, "bench", devs, 1, 0);
	if (err)
		return 1;
	base = bench_pass__open_and_load();
	if (!base) {
		fprintf(stderr, "bench: loading the baseline: %s\n", strerror(errno));
		err = -errno;
		goto out;
	}

	want.ifindex = (__u32)fx.ifindex[0];
	err = build(&p, "10.0.0.1", "192.0.2.1", 1000, TCP_RST);
	if (!err)
		err = time_prog(base->progs.xdp_count_pass, &p, &base_ns, &ret);
	if (err)
		goto out;
	printf("| case | ns/packet | vs count-and-pass | vs 1 rule, 1 address | verdict | linear scan, same rules: ns (vs its 1 rule) |\n");
	printf("|---|---:|---:|---:|---|---|\n");
	printf("| count-and-pass baseline | %u | 1.00 | | pass |\n", base_ns);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		int last = r->n_rules - 1;

		err = publish_case(r->n_rules, r->n_addrs, r->spread);
		if (err)
			goto out;
		snprintf(src, sizeof(src), "10.%d.%d.7", last / 256, last % 256);
		err = build(&p, src, r->n_addrs > 1 ? "10.200.0.5" : "192.0.2.1",
			    !r->match ? 999 : r->spread == SPREAD_SOURCES ? 1000 : 1000 + last,
			    r->tracked ? TCP_ACK : TCP_RST);
		/* A tracked row's flow: its first packet meets the rules, its reply (tc_egress)
		 * confirms it. */
		if (!err && r->tracked)
			err = start_flow(&p, src, r->n_addrs > 1 ? "10.200.0.5" : "192.0.2.1",
					 !r->match ? 999 : r->spread == SPREAD_SOURCES ? 1000 : 1000 + last,
					 r->confirm);
		want.reason = !r->match ? ENIADDR_R_NO_RULE :
			      r->tracked ? ENIADDR_R_CT_ESTABLISHED : ENIADDR_R_ALLOWED;
		want.action = r->match ? ENIADDR_ACT_PASS : ENIADDR_ACT_DROP;
		/* A warm-up pass first: the first runs after a publish pay for cold caches. */
		if (!err)
			err = time_prog(fx.skel->progs.xdp_ingress, &p, &ns_run, &ret);
		before = fixture_snapshot(&fx, &want);
		if (!err)
			err = time_prog(fx.skel->progs.xdp_ingress, &p, &ns_run, &ret);
		if (err)
			goto out;
		/* The row measures the path it names: nearly every run took it (a tracked row's
		 * first packet meets the rules and creates the flow). */
		if (fixture_moved(&fx, &before).packets + 1 < (__u64)REPEAT * TRIALS) {
			fprintf(stderr, "bench: %s: the runs did not take the %s path\n", r->what,
				fixture_reason_name(want.reason));
			dump_reasons();
			err = -EPROTO;
			goto out;
		}
		if (r->n_rules == 1 && r->n_addrs == 1 && r->match && !r->tracked)
			ref_ns = ns_run;
		if (ret != (r->match ? XDP_PASS : XDP_DROP)) {
			fprintf(stderr, "bench: %s: unexpected verdict %u\n", r->what, ret);
			dump_reasons();
			err = -EPROTO;
			goto out;
		}
		printf("| %s | %u | %.2f | %.2f | %s |", r->what, ns_run,
		       (double)ns_run / base_ns, ref_ns ? (double)ns_run / ref_ns : 0.0,
		       ret == XDP_PASS ? "pass" : "drop");
		if (r->spread == SPREAD_BOTH && r->match && r->n_addrs == 1 && !r->tracked) {
			__u32 lin = linear_ns(r->n_rules, &p);

			if (r->n_rules == 1)
				lin_ref = lin;
			if (lin && lin_ref)
				printf(" %u (%.2f) |", lin, (double)lin / lin_ref);
			else
				printf(" n/a |");
		} else {
			printf(" |");
		}
		printf("\n");
	}
out:
	bench_pass__destroy(base);
	fixture_teardown(&fx);
	return err ? 1 : 0;
}
