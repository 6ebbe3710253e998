// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_bpf_conntrack.c — connection tracking across xdp_ingress and tc_egress, run on
 * crafted frames with BPF_PROG_TEST_RUN (root), and the user-space sweep (loader/kernel/ct_gc.c) on the
 * same table. Nothing is attached and nothing is pinned.
 *
 * Setup: a private namespace with two veth pairs whose ifindexes play the interfaces. The maps
 * are filled by hand, slot 0 active. Timeouts of every ENI (seconds, distinct so that an entry's
 * expiry names the state that set it): tcp_syn 11, tcp_established 7200, tcp_closing 13, udp 31,
 * udp_stream 179, icmp 17, other 599.
 *
 *   ENI A (veth a0, enforce)   10.1.1.10, 2001:db8:1::10        in POL_IN,   out POL_OUT
 *                              10.1.1.20 both directions open     in POL_OPEN, out POL_OPEN_OUT
 *                              10.1.1.21 (same policies, tracked) in POL_OPEN, out POL_OPEN_OUT
 *                              10.1.1.30, 2001:db8:1::30 (outbound open)
 *                                                                in POL_WEB,  out POL_OPEN_OUT
 *   ENI B (veth b0, enforce)   10.1.2.10                        in POL_IN,   out POL_OUT
 *   ENI C (veth b1, AUDIT)     10.1.3.10                        in POL_IN,   out POL_OUT
 *   ENI U (veth a1, enforce, source/dest check OFF: a NAT or router ENI), no address,
 *                                                                in POL_IN,   out POL_OUT
 *   A, B and C have the check on.
 *
 *   POL_IN       tcp 80, udp 53, icmp echo request, icmpv6 echo request, GRE (47): from anywhere
 *   POL_OUT      tcp 443, udp 53, icmp echo request, icmpv6 echo request, GRE: to anywhere
 *   POL_OPEN     tcp 0-65535 and udp 0-65535 from 0.0.0.0/0
 *   POL_OPEN_OUT tcp 0-65535 and udp 0-65535 and icmp echo request to 0.0.0.0/0 and ::/0
 *   POL_WEB      tcp 443 from 0.0.0.0/0 and ::/0 (bit 1000, the last word: the root's meet is
 *                found through the spans); tcp 22 from 203.0.113.1/32 (bit 1, word 0)
 *
 * A case is one packet: the program (ingress or egress), the ENI, the frame (TCP flags, echo
 * identifier and an ICMP error's embedded packet written over the builder's), the reason whose
 * counter must move by exactly one packet (its action follows from the reason and the ENI's
 * mode), and what the flow's entry must look like afterwards: absent, or in a state whose expiry
 * is last_seen + the expected timeout. Cases of one table run in order, as a conversation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
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
#include "kernel/ct_gc.h"
#include "kernel/ct_maybe.h"
#include "kernel/ct_tables.h"
#include "kernel/owner_maps.h"
#include "eniaddr.h"
#include "pkt.h"

enum eni_id { ENI_A, ENI_B, ENI_C, ENI_U, ENI_COUNT };

#define POL_IN       1u
#define POL_OUT      2u
#define POL_OPEN     3u
#define POL_OPEN_OUT 4u
#define POL_WEB      5u
#define WEB_443      1000 /* rule bits of POL_WEB */
#define WEB_22       1

#define OPEN_OUT  (ENIADDR_ADDR_F_OUT_OPEN_TCP | ENIADDR_ADDR_F_OUT_OPEN_UDP)
#define OPEN_BOTH (ENIADDR_ADDR_F_IN_OPEN_TCP | ENIADDR_ADDR_F_IN_OPEN_UDP | OPEN_OUT)

#define PEER   "198.51.100.7"
#define PEER2  "198.51.100.8"
#define LOW_PEER "10.0.0.5"     /* sorts below every local address: the other key order */
#define ROUTER "203.0.113.1"
#define PEER6  "2001:db8:ffff::7"
#define ROUTER6 "2001:db8:fffe::1"

#define CT_SIZE 4096 /* set before load: small enough to fill in test_table_full */

#define T_SYN    11
#define T_EST    7200
#define T_CLOSE  13
#define T_UDP    31
#define T_STREAM 179
#define T_ICMP   17
#define T_OTHER  599

#define IPPROTO_GRE_ 47

static struct bpf_fixture fx;

/* ---------------------------------------------------------------- map setup */

static void put_eni(enum eni_id eni, __u8 mode)
{
	struct eniaddr_eni v = {
		.in_policy = POL_IN, .out_policy = POL_OUT, .mode = mode,
		.flags = eni == ENI_U ? 0 : ENIADDR_ENI_F_SRC_CHECK, /* U: a NAT / router ENI */
		.timeouts = { .tcp_established = T_EST, .tcp_syn = T_SYN, .tcp_closing = T_CLOSE,
			      .udp = T_UDP, .udp_stream = T_STREAM, .icmp = T_ICMP,
			      .other = T_OTHER },
	};

	fixture_put_eni(&fx, 0, fx.ifindex[eni], &v);
}

static void addr16(const char *text, __u8 out[16])
{
	assert_int_equal(ip_addr_parse(text, out), 0);
}

static void put_owner(const char *addr, enum eni_id eni, __u32 in, __u32 out, __u32 flags)
{
	struct eniaddr_owner o = { .ifindex = (__u32)fx.ifindex[eni], .in_policy = in,
				   .out_policy = out, .flags = flags };

	fixture_put_owner(&fx, 0, addr, &o);
}

/* The rules of POL_IN and POL_OUT are the same selectors; the peer is the source inbound and
 * the destination outbound, and only the direction's own policy is consulted. */
static void put_web_policy(__u32 pol)
{
	fixture_put_src(&fx, pol, "0.0.0.0/0", RULE_BITS(0, 1, 2, 3, 4));
	fixture_put_src(&fx, pol, "::/0", RULE_BITS(0, 1, 2, 3, 4));
	fixture_put_l4(&fx, pol, IPPROTO_TCP, pol == POL_IN ? 80 : 443, 16, RULE_BITS(0));
	fixture_put_l4(&fx, pol, IPPROTO_UDP, 53, 16, RULE_BITS(1));
	fixture_put_l4(&fx, pol, IPPROTO_ICMP, 8 << 8, 8, RULE_BITS(2));
	fixture_put_l4(&fx, pol, IPPROTO_ICMPV6, 128 << 8, 8, RULE_BITS(3));
	fixture_put_l4(&fx, pol, IPPROTO_GRE_, 0, 0, RULE_BITS(4));
}

static void put_owners(void)
{
	put_owner("10.1.1.10", ENI_A, POL_IN, POL_OUT, ENIADDR_ADDR_F_PRIMARY);
	put_owner("2001:db8:1::10", ENI_A, POL_IN, POL_OUT, 0);
	put_owner("10.1.1.20", ENI_A, POL_OPEN, POL_OPEN_OUT, OPEN_BOTH);
	put_owner("10.1.1.30", ENI_A, POL_WEB, POL_OPEN_OUT, OPEN_OUT);
	put_owner("2001:db8:1::30", ENI_A, POL_WEB, POL_OPEN_OUT, OPEN_OUT);
	put_owner("10.1.1.21", ENI_A, POL_OPEN, POL_OPEN_OUT, 0);
	put_owner("10.1.2.10", ENI_B, POL_IN, POL_OUT, ENIADDR_ADDR_F_PRIMARY);
	put_owner("10.1.3.10", ENI_C, POL_IN, POL_OUT, ENIADDR_ADDR_F_PRIMARY);
}

static void populate(void)
{
	fixture_put_state(&fx, 0);
	put_eni(ENI_A, ENIADDR_MODE_ENFORCE);
	put_eni(ENI_B, ENIADDR_MODE_ENFORCE);
	put_eni(ENI_C, ENIADDR_MODE_AUDIT);
	put_eni(ENI_U, ENIADDR_MODE_ENFORCE);
	put_owners();
	put_web_policy(POL_IN);
	put_web_policy(POL_OUT);
	fixture_put_src(&fx, POL_OPEN, "0.0.0.0/0", RULE_BITS(0, 1));
	fixture_put_l4(&fx, POL_OPEN, IPPROTO_TCP, 0, 0, RULE_BITS(0));
	fixture_put_l4(&fx, POL_OPEN, IPPROTO_UDP, 0, 0, RULE_BITS(1));
	fixture_put_src(&fx, POL_OPEN_OUT, "0.0.0.0/0", RULE_BITS(0, 1, 2));
	fixture_put_src(&fx, POL_OPEN_OUT, "::/0", RULE_BITS(0, 1, 2));
	fixture_put_src(&fx, POL_WEB, "0.0.0.0/0", RULE_BITS(WEB_443));
	fixture_put_src(&fx, POL_WEB, "::/0", RULE_BITS(WEB_443));
	fixture_put_src(&fx, POL_WEB, ROUTER "/32", RULE_BITS(WEB_22, WEB_443));
	fixture_put_l4(&fx, POL_WEB, IPPROTO_TCP, 443, 16, RULE_BITS(WEB_443));
	fixture_put_l4(&fx, POL_WEB, IPPROTO_TCP, 22, 16, RULE_BITS(WEB_22));
	fixture_put_l4(&fx, POL_OPEN_OUT, IPPROTO_TCP, 0, 0, RULE_BITS(0));
	fixture_put_l4(&fx, POL_OPEN_OUT, IPPROTO_UDP, 0, 0, RULE_BITS(1));
	fixture_put_l4(&fx, POL_OPEN_OUT, IPPROTO_ICMP, 8 << 8, 8, RULE_BITS(2));
}

static void ct_clear(void)
{
	size_t n;
	struct err e = {};

	assert_int_equal(ct_flush_all(&fx.maps, 0, &n, &e), 0);
}

/* One of the four tables (ct_tables.h). */
static struct ct_table table(bool v4, bool unconfirmed)
{
	struct ct_table all[CT_TABLES];

	ct_tables_of(&fx.maps, all);
	for (size_t i = 0; i < CT_TABLES; i++)
		if (all[i].v4 == v4 && all[i].unconfirmed == unconfirmed)
			return all[i];
	fail();
	return all[0];
}

/* ---------------------------------------------------------------- running and counting */

enum prog { XDP_IN, TC_IN, TC_OUT };

/* Returns the verdict as the hook means it: 1 pass, 0 drop, -1 anything else. */
static int run_prog(enum prog prog, const struct pkt *p, int ifindex, int *err)
{
	const struct bpf_program *bp = prog == XDP_IN ? fx.skel->progs.xdp_ingress
				     : prog == TC_IN  ? fx.skel->progs.tc_ingress
						      : fx.skel->progs.tc_egress;
	__u32 ret = 0;
	int rv;

	*err = fixture_run(bp, p, ifindex, &ret);
	rv = (int)ret;
	switch (prog) {
	case XDP_IN:
		return rv == XDP_PASS ? 1 : rv == XDP_DROP ? 0 : -1;
	case TC_IN:
		return rv == TC_ACT_UNSPEC ? 1 : rv == TC_ACT_SHOT ? 0 : -1;
	default:
		return rv == TC_ACT_UNSPEC ? 1 : rv == TC_ACT_SHOT ? 0 : -1;
	}
}

#define NO_ENTRY  (-2) /* the flow has no entry afterwards */
#define ANY_STATE (-1) /* not checked */

struct step {
	const char *name;
	enum prog prog;
	enum eni_id eni;
	struct pkt_spec pkt;
	__u8 tcp_flags;               /* TCP: replaces the builder's SYN */
	__u32 seq, ack;               /* TCP: 0 keeps the builder's (seq 1, ack 0) */
	__u16 win;                    /* TCP: window field */
	__u16 payload;                /* TCP: payload bytes */
	__u16 icmp_id;                /* ICMP echo: identifier */
	const struct pkt_spec *inner; /* ICMP error: the embedded packet, from its IP header on */
	__u16 inner_keep;             /* bytes of it embedded (0: all) */
	__u16 inner_icmp_id;          /* an embedded echo's identifier */
	enum eniaddr_reason reason;
	int state;                    /* NO_ENTRY, ANY_STATE or enum eniaddr_ct_state */
	__u32 timeout;                /* with a state: expires - last_seen in seconds (0: any) */
};

