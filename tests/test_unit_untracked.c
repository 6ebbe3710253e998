// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_unit_untracked.c — which of an address's policies the compiler marks open
 * (REFERENCE.md §3: a TCP/UDP flow is untracked when the rule permitting it has peer 0.0.0.0/0
 * or ::/0 and the other direction allows the protocol on all ports to/from there; the datapath
 * finds the rule, these flags say which direction is open), and the test-only short-timeout
 * knob of the native config. No privileges.
 *
 * Each case is a native config; the table names, per address (or delegated prefix), the
 * ENIADDR_ADDR_F_{IN,OUT}_OPEN_* flags its owner entry must carry after compile_state().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile/compile.h"
#include "source/native.h"
#include "state.h"

#define IT ENIADDR_ADDR_F_IN_OPEN_TCP
#define IU ENIADDR_ADDR_F_IN_OPEN_UDP
#define OT ENIADDR_ADDR_F_OUT_OPEN_TCP
#define OU ENIADDR_ADDR_F_OUT_OPEN_UDP
#define MASK (IT | IU | OT | OU)

struct expect {
	const char *addr; /* an address, or a delegated prefix "a/n" */
	__u32 flags;
};

struct untracked_case {
	const char *name;
	const char *ingress; /* JSON array of sg-a's ingress rules */
	const char *egress;  /* JSON array of its egress rules, or NULL: AWS's default (all) */
	struct expect want[4];
};

/* eth0 with 10.0.0.10, 2001:db8::10, the override address 10.0.0.11 (group sg-b, which allows
 * only tcp 22 from 10/8) and the delegated prefix 10.0.16.0/28. */
static const char *config_fmt =
	"{\"enis\": [{\"interface\": \"eth0\", \"security_groups\": [\"sg-a\"],"
	" \"addresses\": [\"10.0.0.10\", \"2001:db8::10\", {\"address\": \"10.0.0.11\","
	"  \"security_groups\": [\"sg-b\"]}], \"prefixes\": [\"10.0.16.0/28\"]}],"
	" \"security_groups\": [{\"id\": \"sg-a\", \"ingress\": %s%s%s},"
	"  {\"id\": \"sg-b\", \"ingress\": [{\"protocol\": \"tcp\", \"ports\": \"22\","
	"   \"from\": [\"10.0.0.0/8\"]}]}]}";

#define ALL_TCP4 "{\"protocol\": \"tcp\", \"ports\": \"0-65535\", \"from\": [\"0.0.0.0/0\"]}"

/* AWS's default egress (all to 0.0.0.0/0 and ::/0) opens both protocols outbound. */
static const struct untracked_case cases[] = {
	{ "tcp all ports from 0.0.0.0/0, default egress", "[" ALL_TCP4 "]", NULL,
	  { { "10.0.0.10", IT | OT | OU }, { "2001:db8::10", OT | OU }, { "10.0.0.11", OT | OU },
	    { "10.0.16.0/28", IT | OT | OU } } },
	{ "two rules that together cover every port",
	  "[{\"protocol\": \"udp\", \"ports\": \"0-1000\", \"from\": [\"0.0.0.0/0\"]},"
	  " {\"protocol\": \"udp\", \"ports\": \"1001-65535\", \"from\": [\"0.0.0.0/0\"]}]", NULL,
	  { { "10.0.0.10", IU | OT | OU }, { "10.0.16.0/28", IU | OT | OU } } },
	{ "a gap of one port keeps the direction closed",
	  "[{\"protocol\": \"udp\", \"ports\": \"0-1000\", \"from\": [\"0.0.0.0/0\"]},"
	  " {\"protocol\": \"udp\", \"ports\": \"1002-65535\", \"from\": [\"0.0.0.0/0\"]}]", NULL,
	  { { "10.0.0.10", OT | OU } } },
	{ "all protocols from both roots",
	  "[{\"protocol\": \"all\", \"from\": [\"0.0.0.0/0\", \"::/0\"]}]", NULL,
	  { { "10.0.0.10", IT | IU | OT | OU }, { "2001:db8::10", IT | IU | OT | OU },
	    { "10.0.0.11", OT | OU } } },
	{ "no outbound rules: outbound closed", "[" ALL_TCP4 "]", "[]", { { "10.0.0.10", IT } } },
	{ "outbound to 0.0.0.0/0 on one port only: outbound closed", "[" ALL_TCP4 "]",
	  "[{\"protocol\": \"tcp\", \"ports\": \"443\", \"to\": [\"0.0.0.0/0\"]}]",
	  { { "10.0.0.10", IT } } },
	{ "outbound tcp to 0.0.0.0/0: tcp open outbound, not udp",
	  "[{\"protocol\": \"all\", \"from\": [\"0.0.0.0/0\"]}]",
	  "[{\"protocol\": \"tcp\", \"ports\": \"0-65535\", \"to\": [\"0.0.0.0/0\"]}]",
	  { { "10.0.0.10", IT | IU | OT }, { "2001:db8::10", 0 } } },
	{ "two halves of the Internet are not 0.0.0.0/0",
	  "[{\"protocol\": \"tcp\", \"ports\": \"0-65535\","
	  "  \"from\": [\"0.0.0.0/1\", \"128.0.0.0/1\"]}]", NULL, { { "10.0.0.10", OT | OU } } },
	{ "icmp opens nothing",
	  "[{\"protocol\": \"icmp\", \"icmp_type\": -1, \"from\": [\"0.0.0.0/0\"]}]", NULL,
	  { { "10.0.0.10", OT | OU } } },
};

