// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_vpcbed.c — the simulated VPC (scripts/vpcbed.sh) reproduces the EC2 problem
 * eniaddr-bpf exists for, with eniaddr-bpf detached: a reply sourced from an address of eth1
 * leaves by eth0 (the main table's only default route, or the first connected route) and the
 * VPC's source/destination check drops it. Later end-to-end tests attach eniaddr-bpf to the same
 * bed and show the same connections succeed. Needs root; uses only namespaces it creates.
 */
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <cmocka.h>

#include "vpcbed.h"

#define TCP_TIMEOUT_MS 2000
#define UDP_TIMEOUT_MS 1000
#define SINK_PORT 9999
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct bed {
	char name[VPCBED_NAME_MAX];
	const char *variant;
};

static struct bed same_subnet = { .variant = "same-subnet" };
static struct bed two_subnets = { .variant = "two-subnets" };
static char bed_prefix[16];	/* every bed of this run starts with it */

/* One connection attempt from a client namespace to a server on the instance. */
struct reach_case {
	const char *client;	/* "coff" (off-subnet) or "con" (on subnet A) */
	const char *server;	/* address on the instance */
	int type;		/* SOCK_STREAM or SOCK_DGRAM */
	bool reaches;
	const char *dropped_by;	/* ENI port whose source check drops the reply; NULL: none */
	const char *why;
};

/* Main table of the instance: default via eth0; 192.0.2.0/24 via eth0 first, then eth1. */
static const struct reach_case same_subnet_cases[] = {
	{ "coff", "192.0.2.10", SOCK_STREAM, true, NULL, "eth0 primary: reply leaves eth0" },
	{ "coff", "192.0.2.11", SOCK_STREAM, true, NULL, "eth0 secondary: reply leaves eth0" },
	{ "coff", "192.0.2.11", SOCK_DGRAM, true, NULL, "eth0 secondary, UDP" },
	{ "coff", "2001:db8:a::11", SOCK_STREAM, true, NULL, "eth0 IPv6: reply leaves eth0" },
	{ "coff", "192.0.2.21", SOCK_STREAM, false, "eth0", "eth1 secondary: reply leaves eth0" },
	{ "coff", "192.0.2.20", SOCK_STREAM, false, "eth0", "eth1 primary: same, primary or not" },
	{ "coff", "192.0.2.21", SOCK_DGRAM, false, "eth0", "eth1 secondary, UDP" },
	{ "coff", "2001:db8:a::21", SOCK_STREAM, false, "eth0", "eth1 IPv6: default via eth0" },
	{ "con", "192.0.2.11", SOCK_STREAM, true, NULL, "on-subnet to eth0: fine" },
	/* The request arrives on eth1 (only eth1 answers ARP/ND for .21), but the reply's route
	 * lookup ignores the source: the first connected route 192.0.2.0/24 is eth0's. IPv6 too:
	 * both /64 routes score alike and the TCP reply is not bound to the incoming device. (An
	 * ICMPv6 echo reply is — ping6 from con to ::21 works; don't use ping as the probe.) */
	{ "con", "192.0.2.21", SOCK_STREAM, false, "eth0", "on-subnet: eth0's route comes first" },
	{ "con", "2001:db8:a::21", SOCK_STREAM, false, "eth0", "on-subnet IPv6: eth0's /64 wins" },
};

/* eth1 in subnet B: requests arrive on eth1 via br-b; replies follow the default route. */
static const struct reach_case two_subnets_cases[] = {
	{ "coff", "192.0.2.11", SOCK_STREAM, true, NULL, "eth0 secondary: reply leaves eth0" },
	{ "coff", "2001:db8:a::11", SOCK_STREAM, true, NULL, "eth0 IPv6" },
	{ "coff", "198.51.100.21", SOCK_STREAM, false, "eth0", "eth1 secondary: default via eth0" },
	{ "coff", "198.51.100.20", SOCK_STREAM, false, "eth0", "eth1 primary: default via eth0" },
	{ "coff", "198.51.100.21", SOCK_DGRAM, false, "eth0", "eth1 secondary, UDP" },
	{ "coff", "2001:db8:b::21", SOCK_STREAM, false, "eth0", "eth1 IPv6: default via eth0" },
};

/* Group setup/teardown get no per-test state in cmocka 1.1: one pair per bed. */
static int bed_up(struct bed *bed)
{
	int rc = vpcbed_up(bed->name, bed->variant);

	if (rc)
		fprintf(stderr, "vpcbed_up(%s, %s): %s\n", bed->name, bed->variant, strerror(-rc));
	return rc ? -1 : 0;
}

static int same_subnet_up(void **state)
{
	return bed_up(&same_subnet);
}

static int two_subnets_up(void **state)
{
	return bed_up(&two_subnets);
}

static int same_subnet_down(void **state)
{
	vpcbed_down(same_subnet.name);
	return 0;
}

static int two_subnets_down(void **state)
{
	vpcbed_down(two_subnets.name);
	return 0;
}

static int stop_servers(void **state)
{
	vpcbed_servers_stop_all();
	return 0;
}

static long drops(const struct bed *bed, const char *eni)
{
	long n = vpcbed_srccheck_drops(bed->name, eni);

	assert_true(n >= 0);
	return n;
}

static void run_reach_cases(const struct bed *bed, const struct reach_case *cases, size_t n)
{
	char inst[VPCBED_NS_MAX], client[VPCBED_NS_MAX];

	vpcbed_ns(inst, bed->name, "inst");
	for (size_t i = 0; i < n; i++) {
		const struct reach_case *c = &cases[i];
		bool tcp = c->type == SOCK_STREAM;
		unsigned int port = tcp ? VPCBED_TCP_PORT : VPCBED_UDP_PORT;
		long before0, before1, moved0, moved1;
		pid_t server;
		int rc;

		vpcbed_ns(client, bed->name, c->client);
		server = tcp ? vpcbed_tcp_echo_server(inst, c->server, port)
			     : vpcbed_udp_echo_server(inst, c->server, port);
		assert_true(server > 0);
		before0 = drops(bed, "eth0");
		before1 = drops(bed, "eth1");
		rc = tcp ? vpcbed_tcp_echo(client, c->server, port, TCP_TIMEOUT_MS)
			 : vpcbed_udp_echo(client, c->server, port, UDP_TIMEOUT_MS);
		/* Stop the server now: a closed listener retransmits no more SYN-ACKs, so the
		 * counters of the next case see only their own traffic. */
		vpcbed_server_stop(server);
		moved0 = drops(bed, "eth0") - before0;
		moved1 = drops(bed, "eth1") - before1;
		print_message("  %-4s -> %-15s %s: %s (%s), src-check drops eth0 +%ld eth1 +%ld\n",
			      c->client, c->server, tcp ? "tcp" : "udp",
			      rc == 0 ? "reached" : strerror(-rc), c->why, moved0, moved1);
		if (c->reaches) {
			assert_int_equal(rc, 0);
			assert_int_equal(moved0, 0);
			assert_int_equal(moved1, 0);
		} else {
			assert_int_equal(rc, -ETIMEDOUT);
			/* It was the VPC's check that ate the reply, at the port it left by. */
			assert_true(!strcmp(c->dropped_by, "eth0") ? moved0 >= 1 : moved1 >= 1);
			assert_int_equal(!strcmp(c->dropped_by, "eth0") ? moved1 : moved0, 0);
		}
	}
}

static void test_same_subnet_replies_of_eth1_dropped(void **state)
{
	run_reach_cases(*state, same_subnet_cases, ARRAY_SIZE(same_subnet_cases));
}

static void test_two_subnets_replies_of_eth1_dropped(void **state)
{
	run_reach_cases(*state, two_subnets_cases, ARRAY_SIZE(two_subnets_cases));
}

/* The cause, as `ip route get` states it: a reply from eth1's address is routed out of eth0. */
static void test_main_table_routes_eth1_replies_out_eth0(void **state)
{
	const struct bed *bed = *state;
	static const char *const queries[][2] = {
		{ "203.0.113.5", "192.0.2.21" },
		{ "2001:db8:c::5", "2001:db8:a::21" },
		{ "192.0.2.50", "192.0.2.21" },
	};
	char out[512];

	for (size_t i = 0; i < ARRAY_SIZE(queries); i++) {
		assert_int_equal(vpcbed_sh(out, sizeof(out), "ip -n %s-inst route get %s from %s",
					   bed->name, queries[i][0], queries[i][1]), 0);
		assert_non_null(strstr(out, " dev eth0 "));
	}
}

/* Routing the reply out of the ENI that owns its source (what ec2-net-utils does with policy
 * routing, and eniaddr-bpf will do with bpf_redirect_neigh) makes the failing case succeed: the
 * bed fails for exactly the reason it models. */
static void test_owner_eni_routing_fixes_it(void **state)
{
	const struct bed *bed = *state;
	char inst[VPCBED_NS_MAX], coff[VPCBED_NS_MAX];
	long before;
	pid_t server;
	int rc;

	vpcbed_ns(inst, bed->name, "inst");
	vpcbed_ns(coff, bed->name, "coff");
	assert_int_equal(vpcbed_sh(NULL, 0,
				   "ip -n %s route add default via 192.0.2.1 dev eth1 table 101 && "
				   "ip -n %s rule add from 192.0.2.21 lookup 101 priority 101",
				   inst, inst), 0);
	server = vpcbed_tcp_echo_server(inst, "192.0.2.21", VPCBED_TCP_PORT);
	before = drops(bed, "eth0");
	rc = vpcbed_tcp_echo(coff, "192.0.2.21", VPCBED_TCP_PORT, TCP_TIMEOUT_MS);
	vpcbed_server_stop(server);
	vpcbed_sh(NULL, 0, "ip -n %s rule del priority 101; ip -n %s route flush table 101",
		  inst, inst);
	assert_true(server > 0);
	assert_int_equal(rc, 0);
	assert_int_equal(drops(bed, "eth0") - before, 0);
}

/* Sources the bed's src/dst check tells apart on ENI eth0. */
struct spoof_case {
	const char *bad_src;	/* not assigned to eth0 */
	const char *good_src;	/* assigned to eth0 */
	const char *dst;	/* NAME-con, reached out of eth0 */
};

static const struct spoof_case spoof_cases[] = {
	{ "192.0.2.99", "192.0.2.10", "192.0.2.50" },
	{ "192.0.2.21", "192.0.2.11", "192.0.2.50" },	/* eth1's address on eth0 */
	{ "2001:db8:a::99", "2001:db8:a::10", "2001:db8:a::50" },
};

/* A UDP socket in NAME-role bound to addr:SINK_PORT with a receive timeout. */
static int sink_open(const struct bed *bed, const char *role, const char *addr)
{
	char ns[VPCBED_NS_MAX];
	int fd = vpcbed_udp_sink(vpcbed_ns(ns, bed->name, role), addr, SINK_PORT);

	assert_true(fd >= 0);
	return fd;
}

/* Receives until the timeout; returns how many datagrams came, the last source in src. */
static int sink_drain(int fd, char *src, size_t len)
{
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	char buf[256];
	int n = 0;

	src[0] = '\0';
	while (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) >= 0) {
		const void *a = from.ss_family == AF_INET
			? (const void *)&((struct sockaddr_in *)&from)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)&from)->sin6_addr;

		inet_ntop(from.ss_family, a, src, len);
		n++;
		flen = sizeof(from);
	}
	return n;
}

