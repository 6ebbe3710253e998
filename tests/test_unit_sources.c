// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_unit_sources.c — the sources that produce struct desired_state: the native config
 * (tests/data/native-full.json, the README's example) and the AWS describe-* documents
 * (tests/data/aws-*.json). No privileges. Each malformed input must fail with one line naming
 * the file and the item, and leave the caller's state as it was.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "compile/compile.h"
#include "source/json_dupkeys.h"
#include "source/json_util.h"
#include "source/aws.h"
#include "source/native.h"
#include "state.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

/* tests/data/<name>: from the repository root (make test), else next to the build dir. */
static const char *data_path(const char *name)
{
	static char buf[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n;

	snprintf(buf, sizeof(buf), "tests/data/%s", name);
	if (access(buf, R_OK) == 0)
		return buf;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		/* <root>/build/tests/test_unit_sources */
		for (int up = 0; up < 3; up++) {
			char *slash = strrchr(exe, '/');

			if (slash)
				*slash = '\0';
		}
		if (snprintf(buf, sizeof(buf), "%s/tests/data/%s", exe, name) >= (int)sizeof(buf))
			fail_msg("path too long");
	}
	return buf;
}

/* Test documents are written with ' for " to stay readable; this swaps them back. */
static char *q(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static const char *fmt_prefix(const struct ip_prefix *p)
{
	static char buf[4][IP_PREFIX_STRLEN];
	static int next;
	char *b = buf[next++ % 4];

	ip_prefix_format(p, false, b, IP_PREFIX_STRLEN);
	return b;
}

static void assert_prefix(const struct ip_prefix *p, const char *want)
{
	assert_string_equal(fmt_prefix(p), want);
}

static void assert_timeouts(const struct eniaddr_timeouts *t, __u32 tcp_est, __u32 tcp_syn,
			    __u32 tcp_closing, __u32 udp, __u32 udp_stream, __u32 icmp, __u32 other)
{
	assert_int_equal(t->tcp_established, tcp_est);
	assert_int_equal(t->tcp_syn, tcp_syn);
	assert_int_equal(t->tcp_closing, tcp_closing);
	assert_int_equal(t->udp, udp);
	assert_int_equal(t->udp_stream, udp_stream);
	assert_int_equal(t->icmp, icmp);
	assert_int_equal(t->other, other);
}

static void assert_rule(const struct rule *r, int proto, int from, int to, enum peer_kind kind,
			const char *peer)
{
	assert_int_equal(r->proto, proto);
	assert_int_equal(r->from, from);
	assert_int_equal(r->to, to);
	assert_int_equal(r->peer_kind, kind);
	if (kind == PEER_CIDR)
		assert_prefix(&r->cidr, peer);
	else
		assert_string_equal(r->ref, peer);
}

static bool has_member(const struct group *g, const char *cidr)
{
	for (size_t i = 0; i < g->members.n; i++)
		if (strcmp(fmt_prefix(&g->members.v[i]), cidr) == 0)
			return true;
	return false;
}

static const struct address *find_addr(const struct eni *n, const char *ip)
{
	for (size_t i = 0; i < n->addrs.n; i++)
		if (strcmp(fmt_prefix(&n->addrs.v[i].ip), ip) == 0)
			return &n->addrs.v[i];
	fail_msg("address %s not on %s", ip, n->where);
	return NULL;
}

/* An error is one line, starts with the file and holds the expected fragment. */
static void check_error(const char *name, int ret, const struct err *e, const char *file,
			const char *want)
{
	if (ret == 0)
		fail_msg("case '%s': parsed, expected an error containing \"%s\"", name, want);
	if (!strstr(e->msg, want))
		fail_msg("case '%s': error \"%s\" lacks \"%s\"", name, e->msg, want);
	if (strchr(e->msg, '\n'))
		fail_msg("case '%s': error spans lines: \"%s\"", name, e->msg);
	if (file && strncmp(e->msg, file, strlen(file)) != 0 && !strstr(e->msg, file))
		fail_msg("case '%s': error \"%s\" does not name %s", name, e->msg, file);
}

/* ---- state helpers ---- */

static void test_proto_parse(void **unused)
{
	static const struct { const char *in; int ret, proto; } cases[] = {
		{ "tcp", 0, 6 }, { "udp", 0, 17 }, { "icmp", 0, 1 }, { "icmpv6", 0, 58 },
		{ "all", 0, RULE_PROTO_ALL }, { "-1", 0, RULE_PROTO_ALL }, { "6", 0, 6 },
		{ "50", 0, 50 }, { "0", 0, 0 }, { "255", 0, 255 }, { "256", -EINVAL, 0 },
		{ "TCP", -EINVAL, 0 }, { "", -EINVAL, 0 }, { "-2", -EINVAL, 0 }, { "6x", -EINVAL, 0 },
		{ "0006", -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int proto = 12345;
		int ret = rule_proto_parse(cases[i].in, &proto);

		if (ret != cases[i].ret || (ret == 0 && proto != cases[i].proto))
			fail_msg("rule_proto_parse(\"%s\") = %d proto %d", cases[i].in, ret, proto);
	}
}

static void test_rule_validate(void **unused)
{
	static const struct { struct rule r; const char *want; } cases[] = {
		{ { .proto = 6, .from = 0, .to = 65535 }, NULL },
		{ { .proto = 6, .from = 0, .to = 65536 }, "out of range 0..65535" },
		{ { .proto = 17, .from = 90, .to = 80 }, "port range 90-80 is reversed" },
		{ { .proto = 1, .from = -1, .to = -1 }, NULL },
		{ { .proto = 58, .from = 128, .to = 0 }, NULL },
		{ { .proto = 1, .from = -1, .to = 3 }, "ICMP code 3 needs an ICMP type" },
		{ { .proto = 1, .from = 256, .to = -1 }, "ICMP type 256 out of range" },
		{ { .proto = 300 }, "protocol 300 out of range" },
		{ { .proto = 50, .from = 99999, .to = -7 }, NULL }, /* ports unused */
		{ { .proto = -1, .peer_kind = PEER_GROUP, .ref = "pl-x" }, "does not start with sg-" },
		{ { .proto = -1, .peer_kind = PEER_PREFIX_LIST, .ref = "pl-x" }, NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rule r = cases[i].r;
		struct err e = { 0 };
		int ret;

		snprintf(r.where, sizeof(r.where), "t.json: rule%zu", i);
		ret = rule_validate(&r, &e);
		if (!cases[i].want) {
			if (ret)
				fail_msg("rule %zu: unexpected error %s", i, e.msg);
			continue;
		}
		check_error(r.where, ret, &e, r.where, cases[i].want);
	}
}

static void test_default_timeouts(void **unused)
{
	struct eniaddr_timeouts t;

	state_default_timeouts(&t);
	assert_timeouts(&t, 432000, 60, 30, 30, 180, 30, 600);
}

/* ---- native config ---- */

static void check_native_full(const struct desired_state *s, const char *file)
{
	char where[STATE_WHERE_LEN];
	const struct eni *n0, *n1;
	const struct group *web, *admin;
	const struct prefix_list *pl;
	const struct address *a;

	snprintf(where, sizeof(where), "native:%s", file);
	assert_string_equal(s->origin, where);
	assert_int_equal(s->enis.n, 2);
	assert_int_equal(s->groups.n, 2);
	assert_int_equal(s->prefix_lists.n, 1);

	n0 = &s->enis.v[0];
	snprintf(where, sizeof(where), "%s: enis[0]", file);
	assert_string_equal(n0->where, where);
	assert_string_equal(n0->ifname, "eth1");
	assert_false(n0->has_mac);
	assert_string_equal(n0->eni_id, "eni-0a1b2c3d4e5f60001");
	assert_int_equal(n0->mode, ENIADDR_MODE_ENFORCE);
	assert_true(n0->src_check);
	assert_int_equal(n0->ifindex, 0);
	assert_int_equal(n0->groups.ids.n, 1);
	assert_string_equal(n0->groups.ids.v[0], "sg-web");
	assert_int_equal(n0->addrs.n, 4);
	/* "primary": true on the second IPv4 wins over first-is-primary; IPv6's first is. */
	assert_false(find_addr(n0, "10.0.1.10/32")->primary);
	assert_true(find_addr(n0, "10.0.1.11/32")->primary);
	a = find_addr(n0, "10.0.1.12/32");
	assert_false(a->primary);
	assert_true(a->has_override);
	assert_int_equal(a->groups.ids.n, 1);
	assert_string_equal(a->groups.ids.v[0], "sg-admin");
	snprintf(where, sizeof(where), "%s: enis[0].addresses[2]", file);
	assert_string_equal(a->where, where);
	assert_false(find_addr(n0, "10.0.1.10/32")->has_override);
	assert_true(find_addr(n0, "2001:db8:1::10/128")->primary);
	assert_int_equal(n0->prefixes.n, 2);
	assert_prefix(&n0->prefixes.v[0], "10.0.1.32/28");
	assert_int_equal(n0->prefixes.v[0].plen, 96 + 28);
	assert_prefix(&n0->prefixes.v[1], "2001:db8:1:0:1::/80");
	assert_int_equal(n0->subnets.n, 2);
	assert_prefix(&n0->subnets.v[0], "10.0.1.0/24");
	assert_prefix(&n0->subnets.v[1], "2001:db8:1::/64");
	assert_true(n0->has_vpc);
	assert_prefix(&n0->vpc, "10.0.0.0/16");
	assert_non_null(strstr(n0->vpc_where, "enis[0].vpc_cidr"));
	assert_timeouts(&n0->timeouts, 432000, 60, 30, 30, 180, 30, 600);

	n1 = &s->enis.v[1];
	assert_false(s->enis.v[1].has_vpc);
	assert_true(n1->has_mac);
	assert_memory_equal(n1->mac, ((uint8_t[]){ 2, 0, 0, 0, 0, 2 }), 6);
	assert_string_equal(n1->ifname, "");
	assert_int_equal(n1->mode, ENIADDR_MODE_AUDIT);
	assert_false(n1->src_check);
	assert_int_equal(n1->addrs.n, 1);
	assert_true(n1->addrs.v[0].primary);
	assert_int_equal(n1->groups.ids.n, 2);
	assert_int_equal(n1->prefixes.n, 0);
	/* Keys not given keep their defaults. */
	assert_timeouts(&n1->timeouts, 3600, 60, 30, 60, 180, 30, 600);

	web = state_find_group(s, "sg-web");
	assert_non_null(web);
	assert_int_equal(web->ingress.n, 6); /* one rule per peer */
	assert_rule(&web->ingress.v[0], 6, 443, 443, PEER_CIDR, "0.0.0.0/0");
	assert_int_equal(web->ingress.v[0].cidr.plen, 96);
	assert_rule(&web->ingress.v[1], 6, 443, 443, PEER_CIDR, "::/0");
	assert_int_equal(web->ingress.v[1].cidr.plen, 0);
	assert_rule(&web->ingress.v[2], 6, 8000, 8080, PEER_PREFIX_LIST, "pl-corp");
	assert_rule(&web->ingress.v[3], 6, 8000, 8080, PEER_GROUP, "sg-admin");
	snprintf(where, sizeof(where), "%s: security_groups[0].ingress[1].from[1]", file);
	assert_string_equal(web->ingress.v[3].where, where);
	assert_rule(&web->ingress.v[4], 1, 8, RULE_PORT_ANY, PEER_CIDR, "10.0.0.0/8");
	assert_int_equal(web->ingress.v[5].proto, RULE_PROTO_ALL);
	assert_prefix(&web->ingress.v[5].cidr, "10.0.1.0/24");
	assert_true(web->egress_set);
	assert_int_equal(web->egress.n, 2);
	assert_int_equal(web->egress.v[0].proto, RULE_PROTO_ALL);
	assert_prefix(&web->egress.v[1].cidr, "::/0");
	/* members: every address and prefix of the two ENIs in sg-web */
	assert_int_equal(web->members.n, 7);
	assert_true(has_member(web, "10.0.1.12/32"));
	assert_true(has_member(web, "10.0.1.32/28"));
	assert_true(has_member(web, "2001:db8:1::10/128"));
	assert_true(has_member(web, "10.0.2.20/32"));

	admin = state_find_group(s, "sg-admin");
	assert_non_null(admin);
	assert_int_equal(admin->ingress.n, 4);
	assert_rule(&admin->ingress.v[0], 6, 22, 22, PEER_CIDR, "192.0.2.0/24");
	assert_rule(&admin->ingress.v[1], 17, 0, 65535, PEER_GROUP, "sg-web");
	assert_rule(&admin->ingress.v[2], 58, RULE_PORT_ANY, RULE_PORT_ANY, PEER_CIDR,
		    "2001:db8:ff::/48");
	assert_int_equal(admin->ingress.v[3].proto, 50);
	assert_prefix(&admin->ingress.v[3].cidr, "198.51.100.7/32");
	assert_false(admin->egress_set);
	assert_int_equal(admin->egress.n, 0);
	/* explicit member plus the ENI that is in sg-admin; the override does not join */
	assert_int_equal(admin->members.n, 2);
	assert_true(has_member(admin, "10.0.2.5/32"));
	assert_true(has_member(admin, "10.0.2.20/32"));
	assert_false(has_member(admin, "10.0.1.12/32"));

	pl = state_find_prefix_list(s, "pl-corp");
	assert_non_null(pl);
	assert_int_equal(pl->cidrs.n, 2);
	assert_prefix(&pl->cidrs.v[0], "192.0.2.0/24");
	assert_prefix(&pl->cidrs.v[1], "2001:db8:ff::/48");
	assert_null(state_find_group(s, "sg-nope"));
	assert_null(state_find_prefix_list(s, "pl-nope"));
}

static void test_native_full(void **unused)
{
	const char *path = data_path("native-full.json");
	struct desired_state s;
	struct err e = { 0 };
	int ret;

	state_init(&s);
	ret = source_native_load(path, &s, &e);
	if (ret)
		fail_msg("%s", e.msg);
	check_native_full(&s, path);
	/* Loading again replaces the content instead of appending. */
	ret = source_native_load(path, &s, &e);
	assert_int_equal(ret, 0);
	assert_int_equal(s.enis.n, 2);
	state_free(&s);
	assert_int_equal(s.enis.n, 0);
}

/* Valid pieces the malformed cases are built from. */
#define ENI0 "{'interface':'eth1','security_groups':['sg-a'],'addresses':['10.0.1.10']}"
#define SG_A(rules) "{'id':'sg-a','ingress':[" rules "]}"
#define DOC(enis, groups) "{'enis':[" enis "],'security_groups':[" groups "]}"
#define R_SSH "{'protocol':'tcp','ports':'22','from':['192.0.2.0/24']}"

static const struct {
	const char *name, *text, *want;
} native_bad[] = {
	{ "bad JSON", "{\n 'enis': [\n  {'interface': 'eth1',,}\n ]\n}",
	  "cfg.json: line 3, column 24: invalid JSON" },
	{ "truncated", "{'enis': [ {'interface': 'eth1'", "cfg.json: line 1, column" },
	{ "truncated says so", "{'enis': [", "document ends early" },
	{ "empty document", "  \n", "cfg.json: empty document" },
	{ "root not an object", "[]", "cfg.json: the document must be a JSON object" },
	{ "missing enis", "{'security_groups': []}", "cfg.json: missing key \"enis\"" },
	{ "enis empty", "{'enis': []}", "cfg.json: \"enis\" is empty" },
	{ "unknown top key", "{'enis':[" ENI0 "],'security_group':[]}",
	  "cfg.json: unknown key \"security_group\"" },
	{ "unknown rule key",
	  DOC(ENI0, SG_A(R_SSH ",{'prot':'tcp','from':['0.0.0.0/0']}")),
	  "cfg.json: security_groups[0].ingress[1]: unknown key \"prot\"" },
	{ "unknown eni key", DOC("{'interface':'eth1','security_groups':[],'addresses':[],"
				 "'adresses':[]}", SG_A(R_SSH)),
	  "cfg.json: enis[0]: unknown key \"adresses\"" },
	{ "bad address",
	  DOC("{'interface':'eth1','security_groups':['sg-a'],"
	      "'addresses':['10.0.1.10','10.0.1.11','10.0.0.300']}", SG_A(R_SSH)),
	  "cfg.json: enis[0].addresses[2]: '10.0.0.300' is not an IPv4 or IPv6 address" },
	{ "address with a length",
	  DOC("{'interface':'eth1','security_groups':['sg-a'],'addresses':['10.0.1.10/32']}",
	      SG_A(R_SSH)),
	  "cfg.json: enis[0].addresses[0]: '10.0.1.10/32' is not an IPv4 or IPv6 address" },
	{ "addresses not an array",
	  DOC("{'interface':'eth1','security_groups':['sg-a'],'addresses':'10.0.1.10'}",
	      SG_A(R_SSH)),
	  "cfg.json: enis[0]: addresses must be an array, not a string" },
	{ "missing addresses", DOC("{'interface':'eth1','security_groups':['sg-a']}", SG_A(R_SSH)),
	  "cfg.json: enis[0]: missing key \"addresses\"" },
	{ "missing security_groups", DOC("{'interface':'eth1','addresses':[]}", SG_A(R_SSH)),
	  "cfg.json: enis[0]: missing key \"security_groups\"" },
	{ "bad prefix CIDR",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':[],"
	      "'prefixes':['10.0.1.32/33']}", SG_A(R_SSH)),
	  "cfg.json: enis[0].prefixes[0]: '10.0.1.32/33' is not an IPv4 or IPv6 CIDR" },
	{ "prefix without length",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':[],'prefixes':['10.0.1.32']}",
	      SG_A(R_SSH)),
	  "cfg.json: enis[0].prefixes[0]: '10.0.1.32' is not a CIDR" },
	{ "bad peer CIDR", DOC(ENI0, SG_A("{'protocol':'tcp','from':['10.0.0.0/8x']}")),
	  "cfg.json: security_groups[0].ingress[0].from[0]: '10.0.0.0/8x' is neither a CIDR" },
	{ "port 65536", DOC(ENI0, SG_A("{'protocol':'tcp','ports':'65536','from':['::/0']}")),
	  "cfg.json: security_groups[0].ingress[0]: port 65536 out of range 0..65535" },
	{ "port range end 65536",
	  DOC(ENI0, SG_A(R_SSH ",{'protocol':'udp','ports':'1-65536','from':['::/0']}")),
	  "cfg.json: security_groups[0].ingress[1]: port 65536 out of range 0..65535" },
	{ "port number 70000", DOC(ENI0, SG_A("{'protocol':'tcp','ports':70000,'from':['::/0']}")),
	  "cfg.json: security_groups[0].ingress[0]: port 70000 out of range 0..65535" },
	{ "port range reversed",
	  DOC(ENI0, SG_A("{'protocol':'tcp','ports':'8080-8000','from':['::/0']}")),
	  "cfg.json: security_groups[0].ingress[0]: port range 8080-8000 is reversed" },
	{ "ports garbage", DOC(ENI0, SG_A("{'protocol':'tcp','ports':'80,443','from':['::/0']}")),
	  "cfg.json: security_groups[0].ingress[0]: ports '80,443' is not N or N-M" },
	{ "ports on icmp", DOC(ENI0, SG_A("{'protocol':'icmp','ports':'8','from':['::/0']}")),
	  "cfg.json: security_groups[0].ingress[0]: ports are only for tcp and udp" },
	{ "ports on all", DOC(ENI0, SG_A("{'protocol':'all','ports':'1-2','from':['::/0']}")),
	  "ingress[0]: ports are only for tcp and udp" },
	{ "ports on protocol 50", DOC(ENI0, SG_A("{'protocol':50,'ports':'1','from':['::/0']}")),
	  "ingress[0]: ports are only for tcp and udp" },
	{ "icmp_type on tcp", DOC(ENI0, SG_A("{'protocol':'tcp','icmp_type':8,'from':['::/0']}")),
	  "ingress[0]: icmp_type and icmp_code are only for icmp and icmpv6" },
	{ "icmp code without type",
	  DOC(ENI0, SG_A("{'protocol':'icmp','icmp_code':3,'from':['::/0']}")),
	  "cfg.json: security_groups[0].ingress[0]: ICMP code 3 needs an ICMP type" },
	{ "icmp type 256", DOC(ENI0, SG_A("{'protocol':'icmp','icmp_type':256,'from':['::/0']}")),
	  "ingress[0]: icmp_type 256 out of range -1..255" },
	{ "unknown protocol", DOC(ENI0, SG_A("{'protocol':'tpc','from':['::/0']}")),
	  "ingress[0]: protocol 'tpc' is not tcp, udp, icmp, icmpv6, all, -1 or a number" },
	{ "protocol 256", DOC(ENI0, SG_A("{'protocol':256,'from':['::/0']}")),
	  "ingress[0]: protocol 256 out of range" },
	{ "missing protocol", DOC(ENI0, SG_A("{'from':['::/0']}")),
	  "ingress[0]: missing key \"protocol\"" },
	{ "no peers", DOC(ENI0, SG_A("{'protocol':'tcp','from':[]}")),
	  "ingress[0]: \"from\" is empty" },
	{ "to in ingress", DOC(ENI0, SG_A("{'protocol':'tcp','to':['::/0']}")),
	  "ingress[0]: unknown key \"to\"" },
	{ "from in egress", DOC(ENI0, "{'id':'sg-a','egress':[{'protocol':'tcp','from':['::/0']}]}"),
	  "cfg.json: security_groups[0].egress[0]: unknown key \"from\"" },
	{ "interface and mac",
	  DOC("{'interface':'eth1','mac':'02:00:00:00:00:01','security_groups':[],'addresses':[]}",
	      SG_A(R_SSH)),
	  "cfg.json: enis[0]: has both \"interface\" and \"mac\"" },
	{ "neither interface nor mac", DOC("{'security_groups':[],'addresses':[]}", SG_A(R_SSH)),
	  "cfg.json: enis[0]: needs \"interface\" or \"mac\"" },
	{ "bad mac", DOC("{'mac':'02:00:00:00:00','security_groups':[],'addresses':[]}", SG_A(R_SSH)),
	  "cfg.json: enis[0]: '02:00:00:00:00' is not a MAC address" },
	{ "interface name too long",
	  DOC("{'interface':'eth1234567890abcdef','security_groups':[],'addresses':[]}", SG_A(R_SSH)),
	  "cfg.json: enis[0]: interface 'eth1234567890abcdef" },
	{ "bad mode",
	  DOC("{'interface':'eth1','mode':'enforcing','security_groups':[],'addresses':[]}",
	      SG_A(R_SSH)),
	  "cfg.json: enis[0]: mode 'enforcing' is neither" },
	{ "two primaries",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':["
	      "{'address':'10.0.1.10','primary':true},{'address':'10.0.1.11','primary':true}]}",
	      SG_A(R_SSH)),
	  "cfg.json: enis[0].addresses[1]: a second IPv4 address with \"primary\": true" },
	{ "unknown group on ENI",
	  DOC("{'interface':'eth1','security_groups':['sg-nope'],'addresses':[]}", SG_A(R_SSH)),
	  "cfg.json: enis[0]: security group sg-nope is not defined" },
	{ "unknown override group",
	  DOC("{'interface':'eth1','security_groups':['sg-a'],"
	      "'addresses':[{'address':'10.0.1.10','security_groups':['sg-nope']}]}", SG_A(R_SSH)),
	  "cfg.json: enis[0].addresses[0]: security group sg-nope is not defined" },
	{ "unknown group peer", DOC(ENI0, SG_A("{'protocol':'tcp','from':['::/0','sg-nope']}")),
	  "cfg.json: security_groups[0].ingress[0].from[1]: references security group sg-nope" },
	{ "unknown prefix list peer", DOC(ENI0, SG_A("{'protocol':'tcp','from':['pl-nope']}")),
	  "cfg.json: security_groups[0].ingress[0].from[0]: references prefix list pl-nope" },
	{ "group id without sg-", DOC(ENI0, "{'id':'web'}"),
	  "cfg.json: security_groups[0]: id 'web' does not start with sg-" },
	{ "group twice", DOC(ENI0, SG_A(R_SSH) "," SG_A(R_SSH)),
	  "cfg.json: security_groups[1]: security group sg-a is defined twice (also at cfg.json: "
	  "security_groups[0])" },
	{ "duplicate address across ENIs",
	  DOC(ENI0 ",{'interface':'eth2','security_groups':[],'addresses':['10.0.2.1','10.0.1.10']}",
	      SG_A(R_SSH)),
	  "cfg.json: enis[1].addresses[1]: address 10.0.1.10 is also owned by cfg.json: "
	  "enis[0].addresses[0]" },
	{ "duplicate IPv6 spelled differently",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':['2001:db8::1']},"
	      "{'interface':'eth2','security_groups':[],'addresses':['2001:0db8:0:0::0001']}",
	      SG_A(R_SSH)),
	  "cfg.json: enis[1].addresses[0]: address 2001:db8::1 is also owned by cfg.json: "
	  "enis[0].addresses[0]" },
	{ "address twice on one ENI",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':['10.0.1.10','10.0.1.10']}",
	      SG_A(R_SSH)),
	  "address 10.0.1.10 is listed twice" },
	{ "address inside another ENI's prefix",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':[],'prefixes':['10.0.1.32/28']},"
	      "{'interface':'eth2','security_groups':[],'addresses':['10.0.1.40']}", SG_A(R_SSH)),
	  "cfg.json: enis[1].addresses[0]: address 10.0.1.40 lies inside prefix 10.0.1.32/28 "
	  "owned by cfg.json: enis[0]" },
	{ "overlapping prefixes",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':[],'prefixes':['2001:db8::/64']},"
	      "{'interface':'eth2','security_groups':[],'addresses':[],"
	      "'prefixes':['2001:db8:0:0:1::/80']}", SG_A(R_SSH)),
	  "cfg.json: enis[1]: prefix 2001:db8:0:0:1::/80 lies inside prefix 2001:db8::/64" },
	{ "same interface twice",
	  DOC(ENI0 ",{'interface':'eth1','security_groups':[],'addresses':['10.0.9.9']}",
	      SG_A(R_SSH)),
	  "cfg.json: enis[1]: interface eth1 is listed twice (also at cfg.json: enis[0])" },
	{ "same MAC twice, either case",
	  DOC("{'mac':'02:00:00:00:00:aa','security_groups':[],'addresses':[]},"
	      "{'mac':'02:00:00:00:00:AA','security_groups':[],'addresses':[]}", SG_A(R_SSH)),
	  "cfg.json: enis[1]: MAC 02:00:00:00:00:aa is listed twice" },
	{ "tcp_established 59",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':[],"
	      "'connection_tracking':{'tcp_established':59}}", SG_A(R_SSH)),
	  "cfg.json: enis[0]: connection tracking timeout tcp_established 59 out of range "
	  "60..432000" },
	{ "udp 61",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':[],"
	      "'connection_tracking':{'udp':61}}", SG_A(R_SSH)),
	  "timeout udp 61 out of range 30..60" },
	{ "other 0",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':[],"
	      "'connection_tracking':{'other':0}}", SG_A(R_SSH)),
	  "timeout other 0 out of range 1..600" },
	{ "unknown timeout key",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':[],"
	      "'connection_tracking':{'tcp':60}}", SG_A(R_SSH)),
	  "cfg.json: enis[0].connection_tracking: unknown key \"tcp\"" },
	{ "timeout as a string",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':[],"
	      "'connection_tracking':{'udp':'30'}}", SG_A(R_SSH)),
	  "cfg.json: enis[0].connection_tracking: udp must be an integer, not a string" },
	{ "prefix list without pl-", "{'enis':[" ENI0 "],'security_groups':[" SG_A(R_SSH) "],"
				     "'prefix_lists':[{'id':'corp','cidrs':[]}]}",
	  "cfg.json: prefix_lists[0]: id 'corp' does not start with pl-" },
	{ "prefix list bad cidr", "{'enis':[" ENI0 "],'security_groups':[" SG_A(R_SSH) "],"
				  "'prefix_lists':[{'id':'pl-a','cidrs':['192.0.2.0/24','x']}]}",
	  "cfg.json: prefix_lists[0].cidrs[1]: 'x' is not a CIDR" },
	{ "bad member", DOC(ENI0, "{'id':'sg-a','members':['10.0.0.1','nope']}"),
	  "cfg.json: security_groups[0].members[1]: 'nope' is not an IPv4 or IPv6 CIDR" },
	{ "address object missing address",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':[{'primary':true}]}",
	      SG_A(R_SSH)),
	  "cfg.json: enis[0].addresses[0]: missing key \"address\"" },
	{ "duplicate top-level key", "{'enis':[" ENI0 "],\n 'enis':[]}",
	  "cfg.json: line 2, column 2: duplicate key \"enis\" in the top-level object (first at "
	  "line 1, column 2)" },
	{ "duplicate rule key",
	  DOC(ENI0, SG_A("{'protocol':'tcp','ports':'22','ports':'0-65535','from':['::/0']}")),
	  "duplicate key \"ports\" in security_groups[0].ingress[0] (first at line 1, column" },
	{ "duplicate key spelled with an escape",
	  DOC(ENI0, SG_A(R_SSH ",{'protocol':'tcp','from':['::/0'],'fr\\u006fm':['10.0.0.0/8']}")),
	  "duplicate key \"from\" in security_groups[0].ingress[1] (first at" },
	{ "IPv4-mapped peer CIDR", DOC(ENI0, SG_A("{'protocol':'tcp','from':['::ffff:0:0/96']}")),
	  "cfg.json: security_groups[0].ingress[0].from[0]: '::ffff:0:0/96' is in the IPv4-mapped "
	  "IPv6 range ::ffff:0:0/96, which is neither: write IPv4 addresses as a.b.c.d" },
	{ "IPv4-mapped address",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':['::ffff:10.0.1.10']}",
	      SG_A(R_SSH)),
	  "cfg.json: enis[0].addresses[0]: '::ffff:10.0.1.10' is in the IPv4-mapped IPv6 range" },
	{ "IPv4-mapped member", DOC(ENI0, "{'id':'sg-a','members':['::ffff:10.0.0.0/120']}"),
	  "cfg.json: security_groups[0].members[0]: '::ffff:10.0.0.0/120' is in the IPv4-mapped" },
	{ "address of the wrong type",
	  DOC("{'interface':'eth1','security_groups':[],'addresses':[17]}", SG_A(R_SSH)),
	  "cfg.json: enis[0].addresses[0]: must be an address string or an object, not an integer" },
};

