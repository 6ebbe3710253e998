// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bpf/bench_prims.bpf.c — the datapath's building blocks, one tiny XDP program each, so
 * tests/bench_prims.c can say what each costs above an XDP_PASS floor. The maps copy the map
 * types, flags, sizes and key/value types of bpf/maps.bpf.h (a lookup costs what the real one
 * does), but are this object's own: the harness fills them as each row needs.
 *
 * Every program proves it did its work in its verdict: a lookup returns XDP_TX when it found the
 * entry the harness marked (PRIM_MARK in a value field), XDP_DROP when it found nothing, and
 * XDP_ABORTED when it found something else; the other primitives return XDP_TX only when their
 * result is what the harness expects. Keys come from globals the harness writes and are copied to
 * the stack first, as the datapath builds its keys there.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "parse.h" /* struct pkt_meta: its zeroing is one of the primitives */
#include "bench_prims.h"

/* For the row's name: the bytes the datapath zeroes per packet. */
const volatile __u32 meta_size = sizeof(struct pkt_meta);

/* The keys and expectations of the row being timed; written by the harness between rows. */
__u32 in_index;
struct eniaddr_eni_key in_eni;
struct eniaddr_addr_key in_addr;
struct eniaddr_ct_key in_ct;
struct eniaddr_addr_drop_key in_drop;
struct eniaddr_pfx_key in_pfx;
__u32 in_len;
__u32 in_arg;

struct prim_addr4_key in_addr4;

/* ---- maps: as bpf/maps.bpf.h defines their namesakes ---- */

/* eniaddr_stats_dev: an array the verifier inlines. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ENIADDR_STATS_MAX_IFINDEX);
	__type(key, __u32);
	__type(value, __u32);
} prim_array SEC(".maps");

/* eniaddr_stats: the per-CPU counters. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ENIADDR_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, struct eniaddr_stats);
} prim_stats SEC(".maps");

/* eniaddr_addr_drops: drops per owned address, a per-CPU LRU hash. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, ENIADDR_MAX_ADDR_DROPS);
	__type(key, struct eniaddr_addr_drop_key);
	__type(value, struct eniaddr_stat);
} prim_addr_drops SEC(".maps");

/* eniaddr_enis: (slot, ifindex), 8 bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_ENIS * 2);
	__type(key, struct eniaddr_eni_key);
	__type(value, struct eniaddr_eni);
} prim_enis SEC(".maps");

/* eniaddr_addrs: (slot, address), 20 bytes, not preallocated. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ENIADDR_MAX_ADDRS);
	__type(key, struct eniaddr_addr_key);
	__type(value, struct eniaddr_owner);
} prim_addrs SEC(".maps");

/* The same, preallocated: what BPF_F_NO_PREALLOC costs a lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_ADDRS);
	__type(key, struct eniaddr_addr_key);
	__type(value, struct eniaddr_owner);
} prim_addrs_pre SEC(".maps");

/* The same with an IPv4-only 8-byte key. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ENIADDR_MAX_ADDRS);
	__type(key, struct prim_addr4_key);
	__type(value, struct eniaddr_owner);
} prim_addrs4 SEC(".maps");

/* eniaddr_pfx: delegated prefixes. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ENIADDR_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct eniaddr_pfx_key);
	__type(value, struct eniaddr_owner);
} prim_pfx SEC(".maps");

/* eniaddr_ct: confirmed flows, a plain (preallocated) hash of 44-byte keys. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_CT);
	__type(key, struct eniaddr_ct_key);
	__type(value, struct eniaddr_ct);
} prim_ct SEC(".maps");

/* eniaddr_ct_new: unconfirmed flows, an LRU hash. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ENIADDR_MAX_CT_NEW);
	__type(key, struct eniaddr_ct_key);
	__type(value, struct eniaddr_ct);
} prim_ct_new SEC(".maps");

/* Found the marked entry: TX; nothing: DROP; something else: ABORTED. */
static __always_inline int verdict(const void *found, __u32 mark)
{
	if (!found)
		return XDP_DROP;
	return mark == PRIM_MARK ? XDP_TX : XDP_ABORTED;
}

SEC("xdp")
int prim_array_lookup(struct xdp_md *ctx)
{
	__u32 k = in_index;
	__u32 *v = bpf_map_lookup_elem(&prim_array, &k);

	return verdict(v, v ? *v : 0);
}

