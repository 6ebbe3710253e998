/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/agent/canon.h — a compiled state in a canonical form that does not depend on the slot
 * it was compiled for: slot fields zeroed, the slot bit cleared from policy ids, the entries of
 * each map sorted. Two states publish the same map contents exactly when their canonical forms
 * are equal, so the agent publishes only when something a packet can see would change, and a
 * restarted agent recognises the pinned generation as its own. Plain C, no syscalls.
 *
 * The diff says what moved, for the log and `status`: addresses and prefixes added, removed,
 * moved between ENIs (owner ifindex changed) or changed otherwise (policy, flags), and how many
 * entries of the other maps (ENIs, rules, next hops) differ.
 */
#ifndef ENIADDR_AGENT_CANON_H
#define ENIADDR_AGENT_CANON_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "compile/compile.h"
#include "err.h"
#include "vec.h"

/* What the maps hold: the src entries a program reads (compiled_src_published), and the rule
 * tables (policies, trie nodes, classes) by index within the slot's half, indexes they name
 * made slot-free. Equal tables up to the counts of one side mean equal answers: every index
 * a table entry names lies below those counts. */
enum canon_kind { CANON_ENIS, CANON_ADDRS, CANON_PFXS, CANON_SRCS, CANON_NEXTHOPS,
		  CANON_POLICIES, CANON_NODES, CANON_BITS, CANON_KINDS };

struct canon {
	uint8_t *buf;             /* the kinds one after the other, records sorted */
	size_t len;
	size_t n[CANON_KINDS];    /* records of each kind */
	uint64_t digest;          /* FNV-1a of buf: for status, never for equality */
};

int canon_build(const struct compiled *c, struct canon *out, struct err *e);
void canon_free(struct canon *c);
bool canon_equal(const struct canon *a, const struct canon *b);

enum canon_change { CANON_ADDED, CANON_REMOVED, CANON_MOVED, CANON_CHANGED };

struct canon_addr_change {
	enum canon_change kind;
	struct ip_prefix p;  /* a host (/128 mapped) or a delegated prefix */
	__u32 from, to;      /* owner ifindex before and after; 0 when absent */
};

struct canon_diff {
	VEC(struct canon_addr_change) addrs;
	size_t other;        /* differing entries of the other maps, both sides counted */
};

int canon_diff(const struct canon *old, const struct canon *new, struct canon_diff *d,
	       struct err *e);
void canon_diff_free(struct canon_diff *d);

/* "10.0.0.11 moved eth0 -> eth1; 2001:db8::5 added on eth1; 3 other entries": name gives an
 * ifindex's name (NULL: "if3"). Truncates to len. */
void canon_diff_summary(const struct canon_diff *d, const char *(*name)(__u32 ifindex,
			char buf[16]), char *buf, size_t len);

#endif
