// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bench_paths.c — per-packet cost of every datapath path, and the cost of a sync, as
 * `make bench` reports them (tests/bench.sh writes BENCHMARKS.md).
 *
 * Paths: each is timed with BPF_PROG_TEST_RUN on the real programs, interleaved run by run with
 * a floor program measured in the same run (XDP paths against a program that only returns
 * XDP_PASS, tc paths against one that only returns TC_ACT_UNSPEC), at 1 and 1000 rules per ENI
 * and 10 and 100,000 addresses. The figure is the fastest of TRIALS runs of REPEAT packets (the
 * one least disturbed by the rest of the machine); the trials of a world's paths go round-robin,
 * so a disturbance spoils one trial of each path rather than every trial of one. Every trial
 * checks that the counter of its path moved for every packet, so a row never measures a path
 * other than its name.
 * The maps come from the real pipeline: desired state -> compile_state -> publish_commit_with.
 *
 * Sync: compile and publish of 16 ENIs x 1000 rules and 10,000 addresses from nothing, the
 * grace wait apart, and one reassignment (an address moves between ENIs) from decision (the
 * desired state in hand) to published (the active slot switched), as the agent does it: with
 * its compile cache and its publisher's shadow (compile.h, publish.h), each checked to be used.
 *
 * While working on one part, BENCH_SKIP_PATHS=1 or BENCH_SKIP_WIRE=1 leaves that section out.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_floor.skel.h"
#include "bpf_fixture.h"
#include "compile/compile.h"
#include "kernel/ledger.h"
#include "kernel/publish.h"
#include "state.h"

#define TRIALS 7
#define REPEAT (1u << 19)
#define TC_UNSPEC ((__u32)-1)
#define TC_REDIRECT 7u

enum { ENI_A, ENI_B };
static struct bpf_fixture fx;
static struct bench_floor *floors;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------------ the world a row runs in */

/* Rule i: tcp port 1000+i with peer 10.(i/256).(i%256).0/24, inbound from and outbound to it. */
static int add_rules(struct group *g, int n_rules, int port_base)
{
	char buf[32];
	int err = 0;

	for (int i = 0; !err && i < n_rules; i++) {
		struct rule *in = VEC_PUSH(&g->ingress), *out = VEC_PUSH(&g->egress);

		if (!in || !out)
			return -ENOMEM;
		in->proto = IPPROTO_TCP;
		in->from = in->to = port_base + i;
		in->peer_kind = PEER_CIDR;
		snprintf(buf, sizeof(buf), "10.%d.%d.0/24", i / 256, i % 256);
		err = ip_prefix_parse(buf, &in->cidr);
		*out = *in;
	}
	return err;
}

static struct eni *add_eni(struct desired_state *s, const char *name, int ifindex,
			   const char *group)
{
	struct eni *n = VEC_PUSH(&s->enis);

	if (!n)
		return NULL;
	snprintf(n->ifname, sizeof(n->ifname), "%s", name);
	n->ifindex = ifindex;
	n->src_check = true;
	state_default_timeouts(&n->timeouts);
	return group_refs_add(&n->groups, group) ? NULL : n;
}

static int add_addr(struct eni *n, const char *ip, bool primary)
{
	struct address *a = VEC_PUSH(&n->addrs);

	if (!a)
		return -ENOMEM;
	a->primary = primary;
	return ip_prefix_parse(ip, &a->ip);
}

/* Compile s (with cache, may be NULL) and publish it into the fixture's maps (remembering what
 * it wrote in shadow, may be NULL); *compile_ms,
 * *publish_ms and *grace_ms (may be NULL) receive the time of each step (publish without the RCU
 * grace waits, which are grace_ms). */
static int publish_state_with(const struct desired_state *s, struct compile_cache *cache,
			      struct publish_shadow *shadow, double *compile_ms, double *publish_ms,
			      double *grace_ms)
{
	struct publish_opts o = { .shadow = shadow };
	struct publish_result r = {};
	struct compiled c = {};
	struct err e = {};
	unsigned int slot;
	double t0, t1, t2;
	int err;

	t0 = now_ms();
	err = publish_prepare(&fx.maps, &slot, &e);
	if (!err)
		err = compile_state_with(s, slot, cache, &c, &e);
	t1 = now_ms();
	if (!err)
		err = publish_commit_with(&fx.maps, &c, &o, &r, &e);
	t2 = now_ms();
	if (err)
		fprintf(stderr, "bench: %s\n", e.msg[0] ? e.msg : strerror(-err));
	if (compile_ms)
		*compile_ms = t1 - t0;
	if (publish_ms)
		*publish_ms = t2 - t1 - r.grace_ns / 1e6;
	if (grace_ms)
		*grace_ms = r.grace_ns / 1e6;
	if (cache)
		compile_cache_keep(cache, &c);
	else
		compiled_free(&c);
	return err;
}

