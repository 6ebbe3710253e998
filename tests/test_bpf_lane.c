// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_bpf_lane.c — the lane (bpf/lane.h) changes nothing but time. Two builds of the
 * programs on the same maps: the real one, and tests/bpf/nolane.bpf.c, the same source without
 * the lane (every packet takes the whole path). Each packet of a conversation runs through
 * both from the same state: the real build first, then the conntrack tables are put back as
 * they were and the build without the lane runs. After each packet: the same verdict, the same
 * counters moved by the same amounts, the same bytes in every entry of the four conntrack
 * tables, the same fragments remembered. A packet runs again from the start when the entries
 * differ only because the coarse clock ticked between the two runs (a refresh stores the time).
 *
 * Which way the real build took is seen from outside: the whole path writes the packet's summary
 * into eniaddr_scratch, the lane does not. Each case says which way it must go, so a lane that
 * never fires fails too. The tables are those of test_bpf_conntrack's world, smaller:
 *
 *   ENI A (a0, enforce) 10.1.1.10 in POL_IN (tcp 80 from anywhere), out POL_OUT (tcp 443)
 *   ENI B (b0, enforce) 10.1.2.10, ENI C (b1, AUDIT) 10.1.3.10, the same policies
 *   a1: no ENI entry (unconfigured)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
#include "kernel/ct_tables.h"
#include "eniaddr.h"
#include "nolane.skel.h"
#include "pkt.h"

enum eni_id { ENI_A, ENI_B, ENI_C, ENI_U, ENI_COUNT };

#define POL_IN  1u
#define POL_OUT 2u
#define T_EST   7200
#define PEER    "198.51.100.7"
#define NSEC    1000000000ull

static struct bpf_fixture fx;
static struct nolane *whole; /* the build without the lane */

/* ---------------------------------------------------------------- the world */

static void put_eni(enum eni_id eni, __u8 mode)
{
	struct eniaddr_eni v = {
		.in_policy = POL_IN, .out_policy = POL_OUT, .mode = mode,
		.flags = ENIADDR_ENI_F_SRC_CHECK,
		.timeouts = { .tcp_established = T_EST, .tcp_syn = 11, .tcp_closing = 13,
			      .udp = 31, .udp_stream = 179, .icmp = 17, .other = 599 },
	};

	fixture_put_eni(&fx, 0, fx.ifindex[eni], &v);
}

static void put_owner(const char *addr, enum eni_id eni)
{
	struct eniaddr_owner o = { .ifindex = (__u32)fx.ifindex[eni], .in_policy = POL_IN,
				   .out_policy = POL_OUT, .flags = ENIADDR_ADDR_F_PRIMARY };

	fixture_put_owner(&fx, 0, addr, &o);
}

static void populate(void)
{
	fixture_put_state(&fx, 0);
	put_eni(ENI_A, ENIADDR_MODE_ENFORCE);
	put_eni(ENI_B, ENIADDR_MODE_ENFORCE);
	put_eni(ENI_C, ENIADDR_MODE_AUDIT);
	put_owner("10.1.1.10", ENI_A);
	put_owner("10.1.2.10", ENI_B);
	put_owner("10.1.3.10", ENI_C);
	for (__u32 pol = POL_IN; pol <= POL_OUT; pol++) {
		fixture_put_src(&fx, pol, "0.0.0.0/0", RULE_BITS(0, 1));
		fixture_put_l4(&fx, pol, IPPROTO_TCP, pol == POL_IN ? 80 : 443, 16, RULE_BITS(0));
		fixture_put_l4(&fx, pol, IPPROTO_UDP, 53, 16, RULE_BITS(1));
	}
}

/* ---------------------------------------------------------------- the state compared */

#define CT_ROWS_MAX 256
#define FRAGS CT_TABLES /* the table index of eniaddr_frags, after the four conntrack tables */
#define N_TABLES (CT_TABLES + 1)

/* An entry of the four conntrack tables or of the fragment memory (eniaddr_frags). */
struct ct_row {
	__u32 table; /* index in ct_tables_of's order, or FRAGS */
	__u8 key[sizeof(struct eniaddr_ct_key)];
	union {
		struct eniaddr_ct v;
		struct eniaddr_frag f;
	};
};
_Static_assert(sizeof(struct eniaddr_frag_key) <= sizeof(struct eniaddr_ct_key), "row key");

struct ct_snap {
	size_t n;
	struct ct_row r[CT_ROWS_MAX];
};

static int row_cmp(const void *a, const void *b)
{
	const struct ct_row *x = a, *y = b;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	return memcmp(x->key, y->key, sizeof(x->key));
}

struct table_fd {
	int fd;
	size_t key_size;
};

static void tables(struct table_fd out[N_TABLES])
{
	struct ct_table t[CT_TABLES];

	ct_tables_of(&fx.maps, t);
	for (int i = 0; i < CT_TABLES; i++)
		out[i] = (struct table_fd){ t[i].fd, t[i].v4 ? sizeof(struct eniaddr_ct4_key)
							 : sizeof(struct eniaddr_ct_key) };
	out[FRAGS] = (struct table_fd){ fx.maps.frags, sizeof(struct eniaddr_frag_key) };
}

/* Every entry of the four conntrack tables and the fragment memory, sorted. */
static void ct_snap_read(struct ct_snap *s)
{
	struct table_fd t[N_TABLES];

	tables(t);
	s->n = 0;
	for (__u32 i = 0; i < N_TABLES; i++) {
		__u8 prev[sizeof(struct eniaddr_ct_key)], next[sizeof(prev)];
		bool first = true;

		while (!bpf_map_get_next_key(t[i].fd, first ? NULL : prev, next)) {
			struct ct_row *r = &s->r[s->n++];

			assert_true(s->n < CT_ROWS_MAX);
			memset(r, 0, sizeof(*r));
			r->table = i;
			memcpy(r->key, next, t[i].key_size);
			assert_int_equal(bpf_map_lookup_elem(t[i].fd, next, &r->v), 0);
			memcpy(prev, next, sizeof(prev));
			first = false;
		}
	}
	qsort(s->r, s->n, sizeof(s->r[0]), row_cmp);
}