static int build(const struct step *s, struct pkt *p)
{
	struct pkt_spec spec = s->pkt;
	struct pkt in;
	size_t n = 0;
	int rc;

	if (s->payload)
		spec.payload = s->payload;
	if (s->inner) {
		rc = pkt_build(&in, s->inner);
		if (rc)
			return rc;
		if (in.off[PKT_L_L4] != SIZE_MAX && (s->inner->proto == IPPROTO_ICMP ||
						      s->inner->proto == IPPROTO_ICMPV6)) {
			in.data[in.off[PKT_L_L4] + 4] = (__u8)(s->inner_icmp_id >> 8);
			in.data[in.off[PKT_L_L4] + 5] = (__u8)s->inner_icmp_id;
		}
		n = in.len - in.off[PKT_L_IP];
		if (s->inner_keep && s->inner_keep < n)
			n = s->inner_keep;
		spec.payload = (__u16)n;
	}
	rc = pkt_build(p, &spec);
	if (rc)
		return rc;
	if (s->inner)
		memcpy(p->data + p->off[PKT_L_PAYLOAD], in.data + in.off[PKT_L_IP], n);
	if (spec.proto == IPPROTO_TCP && p->off[PKT_L_L4] != SIZE_MAX) {
		__u8 *th = p->data + p->off[PKT_L_L4];
		__u32 seq = htonl(s->seq), ack = htonl(s->ack);
		__u16 win = htons(s->win);

		th[13] = s->tcp_flags;
		if (s->seq)
			memcpy(th + 4, &seq, 4);
		if (s->ack)
			memcpy(th + 8, &ack, 4);
		memcpy(th + 14, &win, 2);
	}
	if ((spec.proto == IPPROTO_ICMP || spec.proto == IPPROTO_ICMPV6) &&
	    p->off[PKT_L_L4] != SIZE_MAX) {
		p->data[p->off[PKT_L_L4] + 4] = (__u8)(s->icmp_id >> 8);
		p->data[p->off[PKT_L_L4] + 5] = (__u8)s->icmp_id;
	}
	return 0;
}

/* The key of the packet's flow as the programs build it (loader/kernel/ct_gc.h, which mirrors them:
 * a mismatch shows as entries the tests cannot find). Returns 1 when the packet's source is
 * the key's hi endpoint. */
static __u8 key_of(const struct step *s, struct eniaddr_ct_key *k)
{
	const struct pkt_spec *p = &s->pkt;
	__be16 sport = 0, dport = 0;
	__u8 src[16], dst[16];

	addr16(p->src, src);
	addr16(p->dst, dst);
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) {
		sport = htons(p->sport);
		dport = htons(p->dport);
	} else if (p->icmp_type == 8 || p->icmp_type == 128) {
		sport = htons(s->icmp_id);
	} else if (p->icmp_type == 0 || p->icmp_type == 129) {
		dport = htons(s->icmp_id);
	}
	return ct_key_make(k, (__u32)fx.ifindex[s->eni], p->proto, src, sport, dst, dport);
}

/* The entry of the step's flow in either table of its family: 0 and *v (*confirmed: in the
 * confirmed one), or -ENOENT. An IPv4 flow found in an IPv6 table (under its 44-byte key) is
 * -EEXIST: the programs put it in the wrong family's table. */
static int flow_entry_in(const struct step *s, struct eniaddr_ct_key *k, struct eniaddr_ct *v,
			 bool *confirmed)
{
	key_of(s, k);
	if (ct_key_is_v4(k) && (!bpf_map_lookup_elem(fx.maps.ct, k, v) ||
				!bpf_map_lookup_elem(fx.maps.ct_new, k, v)))
		return -EEXIST;
	*confirmed = !ct_flow_lookup(&fx.maps, false, k, v);
	if (*confirmed)
		return 0;
	return ct_flow_lookup(&fx.maps, true, k, v) ? -ENOENT : 0;
}

static int flow_entry(const struct step *s, struct eniaddr_ct_key *k, struct eniaddr_ct *v)
{
	bool confirmed;

	return flow_entry_in(s, k, v, &confirmed);
}

/* The entry's deadline (eniaddr_ct_expired: expires_ns, or closed_ns once closed) is the last
 * refresh (last_seen) + secs, and at most one second later: the coarse refresh's slack
 * (bpf/conntrack.h, "Writes of a hit"), never earlier. */
static bool timeout_is(const struct eniaddr_ct *v, __u32 secs)
{
	__u64 deadline = v->expires_ns, want = v->last_seen_ns + secs * 1000000000ull;

	if (v->closed_ns && v->closed_ns < deadline)
		deadline = v->closed_ns;
	return deadline >= want && deadline <= want + 1000000000ull;
}

static bool is_audit(enum eni_id eni)
{
	return eni == ENI_C;
}

static bool run_step(const struct step *s)
{
	int ifindex = fx.ifindex[s->eni], err = 0, got;
	bool drop = s->reason >= ENIADDR_R_FIRST_DROP;
	struct eniaddr_stat_key key = {
		.ifindex = (__u32)ifindex,
		.reason = (__u16)s->reason,
		.dir = s->prog == TC_OUT ? ENIADDR_DIR_EGRESS : ENIADDR_DIR_INGRESS,
		.action = !drop ? ENIADDR_ACT_PASS : is_audit(s->eni) ? ENIADDR_ACT_AUDIT
								      : ENIADDR_ACT_DROP,
	};
	int want = !drop || is_audit(s->eni);
	struct fixture_snapshot before;
	struct fixture_moved moved;
	struct eniaddr_ct_key k;
	struct eniaddr_ct v;
	struct pkt p;
	int found;

	if (build(s, &p)) {
		print_error("%s: the packet spec does not build\n", s->name);
		return false;
	}
	before = fixture_snapshot(&fx, &key);
	got = run_prog(s->prog, &p, ifindex, &err);
	moved = fixture_moved(&fx, &before);
	if (err || got != want || moved.packets != 1 || moved.total != 1) {
		print_error("%s: test_run %d, verdict %d want %d; counter %s moved %llu (want 1); "
			    "all counters moved %llu\n", s->name, err, got, want,
			    fixture_reason_name(s->reason), (unsigned long long)moved.packets,
			    (unsigned long long)moved.total);
		return false;
	}
	if (s->state == ANY_STATE)
		return true;
	found = flow_entry(s, &k, &v);
	if (s->state == NO_ENTRY) {
		if (!found) {
			print_error("%s: the flow has an entry (state %s), want none\n", s->name,
				    ct_state_name(v.state));
			return false;
		}
		return true;
	}
	if (found || v.state != s->state || (s->timeout && !timeout_is(&v, s->timeout))) {
		print_error("%s: entry %s, state %s want %s, timeout %lld want %u\n", s->name,
			    found ? "missing" : "found", found ? "-" : ct_state_name(v.state),
			    ct_state_name((__u8)s->state),
			    found ? -1LL : (long long)(((v.closed_ns ? v.closed_ns : v.expires_ns) -
							v.last_seen_ns) / 1000000000ull),
			    s->timeout);
		return false;
	}
	return true;
}

static void run_steps(const struct step *steps, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++)
		if (!run_step(&steps[i]))
			failed++;
	if (failed)
		fail_msg("%d of %zu steps failed", failed, n);
}

#define RUN_STEPS(t) run_steps((t), sizeof(t) / sizeof((t)[0]))

/* Spec shorthands: IN/OUT name the program and ENI, the rest the frame. */
#define IN(e)  .prog = XDP_IN, .eni = (e)
#define OUT(e) .prog = TC_OUT, .eni = (e)
#define TCP(s, sp, d, dp, f) \
	.pkt = { .src = (s), .dst = (d), .proto = IPPROTO_TCP, .sport = (sp), .dport = (dp) }, \
	.tcp_flags = (f)
#define UDP(s, sp, d, dp) \
	.pkt = { .src = (s), .dst = (d), .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp) }
#define ICMP(s, d, t, c, id) \
	.pkt = { .src = (s), .dst = (d), .proto = IPPROTO_ICMP, .icmp_type = (t), \
		 .icmp_code = (c) }, .icmp_id = (id)
#define ICMP6(s, d, t, c, id) \
	.pkt = { .src = (s), .dst = (d), .proto = IPPROTO_ICMPV6, .icmp_type = (t), \
		 .icmp_code = (c) }, .icmp_id = (id)
#define WANT(r, st, t) .reason = ENIADDR_R_##r, .state = (st), .timeout = (t)

#define SYN    0x02
#define SYNACK 0x12
#define ACK    0x10
#define FINACK 0x11
#define RST    0x04
#define RSTACK 0x14
#define PSHACK 0x18

#define NEW  ENIADDR_CT_NEW
#define SYNR ENIADDR_CT_SYN_RECV
#define EST  ENIADDR_CT_ESTABLISHED
#define STRM ENIADDR_CT_STREAM
#define CLSG ENIADDR_CT_CLOSING
#define CLSD ENIADDR_CT_CLOSED

/* ---------------------------------------------------------------- cases */

/* An inbound connection allowed by a rule, through every TCP transition to its end and reuse. */
static void test_tcp_inbound(void **state)
{
	static const struct step steps[] = {
		{ "syn in (rule)", IN(ENI_A), TCP(PEER, 40001, "10.1.1.10", 80, SYN),
		  WANT(ALLOWED, NEW, T_SYN) },
		{ "syn-ack out", OUT(ENI_A), TCP("10.1.1.10", 80, PEER, 40001, SYNACK),
		  WANT(CT_REPLY, SYNR, T_SYN) },
		{ "ack in", IN(ENI_A), TCP(PEER, 40001, "10.1.1.10", 80, ACK),
		  WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "data out", OUT(ENI_A), TCP("10.1.1.10", 80, PEER, 40001, ACK),
		  WANT(CT_REPLY, EST, T_EST) },
		{ "fin in", IN(ENI_A), TCP(PEER, 40001, "10.1.1.10", 80, FINACK),
		  WANT(CT_ESTABLISHED, CLSG, T_EST) },
		{ "ack of the fin out", OUT(ENI_A), TCP("10.1.1.10", 80, PEER, 40001, ACK),
		  WANT(CT_REPLY, CLSG, T_EST) },
		{ "fin out completes the close", OUT(ENI_A),
		  TCP("10.1.1.10", 80, PEER, 40001, FINACK), WANT(CT_REPLY, CLSD, T_CLOSE) },
		{ "last ack in", IN(ENI_A), TCP(PEER, 40001, "10.1.1.10", 80, ACK),
		  WANT(CT_ESTABLISHED, CLSD, T_CLOSE) },
		{ "a new syn on the closed tuple goes to the rules", IN(ENI_A),
		  TCP(PEER, 40001, "10.1.1.10", 80, SYN), WANT(ALLOWED, NEW, T_SYN) },
		{ "rst in closes", IN(ENI_A), TCP(PEER, 40001, "10.1.1.10", 80, RST),
		  WANT(CT_ESTABLISHED, CLSD, T_CLOSE) },
		{ "a bare rst starts nothing", IN(ENI_A), TCP(PEER, 40002, "10.1.1.10", 80, RST),
		  WANT(ALLOWED, NO_ENTRY, 0) },
		{ "a mid-stream ack is picked up", IN(ENI_A),
		  TCP(PEER, 40003, "10.1.1.10", 80, ACK), WANT(ALLOWED, EST, T_SYN) },
		{ "its reply confirms it: tcp_established from now on", OUT(ENI_A),
		  TCP("10.1.1.10", 80, PEER, 40003, ACK), WANT(CT_REPLY, EST, T_EST) },
		{ "a fin as first packet is half closed", IN(ENI_A),
		  TCP(PEER, 40004, "10.1.1.10", 80, FINACK), WANT(ALLOWED, CLSG, T_SYN) },
		{ "syn in to a port without rule", IN(ENI_A),
		  TCP(PEER, 40005, "10.1.1.10", 81, SYN), WANT(NO_RULE, NO_ENTRY, 0) },
	};

	(void)state;
	ct_clear();
	RUN_STEPS(steps);
}

