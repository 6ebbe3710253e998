// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli/args.c — see args.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "kernel/pins.h"
#include "kernel/stats.h"
#include "kernel/trace.h"
#include "source/imds.h"

/* ---- option setters: one per kind of value ---- */

/* Flags and plain values: no checks beyond what cli_parse does. */
#define SETTER(fn, stmt) \
	static int fn(struct cli_args *a, const char *v, struct err *e) { stmt; return 0; }
SETTER(set_json, a->json = true)
SETTER(set_pretty, a->json = a->pretty = true)
SETTER(set_verbose, a->verbose++)
SETTER(set_netns, a->netns = v)
SETTER(set_bpffs, a->bpffs = v)
SETTER(set_help, a->help = true)
SETTER(set_version, a->version = true)
SETTER(set_all, a->all = true)
SETTER(set_ifs, a->interfaces = v)
SETTER(set_groups, a->groups = v)
SETTER(set_reset, a->reset = true)
SETTER(set_by_address, a->by_address = true)
SETTER(set_egress, a->egress = true)
SETTER(set_dev, a->dev = v)
SETTER(set_metrics_listen, a->metrics_listen = v)
SETTER(set_imds, a->imds = true)
SETTER(set_config, a->config = v)
SETTER(set_imds_endpoint, a->imds_endpoint = v)
SETTER(set_manage_addresses, a->manage_addresses = true)

static int set_mode(struct cli_args *a, const char *v, struct err *e)
{
	if (attach_req_parse(v, &a->mode))
		return err_set(e, EINVAL, "bad --mode '%s': expected auto, native, generic or tc", v);
	return 0;
}

/* A whole decimal number in lo..hi, or -EINVAL naming the option. */
static int parse_count(const char *opt, const char *v, unsigned long lo, unsigned long hi,
		       unsigned long *out, struct err *e)
{
	char *end;

	errno = 0;
	*out = strtoul(v, &end, 10);
	if (!*v || *end || errno || *v == '-' || *out < lo || *out > hi)
		return err_set(e, EINVAL, "bad --%s '%s': expected a number %lu..%lu", opt, v, lo,
			       hi);
	return 0;
}

static int set_ct_size(struct cli_args *a, const char *v, struct err *e)
{
	unsigned long n;
	int err = parse_count("conntrack-size", v, ENIADDR_CT_SIZE_MIN, ENIADDR_CT_SIZE_MAX, &n, e);

	a->ct_size = (__u32)n;
	return err;
}

static int set_every(struct cli_args *a, const char *v, struct err *e)
{
	unsigned long n;
	int err = parse_count("every", v, 1, 86400, &n, e);

	a->every = (unsigned int)n;
	return err;
}

static int set_watch(struct cli_args *a, const char *v, struct err *e)
{
	unsigned long n;
	int err = parse_count("watch", v, 1, 3600, &n, e);

	a->watch = (unsigned int)n;
	return err;
}

static int set_rate(struct cli_args *a, const char *v, struct err *e)
{
	unsigned long n;
	int err = parse_count("rate", v, 1, 10000000, &n, e);

	a->rate = (__u32)n;
	return err;
}

static int set_reason(struct cli_args *a, const char *v, struct err *e)
{
	int r = stats_reason_parse(v);

	if (r < ENIADDR_R_FIRST_DROP)
		return err_set(e, EINVAL, "bad --reason '%s': expected a drop reason (not_owned, "
			       "wrong_eni, no_rule, malformed, ... as `stats` names them)", v);
	a->reasons |= 1ULL << r;
	return 0;
}

static int set_guard(struct cli_args *a, const char *v, struct err *e)
{
	struct eniaddr_guard g;

	return guard_parse(v, &g, e) ?: guard_add(a->guards, &a->n_guards, &g, e);
}

static int set_unconfigured(struct cli_args *a, const char *v, struct err *e)
{
	if (!strcmp(v, "pass"))
		a->unconfigured = CLI_UNCONF_PASS;
	else if (!strcmp(v, "drop"))
		a->unconfigured = CLI_UNCONF_DROP;
	else
		return err_set(e, EINVAL, "bad --unconfigured '%s': expected pass or drop", v);
	return 0;
}

