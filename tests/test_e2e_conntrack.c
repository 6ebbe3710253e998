// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_conntrack.c — stateful filtering end to end (issue 3): the simulated VPC
 * (scripts/vpcbed.sh, same-subnet variant), the real eniaddr-bpf CLI on the instance's eth0 and
 * eth1, real sockets. What a user checks:
 *  - the instance opens connections (TCP, UDP, ping; IPv4 and IPv6) to a peer although no
 *    inbound rule exists: the replies pass as ct_reply;
 *  - a flow whose source belongs to eth1 but which the routing table sends out of eth0 is
 *    redirected and judged exactly once, by eth1's tc_egress (its entry counts one packet per
 *    packet);
 *  - an inbound connection allowed by a rule survives the rule's removal; a new one is refused;
 *  - an untracked flow (all TCP ports open to 0.0.0.0/0 both ways) is cut at once when its rule
 *    goes;
 *  - a UDP flow expires after its (test-only short) timeout, and `conntrack gc` removes it;
 *  - the state is pinned: re-running attach and apply keeps it, `conntrack flush` drops it.
 * Every socket here is the test's own (made inside a namespace, used from this process), so a
 * connection can be held open across CLI runs. Needs root; namespaces and the private bpffs are
 * removed at exit, also on failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "clirun.h"
#include "vpcbed.h"

#define TIMEOUT_MS 1500
#define UDP_TIMEOUT_S 2   /* connection_tracking.udp of the configs below (test-only knob) */
#define CT_SIZE 8192

static char bed[VPCBED_NAME_MAX];
static char ns_inst[VPCBED_NS_MAX], ns_con[VPCBED_NS_MAX], ns_coff[VPCBED_NS_MAX];
static struct clirun cli;
static char out[1 << 20];

/* Both ENIs in group sg-app; ingress rules by config; no egress list = AWS's allow-all. UDP
 * flows time out after UDP_TIMEOUT_S (allowed by the test-only knob). */
static const char *config_fmt =
	"{\"test_only_short_timeouts\": true, \"enis\": ["
	" {\"interface\": \"eth0\", \"security_groups\": [\"sg-app\"],"
	"  \"addresses\": [\"192.0.2.10\", \"192.0.2.11\", \"2001:db8:a::10\", \"2001:db8:a::11\"],"
	"  \"connection_tracking\": {\"udp\": %d, \"udp_stream\": %d}},"
	" {\"interface\": \"eth1\", \"security_groups\": [\"sg-app\"],"
	"  \"addresses\": [\"192.0.2.20\", \"192.0.2.21\", \"2001:db8:a::20\", \"2001:db8:a::21\"],"
	"  \"connection_tracking\": {\"udp\": %d, \"udp_stream\": %d}}],"
	" \"security_groups\": [{\"id\": \"sg-app\", \"ingress\": [%s]}]}";

#define RULES_NONE ""
/* From the clients' networks, not from 0.0.0.0/0 / ::/0: with AWS's default egress that would
 * make the flows untracked (RULES_8081_ANY). */
#define RULES_8080 "{\"protocol\": \"tcp\", \"ports\": \"8080\", \"from\": [\"203.0.113.0/24\"," \
		   " \"192.0.2.0/24\", \"2001:db8::/32\"]}"
#define RULES_8081_ANY "{\"protocol\": \"tcp\", \"ports\": \"8081\", \"from\": [\"0.0.0.0/0\"]}"

static void apply_rules(const char *rules)
{
	char text[4096], path[PATH_MAX];

	snprintf(text, sizeof(text), config_fmt, UDP_TIMEOUT_S, UDP_TIMEOUT_S + 1, UDP_TIMEOUT_S,
		 UDP_TIMEOUT_S + 1, rules);
	assert_int_equal(clirun_write_file(&cli, "cfg.json", text, path), 0);
	if (clirun(&cli, out, sizeof(out), "apply %s", path) != 0)
		fail_msg("apply failed: %s", out);
}

