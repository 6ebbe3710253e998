// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_observe.c — observing drops as an operator would, on the simulated VPC with the
 * real CLI: plain `bpftool map dump` names reasons and fields, `stats --by-address` names the
 * hammered address and `--reset` zeroes without reloading, `trace` under a bounded flood accounts
 * for every drop (events + lost = drops counted), and `metrics` parses with Prometheus' own
 * parser and equals `stats -j`.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "clirun.h"
#include "eniaddr.h"
#include "vpcbed.h"

#define CLOSED_PORT 7777 /* no rule opens it: no_rule */
#define FLOOD       20000

static char bed[VPCBED_NAME_MAX];
static char ns_inst[VPCBED_NS_MAX], ns_con[VPCBED_NS_MAX];
static struct clirun cli;
static char out[1 << 20];

static const char *config =
	"{\"enis\": ["
	" {\"interface\": \"eth0\", \"security_groups\": [\"sg-web\"],"
	"  \"addresses\": [\"192.0.2.10\", \"192.0.2.11\", \"2001:db8:a::10\"]}],"
	" \"security_groups\": ["
	" {\"id\": \"sg-web\", \"ingress\": ["
	"  {\"protocol\": \"tcp\", \"ports\": \"8080\", \"from\": [\"0.0.0.0/0\", \"::/0\"]}]}]}";

static int setup(void **state)
{
	char path[PATH_MAX];

	snprintf(bed, sizeof(bed), "eo%d", getpid());
	if (vpcbed_up(bed, "same-subnet"))
		return -1;
	vpcbed_ns(ns_inst, bed, "inst");
	vpcbed_ns(ns_con, bed, "con");
	if (clirun_init(&cli, ns_inst) || clirun(&cli, out, sizeof(out), "attach eth0") ||
	    clirun_write_file(&cli, "cfg.json", config, path) ||
	    clirun(&cli, out, sizeof(out), "apply %s", path)) {
		fprintf(stderr, "setup: %s\n", out);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	clirun_cleanup(&cli);
	vpcbed_down(bed);
	return 0;
}

/* Sends n UDP datagrams from the on-subnet client to addr:port, as fast as the socket goes. */
static void udp_flood(const char *addr, unsigned int port, int n)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char payload[64] = "flood";
	int fd = netns_socket(ns_con, AF_INET, SOCK_DGRAM, 0), i;

	assert_true(fd >= 0);
	assert_int_equal(vpcbed_sockaddr(addr, port, &ss, &len), 0);
	for (i = 0; i < n; i++)
		assert_true(sendto(fd, payload, sizeof(payload), 0, (struct sockaddr *)&ss, len) ==
			    (ssize_t)sizeof(payload));
	close(fd);
	usleep(300 * 1000); /* let the veths and the bridge deliver what is queued */
}

static void pin_path(const char *map, char *buf, size_t len)
{
	snprintf(buf, len, "%s/eniaddr/maps/%s", cli.bpffs, map);
}

/* The real bpftool, on the pinned maps: reason and field names through BTF alone. */
static void test_bpftool_dump_names_reasons(void **state)
{
	char path[PATH_MAX];

	udp_flood("192.0.2.10", CLOSED_PORT, 3);
	pin_path(ENIADDR_STR(ENIADDR_MAP_STATS), path, sizeof(path));
	assert_int_equal(vpcbed_sh(out, sizeof(out), "bpftool map dump pinned '%s'", path), 0);
	assert_non_null(strstr(out, "\"no_rule\": {"));
	assert_non_null(strstr(out, "\"failsafe_arp\": {"));
	assert_non_null(strstr(out, "\"packets\": "));
	assert_non_null(strstr(out, "\"bytes\": "));
	assert_non_null(strstr(out, "\"dir\": \"ENIADDR_DIR_INGRESS\""));
	assert_non_null(strstr(out, "\"action\": \"ENIADDR_ACT_DROP\""));
	pin_path(ENIADDR_STR(ENIADDR_MAP_ADDR_DROPS), path, sizeof(path));
	assert_int_equal(vpcbed_sh(out, sizeof(out), "bpftool map dump pinned '%s'", path), 0);
	assert_non_null(strstr(out, "\"dir\": \"ENIADDR_DIR_INGRESS\""));
	assert_non_null(strstr(out, "\"addr\": ["));
	/* the owners of the bed's IPv4 addresses are in eniaddr_addrs4, key fields named */
	pin_path(ENIADDR_STR(ENIADDR_MAP_ADDRS4), path, sizeof(path));
	assert_int_equal(vpcbed_sh(out, sizeof(out), "bpftool map dump pinned '%s'", path), 0);
	assert_non_null(strstr(out, "\"slot\": "));
	assert_non_null(strstr(out, "\"addr\": ["));
	assert_non_null(strstr(out, "\"in_policy\": "));
	assert_non_null(strstr(out, "\"ifindex\": "));
}

