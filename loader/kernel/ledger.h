/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/ledger.h — the publish ledger: how many times any process began to change a
 * slot of the maps (a publish, also one that failed half way and was undone, or the clearing
 * of a kept slot). One __u64 in a one-entry array map that user space creates and pins next to
 * the others (maps/eniaddr_publog), so every CLI run and every agent sees the same count; it
 * goes away with the last detach like every pin. No program reads it: its layout is user
 * space's alone (not in maps/eniaddr.h).
 *
 * Why: a publisher that remembers what it wrote (publish.h, struct publish_shadow) may trust
 * that memory only while nobody else touched the slots. A publish by another process moves the
 * generation, but one that failed after writing part of the inactive slot moves nothing else:
 * the ledger count is the proof. Callers hold the pin dir's LOCK_EX, so the count never races.
 */
#ifndef ENIADDR_KERNEL_LEDGER_H
#define ENIADDR_KERNEL_LEDGER_H

#include <linux/types.h>
#include <stdbool.h>

#include "err.h"
#include "kernel/pins.h"

#define LEDGER_MAP "eniaddr_publog"

/* The pinned ledger's fd; created and pinned when missing if create (the caller holds
 * LOCK_EX). -ENOENT when it is missing and !create (an object loaded by an older build). */
int ledger_open(const struct pins *p, bool create, struct err *e);

/* A new unpinned ledger, for tests and benchmarks that load the object themselves. */
int ledger_create(struct err *e);

/* Adds one; *count (may be NULL) is the new value. */
int ledger_bump(int fd, __u64 *count, struct err *e);

int ledger_read(int fd, __u64 *count, struct err *e);

#endif