/* A connection the instance opens: its replies need no inbound rule. */
static void test_tcp_outbound(void **state)
{
	static const struct step steps[] = {
		{ "syn out (rule)", OUT(ENI_A), TCP("10.1.1.10", 50001, PEER, 443, SYN),
		  WANT(ALLOWED, NEW, T_SYN) },
		{ "syn-ack in, no inbound rule needed", IN(ENI_A),
		  TCP(PEER, 443, "10.1.1.10", 50001, SYNACK), WANT(CT_REPLY, SYNR, T_SYN) },
		{ "ack out", OUT(ENI_A), TCP("10.1.1.10", 50001, PEER, 443, ACK),
		  WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "data in", IN(ENI_A), TCP(PEER, 443, "10.1.1.10", 50001, ACK),
		  WANT(CT_REPLY, EST, T_EST) },
		{ "fin out", OUT(ENI_A), TCP("10.1.1.10", 50001, PEER, 443, FINACK),
		  WANT(CT_ESTABLISHED, CLSG, T_EST) },
		{ "fin in completes the close", IN(ENI_A),
		  TCP(PEER, 443, "10.1.1.10", 50001, FINACK), WANT(CT_REPLY, CLSD, T_CLOSE) },
		{ "syn out, second connection", OUT(ENI_A),
		  TCP("10.1.1.10", 50002, PEER, 443, SYN), WANT(ALLOWED, NEW, T_SYN) },
		{ "a rst without ack does not answer our syn", IN(ENI_A),
		  TCP(PEER, 443, "10.1.1.10", 50002, RST), WANT(CT_INVALID, NEW, T_SYN) },
		{ "a rst acking another sequence number neither", IN(ENI_A),
		  TCP(PEER, 443, "10.1.1.10", 50002, RSTACK), .ack = 7, WANT(CT_INVALID, NEW, T_SYN) },
		{ "rst-ack of our syn (seq 1) closes", IN(ENI_A),
		  TCP(PEER, 443, "10.1.1.10", 50002, RSTACK), .ack = 2,
		  WANT(CT_REPLY, CLSD, T_CLOSE) },
		{ "after rst, stragglers still pass", IN(ENI_A),
		  TCP(PEER, 443, "10.1.1.10", 50002, ACK), WANT(CT_REPLY, CLSD, T_CLOSE) },
		{ "syn out to a port without outbound rule", OUT(ENI_A),
		  TCP("10.1.1.10", 50003, PEER, 444, SYN), WANT(EGRESS_NO_RULE, NO_ENTRY, 0) },
		{ "its syn-ack cannot come in", IN(ENI_A),
		  TCP(PEER, 444, "10.1.1.10", 50003, SYNACK), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "a syn-ack to another local port", IN(ENI_A),
		  TCP(PEER, 443, "10.1.1.10", 50009, SYNACK), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "a syn-ack from another peer", IN(ENI_A),
		  TCP(PEER2, 443, "10.1.1.10", 50001, SYNACK), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "a peer below our address: syn out", OUT(ENI_A),
		  TCP("10.1.1.10", 50005, LOW_PEER, 443, SYN), WANT(ALLOWED, NEW, T_SYN) },
		{ "a peer below our address: syn-ack in", IN(ENI_A),
		  TCP(LOW_PEER, 443, "10.1.1.10", 50005, SYNACK), WANT(CT_REPLY, SYNR, T_SYN) },
		{ "a peer below our address: ack out", OUT(ENI_A),
		  TCP("10.1.1.10", 50005, LOW_PEER, 443, ACK), WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "a peer below our address: syn in", IN(ENI_A),
		  TCP(LOW_PEER, 40006, "10.1.1.10", 80, SYN), WANT(ALLOWED, NEW, T_SYN) },
		{ "a peer below our address: syn-ack out", OUT(ENI_A),
		  TCP("10.1.1.10", 80, LOW_PEER, 40006, SYNACK), WANT(CT_REPLY, SYNR, T_SYN) },
		{ "v6 syn out", OUT(ENI_A), TCP("2001:db8:1::10", 50004, PEER6, 443, SYN),
		  WANT(ALLOWED, NEW, T_SYN) },
		{ "v6 syn-ack in", IN(ENI_A), TCP(PEER6, 443, "2001:db8:1::10", 50004, SYNACK),
		  WANT(CT_REPLY, SYNR, T_SYN) },
		{ "v6 ack out", OUT(ENI_A), TCP("2001:db8:1::10", 50004, PEER6, 443, ACK),
		  WANT(CT_ESTABLISHED, EST, T_EST) },
	};

	(void)state;
	ct_clear();
	RUN_STEPS(steps);
}

/* UDP: a single exchange keeps the short timeout; a second one makes a stream. Protocols
 * without ports are tracked by addresses and protocol. */
static void test_udp_and_other(void **state)
{
	static const struct step steps[] = {
		{ "udp out (rule)", OUT(ENI_A), UDP("10.1.1.10", 5001, PEER, 53),
		  WANT(ALLOWED, NEW, T_UDP) },
		{ "its reply", IN(ENI_A), UDP(PEER, 53, "10.1.1.10", 5001),
		  WANT(CT_REPLY, EST, T_UDP) },
		{ "second request", OUT(ENI_A), UDP("10.1.1.10", 5001, PEER, 53),
		  WANT(CT_ESTABLISHED, EST, T_UDP) },
		{ "second reply: a stream", IN(ENI_A), UDP(PEER, 53, "10.1.1.10", 5001),
		  WANT(CT_REPLY, STRM, T_STREAM) },
		{ "stream goes on", OUT(ENI_A), UDP("10.1.1.10", 5001, PEER, 53),
		  WANT(CT_ESTABLISHED, STRM, T_STREAM) },
		{ "one-way traffic stays new", OUT(ENI_A), UDP("10.1.1.10", 5003, PEER, 53),
		  WANT(ALLOWED, NEW, T_UDP) },
		{ "one-way, again", OUT(ENI_A), UDP("10.1.1.10", 5003, PEER, 53),
		  WANT(CT_ESTABLISHED, NEW, T_UDP) },
		{ "unsolicited udp in", IN(ENI_A), UDP(PEER, 53, "10.1.1.10", 5002),
		  WANT(NO_RULE, NO_ENTRY, 0) },
		{ "udp in (rule)", IN(ENI_A), UDP(PEER, 6000, "10.1.1.10", 53),
		  WANT(ALLOWED, NEW, T_UDP) },
		{ "its reply out, no outbound rule for port 6000", OUT(ENI_A),
		  UDP("10.1.1.10", 53, PEER, 6000), WANT(CT_REPLY, EST, T_UDP) },
		{ "gre out (rule)", OUT(ENI_A),
		  .pkt = { .src = "10.1.1.10", .dst = PEER, .proto = IPPROTO_GRE_, .payload = 8 },
		  WANT(ALLOWED, NEW, T_OTHER) },
		{ "gre in", IN(ENI_A),
		  .pkt = { .src = PEER, .dst = "10.1.1.10", .proto = IPPROTO_GRE_, .payload = 8 },
		  WANT(CT_REPLY, EST, T_OTHER) },
	};

	(void)state;
	ct_clear();
	RUN_STEPS(steps);
}

/* Echo replies match their request by identifier, both families. */
static void test_icmp_echo(void **state)
{
	static const struct step steps[] = {
		{ "echo request out", OUT(ENI_A), ICMP("10.1.1.10", PEER, 8, 0, 77),
		  WANT(ALLOWED, NEW, T_ICMP) },
		{ "its reply in", IN(ENI_A), ICMP(PEER, "10.1.1.10", 0, 0, 77),
		  WANT(CT_REPLY, EST, T_ICMP) },
		{ "a reply with another identifier", IN(ENI_A), ICMP(PEER, "10.1.1.10", 0, 0, 78),
		  WANT(NO_RULE, NO_ENTRY, 0) },
		{ "a reply from another peer", IN(ENI_A), ICMP(PEER2, "10.1.1.10", 0, 0, 77),
		  WANT(NO_RULE, NO_ENTRY, 0) },
		{ "echo request in (rule)", IN(ENI_A), ICMP(PEER, "10.1.1.10", 8, 0, 5),
		  WANT(ALLOWED, NEW, T_ICMP) },
		{ "its reply out, no outbound rule for type 0", OUT(ENI_A),
		  ICMP("10.1.1.10", PEER, 0, 0, 5), WANT(CT_REPLY, EST, T_ICMP) },
		{ "an unsolicited echo reply out", OUT(ENI_A), ICMP("10.1.1.10", PEER, 0, 0, 6),
		  WANT(EGRESS_NO_RULE, NO_ENTRY, 0) },
		{ "icmpv6 echo request out", OUT(ENI_A), ICMP6("2001:db8:1::10", PEER6, 128, 0, 9),
		  WANT(ALLOWED, NEW, T_ICMP) },
		{ "icmpv6 its reply in", IN(ENI_A), ICMP6(PEER6, "2001:db8:1::10", 129, 0, 9),
		  WANT(CT_REPLY, EST, T_ICMP) },
		{ "icmpv6 reply, another identifier", IN(ENI_A),
		  ICMP6(PEER6, "2001:db8:1::10", 129, 0, 10), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "a timestamp request starts nothing", OUT(ENI_A),
		  ICMP("10.1.1.10", PEER, 13, 0, 1), WANT(EGRESS_NO_RULE, NO_ENTRY, 0) },
	};

	(void)state;
	ct_clear();
	RUN_STEPS(steps);
}

/* ICMP errors about a tracked flow pass (either direction of the flow, v4 and v6); errors about
 * anything else meet the rules. Related errors change nothing in the flow. */
static void test_icmp_errors(void **state)
{
	static const struct pkt_spec udp_out = { .src = "10.1.1.10", .dst = PEER,
		.proto = IPPROTO_UDP, .sport = 5100, .dport = 53, .payload = 20 };
	static const struct pkt_spec udp_other = { .src = "10.1.1.10", .dst = PEER,
		.proto = IPPROTO_UDP, .sport = 5199, .dport = 53 };
	static const struct pkt_spec udp_not_ours = { .src = PEER2, .dst = PEER,
		.proto = IPPROTO_UDP, .sport = 5100, .dport = 53 };
	static const struct pkt_spec tcp_reply_dir = { .src = "10.1.1.10", .dst = PEER,
		.proto = IPPROTO_TCP, .sport = 80, .dport = 40100 };
	static const struct pkt_spec echo_out = { .src = "10.1.1.10", .dst = PEER,
		.proto = IPPROTO_ICMP, .icmp_type = 8 };
	static const struct pkt_spec tcp6_out = { .src = "2001:db8:1::10", .dst = PEER6,
		.proto = IPPROTO_TCP, .sport = 5101, .dport = 443 };
	static const struct pkt_spec tcp6_other = { .src = "2001:db8:1::10", .dst = PEER6,
		.proto = IPPROTO_TCP, .sport = 5102, .dport = 443 };
	static const struct pkt_spec tcp6_ext = { .src = "2001:db8:1::10", .dst = PEER6,
		.proto = IPPROTO_TCP, .sport = 5101, .dport = 443,
		.ext = { { .type = 60, .len = 8 } }, .n_ext = 1 };
	static const struct pkt_spec tcp_in = { .src = PEER, .dst = "10.1.1.10",
		.proto = IPPROTO_TCP, .sport = 40100, .dport = 80 };
	static const struct pkt_spec tcp_in_other = { .src = PEER, .dst = "10.1.1.10",
		.proto = IPPROTO_TCP, .sport = 40199, .dport = 80 };
	static const struct step steps[] = {
		{ "tracked: udp out", OUT(ENI_A), UDP("10.1.1.10", 5100, PEER, 53),
		  WANT(ALLOWED, NEW, T_UDP) },
		{ "tracked: tcp syn in", IN(ENI_A), TCP(PEER, 40100, "10.1.1.10", 80, SYN),
		  WANT(ALLOWED, NEW, T_SYN) },
		{ "tracked: v6 syn out", OUT(ENI_A), TCP("2001:db8:1::10", 5101, PEER6, 443, SYN),
		  WANT(ALLOWED, NEW, T_SYN) },
		{ "port unreachable from the peer", IN(ENI_A),
		  ICMP(PEER, "10.1.1.10", 3, 3, 0), .inner = &udp_out,
		  WANT(CT_RELATED, ANY_STATE, 0) },
		{ "time exceeded from a router", IN(ENI_A), ICMP(ROUTER, "10.1.1.10", 11, 0, 0),
		  .inner = &udp_out, WANT(CT_RELATED, ANY_STATE, 0) },
		{ "only the RFC 792 minimum embedded (28 bytes)", IN(ENI_A),
		  ICMP(ROUTER, "10.1.1.10", 3, 1, 0), .inner = &udp_out, .inner_keep = 28,
		  WANT(CT_RELATED, ANY_STATE, 0) },
		{ "frag needed (3/4) about a tracked flow", IN(ENI_A),
		  ICMP(ROUTER, "10.1.1.10", 3, 4, 0), .inner = &udp_out,
		  WANT(CT_RELATED, ANY_STATE, 0) },
		{ "frag needed (3/4) about no flow of ours", IN(ENI_A),
		  ICMP(ROUTER, "10.1.1.10", 3, 4, 0), .inner = &udp_other,
		  WANT(NO_RULE, ANY_STATE, 0) },
		{ "v6 packet too big about a tracked flow", IN(ENI_A),
		  ICMP6(ROUTER6, "2001:db8:1::10", 2, 0, 0), .inner = &tcp6_out,
		  WANT(CT_RELATED, ANY_STATE, 0) },
		{ "v6 packet too big about no flow of ours", IN(ENI_A),
		  ICMP6(ROUTER6, "2001:db8:1::10", 2, 0, 0), .inner = &tcp6_other,
		  WANT(NO_RULE, ANY_STATE, 0) },
		{ "embedded header cut (24 bytes)", IN(ENI_A), ICMP(ROUTER, "10.1.1.10", 3, 1, 0),
		  .inner = &udp_out, .inner_keep = 24, WANT(NO_RULE, ANY_STATE, 0) },
		{ "about a flow we do not track", IN(ENI_A), ICMP(PEER, "10.1.1.10", 3, 3, 0),
		  .inner = &udp_other, WANT(NO_RULE, ANY_STATE, 0) },
		{ "about a packet we did not send", IN(ENI_A), ICMP(PEER, "10.1.1.10", 3, 3, 0),
		  .inner = &udp_not_ours, WANT(NO_RULE, ANY_STATE, 0) },
		{ "about a tracked packet that came to us, not from us", IN(ENI_A),
		  ICMP(ROUTER, "10.1.1.10", 3, 1, 0), .inner = &tcp_in,
		  WANT(NO_RULE, ANY_STATE, 0) },
		{ "about the reply direction of an inbound flow", IN(ENI_A),
		  ICMP(ROUTER, "10.1.1.10", 3, 1, 0), .inner = &tcp_reply_dir,
		  WANT(CT_RELATED, ANY_STATE, 0) },
		{ "echo request out (id 300)", OUT(ENI_A), ICMP("10.1.1.10", PEER, 8, 0, 300),
		  WANT(ALLOWED, NEW, T_ICMP) },
		{ "about the echo request (id 300)", IN(ENI_A),
		  ICMP(ROUTER, "10.1.1.10", 11, 0, 0), .inner = &echo_out, .inner_icmp_id = 300,
		  WANT(CT_RELATED, ANY_STATE, 0) },
		{ "about an echo request with another id", IN(ENI_A),
		  ICMP(ROUTER, "10.1.1.10", 11, 0, 0), .inner = &echo_out, .inner_icmp_id = 301,
		  WANT(NO_RULE, ANY_STATE, 0) },
		{ "v6 port unreachable", IN(ENI_A), ICMP6(PEER6, "2001:db8:1::10", 1, 4, 0),
		  .inner = &tcp6_out, WANT(CT_RELATED, ANY_STATE, 0) },
		{ "v6 time exceeded about another flow", IN(ENI_A),
		  ICMP6(ROUTER6, "2001:db8:1::10", 3, 0, 0), .inner = &tcp6_other,
		  WANT(NO_RULE, ANY_STATE, 0) },
		{ "v6 about a packet with extension headers", IN(ENI_A),
		  ICMP6(ROUTER6, "2001:db8:1::10", 3, 0, 0), .inner = &tcp6_ext,
		  WANT(NO_RULE, ANY_STATE, 0) },
		{ "v6 error embedding a v4 header", IN(ENI_A),
		  ICMP6(ROUTER6, "2001:db8:1::10", 1, 4, 0), .inner = &udp_out,
		  WANT(NO_RULE, ANY_STATE, 0) },
		{ "we send port unreachable about the inbound flow", OUT(ENI_A),
		  ICMP("10.1.1.10", PEER, 3, 3, 0), .inner = &tcp_in,
		  WANT(CT_RELATED, ANY_STATE, 0) },
		{ "we send port unreachable about something else", OUT(ENI_A),
		  ICMP("10.1.1.10", PEER, 3, 3, 0), .inner = &tcp_in_other,
		  WANT(EGRESS_NO_RULE, ANY_STATE, 0) },
		{ "its errors changed nothing in the flow", OUT(ENI_A),
		  UDP("10.1.1.10", 5100, PEER, 53), WANT(CT_ESTABLISHED, NEW, T_UDP) },
	};

	(void)state;
	ct_clear();
	RUN_STEPS(steps);
}

