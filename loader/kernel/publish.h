/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/publish.h — puts a compiled configuration in front of the programs in one step.
 *
 * Packets read eniaddr_state[0].active_slot and only that slot's entries (eniaddr_enis,
 * _addrs(4), _pfx(4), _nexthop by key.slot; _src and _l4 by the slot bit of the policy id).
 * A publish:
 *   1. learns what the inactive slot holds (the generation before last, or leftovers of a
 *      publish that crashed half way): read back, or from the publisher's shadow (below),
 *   2. brings it to the compiled state by difference: deletes the keys that went, writes the
 *      entries that are new or changed (a duplicate key is a bug), the rule tables whole,
 *   3. flips eniaddr_state[0] = {slot, generation + 1} with ONE update: from the next packet on
 *      the programs see the new configuration entirely, never a mix,
 *   4. waits an RCU grace period (publish_wait_grace) for program runs that read the old slot
 *      number, then clears the old slot — unless keep_old asks to keep it for a revert
 *      (apply --confirm), which publish_revert() flips back to or publish_drop_slot() clears.
 * Between 2 and 3 a grace period also serves as a full memory barrier on every CPU.
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

/* The slot a new configuration must be compiled for (the inactive one). */
int publish_prepare(const struct map_fds *m, unsigned int *slot, struct err *e);

/*
 * Publishes c (compiled for the slot publish_prepare returned). On success *generation (may be
 * NULL) is the new generation. Errors name the map and, for a full map, the counts.
 */
int publish_commit(const struct map_fds *m, const struct compiled *c, __u64 *generation,
		   struct err *e);

/*
 * What a long-running publisher (the agent) wrote to each slot of eniaddr_enis, _addrs(4),
 * _pfx(4), _src and _nexthop, so that a publish need not read the inactive slot back (reading
 * 2 x 10,000 addresses costs more than the rest of a reassignment). Trusted only when all of
 * these hold, else the publish reads the maps back as one without a shadow does (and learns both
 * slots on the way):
 *   - both slots are known: this publisher wrote them, or read them back, in its last publish;
 *   - eniaddr_state is exactly what that publish left (active slot and generation): a publish
 *     or revert by anyone else moved the generation;
 *   - the publish ledger (kernel/ledger.h) holds the count that publish left: every publisher
 *     moves it before touching a slot, so a publish by another process that failed half way
 *     (and moved no generation) is seen too; without a ledger (m->ledger < 0) never.
 * Any error forgets both slots. The rule tables are always written whole (they are arrays:
 * writing them costs less than comparing). Zero-initialise; publish_shadow_free() at the end.
 */
#define PUBLISH_SLOT_MAPS 7
struct publish_shadow {
	bool known[2];
	struct publish_shadow_map {
		__u8 *recs; /* key then value, sorted by key bytes */
		size_t n;
	} maps[2][PUBLISH_SLOT_MAPS];
	struct eniaddr_state left; /* what the last publish set */
	__u64 ledger;              /* the ledger count it left */
	unsigned long trusted, read_back; /* publishes that used the shadow / read the maps */
};

void publish_shadow_free(struct publish_shadow *sh);

struct publish_opts {
	bool keep_old; /* leave the previous slot in place for publish_revert() */
	struct publish_shadow *shadow; /* may be NULL: read the inactive slot back */
};

struct publish_result {
	__u64 generation;
	unsigned int slot, old_slot;
	__u64 grace_ns; /* time spent waiting for RCU grace periods */
};

/* publish_commit with options; r gets the generation, the slots and the time waited. */
int publish_commit_with(const struct map_fds *m, const struct compiled *c,
			const struct publish_opts *o, struct publish_result *r, struct err *e);

/*
 * Makes to_slot (kept by keep_old) active again as a new generation, then clears the slot that
 * was active. -EINVAL if to_slot is the active one.
 */
int publish_revert(const struct map_fds *m, unsigned int to_slot, struct publish_result *r,
		   struct err *e);

/* After a grace period, clears slot (never the active one: the caller checks). Warns only. */
void publish_drop_slot(const struct map_fds *m, unsigned int slot, __u64 *grace_ns);

/*
 * Waits until every BPF program run that started before the call has finished (an RCU grace
 * period, through a map-in-map update: see publish.c). *waited_ns (may be NULL) is how long.
 */
int publish_wait_grace(__u64 *waited_ns, struct err *e);

/*
 * Writes the state of a freshly created eniaddr_state: generation 0 and active slot 1, an empty
 * slot, so the first publish fills slot 0 while packets still look at the empty one.
 */
int publish_reset_state(int state_fd, struct err *e);

/* The rule tables of c (pol_tbl, nodes, bits) into slot c->slot's half of their array maps; part
 * of publish_commit before the switch, and for tests that write rule entries by hand. */
int publish_tables(const struct map_fds *m, const struct compiled *c, struct err *e);

/* The slot of a key of eniaddr_enis, _addrs(4), _pfx(4), _src (its policy id's), _nexthop. */
unsigned int publish_slot_of_eni(const void *key);
unsigned int publish_slot_of_addr(const void *key);
unsigned int publish_slot_of_addr4(const void *key);
unsigned int publish_slot_of_pfx(const void *key);
unsigned int publish_slot_of_pfx4(const void *key);
unsigned int publish_slot_of_src(const void *key);
unsigned int publish_slot_of_nexthop(const void *key);

/* Slot of a policy id (ENIADDR_POLICY_SLOT_BIT). */
static inline unsigned int publish_policy_slot(__u32 policy)
{
	return policy & ENIADDR_POLICY_SLOT_BIT ? 1 : 0;
}

#endif
