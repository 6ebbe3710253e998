/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/rule_tables.h — reading a policy's rules back from the tables the datapath reads
 * (eniaddr_policies, eniaddr_trie, eniaddr_bits: maps/eniaddr.h): where in a trie's key space a
 * rule bit is set, as runs of consecutive keys. For `explain`; the publisher writes no other
 * copy of the IPv4 peers and the ports.
 */
#ifndef ENIADDR_KERNEL_RULE_TABLES_H
#define ENIADDR_KERNEL_RULE_TABLES_H

#include <linux/types.h>

#include "eniaddr.h"
#include "kernel/runtime.h"

enum rule_trie { RULE_TRIE_V4_PEER, RULE_TRIE_PORTS_V4, RULE_TRIE_PORTS_V6 };

/* Key bytes of each trie: 4 (an IPv4 address), 3 (protocol, port high, port low). */
int rule_trie_levels(enum rule_trie t);

/*
 * Calls emit(ctx, lo, hi) for every maximal run of keys [lo, hi] (keys as big-endian numbers of
 * rule_trie_levels(t) bytes) whose class in trie t of policy (an id as the datapath has it: slot
 * bit included) carries rule bit, in key order. Returns 0 or -errno.
 */
int rule_trie_runs(const struct map_fds *m, __u32 policy, enum rule_trie t, int bit,
		   void (*emit)(void *ctx, __u64 lo, __u64 hi), void *ctx);

#endif
