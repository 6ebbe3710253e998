// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bench_prims.c — what the datapath's building blocks cost, so a path that misses its
 * target (bench_paths) can be read as a sum: which lookups, helpers and stores it pays, and what
 * each costs above the XDP_PASS floor. `make bench` runs it (tests/bench.sh, BENCHMARKS.md).
 *
 * Each primitive is its own tiny XDP program (tests/bpf/bench_prims.bpf.c) on maps of the real
 * types, flags and sizes, timed with BPF_PROG_TEST_RUN interleaved trial by trial with the floor
 * program (bench_floor's xdp_pass_floor); the figure is the fastest of TRIALS runs of REPEAT
 * packets. A row never measures nothing: each trial's verdict must be the row's (XDP_TX only
 * when a lookup found the entry the bench marked, XDP_DROP only when it found none), the counter
 * row checks its counter moved for every run, and the table prints each program's instructions.
 *
 * Runs no packet over an interface: test runs without a context use the namespace's loopback
 * queue as their receive queue and attach nothing.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eniaddr.h" /* first: the types the skeleton names */
#include "bpf/bench_prims.h"
#include "bench_floor.skel.h"
#include "bench_prims.skel.h"
#include "bpf_fixture.h"

#define TRIALS 7
#define REPEAT (1u << 19)
#define MAX_ROWS 48
#define ADDRS_FEW 10
#define ADDRS_MANY 100000
#define PREFIXES ENIADDR_MAX_PREFIXES
#define FLOWS 10
#define XDP_VERDICT_DROP 1u
#define XDP_VERDICT_PASS 2u
#define XDP_VERDICT_TX 3u
#define HIT XDP_VERDICT_TX
#define MISS XDP_VERDICT_DROP

struct result {
	char name[112];
	__u32 ns, floor_ns, insns;
};

static struct bench_prims *sk;
static struct bench_floor *floors;
static struct pkt frame;
static struct result results[MAX_ROWS];
static int n_results;

static __u32 xlated_insns(const struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) ? 0 :
									     info.xlated_prog_len / 8;
}

/* Times prog against the floor, trial by trial, after one warm-up run; every trial must return
 * want. Records the fastest of each as the row called name. */
static int row(const char *name, const struct bpf_program *prog, __u32 want)
{
	struct result *r = &results[n_results];
	__u32 ret, fret, t, ft;
	int err;

	if (n_results == MAX_ROWS)
		return -E2BIG;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->ns = r->floor_ns = UINT32_MAX;
	r->insns = xlated_insns(prog);
	err = fixture_run_repeat(prog, &frame, 0, REPEAT, &ret, &t);
	for (int i = 0; !err && i < TRIALS; i++) {
		err = fixture_run_repeat(floors->progs.xdp_pass_floor, &frame, 0, REPEAT, &fret,
					 &ft);
		if (!err)
			err = fixture_run_repeat(prog, &frame, 0, REPEAT, &ret, &t);
		if (!err && (ret != want || fret != XDP_VERDICT_PASS)) {
			fprintf(stderr, "bench_prims: %s: verdict %u (floor %u), expected %u\n", name,
				ret, fret, want);
			err = -EPROTO;
		}
		r->ns = t < r->ns ? t : r->ns;
		r->floor_ns = ft < r->floor_ns ? ft : r->floor_ns;
	}
	if (err) {
		fprintf(stderr, "bench_prims: %s: %s\n", name, strerror(-err));
		return err;
	}
	n_results++;
	return 0;
}

static int put(const struct bpf_map *map, const void *key, const void *value)
{
	int err = bpf_map_update_elem(bpf_map__fd(map), key, value, BPF_ANY) ? -errno : 0;

	if (err)
		fprintf(stderr, "bench_prims: filling %s: %s\n", bpf_map__name(map),
			strerror(-err));
	return err;
}

/* addr (16 bytes) = ::ffff:ip4, ip4 in network order. */
static void mapped(__u8 addr[16], __be32 ip4)
{
	memset(addr, 0, 16);
	addr[10] = addr[11] = 0xff;
	memcpy(addr + 12, &ip4, 4);
}

/* ------------------------------------------------------------------------------- the rows */

static int rows_array(void)
{
	__u32 mark = PRIM_MARK, idx = 7;
	int err;

	sk->bss->in_index = idx;
	err = put(sk->maps.ENIADDR_MAP_STATS_DEV, &idx, &mark);
	return err ? err : row("array lookup, inlined (as eniaddr_stats_dev, eniaddr_state)",
			       sk->progs.prim_array_lookup, HIT);
}