/* A RST closes a flow only inside its sequence window: a blind one changes nothing. */
static void test_rst_window(void **state)
{
#define OUTC(f) TCP("10.1.1.10", 50100, PEER, 443, f)
#define INC(f)  TCP(PEER, 443, "10.1.1.10", 50100, f)
	static const struct step steps[] = {
		{ "syn out, seq 1000", OUT(ENI_A), OUTC(SYN), .seq = 1000,
		  WANT(ALLOWED, NEW, T_SYN) },
		{ "syn-ack in, seq 5000", IN(ENI_A), INC(SYNACK), .seq = 5000, .ack = 1001,
		  .win = 1000, WANT(CT_REPLY, SYNR, T_SYN) },
		{ "ack out: confirmed", OUT(ENI_A), OUTC(ACK), .seq = 1001, .ack = 5001,
		  .win = 2000, WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "100 bytes in", IN(ENI_A), INC(PSHACK), .seq = 5001, .ack = 1001, .win = 1000,
		  .payload = 100, WANT(CT_REPLY, EST, T_EST) },
		{ "blind rst in, 100000 past our window", IN(ENI_A), INC(RST), .seq = 105001,
		  WANT(CT_INVALID, EST, T_EST) },
		{ "blind rst in, below what we acknowledged", IN(ENI_A), INC(RST), .seq = 4000,
		  WANT(CT_INVALID, EST, T_EST) },
		{ "the connection goes on", OUT(ENI_A), OUTC(ACK), .seq = 1001, .ack = 5101,
		  .win = 2000, WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "rst in at the peer's next sequence number closes", IN(ENI_A), INC(RST),
		  .seq = 5101, WANT(CT_REPLY, CLSD, T_CLOSE) },
	};
	static const struct step inside[] = {
		{ "syn in, seq 7000", IN(ENI_A), TCP(PEER, 40200, "10.1.1.10", 80, SYN),
		  .seq = 7000, WANT(ALLOWED, NEW, T_SYN) },
		{ "syn-ack out, seq 9000", OUT(ENI_A), TCP("10.1.1.10", 80, PEER, 40200, SYNACK),
		  .seq = 9000, .ack = 7001, .win = 500, WANT(CT_REPLY, SYNR, T_SYN) },
		{ "ack in", IN(ENI_A), TCP(PEER, 40200, "10.1.1.10", 80, ACK), .seq = 7001,
		  .ack = 9001, .win = 500, WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "rst in, inside our window (7001 + 400)", IN(ENI_A),
		  TCP(PEER, 40200, "10.1.1.10", 80, RST), .seq = 7401,
		  WANT(CT_ESTABLISHED, CLSD, T_CLOSE) },
	};
#undef OUTC
#undef INC

	(void)state;
	ct_clear();
	RUN_STEPS(steps);
	RUN_STEPS(inside);
}

/* The link-local services answer only what was asked: the request passes out whatever the
 * outbound rules say (POL_OUT has neither tcp/80 nor udp/123) and is tracked; its answer is the
 * flow's reply. An answer nobody asked for meets the rules (test_bpf_ingress.c). */
static void test_link_local_services(void **state)
{
	static const struct step steps[] = {
		{ "imds syn out", OUT(ENI_A), TCP("10.1.1.10", 50200, "169.254.169.254", 80, SYN),
		  WANT(FAILSAFE_LINK_LOCAL, NEW, T_SYN) },
		{ "imds syn-ack in: a reply", IN(ENI_A),
		  TCP("169.254.169.254", 80, "10.1.1.10", 50200, SYNACK),
		  WANT(CT_REPLY, SYNR, T_SYN) },
		{ "imds ack out", OUT(ENI_A), TCP("10.1.1.10", 50200, "169.254.169.254", 80, ACK),
		  WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "a syn from imds to :22 is no answer", IN(ENI_A),
		  TCP("169.254.169.254", 80, "10.1.1.10", 22, SYN), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "time sync request out", OUT(ENI_A), UDP("10.1.1.10", 50201, "169.254.169.123", 123),
		  WANT(FAILSAFE_LINK_LOCAL, NEW, T_UDP) },
		{ "time sync answer in", IN(ENI_A), UDP("169.254.169.123", 123, "10.1.1.10", 50201),
		  WANT(CT_REPLY, EST, T_UDP) },
		{ "dns query out", OUT(ENI_A), UDP("10.1.1.10", 50202, "169.254.169.253", 53),
		  WANT(FAILSAFE_LINK_LOCAL, NEW, T_UDP) },
		{ "dns answer to our query passes", IN(ENI_A),
		  UDP("169.254.169.253", 53, "10.1.1.10", 50202), WANT(CT_REPLY, EST, T_UDP) },
		{ "dns answer to a port that asked nothing", IN(ENI_A),
		  UDP("169.254.169.253", 53, "10.1.1.10", 50203), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "v6 dns query out", OUT(ENI_A), UDP("2001:db8:1::10", 50204, "fd00:ec2::253", 53),
		  WANT(FAILSAFE_LINK_LOCAL, NEW, T_UDP) },
		{ "v6 dns answer in", IN(ENI_A), UDP("fd00:ec2::253", 53, "2001:db8:1::10", 50204),
		  WANT(CT_REPLY, EST, T_UDP) },
		{ "tcp/80 to the dns address is no service", OUT(ENI_A),
		  TCP("10.1.1.10", 50205, "169.254.169.253", 80, SYN),
		  WANT(EGRESS_NO_RULE, NO_ENTRY, 0) },
		{ "an untracked address's imds request is tracked all the same", OUT(ENI_A),
		  TCP("10.1.1.20", 50206, "169.254.169.254", 80, SYN),
		  WANT(FAILSAFE_LINK_LOCAL, NEW, T_SYN) },
		{ "and its answer is a reply", IN(ENI_A),
		  TCP("169.254.169.254", 80, "10.1.1.20", 50206, SYNACK),
		  WANT(CT_REPLY, SYNR, T_SYN) },
	};

	(void)state;
	ct_clear();
	RUN_STEPS(steps);
}

/* The Amazon DNS resolver at the VPC's base + 2 (10.1.0.2 of VPC 10.1.0.0/16, carried in ENI A's
 * IPv4 eniaddr_nexthop entry) is exempt like 169.254.169.253: 10.1.1.40's outbound policy
 * (POL_WEB: tcp 443 and 22 only) denies udp/53 and tcp/53, yet its queries to the resolver
 * pass and are tracked, so the answers pass as replies and nothing unsolicited does. */
static void test_vpc_resolver(void **state)
{
	static const struct step steps[] = {
		{ "query to base + 2 passes whatever the rules", OUT(ENI_A),
		  UDP("10.1.1.40", 50300, "10.1.0.2", 53), WANT(FAILSAFE_LINK_LOCAL, NEW, T_UDP) },
		{ "its answer passes as the reply", IN(ENI_A),
		  UDP("10.1.0.2", 53, "10.1.1.40", 50300), WANT(CT_REPLY, EST, T_UDP) },
		{ "an answer from base + 2 nobody asked for", IN(ENI_A),
		  UDP("10.1.0.2", 53, "10.1.1.40", 50301), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "tcp query to base + 2", OUT(ENI_A),
		  TCP("10.1.1.40", 50302, "10.1.0.2", 53, SYN), WANT(FAILSAFE_LINK_LOCAL, NEW, T_SYN) },
		{ "and its syn-ack is a reply", IN(ENI_A),
		  TCP("10.1.0.2", 53, "10.1.1.40", 50302, SYNACK), WANT(CT_REPLY, SYNR, T_SYN) },
		{ "a syn from base + 2:53 to :22", IN(ENI_A),
		  TCP("10.1.0.2", 53, "10.1.1.40", 22, SYN), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "base + 3 is judged by the rules", OUT(ENI_A),
		  UDP("10.1.1.40", 50303, "10.1.0.3", 53), WANT(EGRESS_NO_RULE, NO_ENTRY, 0) },
		{ "base + 2 on another port is judged by the rules", OUT(ENI_A),
		  UDP("10.1.1.40", 50304, "10.1.0.2", 54), WANT(EGRESS_NO_RULE, NO_ENTRY, 0) },
		{ "eni b's vpc is unknown: its rules judge the same address", OUT(ENI_B),
		  UDP("10.1.2.40", 50305, "10.1.0.2", 53), WANT(EGRESS_NO_RULE, NO_ENTRY, 0) },
	};
	struct eniaddr_nexthop_key k = { .slot = 0, .ifindex = (__u32)fx.ifindex[ENI_A],
					 .family = ENIADDR_AF_INET };
	struct eniaddr_nexthop nh;

	(void)state;
	ct_clear();
	put_owner("10.1.1.40", ENI_A, POL_IN, POL_WEB, 0);
	put_owner("10.1.2.40", ENI_B, POL_IN, POL_WEB, 0);
	fixture_put_subnet4(&fx, 0, fx.ifindex[ENI_A], "10.1.1.0/24");
	assert_int_equal(bpf_map_lookup_elem(fx.maps.nexthop, &k, &nh), 0);
	nh.vpc_dns = inet_addr("10.1.0.2");
	assert_int_equal(bpf_map_update_elem(fx.maps.nexthop, &k, &nh, 0), 0);
	fixture_put_subnet4(&fx, 0, fx.ifindex[ENI_B], "10.1.2.0/24"); /* vpc_dns 0 */
	RUN_STEPS(steps);
	k.ifindex = (__u32)fx.ifindex[ENI_A];
	assert_int_equal(bpf_map_delete_elem(fx.maps.nexthop, &k), 0);
	k.ifindex = (__u32)fx.ifindex[ENI_B];
	assert_int_equal(bpf_map_delete_elem(fx.maps.nexthop, &k), 0);
}

