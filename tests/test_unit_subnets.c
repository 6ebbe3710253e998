// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_unit_subnets.c — ENI subnets taken from the local interfaces' own prefixes when the
 * source gave none (loader/source/local_subnets.c), without privileges: native JSON and literal
 * interface-address lists in, the ENIs' subnets out, and the result still validates and compiles
 * (compile_nexthop rejects a subnet that misses an address of the ENI).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "compile/compile.h"
#include "source/local_subnets.h"
#include "source/native.h"
#include "state.h"

#define MAX_IFADDRS 6
#define MAX_ENIS    2

/* An interface address as `ip addr` shows it: the host bits stay. */
struct ifaddr_lit {
	const char *ifname, *addr;
	int len; /* family length: 24, 64, ... */
};

struct fill_case {
	const char *name;
	const char *enis;                       /* the "enis" array's members */
	struct ifaddr_lit ifaddrs[MAX_IFADDRS]; /* ends at ifname NULL */
	const char *want[MAX_ENIS];             /* each ENI's subnets, space-separated, in order */
};

static const struct fill_case cases[] = {
	{ "fills IPv4 and IPv6 from the primary's prefixes",
	  "{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"], \"addresses\":"
	  " [\"192.0.2.20\", \"192.0.2.21\", \"2001:db8:a::20\", \"2001:db8:a::21\"]}",
	  { { "eth1", "192.0.2.20", 24 }, { "eth1", "192.0.2.21", 32 },
	    { "eth1", "2001:db8:a::20", 64 }, { "eth1", "2001:db8:a::21", 64 } },
	  { "192.0.2.0/24 2001:db8:a::/64" } },
	{ "keeps what the config gave, fills the other family",
	  "{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"], \"subnets\": [\"192.0.2.0/25\"],"
	  " \"addresses\": [\"192.0.2.20\", \"2001:db8:a::20\"]}",
	  { { "eth1", "192.0.2.20", 24 }, { "eth1", "2001:db8:a::20", 64 } },
	  { "192.0.2.0/25 2001:db8:a::/64" } },
	{ "keeps both when the config gave both",
	  "{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"
	  " \"subnets\": [\"2001:db8:a::/56\", \"192.0.2.0/23\"],"
	  " \"addresses\": [\"192.0.2.20\", \"2001:db8:a::20\"]}",
	  { { "eth1", "192.0.2.20", 24 }, { "eth1", "2001:db8:a::20", 64 } },
	  { "2001:db8:a::/56 192.0.2.0/23" } },
	{ "ignores host prefixes (/32, /128)",
	  "{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"
	  " \"addresses\": [\"192.0.2.20\", \"2001:db8:a::20\"]}",
	  { { "eth1", "192.0.2.20", 32 }, { "eth1", "2001:db8:a::20", 128 } },
	  { "" } },
	{ "ignores prefixes too small for a router (/31, /127)",
	  "{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"
	  " \"addresses\": [\"192.0.2.20\", \"2001:db8:a::20\"]}",
	  { { "eth1", "192.0.2.20", 31 }, { "eth1", "2001:db8:a::20", 127 } },
	  { "" } },
	{ "picks the prefix containing the addresses, not another network of the interface",
	  "{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"], \"addresses\": [\"192.0.2.20\"]}",
	  { { "eth1", "10.9.0.5", 8 }, { "eth1", "192.0.2.20", 24 }, { "eth1", "198.51.100.7", 16 } },
	  { "192.0.2.0/24" } },
	{ "the primary's own prefix wins over a shorter one",
	  "{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"
	  " \"addresses\": [\"192.0.2.20\", \"192.0.2.21\"]}",
	  { { "eth1", "192.0.0.7", 16 }, { "eth1", "192.0.2.20", 24 } },
	  { "192.0.2.0/24" } },
	{ "primary not configured locally: the shortest prefix holding the addresses",
	  "{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"
	  " \"addresses\": [\"192.0.2.20\", \"192.0.2.21\"]}",
	  { { "eth1", "192.0.2.21", 25 }, { "eth1", "192.0.2.22", 24 },
	    { "eth1", "192.0.2.21", 32 } },
	  { "192.0.2.0/24" } },
	{ "leaves it unset when no prefix holds every address and prefix",
	  "{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"
	  " \"addresses\": [\"192.0.2.20\", \"192.0.2.200\", \"2001:db8:a::20\"],"
	  " \"prefixes\": [\"2001:db8:b::/80\"]}",
	  { { "eth1", "192.0.2.20", 25 }, { "eth1", "2001:db8:a::20", 64 } },
	  { "" } },
	{ "only the ENI's own interface counts",
	  "{\"interface\": \"eth0\", \"security_groups\": [\"sg-a\"], \"addresses\": [\"192.0.2.10\"]},"
	  " {\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"], \"addresses\": [\"192.0.2.20\"]}",
	  { { "eth0", "192.0.2.10", 24 }, { "eth9", "192.0.2.20", 24 } },
	  { "192.0.2.0/24", "" } },
};

