/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/parse.h — BPF-only: header parsing with a cursor, one helper per header. Every helper checks
 * the bytes it reads against the end of the packet before reading them, advances the cursor past
 * its header, fills struct pkt_meta, and returns ENIADDR_R_NONE to go on or the reason that ends
 * the packet's judgement (MALFORMED, VLAN_CAP, EXT_HDR_CAP). Walks are capped by the named
 * constants of maps/eniaddr.h. Shared by ingress and egress.
 *
 * For connection tracking the L4 step also keeps the TCP flags, the ICMP echo identifier, and
 * for an ICMP error the first bytes of the packet it embeds (copied, not parsed: conntrack.h
 * reads them in its own, once-verified function).
 */
#ifndef ENIADDR_BPF_PARSE_H
#define ENIADDR_BPF_PARSE_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "eniaddr.h"
#include "consts.h"
#include "addr.h"

struct cursor {
	void *data; /* first byte of the frame */
	void *end;  /* one past the last readable byte (data_end) */
	__u32 off;  /* next unread byte, from data */
	__u32 want; /* a read past end stopped the parse: the offset it needed (tc pulls it) */
};

enum pkt_frag {
	PKT_FRAG_NONE  = 0,
	PKT_FRAG_FIRST = 1, /* offset 0, more to come: carries the L4 header */
	PKT_FRAG_LATER = 2, /* offset != 0: no L4 header, never read ports from it */
};

/*
 * An ICMP error carries the IP header and at least 8 bytes of the packet it reports (RFC 792,
 * RFC 4443). PKT_INNER_LEN bytes hold an IPv6 header or an IPv4 header with up to 20 option bytes,
 * plus those 8; an IPv4 error may carry only the RFC 792 minimum, PKT_INNER_MIN.
 */
#define PKT_INNER_LEN 48
#define PKT_INNER_MIN 28

/* What the decision needs from a packet. Ports are host order; addresses are 16-byte network
 * order, IPv4-mapped for IPv4, as in every map key. */
struct pkt_meta {
	__u8  saddr[16];
	__u8  daddr[16];
	__u32 frag_id;    /* IPv4 id or IPv6 fragment identification, host order */
	__u16 sport;      /* TCP/UDP source port */
	__u16 port;       /* the rule port: TCP/UDP dport, ICMP type << 8 | code, else 0 */
	__u8  proto;      /* L4 protocol (IPv6: after the extension headers) */
	__u8  frag_proto; /* protocol of the fragmented payload, part of the fragment key */
	__u8  frag;       /* enum pkt_frag */
	__u8  v6;         /* 1 for IPv6 */
	__u8  icmp_type;  /* ICMP or ICMPv6 */
	__u8  icmp_code;
	__u8  tcp_flags;  /* TCP: the flags byte (TCP_F_*) */
	__u8  inner_len;  /* ICMP error: bytes of inner[] copied (0, PKT_INNER_MIN or _LEN) */
	__u16 icmp_id;    /* ICMP/ICMPv6 echo request or reply: identifier, host order */
	__u8  ttl;        /* IPv4 TTL or IPv6 hop limit (neighbour discovery wants 255) */
	__u8  lane_missed; /* the lane found no confirmed entry for this packet (lane.h) */
	__u32 l3_end;     /* offset after the IP datagram (its length fields), from the frame */
	__u32 tcp_seq;    /* TCP: sequence number, host order */
	__u32 tcp_ack;    /* TCP: acknowledgement number, host order */
	__u32 tcp_plen;   /* TCP: payload bytes (from the IP length; 0 when it claims less) */
	__u16 tcp_win;    /* TCP: window field, unscaled */
	__u16 pad2;
	__u32 owner_ifindex; /* set by the judge: this ENI owns the address (dst in, src out) */
	__u32 policy;     /* set by the judge: the policy the rules are read from */
	__u32 inner[PKT_INNER_LEN / 4]; /* ICMP error: the embedded packet's first bytes, raw */
};

/* What counting a verdict needs of p (counters.h, events.h): maps/eniaddr.h's struct
 * eniaddr_pkt, kept per CPU (eniaddr_scratch) instead of next to pkt_meta on the stack. */
static __always_inline void pkt_summarize(const struct pkt_meta *p, struct eniaddr_pkt *s)
{
	addr_copy(s->saddr, p->saddr);
	addr_copy(s->daddr, p->daddr);
	s->sport = p->sport;
	s->port = p->port;
	s->proto = p->proto;
	s->v6 = p->v6;
	s->icmp_type = p->icmp_type;
	s->icmp_code = p->icmp_code;
	s->owner_ifindex = p->owner_ifindex;
	s->policy = p->policy;
}

