// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_filter.c — the ingress filter end to end: the simulated VPC (scripts/vpcbed.sh),
 * the real eniaddr-bpf CLI attached to the instance's eth0/eth1, and real sockets from the
 * clients. What a user checks: allowed traffic flows, the rest does not, the counters say why,
 * a bad file changes nothing, and detach leaves nothing behind.
 *
 * Only eth0's addresses carry traffic here: replies from eth1's addresses leave by eth0 and the
 * VPC drops them until the egress redirect (test_e2e_redirect) is attached.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "clirun.h"
#include "vpcbed.h"

#define TIMEOUT_MS 1500
#define OPEN_PORT  8080 /* allowed by the config below */
#define SHUT_PORT  9090 /* allowed by no rule, except the override's */

static char bed[VPCBED_NAME_MAX];
static char ns_inst[VPCBED_NS_MAX], ns_con[VPCBED_NS_MAX], ns_coff[VPCBED_NS_MAX];
static struct clirun cli;
static char out[65536];

/* eth0 and eth1 with the demo addresses; sg-web opens tcp 8080, udp 5353 and ping to everyone;
 * 192.0.2.11 carries its own group sg-admin (tcp 9090 from the on-subnet client only).
 * 2001:db8:a::11 is assigned to eth0 in the VPC but missing here: as if just assigned in AWS. */
static const char *config_fmt =
	"{\"enis\": ["
	" {\"interface\": \"eth0\", \"mode\": \"%s\", \"security_groups\": [\"sg-web\"],"
	"  \"addresses\": [\"192.0.2.10\", {\"address\": \"192.0.2.11\","
	"   \"security_groups\": [\"sg-admin\"]}, \"2001:db8:a::10\"]},"
	" {\"interface\": \"eth1\", \"security_groups\": [\"sg-web\"],"
	"  \"addresses\": [\"192.0.2.20\", \"192.0.2.21\", \"2001:db8:a::20\", \"2001:db8:a::21\"]}],"
	" \"security_groups\": ["
	" {\"id\": \"sg-web\", \"ingress\": ["
	"  {\"protocol\": \"tcp\", \"ports\": \"8080\", \"from\": [\"0.0.0.0/0\", \"::/0\"]},"
	"  {\"protocol\": \"udp\", \"ports\": \"5353\", \"from\": [\"0.0.0.0/0\", \"::/0\"]},"
	"  {\"protocol\": \"icmp\", \"icmp_type\": 8, \"from\": [\"0.0.0.0/0\"]},"
	"  {\"protocol\": \"icmpv6\", \"icmp_type\": 128, \"from\": [\"::/0\"]}]},"
	" {\"id\": \"sg-admin\", \"ingress\": ["
	"  {\"protocol\": \"tcp\", \"ports\": \"9090\", \"from\": [\"192.0.2.50/32\"]}]}]}";

static int apply_config(const char *mode)
{
	char text[4096], path[PATH_MAX];

	snprintf(text, sizeof(text), config_fmt, mode);
	if (clirun_write_file(&cli, "cfg.json", text, path))
		return -EIO;
	return clirun(&cli, out, sizeof(out), "apply %s", path);
}

static bool tcp_ok(const char *from, const char *addr, unsigned int port)
{
	return vpcbed_tcp_echo(from, addr, port, TIMEOUT_MS) == 0;
}

static int setup(void **state)
{
	static const char *servers[] = { "192.0.2.10", "192.0.2.11", "2001:db8:a::10",
					 "2001:db8:a::11" };

	snprintf(bed, sizeof(bed), "ef%d", getpid());
	if (vpcbed_up(bed, "same-subnet"))
		return -1;
	vpcbed_ns(ns_inst, bed, "inst");
	vpcbed_ns(ns_con, bed, "con");
	vpcbed_ns(ns_coff, bed, "coff");
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
		if (vpcbed_tcp_echo_server(ns_inst, servers[i], OPEN_PORT) < 0 ||
		    vpcbed_tcp_echo_server(ns_inst, servers[i], SHUT_PORT) < 0)
			return -1;
	}
	if (vpcbed_udp_echo_server(ns_inst, "192.0.2.10", 5353) < 0 ||
	    vpcbed_udp_echo_server(ns_inst, "192.0.2.10", 5354) < 0)
		return -1;
	return clirun_init(&cli, ns_inst);
}

static int teardown(void **state)
{
	clirun_cleanup(&cli);
	vpcbed_servers_stop_all();
	vpcbed_down(bed);
	return 0;
}

/* Attached but not configured: the filter passes everything (and says so in the counters). */
static void test_attach_before_apply_passes_all(void **state)
{
	assert_int_equal(clirun(&cli, out, sizeof(out), "attach eth0 eth1"), 0);
	assert_true(tcp_ok(ns_coff, "192.0.2.10", SHUT_PORT));
	assert_true(clirun_counter(&cli, "eth0", "ingress", "unconfigured", "pass") > 0);
}

