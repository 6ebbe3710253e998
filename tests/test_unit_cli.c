// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_unit_cli.c — the eniaddr-bpf command line, without privileges: what cli_parse()
 * accepts and rejects (usage errors are exit code 2), what it fills in, and that the help text
 * generated from the tables names every command and option. Then, when the CLI is built, the
 * binary itself: exit codes and the JSON error object for usage errors (nothing there needs root:
 * parsing happens before any syscall).
 *
 * The binary is $ENIADDR_CLI, else ../eniaddr-bpf next to this test.
 * The CLI's sources are not in libeniaddr.a (its main would clash with the test's), so the
 * parser is compiled in here.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../cli/args.c"
#include "kernel/ifaces.h"
#include "state.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ARGV 16

/* argv as main() gets it; the strings are copied, since getopt-style parsers may write. */
struct argv_buf {
	char *argv[MAX_ARGV + 1];
	int argc;
};

static void argv_make(struct argv_buf *b, const char *const *args)
{
	b->argc = 0;
	b->argv[b->argc++] = strdup(CLI_NAME);
	for (; *args && b->argc < MAX_ARGV; args++)
		b->argv[b->argc++] = strdup(*args);
	b->argv[b->argc] = NULL;
}

static void argv_free(struct argv_buf *b)
{
	for (int i = 0; i < b->argc; i++)
		free(b->argv[i]);
}

/* ---- parse cases: accepted or a usage error naming the problem ---- */

struct parse_case {
	const char *name;
	const char *args[MAX_ARGV];
	int want;                  /* 0 or -EINVAL */
	int cmd;                   /* expected command id, -1: none */
	const char *msg;           /* substring of the error, for -EINVAL */
};

