// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_imds.c — the IMDSv2 source against the project's emulator (tests/imds/), both
 * inside a private network namespace where the emulator holds 169.254.169.254: the client runs
 * with its default endpoint. What an operator relies on: the ENIs and addresses IMDS shows are
 * read exactly, changes show on the next read, and no failure (outage, 503, 401 storm,
 * malformed answer, half-known hot-plugged ENI, self-contradicting value) is ever read as "no
 * addresses": the read fails, names what, and the last good state stays as it was.
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

#include "imds_emu.h"
#include "netns.h"
#include "source/compose.h"
#include "source/imds.h"
#include "source/imds_http.h"
#include "state.h"

#define MAC0 "0e:00:00:00:00:01"
#define MAC1 "0e:00:00:00:00:02"

static struct netns ns;
static struct imds_emu emu;
static struct imds_client *client;
static struct err e;
static char doc_dir[64]; /* rule documents of the compose tests */

/* eth1 (device 1) is written first: the source must order by device-number, not by text. The
 * IPv6 address comes uncompressed, as IMDS may send it. */
static const char *world_fmt =
	"{\"macs\": {"
	" \"" MAC1 "\": {\"device-number\": 1, \"interface-id\": \"eni-0000000000000002\","
	"  \"local-ipv4s\": [%s], \"subnet-ipv4-cidr-block\": \"10.0.1.0/24\","
	"  \"security-group-ids\": [\"sg-web\", \"sg-admin\"]},"
	" \"" MAC0 "\": {\"device-number\": 0, \"interface-id\": \"eni-0000000000000001\","
	"  \"local-ipv4s\": [%s], \"ipv6s\": [\"2001:0db8:0001:0000:0000:0000:0000:0010\"],"
	"  \"ipv4-prefix\": [%s], \"ipv6-prefix\": [], \"subnet-ipv4-cidr-block\": \"10.0.1.0/24\","
	"  \"subnet-ipv6-cidr-blocks\": [\"2001:db8:1::/64\"], \"security-group-ids\": [\"sg-web\"],"
	"  \"vpc-ipv4-cidr-blocks\": [\"10.0.0.0/16\"]}%s},"
	" \"faults\": {%s}}";

static const char *steady_v4_0 = "\"10.0.1.10\", \"10.0.1.11\"";
static const char *steady_v4_1 = "\"10.0.1.20\"";
static const char *steady_pfx_0 = "\"10.0.1.32/28\"";

static void set_world(const char *v4_0, const char *v4_1, const char *pfx_0, const char *more,
		      const char *faults)
{
	char text[8192];

	snprintf(text, sizeof(text), world_fmt, v4_1, v4_0, pfx_0, more, faults);
	assert_int_equal(imds_emu_set_world(&emu, text), 0);
}

static void set_faults(const char *faults)
{
	set_world(steady_v4_0, steady_v4_1, steady_pfx_0, "", faults);
}

static int setup(void **state)
{
	char text[8192];

	snprintf(text, sizeof(text), world_fmt, steady_v4_1, steady_v4_0, steady_pfx_0, "", "");
	/* IMDS is link-local: a proxy from the environment must never be used for it */
	setenv("http_proxy", "http://192.0.2.1:3128", 1);
	setenv("HTTP_PROXY", "http://192.0.2.1:3128", 1);
	if (netns_create(&ns, "imds") || imds_emu_start(&emu, ns.name, text) ||
	    netns_enter(&ns))
		return -1;
	return imds_client_new(NULL, &client, &e);
}

static int teardown(void **state)
{
	imds_client_free(client);
	imds_emu_stop(&emu);
	netns_destroy(&ns);
	if (doc_dir[0]) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", doc_dir);
		if (system(cmd))
			fprintf(stderr, "could not remove %s\n", doc_dir);
	}
	return 0;
}

/* Each test starts from the steady world and a fresh error. */
static int reset(void **state)
{
	set_faults("");
	err_clear(&e);
	return 0;
}

static bool has_addr(const struct eni *n, const char *text)
{
	struct ip_prefix p;

	assert_int_equal(ip_prefix_parse(text, &p), 0);
	for (size_t i = 0; i < n->addrs.n; i++)
		if (ip_prefix_equal(&n->addrs.v[i].ip, &p))
			return true;
	return false;
}