static void test_native_malformed(void **unused)
{
	struct desired_state before, fresh;
	const char *path = data_path("native-full.json");
	struct err e = { 0 };

	/* A state that already holds a config, to prove a failed load leaves it alone. */
	state_init(&before);
	if (source_native_load(path, &before, &e))
		fail_msg("%s", e.msg);
	for (size_t i = 0; i < ARRAY_SIZE(native_bad); i++) {
		char *text = q(native_bad[i].text);
		int ret;

		state_init(&fresh);
		err_clear(&e);
		ret = source_native_parse(text, "cfg.json", &fresh, &e);
		check_error(native_bad[i].name, ret, &e, "cfg.json", native_bad[i].want);
		assert_int_equal(ret, -EINVAL);
		assert_int_equal(fresh.enis.n, 0);
		assert_int_equal(fresh.groups.n, 0);
		assert_string_equal(fresh.origin, "");

		err_clear(&e);
		ret = source_native_parse(text, "cfg.json", &before, &e);
		assert_int_not_equal(ret, 0);
		check_native_full(&before, path);
		free(text);
	}
	state_free(&before);
}

/* Small documents that must parse, and what they must mean. */
static void test_native_small(void **unused)
{
	struct desired_state s;
	struct err e = { 0 };
	char *text = q(DOC("{'interface':'eth1','security_groups':['sg-a'],"
			   "'addresses':['2001:db8::5','10.0.1.10','10.0.1.11'],"
			   "'prefixes':['10.0.1.33/28']}",
			   SG_A("{'protocol':6,'from':['10.0.1.5']},"
				"{'protocol':'-1','from':['::/0']},"
				"{'protocol':'icmpv6','icmp_type':128,'icmp_code':0,'from':['::/0']}")
			   ",{'id':'sg-b','egress':[]}"));
	const struct group *a, *b;
	int ret;

	state_init(&s);
	ret = source_native_parse(text, "small.json", &s, &e);
	free(text);
	if (ret)
		fail_msg("%s", e.msg);
	/* First address of each family is primary. */
	assert_true(s.enis.v[0].addrs.v[0].primary);
	assert_true(s.enis.v[0].addrs.v[1].primary);
	assert_false(s.enis.v[0].addrs.v[2].primary);
	/* Host bits of a prefix are cleared, as AWS does. */
	assert_prefix(&s.enis.v[0].prefixes.v[0], "10.0.1.32/28");
	a = state_find_group(&s, "sg-a");
	/* protocol 6 is tcp, without ports 0-65535; a bare peer address is one host */
	assert_rule(&a->ingress.v[0], 6, 0, 65535, PEER_CIDR, "10.0.1.5/32");
	assert_int_equal(a->ingress.v[1].proto, RULE_PROTO_ALL);
	assert_rule(&a->ingress.v[2], 58, 128, 0, PEER_CIDR, "::/0");
	/* no egress key: default allow-all; "egress": []: nothing out */
	assert_false(a->egress_set);
	b = state_find_group(&s, "sg-b");
	assert_true(b->egress_set);
	assert_int_equal(b->egress.n, 0);
	assert_int_equal(b->members.n, 0);
	assert_int_equal(a->members.n, 4);
	state_free(&s);
}

