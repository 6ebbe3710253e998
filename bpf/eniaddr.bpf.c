// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpf/eniaddr.bpf.c — the program entry points. The decisions live in ingress.h and egress.h
 * (the lane of established flows in lane.h, parsing in parse.h, the packet's ENI in eni.h,
 * ownership in owner.h, failsafes in failsafe.h, fragments in frags.h, rules in rules.h,
 * connection tracking in conntrack.h, counting in counters.h, maps in maps.bpf.h).
 *
 * Scope of the ingress programs (xdp_ingress, and tc_ingress where XDP cannot attach). Every
 * frame gets exactly one reason, counted per (ifindex, reason, ingress, action):
 *  0. An untagged ARP frame passes at once (FAILSAFE_ARP, arp.h), configured interface or not.
 *     Then the lane (lane.h): an untagged IPv4 TCP segment (no options, not a fragment, only ACK
 *     and PSH) of an established (or half-closed), confirmed flow, or such a UDP datagram of a
 *     confirmed flow, stamped in this generation passes as in step 8 (CT_ESTABLISHED,
 *     CT_REPLY), with the same writes to its entry; anything else goes on here.
 *  1. A frame shorter than Ethernet is MALFORMED. An interface without an ENI entry in the
 *     active slot passes everything (UNCONFIGURED): attaching before the first apply is safe.
 *     With `attach --unconfigured drop` its IP and VLAN-tagged frames drop instead
 *     (UNCONFIGURED_DROP, bpf/unconfigured.h); ARP and other non-IP frames still pass.
 *  2. Up to ENIADDR_MAX_VLAN_DEPTH 802.1Q/802.1ad tags are parsed; one more is VLAN_CAP (drop).
 *     ARP passes (FAILSAFE_ARP); anything but IPv4, IPv6 and ARP passes untouched (OTHER_L3).
 *  3. IPv4 needs version 4, IHL >= 5 and its options present; IPv6 its fixed header and at most
 *     ENIADDR_MAX_EXT_HDRS extension headers (hop-by-hop, routing, fragment, destination
 *     options, AH, mobility), else EXT_HDR_CAP. Truncated or bad headers are MALFORMED.
 *  4. A non-first fragment passes (FRAGMENT_FOLLOWS) only while the first fragment of its
 *     datagram, which passed (by a rule, connection tracking or a failsafe), is remembered
 *     (ENIADDR_FRAG_TIMEOUT_NS); else FRAGMENT (drop). Ports are never read from it. First
 *     fragments are judged like whole packets.
 *  5. TCP, UDP, ICMP and ICMPv6 headers must be complete (MALFORMED). tc_ingress pulls a header
 *     that is not linear up to its end and parses again (ENIADDR_TC_PULL_ROUNDS), never payload.
 *  6. The destination's owner is looked up (owner.h: its exact address, else the longest
 *     delegated prefix holding it, one hash lookup per prefix length the slot lists);
 *     failsafes (failsafe.h) pass IPv6 neighbour discovery with hop limit 255 and MLD from
 *     link-local senders (FAILSAFE_ND), and DHCP answers from this ENI's subnet router to its
 *     own address or the broadcast, DHCPv6 link-local to link-local (FAILSAFE_DHCP). Nothing
 *     else is exempt inbound: the link-local services' answers pass in step 8 as replies of
 *     the requests egress tracked. Before this step, a packet of a confirmed flow whose local
 *     address this generation already proved its ENI's passes as in step 8 without the owner
 *     lookup (the stamped shortcut, conntrack.h; tried only for a destination the owned hint
 *     names, owner.h); egress does the same before its owner lookup. A destination the
 *     slot's any-owner hint proves nobody's (owner.h, owner_absent) skips the lookup, whose
 *     answer is known (no owner), and takes the rest of the steps as after a miss.
 *  7. The destination must belong to this ENI: NOT_OWNED, WRONG_ENI (drop). An ENI whose
 *     source/dest check is off judges a destination no ENI owns as transit, with its own
 *     groups, in steps 8-9.
 *  8. A packet of a live tracked flow of this ENI passes: CT_ESTABLISHED (the direction of the
 *     flow's first packet), CT_REPLY (the other); an ICMP error about one passes as CT_RELATED
 *     (the only way PMTU errors pass without a rule). A TCP RST outside the flow's window is
 *     CT_INVALID (drop). The reply that confirms a flow is CT_FULL (drop) when the confirmed
 *     table is full.
 *  9. The source and L4 selector must meet in a rule of the address's inbound policy (its own
 *     with an override, else the ENI's): ALLOWED, and the flow is tracked (unconfirmed) from now
 *     on unless the permitting rule makes it untracked, else NO_RULE (drop).
 * An ENI in audit mode passes what would be dropped and counts it with action AUDIT.
 * tc_ingress passes with TC_ACT_UNSPEC (like XDP_PASS, other tc filters still see the packet).
 * Step 7's WRONG_ENI is policy: the VPC delivers an address only to the ENI it is assigned to, so
 * a packet for another ENI's address arrives only while the address moves between ENIs (or from
 * a peer with a stale neighbour entry); it is dropped and counted, never accepted.
 *
 * Scope of tc_egress (clsact egress of every attached device, whatever the ingress mode). Every
 * packet gets exactly one reason, counted per (ifindex, reason, egress, action); "continue" is
 * TC_ACT_UNSPEC, so other tc programs still see the packet:
 *  1. An untagged ARP frame continues at once (FAILSAFE_ARP, arp.h), configured or not. Then
 *     the lane (lane.h), as on ingress, for a source owned by this ENI (not 0.0.0.0, not
 *     169.254/16) of an established flow stamped in this generation (step 4's CT_*). A
 *     device without an ENI entry in the active slot: continue (UNCONFIGURED). Tagged ARP
 *     (FAILSAFE_ARP) and anything but IPv4/IPv6 (OTHER_L3): continue.
 *  2. The source address must be readable: VLAN tags beyond the cap (VLAN_CAP) or a cut or bad
 *     IPv4/IPv6 fixed header (MALFORMED) cannot prove their source and are the source check's
 *     to drop. A header that is not linear is pulled up to its end and parsed again.
 *  3. IPv6 neighbour discovery (FAILSAFE_ND) and unspecified or link-local sources (0.0.0.0,
 *     169.254/16, ::, fe80::/10: FAILSAFE_LINK_LOCAL) continue: they belong to their link.
 *  4. Source owned by this ENI (exact address, else the longest delegated prefix, as in step 6
 *     of ingress): the outbound step, here and only here, as that ENI (egress_source_owned): a
 *     later fragment follows its first (FRAGMENT_FOLLOWS / FRAGMENT); an unreadable L4 header
 *     keeps its reason (MALFORMED, EXT_HDR_CAP); the DHCP client's conversation with the
 *     router (FAILSAFE_DHCP); a live tracked flow or an ICMP error about one continues
 *     (CT_ESTABLISHED, CT_REPLY, CT_RELATED, or CT_INVALID / CT_FULL as inbound); a request to
 *     a link-local service passes and is tracked whatever the rules say (FAILSAFE_LINK_LOCAL);
 *     else the destination and L4 selector must meet in a rule of the address's outbound
 *     policy: ALLOWED (and tracked unless untracked), else EGRESS_NO_RULE (drop).
 *  5. Source owned by another managed ENI: redirected out of that ENI with bpf_redirect_neigh
 *     (REDIRECT, action REDIRECT; REDIRECT_GUESS when the next hop is a router the loader
 *     only guessed), unless the destination is link-scoped (link-local, multicast,
 *     limited broadcast: continue, FAILSAFE_LINK_LOCAL). Redirects happen in audit mode too:
 *     they repair, they do not filter. A refused redirect is REDIRECT_FAILED (drop).
 *  6. Source owned by no managed ENI (proven without a lookup when the any-owner hint allows,
 *     owner.h): SPOOFED_SOURCE, dropped when the ENI's source check is on
 *     (the default). With it off ("source_check": false, SourceDestCheck false: NAT, routers)
 *     the packet is transit and takes step 4 with the ENI's own groups.
 * With the source check off, step 2's reasons are counted with action PASS and the packet
 * continues. Redirected packets pass the owner's tc_egress again, and meet step 4 there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "consts.h"
#include "maps.bpf.h"
#include "arp.h"
#include "ingress.h"
#include "egress.h"
#include "lane.h"

/* The ingress decision of an XDP frame that arrived on ifindex. Global: the packet's parsed
 * summary lives in this frame only, and the counting in xdp_ingress does not stack on top of it.
 * ifindex comes from the caller: ctx->ingress_ifindex is three dependent loads each time. */
__noinline int xdp_ingress_try(struct xdp_md *ctx, __u32 ifindex, __u8 *mode,
			       struct eniaddr_pkt *s, __u32 lane_missed)
{
	__u32 want = 0;

	if (!ctx || !mode || !s)
		return ENIADDR_R_MALFORMED;
	return ingress_summarized((void *)(long)ctx->data, (void *)(long)ctx->data_end, ifindex,
				  mode, &want, s, lane_missed);
}

/* The per-CPU summary of the packet being judged: [0] ingress, [1] egress. */
static __always_inline struct eniaddr_pkt *scratch(__u32 which)
{
	return bpf_map_lookup_elem(&ENIADDR_MAP_SCRATCH, &which);
}

SEC("xdp")
int xdp_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u32 len = (__u32)(end - data); /* not an xdp.frags program: the frame is all linear */
	__u32 ifindex = ctx->ingress_ifindex;
	__u8 mode = ENIADDR_MODE_ENFORCE;
	struct eniaddr_pkt *s;
	enum eniaddr_action act;
	enum eniaddr_reason r;
	__u8 missed = 0;

	if (arp_passed(data, end, ifindex, ENIADDR_DIR_INGRESS, len))
		return XDP_PASS;
	r = lane(data, end, ifindex, ENIADDR_DIR_INGRESS, &missed);
	if (r) {
		count_early_pass(ifindex, ENIADDR_DIR_INGRESS, r, len);
		return XDP_PASS;
	}
	s = scratch(0);
	if (!s)
		return XDP_PASS; /* never: a per-CPU array always has its entries */
	r = xdp_ingress_try(ctx, ifindex, &mode, s, missed);
	act = account(s, ifindex, ENIADDR_DIR_INGRESS, r, mode, len);
	return act == ENIADDR_ACT_DROP ? XDP_DROP : XDP_PASS;
}

