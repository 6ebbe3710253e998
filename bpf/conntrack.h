/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/conntrack.h — BPF-only: connection tracking shared by the ingress and egress programs
 * (REFERENCE.md §3, "stateful"). Key, value and states are in maps/eniaddr.h (eniaddr_ct).
 *
 * One entry per flow, both directions (maps/eniaddr.h): a packet costs one lookup, its reply too.
 * Two tables of one layout per family: eniaddr_ct_new (LRU) holds unconfirmed flows, eniaddr_ct
 * (plain hash) confirmed ones; a packet looks in the confirmed table first, so a confirmed flow
 * costs one lookup. IPv4 flows live in eniaddr_ct4 / eniaddr_ct4_new under a 20-byte key, IPv6
 * flows in eniaddr_ct / eniaddr_ct_new under a 44-byte one: the key's hash is a good part of a
 * lookup's cost. The probe (struct eniaddr_ct_probe) carries the packet's key in its family's
 * form, and every access goes through ct_lookup, ct_delete, ct_insert below, which name each
 * table in a call of its own: one call on a map chosen at run time would not be inlined.
 *
 * Use, on a packet whose local address is owned by ENI ifindex (owner o; t: that ENI's timeouts,
 * from the one eniaddr_enis lookup the packet made at its start, eni.h):
 *   ct_track()  before the rules: a packet of a live flow passes, CT_ESTABLISHED in the
 *               direction of the flow's first packet, CT_REPLY in the other; an ICMP error whose
 *               embedded packet belongs to a live flow passes as CT_RELATED. Refreshes expiry
 *               (coarsely, below).
 *               A TCP RST outside the flow's sequence window is CT_INVALID (drop) and changes
 *               nothing. The reply that confirms a flow moves it to eniaddr_ct, or is CT_FULL
 *               (drop) when that table is full. NONE: not tracked, the rules decide.
 *   ct_create() after a rule allowed the packet: remembers the flow, unconfirmed (origin = its
 *               direction). Returns ALLOWED, or CT_FULL when the table refused the entry.
 *
 * State machine (TCP; "orig" = the direction of the first packet, "reply" = the other):
 *   first packet  SYN -> NEW; SYN+ACK -> SYN_RECV; RST -> nothing stored; FIN -> CLOSING;
 *                 anything else (pick-up of a flow already running) -> ESTABLISHED
 *   NEW           reply SYN+ACK -> SYN_RECV
 *   SYN_RECV      orig ACK -> ESTABLISHED
 *   any           FIN from one side -> CLOSING (half closed, the other side may still send);
 *                 FIN from both sides, or an in-window RST from either -> CLOSED
 *   CLOSED        a new SYN (no ACK) is a new connection: the entry is dropped and the rules
 *                 judge the SYN (port reuse cannot ride on the old connection's state)
 * Confirmation: TCP when ESTABLISHED with a reply seen (the handshake completed, or a picked-up
 * flow was answered by something other than a RST); other protocols on the first reply.
 * Timeouts: unconfirmed TCP (any state), NEW, SYN_RECV tcp_syn; ESTABLISHED, CLOSING
 * tcp_established; CLOSED tcp_closing, kept in closed_ns, which only the closing packet writes.
 * UDP: NEW (no reply yet) and ESTABLISHED (one exchange) udp; STREAM (orig, reply, orig, reply
 * seen: a second exchange) udp_stream. ICMP echo: NEW/ESTABLISHED, icmp. Other protocols: other.
 *
 * The RST check (as Linux's endpoint and conntrack do it, RFC 5961 §3): each direction's
 * furthest sequence number (seq + payload + SYN/FIN) and last ACK and window are kept. A RST
 * closes the flow only when its sequence number lies in [A, A + max(W, E - A)], A and W the
 * receiver's last ACK and window, E the sender's furthest sequence number seen; a RST answering
 * a SYN (the receiver never ACKed) must acknowledge exactly that SYN. A flow without any of these
 * (seeded from sockets) accepts any RST. Window scaling is not parsed: W is the raw field, and
 * E - A (data in flight) covers the rest.
 *
 * What creates state: TCP (not a bare RST), UDP, ICMP/ICMPv6 echo requests, and protocols
 * without ports (tuple: addresses and protocol). ICMP errors and other ICMP messages never do.
 * Untracked flows (ct_untracked) never create state, so each of their packets meets the rules,
 * and removing the rule that made the flow untracked cuts it at once.
 *
 * Writes of a hit (issue 9): an entry is shared by the receiving and the sending CPU, so a packet
 * writes only what it changes. The state is stored on a transition only; sequence, ACK and
 * window fields only when they move; a flag only when it is not set yet. The expiry is coarse:
 * a refresh stores last_seen_ns = now and expires_ns = now + timeout + CT_REFRESH_NS, and the
 * next packet stores again only once its own deadline (now + timeout) passes that, i.e. at most
 * once per CT_REFRESH_NS per flow. A flow never ends early (its deadline is always at least
 * now + timeout) and at most CT_REFRESH_NS late; last_seen_ns is therefore the last refresh, not
 * the last packet. A transition or a new apply that shortens the timeout by more than that
 * stores at once. There is
 * no per-flow packet count: it was an atomic add on the shared line on every packet.
 *
 * The flow filter (issue 9): before asking either table, a packet reads its key's bit in
 * eniaddr_ct_maybe (maps/eniaddr.h); clear means no table holds the flow, and the packet goes
 * on as after two misses, without the lookups (no_rule drops, RSTs, every packet of a flood of
 * new flows). ct_start and ct_confirm set the bit in both halves before they insert; user
 * space rebuilds the filter (loader/kernel/ct_maybe.h). A set bit only means "look".
 *
 * Concurrency: entries are shared by all CPUs. Flags only grow, with an atomic or (a FIN bit
 * is never lost); state, timestamps and sequence fields are written without locks, and two
 * CPUs racing on one flow both write a valid value (the last write wins), as in Cilium's and
 * Linux's lockless paths. A closed flow's deadline is closed_ns, which no racing packet of the
 * open flow writes, so a lost state update cannot keep a closed flow for tcp_established.
 */
#ifndef ENIADDR_BPF_CONNTRACK_H
#define ENIADDR_BPF_CONNTRACK_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "addr.h"
#include "consts.h"
#include "maps.bpf.h"
#include "parse.h"
#include "dryrun.h"
#include "lookup.h"
#include "failsafe.h"
#include "rules.h"

#define CT_NSEC 1000000000ULL
#define CT_REFRESH_NS CT_NSEC /* the expiry's granularity: see "Writes of a hit" at the top */

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
	int i;

	for (i = 0; i < 4; i++)
		if (addr_word_be(a, i) != addr_word_be(b, i))
			return addr_word(a, i) < addr_word(b, i) ? -1 : 1;
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
		addr_copy(k->addr_lo, dst);
		addr_copy(k->addr_hi, src);
	} else {
		k->port_lo = sport;
		k->port_hi = dport;
		addr_copy(k->addr_lo, src);
		addr_copy(k->addr_hi, dst);
	}
	return src_hi;
}