static int publish_state(const struct desired_state *s, double *compile_ms, double *publish_ms,
			 double *grace_ms)
{
	return publish_state_with(s, NULL, NULL, compile_ms, publish_ms, grace_ms);
}

/* Delegated prefix i of ENI a: the /28s 100.64.0.0/28, 100.64.0.16/28, ... (EKS prefix
 * delegation's shape); PFX_HOST is the host of it a packet goes to. */
#define PFX_HOST 5
static void pfx_text(int i, int host, char *buf, size_t len)
{
	snprintf(buf, len, "100.64.%d.%d%s", i / 16, (i % 16) * 16 + host, host ? "" : "/28");
}

static int add_prefixes(struct eni *n, int n_pfx)
{
	char buf[32];
	int err = 0;

	for (int i = 0; !err && i < n_pfx; i++) {
		struct ip_prefix *p = VEC_PUSH(&n->prefixes);

		if (!p)
			return -ENOMEM;
		pfx_text(i, 0, buf, sizeof(buf));
		err = ip_prefix_parse(buf, p);
	}
	return err;
}

/* ENI a (ifindex_a) with 192.0.2.1, n_addrs - 1 more addresses (10.200.0.0 on) and n_pfx
 * delegated /28s, ENI b0 with 198.51.100.1; both in one group of n_rules rules each way. */
static int publish_world(int ifindex_a, int n_rules, int n_addrs, int n_pfx)
{
	struct desired_state s;
	struct group *g;
	struct eni *a, *b;
	char buf[32];
	int err;

	state_init(&s);
	g = VEC_PUSH(&s.groups);
	if (!g)
		return -ENOMEM;
	snprintf(g->id, sizeof(g->id), "sg-bench");
	g->egress_set = true;
	err = add_rules(g, n_rules, 1000);
	a = add_eni(&s, "a0", ifindex_a, "sg-bench");
	b = add_eni(&s, "b0", fx.ifindex[ENI_B], "sg-bench");
	if (!a || !b)
		err = -ENOMEM;
	if (!err)
		err = add_addr(a, "192.0.2.1", true);
	if (!err)
		err = add_addr(b, "198.51.100.1", true);
	if (!err)
		err = add_prefixes(a, n_pfx);
	for (int i = 1; !err && i < n_addrs - 1; i++) {
		snprintf(buf, sizeof(buf), "10.%d.%d.%d", 200 + i / 65536, (i / 256) % 256, i % 256);
		err = add_addr(a, buf, false);
	}
	if (!err)
		err = publish_state(&s, NULL, NULL, NULL);
	state_free(&s);
	return err;
}

/* ------------------------------------------------------------------------------- the paths */

#define TCP_FLAGS_OFF 13
#define TCP_RST 0x04
#define TCP_ACK 0x10

enum prog { PROG_XDP_IN, PROG_TC_OUT };

struct path {
	const char *name;
	enum prog prog;
	double target; /* ratio to the floor */
	enum eniaddr_reason reason;
	enum eniaddr_action action;
	__u32 retval;
};

enum path_id { P_ARP, P_NOT_OWNED, P_ALLOWED, P_PFX_ALLOWED, P_NO_RULE, P_TRACKED,
	       P_UNCONFIRMED, P_EG_ALLOWED, P_EG_REDIRECT, N_PATHS };

static const struct path paths[N_PATHS] = {
	[P_ARP] = { "ARP (failsafe)", PROG_XDP_IN, 1.5, ENIADDR_R_FAILSAFE_ARP, ENIADDR_ACT_PASS,
		    XDP_PASS },
	[P_NOT_OWNED] = { "not_owned drop", PROG_XDP_IN, 3.0, ENIADDR_R_NOT_OWNED,
			  ENIADDR_ACT_DROP, XDP_DROP },
	[P_ALLOWED] = { "rule path, allowed (RST)", PROG_XDP_IN, 5.0, ENIADDR_R_ALLOWED,
			ENIADDR_ACT_PASS, XDP_PASS },
	[P_PFX_ALLOWED] = { "rule path, prefix-owned destination, allowed (RST)", PROG_XDP_IN,
			    5.0, ENIADDR_R_ALLOWED, ENIADDR_ACT_PASS, XDP_PASS },
	[P_NO_RULE] = { "no_rule drop", PROG_XDP_IN, 5.0, ENIADDR_R_NO_RULE, ENIADDR_ACT_DROP,
			XDP_DROP },
	[P_TRACKED] = { "tracked flow, confirmed (ct_established)", PROG_XDP_IN, 3.5,
			ENIADDR_R_CT_ESTABLISHED, ENIADDR_ACT_PASS, XDP_PASS },
	[P_UNCONFIRMED] = { "tracked flow, unconfirmed: no reply yet (ct_established)",
			    PROG_XDP_IN, 3.5, ENIADDR_R_CT_ESTABLISHED, ENIADDR_ACT_PASS, XDP_PASS },
	[P_EG_ALLOWED] = { "tc egress, own source, allowed (RST)", PROG_TC_OUT, 2.0,
			   ENIADDR_R_ALLOWED, ENIADDR_ACT_PASS, TC_UNSPEC },
	[P_EG_REDIRECT] = { "tc egress, other ENI's source: redirect", PROG_TC_OUT, 2.0,
			    ENIADDR_R_REDIRECT, ENIADDR_ACT_REDIRECT, TC_REDIRECT },
};

