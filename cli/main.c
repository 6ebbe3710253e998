// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli/main.c — eniaddr-bpf: parse (cli/args.c), set up logging, enter the network namespace
 * before anything opens a socket, run the command, print its error once.
 */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "cmds.h"
#include "log.h"
#include "kernel/netns_enter.h"
#include "output.h"

/* Indexed by enum cli_cmd_id; the names, synopses and help live in cli_commands (args.c). */
static const cli_handler handlers[CLI_CMD_COUNT] = {
	[CLI_CMD_ATTACH] = cmd_attach,
	[CLI_CMD_DETACH] = cmd_detach,
	[CLI_CMD_APPLY]  = cmd_apply,
	[CLI_CMD_SYNC]   = cmd_sync,
	[CLI_CMD_CONFIRM] = cmd_confirm,
	[CLI_CMD_STATUS] = cmd_status,
	[CLI_CMD_STATS]  = cmd_stats,
	[CLI_CMD_CONNTRACK] = cmd_conntrack,
	[CLI_CMD_TRACE]  = cmd_trace,
	[CLI_CMD_METRICS] = cmd_metrics,
	[CLI_CMD_EXPLAIN] = cmd_explain,
	[CLI_CMD_RUN]    = cmd_run,
	[CLI_CMD_HELP]   = NULL, /* handled below: needs no privileges or pins */
};

static int help(const struct cli_args *a)
{
	const struct cli_command *c = a->cmd;

	if (c && c->id == CLI_CMD_HELP)
		c = a->n_pos ? cli_find_command(a->pos[0]) : NULL;
	if (c)
		cli_command_usage(stdout, c);
	else
		cli_usage(stdout);
	return CLI_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cli_args a;
	struct err e = {};
	int err;

	err = cli_parse(argc, argv, &a, &e);
	out_init(a.json, a.pretty);
	if (err) {
		out_error(e.msg);
		if (!out_json() && a.cmd)
			fprintf(stderr, "Usage: " CLI_NAME " %s %s\n", a.cmd->name,
				a.cmd->synopsis);
		return CLI_EXIT_USAGE;
	}
	if (a.version) {
		printf(CLI_NAME " %s (libbpf %s)\n", CLI_VERSION, libbpf_version_string());
		return CLI_EXIT_OK;
	}
	if (a.help || (a.cmd && a.cmd->id == CLI_CMD_HELP))
		return help(&a);
	if (!a.cmd) {
		cli_usage(stderr);
		return CLI_EXIT_USAGE;
	}

	log_set_level(a.verbose > LOG_LVL_TRACE ? LOG_LVL_TRACE : (enum log_level)a.verbose);
	log_libbpf_setup();
	if (a.netns) {
		err = netns_join(a.netns, &e);
		if (err) {
			out_error(e.msg);
			return CLI_EXIT_ERROR;
		}
	}
	err = handlers[a.cmd->id](&a, &e);
	if (err) {
		out_error(e.msg[0] ? e.msg : strerror(-err));
		return CLI_EXIT_ERROR;
	}
	return CLI_EXIT_OK;
}
