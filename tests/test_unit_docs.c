// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_unit_docs.c — keeps the manual page and the README true to the CLI: every command
 * and every option of the command table (the same table `--help` is generated from) must be
 * documented in man/eniaddr-bpf.8, and every command in README.md. Run from the repository root.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../cli/args.c"

static char *man, *readme;

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = calloc(1, (size_t)n + 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* roff escapes dashes: "--all" is written "\-\-all". */
static bool man_has_option(const char *name)
{
	char plain[96], roff[128];

	snprintf(plain, sizeof(plain), "--%s", name);
	snprintf(roff, sizeof(roff), "\\-\\-%s", name);
	for (char *p = roff; *p; p++)
		if (p > roff + 4 && *p == '-' && p[-1] != '\\') {
			/* "--security-groups" -> "\-\-security\-groups" */
			memmove(p + 1, p, strlen(p) + 1);
			*p = '\\';
			p++;
		}
	return strstr(man, plain) || strstr(man, roff);
}

static int setup(void **state)
{
	man = slurp("man/eniaddr-bpf.8");
	readme = slurp("README.md");
	return man && readme ? 0 : -1;
}

static int teardown(void **state)
{
	free(man);
	free(readme);
	return 0;
}

static void test_every_command_documented(void **state)
{
	char bold[64];

	for (size_t i = 0; i < CLI_CMD_COUNT; i++) {
		const char *name = cli_commands[i].name;

		snprintf(bold, sizeof(bold), ".B %s", name);
		if (!strstr(man, bold))
			fail_msg("man page lacks command '%s'", name);
		snprintf(bold, sizeof(bold), "`%s", name);
		if (!strstr(readme, bold))
			fail_msg("README lacks command '%s'", name);
	}
}

static void test_every_option_documented(void **state)
{
	for (size_t i = 0; i < CLI_CMD_COUNT; i++)
		for (const struct cli_opt *o = cli_commands[i].opts; o && o->name; o++)
			if (!man_has_option(o->name))
				fail_msg("man page lacks --%s of '%s'", o->name, cli_commands[i].name);
	for (const struct cli_opt *o = cli_global_opts; o->name; o++)
		if (!man_has_option(o->name))
			fail_msg("man page lacks global option --%s", o->name);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_command_documented),
		cmocka_unit_test(test_every_option_documented),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
