// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_agent_loop.c — the agent's loop (agent_run) in a private namespace with veth
 * "ENIs" and a private bpffs, driven by a test source: the whole desired state comes from the
 * --config file (a native config naming ENIs by MAC), and an outage is switched on by a flag
 * file. IMDS itself is exercised by test_e2e_agent.c; here the loop, the reconcile and the
 * attach logic are checked on the real kernel:
 *  - steady state: the ENIs get attached, their addresses published, and polls that find no
 *    change publish nothing;
 *  - a local move eth0 -> eth1 is one publish, and no probe of the maps between polls ever sees
 *    the address owned by neither;
 *  - an ENI hot-plugged at run time (veth created) is attached and published without waiting
 *    for a poll, and detached when its device goes;
 *  - an outage of the source longer than several polls removes nothing; status says why;
 *  - a rule file replaced by an invalid one is rejected by name, the last good one stays, and
 *    a fixed file is taken;
 *  - SIGTERM leaves the programs attached and the generation in force; a new agent adopts it
 *    without publishing again; SIGHUP re-reads a rule file whose change inotify did not see;
 *  - the periodic conntrack sweep deletes an expired entry and keeps a live one;
 *  - a default route added on an ENI's interface becomes that ENI's router in the maps;
 *  - --manage-addresses adds and moves the secondary addresses it was given and never touches
 *    one somebody else configured.
 * Needs root.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <setjmp.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <bpf/bpf.h>

#include "agent/loop.h"
#include "kernel/ct_gc.h"
#include "kernel/ct_tables.h"
#include "agentbed.h"
#include "clirun.h"
#include "log.h"
#include "netns.h"
#include "pubprobe.h"
#include "source/native.h"

#define INTERVAL_MS 300
#define DEADLINE_MS 1500 /* generous: the targets are measured by the benchmark */

#define MAC0 "02:ea:00:00:00:10"
#define MAC1 "02:ea:00:00:00:11"
#define MAC2 "02:ea:00:00:00:12"

static struct netns ns;
static struct clirun cli;
static struct pubprobe probe;
static char cfg[PATH_MAX], outage[PATH_MAX];
static pid_t agent = -1;
static bool manage; /* --manage-addresses for the next agent_start */
static int if0, if1;

/* ---- the test source ---- */

static int world_build(void *ctx, const struct rule_files *rf, struct desired_state *out,
		       struct err *e)
{
	if (!access(outage, F_OK))
		return err_set(e, EIO, "test source: outage (%s exists)", outage);
	return source_native_load(rf->config, out, e);
}

static const struct agent_source world = { "test world", world_build, NULL };

/* Replaces the world atomically, as an operator's tooling would (the agent watches renames). */
static void write_raw(const char *text)
{
	char tmp[PATH_MAX + 8];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", cfg);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(rename(tmp, cfg), 0);
}

/* eth0 holds .10 (primary) and extra0, eth1 .20 (primary) and extra1; eth2 (when it exists)
 * .30. sg-open admits TCP 22 from anywhere; rules may add more. */
static void world_text(const char *extra0, const char *extra1, const char *rules, char *text,
		       size_t len)
{

	snprintf(text, len,
		 "{\"enis\": ["
		 " {\"mac\": \"" MAC0 "\", \"security_groups\": [\"sg-open\"],"
		 "  \"addresses\": [\"192.0.2.10\"%s%s%s], \"subnets\": [\"192.0.2.0/24\"]},"
		 " {\"mac\": \"" MAC1 "\", \"security_groups\": [\"sg-open\"],"
		 "  \"addresses\": [\"192.0.2.20\"%s%s%s], \"subnets\": [\"192.0.2.0/24\"]},"
		 " {\"mac\": \"" MAC2 "\", \"security_groups\": [\"sg-open\"],"
		 "  \"addresses\": [\"192.0.2.30\"], \"subnets\": [\"192.0.2.0/24\"]}],"
		 " \"security_groups\": [{\"id\": \"sg-open\", \"ingress\": ["
		 "  {\"protocol\": \"tcp\", \"ports\": \"22\", \"from\": [\"0.0.0.0/0\"]}%s%s]}]}",
		 extra0 ? ", \"" : "", extra0 ? extra0 : "", extra0 ? "\"" : "",
		 extra1 ? ", \"" : "", extra1 ? extra1 : "", extra1 ? "\"" : "",
		 rules ? ", " : "", rules ? rules : "");
}