static int set_confirm(struct cli_args *a, const char *v, struct err *e)
{
	unsigned long n;
	int err = parse_count("confirm", v, 1, 3600, &n, e);

	a->confirm = (unsigned int)n;
	return err;
}

/* Seconds with up to three decimals, 0.1..3600 ("1", "0.5"). */
static int set_interval(struct cli_args *a, const char *v, struct err *e)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(v, &end);
	if (!*v || *end || errno || !(s >= 0.1 && s <= 3600))
		return err_set(e, EINVAL, "bad --interval '%s': expected seconds, 0.1..3600", v);
	a->interval_ms = (unsigned int)(s * 1000 + 0.5);
	return 0;
}

static int set_prefix_list(struct cli_args *a, const char *v, struct err *e)
{
	const char *eq = strchr(v, '=');
	struct cli_prefix_list *pl;
	size_t id_len;

	if (!eq || eq == v || !eq[1] || strncmp(v, "pl-", 3))
		return err_set(e, EINVAL, "bad --prefix-list '%s': expected pl-ID=FILE", v);
	id_len = (size_t)(eq - v);
	if (id_len >= CLI_ID_LEN)
		return err_set(e, EINVAL, "bad --prefix-list '%s': id too long", v);
	if (a->n_prefix_lists == CLI_MAX_PREFIX_LISTS)
		return err_set(e, EINVAL, "more than %d --prefix-list options",
			       CLI_MAX_PREFIX_LISTS);
	pl = &a->prefix_lists[a->n_prefix_lists++];
	memcpy(pl->id, v, id_len);
	pl->id[id_len] = '\0';
	pl->path = eq + 1;
	return 0;
}

/* ---- the tables ---- */

const struct cli_opt cli_global_opts[] = {
	{ "json", 'j', NULL, false, set_json, "print JSON (errors too: {\"error\": ...})" },
	{ "pretty", 'p', NULL, false, set_pretty, "print indented JSON (implies --json)" },
	{ "verbose", 'v', NULL, false, set_verbose,
	  "log more on stderr (libbpf warnings, the verifier log); -vv, -vvv: debug" },
	{ "netns", 'n', "NAME", false, set_netns,
	  "run in network namespace /run/netns/NAME (or a path)" },
	{ "bpffs", 0, "DIR", false, set_bpffs,
	  "bpffs to pin under (default $" PINS_ENV_ROOT " or " PINS_DEFAULT_ROOT ")" },
	{ "help", 'h', NULL, false, set_help, "show help" },
	{ "version", 'V', NULL, false, set_version, "show the version" },
	{ NULL },
};

/* Options several commands share. */
#define OPT_GUARD                                                                         \
	{ "guard", 0, "CIDR[:PORT]", false, set_guard,                                    \
	  "management access no policy removes: TCP PORT (or everything) from CIDR; repeat " \
	  "for more; kept until the last detach" }
#define OPT_CONFIRM                                                                        \
	{ "confirm", 0, "SECONDS", false, set_confirm,                                     \
	  "keep the previous configuration and go back to it after SECONDS (1..3600) unless " \
	  "`" CLI_NAME " confirm` comes first" }

static const struct cli_opt help_opt = { "help", 'h', NULL, false, set_help, "show this help" };

static const struct cli_opt attach_opts[] = {
	{ "mode", 0, "auto|native|generic|tc", false, set_mode,
	  "auto (default) tries native XDP, then tc ingress (generic XDP only when asked)" },
	{ "conntrack-size", 0, "N", false, set_ct_size,
	  "entries of each family's connection-tracking table (default "
	  ENIADDR_STR(ENIADDR_MAX_CT) " per family); only when this attach loads the object" },
	{ "unconfigured", 0, "pass|drop", false, set_unconfigured,
	  "while DEV has no configuration: pass everything (default) or drop IPv4/IPv6" },
	OPT_GUARD,
	{ NULL },
};

static const struct cli_opt conntrack_opts[] = {
	{ "every", 0, "SECONDS", false, set_every,
	  "gc: sweep every SECONDS until interrupted (default: once)" },
	{ NULL },
};

static const struct cli_opt stats_opts[] = {
	{ "watch", 0, "SECONDS", false, set_watch,
	  "print again every SECONDS with rates per second, until interrupted" },
	{ "reset", 0, NULL, false, set_reset, "zero every counter (nothing is reloaded)" },
	{ "by-address", 0, NULL, false, set_by_address,
	  "drops per owned address (destination in, source out), most first" },
	{ NULL },
};