static void test_apply_enforces_rules(void **state)
{
	assert_int_equal(apply_config("enforce"), 0);
	/* No subnets in the file: status shows the ones taken from the interfaces' prefixes. */
	assert_int_equal(clirun(&cli, out, sizeof(out), "-j status"), 0);
	assert_non_null(strstr(out, "192.0.2.0/24"));
	assert_non_null(strstr(out, "2001:db8:a::/64"));
	assert_non_null(strstr(out, "192.0.2.1\""));
	assert_true(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
	assert_true(tcp_ok(ns_con, "192.0.2.10", OPEN_PORT));
	assert_false(tcp_ok(ns_coff, "192.0.2.10", SHUT_PORT));
	assert_true(tcp_ok(ns_coff, "2001:db8:a::10", OPEN_PORT));
	assert_false(tcp_ok(ns_coff, "2001:db8:a::10", SHUT_PORT));
	assert_int_equal(vpcbed_udp_echo(ns_coff, "192.0.2.10", 5353, TIMEOUT_MS), 0);
	assert_int_not_equal(vpcbed_udp_echo(ns_coff, "192.0.2.10", 5354, TIMEOUT_MS), 0);
	assert_int_equal(vpcbed_ping(ns_coff, "192.0.2.10"), 0);
	assert_int_equal(vpcbed_ping(ns_coff, "2001:db8:a::10"), 0);
	assert_true(clirun_counter(&cli, "eth0", "ingress", "no_rule", "drop") > 0);
	assert_true(clirun_counter(&cli, "eth0", "ingress", "allowed", "pass") > 0);
	/* ARP and neighbour discovery kept working all along. */
	assert_true(clirun_counter(&cli, "eth0", "ingress", "failsafe_arp", "pass") +
		    clirun_counter(&cli, "eth0", "ingress", "failsafe_nd", "pass") > 0);
}

/* 192.0.2.11 has its own group: 9090 from the on-subnet client only, and not 8080. */
static void test_per_address_override(void **state)
{
	assert_true(tcp_ok(ns_con, "192.0.2.11", SHUT_PORT));
	assert_false(tcp_ok(ns_coff, "192.0.2.11", SHUT_PORT));
	assert_false(tcp_ok(ns_con, "192.0.2.11", OPEN_PORT));
	/* The ENI's other address keeps the ENI's groups. */
	assert_false(tcp_ok(ns_con, "192.0.2.10", SHUT_PORT));
}

static void test_not_owned_address_dropped(void **state)
{
	long before = clirun_counter(&cli, "eth0", "ingress", "not_owned", "drop");

	assert_false(tcp_ok(ns_con, "2001:db8:a::11", OPEN_PORT));
	assert_true(clirun_counter(&cli, "eth0", "ingress", "not_owned", "drop") > before);
}

static void test_bad_config_changes_nothing(void **state)
{
	char path[PATH_MAX], status_before[4096];
	const char *bad = "{\"enis\": [{\"interface\": \"eth0\", \"security_groups\": [\"sg-x\"],"
			  " \"addresses\": [\"192.0.2.10\"]}], \"security_groups\": [{\"id\": \"sg-x\","
			  " \"ingress\": [{\"protocol\": \"tcp\", \"ports\": \"1-65536\","
			  " \"from\": [\"0.0.0.0/0\"]}]}]}";

	assert_int_equal(clirun(&cli, status_before, sizeof(status_before), "-j status"), 0);
	assert_int_equal(clirun_write_file(&cli, "bad.json", bad, path), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "apply %s", path), 1);
	/* One line naming the file and the item. */
	assert_non_null(strstr(out, "bad.json"));
	assert_non_null(strstr(out, "security_groups[0].ingress[0]"));
	assert_int_equal(clirun(&cli, out, sizeof(out), "-j status"), 0);
	assert_string_equal(out, status_before);
	assert_true(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
	assert_false(tcp_ok(ns_coff, "192.0.2.10", SHUT_PORT));
}

static void test_audit_mode_counts_and_passes(void **state)
{
	long before;

	assert_int_equal(apply_config("audit"), 0);
	before = clirun_counter(&cli, "eth0", "ingress", "no_rule", "audit");
	assert_true(tcp_ok(ns_coff, "192.0.2.10", SHUT_PORT));
	assert_true(clirun_counter(&cli, "eth0", "ingress", "no_rule", "audit") > before);
	assert_int_equal(apply_config("enforce"), 0);
	assert_false(tcp_ok(ns_coff, "192.0.2.10", SHUT_PORT));
}

/* sync: the same rules from describe-network-interfaces / describe-security-groups JSON. */
static void test_sync_from_aws_json(void **state)
{
	char mac0[32] = "", mac1[32] = "", ifs[2048], ifs_path[PATH_MAX], sgs_path[PATH_MAX];
	const char *sgs =
		"{\"SecurityGroups\": [{\"GroupId\": \"sg-0aws\", \"GroupName\": \"web\","
		" \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 9090, \"ToPort\": 9090,"
		" \"IpRanges\": [{\"CidrIp\": \"203.0.113.0/24\"}], \"Ipv6Ranges\": [],"
		" \"PrefixListIds\": [], \"UserIdGroupPairs\": []}], \"IpPermissionsEgress\": []}]}";

	assert_int_equal(vpcbed_sh(mac0, sizeof(mac0), "ip -n %s -br link show eth0 | awk '{printf $3}'",
				   ns_inst), 0);
	assert_int_equal(vpcbed_sh(mac1, sizeof(mac1), "ip -n %s -br link show eth1 | awk '{printf $3}'",
				   ns_inst), 0);
	snprintf(ifs, sizeof(ifs),
		 "{\"NetworkInterfaces\": ["
		 " {\"NetworkInterfaceId\": \"eni-0aaa\", \"MacAddress\": \"%s\", \"SubnetId\": \"subnet-1\","
		 "  \"Groups\": [{\"GroupId\": \"sg-0aws\", \"GroupName\": \"web\"}],"
		 "  \"PrivateIpAddresses\": [{\"PrivateIpAddress\": \"192.0.2.10\", \"Primary\": true},"
		 "   {\"PrivateIpAddress\": \"192.0.2.11\", \"Primary\": false}],"
		 "  \"Ipv6Addresses\": [{\"Ipv6Address\": \"2001:db8:a::10\"}]},"
		 " {\"NetworkInterfaceId\": \"eni-0bbb\", \"MacAddress\": \"%s\", \"SubnetId\": \"subnet-1\","
		 "  \"Groups\": [{\"GroupId\": \"sg-0aws\", \"GroupName\": \"web\"}],"
		 "  \"PrivateIpAddresses\": [{\"PrivateIpAddress\": \"192.0.2.20\", \"Primary\": true}],"
		 "  \"Ipv6Addresses\": []}]}", mac0, mac1);
	assert_int_equal(clirun_write_file(&cli, "ifs.json", ifs, ifs_path), 0);
	assert_int_equal(clirun_write_file(&cli, "sgs.json", sgs, sgs_path), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "sync --interfaces %s --security-groups %s",
				ifs_path, sgs_path), 0);
	/* 9090 now open to the off-subnet clients' /24 only; 8080 closed. */
	assert_true(tcp_ok(ns_coff, "192.0.2.10", SHUT_PORT));
	assert_false(tcp_ok(ns_con, "192.0.2.10", SHUT_PORT));
	assert_false(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
}

static void test_tc_mode_filters_too(void **state)
{
	assert_int_equal(clirun(&cli, out, sizeof(out), "detach eth0"), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "attach --mode tc eth0"), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "-j status"), 0);
	assert_non_null(strstr(out, "tc"));
	assert_true(tcp_ok(ns_coff, "192.0.2.10", SHUT_PORT));
	assert_false(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
}

