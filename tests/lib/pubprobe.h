/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tests/lib/pubprobe.h — looks at what the programs see, from the pinned maps of a private bpffs:
 * the generation, an address's owner in the active slot, whether a device is attached, and the
 * agent's record. For tests and benchmarks that check the agent between its polls.
 */
#ifndef ENIADDR_TESTS_PUBPROBE_H
#define ENIADDR_TESTS_PUBPROBE_H

#include <linux/types.h>
#include <stdbool.h>

#include "kernel/agent_record.h"
#include "kernel/pins.h"
#include "kernel/runtime.h"

struct pubprobe {
	struct pins pins;
	struct map_fds maps;
};

/* Opens the maps pinned under bpffs (-ENOENT until something loaded them). */
int pubprobe_open(struct pubprobe *p, const char *bpffs);
void pubprobe_close(struct pubprobe *p);

/* The generation in force, or (__u64)-1 on error. */
__u64 pubprobe_generation(struct pubprobe *p);

/* Owner ifindex of addr ("192.0.2.10") in the active slot, 0 when nobody owns it, -errno on
 * error. A probe that races a publish is repeated, so the answer is one generation's. */
int pubprobe_owner(struct pubprobe *p, const char *addr);

/* Owner of the delegated prefix holding addr (as the datapath finds it), 0 when none. */
int pubprobe_prefix_owner(struct pubprobe *p, const char *addr);

bool pubprobe_attached(struct pubprobe *p, int ifindex);

/* The agent's record; -ENOENT before the agent wrote one. */
int pubprobe_agent(struct pubprobe *p, struct agent_record *r);

/* Waits up to timeout_ms for addr's owner (prefix: of the delegated prefix holding addr) to be
 * want; returns the ms it took or -ETIMEDOUT (*last: the owner seen last, may be NULL). */
long pubprobe_wait_owner(struct pubprobe *p, const char *addr, bool prefix, int want,
			 int timeout_ms, int *last);

/* Waits up to timeout_ms for ifindex to be (want) or not be attached: ms, or -ETIMEDOUT. */
long pubprobe_wait_attached(struct pubprobe *p, int ifindex, bool want, int timeout_ms);

/* Milliseconds on CLOCK_MONOTONIC. */
__u64 pubprobe_now_ms(void);

#endif