static const struct parse_case parse_cases[] = {
	{ "no arguments", { NULL }, 0, -1, NULL },
	{ "help", { "help", NULL }, 0, CLI_CMD_HELP, NULL },
	{ "help of a command", { "help", "attach", NULL }, 0, CLI_CMD_HELP, NULL },
	{ "help of an unknown command", { "help", "frobnicate", NULL }, -EINVAL, CLI_CMD_HELP,
	  "unknown command 'frobnicate', try `eniaddr-bpf help`" },
	{ "unknown command", { "frobnicate", NULL }, -EINVAL, -1,
	  "unknown command 'frobnicate', try `eniaddr-bpf help`" },
	{ "unknown global option", { "--frob", "status", NULL }, -EINVAL, -1,
	  "unknown option '--frob'" },
	{ "unknown command option", { "status", "--frob", NULL }, -EINVAL, CLI_CMD_STATUS,
	  "status: unknown option '--frob', try `eniaddr-bpf help status`" },
	{ "unknown short option", { "-x", "status", NULL }, -EINVAL, -1, "unknown option '-x'" },
	{ "global option without its value", { "status", "--netns", NULL }, -EINVAL,
	  CLI_CMD_STATUS, "option '--netns' needs a value (NAME)" },
	{ "short option without its value", { "-n", NULL }, -EINVAL, -1,
	  "option '-n' needs a value (NAME)" },
	{ "flag given a value", { "--json=yes", "status", NULL }, -EINVAL, -1,
	  "option '--json' takes no value" },
	{ "apply without FILE", { "apply", NULL }, -EINVAL, CLI_CMD_APPLY, "apply: missing FILE" },
	{ "apply with two files", { "apply", "a.json", "b.json", NULL }, -EINVAL, CLI_CMD_APPLY,
	  "apply: unexpected argument 'b.json'" },
	{ "apply", { "apply", "cfg.json", NULL }, 0, CLI_CMD_APPLY, NULL },
	{ "attach without DEV", { "attach", NULL }, -EINVAL, CLI_CMD_ATTACH, "attach: missing DEV" },
	{ "attach bad --mode", { "attach", "--mode", "turbo", "eth1", NULL }, -EINVAL,
	  CLI_CMD_ATTACH, "bad --mode 'turbo': expected auto, native, generic or tc" },
	{ "attach bad --mode=", { "attach", "--mode=", "eth1", NULL }, -EINVAL, CLI_CMD_ATTACH,
	  "bad --mode ''" },
	{ "attach --mode without value", { "attach", "eth1", "--mode", NULL }, -EINVAL,
	  CLI_CMD_ATTACH, "option '--mode' needs a value (auto|native|generic|tc)" },
	{ "attach", { "attach", "--mode", "tc", "eth1", "eth2", NULL }, 0, CLI_CMD_ATTACH, NULL },
	{ "attach --guard without port", { "attach", "--guard", "198.51.100.0/24", "eth1", NULL },
	  0, CLI_CMD_ATTACH, NULL },
	{ "attach bad --guard port", { "attach", "--guard", "198.51.100.0/24:0", "eth1", NULL },
	  -EINVAL, CLI_CMD_ATTACH, "bad --guard '198.51.100.0/24:0': port '0' is not 1..65535" },
	{ "attach bad --guard cidr", { "attach", "--guard", "198.51.100.0/33:22", "eth1", NULL },
	  -EINVAL, CLI_CMD_ATTACH, "'198.51.100.0/33' is not an IPv4 or IPv6 CIDR" },
	{ "attach IPv6 --guard without /len", { "attach", "--guard", "2001:db8::1:22", "e",
	  NULL }, -EINVAL, CLI_CMD_ATTACH, "an IPv6 guard needs its /len, the port follows it" },
	{ "attach mapped --guard", { "attach", "--guard", "::ffff:0:0/96:22", "e", NULL }, -EINVAL,
	  CLI_CMD_ATTACH, "is in the IPv4-mapped IPv6 range" },
	{ "apply --confirm 0", { "apply", "--confirm", "0", "c.json", NULL }, -EINVAL,
	  CLI_CMD_APPLY, "bad --confirm '0': expected a number 1..3600" },
	{ "apply --confirm --guard", { "apply", "--confirm", "60", "--guard", "10.0.0.0/8:22",
	  "c.json", NULL }, 0, CLI_CMD_APPLY, NULL },
	{ "sync --confirm", { "sync", "--interfaces", "i", "--security-groups", "g", "--confirm",
	  "30", NULL }, 0, CLI_CMD_SYNC, NULL },
	{ "confirm takes nothing", { "confirm", "now", NULL }, -EINVAL, CLI_CMD_CONFIRM,
	  "confirm: unexpected argument 'now'" },
	{ "confirm", { "confirm", NULL }, 0, CLI_CMD_CONFIRM, NULL },
	{ "detach needs DEV or --all", { "detach", NULL }, -EINVAL, CLI_CMD_DETACH,
	  "detach: missing DEV (or --all)" },
	{ "detach DEV and --all", { "detach", "eth1", "--all", NULL }, -EINVAL, CLI_CMD_DETACH,
	  "detach: give DEV... or --all, not both" },
	{ "detach --all", { "detach", "--all", NULL }, 0, CLI_CMD_DETACH, NULL },
	{ "sync --imds needs no document", { "sync", "--imds", NULL }, 0, CLI_CMD_SYNC, NULL },
	{ "sync --imds with every rule source",
	  { "sync", "--imds", "--security-groups", "g", "--config", "c", "--interfaces", "i",
	    "--imds-endpoint", "http://[fd00:ec2::254]", NULL }, 0, CLI_CMD_SYNC, NULL },
	{ "sync --config is for --imds",
	  { "sync", "--interfaces", "i", "--security-groups", "g", "--config", "c", NULL },
	  -EINVAL, CLI_CMD_SYNC, "sync: --config is for --imds" },
	{ "sync --imds --prefix-list refused",
	  { "sync", "--imds", "--prefix-list", "pl-1=f", NULL }, -EINVAL, CLI_CMD_SYNC,
	  "sync --imds: --prefix-list is not supported" },
	{ "sync without --interfaces", { "sync", "--security-groups", "sg.json", NULL }, -EINVAL,
	  CLI_CMD_SYNC, "sync: missing --interfaces FILE" },
	{ "sync without --security-groups", { "sync", "--interfaces", "if.json", NULL }, -EINVAL,
	  CLI_CMD_SYNC, "sync: missing --security-groups FILE" },
	{ "sync --prefix-list without =",
	  { "sync", "--interfaces", "i", "--security-groups", "g", "--prefix-list", "pl-1", NULL },
	  -EINVAL, CLI_CMD_SYNC, "bad --prefix-list 'pl-1': expected pl-ID=FILE" },
	{ "sync --prefix-list without FILE",
	  { "sync", "--interfaces", "i", "--security-groups", "g", "--prefix-list", "pl-1=", NULL },
	  -EINVAL, CLI_CMD_SYNC, "expected pl-ID=FILE" },
	{ "sync --prefix-list not pl-",
	  { "sync", "--interfaces", "i", "--security-groups", "g", "--prefix-list", "sg-1=f", NULL },
	  -EINVAL, CLI_CMD_SYNC, "expected pl-ID=FILE" },
	{ "sync takes no arguments",
	  { "sync", "--interfaces", "i", "--security-groups", "g", "extra", NULL }, -EINVAL,
	  CLI_CMD_SYNC, "sync: unexpected argument 'extra'" },
	{ "status takes no arguments", { "status", "eth0", NULL }, -EINVAL, CLI_CMD_STATUS,
	  "status: unexpected argument 'eth0'" },
	{ "stats takes one DEV at most", { "stats", "eth0", "eth1", NULL }, -EINVAL,
	  CLI_CMD_STATS, "stats: unexpected argument 'eth1'" },
	{ "stats DEV", { "stats", "eth0", NULL }, 0, CLI_CMD_STATS, NULL },
	{ "stats --watch 0", { "stats", "--watch", "0", NULL }, -EINVAL, CLI_CMD_STATS,
	  "bad --watch '0': expected a number 1..3600" },
	{ "stats --reset with --by-address", { "stats", "--reset", "--by-address", NULL },
	  -EINVAL, CLI_CMD_STATS, "stats: --reset goes alone" },
	{ "trace --reason of a pass", { "trace", "--reason", "allowed", NULL }, -EINVAL,
	  CLI_CMD_TRACE, "bad --reason 'allowed': expected a drop reason" },
	{ "trace --reason unknown", { "trace", "--reason", "nope", NULL }, -EINVAL, CLI_CMD_TRACE,
	  "bad --reason 'nope'" },
	{ "trace --rate 0", { "trace", "--rate", "0", NULL }, -EINVAL, CLI_CMD_TRACE,
	  "bad --rate '0'" },
	{ "trace takes no arguments", { "trace", "eth0", NULL }, -EINVAL, CLI_CMD_TRACE,
	  "trace: unexpected argument 'eth0'" },
	{ "metrics takes no arguments", { "metrics", "x", NULL }, -EINVAL, CLI_CMD_METRICS,
	  "metrics: unexpected argument 'x'" },
	{ "explain without PACKET", { "explain", "eth0", NULL }, -EINVAL, CLI_CMD_EXPLAIN,
	  "explain: missing DEV PACKET" },
	{ "explain", { "explain", "eth0", "tcp 1.2.3.4:1 > 5.6.7.8:2", NULL }, 0, CLI_CMD_EXPLAIN,
	  NULL },
	{ "--help after a command skips its checks", { "apply", "--help", NULL }, 0, CLI_CMD_APPLY,
	  NULL },
	{ "-- ends options", { "apply", "--", "--weird-name.json", NULL }, 0, CLI_CMD_APPLY, NULL },
};