static const struct cli_opt trace_opts[] = {
	{ "reason", 0, "R", false, set_reason, "only this drop reason (repeat for more)" },
	{ "dev", 0, "DEV", false, set_dev, "only drops on DEV" },
	{ "rate", 0, "N", false, set_rate,
	  "at most N events per second per CPU (default " ENIADDR_STR(TRACE_DEFAULT_RATE)
	  "); the rest are counted as lost" },
	{ NULL },
};

static const struct cli_opt explain_opts[] = {
	{ "egress", 0, NULL, false, set_egress,
	  "the packet leaves DEV (tc_egress): its source's owner, redirect or drop" },
	{ NULL },
};

static const struct cli_opt detach_opts[] = {
	{ "all", 0, NULL, false, set_all, "every attached device, also ones deleted since" },
	{ NULL },
};

static const struct cli_opt sync_opts[] = {
	{ "interfaces", 0, "FILE", false, set_ifs,
	  "`aws ec2 describe-network-interfaces` output (with --imds: the VPC's, for remote "
	  "group members)" },
	{ "security-groups", 0, "FILE", false, set_groups,
	  "`aws ec2 describe-security-groups` output" },
	{ "prefix-list", 0, "pl-ID=FILE", false, set_prefix_list,
	  "`aws ec2 get-managed-prefix-list-entries` output of pl-ID (repeat per list)" },
	{ "imds", 0, NULL, false, set_imds,
	  "the ENIs and addresses from the instance metadata service (IMDSv2)" },
	{ "config", 0, "FILE", false, set_config,
	  "with --imds: native config with per-ENI and per-address settings and groups" },
	{ "imds-endpoint", 0, "URL", false, set_imds_endpoint,
	  "with --imds: the IMDS endpoint (default " IMDS_ENDPOINT_V4 "; IPv6: "
	  IMDS_ENDPOINT_V6 ")" },
	OPT_GUARD,
	OPT_CONFIRM,
	{ NULL },
};

static const struct cli_opt apply_opts[] = {
	OPT_GUARD,
	OPT_CONFIRM,
	{ NULL },
};

static const struct cli_opt run_opts[] = {
	{ "security-groups", 0, "FILE", false, set_groups,
	  "`aws ec2 describe-security-groups` output: the rules (re-read when it changes)" },
	{ "config", 0, "FILE", false, set_config,
	  "native config: modes, per-address groups, timeouts, rules (re-read when it changes)" },
	{ "interfaces", 0, "FILE", false, set_ifs,
	  "`aws ec2 describe-network-interfaces` of the VPC: members of referenced groups" },
	{ "interval", 0, "SECONDS", false, set_interval,
	  "enforce an IMDS change within SECONDS: the poll period (default 1)" },
	{ "imds-endpoint", 0, "URL", false, set_imds_endpoint,
	  "IMDS at URL (default http://169.254.169.254; IPv6: http://[fd00:ec2::254])" },
	{ "mode", 0, "auto|native|generic|tc", false, set_mode,
	  "attach mode for the ENIs it finds, as attach (default auto)" },
	{ "conntrack-size", 0, "N", false, set_ct_size,
	  "entries of each family's connection-tracking table, when this run loads the object" },
	{ "manage-addresses", 0, NULL, false, set_manage_addresses,
	  "add/remove the secondary IPv4s and IPv6s on the interfaces (only ones it added)" },
	{ "metrics-listen", 0, "[ADDR:]PORT", false, set_metrics_listen,
	  "serve `metrics` (and sync results) over HTTP there; PORT alone: 127.0.0.1" },
	{ NULL },
};

/* sync: the AWS documents, or --imds with optional rule sources. */
static int check_sync(const struct cli_args *a, struct err *e)
{
	if (a->imds) {
		if (a->n_prefix_lists)
			return err_set(e, EINVAL, "sync --imds: --prefix-list is not supported; "
				       "put prefix lists in the --config file");
		return 0;
	}
	if (a->config || a->imds_endpoint)
		return err_set(e, EINVAL, "sync: --%s is for --imds",
			       a->config ? "config" : "imds-endpoint");
	if (!a->interfaces || !a->groups)
		return err_set(e, EINVAL, "sync: missing --%s FILE (or use --imds)",
			       a->interfaces ? "security-groups" : "interfaces");
	return 0;
}

