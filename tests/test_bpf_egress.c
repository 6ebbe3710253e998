// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_bpf_egress.c — the egress decision of tc_egress (redirect to the source's owner,
 * the egress source check), run on crafted frames with BPF_PROG_TEST_RUN (root), and the next
 * hop the redirect picks, seen in the neighbour table of the ENI it redirects to.
 *
 * Setup: a private namespace with three veth pairs whose ifindexes play the interfaces (a test
 * run's __sk_buff.ifindex must exist in the caller's namespace). The maps are filled by hand,
 * slot 0 active:
 *
 *   ENI A (veth a0, enforce, check on)   10.1.1.10 primary, 10.1.1.11, 2001:db8:1::10,
 *                                        prefixes 10.1.16.0/28, 2001:db8:1:1::/80
 *                                        subnets 10.1.1.0/24 (router .1 from a route),
 *                                        2001:db8:1::/64 (router fe80::1, link-local, a route)
 *   ENI B (veth b0, enforce, check on)   10.1.2.10 primary, 10.1.2.11, 2001:db8:2::10
 *                                        subnet 10.1.2.0/24 only (router .1 only GUESSED):
 *                                        no IPv6 next-hop entry
 *   ENI C (veth b1, enforce, check OFF)  10.1.3.10
 *   ENI D (veth c0, AUDIT, check on)     10.1.4.10
 *   U     (veth a1)                      not configured
 *   slot 1 (inactive): ENI A with 10.1.9.9
 *
 * Every ENI's outbound policy (2) allows everything to 0.0.0.0/0 and ::/0, as the compiler
 * writes for a group without an egress list: packets with an owned source pass it as ALLOWED.
 * Outbound rules and connection tracking themselves are test_bpf_conntrack's.
 *
 * Each case names a frame, the interface it leaves by, the tc verdict, and the (reason, action)
 * counter on that interface that must move by exactly one packet and the frame's bytes while no
 * other counter moves.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "bpf_fixture.h"
#include "compile/compile.h"
#include "eniaddr.h"
#include "kernel/owner_maps.h"
#include "netns.h"
#include "pkt.h"

enum eni_id { ENI_A, ENI_B, ENI_C, ENI_D, ENI_U, ENI_COUNT };

#define UNSPEC   TC_ACT_UNSPEC
#define SHOT     TC_ACT_SHOT
#define REDIRECT TC_ACT_REDIRECT

#define PEER  "198.51.100.7"  /* off every subnet */
#define PEER6 "2001:db8:ffff::7"

static struct bpf_fixture fx;

/* ---------------------------------------------------------------- map setup */

static void put_eni(__u32 slot, enum eni_id eni, __u8 mode, __u32 flags)
{
	struct eniaddr_eni v = { .in_policy = 1, .out_policy = 2, .mode = mode, .flags = flags };

	fixture_put_eni(&fx, slot, fx.ifindex[eni], &v);
}

/* An exact address, or (with a "/n") a delegated prefix, owned by eni in slot. */
static void put_owner(__u32 slot, const char *text, enum eni_id eni)
{
	struct eniaddr_owner o = { .ifindex = (__u32)fx.ifindex[eni], .in_policy = 1,
				   .out_policy = 2 };

	fixture_put_owner(&fx, slot, text, &o);
}

/* Outbound policy 2: every protocol and port to 0.0.0.0/0 and ::/0 (rule bit 0). */
static void put_allow_all_out(void)
{
	fixture_put_src(&fx, 2, "0.0.0.0/0", RULE_BITS(0));
	fixture_put_src(&fx, 2, "::/0", RULE_BITS(0));
	fixture_put_l4(&fx, 2, -1, 0, 0, RULE_BITS(0));
}

/* The subnet of eni in one family and its router, as compile_nexthops writes them. */
static void put_subnet(__u32 slot, enum eni_id eni, const char *text, const char *router,
		       enum eniaddr_nh_origin origin)
{
	struct eniaddr_nexthop_key k = { .slot = slot, .ifindex = (__u32)fx.ifindex[eni] };
	struct eniaddr_nexthop v = { 0 };
	struct ip_prefix p;