static long counter(const char *dev, const char *dir, const char *reason, const char *action)
{
	long n = clirun_counter(&cli, dev, dir, reason, action);

	assert_true(n >= 0);
	return n;
}

/* ---------------------------------------------------------------- sockets */

static socklen_t sockaddr_of(const char *addr, unsigned int port, struct sockaddr_storage *ss)
{
	socklen_t len = 0;

	assert_int_equal(vpcbed_sockaddr(addr, port, ss, &len), 0);
	return len;
}

/* A socket of type in namespace ns bound to addr:port (port 0: any). */
static int bound(const char *ns, int type, const char *addr, unsigned int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(addr, port, &ss);
	int one = 1, fd = netns_socket(ns, ss.ss_family, type, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len))
		fail_msg("bind %s:%u in %s: %s", addr, port, ns, strerror(errno));
	return fd;
}

static bool wait_for(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, timeout_ms) == 1 && (p.revents & events);
}

/* A TCP connection from ns to addr:port within TIMEOUT_MS: the fd, or -errno. */
static int tcp_connect(const char *ns, const char *addr, unsigned int port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_of(addr, port, &ss);
	int fd = netns_socket(ns, ss.ss_family, SOCK_STREAM, 0), err = 0;
	socklen_t elen = sizeof(err);

	assert_true(fd >= 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS) {
		err = -errno;
		close(fd);
		return err;
	}
	if (!wait_for(fd, POLLOUT, TIMEOUT_MS)) {
		close(fd);
		return -ETIMEDOUT;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err) {
		close(fd);
		return -err;
	}
	return fd;
}

static int tcp_accept(int lfd)
{
	assert_true(wait_for(lfd, POLLIN, TIMEOUT_MS));
	return accept(lfd, NULL, NULL);
}

/* A TCP connection from the client behind the router (coff) to a listener of the instance. */
struct tcp_session {
	int listener; /* the instance's, at addr:port */
	int client;   /* the client's end */
	int server;   /* the instance's end */
};

static struct tcp_session tcp_session_open(const char *addr, unsigned int port)
{
	struct tcp_session t;

	t.listener = bound(ns_inst, SOCK_STREAM, addr, port);
	assert_int_equal(listen(t.listener, 8), 0);
	t.client = tcp_connect(ns_coff, addr, port);
	assert_true(t.client >= 0);
	t.server = tcp_accept(t.listener);
	assert_true(t.server >= 0);
	return t;
}

static void tcp_session_close(const struct tcp_session *t)
{
	close(t->client);
	close(t->server);
	close(t->listener);
}

/* msg written on from arrives on to within TIMEOUT_MS (stream or datagram). */
static bool carries(int from, int to, const char *msg)
{
	char buf[256];
	ssize_t n;

	if (write(from, msg, strlen(msg)) != (ssize_t)strlen(msg))
		return false;
	if (!wait_for(to, POLLIN, TIMEOUT_MS))
		return false;
	n = recv(to, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n < 0)
		return false;
	buf[n] = '\0';
	return !strcmp(buf, msg);
}

/* A connected UDP pair: a in ns_a at addr_a:port_a, b in ns_b at addr_b:port_b. */
static void udp_pair(const char *ns_a, const char *addr_a, unsigned int port_a, const char *ns_b,
		     const char *addr_b, unsigned int port_b, int *a, int *b)
{
	struct sockaddr_storage ss;
	socklen_t len;

	*a = bound(ns_a, SOCK_DGRAM, addr_a, port_a);
	*b = bound(ns_b, SOCK_DGRAM, addr_b, port_b);
	len = sockaddr_of(addr_b, port_b, &ss);
	assert_int_equal(connect(*a, (struct sockaddr *)&ss, len), 0);
	len = sockaddr_of(addr_a, port_a, &ss);
	assert_int_equal(connect(*b, (struct sockaddr *)&ss, len), 0);
}

/* ---------------------------------------------------------------- conntrack list */

/* The entry of `conntrack list -j` with these addresses and destination port (0: any), in
 * either direction, as a new reference (json_object_put it), or NULL. */