static void test_native_missing_file(void **unused)
{
	struct desired_state s;
	struct err e = { 0 };
	int ret;

	state_init(&s);
	ret = source_native_load("/nonexistent/cfg.json", &s, &e);
	assert_int_equal(ret, -ENOENT);
	check_error("missing file", ret, &e, "/nonexistent/cfg.json", "cannot open");
}

/* ---- AWS documents ---- */

static const struct local_nic locals[] = {
	{ "eth0", { 0x0e, 0x11, 0x22, 0x33, 0x44, 0x01 } },
	{ "eth1", { 0x0e, 0x11, 0x22, 0x33, 0x44, 0x02 } },
	{ "docker0", { 0x02, 0x42, 0xac, 0x11, 0x00, 0x01 } },
};

#define SG_WEB   "sg-0123456789abcdef0"
#define SG_ADMIN "sg-0fedcba9876543210"
#define SG_LB    "sg-0bbbbbbbbbbbbbbbb"
#define PL_CORP  "pl-0a1b2c3d4e5f6a7b8"

static void test_aws_fixtures(void **unused)
{
	char ifs[PATH_MAX], sgs[PATH_MAX], pl[PATH_MAX], where[STATE_WHERE_LEN + PATH_MAX];
	struct aws_prefix_list_file pls[1];
	struct aws_inputs in = {
		.interfaces_path = ifs, .groups_path = sgs, .prefix_lists = pls,
		.n_prefix_lists = 1, .locals = locals, .n_locals = ARRAY_SIZE(locals),
	};
	const struct group *web, *admin, *lb;
	const struct prefix_list *p;
	const struct eni *n0, *n1;
	struct desired_state s;
	struct err e = { 0 };
	int ret;

	snprintf(ifs, sizeof(ifs), "%s", data_path("aws-interfaces.json"));
	snprintf(sgs, sizeof(sgs), "%s", data_path("aws-security-groups.json"));
	snprintf(pl, sizeof(pl), "%s", data_path("aws-prefix-list.json"));
	pls[0].id = PL_CORP;
	pls[0].path = pl;
	state_init(&s);
	ret = source_aws_load(&in, &s, &e);
	if (ret)
		fail_msg("%s", e.msg);
	assert_int_equal(strncmp(s.origin, "aws:", 4), 0);

	/* The remote ENI (another instance's MAC) is not ours. */
	assert_int_equal(s.enis.n, 2);
	n0 = &s.enis.v[0];
	assert_string_equal(n0->ifname, "eth0");
	assert_true(n0->has_mac);
	assert_memory_equal(n0->mac, locals[0].mac, 6);
	assert_string_equal(n0->eni_id, "eni-0a1b2c3d4e5f60001");
	assert_int_equal(n0->mode, ENIADDR_MODE_ENFORCE);
	assert_true(n0->src_check);
	assert_int_equal(n0->addrs.n, 3);
	assert_true(find_addr(n0, "10.0.1.10/32")->primary);
	assert_false(find_addr(n0, "10.0.1.11/32")->primary);
	assert_true(find_addr(n0, "2001:db8:1::10/128")->primary);
	snprintf(where, sizeof(where), "%s: NetworkInterfaces[0].PrivateIpAddresses[1]", ifs);
	assert_string_equal(find_addr(n0, "10.0.1.11/32")->where, where);
	assert_int_equal(n0->prefixes.n, 2);
	assert_prefix(&n0->prefixes.v[0], "10.0.1.32/28");
	assert_prefix(&n0->prefixes.v[1], "2001:db8:1:0:1::/80");
	assert_int_equal(n0->groups.ids.n, 1);
	assert_string_equal(n0->groups.ids.v[0], SG_WEB);
	assert_timeouts(&n0->timeouts, 3600, 60, 30, 60, 120, 30, 600);

	n1 = &s.enis.v[1];
	assert_string_equal(n1->ifname, "eth1");
	assert_string_equal(n1->eni_id, "eni-0a1b2c3d4e5f60002");
	assert_false(n1->src_check); /* "SourceDestCheck": false */
	/* "Primary": true on the second entry */
	assert_false(n1->addrs.v[0].primary);
	assert_true(n1->addrs.v[1].primary);
	assert_prefix(&n1->addrs.v[1].ip, "10.0.2.20/32");
	assert_int_equal(n1->groups.ids.n, 2);
	assert_timeouts(&n1->timeouts, 432000, 60, 30, 30, 180, 30, 600);

	/* Two described groups and one known only as the remote ENI's group; sg-0ccc… (db) is
	 * used by no local ENI and dropped, with its peers outside the documents. */
	assert_int_equal(s.groups.n, 3);
	assert_null(state_find_group(&s, "sg-0cccccccccccccccc"));
	web = state_find_group(&s, SG_WEB);
	assert_non_null(web);
	assert_int_equal(web->ingress.n, 6);
	assert_rule(&web->ingress.v[0], 6, 443, 443, PEER_CIDR, "0.0.0.0/0");
	assert_rule(&web->ingress.v[1], 6, 443, 443, PEER_CIDR, "::/0");
	assert_rule(&web->ingress.v[2], 6, 8000, 8080, PEER_PREFIX_LIST, PL_CORP);
	assert_rule(&web->ingress.v[3], 6, 8000, 8080, PEER_GROUP, SG_ADMIN);
	snprintf(where, sizeof(where), "%s: SecurityGroups[0].IpPermissions[1].UserIdGroupPairs[0]",
		 sgs);
	assert_string_equal(web->ingress.v[3].where, where);
	/* icmp: FromPort is the type, ToPort -1 all codes */
	assert_rule(&web->ingress.v[4], 1, 8, RULE_PORT_ANY, PEER_CIDR, "10.0.0.0/8");
	assert_int_equal(web->ingress.v[5].proto, RULE_PROTO_ALL);
	assert_prefix(&web->ingress.v[5].cidr, "10.0.1.0/24");
	assert_true(web->egress_set);
	assert_int_equal(web->egress.n, 2);
	/* members: the addresses and prefixes of both local ENIs in sg-web */
	assert_int_equal(web->members.n, 7);
	assert_true(has_member(web, "10.0.1.32/28"));
	assert_true(has_member(web, "10.0.2.21/32"));
	assert_false(has_member(web, "10.0.3.30/32"));

	admin = state_find_group(&s, SG_ADMIN);
	assert_non_null(admin);
	assert_int_equal(admin->ingress.n, 4);
	assert_rule(&admin->ingress.v[0], 6, 22, 22, PEER_CIDR, "192.0.2.0/24");
	assert_int_equal(admin->ingress.v[1].proto, 50);
	assert_rule(&admin->ingress.v[2], 58, RULE_PORT_ANY, RULE_PORT_ANY, PEER_CIDR,
		    "2001:db8::/32");
	assert_rule(&admin->ingress.v[3], 17, 53, 53, PEER_GROUP, SG_LB);
	assert_true(admin->egress_set); /* "IpPermissionsEgress": [] is no outbound */
	assert_int_equal(admin->egress.n, 0);
	/* the local eth1 and the remote ENI are in sg-admin */
	assert_int_equal(admin->members.n, 4);
	assert_true(has_member(admin, "10.0.2.20/32"));
	assert_true(has_member(admin, "10.0.3.30/32"));
	assert_true(has_member(admin, "2001:db8:3::30/128"));

	lb = state_find_group(&s, SG_LB);
	assert_non_null(lb);
	assert_int_equal(lb->ingress.n, 0);
	assert_int_equal(lb->members.n, 2);
	assert_true(has_member(lb, "10.0.3.30/32"));

	p = state_find_prefix_list(&s, PL_CORP);
	assert_non_null(p);
	assert_int_equal(p->cidrs.n, 2);
	assert_prefix(&p->cidrs.v[0], "192.0.2.0/24");
	assert_prefix(&p->cidrs.v[1], "198.51.100.0/25");
	state_free(&s);
}

