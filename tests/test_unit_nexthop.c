// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_unit_nexthop.c — the redirect next hops, without privileges: the choice of each
 * ENI's router per source of truth (configuration, default route, router neighbour, guess;
 * loader/source/routes.c, fed literal kernel views), and the entries the compiler derives from
 * each ENI's "subnets" and router (loader/compile/nexthop.c): native JSON in, compiled
 * eniaddr_nexthop entries (or one error line naming the item) out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "compile/compile.h"
#include "source/native.h"
#include "source/routes.h"
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
	__u32 origin; /* enum eniaddr_nh_origin */
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
	assert_int_equal(got->v.origin, w->origin);
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
		  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00", "192.0.2.1", 120, ENIADDR_NH_GUESS },
		{ 10, ENIADDR_AF_INET6, "2001:db8:a::", "ffff:ffff:ffff:ffff::", "2001:db8:a::1",
		  64, ENIADDR_NH_GUESS },
		{ 11, ENIADDR_AF_INET, "198.51.100.0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffc0",
		  "198.51.100.1", 122, ENIADDR_NH_GUESS },
	};
	struct compiled c;
	struct err e = { "" };

	(void)state;
	assert_int_equal(compile_text(text, 1, &c, &e), 0);
	/* No router learned nor configured: base + 1, marked a guess. eth2 has no subnet: no
	 * entry, the kernel's route lookup decides for it. */
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
		/* the VPC's resolver rides on the IPv4 subnet's entry */
		{ "vpc not ipv4",
		  "\"addresses\": [\"10.0.0.5\"], \"vpc_cidr\": \"2001:db8::/56\"",
		  "cfg.json: enis[0].vpc_cidr: '2001:db8::/56' is not an IPv4 CIDR" },
		{ "vpc not a cidr", "\"addresses\": [\"10.0.0.5\"], \"vpc_cidr\": \"10.0.0.0\"",
		  "cfg.json: enis[0].vpc_cidr: '10.0.0.0' is not a CIDR" },
		{ "vpc not a string", "\"addresses\": [\"10.0.0.5\"], \"vpc_cidr\": 7",
		  "cfg.json: enis[0]" },
		{ "vpc without room for base + 2",
		  "\"addresses\": [\"10.0.0.5\"], \"vpc_cidr\": \"10.0.0.4/31\","
		  " \"subnets\": [\"10.0.0.0/24\"]",
		  "cfg.json: enis[0].vpc_cidr: VPC CIDR 10.0.0.4/31 must be an IPv4 block of at most /30" },
		{ "vpc without an ipv4 subnet",
		  "\"addresses\": [\"10.0.0.5\"], \"vpc_cidr\": \"10.0.0.0/16\"",
		  "cfg.json: enis[0].vpc_cidr: VPC CIDR 10.0.0.0/16 given but cfg.json: enis[0] has no "
		  "IPv4 subnet" },
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

/* "vpc_cidr": the Amazon DNS resolver (the block's base + 2, host bits of the CIDR ignored) rides
 * on the ENI's IPv4 entry, which the egress failsafe reads; the IPv6 entry and ENIs without
 * it carry 0 (judged by the rules). */
static void test_vpc_resolver_in_ipv4_entry(void **state)
{
	const char *text =
		"{\"enis\": ["
		" {\"interface\": \"eth0\", \"security_groups\": [\"sg-a\"],"
		"  \"addresses\": [\"10.20.1.10\", \"2001:db8:a::10\"], \"vpc_cidr\": \"10.20.0.9/16\","
		"  \"subnets\": [\"10.20.1.0/24\", \"2001:db8:a::/64\"]},"
		" {\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"
		"  \"addresses\": [\"10.20.2.10\"], \"subnets\": [\"10.20.2.0/24\"]}], " SG "}";
	struct compiled c;
	struct err e = { "" };
	char dns[INET_ADDRSTRLEN];

	(void)state;
	assert_int_equal(compile_text(text, 0, &c, &e), 0);
	assert_int_equal(c.nexthops.n, 3);
	assert_int_equal(c.nexthops.v[0].k.family, ENIADDR_AF_INET);
	assert_non_null(inet_ntop(AF_INET, &c.nexthops.v[0].v.vpc_dns, dns, sizeof(dns)));
	assert_string_equal(dns, "10.20.0.2");
	assert_int_equal(c.nexthops.v[1].k.family, ENIADDR_AF_INET6);
	assert_int_equal(c.nexthops.v[1].v.vpc_dns, 0);
	assert_int_equal(c.nexthops.v[2].k.ifindex, 11);
	assert_int_equal(c.nexthops.v[2].v.vpc_dns, 0);
	compiled_free(&c);
}