static void write_world(const char *extra0, const char *extra1, const char *rules)
{
	char text[4096];

	world_text(extra0, extra1, rules, text, sizeof(text));
	write_raw(text);
}


static void agent_start(void)
{
	agent = fork();
	assert_true(agent >= 0);
	if (agent == 0) {
		struct agent_opts o = {
			.bpffs = cli.bpffs, .mode = ATTACH_REQ_AUTO, .interval_ms = INTERVAL_MS,
			.files.config = cfg, .source = &world, .manage_addresses = manage,
			.gc_every_s = 1,
		};
		struct err e = {};

		if (netns_enter(&ns))
			_exit(3);
		log_set_level(getenv("AGENT_VERBOSE") ? LOG_LVL_DEBUG : LOG_LVL_WARN);
		if (agent_run(&o, &e)) {
			fprintf(stderr, "agent: %s\n", e.msg);
			_exit(1);
		}
		_exit(0);
	}
}

/* SIGTERM; returns the agent's exit status. */
static int agent_stop(void)
{
	return agentbed_sigterm(&agent);
}

static bool record_ok(struct agent_record *r)
{
	return !pubprobe_agent(&probe, r) && r->reconciles && !r->result;
}

/* Waits until the agent's record shows a successful reconcile after t0 (realtime ms: 0 any). */
static void wait_synced(struct agent_record *r)
{
	__u64 end = pubprobe_now_ms() + 5000;

	while (pubprobe_now_ms() < end) {
		if (probe.maps.state >= 0 && record_ok(r))
			return;
		if (probe.maps.state < 0)
			pubprobe_open(&probe, cli.bpffs);
		usleep(20000);
	}
	fail_msg("the agent never reported a successful reconcile");
}

static void wait_owner(const char *addr, int want)
{
	int got;

	if (pubprobe_wait_owner(&probe, addr, false, want, DEADLINE_MS, &got) < 0)
		fail_msg("%s: owner %d after %d ms, want %d", addr, got, DEADLINE_MS, want);
}

static void wait_attached(int ifindex, bool want)
{
	if (pubprobe_wait_attached(&probe, ifindex, want, DEADLINE_MS) < 0)
		fail_msg("ifindex %d: still %sattached after %d ms", ifindex, want ? "not " : "",
			 DEADLINE_MS);
}

static int setup(void **state)
{
	if (geteuid())
		return -1;
	if (netns_create(&ns, "agl") || netns_veth_add(&ns, "eth0", NULL, "peer0") ||
	    netns_veth_add(&ns, "eth1", NULL, "peer1"))
		return -1;
	if (netns_exec(&ns, "ip link set eth0 address " MAC0 " && ip link set eth1 address " MAC1))
		return -1;
	if0 = netns_ifindex(&ns, "eth0");
	if1 = netns_ifindex(&ns, "eth1");
	if (clirun_init(&cli, ns.name))
		return -1;
	snprintf(cfg, sizeof(cfg), "%s/world.json", cli.dir);
	snprintf(outage, sizeof(outage), "%s/outage", cli.dir);
	map_fds_init(&probe.maps);
	write_world(NULL, NULL, NULL);
	agent_start();
	return 0;
}

static int teardown(void **state)
{
	agent_stop();
	pubprobe_close(&probe);
	clirun_cleanup(&cli);
	netns_destroy(&ns);
	return 0;
}

static void test_steady_state(void **state)
{
	struct agent_record r;
	__u64 gen;

	wait_synced(&r);
	assert_int_equal(pubprobe_owner(&probe, "192.0.2.10"), if0);
	assert_int_equal(pubprobe_owner(&probe, "192.0.2.20"), if1);
	assert_int_equal(pubprobe_owner(&probe, "192.0.2.30"), 0); /* eth2 does not exist yet */
	assert_true(pubprobe_attached(&probe, if0));
	assert_true(pubprobe_attached(&probe, if1));
	assert_false(r.flags & AGENT_F_NO_RULES);
	/* Polls that find nothing new publish nothing. */
	gen = pubprobe_generation(&probe);
	usleep(4 * INTERVAL_MS * 1000);
	assert_int_equal(pubprobe_generation(&probe), gen);
	assert_true(record_ok(&r));
	assert_true(r.reconciles >= 4);
}