/* The tables hold exactly s again. Keys are collected first, then deleted: a walk from the
 * start after each delete would cost a scan of the buckets per entry, and the two runs of a
 * packet must stay within one tick of the coarse clock. */
static void ct_snap_restore(const struct ct_snap *s)
{
	static struct ct_snap now;
	struct table_fd t[N_TABLES];

	tables(t);
	ct_snap_read(&now);
	for (size_t i = 0; i < now.n; i++)
		assert_int_equal(bpf_map_delete_elem(t[now.r[i].table].fd, now.r[i].key), 0);
	for (size_t i = 0; i < s->n; i++)
		assert_int_equal(bpf_map_update_elem(t[s->r[i].table].fd, s->r[i].key, &s->r[i].v,
						     BPF_ANY), 0);
}

/* Conntrack entries byte for byte; a remembered fragment by its key and reason (its expiry is
 * read from the fine clock, bpf_ktime_get_ns, never the same twice). */
static bool ct_snap_equal(const struct ct_snap *a, const struct ct_snap *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct ct_row *x = &a->r[i], *y = &b->r[i];

		if (x->table != y->table || memcmp(x->key, y->key, sizeof(x->key)))
			return false;
		if (x->table == FRAGS ? x->f.reason != y->f.reason : memcmp(&x->v, &y->v, sizeof(x->v)))
			return false;
	}
	return true;
}

static void ct_snap_print(const char *what, const struct ct_snap *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct eniaddr_ct *v = &s->r[i].v;

		if (s->r[i].table == FRAGS) {
			print_message("  %s: a remembered fragment, reason %u\n", what,
				      s->r[i].f.reason);
			continue;
		}
		print_message("  %s: table %u: state %u flags %#x stamp %#llx seq_end %u/%u ack %u/%u "
			      "win %u/%u last_seen %llu expires %llu closed %llu\n", what,
			      s->r[i].table, v->state, v->flags, (unsigned long long)v->stamp,
			      v->seq_end[0], v->seq_end[1], v->ack[0], v->ack[1], v->win[0],
			      v->win[1], (unsigned long long)v->last_seen_ns,
			      (unsigned long long)v->expires_ns, (unsigned long long)v->closed_ns);
	}
}

/* eniaddr_stats summed over CPUs: packets and bytes of every counter, as words. */
#define STAT_WORDS (sizeof(struct eniaddr_reason_counts) / sizeof(__u64))

struct stat_sums {
	__u64 w[ENIADDR_STATS_ENTRIES][STAT_WORDS];
};

/* One batch read (one syscall): the two runs of a packet must fall in one tick of the coarse
 * clock, or the times a refresh stores differ. */
static void stats_read(struct stat_sums *s)
{
	size_t sz = (sizeof(struct eniaddr_stats) + 7) & ~(size_t)7;
	static __u32 keys[ENIADDR_STATS_ENTRIES];
	static __u8 *buf;
	__u32 out = 0, count = ENIADDR_STATS_ENTRIES;

	if (!buf)
		buf = malloc((size_t)ENIADDR_STATS_ENTRIES * (size_t)fx.ncpus * sz);
	assert_non_null(buf);
	assert_int_equal(bpf_map_lookup_batch(fx.maps.stats, NULL, &out, keys, buf, &count, NULL),
			 0);
	assert_int_equal(count, ENIADDR_STATS_ENTRIES);
	memset(s, 0, sizeof(*s));
	for (__u32 i = 0; i < count; i++)
		for (int c = 0; c < fx.ncpus; c++) {
			const struct eniaddr_stats *st =
				(const void *)(buf + ((size_t)i * (size_t)fx.ncpus + (size_t)c) * sz);
			const __u64 *w = (const __u64 *)&st->reason;

			for (size_t j = 0; j < STAT_WORDS; j++)
				s->w[keys[i]][j] += w[j];
		}
}

/* Whether b - a equals d - c, counter by counter. */
static bool stats_moved_alike(const struct stat_sums *a, const struct stat_sums *b,
			      const struct stat_sums *c, const struct stat_sums *d)
{
	for (__u32 i = 0; i < ENIADDR_STATS_ENTRIES; i++)
		for (size_t j = 0; j < STAT_WORDS; j++)
			if (b->w[i][j] - a->w[i][j] != d->w[i][j] - c->w[i][j]) {
				print_message("  counter %u word %zu: %llu with the lane, %llu "
					      "without\n", i, j,
					      (unsigned long long)(b->w[i][j] - a->w[i][j]),
					      (unsigned long long)(d->w[i][j] - c->w[i][j]));
				return false;
			}
	return true;
}

/* The programs' summary (eniaddr_scratch[0] ingress, [1] egress), which the whole path writes whole
 * (pkt_summarize), even for a frame it judges before parsing IP; the lane never does. Filled
 * with a pattern no summary has (0xff bytes: an owner ifindex of 2^32 - 1). */
#define SCRATCH_MARK 0xff

static void scratch_mark(__u32 k)
{
	size_t sz = (sizeof(struct eniaddr_pkt) + 7) & ~(size_t)7;
	void *mark = malloc((size_t)fx.ncpus * sz);

	assert_non_null(mark);
	memset(mark, SCRATCH_MARK, (size_t)fx.ncpus * sz);
	assert_int_equal(bpf_map_update_elem(fx.maps.scratch, &k, mark, BPF_ANY), 0);
	free(mark);
}

