// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_routes.c — what loader/source/routes.c reads from the real kernel: a private
 * namespace with veth interfaces, default routes in several tables (metrics, the main table on a
 * tie, multipath, a nexthop object, link-local IPv6 gateways), neighbours with and without the
 * router flag; then routes_read() inside it, and routes_learn() on a native configuration.
 * Needs root; only the namespace it creates, removed at exit (tests/lib/netns.h).
 */
#include <errno.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "addr.h"
#include "netns.h"
#include "source/native.h"
#include "source/routes.h"
#include "state.h"

static struct netns ns;

/* Each line builds part of the namespace; dN are veths (peers pN), up. */
static const char *const setup_cmds[] = {
	"for i in 0 1 2 3 4 5 6 7 8 9; do ip link add d$i type veth peer name p$i &&"
	" ip link set p$i up && ip link set d$i up || exit 1; done",
	/* d0: two default routes, the lower metric in another table wins. */
	"ip route add default via 192.0.2.1 dev d0 onlink metric 100",
	"ip route add default via 192.0.2.254 dev d0 onlink metric 50 table 200",
	/* d1: equal metrics: the main table's. Not a default route: ignored. */
	"ip route add default via 198.51.100.1 dev d1 onlink metric 7 table 201",
	"ip route add default via 198.51.100.2 dev d1 onlink metric 7",
	"ip route add 10.9.0.0/16 via 198.51.100.9 dev d1 onlink",
	/* d2: an RA's default route, link-local, in a table of its own, beats a router
	 * neighbour. */
	"ip -6 route add default via fe80::1 dev d2 proto ra table 10001",
	"ip -6 neigh replace fe80::2 lladdr 02:00:00:00:00:02 dev d2 router nud reachable",
	/* d3: no route; router neighbours: a reachable one before a stale one, never one without
	 * the router flag. */
	"ip -6 neigh replace fe80::5 lladdr 02:00:00:00:00:05 dev d3 router nud stale",
	"ip -6 neigh replace fe80::6 lladdr 02:00:00:00:00:06 dev d3 router nud reachable",
	"ip -6 neigh replace fe80::4 lladdr 02:00:00:00:00:04 dev d3 nud permanent",
	/* d4, d5: one multipath IPv4 default route over both. */
	"ip route add default table 300 nexthop via 203.0.113.1 dev d4 onlink "
	"nexthop via 203.0.113.2 dev d5 onlink",
	/* d6: a route through a nexthop object. */
	"ip nexthop add id 61 via 10.6.0.1 dev d6 onlink",
	"ip route add default nhid 61 table 400",
	/* d7, d8: multipath IPv6 over link-local gateways. */
	"ip -6 route add default table 301 nexthop via fe80::71 dev d7 nexthop via fe80::72 dev d8",
	/* d9: only a stale neighbour without the router flag. */
	"ip -6 neigh replace fe80::9 lladdr 02:00:00:00:00:09 dev d9 nud stale",
};

struct want {
	const char *dev;
	const char *route4, *route6, *neigh6; /* NULL: none */
};

static const struct want wants[] = {
	{ "d0", "192.0.2.254", NULL, NULL },
	{ "d1", "198.51.100.2", NULL, NULL },
	{ "d2", NULL, "fe80::1", "fe80::2" },
	{ "d3", NULL, NULL, "fe80::6" },
	{ "d4", "203.0.113.1", NULL, NULL },
	{ "d5", "203.0.113.2", NULL, NULL },
	{ "d6", "10.6.0.1", NULL, NULL },
	{ "d7", NULL, "fe80::71", NULL },
	{ "d8", NULL, "fe80::72", NULL },
	{ "d9", NULL, NULL, NULL },
};

static bool same_router(const char *dev, const char *what, const struct kernel_router *r,
			const char *want)
{
	char got[IP_PREFIX_STRLEN] = "none";

	if (r && r->set)
		ip_addr_format(r->addr, got, sizeof(got));
	if (!strcmp(got, want ? want : "none"))
		return true;
	print_error("%s %s: got %s, want %s\n", dev, what, got, want ? want : "none");
	return false;
}