static int tcp_frame(struct pkt *p, const char *src, const char *dst, int sport, int dport,
		     uint8_t flags)
{
	struct pkt_spec spec = { .src = src, .dst = dst, .proto = IPPROTO_TCP,
				 .sport = (uint16_t)sport, .dport = (uint16_t)dport, .payload = 18 };
	int err = pkt_build(p, &spec);

	if (!err)
		p->data[p->off[PKT_L_L4] + TCP_FLAGS_OFF] = flags;
	return err;
}

/* The frame of path id in a world of n_rules and n_pfx prefixes: peers match the last rule, a
 * prefix-owned destination lies in the last prefix. cfg makes the flows of each world
 * distinct, so state left by one world never answers another's packets. */
static int path_frame(enum path_id id, int n_rules, int n_pfx, int cfg, struct pkt *p)
{
	struct pkt_spec arp = { .ethertype = ETH_P_ARP };
	int last = n_rules - 1, port = 1000 + last;
	char peer[32], in_pfx[32];

	snprintf(peer, sizeof(peer), "10.%d.%d.7", last / 256, last % 256);
	pfx_text(n_pfx - 1, PFX_HOST, in_pfx, sizeof(in_pfx));
	switch (id) {
	case P_ARP:
		return pkt_build(p, &arp);
	case P_NOT_OWNED:
		return tcp_frame(p, peer, "203.0.113.9", 50000 + cfg, port, TCP_RST);
	case P_ALLOWED:
		return tcp_frame(p, peer, "192.0.2.1", 50000 + cfg, port, TCP_RST);
	case P_PFX_ALLOWED:
		return tcp_frame(p, peer, in_pfx, 53000 + cfg, port, TCP_RST);
	case P_NO_RULE:
		return tcp_frame(p, peer, "192.0.2.1", 50000 + cfg, 999, TCP_RST);
	case P_TRACKED:
		return tcp_frame(p, peer, "192.0.2.1", 51000 + cfg, port, TCP_ACK);
	case P_UNCONFIRMED:
		return tcp_frame(p, peer, "192.0.2.1", 52000 + cfg, port, TCP_ACK);
	case P_EG_ALLOWED:
		return tcp_frame(p, "192.0.2.1", peer, 40000 + cfg, port, TCP_RST);
	case P_EG_REDIRECT:
		return tcp_frame(p, "198.51.100.1", peer, 40000 + cfg, port, TCP_RST);
	default:
		return -EINVAL;
	}
}

static const struct bpf_program *prog_of(enum prog pr)
{
	return pr == PROG_XDP_IN ? fx.skel->progs.xdp_ingress : fx.skel->progs.tc_egress;
}

static const struct bpf_program *floor_of(enum prog pr)
{
	return pr == PROG_XDP_IN ? floors->progs.xdp_pass_floor : floors->progs.tc_unspec_floor;
}

/* One trial of path pa on frame p: a run of the floor, then one of the path; keeps the fastest
 * of each in *ns and *floor_ns, and checks that every packet of the run took the path (its
 * counter, want, moved by REPEAT). */
static int trial_path(const struct path *pa, const struct pkt *p,
		      const struct eniaddr_stat_key *want, __u32 *ns, __u32 *floor_ns)
{
	struct fixture_snapshot before = fixture_snapshot(&fx, want);
	__u32 ret, fret, t, ft;
	int err = fixture_run_repeat(floor_of(pa->prog), p, fx.ifindex[ENI_A], REPEAT, &fret, &ft);

	if (!err)
		err = fixture_run_repeat(prog_of(pa->prog), p, fx.ifindex[ENI_A], REPEAT, &ret, &t);
	if (err)
		return err;
	if (ret != pa->retval) {
		fprintf(stderr, "bench: %s: verdict %d, expected %d\n", pa->name, (int)ret,
			(int)pa->retval);
		return -EPROTO;
	}
	if (fixture_moved(&fx, &before).packets < REPEAT) {
		fprintf(stderr, "bench: %s: the runs did not take the %s path\n", pa->name,
			fixture_reason_name(pa->reason));
		return -EPROTO;
	}
	*ns = t < *ns ? t : *ns;
	*floor_ns = ft < *floor_ns ? ft : *floor_ns;
	return 0;
}

