/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/publish.h — puts a compiled configuration in front of the programs in one step.
 *
 * Packets read eniaddr_state[0].active_slot and only that slot's entries (eniaddr_enis, _addrs,
 * _pfx, _nexthop by key.slot; _src and _l4 by the slot bit of the policy id). A publish:
 *   1. clears the inactive slot (leftovers of a publish that crashed half way),
 *   2. writes every entry of the compiled state into it (BPF_NOEXIST: a duplicate is a bug),
 *   3. flips eniaddr_state[0] = {slot, generation + 1} with ONE update: from the next packet on
 *      the programs see the new configuration entirely, never a mix,
 *   4. waits a grace period for program runs that read the old slot number, then clears the
 *      old slot.
 * Any error before 3 clears what 2 wrote and returns: the active slot was never touched, so what
 * was applied before stays applied. The caller holds the pin dir's LOCK_EX, so no two publishes
 * interleave. eniaddr_frags is left alone: its entries expire by themselves.
 */
#ifndef ENIADDR_PUBLISH_H
#define ENIADDR_PUBLISH_H

#include <linux/types.h>

#include "compile/compile.h"
#include "err.h"
#include "kernel/runtime.h"

/* Longer than any single program run by orders of magnitude; see publish.c. */
#define PUBLISH_GRACE_MS 50

/* The slot a new configuration must be compiled for (the inactive one). */
int publish_prepare(const struct map_fds *m, unsigned int *slot, struct err *e);

/*
 * Publishes c (compiled for the slot publish_prepare returned). On success *generation (may be
 * NULL) is the new generation. Errors name the map and, for a full map, the counts.
 */
int publish_commit(const struct map_fds *m, const struct compiled *c, __u64 *generation,
		   struct err *e);

/*
 * Writes the state of a freshly created eniaddr_state: generation 0 and active slot 1, an empty
 * slot, so the first publish fills slot 0 while packets still look at the empty one.
 */
int publish_reset_state(int state_fd, struct err *e);

/* The rule tables of c (pol_tbl, nodes, bits) into slot c->slot's half of their array maps; part
 * of publish_commit before the switch, and for tests that write rule entries by hand. */
int publish_tables(const struct map_fds *m, const struct compiled *c, struct err *e);

/* Slot of a policy id (ENIADDR_POLICY_SLOT_BIT). */
static inline unsigned int publish_policy_slot(__u32 policy)
{
	return policy & ENIADDR_POLICY_SLOT_BIT ? 1 : 0;
}

#endif