/* ---------------------------------------------------------------- the router per source */

static struct desired_state parsed(const char *text)
{
	struct desired_state s;
	struct err e = { "" };

	state_init(&s);
	if (source_native_parse(text, "cfg.json", &s, &e))
		fail_msg("%s", e.msg);
	for (size_t i = 0; i < s.enis.n; i++)
		s.enis.v[i].ifindex = 10 + (int)i;
	return s;
}

static void kr_set(struct kernel_router *r, const char *addr)
{
	struct ip_prefix p;

	assert_int_equal(ip_prefix_parse(addr, &p), 0);
	r->set = true;
	memcpy(r->addr, p.addr, 16);
}

static void check_router(const struct eni_router *r, const char *addr, enum eniaddr_nh_origin o)
{
	char got[IP_PREFIX_STRLEN];

	if (!addr) {
		assert_false(r->set);
		return;
	}
	assert_true(r->set);
	ip_addr_format(r->addr, got, sizeof(got));
	assert_string_equal(got, addr);
	assert_string_equal(router_origin_name(r->origin), router_origin_name(o));
}

#define ENI_SUBNETS(extra)                                                                    \
	"{\"enis\": [{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"                \
	" \"addresses\": [\"192.0.2.20\", \"2001:db8:a::20\"],"                                  \
	" \"subnets\": [\"192.0.2.0/24\", \"2001:db8:a::/64\"]" extra "}], " SG "}"

/* Each source of truth in its place: what the kernel knows of the interface, per family. */
struct choice_case {
	const char *name;
	const char *route4, *route6, *neigh6;  /* the kernel's view of eth1 (NULL: nothing) */
	const char *want4, *want6;
	enum eniaddr_nh_origin origin4, origin6;
};