/* The confirmed row's flow: its first packet meets the rules, the server's answer (tc_egress)
 * moves it to the confirmed table. */
static int confirm_flow(const struct pkt *p, int n_rules, int cfg)
{
	int last = n_rules - 1;
	struct pkt reply;
	char peer[32];
	__u32 ret;
	int err = fixture_run(fx.skel->progs.xdp_ingress, p, fx.ifindex[ENI_A], &ret);

	snprintf(peer, sizeof(peer), "10.%d.%d.7", last / 256, last % 256);
	if (!err)
		err = tcp_frame(&reply, "192.0.2.1", peer, 1000 + last, 51000 + cfg, TCP_ACK);
	if (!err)
		err = fixture_run(fx.skel->progs.tc_egress, &reply, fx.ifindex[ENI_A], &ret);
	return !err && ret != TC_UNSPEC ? -EPROTO : err;
}

/* A path of the published world, ready to time: its frame and the counter it must move. */
struct ready_path {
	struct pkt p;
	struct eniaddr_stat_key want;
};

/* Builds path id's frame in the published world (a tracked row's flow confirmed) and warms it
 * up: the first runs after a publish pay for cold caches (and a tracked row's first packet
 * creates its flow). */
static int prepare_path(enum path_id id, int n_rules, int n_pfx, int cfg, struct ready_path *r)
{
	const struct path *pa = &paths[id];
	__u32 ret, warm;
	int err = path_frame(id, n_rules, n_pfx, cfg, &r->p);

	r->want = (struct eniaddr_stat_key){
		.ifindex = (__u32)fx.ifindex[ENI_A],
		.reason = pa->reason,
		.dir = pa->prog == PROG_XDP_IN ? ENIADDR_DIR_INGRESS : ENIADDR_DIR_EGRESS,
		.action = pa->action,
	};
	if (!err && id == P_TRACKED)
		err = confirm_flow(&r->p, n_rules, cfg);
	if (!err)
		err = fixture_run_repeat(prog_of(pa->prog), &r->p, fx.ifindex[ENI_A], REPEAT, &ret,
					 &warm);
	return err;
}

/* Every path of the published world, TRIALS times round-robin: a disturbance of the machine
 * (this VM's neighbours) then costs one trial of each path, not every trial of one. */
static int time_world(int n_rules, int n_pfx, int cfg, __u32 ns[N_PATHS], __u32 fl[N_PATHS])
{
	static struct ready_path ready[N_PATHS];
	int err = 0;

	for (int id = 0; id < N_PATHS && !err; id++) {
		ns[id] = fl[id] = UINT32_MAX;
		err = prepare_path(id, n_rules, n_pfx, cfg, &ready[id]);
	}
	for (int t = 0; t < TRIALS && !err; t++)
		for (int id = 0; id < N_PATHS && !err; id++)
			err = trial_path(&paths[id], &ready[id].p, &ready[id].want, &ns[id], &fl[id]);
	return err;
}

/* The addresses of a world come with delegated prefixes on ENI a: one in the small worlds, as
 * many as a slot holds (ENIADDR_MAX_PREFIXES / 2 /28s) in the large ones. */
struct world {
	int n_rules, n_addrs, n_pfx;
};

#define BIG_PFX (ENIADDR_MAX_PREFIXES / 2)
static const struct world worlds[] = {
	{ 1, 10, 1 }, { 1000, 10, 1 }, { 1, 100000, BIG_PFX }, { 1000, 100000, BIG_PFX },
};
#define N_WORLDS (sizeof(worlds) / sizeof(worlds[0]))

static int bench_paths(void)
{
	static double ratio[N_WORLDS][N_PATHS];
	__u32 ns[N_WORLDS][N_PATHS], fl[N_WORLDS][N_PATHS];
	int err = 0;

	for (size_t w = 0; w < N_WORLDS && !err; w++) {
		err = publish_world(fx.ifindex[ENI_A], worlds[w].n_rules, worlds[w].n_addrs,
				    worlds[w].n_pfx);
		if (!err)
			err = time_world(worlds[w].n_rules, worlds[w].n_pfx, (int)w, ns[w], fl[w]);
		for (int id = 0; id < N_PATHS && !err; id++)
			ratio[w][id] = (double)ns[w][id] / fl[w][id];
	}
	if (err)
		return err;
	printf("| path | rules/ENI | addresses + delegated /28s | ns | floor ns | x floor | target | vs 1 rule, 10 addresses (flat: <= 1.10) |\n");
	printf("|---|---:|---:|---:|---:|---:|---|---:|\n");
	for (int id = 0; id < N_PATHS; id++)
		for (size_t w = 0; w < N_WORLDS; w++) {
			/* ns against ns: the floor is a few ns, its 1 ns steps would be 14% here */
			double flat = (double)ns[w][id] / ns[0][id];

			printf("| %s | %d | %d + %d | %u | %u | %.2f | <= %.1fx %s | %s%.2f%s |\n",
			       paths[id].name, worlds[w].n_rules, worlds[w].n_addrs,
			       worlds[w].n_pfx, ns[w][id],
			       fl[w][id], ratio[w][id], paths[id].target,
			       ratio[w][id] <= paths[id].target ? "met" : "**missed**",
			       w && flat > 1.10 ? "**" : "", flat, w && flat > 1.10 ? "**" : "");
		}
	return 0;
}