static bool has_prefix(const struct eni *n, const char *text)
{
	struct ip_prefix p;

	assert_int_equal(ip_prefix_parse(text, &p), 0);
	for (size_t i = 0; i < n->prefixes.n; i++)
		if (ip_prefix_equal(&n->prefixes.v[i], &p))
			return true;
	return false;
}

static void read_ok(struct desired_state *s)
{
	int ret = source_imds_read(client, s, &e);

	if (ret)
		fail_msg("source_imds_read: %d %s", ret, e.msg);
}

/* A read that fails must name what and leave s exactly as it was (the last good state). */
static void read_fails_keeping(struct desired_state *s, int want, const char *in_msg)
{
	size_t n = s->enis.n, a0 = n ? s->enis.v[0].addrs.n : 0;
	struct eni *v = s->enis.v;
	int ret;

	err_clear(&e);
	ret = source_imds_read(client, s, &e);
	if (ret != want || !strstr(e.msg, in_msg))
		fail_msg("want %d naming '%s', got %d: %s", want, in_msg, ret, e.msg);
	assert_int_equal(s->enis.n, n);
	assert_ptr_equal(s->enis.v, v);
	if (n)
		assert_int_equal(s->enis.v[0].addrs.n, a0);
}

/* The emulator answers as IMDS does (REFERENCE.md §4), or the tests above prove nothing. */
static void expect_answer(struct imds_http *h, const char *path, const char *want)
{
	struct imds_body b;
	int ret = imds_http_get(h, path, &b, &e);

	if (!want) {
		if (ret != 1)
			fail_msg("%s: want 404, got %d: %s", path, ret, ret ? e.msg : b.text);
		return;
	}
	if (ret || strcmp(b.text, want))
		fail_msg("%s: want '%s', got %d '%s' %s", path, want, ret, ret ? "" : b.text,
			 e.msg);
	free(b.text);
}

static void test_emulator_answers_in_imds_shapes(void **state)
{
	struct imds_http_opts o = { .endpoint = "http://" IMDS_EMU_ADDR, .token_ttl_s = 60,
				    .connect_ms = 250, .timeout_ms = 1000, .max_tries = 1 };
	struct imds_http *h;

	assert_int_equal(imds_http_new(&o, &h, &e), 0);
	expect_answer(h, "", "mac\nnetwork/");
	expect_answer(h, "mac", MAC0);
	expect_answer(h, "network/", "interfaces/");
	expect_answer(h, "network/interfaces/", "macs/");
	expect_answer(h, "network/interfaces/macs/", MAC0 "/\n" MAC1 "/"); /* sorted */
	/* listing sorted; the empty ipv6-prefix list is absent, and 404 */
	expect_answer(h, "network/interfaces/macs/" MAC0 "/",
		      "device-number\ninterface-id\nipv4-prefix\nipv6s\nlocal-ipv4s\nmac\n"
		      "security-group-ids\nsubnet-ipv4-cidr-block\nsubnet-ipv6-cidr-blocks\n"
		      "vpc-ipv4-cidr-blocks");
	expect_answer(h, "network/interfaces/macs/" MAC0 "/ipv6-prefix", NULL);
	expect_answer(h, "network/interfaces/macs/" MAC0 "/local-ipv4s", "10.0.1.10\n10.0.1.11");
	expect_answer(h, "network/interfaces/macs/" MAC0 "/device-number", "0");
	expect_answer(h, "no-such-key", NULL);
	imds_http_free(h);
}