/* The u64 at offset off of map's per-CPU value (vsize bytes per CPU) of key, over every CPU. */
static __u64 percpu_sum(const struct bpf_map *map, const void *key, size_t vsize, size_t off)
{
	int ncpus = libbpf_num_possible_cpus();
	char *v = ncpus > 0 ? calloc((size_t)ncpus, vsize) : NULL;
	__u64 n = 0, x;

	if (v && !bpf_map_lookup_elem(bpf_map__fd(map), key, v))
		for (int i = 0; i < ncpus; i++) {
			memcpy(&x, v + (size_t)i * vsize + off, sizeof(x));
			n += x;
		}
	free(v);
	return n;
}

/* A counting row: its verdict, and a counter that moved once for every run. */
static int counting_row(const char *name, const struct bpf_program *prog,
			const struct bpf_map *map, const void *key, size_t vsize, size_t off)
{
	__u64 before = percpu_sum(map, key, vsize, off), runs = (__u64)REPEAT * (TRIALS + 1), moved;
	int err = row(name, prog, HIT);

	moved = percpu_sum(map, key, vsize, off) - before;
	if (!err && moved != runs) {
		fprintf(stderr, "bench_prims: %s: the counter moved by %llu, not %llu\n", name,
			(unsigned long long)moved, (unsigned long long)runs);
		err = -EPROTO;
	}
	return err;
}

/* Bucket idx of eniaddr_addr_drops on every CPU: key k in way `at`, other addresses in the
 * ways before it. */
static int addr_drop_bucket_put(__u32 idx, const struct eniaddr_addr_drop_key *k, int at)
{
	int ncpus = libbpf_num_possible_cpus(), err;
	struct eniaddr_addr_drop_bucket *v = ncpus > 0 ? calloc((size_t)ncpus, sizeof(*v)) : NULL;

	if (!v)
		return -ENOMEM;
	for (int cpu = 0; cpu < ncpus; cpu++)
		for (int w = 0; w <= at; w++) {
			v[cpu].way[w].k = *k;
			v[cpu].way[w].k.addr[15] ^= (__u8)(at - w); /* another address before at */
			v[cpu].way[w].packets = 1000;
		}
	err = put(sk->maps.ENIADDR_MAP_ADDR_DROPS, &idx, v);
	free(v);
	return err;
}

/* A drop per address, its key found in the first and in the last way of its bucket. */
static int rows_addr_drops(void)
{
	static const char *const names[] = {
		"per-CPU array of 4-way buckets, 24 B key, hit in way 1 + 2 adds: a drop per address "
		"(as eniaddr_addr_drops)",
		"the same, hit in way 4 (the most compares)",
	};
	struct eniaddr_addr_drop_key k = { .ifindex = 2, .dir = ENIADDR_DIR_INGRESS };
	__u32 idx;
	int err = 0;

	mapped(k.addr, htonl(0xc0000201u));
	idx = eniaddr_addr_drop_index(&k);
	sk->bss->in_drop = k;
	for (int i = 0; !err && i < 2; i++) {
		int at = i ? ENIADDR_ADDR_DROP_WAYS - 1 : 0;

		err = addr_drop_bucket_put(idx, &k, at);
		if (!err)
			err = counting_row(names[i], sk->progs.prim_addr_drop_count,
					   sk->maps.ENIADDR_MAP_ADDR_DROPS, &idx,
					   sizeof(struct eniaddr_addr_drop_bucket),
					   offsetof(struct eniaddr_addr_drop_bucket, way) +
					   (size_t)at * sizeof(struct eniaddr_addr_drop) +
					   offsetof(struct eniaddr_addr_drop, packets));
	}
	return err;
}

static int rows_counters(void)
{
	__u32 idx = ENIADDR_STATS_INDEX(1, ENIADDR_DIR_INGRESS, ENIADDR_ACT_PASS);

	sk->bss->in_index = idx;
	return counting_row("per-CPU array lookup + 2 adds: one counter (as eniaddr_stats)",
			    sk->progs.prim_percpu_count, sk->maps.ENIADDR_MAP_STATS, &idx,
			    sizeof(struct eniaddr_stats),
			    offsetof(struct eniaddr_stats, reason.allowed.packets));
}

static int rows_eni(void)
{
	struct eniaddr_eni v = { .in_policy = PRIM_MARK };
	int err = 0;

	for (__u32 i = 1; !err && i <= ADDRS_FEW; i++) {
		struct eniaddr_eni_key k = { .slot = 0, .ifindex = i };

		err = put(sk->maps.ENIADDR_MAP_ENIS, &k, &v);
	}
	sk->bss->in_eni = (struct eniaddr_eni_key){ .slot = 0, .ifindex = 5 };
	if (!err)
		err = row("hash, 8 B key: ENI hit (as eniaddr_enis, which packets read no more)",
			  sk->progs.prim_hash_eni, HIT);
	sk->bss->in_eni.slot = 1;
	return err ? err : row("hash, 8 B key: ENI miss", sk->progs.prim_hash_eni, MISS);
}