static void test_parse_cases(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(parse_cases); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct argv_buf b;
		struct cli_args a;
		struct err e = {};
		int rc;

		argv_make(&b, c->args);
		rc = cli_parse(b.argc, b.argv, &a, &e);
		if (rc != c->want)
			fail_msg("%s: cli_parse returned %d (%s), want %d", c->name, rc, e.msg,
				 c->want);
		if (c->cmd < 0 ? a.cmd != NULL : !a.cmd || (int)a.cmd->id != c->cmd)
			fail_msg("%s: command %s, want id %d", c->name, a.cmd ? a.cmd->name : "none",
				 c->cmd);
		if (c->msg && !strstr(e.msg, c->msg))
			fail_msg("%s: error '%s' lacks '%s'", c->name, e.msg, c->msg);
		if (!c->msg && e.msg[0])
			fail_msg("%s: unexpected error '%s'", c->name, e.msg);
		argv_free(&b);
	}
}

/* ---- what a successful parse fills in ---- */

static int parse(struct cli_args *a, struct argv_buf *b, const char *const *args)
{
	struct err e = {};
	int rc;

	argv_make(b, args);
	rc = cli_parse(b->argc, b->argv, a, &e);
	if (rc)
		print_message("parse error: %s\n", e.msg);
	return rc;
}