/* ct_key_set for an IPv4 flow (addresses in network order): the same order, the same src_hi. */
static __always_inline __u8 ct4_key_set(struct eniaddr_ct4_key *k, __u32 ifindex, __u8 proto,
					__be32 src, __be16 sport, __be32 dst, __be16 dport)
{
	__u32 s = bpf_ntohl(src), d = bpf_ntohl(dst);
	__u8 src_hi = s > d || (s == d && bpf_ntohs(sport) > bpf_ntohs(dport));

	__builtin_memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->proto = proto;
	k->port_lo = src_hi ? dport : sport;
	k->port_hi = src_hi ? sport : dport;
	k->addr_lo = src_hi ? dst : src;
	k->addr_hi = src_hi ? src : dst;
	return src_hi;
}

/* The IPv4 address of an IPv4-mapped one. */
static __always_inline __be32 ct_addr4(const __u8 a[16])
{
	return addr_word_be(a, 3);
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

/*
 * The "may have a flow" filter (maps/eniaddr.h, eniaddr_ct_maybe): every key in a table has its
 * bit set in the current half, so a packet whose bit is clear is today's double miss without
 * the two hash lookups, and every insert sets the bit in both halves first (ct_maybe_add).
 */
static __always_inline __u64 *ct_maybe_word(__u64 half, __u32 bit)
{
	__u32 i = (half & 1) * ENIADDR_CT_MAYBE_WORDS + (bit >> 6);

	return bpf_map_lookup_elem(&ENIADDR_MAP_CT_MAYBE, &i);
}

/* Reads the bit of c's key (c->v4, c->k or c->k4 set) in the current half: c->maybe_bit, and
 * c->absent when it is clear. A dry run never trusts the filter: explain always looks.
 * noinline on purpose: inlined at its three callers it costs the judges 8 more bytes of their
 * full stack and 1,700 instructions, for no time the bench can see (one BPF-to-BPF call). */
static __noinline void ct_maybe_probe(struct eniaddr_ct_probe *c)
{
	__u32 at = ENIADDR_CT_MAYBE_HALF;
	const __u64 *half, *w;

	c->maybe_bit = c->v4 ? eniaddr_ct4_maybe_bit(&c->k4) : eniaddr_ct6_maybe_bit(&c->k);
	c->absent = 0;
	if (!dp_writes())
		return;
	half = bpf_map_lookup_elem(&ENIADDR_MAP_CT_MAYBE, &at);
	if (!half)
		return;
	w = ct_maybe_word(*half, c->maybe_bit);
	c->absent = w && !(*w & (1ULL << (c->maybe_bit & 63)));
}

/* Before c's key goes into any table: its bit in both halves, each read first, so a flow
 * already marked (a hot one, a confirm) writes nothing. noinline: only inserts call it. */
static __noinline void ct_maybe_add(const struct eniaddr_ct_probe *c)
{
	__u64 m = 1ULL << (c->maybe_bit & 63);
	__u64 *w;

	w = ct_maybe_word(0, c->maybe_bit);
	if (w && !(*w & m))
		__sync_fetch_and_or(w, m);
	w = ct_maybe_word(1, c->maybe_bit);
	if (w && !(*w & m))
		__sync_fetch_and_or(w, m);
}

/* Keys probe c with p's flow on ifindex, in the form of p's family: c->v4, c->k or c->k4,
 * c->src_hi (ct_key_set's), and what the filter says (ct_maybe_probe). */
static __always_inline void ct_key_of(struct eniaddr_ct_probe *c, const struct pkt_meta *p,
				      __u32 ifindex)
{
	__be16 sport = 0, dport = 0;

	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) {
		sport = bpf_htons(p->sport);
		dport = bpf_htons(p->port);
	} else if (ct_is_icmp(p->proto, p->v6) && icmp_is_echo(p)) {
		ct_echo_ports(p->icmp_type, p->icmp_id, &sport, &dport);
	}
	c->v4 = !p->v6;
	if (p->v6)
		c->src_hi = ct_key_set(&c->k, ifindex, p->proto, p->saddr, sport, p->daddr, dport);
	else
		c->src_hi = ct4_key_set(&c->k4, ifindex, p->proto, ct_addr4(p->saddr), sport,
					ct_addr4(p->daddr), dport);
	c->keyed = 1;
	ct_maybe_probe(c);
}

