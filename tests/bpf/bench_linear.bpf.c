// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bpf/bench_linear.bpf.c — the benchmark's "what growing with the rules looks like": an
 * IPv4/TCP filter that scans its rules one by one (first match wins), as iptables does. Only the
 * benchmark loads it; eniaddr-bpf never scans rules.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define MAX_RULES 1024
#define ETH_P_IP  0x0800

struct linear_rule {
	__be32 addr;
	__be32 mask;
	__u16 port;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_RULES);
	__type(key, __u32);
	__type(value, struct linear_rule);
} linear_rules SEC(".maps");

const volatile __u32 n_rules = 1;

struct scan_ctx {
	__be32 saddr;
	__u16 dport;
	int verdict;
};

static long scan_one(__u32 i, void *arg)
{
	struct scan_ctx *c = arg;
	struct linear_rule *r = bpf_map_lookup_elem(&linear_rules, &i);

	if (r && (c->saddr & r->mask) == r->addr && c->dport == r->port) {
		c->verdict = XDP_PASS;
		return 1;
	}
	return 0;
}

SEC("xdp")
int xdp_linear(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *tcp = (void *)(ip + 1); /* the benchmark's frames carry no IP options */
	struct scan_ctx c = { .verdict = XDP_DROP };

	if ((void *)(tcp + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_DROP;
	c.saddr = ip->saddr;
	c.dport = bpf_ntohs(tcp->dest);
	bpf_loop(n_rules, scan_one, &c, 0);
	return c.verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
