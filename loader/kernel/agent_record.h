/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/agent_record.h — what `eniaddr-bpf run` tells `eniaddr-bpf status`: its source,
 * the last reconcile (when, result, how long), the last change it published. Kept in a one-entry
 * map the agent creates from user space and pins next to the others (maps/eniaddr_agent), so it
 * follows --bpffs, outlives the agent (status shows when it last ran) and goes away with the
 * last detach like every pin. No program reads it: its layout is user space's alone (not in
 * maps/eniaddr.h).
 *
 * Atomic for readers: a hash map without preallocation replaces the element with a new one and
 * frees the old one after an RCU grace period, so a concurrent lookup copies either the old
 * record or the new one, never a torn mix. One writer: the agent.
 */
#ifndef ENIADDR_KERNEL_AGENT_RECORD_H
#define ENIADDR_KERNEL_AGENT_RECORD_H

#include <linux/types.h>

#include "err.h"
#include "kernel/pins.h"

#define AGENT_RECORD_MAP     "eniaddr_agent"
#define AGENT_RECORD_VERSION 1

#define AGENT_F_RUNNING       (1u << 0) /* cleared by a clean exit */
#define AGENT_F_NO_RULES      (1u << 1) /* no rule source: ownership and routing only */
#define AGENT_F_MANAGE_ADDRS  (1u << 2) /* --manage-addresses */
#define AGENT_F_EVER_OK       (1u << 3) /* at least one reconcile succeeded */

struct agent_record {
	__u32 version;
	__u32 pid;
	__u32 flags;            /* AGENT_F_* */
	__u32 interval_ms;      /* poll interval */
	__u64 started_ms;       /* CLOCK_REALTIME, milliseconds */
	__u64 last_sync_ms;     /* last reconcile attempt, realtime ms */
	__u64 last_ok_ms;       /* last successful one */
	__u64 last_change_ms;   /* last publish */
	__u64 generation;       /* generation in force after the last reconcile */
	__u64 digest;           /* canonical digest of it (agent/canon.h) */
	__u64 reconciles, publishes, failures;
	__u32 duration_us;      /* of the last reconcile */
	__s32 result;           /* 0 or -errno of the last reconcile */
	__u32 enis, attached;   /* ENIs in force, devices attached */
	char source[64];        /* "imds http://169.254.169.254" */
	char rules[192];        /* "security groups sgs.json, config cfg.json" or "" */
	char error[384];        /* the last reconcile's error, "" when it succeeded */
	char rules_error[384];  /* a rejected rule file, "" when the current ones are in use */
	char change[512];       /* what the last publish changed */
	char no_members[256];   /* groups rules reference that have no known member, "sg-a,sg-b" */
};
_Static_assert(sizeof(struct agent_record) % 8 == 0, "agent_record layout");

/* Opens the pinned record map, creating and pinning it if missing (the caller holds LOCK_EX).
 * Returns the fd or -errno. */
int agent_record_open(const struct pins *p, struct err *e);

int agent_record_write(int fd, const struct agent_record *r, struct err *e);

/* Reads the pinned record: 0, -ENOENT when no agent ever ran here, or -errno. */
int agent_record_read(const struct pins *p, struct agent_record *r, struct err *e);

#endif