static int compile_text(const char *text, struct desired_state *s, struct compiled *c,
			struct err *e)
{
	int ret;

	state_init(s);
	ret = source_native_parse(text, "cfg.json", s, e);
	if (ret)
		return ret;
	for (size_t i = 0; i < s->enis.n; i++)
		s->enis.v[i].ifindex = (int)i + 2;
	return compile_state(s, 0, c, e);
}

/* The flags of the owner entry of addr (exact address or delegated prefix), or -1. */
static long owner_flags(const struct compiled *c, const char *addr)
{
	struct ip_prefix p;

	if (ip_prefix_parse(addr, &p))
		return -2;
	for (size_t i = 0; i < c->addrs.n; i++)
		if (!strchr(addr, '/') && !memcmp(c->addrs.v[i].k.addr, p.addr, 16))
			return c->addrs.v[i].v.flags;
	for (size_t i = 0; i < c->pfxs.n; i++)
		if (strchr(addr, '/') && !memcmp(c->pfxs.v[i].k.addr, p.addr, 16) &&
		    c->pfxs.v[i].k.prefixlen == 32u + (__u32)p.plen)
			return c->pfxs.v[i].v.flags;
	return -1;
}

static void test_untracked_flags(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct untracked_case *uc = &cases[i];
		char text[4096];
		struct desired_state s;
		struct compiled c;
		struct err e = {};

		snprintf(text, sizeof(text), config_fmt, uc->ingress,
			 uc->egress ? ", \"egress\": " : "", uc->egress ? uc->egress : "");
		if (compile_text(text, &s, &c, &e)) {
			print_error("%s: %s\n", uc->name, e.msg);
			failed++;
			state_free(&s);
			continue;
		}
		for (size_t j = 0; j < 4 && uc->want[j].addr; j++) {
			long got = owner_flags(&c, uc->want[j].addr);

			if (got < 0 || ((__u32)got & MASK) != uc->want[j].flags) {
				print_error("%s: %s has open flags %#lx, want %#x\n", uc->name,
					    uc->want[j].addr, got < 0 ? got : (long)(got & MASK),
					    uc->want[j].flags);
				failed++;
			}
		}
		compiled_free(&c);
		state_free(&s);
	}
	if (failed)
		fail_msg("%d checks failed", failed);
}

/* Timeouts below AWS's minimums are refused, unless the config says it is a test. */
static void test_short_timeouts_knob(void **state)
{
	static const char *fmt =
		"{%s \"enis\": [{\"interface\": \"eth0\", \"security_groups\": [],"
		" \"addresses\": [\"10.0.0.10\"], \"connection_tracking\": {\"udp\": 2,"
		" \"tcp_established\": 5}}]}";
	struct desired_state s;
	struct err e = {};
	char text[1024];

	(void)state;
	state_init(&s);
	snprintf(text, sizeof(text), fmt, "");
	assert_int_equal(source_native_parse(text, "cfg.json", &s, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "out of range"));
	err_clear(&e);
	snprintf(text, sizeof(text), fmt, "\"test_only_short_timeouts\": false,");
	assert_int_equal(source_native_parse(text, "cfg.json", &s, &e), -EINVAL);
	err_clear(&e);
	snprintf(text, sizeof(text), fmt, "\"test_only_short_timeouts\": true,");
	assert_int_equal(source_native_parse(text, "cfg.json", &s, &e), 0);
	assert_true(s.test_only_short_timeouts);
	assert_int_equal(s.enis.v[0].timeouts.udp, 2);
	assert_int_equal(s.enis.v[0].timeouts.tcp_established, 5);
	state_free(&s);
	/* Zero is never a timeout, knob or not. */
	state_init(&s);
	snprintf(text, sizeof(text),
		 "{\"test_only_short_timeouts\": true, \"enis\": [{\"interface\": \"eth0\","
		 " \"security_groups\": [], \"addresses\": [\"10.0.0.10\"],"
		 " \"connection_tracking\": {\"udp\": 0}}]}");
	assert_int_equal(source_native_parse(text, "cfg.json", &s, &e), -EINVAL);
	state_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_untracked_flags),
		cmocka_unit_test(test_short_timeouts_knob),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