static int check_detach(const struct cli_args *a, struct err *e)
{
	if (a->all && a->n_pos)
		return err_set(e, EINVAL, "detach: give DEV... or --all, not both");
	if (!a->all && !a->n_pos)
		return err_set(e, EINVAL, "detach: missing DEV (or --all)");
	return 0;
}

/* conntrack list [DEV] | flush [DEV] | gc [--every SECONDS] */
static int check_conntrack(const struct cli_args *a, struct err *e)
{
	const char *sub = a->pos[0];

	if (strcmp(sub, "list") && strcmp(sub, "flush") && strcmp(sub, "gc"))
		return err_set(e, EINVAL, "conntrack: unknown subcommand '%s' (list, flush, gc)",
			       sub);
	if (!strcmp(sub, "gc") && a->n_pos > 1)
		return err_set(e, EINVAL, "conntrack gc: unexpected argument '%s'", a->pos[1]);
	if (strcmp(sub, "gc") && a->every)
		return err_set(e, EINVAL, "conntrack %s: --every is for gc", sub);
	return 0;
}

static int check_stats(const struct cli_args *a, struct err *e)
{
	if (a->reset && (a->watch || a->by_address))
		return err_set(e, EINVAL, "stats: --reset goes alone");
	return 0;
}

static int check_help(const struct cli_args *a, struct err *e)
{
	if (a->n_pos && !cli_find_command(a->pos[0]))
		return err_set(e, EINVAL, "unknown command '%s', try `" CLI_NAME " help`",
			       a->pos[0]);
	return 0;
}

#define MANY CLI_MAX_POS

const struct cli_command cli_commands[CLI_CMD_COUNT] = {
	{ "attach", CLI_CMD_ATTACH,
	  "[--mode auto|native|generic|tc] [--conntrack-size N] [--unconfigured pass|drop] "
	  "[--guard CIDR[:PORT]]... DEV...",
	  "attach the ingress and egress programs to each DEV (again: no change)", attach_opts,
	  1, MANY, "DEV", NULL },
	{ "detach", CLI_CMD_DETACH, "DEV... | --all",
	  "remove what attach created; the last one also unloads everything", detach_opts, 0, MANY,
	  "DEV", check_detach },
	{ "apply", CLI_CMD_APPLY, "[--guard CIDR[:PORT]]... [--confirm SECONDS] FILE",
	  "publish a native JSON configuration (loads the maps if needed)", apply_opts, 1, 1,
	  "FILE", NULL },
	{ "sync", CLI_CMD_SYNC,
	  "--interfaces FILE --security-groups FILE [--prefix-list pl-ID=FILE]... | --imds "
	  "[--security-groups FILE] [--config FILE] [--interfaces FILE] [--imds-endpoint URL] "
	  "[--guard CIDR[:PORT]]... [--confirm SECONDS]",
	  "publish the local ENIs of AWS describe-* JSON documents, or once from IMDS",
	  sync_opts, 0, 0, NULL, check_sync },
	{ "confirm", CLI_CMD_CONFIRM, "",
	  "keep the configuration an apply/sync --confirm published (else it is reverted)", NULL,
	  0, 0, NULL, NULL },
	{ "status", CLI_CMD_STATUS, "",
	  "show the published generation, each ENI and attached device, programs, table fill",
	  NULL, 0, 0, NULL,
	  NULL },
	{ "stats", CLI_CMD_STATS, "[--watch SECONDS] [--reset] [--by-address] [DEV]",
	  "show the packet counters by device, direction, reason and action", stats_opts, 0, 1,
	  NULL, check_stats },
	{ "conntrack", CLI_CMD_CONNTRACK, "list [DEV] | flush [DEV] | gc [--every SECONDS]",
	  "show tracked connections, forget them, or sweep expired ones", conntrack_opts, 1, 2,
	  "SUBCOMMAND (list, flush, gc)", check_conntrack },
	{ "trace", CLI_CMD_TRACE, "[--reason R]... [--dev DEV] [--rate N]",
	  "stream drop events as flow-log lines until interrupted; print how many were lost",
	  trace_opts, 0, 0, NULL, NULL },
	{ "metrics", CLI_CMD_METRICS, "",
	  "print the counters, fill levels, unconfigured devices and groups without members in "
	  "Prometheus text format", NULL, 0, 0, NULL,
	  NULL },
	{ "explain", CLI_CMD_EXPLAIN, "[--egress] DEV PACKET",
	  "run PACKET through the loaded program on the live maps, changing nothing",
	  explain_opts, 2, 2, "DEV PACKET", NULL },
	{ "run", CLI_CMD_RUN,
	  "[--security-groups FILE] [--config FILE] [--interfaces FILE] [--interval SECONDS] "
	  "[--imds-endpoint URL] [--mode MODE] [--conntrack-size N] [--manage-addresses] "
	  "[--metrics-listen [ADDR:]PORT]",
	  "the agent: follow IMDS, attach to every ENI, publish each change at once, until "
	  "SIGTERM", run_opts, 0, 0, NULL, NULL },
	{ "help", CLI_CMD_HELP, "[COMMAND]", "show this help, or a command's", NULL, 0, 1, NULL,
	  check_help },
};