/* Fragments: later fragments of a datagram whose first fragment passed by connection tracking
 * follow it, in both directions; strays do not. */
static void test_fragments(void **state)
{
#define FRAG(i, off, m) .frag = { .on = true, .id = (i), .offset = (off), .more = (m) }
	static const struct step steps[] = {
		{ "udp out", OUT(ENI_A), UDP("10.1.1.10", 5200, PEER, 53),
		  WANT(ALLOWED, NEW, T_UDP) },
		{ "first fragment of the reply (ct)", IN(ENI_A),
		  .pkt = { .src = PEER, .dst = "10.1.1.10", .proto = IPPROTO_UDP, .sport = 53,
			   .dport = 5200, FRAG(0x1234, 0, true), .payload = 64 },
		  WANT(CT_REPLY, EST, T_UDP) },
		{ "later fragment of the reply", IN(ENI_A),
		  .pkt = { .src = PEER, .dst = "10.1.1.10", .proto = IPPROTO_UDP,
			   FRAG(0x1234, 1480, false), .payload = 64 },
		  WANT(FRAGMENT_FOLLOWS, ANY_STATE, 0) },
		{ "stray later fragment in", IN(ENI_A),
		  .pkt = { .src = PEER, .dst = "10.1.1.10", .proto = IPPROTO_UDP,
			   FRAG(0x1235, 1480, false) }, WANT(FRAGMENT, ANY_STATE, 0) },
		{ "first fragment out (ct)", OUT(ENI_A),
		  .pkt = { .src = "10.1.1.10", .dst = PEER, .proto = IPPROTO_UDP, .sport = 5200,
			   .dport = 53, FRAG(0x2222, 0, true), .payload = 64 },
		  WANT(CT_ESTABLISHED, EST, T_UDP) },
		{ "later fragment out", OUT(ENI_A),
		  .pkt = { .src = "10.1.1.10", .dst = PEER, .proto = IPPROTO_UDP,
			   FRAG(0x2222, 1480, false), .payload = 64 },
		  WANT(FRAGMENT_FOLLOWS, ANY_STATE, 0) },
		{ "stray later fragment out", OUT(ENI_A),
		  .pkt = { .src = "10.1.1.10", .dst = PEER, .proto = IPPROTO_UDP,
			   FRAG(0x2223, 1480, false) }, WANT(FRAGMENT, ANY_STATE, 0) },
		{ "first fragment out, no rule", OUT(ENI_A),
		  .pkt = { .src = "10.1.1.10", .dst = PEER, .proto = IPPROTO_TCP, .sport = 5201,
			   .dport = 444, FRAG(0x2224, 0, true) }, .tcp_flags = SYN,
		  WANT(EGRESS_NO_RULE, NO_ENTRY, 0) },
		{ "its later fragment", OUT(ENI_A),
		  .pkt = { .src = "10.1.1.10", .dst = PEER, .proto = IPPROTO_TCP,
			   FRAG(0x2224, 8, false) }, WANT(FRAGMENT, ANY_STATE, 0) },
		{ "v6 echo request out", OUT(ENI_A), ICMP6("2001:db8:1::10", PEER6, 128, 0, 12),
		  WANT(ALLOWED, NEW, T_ICMP) },
		{ "v6 first fragment of its reply (ct)", IN(ENI_A),
		  .pkt = { .src = PEER6, .dst = "2001:db8:1::10", .proto = IPPROTO_ICMPV6,
			   .icmp_type = 129, .ext = { { .type = 44, .len = 8 } }, .n_ext = 1,
			   .frag = { .id = 0xabc, .offset = 0, .more = true }, .payload = 64 },
		  .icmp_id = 12, WANT(CT_REPLY, EST, T_ICMP) },
		{ "v6 later fragment of the reply", IN(ENI_A),
		  .pkt = { .src = PEER6, .dst = "2001:db8:1::10", .proto = IPPROTO_ICMPV6,
			   .ext = { { .type = 44, .len = 8 } }, .n_ext = 1,
			   .frag = { .id = 0xabc, .offset = 1232, .more = false }, .payload = 64 },
		  WANT(FRAGMENT_FOLLOWS, ANY_STATE, 0) },
	};
#undef FRAG

	(void)state;
	ct_clear();
	RUN_STEPS(steps);
}

/* Open to 0.0.0.0/0 on all ports both ways: no state, so removing the rule cuts the flow at
 * once; the same rules on a tracked address keep the flow alive. */
static void test_untracked(void **state)
{
	static const struct step open[] = {
		{ "untracked: syn in", IN(ENI_A), TCP(PEER, 41000, "10.1.1.20", 9999, SYN),
		  WANT(ALLOWED, NO_ENTRY, 0) },
		{ "untracked: syn-ack out (rules)", OUT(ENI_A),
		  TCP("10.1.1.20", 9999, PEER, 41000, SYNACK), WANT(ALLOWED, NO_ENTRY, 0) },
		{ "untracked: ack in (rules)", IN(ENI_A),
		  TCP(PEER, 41000, "10.1.1.20", 9999, ACK), WANT(ALLOWED, NO_ENTRY, 0) },
		{ "untracked: udp in", IN(ENI_A), UDP(PEER, 41001, "10.1.1.20", 7777),
		  WANT(ALLOWED, NO_ENTRY, 0) },
		{ "untracked address, icmp is tracked", OUT(ENI_A),
		  ICMP("10.1.1.20", PEER, 8, 0, 44), WANT(ALLOWED, NEW, T_ICMP) },
		{ "tracked twin: syn in", IN(ENI_A), TCP(PEER, 41000, "10.1.1.21", 9999, SYN),
		  WANT(ALLOWED, NEW, T_SYN) },
		{ "tracked twin: syn-ack out", OUT(ENI_A),
		  TCP("10.1.1.21", 9999, PEER, 41000, SYNACK), WANT(CT_REPLY, SYNR, T_SYN) },
		{ "tracked twin: ack in", IN(ENI_A), TCP(PEER, 41000, "10.1.1.21", 9999, ACK),
		  WANT(CT_ESTABLISHED, EST, T_EST) },
	};
	static const struct step removed[] = {
		{ "rule gone: the untracked flow is cut", IN(ENI_A),
		  TCP(PEER, 41000, "10.1.1.20", 9999, ACK), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "rule gone: the tracked flow lives on", IN(ENI_A),
		  TCP(PEER, 41000, "10.1.1.21", 9999, ACK), WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "rule gone: a new tracked connection is refused", IN(ENI_A),
		  TCP(PEER, 41002, "10.1.1.21", 9999, SYN), WANT(NO_RULE, NO_ENTRY, 0) },
	};

	(void)state;
	ct_clear();
	RUN_STEPS(open);
	/* What a publish without the inbound rule writes: no policy, no untracked flag. */
	put_owner("10.1.1.20", ENI_A, ENIADDR_POLICY_NONE, POL_OPEN_OUT, 0);
	put_owner("10.1.1.21", ENI_A, ENIADDR_POLICY_NONE, POL_OPEN_OUT, 0);
	RUN_STEPS(removed);
	put_owners();
}

/* AWS's own example, per rule: inbound tcp/443 from 0.0.0.0/0 (and ::/0) with outbound all to
 * there is untracked, tcp/22 from one /32 on the same address is tracked; removing the 443 rule
 * cuts its flows at once, the SSH session lives on. */
static void test_untracked_per_rule(void **state)
{
	static const struct step open[] = {
		{ "443: syn in from anywhere", IN(ENI_A), TCP(PEER, 42000, "10.1.1.30", 443, SYN),
		  WANT(ALLOWED, NO_ENTRY, 0) },
		{ "443: syn-ack out, by the rules", OUT(ENI_A),
		  TCP("10.1.1.30", 443, PEER, 42000, SYNACK), WANT(ALLOWED, NO_ENTRY, 0) },
		{ "443: ack in, by the rules", IN(ENI_A), TCP(PEER, 42000, "10.1.1.30", 443, ACK),
		  WANT(ALLOWED, NO_ENTRY, 0) },
		{ "v6 443: syn in", IN(ENI_A), TCP(PEER6, 42000, "2001:db8:1::30", 443, SYN),
		  WANT(ALLOWED, NO_ENTRY, 0) },
		{ "v6 443: syn-ack out", OUT(ENI_A), TCP("2001:db8:1::30", 443, PEER6, 42000, SYNACK),
		  WANT(ALLOWED, NO_ENTRY, 0) },
		{ "22 from the /32: syn in, tracked", IN(ENI_A),
		  TCP(ROUTER, 42001, "10.1.1.30", 22, SYN), WANT(ALLOWED, NEW, T_SYN) },
		{ "22: syn-ack out", OUT(ENI_A), TCP("10.1.1.30", 22, ROUTER, 42001, SYNACK),
		  WANT(CT_REPLY, SYNR, T_SYN) },
		{ "22: ack in", IN(ENI_A), TCP(ROUTER, 42001, "10.1.1.30", 22, ACK),
		  WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "443 from the /32 too: the 0.0.0.0/0 rule permits it, untracked", IN(ENI_A),
		  TCP(ROUTER, 42002, "10.1.1.30", 443, SYN), WANT(ALLOWED, NO_ENTRY, 0) },
		{ "outbound to 443 elsewhere: inbound is not open, tracked", OUT(ENI_A),
		  TCP("10.1.1.30", 42003, PEER, 443, SYN), WANT(ALLOWED, NEW, T_SYN) },
	};
	static const struct step removed[] = {
		{ "443 rule gone: its flow is cut", IN(ENI_A),
		  TCP(PEER, 42000, "10.1.1.30", 443, ACK), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "443 rule gone: v6 too", IN(ENI_A),
		  TCP(PEER6, 42000, "2001:db8:1::30", 443, ACK), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "the tracked ssh session lives on", IN(ENI_A),
		  TCP(ROUTER, 42001, "10.1.1.30", 22, ACK), WANT(CT_ESTABLISHED, EST, T_EST) },
	};

	(void)state;
	ct_clear();
	RUN_STEPS(open);
	/* What a publish without the 443 rule writes: 22 from the /32 only. */
	fixture_put_src(&fx, POL_WEB, "0.0.0.0/0", RULE_BITS(-1));
	fixture_put_src(&fx, POL_WEB, "::/0", RULE_BITS(-1));
	fixture_put_src(&fx, POL_WEB, ROUTER "/32", RULE_BITS(WEB_22));
	RUN_STEPS(removed);
	fixture_put_src(&fx, POL_WEB, "0.0.0.0/0", RULE_BITS(WEB_443));
	fixture_put_src(&fx, POL_WEB, "::/0", RULE_BITS(WEB_443));
	fixture_put_src(&fx, POL_WEB, ROUTER "/32", RULE_BITS(WEB_22, WEB_443));
}

/* An ENI with the source/dest check off forwards for addresses no ENI owns: such transit
 * packets meet that ENI's groups both ways and are tracked under it; an ENI with the check on
 * still drops them, and ownership still decides for the instance's own addresses. */