/* The source check on its own: from the instance out of eth0, a wrong source is dropped and
 * counted, a right one passes. Raw sockets, so the kernel does not refuse a foreign source. */
static void test_spoofed_source_dropped(void **state)
{
	const struct bed *bed = *state;
	char inst[VPCBED_NS_MAX], got[INET6_ADDRSTRLEN];

	vpcbed_ns(inst, bed->name, "inst");
	for (size_t i = 0; i < ARRAY_SIZE(spoof_cases); i++) {
		const struct spoof_case *c = &spoof_cases[i];
		int fd = sink_open(bed, "con", c->dst);
		long before = drops(bed, "eth0"), after_bad;

		assert_int_equal(vpcbed_send_udp_raw(inst, c->bad_src, c->dst, SINK_PORT, "bad", 3), 0);
		assert_int_equal(vpcbed_send_udp_raw(inst, c->good_src, c->dst, SINK_PORT, "ok", 2), 0);
		/* Same path, sent in order: once the good one arrived the bad one was judged. */
		assert_int_equal(sink_drain(fd, got, sizeof(got)), 1);
		after_bad = drops(bed, "eth0");
		close(fd);
		print_message("  from %s: dropped (+%ld), from %s: delivered\n", c->bad_src,
			      after_bad - before, got);
		assert_string_equal(got, c->good_src);
		assert_int_equal(after_bad - before, 1);
	}
}