	assert_int_equal(ip_prefix_parse(text, &p), 0);
	k.family = ip_prefix_is_v4(&p) ? ENIADDR_AF_INET : ENIADDR_AF_INET6;
	v.plen = p.plen;
	for (unsigned int bit = 0; bit < p.plen; bit++)
		v.mask[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	memcpy(v.subnet, p.addr, 16);
	assert_int_equal(ip_addr_parse(router, v.gateway), 0);
	v.origin = origin;
	assert_int_equal(bpf_map_update_elem(fx.maps.nexthop, &k, &v, 0), 0);
}

static void populate(void)
{
	fixture_put_state(&fx, 0);
	put_eni(0, ENI_A, ENIADDR_MODE_ENFORCE, ENIADDR_ENI_F_SRC_CHECK);
	put_eni(0, ENI_B, ENIADDR_MODE_ENFORCE, ENIADDR_ENI_F_SRC_CHECK);
	put_eni(0, ENI_C, ENIADDR_MODE_ENFORCE, 0);
	put_eni(0, ENI_D, ENIADDR_MODE_AUDIT, ENIADDR_ENI_F_SRC_CHECK);

	put_owner(0, "10.1.1.10", ENI_A);
	put_owner(0, "10.1.1.11", ENI_A);
	put_owner(0, "2001:db8:1::10", ENI_A);
	put_owner(0, "10.1.16.0/28", ENI_A);
	put_owner(0, "2001:db8:1:1::/80", ENI_A);
	put_owner(0, "10.1.2.10", ENI_B);
	put_owner(0, "10.1.2.11", ENI_B);
	put_owner(0, "2001:db8:2::10", ENI_B);
	put_owner(0, "10.1.3.10", ENI_C);
	put_owner(0, "10.1.4.10", ENI_D);
	put_subnet(0, ENI_A, "10.1.1.0/24", "10.1.1.1", ENIADDR_NH_ROUTE);
	put_subnet(0, ENI_A, "2001:db8:1::/64", "fe80::1", ENIADDR_NH_ROUTE);
	put_subnet(0, ENI_B, "10.1.2.0/24", "10.1.2.1", ENIADDR_NH_GUESS);
	put_allow_all_out();

	/* The inactive slot: must be invisible until a flip. */
	put_eni(1, ENI_A, ENIADDR_MODE_ENFORCE, ENIADDR_ENI_F_SRC_CHECK);
	put_owner(1, "10.1.9.9", ENI_A);
}

/* ---------------------------------------------------------------- running and counting */

struct egress_case {
	const char *name;
	struct pkt_spec pkt;
	enum eni_id eni;            /* the interface the packet leaves by */
	int verdict;                /* UNSPEC, SHOT or REDIRECT */
	enum eniaddr_reason reason; /* the counter that moves, direction egress */
	enum eniaddr_action action;
};

/* Runs one case; prints and returns false on a mismatch so a table reports every failure. */
static bool run_one(const struct egress_case *c, const struct pkt *p)
{
	int ifindex = fx.ifindex[c->eni];
	struct eniaddr_stat_key key = {
		.ifindex = (__u32)ifindex,
		.reason = (__u16)c->reason,
		.dir = ENIADDR_DIR_EGRESS,
		.action = (__u8)c->action,
	};
	struct fixture_snapshot before = fixture_snapshot(&fx, &key);
	struct fixture_moved moved;
	__u32 got = 12345;
	int err;

	err = fixture_run(fx.skel->progs.tc_egress, p, ifindex, &got);
	moved = fixture_moved(&fx, &before);
	if (err || (int)got != c->verdict || moved.packets != 1 || moved.bytes != p->len ||
	    moved.total != 1) {
		print_error("%s: test_run %d, verdict %d want %d; counter %s/%d moved %llu packets "
			    "%llu bytes (want 1, %zu); all counters moved %llu\n", c->name, err,
			    (int)got, c->verdict, fixture_reason_name(c->reason), c->action,
			    (unsigned long long)moved.packets, (unsigned long long)moved.bytes,
			    p->len, (unsigned long long)moved.total);
		return false;
	}
	return true;
}

static void run_table(const struct egress_case *cases, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		struct pkt p;

		if (pkt_build(&p, &cases[i].pkt)) {
			print_error("%s: the packet spec does not build\n", cases[i].name);
			failed++;
			continue;
		}
		if (!run_one(&cases[i], &p))
			failed++;
	}
	if (failed)
		fail_msg("%d of %zu cases failed", failed, n);
}

#define RUN_TABLE(t) run_table((t), sizeof(t) / sizeof((t)[0]))

/* Spec shorthands. */
#define TCP(dp)     .proto = IPPROTO_TCP, .sport = 8080, .dport = (dp)
#define UDP(sp, dp) .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp)
#define ICMP6(t)    .proto = IPPROTO_ICMPV6, .icmp_type = (t)
#define CUT(l, n)   .cut = { .layer = (l), .keep = (n), .on = true }
#define EXT(t, n)   { .type = (t), .len = (n) }