static void test_steady_state_reads_every_eni_in_device_order(void **state)
{
	struct desired_state s;
	const struct eni *n0, *n1;
	struct ip_prefix subnet;

	state_init(&s);
	read_ok(&s);
	assert_int_equal(s.enis.n, 2);
	n0 = &s.enis.v[0];
	n1 = &s.enis.v[1];
	assert_string_equal(n0->eni_id, "eni-0000000000000001");
	assert_string_equal(n1->eni_id, "eni-0000000000000002");
	assert_true(n0->has_mac && n0->mac[5] == 1 && n1->mac[5] == 2);
	assert_int_equal(n0->addrs.n, 3);
	assert_true(has_addr(n0, "10.0.1.10") && n0->addrs.v[0].primary);
	assert_true(has_addr(n0, "10.0.1.11") && !n0->addrs.v[1].primary);
	assert_true(has_addr(n0, "2001:db8:1::10")); /* sent uncompressed */
	assert_true(has_prefix(n0, "10.0.1.32/28"));
	assert_int_equal(n0->subnets.n, 2);
	assert_int_equal(ip_prefix_parse("10.0.1.0/24", &subnet), 0);
	assert_true(ip_prefix_equal(&n0->subnets.v[0], &subnet));
	assert_int_equal(n0->groups.ids.n, 1);
	assert_string_equal(n0->groups.ids.v[0], "sg-web");
	assert_int_equal(n1->groups.ids.n, 2);
	assert_int_equal(n1->addrs.n, 1);
	assert_int_equal(n1->prefixes.n, 0); /* ipv4-prefix absent: none, not an error */
	assert_int_equal(n0->mode, ENIADDR_MODE_ENFORCE);
	assert_string_equal(s.origin, "imds");
	/* the VPC's primary block (its resolver, base + 2, is exempt); eth1's MAC lists none */
	assert_true(n0->has_vpc);
	assert_int_equal(ip_prefix_parse("10.0.0.0/16", &subnet), 0);
	assert_true(ip_prefix_equal(&n0->vpc, &subnet));
	assert_non_null(strstr(n0->vpc_where, MAC0 "/vpc-ipv4-cidr-blocks"));
	assert_false(n1->has_vpc);
	state_free(&s);
}

/* vpc-ipv4-cidr-block is AWS's "primary IPv4 CIDR of the VPC": it wins over the first line of
 * vpc-ipv4-cidr-blocks, which is then not even asked for. */
static void test_vpc_primary_block_is_the_singular_key(void **state)
{
	static const char *world =
		"{\"macs\": {\"" MAC0 "\": {\"device-number\": 0, \"interface-id\": "
		"\"eni-0000000000000001\", \"local-ipv4s\": [\"100.64.1.10\"],"
		" \"subnet-ipv4-cidr-block\": \"100.64.1.0/24\", \"security-group-ids\": [\"sg-web\"],"
		" \"vpc-ipv4-cidr-block\": \"10.0.0.0/16\","
		" \"vpc-ipv4-cidr-blocks\": [\"100.64.0.0/16\", \"10.0.0.0/16\"]}},"
		" \"faults\": {\"malformed\": {\"network/interfaces/macs/" MAC0
		"/vpc-ipv4-cidr-blocks\": \"garbage\"}}}";
	struct desired_state s;
	struct ip_prefix want;

	assert_int_equal(imds_emu_set_world(&emu, world), 0);
	state_init(&s);
	read_ok(&s);
	assert_int_equal(s.enis.n, 1);
	assert_true(s.enis.v[0].has_vpc);
	assert_int_equal(ip_prefix_parse("10.0.0.0/16", &want), 0);
	assert_true(ip_prefix_equal(&s.enis.v[0].vpc, &want));
	assert_non_null(strstr(s.enis.v[0].vpc_where, "/vpc-ipv4-cidr-block"));
	state_free(&s);
}

/* The IPv6 endpoint, as on instances where IMDS is reached over IPv6. */
static void test_ipv6_endpoint_reads_the_same(void **state)
{
	struct imds_opts o = { .endpoint = IMDS_ENDPOINT_V6 };
	struct imds_client *c6;
	struct imds_emu emu6;
	struct desired_state s;
	char text[8192];

	snprintf(text, sizeof(text), world_fmt, steady_v4_1, steady_v4_0, steady_pfx_0, "", "");
	assert_int_equal(imds_emu_start_on(&emu6, ns.name, IMDS_EMU_ADDR_V6, text), 0);
	assert_int_equal(imds_client_new(&o, &c6, &e), 0);
	state_init(&s);
	if (source_imds_read(c6, &s, &e))
		fail_msg("over IPv6: %s", e.msg);
	assert_int_equal(s.enis.n, 2);
	assert_true(imds_emu_stat(&emu6, "gets") > 0);
	state_free(&s);
	imds_client_free(c6);
	imds_emu_stop(&emu6);
}

static void test_added_removed_and_reassigned_addresses_show_on_next_read(void **state)
{
	struct desired_state s;

	state_init(&s);
	/* 10.0.1.11 moves from eth0 to eth1, 10.0.1.12 is added to eth0. */
	set_world("\"10.0.1.10\", \"10.0.1.12\"", "\"10.0.1.20\", \"10.0.1.11\"", steady_pfx_0,
		  "", "");
	read_ok(&s);
	assert_false(has_addr(&s.enis.v[0], "10.0.1.11"));
	assert_true(has_addr(&s.enis.v[0], "10.0.1.12"));
	assert_true(has_addr(&s.enis.v[1], "10.0.1.11"));
	/* and back */
	set_faults("");
	read_ok(&s);
	assert_true(has_addr(&s.enis.v[0], "10.0.1.11"));
	assert_false(has_addr(&s.enis.v[1], "10.0.1.11"));
	state_free(&s);
}