/* Returns the n bytes at the cursor without moving, or NULL when the packet is shorter. */
static __always_inline void *cursor_peek(struct cursor *c, __u32 n)
{
	void *p = c->data + c->off;

	if (p + n > c->end) {
		c->want = c->off + n;
		return NULL;
	}
	return p;
}

/* Returns the n bytes at the cursor and moves past them, or NULL when the packet is shorter.
 * With a variable n only bytes an earlier constant-size check covered may be read: headers of
 * variable length are peeked at their fixed size first, then taken whole. */
static __always_inline void *cursor_take(struct cursor *c, __u32 n)
{
	void *p = cursor_peek(c, n);

	if (p)
		c->off += n;
	return p;
}

/*
 * Verifier aid, a no-op at run time. After adding header lengths the verifier only knows from
 * the packet, carries leave the offset's upper bits "unknown" far above any real offset, so the
 * states of different header layouts seldom compare equal and each is explored again (an IPv6
 * chain of 8 headers of 4 kinds). Masking with ENIADDR_PARSE_OFF_MASK, above any offset the
 * parser can reach, clears those bits: on 6.18 the programs verify in ~114k instead of ~743k
 * instructions. barrier_var keeps clang from proving the mask redundant and dropping it.
 */
static __always_inline void cursor_settle(struct cursor *c)
{
	__u32 off = c->off;

	barrier_var(off);
	c->off = off & ENIADDR_PARSE_OFF_MASK;
}

/* Ethernet: *proto is the EtherType, network order. */
static __always_inline enum eniaddr_reason parse_eth(struct cursor *c, __be16 *proto)
{
	struct ethhdr *eth = cursor_take(c, sizeof(*eth));

	if (!eth)
		return ENIADDR_R_MALFORMED;
	*proto = eth->h_proto;
	return ENIADDR_R_NONE;
}

static __always_inline bool eth_is_vlan(__be16 proto)
{
	return proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD);
}

/* Up to ENIADDR_MAX_VLAN_DEPTH 802.1Q/802.1ad tags; one more is VLAN_CAP. */
static __always_inline enum eniaddr_reason parse_vlans(struct cursor *c, __be16 *proto)
{
	struct vlan_hdr *vh;
	int i;

#pragma unroll
	for (i = 0; i < ENIADDR_MAX_VLAN_DEPTH; i++) {
		if (!eth_is_vlan(*proto))
			return ENIADDR_R_NONE;
		vh = cursor_take(c, sizeof(*vh));
		if (!vh)
			return ENIADDR_R_MALFORMED;
		*proto = vh->h_vlan_encapsulated_proto;
	}
	return eth_is_vlan(*proto) ? ENIADDR_R_VLAN_CAP : ENIADDR_R_NONE;
}

/* IPv4: version 4, IHL >= 5 and all IHL bytes present (options are skipped, not read). */
static __always_inline enum eniaddr_reason parse_ipv4(struct cursor *c, struct pkt_meta *p)
{
	struct iphdr *iph = cursor_peek(c, sizeof(*iph));
	__u16 frag_off;

	if (!iph || iph->version != 4 || iph->ihl < 5)
		return ENIADDR_R_MALFORMED;
	p->l3_end = c->off + bpf_ntohs(iph->tot_len);
	if (!cursor_take(c, (__u32)iph->ihl * 4))
		return ENIADDR_R_MALFORMED;
	p->ttl = iph->ttl;

	addr_set_v4(p->saddr, iph->saddr);
	addr_set_v4(p->daddr, iph->daddr);
	p->proto = iph->protocol;
	frag_off = bpf_ntohs(iph->frag_off);
	if (frag_off & (IP_MF | IP_OFFSET)) {
		p->frag = (frag_off & IP_OFFSET) ? PKT_FRAG_LATER : PKT_FRAG_FIRST;
		p->frag_id = bpf_ntohs(iph->id);
		p->frag_proto = iph->protocol;
	}
	return ENIADDR_R_NONE;
}

static __always_inline bool ipv6_is_ext(__u8 nexthdr)
{
	switch (nexthdr) {
	case IPPROTO_HOPOPTS:
	case IPPROTO_ROUTING:
	case IPPROTO_FRAGMENT:
	case IPPROTO_DSTOPTS:
	case IPPROTO_AH:
	case IPPROTO_MH:
		return true;
	default:
		return false;
	}
}

/* The fragment header (8 bytes). An atomic fragment (offset 0, no M flag, RFC 6946) is a
 * whole datagram and stays PKT_FRAG_NONE. */