/* ---------------------------------------------------------------- instruction counts */

static void print_insns(const char *name, const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len)) {
		printf("| %s | n/a | | |\n", name);
		return;
	}
	printf("| %s | %u | %u | %u |\n", name, info.xlated_prog_len / 8, info.jited_prog_len,
	       info.verified_insns);
}

static void bench_insns(void)
{
	printf("| program | instructions (xlated) | JIT bytes | instructions the verifier walked |\n");
	printf("|---|---:|---:|---:|\n");
	print_insns("xdp_ingress", fx.skel->progs.xdp_ingress);
	print_insns("tc_ingress", fx.skel->progs.tc_ingress);
	print_insns("tc_egress", fx.skel->progs.tc_egress);
	print_insns("floor: xdp_pass_floor", floors->progs.xdp_pass_floor);
	print_insns("floor: tc_unspec_floor", floors->progs.tc_unspec_floor);
}

/* ------------------------------------------------------------------------------------ sync */

#define SYNC_ENIS 16
#define SYNC_RULES 1000
#define SYNC_ADDRS 10000
#define SYNC_TRIALS 3

/* 16 ENIs (ifindexes that need not exist: only the datapath would ask), each with its own
 * group of 1000 rules and 625 addresses. */
static int sync_world(struct desired_state *s)
{
	char id[32], ip[32];
	int err = 0;

	state_init(s);
	for (int i = 0; i < SYNC_ENIS && !err; i++) {
		struct group *g = VEC_PUSH(&s->groups);
		struct eni *n;

		if (!g)
			return -ENOMEM;
		snprintf(g->id, sizeof(g->id), "sg-%02d", i);
		g->egress_set = true;
		err = add_rules(g, SYNC_RULES, 1000 + i);
		snprintf(id, sizeof(id), "eth%d", i);
		n = err ? NULL : add_eni(s, id, 100000 + i, g->id);
		if (!n)
			return err ? err : -ENOMEM;
		for (int j = 0; j < SYNC_ADDRS / SYNC_ENIS && !err; j++) {
			snprintf(ip, sizeof(ip), "10.%d.%d.%d", 100 + i, (j + 1) / 256, (j + 1) % 256);
			err = add_addr(n, ip, j == 0);
		}
	}
	return err;
}

/* Moves the last address of ENI 0 to ENI 1: what a reassignment changes. */
static int reassign(struct desired_state *s)
{
	struct eni *from = &s->enis.v[0], *to = &s->enis.v[1];
	struct address *a = VEC_PUSH(&to->addrs);

	if (!a)
		return -ENOMEM;
	*a = from->addrs.v[--from->addrs.n];
	a->primary = false;
	return 0;
}

