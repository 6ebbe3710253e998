// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_agent.c — `eniaddr-bpf run` (the real binary, default IMDS endpoint) against the
 * project's IMDS emulator on 169.254.169.254 inside a private namespace whose veths carry the
 * ENIs' MACs. What an operator checks:
 *  - steady state: both ENIs attached and their addresses and prefixes published; status (plain
 *    and JSON) names the source, the rule file and the last sync; polls change nothing;
 *  - addresses and prefixes assigned, unassigned and reassigned in IMDS are enforced within a
 *    second; a reassignment between the ENIs is one publication;
 *  - an ENI hot-plugged (IMDS first, then its device) is attached, and detached when it goes;
 *  - an IMDS outage (503s) longer than several polls removes nothing, status says so;
 *  - a rule file replaced by an invalid one is rejected by name and the last good one stays;
 *  - SIGTERM leaves the programs enforcing, a restarted agent adopts them (no publish);
 *  - without a rule source status says ownership and routing only.
 * Needs root.
 */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agentbed.h"
#include "clirun.h"
#include "imds_emu.h"
#include "netns.h"
#include "pubprobe.h"
#include "vpcbed.h"

#define METRICS_PORT "9464" /* the agent's --metrics-listen, inside the test namespace */
#define DEADLINE_MS 2500 /* generous; the benchmark measures the real latency */
#define MAC0 "0e:ea:00:00:00:10"
#define MAC1 "0e:ea:00:00:00:11"
#define MAC2 "0e:ea:00:00:00:12"

static struct netns ns;
static struct imds_emu emu;
static struct clirun cli;
static struct pubprobe probe;
static char sgs[PATH_MAX];
static pid_t agent = -1;
static int if0, if1;
static char out[1 << 16];

static const char *sgs_json =
	"{\"SecurityGroups\": [{\"GroupId\": \"sg-web\", \"GroupName\": \"web\","
	" \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 22, \"ToPort\": 22,"
	"  \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}], \"Ipv6Ranges\": [], \"PrefixListIds\": [],"
	"  \"UserIdGroupPairs\": []},"
	" {\"IpProtocol\": \"tcp\", \"FromPort\": 5432, \"ToPort\": 5432, \"IpRanges\": [],"
	"  \"Ipv6Ranges\": [], \"PrefixListIds\": [], \"UserIdGroupPairs\": [{\"GroupId\": \"sg-db\"}]}],"
	" \"IpPermissionsEgress\": []}]}";

static void set_world_pfx(const char *v4_0, const char *pfx_0, const char *v4_1,
			  const char *pfx_1, bool eni2, const char *faults)
{
	char text[4096];

	snprintf(text, sizeof(text),
		 "{\"macs\": {"
		 " \"" MAC0 "\": {\"device-number\": 0, \"interface-id\": \"eni-10\","
		 "  \"local-ipv4s\": [%s], \"ipv6s\": [\"2001:db8:1::10\"], \"ipv4-prefix\": [%s],"
		 "  \"subnet-ipv4-cidr-block\": \"10.0.1.0/24\","
		 "  \"subnet-ipv6-cidr-blocks\": [\"2001:db8:1::/64\"],"
		 "  \"security-group-ids\": [\"sg-web\"]},"
		 " \"" MAC1 "\": {\"device-number\": 1, \"interface-id\": \"eni-11\","
		 "  \"local-ipv4s\": [%s], \"ipv4-prefix\": [%s],"
		 "  \"subnet-ipv4-cidr-block\": \"10.0.1.0/24\", \"security-group-ids\": [\"sg-web\"]}%s},"
		 " \"faults\": {%s}}",
		 v4_0, pfx_0, v4_1, pfx_1,
		 eni2 ? ", \"" MAC2 "\": {\"device-number\": 2, \"interface-id\": \"eni-12\","
			"  \"local-ipv4s\": [\"10.0.1.30\"], \"subnet-ipv4-cidr-block\": "
			"\"10.0.1.0/24\", \"security-group-ids\": [\"sg-web\"]}" : "",
		 faults ? faults : "");
	assert_int_equal(imds_emu_set_world(&emu, text), 0);
}

static void set_world(const char *v4_0, const char *pfx_0, const char *v4_1, bool eni2,
		      const char *faults)
{
	set_world_pfx(v4_0, pfx_0, v4_1, "", eni2, faults);
}