/* Minimal AWS documents the cases below vary. */
#define IFS(ifc) "{'NetworkInterfaces':[" ifc "]}"
#define IFC(extra) "{'NetworkInterfaceId':'eni-1','MacAddress':'0e:11:22:33:44:01'," \
		   "'PrivateIpAddresses':[{'PrivateIpAddress':'10.0.1.10','Primary':true}]," \
		   "'Groups':[{'GroupId':'sg-1'}]" extra "}"
#define SGS(perms) "{'SecurityGroups':[{'GroupId':'sg-1','IpPermissions':[" perms "]}]}"
#define P_SSH "{'IpProtocol':'tcp','FromPort':22,'ToPort':22,'IpRanges':[{'CidrIp':'192.0.2.0/24'}]}"
#define PL_DOC "{'Entries':[{'Cidr':'192.0.2.0/24'}]}"

static const struct aws_case {
	const char *name, *ifs, *sgs, *pl, *want;
} aws_bad[] = {
	{ "missing NetworkInterfaces", "{'Interfaces':[]}", SGS(P_SSH), NULL,
	  "ifs.json: missing key \"NetworkInterfaces\"" },
	{ "NetworkInterfaces not an array", "{'NetworkInterfaces':{}}", SGS(P_SSH), NULL,
	  "ifs.json: NetworkInterfaces must be an array, not an object" },
	{ "PrivateIpAddress not an IP",
	  IFS("{'NetworkInterfaceId':'eni-1','MacAddress':'0e:11:22:33:44:01','Groups':[],"
	      "'PrivateIpAddresses':[{'PrivateIpAddress':'10.0.1.10'},"
	      "{'PrivateIpAddress':'10.0.1.300'}]}"), SGS(P_SSH), NULL,
	  "ifs.json: NetworkInterfaces[0].PrivateIpAddresses[1]: '10.0.1.300' is not an IPv4 or "
	  "IPv6 address" },
	{ "PrivateIpAddress is IPv6",
	  IFS("{'NetworkInterfaceId':'eni-1','MacAddress':'0e:11:22:33:44:01','Groups':[],"
	      "'PrivateIpAddresses':[{'PrivateIpAddress':'2001:db8::1'}]}"), SGS(P_SSH), NULL,
	  "NetworkInterfaces[0].PrivateIpAddresses[0]: PrivateIpAddress '2001:db8::1' is not IPv4" },
	{ "remote ENI malformed too",
	  IFS(IFC("") ",{'NetworkInterfaceId':'eni-2','MacAddress':'0e:00:00:00:00:09',"
	      "'Groups':[],'PrivateIpAddresses':[{'PrivateIpAddress':'10.0.9.x'}]}"),
	  SGS(P_SSH), NULL,
	  "ifs.json: NetworkInterfaces[1].PrivateIpAddresses[0]: '10.0.9.x' is not" },
	{ "missing PrivateIpAddresses",
	  IFS("{'NetworkInterfaceId':'eni-1','MacAddress':'0e:11:22:33:44:01','Groups':[]}"),
	  SGS(P_SSH), NULL, "ifs.json: NetworkInterfaces[0]: missing key \"PrivateIpAddresses\"" },
	{ "missing MacAddress",
	  IFS("{'NetworkInterfaceId':'eni-1','Groups':[],'PrivateIpAddresses':[]}"), SGS(P_SSH),
	  NULL, "ifs.json: NetworkInterfaces[0]: missing key \"MacAddress\"" },
	{ "bad MacAddress",
	  IFS("{'NetworkInterfaceId':'eni-1','MacAddress':'0e-11-22-33-44-01','Groups':[],"
	      "'PrivateIpAddresses':[]}"), SGS(P_SSH), NULL,
	  "ifs.json: NetworkInterfaces[0]: MacAddress '0e-11-22-33-44-01' is not a MAC address" },
	{ "bad Ipv4Prefix", IFS(IFC(",'Ipv4Prefixes':[{'Ipv4Prefix':'10.0.1.32'}]")), SGS(P_SSH),
	  NULL, "ifs.json: NetworkInterfaces[0].Ipv4Prefixes[0]: '10.0.1.32' is not a CIDR" },
	{ "TcpEstablishedTimeout 30",
	  IFS(IFC(",'ConnectionTrackingConfiguration':{'TcpEstablishedTimeout':30}")), SGS(P_SSH),
	  NULL, "ifs.json: NetworkInterfaces[0].ConnectionTrackingConfiguration: eni-1: "
	  "TcpEstablishedTimeout 30 out of range 60..432000" },
	{ "UdpTimeout 300",
	  IFS(IFC(",'ConnectionTrackingConfiguration':{'UdpTimeout':300}")), SGS(P_SSH), NULL,
	  "eni-1: UdpTimeout 300 out of range 30..60" },
	{ "truncated interfaces", "{'NetworkInterfaces':[{'NetworkInterfaceId':'eni-1','Mac",
	  SGS(P_SSH), NULL, "ifs.json: line 1, column" },
	{ "paginated interfaces", "{'NetworkInterfaces':[" IFC("") "],'NextToken':'abc'}",
	  SGS(P_SSH), NULL, "ifs.json: has a NextToken" },
	{ "no local MAC",
	  IFS("{'NetworkInterfaceId':'eni-1','MacAddress':'0e:00:00:00:00:09','Groups':[],"
	      "'PrivateIpAddresses':[]}"), SGS(P_SSH), NULL,
	  "no ENI in ifs.json has the MAC of a local interface (local: eth0 0e:11:22:33:44:01, "
	  "eth1 0e:11:22:33:44:02, docker0 02:42:ac:11:00:01)" },
	{ "empty NetworkInterfaces", IFS(""), SGS(P_SSH), NULL,
	  "no ENI in ifs.json has the MAC of a local interface" },
	{ "local ENI's group not described",
	  IFS("{'NetworkInterfaceId':'eni-1','MacAddress':'0e:11:22:33:44:01',"
	      "'PrivateIpAddresses':[],'Groups':[{'GroupId':'sg-1'},{'GroupId':'sg-2'}]}"),
	  SGS(P_SSH), NULL,
	  "ifs.json: NetworkInterfaces[0].Groups[1]: security group sg-2 of local ENI eni-1 is not "
	  "in sgs.json" },
	{ "missing SecurityGroups", IFS(IFC("")), "{'Groups':[]}", NULL,
	  "sgs.json: missing key \"SecurityGroups\"" },
	{ "missing IpPermissions", IFS(IFC("")), "{'SecurityGroups':[{'GroupId':'sg-1'}]}", NULL,
	  "sgs.json: SecurityGroups[0]: missing key \"IpPermissions\"" },
	{ "FromPort missing for tcp", IFS(IFC("")),
	  SGS("{'IpProtocol':'tcp','ToPort':22,'IpRanges':[{'CidrIp':'192.0.2.0/24'}]}"), NULL,
	  "sgs.json: SecurityGroups[0].IpPermissions[0]: missing key \"FromPort\"" },
	{ "FromPort 70000", IFS(IFC("")),
	  SGS(P_SSH ",{'IpProtocol':'udp','FromPort':70000,'ToPort':70000,'IpRanges':[]}"), NULL,
	  "sgs.json: SecurityGroups[0].IpPermissions[1]: FromPort 70000 out of range 0..65535" },
	{ "FromPort as a string", IFS(IFC("")),
	  SGS("{'IpProtocol':'tcp','FromPort':'22','ToPort':22}"), NULL,
	  "sgs.json: SecurityGroups[0].IpPermissions[0]: FromPort must be an integer, not a string" },
	{ "ports reversed", IFS(IFC("")), SGS("{'IpProtocol':'tcp','FromPort':90,'ToPort':80}"),
	  NULL, "sgs.json: SecurityGroups[0].IpPermissions[0]: port range 90-80 is reversed" },
	{ "unknown IpProtocol", IFS(IFC("")), SGS("{'IpProtocol':'sctpx'}"), NULL,
	  "sgs.json: SecurityGroups[0].IpPermissions[0]: IpProtocol 'sctpx' is not" },
	{ "icmp code without type", IFS(IFC("")),
	  SGS("{'IpProtocol':'icmp','FromPort':-1,'ToPort':3}"), NULL,
	  "sgs.json: SecurityGroups[0].IpPermissions[0]: ICMP code 3 needs an ICMP type" },
	{ "bad CidrIp", IFS(IFC("")),
	  SGS("{'IpProtocol':'-1','IpRanges':[{'CidrIp':'192.0.2.0/24'},{'CidrIp':'192.0.2.0/33'}]}"),
	  NULL, "sgs.json: SecurityGroups[0].IpPermissions[0].IpRanges[1]: '192.0.2.0/33' is not an "
	  "IPv4 or IPv6 CIDR" },
	{ "IPv6 in CidrIp", IFS(IFC("")),
	  SGS("{'IpProtocol':'-1','IpRanges':[{'CidrIp':'::/0'}]}"), NULL,
	  "sgs.json: SecurityGroups[0].IpPermissions[0].IpRanges[0]: CidrIp '::/0' is not IPv4" },
	{ "IPv4-mapped CidrIpv6", IFS(IFC("")),
	  SGS("{'IpProtocol':'-1','Ipv6Ranges':[{'CidrIpv6':'::ffff:0:0/96'}]}"), NULL,
	  "sgs.json: SecurityGroups[0].IpPermissions[0].Ipv6Ranges[0]: '::ffff:0:0/96' is in the "
	  "IPv4-mapped IPv6 range" },
	{ "CidrIp missing", IFS(IFC("")),
	  SGS("{'IpProtocol':'-1','IpRanges':[{'Description':'x'}]}"), NULL,
	  "sgs.json: SecurityGroups[0].IpPermissions[0].IpRanges[0]: missing key \"CidrIp\"" },
	{ "prefix list not given", IFS(IFC("")),
	  SGS("{'IpProtocol':'-1','PrefixListIds':[{'PrefixListId':'pl-9'}]}"), NULL,
	  "sgs.json: SecurityGroups[0].IpPermissions[0].PrefixListIds[0]: references prefix list "
	  "pl-9, which is not defined" },
	{ "prefix list missing Entries", IFS(IFC("")), SGS(P_SSH), "{'PrefixListId':'pl-1'}",
	  "pl.json: missing key \"Entries\"" },
	{ "prefix list bad Cidr", IFS(IFC("")), SGS(P_SSH),
	  "{'Entries':[{'Cidr':'192.0.2.0/24'},{'Cidr':'192.0.2.0/40'}]}",
	  "pl.json: Entries[1]: '192.0.2.0/40' is not an IPv4 or IPv6 CIDR" },
	{ "duplicate FromPort", IFS(IFC("")),
	  SGS("{'IpProtocol':'tcp','FromPort':22,'ToPort':22,'FromPort':0}"), NULL,
	  "sgs.json: line 1, column 101: duplicate key \"FromPort\" in "
	  "SecurityGroups[0].IpPermissions[0] (first at line 1, column 75)" },
	{ "duplicate MacAddress",
	  IFS(IFC(",'MacAddress':'0e:11:22:33:44:09'")), SGS(P_SSH), NULL,
	  "duplicate key \"MacAddress\" in NetworkInterfaces[0] (first at" },
	{ "duplicate Cidr in a prefix list", IFS(IFC("")), SGS(P_SSH),
	  "{'Entries':[{'Cidr':'192.0.2.0/24','Cidr':'0.0.0.0/0'}]}",
	  "pl.json: line 1, column 36: duplicate key \"Cidr\" in Entries[0]" },
	{ "prefix list truncated", IFS(IFC("")), SGS(P_SSH), "{'Entries':[{'Cidr':'192.0.2.0/24'}",
	  "pl.json: line 1, column" },
};

