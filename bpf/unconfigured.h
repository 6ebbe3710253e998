/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/unconfigured.h — BPF only: the verdict for a frame on an attached device that has no ENI
 * entry in the active slot. By default it passes (UNCONFIGURED): attaching before the first
 * apply never blackholes. `attach --unconfigured drop` marks the device's attach record, and
 * then its IPv4 and IPv6 frames (and VLAN-tagged ones, which may carry IP) drop
 * (UNCONFIGURED_DROP) until a publish configures it; ARP and other untagged non-IP frames still
 * pass as UNCONFIGURED. One extra lookup, on this path only.
 */
#ifndef ENIADDR_BPF_UNCONFIGURED_H
#define ENIADDR_BPF_UNCONFIGURED_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "consts.h"
#include "maps.bpf.h"

static __always_inline enum eniaddr_reason unconfigured_verdict(__u32 ifindex, __be16 proto)
{
	const struct eniaddr_attach *a;

	/* VLAN-tagged frames may carry IP: they count as IP here */
	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6) &&
	    proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
		return ENIADDR_R_UNCONFIGURED;
	a = bpf_map_lookup_elem(&ENIADDR_MAP_ATTACH, &ifindex);
	if (a && (a->flags & ENIADDR_ATTACH_F_UNCONFIGURED_DROP))
		return ENIADDR_R_UNCONFIGURED_DROP;
	return ENIADDR_R_UNCONFIGURED;
}

#endif
