/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/ct_gc.h — user space's side of the connection-tracking tables (eniaddr_ct4 and
 * eniaddr_ct, the confirmed flows of IPv4 and IPv6, and their _new twins, the unconfirmed ones;
 * one value layout): the expiry sweep, flushing, and reading the entries for `conntrack list`.
 * Entries come and go in the common 44-byte key form (ct_tables.h hides the IPv4 tables' short
 * key). The *_all functions cover the four tables; the others take one (ct_tables_of). The
 * programs decide expiry by themselves (eniaddr_ct_expired(), bpf/conntrack.h); the sweep gives
 * the memory back, so the confirmed tables have room for new flows and the unconfirmed LRUs
 * never have to evict a live one.
 *
 * The sweep never deletes a flow that just revived: it reads every entry, keeps the keys of the
 * expired ones with the last_seen_ns it read, and then, per key, reads the entry again right
 * before deleting it and deletes only if last_seen_ns is unchanged and it is still expired. A
 * packet that refreshes the entry between that second read and the delete is the one window
 * left (microseconds, a syscall apart): its flow then loses its entry, and its next packet is
 * judged by the rules, which re-create the entry if they allow it (a reply without a rule for it
 * is dropped once, and the peer retransmits). Closing it needs a compare-and-delete the kernel
 * does not offer for hash maps.
 *
 * Times are CLOCK_MONOTONIC_COARSE nanoseconds, the clock of bpf_ktime_get_coarse_ns() the
 * programs stamp entries with.
 */
#ifndef ENIADDR_CT_GC_H
#define ENIADDR_CT_GC_H

#include <linux/types.h>
#include <stddef.h>

#include "err.h"
#include "vec.h"
#include "kernel/ct_tables.h"
#include "../maps/eniaddr.h"

struct ct_entry {
	struct eniaddr_ct_key k;
	struct eniaddr_ct v;
};

struct ct_entries {
	VEC(struct ct_entry) v;
};

struct ct_gc_stats {
	size_t scanned; /* entries read */
	size_t expired; /* expired at the first read */
	size_t deleted; /* of those, deleted */
	size_t revived; /* of those, touched (or already gone) by the second read: kept */
};

/*
 * The key the programs give a flow between (src, sport) and (dst, dport) on ENI ifindex: the
 * endpoints in key order (bpf/conntrack.h ct_key_set). Returns 1 when src went to the hi side:
 * the entry was started by src exactly when its init_hi equals that. Ports in network order.
 */
__u8 ct_key_make(struct eniaddr_ct_key *k, __u32 ifindex, __u8 proto, const __u8 src[16],
		 __be16 sport, const __u8 dst[16], __be16 dport);

/* The initiator's endpoint of an entry (the one that sent the first packet) and the other. */
void ct_entry_ends(const struct ct_entry *c, const __u8 **init_addr, __be16 *init_port,
		   const __u8 **resp_addr, __be16 *resp_port);

/* Now on the programs' ct clock (CLOCK_MONOTONIC_COARSE). */
__u64 ct_now_ns(void);

/* One sweep over table t at now_ns (see above): ct_gc_collect, then ct_gc_reap. */
int ct_gc_sweep(const struct ct_table *t, __u64 now_ns, struct ct_gc_stats *st, struct err *e);

/* ct_gc_sweep over the four tables of m, stats summed. */
struct map_fds;
int ct_gc_sweep_all(const struct map_fds *m, __u64 now_ns, struct ct_gc_stats *st,
		    struct err *e);

/* The sweep's two halves. collect appends the entries of t expired at now_ns (as read) to
 * expired; reap re-reads each in t and deletes it if still expired and not touched, adding to
 * st. */
int ct_gc_collect(const struct ct_table *t, __u64 now_ns, struct ct_entries *expired,
		  size_t *scanned, struct err *e);
int ct_gc_reap(const struct ct_table *t, __u64 now_ns, const struct ct_entries *expired,
	       struct ct_gc_stats *st, struct err *e);

/* Deletes every entry of ENI ifindex (0: every entry) from t; *deleted counts them. */
int ct_flush(const struct ct_table *t, __u32 ifindex, size_t *deleted, struct err *e);

/* ct_flush over the four tables of m; *deleted counts them all. */
int ct_flush_all(const struct map_fds *m, __u32 ifindex, size_t *deleted, struct err *e);

/* Appends the entries of ifindex (0: all) in t to out. A flow changing meanwhile shows either
 * way. */
int ct_read(const struct ct_table *t, __u32 ifindex, struct ct_entries *out, struct err *e);

/* ct_read over the four tables of m. */
int ct_read_all(const struct map_fds *m, __u32 ifindex, struct ct_entries *out, struct err *e);

/* "new", "syn_recv", "established", "stream", "closing", "closed"; "?" for anything else. */
const char *ct_state_name(__u8 state);

#endif