static int aws_run(const struct aws_case *c, struct desired_state *s, struct err *e)
{
	char *ifs = q(c->ifs), *sgs = q(c->sgs), *pl = c->pl ? q(c->pl) : NULL;
	struct aws_prefix_list_doc pls[] = { { "pl-1", { "pl.json", pl } } };
	struct aws_docs docs = {
		.interfaces = { "ifs.json", ifs }, .groups = { "sgs.json", sgs },
		.prefix_lists = pls, .n_prefix_lists = pl ? 1 : 0,
		.locals = locals, .n_locals = ARRAY_SIZE(locals),
	};
	int ret = source_aws_parse(&docs, s, e);

	free(ifs);
	free(sgs);
	free(pl);
	return ret;
}

static void test_aws_malformed(void **unused)
{
	static const struct aws_case good = { "good", IFS(IFC("")), SGS(P_SSH), PL_DOC, NULL };
	struct desired_state s;
	struct err e = { 0 };

	state_init(&s);
	if (aws_run(&good, &s, &e))
		fail_msg("the base documents do not parse: %s", e.msg);
	assert_int_equal(s.enis.n, 1);
	for (size_t i = 0; i < ARRAY_SIZE(aws_bad); i++) {
		const char *file = strstr(aws_bad[i].want, "sgs.json") ? "sgs.json"
				 : strstr(aws_bad[i].want, "pl.json") ? "pl.json" : "ifs.json";
		int ret;

		err_clear(&e);
		ret = aws_run(&aws_bad[i], &s, &e);
		check_error(aws_bad[i].name, ret, &e, file, aws_bad[i].want);
		/* the state from the good documents is still there */
		assert_int_equal(s.enis.n, 1);
		assert_string_equal(s.enis.v[0].eni_id, "eni-1");
		assert_int_equal(s.groups.n, 1);
		assert_int_equal(s.groups.v[0].ingress.n, 1);
	}
	state_free(&s);
}