static bool scratch_untouched(__u32 k)
{
	size_t sz = (sizeof(struct eniaddr_pkt) + 7) & ~(size_t)7, n = (size_t)fx.ncpus * sz;
	__u8 *buf = calloc(1, n);
	bool marked = true;

	assert_non_null(buf);
	assert_int_equal(bpf_map_lookup_elem(fx.maps.scratch, &k, buf), 0);
	for (size_t i = 0; i < n; i++)
		marked = marked && buf[i] == SCRATCH_MARK;
	free(buf);
	return marked;
}

/* ---------------------------------------------------------------- one packet, both builds */

enum prog { XDP_IN, TC_IN, TC_OUT };
enum way { LANE, WHOLE };

struct step {
	const char *name;
	enum prog prog;
	enum eni_id eni;
	struct pkt_spec pkt;
	__u8 flags;          /* TCP flags byte */
	__u32 seq, ack;
	__u16 win;
	__u16 trail;         /* zero bytes after the IP datagram (Ethernet padding) */
	enum way way;        /* which way the real build must take */
	enum eniaddr_reason reason;
};

#define SYN    0x02
#define ACK    0x10
#define PSH    0x08
#define PSHACK 0x18
#define SYNACK 0x12
#define FINACK 0x11
#define RST    0x04

static int build(const struct step *s, struct pkt *p)
{
	int rc = pkt_build(p, &s->pkt);

	if (!rc && s->trail) {
		memset(p->data + p->len, 0, s->trail);
		p->len += s->trail;
	}
	if (rc || s->pkt.proto != IPPROTO_TCP || p->off[PKT_L_L4] == SIZE_MAX ||
	    p->len < p->off[PKT_L_L4] + 20)
		return rc;
	{
		__u8 *th = p->data + p->off[PKT_L_L4];
		__u32 seq = htonl(s->seq), ack = htonl(s->ack);
		__u16 win = htons(s->win);

		th[13] = s->flags;
		memcpy(th + 4, &seq, 4);
		memcpy(th + 8, &ack, 4);
		memcpy(th + 14, &win, 2);
	}
	return 0;
}

static const struct bpf_program *prog_of(enum prog prog, bool lane)
{
	if (prog == XDP_IN)
		return lane ? fx.skel->progs.xdp_ingress : whole->progs.xdp_ingress;
	if (prog == TC_IN)
		return lane ? fx.skel->progs.tc_ingress : whole->progs.tc_ingress;
	return lane ? fx.skel->progs.tc_egress : whole->progs.tc_egress;
}

static enum eniaddr_action action_of(const struct step *s)
{
	if (s->reason < ENIADDR_R_FIRST_DROP)
		return ENIADDR_ACT_PASS;
	return s->eni == ENI_C ? ENIADDR_ACT_AUDIT : ENIADDR_ACT_DROP;
}

static struct ct_snap s0, s1, s2;
static struct stat_sums c0, c1, c2;

/* s through both builds, compared; false (with a message) when anything differs. */
static bool run_step(const struct step *s)
{
	struct eniaddr_stat_key want = {
		.ifindex = (__u32)fx.ifindex[s->eni], .reason = s->reason,
		.dir = s->prog == TC_OUT ? ENIADDR_DIR_EGRESS : ENIADDR_DIR_INGRESS,
		.action = action_of(s),
	};
	struct fixture_snapshot before;
	__u32 r1 = 0, r2 = 0;
	bool took_lane = false, same = false;
	struct pkt p;

	if (build(s, &p)) {
		print_message("%s: cannot build the frame\n", s->name);
		return false;
	}
	ct_snap_read(&s0);
	for (int attempt = 0; attempt < 8 && !same; attempt++) {
		ct_snap_restore(&s0);
		before = fixture_snapshot(&fx, &want);
		scratch_mark(s->prog == TC_OUT);
		stats_read(&c0);
		assert_int_equal(fixture_run(prog_of(s->prog, true), &p, fx.ifindex[s->eni], &r1), 0);
		took_lane = scratch_untouched(s->prog == TC_OUT);
		ct_snap_read(&s1);
		stats_read(&c1);
		ct_snap_restore(&s0);
		assert_int_equal(fixture_run(prog_of(s->prog, false), &p, fx.ifindex[s->eni], &r2),
				 0);
		ct_snap_read(&s2);
		stats_read(&c2);
		same = ct_snap_equal(&s1, &s2);
	}
	if (r1 != r2 || !same || !stats_moved_alike(&c0, &c1, &c1, &c2)) {
		print_message("%s: verdict %d with the lane, %d without; conntrack %s\n", s->name,
			      (int)r1, (int)r2, same ? "same" : "differs");
		ct_snap_print("with", &s1);
		ct_snap_print("without", &s2);
		return false;
	}
	if (fixture_moved(&fx, &before).packets != 2) {
		print_message("%s: did not end as %s (twice)\n", s->name,
			      fixture_reason_name(s->reason));
		return false;
	}
	if (took_lane != (s->way == LANE)) {
		print_message("%s: took the %s, expected the %s\n", s->name,
			      took_lane ? "lane" : "whole path", s->way == LANE ? "lane" : "whole path");
		return false;
	}
	return true;
}

static void run_steps(const struct step *steps, size_t n)
{
	bool ok = true;

	for (size_t i = 0; i < n; i++)
		ok = run_step(&steps[i]) && ok;
	assert_true(ok);
}
#define RUN_STEPS(t) run_steps((t), sizeof(t) / sizeof((t)[0]))

#define IN(e)    .prog = XDP_IN, .eni = (e)
#define TCIN(e)  .prog = TC_IN, .eni = (e)
#define OUT(e)   .prog = TC_OUT, .eni = (e)
#define TCP4(s, sp, d, dp, ...) \
	.pkt = { .src = (s), .dst = (d), .proto = IPPROTO_TCP, .sport = (sp), .dport = (dp), \
		 __VA_ARGS__ }
