// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_unit_reconcile.c — the agent's decisions that need no kernel:
 *  - canonical form (agent/canon.h): a state compiled for slot 0 and for slot 1, or with its
 *    entries in another order, is "unchanged" (no publish); any change a packet could see is
 *    not; the diff names what moved: a reassignment between two ENIs is one MOVED, never a
 *    remove plus an add, prefixes alike; a rule change counts as other entries;
 *  - rule files (agent/rulefiles.h): a new file is tried and kept when it builds; a file that
 *    breaks the build is refused by its real name while the last good copy keeps building; a
 *    source failure is not blamed on the file (the trial waits); messages never show the
 *    private /proc/self/fd copies.
 * No privileges.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/canon.h"
#include "agent/rulefiles.h"
#include "compile/compile.h"
#include "source/native.h"
#include "state.h"

#define ENI(ifname, groups, addrs, pfxs) \
	"{\"interface\": \"" ifname "\", \"security_groups\": [" groups "]," \
	" \"addresses\": [" addrs "], \"prefixes\": [" pfxs "]}"
#define GROUPS \
	"\"security_groups\": [{\"id\": \"sg-a\", \"ingress\": [{\"protocol\": \"tcp\", " \
	"\"ports\": \"22\", \"from\": [\"10.0.0.0/8\"]}]}, {\"id\": \"sg-b\", \"ingress\": []}]"

static const char *base =
	"{\"enis\": [" ENI("eth0", "\"sg-a\"", "\"10.0.0.10\", \"10.0.0.11\"", "\"10.0.8.0/28\"")
	"," ENI("eth1", "\"sg-a\"", "\"10.0.0.20\"", "") "], " GROUPS "}";