/* counters.h count_packet: the entry of (device, dir, action), one reason's pair += 1, len. */
SEC("xdp")
int prim_percpu_count(struct xdp_md *ctx)
{
	__u32 k = in_index;
	struct eniaddr_stats *s = bpf_map_lookup_elem(&prim_stats, &k);

	if (!s)
		return XDP_DROP;
	s->reason.allowed.packets += 1;
	s->reason.allowed.bytes += ctx->data_end - ctx->data;
	return XDP_TX;
}

/* counters.h count_addr_drop, for an address already in the table. */
SEC("xdp")
int prim_addr_drop_count(struct xdp_md *ctx)
{
	struct eniaddr_addr_drop_key k = in_drop;
	struct eniaddr_stat *s = bpf_map_lookup_elem(&prim_addr_drops, &k);

	if (!s)
		return XDP_DROP;
	s->packets += 1;
	s->bytes += ctx->data_end - ctx->data;
	return XDP_TX;
}

SEC("xdp")
int prim_hash_eni(struct xdp_md *ctx)
{
	struct eniaddr_eni_key k = in_eni;
	struct eniaddr_eni *v = bpf_map_lookup_elem(&prim_enis, &k);

	return verdict(v, v ? v->in_policy : 0);
}

SEC("xdp")
int prim_hash_addr(struct xdp_md *ctx)
{
	struct eniaddr_addr_key k = in_addr;
	struct eniaddr_owner *v = bpf_map_lookup_elem(&prim_addrs, &k);

	return verdict(v, v ? v->in_policy : 0);
}

SEC("xdp")
int prim_hash_addr_pre(struct xdp_md *ctx)
{
	struct eniaddr_addr_key k = in_addr;
	struct eniaddr_owner *v = bpf_map_lookup_elem(&prim_addrs_pre, &k);

	return verdict(v, v ? v->in_policy : 0);
}

SEC("xdp")
int prim_hash_addr4(struct xdp_md *ctx)
{
	struct prim_addr4_key k = in_addr4;
	struct eniaddr_owner *v = bpf_map_lookup_elem(&prim_addrs4, &k);

	return verdict(v, v ? v->in_policy : 0);
}

SEC("xdp")
int prim_lpm_pfx(struct xdp_md *ctx)
{
	struct eniaddr_pfx_key k = in_pfx;
	struct eniaddr_owner *v = bpf_map_lookup_elem(&prim_pfx, &k);

	return verdict(v, v ? v->in_policy : 0);
}

SEC("xdp")
int prim_hash_ct(struct xdp_md *ctx)
{
	struct eniaddr_ct_key k = in_ct;
	struct eniaddr_ct *v = bpf_map_lookup_elem(&prim_ct, &k);

	return verdict(v, v ? v->flags : 0);
}

SEC("xdp")
int prim_lru_ct(struct xdp_md *ctx)
{
	struct eniaddr_ct_key k = in_ct;
	struct eniaddr_ct *v = bpf_map_lookup_elem(&prim_ct_new, &k);

	return verdict(v, v ? v->flags : 0);
}

SEC("xdp")
int prim_ktime(struct xdp_md *ctx)
{
	return bpf_ktime_get_ns() ? XDP_TX : XDP_DROP;
}

SEC("xdp")
int prim_ktime_coarse(struct xdp_md *ctx)
{
	return bpf_ktime_get_coarse_ns() ? XDP_TX : XDP_DROP;
}

SEC("xdp")
int prim_buff_len(struct xdp_md *ctx)
{
	return bpf_xdp_get_buff_len(ctx) == in_len ? XDP_TX : XDP_DROP;
}

/* Global and not inlined, as ingress_judge and the *_try functions: verified on its own, entered
 * by a BPF-to-BPF call. */
__noinline int prim_callee(__u32 x)
{
	return x == PRIM_MARK ? XDP_TX : XDP_DROP;
}

SEC("xdp")
int prim_global_call(struct xdp_md *ctx)
{
	return prim_callee(in_arg);
}

/* ingress_summarized's `struct pkt_meta p = {}`; the empty asm takes the struct's address, so
 * the compiler must store every zero and read the field back. */
SEC("xdp")
int prim_zero_meta(struct xdp_md *ctx)
{
	struct pkt_meta m = {};

	asm volatile("" : : "r"(&m) : "memory");
	return m.l3_end == 0 && m.inner[PKT_INNER_LEN / 4 - 1] == 0 ? XDP_TX : XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