/* bpftool prints one pinned map into out (the test's buffer). */
static void dump_pinned(const char *map)
{
	char path[PATH_MAX];

	pin_path(map, path, sizeof(path));
	assert_int_equal(vpcbed_sh(out, sizeof(out), "bpftool map dump pinned '%s'", path), 0);
}

/* Enum-typed fields read as names, not numbers, in plain bpftool: a flow's state, an ENI's
 * mode, how attach attached, where the router came from. */
static void test_bpftool_dump_names_states_and_modes(void **state)
{
	/* the instance asks, the client answers: a confirmed flow (inbound only opens tcp/8080,
	 * so it is tracked) */
	pid_t srv = vpcbed_udp_echo_server(ns_con, "192.0.2.50", 7002);

	assert_true(srv > 0);
	assert_int_equal(vpcbed_udp_echo(ns_inst, "192.0.2.50", 7002, 500), 0);
	vpcbed_server_stop(srv);
	dump_pinned(ENIADDR_STR(ENIADDR_MAP_CT4));
	assert_non_null(strstr(out, "\"state\": \"ENIADDR_CT_ESTABLISHED\""));
	dump_pinned(ENIADDR_STR(ENIADDR_MAP_ENIS));
	assert_non_null(strstr(out, "\"mode\": \"ENIADDR_MODE_ENFORCE\""));
	dump_pinned(ENIADDR_STR(ENIADDR_MAP_ATTACH));
	assert_non_null(strstr(out, "\"mode\": \"ENIADDR_ATTACH_"));
	dump_pinned(ENIADDR_STR(ENIADDR_MAP_NEXTHOP));
	assert_non_null(strstr(out, "\"origin\": \"ENIADDR_NH_"));
}

/* The flooded address leads --by-address with exactly what it dropped; --reset zeroes it all. */
static void test_by_address_and_reset(void **state)
{
	struct json_object *rows, *first, *v;
	long before = clirun_counter(&cli, "eth0", "ingress", "no_rule", "drop"), moved;

	udp_flood("192.0.2.11", CLOSED_PORT, 500);
	moved = clirun_counter(&cli, "eth0", "ingress", "no_rule", "drop") - before;
	assert_true(moved > 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "stats --by-address"), 0);
	assert_non_null(strstr(out, "192.0.2.11"));
	assert_int_equal(clirun(&cli, out, sizeof(out), "-j stats --by-address eth0"), 0);
	rows = json_tokener_parse(out);
	assert_non_null(rows);
	first = json_object_array_get_idx(rows, 0);
	assert_non_null(first);
	assert_true(json_object_object_get_ex(first, "address", &v));
	assert_string_equal(json_object_get_string(v), "192.0.2.11");
	assert_true(json_object_object_get_ex(first, "packets", &v));
	/* Every no_rule drop since the bed came up at .11 was this flood's. */
	assert_int_equal(json_object_get_int64(v), moved);
	json_object_put(rows);

	assert_int_equal(clirun(&cli, out, sizeof(out), "stats --reset"), 0);
	assert_int_equal(clirun_counter(&cli, "eth0", "ingress", "no_rule", "drop"), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "-j stats --by-address"), 0);
	assert_string_equal(out, "[]\n");
	/* Nothing was reloaded: the filter still drops and counts from zero. */
	udp_flood("192.0.2.10", CLOSED_PORT, 5);
	assert_true(clirun_counter(&cli, "eth0", "ingress", "no_rule", "drop") > 0);
}