/* Parses text, gives eth0/eth1 ifindexes 2/3, compiles for slot. */
static void compile_text(const char *text, unsigned int slot, struct canon *out)
{
	struct desired_state s;
	struct compiled c = {};
	struct err e = {};

	state_init(&s);
	if (source_native_parse(text, "t.json", &s, &e))
		fail_msg("%s", e.msg);
	for (size_t i = 0; i < s.enis.n; i++)
		s.enis.v[i].ifindex = !strcmp(s.enis.v[i].ifname, "eth0") ? 2 : 3;
	if (compile_state(&s, slot, &c, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(canon_build(&c, out, &e), 0);
	compiled_free(&c);
	state_free(&s);
}

static void diff_of(const char *old, const char *new, struct canon_diff *d)
{
	struct canon a, b;
	struct err e = {};

	compile_text(old, 0, &a);
	compile_text(new, 1, &b);
	assert_int_equal(canon_diff(&a, &b, d, &e), 0);
	canon_free(&a);
	canon_free(&b);
}

static void test_slot_and_order_do_not_matter(void **state)
{
	const char *swapped =
		"{\"enis\": [" ENI("eth1", "\"sg-a\"", "\"10.0.0.20\"", "") ","
		ENI("eth0", "\"sg-a\"", "\"10.0.0.10\", \"10.0.0.11\"", "\"10.0.8.0/28\"") "], "
		GROUPS "}";
	struct canon a, b, c;
	struct canon_diff d;
	struct err e = {};

	compile_text(base, 0, &a);
	compile_text(base, 1, &b);
	compile_text(swapped, 1, &c);
	assert_true(a.len > 0);
	assert_true(canon_equal(&a, &b));
	assert_int_equal(a.digest, b.digest);
	assert_true(canon_equal(&a, &c));
	assert_int_equal(canon_diff(&a, &c, &d, &e), 0);
	assert_int_equal(d.addrs.n, 0);
	assert_int_equal(d.other, 0);
	canon_diff_free(&d);
	canon_free(&a);
	canon_free(&b);
	canon_free(&c);
}

static void test_move_is_one_change(void **state)
{
	const char *moved =
		"{\"enis\": [" ENI("eth0", "\"sg-a\"", "\"10.0.0.10\"", "") ","
		ENI("eth1", "\"sg-a\"", "\"10.0.0.20\", \"10.0.0.11\"", "\"10.0.8.0/28\"") "], "
		GROUPS "}";
	struct canon_diff d;
	char sum[256];

	diff_of(base, moved, &d);
	assert_int_equal(d.addrs.n, 2);
	for (size_t i = 0; i < d.addrs.n; i++) {
		assert_int_equal(d.addrs.v[i].kind, CANON_MOVED);
		assert_int_equal(d.addrs.v[i].from, 2);
		assert_int_equal(d.addrs.v[i].to, 3);
	}
	canon_diff_summary(&d, NULL, sum, sizeof(sum));
	assert_non_null(strstr(sum, "10.0.0.11 moved if2 -> if3"));
	assert_non_null(strstr(sum, "10.0.8.0/28 moved if2 -> if3"));
	assert_null(strstr(sum, "added"));
	assert_null(strstr(sum, "removed"));
	canon_diff_free(&d);
}

static void test_add_remove_and_policy_change(void **state)
{
	const char *changed =
		"{\"enis\": [" ENI("eth0", "\"sg-a\"", "\"10.0.0.10\", \"10.0.0.12\"",
				   "\"10.0.8.0/28\"") ","
		ENI("eth1", "\"sg-b\"", "\"10.0.0.20\"", "") "], " GROUPS "}";
	struct canon_diff d;
	int added = 0, removed = 0, policy = 0;
	char sum[512];

	diff_of(base, changed, &d);
	for (size_t i = 0; i < d.addrs.n; i++) {
		const struct canon_addr_change *c = &d.addrs.v[i];

		added += c->kind == CANON_ADDED && c->to == 2;
		removed += c->kind == CANON_REMOVED && c->from == 2;
		policy += c->kind == CANON_CHANGED && c->to == 3;
	}
	assert_int_equal(added, 1);   /* .12 */
	assert_int_equal(removed, 1); /* .11 */
	assert_int_equal(policy, 1);  /* .20 now sg-b's policy */
	assert_true(d.other > 0);     /* eth1's ENI entry and sg-b's rule entries */
	canon_diff_summary(&d, NULL, sum, sizeof(sum));
	assert_non_null(strstr(sum, "10.0.0.12 added on if2"));
	assert_non_null(strstr(sum, "10.0.0.11 removed from if2"));
	assert_non_null(strstr(sum, "other entr"));
	canon_diff_free(&d);
}

static void test_rule_change_alone_is_a_change(void **state)
{
	char other[2048];
	struct canon a, b;

	snprintf(other, sizeof(other), "%s", base);
	memcpy(strstr(other, "\"22\""), "\"23\"", 4);
	compile_text(base, 0, &a);
	compile_text(other, 0, &b);
	assert_false(canon_equal(&a, &b));
	canon_free(&a);
	canon_free(&b);
}

/* ---- rule files ---- */

static char dir[] = "/tmp/eniaddr-unit-rf-XXXXXX";
static char path[PATH_MAX];
static int builds, fail_source;

static void write_rules(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The test source: the config file is the whole state. */
static int file_build(void *ctx, const struct rule_files *rf, struct desired_state *out,
		      struct err *e)
{
	builds++;
	if (fail_source)
		return err_set(e, EIO, "source down");
	return source_native_load(rf->config, out, e);
}

static const struct agent_source src = { "test", file_build, NULL };

static void test_rule_files(void **state)
{
	struct desired_state s;
	struct rulefiles rf;
	struct err e = {};

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cfg.json", dir);
	write_rules(base);
	assert_int_equal(rulefiles_init(&rf, &(struct rule_files){ .config = path }, &e), 0);
	assert_false(rulefiles_none(&rf));
	state_init(&s);
	/* First build takes the file. */
	assert_int_equal(rulefiles_build(&rf, &src, &s, &e), 0);
	assert_int_equal(s.enis.n, 2);
	assert_int_equal(rf.rejected[0], '\0');
	/* Broken file: refused by name, the good copy builds; one try with it, one without. */
	write_rules("{\"enis\": [" ENI("eth0", "", "\"10.0.0.300\"", "") "]}");
	rulefiles_reread(&rf);
	builds = 0;
	assert_int_equal(rulefiles_build(&rf, &src, &s, &e), 0);
	assert_int_equal(builds, 2);
	assert_int_equal(s.enis.n, 2);
	assert_non_null(strstr(rf.rejected, path));
	assert_non_null(strstr(rf.rejected, "10.0.0.300"));
	assert_null(strstr(rf.rejected, "/proc/self/fd"));
	/* The refused trial is dropped: later builds use the good copy only. */
	builds = 0;
	assert_int_equal(rulefiles_build(&rf, &src, &s, &e), 0);
	assert_int_equal(builds, 1);
	/* A new good file, while the source is down: the failure is the source's, the trial
	 * waits and is taken once the source is back. */
	write_rules("{\"enis\": [" ENI("eth0", "\"sg-a\"", "\"10.0.0.10\"", "") "], " GROUPS "}");
	rulefiles_reread(&rf);
	fail_source = 1;
	assert_int_equal(rulefiles_build(&rf, &src, &s, &e), -EIO);
	fail_source = 0;
	err_clear(&e);
	assert_int_equal(rulefiles_build(&rf, &src, &s, &e), 0);
	assert_int_equal(s.enis.n, 1);
	assert_int_equal(rf.rejected[0], '\0');
	state_free(&s);
	rulefiles_free(&rf);
	unlink(path);
	rmdir(dir);
}

static void test_missing_rule_file_is_an_error(void **state)
{
	struct rulefiles rf;
	struct err e = {};

	assert_int_equal(rulefiles_init(&rf, &(struct rule_files){ .groups = "/nonexistent/sgs.json" },
					 &e), -ENOENT);
	assert_non_null(strstr(e.msg, "/nonexistent/sgs.json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_and_order_do_not_matter),
		cmocka_unit_test(test_move_is_one_change),
		cmocka_unit_test(test_add_remove_and_policy_change),
		cmocka_unit_test(test_rule_change_alone_is_a_change),
		cmocka_unit_test(test_rule_files),
		cmocka_unit_test(test_missing_rule_file_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