/*
 * Untracked (REFERENCE.md §3, AWS's "untracked connections"): a TCP/UDP flow whose permitting
 * rule has peer 0.0.0.0/0 (::/0 for IPv6) while the other direction's policy allows that
 * protocol on every port to/from there. p was just allowed in direction dir by the owner's
 * policy of that direction, whose bits for p's port are l4. Two ways p belongs to such a flow:
 *  - it starts one: the other direction is open (owner flag) and a selector of l4 has a root
 *    rule in this direction's policy;
 *  - it answers one the other side started: this direction is open, and the other direction's
 *    policy has a root rule for the port the flow was started to (p's source port).
 * Per rule, not per address: tcp/443 from 0.0.0.0/0 leaves tcp/22 from a /32 tracked. Costs
 * lookups only for owners with an open direction (the flags), and only on the rule path.
 * The link-local services' conversations are always tracked (failsafe.h).
 */
static __always_inline bool ct_untracked(const struct pkt_meta *p, const struct eniaddr_owner *o,
					 __u8 dir, const struct eniaddr_rule_bits *l4)
{
	bool in = dir == ENIADDR_DIR_INGRESS, tcp = p->proto == IPPROTO_TCP;
	__u32 other_open, this_open, other_policy, this_policy;
	const struct eniaddr_rule_bits *back;

	if ((!tcp && p->proto != IPPROTO_UDP) || !o || !l4 || is_service_flow(p))
		return false; /* o NULL: transit, never untracked (owner.h) */
	other_open = in ? (tcp ? ENIADDR_ADDR_F_OUT_OPEN_TCP : ENIADDR_ADDR_F_OUT_OPEN_UDP)
			: (tcp ? ENIADDR_ADDR_F_IN_OPEN_TCP : ENIADDR_ADDR_F_IN_OPEN_UDP);
	this_open = in ? (tcp ? ENIADDR_ADDR_F_IN_OPEN_TCP : ENIADDR_ADDR_F_IN_OPEN_UDP)
		       : (tcp ? ENIADDR_ADDR_F_OUT_OPEN_TCP : ENIADDR_ADDR_F_OUT_OPEN_UDP);
	this_policy = in ? o->in_policy : o->out_policy;
	other_policy = in ? o->out_policy : o->in_policy;
	if ((o->flags & other_open) && rules_root_meets(this_policy, p->v6, l4))
		return true;
	if (!(o->flags & this_open))
		return false;
	back = rules_l4(other_policy, p->v6, p->proto, p->sport);
	return back && rules_root_meets(other_policy, p->v6, back);
}

