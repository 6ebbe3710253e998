// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bpf/eniaddr.bpf.c — the program entry points. The decisions live in ingress.h and egress.h
 * (parsing in parse.h, ownership in owner.h, failsafes in failsafe.h, fragments in frags.h,
 * rules in rules.h, connection tracking in conntrack.h, counting in counters.h, maps in
 * maps.bpf.h).
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
 *     datagram, which passed (by a rule, connection tracking or a failsafe), is remembered
 *     (ENIADDR_FRAG_TIMEOUT_NS); else FRAGMENT (drop). Ports are never read from it. First
 *     fragments are judged like whole packets.
 *  5. TCP, UDP, ICMP and ICMPv6 headers must be complete (MALFORMED).
 *  6. Failsafes pass before any rule: IPv6 neighbor discovery, DHCP server to client, the
 *     link-local services (IMDS, DNS, Time Sync), frag-needed and packet-too-big.
 *  7. The destination must belong to this ENI: NOT_OWNED, WRONG_ENI (drop).
 *  8. A packet of a live tracked flow of this ENI passes: CT_ESTABLISHED (the direction of the
 *     flow's first packet), CT_REPLY (the other); an ICMP error about one passes as CT_RELATED.
 *  9. The source and L4 selector must meet in a rule of the address's inbound policy (its own
 *     with an override, else the ENI's): ALLOWED, and the flow is tracked from now on (unless
 *     untracked, or CT_FULL: the table refused it, drop), else NO_RULE (drop).
 * An ENI in audit mode passes what would be dropped and counts it with action AUDIT.
 * tc_ingress passes with TC_ACT_UNSPEC (like XDP_PASS, other tc filters still see the packet).
 * Step 7's WRONG_ENI is policy: the VPC delivers an address only to the ENI it is assigned to, so
 * a packet for another ENI's address arrives only while the address moves between ENIs (or from
 * a peer with a stale neighbour entry); it is dropped and counted, never accepted.
 *
 * Scope of tc_egress (clsact egress of every attached device, whatever the ingress mode). Every
 * packet gets exactly one reason, counted per (ifindex, reason, egress, action); "continue" is
 * TC_ACT_UNSPEC, so other tc programs still see the packet:
 *  1. A device without an ENI entry in the active slot: continue (UNCONFIGURED). ARP
 *     (FAILSAFE_ARP) and anything but IPv4/IPv6 (OTHER_L3): continue.
 *  2. The source address must be readable: VLAN tags beyond the cap (VLAN_CAP) or a cut or bad
 *     IPv4/IPv6 fixed header (MALFORMED) cannot prove their source and are the source check's
 *     to drop. Extension headers and the L4 header are read when present, never required.
 *  3. IPv6 neighbour discovery (FAILSAFE_ND) and unspecified or link-local sources (0.0.0.0,
 *     169.254/16, ::, fe80::/10: FAILSAFE_LINK_LOCAL) continue: they belong to their link.
 *  4. Source owned by this ENI (exact address, else delegated prefix): the outbound step, here
 *     and only here, as that ENI (egress_source_owned): a later fragment follows its first
 *     (FRAGMENT_FOLLOWS / FRAGMENT); an unreadable L4 header keeps its reason (MALFORMED,
 *     EXT_HDR_CAP); failsafes (DHCP client, link-local services, PMTU errors); a live tracked
 *     flow or an ICMP error about one continues (CT_ESTABLISHED, CT_REPLY, CT_RELATED); else the
 *     destination and L4 selector must meet in a rule of the address's outbound policy:
 *     ALLOWED (and tracked, or CT_FULL), else EGRESS_NO_RULE (drop).
 *  5. Source owned by another managed ENI: redirected out of that ENI with bpf_redirect_neigh
 *     (REDIRECT, action REDIRECT; REDIRECT_GUESS when the next hop is a router the loader
 *     only guessed), unless the destination is link-scoped (link-local, multicast,
 *     limited broadcast: continue, FAILSAFE_LINK_LOCAL). Redirects happen in audit mode too:
 *     they repair, they do not filter. A refused redirect is REDIRECT_FAILED (drop).
 *  6. Source owned by no managed ENI: SPOOFED_SOURCE, dropped when the ENI's source check is on
 *     (the default; "source_check": false for ENIs that forward or NAT).
 * With the source check off, step 2's and step 6's reasons are counted with action PASS and the
 * packet continues (step 4's MALFORMED / EXT_HDR_CAP of an own source still drop). Redirected packets pass the owner's tc_egress again, and meet step 4 there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "consts.h"
#include "maps.bpf.h"
#include "ingress.h"
#include "egress.h"

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
	/* A pass is TC_ACT_UNSPEC, as XDP_PASS is for XDP: we run first (priority 1), and
	 * TC_ACT_OK would end classification there, so no later ingress filter would ever run. */
	return act == ENIADDR_ACT_DROP ? TC_ACT_SHOT : TC_ACT_UNSPEC;
}

SEC("tc")
int tc_egress(struct __sk_buff *skb)
{
	__u32 len = skb->len;
	__u32 want = egress_pull_len(skb->protocol);

	want = len < want ? len : want;
	/* As in tc_ingress: a failed pull leaves a short head, which the parser judges. */
	if ((void *)(long)skb->data + want > (void *)(long)skb->data_end)
		bpf_skb_pull_data(skb, want);
	barrier_var(skb);
	return egress_verdict((void *)(long)skb->data, (void *)(long)skb->data_end, skb->ifindex,
			      len);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