static void test_transit(void **state)
{
#define CLIENT "10.0.2.5"
	static const struct step steps[] = {
		{ "transit syn in on u, allowed by its group", IN(ENI_U),
		  TCP(CLIENT, 40300, PEER, 80, SYN), WANT(ALLOWED, NEW, T_SYN) },
		{ "its syn-ack leaves u: a reply", OUT(ENI_U), TCP(PEER, 80, CLIENT, 40300, SYNACK),
		  WANT(CT_REPLY, SYNR, T_SYN) },
		{ "ack in: established, tracked under u", IN(ENI_U),
		  TCP(CLIENT, 40300, PEER, 80, ACK), WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "transit no inbound rule allows", IN(ENI_U), TCP(CLIENT, 40301, PEER, 81, SYN),
		  WANT(NO_RULE, NO_ENTRY, 0) },
		{ "transit out of u, allowed by its outbound rule", OUT(ENI_U),
		  TCP(CLIENT, 40302, PEER, 443, SYN), WANT(ALLOWED, NEW, T_SYN) },
		{ "its answer comes back in on u", IN(ENI_U), TCP(PEER, 443, CLIENT, 40302, SYNACK),
		  WANT(CT_REPLY, SYNR, T_SYN) },
		{ "transit out, no outbound rule allows", OUT(ENI_U),
		  TCP(CLIENT, 40303, PEER, 444, SYN), WANT(EGRESS_NO_RULE, NO_ENTRY, 0) },
		{ "the same transit on a (check on) is not owned", IN(ENI_A),
		  TCP(CLIENT, 40304, PEER, 80, SYN), WANT(NOT_OWNED, NO_ENTRY, 0) },
		{ "leaving a (check on) it is spoofed", OUT(ENI_A),
		  TCP(CLIENT, 40305, PEER, 443, SYN), WANT(SPOOFED_SOURCE, NO_ENTRY, 0) },
		{ "a's own address arriving on u is a's, not transit", IN(ENI_U),
		  TCP(PEER, 40306, "10.1.1.10", 80, SYN), WANT(WRONG_ENI, ANY_STATE, 0) },
	};

	(void)state;
	/* nobody's, provably (bpf/owner.h): transit takes the path without owner lookups */
	assert_true(fixture_owner_absent(&fx, 0, PEER));
	assert_true(fixture_owner_absent(&fx, 0, CLIENT));
#undef CLIENT
	ct_clear();
	RUN_STEPS(steps);
}

/* The ownership stamp (bpf/conntrack.h): within one generation a confirmed flow's packets skip
 * the owner lookup, for the flow's own local address only; a new generation, or a generation
 * the slot read does not match (a publish between the reads), takes the whole path again, and
 * so does a local address the slot's owned hint does not name. The owner entry is removed
 * behind the programs' back to see which path a packet took. */
static void test_ownership_stamp(void **state)
{
#define FLOW_IN  TCP(PEER, 40700, "10.1.1.10", 80, ACK)
#define FLOW_OUT TCP("10.1.1.10", 80, PEER, 40700, ACK)
	static const struct step handshake[] = {
		{ "syn in", IN(ENI_A), TCP(PEER, 40700, "10.1.1.10", 80, SYN),
		  WANT(ALLOWED, NEW, T_SYN) },
		{ "syn-ack out", OUT(ENI_A), TCP("10.1.1.10", 80, PEER, 40700, SYNACK),
		  WANT(CT_REPLY, SYNR, T_SYN) },
		{ "ack in confirms", IN(ENI_A), FLOW_IN, WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "data in, the whole path: stamps the flow", IN(ENI_A), FLOW_IN,
		  WANT(CT_ESTABLISHED, EST, T_EST) },
	};
	static const struct step same_generation[] = {
		{ "in, stamped: passes without the owner", IN(ENI_A), FLOW_IN,
		  WANT(CT_ESTABLISHED, EST, T_EST) },
		{ "out, stamped: the same local address", OUT(ENI_A), FLOW_OUT,
		  WANT(CT_REPLY, EST, T_EST) },
		{ "a reversed packet names the peer as local: not the stamp's", IN(ENI_A),
		  TCP("10.1.1.10", 80, PEER, 40700, ACK), WANT(NOT_OWNED, ANY_STATE, 0) },
	};
	static const struct step other_slot[] = {
		{ "the same generation read with the other slot: the whole path", IN(ENI_A),
		  FLOW_IN, WANT(NOT_OWNED, ANY_STATE, 0) },
	};
	static const struct step next_generation[] = {
		{ "a publish later: the whole path, not owned", IN(ENI_A), FLOW_IN,
		  WANT(NOT_OWNED, ANY_STATE, 0) },
		{ "out: spoofed", OUT(ENI_A), FLOW_OUT, WANT(SPOOFED_SOURCE, ANY_STATE, 0) },
	};
	static const struct step no_hint[] = {
		{ "without the owned hint: the owner first, not owned", IN(ENI_A), FLOW_IN,
		  WANT(NOT_OWNED, ANY_STATE, 0) },
		{ "out, without the hint: spoofed", OUT(ENI_A), FLOW_OUT,
		  WANT(SPOOFED_SOURCE, ANY_STATE, 0) },
	};
	struct eniaddr_eni_key ek = { .slot = 0, .ifindex = (__u32)fx.ifindex[ENI_A] };
	struct eniaddr_addr_key ak = { .slot = 0 };
	struct eniaddr_ct_key k;
	struct eniaddr_eni eni;
	struct eniaddr_ct v;

	(void)state;
	ct_clear();
	RUN_STEPS(handshake);
	assert_int_equal(flow_entry(&handshake[3], &k, &v), 0);
	assert_int_equal(v.stamp, 1u << 3); /* generation 1, slot 0; local 10.1.1.10 sorts low */
	addr16("10.1.1.10", ak.addr);
	assert_int_equal(owner_addr_delete(&fx.maps, &ak), 0);
	RUN_STEPS(same_generation);
	/* A read of slot 1 with generation 1 (a publish between the two reads): A is configured
	 * there alike, and owns nothing there. */
	assert_int_equal(bpf_map_lookup_elem(fx.maps.enis, &ek, &eni), 0);
	fixture_put_eni(&fx, 1, fx.ifindex[ENI_A], &eni);
	fixture_put_state_gen(&fx, 1, 1);
	RUN_STEPS(other_slot);
	fixture_put_state_gen(&fx, 0, 3);
	RUN_STEPS(next_generation);
	/* Back in generation 1 the stamp holds again, but not without the hint. */
	fixture_put_state(&fx, 0);
	RUN_STEPS(same_generation);
	fixture_put_hint(&fx, 0, ak.addr, (__u32)fx.ifindex[ENI_A], false);
	RUN_STEPS(no_hint);
	put_owners();
#undef FLOW_IN
#undef FLOW_OUT
}

static void set_expiry(const struct step *s, __u64 expires_ns)
{
	struct eniaddr_ct_key k;
	struct eniaddr_ct v;
	bool confirmed;

	assert_int_equal(flow_entry_in(s, &k, &v, &confirmed), 0);
	v.expires_ns = expires_ns;
	v.created_ns = 1; /* marks the old entry: a new one is created later */
	assert_int_equal(ct_flow_update(&fx.maps, !confirmed, &k, &v, BPF_EXIST), 0);
}

/* Expiry is decided by the programs: an expired entry is absent, deleted, and replaced when a
 * rule allows the packet. */
static void test_expiry(void **state)
{
	static const struct step open_udp = {
		"udp out", OUT(ENI_A), UDP("10.1.1.10", 5300, PEER, 53), WANT(ALLOWED, NEW, T_UDP)
	};
	static const struct step late_reply = {
		"reply after expiry", IN(ENI_A), UDP(PEER, 53, "10.1.1.10", 5300),
		WANT(NO_RULE, NO_ENTRY, 0)
	};
	static const struct step open_tcp = {
		"syn out", OUT(ENI_A), TCP("10.1.1.10", 5301, PEER, 443, SYN),
		WANT(ALLOWED, NEW, T_SYN)
	};
	static const struct step again_tcp = {
		"syn out after expiry: a new entry", OUT(ENI_A),
		TCP("10.1.1.10", 5301, PEER, 443, SYN), WANT(ALLOWED, NEW, T_SYN)
	};
	struct eniaddr_ct_key k;
	struct eniaddr_ct v;
	__u64 created;

	(void)state;
	ct_clear();
	assert_true(run_step(&open_udp));
	set_expiry(&open_udp, ct_now_ns() - 1);
	assert_true(run_step(&late_reply));

	assert_true(run_step(&open_tcp));
	assert_int_equal(flow_entry(&open_tcp, &k, &v), 0);
	created = v.created_ns;
	set_expiry(&open_tcp, ct_now_ns() - 1);
	assert_true(run_step(&again_tcp));
	assert_int_equal(flow_entry(&again_tcp, &k, &v), 0);
	assert_true(v.created_ns >= created);
	assert_true(v.expires_ns > ct_now_ns());
	assert_int_not_equal(v.created_ns, 1); /* a new entry, not the old one refreshed */
}

/* A hit writes only what changed (bpf/conntrack.h, "Writes of a hit"): within a second of the
 * last refresh a packet leaves the entry as it was; once the deadline this packet would give
 * passes the stored one, the expiry moves, to at least now + the timeout: never early. */
static void test_refresh_is_coarse(void **state)
{
	static const struct step open = {
		"udp out", OUT(ENI_A), UDP("10.1.1.10", 5401, PEER, 53), WANT(ALLOWED, NEW, T_UDP)
	};
	static const struct step reply = {
		"its reply", IN(ENI_A), UDP(PEER, 53, "10.1.1.10", 5401), WANT(CT_REPLY, EST, T_UDP)
	};
	static const struct step more = {
		"more of it", OUT(ENI_A), UDP("10.1.1.10", 5401, PEER, 53),
		WANT(CT_ESTABLISHED, EST, T_UDP)
	};
	struct eniaddr_ct_key k;
	struct eniaddr_ct a, b;
	__u64 before;

	(void)state;
	ct_clear();
	assert_true(run_step(&open));
	assert_true(run_step(&reply));
	assert_int_equal(flow_entry(&reply, &k, &a), 0);
	assert_true(run_step(&more));
	assert_int_equal(flow_entry(&more, &k, &b), 0);
	assert_int_equal(b.last_seen_ns, a.last_seen_ns); /* no write within the second */
	assert_int_equal(b.expires_ns, a.expires_ns);

	/* as if the last refresh were just over a second ago */
	set_expiry(&more, a.expires_ns - 1100000000ull);
	before = ct_now_ns();
	assert_true(run_step(&more));
	assert_int_equal(flow_entry(&more, &k, &b), 0);
	assert_true(b.last_seen_ns >= before);
	assert_true(b.expires_ns >= before + T_UDP * 1000000000ull);
	assert_true(b.expires_ns <= ct_now_ns() + (T_UDP + 1) * 1000000000ull);
}

/* An established UDP entry on eni for a flow src:sport -> dst:dport, started by src. */
static void plant(enum eni_id eni, const char *src, unsigned int sport, const char *dst,
		  unsigned int dport)
{
	struct eniaddr_ct v = { .state = ENIADDR_CT_ESTABLISHED };
	struct eniaddr_ct_key k;
	__u8 s[16], d[16];

	addr16(src, s);
	addr16(dst, d);
	v.init_hi = ct_key_make(&k, (__u32)fx.ifindex[eni], IPPROTO_UDP, s, htons(sport), d,
				htons(dport));
	v.created_ns = v.last_seen_ns = ct_now_ns();
	v.expires_ns = v.last_seen_ns + 60 * 1000000000ull;
	assert_int_equal(ct_flow_update(&fx.maps, false, &k, &v, BPF_NOEXIST), 0);
}

/* The ENI is part of the key: state of one interface never admits on another. */
static void test_eni_isolation(void **state)
{
	static const struct step steps[] = {
		{ "state planted on a does not admit on b", IN(ENI_B),
		  UDP(PEER, 53, "10.1.2.10", 5400), WANT(NO_RULE, ANY_STATE, 0) },
		{ "state of b admits on b", IN(ENI_B), UDP(PEER, 53, "10.1.2.10", 5401),
		  WANT(CT_ESTABLISHED, ANY_STATE, 0) },
		{ "a's flow, arriving on b, is b's problem first", IN(ENI_B),
		  UDP(PEER, 53, "10.1.1.10", 5402), WANT(WRONG_ENI, ANY_STATE, 0) },
		{ "b's egress does not see a's state", OUT(ENI_B),
		  UDP("10.1.2.10", 5400, PEER, 54), WANT(EGRESS_NO_RULE, ANY_STATE, 0) },
	};
	(void)state;
	ct_clear();
	/* Flows started by PEER:53 (the first two on a, the third on b) and one to PEER:54. */
	plant(ENI_A, PEER, 53, "10.1.2.10", 5400);
	plant(ENI_B, PEER, 53, "10.1.2.10", 5401);
	plant(ENI_A, PEER, 54, "10.1.2.10", 5400);
	plant(ENI_A, PEER, 53, "10.1.1.10", 5402);
	RUN_STEPS(steps);
}

/* Audit mode: outbound drops are counted as audit and pass; they create no state. tc_ingress
 * tracks like xdp_ingress. */