static __always_inline __u64 ct_timeout_ns(const struct eniaddr_timeouts *t, __u8 proto,
					   __u8 state, bool confirmed)
{
	__u32 s;

	switch (proto) {
	case IPPROTO_TCP:
		if (state == ENIADDR_CT_CLOSED)
			s = t->tcp_closing;
		else if (!confirmed || state == ENIADDR_CT_NEW || state == ENIADDR_CT_SYN_RECV)
			s = t->tcp_syn;
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

/* The expiry a refresh at now stores for a timeout of to ns: with the coarse refresh's slack,
 * except for a zero timeout (nothing is kept). */
static __always_inline __u64 ct_deadline(__u64 now, __u64 to)
{
	return now + to + (to ? CT_REFRESH_NS : 0);
}

/* Sets bit in v->flags (atomically, unless already set); returns the flags with it. */
static __always_inline __u32 ct_flag(struct eniaddr_ct *v, __u32 bit)
{
	__u32 f = v->flags;

	if (f & bit)
		return f;
	return __sync_fetch_and_or(&v->flags, bit) | bit;
}

static __always_inline __u32 ct_seq_bit(enum ct_dir dir)
{
	return dir == CT_ORIG ? ENIADDR_CT_F_SEQ_ORIG : ENIADDR_CT_F_SEQ_REPLY;
}

static __always_inline __u32 ct_ack_bit(enum ct_dir dir)
{
	return dir == CT_ORIG ? ENIADDR_CT_F_ACK_ORIG : ENIADDR_CT_F_ACK_REPLY;
}

/* Learns direction dir's furthest sequence number, ACK and window from a TCP segment: its
 * flags, sequence number, payload bytes, ACK and window (host order). The lane (lane.h) calls
 * it with the fields it read itself, ct_seq_learn with a parsed packet's. */
static __always_inline void ct_seq_learn_seg(struct eniaddr_ct *v, __u8 flags, __u32 seq,
					     __u32 plen, __u32 ack, __u16 win, enum ct_dir dir)
{
	__u32 i = dir & 1, end = seq + plen;

	if (flags & TCP_F_SYN)
		end++;
	if (flags & TCP_F_FIN)
		end++;
	if (!(v->flags & ct_seq_bit(dir)) || (__s32)(end - v->seq_end[i]) > 0) {
		v->seq_end[i] = end;
		ct_flag(v, ct_seq_bit(dir));
	}
	/* written only when changed: most packets of a flow repeat them */
	if ((flags & TCP_F_ACK) && (v->ack[i] != ack || v->win[i] != win ||
				    !(v->flags & ct_ack_bit(dir)))) {
		v->ack[i] = ack;
		v->win[i] = win;
		ct_flag(v, ct_ack_bit(dir));
	}
}

/* ct_seq_learn_seg with TCP packet p's fields. */
static __always_inline void ct_seq_learn(struct eniaddr_ct *v, const struct pkt_meta *p,
					 enum ct_dir dir)
{
	ct_seq_learn_seg(v, p->tcp_flags, p->tcp_seq, p->tcp_plen, p->tcp_ack, p->tcp_win, dir);
}

/* Whether a RST sent in direction dir may close the flow (the check at the top). */
static __always_inline bool ct_rst_in_window(const struct eniaddr_ct *v, const struct pkt_meta *p,
					     enum ct_dir dir)
{
	enum ct_dir peer = dir == CT_ORIG ? CT_REPLY : CT_ORIG;
	__u32 f = v->flags, lo, span, inflight;

	if (f & ct_ack_bit(peer)) {
		lo = v->ack[peer & 1];
		span = v->win[peer & 1];
		if (f & ct_seq_bit(dir)) {
			inflight = v->seq_end[dir & 1] - lo;
			if ((__s32)inflight > 0 && inflight > span)
				span = inflight;
		}
		return p->tcp_seq - lo <= span;
	}
	if (f & ct_seq_bit(peer)) /* the peer only sent a SYN: the RST must answer it */
		return (p->tcp_flags & TCP_F_ACK) && p->tcp_ack == v->seq_end[peer & 1];
	return true; /* nothing known (a seeded flow): cannot check */
}

/* Marks v closed (flags first, then its own deadline). */
static __always_inline void ct_close(struct eniaddr_ct *v, const struct eniaddr_timeouts *t,
				     __u64 now)
{
	if (v->state != ENIADDR_CT_CLOSED)
		v->state = ENIADDR_CT_CLOSED;
	v->closed_ns = now + (__u64)t->tcp_closing * CT_NSEC;
}

/* TCP transitions of one packet in direction dir (the table at the top); a RST was checked
 * against the window already. */
static __always_inline void ct_tcp_advance(struct eniaddr_ct *v, __u8 flags, enum ct_dir dir,
					   const struct eniaddr_timeouts *t, __u64 now)
{
	__u8 st = v->state;
	__u32 f;

	if (flags & TCP_F_RST) {
		ct_flag(v, ENIADDR_CT_F_RST);
		ct_close(v, t, now);
		return;
	}
	if (flags & TCP_F_FIN) {
		f = ct_flag(v, dir == CT_ORIG ? ENIADDR_CT_F_FIN_ORIG : ENIADDR_CT_F_FIN_REPLY);
		if ((f & ENIADDR_CT_F_FIN_BOTH) == ENIADDR_CT_F_FIN_BOTH)
			ct_close(v, t, now);
		else if (st != ENIADDR_CT_CLOSED && st != ENIADDR_CT_CLOSING)
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
		ct_flag(v, ENIADDR_CT_F_ORIG_AGAIN);
	}
}

/* The entry of c's key in its family's confirmed table (unconfirmed: the _new one), or NULL.
 * One call per table (lookup.h). */
static __always_inline struct eniaddr_ct *ct_lookup(const struct eniaddr_ct_probe *c,
						    bool unconfirmed)
{
	if (c->v4)
		return unconfirmed ? map_lookup(ENIADDR_MAP_CT4_NEW, &c->k4)
				   : map_lookup(ENIADDR_MAP_CT4, &c->k4);
	return unconfirmed ? map_lookup(ENIADDR_MAP_CT_NEW, &c->k)
			   : map_lookup(ENIADDR_MAP_CT, &c->k);
}

/* Deletes c's key from its family's confirmed table (unconfirmed: the _new one). */
static __always_inline void ct_delete(const struct eniaddr_ct_probe *c, bool unconfirmed)
{
	if (c->v4 && unconfirmed)
		map_delete(ENIADDR_MAP_CT4_NEW, &c->k4);
	else if (c->v4)
		map_delete(ENIADDR_MAP_CT4, &c->k4);
	else if (unconfirmed)
		map_delete(ENIADDR_MAP_CT_NEW, &c->k);
	else
		map_delete(ENIADDR_MAP_CT, &c->k);
}

/* Stores v under c's key in its family's confirmed table (unconfirmed: the _new one), with
 * bpf_map_update_elem's flags and result. */
static __always_inline long ct_insert(const struct eniaddr_ct_probe *c, bool unconfirmed,
				      const struct eniaddr_ct *v, __u64 flags)
{
	if (c->v4 && unconfirmed)
		return map_update(ENIADDR_MAP_CT4_NEW, &c->k4, v, flags);
	if (c->v4)
		return map_update(ENIADDR_MAP_CT4, &c->k4, v, flags);
	if (unconfirmed)
		return map_update(ENIADDR_MAP_CT_NEW, &c->k, v, flags);
	return map_update(ENIADDR_MAP_CT, &c->k, v, flags);
}

/* The live entry of c's key in the confirmed table (unconfirmed: in the _new one), or NULL;
 * *now is the time of the hit (the clock is read only then). An expired entry is deleted: it
 * counts as absent, and the packet may make a new one. */
static __always_inline struct eniaddr_ct *ct_find(const struct eniaddr_ct_probe *c,
						  bool unconfirmed, __u64 *now)
{
	struct eniaddr_ct *v = ct_lookup(c, unconfirmed);

	if (!v)
		return NULL;
	*now = ct_clock();
	if (eniaddr_ct_expired(v, *now)) {
		if (dp_writes())
			ct_delete(c, unconfirmed);
		return NULL;
	}
	return v;
}

/* The live entry of c's key in either table of its family; *unconfirmed says which. */
static __always_inline struct eniaddr_ct *ct_find_any(const struct eniaddr_ct_probe *c,
						      bool *unconfirmed, __u64 *now)
{
	struct eniaddr_ct *v = ct_find(c, false, now);

	*unconfirmed = !v;
	if (!v)
		v = ct_find(c, true, now);
	return v;
}

/*
 * The key of the flow of the packet an ICMP error embeds (p->inner, copied by parse.h). The
 * error must go back to the embedded packet's sender (inner source = outer destination), and
 * the family must match. false when it names no flow we could track (a non-first fragment,
 * IPv6 extension headers, an ICMP message other than echo, ...). Keys c (not c->keyed: the
 * key is not the packet's own).
 */
static __always_inline bool ct_inner_key(struct eniaddr_ct_probe *c, const struct pkt_meta *p,
					 __u32 ifindex)
{
	const __u8 *b = (const __u8 *)p->inner;
	__u32 hl, len = p->inner_len;
	__be16 sport = 0, dport = 0;
	__u8 proto, l4[8];

	if (len > PKT_INNER_LEN)
		return false;
	if (p->v6) {
		if (len < PKT_INNER_LEN || (b[0] >> 4) != 6)
			return false;
		if (ct_addr_cmp(&b[8], p->daddr))
			return false;
		proto = b[6];
		hl = 40;
	} else {
		if (len < PKT_INNER_MIN || (b[0] >> 4) != 4)
			return false;
		hl = (__u32)(b[0] & 0xf) * 4;
		if (hl < 20 || hl + 8 > len || hl > PKT_INNER_LEN - 8)
			return false;
		if (((__u32)b[6] << 8 | b[7]) & IP_OFFSET) /* a later fragment: no ports */
			return false;
		if (*(const __be32 *)&b[12] != ct_addr4(p->daddr))
			return false;
		proto = b[9];
	}
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
	c->v4 = !p->v6;
	if (p->v6)
		ct_key_set(&c->k, ifindex, proto, &b[8], sport, &b[24], dport);
	else
		ct4_key_set(&c->k4, ifindex, proto, *(const __be32 *)&b[12], sport,
			    *(const __be32 *)&b[16], dport);
	ct_maybe_probe(c);
	return true;
}

/* CT_RELATED when p is an ICMP error about a live flow of ifindex (either direction), else
 * NONE. Related errors neither refresh nor change the flow. c: the probe, keyed here with the
 * embedded flow's key. */
static __always_inline enum eniaddr_reason ct_related(const struct pkt_meta *p, __u32 ifindex,
						      struct eniaddr_ct_probe *c)
{
	bool unconfirmed;
	__u64 now;

	if (!ct_inner_key(c, p, ifindex) || c->absent)
		return ENIADDR_R_NONE;
	return ct_find_any(c, &unconfirmed, &now) ? ENIADDR_R_CT_RELATED : ENIADDR_R_NONE;
}

/* Whether unconfirmed flow v has been answered (the confirmation rule at the top). */
static __always_inline bool ct_confirms(const struct eniaddr_ct *v, __u8 proto)
{
	if (!(v->flags & ENIADDR_CT_F_REPLIED) || eniaddr_ct_closed(v))
		return false;
	return proto != IPPROTO_TCP || v->state == ENIADDR_CT_ESTABLISHED;
}

/* Moves answered flow v (c's key, in the _new table) to its family's confirmed table: NONE, or
 * CT_FULL when the table is full (the flow stays unconfirmed and may try again with its next
 * packet). Another CPU moving it first is success. The confirmed entry is built in c->fresh,
 * off the stack. */
static __always_inline enum eniaddr_reason ct_confirm(struct eniaddr_ct_probe *c,
						      const struct eniaddr_ct *v,
						      const struct eniaddr_timeouts *t, __u8 proto,
						      __u64 now)
{
	struct eniaddr_ct *n = &c->fresh;
	long err;

	*n = *v;
	n->last_seen_ns = now;
	n->expires_ns = ct_deadline(now, ct_timeout_ns(t, proto, n->state, true));
	ct_maybe_add(c); /* set already (ct_start), unless a rebuild cleared a half since */
	err = ct_insert(c, false, n, BPF_NOEXIST);
	if (err && err != -ENIADDR_EEXIST)
		return ENIADDR_R_CT_FULL;
	ct_delete(c, true);
	return ENIADDR_R_NONE;
}

/* A dry run's record of c's key, in the common 44-byte form whatever the family. */
static __always_inline void ct_explain_key(struct eniaddr_explain *x,
					   const struct eniaddr_ct_probe *c)
{
	if (!c->v4) {
		x->ct_key = c->k;
		return;
	}
	__builtin_memset(&x->ct_key, 0, sizeof(x->ct_key));
	x->ct_key.ifindex = c->k4.ifindex;
	x->ct_key.proto = c->k4.proto;
	x->ct_key.port_lo = c->k4.port_lo;
	x->ct_key.port_hi = c->k4.port_hi;
	addr_set_v4(x->ct_key.addr_lo, c->k4.addr_lo);
	addr_set_v4(x->ct_key.addr_hi, c->k4.addr_hi);
}

/* A dry run records the entry a packet looked up, and what it held. */
static __always_inline void ct_explain(const struct eniaddr_ct_probe *c,
				       const struct eniaddr_ct *v)
{
	struct eniaddr_explain *x = explain_rec();

	if (!x)
		return;
	ct_explain_key(x, c);
	x->ct_hit = v != NULL;
	if (v)
		x->ct = *v;
}

/* Stores v's expiry only when the deadline this packet gives it (due, from its state now) is
 * not within [due, due + CT_REFRESH_NS] already: so a flow never ends early, at most
 * CT_REFRESH_NS late, and a transition or a new apply to a shorter timeout takes effect at
 * once ("Writes of a hit" at the top). */
static __always_inline void ct_refresh(struct eniaddr_ct *v, const struct eniaddr_timeouts *t,
				       __u8 proto, bool confirmed, __u64 now)
{
	__u64 to = ct_timeout_ns(t, proto, v->state, confirmed), due = now + to;
	__u64 cur = v->expires_ns;

	if (due <= cur && cur - due <= CT_REFRESH_NS)
		return;
	v->last_seen_ns = now;
	v->expires_ns = ct_deadline(now, to);
}

/*
 * The ownership stamp (issue 9): a confirmed flow remembers in which generation its local
 * address (the destination of what comes in, the source of what goes out) was last found
 * owned by the flow's ENI, or a transit address of it; a packet of the flow in that same
 * generation then passes without the owner lookup. A publish changes the generation, so the
 * next packet of every flow takes the whole path once and stamps the flow again. The stamp
 * names the local endpoint's side of the key: a packet whose local address is the flow's
 * other end (a reversed packet) never matches.
 */
#define CT_STAMP_LOCAL_HI 1u /* the local address is the key's addr_hi */
#define CT_STAMP_TRANSIT  2u /* the ENI judged it as transit (no owner) */
#define CT_STAMP_SLOT1    4u /* ownership was read in slot 1 */
#define CT_STAMP_GEN_SHIFT 3

/* The generation and slot part of the stamps of packets that read slot, or 0 (no stamps: the
 * whole path) in a dry run or before the first publish. The slot is part of the stamp: a
 * packet reads the slot (eni.h) and the generation (here) apart, and should a publish flip
 * between the two reads, the pair it stamps with is one no packet reads otherwise (every flip
 * changes both), so such a stamp never lets anything skip. */
static __always_inline __u64 ct_stamp_base(__u32 slot)
{
	const struct eniaddr_state *st;
	__u32 zero = 0;

	if (!dp_writes())
		return 0; /* explain walks and records the whole path */
	st = bpf_map_lookup_elem(&ENIADDR_MAP_STATE, &zero);
	if (!st || !st->generation)
		return 0;
	return st->generation << CT_STAMP_GEN_SHIFT | (slot & 1 ? CT_STAMP_SLOT1 : 0);
}

/* The stamp of a packet of direction dir whose key put its source on side src_hi. */
static __always_inline __u64 ct_stamp(__u64 base, __u8 dir, __u8 src_hi, bool transit)
{
	__u8 local_hi = dir == ENIADDR_DIR_INGRESS ? !src_hi : src_hi;

	return base | (transit ? CT_STAMP_TRANSIT : 0) | (local_hi ? CT_STAMP_LOCAL_HI : 0);
}

/* Whether p may belong to a tracked flow (ICMP errors and other ICMP never do). */
static __always_inline bool ct_trackable(const struct pkt_meta *p)
{
	return !ct_is_icmp(p->proto, p->v6) || icmp_is_echo(p);
}

/* A packet of live flow v (c's key, in the confirmed table unless unconfirmed), whose source
 * went to key side c->src_hi: the state machine at the top of the file. */
static __always_inline enum eniaddr_reason ct_advance(const struct pkt_meta *p,
						      struct eniaddr_ct_probe *c,
						      struct eniaddr_ct *v,
						      const struct eniaddr_timeouts *t,
						      bool unconfirmed, __u64 now)
{
	enum ct_dir dir = c->src_hi == v->init_hi ? CT_ORIG : CT_REPLY;

	if (p->proto == IPPROTO_TCP) {
		if ((v->state == ENIADDR_CT_CLOSED || eniaddr_ct_closed(v)) &&
		    (p->tcp_flags & (TCP_F_SYN | TCP_F_ACK)) == TCP_F_SYN) {
			/* a new connection: the rules judge it */
			if (dp_writes())
				ct_delete(c, unconfirmed);
			return ENIADDR_R_NONE;
		}
		if ((p->tcp_flags & TCP_F_RST) && !ct_rst_in_window(v, p, dir))
			return ENIADDR_R_CT_INVALID; /* a blind RST: the flow goes on */
	}
	if (!dp_writes()) /* a dry run: the entry stays as it is */
		return dir == CT_ORIG ? ENIADDR_R_CT_ESTABLISHED : ENIADDR_R_CT_REPLY;
	if (p->proto == IPPROTO_TCP) {
		ct_seq_learn(v, p, dir);
		ct_tcp_advance(v, p->tcp_flags, dir, t, now);
	} else {
		ct_other_advance(v, p->proto, dir);
	}
	if (dir == CT_REPLY)
		ct_flag(v, ENIADDR_CT_F_REPLIED);
	ct_refresh(v, t, p->proto, !unconfirmed, now);
	if (unconfirmed && ct_confirms(v, p->proto)) {
		enum eniaddr_reason r = ct_confirm(c, v, t, p->proto, now);

		if (r)
			return r;
	}
	return dir == CT_ORIG ? ENIADDR_R_CT_ESTABLISHED : ENIADDR_R_CT_REPLY;
}

/* One packet's way through connection tracking, kept by the judge (ingress.h, egress.h) from
 * the stamped shortcut to ct_track, so that the key is built and the confirmed table asked
 * once: struct eniaddr_ct_probe, per CPU (eniaddr_ct_scratch), the judges' stack being full. */

/* The probe of a packet of direction dir read in slot; NULL never happens (a per-CPU array).
 * stamps: whether the packet may take the stamped shortcut (the owned hint, owner.h); without
 * it the generation is not even read. */
static __always_inline struct eniaddr_ct_probe *ct_probe_start(__u32 slot, __u8 dir,
								bool stamps)
{
	__u32 which = dir == ENIADDR_DIR_INGRESS ? 0 : 1;
	struct eniaddr_ct_probe *c = bpf_map_lookup_elem(&ENIADDR_MAP_CT_SCRATCH, &which);

	if (!c)
		return NULL;
	c->base = stamps ? ct_stamp_base(slot) : 0;
	c->dir = dir;
	c->src_hi = 0;
	c->keyed = 0;
	c->confirmed_missed = 0;
	c->absent = 0;
	c->transit = 0;
	return c;
}

/*
 * The shortcut, before the owner lookup: a packet of a confirmed flow of ENI ifindex stamped in
 * this generation (c->base) for the packet's local address passes (CT_*, or CT_INVALID) as
 * ct_track would pass it. NONE: the whole path decides, with what c learnt (the key, whether
 * the confirmed table has the flow at all); c->transit says what the matched stamp says.
 * known_missing: this packet's lane (lane.h) already asked the confirmed table for this key and
 * found nothing; the lookup is not asked twice.
 */
static __always_inline enum eniaddr_reason ct_track_stamped(const struct pkt_meta *p,
							    const struct eniaddr_timeouts *t,
							    __u32 ifindex, struct eniaddr_ct_probe *c,
							    bool known_missing)
{
	struct eniaddr_ct *v;
	__u64 now, stamp;

	if (!c->base || !ct_trackable(p))
		return ENIADDR_R_NONE;
	ct_key_of(c, p, ifindex);
	v = c->absent || known_missing ? NULL : ct_find(c, false, &now);
	if (!v) {
		c->confirmed_missed = 1;
		return ENIADDR_R_NONE;
	}
	stamp = ct_stamp(c->base, c->dir, c->src_hi, false);
	if ((v->stamp & ~(__u64)CT_STAMP_TRANSIT) != stamp)
		return ENIADDR_R_NONE;
	c->transit = v->stamp & CT_STAMP_TRANSIT;
	return ct_advance(p, c, v, t, false, now);
}

/* Before the rules: see the top of the file. t: the ENI's timeouts; o: the owner (NULL:
 * transit); c: the packet's probe (ct_probe_start, then ct_track_stamped): a confirmed
 * flow that passes here is stamped. */
static __always_inline enum eniaddr_reason ct_track(const struct pkt_meta *p,
						    const struct eniaddr_owner *o,
						    const struct eniaddr_timeouts *t, __u32 ifindex,
						    struct eniaddr_ct_probe *c)
{
	enum eniaddr_reason r;
	struct eniaddr_ct *v;
	bool unconfirmed;
	__u64 now;

	if (ct_is_icmp(p->proto, p->v6)) {
		if (icmp_is_error(p))
			return ct_related(p, ifindex, c);
		if (!icmp_is_echo(p))
			return ENIADDR_R_NONE; /* never tracked: the rules decide */
	}
	if (!c->keyed)
		ct_key_of(c, p, ifindex);
	if (c->absent) {
		unconfirmed = true; /* in no table: the filter says so (ct_maybe_probe) */
		v = NULL;
	} else if (c->confirmed_missed) {
		unconfirmed = true;
		v = ct_find(c, true, &now);
	} else {
		v = ct_find_any(c, &unconfirmed, &now);
	}
	ct_explain(c, v);
	if (!v)
		return ENIADDR_R_NONE;
	r = ct_advance(p, c, v, t, unconfirmed, now);
	if (c->base && !unconfirmed && (r == ENIADDR_R_CT_ESTABLISHED || r == ENIADDR_R_CT_REPLY)) {
		__u64 stamp = ct_stamp(c->base, c->dir, c->src_hi, !o);

		if (v->stamp != stamp)
			v->stamp = stamp;
	}
	return r;
}

/* Whether a packet allowed by a rule starts a tracked flow (see the top of the file); dir and
 * l4 as for ct_untracked. */
static __always_inline bool ct_creates(const struct pkt_meta *p, const struct eniaddr_owner *o,
				       __u8 dir, const struct eniaddr_rule_bits *l4)
{
	if (p->proto == IPPROTO_TCP && (p->tcp_flags & TCP_F_RST))
		return false;
	if (ct_is_icmp(p->proto, p->v6))
		return icmp_is_echo(p) &&
		       (p->icmp_type == ICMP_ECHO || p->icmp_type == ICMPV6_ECHO_REQUEST);
	return !ct_untracked(p, o, dir, l4); /* last: it may cost lookups */
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

/* Remembers p's flow (direction origin) on ENI ifindex as unconfirmed, whatever the untracked
 * flags say: ALLOWED, or CT_FULL when the table refused the entry. */
static __always_inline enum eniaddr_reason ct_start(const struct pkt_meta *p,
						    const struct eniaddr_timeouts *t, __u32 ifindex,
						    __u8 origin, struct eniaddr_ct_probe *c)
{
	struct eniaddr_ct *v = &c->fresh; /* per CPU, off the stack */

	__builtin_memset(v, 0, sizeof(*v));
	v->origin = origin;
	if (!c->keyed)
		ct_key_of(c, p, ifindex);
	v->init_hi = c->src_hi;
	v->state = ct_first_state(p);
	v->created_ns = ct_clock();
	if (p->proto == IPPROTO_TCP) {
		if (p->tcp_flags & TCP_F_FIN)
			v->flags = ENIADDR_CT_F_FIN_ORIG;
		ct_seq_learn(v, p, CT_ORIG);
	}
	v->last_seen_ns = v->created_ns;
	v->expires_ns = ct_deadline(v->created_ns, ct_timeout_ns(t, p->proto, v->state, false));
	if (!dp_writes()) {
		struct eniaddr_explain *x = explain_rec();

		if (x) {
			x->ct_would_create = 1;
			ct_explain_key(x, c);
			x->ct = *v;
		}
		return ENIADDR_R_ALLOWED;
	}
	ct_maybe_add(c);
	if (ct_insert(c, true, v, BPF_ANY))
		return ENIADDR_R_CT_FULL;
	return ENIADDR_R_ALLOWED;
}

/* After a rule of the owner's policy for direction origin allowed p on ENI ifindex (its port's
 * bits l4): ALLOWED, or CT_FULL. */
static __always_inline enum eniaddr_reason ct_create(const struct pkt_meta *p,
						     const struct eniaddr_owner *o,
						     const struct eniaddr_timeouts *t, __u32 ifindex,
						     __u8 origin, const struct eniaddr_rule_bits *l4,
						     struct eniaddr_ct_probe *c)
{
	if (!ct_creates(p, o, origin, l4))
		return ENIADDR_R_ALLOWED;
	return ct_start(p, t, ifindex, origin, c);
}

#endif /* ENIADDR_BPF_CONNTRACK_H */
