/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/ct_maybe.h — user space's side of eniaddr_ct_maybe, the "may have a flow" filter
 * in front of the four conntrack tables (maps/eniaddr.h): setting a key's bits before user space
 * inserts it (ct_tables.c does it for every insert), and rebuilding the filter so that the bits
 * of flows long gone stop costing packets their lookups.
 *
 * The rebuild, in three steps a test can run one by one:
 *   ct_maybe_clear_spare  waits a grace period (no run still reads the half the last flip left),
 *                         then clears the half that is not current;
 *   ct_maybe_fill_spare   waits a grace period, then sets in that half the bit of every key of
 *                         the four tables (expired ones too: only a packet that finds an expired
 *                         entry deletes it before the GC does);
 *   ct_maybe_flip         makes that half current.
 * ct_maybe.c, at the flip, says why no flow inserted meanwhile is lost. One rebuilder at a time,
 * and no user-space insert while it runs: callers hold the pin dir's exclusive lock (pins.h),
 * since a grace period waits for program runs, not for other processes.
 *
 * When: ct_maybe_tend, after a GC sweep, rebuilds when the current half holds more than
 * CT_MAYBE_STALE_DIV-th of its bits beyond the live entries (at least that many bits belong to no
 * flow: each costs the packets that hit it two lookups for nothing).
 */
#ifndef ENIADDR_CT_MAYBE_H
#define ENIADDR_CT_MAYBE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "../maps/eniaddr.h"

struct map_fds;

#define CT_MAYBE_STALE_DIV 32 /* rebuild once >= 1/32 of the bits (3 %) are known stale */

/* The filter, mapped: words[h * ENIADDR_CT_MAYBE_WORDS + w], words[ENIADDR_CT_MAYBE_HALF]. */
struct ct_maybe {
	__u64 *words;
	size_t len; /* bytes mapped */
};

/* Maps eniaddr_ct_maybe of fd (ct_maybe_unmap when done); -errno with e. */
int ct_maybe_map(int fd, struct ct_maybe *f, struct err *e);
void ct_maybe_unmap(struct ct_maybe *f);

/* The bit of flow key k (common form: an IPv4 flow's bit is its 20-byte key's, as the programs
 * compute it). */
__u32 ct_maybe_bit(const struct eniaddr_ct_key *k);

/* Sets k's bit in both halves (atomically: the programs set bits meanwhile). */
void ct_maybe_add(const struct ct_maybe *f, const struct eniaddr_ct_key *k);

/* ct_maybe_add on the filter of fd, mapped for the call: 0, or -1 with errno. */
int ct_maybe_add_fd(int fd, const struct eniaddr_ct_key *k);

/* Whether k's bit is set in half (0 or 1). */
bool ct_maybe_test(const struct ct_maybe *f, unsigned int half, const struct eniaddr_ct_key *k);

/* The current half, and the number of bits set in half. */
unsigned int ct_maybe_current(const struct ct_maybe *f);
size_t ct_maybe_count(const struct ct_maybe *f, unsigned int half);

/* Sets every bit of both halves: a filter that lets every packet look, as before it existed
 * (for a filter created next to tables that already hold flows). */
void ct_maybe_saturate(const struct ct_maybe *f);

/* The rebuild's steps (above). fill_spare counts the keys it marked in *keys (may be NULL). */
int ct_maybe_clear_spare(const struct ct_maybe *f, struct err *e);
int ct_maybe_fill_spare(const struct map_fds *m, const struct ct_maybe *f, size_t *keys,
			struct err *e);
void ct_maybe_flip(const struct ct_maybe *f);

/* The three steps on m's filter. */
int ct_maybe_rebuild(const struct map_fds *m, struct err *e);

/* After a sweep that left live entries in the four tables: rebuilds when stale bits pass the
 * threshold above; *rebuilt says whether it did. */
int ct_maybe_tend(const struct map_fds *m, size_t live, bool *rebuilt, struct err *e);

#endif