#define V4_0 "\"10.0.1.10\", \"10.0.1.11\""
#define PFX_0 "\"10.0.1.32/28\""
#define V4_1 "\"10.0.1.20\""

static void steady_world(void)
{
	set_world(V4_0, PFX_0, V4_1, false, NULL);
}

static void agent_start(bool with_rules)
{
	agent = fork();
	assert_true(agent >= 0);
	if (agent == 0) {
		if (with_rules)
			execl(clirun_binary(), clirun_binary(), "--netns", ns.name, "--bpffs",
			      cli.bpffs, "run", "--security-groups", sgs, "--metrics-listen",
			      METRICS_PORT, (char *)NULL);
		else
			execl(clirun_binary(), clirun_binary(), "--netns", ns.name, "--bpffs",
			      cli.bpffs, "run", (char *)NULL);
		_exit(127);
	}
}

/* SIGTERM; returns the agent's exit status. */
static int agent_stop(void)
{
	return agentbed_sigterm(&agent);
}

/* Waits for the agent's record to show a successful reconcile since it started. */
static void wait_synced(struct agent_record *r)
{
	__u64 end = pubprobe_now_ms() + 10000;

	while (pubprobe_now_ms() < end) {
		if (probe.maps.state < 0)
			pubprobe_open(&probe, cli.bpffs);
		if (probe.maps.state >= 0 && !pubprobe_agent(&probe, r) &&
		    (r->flags & AGENT_F_RUNNING) && r->pid == (__u32)agent && r->reconciles &&
		    !r->result)
			return;
		usleep(20000);
	}
	fail_msg("the agent never reported a successful reconcile: %s", r->error);
}

static void wait_owner(const char *addr, bool prefix, int want)
{
	int got;

	if (pubprobe_wait_owner(&probe, addr, prefix, want, DEADLINE_MS, &got) < 0)
		fail_msg("%s: owner %d after %d ms, want %d", addr, got, DEADLINE_MS, want);
}

static void wait_attached(int ifindex, bool want)
{
	if (pubprobe_wait_attached(&probe, ifindex, want, DEADLINE_MS) < 0)
		fail_msg("ifindex %d still %sattached", ifindex, want ? "not " : "");
}

static int setup(void **state)
{
	if (geteuid())
		return -1;
	if (netns_create(&ns, "agent") || netns_veth_add(&ns, "eth0", NULL, "peer0") ||
	    netns_veth_add(&ns, "eth1", NULL, "peer1") ||
	    netns_exec(&ns, "ip link set eth0 address " MAC0 " && ip link set eth1 address " MAC1
		       " && ip addr add 10.0.1.10/24 dev eth0 && ip addr add 10.0.1.20/24 dev eth1"))
		return -1;
	if0 = netns_ifindex(&ns, "eth0");
	if1 = netns_ifindex(&ns, "eth1");
	if (imds_emu_start(&emu, ns.name, "{\"macs\": {}}") || clirun_init(&cli, ns.name) ||
	    clirun_write_file(&cli, "sgs.json", sgs_json, sgs))
		return -1;
	map_fds_init(&probe.maps);
	steady_world();
	agent_start(true);
	return 0;
}

static int teardown(void **state)
{
	agent_stop();
	pubprobe_close(&probe);
	clirun_cleanup(&cli);
	imds_emu_stop(&emu);
	netns_destroy(&ns);
	return 0;
}

