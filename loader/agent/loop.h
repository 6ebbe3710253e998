/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/agent/loop.h — `eniaddr-bpf run`: one epoll loop over
 *   a timerfd      poll the source and reconcile, so that an IMDS change is enforced within
 *                  the interval (default 1 s; arm_poll); sweep the connection table every gc
 *                  interval
 *   rtnetlink      a link came or went: reconcile now (attach a hot-plugged ENI, detach a
 *                  removed one); a route/neighbour change that may move an ENI's router
 *                  (routes_msg_relevant, or the hooks given) reconciles too
 *   inotify        a rule file changed: try it (agent/rulefiles.h), reconcile
 *   signalfd       SIGHUP: re-read the rule files and reconcile; SIGTERM/SIGINT: exit
 *   a TCP socket   with --metrics-listen: each request gets the metrics (agent/metrics_http.h)
 * Exit leaves everything pinned and attached: the programs keep enforcing the last generation,
 * and a new agent adopts it (agent/reconcile.h). After every reconcile the record `status`
 * reads is rewritten (kernel/agent_record.h).
 */
#ifndef ENIADDR_AGENT_LOOP_H
#define ENIADDR_AGENT_LOOP_H

#include <linux/types.h>
#include <stdbool.h>

#include "agent/nlwatch.h"
#include "agent/source.h"
#include "err.h"
#include "kernel/attach.h"

#define AGENT_INTERVAL_MS_DEFAULT 1000
#define AGENT_GC_EVERY_S_DEFAULT  10

struct agent_opts {
	const char *bpffs;              /* NULL: default root */
	enum attach_req mode;           /* for the ENIs it attaches */
	__u32 ct_size;                  /* only when this run loads the object */
	unsigned int interval_ms;       /* 0: AGENT_INTERVAL_MS_DEFAULT */
	unsigned int gc_every_s;        /* 0: AGENT_GC_EVERY_S_DEFAULT */
	struct rule_files files;        /* --security-groups, --config, --interfaces */
	bool manage_addresses;          /* agent/addrmgr.h */
	const struct agent_source *source;
	nlwatch_hook route_hook, neigh_hook; /* NULL: routes_msg_relevant() decides */
	const char *metrics_listen;     /* --metrics-listen [ADDR:]PORT; NULL: off */
	void *hook_ctx;
};

/* Runs until SIGTERM or SIGINT. Returns 0 then, or -errno when it cannot start. */
int agent_run(const struct agent_opts *o, struct err *e);

#endif