static void test_router_choice_per_source(void **state)
{
	static const struct choice_case cases[] = {
		{ "routes of both families", "192.0.2.1", "fe80::a:1", "fe80::99",
		  "192.0.2.1", "fe80::a:1", ENIADDR_NH_ROUTE, ENIADDR_NH_ROUTE },
		{ "v6 route beats the neighbour, v4 guessed", NULL, "fe80::a:1", "fe80::99",
		  "192.0.2.1", "fe80::a:1", ENIADDR_NH_GUESS, ENIADDR_NH_ROUTE },
		{ "no route: the router neighbour", "192.0.2.254", NULL, "fe80::99",
		  "192.0.2.254", "fe80::99", ENIADDR_NH_ROUTE, ENIADDR_NH_NEIGH },
		{ "nothing known: base + 1 in both, guessed", NULL, NULL, NULL,
		  "192.0.2.1", "2001:db8:a::1", ENIADDR_NH_GUESS, ENIADDR_NH_GUESS },
		{ "a global IPv6 gateway is taken as it is", NULL, "2001:db8:a::fe", NULL,
		  "192.0.2.1", "2001:db8:a::fe", ENIADDR_NH_GUESS, ENIADDR_NH_ROUTE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct choice_case *c = &cases[i];
		struct desired_state s = parsed(ENI_SUBNETS(""));
		struct if_routers k = { .ifindex = 10 };
		struct eni_router r4, r6;

		print_message("  %s\n", c->name);
		if (c->route4)
			kr_set(&k.route[ENI_V4], c->route4);
		if (c->route6)
			kr_set(&k.route[ENI_V6], c->route6);
		if (c->neigh6)
			kr_set(&k.neigh[ENI_V6], c->neigh6);
		router_choose(&s.enis.v[0], ENI_V4, &k, &r4);
		router_choose(&s.enis.v[0], ENI_V6, &k, &r6);
		check_router(&r4, c->want4, c->origin4);
		check_router(&r6, c->want6, c->origin6);
		state_free(&s);
	}
}

/* "router" / "router6" win over anything the kernel says; a family without subnet and without
 * anything learned has no router at all (nothing to guess from). */
static void test_router_config_overrides(void **state)
{
	struct desired_state s = parsed(ENI_SUBNETS(", \"router6\": \"fe80::77\""));
	struct desired_state bare = parsed(
		"{\"enis\": [{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"
		" \"addresses\": [\"192.0.2.20\"], \"router\": \"192.0.2.9\"}], " SG "}");
	struct if_routers k = { .ifindex = 10 };
	struct eni_router r;

	(void)state;
	kr_set(&k.route[ENI_V4], "192.0.2.1");
	kr_set(&k.route[ENI_V6], "fe80::a:1");
	router_choose(&s.enis.v[0], ENI_V6, &k, &r);
	check_router(&r, "fe80::77", ENIADDR_NH_CONFIG);
	assert_string_equal(r.where, "cfg.json: enis[0].router6");
	router_choose(&s.enis.v[0], ENI_V4, &k, &r);
	check_router(&r, "192.0.2.1", ENIADDR_NH_ROUTE);
	router_choose(&bare.enis.v[0], ENI_V4, NULL, &r);
	check_router(&r, "192.0.2.9", ENIADDR_NH_CONFIG);
	router_choose(&bare.enis.v[0], ENI_V6, NULL, &r);
	check_router(&r, NULL, ENIADDR_NH_GUESS);
	state_free(&s);
	state_free(&bare);
}

static void test_router_config_errors(void **state)
{
	static const struct { const char *extra, *msg; } cases[] = {
		{ ", \"router\": \"fe80::1\"",
		  "cfg.json: enis[0].router: 'fe80::1' is not an IPv4 address" },
		{ ", \"router6\": \"192.0.2.1\"",
		  "cfg.json: enis[0].router6: '192.0.2.1' is not an IPv6 address" },
		{ ", \"router\": \"192.0.2\"",
		  "cfg.json: enis[0].router: '192.0.2' is not an IPv4 or IPv6 address" },
		{ ", \"router6\": 7", "cfg.json: enis[0]" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];
		struct desired_state s;
		struct err e = { "" };

		snprintf(text, sizeof(text),
			 "{\"enis\": [{\"interface\": \"eth1\", \"security_groups\": [\"sg-a\"],"
			 " \"addresses\": [\"192.0.2.20\"]%s}], " SG "}", cases[i].extra);
		state_init(&s);
		assert_int_equal(source_native_parse(text, "cfg.json", &s, &e), -EINVAL);
		if (!strstr(e.msg, cases[i].msg))
			fail_msg("'%s': got '%s'", cases[i].msg, e.msg);
		state_free(&s);
	}
}

/* routes_apply says when a router changed (the agent republishes then), and only then. */
static void test_routes_apply_reports_changes(void **state)
{
	struct desired_state s = parsed(ENI_SUBNETS(", \"router\": \"192.0.2.9\""));
	struct kernel_routers k = {};
	struct if_routers *ir = VEC_PUSH(&k.ifs);

	(void)state;
	ir->ifindex = 10;
	kr_set(&ir->route[ENI_V6], "fe80::a:1");
	assert_int_equal(routes_apply(&s, &k), 1);
	check_router(&s.enis.v[0].routers[ENI_V6], "fe80::a:1", ENIADDR_NH_ROUTE);
	assert_int_equal(routes_apply(&s, &k), 0);
	/* The route goes away (RA lifetime over): the neighbour, then the guess. */
	ir->route[ENI_V6].set = false;
	kr_set(&ir->neigh[ENI_V6], "fe80::a:1");
	assert_int_equal(routes_apply(&s, &k), 1);
	check_router(&s.enis.v[0].routers[ENI_V6], "fe80::a:1", ENIADDR_NH_NEIGH);
	ir->neigh[ENI_V6].set = false;
	assert_int_equal(routes_apply(&s, &k), 1);
	check_router(&s.enis.v[0].routers[ENI_V6], "2001:db8:a::1", ENIADDR_NH_GUESS);
	/* The configured IPv4 router stayed through all of it. */
	check_router(&s.enis.v[0].routers[ENI_V4], "192.0.2.9", ENIADDR_NH_CONFIG);
	routes_free(&k);
	state_free(&s);
}

/* The compiler writes the chosen router and its origin, a link-local one as it is. */
static void test_compiled_router_and_origin(void **state)
{
	static const struct want_nh want[] = {
		{ 10, ENIADDR_AF_INET, "192.0.2.0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00",
		  "192.0.2.9", 120, ENIADDR_NH_CONFIG },
		{ 10, ENIADDR_AF_INET6, "2001:db8:a::", "ffff:ffff:ffff:ffff::", "fe80::a:1", 64,
		  ENIADDR_NH_ROUTE },
	};
	struct desired_state s = parsed(ENI_SUBNETS(", \"router\": \"192.0.2.9\""));
	struct kernel_routers k = {};
	struct if_routers *ir = VEC_PUSH(&k.ifs);
	struct compiled c;
	struct err e = { "" };

	(void)state;
	ir->ifindex = 10;
	kr_set(&ir->route[ENI_V6], "fe80::a:1");
	routes_apply(&s, &k);
	assert_int_equal(compile_state(&s, 0, &c, &e), 0);
	assert_int_equal(c.nexthops.n, 2);
	for (size_t i = 0; i < c.nexthops.n; i++)
		check_entry(&c.nexthops.v[i], &want[i], 0);
	compiled_free(&c);
	routes_free(&k);
	state_free(&s);
}

/* Which rtnetlink notifications make the agent look again. */
static void test_relevant_notifications(void **state)
{
	struct {
		struct nlmsghdr h;
		union {
			struct rtmsg rt;
			struct ndmsg nd;
		} u;
	} m;
	static const struct {
		__u16 type;
		int family, dst_len;
		bool want;
	} cases[] = {
		{ RTM_NEWROUTE, AF_INET6, 0, true },  { RTM_DELROUTE, AF_INET, 0, true },
		{ RTM_NEWROUTE, AF_INET, 24, false }, { RTM_NEWNEIGH, AF_INET6, 0, true },
		{ RTM_DELNEIGH, AF_INET6, 0, true },  { RTM_NEWNEIGH, AF_INET, 0, false },
		{ RTM_NEWLINK, AF_UNSPEC, 0, false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.h.nlmsg_type = cases[i].type;
		m.h.nlmsg_len = NLMSG_LENGTH(sizeof(m.u));
		if (cases[i].type == RTM_NEWNEIGH || cases[i].type == RTM_DELNEIGH) {
			m.u.nd.ndm_family = (__u8)cases[i].family;
		} else {
			m.u.rt.rtm_family = (__u8)cases[i].family;
			m.u.rt.rtm_dst_len = (__u8)cases[i].dst_len;
		}
		if (routes_msg_relevant(&m.h) != cases[i].want)
			fail_msg("case %zu: got %d", i, !cases[i].want);
	}
	m.h.nlmsg_type = RTM_NEWROUTE;
	m.h.nlmsg_len = NLMSG_LENGTH(0); /* truncated: never read past it */
	assert_false(routes_msg_relevant(&m.h));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries_per_eni_and_family),
		cmocka_unit_test(test_v4_mask_in_mapped_space),
		cmocka_unit_test(test_bad_subnets),
		cmocka_unit_test(test_good_subnets),
		cmocka_unit_test(test_vpc_resolver_in_ipv4_entry),
		cmocka_unit_test(test_router_choice_per_source),
		cmocka_unit_test(test_router_config_overrides),
		cmocka_unit_test(test_router_config_errors),
		cmocka_unit_test(test_routes_apply_reports_changes),
		cmocka_unit_test(test_compiled_router_and_origin),
		cmocka_unit_test(test_relevant_notifications),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
