// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_unit_nexthop.c — the redirect next hops the compiler derives from each ENI's
 * "subnets" (loader/compile_nexthop.c), without privileges: native JSON in, compiled
 * eniaddr_nexthop entries (or one error line naming the item) out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "compile/compile.h"
#include "source/native.h"
#include "state.h"

#define SG "\"security_groups\": [{\"id\": \"sg-a\"}]"

/* Parses text, gives the ENIs ifindexes 10, 11, ... and compiles slot. */
static int compile_text(const char *text, unsigned int slot, struct compiled *out, struct err *e)
{
	struct desired_state s;
	int ret;

	state_init(&s);
	ret = source_native_parse(text, "cfg.json", &s, e);
	for (size_t i = 0; !ret && i < s.enis.n; i++)
		s.enis.v[i].ifindex = 10 + (int)i;
	if (!ret)
		ret = compile_state(&s, slot, out, e);
	state_free(&s);
	return ret;
}

static void addr_text(const __u8 a[16], char *buf, size_t len)
{
	ip_addr_format(a, buf, len);
}

/* Masks print as IPv6: they cover the ::ffff:0:0/96 part of an IPv4 subnet too. */
struct want_nh {
	__u32 ifindex, family;
	const char *subnet, *mask, *gateway;
	__u32 plen;
};

static void check_entry(const struct compiled_nexthop *got, const struct want_nh *w,
			unsigned int slot)
{
	char s[64], m[64], g[64];

	addr_text(got->v.subnet, s, sizeof(s));
	addr_text(got->v.mask, m, sizeof(m));
	addr_text(got->v.gateway, g, sizeof(g));
	assert_int_equal(got->k.slot, slot);
	assert_int_equal(got->k.ifindex, w->ifindex);
	assert_int_equal(got->k.family, w->family);
	assert_string_equal(s, w->subnet);
	assert_string_equal(m, w->mask);
	assert_string_equal(g, w->gateway);
	assert_int_equal(got->v.plen, w->plen);
	assert_int_equal(got->v.flags, 0);
}