#define OK_PASS(r)  UNSPEC, ENIADDR_R_##r, ENIADDR_ACT_PASS
#define REDIR       REDIRECT, ENIADDR_R_REDIRECT, ENIADDR_ACT_REDIRECT
/* The same via a router the loader only guessed. */
#define REDIR_GUESS REDIRECT, ENIADDR_R_REDIRECT_GUESS, ENIADDR_ACT_REDIRECT

/* ---------------------------------------------------------------- cases */

/* The source is this ENI's: the packet continues untouched once its outbound rules allow it
 * (here they allow everything); requests to the link-local services are failsafes. */
static void test_own_source_continues(void **state)
{
	static const struct egress_case cases[] = {
		{ "primary v4", { .src = "10.1.1.10", .dst = PEER, TCP(40000) }, ENI_A,
		  OK_PASS(ALLOWED) },
		{ "secondary v4", { .src = "10.1.1.11", .dst = PEER, UDP(53, 40000) }, ENI_A,
		  OK_PASS(ALLOWED) },
		{ "v6", { .src = "2001:db8:1::10", .dst = PEER6, TCP(40000) }, ENI_A,
		  OK_PASS(ALLOWED) },
		{ "inside a delegated v4 prefix", { .src = "10.1.16.5", .dst = PEER, TCP(40000) },
		  ENI_A, OK_PASS(ALLOWED) },
		{ "inside a delegated v6 prefix", { .src = "2001:db8:1:1::5", .dst = PEER6,
		  TCP(40000) }, ENI_A, OK_PASS(ALLOWED) },
		{ "eni b's own", { .src = "10.1.2.11", .dst = PEER, TCP(40000) }, ENI_B,
		  OK_PASS(ALLOWED) },
		{ "own source, to a link-local destination", { .src = "10.1.1.10",
		  .dst = "169.254.169.254", TCP(80) }, ENI_A, OK_PASS(FAILSAFE_LINK_LOCAL) },
		{ "dhcp renewal to the subnet router", { .src = "10.1.1.10", .dst = "10.1.1.1",
		  UDP(68, 67) }, ENI_A, OK_PASS(FAILSAFE_DHCP) },
		{ "dhcp request to the broadcast", { .src = "10.1.1.10",
		  .dst = "255.255.255.255", UDP(68, 67) }, ENI_A, OK_PASS(FAILSAFE_DHCP) },
		{ "dhcp ports to any other host: the rules", { .src = "10.1.1.10", .dst = PEER,
		  UDP(68, 67) }, ENI_A, OK_PASS(ALLOWED) },
	};

	(void)state;
	RUN_TABLE(cases);
}

/* Another managed ENI owns the source: out of that ENI, counted on the one it tried to leave. */
static void test_other_eni_source_redirected(void **state)
{
	static const struct egress_case cases[] = {
		{ "b's primary leaving a (b's router guessed)", { .src = "10.1.2.10", .dst = PEER,
		  TCP(40000) }, ENI_A, REDIR_GUESS },
		{ "b's secondary leaving a", { .src = "10.1.2.11", .dst = PEER, TCP(40000) }, ENI_A,
		  REDIR_GUESS },
		{ "b's secondary, on b's subnet", { .src = "10.1.2.11", .dst = "10.1.2.50",
		  UDP(5353, 40000) }, ENI_A, REDIR },
		{ "b's v6 leaving a (b has no v6 subnet: kernel route)", { .src = "2001:db8:2::10",
		  .dst = PEER6, TCP(40000) }, ENI_A, REDIR },
		{ "a's primary leaving b", { .src = "10.1.1.10", .dst = PEER, TCP(40000) }, ENI_B,
		  REDIR },
		{ "a's v6 leaving b", { .src = "2001:db8:1::10", .dst = PEER6, TCP(40000) }, ENI_B,
		  REDIR },
		{ "a's v4 prefix leaving b", { .src = "10.1.16.5", .dst = PEER, TCP(40000) }, ENI_B,
		  REDIR },
		{ "a's v6 prefix leaving b", { .src = "2001:db8:1:1::5", .dst = PEER6, TCP(40000) },
		  ENI_B, REDIR },
		{ "a's address leaving c (check off)", { .src = "10.1.1.11", .dst = PEER,
		  TCP(40000) }, ENI_C, REDIR },
		{ "a's address leaving d (audit still redirects)", { .src = "10.1.1.11",
		  .dst = PEER, TCP(40000) }, ENI_D, REDIR },
		{ "icmpv6 echo reply from a's v6 leaving b", { .src = "2001:db8:1::10",
		  .dst = PEER6, ICMP6(129) }, ENI_B, REDIR },
		{ "non-first fragment follows its source", { .src = "10.1.2.11", .dst = PEER,
		  UDP(5353, 40000), .frag = { .on = true, .id = 7, .offset = 1480 } }, ENI_A,
		  REDIR_GUESS },
		{ "one vlan tag", { .vlan = { 0x8100 }, .src = "10.1.2.11", .dst = PEER,
		  TCP(40000) }, ENI_A, REDIR_GUESS },
	};

	(void)state;
	RUN_TABLE(cases);
}