static struct json_object *ct_find(const char *a, const char *b, int port)
{
	struct json_object *doc, *entries, *hit = NULL;

	if (clirun(&cli, out, sizeof(out), "conntrack list -j") != 0)
		fail_msg("conntrack list failed: %s", out);
	doc = json_tokener_parse(out);
	assert_non_null(doc);
	assert_true(json_object_object_get_ex(doc, "entries", &entries));
	for (size_t i = 0; !hit && i < json_object_array_length(entries); i++) {
		struct json_object *e = json_object_array_get_idx(entries, i), *v;
		const char *src, *dst;
		int sport = -1, dport = -1;

		json_object_object_get_ex(e, "src", &v);
		src = json_object_get_string(v);
		json_object_object_get_ex(e, "dst", &v);
		dst = json_object_get_string(v);
		if (json_object_object_get_ex(e, "sport", &v))
			sport = json_object_get_int(v);
		if (json_object_object_get_ex(e, "dport", &v))
			dport = json_object_get_int(v);
		if (((!strcmp(src, a) && !strcmp(dst, b)) && (!port || dport == port)) ||
		    ((!strcmp(src, b) && !strcmp(dst, a)) && (!port || sport == port)))
			hit = json_object_get(e);
	}
	json_object_put(doc);
	return hit;
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : -1;
}

/* ---------------------------------------------------------------- cases */

/* No inbound rule at all: what the instance opens still gets its replies. */
static void test_outbound_needs_no_inbound_rule(void **state)
{
	pid_t tcp4, tcp6, udp4;
	long replies;

	(void)state;
	apply_rules(RULES_NONE);
	tcp4 = vpcbed_tcp_echo_server(ns_con, "192.0.2.50", 7001);
	tcp6 = vpcbed_tcp_echo_server(ns_con, "2001:db8:a::50", 7001);
	udp4 = vpcbed_udp_echo_server(ns_con, "192.0.2.50", 7002);
	assert_true(tcp4 > 0 && tcp6 > 0 && udp4 > 0);
	/* The kernel picks the source; one of eth1's would come back on eth1. */
	replies = counter("eth0", "ingress", "ct_reply", "pass") +
		  counter("eth1", "ingress", "ct_reply", "pass");
	assert_int_equal(vpcbed_tcp_echo(ns_inst, "192.0.2.50", 7001, TIMEOUT_MS), 0);
	assert_int_equal(vpcbed_tcp_echo(ns_inst, "2001:db8:a::50", 7001, TIMEOUT_MS), 0);
	assert_int_equal(vpcbed_udp_echo(ns_inst, "192.0.2.50", 7002, TIMEOUT_MS), 0);
	assert_int_equal(vpcbed_ping(ns_inst, "192.0.2.50"), 0);
	assert_int_equal(vpcbed_ping(ns_inst, "2001:db8:a::50"), 0);
	assert_true(counter("eth0", "ingress", "ct_reply", "pass") +
		    counter("eth1", "ingress", "ct_reply", "pass") - replies >= 5);
	/* ... while nobody may open anything towards the instance. */
	assert_int_equal(vpcbed_ping(ns_con, "192.0.2.10"), -EHOSTUNREACH);
	vpcbed_server_stop(tcp4);
	vpcbed_server_stop(tcp6);
	vpcbed_server_stop(udp4);
}

