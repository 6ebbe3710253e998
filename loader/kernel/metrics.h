/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/metrics.h — the Prometheus text exposition (format 0.0.4) of the counters and
 * fill levels, written by `eniaddr-bpf metrics` (for node_exporter's textfile collector) and,
 * with the sync results, by the agent's --metrics-listen endpoint. Names follow Prometheus
 * conventions: eniaddr_packets_total{interface,direction,reason,action}, eniaddr_bytes_total,
 * eniaddr_address_drop_packets_total{interface,direction,address}, _bytes_total,
 * eniaddr_conntrack_entries{table}, eniaddr_conntrack_capacity{table},
 * eniaddr_map_entries{map},
 * eniaddr_map_capacity{map}, eniaddr_events_total, eniaddr_events_lost_total{cause},
 * eniaddr_generation, eniaddr_unconfigured_devices, eniaddr_device_unconfigured{interface,action}
 * (attached, not configured: action pass means unfiltered), eniaddr_groups_without_members,
 * eniaddr_group_without_members{group}, and (agent) eniaddr_sync_total{result},
 * eniaddr_last_sync_timestamp_seconds.
 */
#ifndef ENIADDR_KERNEL_METRICS_H
#define ENIADDR_KERNEL_METRICS_H

#include <linux/types.h>
#include <stdio.h>

#include "err.h"
#include "kernel/runtime.h"

/* What only the agent knows; NULL from the CLI. */
struct metrics_sync {
	__u64 ok, failed;          /* syncs since the agent started */
	double last_sync_seconds;  /* unix time of the last sync, 0: none yet */
	int last_ok;               /* 1: the last sync published, 0: it failed */
	const char *no_members;    /* "sg-a,sg-b": referenced groups without a known member */
};

/* no_members: "sg-a,sg-b", the referenced groups without a known member as the agent saw them,
 * or NULL to take them from the warnings the last apply/sync kept (eniaddr_ctl). */
int metrics_write(FILE *f, const struct map_fds *m, const struct metrics_sync *sync,
		  const char *no_members, struct err *e);

#endif
