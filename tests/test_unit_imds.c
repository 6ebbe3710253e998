// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_unit_imds.c — the IMDS text rules (imds_parse.h) and the retry schedule
 * (imds_http.h), without a network. Every malformed shape is an error naming the key and line,
 * never a shorter list; the schedule grows, stays bounded and jitters within its band.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "source/imds_http.h"
#include "source/imds_parse.h"

static struct err e;

static int split(const char *text, struct imds_lines *l)
{
	err_clear(&e);
	return imds_lines_split(text, strlen(text), "macs/0e:00:00:00:00:01/local-ipv4s", l, &e);
}

static void test_lines_one_item_per_line_without_trailing_newline(void **state)
{
	struct imds_lines l;

	assert_int_equal(split("10.0.1.10\n10.0.1.11", &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "10.0.1.10");
	assert_string_equal(l.v[1], "10.0.1.11");
	assert_true(imds_lines_has(&l, "10.0.1.11"));
	assert_false(imds_lines_has(&l, "10.0.1.1"));
	imds_lines_free(&l);
}

static void refused(const char *text, const char *in_msg)
{
	struct imds_lines l;

	if (split(text, &l) != -EPROTO || !strstr(e.msg, in_msg) ||
	    !strstr(e.msg, "local-ipv4s"))
		fail_msg("'%s': want -EPROTO naming '%s', got: %s", text, in_msg, e.msg);
	assert_null(l.v);
	assert_int_equal(l.n, 0);
}

static void test_lines_crlf_empty_lines_and_trailing_garbage_refused(void **state)
{
	refused("10.0.1.10\r\n10.0.1.11", "CR");
	refused("10.0.1.10\n", "trailing newline");
	refused("10.0.1.10\n\n10.0.1.11", "line 2 is empty");
	refused("\n10.0.1.10", "line 1 is empty");
	refused("10.0.1.10 ", "0x20");
	refused("10.0.1.10\t#", "0x09");
	refused("", "empty answer");
	refused("10.0.1.10\n10.0.1.11\x01", "line 2: unexpected byte 0x01");
}

static void test_addresses_parse_as_addresses_uncompressed_ipv6_included(void **state)
{
	struct ip_prefix a, b;

	assert_int_equal(imds_parse_addr("ipv6s", 1, "2001:0db8:0001:0000:0000:0000:0000:0010", 6,
					 &a, &e), 0);
	assert_int_equal(imds_parse_addr("ipv6s", 1, "2001:db8:1::10", 6, &b, &e), 0);
	assert_true(ip_prefix_equal(&a, &b));
	assert_int_equal(a.plen, 128);
	assert_int_equal(imds_parse_addr("local-ipv4s", 1, "10.0.1.10", 4, &a, &e), 0);
	assert_true(ip_prefix_is_v4(&a));
}

static void bad_addr(const char *s, int family, const char *in_msg)
{
	struct ip_prefix p;

	err_clear(&e);
	if (imds_parse_addr("k", 3, s, family, &p, &e) != -EPROTO || !strstr(e.msg, in_msg) ||
	    !strstr(e.msg, "k: line 3"))
		fail_msg("'%s': want -EPROTO naming '%s', got: %s", s, in_msg, e.msg);
}

static void test_wrong_family_or_garbage_addresses_refused(void **state)
{
	bad_addr("10.0.1.300", 4, "not an IPv4 address");
	bad_addr("10.0.1.10/32", 4, "not an IPv4 address");
	bad_addr("10.0.1.10x", 4, "not an IPv4 address");
	bad_addr("2001:db8::1", 4, "is not IPv4");
	bad_addr("10.0.1.10", 6, "is not IPv6");
	bad_addr("::ffff:10.0.1.10", 6, "is not an IPv6 address"); /* IPv4-mapped: refused */
	bad_addr("2001:db8::g", 6, "not an IPv6 address");
}

static void test_prefixes_and_subnets_need_a_length_and_the_family(void **state)
{
	struct ip_prefix p, q;

	assert_int_equal(imds_parse_cidr("ipv6-prefix", 1, "2001:0db8:0001:0000:0001::/80", 6, &p,
					 &e), 0);
	assert_int_equal(imds_parse_cidr("ipv6-prefix", 1, "2001:db8:1:0:1::/80", 6, &q, &e), 0);
	assert_true(ip_prefix_equal(&p, &q));
	err_clear(&e);
	assert_int_equal(imds_parse_cidr("ipv4-prefix", 2, "10.0.1.32", 4, &p, &e), -EPROTO);
	assert_non_null(strstr(e.msg, "ipv4-prefix: line 2: '10.0.1.32' is not an IPv4 CIDR"));
	err_clear(&e);
	assert_int_equal(imds_parse_cidr("ipv4-prefix", 1, "2001:db8::/64", 4, &p, &e), -EPROTO);
	err_clear(&e);
	assert_int_equal(imds_parse_cidr("ipv4-prefix", 1, "10.0.1.32/33", 4, &p, &e), -EPROTO);
}

static void test_numbers_ids_and_macs_strict(void **state)
{
	unsigned long n = 99;
	char id[64];
	uint8_t mac[6];

	assert_int_equal(imds_parse_uint("device-number", "0", 1023, &n, &e), 0);
	assert_int_equal(n, 0);
	assert_int_equal(imds_parse_uint("device-number", "12", 1023, &n, &e), 0);
	assert_int_equal(n, 12);
	assert_int_equal(imds_parse_uint("device-number", "012", 1023, &n, &e), -EPROTO);
	assert_int_equal(imds_parse_uint("device-number", "-1", 1023, &n, &e), -EPROTO);
	assert_int_equal(imds_parse_uint("device-number", "1024", 1023, &n, &e), -EPROTO);
	assert_int_equal(imds_parse_uint("device-number", "", 1023, &n, &e), -EPROTO);
	assert_int_equal(imds_parse_id("interface-id", 1, "eni-0a1b2c", "eni-", id, sizeof(id),
				       &e), 0);
	assert_string_equal(id, "eni-0a1b2c");
	assert_int_equal(imds_parse_id("interface-id", 1, "eni-", "eni-", id, sizeof(id), &e),
			 -EPROTO);
	assert_int_equal(imds_parse_id("security-group-ids", 1, "sg-AB", "sg-", id, sizeof(id),
				       &e), -EPROTO);
	assert_int_equal(imds_parse_id("security-group-ids", 1, "sg-0123456789abcdef0123", "sg-",
				       id, 8, &e), -EPROTO);
	assert_int_equal(imds_parse_mac_dir("macs/", 1, "0e:00:00:00:00:01/", mac, &e), 0);
	assert_int_equal(mac[0], 0x0e);
	assert_int_equal(mac[5], 0x01);
	assert_int_equal(imds_parse_mac_dir("macs/", 1, "0e:00:00:00:00:01", mac, &e), -EPROTO);
	assert_int_equal(imds_parse_mac_dir("macs/", 1, "0E:00:00:00:00:01/", mac, &e), -EPROTO);
	assert_int_equal(imds_parse_mac_dir("macs/", 1, "0e-00-00-00-00-01/", mac, &e), -EPROTO);
}

/* The schedule: band [ceiling/2, ceiling], ceiling doubling from the base up to the cap. */
static void test_backoff_grows_exponentially_bounded_with_jitter(void **state)
{
	unsigned int ceiling = IMDS_BACKOFF_BASE_MS;

	for (unsigned int attempt = 0; attempt < 40; attempt++) {
		unsigned int lo = UINT32_MAX, hi = 0;

		for (uint32_t rnd = 0; rnd < 5000; rnd += 7) {
			unsigned int d = imds_backoff_ms(attempt, rnd * 2654435761u);

			lo = d < lo ? d : lo;
			hi = d > hi ? d : hi;
		}
		if (lo < ceiling / 2 || hi > ceiling)
			fail_msg("attempt %u: %u..%u outside %u..%u", attempt, lo, hi, ceiling / 2,
				 ceiling);
		assert_true(hi > lo); /* jitter: two clients do not retry in step */
		ceiling = ceiling * 2 > IMDS_BACKOFF_CAP_MS ? IMDS_BACKOFF_CAP_MS : ceiling * 2;
	}
	assert_int_equal(imds_backoff_ms(0, 0), IMDS_BACKOFF_BASE_MS);
	assert_int_equal(imds_backoff_ms(1, 0), 2 * IMDS_BACKOFF_BASE_MS);
	assert_int_equal(imds_backoff_ms(31, 0), IMDS_BACKOFF_CAP_MS);
	assert_int_equal(imds_backoff_ms(UINT32_MAX, 0), IMDS_BACKOFF_CAP_MS);
}

/* A whole failed read (default tries) waits well under one poll interval in total. */
static void test_default_retries_wait_under_a_second(void **state)
{
	unsigned int total = 0;

	for (unsigned int t = 0; t + 1 < IMDS_DEFAULT_MAX_TRIES; t++)
		total += imds_backoff_ms(t, 0);
	assert_true(total < 1000);
}

static void test_token_renewed_before_it_ends(void **state)
{
	assert_int_equal(imds_token_margin_ms(21600), 60000);
	assert_int_equal(imds_token_margin_ms(1), 250);
	assert_true(imds_token_margin_ms(60) < 60000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_one_item_per_line_without_trailing_newline),
		cmocka_unit_test(test_lines_crlf_empty_lines_and_trailing_garbage_refused),
		cmocka_unit_test(test_addresses_parse_as_addresses_uncompressed_ipv6_included),
		cmocka_unit_test(test_wrong_family_or_garbage_addresses_refused),
		cmocka_unit_test(test_prefixes_and_subnets_need_a_length_and_the_family),
		cmocka_unit_test(test_numbers_ids_and_macs_strict),
		cmocka_unit_test(test_backoff_grows_exponentially_bounded_with_jitter),
		cmocka_unit_test(test_default_retries_wait_under_a_second),
		cmocka_unit_test(test_token_renewed_before_it_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