static void test_added_and_removed_prefixes_show_on_next_read(void **state)
{
	struct desired_state s;

	state_init(&s);
	set_world(steady_v4_0, steady_v4_1, "\"10.0.1.32/28\", \"10.0.1.48/28\"", "", "");
	read_ok(&s);
	assert_int_equal(s.enis.v[0].prefixes.n, 2);
	assert_true(has_prefix(&s.enis.v[0], "10.0.1.48/28"));
	/* The last prefix removed: IMDS answers 404 and drops the key; that is "none". */
	set_world(steady_v4_0, steady_v4_1, "", "", "");
	read_ok(&s);
	assert_int_equal(s.enis.v[0].prefixes.n, 0);
	state_free(&s);
}

static void test_outage_dropped_connections_fail_and_keep_last_state(void **state)
{
	struct desired_state s;

	state_init(&s);
	read_ok(&s);
	set_faults("\"drop_connection\": true");
	read_fails_keeping(&s, -EIO, "after 4 tries");
	set_faults("");
	read_ok(&s);
	assert_int_equal(s.enis.n, 2);
	state_free(&s);
}

static void test_outage_503_fails_after_bounded_retries_and_keeps_last_state(void **state)
{
	struct desired_state s;
	long before;

	state_init(&s);
	read_ok(&s);
	before = imds_emu_stat(&emu, "requests");
	set_faults("\"status\": 503");
	read_fails_keeping(&s, -EIO, "HTTP 503 after 4 tries");
	/* bounded: the first key's 4 tries, nothing more */
	assert_true(imds_emu_stat(&emu, "requests") - before <= 4);
	state_free(&s);
}

/* Fewer failures in a row than the tries: the read succeeds, nobody sees them. */
static void test_a_few_503s_or_429s_are_retried_transparently(void **state)
{
	static const char *const faults[] = {
		"\"status\": 503, \"status_count\": 2",
		"\"status\": 429, \"status_count\": 3", /* throttling */
	};
	struct desired_state s;

	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		state_init(&s);
		set_faults(faults[i]);
		read_ok(&s);
		assert_int_equal(s.enis.n, 2);
		state_free(&s);
	}
}

static void test_timeouts_fail_and_keep_last_state(void **state)
{
	struct imds_opts o = { .timeout_ms = 200, .max_tries = 2 };
	struct imds_client *quick;
	struct desired_state s;
	int ret;

	state_init(&s);
	read_ok(&s);
	assert_int_equal(imds_client_new(&o, &quick, &e), 0);
	set_faults("\"delay_ms\": 600");
	ret = source_imds_read(quick, &s, &e);
	assert_int_equal(ret, -ETIMEDOUT);
	assert_non_null(strstr(e.msg, "after 2 tries"));
	assert_int_equal(s.enis.n, 2);
	imds_client_free(quick);
	state_free(&s);
	/* The emulator still works through the abandoned requests: let it finish, so their late
	 * token PUTs do not count in the next test. */
	usleep(2 * 600 * 1000);
}

static void test_one_401_takes_a_new_token_and_succeeds(void **state)
{
	struct desired_state s;
	long puts;

	state_init(&s);
	read_ok(&s);
	puts = imds_emu_stat(&emu, "token_puts");
	set_faults("\"token_storm\": 1");
	read_ok(&s);
	assert_int_equal(imds_emu_stat(&emu, "token_puts"), puts + 1);
	state_free(&s);
}

static void test_401_storm_fails_cleanly_and_keeps_last_state(void **state)
{
	struct desired_state s;

	state_init(&s);
	read_ok(&s);
	set_faults("\"token_storm\": 100");
	read_fails_keeping(&s, -EACCES, "401 with a fresh token");
	set_faults("");
	read_ok(&s);
	state_free(&s);
}