static void test_entries_per_eni_and_family(void **state)
{
	const char *text =
		"{\"enis\": ["
		" {\"interface\": \"eth0\", \"security_groups\": [\"sg-a\"],"
		"  \"addresses\": [\"192.0.2.10\", \"2001:db8:a::10\"],"
		"  \"subnets\": [\"2001:db8:a::/64\", \"192.0.2.0/24\"]},"
		" {\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"
		"  \"addresses\": [\"198.51.100.20\"], \"prefixes\": [\"198.51.100.32/28\"],"
		"  \"subnets\": [\"198.51.100.0/26\"]},"
		" {\"interface\": \"eth2\", \"security_groups\": [\"sg-a\"],"
		"  \"addresses\": [\"203.0.113.9\"]}], " SG "}";
	static const struct want_nh want[] = {
		{ 10, ENIADDR_AF_INET, "192.0.2.0",
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00", "192.0.2.1", 120 },
		{ 10, ENIADDR_AF_INET6, "2001:db8:a::", "ffff:ffff:ffff:ffff::", "2001:db8:a::1",
		  64 },
		{ 11, ENIADDR_AF_INET, "198.51.100.0",
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffc0", "198.51.100.1", 122 },
	};
	struct compiled c;
	struct err e = { "" };

	(void)state;
	assert_int_equal(compile_text(text, 1, &c, &e), 0);
	/* eth2 has no subnet: no entry, the kernel's route lookup decides for it. */
	assert_int_equal(c.nexthops.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < c.nexthops.n; i++)
		check_entry(&c.nexthops.v[i], &want[i], 1);
	compiled_free(&c);
	assert_int_equal(c.nexthops.n, 0);
}

/* The mask covers the IPv4-mapped prefix too: an IPv6 destination never matches IPv4 subnets. */
static void test_v4_mask_in_mapped_space(void **state)
{
	const char *text =
		"{\"enis\": [{\"interface\": \"eth0\", \"security_groups\": [\"sg-a\"],"
		" \"addresses\": [\"10.0.0.5\"], \"subnets\": [\"10.0.0.0/8\"]}], " SG "}";
	struct compiled c;
	struct err e = { "" };
	static const __u8 mask[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0 };

	(void)state;
	assert_int_equal(compile_text(text, 0, &c, &e), 0);
	assert_int_equal(c.nexthops.n, 1);
	assert_memory_equal(c.nexthops.v[0].v.mask, mask, 16);
	assert_int_equal(c.nexthops.v[0].v.gateway[15], 1);
	assert_int_equal(c.nexthops.v[0].v.gateway[12], 10);
	compiled_free(&c);
}

struct bad_case {
	const char *name;
	const char *eni; /* one ENI object */
	const char *msg; /* must appear in the error */
};

static void test_bad_subnets(void **state)
{
	static const struct bad_case cases[] = {
		{ "two ipv4 subnets",
		  "\"addresses\": [\"10.0.0.5\"], \"subnets\": [\"10.0.0.0/24\", \"10.0.1.0/24\"]",
		  "cfg.json: enis[0]: subnets: two IPv4 subnets (10.0.0.0/24, 10.0.1.0/24)" },
		{ "two ipv6 subnets",
		  "\"addresses\": [\"10.0.0.5\"], \"subnets\": [\"2001:db8::/64\", \"2001:db8:1::/64\"]",
		  "two IPv6 subnets (2001:db8::/64, 2001:db8:1::/64)" },
		{ "no room for a router",
		  "\"addresses\": [\"10.0.0.5\"], \"subnets\": [\"10.0.0.4/31\"]",
		  "cfg.json: enis[0]: subnets: 10.0.0.4/31 is too small to hold a router" },
		{ "address outside",
		  "\"addresses\": [\"10.0.0.5\", \"10.0.9.5\"], \"subnets\": [\"10.0.0.0/24\"]",
		  "cfg.json: enis[0].addresses[1]: 10.0.9.5 is outside the ENI's subnet 10.0.0.0/24" },
		{ "v6 address outside",
		  "\"addresses\": [\"10.0.0.5\", \"2001:db8:9::1\"], \"subnets\": [\"2001:db8::/64\"]",
		  "2001:db8:9::1 is outside the ENI's subnet 2001:db8::/64" },
		{ "prefix outside",
		  "\"addresses\": [\"10.0.0.5\"], \"prefixes\": [\"10.0.0.240/28\", \"10.1.0.0/28\"],"
		  " \"subnets\": [\"10.0.0.0/24\"]",
		  "cfg.json: enis[0]: prefix 10.1.0.0/28 is outside the ENI's subnet 10.0.0.0/24" },
	};
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		struct compiled c;
		struct err e = { "" };
		int ret;

		snprintf(text, sizeof(text), "{\"enis\": [{\"interface\": \"eth0\", "
			 "\"security_groups\": [\"sg-a\"], %s}], " SG "}", cases[i].eni);
		ret = compile_text(text, 0, &c, &e);
		if (ret != -EINVAL || !strstr(e.msg, cases[i].msg)) {
			print_error("%s: returned %d, message '%s', want '%s'\n", cases[i].name, ret,
				    e.msg, cases[i].msg);
			failed++;
		}
		if (!ret)
			compiled_free(&c);
	}
	if (failed)
		fail_msg("%d cases failed", failed);
}

/* One subnet per family is fine, and so is none. */
static void test_good_subnets(void **state)
{
	static const char *const enis[] = {
		"\"addresses\": [\"10.0.0.5\"]",
		"\"addresses\": [\"10.0.0.5\"], \"subnets\": [\"10.0.0.0/28\"]",
		"\"addresses\": [\"10.0.0.5\", \"2001:db8::5\"], \"prefixes\": [\"2001:db8:0:0:1::/80\"],"
		" \"subnets\": [\"2001:db8::/64\"]",
		"\"addresses\": [\"10.0.0.5\"], \"subnets\": [\"10.0.0.0/16\", \"2001:db8::/56\"]",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(enis) / sizeof(enis[0]); i++) {
		char text[1024];
		struct compiled c;
		struct err e = { "" };

		snprintf(text, sizeof(text), "{\"enis\": [{\"interface\": \"eth0\", "
			 "\"security_groups\": [\"sg-a\"], %s}], " SG "}", enis[i]);
		if (compile_text(text, 0, &c, &e))
			fail_msg("case %zu: %s", i, e.msg);
		compiled_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_per_eni_and_family),
		cmocka_unit_test(test_v4_mask_in_mapped_space),
		cmocka_unit_test(test_bad_subnets),
		cmocka_unit_test(test_good_subnets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
