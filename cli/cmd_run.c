// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli/cmd_run.c — `run`: the long-running agent (loader/agent/loop.h) with IMDSv2 as its source.
 * Everything it does is in loader/agent/; this file only turns options into agent_opts.
 */
#include "agent/imds_source.h"
#include "agent/loop.h"
#include "cmds.h"

int cmd_run(const struct cli_args *a, struct err *e)
{
	struct imds_opts io = { .endpoint = a->imds_endpoint };
	struct imds_agent_source src;
	struct agent_opts o = {
		.bpffs = a->bpffs,
		.mode = a->mode,
		.ct_size = a->ct_size,
		.interval_ms = a->interval_ms,
		.files = { a->groups, a->config, a->interfaces },
		.manage_addresses = a->manage_addresses,
		.metrics_listen = a->metrics_listen,
		.source = &src.src,
	};
	int err;

	err = imds_agent_source_open(&src, &io, e);
	if (err)
		return err;
	err = agent_run(&o, e);
	imds_agent_source_close(&src);
	return err;
}