#define SEG(f, sq, ak, w) .flags = (f), .seq = (sq), .ack = (ak), .win = (w)
#define WAY(w, r) .way = (w), .reason = ENIADDR_R_##r

/* The confirmed entry of the IPv4 flow whose key holds port (either end), its key in *k. */
static void flow_entry(__u16 port, struct eniaddr_ct4_key *k, struct eniaddr_ct *v)
{
	bool first = true;
	struct eniaddr_ct4_key prev;

	while (!bpf_map_get_next_key(fx.maps.ct4, first ? NULL : &prev, k)) {
		if (k->port_lo == htons(port) || k->port_hi == htons(port)) {
			assert_int_equal(bpf_map_lookup_elem(fx.maps.ct4, k, v), 0);
			return;
		}
		prev = *k;
		first = false;
	}
	fail_msg("no confirmed flow with port %u", port);
}

static void set_expiry(__u16 port, __u64 expires_ns)
{
	struct eniaddr_ct4_key k;
	struct eniaddr_ct v;

	flow_entry(port, &k, &v);
	v.expires_ns = expires_ns;
	assert_int_equal(bpf_map_update_elem(fx.maps.ct4, &k, &v, BPF_EXIST), 0);
}

/* ---------------------------------------------------------------- the cases */

/* An inbound flow: handshake, then pure ACKs, data (small and large steps, retransmissions,
 * old segments), window and ACK changes: once the flow is confirmed and stamped, the lane takes
 * them all, and writes what the whole path writes. */
#define F_IN(...)  TCP4(PEER, 40000, "10.1.1.10", 80, __VA_ARGS__)
#define F_OUT(...) TCP4("10.1.1.10", 80, PEER, 40000, __VA_ARGS__)
static const struct step handshake_in[] = {
	{ "syn in: the rules", IN(ENI_A), F_IN(), SEG(SYN, 1000, 0, 500), WAY(WHOLE, ALLOWED) },
	{ "syn-ack out", OUT(ENI_A), F_OUT(), SEG(SYNACK, 5000, 1001, 600),
	  WAY(WHOLE, CT_REPLY) },
	{ "ack in confirms", IN(ENI_A), F_IN(), SEG(ACK, 1001, 5001, 500),
	  WAY(WHOLE, CT_ESTABLISHED) },
	{ "ack again: stamps", IN(ENI_A), F_IN(), SEG(ACK, 1001, 5001, 500),
	  WAY(WHOLE, CT_ESTABLISHED) },
};

static void test_pure_acks_and_data(void **state)
{
	static const struct step steps[] = {
		{ "pure ack, nothing new", IN(ENI_A), F_IN(), SEG(ACK, 1001, 5001, 500),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "the same on tc ingress", TCIN(ENI_A), F_IN(), SEG(ACK, 1001, 5001, 500),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "psh without ack, nothing new", IN(ENI_A), F_IN(), SEG(PSH, 1001, 0, 500),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "data: seq_end moves by 100", IN(ENI_A), F_IN(.payload = 100),
		  SEG(PSHACK, 1001, 5001, 500), WAY(LANE, CT_ESTABLISHED) },
		{ "its retransmission", IN(ENI_A), F_IN(.payload = 100),
		  SEG(PSHACK, 1001, 5001, 500), WAY(LANE, CT_ESTABLISHED) },
		{ "an old segment inside", IN(ENI_A), F_IN(.payload = 40),
		  SEG(ACK, 1021, 5001, 500), WAY(LANE, CT_ESTABLISHED) },
		{ "data: a step of 1400", IN(ENI_A), F_IN(.payload = 1400),
		  SEG(ACK, 1101, 5001, 500), WAY(LANE, CT_ESTABLISHED) },
		{ "data: a jump of 60000", IN(ENI_A), F_IN(.payload = 1000),
		  SEG(ACK, 61101, 5001, 500), WAY(LANE, CT_ESTABLISHED) },
		{ "the window changes", IN(ENI_A), F_IN(), SEG(ACK, 62101, 5001, 501),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "the ack moves", IN(ENI_A), F_IN(), SEG(ACK, 62101, 5002, 501),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "then steady", IN(ENI_A), F_IN(), SEG(ACK, 62101, 5002, 501),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "server data out", OUT(ENI_A), F_OUT(.payload = 300), SEG(PSHACK, 5001, 62101, 600),
		  WAY(LANE, CT_REPLY) },
		{ "its ack in", IN(ENI_A), F_IN(), SEG(ACK, 62101, 5301, 501),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "steady again", IN(ENI_A), F_IN(), SEG(ACK, 62101, 5301, 501),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "a frame longer than its IP datagram (padding)", IN(ENI_A), F_IN(),
		  SEG(ACK, 62101, 5301, 501), .trail = 10, WAY(LANE, CT_ESTABLISHED) },
	};

	(void)state;
	RUN_STEPS(handshake_in);
	RUN_STEPS(steps);
}

/* A flow the host started: inbound packets are replies (CT_REPLY) and take the lane too, and
 * so do its outbound packets (tc_egress). */