/* One agent per pin dir: a second one refuses to start and leaves the first one's record. */
static void test_second_agent_refused(void **state)
{
	pid_t first = agent;
	struct agent_record r;
	int status;

	agent_start();
	assert_int_equal(waitpid(agent, &status, 0), agent);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	agent = first;
	assert_int_equal(pubprobe_agent(&probe, &r), 0);
	assert_int_equal(r.pid, (__u32)first);
	assert_true(r.flags & AGENT_F_RUNNING);
}

/* The agent sweeps the connection tables of both families: an expired entry goes, a live one
 * stays. */
static void test_conntrack_gc(void **state)
{
	struct eniaddr_ct_key dead[2] = { { .ifindex = (__u32)if0, .proto = 17 } }, live[2];
	struct eniaddr_ct v = { .state = ENIADDR_CT_ESTABLISHED };
	__u64 now = ct_now_ns(), t0 = pubprobe_now_ms();
	int f;

	dead[0].addr_lo[10] = dead[0].addr_lo[11] = 0xff; /* ::ffff:0.0.0.0, IPv4 */
	memcpy(dead[0].addr_hi, dead[0].addr_lo, 16);
	dead[1] = dead[0];
	dead[1].addr_lo[0] = dead[1].addr_hi[0] = 0x20; /* IPv6 */
	for (f = 0; f < 2; f++) {
		live[f] = dead[f];
		dead[f].port_lo = htons(1000);
		live[f].port_lo = htons(1001);
		v.created_ns = v.last_seen_ns = now - 120000000000ull;
		v.expires_ns = now - 60000000000ull;
		assert_int_equal(ct_flow_update(&probe.maps, false, &dead[f], &v, BPF_NOEXIST), 0);
		v.last_seen_ns = now;
		v.expires_ns = now + 600000000000ull;
		assert_int_equal(ct_flow_update(&probe.maps, false, &live[f], &v, BPF_NOEXIST), 0);
	}
	while (!ct_flow_lookup(&probe.maps, false, &dead[0], &v) ||
	       !ct_flow_lookup(&probe.maps, false, &dead[1], &v)) {
		if (pubprobe_now_ms() - t0 > 3000)
			fail_msg("an expired entry is still there after 3 s (gc every 1 s)");
		usleep(20000);
	}
	for (f = 0; f < 2; f++) {
		assert_int_equal(ct_flow_lookup(&probe.maps, false, &live[f], &v), 0);
		assert_int_equal(ct_flow_delete(&probe.maps, false, &live[f]), 0);
	}
}

static void test_local_move_one_publish(void **state)
{
	__u64 gen, t0, end;
	int owner, probes = 0;

	write_world("192.0.2.11", NULL, NULL);
	wait_owner("192.0.2.11", if0);
	gen = pubprobe_generation(&probe);
	/* Move .11 from eth0 to eth1 and probe the maps continuously meanwhile. */
	write_world(NULL, "192.0.2.11", NULL);
	t0 = pubprobe_now_ms();
	end = t0 + DEADLINE_MS;
	do {
		owner = pubprobe_owner(&probe, "192.0.2.11");
		probes++;
		if (owner != if0 && owner != if1)
			fail_msg("probe %d: 192.0.2.11 owned by %d (neither eth0 nor eth1)", probes,
				 owner);
	} while (owner != if1 && pubprobe_now_ms() < end);
	assert_int_equal(owner, if1);
	assert_int_equal(pubprobe_generation(&probe), gen + 1); /* one publication */
	assert_int_equal(pubprobe_owner(&probe, "192.0.2.10"), if0); /* unmoved ones stay */
	print_message("moved in %llu ms, %d probes\n",
		      (unsigned long long)(pubprobe_now_ms() - t0), probes);
}

static void test_hotplug(void **state)
{
	int if2;

	assert_int_equal(netns_exec(&ns, "ip link add eth2 address " MAC2
				    " type veth peer name peer2 && ip link set eth2 up && "
				    "ip link set peer2 up"), 0);
	if2 = netns_ifindex(&ns, "eth2");
	assert_true(if2 > 0);
	wait_owner("192.0.2.30", if2);
	wait_attached(if2, true);
	assert_int_equal(netns_exec(&ns, "ip link del eth2"), 0);
	wait_owner("192.0.2.30", 0);
	wait_attached(if2, false);
	assert_int_equal(pubprobe_owner(&probe, "192.0.2.20"), if1);
}

