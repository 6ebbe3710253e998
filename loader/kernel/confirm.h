/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/confirm.h — publish with a safety net, as network gear does ("commit confirmed"):
 * `apply/sync --confirm SECONDS` publishes with the previous slot kept (publish keep_old), and
 * unless `confirm` arrives before the deadline the previous configuration comes back.
 *
 * Who reverts, when the CLI (or the operator's SSH session) is gone:
 *  1. a watchdog process forked by the publishing CLI (own session, no inherited fds, immune to
 *     the terminal's hangup) sleeps on CLOCK_BOOTTIME until the deadline, then takes the pin
 *     dir's lock and reverts if the record still names its generation;
 *  2. should the watchdog not run (killed, out of memory), every later apply/sync/confirm —
 *     and the agent, through confirm_revert_if_expired() — finds the expired record first and
 *     reverts before doing anything else.
 * The record (deadline, generation, slot to revert to, watchdog pid) lives in eniaddr_ctl, so it
 * is where the maps are, survives every CLI exit, and goes with the last detach (and with it any
 * reason to revert). While a confirm is pending, another publish is refused: it would clear the
 * slot the revert needs.
 */
#ifndef ENIADDR_CONFIRM_H
#define ENIADDR_CONFIRM_H

#include <stdbool.h>

#include "err.h"
#include "kernel/pins.h"
#include "kernel/publish.h"
#include "kernel/runtime.h"

/* Records the pending publish r (published with keep_old) and forks the watchdog. On error the
 * publish is reverted at once. The caller holds the pin dir's LOCK_EX. */
int confirm_arm(const struct pins *p, const struct map_fds *m, const struct publish_result *r,
		unsigned int seconds, struct err *e);

/* `confirm`: keeps the pending publish and drops the old slot. -ENOENT when nothing waits;
 * -ETIME (after reverting) when the deadline has passed. */
int confirm_accept(const struct map_fds *m, __u64 *generation, struct err *e);

/* Reverts a pending publish whose deadline has passed. *reverted (may be NULL) says whether it
 * did. 0 or -errno. */
int confirm_revert_if_expired(const struct map_fds *m, bool *reverted, struct err *e);

/* -EBUSY with "a configuration waits for confirm ..." while one does, else 0. */
int confirm_refuse_if_pending(const struct map_fds *m, struct err *e);

/* Seconds until the pending publish is reverted; false when none is pending. */
bool confirm_pending(const struct map_fds *m, __u64 *generation, __s64 *seconds_left);

#endif