/* The destination check: a frame the on-subnet client sends to eth0's MAC for 192.0.2.21 (an
 * address of eth1) is dropped before eth0, though Linux would accept it on any interface. */
static void test_misdelivered_frame_dropped(void **state)
{
	const struct bed *bed = *state;
	char con[VPCBED_NS_MAX], mac[64], got[INET6_ADDRSTRLEN];
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(SINK_PORT) };
	long before;
	int sink, out;

	vpcbed_ns(con, bed->name, "con");
	assert_int_equal(vpcbed_sh(mac, sizeof(mac), "ip netns exec %s-inst cat "
				   "/sys/class/net/eth0/address", bed->name), 0);
	mac[strcspn(mac, "\n")] = '\0';
	assert_int_equal(inet_pton(AF_INET, "192.0.2.21", &dst.sin_addr), 1);
	sink = sink_open(bed, "inst", "192.0.2.21");
	out = netns_socket(con, AF_INET, SOCK_DGRAM, 0);
	assert_true(out >= 0);

	/* Control: with the neighbour entry ARP gave (eth1's MAC), the datagram arrives. */
	before = vpcbed_dstcheck_drops(bed->name, "eth0");
	assert_int_equal(sendto(out, "ok", 2, 0, (struct sockaddr *)&dst, sizeof(dst)), 2);
	assert_int_equal(sink_drain(sink, got, sizeof(got)), 1);
	assert_int_equal(vpcbed_dstcheck_drops(bed->name, "eth0") - before, 0);

	assert_int_equal(vpcbed_sh(NULL, 0, "ip -n %s neigh replace 192.0.2.21 lladdr %s dev eth0 "
				   "nud permanent", con, mac), 0);
	assert_int_equal(sendto(out, "bad", 3, 0, (struct sockaddr *)&dst, sizeof(dst)), 3);
	assert_int_equal(sink_drain(sink, got, sizeof(got)), 0);
	vpcbed_sh(NULL, 0, "ip -n %s neigh del 192.0.2.21 dev eth0", con);
	close(out);
	close(sink);
	assert_int_equal(vpcbed_dstcheck_drops(bed->name, "eth0") - before, 1);
}