static void test_outage_removes_nothing(void **state)
{
	struct agent_record r;
	__u64 gen = pubprobe_generation(&probe);
	FILE *f = fopen(outage, "w");

	assert_non_null(f);
	fclose(f);
	usleep(4 * INTERVAL_MS * 1000);
	assert_int_equal(pubprobe_agent(&probe, &r), 0);
	assert_int_equal(r.result, -EIO);
	assert_non_null(strstr(r.error, "outage"));
	assert_int_equal(pubprobe_generation(&probe), gen);
	assert_int_equal(pubprobe_owner(&probe, "192.0.2.10"), if0);
	assert_int_equal(pubprobe_owner(&probe, "192.0.2.11"), if1);
	assert_int_equal(unlink(outage), 0);
	wait_synced(&r);
	assert_int_equal(r.error[0], '\0');
	assert_int_equal(pubprobe_generation(&probe), gen);
}

static void test_invalid_rule_file(void **state)
{
	struct agent_record r;
	__u64 gen = pubprobe_generation(&probe), t0 = pubprobe_now_ms();

	write_raw("{\"enis\": [ {\"mac\": \"" MAC0 "\", \"security_groups\": [],"
		  " \"addresses\": [\"192.0.2.300\"]} ]}");
	do {
		usleep(20000);
		assert_int_equal(pubprobe_agent(&probe, &r), 0);
	} while (!r.rules_error[0] && pubprobe_now_ms() - t0 < DEADLINE_MS);
	assert_non_null(strstr(r.rules_error, cfg));           /* names the user's file */
	assert_non_null(strstr(r.rules_error, "192.0.2.300")); /* and the item */
	assert_null(strstr(r.rules_error, "/proc/self/fd"));
	usleep(2 * INTERVAL_MS * 1000);
	assert_int_equal(pubprobe_generation(&probe), gen);
	assert_int_equal(pubprobe_owner(&probe, "192.0.2.11"), if1);
	/* Fixed, with a change: taken. */
	write_world(NULL, "192.0.2.12", NULL);
	wait_owner("192.0.2.12", if1);
	wait_owner("192.0.2.11", 0);
	t0 = pubprobe_now_ms();
	do { /* the record is rewritten right after the publish */
		usleep(5000);
		assert_int_equal(pubprobe_agent(&probe, &r), 0);
	} while (r.rules_error[0] && pubprobe_now_ms() - t0 < DEADLINE_MS);
	assert_int_equal(r.rules_error[0], '\0');
}

static void test_sigterm_leaves_enforcement_restart_adopts(void **state)
{
	struct agent_record r;
	__u64 gen = pubprobe_generation(&probe);

	assert_int_equal(agent_stop(), 0);
	assert_int_equal(pubprobe_agent(&probe, &r), 0);
	assert_false(r.flags & AGENT_F_RUNNING);
	assert_true(pubprobe_attached(&probe, if0));
	assert_true(pubprobe_attached(&probe, if1));
	assert_int_equal(pubprobe_generation(&probe), gen);
	assert_int_equal(pubprobe_owner(&probe, "192.0.2.12"), if1);
	agent_start();
	do {
		usleep(20000);
	} while (pubprobe_agent(&probe, &r) || !(r.flags & AGENT_F_RUNNING) || !r.reconciles);
	assert_int_equal(r.result, 0);
	assert_int_equal(r.publishes, 0); /* adopted, not republished */
	assert_int_equal(pubprobe_generation(&probe), gen);
}

/*
 * SIGHUP re-reads the rule files. The change is written through a hard link in another
 * directory, which the agent's inotify watch (on the file's own directory) does not see: only
 * the signal can make the agent take it, since polls read the agent's copy, not the file.
 */
