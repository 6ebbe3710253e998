// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_lockout.c — an operator cannot lock themselves out: in the simulated VPC
 * (scripts/vpcbed.sh) with the real CLI and real sockets,
 *  - a TCP connection open before `attach` (the operator's SSH session) keeps working through
 *    attach and an apply that has no rule for it (seeded from sock_diag), and a flush proves
 *    it was the seeded state that carried it;
 *  - a management guard (--guard) lets its client in whatever the configuration says, also
 *    after applies that never mention it;
 *  - apply --confirm goes back to the previous configuration by itself when nobody confirms
 *    (the CLI has long exited: the watchdog does it), and stays when `confirm` comes in time;
 *  - a device the configuration leaves out passes everything, and drops with
 *    `attach --unconfigured drop`; both say so.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "clirun.h"
#include "vpcbed.h"

#define TIMEOUT_MS  1500
#define OPEN_PORT   8080 /* allowed by the configurations below */
#define ADMIN_PORT  9090 /* allowed by no rule: only the guard lets it in */
#define SSH_PORT    2222 /* the session open before attach; no rule either */

static char bed[VPCBED_NAME_MAX];
static char ns_inst[VPCBED_NS_MAX], ns_con[VPCBED_NS_MAX], ns_coff[VPCBED_NS_MAX];
static struct clirun cli;
static char out[65536];
static int ssh_client = -1, ssh_server = -1, ssh_listen = -1;

/* sg-web: tcp 8080 from anywhere (with_open) or nothing inbound but udp 5353. */
static int apply_config(bool with_open, const char *opts)
{
	char text[2048], path[PATH_MAX];

	snprintf(text, sizeof(text),
		 "{\"enis\": ["
		 " {\"interface\": \"eth0\", \"security_groups\": [\"sg-web\"],"
		 "  \"addresses\": [\"192.0.2.10\", \"192.0.2.11\", \"2001:db8:a::10\"]},"
		 " {\"interface\": \"eth1\", \"security_groups\": [\"sg-web\"],"
		 "  \"addresses\": [\"192.0.2.20\", \"192.0.2.21\"]}],"
		 " \"security_groups\": [{\"id\": \"sg-web\", \"ingress\": ["
		 "  {\"protocol\": \"%s\", \"ports\": \"%d\","
		 "   \"from\": [\"0.0.0.0/0\", \"::/0\"]}]}]}",
		 with_open ? "tcp" : "udp", with_open ? OPEN_PORT : 5353);
	if (clirun_write_file(&cli, "cfg.json", text, path))
		return -EIO;
	return clirun(&cli, out, sizeof(out), "apply %s %s", opts, path);
}

static bool tcp_ok(const char *from, const char *addr, unsigned int port)
{
	return vpcbed_tcp_echo(from, addr, port, TIMEOUT_MS) == 0;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = 1, .tv_usec = 500000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* One message each way over the session open since before attach; true when both arrive. */
static bool ssh_exchange(const char *what)
{
	char buf[64];
	size_t n = strlen(what);

	if (write(ssh_client, what, n) != (ssize_t)n ||
	    read(ssh_server, buf, sizeof(buf)) != (ssize_t)n || memcmp(buf, what, n))
		return false;
	if (write(ssh_server, what, n) != (ssize_t)n ||
	    read(ssh_client, buf, sizeof(buf)) != (ssize_t)n)
		return false;
	return memcmp(buf, what, n) == 0;
}

/* The session: a listener in the instance, a client in the off-subnet namespace. */
static int open_session(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	if (vpcbed_sockaddr("192.0.2.10", SSH_PORT, &ss, &len))
		return -1;
	ssh_listen = netns_socket(ns_inst, AF_INET, SOCK_STREAM, 0);
	ssh_client = netns_socket(ns_coff, AF_INET, SOCK_STREAM, 0);
	if (ssh_listen < 0 || ssh_client < 0)
		return -1;
	setsockopt(ssh_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ssh_listen, (struct sockaddr *)&ss, len) || listen(ssh_listen, 4) ||
	    connect(ssh_client, (struct sockaddr *)&ss, len))
		return -1;
	ssh_server = accept(ssh_listen, NULL, NULL);
	if (ssh_server < 0)
		return -1;
	set_timeouts(ssh_client);
	set_timeouts(ssh_server);
	return 0;
}

static int setup(void **state)
{
	snprintf(bed, sizeof(bed), "lk%d", getpid());
	if (vpcbed_up(bed, "same-subnet"))
		return -1;
	vpcbed_ns(ns_inst, bed, "inst");
	vpcbed_ns(ns_con, bed, "con");
	vpcbed_ns(ns_coff, bed, "coff");
	if (vpcbed_tcp_echo_server(ns_inst, "192.0.2.10", OPEN_PORT) < 0 ||
	    vpcbed_tcp_echo_server(ns_inst, "192.0.2.10", ADMIN_PORT) < 0)
		return -1;
	return clirun_init(&cli, ns_inst);
}

static int teardown(void **state)
{
	if (ssh_client >= 0)
		close(ssh_client);
	if (ssh_server >= 0)
		close(ssh_server);
	if (ssh_listen >= 0)
		close(ssh_listen);
	clirun_cleanup(&cli);
	vpcbed_servers_stop_all();
	vpcbed_down(bed);
	return 0;
}

/* The confirmed entries of family ("IPv4", "IPv6") `status` reports, -1 when it names none. */
static long ct_confirmed(const char *family)
{
	unsigned long n, cap;
	char fam[8], kind[16];
	const char *p;

	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	for (p = out; (p = strstr(p, "conntrack: ")); p++)
		if (sscanf(p, "conntrack: %lu of %lu %7s entries %15s", &n, &cap, fam, kind) == 4 &&
		    !strcmp(fam, family) && !strcmp(kind, "confirmed"))
			return (long)n;
	return -1;
}

static void test_open_session_survives_attach_and_apply(void **state)
{
	assert_int_equal(open_session(), 0);
	assert_true(ssh_exchange("before"));
	assert_int_equal(clirun(&cli, out, sizeof(out), "attach eth0 eth1"), 0);
	/* attach says the devices pass everything until configured */
	assert_non_null(strstr(out, "eth0 has no configuration: it passes everything"));
	/* the IPv4 session was seeded into the IPv4 table */
	assert_true(ct_confirmed("IPv4") >= 1);
	assert_int_equal(ct_confirmed("IPv6"), 0);
	assert_int_equal(apply_config(true, ""), 0);
	/* no rule for the session's port: a new connection to it is refused ... */
	assert_false(tcp_ok(ns_coff, "192.0.2.10", ADMIN_PORT));
	/* ... the session open before attach goes on, both ways */
	assert_true(ssh_exchange("after apply"));
	assert_true(clirun_counter(&cli, "eth0", "ingress", "ct_established", "pass") +
		    clirun_counter(&cli, "eth0", "ingress", "ct_reply", "pass") > 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "conntrack list eth0"), 0);
	assert_non_null(strstr(out, "2222"));
	/* the seeded entry carried it: without it, the rules drop the session */
	assert_int_equal(clirun(&cli, out, sizeof(out), "conntrack flush eth0"), 0);
	assert_false(ssh_exchange("after flush"));
}