static void test_token_is_reused_and_renewed_before_it_expires(void **state)
{
	struct desired_state s;
	long puts, unauthorized;

	state_init(&s);
	read_ok(&s);
	puts = imds_emu_stat(&emu, "token_puts");
	for (int i = 0; i < 5; i++)
		read_ok(&s);
	assert_int_equal(imds_emu_stat(&emu, "token_puts"), puts); /* five reads, one token */
	/* Tokens now live 1 s: the client renews before expiry and never sees a 401. */
	set_faults("\"token_ttl_s\": 1");
	imds_client_free(client);
	assert_int_equal(imds_client_new(NULL, &client, &e), 0);
	read_ok(&s);
	puts = imds_emu_stat(&emu, "token_puts");
	unauthorized = imds_emu_stat(&emu, "unauthorized");
	usleep(900 * 1000);
	read_ok(&s);
	assert_int_equal(imds_emu_stat(&emu, "token_puts"), puts + 1);
	assert_int_equal(imds_emu_stat(&emu, "unauthorized"), unauthorized);
	state_free(&s);
}

static void malformed(const char *key, const char *raw_json, const char *in_msg)
{
	struct desired_state s;
	char faults[512];

	state_init(&s);
	set_faults("");
	read_ok(&s);
	snprintf(faults, sizeof(faults), "\"malformed\": {\"network/interfaces/macs/" MAC0 "/%s\":"
		 " %s}", key, raw_json);
	set_faults(faults);
	read_fails_keeping(&s, -EPROTO, in_msg);
	assert_non_null(strstr(e.msg, key));
	state_free(&s);
}

static void test_malformed_answers_fail_naming_the_key(void **state)
{
	malformed("local-ipv4s", "\"10.0.1.10\\r\\n10.0.1.11\"", "CR");
	err_clear(&e);
	malformed("local-ipv4s", "\"10.0.1.10\\n\"", "trailing newline");
	err_clear(&e);
	malformed("local-ipv4s", "\"10.0.1.300\"", "not an IPv4 address");
	err_clear(&e);
	malformed("ipv6s", "\"10.0.1.10\"", "is not IPv6");
	err_clear(&e);
	malformed("device-number", "\"one\"", "not a number");
	err_clear(&e);
	malformed("interface-id", "\"i-0123\"", "not an eni-");
	err_clear(&e);
	malformed("ipv4-prefix", "\"10.0.1.32\"", "not an IPv4 CIDR");
	err_clear(&e);
	malformed("vpc-ipv4-cidr-blocks", "\"10.0.0.0\"", "not an IPv4 CIDR");
}

/* IMDS never lists a MAC twice or in upper case: such a listing is not trusted. */
static void test_odd_mac_listings_fail(void **state)
{
	struct desired_state s;

	state_init(&s);
	read_ok(&s);
	set_faults("\"malformed\": {\"network/interfaces/macs/\": \"" MAC0 "/\\n" MAC0 "/\"}");
	read_fails_keeping(&s, -EPROTO, "both have device-number 0");
	set_faults("\"malformed\": {\"network/interfaces/macs/\": \"0E:00:00:00:00:01/\"}");
	read_fails_keeping(&s, -EPROTO, "is not a MAC directory");
	state_free(&s);
}

/* Only an absent key means "none": listed and then 404 is an error, not an empty list. */
static void test_listed_key_answering_404_is_an_error_not_none(void **state)
{
	struct desired_state s;

	state_init(&s);
	read_ok(&s);
	set_faults("\"missing\": [\"network/interfaces/macs/" MAC0 "/ipv4-prefix\"]");
	read_fails_keeping(&s, -EIO, "ipv4-prefix: HTTP 404 although");
	assert_int_equal(s.enis.v[0].prefixes.n, 1);
	state_free(&s);
}

static void test_hotplugged_eni_without_keys_is_eagain_naming_the_mac(void **state)
{
	struct desired_state s;

	state_init(&s);
	read_ok(&s);
	set_world(steady_v4_0, steady_v4_1, steady_pfx_0,
		  ", \"0e:00:00:00:00:03\": {\"device-number\": 2}", "");
	read_fails_keeping(&s, -EAGAIN, "0e:00:00:00:00:03");
	assert_non_null(strstr(e.msg, "interface-id"));
	state_free(&s);
}