static void test_global_options(void **state)
{
	const char *args[] = { "-vv", "-p", "-n", "ns1", "--bpffs=/tmp/x", "status", NULL };
	struct argv_buf b;
	struct cli_args a;

	assert_int_equal(parse(&a, &b, args), 0);
	assert_int_equal(a.verbose, 2);
	assert_true(a.pretty);
	assert_true(a.json); /* --pretty implies --json */
	assert_string_equal(a.netns, "ns1");
	assert_string_equal(a.bpffs, "/tmp/x");
	assert_int_equal(a.cmd->id, CLI_CMD_STATUS);
	assert_int_equal(a.n_pos, 0);
	argv_free(&b);
}

static void test_short_option_value_attached(void **state)
{
	const char *args[] = { "-jnns2", "-V", NULL };
	struct argv_buf b;
	struct cli_args a;

	assert_int_equal(parse(&a, &b, args), 0);
	assert_true(a.json);
	assert_false(a.pretty);
	assert_string_equal(a.netns, "ns2");
	assert_true(a.version);
	assert_null(a.cmd);
	argv_free(&b);
}

static void test_attach_fields(void **state)
{
	const char *dflt[] = { "attach", "eth1", NULL };
	const char *args[] = { "attach", "eth1", "--mode=generic", "eth2", NULL };
	struct argv_buf b;
	struct cli_args a;

	assert_int_equal(parse(&a, &b, dflt), 0);
	assert_int_equal(a.mode, ATTACH_REQ_AUTO); /* the default */
	argv_free(&b);

	assert_int_equal(parse(&a, &b, args), 0);
	assert_int_equal(a.mode, ATTACH_REQ_GENERIC);
	assert_int_equal(a.n_pos, 2);
	assert_string_equal(a.pos[0], "eth1");
	assert_string_equal(a.pos[1], "eth2");
	argv_free(&b);
}

/* --guard: IPv4/IPv6, with and without port, repeated, duplicates once. */
static void test_guard_fields(void **state)
{
	const char *args[] = { "attach", "--guard", "198.51.100.7:22", "--guard",
			       "2001:db8::/32:2222", "--guard", "203.0.113.0/24", "--guard",
			       "198.51.100.7/32:22", "eth1", NULL };
	struct argv_buf b;
	struct cli_args a;
	char text[GUARD_STRLEN];

	assert_int_equal(parse(&a, &b, args), 0);
	assert_int_equal(a.n_guards, 3); /* 198.51.100.7:22 twice is one guard */
	guard_format(&a.guards[0], text);
	assert_string_equal(text, "198.51.100.7/32:22");
	guard_format(&a.guards[1], text);
	assert_string_equal(text, "2001:db8::/32:2222");
	guard_format(&a.guards[2], text);
	assert_string_equal(text, "203.0.113.0/24");
	assert_int_equal(a.guards[2].port, 0);
	argv_free(&b);
}

