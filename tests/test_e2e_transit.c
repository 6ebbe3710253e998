// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_transit.c — a NAT / router instance end to end: an ENI with the source/dest
 * check off forwards for addresses no ENI owns, and its groups judge that transit traffic both
 * ways, tracked (issue 8 item 4). Real kernel forwarding, real sockets, the real CLI.
 *
 *   client ns: c0 10.77.1.2/24 -- r0 10.77.1.1/24, router ns
 *   router ns: r1 10.77.2.1/24 -- s0 10.77.2.2/24, server ns
 *
 * eniaddr-bpf is attached to r0 only ("source_check": false); its group allows tcp 8080 in from
 * the client subnet. The server's answers leave through r0's tc egress with a source no ENI
 * owns: transit, and passing only as replies of the tracked flows.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "clirun.h"
#include "netns.h"
#include "vpcbed.h"

#define TIMEOUT_MS 1500
#define OPEN_PORT  8080 /* allowed through by the router's group */
#define SHUT_PORT  8081 /* allowed by no rule */
#define SERVER     "10.77.2.2"

static struct netns client, router, server;
static struct clirun cli;
static char out[65536];

static const char *config_fmt =
	"{\"enis\": [{\"interface\": \"r0\", \"source_check\": %s,"
	"  \"security_groups\": [\"sg-nat\"],"
	"  \"addresses\": [\"10.77.1.1\"]}],"
	" \"security_groups\": [{\"id\": \"sg-nat\", \"ingress\": ["
	"  {\"protocol\": \"tcp\", \"ports\": \"8080\", \"from\": [\"10.77.1.0/24\"]}]}]}";

static int apply_config(bool source_check)
{
	char text[2048], path[PATH_MAX];

	snprintf(text, sizeof(text), config_fmt, source_check ? "true" : "false");
	if (clirun_write_file(&cli, "cfg.json", text, path))
		return -EIO;
	return clirun(&cli, out, sizeof(out), "apply %s", path);
}

static bool tcp_ok(unsigned int port)
{
	return vpcbed_tcp_echo(client.name, SERVER, port, TIMEOUT_MS) == 0;
}

static int setup(void **state)
{
	(void)state;
	if (netns_create(&client, "trc") || netns_create(&router, "trr") ||
	    netns_create(&server, "trs") || netns_veth_add(&client, "c0", &router, "r0") ||
	    netns_veth_add(&server, "s0", &router, "r1"))
		return -1;
	if (netns_exec(&client, "ip addr add 10.77.1.2/24 dev c0 && "
				"ip route add default via 10.77.1.1") ||
	    netns_exec(&server, "ip addr add 10.77.2.2/24 dev s0 && "
				"ip route add default via 10.77.2.1") ||
	    netns_exec(&router, "ip addr add 10.77.1.1/24 dev r0 && "
				"ip addr add 10.77.2.1/24 dev r1 && "
				"sysctl -qw net.ipv4.ip_forward=1"))
		return -1;
	if (vpcbed_tcp_echo_server(server.name, SERVER, OPEN_PORT) < 0 ||
	    vpcbed_tcp_echo_server(server.name, SERVER, SHUT_PORT) < 0)
		return -1;
	return clirun_init(&cli, router.name);
}

static int teardown(void **state)
{
	(void)state;
	clirun_cleanup(&cli);
	vpcbed_servers_stop_all();
	netns_destroy(&client);
	netns_destroy(&router);
	netns_destroy(&server);
	return 0;
}

/* The check off: transit allowed by the group passes and is tracked; the rest drops. */
static void test_transit_judged_by_the_enis_groups(void **state)
{
	(void)state;
	assert_true(tcp_ok(OPEN_PORT)); /* forwarding works before anything is attached */
	assert_int_equal(clirun(&cli, out, sizeof(out), "attach r0"), 0);
	assert_int_equal(apply_config(false), 0);
	assert_true(tcp_ok(OPEN_PORT));
	assert_false(tcp_ok(SHUT_PORT));
	assert_true(clirun_counter(&cli, "r0", "ingress", "allowed", "pass") > 0);
	assert_true(clirun_counter(&cli, "r0", "ingress", "no_rule", "drop") > 0);
	/* The server's answers left r0 with a source no ENI owns: replies of tracked flows. */
	assert_true(clirun_counter(&cli, "r0", "egress", "ct_reply", "pass") > 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "conntrack list r0"), 0);
	assert_non_null(strstr(out, SERVER));
}

/* The check on: the same transit is not the instance's, and drops. */
static void test_transit_dropped_with_the_check_on(void **state)
{
	(void)state;
	assert_int_equal(apply_config(true), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "conntrack flush"), 0);
	assert_false(tcp_ok(OPEN_PORT));
	assert_true(clirun_counter(&cli, "r0", "ingress", "not_owned", "drop") > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transit_judged_by_the_enis_groups),
		cmocka_unit_test(test_transit_dropped_with_the_check_on),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