static void test_detach_all_leaves_nothing(void **state)
{
	struct stat st;
	char pins[256];

	assert_int_equal(clirun(&cli, out, sizeof(out), "detach --all"), 0);
	snprintf(pins, sizeof(pins), "%s/eniaddr", cli.bpffs);
	assert_int_equal(stat(pins, &st), -1);
	assert_int_equal(vpcbed_sh(out, sizeof(out), "ip -n %s link show eth0 | grep -c xdp || true",
				   ns_inst), 0);
	assert_int_equal(atoi(out), 0);
	assert_int_equal(vpcbed_sh(out, sizeof(out), "tc -n %s filter show dev eth0 ingress | wc -l",
				   ns_inst), 0);
	assert_int_equal(atoi(out), 0);
	assert_true(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
	assert_true(tcp_ok(ns_coff, "192.0.2.10", SHUT_PORT));
	assert_true(tcp_ok(ns_con, "2001:db8:a::11", OPEN_PORT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attach_before_apply_passes_all),
		cmocka_unit_test(test_apply_enforces_rules),
		cmocka_unit_test(test_per_address_override),
		cmocka_unit_test(test_not_owned_address_dropped),
		cmocka_unit_test(test_bad_config_changes_nothing),
		cmocka_unit_test(test_audit_mode_counts_and_passes),
		cmocka_unit_test(test_sync_from_aws_json),
		cmocka_unit_test(test_tc_mode_filters_too),
		cmocka_unit_test(test_detach_all_leaves_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