/* True when a tc parse stopped at the end of the linear head and the packet holds more: pull up
 * to the offset the parser wanted (the end of the header it was reading), never payload. */
static __always_inline bool tc_should_pull(struct __sk_buff *skb, enum eniaddr_reason r,
					   __u32 want)
{
	__u32 linear = (__u32)((long)skb->data_end - (long)skb->data);

	return r == ENIADDR_R_MALFORMED && want > linear && want <= skb->len;
}

/* One ingress decision on the current linear head. Global (verified once, not once per pull
 * round); ingress_decide has no side effect before the headers are complete. */
__noinline int tc_ingress_try(struct __sk_buff *skb, __u8 *mode, __u32 *want,
			      struct eniaddr_pkt *s, __u32 lane_missed)
{
	if (!skb || !mode || !want || !s)
		return ENIADDR_R_MALFORMED;
	return ingress_summarized((void *)(long)skb->data, (void *)(long)skb->data_end,
				  skb->ifindex, mode, want, s, lane_missed);
}

SEC("tc")
int tc_ingress(struct __sk_buff *skb)
{
	__u8 mode = ENIADDR_MODE_ENFORCE;
	enum eniaddr_reason r = ENIADDR_R_MALFORMED;
	enum eniaddr_action act;
	__u32 len = skb->len, want;
	struct eniaddr_pkt *s;
	__u8 missed = 0;
	int i;

	if (arp_passed((void *)(long)skb->data, (void *)(long)skb->data_end, skb->ifindex,
		       ENIADDR_DIR_INGRESS, len))
		return TC_ACT_UNSPEC;
	r = lane((void *)(long)skb->data, (void *)(long)skb->data_end, skb->ifindex,
		 ENIADDR_DIR_INGRESS, &missed);
	if (r) {
		count_early_pass(skb->ifindex, ENIADDR_DIR_INGRESS, r, len);
		return TC_ACT_UNSPEC;
	}
	s = scratch(0);
	if (!s)
		return TC_ACT_UNSPEC; /* never: a per-CPU array always has its entries */
	/* A failed pull leaves the short head: the packet stays MALFORMED, never a pass. */
	for (i = 0; i < ENIADDR_TC_PULL_ROUNDS; i++) {
		want = 0;
		r = tc_ingress_try(skb, &mode, &want, s, missed);
		if (!tc_should_pull(skb, r, want) || bpf_skb_pull_data(skb, want))
			break;
	}
	act = account(s, skb->ifindex, ENIADDR_DIR_INGRESS, r, mode, len);
	/* A pass is TC_ACT_UNSPEC, as XDP_PASS is for XDP: we run first (priority 1), and
	 * TC_ACT_OK would end classification there, so no later ingress filter would ever run. */
	return act == ENIADDR_ACT_DROP ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

/* One egress decision on the current linear head; global like tc_ingress_try. Only a complete
 * parse redirects or touches connection state. */
/* What one egress round reports besides its reason (a BPF function takes at most 5 args). */
struct egress_try {
	__u8 mode;
	bool src_check, src_unread;
	__u8 lane_missed; /* the lane found no confirmed entry for this packet (lane.h) */
	__u32 want;
};

__noinline int tc_egress_try(struct __sk_buff *skb, struct egress_try *t, struct eniaddr_pkt *s)
{
	struct pkt_meta p = {};
	int r;

	if (!skb || !t || !s)
		return ENIADDR_R_MALFORMED;
	p.lane_missed = t->lane_missed;
	r = egress_decide((void *)(long)skb->data, (void *)(long)skb->data_end, skb->ifindex,
			  &t->mode, &t->src_check, &t->src_unread, &t->want, &p);
	pkt_summarize(&p, s);
	return r;
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	struct egress_try t = { .mode = ENIADDR_MODE_ENFORCE };
	enum eniaddr_reason r = ENIADDR_R_MALFORMED;
	__u32 len = skb->len;
	struct eniaddr_pkt *s;
	int i;

	if (arp_passed((void *)(long)skb->data, (void *)(long)skb->data_end, skb->ifindex,
		       ENIADDR_DIR_EGRESS, len))
		return TC_ACT_UNSPEC;
	r = lane((void *)(long)skb->data, (void *)(long)skb->data_end, skb->ifindex,
		 ENIADDR_DIR_EGRESS, &t.lane_missed);
	if (r) {
		count_early_pass(skb->ifindex, ENIADDR_DIR_EGRESS, r, len);
		return TC_ACT_UNSPEC;
	}
	s = scratch(1);
	if (!s)
		return TC_ACT_UNSPEC; /* never: a per-CPU array always has its entries */
	/* Locally built packets carry their headers in the linear head: usually no pull at all.
	 * Pulling payload would copy the head TCP keeps a clone of, on every segment. */
	for (i = 0; i < ENIADDR_TC_PULL_ROUNDS; i++) {
		t.want = 0;
		r = tc_egress_try(skb, &t, s);
		if (!tc_should_pull(skb, r, t.want) || bpf_skb_pull_data(skb, t.want))
			break;
	}
	return egress_account(s, skb->ifindex, r, t.mode, t.src_check, t.src_unread, len);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
