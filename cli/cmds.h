/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cli/cmds.h — the command handlers main.c dispatches to (one file per group of commands).
 * Each returns 0 or -errno with e filled; main prints the error once.
 */
#ifndef ENIADDR_CLI_CMDS_H
#define ENIADDR_CLI_CMDS_H

#include "args.h"
#include "err.h"
#include "kernel/pins.h"

typedef int (*cli_handler)(const struct cli_args *a, struct err *e);

int cmd_attach(const struct cli_args *a, struct err *e); /* cmd_attach.c */
int cmd_detach(const struct cli_args *a, struct err *e); /* cmd_attach.c */
int cmd_apply(const struct cli_args *a, struct err *e);  /* cmd_apply.c */
int cmd_sync(const struct cli_args *a, struct err *e);   /* cmd_apply.c */
int cmd_confirm(const struct cli_args *a, struct err *e); /* cmd_apply.c */
int cmd_sync_imds(const struct cli_args *a, struct err *e); /* cmd_sync_imds.c, sync --imds */
int cmd_status(const struct cli_args *a, struct err *e); /* cmd_status.c */
int cmd_stats(const struct cli_args *a, struct err *e);  /* cmd_stats.c */
int cmd_conntrack(const struct cli_args *a, struct err *e); /* cmd_conntrack.c */
int cmd_trace(const struct cli_args *a, struct err *e);  /* cmd_trace.c */
int cmd_metrics(const struct cli_args *a, struct err *e); /* cmd_metrics.c */
int cmd_explain(const struct cli_args *a, struct err *e); /* cmd_explain.c */
int cmd_run(const struct cli_args *a, struct err *e);    /* cmd_run.c */

/*
 * What apply, sync and sync --imds share (cmd_apply.c): bind st's ENIs to nics, fill missing
 * subnets, validate, then lock, load if needed, compile and publish in one step, and print the
 * result. On success *pins (the pin dir, unlocked) and *generation are set when not NULL.
 */
struct desired_state;
struct nics;
int publish_state(const struct cli_args *a, struct desired_state *st, const struct nics *nics,
		  struct pins *pins, __u64 *generation, struct err *e);

#endif