/* Nested prefixes of two ENIs (the maps may hold them): the longest prefix holding the source
 * owns it, an exact address wins over both. */
static void test_nested_prefix_sources(void **state)
{
	static const struct egress_case cases[] = {
		{ "b's /28 inside a's /24, leaving b", { .src = "10.7.1.21", .dst = PEER,
		  TCP(40000) }, ENI_B, OK_PASS(ALLOWED) },
		{ "b's /28 inside a's /24, leaving a", { .src = "10.7.1.21", .dst = PEER,
		  TCP(40000) }, ENI_A, REDIR_GUESS },
		{ "a's exact address inside b's /28", { .src = "10.7.1.20", .dst = PEER,
		  TCP(40000) }, ENI_A, OK_PASS(ALLOWED) },
		{ "a's /24 outside b's /28, leaving a", { .src = "10.7.1.40", .dst = PEER,
		  TCP(40000) }, ENI_A, OK_PASS(ALLOWED) },
		{ "a's /24 outside b's /28, leaving b", { .src = "10.7.1.40", .dst = PEER,
		  TCP(40000) }, ENI_B, REDIR },
	};

	(void)state;
	put_owner(0, "10.7.1.0/24", ENI_A);
	put_owner(0, "10.7.1.16/28", ENI_B);
	put_owner(0, "10.7.1.20", ENI_A);
	RUN_TABLE(cases);
}

/* Link-scoped traffic stays on the link the kernel chose, whoever owns the source. */
static void test_link_scoped_not_redirected(void **state)
{
	static const struct egress_case cases[] = {
		{ "nd solicitation from b's global address", { .src = "2001:db8:2::10",
		  .dst = "ff02::1:ff00:1", ICMP6(135) }, ENI_A, OK_PASS(FAILSAFE_ND) },
		{ "nd advertisement from b's global address", { .src = "2001:db8:2::10",
		  .dst = "fe80::1", ICMP6(136) }, ENI_A, OK_PASS(FAILSAFE_ND) },
		{ "b's source to mdns 224.0.0.251", { .src = "10.1.2.11", .dst = "224.0.0.251",
		  UDP(5353, 5353) }, ENI_A, OK_PASS(FAILSAFE_LINK_LOCAL) },
		{ "b's source to 255.255.255.255", { .src = "10.1.2.11",
		  .dst = "255.255.255.255", UDP(5353, 5353) }, ENI_A, OK_PASS(FAILSAFE_LINK_LOCAL) },
		{ "b's source to imds", { .src = "10.1.2.11", .dst = "169.254.169.254", TCP(80) },
		  ENI_A, OK_PASS(FAILSAFE_LINK_LOCAL) },
		{ "a's v6 to ff02::fb", { .src = "2001:db8:1::10", .dst = "ff02::fb",
		  UDP(5353, 5353) }, ENI_B, OK_PASS(FAILSAFE_LINK_LOCAL) },
		{ "a's v6 to fe80::1", { .src = "2001:db8:1::10", .dst = "fe80::1", TCP(22) },
		  ENI_B, OK_PASS(FAILSAFE_LINK_LOCAL) },
	};

	(void)state;
	RUN_TABLE(cases);
}

