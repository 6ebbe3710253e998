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
#include "source/imds.h"
#include "state.h"

#define MAC0 "0e:00:00:00:00:01"
#define MAC1 "0e:00:00:00:00:02"

static struct netns ns;
static struct imds_emu emu;
static struct imds_client *client;
static struct err e;

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
	state_free(&s);
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

static void test_a_few_503s_are_retried_transparently(void **state)
{
	struct desired_state s;

	state_init(&s);
	set_faults("\"status\": 503, \"status_count\": 2");
	read_ok(&s);
	assert_int_equal(s.enis.n, 2);
	state_free(&s);
}

static void test_throttling_429_is_retried(void **state)
{
	struct desired_state s;

	state_init(&s);
	set_faults("\"status\": 429, \"status_count\": 3");
	read_ok(&s);
	assert_int_equal(s.enis.n, 2);
	state_free(&s);
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
	read_ok(&s);
	read_ok(&s);
	assert_int_equal(imds_emu_stat(&emu, "token_puts"), puts); /* reused */
	/* Tokens now live 1 s: the client renews before expiry and never sees a 401. */
	set_faults("\"token_ttl_s\": 1");
	imds_client_free(client);
	assert_int_equal(imds_client_new(NULL, &client, &e), 0);
	read_ok(&s);
	puts = imds_emu_stat(&emu, "token_puts");
	unauthorized = imds_emu_stat(&emu, "unauthorized");
	usleep(900 * 1000);
	read_ok(&s);
	assert_true(imds_emu_stat(&emu, "token_puts") > puts);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_steady_state_reads_every_eni_in_device_order, reset),
		cmocka_unit_test_setup(test_added_removed_and_reassigned_addresses_show_on_next_read,
				       reset),
		cmocka_unit_test_setup(test_added_and_removed_prefixes_show_on_next_read, reset),
		cmocka_unit_test_setup(test_outage_dropped_connections_fail_and_keep_last_state,
				       reset),
		cmocka_unit_test_setup(
			test_outage_503_fails_after_bounded_retries_and_keeps_last_state, reset),
		cmocka_unit_test_setup(test_a_few_503s_are_retried_transparently, reset),
		cmocka_unit_test_setup(test_throttling_429_is_retried, reset),
		cmocka_unit_test_setup(test_timeouts_fail_and_keep_last_state, reset),
		cmocka_unit_test_setup(test_one_401_takes_a_new_token_and_succeeds, reset),
		cmocka_unit_test_setup(test_401_storm_fails_cleanly_and_keeps_last_state, reset),
		cmocka_unit_test_setup(test_token_is_reused_and_renewed_before_it_expires, reset),
		cmocka_unit_test_setup(test_malformed_answers_fail_naming_the_key, reset),
		cmocka_unit_test_setup(test_hotplugged_eni_without_keys_is_eagain_naming_the_mac,
				       reset),
		cmocka_unit_test_setup(test_hotplugged_eni_with_device_number_0_is_eagain, reset),
		cmocka_unit_test_setup(test_address_outside_its_subnet_is_reported_not_applied,
				       reset),
		cmocka_unit_test_setup(test_one_read_costs_few_requests, reset),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
