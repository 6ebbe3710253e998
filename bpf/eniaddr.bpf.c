// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpf/eniaddr.bpf.c — the program entry points. The decision lives in ingress.h (parsing in
 * parse.h, counting in counters.h, maps in maps.bpf.h).
 *
 * Scope of the ingress programs (xdp_ingress, and tc_ingress where XDP cannot attach). Every
 * frame gets exactly one reason, counted per (ifindex, reason, ingress, action):
 *  1. A frame shorter than Ethernet is MALFORMED. An interface without an ENI entry in the
 *     active slot passes everything (UNCONFIGURED): attaching before the first apply is safe.
 *  2. Up to ENIADDR_MAX_VLAN_DEPTH 802.1Q/802.1ad tags are parsed; one more is VLAN_CAP (drop).
 *     ARP passes (FAILSAFE_ARP); anything but IPv4, IPv6 and ARP passes untouched (OTHER_L3).
 *  3. IPv4 needs version 4, IHL >= 5 and its options present; IPv6 its fixed header and at most
 *     ENIADDR_MAX_EXT_HDRS extension headers (hop-by-hop, routing, fragment, destination
 *     options, AH, mobility), else EXT_HDR_CAP. Truncated or bad headers are MALFORMED.
 *  4. A non-first fragment passes (FRAGMENT_FOLLOWS) only while the first fragment of its
 *     datagram, which passed, is remembered (ENIADDR_FRAG_TIMEOUT_NS); else FRAGMENT (drop).
 *     Ports are never read from it. First fragments are judged like whole packets.
 *  5. TCP, UDP, ICMP and ICMPv6 headers must be complete (MALFORMED).
 *  6. Failsafes pass before any rule: IPv6 neighbor discovery, DHCP server to client, the
 *     link-local services (IMDS, DNS, Time Sync), frag-needed and packet-too-big.
 *  7. The destination must belong to this ENI: NOT_OWNED, WRONG_ENI (drop).
 *  8. The source and L4 selector must meet in a rule of the address's inbound policy (its own
 *     with an override, else the ENI's): ALLOWED, else NO_RULE (drop).
 * An ENI in audit mode passes what would be dropped and counts it with action AUDIT.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "consts.h"
#include "maps.bpf.h"
#include "ingress.h"

SEC("xdp")
int xdp_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	enum eniaddr_action act;

	act = ingress_verdict(data, data_end, ctx->ingress_ifindex, bpf_xdp_get_buff_len(ctx));
	return act == ENIADDR_ACT_DROP ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	__u32 len = skb->len;
	__u32 want;
	enum eniaddr_action act;

	want = len < ENIADDR_TC_PULL_LEN ? len : ENIADDR_TC_PULL_LEN;
	/* Make the headers linear. If the pull fails the parser sees the short head and calls
	 * the packet MALFORMED: a failed pull never becomes a pass. */
	if ((void *)(long)skb->data + want > (void *)(long)skb->data_end)
		bpf_skb_pull_data(skb, want);
	/* The pull moved data and data_end: read them again. barrier_var stops clang 14 from
	 * reusing ctx field addresses across the call, which the verifier rejects. */
	barrier_var(skb);
	act = ingress_verdict((void *)(long)skb->data, (void *)(long)skb->data_end, skb->ifindex,
			      len);
	return act == ENIADDR_ACT_DROP ? TC_ACT_SHOT : TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