/* No managed ENI owns the source: the source check drops it, unless it is link-local. */
static void test_source_check(void **state)
{
	static const struct egress_case cases[] = {
		{ "spoofed v4", { .src = "10.9.9.9", .dst = PEER, TCP(40000) }, ENI_A, SHOT,
		  ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_DROP },
		{ "spoofed v4 in a's subnet", { .src = "10.1.1.99", .dst = PEER, TCP(40000) },
		  ENI_A, SHOT, ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_DROP },
		{ "next to a's v4 prefix", { .src = "10.1.16.16", .dst = PEER, TCP(40000) }, ENI_A,
		  SHOT, ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_DROP },
		{ "spoofed v6", { .src = "2001:db8:1::99", .dst = PEER6, TCP(40000) }, ENI_A, SHOT,
		  ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_DROP },
		{ "v6 multicast source", { .src = "ff02::1", .dst = PEER6, UDP(1, 2) }, ENI_A,
		  SHOT, ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_DROP },
		{ "v4 multicast source", { .src = "224.0.0.1", .dst = PEER, UDP(1, 2) }, ENI_B,
		  SHOT, ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_DROP },
		{ "slot 1's address, slot 0 active", { .src = "10.1.9.9", .dst = PEER, TCP(40000) },
		  ENI_A, SHOT, ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_DROP },
		{ "dhcp discover from 0.0.0.0", { .src = "0.0.0.0", .dst = "255.255.255.255",
		  UDP(68, 67) }, ENI_A, OK_PASS(FAILSAFE_LINK_LOCAL) },
		{ "169.254.1.1", { .src = "169.254.1.1", .dst = "169.254.1.2", UDP(1, 2) }, ENI_A,
		  OK_PASS(FAILSAFE_LINK_LOCAL) },
		{ "169.254 source to anywhere", { .src = "169.254.1.1", .dst = PEER, TCP(1) },
		  ENI_A, OK_PASS(FAILSAFE_LINK_LOCAL) },
		{ "fe80::1", { .src = "fe80::1", .dst = "ff02::2", ICMP6(133) }, ENI_A,
		  OK_PASS(FAILSAFE_ND) },
		{ "fe80:: source, not nd", { .src = "fe80::1", .dst = "fe80::2", UDP(546, 547) },
		  ENI_A, OK_PASS(FAILSAFE_LINK_LOCAL) },
		{ "febf:: is link-local too", { .src = "febf::1", .dst = "fe80::2", UDP(1, 2) },
		  ENI_A, OK_PASS(FAILSAFE_LINK_LOCAL) },
		{ "fec0:: is not", { .src = "fec0::1", .dst = PEER6, UDP(1, 2) }, ENI_A, SHOT,
		  ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_DROP },
		{ ":: mld report", { .src = "::", .dst = "ff02::16", ICMP6(143) }, ENI_A,
		  OK_PASS(FAILSAFE_LINK_LOCAL) },
		{ ":: dad solicitation", { .src = "::", .dst = "ff02::1:ff00:10", ICMP6(135) },
		  ENI_A, OK_PASS(FAILSAFE_ND) },
		{ "check off: a forwarded packet meets c's outbound rules", { .src = "10.9.9.9",
		  .dst = PEER, TCP(40000) }, ENI_C, OK_PASS(ALLOWED) },
		{ "audit: spoofed passes as audit", { .src = "10.9.9.9", .dst = PEER, TCP(40000) },
		  ENI_D, UNSPEC, ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_AUDIT },
	};

	(void)state;
	RUN_TABLE(cases);
}

/* A source nobody owns skips the owner lookups (bpf/owner.h, owner_absent): an owner written
 * behind the hints' back goes unseen (spoofed), seen once its any-owner bit is set; the check-off
 * ENI still judges such a source as transit, the audit ENI still audits it. */
static void test_spoofed_without_lookups(void **state)
{
#define HIDDEN "10.1.5.5"
	static const struct egress_case unseen[] = {
		{ "an owner no hint names: spoofed, not looked up", { .src = HIDDEN, .dst = PEER,
		  TCP(40000) }, ENI_A, SHOT, ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_DROP },
		{ "check off: transit, its outbound rules", { .src = "10.9.9.9", .dst = PEER,
		  TCP(40000) }, ENI_C, OK_PASS(ALLOWED) },
		{ "audit: spoofed passes as audit", { .src = "10.9.9.9", .dst = PEER, TCP(40000) },
		  ENI_D, UNSPEC, ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_AUDIT },
		{ "own source still its own", { .src = "10.1.1.10", .dst = PEER, TCP(40000) },
		  ENI_A, OK_PASS(ALLOWED) },
		{ "a /28 host still its own", { .src = "10.1.16.3", .dst = PEER, TCP(40000) },
		  ENI_A, OK_PASS(ALLOWED) },
		{ "a /80 host still its own", { .src = "2001:db8:1:1::3", .dst = PEER6,
		  TCP(40000) }, ENI_A, OK_PASS(ALLOWED) },
	};
	static const struct egress_case seen[] = {
		{ "its any-owner bit set: looked up, its own", { .src = HIDDEN, .dst = PEER,
		  TCP(40000) }, ENI_A, OK_PASS(ALLOWED) },
	};
	struct compiled_addr a = { .k.slot = 0, .v = { .ifindex = (__u32)fx.ifindex[ENI_A],
						       .in_policy = 1, .out_policy = 2 } };

	(void)state;
	assert_true(fixture_owner_absent(&fx, 0, HIDDEN));
	assert_true(fixture_owner_absent(&fx, 0, "10.9.9.9"));
	assert_int_equal(ip_addr_parse(HIDDEN, a.k.addr), 0);
	assert_int_equal(owner_addr_put(&fx.maps, &a, 0), 0);
	RUN_TABLE(unseen);
	fixture_put_any_hint(&fx, 0, a.k.addr, true);
	RUN_TABLE(seen);
	fixture_put_any_hint(&fx, 0, a.k.addr, false);
	assert_int_equal(owner_addr_delete(&fx.maps, &a.k), 0);
#undef HIDDEN
}