static int bench_sync(void)
{
	double c_min = 1e9, p_min = 1e9, rc_min = 1e9, rp_min = 1e9, g_max = 0, c, p, g;
	struct publish_shadow shadow = {};
	struct compile_cache cache = {};
	struct desired_state s;
	struct err e = {};
	int err = sync_world(&s);

	/* The agent's publisher: its shadow is trusted only with a publish ledger. */
	fx.maps.ledger = err ? -1 : ledger_create(&e);
	if (fx.maps.ledger < 0 && !err)
		err = fx.maps.ledger;
	/* A whole world: compiled and published from nothing (a cold cache and a cold shadow,
	 * filled on the way, as the agent's first reconcile does). */
	for (int i = 0; i < SYNC_TRIALS && !err; i++) {
		compile_cache_free(&cache);
		publish_shadow_free(&shadow);
		err = publish_state_with(&s, &cache, &shadow, &c, &p, &g);
		c_min = c < c_min ? c : c_min;
		p_min = p < p_min ? p : p_min;
		g_max = g > g_max ? g : g_max;
	}
	for (int i = 0; i < SYNC_TRIALS && !err; i++) {
		err = reassign(&s);
		if (!err)
			err = publish_state_with(&s, &cache, &shadow, &c, &p, &g);
		rc_min = c < rc_min ? c : rc_min;
		rp_min = p < rp_min ? p : rp_min;
		g_max = g > g_max ? g : g_max;
	}
	state_free(&s);
	/* the rows below name what they measured: the reuse, not a silent fallback */
	if (!err && (cache.hits != SYNC_TRIALS || shadow.trusted != SYNC_TRIALS)) {
		fprintf(stderr, "bench: of %d reassignments, %lu reused the compiled rules and %lu the publisher's shadow\n",
			SYNC_TRIALS, cache.hits, shadow.trusted);
		err = -EPROTO;
	}
	compile_cache_free(&cache);
	publish_shadow_free(&shadow);
	if (fx.maps.ledger >= 0)
		close(fx.maps.ledger);
	fx.maps.ledger = -1;
	if (err)
		return err;
	printf("| sync step | compile ms | publish ms (inactive slot: its contents, the difference written, rule tables, switch) | total ms | target |\n");
	printf("|---|---:|---:|---:|---|\n");
	printf("| %d ENIs x %d rules, %d addresses, from nothing (every policy compiled, inactive slot read back) | %.1f | %.1f | %.1f | <= 50 ms %s |\n",
	       SYNC_ENIS, SYNC_RULES, SYNC_ADDRS, c_min, p_min, c_min + p_min,
	       c_min + p_min <= 50 ? "met" : "**missed**");
	printf("| one reassignment (an address moves), decision to published (compiled rules reused, publisher's own record of the slot trusted) | %.1f | %.1f | %.1f | <= 5 ms %s |\n",
	       rc_min, rp_min, rc_min + rp_min, rc_min + rp_min <= 5 ? "met" : "**missed**");
	printf("| RCU grace waits of one publish, the longest seen (not in the totals) | | %.1f | | |\n",
	       g_max);
	return 0;
}

/* ------------------------------------------------------------------------------ whole path */

/*
 * Real packets: a sender in a second namespace writes WIRE_PACKETS frames (an AF_PACKET socket,
 * batches of WIRE_BATCH, then it stops) into veth w1; they arrive on w0, where the filter under
 * test runs. Rate = packets counted on w0 / time from the first send until w0's count stops
 * moving. The frames are TCP ACKs of WIRE_FLOWS flows from the peer of the last of 1000 rules,
 * so every filter must look at all its rules; eniaddr-bpf tracks them (its common case).
 */
#define WIRE_PACKETS 300000
#define WIRE_BATCH 64
#define WIRE_FLOWS 256
#define WIRE_TRIALS 3
#define WIRE_RULES 1000

static struct netns sender_ns;
static struct pkt wire_frames[WIRE_FLOWS];

/* Packets w0 received (its link statistics, via getifaddrs). */
static __u64 rx_packets(const char *ifname)
{
	struct ifaddrs *ifa, *i;
	__u64 n = 0;

	if (getifaddrs(&ifa))
		return 0;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && i->ifa_data &&
		    !strcmp(i->ifa_name, ifname))
			n = ((struct rtnl_link_stats *)i->ifa_data)->rx_packets;
	freeifaddrs(ifa);
	return n;
}

/* No IPv6 on the wire pair: router solicitations and MLD reports would be counted too. */
static void no_ipv6(const char *ifname)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	f = fopen(path, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
}