/* Interface addresses of dev in NAME-inst with global scope, as `ip -j` reports them. */
static json_object *inst_addresses(const struct bed *bed, const char *dev)
{
	static char out[16384];
	json_object *links, *list = json_object_new_array();

	assert_int_equal(vpcbed_sh(out, sizeof(out), "ip -n %s-inst -j addr show dev %s",
				   bed->name, dev), 0);
	links = json_tokener_parse(out);
	assert_non_null(links);
	for (size_t i = 0; i < json_object_array_length(links); i++) {
		json_object *infos, *link = json_object_array_get_idx(links, i);

		if (!json_object_object_get_ex(link, "addr_info", &infos))
			continue;
		for (size_t j = 0; j < json_object_array_length(infos); j++) {
			json_object *info = json_object_array_get_idx(infos, j), *scope, *local;

			if (json_object_object_get_ex(info, "scope", &scope) &&
			    !strcmp(json_object_get_string(scope), "global") &&
			    json_object_object_get_ex(info, "local", &local))
				json_object_array_add(list, json_object_get(local));
		}
	}
	json_object_put(links);
	return list;
}

static bool json_list_has(json_object *list, const char *s)
{
	for (size_t i = 0; i < json_object_array_length(list); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(list, i)), s))
			return true;
	return false;
}

/* `vpcbed.sh config` describes exactly the addresses the instance has: the one table in the
 * script drives both, so the config eniaddr-bpf gets and the VPC's check cannot disagree. */