static void test_reply_direction(void **state)
{
#define R_OUT(...) TCP4("10.1.1.10", 50000, PEER, 443, __VA_ARGS__)
#define R_IN(...)  TCP4(PEER, 443, "10.1.1.10", 50000, __VA_ARGS__)
	static const struct step steps[] = {
		{ "syn out", OUT(ENI_A), R_OUT(), SEG(SYN, 7000, 0, 900), WAY(WHOLE, ALLOWED) },
		{ "syn-ack in", IN(ENI_A), R_IN(), SEG(SYNACK, 9000, 7001, 800),
		  WAY(WHOLE, CT_REPLY) },
		{ "ack out confirms", OUT(ENI_A), R_OUT(), SEG(ACK, 7001, 9001, 900),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "data in: the whole path, stamps", IN(ENI_A), R_IN(.payload = 200),
		  SEG(PSHACK, 9001, 7001, 800), WAY(WHOLE, CT_REPLY) },
		{ "retransmitted: the lane", IN(ENI_A), R_IN(.payload = 200),
		  SEG(PSHACK, 9001, 7001, 800), WAY(LANE, CT_REPLY) },
		{ "tc ingress: the lane", TCIN(ENI_A), R_IN(.payload = 200),
		  SEG(PSHACK, 9001, 7001, 800), WAY(LANE, CT_REPLY) },
		{ "its ack out: the lane outbound", OUT(ENI_A), R_OUT(), SEG(ACK, 7001, 9201, 900),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "a fin out: the whole path", OUT(ENI_A), R_OUT(), SEG(FINACK, 7001, 9201, 900),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "data in after it (half closed): the lane", IN(ENI_A), R_IN(.payload = 50),
		  SEG(PSHACK, 9201, 7002, 800), WAY(LANE, CT_REPLY) },
		{ "its ack out (half closed): the lane", OUT(ENI_A), R_OUT(),
		  SEG(ACK, 7002, 9251, 900), WAY(LANE, CT_ESTABLISHED) },
	};

	(void)state;
	RUN_STEPS(steps);
#undef R_OUT
#undef R_IN
}

/* Sequence numbers across 2^32: the comparison is modular, as the whole path's. */
static void test_wrap_around(void **state)
{
#define W_IN(...)  TCP4(PEER, 40001, "10.1.1.10", 80, __VA_ARGS__)
#define W_OUT(...) TCP4("10.1.1.10", 80, PEER, 40001, __VA_ARGS__)
	static const struct step steps[] = {
		{ "syn in", IN(ENI_A), W_IN(), SEG(SYN, 0xfffffe00u, 0, 500), WAY(WHOLE, ALLOWED) },
		{ "syn-ack out", OUT(ENI_A), W_OUT(), SEG(SYNACK, 0xffffff80u, 0xfffffe01u, 600),
		  WAY(WHOLE, CT_REPLY) },
		{ "ack in confirms", IN(ENI_A), W_IN(), SEG(ACK, 0xfffffe01u, 0xffffff81u, 500),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "ack again: stamps", IN(ENI_A), W_IN(), SEG(ACK, 0xfffffe01u, 0xffffff81u, 500),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "data across 2^32", IN(ENI_A), W_IN(.payload = 1024),
		  SEG(ACK, 0xfffffe01u, 0xffffff81u, 500), WAY(LANE, CT_ESTABLISHED) },
		{ "its retransmission", IN(ENI_A), W_IN(.payload = 1024),
		  SEG(ACK, 0xfffffe01u, 0xffffff81u, 500), WAY(LANE, CT_ESTABLISHED) },
		{ "an old segment before 2^32", IN(ENI_A), W_IN(.payload = 16),
		  SEG(ACK, 0xffffff00u, 0xffffff81u, 500), WAY(LANE, CT_ESTABLISHED) },
		{ "an ack from the server's side across 2^32", OUT(ENI_A), W_OUT(.payload = 512),
		  SEG(ACK, 0xffffff81u, 0x201u, 600), WAY(LANE, CT_REPLY) },
		{ "acking it", IN(ENI_A), W_IN(), SEG(ACK, 0x201u, 0x181u, 500),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "steady", IN(ENI_A), W_IN(), SEG(ACK, 0x201u, 0x181u, 500),
		  WAY(LANE, CT_ESTABLISHED) },
	};

	(void)state;
	RUN_STEPS(steps);
#undef W_IN
#undef W_OUT
}

/* The expiry: a refresh due (the deadline would move past the stored one) or a stored one too
 * far ahead (a shorter timeout applied) is stored by the lane as by the whole path; an expired
 * entry is the whole path's (it deletes it). */
static void test_expiry_refresh(void **state)
{
	static const struct step steady = { "steady, nothing due", IN(ENI_A), F_IN(),
					    SEG(ACK, 62101, 5301, 501), WAY(LANE, CT_ESTABLISHED) };
	static const struct step refresh = { "refresh due", IN(ENI_A), F_IN(),
					     SEG(ACK, 62101, 5301, 501),
					     WAY(LANE, CT_ESTABLISHED) };
	__u64 now = ct_now_ns();

	(void)state;
	assert_true(run_step(&steady));
	set_expiry(40000, now + (T_EST - 2) * NSEC); /* the deadline moved 2 s past it */
	assert_true(run_step(&refresh));
	assert_true(run_step(&steady));
	set_expiry(40000, now + (T_EST + 30) * NSEC); /* 30 s beyond: a timeout got shorter */
	assert_true(run_step(&refresh));
	assert_true(run_step(&steady));
	set_expiry(40000, ct_now_ns() + NSEC / 2); /* live, but the refresh is long due */
	assert_true(run_step(&refresh));
	set_expiry(40000, 1); /* expired: the whole path deletes it, the rules judge a mid-flow ACK */
	{
		static const struct step expired = { "expired: picked up again by the rules",
						     IN(ENI_A), F_IN(), SEG(ACK, 62101, 5301, 501),
						     WAY(WHOLE, ALLOWED) };

		assert_true(run_step(&expired));
	}
}

