/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/mapfill.h — how full each table is, for `status` and `metrics`: entries counted
 * by walking the keys (of a configuration table, the active slot's), capacity from the map's
 * info. Only the tables that fill up (hash, LRU, LPM); arrays are always full by construction.
 */
#ifndef ENIADDR_KERNEL_MAPFILL_H
#define ENIADDR_KERNEL_MAPFILL_H

#include <linux/types.h>
#include <stddef.h>

#include "err.h"
#include "kernel/runtime.h"

struct map_fill {
	const char *name;
	__u32 id;
	__u64 entries;
	__u32 capacity;
};

#define MAPFILL_MAX 16

/* Fills out[] (up to MAPFILL_MAX) and returns how many, or -errno. */
int mapfill_read(const struct map_fds *m, struct map_fill *out, struct err *e);

#endif