static void test_hotplugged_eni_with_device_number_0_is_eagain(void **state)
{
	struct desired_state s;

	state_init(&s);
	read_ok(&s);
	set_world(steady_v4_0, steady_v4_1, steady_pfx_0,
		  ", \"0e:00:00:00:00:03\": {\"device-number\": 0, \"interface-id\": \"eni-3\","
		  " \"local-ipv4s\": [\"10.0.1.30\"], \"subnet-ipv4-cidr-block\": \"10.0.1.0/24\","
		  " \"security-group-ids\": [\"sg-web\"]}, \"mac\": \"" MAC0 "\"", "");
	read_fails_keeping(&s, -EAGAIN, "0e:00:00:00:00:03: device-number 0");
	state_free(&s);
}

static void test_address_outside_its_subnet_is_reported_not_applied(void **state)
{
	struct desired_state s;

	state_init(&s);
	read_ok(&s);
	set_world(steady_v4_0, "\"10.0.1.20\", \"10.0.9.9\"", steady_pfx_0, "", "");
	read_fails_keeping(&s, -EINVAL, "10.0.9.9 of eni-0000000000000002 is outside");
	state_free(&s);
}

/* IMDS allows 1024 packets/s per ENI: one read of two ENIs must stay a few dozen requests. */
static void test_one_read_costs_few_requests(void **state)
{
	struct desired_state s;
	long before;

	state_init(&s);
	read_ok(&s);
	before = imds_emu_stat(&emu, "requests");
	read_ok(&s);
	/* mac, macs/, and per MAC its listing and the keys it lists */
	assert_true(imds_emu_stat(&emu, "requests") - before <= 2 + 2 * 10);
	state_free(&s);
}


/* ---- compose: IMDS's ENIs with the rule sources ---- */

static const char *sgs_doc =
	"{\"SecurityGroups\": ["
	" {\"GroupId\": \"sg-web\", \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 443,"
	"  \"ToPort\": 443, \"UserIdGroupPairs\": [{\"GroupId\": \"sg-admin\"}]}]},"
	" {\"GroupId\": \"sg-admin\", \"IpPermissions\": [{\"IpProtocol\": \"-1\","
	"  \"UserIdGroupPairs\": [{\"GroupId\": \"sg-db\"}]}]},"
	" {\"GroupId\": \"sg-unrelated\", \"IpPermissions\": [{\"IpProtocol\": \"-1\","
	"  \"PrefixListIds\": [{\"PrefixListId\": \"pl-elsewhere\"}]}]}]}";

/* A VPC's ENIs: a remote one in sg-admin, and a stale copy of a local one (IMDS wins). */
static const char *ifs_doc =
	"{\"NetworkInterfaces\": ["
	" {\"NetworkInterfaceId\": \"eni-remote\", \"MacAddress\": \"0e:00:00:00:00:99\","
	"  \"PrivateIpAddresses\": [{\"PrivateIpAddress\": \"10.0.2.50\", \"Primary\": true}],"
	"  \"Groups\": [{\"GroupId\": \"sg-admin\"}]},"
	" {\"NetworkInterfaceId\": \"eni-0000000000000001\", \"MacAddress\": \"" MAC0 "\","
	"  \"PrivateIpAddresses\": [{\"PrivateIpAddress\": \"10.0.1.99\", \"Primary\": true}],"
	"  \"Groups\": [{\"GroupId\": \"sg-admin\"}]}]}";

static const char *cfg_doc =
	"{\"enis\": [{\"mac\": \"" MAC1 "\", \"mode\": \"audit\", \"security_groups\": [],"
	"  \"vpc_cidr\": \"10.0.0.0/20\","
	"  \"addresses\": [{\"address\": \"10.0.1.20\", \"security_groups\": [\"sg-ops\"]},"
	"                 {\"address\": \"10.0.1.77\", \"security_groups\": [\"sg-ops\"]}]}],"
	" \"security_groups\": [{\"id\": \"sg-ops\", \"ingress\": [{\"protocol\": \"tcp\","
	"  \"ports\": 22, \"from\": [\"192.0.2.0/24\"]}]}]}";

