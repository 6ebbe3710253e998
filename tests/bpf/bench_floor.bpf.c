// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/bpf/bench_floor.bpf.c — the benchmark's floors: programs that do nothing but pass, so a
 * ratio to them is the cost of our work above what the kernel's test run itself costs. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TC_ACT_UNSPEC (-1)

SEC("xdp")
int xdp_pass_floor(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int tc_unspec_floor(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