/* A publish (a new generation), the hint, another ENI, an unconfigured interface. */
#define F2_IN(...)  TCP4(PEER, 40002, "10.1.1.10", 80, __VA_ARGS__)
#define F2_OUT(...) TCP4("10.1.1.10", 80, PEER, 40002, __VA_ARGS__)
static void test_generation_and_owner(void **state)
{
	static const struct step setup[] = {
		{ "syn in", IN(ENI_A), F2_IN(), SEG(SYN, 100, 0, 500),
		  WAY(WHOLE, ALLOWED) },
		{ "syn-ack out", OUT(ENI_A), F2_OUT(), SEG(SYNACK, 300, 101, 600),
		  WAY(WHOLE, CT_REPLY) },
		{ "ack in confirms", IN(ENI_A), F2_IN(), SEG(ACK, 101, 301, 500),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "ack again: stamps", IN(ENI_A), F2_IN(), SEG(ACK, 101, 301, 500),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "steady", IN(ENI_A), F2_IN(), SEG(ACK, 101, 301, 500),
		  WAY(LANE, CT_ESTABLISHED) },
	};
	static const struct step restamp[] = {
		{ "a publish later: the whole path stamps again", IN(ENI_A), F2_IN(),
		  SEG(ACK, 101, 301, 500), WAY(WHOLE, CT_ESTABLISHED) },
		{ "then the lane", IN(ENI_A), F2_IN(), SEG(ACK, 101, 301, 500),
		  WAY(LANE, CT_ESTABLISHED) },
	};
	static const struct step elsewhere[] = {
		{ "the flow's packet on ENI B: wrong ENI", IN(ENI_B), F2_IN(),
		  SEG(ACK, 101, 301, 500), WAY(WHOLE, WRONG_ENI) },
		{ "on an unconfigured interface", IN(ENI_U), F2_IN(),
		  SEG(ACK, 101, 301, 500), WAY(WHOLE, UNCONFIGURED) },
		{ "a reversed packet (local as source) inbound", IN(ENI_A),
		  F2_OUT(), SEG(ACK, 301, 101, 600), WAY(WHOLE, NOT_OWNED) },
	};
	static const struct step restamp_out[] = {
		{ "another publish: the server's ack out, found, stamped again", OUT(ENI_A),
		  F2_OUT(), SEG(ACK, 301, 101, 600), WAY(WHOLE, CT_REPLY) },
		{ "then the lane outbound", OUT(ENI_A), F2_OUT(), SEG(ACK, 301, 101, 600),
		  WAY(LANE, CT_REPLY) },
	};
	static const struct step no_hint[] = {
		{ "hint cleared: the owner first", IN(ENI_A), F2_IN(),
		  SEG(ACK, 101, 301, 500), WAY(WHOLE, CT_ESTABLISHED) },
	};
	__u8 a[16];

	(void)state;
	RUN_STEPS(setup);
	fixture_put_state_gen(&fx, 0, 3);
	RUN_STEPS(restamp);
	fixture_put_state_gen(&fx, 0, 4); /* the lane finds the flow outbound, stamped before */
	RUN_STEPS(restamp_out);
	RUN_STEPS(elsewhere);
	assert_int_equal(ip_addr_parse("10.1.1.10", a), 0);
	fixture_put_hint(&fx, 0, a, (__u32)fx.ifindex[ENI_A], false);
	RUN_STEPS(no_hint);
	fixture_put_hint(&fx, 0, a, (__u32)fx.ifindex[ENI_A], true);
	run_steps(&restamp[1], 1);
}

/* Frames the lane leaves to the whole path: other flags, IPv4 options, fragments, VLAN tags,
 * cut or bad TCP headers, UDP of no flow; then FIN and RST, which end the flow. */
static void test_not_for_the_lane(void **state)
{
#define G(...) F2_IN(__VA_ARGS__)
	static const struct step steps[] = {
		{ "urg+ack", IN(ENI_A), G(), SEG(0x30, 101, 301, 500), WAY(WHOLE, CT_ESTABLISHED) },
		{ "ece+ack", IN(ENI_A), G(), SEG(0x50, 101, 301, 500), WAY(WHOLE, CT_ESTABLISHED) },
		{ "ipv4 options", IN(ENI_A), G(.ip4_opt_len = 4), SEG(ACK, 101, 301, 500),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "tcp options", IN(ENI_A), G(.tcp_doff = 8), SEG(ACK, 101, 301, 500),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "tcp options cut", IN(ENI_A), G(.tcp_doff = 8, .cut = { PKT_L_L4, 24, true }),
		  SEG(ACK, 101, 301, 500), WAY(WHOLE, MALFORMED) },
		{ "tcp header cut", IN(ENI_A), G(.cut = { PKT_L_L4, 19, true }),
		  SEG(ACK, 101, 301, 500), WAY(WHOLE, MALFORMED) },
		{ "data offset 4", IN(ENI_A), G(.tcp_doff = 4), SEG(ACK, 101, 301, 500),
		  WAY(WHOLE, MALFORMED) },
		/* nothing new in it but its fragment bits: the whole path remembers it */
		{ "a first fragment", IN(ENI_A),
		  G(.frag = { .on = true, .id = 77, .offset = 0, .more = true }),
		  SEG(ACK, 101, 301, 500), WAY(WHOLE, CT_ESTABLISHED) },
		{ "its next fragment follows", IN(ENI_A),
		  G(.frag = { .on = true, .id = 77, .offset = 24, .more = false }),
		  SEG(ACK, 101, 301, 500), WAY(WHOLE, FRAGMENT_FOLLOWS) },
		{ "vlan tagged", IN(ENI_A), G(.vlan = { 0x8100 }), SEG(ACK, 101, 301, 500),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "udp to a closed port", IN(ENI_A),
		  .pkt = { .src = PEER, .dst = "10.1.1.10", .proto = IPPROTO_UDP, .sport = 40002,
			   .dport = 80 }, WAY(WHOLE, NO_RULE) },
		{ "syn on the live flow", IN(ENI_A), G(), SEG(SYN, 101, 0, 500),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "blind rst", IN(ENI_A), G(), SEG(RST, 900000, 0, 0), WAY(WHOLE, CT_INVALID) },
		{ "fin in", IN(ENI_A), G(), SEG(FINACK, 102, 301, 500), WAY(WHOLE, CT_ESTABLISHED) },
		{ "ack after fin: half closed, the lane", IN(ENI_A), G(),
		  SEG(ACK, 103, 301, 500), WAY(LANE, CT_ESTABLISHED) },
		{ "data after fin: the lane", IN(ENI_A), G(.payload = 10), SEG(ACK, 103, 301, 500),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "the server's fin+ack out", OUT(ENI_A), F2_OUT(), SEG(FINACK, 301, 103, 600),
		  WAY(WHOLE, CT_REPLY) },
		{ "ack of a closed flow: the whole path", IN(ENI_A), G(), SEG(ACK, 103, 302, 500),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "rst in window", IN(ENI_A), G(), SEG(RST, 103, 0, 0), WAY(WHOLE, CT_ESTABLISHED) },
		{ "ack after rst", IN(ENI_A), G(), SEG(ACK, 103, 301, 500),
		  WAY(WHOLE, CT_ESTABLISHED) },
	};

	(void)state;
	RUN_STEPS(steps);
#undef G
}