static void test_audit_and_tc_ingress(void **state)
{
	static const struct step steps[] = {
		{ "audit: syn out without rule passes, counted", OUT(ENI_C),
		  TCP("10.1.3.10", 50000, PEER, 444, SYN), WANT(EGRESS_NO_RULE, NO_ENTRY, 0) },
		{ "audit: its syn-ack, counted", IN(ENI_C),
		  TCP(PEER, 444, "10.1.3.10", 50000, SYNACK), WANT(NO_RULE, NO_ENTRY, 0) },
		{ "audit: allowed syn out is tracked", OUT(ENI_C),
		  TCP("10.1.3.10", 50001, PEER, 443, SYN), WANT(ALLOWED, NEW, T_SYN) },
		{ "audit: its syn-ack", IN(ENI_C), TCP(PEER, 443, "10.1.3.10", 50001, SYNACK),
		  WANT(CT_REPLY, SYNR, T_SYN) },
		{ "udp out", OUT(ENI_A), UDP("10.1.1.10", 5500, PEER, 53),
		  WANT(ALLOWED, NEW, T_UDP) },
		{ "its reply through tc_ingress", .prog = TC_IN, .eni = ENI_A,
		  UDP(PEER, 53, "10.1.1.10", 5500), WANT(CT_REPLY, EST, T_UDP) },
	};

	(void)state;
	ct_clear();
	RUN_STEPS(steps);
}

static struct step udp_flow(unsigned int sport)
{
	struct step s = { "udp out", OUT(ENI_A), UDP("10.1.1.10", sport, PEER, 53),
			  WANT(ALLOWED, ANY_STATE, 0) };

	return s;
}

static bool has_entry(const struct step *s)
{
	struct eniaddr_ct_key k;
	struct eniaddr_ct v;

	return flow_entry(s, &k, &v) == 0;
}

/* The sweep deletes expired entries, keeps live ones, and keeps an entry a packet revived
 * between its two reads. flush empties one ENI or all. */
/* ct_gc_sweep_all sweeps the confirmed tables too (nothing else gives their room back) of both
 * families, and an entry closed by a RST or two FINs expires at closed_ns even if a racing
 * packet left the long established expiry in expires_ns. */
static void test_gc_both_tables(void)
{
	static const char *const family_addr[] = { "192.0.2.1", "2001:db8::1" };
	struct eniaddr_ct_key k = { .ifindex = 0xfffffff1u, .proto = IPPROTO_TCP };
	__u64 now = ct_now_ns();
	struct eniaddr_ct live = { .last_seen_ns = now, .expires_ns = now + 3600ull * 1000000000ull };
	struct eniaddr_ct old = live, closed = live;
	struct ct_gc_stats st = {};
	struct err e = {};
	size_t f;

	old.expires_ns = now - 1;
	closed.flags = ENIADDR_CT_F_FIN_BOTH;
	closed.closed_ns = now - 1;
	for (f = 0; f < 2; f++) {
		addr16(family_addr[f], k.addr_lo);
		addr16(family_addr[f], k.addr_hi);
		k.port_lo = 1;
		assert_int_equal(ct_flow_update(&fx.maps, false, &k, &old, BPF_NOEXIST), 0);
		k.port_lo = 2;
		assert_int_equal(ct_flow_update(&fx.maps, false, &k, &closed, BPF_NOEXIST), 0);
		k.port_lo = 3;
		assert_int_equal(ct_flow_update(&fx.maps, false, &k, &live, BPF_NOEXIST), 0);
		k.port_lo = 4;
		assert_int_equal(ct_flow_update(&fx.maps, true, &k, &old, BPF_NOEXIST), 0);
	}
	assert_int_equal(ct_gc_sweep_all(&fx.maps, now, &st, &e), 0);
	assert_int_equal(st.scanned, 8);
	assert_int_equal(st.deleted, 6);
	for (f = 0; f < 2; f++) { /* only the live ones stayed, one per family */
		struct ct_table t = table(f == 0, false);
		struct ct_entries left = {};

		assert_int_equal(ct_read(&t, 0, &left, &e), 0);
		assert_int_equal(left.v.n, 1);
		addr16(family_addr[f], k.addr_lo);
		addr16(family_addr[f], k.addr_hi);
		k.port_lo = 3;
		assert_memory_equal(&left.v.v[0].k, &k, sizeof(k));
		VEC_FREE(&left.v);
		assert_int_equal(ct_table_delete(&t, &k), 0);
	}
}

static void test_gc_and_flush(void **state)
{
	struct step f1 = udp_flow(5601), f2 = udp_flow(5602), f3 = udp_flow(5603);
	struct step f2_again = udp_flow(5602);
	struct step on_b = { "udp out on b", OUT(ENI_B), UDP("10.1.2.10", 5604, PEER, 53),
			     WANT(ALLOWED, NEW, T_UDP) };
	struct ct_table v4_new = table(true, true); /* the flows are IPv4 */
	struct ct_entries expired = {};
	struct ct_gc_stats st = {};
	struct err e = {};
	size_t scanned = 0, n;
	__u64 now;

	(void)state;
	ct_clear();
	assert_true(run_step(&f1) && run_step(&f2) && run_step(&f3) && run_step(&on_b));
	now = ct_now_ns();
	set_expiry(&f1, now - 1);
	set_expiry(&f2, now - 1);

	assert_int_equal(ct_gc_collect(&v4_new, now, &expired, &scanned, &e), 0);
	assert_int_equal(scanned, 4);
	assert_int_equal(expired.v.n, 2);
	/* f2's next packet arrives between the sweep's two reads: the program finds the expired
	 * entry, drops it, and the rule creates a new one. */
	f2_again.name = "f2 again";
	assert_true(run_step(&f2_again));
	assert_int_equal(ct_gc_reap(&v4_new, now, &expired, &st, &e), 0);
	VEC_FREE(&expired.v);
	assert_int_equal(st.expired, 2);
	assert_int_equal(st.deleted, 1);
	assert_int_equal(st.revived, 1);
	assert_false(has_entry(&f1));
	assert_true(has_entry(&f2));
	assert_true(has_entry(&f3));

	assert_int_equal(ct_gc_sweep(&v4_new, ct_now_ns(), &st, &e), 0);
	assert_int_equal(st.scanned, 3);
	assert_int_equal(st.deleted, 0);
	set_expiry(&f3, ct_now_ns() - 1);
	assert_int_equal(ct_gc_sweep(&v4_new, ct_now_ns(), &st, &e), 0);
	assert_int_equal(st.deleted, 1);
	assert_false(has_entry(&f3));

	assert_int_equal(ct_flush(&v4_new, (__u32)fx.ifindex[ENI_B], &n, &e), 0);
	assert_int_equal(n, 1);
	assert_false(has_entry(&on_b));
	assert_true(has_entry(&f2));
	assert_int_equal(ct_flush(&v4_new, 0, &n, &e), 0);
	assert_int_equal(n, 1);
	assert_false(has_entry(&f2));
	test_gc_both_tables();
}

/* An allowed sender floods flows nobody answers (the 20,000 three-packet flows): they
 * live in the unconfirmed LRU and evict only each other. A confirmed flow keeps working
 * throughout; once the confirmed table is full, a new flow's confirming reply is refused
 * (ct_full, counted) and the confirmed flows still pass. The flows are IPv4: the IPv6 table
 * is not the IPv4 one, and an IPv6 flow still confirms while the IPv4 table is full. */
static void test_table_full(void **state)
{
	static const struct step open_q = {
		"dns query out", OUT(ENI_A), UDP("10.1.1.10", 5353, PEER, 53),
		WANT(ALLOWED, NEW, T_UDP) };
	static const struct step answer = {
		"its answer confirms it", IN(ENI_A), UDP(PEER, 53, "10.1.1.10", 5353),
		WANT(CT_REPLY, EST, T_UDP) };
	static const struct step answer_after = {
		"the confirmed flow still passes", IN(ENI_A), UDP(PEER, 53, "10.1.1.10", 5353),
		WANT(CT_REPLY, EST, T_UDP) };
	static const struct step new_q = {
		"a new query over the allowance goes out", OUT(ENI_A),
		UDP("10.1.1.10", 5354, PEER, 53), WANT(ALLOWED, NEW, T_UDP) };
	static const struct step new_answer = {
		"its answer is refused: the confirmed table is full", IN(ENI_A),
		UDP(PEER, 53, "10.1.1.10", 5354), WANT(CT_FULL, EST, T_UDP) };
	static const struct step v6_q = {
		"an IPv6 query", OUT(ENI_A), UDP("2001:db8:1::10", 5355, PEER6, 53),
		WANT(ALLOWED, NEW, T_UDP) };
	static const struct step v6_answer = {
		"its answer confirms it: the IPv6 table has room", IN(ENI_A),
		UDP(PEER6, 53, "2001:db8:1::10", 5355), WANT(CT_REPLY, EST, T_UDP) };
	struct eniaddr_ct_key k = { .ifindex = 0xfffffff0u, .proto = IPPROTO_UDP };
	struct eniaddr_ct v = { .expires_ns = ~0ull, .state = ENIADDR_CT_ESTABLISHED };
	struct eniaddr_ct_key ck;
	struct eniaddr_ct cv;
	unsigned int filled = 0;
	struct pkt p;
	struct step s;
	int err;

	(void)state;
	ct_clear();
	assert_true(run_step(&open_q) && run_step(&answer));
	assert_int_equal(ct_flow_lookup(&fx.maps, false, (key_of(&answer, &ck), &ck), &cv), 0);
	/* 20,000 allowed flows of three unanswered packets each, from one peer's ports. */
	for (unsigned int i = 0; i < 20000; i++) {
		s = (struct step){ "flood", IN(ENI_A), UDP(PEER2, (__u16)(10000 + i), "10.1.1.10", 53),
				   WANT(ALLOWED, ANY_STATE, 0) };
		assert_int_equal(build(&s, &p), 0);
		for (int j = 0; j < 3; j++) {
			assert_int_equal(run_prog(XDP_IN, &p, fx.ifindex[ENI_A], &err), 1);
			assert_int_equal(err, 0);
		}
	}
	assert_true(run_step(&answer_after));
	/* Fill the IPv4 confirmed table to its allowance (CT_SIZE) by hand. */
	addr16("0.0.0.0", k.addr_lo);
	addr16("0.0.0.0", k.addr_hi);
	while (filled < CT_SIZE + 16) {
		memcpy(&k.addr_lo[12], &filled, sizeof(filled));
		if (ct_flow_update(&fx.maps, false, &k, &v, BPF_NOEXIST))
			break;
		filled++;
	}
	assert_int_equal(errno, E2BIG);
	assert_true(filled < CT_SIZE); /* the answered flow holds one place */
	assert_true(run_step(&new_q) && run_step(&new_answer));
	key_of(&new_answer, &ck);
	assert_int_not_equal(ct_flow_lookup(&fx.maps, false, &ck, &cv), 0); /* not confirmed */
	assert_true(run_step(&answer_after));
	assert_true(run_step(&v6_q) && run_step(&v6_answer));
	ct_clear();
}

/* Each family's flows live in its own tables (maps/eniaddr.h): an IPv4 flow in eniaddr_ct4*
 * only, an IPv6 flow in eniaddr_ct* only, unconfirmed and then confirmed. */
static void test_family_tables(void **state)
{
	static const struct step v4[] = {
		{ "v4 udp out", OUT(ENI_A), UDP("10.1.1.10", 5701, PEER, 53),
		  WANT(ALLOWED, NEW, T_UDP) },
		{ "v4 its reply", IN(ENI_A), UDP(PEER, 53, "10.1.1.10", 5701),
		  WANT(CT_REPLY, EST, T_UDP) },
	};
	static const struct step v6[] = {
		{ "v6 udp out", OUT(ENI_A), UDP("2001:db8:1::10", 5702, PEER6, 53),
		  WANT(ALLOWED, NEW, T_UDP) },
		{ "v6 its reply", IN(ENI_A), UDP(PEER6, 53, "2001:db8:1::10", 5702),
		  WANT(CT_REPLY, EST, T_UDP) },
	};
	/* entries of each table after each step: [step][v4 confirmed, v4 new, v6, v6 new] */
	static const size_t want[4][4] = {
		{ 0, 1, 0, 0 }, { 1, 0, 0, 0 }, { 1, 0, 0, 1 }, { 1, 0, 1, 0 },
	};
	const struct step *steps[4] = { &v4[0], &v4[1], &v6[0], &v6[1] };
	struct eniaddr_ct_key k;

	(void)state;
	ct_clear();
	for (size_t i = 0; i < 4; i++) {
		assert_true(run_step(steps[i]));
		key_of(steps[i], &k);
		for (size_t t = 0; t < 4; t++) {
			struct ct_table tab = table(t < 2, t % 2);
			struct ct_entries in = {};
			struct err e = {};

			assert_int_equal(ct_read(&tab, 0, &in, &e), 0);
			if (in.v.n != want[i][t])
				print_error("%s: %s holds %zu entries, want %zu\n", steps[i]->name,
					    tab.name, in.v.n, want[i][t]);
			assert_int_equal(in.v.n, want[i][t]);
			if (in.v.n && (t < 2) == (i < 2)) /* the step's flow */
				assert_memory_equal(&in.v.v[0].k, &k, sizeof(k));
			VEC_FREE(&in.v);
		}
	}
	ct_clear();
}