static void test_read_every_source(void **state)
{
	struct kernel_routers k;
	struct err e = { "" };
	int failed = 0;

	(void)state;
	assert_int_equal(netns_enter(&ns), 0);
	assert_int_equal(routes_read(&k, &e), 0);
	for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
		const struct want *w = &wants[i];
		const struct if_routers *ir = routes_of(&k, (int)if_nametoindex(w->dev));

		failed += !same_router(w->dev, "IPv4 route", ir ? &ir->route[ENI_V4] : NULL,
				       w->route4);
		failed += !same_router(w->dev, "IPv6 route", ir ? &ir->route[ENI_V6] : NULL,
				       w->route6);
		failed += !same_router(w->dev, "IPv6 router neighbour",
				       ir ? &ir->neigh[ENI_V6] : NULL, w->neigh6);
		failed += !same_router(w->dev, "IPv4 neighbour", ir ? &ir->neigh[ENI_V4] : NULL,
				       NULL);
	}
	routes_free(&k);
	assert_int_equal(netns_leave(), 0);
	if (failed)
		fail_msg("%d mismatches", failed);
}

/* routes_learn on a configuration: each ENI's routers from its interface, config first. */
static void test_learn_into_state(void **state)
{
	const char *text =
		"{\"enis\": ["
		" {\"interface\": \"d2\", \"security_groups\": [], \"addresses\": [\"192.0.2.20\","
		"  \"2001:db8:a::20\"], \"subnets\": [\"192.0.2.0/24\", \"2001:db8:a::/64\"]},"
		" {\"interface\": \"d3\", \"security_groups\": [], \"addresses\": [\"2001:db8:b::20\"],"
		"  \"subnets\": [\"2001:db8:b::/64\"], \"router6\": \"fe80::99\"},"
		" {\"interface\": \"d9\", \"security_groups\": [], \"addresses\": [\"2001:db8:c::20\"],"
		"  \"subnets\": [\"2001:db8:c::/64\"]}]}";
	static const struct {
		size_t eni;
		enum eni_family f;
		const char *addr;
		enum eniaddr_nh_origin origin;
	} want[] = {
		{ 0, ENI_V4, "192.0.2.1", ENIADDR_NH_GUESS },
		{ 0, ENI_V6, "fe80::1", ENIADDR_NH_ROUTE },
		{ 1, ENI_V6, "fe80::99", ENIADDR_NH_CONFIG },
		{ 2, ENI_V6, "2001:db8:c::1", ENIADDR_NH_GUESS },
	};
	struct desired_state s;
	struct err e = { "" };
	char got[IP_PREFIX_STRLEN];

	(void)state;
	state_init(&s);
	assert_int_equal(source_native_parse(text, "cfg.json", &s, &e), 0);
	assert_int_equal(netns_enter(&ns), 0);
	for (size_t i = 0; i < s.enis.n; i++)
		s.enis.v[i].ifindex = (int)if_nametoindex(s.enis.v[i].ifname);
	assert_int_equal(routes_learn(&s, &e), 1);
	assert_int_equal(routes_learn(&s, &e), 0); /* nothing changed since */
	assert_int_equal(netns_leave(), 0);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct eni_router *r = &s.enis.v[want[i].eni].routers[want[i].f];

		assert_true(r->set);
		ip_addr_format(r->addr, got, sizeof(got));
		assert_string_equal(got, want[i].addr);
		assert_string_equal(router_origin_name(r->origin),
				    router_origin_name(want[i].origin));
	}
	/* d3 has no IPv4 subnet and no IPv4 route: no router, nothing to guess from. */
	assert_false(s.enis.v[1].routers[ENI_V4].set);
	state_free(&s);
}

static int group_setup(void **state)
{
	(void)state;
	if (netns_create(&ns, "routes"))
		return -1;
	for (size_t i = 0; i < sizeof(setup_cmds) / sizeof(setup_cmds[0]); i++) {
		if (netns_exec(&ns, "%s", setup_cmds[i])) {
			fprintf(stderr, "setup failed: %s\n", setup_cmds[i]);
			return -1;
		}
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	netns_destroy(&ns);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_every_source),
		cmocka_unit_test(test_learn_into_state),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_e2e_routes: needs root (network namespaces)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
