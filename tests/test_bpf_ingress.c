// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_bpf_ingress.c — the ingress decision of xdp_ingress and tc_ingress, run on crafted
 * frames with BPF_PROG_TEST_RUN (root). Nothing is attached and nothing is pinned.
 *
 * Setup: a private namespace with two veth pairs whose four ifindexes play the interfaces
 * (XDP test runs need an ingress ifindex that exists in the caller's namespace). The maps are
 * filled by hand, slot 0 active:
 *
 *   ENI A (veth a0, enforce, policy POL_A)   10.1.1.10 primary, 10.1.1.11, 2001:db8:1::10,
 *                                            10.1.1.12 with its own group POL_OVR,
 *                                            prefixes 10.1.16.0/28 and 2001:db8:1:1::/80
 *   ENI B (veth b0, enforce, policy POL_B)   10.1.2.10, 2001:db8:2::10
 *   ENI C (veth b1, AUDIT,   policy POL_B)   10.1.3.10
 *   U     (veth a1)                          not configured
 *   slot 1 (inactive): ENI A with 10.1.9.9
 *   ENI A's IPv4 subnet 10.1.0.0/16, router 10.1.0.1 (eniaddr_nexthop, for the DHCP failsafe)
 *
 *   POL_A   bit 0    tcp 80-443        from 10.0.0.0/8
 *           bit 1    udp 53            from 2001:db8::/32
 *           bit 2    icmp type 8, any code  from 0.0.0.0/0
 *           bit 3    udp 0-1           from 10.0.0.0/8
 *           bit 700  tcp 8080          from 10.0.0.0/8   (a high word of the bitmap)
 *           bit 1023 udp 65535         from 10.0.0.0/8   (the last bit)
 *   POL_OVR bit 0    tcp 22            from 10.0.0.0/8
 *   POL_B   bit 0    tcp 22            from 0.0.0.0/0 and ::/0
 *           bit 1    all protocols     from 10.2.0.0/16 and 2001:db8:2000::/36
 *
 * Each case names a frame, the interface, the XDP verdict, and the (reason, action) counter that
 * must move by exactly one packet and the frame's bytes while no other counter moves. Cases
 * marked tc run through tc_ingress too.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <netinet/in.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "addr.h"
#include "bpf_fixture.h"
#include "compile/compile.h"
#include "eniaddr.h"
#include "kernel/owner_maps.h"
#include "pkt.h"

enum eni_id { ENI_A, ENI_B, ENI_C, ENI_U, ENI_COUNT };

#define POL_A   1u
#define POL_OVR 2u
#define POL_B   3u
#define POL_SPAN 4u /* test_rule_spans */

#define SRC_IN   "10.9.9.9"      /* inside 10.0.0.0/8 */
#define SRC_OUT  "192.0.2.1"     /* outside every v4 peer prefix but 0.0.0.0/0 */
#define SRC6_IN  "2001:db8:ff::1"
#define SRC6_OUT "2001:db9::1"

static struct bpf_fixture fx;

/* ---------------------------------------------------------------- map setup */

static void put_eni(__u32 slot, enum eni_id eni, __u32 policy, __u8 mode)
{
	struct eniaddr_eni v = { .in_policy = policy, .mode = mode,
				 .flags = ENIADDR_ENI_F_SRC_CHECK };

	fixture_put_eni(&fx, slot, fx.ifindex[eni], &v);
}

/* An exact address, or (with a "/n") a delegated prefix, owned by eni in slot. */
static void put_owner(__u32 slot, const char *text, enum eni_id eni, __u32 policy, __u32 flags)
{
	struct eniaddr_owner o = { .ifindex = (__u32)fx.ifindex[eni], .in_policy = policy,
				   .flags = flags };

	fixture_put_owner(&fx, slot, text, &o);
}

/* An inclusive port range as the fewest aligned power-of-two blocks. */
static void put_l4_range(__u32 policy, int proto, __u32 lo, __u32 hi,
			 struct eniaddr_rule_bits bits)
{
	while (lo <= hi) {
		int k = 0;

		while (k < 16 && (lo & ((2u << k) - 1)) == 0 && lo + (2u << k) - 1 <= hi)
			k++;
		fixture_put_l4(&fx, policy, proto, lo, 16 - k, bits);
		lo += 1u << k;
	}
}

static void populate(void)
{
	fixture_put_state(&fx, 0);
	put_eni(0, ENI_A, POL_A, ENIADDR_MODE_ENFORCE);
	put_eni(0, ENI_B, POL_B, ENIADDR_MODE_ENFORCE);
	put_eni(0, ENI_C, POL_B, ENIADDR_MODE_AUDIT);
	fixture_put_subnet4(&fx, 0, fx.ifindex[ENI_A], "10.1.0.0/16"); /* router 10.1.0.1 */

	put_owner(0, "10.1.1.10", ENI_A, POL_A, ENIADDR_ADDR_F_PRIMARY);
	put_owner(0, "10.1.1.11", ENI_A, POL_A, 0);
	put_owner(0, "10.1.1.12", ENI_A, POL_OVR, ENIADDR_ADDR_F_OVERRIDE);
	put_owner(0, "2001:db8:1::10", ENI_A, POL_A, 0);
	put_owner(0, "10.1.16.0/28", ENI_A, POL_A, 0);
	put_owner(0, "2001:db8:1:1::/80", ENI_A, POL_A, 0);
	put_owner(0, "10.1.2.10", ENI_B, POL_B, ENIADDR_ADDR_F_PRIMARY);
	put_owner(0, "2001:db8:2::10", ENI_B, POL_B, 0);
	put_owner(0, "10.1.3.10", ENI_C, POL_B, ENIADDR_ADDR_F_PRIMARY);

	/* The inactive slot: must be invisible until a flip. */
	put_eni(1, ENI_A, POL_A, ENIADDR_MODE_ENFORCE);
	put_owner(1, "10.1.9.9", ENI_A, POL_A, 0);

	/* A source prefix holds the union of every covering prefix's bits, as the compiler
	 * writes it. */
	fixture_put_src(&fx, POL_A, "0.0.0.0/0", RULE_BITS(2));
	fixture_put_src(&fx, POL_A, "10.0.0.0/8", RULE_BITS(0, 2, 3, 700, 1023));
	fixture_put_src(&fx, POL_A, "2001:db8::/32", RULE_BITS(1));
	put_l4_range(POL_A, IPPROTO_TCP, 80, 443, RULE_BITS(0));
	fixture_put_l4(&fx, POL_A, IPPROTO_UDP, 53, 16, RULE_BITS(1));
	fixture_put_l4(&fx, POL_A, IPPROTO_ICMP, 8 << 8, 8, RULE_BITS(2));
	put_l4_range(POL_A, IPPROTO_UDP, 0, 1, RULE_BITS(3));
	fixture_put_l4(&fx, POL_A, IPPROTO_TCP, 8080, 16, RULE_BITS(700));
	fixture_put_l4(&fx, POL_A, IPPROTO_UDP, 65535, 16, RULE_BITS(1023));

	fixture_put_src(&fx, POL_OVR, "10.0.0.0/8", RULE_BITS(0));
	fixture_put_l4(&fx, POL_OVR, IPPROTO_TCP, 22, 16, RULE_BITS(0));

	fixture_put_src(&fx, POL_B, "0.0.0.0/0", RULE_BITS(0));
	fixture_put_src(&fx, POL_B, "::/0", RULE_BITS(0));
	fixture_put_src(&fx, POL_B, "10.2.0.0/16", RULE_BITS(0, 1));
	fixture_put_src(&fx, POL_B, "2001:db8:2000::/36", RULE_BITS(0, 1));
	fixture_put_l4(&fx, POL_B, -1, 0, 0, RULE_BITS(1));
	fixture_put_l4(&fx, POL_B, IPPROTO_TCP, 22, 16, RULE_BITS(0, 1));
}

/* ---------------------------------------------------------------- running and counting */

#define PASS XDP_PASS
#define DROP XDP_DROP

/* XDP and tc test runs refuse frames under 14 bytes (even behind metadata), and tc test runs
 * refuse IPv4/IPv6 frames whose IP header is cut: those cases run through XDP only. */
struct ingress_case {
	const char *name;
	struct pkt_spec pkt;
	enum eni_id eni;
	__u32 xdp;                  /* XDP_PASS or XDP_DROP; tc expects TC_ACT_UNSPEC / TC_ACT_SHOT */
	enum eniaddr_reason reason; /* the counter that moves */
	enum eniaddr_action action;
	bool tc;                    /* also through tc_ingress */
};

/* Runs one program on one case and checks verdict and counters; prints and returns false on a
 * mismatch so that a table reports every failing case. */
static bool run_one(const struct ingress_case *c, const struct pkt *p, bool tc)
{
	int ifindex = fx.ifindex[c->eni];
	struct eniaddr_stat_key key = {
		.ifindex = (__u32)ifindex,
		.reason = (__u16)c->reason,
		.dir = ENIADDR_DIR_INGRESS,
		.action = (__u8)c->action,
	};
	__u32 want = tc ? (c->xdp == XDP_PASS ? (__u32)TC_ACT_UNSPEC : TC_ACT_SHOT) : c->xdp;
	struct fixture_snapshot before = fixture_snapshot(&fx, &key);
	struct fixture_moved moved;
	__u32 got = ~0u;
	int err;

	err = fixture_run(tc ? fx.skel->progs.tc_ingress : fx.skel->progs.xdp_ingress, p, ifindex,
			  &got);
	moved = fixture_moved(&fx, &before);
	if (err || got != want || moved.packets != 1 || moved.bytes != p->len || moved.total != 1) {
		print_error("%s [%s]: test_run %d, verdict %u want %u; counter %s/%d moved %llu "
			    "packets %llu bytes (want 1, %zu); all counters moved %llu\n",
			    c->name, tc ? "tc" : "xdp", err, got, want,
			    fixture_reason_name(c->reason), c->action,
			    (unsigned long long)moved.packets, (unsigned long long)moved.bytes,
			    p->len, (unsigned long long)moved.total);
		return false;
	}
	return true;
}

static void run_table(const struct ingress_case *cases, size_t n)
{
	int failed = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct ingress_case *c = &cases[i];
		struct pkt p;

		if (pkt_build(&p, &c->pkt)) {
			print_error("%s: the packet spec does not build\n", c->name);
			failed++;
			continue;
		}
		if (!run_one(c, &p, false))
			failed++;
		if (c->tc && !run_one(c, &p, true))
			failed++;
	}
	if (failed)
		fail_msg("%d of %zu cases failed", failed, n);
}