static void test_steady_state(void **state)
{
	struct json_object *o, *ag, *v;
	struct agent_record r;
	__u64 gen;

	wait_synced(&r);
	assert_int_equal(pubprobe_owner(&probe, "10.0.1.10"), if0);
	assert_int_equal(pubprobe_owner(&probe, "10.0.1.11"), if0);
	assert_int_equal(pubprobe_owner(&probe, "2001:db8:1::10"), if0);
	assert_int_equal(pubprobe_prefix_owner(&probe, "10.0.1.40"), if0);
	assert_int_equal(pubprobe_owner(&probe, "10.0.1.20"), if1);
	wait_attached(if0, true);
	wait_attached(if1, true);
	gen = pubprobe_generation(&probe);
	sleep(3);
	assert_int_equal(pubprobe_generation(&probe), gen); /* polls publish nothing new */
	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	assert_non_null(strstr(out, "agent: running"));
	assert_non_null(strstr(out, "source imds http://169.254.169.254"));
	assert_non_null(strstr(out, sgs));
	assert_non_null(strstr(out, ": ok in "));
	assert_non_null(strstr(out, "without known members (admit nobody): sg-db"));
	assert_int_equal(clirun(&cli, out, sizeof(out), "-j status"), 0);
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "agent", &ag));
	assert_true(json_object_object_get_ex(ag, "state", &v));
	assert_string_equal(json_object_get_string(v), "running");
	assert_true(json_object_object_get_ex(ag, "result", &v));
	assert_string_equal(json_object_get_string(v), "ok");
	assert_true(json_object_object_get_ex(ag, "generation", &v));
	assert_int_equal(json_object_get_int64(v), (int64_t)gen);
	assert_true(json_object_object_get_ex(ag, "ownership_and_routing_only", &v));
	assert_false(json_object_get_boolean(v));
	json_object_put(o);
}

/* run --metrics-listen: an HTTP GET inside the instance gets the metrics with the sync results,
 * and Prometheus' own parser reads them. */
