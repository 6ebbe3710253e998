/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/lane.h — BPF-only: the lane (issue 9), a straight line at the top of the ingress programs
 * for the packet that matters most, one of a confirmed IPv4 TCP flow carrying data or an ACK.
 * It passes a packet only when the whole path (ingress.h) would pass it with the same reason
 * (CT_ESTABLISHED, CT_REPLY) AND would write nothing to the flow's entry; on any doubt it
 * returns NONE and the whole path judges the packet from the start, writes included. So maps
 * hold the same bytes whichever way a packet went (tests/test_bpf_lane.c runs both builds side
 * by side; tests/bpf/nolane.bpf.c is the one without it).
 *
 * What it takes, and why each is the whole path's own answer:
 *  - untagged Ethernet, IPv4 with IHL 5, not a fragment, TCP with doff >= 5 whose header (options
 *    included) lies inside the frame, flags among ACK and PSH: parse.h reads such a frame into the
 *    same fields, and none of these flags makes a transition (conntrack.h's state machine);
 *  - the ENI of ifindex in the active slot (eni.h), the owned hint of (destination, ENI) and a
 *    generation (ct_stamp_base): what ingress_judge needs to try the stamped shortcut;
 *  - the entry of the flow key (ct4_key_set, as ct_key_of builds it) in eniaddr_ct4, live, its
 *    stamp the one ct_track_stamped requires for this slot, generation and local side. The flow
 *    filter is not read: every key in a table has its bit set (maps/eniaddr.h's invariant), so
 *    for a flow the lookup finds, the filter says "look";
 *  - nothing ct_advance would write: state ESTABLISHED and not closed by flags, REPLIED already
 *    set for a reply, this direction's seq_end known and not behind the packet's end, its ACK and
 *    window known and unchanged (when the packet has ACK), and the expiry not due (ct_refresh).
 * Counting is count_early_pass's: the same eniaddr_stats counter the whole path moves for a pass.
 * A dry run (explain) never takes the lane (dp_writes), so it records the whole path.
 * Not taken (the whole path runs): VLAN tags, IPv4 options, fragments, UDP, IPv6, SYN/FIN/RST/URG,
 * unconfirmed flows, a flow stamped in another generation or slot, any write due.
 */
#ifndef ENIADDR_BPF_LANE_H
#define ENIADDR_BPF_LANE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "consts.h"
#include "maps.bpf.h"
#include "dryrun.h"
#include "lookup.h"
#include "eni.h"
#include "owner.h"
#include "conntrack.h"

#define LANE_TCP_FLAGS (TCP_F_ACK | TCP_F_PSH) /* the only flags a lane packet may carry */

/* Whether a packet of TCP flow v in direction dir, ending at end (seq + payload), with flags,
 * ack and win (host order), leaves v as it is: ct_seq_learn, ct_tcp_advance, the REPLIED flag
 * and ct_refresh would all write nothing. t: the ENI's timeouts; now: the clock of the hit. */
static __always_inline bool lane_writes_nothing(const struct eniaddr_ct *v, enum ct_dir dir,
						__u8 flags, __u32 end, __u32 ack, __u16 win,
						const struct eniaddr_timeouts *t, __u64 now)
{
	__u32 f = v->flags, i = dir & 1;
	__u64 due, cur = v->expires_ns;

	if (v->state != ENIADDR_CT_ESTABLISHED || eniaddr_ct_closed(v))
		return false;
	if (dir == CT_REPLY && !(f & ENIADDR_CT_F_REPLIED))
		return false;
	if (!(f & ct_seq_bit(dir)) || (__s32)(end - v->seq_end[i]) > 0)
		return false;
	if ((flags & TCP_F_ACK) &&
	    (!(f & ct_ack_bit(dir)) || v->ack[i] != ack || v->win[i] != win))
		return false;
	due = now + (__u64)t->tcp_established * CT_NSEC; /* ct_timeout_ns of a confirmed one */
	return due <= cur && cur - due <= CT_REFRESH_NS;
}

/*
 * The lane for a frame of [data, data_end) that arrived on ifindex: CT_ESTABLISHED or CT_REPLY
 * when it passes here (the caller counts it), NONE when the whole path must judge it.
 * noinline on purpose: its frame (the key, the mapped address) then never sits under the whole
 * path's, whose chain of frames is near the verifier's 512 bytes; one BPF-to-BPF call.
 */
static __noinline enum eniaddr_reason lane_ingress(void *data, void *data_end, __u32 ifindex)
{
#ifdef ENIADDR_NO_LANE
	return ENIADDR_R_NONE;
#else
	/* Headers at fixed offsets, each through its own type: word loads (a packed struct of
	 * the three would be read byte by byte), as parse.h's cursor reads them. */
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct tcphdr *th = data + sizeof(*eth) + sizeof(*ip);
	const struct eniaddr_eni *eni;
	struct eniaddr_ct4_key k;
	struct eniaddr_ct *v;
	__u32 slot = 0, plen, l3_end, l4_end, dst[4];
	__u64 base, now;
	enum ct_dir dir;
	__u8 flags, src_hi;

	if (!dp_writes() || (void *)(th + 1) > data_end)
		return ENIADDR_R_NONE;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || *(__u8 *)ip != 0x45 ||
	    ip->protocol != IPPROTO_TCP || (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
		return ENIADDR_R_NONE;
	flags = ((__u8 *)th)[13];
	if ((flags & ~LANE_TCP_FLAGS) || th->doff < 5)
		return ENIADDR_R_NONE;
	l4_end = sizeof(*eth) + sizeof(*ip) + (__u32)th->doff * 4;
	if (data + l4_end > data_end) /* cut options: the whole path says MALFORMED (tc: pulls) */
		return ENIADDR_R_NONE;
	eni = eni_lookup(ifindex, &slot);
	if (!eni)
		return ENIADDR_R_NONE;
	dst[0] = 0;
	dst[1] = 0;
	dst[2] = bpf_htonl(0xffff); /* IPv4-mapped, as parse.h stores it */
	dst[3] = ip->daddr;
	if (!owner_hinted(slot, (const __u8 *)dst, ifindex))
		return ENIADDR_R_NONE;
	base = ct_stamp_base(slot);
	if (!base)
		return ENIADDR_R_NONE;
	src_hi = ct4_key_set(&k, ifindex, IPPROTO_TCP, ip->saddr, th->source, ip->daddr,
			     th->dest);
	v = map_lookup(ENIADDR_MAP_CT4, &k);
	if (!v)
		return ENIADDR_R_NONE;
	now = ct_clock();
	if (eniaddr_ct_expired(v, now) ||
	    (v->stamp & ~(__u64)CT_STAMP_TRANSIT) != ct_stamp(base, ENIADDR_DIR_INGRESS, src_hi,
								false))
		return ENIADDR_R_NONE;
	dir = src_hi == v->init_hi ? CT_ORIG : CT_REPLY;
	/* parse_tcp's payload: from the IP length, 0 when it claims less than the headers */
	l3_end = sizeof(*eth) + bpf_ntohs(ip->tot_len);
	plen = l3_end > l4_end ? l3_end - l4_end : 0;
	if (!lane_writes_nothing(v, dir, flags, bpf_ntohl(th->seq) + plen,
				 bpf_ntohl(th->ack_seq), bpf_ntohs(th->window),
				 &eni->timeouts, now))
		return ENIADDR_R_NONE;
	return dir == CT_ORIG ? ENIADDR_R_CT_ESTABLISHED : ENIADDR_R_CT_REPLY;
#endif
}

#endif /* ENIADDR_BPF_LANE_H */