/* eth1's source, routed out of eth0: redirected by eth0's tc_egress, judged by eth1's once. */
static void test_redirected_flow_judged_once(void **state)
{
	long redirected = counter("eth0", "egress", "redirect", "redirect");
	long allowed = counter("eth1", "egress", "allowed", "pass");
	long again = counter("eth1", "egress", "ct_established", "pass");
	struct json_object *e;
	int a, b;

	(void)state;
	udp_pair(ns_inst, "192.0.2.20", 6100, ns_con, "192.0.2.50", 6101, &a, &b);
	assert_true(carries(a, b, "out via eth1"));
	assert_true(carries(b, a, "and back"));
	assert_true(counter("eth0", "egress", "redirect", "redirect") - redirected >= 1);
	e = ct_find("192.0.2.20", "192.0.2.50", 6101);
	assert_non_null(e);
	assert_string_equal(jstr(e, "ifname"), "eth1");
	assert_string_equal(jstr(e, "origin"), "egress");
	/* the one packet out was judged once: it started the flow, and no second judgment met it */
	assert_int_equal(counter("eth1", "egress", "allowed", "pass") - allowed, 1);
	assert_int_equal(counter("eth1", "egress", "ct_established", "pass") - again, 0);
	json_object_put(e);
	close(a);
	close(b);
}

/* A connection allowed by a rule outlives the rule; a new one is refused. */
static void test_inbound_survives_rule_removal(void **state)
{
	struct tcp_session tcp;
	long est;
	struct json_object *e;

	(void)state;
	apply_rules(RULES_8080);
	tcp = tcp_session_open("192.0.2.10", 8080);
	assert_true(carries(tcp.client, tcp.server, "hello"));
	assert_true(carries(tcp.server, tcp.client, "hello back"));
	e = ct_find("203.0.113.5", "192.0.2.10", 8080);
	assert_non_null(e);
	assert_string_equal(jstr(e, "state"), "established");
	assert_string_equal(jstr(e, "origin"), "ingress");
	json_object_put(e);

	apply_rules(RULES_NONE);
	est = counter("eth0", "ingress", "ct_established", "pass");
	assert_true(carries(tcp.client, tcp.server, "still there?"));
	assert_true(carries(tcp.server, tcp.client, "yes"));
	assert_true(counter("eth0", "ingress", "ct_established", "pass") > est);
	assert_int_equal(tcp_connect(ns_coff, "192.0.2.10", 8080), -ETIMEDOUT);
	tcp_session_close(&tcp);
}

/* AWS's example: tcp 8081 from 0.0.0.0/0, outbound all to 0.0.0.0/0: untracked, so removing the
 * rule cuts the connection at its next packet. */
static void test_untracked_cut_at_once(void **state)
{
	struct tcp_session tcp;
	long dropped;

	(void)state;
	apply_rules(RULES_8081_ANY);
	tcp = tcp_session_open("192.0.2.11", 8081);
	assert_true(carries(tcp.client, tcp.server, "untracked"));
	assert_true(carries(tcp.server, tcp.client, "indeed"));
	assert_null(ct_find("203.0.113.5", "192.0.2.11", 8081));

	apply_rules(RULES_NONE);
	dropped = counter("eth0", "ingress", "no_rule", "drop");
	assert_false(carries(tcp.client, tcp.server, "cut?"));
	assert_true(counter("eth0", "ingress", "no_rule", "drop") > dropped);
	tcp_session_close(&tcp);
}

/* A UDP flow lives UDP_TIMEOUT_S after its last packet; then the peer cannot reach back, and
 * the sweep removes the entry. */
static void test_udp_expires(void **state)
{
	struct json_object *e;
	int a, b, gc_a, gc_b;

	(void)state;
	apply_rules(RULES_NONE);
	udp_pair(ns_inst, "192.0.2.10", 6200, ns_con, "192.0.2.50", 6201, &a, &b);
	udp_pair(ns_inst, "192.0.2.10", 6202, ns_con, "192.0.2.50", 6203, &gc_a, &gc_b);
	assert_true(carries(a, b, "request"));
	assert_true(carries(b, a, "reply"));
	assert_true(carries(b, a, "a second reply, within the timeout"));
	assert_true(carries(gc_a, gc_b, "one-way"));
	e = ct_find("192.0.2.10", "192.0.2.50", 6201);
	assert_non_null(e);
	assert_string_equal(jstr(e, "state"), "established");
	assert_true(jint(e, "expires_in_s") <= UDP_TIMEOUT_S);
	json_object_put(e);

	sleep(UDP_TIMEOUT_S + 1);
	/* The sweep deletes the idle one-way flow... */
	assert_int_equal(clirun(&cli, out, sizeof(out), "conntrack gc -j"), 0);
	assert_non_null(strstr(out, "\"deleted\""));
	assert_null(ct_find("192.0.2.10", "192.0.2.50", 6203));
	/* ...and the expired one lets nothing in any more. */
	assert_false(carries(b, a, "too late"));
	assert_null(ct_find("192.0.2.10", "192.0.2.50", 6201));
	close(a);
	close(b);
	close(gc_a);
	close(gc_b);
}

