/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/lane.h — BPF-only: the lane (issue 9), a straight line at the top of the programs (both
 * ingress programs and tc_egress) for the packet that matters most, one of an established (or
 * half-closed), confirmed IPv4 TCP flow carrying data or an ACK, or of a confirmed IPv4 UDP
 * flow (DNS, QUIC). It passes a packet only where
 * the whole path (ingress.h, egress.h) would pass it, with the same reason (CT_ESTABLISHED,
 * CT_REPLY), and writes to the flow's entry what the whole path would write, through the same
 * helpers (ct_seq_learn_seg, ct_flag, ct_refresh), each field only when it changes; on any
 * doubt it returns NONE and the whole path judges the packet from the start. So maps hold the
 * same bytes whichever way a packet went (tests/test_bpf_lane.c runs both builds side by side,
 * packet by packet; tests/bpf/nolane.bpf.c is the one without it).
 *
 * What it takes, and why each is the whole path's own answer:
 *  - untagged Ethernet, IPv4 with IHL 5, not a fragment, TCP with doff >= 5 whose header (options
 *    included) lies inside the frame, flags among ACK and PSH: parse.h reads such a frame into the
 *    same fields, and none of these flags makes a transition of an ESTABLISHED flow (the state
 *    machine in conntrack.h); or UDP whose 8-byte header lies inside the frame (parse_udp
 *    reads nothing more);
 *  - the ENI of ifindex in the active slot (eni.h), the owned hint of (local address, ENI) and a
 *    generation (ct_stamp_base): what ingress_judge and egress_judge need to try the stamped
 *    shortcut; outbound, a source that is not unspecified or link-local (egress_judge's
 *    failsafes, which come first);
 *  - the entry of the flow key (ct4_key_set, as ct_key_of builds it) in eniaddr_ct4, live, its
 *    stamp the one ct_track_stamped requires for this slot, generation and local side, its
 *    state ESTABLISHED or CLOSING (half closed) and not closed by flags (TCP), ESTABLISHED or
 *    STREAM (UDP: ct_other_advance's one transition, to STREAM, is made here as there). The
 *    flow filter is
 *    not read: every key in a table has its bit set (maps/eniaddr.h's invariant), so for a
 *    flow the lookup finds, the filter says "look".
 * Counting is count_early_pass's: the same eniaddr_stats counter the whole path moves for a pass.
 * A dry run (explain) never takes the lane (dp_writes), so it records the whole path.
 * Not taken (the whole path runs): VLAN tags, IPv4 options, fragments, IPv6, SYN/FIN/RST/URG
 * (and ECE/CWR), unconfirmed flows, closed flows (both FINs, or a RST), a flow stamped in
 * another generation or slot, an expired entry.
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
#include "egress.h"

#define LANE_TCP_FLAGS (TCP_F_ACK | TCP_F_PSH) /* the only flags a lane packet may carry */

/* What ct_advance does to confirmed flow v for a segment of direction dir that carries no SYN,
 * FIN, RST or URG, while v is ESTABLISHED or CLOSING (one FIN) and not closed: no transition
 * (ct_tcp_advance has none for it), the sequence fields (ct_seq_learn_seg), REPLIED for a
 * reply, the expiry (ct_refresh). The same helpers, so the same bytes, each written only when
 * it changes. */
static __always_inline void lane_advance(struct eniaddr_ct *v, enum ct_dir dir, __u8 flags,
					 __u32 seq, __u32 plen, __u32 ack, __u16 win,
					 const struct eniaddr_timeouts *t, __u64 now)
{
	ct_seq_learn_seg(v, flags, seq, plen, ack, win, dir);
	if (dir == CT_REPLY)
		ct_flag(v, ENIADDR_CT_F_REPLIED);
	ct_refresh(v, t, IPPROTO_TCP, true, now);
}

/* What ct_advance does to confirmed UDP flow v for a datagram of direction dir: the same
 * helpers in the same order (the state first, since the refresh's timeout follows it). */
static __always_inline void lane_advance_udp(struct eniaddr_ct *v, enum ct_dir dir,
					     const struct eniaddr_timeouts *t, __u64 now)
{
	ct_other_advance(v, IPPROTO_UDP, dir);
	if (dir == CT_REPLY)
		ct_flag(v, ENIADDR_CT_F_REPLIED);
	ct_refresh(v, t, IPPROTO_UDP, true, now);
}

/*
 * The lane for a frame of [data, data_end) on ifindex in direction dir (ENIADDR_DIR_*): the
 * local address is the destination of what comes in, the source of what goes out. CT_ESTABLISHED
 * or CT_REPLY when it passes here (the caller counts it), NONE when the whole path must judge it.
 * *missed is set when the lane asked eniaddr_ct4 for the packet's key and found nothing: the
 * whole path then skips that same lookup (ingress_judge's lane_missed) and asks only the
 * unconfirmed table, as after its own confirmed miss.
 * noinline on purpose: its frame (the key, the mapped address) then never sits under the whole
 * path's, whose chain of frames is near the verifier's 512 bytes; one BPF-to-BPF call.
 */
static __noinline enum eniaddr_reason lane(void *data, void *data_end, __u32 ifindex, __u8 dir,
					   __u8 *missed)
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
	__u32 slot = 0, plen, l3_end, l4_end, local[4];
	bool in = dir == ENIADDR_DIR_INGRESS;
	__u64 base, now;
	enum ct_dir cdir;
	__u8 flags, src_hi;

	bool udp;

	/* the ports: the first four bytes of a TCP and of a UDP header alike */
	if (!dp_writes() || (void *)((struct udphdr *)th + 1) > data_end)
		return ENIADDR_R_NONE;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || *(__u8 *)ip != 0x45 ||
	    (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)))
		return ENIADDR_R_NONE;
	udp = ip->protocol == IPPROTO_UDP;
	if (!udp) {
		if (ip->protocol != IPPROTO_TCP || (void *)(th + 1) > data_end)
			return ENIADDR_R_NONE;
		flags = ((__u8 *)th)[13];
		if ((flags & ~LANE_TCP_FLAGS) || th->doff < 5)
			return ENIADDR_R_NONE;
		l4_end = sizeof(*eth) + sizeof(*ip) + (__u32)th->doff * 4;
		if (data + l4_end > data_end) /* cut options: the whole path says MALFORMED */
			return ENIADDR_R_NONE;
	}
	eni = eni_lookup(ifindex, &slot);
	if (!eni)
		return ENIADDR_R_NONE;
	local[0] = 0;
	local[1] = 0;
	local[2] = bpf_htonl(0xffff); /* IPv4-mapped, as parse.h stores it */
	local[3] = in ? ip->daddr : ip->saddr;
	/* egress_judge passes these sources as failsafes before its shortcut */
	if (!in && (addr_is_unspecified((const __u8 *)local) ||
		    addr_is_link_local((const __u8 *)local)))
		return ENIADDR_R_NONE;
	if (!owner_hinted(slot, eniaddr_addr_fold((const __u8 *)local, 0), ifindex))
		return ENIADDR_R_NONE;
	base = ct_stamp_base(slot);
	if (!base)
		return ENIADDR_R_NONE;
	src_hi = ct4_key_set(&k, ifindex, ip->protocol, ip->saddr, th->source, ip->daddr,
			     th->dest);
	v = map_lookup(ENIADDR_MAP_CT4, &k);
	if (!v) {
		if (missed)
			*missed = 1;
		return ENIADDR_R_NONE;
	}
	now = ct_clock();
	if (eniaddr_ct_expired(v, now) ||
	    (v->stamp & ~(__u64)CT_STAMP_TRANSIT) != ct_stamp(base, dir, src_hi, false))
		return ENIADDR_R_NONE;
	cdir = src_hi == v->init_hi ? CT_ORIG : CT_REPLY;
	if (udp) {
		if (v->state != ENIADDR_CT_ESTABLISHED && v->state != ENIADDR_CT_STREAM)
			return ENIADDR_R_NONE;
		lane_advance_udp(v, cdir, &eni->timeouts, now);
		return cdir == CT_ORIG ? ENIADDR_R_CT_ESTABLISHED : ENIADDR_R_CT_REPLY;
	}
	/* half closed (one FIN) changes nothing for these flags either, and has the same timeout;
	 * any other state may be due a transition, a closed flow has its own deadline */
	if ((v->state != ENIADDR_CT_ESTABLISHED && v->state != ENIADDR_CT_CLOSING) ||
	    eniaddr_ct_closed(v))
		return ENIADDR_R_NONE;
	/* parse_tcp's payload: from the IP length, 0 when it claims less than the headers */
	l3_end = sizeof(*eth) + bpf_ntohs(ip->tot_len);
	plen = l3_end > l4_end ? l3_end - l4_end : 0;
	lane_advance(v, cdir, flags, bpf_ntohl(th->seq), plen, bpf_ntohl(th->ack_seq),
		     bpf_ntohs(th->window), &eni->timeouts, now);
	return cdir == CT_ORIG ? ENIADDR_R_CT_ESTABLISHED : ENIADDR_R_CT_REPLY;
#endif
}

#endif /* ENIADDR_BPF_LANE_H */