static void test_every_mode_parses(void **state)
{
	static const struct { const char *s; enum attach_req r; } modes[] = {
		{ "auto", ATTACH_REQ_AUTO }, { "native", ATTACH_REQ_NATIVE },
		{ "generic", ATTACH_REQ_GENERIC }, { "tc", ATTACH_REQ_TC },
	};

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		const char *args[] = { "attach", "--mode", modes[i].s, "eth1", NULL };
		struct argv_buf b;
		struct cli_args a;

		assert_int_equal(parse(&a, &b, args), 0);
		assert_int_equal(a.mode, modes[i].r);
		assert_string_equal(attach_req_name(a.mode), modes[i].s);
		argv_free(&b);
	}
}

static void test_sync_fields(void **state)
{
	const char *args[] = { "sync", "--prefix-list", "pl-0abc=pl1.json", "--interfaces",
			       "ifs.json", "--security-groups=sgs.json", "--prefix-list",
			       "pl-0def=dir/a=b.json", NULL };
	struct argv_buf b;
	struct cli_args a;

	assert_int_equal(parse(&a, &b, args), 0);
	assert_string_equal(a.interfaces, "ifs.json");
	assert_string_equal(a.groups, "sgs.json");
	assert_int_equal(a.n_prefix_lists, 2);
	assert_string_equal(a.prefix_lists[0].id, "pl-0abc");
	assert_string_equal(a.prefix_lists[0].path, "pl1.json");
	assert_string_equal(a.prefix_lists[1].id, "pl-0def");
	assert_string_equal(a.prefix_lists[1].path, "dir/a=b.json"); /* split at the first '=' */
	argv_free(&b);
}

static void test_stats_and_trace_fields(void **state)
{
	const char *stats[] = { "stats", "--watch=5", "--by-address", "eth0", NULL };
	const char *trace[] = { "trace", "--reason", "no_rule", "--reason=not_owned", "--dev",
				"eth1", "--rate", "250", NULL };
	struct argv_buf b;
	struct cli_args a;

	assert_int_equal(parse(&a, &b, stats), 0);
	assert_int_equal(a.watch, 5);
	assert_true(a.by_address);
	assert_false(a.reset);
	argv_free(&b);
	assert_int_equal(parse(&a, &b, trace), 0);
	assert_int_equal(a.reasons, (1ULL << ENIADDR_R_NO_RULE) | (1ULL << ENIADDR_R_NOT_OWNED));
	assert_string_equal(a.dev, "eth1");
	assert_int_equal(a.rate, 250);
	argv_free(&b);
}

static void test_apply_dash_dash(void **state)
{
	const char *args[] = { "apply", "--", "-cfg.json", NULL };
	struct argv_buf b;
	struct cli_args a;

	assert_int_equal(parse(&a, &b, args), 0);
	assert_int_equal(a.n_pos, 1);
	assert_string_equal(a.pos[0], "-cfg.json");
	argv_free(&b);
}

/* ---- help text generated from the tables ---- */

static char *capture(void (*print)(FILE *, const void *), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	print(f, arg);
	fclose(f);
	return buf;
}

static void print_usage(FILE *f, const void *arg) { cli_usage(f); }
static void print_cmd(FILE *f, const void *arg) { cli_command_usage(f, arg); }

static void test_usage_lists_everything(void **state)
{
	char *text = capture(print_usage, NULL);
	const struct cli_opt *o;
	char line[160];

	for (size_t i = 0; i < CLI_CMD_COUNT; i++) {
		snprintf(line, sizeof(line), "  %s%s%s\n", cli_commands[i].name,
			 *cli_commands[i].synopsis ? " " : "", cli_commands[i].synopsis);
		if (!strstr(text, line))
			fail_msg("usage lacks the line '%s'", line);
		assert_non_null(strstr(text, cli_commands[i].help));
	}
	for (o = cli_global_opts; o->name; o++) {
		snprintf(line, sizeof(line), "--%s", o->name);
		assert_non_null(strstr(text, line));
	}
	assert_non_null(strstr(text, "Usage: eniaddr-bpf [OPTIONS] COMMAND"));
	free(text);
}

