/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/arp.h — BPF-only: the first thing every program does. An untagged ARP frame passes
 * (FAILSAFE_ARP) before any lookup, whether the interface is configured or not: ARP is never
 * judged, and neighbour resolution is what keeps the instance reachable, so it must cost the
 * least (issue 9: within 1.5x of an XDP_PASS program). A frame whose tags hide its EtherType
 * takes the full parse, which passes ARP under up to ENIADDR_MAX_VLAN_DEPTH tags the same way
 * (parse.h parse_l3) on a configured interface.
 */
#ifndef ENIADDR_BPF_ARP_H
#define ENIADDR_BPF_ARP_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "consts.h"
#include "counters.h"

/* Whether [data, end) is an untagged ARP frame. */
static __always_inline bool frame_is_arp(void *data, void *end)
{
	struct ethhdr *eth = data;

	return (void *)(eth + 1) <= end && eth->h_proto == bpf_htons(ETH_P_ARP);
}

/* true when the frame was ARP and is counted: the caller passes it. */
static __always_inline bool arp_passed(void *data, void *end, __u32 ifindex, __u8 dir, __u64 len)
{
	if (!frame_is_arp(data, end))
		return false;
	count_early_pass(ifindex, dir, ENIADDR_R_FAILSAFE_ARP, len);
	return true;
}

#endif /* ENIADDR_BPF_ARP_H */
