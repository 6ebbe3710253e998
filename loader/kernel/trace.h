/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/trace.h — the tracer's side of drop events (maps/eniaddr.h, eniaddr_trace):
 * switch events on with filters and a rate, read what the CPUs sent and lost, switch them off.
 * One tracer at a time: enabled holds its pid, and a second one is refused while that process
 * lives.
 */
#ifndef ENIADDR_KERNEL_TRACE_H
#define ENIADDR_KERNEL_TRACE_H

#include <linux/types.h>

#include "err.h"
#include "kernel/runtime.h"

#define TRACE_DEFAULT_RATE 1000 /* events per second per CPU */
#define TRACE_BURST_SECONDS 1   /* a CPU may bank one second of events */

struct trace_filter {
	__u32 ifindex;  /* 0: every device */
	__u64 reasons;  /* bit per reason; 0: every drop reason */
	__u32 rate;     /* per CPU per second; 0: TRACE_DEFAULT_RATE */
};

struct trace_counts {
	__u64 sent, lost_rate, lost_full;
};

/* Zeroes the per-CPU buckets and counts, then switches events on. -EBUSY naming the pid when
 * another tracer runs. */
int trace_start(const struct map_fds *m, const struct trace_filter *f, struct err *e);

/* Switches events off (only when this process switched them on). */
int trace_stop(const struct map_fds *m, struct err *e);

/* Summed over CPUs, since trace_start. */
int trace_counts_read(const struct map_fds *m, struct trace_counts *c, struct err *e);

#endif