#define RUN_TABLE(t) run_table((t), sizeof(t) / sizeof((t)[0]))

/* Spec shorthands. */
#define TCP(dp)       .proto = IPPROTO_TCP, .sport = 40000, .dport = (dp)
#define UDP(sp, dp)   .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp)
#define ICMP(t, c)    .proto = IPPROTO_ICMP, .icmp_type = (t), .icmp_code = (c)
#define ICMP6(t, c)   .proto = IPPROTO_ICMPV6, .icmp_type = (t), .icmp_code = (c)
#define CUT(l, n)     .cut = { .layer = (l), .keep = (n), .on = true }
#define EXT(t, n)     { .type = (t), .len = (n) }
#define FRAG(i, off, m) .frag = { .on = true, .id = (i), .offset = (off), .more = (m) }

/* ---------------------------------------------------------------- cases */

/* Failsafes are endpoints and conversations (bpf/failsafe.h): ND with hop limit 255, MLD from
 * a link-local sender, DHCP from ENI A's router (10.1.0.1, its subnet 10.1.0.0/16). The link-local
 * services' answers pass only as replies of a tracked request (test_bpf_conntrack.c): here,
 * unsolicited, they meet the rules like any packet. PMTU errors about no flow too. */
static void test_failsafes(void **state)
{
	static const struct ingress_case cases[] = {
		{ "arp request", { .ethertype = ETH_P_ARP }, ENI_A, PASS,
		  ENIADDR_R_FAILSAFE_ARP, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "nd router solicitation (133), hop limit 255", { .src = "fe80::1",
		  .dst = "ff02::2", ICMP6(133, 0), .ttl = 255 }, ENI_A, PASS, ENIADDR_R_FAILSAFE_ND,
		  .action = ENIADDR_ACT_PASS, .tc = true },
		{ "nd neighbor solicitation (135), hop limit 255", { .src = "fe80::1",
		  .dst = "ff02::1:ff00:10", ICMP6(135, 0), .ttl = 255 }, ENI_A, PASS,
		  ENIADDR_R_FAILSAFE_ND, .action = ENIADDR_ACT_PASS },
		{ "nd redirect (137), hop limit 255", { .src = "fe80::1", .dst = "2001:db8:1::10",
		  ICMP6(137, 0), .ttl = 255 }, ENI_A, PASS, ENIADDR_R_FAILSAFE_ND,
		  .action = ENIADDR_ACT_PASS },
		{ "nd with hop limit 64 was forwarded: not a failsafe", { .src = "fe80::1",
		  .dst = "ff02::1:ff00:10", ICMP6(135, 0) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED,
		  .action = ENIADDR_ACT_DROP, .tc = true },
		{ "nd advert (136), hop limit 254, to an owned address: the rules", {
		  .src = SRC6_OUT, .dst = "2001:db8:1::10", ICMP6(136, 0), .ttl = 254 }, ENI_A,
		  DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "mld query (130) from link-local, hop limit 1", { .src = "fe80::1",
		  .dst = "ff02::1", ICMP6(130, 0), .ttl = 1 }, ENI_A, PASS, ENIADDR_R_FAILSAFE_ND,
		  .action = ENIADDR_ACT_PASS },
		{ "mldv2 report (143) from ::, hop limit 1", { .src = "::", .dst = "ff02::16",
		  ICMP6(143, 0), .ttl = 1 }, ENI_A, PASS, ENIADDR_R_FAILSAFE_ND,
		  .action = ENIADDR_ACT_PASS },
		{ "mld query with hop limit 64 is not", { .src = "fe80::1", .dst = "ff02::1",
		  ICMP6(130, 0) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
		{ "mld from a global source is not", { .src = SRC6_IN, .dst = "ff02::1",
		  ICMP6(130, 0), .ttl = 1 }, ENI_A, DROP, ENIADDR_R_NOT_OWNED,
		  .action = ENIADDR_ACT_DROP },
		{ "icmpv6 138 is neither", { .src = "fe80::1", .dst = "ff02::1", ICMP6(138, 0),
		  .ttl = 255 }, ENI_A, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
		{ "dhcpv4 from the subnet router to the broadcast", { .src = "10.1.0.1",
		  .dst = "255.255.255.255", UDP(67, 68) }, ENI_A, PASS, ENIADDR_R_FAILSAFE_DHCP,
		  .action = ENIADDR_ACT_PASS, .tc = true },
		{ "dhcpv4 from the subnet router to an owned address", { .src = "10.1.0.1",
		  .dst = "10.1.1.10", UDP(67, 68) }, ENI_A, PASS, ENIADDR_R_FAILSAFE_DHCP,
		  .action = ENIADDR_ACT_PASS },
		{ "dhcpv4 port 67 -> 68 from any other host to an owned address", { .src = SRC_OUT,
		  .dst = "10.1.1.10", UDP(67, 68) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP, .tc = true },
		{ "dhcpv4 from a subnet neighbour to the broadcast", { .src = "10.1.0.7",
		  .dst = "255.255.255.255", UDP(67, 68) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED,
		  .action = ENIADDR_ACT_DROP },
		{ "dhcpv4 from the router to an address no eni owns", { .src = "10.1.0.1",
		  .dst = "10.1.1.99", UDP(67, 68) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED,
		  .action = ENIADDR_ACT_DROP },
		{ "dhcpv4 from a's router arriving on b (another subnet)", { .src = "10.1.0.1",
		  .dst = "255.255.255.255", UDP(67, 68) }, ENI_B, DROP, ENIADDR_R_NOT_OWNED,
		  .action = ENIADDR_ACT_DROP },
		{ "dhcpv4 client to server is not", { .src = "10.1.0.1",
		  .dst = "255.255.255.255", UDP(68, 67) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED,
		  .action = ENIADDR_ACT_DROP },
		{ "dhcpv4 ports over ipv6 are not", { .src = "fe80::1", .dst = "fe80::2",
		  UDP(67, 68) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
		{ "dhcpv6 from a link-local server", { .src = "fe80::1", .dst = "fe80::2",
		  UDP(547, 546) }, ENI_A, PASS, ENIADDR_R_FAILSAFE_DHCP, .action = ENIADDR_ACT_PASS },
		{ "dhcpv6 ports from a global source to an owned address", { .src = SRC6_IN,
		  .dst = "2001:db8:1::10", UDP(547, 546) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
		{ "dhcpv6 client to server is not", { .src = "fe80::1", .dst = "fe80::2",
		  UDP(546, 547) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
		{ "syn from 169.254.169.254:80 to :22, unsolicited", { .src = "169.254.169.254",
		  .dst = "10.1.1.10", .proto = IPPROTO_TCP, .sport = 80, .dport = 22 }, ENI_A, DROP,
		  ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "syn from 169.254.169.254, any port, to :22", { .src = "169.254.169.254",
		  .dst = "10.1.1.10", TCP(22) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
		{ "syn from 169.254.169.254 to an address no eni owns", {
		  .src = "169.254.169.254", .dst = "10.1.1.99", TCP(22) }, ENI_A, DROP,
		  ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
		{ "udp from 169.254.169.253:9999 to :22", { .src = "169.254.169.253",
		  .dst = "10.1.1.10", UDP(9999, 22) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
		{ "dns answer from 169.254.169.253 nobody asked for", { .src = "169.254.169.253",
		  .dst = "10.1.1.10", UDP(53, 40000) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
		{ "time sync answer nobody asked for", { .src = "169.254.169.123",
		  .dst = "10.1.1.10", UDP(123, 40000) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
		{ "imds fd00:ec2::254 answer nobody asked for", { .src = "fd00:ec2::254",
		  .dst = "2001:db8:1::10", .proto = IPPROTO_TCP, .sport = 80, .dport = 40000 },
		  ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "dns fd00:ec2::253 answer nobody asked for", { .src = "fd00:ec2::253",
		  .dst = "2001:db8:1::10", UDP(53, 40000) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
		{ "ipv6 from ::ffff:169.254.169.254 is malformed", {
		  .src = "::ffff:169.254.169.254", .dst = "2001:db8:1::10", UDP(123, 40000) },
		  ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "frag needed (icmp 3/4) about no flow", { .src = SRC_OUT, .dst = "10.1.1.10",
		  ICMP(3, 4) }, ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP,
		  .tc = true },
		{ "packet too big (icmpv6 2) about no flow", { .src = SRC6_OUT,
		  .dst = "2001:db8:1::10", ICMP6(2, 0) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
	};

	(void)state;
	RUN_TABLE(cases);
}

static void test_ownership(void **state)
{
	static const struct ingress_case cases[] = {
		{ "v4 primary", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80) }, ENI_A, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v4 secondary", { .src = SRC_IN, .dst = "10.1.1.11", TCP(80) }, ENI_A, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v4 not owned", { .src = SRC_IN, .dst = "10.1.1.99", TCP(80) }, ENI_A, DROP,
		  ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "v4 of eni b arriving on a", { .src = SRC_IN, .dst = "10.1.2.10", TCP(22) },
		  ENI_A, DROP, ENIADDR_R_WRONG_ENI, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "v4 of eni a arriving on b", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80) },
		  ENI_B, DROP, ENIADDR_R_WRONG_ENI, .action = ENIADDR_ACT_DROP },
		{ "v4 of eni b on b", { .src = SRC_IN, .dst = "10.1.2.10", TCP(22) }, ENI_B, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v6 owned", { .src = SRC6_IN, .dst = "2001:db8:1::10", UDP(40000, 53) }, ENI_A,
		  PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v6 not owned", { .src = SRC6_IN, .dst = "2001:db8:1::11", UDP(40000, 53) },
		  ENI_A, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
		{ "v6 of eni b arriving on a", { .src = SRC6_IN, .dst = "2001:db8:2::10",
		  TCP(22) }, ENI_A, DROP, ENIADDR_R_WRONG_ENI, .action = ENIADDR_ACT_DROP },
		{ "v6 of eni b on b", { .src = SRC6_OUT, .dst = "2001:db8:2::10", TCP(22) },
		  ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v4 prefix, first address", { .src = SRC_IN, .dst = "10.1.16.0", TCP(80) },
		  ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v4 prefix, last address", { .src = SRC_IN, .dst = "10.1.16.15", TCP(80) },
		  ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v4 prefix, one past", { .src = SRC_IN, .dst = "10.1.16.16", TCP(80) }, ENI_A,
		  DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
		{ "v4 prefix arriving on b", { .src = SRC_IN, .dst = "10.1.16.5", TCP(80) }, ENI_B,
		  DROP, ENIADDR_R_WRONG_ENI, .action = ENIADDR_ACT_DROP },
		{ "v6 prefix", { .src = SRC6_IN, .dst = "2001:db8:1:1::5", UDP(40000, 53) }, ENI_A,
		  PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v6 prefix, last address", { .src = SRC6_IN,
		  .dst = "2001:db8:1:1:0:ffff:ffff:ffff", UDP(40000, 53) }, ENI_A, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v6 prefix, one past", { .src = SRC6_IN, .dst = "2001:db8:1:1:1::",
		  UDP(40000, 53) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
		{ "v6 prefix arriving on b", { .src = SRC6_IN, .dst = "2001:db8:1:1::5",
		  UDP(40000, 53) }, ENI_B, DROP, ENIADDR_R_WRONG_ENI, .action = ENIADDR_ACT_DROP },
		{ "ipv6 to the v4-mapped form of an owned v4 is malformed",
		  { .src = SRC6_OUT, .dst = "::ffff:10.1.2.10", TCP(22) }, ENI_B, DROP,
		  ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "address of the inactive slot", { .src = SRC_IN, .dst = "10.1.9.9", TCP(80) },
		  ENI_A, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
	};

	(void)state;
	RUN_TABLE(cases);
}

/* An owner written into eniaddr_addrs4 / eniaddr_addrs behind the publisher's back: no hint
 * bit says it exists, so only a packet that looks it up finds it. */
static void put_owner_unhinted(__u32 slot, const char *ip, enum eni_id eni, __u32 policy)
{
	struct compiled_addr a = { .k.slot = slot,
				   .v = { .ifindex = (__u32)fx.ifindex[eni], .in_policy = policy } };

	assert_int_equal(ip_addr_parse(ip, a.k.addr), 0);
	assert_int_equal(owner_addr_put(&fx.maps, &a, 0), 0);
}

static void del_owner_unhinted(__u32 slot, const char *ip)
{
	struct eniaddr_addr_key k = { .slot = slot };

	assert_int_equal(ip_addr_parse(ip, k.addr), 0);
	assert_int_equal(owner_addr_delete(&fx.maps, &k), 0);
}

/*
 * A destination nobody owns skips the owner lookups (bpf/owner.h, owner_absent), and nothing
 * else changes: which path a packet took shows through owners written behind the hints' back
 * (seen only by a lookup). Covered: the any-owner bit decides, a family with a prefix the hint
 * cannot list (an IPv4 /20, any IPv6 prefix) still looks; failsafes, audit and WRONG_ENI keep
 * their verdicts; owned addresses, /28, /20 and IPv6 /80 hosts all still reach their owner.
 * (Transit on the skipping path: test_bpf_conntrack's test_transit.)
 */
static void test_not_owned_without_lookups(void **state)
{
#define HIDDEN  "10.1.5.5"
#define HIDDEN6 "2001:db8:7::7"
	static const struct ingress_case not_looked_up[] = {
		{ "an owner no hint names is not seen: no lookup", { .src = SRC_IN, .dst = HIDDEN,
		  TCP(80) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP,
		  .tc = true },
	};
	static const struct ingress_case looked_up[] = {
		{ "an owner the lookup finds", { .src = SRC_IN, .dst = HIDDEN, TCP(80) }, ENI_A, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
	};
	static const struct ingress_case v6_looked_up[] = {
		{ "v6: the family has a /80, so the lookup stays and finds it", { .src = SRC6_IN,
		  .dst = HIDDEN6, UDP(40000, 53) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS, .tc = true },
	};
	static const struct ingress_case v6_not_looked_up[] = {
		{ "v6 without prefixes: not seen", { .src = SRC6_IN, .dst = HIDDEN6,
		  UDP(40000, 53) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP,
		  .tc = true },
		{ "v6 exact owned address still its owner's", { .src = SRC6_IN,
		  .dst = "2001:db8:1::10", UDP(40000, 53) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
		{ "nd to a solicited-node group", { .src = "fe80::1", .dst = "ff02::1:ff00:10",
		  ICMP6(135, 0), .ttl = 255 }, ENI_A, PASS, ENIADDR_R_FAILSAFE_ND,
		  .action = ENIADDR_ACT_PASS, .tc = true },
		{ "mld query from link-local", { .src = "fe80::1", .dst = "ff02::1", ICMP6(130, 0),
		  .ttl = 1 }, ENI_A, PASS, ENIADDR_R_FAILSAFE_ND, .action = ENIADDR_ACT_PASS },
		{ "dhcpv6 from a link-local server", { .src = "fe80::1", .dst = "fe80::2",
		  UDP(547, 546) }, ENI_A, PASS, ENIADDR_R_FAILSAFE_DHCP,
		  .action = ENIADDR_ACT_PASS },
		{ "nd hop limit 64: not owned", { .src = "fe80::1", .dst = "ff02::1:ff00:10",
		  ICMP6(135, 0) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
	};
	static const struct ingress_case same_verdicts[] = {
		{ "dhcpv4 from the router to the limited broadcast", { .src = "10.1.0.1",
		  .dst = "255.255.255.255", UDP(67, 68) }, ENI_A, PASS, ENIADDR_R_FAILSAFE_DHCP,
		  .action = ENIADDR_ACT_PASS, .tc = true },
		{ "dhcpv4 from a neighbour to the limited broadcast", { .src = "10.1.0.7",
		  .dst = "255.255.255.255", UDP(67, 68) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED,
		  .action = ENIADDR_ACT_DROP },
		{ "audit: nobody's address passes as audit", { .src = SRC_IN, .dst = "10.1.1.99",
		  TCP(80) }, ENI_C, PASS, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_AUDIT,
		  .tc = true },
		{ "another eni's address: its bit is set, the owner is looked up", { .src = SRC_IN,
		  .dst = "10.1.2.10", TCP(22) }, ENI_A, DROP, ENIADDR_R_WRONG_ENI,
		  .action = ENIADDR_ACT_DROP, .tc = true },
		{ "an owned address", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80) }, ENI_A, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "a /28 host", { .src = SRC_IN, .dst = "10.1.16.9", TCP(80) }, ENI_A, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "a /80 host", { .src = SRC6_IN, .dst = "2001:db8:1:1::77", UDP(40000, 53) }, ENI_A,
		  PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
	};
	static const struct ingress_case in_the_20[] = {
		{ "a /20 host (the family looks up)", { .src = SRC_IN, .dst = "10.3.7.7", TCP(80) },
		  ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
	};
	static const __u8 no_lens[ENIADDR_PFX_LENS] = { 0 };
	static const __u8 v6_lens[ENIADDR_PFX_LENS] = { 32 + 80 };
	__u8 a[16];

	(void)state;
	/* nobody's, provably: the hint's bit is clear and IPv4 has only a /28 */
	assert_true(fixture_owner_absent(&fx, 0, HIDDEN));
	assert_true(fixture_owner_absent(&fx, 0, "10.1.1.99"));
	assert_true(fixture_owner_absent(&fx, 0, "255.255.255.255"));
	assert_false(fixture_owner_absent(&fx, 0, "10.1.16.9"));
	put_owner_unhinted(0, HIDDEN, ENI_A, POL_A);
	RUN_TABLE(not_looked_up);
	/* its bit set by hand: the whole path, which finds the owner */
	assert_int_equal(ip_addr_parse(HIDDEN, a), 0);
	fixture_put_any_hint(&fx, 0, a, true);
	RUN_TABLE(looked_up);
	fixture_put_any_hint(&fx, 0, a, false);
	RUN_TABLE(not_looked_up);
	/* an IPv4 prefix the hint cannot list (a /20): the family looks up again (the fixture
	 * writes the hints from the owner maps, so the hidden owner steps out meanwhile) */
	del_owner_unhinted(0, HIDDEN);
	put_owner(0, "10.3.0.0/20", ENI_A, POL_A, 0);
	put_owner_unhinted(0, HIDDEN, ENI_A, POL_A);
	assert_false(fixture_owner_absent(&fx, 0, HIDDEN));
	RUN_TABLE(looked_up);
	RUN_TABLE(in_the_20);
	RUN_TABLE(same_verdicts);
	del_owner_unhinted(0, HIDDEN);
	fixture_del_owner(&fx, 0, "10.3.0.0/20");
	put_owner_unhinted(0, HIDDEN, ENI_A, POL_A);
	assert_true(fixture_owner_absent(&fx, 0, HIDDEN));
	RUN_TABLE(not_looked_up);
	RUN_TABLE(same_verdicts); /* and with IPv4 covered again */
	del_owner_unhinted(0, HIDDEN);

	/* IPv6: ENI A's /80 keeps the lookups; without it the same owner goes unseen */
	put_owner_unhinted(0, HIDDEN6, ENI_A, POL_A);
	assert_false(fixture_owner_absent(&fx, 0, HIDDEN6));
	RUN_TABLE(v6_looked_up);
	fixture_put_pfx_lens(&fx, 0, true, no_lens);
	assert_true(fixture_owner_absent(&fx, 0, HIDDEN6));
	assert_true(fixture_owner_absent(&fx, 0, "ff02::1:ff00:10"));
	RUN_TABLE(v6_not_looked_up);
	fixture_put_pfx_lens(&fx, 0, true, v6_lens);
	del_owner_unhinted(0, HIDDEN6);
	RUN_TABLE(same_verdicts);
#undef HIDDEN
#undef HIDDEN6
}

static void test_rules(void **state)
{
	static const struct ingress_case cases[] = {
		{ "tcp 79, below the range", { .src = SRC_IN, .dst = "10.1.1.10", TCP(79) }, ENI_A,
		  DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "tcp 80, range start", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80) }, ENI_A,
		  PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "tcp 443, range end", { .src = SRC_IN, .dst = "10.1.1.10", TCP(443) }, ENI_A,
		  PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "tcp 444, above the range", { .src = SRC_IN, .dst = "10.1.1.10", TCP(444) },
		  ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "tcp 80 from 10.255.255.255, peer edge", { .src = "10.255.255.255",
		  .dst = "10.1.1.10", TCP(80) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
		{ "tcp 80 from 11.0.0.0, outside the peer", { .src = "11.0.0.0",
		  .dst = "10.1.1.10", TCP(80) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
		{ "tcp 80 from 9.255.255.255, outside the peer", { .src = "9.255.255.255",
		  .dst = "10.1.1.10", TCP(80) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
		{ "udp 80 is not tcp 80", { .src = SRC_IN, .dst = "10.1.1.10", UDP(40000, 80) },
		  ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "udp 0, range start", { .src = SRC_IN, .dst = "10.1.1.10", UDP(40000, 0) },
		  ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "udp 1, range end", { .src = SRC_IN, .dst = "10.1.1.10", UDP(40000, 1) }, ENI_A,
		  PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "udp 2, above", { .src = SRC_IN, .dst = "10.1.1.10", UDP(40000, 2) }, ENI_A,
		  DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "udp 65534, below", { .src = SRC_IN, .dst = "10.1.1.10", UDP(40000, 65534) },
		  ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "udp 65535 (rule bit 1023)", { .src = SRC_IN, .dst = "10.1.1.10",
		  UDP(40000, 65535) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "tcp 8080 (rule bit 700)", { .src = SRC_IN, .dst = "10.1.1.10", TCP(8080) },
		  ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "tcp 8080 from outside", { .src = SRC_OUT, .dst = "10.1.1.10", TCP(8080) },
		  ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "v6 udp 53 from 2001:db8::/32", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v6 udp 52", { .src = SRC6_IN, .dst = "2001:db8:1::10", UDP(40000, 52) }, ENI_A,
		  DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "v6 udp 54", { .src = SRC6_IN, .dst = "2001:db8:1::10", UDP(40000, 54) }, ENI_A,
		  DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "v6 udp 53 from outside /32", { .src = SRC6_OUT, .dst = "2001:db8:1::10",
		  UDP(40000, 53) }, ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "v4 udp 53 (rule is v6 only)", { .src = SRC_IN, .dst = "10.1.1.10",
		  UDP(40000, 53) }, ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "v6 tcp 80 (rule is v4 only)", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  TCP(80) }, ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "icmp echo 8/0 from anywhere", { .src = SRC_OUT, .dst = "10.1.1.10",
		  ICMP(8, 0) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "icmp echo 8/255 (any code)", { .src = SRC_OUT, .dst = "10.1.1.10",
		  ICMP(8, 255) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "icmp 0/0 echo reply", { .src = SRC_OUT, .dst = "10.1.1.10", ICMP(0, 0) }, ENI_A,
		  DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "icmp 9/0", { .src = SRC_OUT, .dst = "10.1.1.10", ICMP(9, 0) }, ENI_A, DROP,
		  ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "icmpv6 echo 128 (rule is icmp)", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  ICMP6(128, 0) }, ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "gre from 10.2.3.4: all-protocols rule", { .src = "10.2.3.4", .dst = "10.1.2.10",
		  .proto = IPPROTO_GRE }, ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "esp from 10.2.3.4: all-protocols rule", { .src = "10.2.3.4", .dst = "10.1.2.10",
		  .proto = IPPROTO_ESP }, ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "udp 9 from 10.2.3.4: all-protocols rule", { .src = "10.2.3.4",
		  .dst = "10.1.2.10", UDP(40000, 9) }, ENI_B, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
		{ "gre from 10.3.0.1", { .src = "10.3.0.1", .dst = "10.1.2.10",
		  .proto = IPPROTO_GRE }, ENI_B, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "tcp 22 to b from anywhere", { .src = SRC_OUT, .dst = "10.1.2.10", TCP(22) },
		  ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "tcp 23 to b", { .src = SRC_OUT, .dst = "10.1.2.10", TCP(23) }, ENI_B, DROP,
		  ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "override: tcp 22 to 10.1.1.12, its own group allows", { .src = SRC_IN,
		  .dst = "10.1.1.12", TCP(22) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS,
		  .tc = true },
		{ "no override: tcp 22 to 10.1.1.11, eni group denies", { .src = SRC_IN,
		  .dst = "10.1.1.11", TCP(22) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
		{ "override: tcp 80 to 10.1.1.12, eni group would allow", { .src = SRC_IN,
		  .dst = "10.1.1.12", TCP(80) }, ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP,
		  .tc = true },
	};

	(void)state;
	RUN_TABLE(cases);
}

/*
 * The rule bits meet in whatever word their common bit lies, and only there: every value carries
 * the span of its nonzero words (maps/eniaddr.h) and bpf/rules.h ANDs the words inside both
 * spans. Policy POL_SPAN on 10.1.1.14; peer classes (IPv4 through the trie, IPv6 through
 * eniaddr_src) against port classes:
 *
 *   peer 10.40.0.0/16, 2001:db8:40::/48  bits 3 (word 0), 450 (7), 1023 (15)  span 0..15
 *   peer 10.41.0.0/16, 2001:db8:41::/48  bits 130 (2), 600 (9)                span 2..9
 *   peer 10.42.0.0/16                    bit  640 (10)                        span 10..10
 *   tcp 7001  bit 3          0..0     tcp 7005  bits 600, 780 (12)   9..12
 *   tcp 7002  bit 450        7..7     tcp 7006  bits 70 (1), 130     1..2
 *   tcp 7003  bit 1023      15..15    tcp 7007  bits 640, 1000 (15) 10..15
 *   tcp 7004  bits 449, 451, 1022  7..15 (inside the first peer's span, no common bit)
 *
 * A span one word short at either end misses the meets at 9..9 and 2..2; a walk that ignored
 * the spans would still pass them, which the hand-narrowed span at the end rules out.
 */
static void test_rule_spans(void **state)
{
	static const struct ingress_case cases[] = {
		{ "meet in the first word", { .src = "10.40.0.1", .dst = "10.1.1.14", TCP(7001) },
		  ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "meet in a middle word", { .src = "10.40.0.1", .dst = "10.1.1.14", TCP(7002) },
		  ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "meet in the last word", { .src = "10.40.0.1", .dst = "10.1.1.14", TCP(7003) },
		  ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "spans overlap, no common bit", { .src = "10.40.0.1", .dst = "10.1.1.14",
		  TCP(7004) }, ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP,
		  .tc = true },
		{ "partial overlap: the peer's last word is the port's first", { .src = "10.41.0.1",
		  .dst = "10.1.1.14", TCP(7005) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS, .tc = true },
		{ "partial overlap: the peer's first word is the port's last", { .src = "10.41.0.1",
		  .dst = "10.1.1.14", TCP(7006) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS, .tc = true },
		{ "disjoint spans never meet", { .src = "10.41.0.1", .dst = "10.1.1.14", TCP(7007) },
		  ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "the adjacent peer meets it", { .src = "10.42.0.1", .dst = "10.1.1.14",
		  TCP(7007) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v6 peer: meet in the last word", { .src = "2001:db8:40::1",
		  .dst = "2001:db8:1::14", TCP(7003) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v6 peer: partial overlap, the peer's last word", { .src = "2001:db8:41::1",
		  .dst = "2001:db8:1::14", TCP(7005) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
		{ "v6 peer: partial overlap, the peer's first word", { .src = "2001:db8:41::1",
		  .dst = "2001:db8:1::14", TCP(7006) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
		{ "v6 peer: disjoint spans", { .src = "2001:db8:41::1", .dst = "2001:db8:1::14",
		  TCP(7007) }, ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
	};
	static const struct ingress_case narrowed[] = {
		{ "a span that leaves out the common word hides the meet", { .src = "10.43.0.1",
		  .dst = "10.1.1.14", TCP(7005) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP, .tc = true },
		{ "the same bits, the span as compiled", { .src = "10.41.0.1", .dst = "10.1.1.14",
		  TCP(7005) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
	};
	struct eniaddr_rule_bits all = RULE_BITS(3, 450, 1023), mid = RULE_BITS(130, 600);
	struct eniaddr_rule_bits short_hi = mid;

	(void)state;
	assert_int_equal(all.lo, 0);
	assert_int_equal(all.hi, 15);
	assert_int_equal(mid.lo, 2);
	assert_int_equal(mid.hi, 9);
	put_owner(0, "10.1.1.14", ENI_A, POL_SPAN, ENIADDR_ADDR_F_OVERRIDE);
	put_owner(0, "2001:db8:1::14", ENI_A, POL_SPAN, ENIADDR_ADDR_F_OVERRIDE);
	fixture_put_src(&fx, POL_SPAN, "10.40.0.0/16", all);
	fixture_put_src(&fx, POL_SPAN, "2001:db8:40::/48", all);
	fixture_put_src(&fx, POL_SPAN, "10.41.0.0/16", mid);
	fixture_put_src(&fx, POL_SPAN, "2001:db8:41::/48", mid);
	fixture_put_src(&fx, POL_SPAN, "10.42.0.0/16", RULE_BITS(640));
	fixture_put_l4(&fx, POL_SPAN, IPPROTO_TCP, 7001, 16, RULE_BITS(3));
	fixture_put_l4(&fx, POL_SPAN, IPPROTO_TCP, 7002, 16, RULE_BITS(450));
	fixture_put_l4(&fx, POL_SPAN, IPPROTO_TCP, 7003, 16, RULE_BITS(1023));
	fixture_put_l4(&fx, POL_SPAN, IPPROTO_TCP, 7004, 16, RULE_BITS(449, 451, 1022));
	fixture_put_l4(&fx, POL_SPAN, IPPROTO_TCP, 7005, 16, RULE_BITS(600, 780));
	fixture_put_l4(&fx, POL_SPAN, IPPROTO_TCP, 7006, 16, RULE_BITS(70, 130));
	fixture_put_l4(&fx, POL_SPAN, IPPROTO_TCP, 7007, 16, RULE_BITS(640, 1000));
	RUN_TABLE(cases);

	short_hi.hi = 8; /* bit 600 lies in word 9 */
	fixture_put_src(&fx, POL_SPAN, "10.43.0.0/16", short_hi);
	RUN_TABLE(narrowed);
}

static void test_audit_and_unconfigured(void **state)
{
	static const struct ingress_case cases[] = {
		{ "audit: denied tcp 80 passes as audit", { .src = SRC_IN, .dst = "10.1.3.10",
		  TCP(80) }, ENI_C, PASS, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_AUDIT, .tc = true },
		{ "audit: allowed tcp 22 is a plain pass", { .src = SRC_IN, .dst = "10.1.3.10",
		  TCP(22) }, ENI_C, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "audit: not owned", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80) }, ENI_C, PASS,
		  ENIADDR_R_WRONG_ENI, .action = ENIADDR_ACT_AUDIT },
		{ "audit: truncated tcp", { .src = SRC_IN, .dst = "10.1.3.10", TCP(80),
		  CUT(PKT_L_L4, 19) }, ENI_C, PASS, ENIADDR_R_MALFORMED,
		  .action = ENIADDR_ACT_AUDIT, .tc = true },
		{ "audit: three vlan tags", { .vlan = { 0x88a8, 0x8100, 0x8100 }, .src = SRC_IN,
		  .dst = "10.1.3.10", TCP(22) }, ENI_C, PASS, ENIADDR_R_VLAN_CAP,
		  .action = ENIADDR_ACT_AUDIT },
		{ "unconfigured: tcp 80", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80) }, ENI_U,
		  PASS, ENIADDR_R_UNCONFIGURED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "unconfigured: truncated ipv4", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  CUT(PKT_L_IP, 10) }, ENI_U, PASS, ENIADDR_R_UNCONFIGURED, .action = ENIADDR_ACT_PASS },
		{ "other l3 (lldp)", { .ethertype = 0x88cc, .payload = 40 }, ENI_A, PASS,
		  ENIADDR_R_OTHER_L3, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "other l3 under a vlan tag (mpls)", { .ethertype = 0x8847, .vlan = { 0x8100 },
		  .payload = 40 }, ENI_A, PASS, ENIADDR_R_OTHER_L3, .action = ENIADDR_ACT_PASS },
	};

	(void)state;
	RUN_TABLE(cases);
}

/* attach --unconfigured drop: IP on the unconfigured device drops, ARP and non-IP still pass. */
static void test_unconfigured_drop(void **state)
{
	static const struct ingress_case cases[] = {
		{ "unconfigured drop: tcp 80", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80) },
		  ENI_U, DROP, ENIADDR_R_UNCONFIGURED_DROP, .action = ENIADDR_ACT_DROP,
		  .tc = true },
		{ "unconfigured drop: ipv6 udp", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(5000, 53) }, ENI_U, DROP, ENIADDR_R_UNCONFIGURED_DROP,
		  .action = ENIADDR_ACT_DROP },
		{ "unconfigured drop: tcp under a vlan tag", { .vlan = { 0x8100 }, .src = SRC_IN,
		  .dst = "10.1.1.10", TCP(22) }, ENI_U, DROP, ENIADDR_R_UNCONFIGURED_DROP,
		  .action = ENIADDR_ACT_DROP },
		{ "unconfigured drop: arp passes, before anything is looked up",
		  { .ethertype = ETH_P_ARP }, ENI_U, PASS, ENIADDR_R_FAILSAFE_ARP,
		  .action = ENIADDR_ACT_PASS, .tc = true },
		{ "unconfigured drop: lldp passes", { .ethertype = 0x88cc, .payload = 40 }, ENI_U,
		  PASS, ENIADDR_R_UNCONFIGURED, .action = ENIADDR_ACT_PASS },
		{ "unconfigured drop: a configured eni is judged as before",
		  { .src = SRC_IN, .dst = "10.1.3.10", TCP(22) }, ENI_C, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
	};
	struct eniaddr_attach rec = { .mode = ENIADDR_ATTACH_NATIVE,
				      .flags = ENIADDR_ATTACH_F_UNCONFIGURED_DROP };
	__u32 key = (__u32)fx.ifindex[ENI_U], ka = (__u32)fx.ifindex[ENI_C];

	(void)state;
	assert_int_equal(bpf_map_update_elem(fx.maps.attach, &key, &rec, BPF_ANY), 0);
	assert_int_equal(bpf_map_update_elem(fx.maps.attach, &ka, &rec, BPF_ANY), 0);
	RUN_TABLE(cases);
	assert_int_equal(bpf_map_delete_elem(fx.maps.attach, &key), 0);
	assert_int_equal(bpf_map_delete_elem(fx.maps.attach, &ka), 0);
}

static void test_vlan(void **state)
{
	static const struct ingress_case cases[] = {
		{ "one 802.1Q tag", { .vlan = { 0x8100 }, .src = SRC_IN, .dst = "10.1.1.10",
		  TCP(80) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "one 802.1ad tag", { .vlan = { 0x88a8 }, .src = SRC_IN, .dst = "10.1.1.10",
		  TCP(80) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "802.1ad + 802.1Q (the cap)", { .vlan = { 0x88a8, 0x8100 }, .src = SRC_IN,
		  .dst = "10.1.1.10", TCP(80) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS,
		  .tc = true },
		{ "two tags, denied port", { .vlan = { 0x8100, 0x8100 }, .src = SRC_IN,
		  .dst = "10.1.1.10", TCP(79) }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
		{ "two tags, ipv6", { .vlan = { 0x88a8, 0x8100 }, .src = SRC6_IN,
		  .dst = "2001:db8:1::10", UDP(40000, 53) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
		{ "two tags, arp", { .vlan = { 0x88a8, 0x8100 }, .ethertype = ETH_P_ARP }, ENI_A,
		  PASS, ENIADDR_R_FAILSAFE_ARP, .action = ENIADDR_ACT_PASS },
		{ "three tags", { .vlan = { 0x88a8, 0x8100, 0x8100 }, .src = SRC_IN,
		  .dst = "10.1.1.10", TCP(80) }, ENI_A, DROP, ENIADDR_R_VLAN_CAP,
		  .action = ENIADDR_ACT_DROP, .tc = true },
		{ "three tags, arp", { .vlan = { 0x8100, 0x8100, 0x8100 },
		  .ethertype = ETH_P_ARP }, ENI_A, DROP, ENIADDR_R_VLAN_CAP, .action = ENIADDR_ACT_DROP },
	};

	(void)state;
	RUN_TABLE(cases);
}

static void test_ip_headers(void **state)
{
	static const struct ingress_case cases[] = {
		{ "ipv4 with 4 option bytes", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  .ip4_opt_len = 4 }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "ipv4 with 40 option bytes (ihl 15)", { .src = SRC_IN, .dst = "10.1.1.10",
		  TCP(443), .ip4_opt_len = 40 }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
		{ "ipv4 with options, denied port", { .src = SRC_IN, .dst = "10.1.1.10", TCP(444),
		  .ip4_opt_len = 8 }, ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "ipv4 ihl 4", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80), .ip4_ihl = 4 },
		  ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "ipv4 version 6 in an ipv4 frame", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  .ip_version = 6 }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "ipv6 version 4 in an ipv6 frame", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ip_version = 4 }, ENI_A, DROP, ENIADDR_R_MALFORMED,
		  .action = ENIADDR_ACT_DROP },
		{ "ipv6 hop-by-hop", { .src = SRC6_IN, .dst = "2001:db8:1::10", UDP(40000, 53),
		  .ext = { EXT(IPPROTO_HOPOPTS, 8) }, .n_ext = 1 }, ENI_A, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "ipv6 eight extension headers (the cap)", { .src = SRC6_IN,
		  .dst = "2001:db8:1::10", UDP(40000, 53), .ext = { EXT(IPPROTO_HOPOPTS, 8),
		  EXT(IPPROTO_DSTOPTS, 16), EXT(IPPROTO_ROUTING, 24), EXT(IPPROTO_AH, 24),
		  EXT(IPPROTO_DSTOPTS, 8), EXT(IPPROTO_MH, 8), EXT(IPPROTO_DSTOPTS, 2048),
		  EXT(IPPROTO_DSTOPTS, 8) }, .n_ext = 8 }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
		{ "ipv6 eight extension headers, denied port", { .src = SRC6_IN,
		  .dst = "2001:db8:1::10", UDP(40000, 54), .ext = { EXT(IPPROTO_HOPOPTS, 8),
		  EXT(IPPROTO_DSTOPTS, 8), EXT(IPPROTO_ROUTING, 8), EXT(IPPROTO_AH, 12),
		  EXT(IPPROTO_DSTOPTS, 8), EXT(IPPROTO_MH, 8), EXT(IPPROTO_DSTOPTS, 8),
		  EXT(IPPROTO_DSTOPTS, 8) }, .n_ext = 8 }, ENI_A, DROP, ENIADDR_R_NO_RULE,
		  .action = ENIADDR_ACT_DROP },
		{ "ipv6 nine extension headers", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_HOPOPTS, 8), EXT(IPPROTO_DSTOPTS, 8),
		  EXT(IPPROTO_ROUTING, 8), EXT(IPPROTO_DSTOPTS, 8), EXT(IPPROTO_DSTOPTS, 8),
		  EXT(IPPROTO_DSTOPTS, 8), EXT(IPPROTO_DSTOPTS, 8), EXT(IPPROTO_DSTOPTS, 8),
		  EXT(IPPROTO_DSTOPTS, 8) }, .n_ext = 9 }, ENI_A, DROP, ENIADDR_R_EXT_HDR_CAP,
		  .action = ENIADDR_ACT_DROP, .tc = true },
		{ "ipv6 AH (24 bytes: 4-byte units)", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_AH, 24) }, .n_ext = 1, .payload = 64 },
		  ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "ipv6 AH (12 bytes, no ICV)", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_AH, 12) }, .n_ext = 1, .payload = 64 },
		  ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "ipv6 routing + AH + dest opts", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_ROUTING, 24), EXT(IPPROTO_AH, 20),
		  EXT(IPPROTO_DSTOPTS, 8) }, .n_ext = 3 }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
		{ "ipv6 ESP ends the chain (protocol 50, no rule)", { .src = SRC6_IN,
		  .dst = "2001:db8:1::10", .proto = IPPROTO_ESP, .payload = 64 }, ENI_A, DROP,
		  ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "ipv6 no next header (59)", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  .proto = IPPROTO_NONE, .ext = { EXT(IPPROTO_DSTOPTS, 8) }, .n_ext = 1 }, ENI_A,
		  DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "ipv6 no next header, all-protocols rule", { .src = "2001:db8:2000::1",
		  .dst = "2001:db8:2::10", .proto = IPPROTO_NONE }, ENI_B, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "ipv6 ESP, all-protocols rule", { .src = "2001:db8:2000::1",
		  .dst = "2001:db8:2::10", .proto = IPPROTO_ESP, .payload = 32 }, ENI_B, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
	};

	(void)state;
	RUN_TABLE(cases);
}

/* Order matters: first fragments are remembered, later ones look them up. */
static void test_fragments(void **state)
{
	static const struct ingress_case cases[] = {
		{ "v4 first fragment, allowed", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  FRAG(0x1111, 0, true), .payload = 64 }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v4 middle fragment follows", { .src = SRC_IN, .dst = "10.1.1.10",
		  .proto = IPPROTO_TCP, FRAG(0x1111, 1480, true), .payload = 64 }, ENI_A, PASS,
		  ENIADDR_R_FRAGMENT_FOLLOWS, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v4 last fragment follows", { .src = SRC_IN, .dst = "10.1.1.10",
		  .proto = IPPROTO_TCP, FRAG(0x1111, 2960, false), .payload = 64 }, ENI_A, PASS,
		  ENIADDR_R_FRAGMENT_FOLLOWS, .action = ENIADDR_ACT_PASS },
		{ "v4 stray fragment carrying bytes that look like tcp 80", { .src = SRC_IN,
		  .dst = "10.1.1.10", TCP(80), FRAG(0x2222, 1480, true) }, ENI_A, DROP,
		  ENIADDR_R_FRAGMENT, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "v4 fragment of another source", { .src = "10.9.9.8", .dst = "10.1.1.10",
		  .proto = IPPROTO_TCP, FRAG(0x1111, 1480, true) }, ENI_A, DROP,
		  ENIADDR_R_FRAGMENT, .action = ENIADDR_ACT_DROP },
		{ "v4 fragment of another protocol", { .src = SRC_IN, .dst = "10.1.1.10",
		  .proto = IPPROTO_UDP, FRAG(0x1111, 1480, true) }, ENI_A, DROP,
		  ENIADDR_R_FRAGMENT, .action = ENIADDR_ACT_DROP },
		{ "v4 fragment on another interface", { .src = SRC_IN, .dst = "10.1.1.10",
		  .proto = IPPROTO_TCP, FRAG(0x1111, 1480, true) }, ENI_B, DROP,
		  ENIADDR_R_FRAGMENT, .action = ENIADDR_ACT_DROP },
		{ "v4 first fragment, denied", { .src = SRC_IN, .dst = "10.1.1.10", TCP(22),
		  FRAG(0x3333, 0, true) }, ENI_A, DROP, ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "v4 later fragment of the denied one", { .src = SRC_IN, .dst = "10.1.1.10",
		  .proto = IPPROTO_TCP, FRAG(0x3333, 8, false) }, ENI_A, DROP, ENIADDR_R_FRAGMENT,
		  .action = ENIADDR_ACT_DROP },
		{ "v4 first fragment, failsafe (dhcp)", { .src = "10.1.0.1",
		  .dst = "10.1.1.10", UDP(67, 68), FRAG(0x4444, 0, true) }, ENI_A, PASS,
		  ENIADDR_R_FAILSAFE_DHCP, .action = ENIADDR_ACT_PASS },
		{ "v4 later fragment of the failsafe one", { .src = "10.1.0.1",
		  .dst = "10.1.1.10", .proto = IPPROTO_UDP, FRAG(0x4444, 1480, false) }, ENI_A,
		  PASS, ENIADDR_R_FRAGMENT_FOLLOWS, .action = ENIADDR_ACT_PASS },
		{ "v4 first fragment, tcp header cut", { .src = SRC_IN, .dst = "10.1.1.10",
		  TCP(80), FRAG(0x5555, 0, true), CUT(PKT_L_L4, 12) }, ENI_A, DROP,
		  ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "v4 later fragment of the cut one", { .src = SRC_IN, .dst = "10.1.1.10",
		  .proto = IPPROTO_TCP, FRAG(0x5555, 8, false) }, ENI_A, DROP, ENIADDR_R_FRAGMENT,
		  .action = ENIADDR_ACT_DROP },
		{ "v4 don't-fragment is a whole packet", { .src = SRC_IN, .dst = "10.1.1.10",
		  TCP(80), .ip4_df = true, FRAG(0x6666, 0, false) }, ENI_A, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v4 after a don't-fragment packet nothing follows", { .src = SRC_IN,
		  .dst = "10.1.1.10", .proto = IPPROTO_TCP, FRAG(0x6666, 1480, false) }, ENI_A,
		  DROP, ENIADDR_R_FRAGMENT, .action = ENIADDR_ACT_DROP },
		{ "v6 first fragment, allowed", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_FRAGMENT, 8) }, .n_ext = 1,
		  .frag = { .id = 0xabcdef01, .offset = 0, .more = true }, .payload = 64 },
		  ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v6 later fragment follows", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  .proto = IPPROTO_UDP, .ext = { EXT(IPPROTO_FRAGMENT, 8) }, .n_ext = 1,
		  .frag = { .id = 0xabcdef01, .offset = 1232, .more = false }, .payload = 64 },
		  ENI_A, PASS, ENIADDR_R_FRAGMENT_FOLLOWS, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v6 later fragment after hop-by-hop follows", { .src = SRC6_IN,
		  .dst = "2001:db8:1::10", .proto = IPPROTO_UDP, .ext = {
		  EXT(IPPROTO_HOPOPTS, 8), EXT(IPPROTO_FRAGMENT, 8) }, .n_ext = 2,
		  .frag = { .id = 0xabcdef01, .offset = 616, .more = true } }, ENI_A, PASS,
		  ENIADDR_R_FRAGMENT_FOLLOWS, .action = ENIADDR_ACT_PASS },
		{ "v6 stray fragment", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_FRAGMENT, 8) }, .n_ext = 1,
		  .frag = { .id = 0xabcdef02, .offset = 1232, .more = false } }, ENI_A, DROP,
		  ENIADDR_R_FRAGMENT, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "v6 later fragment whose payload looks like 9 ext headers", { .src = SRC6_IN,
		  .dst = "2001:db8:1::10", .proto = IPPROTO_DSTOPTS, .ext = {
		  EXT(IPPROTO_FRAGMENT, 8), EXT(IPPROTO_DSTOPTS, 8), EXT(IPPROTO_DSTOPTS, 8),
		  EXT(IPPROTO_DSTOPTS, 8), EXT(IPPROTO_DSTOPTS, 8), EXT(IPPROTO_DSTOPTS, 8),
		  EXT(IPPROTO_DSTOPTS, 8), EXT(IPPROTO_DSTOPTS, 8), EXT(IPPROTO_DSTOPTS, 8),
		  EXT(IPPROTO_DSTOPTS, 8) }, .n_ext = 10,
		  .frag = { .id = 0xabcdef03, .offset = 8, .more = false } }, ENI_A, DROP,
		  ENIADDR_R_FRAGMENT, .action = ENIADDR_ACT_DROP },
		{ "v6 first fragment, denied", { .src = SRC6_OUT, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_FRAGMENT, 8) }, .n_ext = 1,
		  .frag = { .id = 0x77, .offset = 0, .more = true } }, ENI_A, DROP,
		  ENIADDR_R_NO_RULE, .action = ENIADDR_ACT_DROP },
		{ "v6 later fragment of the denied one", { .src = SRC6_OUT,
		  .dst = "2001:db8:1::10", .proto = IPPROTO_UDP,
		  .ext = { EXT(IPPROTO_FRAGMENT, 8) }, .n_ext = 1,
		  .frag = { .id = 0x77, .offset = 1232, .more = false } }, ENI_A, DROP,
		  ENIADDR_R_FRAGMENT, .action = ENIADDR_ACT_DROP },
		{ "v6 atomic fragment is a whole packet", { .src = SRC6_IN,
		  .dst = "2001:db8:1::10", UDP(40000, 53), .ext = { EXT(IPPROTO_FRAGMENT, 8) },
		  .n_ext = 1, .frag = { .id = 0x99, .offset = 0, .more = false } }, ENI_A, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v6 after an atomic fragment nothing follows", { .src = SRC6_IN,
		  .dst = "2001:db8:1::10", .proto = IPPROTO_UDP,
		  .ext = { EXT(IPPROTO_FRAGMENT, 8) }, .n_ext = 1,
		  .frag = { .id = 0x99, .offset = 8, .more = false } }, ENI_A, DROP,
		  ENIADDR_R_FRAGMENT, .action = ENIADDR_ACT_DROP },
	};

	(void)state;
	RUN_TABLE(cases);
}

static void test_truncated(void **state)
{
	static const struct ingress_case cases[] = {
		{ "vlan tag cut (2 of 4)", { .vlan = { 0x8100 }, .src = SRC_IN,
		  .dst = "10.1.1.10", TCP(80), CUT(PKT_L_VLAN, 2) }, ENI_A, DROP,
		  ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "second vlan tag cut (6 of 8)", { .vlan = { 0x88a8, 0x8100 }, .src = SRC_IN,
		  .dst = "10.1.1.10", TCP(80), CUT(PKT_L_VLAN, 6) }, ENI_A, DROP,
		  ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "ipv4 fixed header (19 of 20)", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  CUT(PKT_L_IP, 19) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "ipv4 header absent", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  CUT(PKT_L_IP, 0) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "ipv4 options (23 of 24)", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  .ip4_opt_len = 4, CUT(PKT_L_IP, 23) }, ENI_A, DROP, ENIADDR_R_MALFORMED,
		  .action = ENIADDR_ACT_DROP, .tc = true },
		{ "ipv4 options (59 of 60)", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  .ip4_opt_len = 40, CUT(PKT_L_IP, 59) }, ENI_A, DROP, ENIADDR_R_MALFORMED,
		  .action = ENIADDR_ACT_DROP },
		{ "ipv6 fixed header (39 of 40)", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), CUT(PKT_L_IP, 39) }, ENI_A, DROP, ENIADDR_R_MALFORMED,
		  .action = ENIADDR_ACT_DROP },
		{ "ipv6 ext header (1 byte)", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_HOPOPTS, 8) }, .n_ext = 1,
		  CUT(PKT_L_EXT, 1) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "ipv6 ext header (15 of 16)", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_DSTOPTS, 16) }, .n_ext = 1,
		  CUT(PKT_L_EXT, 15) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "ipv6 AH (23 of 24)", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_AH, 24) }, .n_ext = 1,
		  CUT(PKT_L_EXT, 23) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "ipv6 fragment header (7 of 8)", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_FRAGMENT, 8) }, .n_ext = 1,
		  .frag = { .id = 5, .offset = 8 }, CUT(PKT_L_EXT, 7) }, ENI_A, DROP,
		  ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "ipv6 second ext header (12 of 16)", { .src = SRC6_IN, .dst = "2001:db8:1::10",
		  UDP(40000, 53), .ext = { EXT(IPPROTO_HOPOPTS, 8), EXT(IPPROTO_DSTOPTS, 8) },
		  .n_ext = 2, CUT(PKT_L_EXT, 12) }, ENI_A, DROP, ENIADDR_R_MALFORMED,
		  .action = ENIADDR_ACT_DROP },
		{ "tcp (19 of 20)", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  CUT(PKT_L_L4, 19) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "tcp absent", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80), CUT(PKT_L_L4, 0) },
		  ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "tcp data offset 4", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  .tcp_doff = 4, .payload = 20 }, ENI_A, DROP, ENIADDR_R_MALFORMED,
		  .action = ENIADDR_ACT_DROP, .tc = true },
		{ "tcp options (31 of 32)", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  .tcp_doff = 8, CUT(PKT_L_L4, 31) }, ENI_A, DROP, ENIADDR_R_MALFORMED,
		  .action = ENIADDR_ACT_DROP },
		{ "tcp with options, complete", { .src = SRC_IN, .dst = "10.1.1.10", TCP(80),
		  .tcp_doff = 15 }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "ipv6 tcp (19 of 20)", { .src = SRC6_IN, .dst = "2001:db8:1::10", TCP(80),
		  CUT(PKT_L_L4, 19) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "udp (7 of 8)", { .src = SRC_IN, .dst = "10.1.1.10", UDP(40000, 0),
		  CUT(PKT_L_L4, 7) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "ipv6 udp (7 of 8)", { .src = SRC6_IN, .dst = "2001:db8:1::10", UDP(40000, 53),
		  CUT(PKT_L_L4, 7) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "icmp (7 of 8)", { .src = SRC_OUT, .dst = "10.1.1.10", ICMP(8, 0),
		  CUT(PKT_L_L4, 7) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "icmp absent", { .src = SRC_OUT, .dst = "10.1.1.10", ICMP(8, 0),
		  CUT(PKT_L_L4, 0) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP },
		{ "icmpv6 (3 of 4)", { .src = "fe80::1", .dst = "ff02::1", ICMP6(135, 0),
		  CUT(PKT_L_L4, 3) }, ENI_A, DROP, ENIADDR_R_MALFORMED, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "icmpv6 (4 bytes are enough)", { .src = "fe80::1", .dst = "ff02::1",
		  ICMP6(135, 0), CUT(PKT_L_L4, 4), .ttl = 255 }, ENI_A, PASS, ENIADDR_R_FAILSAFE_ND,
		  .action = ENIADDR_ACT_PASS },
	};

	(void)state;
	RUN_TABLE(cases);
}

/* Fragment memory: the key user space would build finds what the program stored, with the
 * documented timeout, and an expired entry no longer lets fragments through. */
static void test_fragment_expiry(void **state)
{
	static const struct ingress_case first = {
		"v4 first fragment, allowed", { .src = SRC_IN, .dst = "10.1.1.11", TCP(443),
		FRAG(0xbeef, 0, true) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS
	};
	static const struct ingress_case later = {
		"v4 later fragment", { .src = SRC_IN, .dst = "10.1.1.11", .proto = IPPROTO_TCP,
		FRAG(0xbeef, 1480, true) }, ENI_A, PASS, ENIADDR_R_FRAGMENT_FOLLOWS,
		.action = ENIADDR_ACT_PASS
	};
	struct ingress_case expired = later;
	struct eniaddr_frag_key k = { .ifindex = (__u32)fx.ifindex[ENI_A], .id = 0xbeef,
				      .proto = IPPROTO_TCP };
	int fd = fx.maps.frags;
	struct eniaddr_frag v;
	struct timespec now;
	struct pkt p;
	__u64 now_ns;

	(void)state;
	assert_int_equal(ip_addr_parse(SRC_IN, k.saddr), 0);
	assert_int_equal(ip_addr_parse("10.1.1.11", k.daddr), 0);

	assert_int_equal(pkt_build(&p, &first.pkt), 0);
	assert_true(run_one(&first, &p, false));
	assert_int_equal(bpf_map_lookup_elem(fd, &k, &v), 0);
	clock_gettime(CLOCK_MONOTONIC, &now);
	now_ns = (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;
	assert_int_equal(v.reason, ENIADDR_R_ALLOWED);
	assert_true(v.expires_ns > now_ns);
	assert_true(v.expires_ns <= now_ns + ENIADDR_FRAG_TIMEOUT_NS);
	assert_true(v.expires_ns > now_ns + ENIADDR_FRAG_TIMEOUT_NS - 5000000000ull);

	assert_int_equal(pkt_build(&p, &later.pkt), 0);
	assert_true(run_one(&later, &p, false));

	v.expires_ns = now_ns - 1; /* as if 30 s had gone by */
	assert_int_equal(bpf_map_update_elem(fd, &k, &v, BPF_EXIST), 0);
	expired.name = "v4 later fragment after expiry";
	expired.xdp = DROP;
	expired.reason = ENIADDR_R_FRAGMENT;
	expired.action = ENIADDR_ACT_DROP;
	assert_true(run_one(&expired, &p, false));
	assert_int_not_equal(bpf_map_lookup_elem(fd, &k, &v), 0); /* expired entry removed */
}

/* A publish flips eniaddr_state[0].active_slot: from then on only the other slot counts. */
static void test_active_slot(void **state)
{
	static const struct ingress_case in_slot1[] = {
		{ "slot 1: its address is owned now", { .src = SRC_IN, .dst = "10.1.9.9",
		  TCP(80) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "slot 1: slot 0's address is not", { .src = SRC_IN, .dst = "10.1.1.10",
		  TCP(80) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
		{ "slot 1: eni b is not configured there", { .src = SRC_IN, .dst = "10.1.2.10",
		  TCP(22) }, ENI_B, PASS, ENIADDR_R_UNCONFIGURED, .action = ENIADDR_ACT_PASS },
	};
	static const struct ingress_case in_slot0[] = {
		{ "back to slot 0", { .src = SRC_IN, .dst = "10.1.9.9", TCP(80) }, ENI_A, DROP,
		  ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
	};

	(void)state;
	fixture_put_state(&fx, 1);
	RUN_TABLE(in_slot1);
	fixture_put_state(&fx, 0);
	RUN_TABLE(in_slot0);
}

/*
 * Delegated prefixes of several lengths that nest, owned by different ENIs (the datapath's view:
 * the compiler refuses such a config, the maps may still hold it): the longest prefix holding
 * the destination owns it, an exact address wins over every prefix, and lengths off byte and
 * word boundaries mask right. Then the lists in eniaddr_state decide which lengths are looked
 * up at all, per slot and family.
 */
#define V4_LENS { 32 + 96 + 28, 32 + 96 + 27, 32 + 96 + 24, 32 + 96 + 15 }
#define V6_LENS { 32 + 81, 32 + 80, 32 + 64, 32 + 44 }
static void test_prefix_lengths(void **state)
{
	static const struct ingress_case nested[] = {
		{ "v4 exact address inside b's /28: a's", { .src = SRC_IN, .dst = "10.7.1.20",
		  TCP(80) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v4 /28 of b inside a's /24: b's", { .src = SRC_IN, .dst = "10.7.1.21", TCP(22) },
		  ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v4 /28 of b arriving on a", { .src = SRC_IN, .dst = "10.7.1.31", TCP(80) },
		  ENI_A, DROP, ENIADDR_R_WRONG_ENI, .action = ENIADDR_ACT_DROP },
		{ "v4 /27 of b inside a's /24", { .src = SRC_IN, .dst = "10.7.1.95", TCP(22) },
		  ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v4 a's /24 outside both", { .src = SRC_IN, .dst = "10.7.1.96", TCP(80) }, ENI_A,
		  PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v4 a's /24 arriving on b", { .src = SRC_IN, .dst = "10.7.1.32", TCP(22) }, ENI_B,
		  DROP, ENIADDR_R_WRONG_ENI, .action = ENIADDR_ACT_DROP },
		{ "v4 b's /15 outside the /24", { .src = SRC_IN, .dst = "10.6.3.3", TCP(22) },
		  ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v4 b's /15, last address", { .src = SRC_IN, .dst = "10.7.255.255", TCP(22) },
		  ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v4 one past the /15", { .src = SRC_IN, .dst = "10.8.0.0", TCP(22) }, ENI_B,
		  DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "v6 exact address inside b's /81: a's", { .src = SRC6_IN,
		  .dst = "2001:db8:70:0:8000::10", UDP(40000, 53) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v6 /81 of b inside a's /64", { .src = SRC6_IN, .dst = "2001:db8:70:0:8000::11",
		  TCP(22) }, ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v6 a's /64 below the /81", { .src = SRC6_IN, .dst = "2001:db8:70:0:7fff::1",
		  UDP(40000, 53) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
		{ "v6 a's /64 arriving on b", { .src = SRC6_IN, .dst = "2001:db8:70::1", TCP(22) },
		  ENI_B, DROP, ENIADDR_R_WRONG_ENI, .action = ENIADDR_ACT_DROP },
		{ "v6 b's /44 outside the /64", { .src = SRC6_IN, .dst = "2001:db8:7f:f::1",
		  TCP(22) }, ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v6 one past the /44", { .src = SRC6_IN, .dst = "2001:db8:80::", TCP(22) },
		  ENI_B, DROP, ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP },
	};
	static const struct ingress_case only_28[] = {
		{ "v4 list of /28 only: b's /28 is found", { .src = SRC_IN, .dst = "10.7.1.21",
		  TCP(22) }, ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v4 list of /28 only: the /24 is not looked up", { .src = SRC_IN,
		  .dst = "10.7.1.96", TCP(80) }, ENI_A, DROP, ENIADDR_R_NOT_OWNED,
		  .action = ENIADDR_ACT_DROP, .tc = true },
		{ "v4 list of /28 only: v6 lengths stay", { .src = SRC6_IN, .dst = "2001:db8:7f:f::1",
		  TCP(22) }, ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
	};
	static const struct ingress_case two_v4[] = {
		{ "v4 lists /28 and /24: the /28 of b wins", { .src = SRC_IN, .dst = "10.7.1.21",
		  TCP(22) }, ENI_B, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS,
		  .tc = true },
		{ "v4 lists /28 and /24: b's /28 is not a's", { .src = SRC_IN, .dst = "10.7.1.21",
		  TCP(80) }, ENI_A, DROP, ENIADDR_R_WRONG_ENI, .action = ENIADDR_ACT_DROP },
		{ "v4 lists /28 and /24: outside the /28, a's /24", { .src = SRC_IN,
		  .dst = "10.7.1.96", TCP(80) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS, .tc = true },
		{ "v4 lists /28 and /24: b's /27 unlisted, a's /24 owns", { .src = SRC_IN,
		  .dst = "10.7.1.95", TCP(80) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
	};
	static const struct ingress_case empty[] = {
		{ "no v4 length in slot 0: an address in a prefix is nobody's",
		  { .src = SRC_IN, .dst = "10.1.16.5", TCP(80) }, ENI_A, DROP,
		  ENIADDR_R_NOT_OWNED, .action = ENIADDR_ACT_DROP, .tc = true },
		{ "no v4 length in slot 0: exact addresses are still owned",
		  { .src = SRC_IN, .dst = "10.1.1.10", TCP(80) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
		{ "no v4 length in slot 0: v6 prefixes are still looked up",
		  { .src = SRC6_IN, .dst = "2001:db8:1:1::5", UDP(40000, 53) }, ENI_A, PASS,
		  ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS },
	};
	static const struct ingress_case other_slot[] = {
		{ "slot 1's lists do not govern slot 0", { .src = SRC_IN, .dst = "10.1.16.5",
		  TCP(80) }, ENI_A, PASS, ENIADDR_R_ALLOWED, .action = ENIADDR_ACT_PASS, .tc = true },
		{ "slot 1's lists do not govern slot 0 (v6)", { .src = SRC6_IN,
		  .dst = "2001:db8:1:1::5", UDP(40000, 53) }, ENI_A, PASS, ENIADDR_R_ALLOWED,
		  .action = ENIADDR_ACT_PASS },
	};
	static const __u8 v4[ENIADDR_PFX_LENS] = V4_LENS, v6[ENIADDR_PFX_LENS] = V6_LENS;
	static const __u8 v4_28[ENIADDR_PFX_LENS] = { 32 + 96 + 28 }, none[ENIADDR_PFX_LENS];
	static const __u8 v4_28_24[ENIADDR_PFX_LENS] = { 32 + 96 + 28, 32 + 96 + 24 };
	struct eniaddr_state st;
	__u32 zero = 0;

	(void)state;
	put_owner(0, "10.6.0.0/15", ENI_B, POL_B, 0);
	put_owner(0, "10.7.1.0/24", ENI_A, POL_A, 0);
	put_owner(0, "10.7.1.16/28", ENI_B, POL_B, 0);
	put_owner(0, "10.7.1.64/27", ENI_B, POL_B, 0);
	put_owner(0, "10.7.1.20", ENI_A, POL_A, 0);
	put_owner(0, "2001:db8:70::/44", ENI_B, POL_B, 0);
	put_owner(0, "2001:db8:70::/64", ENI_A, POL_A, 0);
	put_owner(0, "2001:db8:70:0:8000::/81", ENI_B, POL_B, 0);
	put_owner(0, "2001:db8:70:0:8000::10", ENI_A, POL_A, 0);
	/* the fixture wrote the lists a publish would: every length, longest first */
	assert_int_equal(bpf_map_lookup_elem(fx.maps.state, &zero, &st), 0);
	assert_memory_equal(st.pfx_lens[0][0], v4, sizeof(v4));
	assert_memory_equal(st.pfx_lens[0][1], v6, sizeof(v6));
	RUN_TABLE(nested);

	fixture_put_pfx_lens(&fx, 0, false, v4_28);
	RUN_TABLE(only_28);
	fixture_put_pfx_lens(&fx, 0, false, v4_28_24);
	RUN_TABLE(two_v4);
	fixture_put_pfx_lens(&fx, 0, false, none);
	RUN_TABLE(empty);
	fixture_put_pfx_lens(&fx, 0, false, v4);
	fixture_put_pfx_lens(&fx, 1, false, none);
	fixture_put_pfx_lens(&fx, 1, true, none);
	RUN_TABLE(other_slot);
}

/* An interface whose ifindex is past eniaddr_eni_index (busy hosts reach such numbers) is
 * found through eniaddr_eni_index_big: configured, it judges; in a slot that does not configure
 * it, it passes. Verdicts only: its counters share bucket 0 (eniaddr_stats_dev). */
static void test_large_ifindex(void **state)
{
	const enum eni_id ENI_BIG = ENI_COUNT; /* not one of fixture_setup's devices */
	enum { BIG_IFINDEX = ENIADDR_ENI_INDEX_MAX + 4464 };
	struct pkt owned, other;
	__u32 ret;

	(void)state;
	assert_int_equal(netns_exec(&fx.ns, "ip link add g0 index %d type veth peer name g1 && "
				    "ip link set g0 up && ip link set g1 up", BIG_IFINDEX), 0);
	fx.ifindex[ENI_BIG] = BIG_IFINDEX;
	put_eni(0, ENI_BIG, POL_A, ENIADDR_MODE_ENFORCE);
	put_owner(0, "10.1.7.7", ENI_BIG, POL_A, 0);
	assert_int_equal(pkt_build(&owned, &(struct pkt_spec){ .src = SRC_IN, .dst = "10.1.7.7",
							       TCP(80) }), 0);
	assert_int_equal(pkt_build(&other, &(struct pkt_spec){ .src = SRC_IN, .dst = "10.1.7.8",
							       TCP(80) }), 0);
	assert_int_equal(fixture_run(fx.skel->progs.xdp_ingress, &owned, BIG_IFINDEX, &ret), 0);
	assert_int_equal(ret, XDP_PASS);
	assert_int_equal(fixture_run(fx.skel->progs.xdp_ingress, &other, BIG_IFINDEX, &ret), 0);
	assert_int_equal(ret, XDP_DROP); /* not_owned: the ENI's settings were found */
	fixture_put_state(&fx, 1); /* slot 1 does not configure it */
	assert_int_equal(fixture_run(fx.skel->progs.xdp_ingress, &other, BIG_IFINDEX, &ret), 0);
	assert_int_equal(ret, XDP_PASS);
	fixture_put_state(&fx, 0);
}

/* Whatever test_active_slot did, later tests find slot 0 active. */
static int slot0_active(void **state)
{
	(void)state;
	fixture_put_state(&fx, 0);
	return 0;
}

/* ---------------------------------------------------------------- setup */

static int group_setup(void **state)
{
	static const char *const devs[ENI_COUNT] = {
		[ENI_A] = "a0", [ENI_U] = "a1", [ENI_B] = "b0", [ENI_C] = "b1",
	};

	*state = &fx;
	if (fixture_setup(&fx, "bpfin", devs, ENI_COUNT, 0))
		return -1;
	populate();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_failsafes),
		cmocka_unit_test(test_ownership),
		cmocka_unit_test(test_not_owned_without_lookups),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_rule_spans),
		cmocka_unit_test(test_audit_and_unconfigured),
		cmocka_unit_test(test_unconfigured_drop),
		cmocka_unit_test(test_prefix_lengths),
		cmocka_unit_test(test_large_ifindex),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_ip_headers),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_fragment_expiry),
		cmocka_unit_test_teardown(test_active_slot, slot0_active),
	};

	return cmocka_run_group_tests(tests, group_setup, fixture_group_teardown);
}