static __always_inline enum eniaddr_reason parse_ipv6_frag(struct cursor *c, struct pkt_meta *p,
							   __u8 *nexthdr)
{
	struct frag_hdr *fh = cursor_take(c, sizeof(*fh));
	__u16 frag_off;

	if (!fh)
		return ENIADDR_R_MALFORMED;
	*nexthdr = fh->nexthdr;
	frag_off = bpf_ntohs(fh->frag_off);
	if (frag_off & (IP6_OFFSET | IP6_MF)) {
		p->frag = (frag_off & IP6_OFFSET) ? PKT_FRAG_LATER : PKT_FRAG_FIRST;
		p->frag_id = bpf_ntohl(fh->identification);
		p->frag_proto = fh->nexthdr;
	}
	return ENIADDR_R_NONE;
}

/* Any other extension header: length from the current header's own type (AH counts 4-byte
 * words minus 2, the rest 8-byte words minus 1). */
static __always_inline enum eniaddr_reason parse_ipv6_opt(struct cursor *c, __u8 type,
							  __u8 *nexthdr)
{
	struct ipv6_opt_hdr *oh = cursor_peek(c, sizeof(*oh));
	__u32 len;

	if (!oh)
		return ENIADDR_R_MALFORMED;
	if (type == IPPROTO_AH)
		len = ((__u32)oh->hdrlen + 2) * 4;
	else
		len = ((__u32)oh->hdrlen + 1) * 8;
	*nexthdr = oh->nexthdr;
	if (!cursor_take(c, len))
		return ENIADDR_R_MALFORMED;
	return ENIADDR_R_NONE;
}

/* Walks at most ENIADDR_MAX_EXT_HDRS extension headers; sets p->proto to the first header that
 * is not one (ESP and no-next-header included). Stops at a non-first fragment: what follows its
 * fragment header is payload. */
static __always_inline enum eniaddr_reason parse_ipv6_ext(struct cursor *c, struct pkt_meta *p,
							  __u8 nexthdr)
{
	enum eniaddr_reason r;
	int i;

	for (i = 0; i < ENIADDR_MAX_EXT_HDRS; i++) {
		if (!ipv6_is_ext(nexthdr))
			break;
		if (nexthdr == IPPROTO_FRAGMENT)
			r = parse_ipv6_frag(c, p, &nexthdr);
		else
			r = parse_ipv6_opt(c, nexthdr, &nexthdr);
		if (r)
			return r;
		if (p->frag == PKT_FRAG_LATER)
			break;
		cursor_settle(c);
	}
	if (p->frag != PKT_FRAG_LATER && ipv6_is_ext(nexthdr))
		return ENIADDR_R_EXT_HDR_CAP;
	p->proto = nexthdr;
	return ENIADDR_R_NONE;
}

/* IPv6: version 6, the fixed header, then the extension chain. IPv4-mapped addresses never
 * appear on the wire (Linux drops such sources in ip6_rcv_core); in our maps they would be
 * judged as IPv4, so they are MALFORMED. */
static __always_inline enum eniaddr_reason parse_ipv6(struct cursor *c, struct pkt_meta *p)
{
	struct ipv6hdr *ip6h = cursor_take(c, sizeof(*ip6h));

	if (!ip6h || ip6h->version != 6)
		return ENIADDR_R_MALFORMED;
	p->l3_end = c->off + bpf_ntohs(ip6h->payload_len); /* c->off is past the fixed header */
	p->ttl = ip6h->hop_limit;
	addr_copy(p->saddr, &ip6h->saddr);
	addr_copy(p->daddr, &ip6h->daddr);
	if (addr_is_v4mapped(p->saddr) || addr_is_v4mapped(p->daddr))
		return ENIADDR_R_MALFORMED;
	p->v6 = 1;
	return parse_ipv6_ext(c, p, ip6h->nexthdr);
}

/*
 * Everything after the Ethernet header up to L4, both directions alike: the VLAN tags, then by
 * the EtherType proto IPv4 or IPv6 into p. ARP is FAILSAFE_ARP and any other EtherType OTHER_L3
 * (p untouched); else NONE or the reason of the VLAN or IP step.
 */
static __always_inline enum eniaddr_reason parse_l3(struct cursor *c, __be16 proto,
						    struct pkt_meta *p)
{
	enum eniaddr_reason r = parse_vlans(c, &proto);

	if (r)
		return r;
	if (proto == bpf_htons(ETH_P_ARP))
		return ENIADDR_R_FAILSAFE_ARP;
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(c, p);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(c, p);
	return ENIADDR_R_OTHER_L3;
}

