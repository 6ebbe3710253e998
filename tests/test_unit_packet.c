// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_unit_packet.c — `explain`'s packet text (loader/packet.c): what a user writes
 * becomes the frame they mean (IPv4 and IPv6, TCP flags, UDP, ICMP type/code), it prints back
 * the same way, and a bad word is named in the error. No privileges.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <netinet/in.h>

#include "packet.h"

static void parse_ok(const char *text, struct packet_spec *p)
{
	struct err e = {};

	if (packet_parse(text, p, &e))
		fail_msg("'%s': %s", text, e.msg);
}

static void test_tcp_v4_frame(void **state)
{
	struct packet_spec p;
	uint8_t f[PACKET_MAX_FRAME];
	char back[192];
	size_t n;

	parse_ok("tcp 203.0.113.7:40000 > 10.20.1.11:443 syn", &p);
	n = packet_build(&p, f);
	assert_int_equal(n, 14 + 20 + 20);
	assert_int_equal(f[12] << 8 | f[13], 0x0800);
	assert_int_equal(f[14 + 9], IPPROTO_TCP);
	static const uint8_t src[4] = { 203, 0, 113, 7 }, dst[4] = { 10, 20, 1, 11 };

	assert_memory_equal(f + 14 + 12, src, 4);
	assert_memory_equal(f + 14 + 16, dst, 4);
	assert_int_equal(f[34] << 8 | f[35], 40000);
	assert_int_equal(f[36] << 8 | f[37], 443);
	assert_int_equal(f[34 + 13], PACKET_TCP_SYN);
	/* The IPv4 header checksums to zero. */
	{
		uint32_t sum = 0;

		for (int i = 0; i < 20; i += 2)
			sum += (uint32_t)f[14 + i] << 8 | f[15 + i];
		while (sum >> 16)
			sum = (sum & 0xffff) + (sum >> 16);
		assert_int_equal(sum, 0xffff);
	}
	packet_format(&p, back, sizeof(back));
	assert_string_equal(back, "tcp 203.0.113.7:40000 > 10.20.1.11:443 syn");
	parse_ok("tcp 203.0.113.7:40000 > 10.20.1.11:443 ack fin", &p);
	assert_int_equal(p.tcp_flags, PACKET_TCP_ACK | PACKET_TCP_FIN);
}

static void test_udp_v6_and_icmp(void **state)
{
	struct packet_spec p;
	uint8_t f[PACKET_MAX_FRAME];
	char back[192];

	parse_ok("udp [2001:db8::7]:5353 > [2001:db8:1::10]:53 len 100", &p);
	assert_true(p.v6);
	assert_int_equal(packet_build(&p, f), 14 + 40 + 8 + 100);
	assert_int_equal(f[12] << 8 | f[13], 0x86dd);
	assert_int_equal(f[14 + 6], IPPROTO_UDP);
	assert_int_equal(f[54 + 2] << 8 | f[54 + 3], 53);
	packet_format(&p, back, sizeof(back));
	assert_string_equal(back, "udp [2001:db8::7]:5353 > [2001:db8:1::10]:53");

	parse_ok("icmp 203.0.113.7 > 10.20.1.11 type 3 code 4", &p);
	packet_build(&p, f);
	assert_int_equal(f[34], 3);
	assert_int_equal(f[35], 4);
	parse_ok("icmpv6 2001:db8::7 > 2001:db8:1::10", &p);
	assert_int_equal(p.icmp_type, 128); /* echo request by default */
	parse_ok("icmp 203.0.113.7 > 10.20.1.11 echo-reply", &p);
	assert_int_equal(p.icmp_type, 0);
	parse_ok("47 203.0.113.7 > 10.20.1.11", &p);
	assert_int_equal(p.proto, 47);
}

static void test_bad_words_named(void **state)
{
	static const struct {
		const char *text, *said;
	} bad[] = {
		{ "tcp 203.0.113.7 > 10.20.1.11:443", "needs a port" },
		{ "tcp 203.0.113.7:1 > 2001:db8::1", "needs a port" },
		{ "tcp 203.0.113.7:1 > [2001:db8::1]:2", "different families" },
		{ "tcp 203.0.113.7:1 > 10.20.1.11:443 sin", "unexpected 'sin'" },
		{ "sctp 203.0.113.7:1 > 10.20.1.11:443", "unknown protocol 'sctp'" },
		{ "icmp 2001:db8::7 > 2001:db8::1", "icmpv6" },
		{ "icmp 203.0.113.7 > 10.20.1.11 type 300", "'type' needs a number" },
		{ "udp 203.0.113.7:70000 > 10.20.1.11:53", "bad port" },
		{ "tcp 203.0.113.7:1 10.20.1.11:2", "expected 'PROTO SRC > DST" },
		{ "udp 203.0.113.7:1 > 10.20.1.11:2 syn", "unexpected 'syn'" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct packet_spec p;
		struct err e = {};

		assert_int_equal(packet_parse(bad[i].text, &p, &e), -EINVAL);
		if (!strstr(e.msg, bad[i].said))
			fail_msg("'%s': said '%s', want '%s'", bad[i].text, e.msg, bad[i].said);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_v4_frame),
		cmocka_unit_test(test_udp_v6_and_icmp),
		cmocka_unit_test(test_bad_words_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