/* `-j stats --watch 1` in the background, its stdout into file. */
static pid_t watch_start(const char *file)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		execl(clirun_binary(), clirun_binary(), "--netns", cli.netns, "--bpffs", cli.bpffs,
		      "-j", "stats", "--watch", "1", "eth0", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* --watch prints rates: 200 drops sent within one interval show as about 200 per second. */
static void test_watch_prints_rates(void **state)
{
	char file[PATH_MAX], line[1 << 16];
	struct json_object *rows, *o, *v;
	double best = 0;
	int status, lines = 0;
	pid_t pid;
	FILE *f;

	snprintf(file, sizeof(file), "%s/watch.out", cli.dir);
	pid = watch_start(file);
	assert_true(pid > 0);
	usleep(1300 * 1000);
	udp_flood("192.0.2.11", CLOSED_PORT, 200);
	usleep(1500 * 1000);
	kill(pid, SIGINT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_non_null(f = fopen(file, "r"));
	while (fgets(line, sizeof(line), f)) {
		lines++;
		assert_non_null(rows = json_tokener_parse(line));
		for (size_t i = 0; i < json_object_array_length(rows); i++) {
			o = json_object_array_get_idx(rows, i);
			json_object_object_get_ex(o, "reason", &v);
			if (strcmp(json_object_get_string(v), "no_rule"))
				continue;
			assert_true(json_object_object_get_ex(o, "packets_per_sec", &v));
			if (json_object_get_double(v) > best)
				best = json_object_get_double(v);
		}
		json_object_put(rows);
	}
	fclose(f);
	assert_true(lines >= 2);
	/* 200 packets in one interval of about a second (or split over two). */
	assert_true(best >= 60 && best <= 220);
}

static __u32 trace_enabled(void)
{
	char path[PATH_MAX];
	struct eniaddr_trace t = {};
	__u32 key = 0;
	int fd;

	pin_path(ENIADDR_STR(ENIADDR_MAP_TRACE), path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	bpf_map_lookup_elem(fd, &key, &t);
	close(fd);
	return t.enabled;
}

/* `eniaddr-bpf -j trace ARGS` in the background, its stdout into file. */
static pid_t trace_start(const char *file, const char *rate)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execl(clirun_binary(), clirun_binary(), "--netns", cli.netns, "--bpffs", cli.bpffs,
		      "-j", "trace", "--dev", "eth0", "--reason", "no_rule", "--rate", rate,
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Every drop the filter counted while trace ran is an event or counted as lost, exactly.
 * Returns the losses to the rate limit and to a full ring. */
static void trace_flood(const char *rate, long long *lost_rate, long long *lost_full)
{
	char file[PATH_MAX];
	long before, counted;
	long long events = -1, lost = -1, printed = 0, n, lr = -1, lf = -1;
	int status, i;
	pid_t pid;
	FILE *f;
	char line[1024];

	snprintf(file, sizeof(file), "%s/trace.out", cli.dir);
	pid = trace_start(file, rate);
	assert_true(pid > 0);
	for (i = 0; i < 100 && !trace_enabled(); i++)
		usleep(50 * 1000);
	assert_int_equal((int)trace_enabled(), pid);
	before = clirun_counter(&cli, "eth0", "ingress", "no_rule", "drop");
	udp_flood("192.0.2.10", CLOSED_PORT, FLOOD);
	counted = clirun_counter(&cli, "eth0", "ingress", "no_rule", "drop") - before;
	kill(pid, SIGINT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal((int)trace_enabled(), 0);

	f = fopen(file, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "{\"summary\":{\"events\":%lld,\"printed\":%lld,\"lost\":%lld,"
			   "\"lost_rate\":%lld,\"lost_ring_full\":%lld", &events, &n, &lost, &lr,
			   &lf) == 5)
			continue;
		assert_non_null(strstr(line, "\"reason\":\"no_rule\""));
		assert_non_null(strstr(line, "\"dstaddr\":\"192.0.2.10\""));
		assert_non_null(strstr(line, "\"dstport\":7777"));
		assert_non_null(strstr(line, "\"action\":\"REJECT\""));
		printed++;
	}
	fclose(f);
	fprintf(stderr, "trace --rate %s: %ld drops counted, %lld events, %lld lost (%lld rate, "
		"%lld ring full)\n", rate, counted, events, lost, lr, lf);
	assert_true(counted > 0);
	assert_int_equal(printed, events);
	assert_int_equal(events + lost, counted);
	assert_int_equal(lr + lf, lost);
	assert_true(events > 0);
	*lost_rate = lr;
	*lost_full = lf;
}

/* A low rate: the token bucket turns most of the flood into counted losses. */
static void test_trace_accounts_for_every_drop(void **state)
{
	long long lost_rate, lost_full;

	trace_flood("100", &lost_rate, &lost_full);
	assert_true(lost_rate > 0);
}

/* No practical rate limit: whatever the ring cannot hold is counted, never silently lost. */
static void test_trace_unlimited_rate_still_exact(void **state)
{
	long long lost_rate, lost_full;

	trace_flood("10000000", &lost_rate, &lost_full);
}

/* Prometheus' parser reads `metrics`, and its counters equal `stats -j`'s. */
static void test_metrics_parse_and_equal_stats(void **state)
{
	char mfile[PATH_MAX], sfile[PATH_MAX], again[sizeof(out)];
	static char stats[sizeof(out)];
	int i, rc = -1;
	FILE *f;

	snprintf(mfile, sizeof(mfile), "%s/metrics.txt", cli.dir);
	snprintf(sfile, sizeof(sfile), "%s/stats.json", cli.dir);
	/* Neighbour traffic may tick a counter in between: take a quiet moment (stats unchanged
	 * around metrics). */
	for (i = 0; i < 5; i++) {
		assert_int_equal(clirun(&cli, stats, sizeof(stats), "-j stats"), 0);
		assert_int_equal(clirun(&cli, out, sizeof(out), "metrics"), 0);
		assert_int_equal(clirun(&cli, again, sizeof(again), "-j stats"), 0);
		if (!strcmp(stats, again))
			break;
	}
	assert_non_null(f = fopen(mfile, "w"));
	fputs(out, f);
	fclose(f);
	assert_non_null(f = fopen(sfile, "w"));
	fputs(stats, f);
	fclose(f);
	rc = vpcbed_sh(out, sizeof(out), "/usr/bin/python3 tests/check_metrics.py '%s' '%s'", mfile,
		       sfile);
	if (rc)
		fprintf(stderr, "%s", out);
	assert_int_equal(rc, 0);
}

/* metrics, through Prometheus' parser, one sample per line (tests/metrics_samples.py). */
static void metrics_samples(char *buf, size_t len)
{
	char mfile[PATH_MAX];
	FILE *f;
	int rc;

	snprintf(mfile, sizeof(mfile), "%s/metrics-samples.txt", cli.dir);
	assert_int_equal(clirun(&cli, buf, len, "metrics"), 0);
	assert_non_null(f = fopen(mfile, "w"));
	fputs(buf, f);
	fclose(f);
	rc = vpcbed_sh(buf, len, "/usr/bin/python3 tests/metrics_samples.py '%s'", mfile);
	if (rc)
		fprintf(stderr, "%s", buf);
	assert_int_equal(rc, 0);
}

static void want_sample(const char *samples, const char *line, bool present)
{
	char l[512];

	snprintf(l, sizeof(l), "%s\n", line);
	if ((strstr(samples, l) != NULL) != present)
		fail_msg("%s %s in:\n%s", line, present ? "missing" : "present", samples);
}

/* Issue 8: an attached device without configuration passes everything, and a rule naming a group
 * nobody is known to be in matches nothing; metrics say both, per device and per group. */
static void test_metrics_name_unfiltered_devices_and_empty_groups(void **state)
{
	static const char *peer_cfg =
		"{\"enis\": [{\"interface\": \"eth0\", \"security_groups\": [\"sg-web\"],"
		"  \"addresses\": [\"192.0.2.10\", \"192.0.2.11\", \"2001:db8:a::10\"]}],"
		" \"security_groups\": [{\"id\": \"sg-web\", \"ingress\": ["
		"  {\"protocol\": \"tcp\", \"ports\": \"8080\", \"from\": [\"0.0.0.0/0\"]},"
		"  {\"protocol\": \"tcp\", \"ports\": \"22\", \"from\": [\"sg-peer\"]}]},"
		"  {\"id\": \"sg-peer\", \"ingress\": []}]}";
	char path[PATH_MAX];

	metrics_samples(out, sizeof(out));
	want_sample(out, "eniaddr_unconfigured_devices{} 0", true);
	want_sample(out, "eniaddr_groups_without_members{} 0", true);

	assert_int_equal(clirun(&cli, out, sizeof(out), "attach eth1"), 0);
	metrics_samples(out, sizeof(out));
	want_sample(out, "eniaddr_unconfigured_devices{} 1", true);
	want_sample(out, "eniaddr_device_unconfigured{action=\"pass\",interface=\"eth1\"} 1", true);
	want_sample(out, "eniaddr_device_unconfigured{action=\"pass\",interface=\"eth0\"} 1", false);

	assert_int_equal(clirun(&cli, out, sizeof(out), "attach --unconfigured drop eth1"), 0);
	assert_int_equal(clirun_write_file(&cli, "peer.json", peer_cfg, path), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "apply %s", path), 0);
	metrics_samples(out, sizeof(out));
	want_sample(out, "eniaddr_device_unconfigured{action=\"drop\",interface=\"eth1\"} 1", true);
	want_sample(out, "eniaddr_groups_without_members{} 1", true);
	want_sample(out, "eniaddr_group_without_members{group=\"sg-peer\"} 1", true);

	/* back to the bed's configuration: the gauges go back to 0 */
	assert_int_equal(clirun(&cli, out, sizeof(out), "detach eth1"), 0);
	assert_int_equal(clirun_write_file(&cli, "cfg.json", config, path), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "apply %s", path), 0);
	metrics_samples(out, sizeof(out));
	want_sample(out, "eniaddr_unconfigured_devices{} 0", true);
	want_sample(out, "eniaddr_groups_without_members{} 0", true);
}

/* status: program ids, each table's fill and capacity, conntrack entries. */
static void test_status_shows_programs_and_tables(void **state)
{
	struct json_object *o, *v, *maps, *m, *ct;
	int addrs_seen = 0, want;
	size_t i;

	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	assert_non_null(strstr(out, "xdp_ingress"));
	assert_non_null(strstr(out, "eniaddr_ct"));
	assert_non_null(strstr(out, "conntrack: "));
	assert_int_equal(clirun(&cli, out, sizeof(out), "-j status"), 0);
	assert_non_null(o = json_tokener_parse(out));
	assert_true(json_object_object_get_ex(o, "conntrack", &ct));
	assert_true(json_object_object_get_ex(ct, "capacity", &v));
	assert_int_equal(json_object_get_int(v), 2 * ENIADDR_MAX_CT); /* both families */
	assert_true(json_object_object_get_ex(ct, "ipv4", &v));
	assert_true(json_object_object_get_ex(v, "capacity", &v));
	assert_int_equal(json_object_get_int(v), ENIADDR_MAX_CT);
	assert_true(json_object_object_get_ex(ct, "ipv6", &v));
	assert_true(json_object_object_get_ex(v, "unconfirmed_capacity", &v));
	assert_int_equal(json_object_get_int(v), ENIADDR_MAX_CT_NEW);
	assert_true(json_object_object_get_ex(o, "programs", &v));
	assert_int_equal(json_object_array_length(v), 3);
	assert_true(json_object_object_get_ex(o, "maps", &maps));
	for (i = 0; i < json_object_array_length(maps); i++) {
		m = json_object_array_get_idx(maps, i);
		json_object_object_get_ex(m, "name", &v);
		/* the config's two IPv4 addresses and one IPv6, each in the maps of its family */
		if (!strcmp(json_object_get_string(v), ENIADDR_STR(ENIADDR_MAP_ADDRS4)))
			want = 2;
		else if (!strcmp(json_object_get_string(v), ENIADDR_STR(ENIADDR_MAP_ADDRS)))
			want = 1;
		else
			continue;
		addrs_seen++;
		json_object_object_get_ex(m, "entries", &v);
		assert_int_equal(json_object_get_int(v), want);
		json_object_object_get_ex(m, "capacity", &v);
		assert_int_equal(json_object_get_int(v), ENIADDR_MAX_ADDRS);
	}
	assert_int_equal(addrs_seen, 2);
	json_object_put(o);
}

struct explain_row {
	const char *packet;
	const char *verdict, *reason, *action;
	int (*send)(void); /* the same packet for real, from the client */
};

static int send_tcp_8080(void)
{
	return vpcbed_tcp_echo(ns_con, "192.0.2.10", 8080, 500);
}

static int send_tcp_9999(void)
{
	return vpcbed_tcp_echo(ns_con, "192.0.2.10", 9999, 500);
}

static int send_udp6(void)
{
	return vpcbed_udp_echo(ns_con, "2001:db8:a::10", 53, 300);
}

static int send_ping(void)
{
	return vpcbed_ping(ns_con, "192.0.2.10");
}

static const struct explain_row explain_rows[] = {
	{ "tcp 192.0.2.50:40000 > 192.0.2.10:8080 syn", "pass", "allowed", "pass", send_tcp_8080 },
	{ "tcp 192.0.2.50:40000 > 192.0.2.10:9999 syn", "drop", "no_rule", "drop", send_tcp_9999 },
	{ "udp [2001:db8:a::50]:40000 > [2001:db8:a::10]:53", "drop", "no_rule", "drop", send_udp6 },
	{ "icmp 192.0.2.50 > 192.0.2.10 echo-request", "drop", "no_rule", "drop", send_ping },
};

/* explain agrees with the attached program on real traffic, and changes nothing. */
static void test_explain_agrees_with_real_traffic(void **state)
{
	static char ct0[sizeof(out)], ct1[sizeof(out)];
	char want[128], ct_pin[PATH_MAX], ct_new_pin[PATH_MAX], ct4_pin[PATH_MAX];
	char ct4_new_pin[PATH_MAX];
	size_t i;

	pin_path(ENIADDR_STR(ENIADDR_MAP_CT), ct_pin, sizeof(ct_pin));
	pin_path(ENIADDR_STR(ENIADDR_MAP_CT_NEW), ct_new_pin, sizeof(ct_new_pin));
	pin_path(ENIADDR_STR(ENIADDR_MAP_CT4), ct4_pin, sizeof(ct4_pin));
	pin_path(ENIADDR_STR(ENIADDR_MAP_CT4_NEW), ct4_new_pin, sizeof(ct4_new_pin));
	for (i = 0; i < sizeof(explain_rows) / sizeof(explain_rows[0]); i++) {
		const struct explain_row *r = &explain_rows[i];
		long before;

		/* The conntrack table byte for byte (raw keys and values, timestamps too). */
		assert_int_equal(vpcbed_sh(ct0, sizeof(ct0), "bpftool map dump pinned '%s'; "
					   "bpftool map dump pinned '%s'; bpftool map dump pinned "
					   "'%s'; bpftool map dump pinned '%s'", ct_pin, ct_new_pin,
					   ct4_pin, ct4_new_pin), 0);
		assert_int_equal(clirun(&cli, out, sizeof(out), "-j explain eth0 '%s'", r->packet),
				 0);
		snprintf(want, sizeof(want), "\"verdict\":\"%s\",\"reason\":\"%s\"", r->verdict,
			 r->reason);
		if (!strstr(out, want))
			fprintf(stderr, "%s: %s", r->packet, out);
		assert_non_null(strstr(out, want));
		assert_int_equal(vpcbed_sh(ct1, sizeof(ct1), "bpftool map dump pinned '%s'; "
					   "bpftool map dump pinned '%s'; bpftool map dump pinned "
					   "'%s'; bpftool map dump pinned '%s'", ct_pin, ct_new_pin,
					   ct4_pin, ct4_new_pin), 0);
		assert_string_equal(ct0, ct1);
		/* Neighbour discovery may tick the failsafe counters meanwhile; the explained
		 * counter must not move. */
		before = clirun_counter(&cli, "eth0", "ingress", r->reason, r->action);
		assert_int_equal(clirun(&cli, out, sizeof(out), "-j explain eth0 '%s'", r->packet),
				 0);
		assert_int_equal(clirun_counter(&cli, "eth0", "ingress", r->reason, r->action),
				 before);
		r->send();
		assert_true(clirun_counter(&cli, "eth0", "ingress", r->reason, r->action) > before);
	}
	assert_int_equal(clirun(&cli, out, sizeof(out), "explain eth0 'tcp 192.0.2.50:1 > "
				"192.0.2.10:8080'"), 0);
	fprintf(stderr, "%s", out);
	assert_non_null(strstr(out, "rule 0: tcp 8080 from 0.0.0.0/0"));
	assert_int_equal(clirun(&cli, out, sizeof(out), "explain eth0 'tcp 192.0.2.50:1 > "
				"192.0.2.10:9999'"), 0);
	fprintf(stderr, "%s", out);
	assert_non_null(strstr(out, "no rule of policy"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bpftool_dump_names_reasons),
		cmocka_unit_test(test_bpftool_dump_names_states_and_modes),
		cmocka_unit_test(test_by_address_and_reset),
		cmocka_unit_test(test_watch_prints_rates),
		cmocka_unit_test(test_trace_accounts_for_every_drop),
		cmocka_unit_test(test_trace_unlimited_rate_still_exact),
		cmocka_unit_test(test_metrics_parse_and_equal_stats),
		cmocka_unit_test(test_metrics_name_unfiltered_devices_and_empty_groups),
		cmocka_unit_test(test_explain_agrees_with_real_traffic),
		cmocka_unit_test(test_status_shows_programs_and_tables),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