static void test_aws_details(void **unused)
{
	/* MAC in upper case; no IpPermissionsEgress; icmp type+code; a protocol number. */
	static const struct aws_case c = {
		"details",
		IFS("{'NetworkInterfaceId':'eni-1','MacAddress':'0E:11:22:33:44:02',"
		    "'PrivateIpAddresses':[{'PrivateIpAddress':'10.0.1.10','Primary':true}],"
		    "'Ipv6Addresses':[{'Ipv6Address':'2001:db8::1'},"
		    "{'Ipv6Address':'2001:db8::2','IsPrimaryIpv6':true}],"
		    "'Groups':[{'GroupId':'sg-1','GroupName':'x'}],'Unknown':{'Field':1}}"),
		"{'SecurityGroups':[{'GroupId':'sg-1','IpPermissions':["
		"{'IpProtocol':'icmp','FromPort':3,'ToPort':4,'IpRanges':[{'CidrIp':'10.0.0.0/8'}]},"
		"{'IpProtocol':'6','FromPort':80,'ToPort':81,'IpRanges':[{'CidrIp':'10.1.2.3/16'}]},"
		"{'IpProtocol':'17','FromPort':-1,'ToPort':-1}]}]}",
		NULL, NULL,
	};
	struct aws_case bad = c;
	struct desired_state s;
	struct err e = { 0 };
	const struct group *g;
	int ret;

	state_init(&s);
	ret = aws_run(&c, &s, &e);
	/* udp with FromPort -1: AWS never writes that; refusing beats guessing */
	check_error("udp -1", ret, &e, "sgs.json",
		    "sgs.json: SecurityGroups[0].IpPermissions[2]: FromPort -1 out of range 0..65535");

	bad.sgs = "{'SecurityGroups':[{'GroupId':'sg-1','IpPermissions':["
		  "{'IpProtocol':'icmp','FromPort':3,'ToPort':4,'IpRanges':[{'CidrIp':'10.0.0.0/8'}]},"
		  "{'IpProtocol':'6','FromPort':80,'ToPort':81,'IpRanges':[{'CidrIp':'10.1.2.3/16'}]}"
		  "]}]}";
	err_clear(&e);
	ret = aws_run(&bad, &s, &e);
	if (ret)
		fail_msg("%s", e.msg);
	assert_int_equal(s.enis.n, 1);
	assert_string_equal(s.enis.v[0].ifname, "eth1");
	assert_false(s.enis.v[0].addrs.v[1].primary);
	assert_true(s.enis.v[0].addrs.v[2].primary); /* IsPrimaryIpv6 */
	g = &s.groups.v[0];
	assert_false(g->egress_set);
	assert_rule(&g->ingress.v[0], 1, 3, 4, PEER_CIDR, "10.0.0.0/8");
	assert_rule(&g->ingress.v[1], 6, 80, 81, PEER_CIDR, "10.1.0.0/16"); /* host bits cleared */
	state_free(&s);
}