static void test_command_usage_lists_its_options(void **state)
{
	const struct cli_command *c = cli_find_command("sync");
	char *text = capture(print_cmd, c);

	assert_non_null(strstr(text, "Usage: eniaddr-bpf [OPTIONS] sync --interfaces FILE "
				     "--security-groups FILE [--prefix-list pl-ID=FILE]..."));
	assert_non_null(strstr(text, "--interfaces FILE"));
	assert_non_null(strstr(text, "--security-groups FILE"));
	assert_non_null(strstr(text, "--prefix-list pl-ID=FILE"));
	assert_non_null(strstr(text, "-h, --help"));
	free(text);
	assert_null(cli_find_command("frobnicate"));
}

/* ---- binding ENIs to local interfaces (ifaces_resolve), on a literal interface list ---- */

static const struct nic local_nics[] = {
	{ "eth0", 2, { 0x0e, 0, 0, 0, 0, 0x01 }, true },
	{ "eth1", 3, { 0x0e, 0, 0, 0, 0, 0x02 }, true },
	{ "tun0", 7, { 0 }, false },
};

struct resolve_case {
	const char *name;
	const char *ifname;    /* "" for none */
	bool has_mac;
	uint8_t mac[6];
	int want;
	int want_ifindex;
	const char *want_ifname;
	const char *msg;
};

static const struct resolve_case resolve_cases[] = {
	{ "by name", "eth1", false, { 0 }, 0, 3, "eth1", NULL },
	{ "by MAC", "", true, { 0x0e, 0, 0, 0, 0, 0x01 }, 0, 2, "eth0", NULL },
	{ "name and matching MAC", "eth1", true, { 0x0e, 0, 0, 0, 0, 0x02 }, 0, 3, "eth1", NULL },
	{ "unknown name", "eth9", false, { 0 }, -ENODEV, 0, NULL,
	  "cfg.json: enis[1]: no interface named eth9 (local: eth0, eth1, tun0)" },
	{ "unknown MAC", "", true, { 0x0e, 0, 0, 0, 0, 0x09 }, -ENODEV, 0, NULL,
	  "cfg.json: enis[1]: no interface with MAC 0e:00:00:00:00:09 (local: eth0 "
	  "0e:00:00:00:00:01, eth1 0e:00:00:00:00:02, tun0 no MAC)" },
	{ "name with another MAC", "eth1", true, { 0x0e, 0, 0, 0, 0, 0x01 }, -ENODEV, 0, NULL,
	  "cfg.json: enis[1]: interface eth1 has MAC 0e:00:00:00:00:02, not 0e:00:00:00:00:01" },
	{ "neither", "", false, { 0 }, -EINVAL, 0, NULL,
	  "cfg.json: enis[1]: names neither an interface nor a MAC" },
};

static void test_ifaces_resolve(void **state)
{
	struct nics l = { (struct nic *)local_nics, ARRAY_SIZE(local_nics), 0 };

	for (size_t i = 0; i < ARRAY_SIZE(resolve_cases); i++) {
		const struct resolve_case *c = &resolve_cases[i];
		struct desired_state s;
		struct err e = {};
		struct eni *ok, *x;
		int rc;

		state_init(&s);
		ok = VEC_PUSH(&s.enis); /* enis[0] always resolves */
		assert_non_null(ok);
		snprintf(ok->ifname, sizeof(ok->ifname), "eth0");
		snprintf(ok->where, sizeof(ok->where), "cfg.json: enis[0]");
		x = VEC_PUSH(&s.enis);
		assert_non_null(x);
		snprintf(x->ifname, sizeof(x->ifname), "%s", c->ifname);
		x->has_mac = c->has_mac;
		memcpy(x->mac, c->mac, 6);
		snprintf(x->where, sizeof(x->where), "cfg.json: enis[1]");

		rc = ifaces_resolve(&s, &l, &e);
		if (rc != c->want)
			fail_msg("%s: returned %d (%s), want %d", c->name, rc, e.msg, c->want);
		if (c->msg && strcmp(e.msg, c->msg))
			fail_msg("%s: error '%s', want '%s'", c->name, e.msg, c->msg);
		if (!rc) {
			assert_int_equal(s.enis.v[0].ifindex, 2);
			assert_int_equal(s.enis.v[1].ifindex, c->want_ifindex);
			assert_string_equal(s.enis.v[1].ifname, c->want_ifname);
		}
		state_free(&s);
	}
}

