// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bpf/bench_prims.bpf.c — the datapath's building blocks, one tiny XDP program each, so
 * tests/bench_prims.c can say what each costs above an XDP_PASS floor. The maps are those of
 * bpf/maps.bpf.h, same types, flags, sizes and key/value layouts, so a lookup costs what the real
 * one does; they are this object's own instances, filled by the harness as each row needs.
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
#include "maps.bpf.h"
#include "owner.h" /* prefix_owner4, as the datapath calls it */
#include "parse.h" /* struct pkt_meta: its zeroing is one of the primitives */
#include "addr_drops.h" /* addr_drop_count, as counters.h calls it */
#include "bench_prims.h"

/* For the row's name: the bytes the datapath zeroes per packet. */
const volatile __u32 meta_size = sizeof(struct pkt_meta);

/* The keys and expectations of the row being timed; written by the harness between rows. */
__u32 in_index;
struct eniaddr_eni_key in_eni;
struct eniaddr_addr_key in_addr;
struct eniaddr_ct_key in_ct;
struct eniaddr_ct4_key in_ct4;
struct eniaddr_addr_drop_key in_drop;
struct eniaddr_pfx_key in_pfx;
__u32 in_len;
__u32 in_arg;
struct eniaddr_addr4_key in_addr4;

/* ---- maps: the real ones come from bpf/maps.bpf.h (this object's own instances, filled by the
 * harness); a variant of eniaddr_addrs and the old eniaddr_pfx for comparison ---- */

/* eniaddr_addrs, preallocated: what BPF_F_NO_PREALLOC costs a lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_ADDRS);
	__type(key, struct eniaddr_addr_key);
	__type(value, struct eniaddr_owner);
} prim_addrs_pre SEC(".maps");

/* eniaddr_pfx as it was until the lookup per length: an LPM trie, same key and value. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ENIADDR_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct eniaddr_pfx_key);
	__type(value, struct eniaddr_owner);
} prim_pfx_lpm SEC(".maps");

/* Found the marked entry: TX; nothing: DROP; something else: ABORTED. */
static __always_inline int verdict(const void *found, __u32 mark)
{
	if (!found)
		return XDP_DROP;
	return mark == PRIM_MARK ? XDP_TX : XDP_ABORTED;
}

/* A program that looks the key in global in up in map (a copy on the stack, as the datapath
 * builds its keys) and checks field of the value it finds. */
#define PRIM_LOOKUP(name, map, in, field)                                        \
	SEC("xdp")                                                                \
	int name(struct xdp_md *ctx)                                              \
	{                                                                         \
		__typeof__(*(map).key) k = in;                                    \
		__typeof__(*(map).value) *v = bpf_map_lookup_elem(&(map), &k);    \
									  \
		return verdict(v, v ? v->field : 0);                              \
	}

/* A program that adds one packet of the frame's length to the counter under the key in global
 * in, as counters.h does; counter: the member path of the pair (may be empty). */
#define PRIM_COUNT(name, map, in, counter)                                        \
	SEC("xdp")                                                                \
	int name(struct xdp_md *ctx)                                              \
	{                                                                         \
		__typeof__(*(map).key) k = in;                                    \
		__typeof__(*(map).value) *s = bpf_map_lookup_elem(&(map), &k);    \
									  \
		if (!s)                                                           \
			return XDP_DROP;                                          \
		(*s)counter.packets += 1;                                         \
		(*s)counter.bytes += ctx->data_end - ctx->data;                   \
		return XDP_TX;                                                    \
	}

SEC("xdp")
int prim_array_lookup(struct xdp_md *ctx)
{
	__u32 k = in_index;
	__u32 *v = bpf_map_lookup_elem(&ENIADDR_MAP_STATS_DEV, &k);

	return verdict(v, v ? *v : 0);
}

/* counters.h count_packet (one reason's pair of the entry). */
PRIM_COUNT(prim_percpu_count, ENIADDR_MAP_STATS, in_index, .reason.allowed)

/* counters.h count_addr_drop: the datapath's own code (addr_drops.h) on the key in in_drop. */
SEC("xdp")
int prim_addr_drop_count(struct xdp_md *ctx)
{
	struct addr_drop_ref r = { .ifindex = in_drop.ifindex, .dir = in_drop.dir,
				   .addr = in_drop.addr };

	addr_drop_count(&r, ctx->data_end - ctx->data);
	return XDP_TX;
}

PRIM_LOOKUP(prim_hash_eni, ENIADDR_MAP_ENIS, in_eni, in_policy)
PRIM_LOOKUP(prim_hash_addr, ENIADDR_MAP_ADDRS, in_addr, in_policy)
PRIM_LOOKUP(prim_hash_addr_pre, prim_addrs_pre, in_addr, in_policy)
PRIM_LOOKUP(prim_hash_addr4, ENIADDR_MAP_ADDRS4, in_addr4, in_policy)
PRIM_LOOKUP(prim_lpm_pfx, prim_pfx_lpm, in_pfx, in_policy)
PRIM_LOOKUP(prim_hash_ct, ENIADDR_MAP_CT, in_ct, flags)
PRIM_LOOKUP(prim_lru_ct, ENIADDR_MAP_CT_NEW, in_ct, flags)
PRIM_LOOKUP(prim_hash_ct4, ENIADDR_MAP_CT4, in_ct4, flags)
PRIM_LOOKUP(prim_lru_ct4, ENIADDR_MAP_CT4_NEW, in_ct4, flags)

/* bpf/owner.h prefix_owner4 of in_pfx.addr (IPv4-mapped) in slot 0: one eniaddr_pfx4 lookup
 * per length the state lists. */
SEC("xdp")
int prim_prefix_owner(struct xdp_md *ctx)
{
	struct eniaddr_pfx_key k = in_pfx;
	__be32 a;
	const struct eniaddr_owner *o;

	__builtin_memcpy(&a, &k.addr[12], 4);
	o = prefix_owner4(0, a);

	return verdict(o, o ? o->in_policy : 0);
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