/* A peer group keeps only its members: its own rules may name what the documents lack. */
static void test_aws_peer_group_members_only(void **unused)
{
	static const struct aws_case c = {
		"peer group",
		IFS(IFC("") ",{'NetworkInterfaceId':'eni-2','MacAddress':'0e:00:00:00:00:09',"
		    "'PrivateIpAddresses':[{'PrivateIpAddress':'10.0.9.9'}],"
		    "'Groups':[{'GroupId':'sg-2'}]}"),
		"{'SecurityGroups':[{'GroupId':'sg-1','IpPermissions':[{'IpProtocol':'-1',"
		"'UserIdGroupPairs':[{'GroupId':'sg-2'}]}]},"
		"{'GroupId':'sg-2','IpPermissions':[{'IpProtocol':'-1',"
		"'PrefixListIds':[{'PrefixListId':'pl-elsewhere'}]}],'IpPermissionsEgress':[]}]}",
		NULL, NULL,
	};
	struct desired_state s;
	struct err e = { 0 };
	const struct group *g;
	int ret;

	state_init(&s);
	ret = aws_run(&c, &s, &e);
	if (ret)
		fail_msg("%s", e.msg);
	g = state_find_group(&s, "sg-2");
	assert_non_null(g);
	assert_int_equal(g->ingress.n, 0);
	assert_false(g->egress_set);
	assert_int_equal(g->members.n, 1);
	assert_prefix(&g->members.v[0], "10.0.9.9/32");
	assert_int_equal(state_find_group(&s, "sg-1")->ingress.n, 1);
	state_free(&s);
}