static int wire_socket(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int one = 1, fd, err;

	err = netns_enter(&sender_ns);
	if (err)
		return err;
	sll.sll_ifindex = (int)if_nametoindex("w1");
	no_ipv6("w1");
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	err = fd < 0 ? -errno : 0;
	if (!err && (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
		     bind(fd, (struct sockaddr *)&sll, sizeof(sll))))
		err = -errno;
	if (netns_enter(&fx.ns) && !err)
		err = -errno;
	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

/* One bounded run: packets per second seen on w0; every packet sent must arrive. */
static int wire_run(int fd, double *pps)
{
	static struct mmsghdr msgs[WIRE_BATCH];
	static struct iovec iov[WIRE_BATCH];
	__u64 before = rx_packets("w0"), last = before, now_n;
	double t0 = now_ms(), t_last;
	size_t sent = 0;

	while (sent < WIRE_PACKETS) {
		int n, want = WIRE_PACKETS - sent < WIRE_BATCH ? (int)(WIRE_PACKETS - sent) : WIRE_BATCH;

		for (int i = 0; i < want; i++) {
			const struct pkt *p = &wire_frames[(sent + (size_t)i) % WIRE_FLOWS];

			iov[i] = (struct iovec){ (void *)p->data, p->len };
			msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		n = sendmmsg(fd, msgs, (unsigned int)want, 0);
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN)
			return -errno;
		sent += n > 0 ? (size_t)n : 0;
	}
	t_last = now_ms();
	for (int quiet = 0; quiet < 20; quiet++) { /* until the count stops moving for 20 ms */
		usleep(1000);
		now_n = rx_packets("w0");
		if (now_n != last) {
			last = now_n;
			t_last = now_ms();
			quiet = 0;
		}
	}
	*pps = (double)(last - before) / ((t_last - t0) / 1e3);
	if (last - before != WIRE_PACKETS)
		fprintf(stderr, "bench: sent %d packets, w0 counted %llu\n", WIRE_PACKETS,
			(unsigned long long)(last - before));
	return last - before != WIRE_PACKETS ? -EPROTO : 0;
}

/* The same 1000 rules as nftables in a netdev ingress chain on w0: one rule each, or one rule
 * looking (source, port) up in a set. */
static int nft_load(bool set)
{
	char path[64], cmd[128];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "/tmp/eniaddr-bench-%d.nft", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "table netdev eniaddr_bench {\n");
	if (set) {
		fprintf(f, "  set rules { type ipv4_addr . inet_service; flags interval; elements = {");
		for (int i = 0; i < WIRE_RULES; i++)
			fprintf(f, "%s 10.%d.%d.0/24 . %d", i ? "," : "", i / 256, i % 256, 1000 + i);
		fprintf(f, " } }\n");
	}
	fprintf(f, "  chain in {\n    type filter hook ingress device \"w0\" priority 0; policy drop;\n");
	if (set)
		fprintf(f, "    ip saddr . tcp dport @rules counter accept\n");
	for (int i = 0; !set && i < WIRE_RULES; i++)
		fprintf(f, "    ip saddr 10.%d.%d.0/24 tcp dport %d counter accept\n", i / 256, i % 256,
			1000 + i);
	fprintf(f, "  }\n}\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "nft -f %s", path);
	rc = system(cmd);
	unlink(path);
	return rc ? -EIO : 0;
}

/* Packets the chain's rules accepted (the sum of their counters). */
static __u64 nft_accepted(void)
{
	FILE *f = popen("nft list table netdev eniaddr_bench", "r");
	char line[256], *at;
	__u64 n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if ((at = strstr(line, "counter packets ")))
			n += strtoull(at + strlen("counter packets "), NULL, 10);
	pclose(f);
	return n;
}

static void nft_unload(void)
{
	if (system("nft delete table netdev eniaddr_bench"))
		fprintf(stderr, "bench: could not delete the nft table\n");
}

static int xdp_on(int prog_fd)
{
	int ifindex = (int)if_nametoindex("w0");

	if (bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL))
		return -errno;
	return 0;
}

/* prog_fd at clsact ingress of w0 (the qdisc is created here and removed by tc_off). */
static int tc_on(int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)if_nametoindex("w0"),
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd);
	int err = bpf_tc_hook_create(&hook);

	if (!err)
		err = bpf_tc_attach(&hook, &opts);
	return err;
}

static void tc_off(void)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)if_nametoindex("w0"),
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	bpf_tc_hook_destroy(&hook);
}

enum wire_filter { W_NONE, W_FLOOR, W_ENIADDR, W_TC_FLOOR, W_ENIADDR_TC, W_NFT_CHAIN, W_NFT_SET,
		   W_N };

static const char *const wire_names[W_N] = {
	"no filter", "XDP program returning XDP_PASS", "eniaddr-bpf (XDP), 1000 rules, tracked flows",
	"tc program returning TC_ACT_UNSPEC", "eniaddr-bpf (tc), 1000 rules, tracked flows",
	"nftables netdev ingress chain, 1000 rules", "nftables netdev ingress, 1000 rules in one set",
};

/* The floor of filter v's attach point: XDP_PASS for XDP, TC_ACT_UNSPEC for tc, else none. */
static enum wire_filter wire_floor(enum wire_filter v)
{
	if (v == W_ENIADDR || v == W_FLOOR)
		return W_FLOOR;
	if (v == W_ENIADDR_TC || v == W_TC_FLOOR)
		return W_TC_FLOOR;
	return W_NONE;
}

/* Trial t of filter v: install it on w0, one run (the best rate so far kept in *best), check that
 * the filter itself passed every packet, remove it. */