static void test_not_ours_continues(void **state)
{
	static const struct egress_case cases[] = {
		{ "unconfigured device, spoofed source", { .src = "10.9.9.9", .dst = PEER,
		  TCP(40000) }, ENI_U, OK_PASS(UNCONFIGURED) },
		{ "unconfigured device, b's source", { .src = "10.1.2.11", .dst = PEER,
		  TCP(40000) }, ENI_U, OK_PASS(UNCONFIGURED) },
		{ "arp", { .ethertype = ETH_P_ARP }, ENI_A, OK_PASS(FAILSAFE_ARP) },
		{ "lldp", { .ethertype = 0x88cc, .payload = 32 }, ENI_A, OK_PASS(OTHER_L3) },
		{ "arp in a vlan", { .vlan = { 0x8100 }, .ethertype = ETH_P_ARP }, ENI_A,
		  OK_PASS(FAILSAFE_ARP) },
	};

	(void)state;
	RUN_TABLE(cases);
}

/*
 * Only the addresses matter here: a packet whose L4 header or extension chain is cut or too
 * long is still redirected or checked by its source. A packet whose source cannot be read at
 * all is the source check's: dropped with the check on, counted and passed with it off. (A test
 * run refuses frames whose IP header is cut, so bad version and header length stand in.)
 */
static void test_unreadable_headers(void **state)
{
	static const struct egress_case cases[] = {
		{ "tcp header cut, own source: no ports to judge by", { .src = "10.1.1.10",
		  .dst = PEER, TCP(40000), CUT(PKT_L_L4, 10) }, ENI_A, SHOT, ENIADDR_R_MALFORMED,
		  ENIADDR_ACT_DROP },
		{ "tcp header cut, b's source", { .src = "10.1.2.11", .dst = PEER, TCP(40000),
		  CUT(PKT_L_L4, 10) }, ENI_A, REDIR_GUESS },
		{ "tcp header cut, spoofed", { .src = "10.9.9.9", .dst = PEER, TCP(40000),
		  CUT(PKT_L_L4, 10) }, ENI_A, SHOT, ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_DROP },
		{ "nine extension headers, b's source", { .src = "2001:db8:2::10", .dst = PEER6,
		  UDP(1, 2), .n_ext = 9, .ext = { EXT(60, 8), EXT(60, 8), EXT(60, 8), EXT(60, 8),
		  EXT(60, 8), EXT(60, 8), EXT(60, 8), EXT(60, 8), EXT(60, 8) } }, ENI_A, REDIR },
		{ "nine extension headers, own source", { .src = "2001:db8:1::10", .dst = PEER6,
		  UDP(1, 2), .n_ext = 9, .ext = { EXT(60, 8), EXT(60, 8), EXT(60, 8), EXT(60, 8),
		  EXT(60, 8), EXT(60, 8), EXT(60, 8), EXT(60, 8), EXT(60, 8) } }, ENI_A, SHOT,
		  ENIADDR_R_EXT_HDR_CAP, ENIADDR_ACT_DROP },
		{ "ip version 5", { .src = "10.1.1.10", .dst = PEER, TCP(40000), .ip_version = 5 },
		  ENI_A, SHOT, ENIADDR_R_MALFORMED, ENIADDR_ACT_DROP },
		{ "ihl 4", { .src = "10.1.1.10", .dst = PEER, TCP(40000), .ip4_ihl = 4 }, ENI_A,
		  SHOT, ENIADDR_R_MALFORMED, ENIADDR_ACT_DROP },
		{ "v4-mapped v6 source", { .src = "::ffff:10.1.1.10", .dst = PEER6, TCP(40000) },
		  ENI_A, SHOT, ENIADDR_R_MALFORMED, ENIADDR_ACT_DROP },
		{ "three vlan tags", { .vlan = { 0x88a8, 0x8100, 0x8100 }, .src = "10.1.1.10",
		  .dst = PEER, TCP(40000) }, ENI_A, SHOT, ENIADDR_R_VLAN_CAP, ENIADDR_ACT_DROP },
		{ "check off: ip version 5 passes, counted", { .src = "10.1.3.10", .dst = PEER,
		  TCP(40000), .ip_version = 5 }, ENI_C, UNSPEC, ENIADDR_R_MALFORMED,
		  ENIADDR_ACT_PASS },
		{ "check off: three vlan tags pass, counted", { .vlan = { 0x88a8, 0x8100, 0x8100 },
		  .src = "10.1.3.10", .dst = PEER, TCP(40000) }, ENI_C, UNSPEC, ENIADDR_R_VLAN_CAP,
		  ENIADDR_ACT_PASS },
		/* The source is read and c's own: the outbound rules cannot judge it by port,
		 * whatever the source check says. */
		{ "check off: tcp header cut, own source still dropped", { .src = "10.1.3.10",
		  .dst = PEER, TCP(40000), CUT(PKT_L_L4, 10) }, ENI_C, SHOT, ENIADDR_R_MALFORMED,
		  ENIADDR_ACT_DROP },
		{ "check off: nine extension headers, forwarded: cannot be judged by port",
		  { .src = "2001:db8:3::99", .dst = PEER6, UDP(1, 2), .n_ext = 9, .ext = {
		  EXT(60, 8), EXT(60, 8), EXT(60, 8), EXT(60, 8), EXT(60, 8), EXT(60, 8),
		  EXT(60, 8), EXT(60, 8), EXT(60, 8) } }, ENI_C, SHOT, ENIADDR_R_EXT_HDR_CAP,
		  ENIADDR_ACT_DROP },
	};

	(void)state;
	RUN_TABLE(cases);
}

