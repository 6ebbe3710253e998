/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tests/lib/agentbed.h — one simulated instance running the agent: the IMDS emulator in its
 * namespace on 169.254.169.254, a private bpffs, `eniaddr-bpf run` (the real binary) with a
 * security-groups file, and a probe on its pinned maps. The reassignment test and benchmark run
 * two of them in the two-instances bed (scripts/vpcbed.sh). User space only.
 */
#ifndef ENIADDR_TESTS_AGENTBED_H
#define ENIADDR_TESTS_AGENTBED_H

#include <limits.h>
#include <sys/types.h>

#include "clirun.h"
#include "imds_emu.h"
#include "pubprobe.h"

struct agentbed {
	char ns[64];
	struct clirun cli;
	struct imds_emu emu;
	struct pubprobe probe;
	pid_t agent;          /* 0 when not running */
	char sgs[PATH_MAX];
};

/* Emulator with world, then `run --security-groups SGS [extra...]` (extra: NULL-terminated
 * argv words, may be NULL). Returns once the agent reported a successful reconcile, or -errno. */
int agentbed_start(struct agentbed *b, const char *ns, const char *world, const char *sgs_json,
		   const char *const *extra);

/* SIGTERM to the agent and wait; the emulator, the bpffs and the probe go too. Safe to repeat. */
void agentbed_stop(struct agentbed *b);

/* SIGTERM to an agent process and wait; *pid becomes -1. Its exit status (128 + signal when
 * killed), -1 when there was none. */
int agentbed_sigterm(pid_t *pid);

/* The agent's resident set size in kB from /proc, -errno. */
long agentbed_rss_kb(const struct agentbed *b);

/* User + system CPU time the agent used so far, in clock ticks, -errno. */
long agentbed_cpu_ticks(const struct agentbed *b);

/* The ifindex of dev in the instance, -errno. */
int agentbed_ifindex(const struct agentbed *b, const char *dev);

#endif
