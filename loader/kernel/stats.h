/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/stats.h — the counters in user space: giving a device its counter slot
 * (eniaddr_stats_dev), reading eniaddr_stats and eniaddr_addr_drops summed over CPUs into rows,
 * and zeroing them without reloading anything. The layout is described in maps/eniaddr.h.
 */
#ifndef ENIADDR_KERNEL_STATS_H
#define ENIADDR_KERNEL_STATS_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "kernel/runtime.h"
#include "vec.h"
#include "../maps/eniaddr.h"

/* Names of reasons ("no_rule"), actions ("drop"), directions ("ingress"); NULL when unknown. */
const char *stats_reason_name(unsigned int reason);
const char *stats_action_name(unsigned int action);
const char *stats_dir_name(unsigned int dir);
/* The reason named name, or -EINVAL. */
int stats_reason_parse(const char *name);

/* The name counters report for ifindex: the device's, "other" for 0 (the shared bucket), or
 * "ifindex-N" for a device that is gone. */
#define STATS_IFNAME_LEN 24
void stats_ifname(__u32 ifindex, char buf[STATS_IFNAME_LEN]);

/* Writes every entry's header (ifindex 0) and zero counts: for a freshly created map. */
int stats_init(const struct map_fds *m, struct err *e);

/* Gives ifindex a counter slot of its own (again: the same one). Returns the slot, or 0 when
 * none is left or the ifindex is too large (its packets count in the shared bucket 0). */
int stats_dev_assign(const struct map_fds *m, __u32 ifindex, struct err *e);

/* Takes the slot back (detach): its counters are zeroed for the next device. */
int stats_dev_release(const struct map_fds *m, __u32 ifindex, struct err *e);

struct stat_row {
	struct eniaddr_stat_key k;
	__u64 packets, bytes;
};

struct stat_rows {
	VEC(struct stat_row) v;
};

/* Every counter that moved, for ifindex (0: every device), summed over CPUs, in the order
 * device slot, direction, action, reason. */
int stats_read(const struct map_fds *m, __u32 ifindex, struct stat_rows *rows, struct err *e);

/* One counter (zero when it never moved). */
int stats_get(const struct map_fds *m, const struct eniaddr_stat_key *k, struct eniaddr_stat *out,
	      struct err *e);

struct addr_drop_row {
	struct eniaddr_addr_drop_key k;
	__u64 packets, bytes;
};

struct addr_drop_rows {
	VEC(struct addr_drop_row) v;
	/* Drops and audits at owned addresses of every device that no row holds (maps/eniaddr.h):
	 * with every device's rows, they add up to those counted in eniaddr_stats. */
	struct eniaddr_stat unattributed;
};

/* The per-address drop counters of ifindex (0: all), summed over CPUs and ways, most packets
 * first, and the unattributed ones. The one reader of eniaddr_addr_drops. */
int stats_read_addrs(const struct map_fds *m, __u32 ifindex, struct addr_drop_rows *rows,
		     struct err *e);

/* Zeroes every counter (headers stay) and empties the per-address table. */
int stats_reset(const struct map_fds *m, struct err *e);

#endif