/* Addresses [from, to) as 10.200.x.y, the i-th 10.200.0.0 + i, into the three owner tables. */
static int fill_owners(int from, int to)
{
	struct eniaddr_owner o = { .ifindex = 2, .in_policy = PRIM_MARK };
	int err = 0;

	for (int i = from; !err && i < to; i++) {
		__be32 ip4 = htonl(0x0ac80000u + (__u32)i);
		struct eniaddr_addr_key k = { .slot = 0 };
		struct eniaddr_addr4_key k4 = { .slot = 0 };

		mapped(k.addr, ip4);
		memcpy(k4.addr, &ip4, 4);
		err = put(sk->maps.ENIADDR_MAP_ADDRS, &k, &o);
		if (!err)
			err = put(sk->maps.prim_addrs_pre, &k, &o);
		if (!err)
			err = put(sk->maps.ENIADDR_MAP_ADDRS4, &k4, &o);
	}
	return err;
}

/* Hit (10.200.0.5) and miss (203.0.113.9) in each owner table holding n addresses. */
static int rows_owners(int n)
{
	const struct {
		const char *what;
		const struct bpf_program *prog;
	} tables[] = {
		{ "hash, 20 B key, not preallocated (as eniaddr_addrs, IPv6)",
		  sk->progs.prim_hash_addr },
		{ "hash, 20 B key, preallocated", sk->progs.prim_hash_addr_pre },
		{ "hash, 8 B key, not preallocated (as eniaddr_addrs4)", sk->progs.prim_hash_addr4 },
	};
	char name[112];
	int err = 0;

	for (size_t t = 0; !err && t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (int hit = 1; !err && hit >= 0; hit--) {
			__be32 ip4 = htonl(hit ? 0x0ac80005u : 0xcb007109u);

			mapped(sk->bss->in_addr.addr, ip4);
			sk->bss->in_addr.slot = 0;
			sk->bss->in_addr4 = (struct eniaddr_addr4_key){ .slot = 0 };
			memcpy(sk->bss->in_addr4.addr, &ip4, 4);
			snprintf(name, sizeof(name), "%s, %d addresses: %s", tables[t].what, n,
				 hit ? "hit" : "miss");
			err = row(name, tables[t].prog, hit ? HIT : MISS);
		}
	}
	return err;
}

/* Flows 10.0.0.i:40000+i -> 192.0.2.1:443 on ifindex 2, in the 44-byte key of eniaddr_ct (the
 * IPv6 tables' key; the hash does not care what the addresses are). */
static void flow_key(struct eniaddr_ct_key *k, int i)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = 2;
	k->proto = IPPROTO_TCP;
	k->port_lo = htons((__u16)(40000 + i));
	k->port_hi = htons(443);
	mapped(k->addr_lo, htonl(0x0a000000u + (__u32)i));
	mapped(k->addr_hi, htonl(0xc0000201u));
}

/* The same flows in the 20-byte key of eniaddr_ct4, the IPv4 tables. */
static void flow_key4(struct eniaddr_ct4_key *k, int i)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = 2;
	k->proto = IPPROTO_TCP;
	k->port_lo = htons((__u16)(40000 + i));
	k->port_hi = htons(443);
	k->addr_lo = htonl(0x0a000000u + (__u32)i);
	k->addr_hi = htonl(0xc0000201u);
}