/* A UDP conversation (a resolver's): the query starts it, the answer confirms it, the second
 * exchange makes it a stream; once stamped, both ways take the lane, which makes that
 * transition and the refresh exactly as the whole path would. */
#define UDP4(s, sp, d, dp, ...) \
	.pkt = { .src = (s), .dst = (d), .proto = IPPROTO_UDP, .sport = (sp), .dport = (dp), \
		 __VA_ARGS__ }
static void test_udp_flow(void **state)
{
#define Q_IN(...)  UDP4(PEER, 40020, "10.1.1.10", 53, __VA_ARGS__)
#define A_OUT(...) UDP4("10.1.1.10", 53, PEER, 40020, __VA_ARGS__)
	static const struct step steps[] = {
		{ "query in: a rule", IN(ENI_A), Q_IN(.payload = 30), WAY(WHOLE, ALLOWED) },
		{ "answer out confirms", OUT(ENI_A), A_OUT(.payload = 90), WAY(WHOLE, CT_REPLY) },
		{ "second query: stamps", IN(ENI_A), Q_IN(.payload = 30),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "second answer: the lane makes it a stream", OUT(ENI_A), A_OUT(.payload = 90),
		  WAY(LANE, CT_REPLY) },
		{ "query of the stream", IN(ENI_A), Q_IN(.payload = 1200),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "an empty datagram", IN(ENI_A), Q_IN(), WAY(LANE, CT_ESTABLISHED) },
		{ "tc ingress: the lane too", TCIN(ENI_A), Q_IN(.payload = 30),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "udp header cut", IN(ENI_A), Q_IN(.cut = { PKT_L_L4, 7, true }),
		  WAY(WHOLE, MALFORMED) },
		{ "a first fragment", IN(ENI_A),
		  Q_IN(.payload = 30, .frag = { .on = true, .id = 78, .offset = 0, .more = true }),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "vlan tagged", IN(ENI_A), Q_IN(.payload = 30, .vlan = { 0x8100 }),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "ipv4 options", IN(ENI_A), Q_IN(.payload = 30, .ip4_opt_len = 4),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "the flow's datagram on ENI B", IN(ENI_B), Q_IN(.payload = 30),
		  WAY(WHOLE, WRONG_ENI) },
		{ "another port: no flow, no rule", IN(ENI_A),
		  UDP4(PEER, 40021, "10.1.1.10", 54, .payload = 30), WAY(WHOLE, NO_RULE) },
		{ "and back to the lane", OUT(ENI_A), A_OUT(.payload = 90), WAY(LANE, CT_REPLY) },
	};
	static const struct step restamp[] = {
		{ "a publish later: the whole path stamps again", IN(ENI_A), Q_IN(.payload = 30),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "then the lane", OUT(ENI_A), A_OUT(.payload = 90), WAY(LANE, CT_REPLY) },
	};

	(void)state;
	RUN_STEPS(steps);
	fixture_put_state_gen(&fx, 0, 5);
	RUN_STEPS(restamp);
#undef Q_IN
#undef A_OUT
}

/* An ENI in audit mode: a tracked packet passes either way and is counted as a pass. */
static void test_audit_eni(void **state)
{
#define C_IN(...)  TCP4(PEER, 40003, "10.1.3.10", 80, __VA_ARGS__)
#define C_OUT(...) TCP4("10.1.3.10", 80, PEER, 40003, __VA_ARGS__)
	static const struct step steps[] = {
		{ "syn in", IN(ENI_C), C_IN(), SEG(SYN, 10, 0, 500), WAY(WHOLE, ALLOWED) },
		{ "syn-ack out", OUT(ENI_C), C_OUT(), SEG(SYNACK, 20, 11, 600),
		  WAY(WHOLE, CT_REPLY) },
		{ "ack in confirms", IN(ENI_C), C_IN(), SEG(ACK, 11, 21, 500),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "ack again: stamps", IN(ENI_C), C_IN(), SEG(ACK, 11, 21, 500),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "steady: the lane, counted as a pass", IN(ENI_C), C_IN(), SEG(ACK, 11, 21, 500),
		  WAY(LANE, CT_ESTABLISHED) },
		{ "no_rule in audit: audited, the whole path", IN(ENI_C), TCP4(PEER, 40003, "10.1.3.10", 81),
		  SEG(ACK, 11, 21, 500), WAY(WHOLE, NO_RULE) },
	};

	(void)state;
	RUN_STEPS(steps);
#undef C_IN
#undef C_OUT
}

