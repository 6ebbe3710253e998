/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/maps.bpf.h — BPF-only: the map definitions of the eniaddr object. Names, key/value layouts
 * and sizes all come from maps/eniaddr.h; user space pins them by name (no pinning attribute
 * here). Include once, from the program file.
 */
#ifndef ENIADDR_BPF_MAPS_H
#define ENIADDR_BPF_MAPS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"

/* The active slot, generation and each slot's prefix lengths; packets read [0]. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct eniaddr_state);
} ENIADDR_MAP_STATE SEC(".maps");

/* (slot, ifindex) -> ENI settings: default policies, audit mode, timeouts. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_ENIS * 2);
	__type(key, struct eniaddr_eni_key);
	__type(value, struct eniaddr_eni);
} ENIADDR_MAP_ENIS SEC(".maps");

/* The packets' view of eniaddr_enis (maps/eniaddr.h): ifindex -> row per slot -> settings. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ENIADDR_ENI_ROWS);
	__type(key, __u32);
	__type(value, struct eniaddr_eni_row);
} ENIADDR_MAP_ENI_ROWS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ENIADDR_ENI_INDEX_MAX);
	__type(key, __u32);
	__type(value, struct eniaddr_eni_index);
} ENIADDR_MAP_ENI_INDEX SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_ENIS * 2);
	__type(key, __u32);
	__type(value, struct eniaddr_eni_index);
} ENIADDR_MAP_ENI_INDEX_BIG SEC(".maps");

/* Per slot, one bit per hash bucket of the exact addresses it owns: a hint (maps/eniaddr.h).
 * Mmapable, as eniaddr_any_hint: the publisher compares and writes a slot's words in place. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2 * ENIADDR_HINT_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} ENIADDR_MAP_OWNED_HINT SEC(".maps");

/* Per slot, one bit per hash bucket of the addresses any ENI owns: a Bloom filter
 * (maps/eniaddr.h). Mmapable: the publisher compares and writes its 128 KiB a slot in place
 * (a batch read of 16,384 words was 2 ms of a 4 ms reassignment). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2 * ENIADDR_ANY_WORDS);
	__type(key, __u32);
	__type(value, __u64);
} ENIADDR_MAP_ANY_HINT SEC(".maps");

/* (slot, exact IPv4 address) -> owning ENI and the address's policies. Not preallocated: room
 * for 100,000+ addresses per slot costs memory only when used; lookups cost the same. An 8-byte
 * key, not the 20 bytes of the IPv6 map: jhash over the key is much of a lookup's cost. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ENIADDR_MAX_ADDRS);
	__type(key, struct eniaddr_addr4_key);
	__type(value, struct eniaddr_owner);
} ENIADDR_MAP_ADDRS4 SEC(".maps");

/* (slot, exact IPv6 address) -> owner, as eniaddr_addrs4. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, ENIADDR_MAX_ADDRS);
	__type(key, struct eniaddr_addr_key);
	__type(value, struct eniaddr_owner);
} ENIADDR_MAP_ADDRS SEC(".maps");

/* (slot, length, delegated IPv4 prefix) -> owner; consulted when no exact address matches, once
 * per length eniaddr_state lists for the slot and family (an exact match each: a hash, not a
 * trie, whose walk costs 10 hash lookups at a few thousand /28s). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct eniaddr_pfx4_key);
	__type(value, struct eniaddr_owner);
} ENIADDR_MAP_PFX4 SEC(".maps");

/* (slot, length, delegated IPv6 prefix) -> owner, as eniaddr_pfx4. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct eniaddr_pfx_key);
	__type(value, struct eniaddr_owner);
} ENIADDR_MAP_PFX SEC(".maps");

/* (policy, peer prefix) -> bits of the rules that peer may use. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ENIADDR_MAX_SRC);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct eniaddr_src_key);
	__type(value, struct eniaddr_rule_bits);
} ENIADDR_MAP_SRC SEC(".maps");

/* (policy, protocol, port prefix) -> bits of the rules covering that port. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, ENIADDR_MAX_L4);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct eniaddr_l4_key);
	__type(value, struct eniaddr_rule_bits);
} ENIADDR_MAP_L4 SEC(".maps");

/* (device slot, direction, action) -> packets and bytes per reason, per CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ENIADDR_STATS_ENTRIES);
	__type(key, __u32);
	__type(value, struct eniaddr_stats);
} ENIADDR_MAP_STATS SEC(".maps");

/* ifindex -> the device slot of its counters; 0 (the shared bucket) until the loader sets one. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ENIADDR_STATS_MAX_IFINDEX);
	__type(key, __u32);
	__type(value, __u32);
} ENIADDR_MAP_STATS_DEV SEC(".maps");

/* Per CPU, buckets of (ENI, direction, owned address) -> what was dropped there, and what could
 * not be attributed (maps/eniaddr.h): an array, so the lookup is inlined. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, ENIADDR_ADDR_DROP_BUCKETS);
	__type(key, __u32);
	__type(value, struct eniaddr_addr_drop_bucket);
} ENIADDR_MAP_ADDR_DROPS SEC(".maps");

/* Per CPU: the summary of the packet being judged (counters.h), here and not on the stack, which
 * the decision fills to the verifier's limit. [0] ingress programs, [1] tc_egress: softirq
 * ingress never interleaves with egress on one CPU, but the two never share an entry anyway. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct eniaddr_pkt);
} ENIADDR_MAP_SCRATCH SEC(".maps");

/* Per CPU: the conntrack probe of the packet being judged (maps/eniaddr.h), [0] ingress programs,
 * [1] tc_egress, off the judges' full stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct eniaddr_ct_probe);
} ENIADDR_MAP_CT_SCRATCH SEC(".maps");

/* Drop events while `trace` runs. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, ENIADDR_EVENTS_BYTES);
} ENIADDR_MAP_EVENTS SEC(".maps");

/* The tracer's switch and filters; [0].enabled 0: nobody traces. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct eniaddr_trace);
} ENIADDR_MAP_TRACE SEC(".maps");

/* Per CPU: the events' token bucket and what was sent and lost. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct eniaddr_trace_cpu);
} ENIADDR_MAP_TRACE_CPU SEC(".maps");

/* First fragments that passed, so the rest of their datagram may follow until expiry. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ENIADDR_MAX_FRAGS);
	__type(key, struct eniaddr_frag_key);
	__type(value, struct eniaddr_frag);
} ENIADDR_MAP_FRAGS SEC(".maps");

/* ifindex -> how the loader attached there; written and read by user space only. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_ENIS);
	__type(key, __u32);
	__type(value, struct eniaddr_attach);
} ENIADDR_MAP_ATTACH SEC(".maps");

/* (slot, owning ENI, family) -> its subnet and router: the next hop of a tc_egress redirect. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_NEXTHOPS);
	__type(key, struct eniaddr_nexthop_key);
	__type(value, struct eniaddr_nexthop);
} ENIADDR_MAP_NEXTHOP SEC(".maps");

/* The rule tables (see maps/eniaddr.h): policy -> trie roots, trie nodes, rule-bit classes. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * ENIADDR_MAX_POLICIES);
	__type(key, __u32);
	__type(value, struct eniaddr_policy);
} ENIADDR_MAP_POLICIES SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ENIADDR_MAX_TRIE_NODES);
	__type(key, __u32);
	__type(value, struct eniaddr_trie_node);
} ENIADDR_MAP_TRIE SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ENIADDR_MAX_BITS);
	__type(key, __u32);
	__type(value, struct eniaddr_rule_bits);
} ENIADDR_MAP_BITS SEC(".maps");

/* Confirmed IPv6 flows (a reply seen), shared by ingress and egress: (ENI, flow) -> state and
 * expiry. A plain hash: a full table refuses new flows (CT_FULL) and never evicts a live one;
 * the GC removes expired entries. max_entries is ENIADDR_MAX_CT unless the loader sets it before
 * load (--conntrack-size, the same for both families). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_CT);
	__type(key, struct eniaddr_ct_key);
	__type(value, struct eniaddr_ct);
} ENIADDR_MAP_CT SEC(".maps");

/* Unconfirmed IPv6 flows (no reply yet), same layout: an LRU, so unanswered flows evict only
 * each other, never a confirmed flow. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ENIADDR_MAX_CT_NEW);
	__type(key, struct eniaddr_ct_key);
	__type(value, struct eniaddr_ct);
} ENIADDR_MAP_CT_NEW SEC(".maps");

/* Confirmed IPv4 flows: eniaddr_ct with the 20-byte key (maps/eniaddr.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, ENIADDR_MAX_CT);
	__type(key, struct eniaddr_ct4_key);
	__type(value, struct eniaddr_ct);
} ENIADDR_MAP_CT4 SEC(".maps");

/* Unconfirmed IPv4 flows: eniaddr_ct_new with the 20-byte key. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, ENIADDR_MAX_CT_NEW);
	__type(key, struct eniaddr_ct4_key);
	__type(value, struct eniaddr_ct);
} ENIADDR_MAP_CT4_NEW SEC(".maps");

/* May a flow exist? One bit per conntrack key, in two halves, and the current half's index
 * (maps/eniaddr.h). Mmapable: user space sets bits with atomics and rebuilds a half in place. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, ENIADDR_CT_MAYBE_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} ENIADDR_MAP_CT_MAYBE SEC(".maps");

/* User space's records (guards, pending confirm, notes); never read by a program. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct eniaddr_ctl);
} ENIADDR_MAP_CTL SEC(".maps");

#endif /* ENIADDR_BPF_MAPS_H */