static void test_active_slot(void **state)
{
	static const struct egress_case in_slot1[] = {
		{ "slot 1: its address is a's now", { .src = "10.1.9.9", .dst = PEER, TCP(1) },
		  ENI_A, OK_PASS(ALLOWED) },
		{ "slot 1: slot 0's address is spoofed", { .src = "10.1.1.10", .dst = PEER,
		  TCP(1) }, ENI_A, SHOT, ENIADDR_R_SPOOFED_SOURCE, ENIADDR_ACT_DROP },
		{ "slot 1: b is not configured there", { .src = "10.1.9.9", .dst = PEER, TCP(1) },
		  ENI_B, OK_PASS(UNCONFIGURED) },
	};

	(void)state;
	fixture_put_state(&fx, 1);
	RUN_TABLE(in_slot1);
	fixture_put_state(&fx, 0);
}

static int slot0_active(void **state)
{
	(void)state;
	fixture_put_state(&fx, 0);
	return 0;
}

/* ---------------------------------------------------------------- the next hop, for real */

/*
 * tc_egress attached to a0 and b0 of the private namespace; frames are sent out of one with an
 * AF_PACKET socket (which passes the egress hook) and redirected to the other. The redirect
 * resolves its next hop there: the neighbour entry it creates (nobody answers) names it.
 */
struct nh_case {
	const char *name;
	const char *src, *dst;
	enum eni_id out;      /* the device the frame is sent by */
	enum eni_id owner;    /* where it must be redirected */
	const char *next_hop; /* the neighbour entry that must appear on owner */
	enum eniaddr_reason reason; /* counted on out: REDIRECT, or REDIRECT_GUESS */
};

static const struct nh_case nh_cases[] = {
	{ "v4, destination on the owner's subnet", "10.1.2.11", "10.1.2.77", ENI_A, ENI_B,
	  "10.1.2.77", ENIADDR_R_REDIRECT },
	{ "v4, destination off the subnet: its guessed router", "10.1.2.11", PEER, ENI_A, ENI_B,
	  "10.1.2.1", ENIADDR_R_REDIRECT_GUESS },
	{ "v4, off the subnet: the learned router", "10.1.1.10", PEER, ENI_B, ENI_A, "10.1.1.1",
	  ENIADDR_R_REDIRECT },
	{ "v6, destination on the owner's subnet", "2001:db8:1::10", "2001:db8:1::77", ENI_B,
	  ENI_A, "2001:db8:1::77", ENIADDR_R_REDIRECT },
	/* bpf_redirect_neigh resolves a link-local gateway on the device it sends to. */
	{ "v6, off the subnet: the link-local router, on the owner", "2001:db8:1::10", PEER6,
	  ENI_B, ENI_A, "fe80::1", ENIADDR_R_REDIRECT },
	{ "v6 without a subnet: the owner's connected route", "2001:db8:2::10", "2001:db8:2::99",
	  ENI_A, ENI_B, "2001:db8:2::99", ENIADDR_R_REDIRECT },
};

