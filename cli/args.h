/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cli/args.h — the command line of eniaddr-bpf as tables: global options, commands, and each
 * command's options. Parsing only fills struct cli_args (no syscalls, no output), so it is tested
 * without privileges; usage and help text are generated from the same tables.
 *
 *   eniaddr-bpf [GLOBAL OPTIONS] COMMAND [COMMAND OPTIONS] [ARGS]
 *
 * Options take "--name VALUE", "--name=VALUE", "-x VALUE" or "-xVALUE"; short flags bundle
 * ("-vv"). Global options come before the command, command options anywhere after it; "--" ends
 * options.
 */
#ifndef ENIADDR_CLI_ARGS_H
#define ENIADDR_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "guard.h"
#include "kernel/attach.h"
#include "err.h"

#define CLI_NAME             "eniaddr-bpf"
#define CLI_VERSION          "0.1.0"
#define CLI_MAX_POS          64
#define CLI_MAX_PREFIX_LISTS 64

/* Exit codes. */
#define CLI_EXIT_OK    0
#define CLI_EXIT_ERROR 1
#define CLI_EXIT_USAGE 2

enum cli_cmd_id {
	CLI_CMD_ATTACH,
	CLI_CMD_DETACH,
	CLI_CMD_APPLY,
	CLI_CMD_SYNC,
	CLI_CMD_CONFIRM,
	CLI_CMD_STATUS,
	CLI_CMD_STATS,
	CLI_CMD_CONNTRACK,
	CLI_CMD_TRACE,
	CLI_CMD_METRICS,
	CLI_CMD_EXPLAIN,
	CLI_CMD_RUN,
	CLI_CMD_HELP,
	CLI_CMD_COUNT,
};

#define CLI_ID_LEN 64

struct cli_prefix_list {
	char id[CLI_ID_LEN]; /* "pl-0123" */
	const char *path; /* its get-managed-prefix-list-entries output */
};

struct cli_command;

struct cli_args {
	/* global */
	bool json, pretty, help, version;
	int verbose;
	const char *netns;
	const char *bpffs;
	const struct cli_command *cmd; /* NULL: none given */
	/* command options */
	enum attach_req mode;
	__u32 ct_size;      /* attach --conntrack-size; 0: default */
	unsigned int every; /* conntrack gc --every SECONDS; 0: one sweep */
	unsigned int watch; /* stats --watch SECONDS; 0: print once */
	bool reset;         /* stats --reset */
	bool by_address;    /* stats --by-address */
	bool egress;        /* explain --egress: the packet leaves DEV */
	__u64 reasons;      /* trace --reason R...: bit per reason; 0: every drop reason */
	const char *dev;    /* trace --dev DEV */
	__u32 rate;         /* trace --rate N: events per second per CPU; 0: the default */
	bool all;
	const char *interfaces;
	const char *groups;
	bool imds;                 /* sync --imds */
	const char *config;        /* sync --imds / run: --config FILE */
	const char *imds_endpoint; /* sync --imds / run: --imds-endpoint URL; NULL: the default */
	struct cli_prefix_list prefix_lists[CLI_MAX_PREFIX_LISTS];
	size_t n_prefix_lists;
	struct eniaddr_guard guards[ENIADDR_MAX_GUARDS]; /* --guard, in order */
	unsigned int n_guards;
	unsigned int confirm;   /* apply/sync --confirm SECONDS; 0: none */
	enum { CLI_UNCONF_KEEP, CLI_UNCONF_PASS, CLI_UNCONF_DROP } unconfigured; /* attach */
	/* run */
	unsigned int interval_ms;  /* --interval SECONDS; 0: the agent's default */
	bool manage_addresses;
	const char *metrics_listen; /* run --metrics-listen [ADDR:]PORT */
	/* positional arguments of the command, in order */
	const char *pos[CLI_MAX_POS];
	size_t n_pos;
};

/* Sets a's field from val (NULL for flags); a bad value is -EINVAL with e set. */
typedef int (*cli_opt_set)(struct cli_args *a, const char *val, struct err *e);

struct cli_opt {
	const char *name;    /* long name without "--" */
	char short_name;     /* 0: none */
	const char *metavar; /* NULL: a flag without value */
	bool required;
	cli_opt_set set;
	const char *help;
};

struct cli_command {
	const char *name;
	enum cli_cmd_id id;
	const char *synopsis; /* after the name: "[--mode MODE] DEV..." */
	const char *help;     /* one line */
	const struct cli_opt *opts; /* NULL-name terminated; NULL for none */
	size_t min_pos, max_pos;    /* positional arguments allowed */
	const char *pos_name;       /* for "missing DEV" */
	/* rules across arguments ("DEV... or --all"); NULL for none */
	int (*check)(const struct cli_args *a, struct err *e);
};

extern const struct cli_command cli_commands[CLI_CMD_COUNT];
extern const struct cli_opt cli_global_opts[];

/*
 * Parses argv into a. 0 on success (also for -h/--help/-V anywhere: see a->help, a->version);
 * -EINVAL for a usage error, with e holding the one line to print (exit code 2).
 */
int cli_parse(int argc, char **argv, struct cli_args *a, struct err *e);

const struct cli_command *cli_find_command(const char *name);

/* The whole usage (commands and global options), or one command's with its options. */
void cli_usage(FILE *f);
void cli_command_usage(FILE *f, const struct cli_command *c);

#endif