static void test_config_matches_instance(void **state)
{
	const struct bed *bed = *state;
	static char out[16384];
	json_object *cfg, *enis, *sgs;

	assert_int_equal(vpcbed_sh(out, sizeof(out), "%s config %s", vpcbed_script(), bed->name),
			 0);
	cfg = json_tokener_parse(out);
	assert_non_null(cfg);
	assert_true(json_object_object_get_ex(cfg, "enis", &enis));
	assert_int_equal(json_object_array_length(enis), 2);
	assert_true(json_object_object_get_ex(cfg, "security_groups", &sgs));
	assert_int_equal(json_object_array_length(sgs), 1);
	for (size_t i = 0; i < 2; i++) {
		json_object *eni = json_object_array_get_idx(enis, i), *ifname, *addrs, *have;

		assert_true(json_object_object_get_ex(eni, "interface", &ifname));
		assert_true(json_object_object_get_ex(eni, "addresses", &addrs));
		have = inst_addresses(bed, json_object_get_string(ifname));
		assert_int_equal(json_object_array_length(addrs), json_object_array_length(have));
		for (size_t j = 0; j < json_object_array_length(addrs); j++)
			assert_true(json_list_has(have, json_object_get_string(
					json_object_array_get_idx(addrs, j))));
		json_object_put(have);
	}
	/* The variant is visible in eth1's addresses. */
	assert_non_null(strstr(out, !strcmp(bed->variant, "two-subnets") ? "\"198.51.100.21\""
									 : "\"192.0.2.21\""));
	json_object_put(cfg);
}

/* Runs after both beds' group teardown: nothing of this run is left. */
static void test_teardown_leaves_no_namespace(void **state)
{
	char out[8192];

	assert_int_equal(vpcbed_sh(out, sizeof(out), "ip netns list"), 0);
	assert_null(strstr(out, bed_prefix));
	/* down is idempotent */
	vpcbed_down(same_subnet.name);
	vpcbed_down(same_subnet.name);
	assert_int_equal(vpcbed_sh(out, sizeof(out), "ip netns list"), 0);
	assert_null(strstr(out, bed_prefix));
}

int main(void)
{
	const struct CMUnitTest same[] = {
		cmocka_unit_test_prestate_setup_teardown(test_same_subnet_replies_of_eth1_dropped,
							 NULL, stop_servers, &same_subnet),
		cmocka_unit_test_prestate(test_main_table_routes_eth1_replies_out_eth0, &same_subnet),
		cmocka_unit_test_prestate_setup_teardown(test_owner_eni_routing_fixes_it, NULL,
							 stop_servers, &same_subnet),
		cmocka_unit_test_prestate(test_spoofed_source_dropped, &same_subnet),
		cmocka_unit_test_prestate(test_misdelivered_frame_dropped, &same_subnet),
		cmocka_unit_test_prestate(test_config_matches_instance, &same_subnet),
	};
	const struct CMUnitTest two[] = {
		cmocka_unit_test_prestate_setup_teardown(test_two_subnets_replies_of_eth1_dropped,
							 NULL, stop_servers, &two_subnets),
		cmocka_unit_test_prestate(test_config_matches_instance, &two_subnets),
	};
	const struct CMUnitTest after[] = {
		cmocka_unit_test(test_teardown_leaves_no_namespace),
	};
	int failed = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "test_e2e_vpcbed: needs root (network namespaces)\n");
		return 77;
	}
	snprintf(bed_prefix, sizeof(bed_prefix), "eb%d", (int)getpid());
	snprintf(same_subnet.name, sizeof(same_subnet.name), "%ss", bed_prefix);
	snprintf(two_subnets.name, sizeof(two_subnets.name), "%st", bed_prefix);

	failed += cmocka_run_group_tests_name("vpcbed_same_subnet", same, same_subnet_up,
					      same_subnet_down);
	failed += cmocka_run_group_tests_name("vpcbed_two_subnets", two, two_subnets_up,
					      two_subnets_down);
	failed += cmocka_run_group_tests_name("vpcbed_teardown", after, NULL, NULL);
	return failed ? 1 : 0;
}