const struct cli_command *cli_find_command(const char *name)
{
	size_t i;

	for (i = 0; i < CLI_CMD_COUNT; i++)
		if (!strcmp(cli_commands[i].name, name))
			return &cli_commands[i];
	return NULL;
}

/* ---- parsing ---- */

static bool is_option(const char *arg)
{
	return arg[0] == '-' && arg[1];
}

static const struct cli_opt *find_long(const struct cli_opt *opts, const char *name, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, name, len))
			return opts;
	return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, char c)
{
	for (; opts && opts->name; opts++)
		if (opts->short_name && opts->short_name == c)
			return opts;
	return NULL;
}

/* Where an option may come from: the command's own, its --help, then the global ones. */
struct opt_scope {
	const struct cli_command *cmd; /* NULL before the command */
	bool seen[16];                 /* command options given, for `required` */
};

static const struct cli_opt *lookup(struct opt_scope *sc, const char *lname, size_t len, char c)
{
	const struct cli_opt *o = NULL;

	if (sc->cmd) {
		o = lname ? find_long(sc->cmd->opts, lname, len) : find_short(sc->cmd->opts, c);
		if (o) {
			sc->seen[o - sc->cmd->opts] = true;
			return o;
		}
		if (lname ? len == 4 && !strncmp(lname, "help", 4) : c == 'h')
			return &help_opt;
	}
	return lname ? find_long(cli_global_opts, lname, len) : find_short(cli_global_opts, c);
}

static int unknown(const struct opt_scope *sc, const char *what, struct err *e)
{
	if (sc->cmd)
		return err_set(e, EINVAL, "%s: unknown option '%s', try `" CLI_NAME " help %s`",
			       sc->cmd->name, what, sc->cmd->name);
	return err_set(e, EINVAL, "unknown option '%s', try `" CLI_NAME " help`", what);
}

/* Parses argv[*i] (an option, maybe with its value in argv[*i + 1]) and advances *i past it. */
static int parse_option(struct opt_scope *sc, int argc, char **argv, int *i,
			struct cli_args *a, struct err *e)
{
	const char *arg = argv[*i], *val;
	const struct cli_opt *o;
	char shown[3] = "-?";

	if (arg[1] == '-') { /* --name, --name=value */
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);

		o = lookup(sc, name, len, 0);
		if (!o)
			return unknown(sc, arg, e);
		if (!o->metavar) {
			if (eq)
				return err_set(e, EINVAL, "option '--%s' takes no value", o->name);
			val = NULL;
		} else if (eq) {
			val = eq + 1;
		} else if (*i + 1 < argc) {
			val = argv[++*i];
		} else {
			return err_set(e, EINVAL, "option '--%s' needs a value (%s)", o->name,
				       o->metavar);
		}
		(*i)++;
		return o->set(a, val, e);
	}
	/* -abc: flags bundle; an option with a value takes the rest or the next argument. */
	for (arg++; *arg; arg++) {
		int err;

		o = lookup(sc, NULL, 0, *arg);
		shown[1] = *arg;
		if (!o)
			return unknown(sc, shown, e);
		if (!o->metavar) {
			err = o->set(a, NULL, e);
			if (err)
				return err;
			continue;
		}
		if (arg[1])
			val = arg + 1;
		else if (*i + 1 < argc)
			val = argv[++*i];
		else
			return err_set(e, EINVAL, "option '-%c' needs a value (%s)", *arg, o->metavar);
		(*i)++;
		return o->set(a, val, e);
	}
	(*i)++;
	return 0;
}