static void test_sighup_rereads(void **state)
{
	char dir[PATH_MAX], link_path[PATH_MAX + 16], text[4096];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/elsewhere", cli.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(link_path, sizeof(link_path), "%s/world.json", dir);
	assert_int_equal(link(cfg, link_path), 0);
	/* 192.0.2.14 joins eth0's addresses (eth1 keeps .12 from the test before), in place. */
	world_text("192.0.2.14", "192.0.2.12", NULL, text, sizeof(text));
	f = fopen(link_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	usleep(3 * INTERVAL_MS * 1000);
	assert_int_equal(pubprobe_owner(&probe, "192.0.2.14"), 0); /* not seen yet */
	assert_int_equal(kill(agent, SIGHUP), 0);
	wait_owner("192.0.2.14", if0);
	unlink(link_path);
	rmdir(dir);
}

/* A new default route on eth1 moves eth1's router: the agent republishes with it. */
static void test_router_follows_the_kernel(void **state)
{
	static char out[1 << 16];
	__u64 t0 = pubprobe_now_ms();

	assert_int_equal(netns_exec(&ns, "ip addr add 192.0.2.20/24 dev eth1 && "
				    "ip route add default via 192.0.2.254 dev eth1 table 10001"), 0);
	for (;;) {
		assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
		if (strstr(out, "via 192.0.2.254 (origin route"))
			break;
		if (pubprobe_now_ms() - t0 > DEADLINE_MS)
			fail_msg("eth1's router did not become 192.0.2.254:\n%s", out);
		usleep(50000);
	}
}

/* `ip -d addr` of dev in the namespace, into buf. */
static void os_addrs(const char *dev, char *buf, size_t len)
{
	char cmd[256];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "ip -n %s -d addr show dev %s", ns.name, dev);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(buf, 1, len - 1, p);
	buf[n] = '\0';
	pclose(p);
}

/* Waits until dev's `ip addr` does (want) or does not contain what. */
static void wait_os_addr(const char *dev, const char *what, bool want)
{
	__u64 t0 = pubprobe_now_ms();
	char buf[8192];

	for (;;) {
		os_addrs(dev, buf, sizeof(buf));
		if (!!strstr(buf, what) == want)
			return;
		if (pubprobe_now_ms() - t0 > DEADLINE_MS)
			fail_msg("%s: '%s' %s after %d ms:\n%s", dev, what,
				 want ? "missing" : "still there", DEADLINE_MS, buf);
		usleep(20000);
	}
}

static void test_manage_addresses(void **state)
{
	char buf[8192];

	assert_int_equal(agent_stop(), 0);
	/* Somebody else's secondary address, assigned by the source too. */
	assert_int_equal(netns_exec(&ns, "ip addr add 192.0.2.13/32 dev eth1"), 0);
	write_world(NULL, "192.0.2.12\", \"192.0.2.13", NULL);
	manage = true;
	agent_start();
	wait_os_addr("eth1", "inet 192.0.2.12/32", true);
	wait_os_addr("eth0", "inet 192.0.2.10/", false); /* primaries are DHCP's */
	os_addrs("eth1", buf, sizeof(buf));
	assert_non_null(strstr(buf, "inet 192.0.2.13/32"));
	/* Moved: ours follows; then unassigned: ours goes, the foreign one stays. */
	write_world("192.0.2.12", NULL, NULL);
	wait_os_addr("eth0", "inet 192.0.2.12/32", true);
	wait_os_addr("eth1", "inet 192.0.2.12/32", false);
	os_addrs("eth1", buf, sizeof(buf));
	assert_non_null(strstr(buf, "inet 192.0.2.13/32"));
	write_world(NULL, NULL, NULL);
	wait_os_addr("eth0", "inet 192.0.2.12/32", false);
	usleep(2 * INTERVAL_MS * 1000);
	os_addrs("eth1", buf, sizeof(buf));
	assert_non_null(strstr(buf, "inet 192.0.2.13/32"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_state),
		cmocka_unit_test(test_second_agent_refused),
		cmocka_unit_test(test_conntrack_gc),
		cmocka_unit_test(test_local_move_one_publish),
		cmocka_unit_test(test_hotplug),
		cmocka_unit_test(test_outage_removes_nothing),
		cmocka_unit_test(test_invalid_rule_file),
		cmocka_unit_test(test_sigterm_leaves_enforcement_restart_adopts),
		cmocka_unit_test(test_sighup_rereads),
		cmocka_unit_test(test_router_follows_the_kernel),
		cmocka_unit_test(test_manage_addresses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
