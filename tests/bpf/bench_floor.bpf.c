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

/* The whole path's frame sender (tests/bench_paths.c): every frame BPF_PROG_TEST_RUN hands it in
 * live-frames mode goes out of send_ifindex as an XDP frame, as a NIC's driver hands frames to
 * XDP. Frame n carries TCP source port send_port0 + n % send_flows, so the frames belong to
 * send_flows flows (the checksum is not fixed up: the receiver's stack drops them after the
 * hook under test, as it drops any packet nobody listens for). */
__u32 send_ifindex, send_port0, send_flows, send_sport_off;
__u64 sent;

SEC("xdp")
int xdp_send(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u16 *sport = data + (send_sport_off & 0xff);
	__u64 n = sent++;

	if ((void *)(sport + 1) > end || !send_flows)
		return XDP_ABORTED;
	*sport = __builtin_bswap16((__u16)(send_port0 + n % send_flows));
	return bpf_redirect(send_ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