/* ---------------------------------------------------------------- setup */

/* ---------------------------------------------------------------- the flow filter */

/* eniaddr_ct_maybe (maps/eniaddr.h, loader/kernel/ct_maybe.h), mapped for a test. */
static struct ct_maybe maybe_map(void)
{
	struct ct_maybe f = {};
	struct err e = {};

	assert_int_equal(ct_maybe_map(fx.maps.ct_maybe, &f, &e), 0);
	return f;
}

/* Empty tables and an empty filter (both halves: no key left, no bit owed), half 0 current. */
static void maybe_reset(const struct ct_maybe *f)
{
	ct_clear();
	memset(f->words, 0, f->len);
}

static bool maybe_has(const struct ct_maybe *f, unsigned int half, const struct step *s)
{
	struct eniaddr_ct_key k;

	key_of(s, &k);
	return ct_maybe_test(f, half, &k);
}

/* A confirmed, answered flow started by the destination of reply s, written into its table
 * with bpf_map_update_elem alone: behind the filter's back, no bit set. Returns its key. */
static struct eniaddr_ct_key insert_unmarked(const struct step *reply)
{
	struct ct_table t;
	struct eniaddr_ct_key k;
	struct eniaddr_ct4_key k4;
	__u64 now = ct_now_ns();
	struct eniaddr_ct v = {
		.created_ns = now, .last_seen_ns = now, .expires_ns = now + 100 * 1000000000ull,
		.state = ENIADDR_CT_ESTABLISHED, .flags = ENIADDR_CT_F_REPLIED,
		.origin = reply->prog == TC_OUT ? ENIADDR_DIR_INGRESS : ENIADDR_DIR_EGRESS,
	};

	v.init_hi = !key_of(reply, &k); /* the reply's destination sent the first packet */
	t = table(ct_key_is_v4(&k), false);
	if (t.v4)
		ct_key_to4(&k, &k4);
	assert_int_equal(bpf_map_update_elem(t.fd, t.v4 ? (void *)&k4 : (void *)&k, &v,
					     BPF_NOEXIST), 0);
	return k;
}

/* A packet whose key's bit is clear asks no table: an entry inserted without its bit is not
 * seen (the packet meets the rules, which drop it), and the same packet passes as the flow's
 * reply once the bit is set (user space and the programs agree on the bit, both families). */
static void test_maybe_skips_lookups(void **state)
{
	static const struct step replies[] = {
		{ "udp reply, v4", IN(ENI_A), UDP(PEER, 53, "10.1.1.10", 5701),
		  WANT(CT_REPLY, EST, 0) },
		{ "udp reply, v6", IN(ENI_A), UDP(PEER6, 53, "2001:db8:1::10", 5702),
		  WANT(CT_REPLY, EST, 0) },
		{ "tcp reply out, v4", OUT(ENI_A), TCP("10.1.1.10", 80, PEER, 5703, ACK),
		  WANT(CT_REPLY, EST, 0) },
	};
	struct ct_maybe f = maybe_map();

	(void)state;
	maybe_reset(&f);
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		struct step hidden = replies[i];
		struct eniaddr_ct_key k = insert_unmarked(&replies[i]);

		hidden.name = "the same packet, its entry without a bit: unseen";
		hidden.reason = replies[i].prog == TC_OUT ? ENIADDR_R_EGRESS_NO_RULE
							  : ENIADDR_R_NO_RULE;
		hidden.state = ANY_STATE;
		assert_false(maybe_has(&f, 0, &replies[i]));
		assert_true(run_step(&hidden));
		ct_maybe_add(&f, &k);
		assert_true(run_step(&replies[i])); /* found: a reply of the flow */
	}
	ct_maybe_unmap(&f);
}

/* Every insert sets the key's bit in both halves first: a flow the programs start, the move of
 * an answered flow to the confirmed table (even after a rebuild cleared the spare half since
 * the flow started), and user space's inserts (ct_flow_update: seeding's way in). */
static void test_maybe_every_insert_marks(void **state)
{
	static const struct step open = {
		"udp out", OUT(ENI_A), UDP("10.1.1.10", 5711, PEER, 53), WANT(ALLOWED, NEW, T_UDP)
	};
	static const struct step reply = {
		"its reply confirms it", IN(ENI_A), UDP(PEER, 53, "10.1.1.10", 5711),
		WANT(CT_REPLY, EST, T_UDP)
	};
	static const struct step seeded = {
		"a seeded flow", IN(ENI_A), TCP(PEER6, 5712, "2001:db8:1::10", 22, ACK),
		WANT(CT_ESTABLISHED, EST, 0)
	};
	struct ct_maybe f = maybe_map();
	struct eniaddr_ct_key k;
	struct eniaddr_ct v;
	unsigned int spare;
	struct err e = {};
	__u64 now = ct_now_ns();

	(void)state;
	maybe_reset(&f);
	assert_true(run_step(&open));
	assert_true(maybe_has(&f, 0, &open) && maybe_has(&f, 1, &open));
	assert_int_equal(ct_maybe_clear_spare(&f, &e), 0);
	spare = !ct_maybe_current(&f);
	assert_false(maybe_has(&f, spare, &open));
	assert_true(run_step(&reply)); /* ct_confirm's insert */
	assert_int_equal(flow_entry(&reply, &k, &v), 0);
	assert_true(maybe_has(&f, spare, &reply) && maybe_has(&f, !spare, &reply));

	key_of(&seeded, &k);
	assert_false(ct_maybe_test(&f, 0, &k) || ct_maybe_test(&f, 1, &k));
	v = (struct eniaddr_ct){ .created_ns = now, .last_seen_ns = now,
				 .expires_ns = now + 100 * 1000000000ull,
				 .state = ENIADDR_CT_ESTABLISHED, .flags = ENIADDR_CT_F_REPLIED };
	v.init_hi = key_of(&seeded, &k);
	assert_int_equal(ct_flow_update(&fx.maps, false, &k, &v, BPF_NOEXIST), 0);
	assert_true(ct_maybe_test(&f, 0, &k) && ct_maybe_test(&f, 1, &k));
	assert_true(run_step(&seeded));
	ct_maybe_unmap(&f);
}

/* The rebuild keeps the bit of every flow in a table and drops the bits of flows gone; flows
 * that start while it runs, after the clear or even after the walk, are found after the flip
 * (their inserts set both halves). */
static void test_maybe_rebuild(void **state)
{
	static const struct step kept = {
		"udp out, kept", OUT(ENI_A), UDP("10.1.1.10", 5721, PEER, 53),
		WANT(ALLOWED, NEW, T_UDP)
	};
	static const struct step gone = {
		"udp out, deleted", OUT(ENI_A), UDP("10.1.1.10", 5722, PEER, 53),
		WANT(ALLOWED, NEW, T_UDP)
	};
	static const struct step during[] = {
		{ "tcp in, between the clear and the walk", IN(ENI_A),
		  TCP(PEER, 5723, "10.1.1.10", 80, SYN), WANT(ALLOWED, NEW, T_SYN) },
		{ "udp out, between the walk and the flip", OUT(ENI_A),
		  UDP("2001:db8:1::10", 5724, PEER6, 53), WANT(ALLOWED, NEW, T_UDP) },
	};
	static const struct step answers[] = {
		{ "syn+ack of the first", OUT(ENI_A), TCP("10.1.1.10", 80, PEER, 5723, SYNACK),
		  WANT(CT_REPLY, SYNR, T_SYN) },
		{ "reply of the second", IN(ENI_A), UDP(PEER6, 53, "2001:db8:1::10", 5724),
		  WANT(CT_REPLY, EST, T_UDP) },
		{ "reply of the kept one", IN(ENI_A), UDP(PEER, 53, "10.1.1.10", 5721),
		  WANT(CT_REPLY, EST, T_UDP) },
	};
	struct ct_maybe f = maybe_map();
	struct eniaddr_ct_key k;
	struct eniaddr_ct v;
	unsigned int was;
	struct err e = {};
	size_t keys = 0;

	(void)state;
	maybe_reset(&f);
	assert_true(run_step(&kept));
	assert_true(run_step(&gone));
	assert_int_equal(flow_entry(&gone, &k, &v), 0);
	assert_int_equal(ct_flow_delete(&fx.maps, true, &k), 0);
	assert_int_equal(ct_maybe_rebuild(&fx.maps, &e), 0);
	assert_int_equal(ct_maybe_current(&f), 1);
	assert_true(maybe_has(&f, 1, &kept));
	assert_false(maybe_has(&f, 1, &gone));
	assert_int_equal(ct_maybe_count(&f, 1), 1);

	for (int round = 0; round < 2; round++) { /* both halves in turn: a flip each */
		struct step d[2] = { during[0], during[1] }, r[3] = { answers[0], answers[1] };

		r[2] = answers[2];
		d[0].pkt.sport = r[0].pkt.dport = (__u16)(d[0].pkt.sport + 10 * round);
		d[1].pkt.sport = r[1].pkt.dport = (__u16)(d[1].pkt.sport + 10 * round);
		was = ct_maybe_current(&f);
		assert_int_equal(ct_maybe_clear_spare(&f, &e), 0);
		assert_true(run_step(&d[0]));
		assert_int_equal(ct_maybe_fill_spare(&fx.maps, &f, &keys, &e), 0);
		assert_int_equal(keys, 2 + 2 * round); /* kept, d[0] (and the last round's two) */
		assert_true(run_step(&d[1]));
		ct_maybe_flip(&f);
		assert_int_equal(ct_maybe_current(&f), !was);
		run_steps(r, 3);
	}
	ct_maybe_unmap(&f);
}

/* A full filter (every bit set) is conntrack as before it: whole conversations (their flows,
 * no_rule drops, RSTs, ICMP errors) get the same verdicts. And the GC's tending rebuilds it
 * (almost every bit stale) down to the live flows, then leaves it alone. */
static void test_maybe_saturated(void **state)
{
	struct ct_maybe f = maybe_map();
	struct ct_entries live = {};
	bool rebuilt = false;
	struct err e = {};

	maybe_reset(&f);
	ct_maybe_saturate(&f);
	test_tcp_inbound(state);
	test_udp_and_other(state);
	test_icmp_errors(state);
	test_rst_window(state);
	assert_int_equal(ct_maybe_count(&f, ct_maybe_current(&f)), 1u << ENIADDR_CT_MAYBE_BITS_LOG);

	assert_int_equal(ct_read_all(&fx.maps, 0, &live, &e), 0);
	assert_true(live.v.n > 0);
	assert_int_equal(ct_maybe_tend(&fx.maps, live.v.n, &rebuilt, &e), 0);
	assert_true(rebuilt);
	assert_true(ct_maybe_count(&f, ct_maybe_current(&f)) <= live.v.n);
	for (size_t i = 0; i < live.v.n; i++)
		assert_true(ct_maybe_test(&f, ct_maybe_current(&f), &live.v.v[i].k));
	assert_int_equal(ct_maybe_tend(&fx.maps, live.v.n, &rebuilt, &e), 0);
	assert_false(rebuilt);
	VEC_FREE(&live.v);
	ct_maybe_unmap(&f);
}

static int group_setup(void **state)
{
	static const char *const devs[ENI_COUNT] = {
		[ENI_A] = "a0", [ENI_U] = "a1", [ENI_B] = "b0", [ENI_C] = "b1",
	};

	*state = &fx;
	if (fixture_setup(&fx, "bpfct", devs, ENI_COUNT, CT_SIZE))
		return -1;
	populate();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_inbound),
		cmocka_unit_test(test_tcp_outbound),
		cmocka_unit_test(test_udp_and_other),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmp_errors),
		cmocka_unit_test(test_rst_window),
		cmocka_unit_test(test_link_local_services),
		cmocka_unit_test(test_vpc_resolver),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_untracked),
		cmocka_unit_test(test_untracked_per_rule),
		cmocka_unit_test(test_transit),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_refresh_is_coarse),
		cmocka_unit_test(test_eni_isolation),
		cmocka_unit_test(test_ownership_stamp),
		cmocka_unit_test(test_audit_and_tc_ingress),
		cmocka_unit_test(test_gc_and_flush),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_family_tables),
		cmocka_unit_test(test_maybe_skips_lookups),
		cmocka_unit_test(test_maybe_every_insert_marks),
		cmocka_unit_test(test_maybe_rebuild),
		cmocka_unit_test(test_maybe_saturated),
	};

	return cmocka_run_group_tests(tests, group_setup, fixture_group_teardown);
}