static void test_guard_needs_no_rule(void **state)
{
	assert_false(tcp_ok(ns_con, "192.0.2.10", ADMIN_PORT));
	assert_int_equal(apply_config(true, "--guard 192.0.2.50/32:9090"), 0);
	assert_true(tcp_ok(ns_con, "192.0.2.10", ADMIN_PORT));
	/* the guard names its client: anyone else is still refused */
	assert_false(tcp_ok(ns_coff, "192.0.2.10", ADMIN_PORT));
	/* a later apply that never mentions it keeps it */
	assert_int_equal(apply_config(false, ""), 0);
	assert_true(tcp_ok(ns_con, "192.0.2.10", ADMIN_PORT));
	assert_false(tcp_ok(ns_con, "192.0.2.10", OPEN_PORT));
	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	assert_non_null(strstr(out, "guard: TCP port from 192.0.2.50/32:9090"));
	assert_int_equal(apply_config(true, ""), 0);
}

static long generation(void)
{
	const char *g;

	if (clirun(&cli, out, sizeof(out), "-j status"))
		return -1;
	g = strstr(out, "\"generation\":");
	return g ? strtol(g + strlen("\"generation\":"), NULL, 10) : -1;
}

static void test_confirm_reverts_unless_confirmed(void **state)
{
	long gen = generation();

	assert_true(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
	/* a configuration that closes 8080, on probation for 2 s */
	assert_int_equal(apply_config(false, "--confirm 2"), 0);
	assert_non_null(strstr(out, "comes back in 2 s unless `eniaddr-bpf confirm`"));
	assert_false(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	assert_non_null(strstr(out, "is reverted in"));
	/* no other publish while it waits */
	assert_int_equal(apply_config(true, ""), 1);
	assert_non_null(strstr(out, "waits for `eniaddr-bpf confirm`"));
	/* nobody confirms; the CLI is long gone: the watchdog brings 8080 back */
	sleep(3);
	assert_true(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
	assert_int_equal(generation(), gen + 2);
	assert_int_equal(clirun(&cli, out, sizeof(out), "confirm"), 1);
	assert_non_null(strstr(out, "nothing waits for confirm"));

	/* the watchdog killed: the deadline still holds; `confirm` comes too late and reverts */
	assert_int_equal(apply_config(false, "--confirm 2"), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "-j status"), 0);
	{
		const char *p = strstr(out, "\"watchdog_pid\":");
		long pid = p ? strtol(p + strlen("\"watchdog_pid\":"), NULL, 10) : 0;

		assert_true(pid > 1);
		assert_int_equal(kill((pid_t)pid, SIGKILL), 0);
	}
	sleep(3);
	assert_false(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT)); /* nobody reverted yet */
	assert_int_equal(clirun(&cli, out, sizeof(out), "confirm"), 1);
	assert_non_null(strstr(out, "too late"));
	assert_true(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
	gen = generation() - 2; /* the confirmed publish below is gen + 3 */

	/* confirmed in time, it stays */
	assert_int_equal(apply_config(false, "--confirm 3"), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "confirm"), 0);
	assert_non_null(strstr(out, "confirmed generation"));
	sleep(4);
	assert_false(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
	assert_int_equal(generation(), gen + 3);
	/* and the next publish needs no confirm */
	assert_int_equal(apply_config(true, ""), 0);
	assert_true(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
}

/* A device the configuration leaves out: passes by default, drops with --unconfigured drop. */
static void test_unconfigured_drop(void **state)
{
	char path[PATH_MAX];
	const char *only_eth1 =
		"{\"enis\": [{\"interface\": \"eth1\", \"security_groups\": [],"
		" \"addresses\": [\"192.0.2.20\"]}], \"security_groups\": []}";

	assert_int_equal(clirun_write_file(&cli, "eth1.json", only_eth1, path), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "apply %s", path), 0);
	assert_true(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
	assert_int_equal(clirun(&cli, out, sizeof(out), "status"), 0);
	assert_non_null(strstr(out, "warning: eth0 is attached without configuration: it passes "
				    "everything"));
	assert_int_equal(clirun(&cli, out, sizeof(out), "attach --unconfigured drop eth0"), 0);
	assert_non_null(strstr(out, "its IPv4 and IPv6 traffic drops"));
	assert_false(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
	assert_true(clirun_counter(&cli, "eth0", "ingress", "unconfigured_drop", "drop") > 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "attach --unconfigured pass eth0"), 0);
	assert_true(tcp_ok(ns_coff, "192.0.2.10", OPEN_PORT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_session_survives_attach_and_apply),
		cmocka_unit_test(test_guard_needs_no_rule),
		cmocka_unit_test(test_confirm_reverts_unless_confirmed),
		cmocka_unit_test(test_unconfigured_drop),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