static void test_metrics_endpoint(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(atoi(METRICS_PORT)) };
	static const char get[] = "GET /metrics HTTP/1.0\r\n\r\n";
	char path[PATH_MAX], *body;
	struct agent_record r;
	size_t got = 0;
	ssize_t n;
	FILE *f;
	int fd;

	wait_synced(&r);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = netns_socket(ns.name, AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, get, sizeof(get) - 1), (ssize_t)sizeof(get) - 1);
	while ((n = read(fd, out + got, sizeof(out) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	out[got] = '\0';
	assert_non_null(strstr(out, "HTTP/1.0 200 OK"));
	assert_non_null(strstr(out, "eniaddr_sync_total{result=\"ok\"} "));
	assert_non_null(strstr(out, "eniaddr_last_sync_success 1"));
	assert_non_null(strstr(out, "# TYPE eniaddr_packets_total counter"));
	body = strstr(out, "\r\n\r\n");
	assert_non_null(body);
	snprintf(path, sizeof(path), "%s/scrape.txt", cli.dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(body + 4, f);
	fclose(f);
	assert_int_equal(vpcbed_sh(NULL, 0, "/usr/bin/python3 -c 'import sys; from "
				   "prometheus_client.parser import text_string_to_metric_families as p; "
				   "list(p(open(sys.argv[1]).read()))' '%s'", path), 0);
}

static void test_assign_unassign_reassign(void **state)
{
	__u64 gen;

	/* assign an address and a second prefix */
	set_world(V4_0 ", \"10.0.1.12\"", PFX_0 ", \"10.0.1.48/28\"", V4_1, false, NULL);
	wait_owner("10.0.1.12", false, if0);
	wait_owner("10.0.1.50", true, if0);
	/* reassign .12 and the second prefix to eth1: one publication */
	gen = pubprobe_generation(&probe);
	set_world_pfx(V4_0, PFX_0, V4_1 ", \"10.0.1.12\"", "\"10.0.1.48/28\"", false, NULL);
	wait_owner("10.0.1.12", false, if1);
	wait_owner("10.0.1.50", true, if1);
	assert_int_equal(pubprobe_generation(&probe), gen + 1);
	assert_int_equal(pubprobe_prefix_owner(&probe, "10.0.1.40"), if0);
	/* unassign */
	steady_world();
	wait_owner("10.0.1.12", false, 0);
	assert_int_equal(pubprobe_owner(&probe, "10.0.1.11"), if0);
}

static void test_hotplug(void **state)
{
	int if2;

	/* IMDS knows it before the device exists: left out, nothing else held up. */
	set_world(V4_0, PFX_0, V4_1 ", \"10.0.1.21\"", true, NULL);
	wait_owner("10.0.1.21", false, if1);
	assert_int_equal(pubprobe_owner(&probe, "10.0.1.30"), 0);
	assert_int_equal(netns_exec(&ns, "ip link add eth2 address " MAC2 " type veth peer name "
				    "peer2 && ip link set eth2 up && ip link set peer2 up"), 0);
	if2 = netns_ifindex(&ns, "eth2");
	wait_owner("10.0.1.30", false, if2);
	wait_attached(if2, true);
	/* Removed: the device goes, then IMDS forgets it. */
	assert_int_equal(netns_exec(&ns, "ip link del eth2"), 0);
	wait_owner("10.0.1.30", false, 0);
	wait_attached(if2, false);
	steady_world();
	wait_owner("10.0.1.21", false, 0);
}

static void test_outage_removes_nothing(void **state)
{
	struct agent_record r;
	__u64 gen = pubprobe_generation(&probe);

	set_world(V4_0, PFX_0, V4_1, false, "\"status\": 503");
	sleep(4);
	assert_int_equal(pubprobe_agent(&probe, &r), 0);
	assert_true(r.result < 0);
	assert_non_null(strstr(r.error, "503"));
	assert_int_equal(pubprobe_generation(&probe), gen);
	assert_int_equal(pubprobe_owner(&probe, "10.0.1.11"), if0);
	assert_int_equal(pubprobe_owner(&probe, "10.0.1.20"), if1);
	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	assert_non_null(strstr(out, "FAILED"));
	steady_world();
	wait_synced(&r);
	assert_int_equal(pubprobe_generation(&probe), gen);
}

static void test_invalid_rule_file(void **state)
{
	struct agent_record r;
	__u64 gen = pubprobe_generation(&probe), t0 = pubprobe_now_ms();
	char path[PATH_MAX];

	assert_int_equal(clirun_write_file(&cli, "sgs.json", "{\"SecurityGroups\": [{\"GroupId\":"
					   " \"sg-web\", \"IpPermissions\": [{\"IpProtocol\": "
					   "\"tcp\", \"FromPort\": 70000}]}]}", path), 0);
	do {
		usleep(20000);
		assert_int_equal(pubprobe_agent(&probe, &r), 0);
	} while (!r.rules_error[0] && pubprobe_now_ms() - t0 < DEADLINE_MS);
	assert_non_null(strstr(r.rules_error, sgs));
	assert_non_null(strstr(r.rules_error, "70000"));
	assert_int_equal(pubprobe_generation(&probe), gen);
	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	assert_non_null(strstr(out, "rule file rejected"));
	/* Addresses keep following IMDS meanwhile. */
	set_world(V4_0 ", \"10.0.1.13\"", PFX_0, V4_1, false, NULL);
	wait_owner("10.0.1.13", false, if0);
	assert_int_equal(clirun_write_file(&cli, "sgs.json", sgs_json, path), 0);
	t0 = pubprobe_now_ms();
	do {
		usleep(20000);
		assert_int_equal(pubprobe_agent(&probe, &r), 0);
	} while (r.rules_error[0] && pubprobe_now_ms() - t0 < DEADLINE_MS);
	assert_int_equal(r.rules_error[0], '\0');
	steady_world();
	wait_owner("10.0.1.13", false, 0);
}

static void test_sigterm_and_adoption(void **state)
{
	struct agent_record r;
	__u64 gen = pubprobe_generation(&probe);

	assert_int_equal(agent_stop(), 0);
	assert_true(pubprobe_attached(&probe, if0));
	assert_true(pubprobe_attached(&probe, if1));
	assert_int_equal(pubprobe_generation(&probe), gen);
	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	assert_non_null(strstr(out, "agent: stopped"));
	agent_start(true);
	wait_synced(&r);
	assert_int_equal(r.publishes, 0);
	assert_int_equal(pubprobe_generation(&probe), gen);
}

static void test_no_rule_source(void **state)
{
	struct agent_record r;

	assert_int_equal(agent_stop(), 0);
	agent_start(false);
	wait_synced(&r);
	assert_true(r.flags & AGENT_F_NO_RULES);
	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	assert_non_null(strstr(out, "ownership and routing only"));
	assert_int_equal(pubprobe_owner(&probe, "10.0.1.10"), if0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_state),
		cmocka_unit_test(test_metrics_endpoint),
		cmocka_unit_test(test_assign_unassign_reassign),
		cmocka_unit_test(test_hotplug),
		cmocka_unit_test(test_outage_removes_nothing),
		cmocka_unit_test(test_invalid_rule_file),
		cmocka_unit_test(test_sigterm_and_adoption),
		cmocka_unit_test(test_no_rule_source),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
