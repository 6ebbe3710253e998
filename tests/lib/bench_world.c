// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/lib/bench_world.c — the worlds the benchmarks run in (bench_world.h): a desired state
 * built in code, compiled and published by the real pipeline into a fixture's maps, and the
 * TCP frames that visit it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <time.h>

#include "bench_world.h"
#include "compile/compile.h"
#include "kernel/publish.h"

double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int bench_add_rules(struct group *g, int n_rules, int port_base)
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

struct eni *bench_add_eni(struct desired_state *s, const char *name, int ifindex,
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

int bench_add_addr(struct eni *n, const char *ip, bool primary)
{
	struct address *a = VEC_PUSH(&n->addrs);

	if (!a)
		return -ENOMEM;
	a->primary = primary;
	return ip_prefix_parse(ip, &a->ip);
}

int bench_publish_state_with(struct bpf_fixture *fx, const struct desired_state *s,
			     struct compile_cache *cache, struct publish_shadow *shadow,
			     double *compile_ms, double *publish_ms, double *grace_ms)
{
	struct publish_opts o = { .shadow = shadow };
	struct publish_result r = {};
	struct compiled c = {};
	struct err e = {};
	unsigned int slot;
	double t0, t1, t2;
	int err;

	t0 = bench_now_ms();
	err = publish_prepare(&fx->maps, &slot, &e);
	if (!err)
		err = compile_state_with(s, slot, cache, &c, &e);
	t1 = bench_now_ms();
	if (!err)
		err = publish_commit_with(&fx->maps, &c, &o, &r, &e);
	t2 = bench_now_ms();
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

void bench_pfx_text(int i, int host, char *buf, size_t len)
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
		bench_pfx_text(i, 0, buf, sizeof(buf));
		err = ip_prefix_parse(buf, p);
	}
	return err;
}

int bench_publish_world(struct bpf_fixture *fx, int ifindex_a, int ifindex_b, int n_rules,
			int n_addrs, int n_pfx)
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
	err = bench_add_rules(g, n_rules, 1000);
	a = bench_add_eni(&s, "a0", ifindex_a, "sg-bench");
	b = bench_add_eni(&s, "b0", ifindex_b, "sg-bench");
	if (!a || !b)
		err = -ENOMEM;
	if (!err)
		err = bench_add_addr(a, "192.0.2.1", true);
	if (!err)
		err = bench_add_addr(b, "198.51.100.1", true);
	if (!err)
		err = add_prefixes(a, n_pfx);
	for (int i = 1; !err && i < n_addrs - 1; i++) {
		snprintf(buf, sizeof(buf), "10.%d.%d.%d", 200 + i / 65536, (i / 256) % 256, i % 256);
		err = bench_add_addr(a, buf, false);
	}
	if (!err)
		err = bench_publish_state_with(fx, &s, NULL, NULL, NULL, NULL, NULL);
	state_free(&s);
	return err;
}

int bench_tcp_frame(struct pkt *p, const char *src, const char *dst, int sport, int dport,
		     uint8_t flags)
{
	struct pkt_spec spec = { .src = src, .dst = dst, .proto = IPPROTO_TCP,
				 .sport = (uint16_t)sport, .dport = (uint16_t)dport, .payload = 18 };
	int err = pkt_build(p, &spec);

	if (!err)
		p->data[p->off[PKT_L_L4] + BENCH_TCP_FLAGS_OFF] = flags;
	return err;
}

int bench_udp_frame(struct pkt *p, const char *src, int sport, const char *dst, int dport)
{
	struct pkt_spec spec = { .src = src, .dst = dst, .proto = IPPROTO_UDP,
				 .sport = (uint16_t)sport, .dport = (uint16_t)dport, .payload = 64 };

	return pkt_build(p, &spec);
}

int bench_confirm_tcp_flow(struct bpf_fixture *fx, int ifindex, const struct pkt *first,
			   const char *local, int local_port, const char *peer, int peer_port)
{
	struct pkt reply;
	__u32 ret;
	int err = fixture_run(fx->skel->progs.xdp_ingress, first, ifindex, &ret);

	if (!err)
		err = bench_tcp_frame(&reply, local, peer, local_port, peer_port, BENCH_TCP_ACK);
	if (!err)
		err = fixture_run(fx->skel->progs.tc_egress, &reply, ifindex, &ret);
	return !err && ret != (__u32)-1 /* TC_ACT_UNSPEC */ ? -EPROTO : err;
}