static const char *doc_path(const char *name, const char *text)
{
	static char paths[4][PATH_MAX];
	static int next;
	char *p = paths[next++ % 4];
	FILE *f;

	if (!doc_dir[0]) {
		snprintf(doc_dir, sizeof(doc_dir), "/tmp/eniaddr-compose-%d-XXXXXX", getpid());
		assert_non_null(mkdtemp(doc_dir));
	}
	snprintf(p, PATH_MAX, "%s/%s", doc_dir, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

static bool is_member(const struct desired_state *s, const char *group, const char *addr)
{
	const struct group *g = state_find_group(s, group);
	struct ip_prefix p;

	assert_int_equal(ip_prefix_parse(addr, &p), 0);
	for (size_t i = 0; g && i < g->members.n; i++)
		if (ip_prefix_equal(&g->members.v[i], &p))
			return true;
	return false;
}

static void compose_ok(const struct compose_inputs *in, struct desired_state *s)
{
	int ret = compose_build(in, s, &e);

	if (ret)
		fail_msg("compose_build: %d %s", ret, e.msg);
}

static void test_compose_members_are_local_enis_in_the_group_and_remote_ones(void **state)
{
	struct compose_inputs in = {
		.imds = client,
		.security_groups_path = doc_path("sgs.json", sgs_doc),
		.interfaces_path = doc_path("ifs.json", ifs_doc),
	};
	struct group_refs empty = {};
	struct desired_state s;

	state_init(&s);
	compose_ok(&in, &s);
	assert_int_equal(s.enis.n, 2);
	/* sg-admin: eth1 (local, IMDS says so) and the remote ENI; the doc's stale copy of eth0
	 * does not make eth0 a member. */
	assert_true(is_member(&s, "sg-admin", "10.0.1.20"));
	assert_true(is_member(&s, "sg-admin", "10.0.2.50"));
	assert_false(is_member(&s, "sg-admin", "10.0.1.99"));
	assert_false(is_member(&s, "sg-admin", "10.0.1.10"));
	assert_true(is_member(&s, "sg-web", "10.0.1.10"));
	assert_null(state_find_group(&s, "sg-unrelated")); /* pruned: its pl- is unknown */
	assert_int_equal(compose_groups_without_members(&s, &empty), 0);
	assert_int_equal(empty.ids.n, 1);
	assert_string_equal(empty.ids.v[0], "sg-db");
	free(empty.ids.v[0]);
	VEC_FREE(&empty.ids);
	state_free(&s);
}

static void test_compose_config_entry_matched_by_mac_sets_mode_and_overrides(void **state)
{
	struct compose_inputs in = {
		.imds = client,
		.security_groups_path = doc_path("sgs.json", sgs_doc),
		.config_path = doc_path("cfg.json", cfg_doc),
	};
	struct desired_state s;
	const struct eni *eth1;

	state_init(&s);
	compose_ok(&in, &s);
	eth1 = &s.enis.v[1];
	assert_int_equal(eth1->mode, ENIADDR_MODE_AUDIT);
	assert_int_equal(s.enis.v[0].mode, ENIADDR_MODE_ENFORCE);
	assert_int_equal(eth1->groups.ids.n, 2); /* [] kept IMDS's groups */
	assert_true(eth1->addrs.v[0].has_override);
	assert_string_equal(eth1->addrs.v[0].groups.ids.v[0], "sg-ops");
	assert_int_equal(eth1->addrs.n, 1); /* 10.0.1.77 is not assigned: not added */
	assert_non_null(state_find_group(&s, "sg-ops"));
	/* the config names eth1's VPC (IMDS lists none for it); eth0 keeps IMDS's */
	assert_true(eth1->has_vpc && eth1->vpc.plen == 96 + 20);
	assert_non_null(strstr(eth1->vpc_where, "cfg.json"));
	assert_true(s.enis.v[0].has_vpc && s.enis.v[0].vpc.plen == 96 + 16);
	state_free(&s);
}

static void test_compose_without_rule_source_routes_and_drops_nothing(void **state)
{
	struct compose_inputs in = { .imds = client };
	struct desired_state s;
	char why[128];

	state_init(&s);
	compose_ok(&in, &s);
	assert_int_equal(s.enis.n, 2);
	assert_int_equal(s.enis.v[0].mode, ENIADDR_MODE_AUDIT);
	assert_int_equal(s.enis.v[0].groups.ids.n, 0);
	assert_int_equal(s.groups.n, 0);
	assert_non_null(strstr(compose_rules_source(&in, why, sizeof(why)), "none"));
	state_free(&s);
}

static void test_compose_undescribed_group_of_an_eni_is_an_error(void **state)
{
	struct compose_inputs in = {
		.imds = client,
		.security_groups_path = doc_path("few.json", "{\"SecurityGroups\": [{\"GroupId\":"
						 " \"sg-web\", \"IpPermissions\": []}]}"),
	};
	struct desired_state s;

	state_init(&s);
	assert_int_equal(compose_build(&in, &s, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "sg-admin"));
	assert_int_equal(s.enis.n, 0);
	state_free(&s);
}

static void test_compose_invalid_rule_files_fail_naming_them(void **state)
{
	struct compose_inputs in = { .imds = client,
				     .security_groups_path = doc_path("sgs.json", sgs_doc) };
	struct desired_state s;

	state_init(&s);
	compose_ok(&in, &s);
	in.security_groups_path = doc_path("bad-sgs.json", "{\"SecurityGroups\": [");
	err_clear(&e);
	assert_int_equal(compose_build(&in, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "bad-sgs.json"));
	in.security_groups_path = NULL;
	in.config_path = doc_path("bad-cfg.json", "{\"enis\": [{\"mac\": \"" MAC1 "\", "
				  "\"mode\": \"loud\", \"security_groups\": [], "
				  "\"addresses\": []}]}");
	err_clear(&e);
	assert_int_equal(compose_build(&in, &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "bad-cfg.json: enis[0]"));
	assert_int_equal(s.enis.n, 2); /* the last good state */
	assert_non_null(state_find_group(&s, "sg-web"));
	state_free(&s);
}

static void test_compose_keeps_last_state_when_imds_fails(void **state)
{
	struct compose_inputs in = { .imds = client,
				     .security_groups_path = doc_path("sgs.json", sgs_doc) };
	struct desired_state s;

	state_init(&s);
	compose_ok(&in, &s);
	set_faults("\"status\": 500");
	err_clear(&e);
	assert_int_equal(compose_build(&in, &s, &e), -EIO);
	assert_int_equal(s.enis.n, 2);
	assert_non_null(state_find_group(&s, "sg-web"));
	state_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_emulator_answers_in_imds_shapes, reset),
		cmocka_unit_test_setup(test_steady_state_reads_every_eni_in_device_order, reset),
		cmocka_unit_test_setup(test_ipv6_endpoint_reads_the_same, reset),
		cmocka_unit_test_setup(test_vpc_primary_block_is_the_singular_key, reset),
		cmocka_unit_test_setup(test_added_removed_and_reassigned_addresses_show_on_next_read,
				       reset),
		cmocka_unit_test_setup(test_added_and_removed_prefixes_show_on_next_read, reset),
		cmocka_unit_test_setup(test_outage_dropped_connections_fail_and_keep_last_state,
				       reset),
		cmocka_unit_test_setup(
			test_outage_503_fails_after_bounded_retries_and_keeps_last_state, reset),
		cmocka_unit_test_setup(test_a_few_503s_or_429s_are_retried_transparently, reset),
		cmocka_unit_test_setup(test_timeouts_fail_and_keep_last_state, reset),
		cmocka_unit_test_setup(test_one_401_takes_a_new_token_and_succeeds, reset),
		cmocka_unit_test_setup(test_401_storm_fails_cleanly_and_keeps_last_state, reset),
		cmocka_unit_test_setup(test_token_is_reused_and_renewed_before_it_expires, reset),
		cmocka_unit_test_setup(test_malformed_answers_fail_naming_the_key, reset),
		cmocka_unit_test_setup(test_odd_mac_listings_fail, reset),
		cmocka_unit_test_setup(test_listed_key_answering_404_is_an_error_not_none, reset),
		cmocka_unit_test_setup(test_hotplugged_eni_without_keys_is_eagain_naming_the_mac,
				       reset),
		cmocka_unit_test_setup(test_hotplugged_eni_with_device_number_0_is_eagain, reset),
		cmocka_unit_test_setup(test_address_outside_its_subnet_is_reported_not_applied,
				       reset),
		cmocka_unit_test_setup(test_one_read_costs_few_requests, reset),
		cmocka_unit_test_setup(
			test_compose_members_are_local_enis_in_the_group_and_remote_ones, reset),
		cmocka_unit_test_setup(
			test_compose_config_entry_matched_by_mac_sets_mode_and_overrides, reset),
		cmocka_unit_test_setup(test_compose_without_rule_source_routes_and_drops_nothing,
				       reset),
		cmocka_unit_test_setup(test_compose_undescribed_group_of_an_eni_is_an_error, reset),
		cmocka_unit_test_setup(test_compose_invalid_rule_files_fail_naming_them, reset),
		cmocka_unit_test_setup(test_compose_keeps_last_state_when_imds_fails, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