static int wire_variant(enum wire_filter v, int t, int fd, int w0, double *best)
{
	struct eniaddr_stat_key ct = { .ifindex = (__u32)w0, .reason = ENIADDR_R_CT_ESTABLISHED,
				       .dir = ENIADDR_DIR_INGRESS, .action = ENIADDR_ACT_PASS };
	struct fixture_snapshot before = fixture_snapshot(&fx, &ct);
	__u64 passed = WIRE_PACKETS;
	double pps = 0;
	int err = 0;

	if (v == W_FLOOR)
		err = xdp_on(bpf_program__fd(floors->progs.xdp_pass_floor));
	else if (v == W_ENIADDR)
		err = xdp_on(bpf_program__fd(fx.skel->progs.xdp_ingress));
	else if (v == W_TC_FLOOR)
		err = tc_on(bpf_program__fd(floors->progs.tc_unspec_floor));
	else if (v == W_ENIADDR_TC)
		err = tc_on(bpf_program__fd(fx.skel->progs.tc_ingress));
	else if (v == W_NFT_CHAIN || v == W_NFT_SET)
		err = nft_load(v == W_NFT_SET);
	if (!err)
		err = wire_run(fd, &pps);
	if (v == W_ENIADDR || v == W_ENIADDR_TC) /* the flows' first packets were ALLOWED in the
						      * first trial, all later ones CT_ESTABLISHED */
		passed = fixture_moved(&fx, &before).packets +
			 (t || v == W_ENIADDR_TC ? 0 : WIRE_FLOWS);
	else if (v == W_NFT_CHAIN || v == W_NFT_SET)
		passed = nft_accepted();
	if (!err && passed != WIRE_PACKETS) {
		fprintf(stderr, "bench: %s passed %llu of %d packets\n", wire_names[v],
			(unsigned long long)passed, WIRE_PACKETS);
		err = -EPROTO;
	}
	if (v == W_ENIADDR || v == W_FLOOR)
		bpf_xdp_detach(w0, XDP_FLAGS_DRV_MODE, NULL);
	if (v == W_ENIADDR_TC || v == W_TC_FLOOR)
		tc_off();
	if (v == W_NFT_CHAIN || v == W_NFT_SET)
		nft_unload();
	*best = pps > *best ? pps : *best;
	return err;
}

static int bench_wire(void)
{
	double pps[W_N] = {};
	char peer[32];
	int fd = -1, err, w0;

	err = netns_create(&sender_ns, "benchtx");
	if (!err)
		err = netns_veth_add(&fx.ns, "w0", &sender_ns, "w1");
	w0 = err ? 0 : (int)if_nametoindex("w0");
	no_ipv6("w0");
	if (!err && !w0)
		err = -ENODEV;
	snprintf(peer, sizeof(peer), "10.%d.%d.7", (WIRE_RULES - 1) / 256, (WIRE_RULES - 1) % 256);
	for (int i = 0; i < WIRE_FLOWS && !err; i++)
		err = tcp_frame(&wire_frames[i], peer, "192.0.2.1", 10000 + i, 1000 + WIRE_RULES - 1,
				TCP_ACK);
	if (!err)
		err = publish_world(w0, WIRE_RULES, 10, 0);
	if (!err)
		err = fd = wire_socket();
	if (err >= 0)
		err = 0;
	/* Trials round-robin over the filters, so a busy moment of the machine hits them all. */
	for (int t = 0; t < WIRE_TRIALS && !err; t++)
		for (int v = 0; v < W_N && !err; v++)
			err = wire_variant(v, t, fd, w0, &pps[v]);
	if (fd >= 0)
		close(fd);
	netns_destroy(&sender_ns);
	if (err)
		return err;
	printf("| whole path: %d packets over a veth pair between namespaces, best of %d | packets/s | vs no filter | vs a program that only passes, at the same hook | target |\n",
	       WIRE_PACKETS, WIRE_TRIALS);
	printf("|---|---:|---:|---:|---|\n");
	for (enum wire_filter v = 0; v < W_N; v++) {
		bool ours = v == W_ENIADDR || v == W_ENIADDR_TC;
		char floor[16] = "";

		if (wire_floor(v) != W_NONE && v != wire_floor(v))
			snprintf(floor, sizeof(floor), "%.2f", pps[v] / pps[wire_floor(v)]);
		printf("| %s | %.0f | %.2f | %s | %s |\n", wire_names[v], pps[v],
		       pps[v] / pps[W_NONE], floor,
		       !ours ? "" : pps[v] >= 0.95 * pps[W_NONE] ? ">= 0.95 met" :
		       ">= 0.95 **missed**");
	}
	return 0;
}

int main(void)
{
	static const char *const devs[] = { [ENI_A] = "a0", [ENI_B] = "b0" };
	int err = fixture_setup(&fx, "bench", devs, 2, 0);

	if (err)
		return 1;
	floors = bench_floor__open_and_load();
	if (!floors) {
		fprintf(stderr, "bench: loading the floor programs: %s\n", strerror(errno));
		err = -errno;
		goto out;
	}
	printf("### Per packet\n\n");
	err = getenv("BENCH_SKIP_PATHS") ? 0 : bench_paths();
	if (err)
		goto out;
	printf("\n### Instructions\n\n");
	bench_insns();
	printf("\n### Whole path\n\n");
	err = getenv("BENCH_SKIP_WIRE") ? 0 : bench_wire();
	if (err)
		goto out;
	printf("\n### Sync\n\n");
	err = bench_sync();
out:
	if (err)
		fprintf(stderr, "bench: failed: %s\n", strerror(-err));
	bench_floor__destroy(floors);
	fixture_teardown(&fx);
	return err ? 1 : 0;
}