static int check_command(const struct opt_scope *sc, const struct cli_args *a, struct err *e)
{
	const struct cli_command *c = sc->cmd;
	const struct cli_opt *o;

	for (o = c->opts; o && o->name; o++)
		if (o->required && !sc->seen[o - c->opts])
			return err_set(e, EINVAL, "%s: missing --%s %s", c->name, o->name,
				       o->metavar);
	if (a->n_pos < c->min_pos)
		return err_set(e, EINVAL, "%s: missing %s", c->name, c->pos_name);
	if (a->n_pos > c->max_pos)
		return err_set(e, EINVAL, "%s: unexpected argument '%s'", c->name,
			       a->pos[c->max_pos]);
	return c->check ? c->check(a, e) : 0;
}

int cli_parse(int argc, char **argv, struct cli_args *a, struct err *e)
{
	struct opt_scope sc = {};
	bool options_done = false;
	int i = 1, err;

	memset(a, 0, sizeof(*a));
	a->mode = ATTACH_REQ_AUTO;
	while (i < argc && is_option(argv[i])) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		err = parse_option(&sc, argc, argv, &i, a, e);
		if (err)
			return err;
	}
	if (i >= argc)
		return 0; /* no command: the caller shows the usage */
	sc.cmd = a->cmd = cli_find_command(argv[i]);
	if (!a->cmd)
		return err_set(e, EINVAL, "unknown command '%s', try `" CLI_NAME " help`", argv[i]);
	for (i++; i < argc;) {
		if (!options_done && !strcmp(argv[i], "--")) {
			options_done = true;
			i++;
		} else if (!options_done && is_option(argv[i])) {
			err = parse_option(&sc, argc, argv, &i, a, e);
			if (err)
				return err;
		} else {
			if (a->n_pos == CLI_MAX_POS)
				return err_set(e, EINVAL, "%s: more than %d arguments", a->cmd->name,
					       CLI_MAX_POS);
			a->pos[a->n_pos++] = argv[i++];
		}
	}
	if (a->help || a->version)
		return 0;
	return check_command(&sc, a, e);
}

/* ---- usage, generated from the tables ---- */

static void print_opts(FILE *f, const struct cli_opt *opts)
{
	char left[64];

	for (; opts && opts->name; opts++) {
		int n = opts->short_name ? snprintf(left, sizeof(left), "-%c, --%s",
						    opts->short_name, opts->name)
					 : snprintf(left, sizeof(left), "    --%s", opts->name);

		if (opts->metavar && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", opts->metavar);
		if (strlen(left) > 26)
			fprintf(f, "  %s\n  %-26s  %s\n", left, "", opts->help);
		else
			fprintf(f, "  %-26s  %s\n", left, opts->help);
	}
}

void cli_usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: " CLI_NAME " [OPTIONS] COMMAND [ARGS]\n\nCommands:\n");
	for (i = 0; i < CLI_CMD_COUNT; i++)
		fprintf(f, "  %s%s%s\n      %s\n", cli_commands[i].name,
			*cli_commands[i].synopsis ? " " : "", cli_commands[i].synopsis,
			cli_commands[i].help);
	fprintf(f, "\nOptions (before the command):\n");
	print_opts(f, cli_global_opts);
	fprintf(f, "\nExit status: %d ok, %d error, %d usage error. `" CLI_NAME
		" help COMMAND` shows a command's options.\n", CLI_EXIT_OK, CLI_EXIT_ERROR,
		CLI_EXIT_USAGE);
}

void cli_command_usage(FILE *f, const struct cli_command *c)
{
	fprintf(f, "Usage: " CLI_NAME " [OPTIONS] %s%s%s\n  %s\n", c->name, *c->synopsis ? " " : "",
		c->synopsis, c->help);
	fprintf(f, "\nOptions:\n");
	print_opts(f, c->opts);
	print_opts(f, (const struct cli_opt[]){ help_opt, { NULL } });
	fprintf(f, "\nGlobal options (`" CLI_NAME " help`) go before the command.\n");
}