static int rows_conntrack(void)
{
	struct eniaddr_ct v = { .flags = PRIM_MARK, .state = ENIADDR_CT_ESTABLISHED };
	struct eniaddr_ct4_key k4;
	struct eniaddr_ct_key k;
	int err = 0;

	for (int i = 1; !err && i <= FLOWS; i++) {
		flow_key(&k, i);
		flow_key4(&k4, i);
		err = put(sk->maps.ENIADDR_MAP_CT, &k, &v) ?:
		      put(sk->maps.ENIADDR_MAP_CT_NEW, &k, &v) ?:
		      put(sk->maps.ENIADDR_MAP_CT4, &k4, &v) ?:
		      put(sk->maps.ENIADDR_MAP_CT4_NEW, &k4, &v);
	}
	flow_key(&sk->bss->in_ct, 5);
	flow_key4(&sk->bss->in_ct4, 5);
	if (!err)
		err = row("hash, 44 B key, preallocated: conntrack hit (as eniaddr_ct, IPv6)",
			  sk->progs.prim_hash_ct, HIT);
	if (!err)
		err = row("LRU hash, 44 B key: conntrack hit (as eniaddr_ct_new, IPv6)",
			  sk->progs.prim_lru_ct, HIT);
	if (!err)
		err = row("hash, 20 B key, preallocated: conntrack hit (as eniaddr_ct4, IPv4)",
			  sk->progs.prim_hash_ct4, HIT);
	if (!err)
		err = row("LRU hash, 20 B key: conntrack hit (as eniaddr_ct4_new, IPv4)",
			  sk->progs.prim_lru_ct4, HIT);
	flow_key(&sk->bss->in_ct, FLOWS + 1);
	flow_key4(&sk->bss->in_ct4, FLOWS + 1);
	if (!err)
		err = row("hash, 44 B key, preallocated: conntrack miss", sk->progs.prim_hash_ct,
			  MISS);
	if (!err)
		err = row("LRU hash, 44 B key: conntrack miss", sk->progs.prim_lru_ct, MISS);
	if (!err)
		err = row("hash, 20 B key, preallocated: conntrack miss", sk->progs.prim_hash_ct4,
			  MISS);
	return err ? err : row("LRU hash, 20 B key: conntrack miss", sk->progs.prim_lru_ct4, MISS);
}

/* The full-length key of ip4 in slot 0, as the LPM trie was asked (prefix_owner reads its
 * address only). */
static void pfx_ask(__be32 ip4)
{
	sk->bss->in_pfx = (struct eniaddr_pfx_key){ .prefixlen = 32 + 128, .slot = 0 };
	mapped(sk->bss->in_pfx.addr, ip4);
}

/* The lists of slot 0 in the bench's eniaddr_state: IPv4 lengths v4 (key prefixlen values). */
static int put_lens(const __u8 v4[ENIADDR_PFX_LENS])
{
	struct eniaddr_state st = {};
	__u32 zero = 0;

	memcpy(st.pfx_lens[0][0], v4, ENIADDR_PFX_LENS);
	return put(sk->maps.ENIADDR_MAP_STATE, &zero, &st);
}

/* Empty, then PREFIXES /28s every 32 addresses from 10.0.0.0 (10.0.0.0/28, 10.0.0.32/28, ...):
 * a miss in a gap shares 27 bits with a prefix, a far miss diverges near the root. The same
 * prefixes in an LPM trie (eniaddr_pfx until it became a lookup per length) and in eniaddr_pfx4
 * as bpf/owner.h asks it: one exact lookup per length the state lists, longest first. */
static int rows_prefixes(void)
{
	static const __u8 one_len[ENIADDR_PFX_LENS] = { 32 + 96 + 28 };
	static const __u8 four_lens[ENIADDR_PFX_LENS] = { 32 + 96 + 28, 32 + 96 + 27,
							  32 + 96 + 26, 32 + 96 + 25 };
	struct eniaddr_owner o = { .ifindex = 2, .in_policy = PRIM_MARK,
				   .flags = ENIADDR_ADDR_F_PREFIX };
	char name[112];
	int err;

	pfx_ask(htonl(0x0a000005u));
	err = row("LPM trie, empty: miss", sk->progs.prim_lpm_pfx, MISS);
	if (!err)
		err = put_lens(one_len);
	if (!err)
		err = row("per length (bpf/owner.h), empty, 1 length listed: miss",
			  sk->progs.prim_prefix_owner, MISS);
	for (__u32 i = 0; !err && i < PREFIXES; i++) {
		struct eniaddr_pfx_key k = { .prefixlen = 32 + 96 + 28, .slot = 0 };
		struct eniaddr_pfx4_key k4 = { .slot = 0, .prefixlen = 28 };
		__be32 ip4 = htonl(0x0a000000u + i * 32);

		mapped(k.addr, ip4);
		memcpy(k4.addr, &ip4, 4);
		err = put(sk->maps.prim_pfx_lpm, &k, &o);
		if (!err)
			err = put(sk->maps.ENIADDR_MAP_PFX4, &k4, &o);
	}
	snprintf(name, sizeof(name), "LPM trie, %d /28s: hit", PREFIXES);
	if (!err)
		err = row(name, sk->progs.prim_lpm_pfx, HIT);
	snprintf(name, sizeof(name), "per length, %d /28s, 1 length listed: hit", PREFIXES);
	if (!err)
		err = row(name, sk->progs.prim_prefix_owner, HIT);
	pfx_ask(htonl(0x0a000011u)); /* 10.0.0.17: between 10.0.0.0/28 and 10.0.0.32/28 */
	snprintf(name, sizeof(name), "LPM trie, %d /28s: miss in a gap between prefixes",
		 PREFIXES);
	if (!err)
		err = row(name, sk->progs.prim_lpm_pfx, MISS);
	snprintf(name, sizeof(name), "per length, %d /28s, 1 length listed: miss in a gap",
		 PREFIXES);
	if (!err)
		err = row(name, sk->progs.prim_prefix_owner, MISS);
	if (!err)
		err = put_lens(four_lens);
	snprintf(name, sizeof(name), "per length, %d /28s, 4 lengths listed: miss (4 lookups)",
		 PREFIXES);
	if (!err)
		err = row(name, sk->progs.prim_prefix_owner, MISS);
	pfx_ask(htonl(0xcb007109u));
	snprintf(name, sizeof(name), "LPM trie, %d /28s: miss far from every prefix", PREFIXES);
	return err ? err : row(name, sk->progs.prim_lpm_pfx, MISS);
}