static int send_frame(int ifindex, const struct pkt *p)
{
	struct sockaddr_ll to = {
		.sll_family = AF_PACKET,
		.sll_ifindex = ifindex,
		.sll_halen = 6,
	};
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0)
		return -errno;
	memcpy(to.sll_addr, p->data, 6);
	n = sendto(fd, p->data, p->len, 0, (struct sockaddr *)&to, sizeof(to));
	close(fd);
	return n == (ssize_t)p->len ? 0 : -EIO;
}

static bool has_neighbour(enum eni_id eni, const char *addr)
{
	char dev[IF_NAMESIZE];

	if (!if_indextoname((unsigned int)fx.ifindex[eni], dev))
		return false;
	return netns_exec(&fx.ns, "ip neigh show dev %s | grep -q '^%s '", dev, addr) == 0;
}

static void test_next_hop_choice(void **state)
{
	LIBBPF_OPTS(bpf_tc_hook, hook_a, .ifindex = fx.ifindex[ENI_A],
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_hook, hook_b, .ifindex = fx.ifindex[ENI_B],
		    .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = bpf_program__fd(fx.skel->progs.tc_egress));
	int failed = 0;

	(void)state;
	/* b0 gets b's v6 address: its connected route is what the kernel's lookup finds. */
	assert_int_equal(netns_exec(&fx.ns, "ip addr add 2001:db8:2::10/64 dev b0 nodad"), 0);
	assert_int_equal(bpf_tc_hook_create(&hook_a), 0);
	assert_int_equal(bpf_tc_hook_create(&hook_b), 0);
	assert_int_equal(bpf_tc_attach(&hook_a, &opts), 0);
	opts.prog_id = 0;
	opts.handle = 0;
	opts.priority = 0;
	assert_int_equal(bpf_tc_attach(&hook_b, &opts), 0);

	for (size_t i = 0; i < sizeof(nh_cases) / sizeof(nh_cases[0]); i++) {
		const struct nh_case *c = &nh_cases[i];
		struct pkt_spec spec = { .src = c->src, .dst = c->dst, UDP(5353, 40000) };
		struct eniaddr_stat_key key = {
			.ifindex = (__u32)fx.ifindex[c->out],
			.reason = (__u16)c->reason,
			.dir = ENIADDR_DIR_EGRESS,
			.action = ENIADDR_ACT_REDIRECT,
		};
		struct fixture_count before = fixture_stat(&fx, &key);
		struct pkt p;
		bool seen = false;

		netns_exec(&fx.ns, "ip neigh flush dev a0; ip neigh flush dev b0");
		assert_int_equal(pkt_build(&p, &spec), 0);
		assert_int_equal(send_frame(fx.ifindex[c->out], &p), 0);
		for (int tries = 0; tries < 50 && !seen; tries++) {
			seen = has_neighbour(c->owner, c->next_hop);
			if (!seen)
				usleep(20000);
		}
		if (!seen || fixture_stat(&fx, &key).packets - before.packets != 1) {
			print_error("%s: next hop %s %s on the owner; redirects counted %llu\n",
				    c->name, c->next_hop, seen ? "seen" : "NOT seen",
				    (unsigned long long)(fixture_stat(&fx, &key).packets - before.packets));
			failed++;
		}
	}
	hook_a.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	hook_b.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook_a);
	bpf_tc_hook_destroy(&hook_b);
	if (failed)
		fail_msg("%d next-hop cases failed", failed);
}

/* ---------------------------------------------------------------- setup */

static int group_setup(void **state)
{
	static const char *const devs[ENI_COUNT] = {
		[ENI_A] = "a0", [ENI_U] = "a1", [ENI_B] = "b0", [ENI_C] = "b1", [ENI_D] = "c0",
	};

	*state = &fx;
	if (fixture_setup(&fx, "bpfeg", devs, ENI_COUNT, 0))
		return -1;
	populate();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_source_continues),
		cmocka_unit_test(test_other_eni_source_redirected),
		cmocka_unit_test(test_link_scoped_not_redirected),
		cmocka_unit_test(test_source_check),
		cmocka_unit_test(test_spoofed_without_lookups),
		cmocka_unit_test(test_not_ours_continues),
		cmocka_unit_test(test_unreadable_headers),
		cmocka_unit_test_teardown(test_active_slot, slot0_active),
		cmocka_unit_test(test_next_hop_choice),
		cmocka_unit_test(test_nested_prefix_sources),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_bpf_egress: needs root (BPF_PROG_TEST_RUN)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, fixture_group_teardown);
}