/*
 * The write policy the lane relies on (README, "The lane"): seq_end is stored whenever it
 * advances, so the RST check always knows each side's next sequence. With real sequence numbers
 * and a scaled window (the raw field 502, the bytes in flight far more): through the lane and
 * the whole path alike, a RST at the receiver's next sequence (the sender's SND.NXT) stays inside
 * the window, from either side, and closes the flow; a RST just past the window does not.
 */
#define ISN_C 0x6b8b4567u /* the client's (the peer's) initial sequence number */
#define ISN_S 0x327b23c6u /* the server's (10.1.1.10) */
#define P_IN(...)  TCP4(PEER, 0, "10.1.1.10", 80, __VA_ARGS__)
#define P_OUT(...) TCP4("10.1.1.10", 80, PEER, 0, __VA_ARGS__)
static void rst_conversation(__u16 port, bool server_resets)
{
	const __u32 c1 = ISN_C + 1, s1 = ISN_S + 1, req = 517, seg = 1448;
	const __u32 c_nxt = c1 + req, s_nxt = s1 + 3 * seg; /* what each side sent, in the end */
	struct step st[] = {
		{ "syn in", IN(ENI_A), P_IN(), SEG(SYN, ISN_C, 0, 64240),
		  WAY(WHOLE, ALLOWED) },
		{ "syn-ack out", OUT(ENI_A), P_OUT(), SEG(SYNACK, ISN_S, c1, 65160),
		  WAY(WHOLE, CT_REPLY) },
		{ "ack in confirms", IN(ENI_A), P_IN(), SEG(ACK, c1, s1, 502),
		  WAY(WHOLE, CT_ESTABLISHED) },
		{ "request in", IN(ENI_A), P_IN(.payload = req),
		  SEG(PSHACK, c1, s1, 502), WAY(WHOLE, CT_ESTABLISHED) },
		{ "request retransmitted: the lane", IN(ENI_A), P_IN(.payload = req),
		  SEG(PSHACK, c1, s1, 502), WAY(LANE, CT_ESTABLISHED) },
		{ "response, 1st segment", OUT(ENI_A), P_OUT(.payload = seg),
		  SEG(ACK, s1, c_nxt, 509), WAY(LANE, CT_REPLY) },
		{ "response, 2nd segment", OUT(ENI_A), P_OUT(.payload = seg),
		  SEG(ACK, s1 + seg, c_nxt, 509), WAY(LANE, CT_REPLY) },
		{ "response, 3rd segment", OUT(ENI_A), P_OUT(.payload = seg),
		  SEG(PSHACK, s1 + 2 * seg, c_nxt, 509), WAY(LANE, CT_REPLY) },
		{ "the client acks the 1st", IN(ENI_A), P_IN(),
		  SEG(ACK, c_nxt, s1 + seg, 502), WAY(LANE, CT_ESTABLISHED) },
		{ "a duplicate ack: the lane", IN(ENI_A), P_IN(),
		  SEG(ACK, c_nxt, s1 + seg, 502), WAY(LANE, CT_ESTABLISHED) },
		/* the client's RST window: from what the server acked, the server's window wide */
		{ "a rst just past the window: invalid", IN(ENI_A), P_IN(),
		  SEG(RST, c_nxt + 509 + 1, 0, 0), WAY(WHOLE, CT_INVALID) },
		{ .name = "the rst that closes, below" },
	};
	size_t n = sizeof(st) / sizeof(st[0]);

	if (server_resets) /* the server aborts: SND.NXT, 3 segments beyond the client's ack */
		st[n - 1] = (struct step){ "the server's rst at its SND.NXT closes", OUT(ENI_A),
					   P_OUT(), SEG(RST, s_nxt, 0, 0),
					   WAY(WHOLE, CT_REPLY) };
	else /* the client aborts: its SND.NXT, the server's RCV.NXT */
		st[n - 1] = (struct step){ "the client's rst at its SND.NXT closes", IN(ENI_A),
					   P_IN(), SEG(RST, c_nxt, 0, 0),
					   WAY(WHOLE, CT_ESTABLISHED) };
	for (size_t i = 0; i < n; i++) { /* the peer's port: this conversation's */
		st[i].pkt.sport = st[i].prog == TC_OUT ? 80 : port;
		st[i].pkt.dport = st[i].prog == TC_OUT ? port : 80;
	}
	run_steps(st, n);
	{
		struct eniaddr_ct4_key k;
		struct eniaddr_ct v;

		flow_entry(port, &k, &v);
		assert_int_equal(v.state, ENIADDR_CT_CLOSED);
		assert_int_equal(v.seq_end[0], c_nxt);
		assert_int_equal(v.seq_end[1], s_nxt);
	}
}

static void test_rst_window_real_numbers(void **state)
{
	(void)state;
	rst_conversation(40005, false);
	rst_conversation(40006, true);
}

static int group_setup(void **state)
{
	static const char *const devs[ENI_COUNT] = {
		[ENI_A] = "a0", [ENI_U] = "a1", [ENI_B] = "b0", [ENI_C] = "b1",
	};

	*state = &fx;
	if (fixture_setup(&fx, "bpflane", devs, ENI_COUNT, ENIADDR_CT_SIZE_MIN))
		return -1;
	whole = nolane__open();
	if (!whole || fixture_load_on_maps(&fx, whole->obj)) {
		fprintf(stderr, "test_bpf_lane: loading the build without the lane failed\n");
		return -1;
	}
	populate();
	return 0;
}

static int group_teardown(void **state)
{
	nolane__destroy(whole);
	return fixture_group_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pure_acks_and_data),
		cmocka_unit_test(test_reply_direction),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_expiry_refresh),
		cmocka_unit_test(test_generation_and_owner),
		cmocka_unit_test(test_not_for_the_lane),
		cmocka_unit_test(test_udp_flow),
		cmocka_unit_test(test_audit_eni),
		cmocka_unit_test(test_rst_window_real_numbers),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