static int rows_helpers(void)
{
	char name[112];
	int err;

	sk->bss->in_len = (__u32)frame.len;
	sk->bss->in_arg = PRIM_MARK;
	snprintf(name, sizeof(name), "zeroing struct pkt_meta (%u B) on the stack",
		 sk->rodata->meta_size);
	err = row("bpf_ktime_get_ns()", sk->progs.prim_ktime, HIT);
	if (!err)
		err = row("bpf_ktime_get_coarse_ns()", sk->progs.prim_ktime_coarse, HIT);
	if (!err)
		err = row("bpf_xdp_get_buff_len()", sk->progs.prim_buff_len, HIT);
	if (!err)
		err = row("a __noinline global function: one BPF-to-BPF call",
			  sk->progs.prim_global_call, HIT);
	return err ? err : row(name, sk->progs.prim_zero_meta, HIT);
}

static void print_table(void)
{
	printf("### What the datapath's building blocks cost\n\n");
	printf("Each primitive is its own XDP program on a map of the real key/value types, map type "
	       "and flags, timed beside the XDP_PASS floor in the same run (fastest of %d runs of "
	       "%u packets). A hit row returned XDP_TX only when its lookup found the entry the "
	       "bench marked, a miss row XDP_DROP only when it found none, the counter row moved "
	       "its counter for every run. Keys are copied to the stack first, as the datapath "
	       "builds them, and asked again and again (cache-hot, as in bench_paths). 1 ns is the "
	       "test run's resolution per packet. Instructions: the program's xlated length (the "
	       "floor's is 2).\n\n",
	       TRIALS, REPEAT);
	printf("| primitive | ns | floor ns | ns above the floor | x floor | instructions |\n");
	printf("|---|---:|---:|---:|---:|---:|\n");
	for (int i = 0; i < n_results; i++) {
		const struct result *r = &results[i];

		printf("| %s | %u | %u | %d | %.2f | %u |\n", r->name, r->ns, r->floor_ns,
		       (int)r->ns - (int)r->floor_ns, (double)r->ns / r->floor_ns, r->insns);
	}
}

int main(void)
{
	struct pkt_spec spec = { .src = "10.0.0.5", .dst = "192.0.2.1", .proto = IPPROTO_TCP,
				 .sport = 40005, .dport = 443, .payload = 18 };
	int err = pkt_build(&frame, &spec);

	sk = err ? NULL : bench_prims__open_and_load();
	floors = sk ? bench_floor__open_and_load() : NULL;
	if (!floors) {
		fprintf(stderr, "bench_prims: cannot load the programs (root? BPF?)\n");
		bench_prims__destroy(sk);
		return 1;
	}
	err = row("nothing: the floor program itself (the noise)", floors->progs.xdp_pass_floor,
		  XDP_VERDICT_PASS);
	if (!err)
		err = rows_array();
	if (!err)
		err = rows_counters();
	if (!err)
		err = rows_addr_drops();
	if (!err)
		err = rows_eni();
	if (!err)
		err = fill_owners(0, ADDRS_FEW);
	if (!err)
		err = rows_owners(ADDRS_FEW);
	if (!err)
		err = fill_owners(ADDRS_FEW, ADDRS_MANY);
	if (!err)
		err = rows_owners(ADDRS_MANY);
	if (!err)
		err = rows_conntrack();
	if (!err)
		err = rows_prefixes();
	if (!err)
		err = rows_helpers();
	if (!err)
		print_table();
	bench_floor__destroy(floors);
	bench_prims__destroy(sk);
	return err ? 1 : 0;
}