static void lit_prefix(const struct ifaddr_lit *l, struct if_prefix *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->ifname, sizeof(out->ifname), "%s", l->ifname);
	assert_int_equal(ip_addr_parse(l->addr, out->p.addr), 0);
	out->p.plen = (uint8_t)(ip_is_v4(out->p.addr) ? 96 + l->len : l->len);
}

static void subnets_text(const struct eni *n, char *buf, size_t len)
{
	char p[IP_PREFIX_STRLEN];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n->subnets.n && used < len; i++) {
		ip_prefix_format(&n->subnets.v[i], false, p, sizeof(p));
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "", p);
	}
}

static void test_fill_cases(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const struct fill_case *k = &cases[c];
		struct if_prefix l[MAX_IFADDRS];
		struct desired_state s;
		struct compiled out = {};
		struct err e = { "" };
		char text[2048], got[256];
		size_t n = 0;

		while (n < MAX_IFADDRS && k->ifaddrs[n].ifname) {
			lit_prefix(&k->ifaddrs[n], &l[n]);
			n++;
		}
		snprintf(text, sizeof(text), "{\"enis\": [%s], \"security_groups\": [{\"id\": "
			 "\"sg-a\"}]}", k->enis);
		state_init(&s);
		assert_int_equal(source_native_parse(text, "cfg.json", &s, &e), 0);
		for (size_t i = 0; i < s.enis.n; i++)
			s.enis.v[i].ifindex = 10 + (int)i;
		assert_int_equal(local_subnets_fill(&s, l, n, &e), 0);
		for (size_t i = 0; i < s.enis.n; i++) {
			subnets_text(&s.enis.v[i], got, sizeof(got));
			if (strcmp(got, k->want[i] ? k->want[i] : "")) {
				print_error("%s: ENI %zu: subnets \"%s\", want \"%s\"\n", k->name, i,
					    got, k->want[i] ? k->want[i] : "");
				failed++;
			}
		}
		/* What it filled is accepted downstream: the whole state still validates and
		 * compiles, with one next hop per subnet. */
		if (state_validate(&s, &e) || compile_state(&s, 0, &out, &e)) {
			print_error("%s: rejected downstream: %s\n", k->name, e.msg);
			failed++;
		} else {
			size_t subs = 0;

			for (size_t i = 0; i < s.enis.n; i++)
				subs += s.enis.v[i].subnets.n;
			assert_int_equal(out.nexthops.n, subs);
		}
		compiled_free(&out);
		state_free(&s);
	}
	if (failed)
		fail_msg("%d check(s) failed", failed);
}

/* Filling twice changes nothing: a subnet filled once counts as given. */
static void test_fill_is_idempotent(void **state)
{
	static const struct ifaddr_lit lits[] = { { "eth1", "192.0.2.20", 24 },
						  { "eth1", "2001:db8:a::20", 64 } };
	const char *text = "{\"enis\": [{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"
			   " \"addresses\": [\"192.0.2.20\", \"2001:db8:a::20\"]}],"
			   " \"security_groups\": [{\"id\": \"sg-a\"}]}";
	struct if_prefix l[2];
	struct desired_state s;
	struct err e = { "" };
	char got[256];

	(void)state;
	lit_prefix(&lits[0], &l[0]);
	lit_prefix(&lits[1], &l[1]);
	state_init(&s);
	assert_int_equal(source_native_parse(text, "cfg.json", &s, &e), 0);
	assert_int_equal(local_subnets_fill(&s, l, 2, &e), 0);
	assert_int_equal(local_subnets_fill(&s, l, 2, &e), 0);
	subnets_text(&s.enis.v[0], got, sizeof(got));
	assert_string_equal(got, "192.0.2.0/24 2001:db8:a::/64");
	state_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_cases),
		cmocka_unit_test(test_fill_is_idempotent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
