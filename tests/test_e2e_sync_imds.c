// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_sync_imds.c — `eniaddr-bpf sync --imds` end to end: an instance namespace whose
 * interfaces carry the MACs the metadata emulator (tests/imds/) reports, the real CLI with its
 * default IMDS endpoint, and `status` reading back what was published. What an operator checks:
 * a sync publishes exactly what IMDS shows, a reassignment lands on the next sync, an IMDS
 * failure publishes nothing and says why, a hot-plugged ENI without an interface is left out,
 * and status names the groups rules reference that nobody is in.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "clirun.h"
#include "imds_emu.h"
#include "netns.h"

#define MAC0 "0e:00:00:00:00:01"
#define MAC1 "0e:00:00:00:00:02"

static struct netns ns;
static struct imds_emu emu;
static struct clirun cli;
static char out[65536];
static char sgs[PATH_MAX], ifs[PATH_MAX];

static const char *world_fmt =
	"{\"macs\": {"
	" \"" MAC0 "\": {\"device-number\": 0, \"interface-id\": \"eni-0000000000000001\","
	"  \"local-ipv4s\": [%s], \"ipv6s\": [\"2001:db8:1::10\"],"
	"  \"subnet-ipv4-cidr-block\": \"10.0.1.0/24\","
	"  \"subnet-ipv6-cidr-blocks\": [\"2001:db8:1::/64\"], \"security-group-ids\": [\"sg-web\"]},"
	" \"" MAC1 "\": {\"device-number\": 1, \"interface-id\": \"eni-0000000000000002\","
	"  \"local-ipv4s\": [%s], \"subnet-ipv4-cidr-block\": \"10.0.1.0/24\","
	"  \"security-group-ids\": [\"sg-web\", \"sg-admin\"]}%s},"
	" \"faults\": {%s}}";

static const char *sgs_doc =
	"{\"SecurityGroups\": ["
	" {\"GroupId\": \"sg-web\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 443,"
	"  \"ToPort\": 443, \"UserIdGroupPairs\": [{\"GroupId\": \"sg-admin\"}]}]},"
	" {\"GroupId\": \"sg-admin\", \"IpPermissions\": [{\"IpProtocol\": \"-1\","
	"  \"UserIdGroupPairs\": [{\"GroupId\": \"sg-db\"}]}]}]}";

static const char *ifs_doc =
	"{\"NetworkInterfaces\": [{\"NetworkInterfaceId\": \"eni-remote\","
	" \"MacAddress\": \"0e:00:00:00:00:99\","
	" \"PrivateIpAddresses\": [{\"PrivateIpAddress\": \"10.0.2.50\", \"Primary\": true}],"
	" \"Groups\": [{\"GroupId\": \"sg-admin\"}]}]}";

static void set_world(const char *v4_0, const char *v4_1, const char *more, const char *faults)
{
	char text[8192];

	snprintf(text, sizeof(text), world_fmt, v4_0, v4_1, more, faults);
	assert_int_equal(imds_emu_set_world(&emu, text), 0);
}

static const char *steady0 = "\"10.0.1.10\", \"10.0.1.11\"";
static const char *steady1 = "\"10.0.1.20\"";

static int setup(void **state)
{
	char text[8192], rundir[PATH_MAX];

	snprintf(text, sizeof(text), world_fmt, steady0, steady1, "", "");
	if (netns_create(&ns, "simds") ||
	    netns_exec(&ns, "ip link add eth0 address " MAC0 " type veth peer name peer0 && "
		       "ip link add eth1 address " MAC1 " type veth peer name peer1 && "
		       "ip addr add 10.0.1.10/24 dev eth0 && ip addr add 10.0.1.20/24 dev eth1 && "
		       "ip link set eth0 up && ip link set eth1 up") ||
	    imds_emu_start(&emu, ns.name, text) || clirun_init(&cli, ns.name))
		return -1;
	/* the status note goes with the test's directory, not to /run */
	snprintf(rundir, sizeof(rundir), "%s/run", cli.dir);
	setenv("ENIADDR_RUNDIR", rundir, 1);
	/* IMDS is link-local: a proxy from the environment must never be used for it */
	setenv("http_proxy", "http://192.0.2.1:3128", 1);
	return clirun_write_file(&cli, "sgs.json", sgs_doc, sgs) ||
	       clirun_write_file(&cli, "ifs.json", ifs_doc, ifs);
}

static int teardown(void **state)
{
	clirun_cleanup(&cli);
	imds_emu_stop(&emu);
	netns_destroy(&ns);
	return 0;
}

static int reset(void **state)
{
	set_world(steady0, steady1, "", "");
	return 0;
}

static int sync_imds(void)
{
	return clirun(&cli, out, sizeof(out), "sync --imds --security-groups %s --interfaces %s",
		      sgs, ifs);
}

/* status -j, parsed: the caller puts it. */
static struct json_object *status_json(void)
{
	struct json_object *o;

	assert_int_equal(clirun(&cli, out, sizeof(out), "-j status"), 0);
	o = json_tokener_parse(out);
	if (!o)
		fail_msg("status -j is not JSON: %s", out);
	return o;
}