/*
 * A rule naming a group no document describes (a peered VPC's, another account's) is valid AWS
 * output: it matches the members the documents show (none here), every other rule applies, and
 * the state says so in a warning.
 */
static void test_aws_foreign_group_reference(void **unused)
{
	static const struct aws_case c = {
		"foreign group",
		IFS(IFC("")),
		SGS(P_SSH ",{'IpProtocol':'tcp','FromPort':5432,'ToPort':5432,'UserIdGroupPairs':"
		    "[{'GroupId':'sg-0peer','UserId':'123456789012','VpcId':'vpc-1',"
		    "'VpcPeeringConnectionId':'pcx-1','PeeringStatus':'active'}]}"),
		NULL, NULL,
	};
	char warn[4][STATE_WARN_LEN];
	char id[STATE_ID_LEN];
	struct desired_state s;
	struct compiled out = { 0 };
	struct err e = { 0 };
	const struct group *g;

	state_init(&s);
	if (aws_run(&c, &s, &e))
		fail_msg("%s", e.msg);
	g = state_find_group(&s, "sg-1");
	assert_int_equal(g->ingress.n, 2);
	assert_rule(&g->ingress.v[0], 6, 22, 22, PEER_CIDR, "192.0.2.0/24");
	g = state_find_group(&s, "sg-0peer");
	assert_non_null(g);
	assert_int_equal(g->members.n, 0);
	assert_int_equal(g->ingress.n, 0);
	assert_int_equal(state_warnings(&s, warn, 4), 1);
	assert_string_equal(warn[0], "security group sg-0peer has no known members: 1 rule naming "
			    "it (first sgs.json: SecurityGroups[0].IpPermissions[1]."
			    "UserIdGroupPairs[0]) match nothing");
	/* metrics read the group back from the kept line, and nothing from other lines */
	assert_true(state_warning_group(warn[0], id, sizeof(id)));
	assert_string_equal(id, "sg-0peer");
	assert_false(state_warning_group("security group sg-x is fine", id, sizeof(id)));
	assert_false(state_warning_group("eth1 is attached without configuration", id, sizeof(id)));
	/* it compiles: the SSH rule is there, the reference adds no source */
	s.enis.v[0].ifindex = 7;
	if (compile_state(&s, 0, &out, &e))
		fail_msg("%s", e.msg);
	assert_int_equal(out.enis.n, 1);
	assert_true(out.srcs.n >= 1);
	compiled_free(&out);
	state_free(&s);
}

static void test_aws_missing_file(void **unused)
{
	struct aws_inputs in = {
		.interfaces_path = "/nonexistent/ifs.json", .groups_path = "/nonexistent/sgs.json",
		.locals = locals, .n_locals = ARRAY_SIZE(locals),
	};
	struct desired_state s;
	struct err e = { 0 };
	int ret;

	state_init(&s);
	ret = source_aws_load(&in, &s, &e);
	assert_int_equal(ret, -ENOENT);
	check_error("missing file", ret, &e, "/nonexistent/ifs.json", "cannot open");
}

/* ---- json_util ---- */

/* Only a name given twice in one object is a duplicate; equal names elsewhere are not. */
static void test_json_duplicate_keys(void **unused)
{
	static const struct {
		const char *text, *want; /* want NULL: no duplicate */
	} cases[] = {
		{ "{\"a\":1,\"b\":{\"a\":1},\"c\":[{\"a\":1},{\"a\":2}]}", NULL },
		{ "{\"a\":\"\\\"a\\\":1,\",\"b\":\"a\"}", NULL }, /* names inside strings */
		{ "{\"a\":1,\"A\":2,\"a \":3,\"\":4}", NULL }, /* case, space, empty */
		{ "{\"\\ud83d\\ude00\":1,\"\\ud83d\\ude01\":2}", NULL },    /* surrogate pairs */
		{ "{\"x\":[1,{\"y\":[{}, {\"z\":1,\"z\":2}]}]}",
		  "f.json: line 1, column 26: duplicate key \"z\" in x[1].y[1] (first at line 1, "
		  "column 20)" },
		{ "{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}",
		  "duplicate key \"\xf0\x9f\x98\x80\"" },
		{ "{\"a\\/b\":1,\"a/b\":2}", "duplicate key \"a/b\" in the top-level object" },
		{ "{\"k\":{\"v\":1},\"k\":{\"v\":1}}", "duplicate key \"k\"" },
	};
	struct err e = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *t = cases[i].text;
		int ret;

		err_clear(&e);
		ret = json_check_duplicate_keys(t, strlen(t), "f.json", &e);
		if (!cases[i].want) {
			if (ret)
				fail_msg("case %zu: %s", i, e.msg);
			continue;
		}
		check_error(t, ret, &e, "f.json", cases[i].want);
	}
}

static void test_jpos_and_mac(void **unused)
{
	struct jpos root = jpos_root("f.json");
	struct jpos a = jpos_key(&root, "enis"), b = jpos_index(&a, 1), c = jpos_key(&b, "x");
	char where[64];
	uint8_t mac[6];
	char text[MAC_STRLEN];

	assert_string_equal(c.path, "enis[1].x");
	jpos_where(&c, where, sizeof(where));
	assert_string_equal(where, "f.json: enis[1].x");
	jpos_where(&root, where, sizeof(where));
	assert_string_equal(where, "f.json");

	assert_int_equal(mac_parse("0E:11:22:33:44:aB", mac), 0);
	mac_format(mac, text);
	assert_string_equal(text, "0e:11:22:33:44:ab");
	assert_int_equal(mac_parse("0e:11:22:33:44", mac), -EINVAL);
	assert_int_equal(mac_parse("0e:11:22:33:44:01:", mac), -EINVAL);
	assert_int_equal(mac_parse("0e:11:22:33:44:0g", mac), -EINVAL);
	assert_int_equal(mac_parse("", mac), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_parse),
		cmocka_unit_test(test_rule_validate),
		cmocka_unit_test(test_default_timeouts),
		cmocka_unit_test(test_jpos_and_mac),
		cmocka_unit_test(test_json_duplicate_keys),
		cmocka_unit_test(test_native_full),
		cmocka_unit_test(test_native_malformed),
		cmocka_unit_test(test_native_small),
		cmocka_unit_test(test_native_missing_file),
		cmocka_unit_test(test_aws_fixtures),
		cmocka_unit_test(test_aws_malformed),
		cmocka_unit_test(test_aws_details),
		cmocka_unit_test(test_aws_peer_group_members_only),
		cmocka_unit_test(test_aws_foreign_group_reference),
		cmocka_unit_test(test_aws_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