/* The real list of this namespace (read only): loopback left out, every entry usable. */
static void test_ifaces_list(void **state)
{
	struct nics l;
	struct err e = {};

	assert_int_equal(ifaces_list(&l, &e), 0);
	for (size_t i = 0; i < l.n; i++) {
		assert_true(l.v[i].ifindex > 0);
		assert_true(l.v[i].ifname[0]);
		assert_string_not_equal(l.v[i].ifname, "lo");
		assert_int_equal(if_nametoindex(l.v[i].ifname), (unsigned int)l.v[i].ifindex);
		if (i)
			assert_true(l.v[i - 1].ifindex < l.v[i].ifindex);
	}
	ifaces_free(&l);
}

/* ---- the built binary: exit codes and the JSON error ---- */

static bool cli_path(char *buf, size_t len)
{
	const char *env = getenv("ENIADDR_CLI");
	char self[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, X_OK) == 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return false;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = '\0';
	if (snprintf(buf, len, "%.*s/../eniaddr-bpf", PATH_MAX - 32, self) >= (int)len)
		return false; /* build/tests/ -> build/ */
	return access(buf, X_OK) == 0;
}

/* Runs the CLI with args; returns its exit code and its stdout in out. */
static int run_cli(const char *cli, const char *args, char *out, size_t len)
{
	char cmd[PATH_MAX + 256];
	size_t n;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s 2>/dev/null", cli, args);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, len - 1, p);
	out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_binary_exit_codes(void **state)
{
	static const struct { const char *args; int code; const char *out; } cases[] = {
		{ "frobnicate", 2, "" },
		{ "-j frobnicate", 2,
		  "{\"error\":\"unknown command 'frobnicate', try `eniaddr-bpf help`\"}\n" },
		{ "-j apply", 2, "{\"error\":\"apply: missing FILE\"}\n" },
		{ "-j attach --mode fast eth1", 2,
		  "{\"error\":\"bad --mode 'fast': expected auto, native, generic or tc\"}\n" },
		{ "-j sync --interfaces a --security-groups b --prefix-list pl-1", 2,
		  "{\"error\":\"bad --prefix-list 'pl-1': expected pl-ID=FILE\"}\n" },
		{ "", 2, "" },            /* no command: usage on stderr */
		{ "help", 0, NULL },
		{ "help attach", 0, NULL },
		{ "status --help", 0, NULL },
		{ "-V", 0, NULL },
	};
	char cli[PATH_MAX], out[8192];

	if (!cli_path(cli, sizeof(cli)))
		skip(); /* `make test-unit` builds the tests only; `make` builds the CLI too */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int code = run_cli(cli, cases[i].args, out, sizeof(out));

		if (code != cases[i].code)
			fail_msg("'%s': exit %d, want %d", cases[i].args, code, cases[i].code);
		if (cases[i].out && strcmp(out, cases[i].out))
			fail_msg("'%s': printed '%s', want '%s'", cases[i].args, out, cases[i].out);
		if (!cases[i].out && !out[0])
			fail_msg("'%s': printed nothing", cases[i].args);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_cases),
		cmocka_unit_test(test_global_options),
		cmocka_unit_test(test_short_option_value_attached),
		cmocka_unit_test(test_attach_fields),
		cmocka_unit_test(test_guard_fields),
		cmocka_unit_test(test_every_mode_parses),
		cmocka_unit_test(test_sync_fields),
		cmocka_unit_test(test_stats_and_trace_fields),
		cmocka_unit_test(test_apply_dash_dash),
		cmocka_unit_test(test_usage_lists_everything),
		cmocka_unit_test(test_command_usage_lists_its_options),
		cmocka_unit_test(test_ifaces_resolve),
		cmocka_unit_test(test_ifaces_list),
		cmocka_unit_test(test_binary_exit_codes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
