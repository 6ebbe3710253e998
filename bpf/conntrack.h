/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/conntrack.h — BPF-only: connection tracking shared by the ingress and egress programs
 * (REFERENCE.md §3, "stateful"). Key, value and states are in maps/eniaddr.h (eniaddr_ct).
 *
 * One entry per flow, both directions (maps/eniaddr.h): a packet costs one lookup, its reply too.
 *
 * Use, on a packet whose local address is owned by ENI ifindex (owner o; slot: the active one,
 * whose eniaddr_enis entry gives the ENI's timeouts):
 *   ct_track()  before the rules: a packet of a live flow passes, CT_ESTABLISHED in the
 *               direction of the flow's first packet, CT_REPLY in the other; an ICMP error whose
 *               embedded packet belongs to a live flow passes as CT_RELATED. Refreshes expiry.
 *               NONE: not tracked, the rules decide.
 *   ct_create() after a rule allowed the packet: remembers the flow (origin = its direction).
 *               Returns ALLOWED, or CT_FULL when the table refused the entry.
 *
 * State machine (TCP; "orig" = the direction of the first packet, "reply" = the other):
 *   first packet  SYN -> NEW; SYN+ACK -> SYN_RECV; RST -> nothing stored; anything else
 *                 (pick-up of a flow already running, e.g. after a flush) -> ESTABLISHED
 *   NEW           reply SYN+ACK -> SYN_RECV
 *   SYN_RECV      orig ACK -> ESTABLISHED
 *   any           FIN from one side -> CLOSING (half closed, the other side may still send);
 *                 FIN from both sides, or RST from either -> CLOSED
 *   CLOSED        a new SYN (no ACK) is a new connection: the entry is dropped and the rules
 *                 judge the SYN (port reuse cannot ride on the old connection's state)
 * Timeouts: NEW, SYN_RECV tcp_syn; ESTABLISHED, CLOSING tcp_established; CLOSED tcp_closing.
 * UDP: NEW (no reply yet) and ESTABLISHED (one exchange) udp; STREAM (orig, reply, orig, reply
 * seen: a second exchange) udp_stream. ICMP echo: NEW/ESTABLISHED, icmp. Other protocols: other.
 * No sequence-number tracking: any packet with the flow's tuple counts (as AWS documents none).
 *
 * What creates state: TCP (not a bare RST), UDP, ICMP/ICMPv6 echo requests, and protocols
 * without ports (tuple: addresses and protocol). ICMP errors and other ICMP messages never do.
 * Untracked (ENIADDR_ADDR_F_UNTRACKED_*): neither looked up nor created, so removing the
 * rule that made the flow untracked cuts it at once.
 *
 * Table full: the map is an LRU hash, so a new entry evicts the least recently used one; only
 * when the kernel cannot find a free element even so (every element busy on other CPUs) does
 * the update fail. Then the new flow is dropped with CT_FULL (a DROP reason; audit mode passes
 * and counts it): its replies could not pass anyway, and established flows keep their state.
 *
 * Concurrency: entries are shared by all CPUs. State and timestamps are written without locks;
 * two CPUs racing on one flow both write a valid state (the last write wins), as in Cilium's and
 * Linux's lockless paths. packets is added atomically.
 */
#ifndef ENIADDR_BPF_CONNTRACK_H
#define ENIADDR_BPF_CONNTRACK_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "consts.h"
#include "maps.bpf.h"
#include "parse.h"
#include "dryrun.h"

#define CT_NSEC 1000000000ULL

/*
 * The clock of every ct timestamp: CLOCK_MONOTONIC_COARSE (one tick, a few ms, of resolution
 * for timeouts of seconds). It costs a load where bpf_ktime_get_ns() reads the clocksource,
 * tens of ns in a VM, on every tracked packet. User space reads the same clock (ct_gc.h).
 */
static __always_inline __u64 ct_clock(void)
{
	return bpf_ktime_get_coarse_ns();
}

enum ct_dir {
	CT_ORIG  = 0, /* same direction as the flow's first packet */
	CT_REPLY = 1,
};

/* -1, 0, 1 as a and b compare as 128-bit big-endian numbers. */
static __always_inline int ct_addr_cmp(const __u8 a[16], const __u8 b[16])
{
	__u32 x[4], y[4];
	int i;

	__builtin_memcpy(x, a, 16);
	__builtin_memcpy(y, b, 16);
	for (i = 0; i < 4; i++)
		if (x[i] != y[i])
			return bpf_ntohl(x[i]) < bpf_ntohl(y[i]) ? -1 : 1;
	return 0;
}

/*
 * The key of a flow between (src, sport) and (dst, dport) on ifindex: the endpoints in key
 * order (the lower address, then the lower port, first), so both directions of a flow find the
 * same entry with one lookup. Returns 1 when the source endpoint went to the "hi" side, which
 * tells the packet's direction against the entry's init_hi.
 */
static __always_inline __u8 ct_key_set(struct eniaddr_ct_key *k, __u32 ifindex, __u8 proto,
				       const __u8 src[16], __be16 sport, const __u8 dst[16],
				       __be16 dport)
{
	int c = ct_addr_cmp(src, dst);
	__u8 src_hi = c > 0 || (c == 0 && bpf_ntohs(sport) > bpf_ntohs(dport));

	__builtin_memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->proto = proto;
	if (src_hi) {
		k->port_lo = dport;
		k->port_hi = sport;
		__builtin_memcpy(k->addr_lo, dst, 16);
		__builtin_memcpy(k->addr_hi, src, 16);
	} else {
		k->port_lo = sport;
		k->port_hi = dport;
		__builtin_memcpy(k->addr_lo, src, 16);
		__builtin_memcpy(k->addr_hi, dst, 16);
	}
	return src_hi;
}

static __always_inline bool ct_is_icmp(__u8 proto, bool v6)
{
	return v6 ? proto == IPPROTO_ICMPV6 : proto == IPPROTO_ICMP;
}

/* Echo "ports": the request's identifier is its source port, the reply's its destination
 * port, so request and reply name the same two endpoints (requester, id) and (responder, 0). */
static __always_inline void ct_echo_ports(__u8 type, __u16 id, __be16 *sport, __be16 *dport)
{
	bool request = type == ICMP_ECHO || type == ICMPV6_ECHO_REQUEST;

	*sport = request ? bpf_htons(id) : 0;
	*dport = request ? 0 : bpf_htons(id);
}

/* The key of p's flow on ifindex; returns ct_key_set()'s src_hi. */
static __always_inline __u8 ct_key_of(struct eniaddr_ct_key *k, const struct pkt_meta *p,
				      __u32 ifindex)
{
	__be16 sport = 0, dport = 0;

	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) {
		sport = bpf_htons(p->sport);
		dport = bpf_htons(p->port);
	} else if (ct_is_icmp(p->proto, p->v6) && icmp_is_echo(p)) {
		ct_echo_ports(p->icmp_type, p->icmp_id, &sport, &dport);
	}
	return ct_key_set(k, ifindex, p->proto, p->saddr, sport, p->daddr, dport);
}

static __always_inline bool ct_untracked(const struct pkt_meta *p, const struct eniaddr_owner *o)
{
	if (p->proto == IPPROTO_TCP)
		return o->flags & ENIADDR_ADDR_F_UNTRACKED_TCP;
	if (p->proto == IPPROTO_UDP)
		return o->flags & ENIADDR_ADDR_F_UNTRACKED_UDP;
	return false;
}

static __always_inline __u64 ct_timeout_ns(const struct eniaddr_timeouts *t, __u8 proto,
					   __u8 state)
{
	__u32 s;

	switch (proto) {
	case IPPROTO_TCP:
		if (state == ENIADDR_CT_NEW || state == ENIADDR_CT_SYN_RECV)
			s = t->tcp_syn;
		else if (state == ENIADDR_CT_CLOSED)
			s = t->tcp_closing;
		else
			s = t->tcp_established;
		break;
	case IPPROTO_UDP:
		s = state == ENIADDR_CT_STREAM ? t->udp_stream : t->udp;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		s = t->icmp;
		break;
	default:
		s = t->other;
		break;
	}
	return (__u64)s * CT_NSEC;
}

/* TCP transitions of one packet in direction dir (the table at the top). */
static __always_inline void ct_tcp_advance(struct eniaddr_ct *v, __u8 flags, enum ct_dir dir)
{
	__u8 st = v->state;

	if (flags & TCP_F_RST) {
		v->state = ENIADDR_CT_CLOSED;
		return;
	}
	if (flags & TCP_F_FIN) {
		v->flags |= dir == CT_ORIG ? ENIADDR_CT_F_FIN_ORIG : ENIADDR_CT_F_FIN_REPLY;
		if ((v->flags & (ENIADDR_CT_F_FIN_ORIG | ENIADDR_CT_F_FIN_REPLY)) ==
		    (ENIADDR_CT_F_FIN_ORIG | ENIADDR_CT_F_FIN_REPLY))
			v->state = ENIADDR_CT_CLOSED;
		else if (st != ENIADDR_CT_CLOSED)
			v->state = ENIADDR_CT_CLOSING;
		return;
	}
	if (st == ENIADDR_CT_NEW && dir == CT_REPLY &&
	    (flags & (TCP_F_SYN | TCP_F_ACK)) == (TCP_F_SYN | TCP_F_ACK))
		v->state = ENIADDR_CT_SYN_RECV;
	else if (st == ENIADDR_CT_SYN_RECV && dir == CT_ORIG &&
		 (flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_ACK)
		v->state = ENIADDR_CT_ESTABLISHED;
}

/* Every other protocol: a reply establishes; UDP turns STREAM on its second exchange. */
static __always_inline void ct_other_advance(struct eniaddr_ct *v, __u8 proto, enum ct_dir dir)
{
	if (dir == CT_REPLY) {
		if (v->state == ENIADDR_CT_NEW)
			v->state = ENIADDR_CT_ESTABLISHED;
		else if (proto == IPPROTO_UDP && (v->flags & ENIADDR_CT_F_ORIG_AGAIN))
			v->state = ENIADDR_CT_STREAM;
	} else if (v->flags & ENIADDR_CT_F_REPLIED) {
		v->flags |= ENIADDR_CT_F_ORIG_AGAIN;
	}
}

/* The timeouts of ENI ifindex in slot; NULL only while a publish removes the ENI. Looked up
 * when an entry is hit or made, so packets that end at the rules pay nothing for it. */
static __always_inline const struct eniaddr_timeouts *ct_timeouts(__u32 slot, __u32 ifindex)
{
	struct eniaddr_eni_key ek = { .slot = slot, .ifindex = ifindex };
	const struct eniaddr_eni *eni = bpf_map_lookup_elem(&ENIADDR_MAP_ENIS, &ek);

	return eni ? &eni->timeouts : NULL;
}

/* The live entry of key k, or NULL; *now is the time of the hit (the clock is read only
 * then). An expired entry is deleted: it counts as absent, and the packet may make a new one. */
static __always_inline struct eniaddr_ct *ct_find(const struct eniaddr_ct_key *k, __u64 *now)
{
	struct eniaddr_ct *v = bpf_map_lookup_elem(&ENIADDR_MAP_CT, k);

	if (!v)
		return NULL;
	*now = ct_clock();
	if (*now >= v->expires_ns) {
		if (dp_writes())
			bpf_map_delete_elem(&ENIADDR_MAP_CT, k);
		return NULL;
	}
	return v;
}

/*
 * The key of the flow of the packet an ICMP error embeds (p->inner, copied by parse.h). The
 * error must go back to the embedded packet's sender (inner source = outer destination), and
 * the family must match. false when it names no flow we could track (a non-first fragment,
 * IPv6 extension headers, an ICMP message other than echo, ...).
 */
static __always_inline bool ct_inner_key(struct eniaddr_ct_key *k, const struct pkt_meta *p,
					 __u32 ifindex)
{
	const __u8 *b = (const __u8 *)p->inner;
	__u32 hl, len = p->inner_len;
	__u8 proto, l4[8], src[16], dst[16];
	__be16 sport = 0, dport = 0;

	if (len > PKT_INNER_LEN)
		return false;
	if (p->v6) {
		if (len < PKT_INNER_LEN || (b[0] >> 4) != 6)
			return false;
		proto = b[6];
		__builtin_memcpy(src, &b[8], 16);
		__builtin_memcpy(dst, &b[24], 16);
		hl = 40;
	} else {
		if (len < PKT_INNER_MIN || (b[0] >> 4) != 4)
			return false;
		hl = (__u32)(b[0] & 0xf) * 4;
		if (hl < 20 || hl + 8 > len || hl > PKT_INNER_LEN - 8)
			return false;
		if (((__u32)b[6] << 8 | b[7]) & IP_OFFSET) /* a later fragment: no ports */
			return false;
		proto = b[9];
		addr_set_v4(src, *(const __be32 *)&b[12]);
		addr_set_v4(dst, *(const __be32 *)&b[16]);
	}
	if (ct_addr_cmp(src, p->daddr))
		return false;
	__builtin_memcpy(l4, b + hl, 8); /* hl <= PKT_INNER_LEN - 8 */
	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		__builtin_memcpy(&sport, &l4[0], 2);
		__builtin_memcpy(&dport, &l4[2], 2);
	} else if (ct_is_icmp(proto, p->v6)) {
		__u8 type = l4[0];

		if (p->v6 ? type != ICMPV6_ECHO_REQUEST && type != ICMPV6_ECHO_REPLY
			  : type != ICMP_ECHO && type != ICMP_ECHOREPLY)
			return false;
		ct_echo_ports(type, (__u16)l4[4] << 8 | l4[5], &sport, &dport);
	} else if (p->v6 && ipv6_is_ext(proto)) {
		return false;
	}
	ct_key_set(k, ifindex, proto, src, sport, dst, dport);
	return true;
}

/* CT_RELATED when p is an ICMP error about a live flow of ifindex (either direction), else
 * NONE. Related errors neither refresh nor change the flow. */
static __always_inline enum eniaddr_reason ct_related(const struct pkt_meta *p, __u32 ifindex)
{
	struct eniaddr_ct_key k;
	__u64 now;

	if (!ct_inner_key(&k, p, ifindex))
		return ENIADDR_R_NONE;
	return ct_find(&k, &now) ? ENIADDR_R_CT_RELATED : ENIADDR_R_NONE;
}

/* A dry run records the entry a packet looked up, and what it held. */
static __always_inline void ct_explain(const struct eniaddr_ct_key *k, const struct eniaddr_ct *v)
{
	struct eniaddr_explain *x = explain_rec();

	if (!x)
		return;
	x->ct_key = *k;
	x->ct_hit = v != NULL;
	if (v)
		x->ct = *v;
}

/* Before the rules: see the top of the file. */
static __always_inline enum eniaddr_reason ct_track(const struct pkt_meta *p,
						    const struct eniaddr_owner *o, __u32 slot,
						    __u32 ifindex)
{
	const struct eniaddr_timeouts *t;
	struct eniaddr_ct_key k;
	struct eniaddr_ct *v;
	enum ct_dir dir;
	__u8 src_hi;
	__u64 now;

	if (ct_is_icmp(p->proto, p->v6)) {
		if (icmp_is_error(p))
			return ct_related(p, ifindex);
		if (!icmp_is_echo(p))
			return ENIADDR_R_NONE; /* never tracked: the rules decide */
	}
	if (ct_untracked(p, o))
		return ENIADDR_R_NONE;
	src_hi = ct_key_of(&k, p, ifindex);
	v = ct_find(&k, &now);
	ct_explain(&k, v);
	if (!v)
		return ENIADDR_R_NONE;
	dir = src_hi == v->init_hi ? CT_ORIG : CT_REPLY;
	if (p->proto == IPPROTO_TCP &&  v->state == ENIADDR_CT_CLOSED &&
	    (p->tcp_flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_SYN) {
		if (dp_writes())
			bpf_map_delete_elem(&ENIADDR_MAP_CT, &k); /* a new connection: rules */
		return ENIADDR_R_NONE;
	}
	if (!dp_writes()) /* a dry run: the entry stays as it is */
		return dir == CT_ORIG ? ENIADDR_R_CT_ESTABLISHED : ENIADDR_R_CT_REPLY;
	if (p->proto == IPPROTO_TCP) {
		ct_tcp_advance(v, p->tcp_flags, dir);
	} else {
		ct_other_advance(v, p->proto, dir);
	}
	if (dir == CT_REPLY)
		v->flags |= ENIADDR_CT_F_REPLIED;
	t = ct_timeouts(slot, ifindex);
	v->last_seen_ns = now;
	if (t) /* else keep the expiry: the ENI is being unpublished */
		v->expires_ns = now + ct_timeout_ns(t, p->proto, v->state);
	__sync_fetch_and_add(&v->packets, 1);
	return dir == CT_ORIG ? ENIADDR_R_CT_ESTABLISHED : ENIADDR_R_CT_REPLY;
}

/* Whether a packet allowed by a rule starts a tracked flow (see the top of the file). */
static __always_inline bool ct_creates(const struct pkt_meta *p, const struct eniaddr_owner *o)
{
	if (ct_untracked(p, o))
		return false;
	if (p->proto == IPPROTO_TCP)
		return !(p->tcp_flags & TCP_F_RST);
	if (ct_is_icmp(p->proto, p->v6))
		return icmp_is_echo(p) &&
		       (p->icmp_type == ICMP_ECHO || p->icmp_type == ICMPV6_ECHO_REQUEST);
	return true;
}

static __always_inline __u8 ct_first_state(const struct pkt_meta *p)
{
	if (p->proto != IPPROTO_TCP)
		return ENIADDR_CT_NEW;
	if (p->tcp_flags & TCP_F_FIN)
		return ENIADDR_CT_CLOSING;
	if ((p->tcp_flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_SYN)
		return ENIADDR_CT_NEW;
	if (p->tcp_flags & TCP_F_SYN)
		return ENIADDR_CT_SYN_RECV;
	return ENIADDR_CT_ESTABLISHED;
}

/* After a rule allowed p (direction origin) on ENI ifindex: ALLOWED, or CT_FULL. */
static __always_inline enum eniaddr_reason ct_create(const struct pkt_meta *p,
						     const struct eniaddr_owner *o, __u32 slot,
						     __u32 ifindex, __u8 origin)
{
	struct eniaddr_ct v = { .origin = origin, .packets = 1 };
	const struct eniaddr_timeouts *t;
	struct eniaddr_ct_key k;

	if (!ct_creates(p, o))
		return ENIADDR_R_ALLOWED;
	t = ct_timeouts(slot, ifindex);
	if (!t) /* the ENI is being unpublished: its flows end with it */
		return ENIADDR_R_ALLOWED;
	v.init_hi = ct_key_of(&k, p, ifindex);
	v.state = ct_first_state(p);
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & TCP_F_FIN))
		v.flags = ENIADDR_CT_F_FIN_ORIG;
	v.created_ns = ct_clock();
	v.last_seen_ns = v.created_ns;
	v.expires_ns = v.created_ns + ct_timeout_ns(t, p->proto, v.state);
	if (!dp_writes()) {
		struct eniaddr_explain *x = explain_rec();

		if (x) {
			x->ct_would_create = 1;
			x->ct_key = k;
			x->ct = v;
		}
		return ENIADDR_R_ALLOWED;
	}
	if (bpf_map_update_elem(&ENIADDR_MAP_CT, &k, &v, BPF_ANY))
		return ENIADDR_R_CT_FULL;
	return ENIADDR_R_ALLOWED;
}

#endif /* ENIADDR_BPF_CONNTRACK_H */