static long long member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
	return json_object_get_int64(v);
}

/* Addresses published for the ENI at index i of status -j. */
static long long eni_addresses(struct json_object *st, size_t i)
{
	struct json_object *enis;

	assert_true(json_object_object_get_ex(st, "enis", &enis));
	assert_true(json_object_array_length(enis) > i);
	return member(json_object_array_get_idx(enis, i), "addresses");
}

static void test_sync_imds_publishes_what_imds_shows(void **state)
{
	struct json_object *st;

	if (sync_imds())
		fail_msg("sync --imds: %s", out);
	assert_non_null(strstr(out, "applied imds+"));
	assert_non_null(strstr(out, "2 ENIs, 4 addresses"));
	st = status_json();
	assert_int_equal(eni_addresses(st, 0), 3);
	assert_int_equal(eni_addresses(st, 1), 1);
	json_object_put(st);
}

static void test_status_names_groups_without_known_members(void **state)
{
	struct json_object *st, *sync, *empty;

	assert_int_equal(sync_imds(), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	assert_non_null(strstr(out, "without known members (admit nobody): sg-db\n"));
	assert_non_null(strstr(out, "rules: security groups "));
	st = status_json();
	assert_true(json_object_object_get_ex(st, "sync", &sync));
	assert_true(json_object_object_get_ex(sync, "groups_without_members", &empty));
	assert_int_equal(json_object_array_length(empty), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(empty, 0)), "sg-db");
	json_object_put(st);
}

/* The note describes one generation: after an `apply`, status no longer shows the sync's. */
static void test_status_forgets_the_sync_after_another_publication(void **state)
{
	static const char *native = "{\"enis\": [{\"interface\": \"eth0\", "
				    "\"security_groups\": [], \"addresses\": [\"10.0.1.10\"]}]}";
	char cfg[PATH_MAX];
	struct json_object *st, *sync;

	assert_int_equal(sync_imds(), 0);
	assert_int_equal(clirun_write_file(&cli, "cfg.json", native, cfg), 0);
	if (clirun(&cli, out, sizeof(out), "apply %s", cfg))
		fail_msg("apply: %s", out);
	st = status_json();
	assert_false(json_object_object_get_ex(st, "sync", &sync));
	json_object_put(st);
	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	assert_null(strstr(out, "sources:"));
}

static void test_reassignment_lands_on_the_next_sync(void **state)
{
	struct json_object *st;

	assert_int_equal(sync_imds(), 0);
	set_world("\"10.0.1.10\"", "\"10.0.1.20\", \"10.0.1.11\"", "", "");
	assert_int_equal(sync_imds(), 0);
	st = status_json();
	assert_int_equal(eni_addresses(st, 0), 2);
	assert_int_equal(eni_addresses(st, 1), 2);
	json_object_put(st);
}

static void test_imds_outage_publishes_nothing_and_says_why(void **state)
{
	struct json_object *st;
	long long gen;

	assert_int_equal(sync_imds(), 0);
	st = status_json();
	gen = member(st, "generation");
	json_object_put(st);
	set_world(steady0, steady1, "", "\"status\": 503");
	assert_int_equal(sync_imds(), 1);
	assert_non_null(strstr(out, "HTTP 503 after 4 tries"));
	set_world(steady0, steady1, "", "");
	st = status_json();
	assert_int_equal(member(st, "generation"), gen);
	assert_int_equal(eni_addresses(st, 0), 3);
	json_object_put(st);
}

static void test_hotplugged_eni_without_interface_is_left_out(void **state)
{
	set_world(steady0, steady1,
		  ", \"0e:00:00:00:00:03\": {\"device-number\": 2, \"interface-id\": \"eni-3\","
		  " \"local-ipv4s\": [\"10.0.1.30\"], \"subnet-ipv4-cidr-block\": \"10.0.1.0/24\","
		  " \"security-group-ids\": [\"sg-web\"]}", "");
	if (sync_imds())
		fail_msg("sync --imds: %s", out);
	assert_non_null(strstr(out, "eni-3 (0e:00:00:00:00:03) has no local interface yet"));
	assert_non_null(strstr(out, "2 ENIs"));
}

static void test_half_known_hotplugged_eni_fails_naming_the_mac(void **state)
{
	set_world(steady0, steady1, ", \"0e:00:00:00:00:03\": {\"device-number\": 2}", "");
	assert_int_equal(sync_imds(), 1);
	assert_non_null(strstr(out, "0e:00:00:00:00:03"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sync_imds_publishes_what_imds_shows, reset),
		cmocka_unit_test_setup(test_status_names_groups_without_known_members, reset),
		cmocka_unit_test_setup(test_status_forgets_the_sync_after_another_publication,
				       reset),
		cmocka_unit_test_setup(test_reassignment_lands_on_the_next_sync, reset),
		cmocka_unit_test_setup(test_imds_outage_publishes_nothing_and_says_why, reset),
		cmocka_unit_test_setup(test_hotplugged_eni_without_interface_is_left_out, reset),
		cmocka_unit_test_setup(test_half_known_hotplugged_eni_fails_naming_the_mac, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