/* TCP: 20 bytes, data offset >= 5 and every option byte present. */
static __always_inline enum eniaddr_reason parse_tcp(struct cursor *c, struct pkt_meta *p)
{
	struct tcphdr *th = cursor_peek(c, sizeof(*th));

	if (!th || th->doff < 5)
		return ENIADDR_R_MALFORMED;
	if (!cursor_take(c, (__u32)th->doff * 4))
		return ENIADDR_R_MALFORMED;
	p->sport = bpf_ntohs(th->source);
	p->port = bpf_ntohs(th->dest);
	p->tcp_flags = ((__u8 *)th)[13];
	p->tcp_seq = bpf_ntohl(th->seq);
	p->tcp_ack = bpf_ntohl(th->ack_seq);
	p->tcp_win = bpf_ntohs(th->window);
	p->tcp_plen = p->l3_end > c->off ? p->l3_end - c->off : 0;
	return ENIADDR_R_NONE;
}

static __always_inline enum eniaddr_reason parse_udp(struct cursor *c, struct pkt_meta *p)
{
	struct udphdr *uh = cursor_take(c, sizeof(*uh));

	if (!uh)
		return ENIADDR_R_MALFORMED;
	p->sport = bpf_ntohs(uh->source);
	p->port = bpf_ntohs(uh->dest);
	return ENIADDR_R_NONE;
}

/* ICMP errors: destination unreachable, source quench, redirect, time exceeded, parameter
 * problem; ICMPv6 1..4 (RFC 4443 §2.1: types below 128). */
static __always_inline bool icmp_is_error(const struct pkt_meta *p)
{
	if (p->v6)
		return p->icmp_type >= ICMPV6_DEST_UNREACH && p->icmp_type <= ICMPV6_PARAMPROB;
	switch (p->icmp_type) {
	case ICMP_DEST_UNREACH:
	case ICMP_SOURCE_QUENCH:
	case ICMP_REDIRECT:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		return true;
	default:
		return false;
	}
}

static __always_inline bool icmp_is_echo(const struct pkt_meta *p)
{
	if (p->v6)
		return p->icmp_type == ICMPV6_ECHO_REQUEST || p->icmp_type == ICMPV6_ECHO_REPLY;
	return p->icmp_type == ICMP_ECHO || p->icmp_type == ICMP_ECHOREPLY;
}

/* Copies the start of the packet an ICMP error embeds (at the cursor) into p->inner. Fixed-size
 * copies only: the verifier sees two constant reads, whatever the inner headers are. Too short
 * leaves inner_len 0 (the error then relates to nothing; it is not malformed). */
static __always_inline void copy_icmp_inner(struct cursor *c, struct pkt_meta *p)
{
	const __u32 *w = cursor_peek(c, PKT_INNER_LEN);

	if (w) {
		__builtin_memcpy(p->inner, w, PKT_INNER_LEN);
		p->inner_len = PKT_INNER_LEN;
		return;
	}
	w = cursor_peek(c, PKT_INNER_MIN);
	if (w && !p->v6) {
		__builtin_memcpy(p->inner, w, PKT_INNER_MIN);
		p->inner_len = PKT_INNER_MIN;
	}
}

/* ICMP: 8-byte header (type, code, checksum, 4 bytes of id/sequence or unused/MTU). ICMPv6:
 * type, code, checksum = 4 bytes suffice (neighbor discovery is judged on them); echo needs its
 * identifier (8 bytes) and an error's embedded packet starts after 8 bytes too. */
static __always_inline enum eniaddr_reason parse_icmp(struct cursor *c, struct pkt_meta *p,
						      __u32 hdr_len)
{
	__u8 *h = cursor_peek(c, hdr_len);

	if (!h)
		return ENIADDR_R_MALFORMED;
	p->icmp_type = h[0];
	p->icmp_code = h[1];
	p->port = (__u16)h[0] << 8 | h[1];
	if (icmp_is_echo(p)) {
		__be16 *id = cursor_peek(c, 8);

		if (!id)
			return ENIADDR_R_MALFORMED;
		p->icmp_id = bpf_ntohs(id[2]);
	}
	if (icmp_is_error(p) && cursor_take(c, 8))
		copy_icmp_inner(c, p);
	return ENIADDR_R_NONE;
}

/* The L4 header of an unfragmented packet or a first fragment. Other protocols have port 0. */
static __always_inline enum eniaddr_reason parse_l4(struct cursor *c, struct pkt_meta *p)
{
	switch (p->proto) {
	case IPPROTO_TCP:
		return parse_tcp(c, p);
	case IPPROTO_UDP:
		return parse_udp(c, p);
	case IPPROTO_ICMP:
		return p->v6 ? ENIADDR_R_NONE : parse_icmp(c, p, 8);
	case IPPROTO_ICMPV6:
		return p->v6 ? parse_icmp(c, p, 4) : ENIADDR_R_NONE;
	default:
		return ENIADDR_R_NONE;
	}
}

#endif /* ENIADDR_BPF_PARSE_H */