/* The table is pinned: CLI runs (attach again, apply again) keep it; flush empties it. */
static void test_state_survives_cli_runs(void **state)
{
	struct json_object *before, *after;
	struct tcp_session tcp;

	(void)state;
	apply_rules(RULES_8080);
	tcp = tcp_session_open("2001:db8:a::10", 8080);
	assert_true(carries(tcp.client, tcp.server, "v6"));
	before = ct_find("2001:db8:c::5", "2001:db8:a::10", 8080);
	assert_non_null(before);

	assert_int_equal(clirun(&cli, out, sizeof(out), "attach eth0 eth1"), 0);
	apply_rules(RULES_NONE);
	after = ct_find("2001:db8:c::5", "2001:db8:a::10", 8080);
	assert_non_null(after);
	assert_int_equal(jint(after, "created_ns"), jint(before, "created_ns"));
	assert_true(carries(tcp.client, tcp.server, "after the cli ran again"));
	assert_true(carries(tcp.server, tcp.client, "ok"));
	json_object_put(before);
	json_object_put(after);

	assert_int_equal(clirun(&cli, out, sizeof(out), "conntrack flush eth0"), 0);
	assert_null(ct_find("2001:db8:c::5", "2001:db8:a::10", 8080));
	assert_false(carries(tcp.client, tcp.server, "forgotten"));
	tcp_session_close(&tcp);
}

/* The size chosen at the first attach stays; asking for another one while loaded is refused. */
static void test_conntrack_size(void **state)
{
	struct json_object *doc;

	(void)state;
	assert_int_equal(clirun(&cli, out, sizeof(out), "conntrack list -j"), 0);
	doc = json_tokener_parse(out);
	assert_non_null(doc);
	assert_int_equal(jint(doc, "capacity"), CT_SIZE);
	json_object_put(doc);
	assert_int_equal(clirun(&cli, out, sizeof(out), "attach --conntrack-size %d eth0",
				CT_SIZE * 2), 1);
	assert_non_null(strstr(out, "detach --all"));
	assert_int_equal(clirun(&cli, out, sizeof(out), "attach --conntrack-size %d eth0", CT_SIZE),
			 0);
}

/* ---------------------------------------------------------------- setup */

static int setup(void **state)
{
	(void)state;
	snprintf(bed, sizeof(bed), "ect%d", getpid());
	if (vpcbed_up(bed, "same-subnet"))
		return -1;
	vpcbed_ns(ns_inst, bed, "inst");
	vpcbed_ns(ns_con, bed, "con");
	vpcbed_ns(ns_coff, bed, "coff");
	if (clirun_init(&cli, ns_inst))
		return -1;
	if (clirun(&cli, out, sizeof(out), "attach --conntrack-size %d eth0 eth1", CT_SIZE)) {
		fprintf(stderr, "attach failed: %s\n", out);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	clirun_cleanup(&cli);
	vpcbed_servers_stop_all();
	vpcbed_down(bed);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_outbound_needs_no_inbound_rule),
		cmocka_unit_test(test_redirected_flow_judged_once),
		cmocka_unit_test(test_inbound_survives_rule_removal),
		cmocka_unit_test(test_untracked_cut_at_once),
		cmocka_unit_test(test_udp_expires),
		cmocka_unit_test(test_state_survives_cli_runs),
		cmocka_unit_test(test_conntrack_size),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_e2e_conntrack: needs root (namespaces, BPF)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
