// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_redirect.c — the asymmetric-routing fix end to end (issue 4): the simulated VPC
 * (scripts/vpcbed.sh) with its real source/destination check, the real eniaddr-bpf CLI attached
 * to the instance's eth0 and eth1, real sockets from the clients. What a user checks:
 *  - without eniaddr-bpf a reply from eth1's address leaves by eth0 and the VPC drops it;
 *  - with it, every address of every ENI answers every client, IPv4 and IPv6, TCP, UDP and
 *    ping, in both bed variants; tc_egress counts the redirects, the VPC's check drops nothing;
 *  - a spoofed source is dropped on the instance and counted, before the VPC sees it;
 *  - an interface eniaddr-bpf does not manage is left alone;
 *  - after `sync` from AWS JSON (no subnet CIDRs) the off-subnet client still reaches eth1's
 *    secondary addresses: the subnets come from the interfaces' own prefixes;
 *  - the bed's IPv6 router answers only at its link-local address, as the VPC's does: an IPv6
 *    reply from eth1's address leaving by eth0 reaches the off-subnet client through eth1 via
 *    the router eth1's own default route names; without the route the router neighbour; without
 *    that the subnet::1 guess, which `status` names, `redirect_guess` counts, and nothing
 *    answers (so the old fixed subnet::1 would fail the other cases);
 *  - detach takes it all away again, and the problem is back.
 * Needs root; only namespaces it creates; everything is removed at exit, also on failure
 * (vpcbed.h and clirun.h clean up on exit and signals).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "clirun.h"
#include "vpcbed.h"

#define TIMEOUT_MS 2000
#define SINK_PORT  9999
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct bed {
	char name[VPCBED_NAME_MAX];
	const char *variant;
	char inst[VPCBED_NS_MAX], con[VPCBED_NS_MAX], coff[VPCBED_NS_MAX], vpc[VPCBED_NS_MAX];
	struct clirun cli;
};

static struct bed same = { .variant = "same-subnet" };
static struct bed two = { .variant = "two-subnets" };
static char out[65536];

enum probe { TCP, UDP, PING };

/* One exchange from a client to an address of the instance. */
struct reach_case {
	const char *client;   /* "con" (on subnet A) or "coff" (behind the router) */
	const char *addr;
	enum probe probe;
	const char *owner;    /* the ENI that owns addr */
	bool redirected;      /* the reply leaves by the other ENI first: eth0's tc_egress redirects */
};

/* Main table: default route and the first 192.0.2.0/24 and 2001:db8:a::/64 routes via eth0. */
static const struct reach_case same_cases[] = {
	{ "coff", "192.0.2.10", TCP, "eth0", false },
	{ "coff", "192.0.2.11", TCP, "eth0", false },
	{ "coff", "2001:db8:a::10", TCP, "eth0", false },
	{ "coff", "2001:db8:a::11", TCP, "eth0", false },
	{ "coff", "192.0.2.20", TCP, "eth1", true },
	{ "coff", "192.0.2.21", TCP, "eth1", true },
	{ "coff", "2001:db8:a::20", TCP, "eth1", true },
	{ "coff", "2001:db8:a::21", TCP, "eth1", true },
	{ "con", "192.0.2.11", TCP, "eth0", false },
	{ "con", "2001:db8:a::11", TCP, "eth0", false },
	{ "con", "192.0.2.20", TCP, "eth1", true },
	{ "con", "192.0.2.21", TCP, "eth1", true },
	{ "con", "2001:db8:a::21", TCP, "eth1", true },
	{ "coff", "192.0.2.21", UDP, "eth1", true },
	{ "coff", "2001:db8:a::21", UDP, "eth1", true },
	{ "con", "192.0.2.21", UDP, "eth1", true },
	{ "coff", "192.0.2.21", PING, "eth1", true },
	{ "coff", "2001:db8:a::21", PING, "eth1", true },
};

/* eth1 in subnet B behind the same router: every reply of eth1 is off-link via eth0's routes. */
static const struct reach_case two_cases[] = {
	{ "coff", "192.0.2.11", TCP, "eth0", false },
	{ "coff", "2001:db8:a::11", TCP, "eth0", false },
	{ "coff", "198.51.100.20", TCP, "eth1", true },
	{ "coff", "198.51.100.21", TCP, "eth1", true },
	{ "coff", "2001:db8:b::20", TCP, "eth1", true },
	{ "coff", "2001:db8:b::21", TCP, "eth1", true },
	{ "con", "198.51.100.21", TCP, "eth1", true },
	{ "con", "2001:db8:b::21", TCP, "eth1", true },
	{ "coff", "198.51.100.21", UDP, "eth1", true },
	{ "con", "2001:db8:b::21", UDP, "eth1", true },
	{ "coff", "198.51.100.21", PING, "eth1", true },
};

/* ---------------------------------------------------------------- helpers */

static const char *client_ns(const struct bed *b, const char *client)
{
	return !strcmp(client, "con") ? b->con : b->coff;
}

static long srcdrops(const struct bed *b, const char *eni)
{
	long n = vpcbed_srccheck_drops(b->name, eni);

	assert_true(n >= 0);
	return n;
}

static long counter(struct bed *b, const char *dev, const char *reason, const char *action)
{
	long n = clirun_counter(&b->cli, dev, "egress", reason, action);

	assert_true(n >= 0);
	return n;
}

static long redirects(struct bed *b, const char *dev)
{
	return counter(b, dev, "redirect", "redirect");
}

/* One exchange; the server lives only for it, so no retransmission of an earlier case is
 * counted by a later one. 0 when the echo (or the ping reply) came back. */
static int exchange(struct bed *b, const struct reach_case *c)
{
	const char *from = client_ns(b, c->client);
	pid_t server = 0;
	int rc;

	if (c->probe == TCP)
		server = vpcbed_tcp_echo_server(b->inst, c->addr, VPCBED_TCP_PORT);
	else if (c->probe == UDP)
		server = vpcbed_udp_echo_server(b->inst, c->addr, VPCBED_UDP_PORT);
	if (server < 0)
		return (int)server;
	if (c->probe == TCP)
		rc = vpcbed_tcp_echo(from, c->addr, VPCBED_TCP_PORT, TIMEOUT_MS);
	else if (c->probe == UDP)
		rc = vpcbed_udp_echo(from, c->addr, VPCBED_UDP_PORT, TIMEOUT_MS);
	else
		rc = vpcbed_ping(from, c->addr);
	if (server)
		vpcbed_server_stop(server);
	return rc;
}

static const char *probe_name(enum probe p)
{
	return p == TCP ? "tcp" : p == UDP ? "udp" : "ping";
}

/* `vpcbed.sh config NAME` (the native config of the bed's instance) applied with the CLI. */
static void attach_and_apply(struct bed *b)
{
	static char cfg[16384];
	char path[PATH_MAX];

	assert_int_equal(vpcbed_sh(cfg, sizeof(cfg), "%s config %s", vpcbed_script(), b->name), 0);
	assert_int_equal(clirun_write_file(&b->cli, "cfg.json", cfg, path), 0);
	assert_int_equal(clirun(&b->cli, out, sizeof(out), "attach eth0 eth1"), 0);
	assert_int_equal(clirun(&b->cli, out, sizeof(out), "apply %s", path), 0);
}

/* Every case reaches; the redirect counter of eth0 moves exactly for replies eth1 owns; the
 * VPC's source check drops nothing. Reports every failing case before failing. */
static void run_reach_cases(struct bed *b, const struct reach_case *cases, size_t n)
{
	int failed = 0;

	for (size_t i = 0; i < n; i++) {
		const struct reach_case *c = &cases[i];
		long red0 = redirects(b, "eth0"), red1 = redirects(b, "eth1");
		long drop0 = srcdrops(b, "eth0"), drop1 = srcdrops(b, "eth1");
		int rc = exchange(b, c);

		red0 = redirects(b, "eth0") - red0;
		red1 = redirects(b, "eth1") - red1;
		drop0 = srcdrops(b, "eth0") - drop0;
		drop1 = srcdrops(b, "eth1") - drop1;
		print_message("  %-4s -> %-15s %-4s (%s): %s; redirected eth0 +%ld eth1 +%ld; "
			      "VPC src-check drops eth0 +%ld eth1 +%ld\n", c->client, c->addr,
			      probe_name(c->probe), c->owner, rc ? strerror(-rc) : "reached", red0,
			      red1, drop0, drop1);
		if (rc || drop0 || drop1 || red1 || (c->redirected ? red0 < 1 : red0 != 0)) {
			print_error("  ^ want: reached, redirected by eth0 %s, no VPC drops\n",
				    c->redirected ? ">= 1" : "0");
			failed++;
		}
	}
	if (failed)
		fail_msg("%d of %zu cases failed", failed, n);
}

/* ---------------------------------------------------------------- same subnet */

/* Detached, the bed shows the problem: the reply of eth1's address dies at eth0's port. */
static void test_detached_reply_of_eth1_dropped(void **state)
{
	struct bed *b = *state;
	static const struct reach_case c = { "coff", "192.0.2.21", TCP, "eth1", true };
	long before = srcdrops(b, "eth0");

	assert_int_equal(exchange(b, &c), -ETIMEDOUT);
	assert_true(srcdrops(b, "eth0") - before >= 1);
}

static void test_attached_every_address_reaches(void **state)
{
	struct bed *b = *state;

	attach_and_apply(b);
	assert_int_equal(clirun(&b->cli, out, sizeof(out), "-j status"), 0);
	run_reach_cases(b, same_cases, ARRAY_SIZE(same_cases));
	/* The redirected replies leave by eth1 and pass its tc_egress there as its own: as
	 * replies of the tracked inbound connections (issue 3). */
	assert_true(counter(b, "eth1", "ct_reply", "pass") > 0);
}

/* eth1's IPv6 entry of `-j status`: its router, where it came from, its neighbour entry. */
struct router6 {
	char router[64], origin[64], neigh[64];
};

static void eth1_router6(struct bed *b, struct router6 *r)
{
	struct json_object *root, *enis, *subs, *v;

	memset(r, 0, sizeof(*r));
	assert_int_equal(clirun(&b->cli, out, sizeof(out), "-j status"), 0);
	root = json_tokener_parse(out);
	assert_non_null(root);
	assert_true(json_object_object_get_ex(root, "enis", &enis));
	for (size_t i = 0; i < json_object_array_length(enis); i++) {
		struct json_object *eni = json_object_array_get_idx(enis, i);

		if (!json_object_object_get_ex(eni, "ifname", &v) ||
		    strcmp(json_object_get_string(v), "eth1") ||
		    !json_object_object_get_ex(eni, "subnets", &subs))
			continue;
		for (size_t j = 0; j < json_object_array_length(subs); j++) {
			struct json_object *sub = json_object_array_get_idx(subs, j);

			if (!json_object_object_get_ex(sub, "family", &v) ||
			    strcmp(json_object_get_string(v), "ipv6"))
				continue;
			json_object_object_get_ex(sub, "router", &v);
			snprintf(r->router, sizeof(r->router), "%s", json_object_get_string(v));
			json_object_object_get_ex(sub, "router_origin", &v);
			snprintf(r->origin, sizeof(r->origin), "%s", json_object_get_string(v));
			json_object_object_get_ex(sub, "router_neighbour", &v);
			snprintf(r->neigh, sizeof(r->neigh), "%s", json_object_get_string(v));
		}
	}
	json_object_put(root);
}

/* A neighbour state (status's "router_neighbour") with a link-layer address. */
static bool neigh_resolved(const char *state)
{
	static const char *const ok[] = { "reachable", "stale", "delay", "probe", "permanent" };

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(state, ok[i]))
			return true;
	return false;
}

/* `vpcbed.sh config` applied again: the routers are learned afresh. Output in out. */
static void reapply(struct bed *b)
{
	static char cfg[16384];
	char path[PATH_MAX];

	assert_int_equal(vpcbed_sh(cfg, sizeof(cfg), "%s config %s", vpcbed_script(), b->name), 0);
	assert_int_equal(clirun_write_file(&b->cli, "cfg.json", cfg, path), 0);
	assert_int_equal(clirun(&b->cli, out, sizeof(out), "apply %s", path), 0);
}

/* addr is in eth1's neighbour table (flagged router, if router). */
static bool eth1_neighbour(struct bed *b, const char *addr, bool router)
{
	return vpcbed_sh(NULL, 0, "ip -n %s -6 neigh show dev eth1 | grep -q '^%s .*%s'", b->inst,
			 addr, router ? " router" : "") == 0;
}

/*
 * The IPv6 router of eth1, per source of truth, with the traffic that proves it: a TCP reply
 * from eth1's 2001:db8:a::21 to the off-subnet client, which the main table sends out of eth0.
 */
static void test_ipv6_router_learned_link_local(void **state)
{
	static const struct reach_case c = { "coff", "2001:db8:a::21", TCP, "eth1", true };
	struct bed *b = *state;
	struct router6 r;
	long guessed;

	/* eth1's default route (table 10001, proto ra) names the router's link-local address. */
	eth1_router6(b, &r);
	print_message("  route on eth1: router %s (%s)\n", r.router, r.origin);
	assert_string_equal(r.router, "fe80::a:1");
	assert_string_equal(r.origin, "route");
	run_reach_cases(b, &c, 1);
	eth1_router6(b, &r);
	print_message("  its neighbour entry: %s\n", r.neigh);
	assert_true(neigh_resolved(r.neigh));
	/* The redirect resolved the link-local router on eth1; subnet::1 was never asked for. */
	assert_true(eth1_neighbour(b, "fe80::a:1", false));
	assert_false(eth1_neighbour(b, "2001:db8:a::1", false));
	/* An RA marks its sender a router in the neighbour table (the bed sends none: mark it
	 * as the RA would, with the router bridge's MAC). */
	assert_int_equal(vpcbed_sh(NULL, 0, "ip -n %s -6 neigh replace fe80::a:1 lladdr "
				   "$(ip -n %s -br link show br-a | awk '{print $3}') dev eth1 "
				   "router nud stale", b->inst, b->vpc), 0);
	assert_true(eth1_neighbour(b, "fe80::a:1", true));

	/* No route (an RA's lifetime ran out): the neighbour the router's NA flagged router. */
	assert_int_equal(vpcbed_sh(NULL, 0, "ip -n %s -6 route del default dev eth1 table 10001",
				   b->inst), 0);
	reapply(b);
	eth1_router6(b, &r);
	print_message("  neighbour on eth1: router %s (%s)\n", r.router, r.origin);
	assert_string_equal(r.router, "fe80::a:1");
	assert_string_equal(r.origin, "neighbour");
	run_reach_cases(b, &c, 1);

	/* Nothing known: the subnet::1 guess, with a warning; status says so; nothing answers
	 * there, and the redirects that tried are counted as guessed. */
	assert_int_equal(vpcbed_sh(NULL, 0, "ip -n %s -6 neigh flush dev eth1", b->inst), 0);
	reapply(b);
	print_message("  %s", out);
	assert_non_null(strstr(out, "warning: "));
	assert_non_null(strstr(out, "guessing 2001:db8:a::1"));
	eth1_router6(b, &r);
	print_message("  nothing on eth1: router %s (%s)\n", r.router, r.origin);
	assert_string_equal(r.router, "2001:db8:a::1");
	assert_string_equal(r.origin, "guess");
	assert_int_equal(clirun(&b->cli, out, sizeof(out), "status"), 0);
	assert_non_null(strstr(out, "eth1: replies redirected here go to hosts in 2001:db8:a::/64 "
				    "directly, others via 2001:db8:a::1 (origin guess, neighbour "
				    "entry none)"));
	guessed = counter(b, "eth0", "redirect_guess", "redirect");
	assert_int_equal(exchange(b, &c), -ETIMEDOUT);
	assert_true(counter(b, "eth0", "redirect_guess", "redirect") - guessed >= 1);
	/* The redirects were sent; the kernel's solicitations for the guess got no answer. */
	eth1_router6(b, &r);
	print_message("  its neighbour entry: %s\n", r.neigh);
	assert_true(!strcmp(r.neigh, "incomplete") || !strcmp(r.neigh, "failed"));

	/* The route is back (the next RA): learned again, and the reply reaches again. */
	assert_int_equal(vpcbed_sh(NULL, 0, "ip -n %s -6 route add default via fe80::a:1 dev eth1 "
				   "proto ra table 10001", b->inst), 0);
	reapply(b);
	eth1_router6(b, &r);
	assert_string_equal(r.origin, "route");
	run_reach_cases(b, &c, 1);
}

/* Datagrams received until the timeout; the payload of the last in got. */
static int sink_drain(int fd, char *got, size_t len)
{
	int n = 0;
	ssize_t r;

	got[0] = '\0';
	while ((r = recv(fd, got, len - 1, 0)) >= 0) {
		got[r] = '\0';
		n++;
	}
	return n;
}

struct raw_case {
	const char *src, *dst; /* dst: the on-subnet client, reached out of eth0 */
	const char *reason;    /* egress counter on eth0 that moves: spoofed_source or redirect */
	bool delivered;
};

/* `explain --egress eth0` on the raw case's packet says what the real packet then meets: the
 * same reason and action, the source's owner, and for a redirect the ENI it leaves by. */
static void explain_agrees(struct bed *b, const struct raw_case *c)
{
	bool v6 = strchr(c->src, ':') != NULL;
	struct json_object *o, *v;

	assert_int_equal(clirun(&b->cli, out, sizeof(out),
				v6 ? "-j explain --egress eth0 'udp [%s]:%d > [%s]:%d'"
				   : "-j explain --egress eth0 'udp %s:%d > %s:%d'",
				c->src, SINK_PORT, c->dst, SINK_PORT), 0);
	o = json_tokener_parse(out);
	assert_non_null(o);
	assert_true(json_object_object_get_ex(o, "program", &v));
	assert_string_equal(json_object_get_string(v), "tc_egress");
	assert_true(json_object_object_get_ex(o, "reason", &v));
	assert_string_equal(json_object_get_string(v), c->reason);
	assert_true(json_object_object_get_ex(o, "verdict", &v));
	assert_string_equal(json_object_get_string(v), c->delivered ? "redirect" : "drop");
	assert_true(json_object_object_get_ex(o, "owner", &v));
	if (c->delivered) {
		assert_string_equal(json_object_get_string(v), "eth1");
		assert_true(json_object_object_get_ex(o, "redirect_to", &v));
		assert_string_equal(json_object_get_string(v), "eth1");
		assert_true(json_object_object_get_ex(o, "next_hop", &v));
		assert_non_null(strstr(json_object_get_string(v), "the destination itself"));
	} else {
		assert_true(json_object_is_type(v, json_type_null));
	}
	json_object_put(o);
	assert_int_equal(clirun(&b->cli, out, sizeof(out),
				v6 ? "explain --egress eth0 'udp [%s]:%d > [%s]:%d'"
				   : "explain --egress eth0 'udp %s:%d > %s:%d'",
				c->src, SINK_PORT, c->dst, SINK_PORT), 0);
	print_message("%s", out);
}

/* Raw datagrams out of the instance with chosen sources: the main table sends all by eth0. */
static void test_spoofed_source_dropped_on_the_instance(void **state)
{
	static const struct raw_case cases[] = {
		{ "192.0.2.99", "192.0.2.50", "spoofed_source", false },
		{ "203.0.113.77", "192.0.2.50", "spoofed_source", false },
		{ "2001:db8:a::99", "2001:db8:a::50", "spoofed_source", false },
		/* eth1's address is no spoof: it is sent out of eth1 instead. */
		{ "192.0.2.21", "192.0.2.50", "redirect", true },
		{ "2001:db8:a::21", "2001:db8:a::50", "redirect", true },
	};
	struct bed *b = *state;
	char got[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct raw_case *c = &cases[i];
		const char *action = c->delivered ? "redirect" : "drop";
		int fd = vpcbed_udp_sink(b->con, c->dst, SINK_PORT);
		long ours = counter(b, "eth0", c->reason, action);
		long vpc0 = srcdrops(b, "eth0"), vpc1 = srcdrops(b, "eth1");

		assert_true(fd >= 0);
		explain_agrees(b, c);
		assert_int_equal(vpcbed_send_udp_raw(b->inst, c->src, c->dst, SINK_PORT, c->src,
						     strlen(c->src)), 0);
		assert_int_equal(sink_drain(fd, got, sizeof(got)), c->delivered ? 1 : 0);
		close(fd);
		print_message("  from %-15s: %s, eth0 %s/%s +%ld, VPC drops +%ld\n", c->src,
			      c->delivered ? "delivered" : "not delivered", c->reason, action,
			      counter(b, "eth0", c->reason, action) - ours,
			      srcdrops(b, "eth0") - vpc0 + srcdrops(b, "eth1") - vpc1);
		if (c->delivered)
			assert_string_equal(got, c->src);
		assert_int_equal(counter(b, "eth0", c->reason, action) - ours, 1);
		/* Dropped here, counted here: the VPC never saw it. */
		assert_int_equal(srcdrops(b, "eth0") - vpc0, 0);
		assert_int_equal(srcdrops(b, "eth1") - vpc1, 0);
	}
	/* Off eth1's subnet the redirect goes to eth1's router: explain names it and its origin. */
	assert_int_equal(clirun(&b->cli, out, sizeof(out), "explain --egress eth0 "
				"'tcp 192.0.2.21:443 > 203.0.113.5:40000 ack'"), 0);
	print_message("%s", out);
	assert_non_null(strstr(out, "verdict:    redirect"));
	assert_non_null(strstr(out, "redirect:   out of eth1, next hop 192.0.2.1 (router origin: "));
}

/*
 * eth9: an interface of the instance eniaddr-bpf neither manages nor is attached to, a direct
 * link to the on-subnet client with addresses no ENI owns. Its traffic flows while eth0 and eth1
 * are enforced, and nothing of it shows in eniaddr-bpf's counters.
 */
static void test_unmanaged_interface_untouched(void **state)
{
	struct bed *b = *state;
	static const struct {
		const char *addr;
		enum probe probe;
	} probes[] = { { "198.18.0.1", TCP }, { "2001:db8:99::1", TCP }, { "198.18.0.1", UDP },
		       { "198.18.0.1", PING } };

	assert_int_equal(vpcbed_sh(NULL, 0,
				   "ip -n %s link add eth9 type veth peer name eth9 netns %s && "
				   "ip -n %s addr add 198.18.0.1/30 dev eth9 && "
				   "ip -n %s addr add 2001:db8:99::1/64 dev eth9 nodad && "
				   "ip -n %s link set eth9 up && "
				   "ip -n %s addr add 198.18.0.2/30 dev eth9 && "
				   "ip -n %s addr add 2001:db8:99::2/64 dev eth9 nodad && "
				   "ip -n %s link set eth9 up", b->inst, b->con, b->inst, b->inst,
				   b->inst, b->con, b->con, b->con), 0);
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		struct reach_case c = { "con", probes[i].addr, probes[i].probe, "eth9", false };
		int rc = exchange(b, &c);

		print_message("  con -> %s %s over eth9: %s\n", c.addr, probe_name(c.probe),
			      rc ? strerror(-rc) : "reached");
		assert_int_equal(rc, 0);
	}
	/* No filter of ours there, and no counter names it. */
	assert_int_equal(vpcbed_sh(out, sizeof(out), "tc -n %s filter show dev eth9 egress | wc -l",
				   b->inst), 0);
	assert_int_equal(atoi(out), 0);
	assert_int_equal(clirun(&b->cli, out, sizeof(out), "-j stats"), 0);
	assert_null(strstr(out, "\"eth9\""));
	vpcbed_sh(NULL, 0, "ip -n %s link del eth9", b->inst);
}

/*
 * sync from AWS JSON, which has no subnet CIDRs: the subnets come from eth0's and eth1's own
 * prefixes (192.0.2.20/24, 2001:db8:a::20/64), so replies of eth1's secondary addresses to the
 * off-subnet client still leave by eth1 towards the router (base + 1). Without them the kernel's
 * lookup restricted to eth1 finds no route to the client and the redirect fails.
 */
static void test_sync_subnets_from_interfaces(void **state)
{
	static const struct reach_case cases[] = {
		{ "coff", "192.0.2.21", TCP, "eth1", true },
		{ "coff", "2001:db8:a::21", TCP, "eth1", true },
		{ "con", "192.0.2.21", TCP, "eth1", true },
	};
	const char *sgs =
		"{\"SecurityGroups\": [{\"GroupId\": \"sg-0aws\", \"GroupName\": \"web\","
		" \"IpPermissions\": [{\"IpProtocol\": \"tcp\", \"FromPort\": 8080, \"ToPort\": 8080,"
		" \"IpRanges\": [{\"CidrIp\": \"0.0.0.0/0\"}], \"Ipv6Ranges\": [{\"CidrIpv6\": \"::/0\"}],"
		" \"PrefixListIds\": [], \"UserIdGroupPairs\": []}]}]}";
	char mac0[32] = "", mac1[32] = "", ifs[2048], ifs_path[PATH_MAX], sgs_path[PATH_MAX];
	struct bed *b = *state;

	assert_int_equal(vpcbed_sh(mac0, sizeof(mac0), "ip -n %s -br link show eth0 | "
				   "awk '{printf $3}'", b->inst), 0);
	assert_int_equal(vpcbed_sh(mac1, sizeof(mac1), "ip -n %s -br link show eth1 | "
				   "awk '{printf $3}'", b->inst), 0);
	snprintf(ifs, sizeof(ifs),
		 "{\"NetworkInterfaces\": ["
		 " {\"NetworkInterfaceId\": \"eni-0aaa\", \"MacAddress\": \"%s\", \"SubnetId\": \"subnet-a\","
		 "  \"Groups\": [{\"GroupId\": \"sg-0aws\", \"GroupName\": \"web\"}],"
		 "  \"PrivateIpAddresses\": [{\"PrivateIpAddress\": \"192.0.2.10\", \"Primary\": true},"
		 "   {\"PrivateIpAddress\": \"192.0.2.11\", \"Primary\": false}],"
		 "  \"Ipv6Addresses\": [{\"Ipv6Address\": \"2001:db8:a::10\"},"
		 "   {\"Ipv6Address\": \"2001:db8:a::11\"}]},"
		 " {\"NetworkInterfaceId\": \"eni-0bbb\", \"MacAddress\": \"%s\", \"SubnetId\": \"subnet-a\","
		 "  \"Groups\": [{\"GroupId\": \"sg-0aws\", \"GroupName\": \"web\"}],"
		 "  \"PrivateIpAddresses\": [{\"PrivateIpAddress\": \"192.0.2.20\", \"Primary\": true},"
		 "   {\"PrivateIpAddress\": \"192.0.2.21\", \"Primary\": false}],"
		 "  \"Ipv6Addresses\": [{\"Ipv6Address\": \"2001:db8:a::20\"},"
		 "   {\"Ipv6Address\": \"2001:db8:a::21\"}]}]}", mac0, mac1);
	assert_int_equal(clirun_write_file(&b->cli, "ifs.json", ifs, ifs_path), 0);
	assert_int_equal(clirun_write_file(&b->cli, "sgs.json", sgs, sgs_path), 0);
	assert_int_equal(clirun(&b->cli, out, sizeof(out), "-v sync --interfaces %s "
				"--security-groups %s", ifs_path, sgs_path), 0);
	print_message("  %s", out);
	run_reach_cases(b, cases, ARRAY_SIZE(cases));
	/* -v says where each subnet came from. */
	assert_non_null(strstr(out, "subnet 192.0.2.0/24 from eth1's addresses"));
	assert_non_null(strstr(out, "subnet 2001:db8:a::/64 from eth1's addresses"));
}

/* detach --all removes the egress filters and the clsact qdiscs attach made: the problem is
 * back, exactly as before. */
static void test_detach_brings_the_problem_back(void **state)
{
	struct bed *b = *state;
	static const struct reach_case c = { "coff", "192.0.2.21", TCP, "eth1", true };
	static const char *const devs[] = { "eth0", "eth1" };
	long before;

	assert_int_equal(clirun(&b->cli, out, sizeof(out), "detach --all"), 0);
	for (size_t i = 0; i < ARRAY_SIZE(devs); i++) {
		assert_int_equal(vpcbed_sh(out, sizeof(out), "tc -n %s qdisc show dev %s | "
					   "grep -c clsact || true", b->inst, devs[i]), 0);
		assert_int_equal(atoi(out), 0);
		assert_int_equal(vpcbed_sh(out, sizeof(out), "tc -n %s filter show dev %s egress "
					   "2>/dev/null | wc -l", b->inst, devs[i]), 0);
		assert_int_equal(atoi(out), 0);
	}
	before = srcdrops(b, "eth0");
	assert_int_equal(exchange(b, &c), -ETIMEDOUT);
	assert_true(srcdrops(b, "eth0") - before >= 1);
}

/* ---------------------------------------------------------------- two subnets */

static void test_two_subnets_every_address_reaches(void **state)
{
	struct bed *b = *state;
	static const struct reach_case c = { "coff", "198.51.100.21", TCP, "eth1", true };
	long before = srcdrops(b, "eth0");

	assert_int_equal(exchange(b, &c), -ETIMEDOUT);
	assert_true(srcdrops(b, "eth0") - before >= 1);
	attach_and_apply(b);
	run_reach_cases(b, two_cases, ARRAY_SIZE(two_cases));
}

/* ---------------------------------------------------------------- setup */

static int bed_up(struct bed *b, const char *tag)
{
	int rc;

	snprintf(b->name, sizeof(b->name), "er%d%s", (int)getpid(), tag);
	rc = vpcbed_up(b->name, b->variant);
	if (rc) {
		fprintf(stderr, "vpcbed_up(%s, %s): %s\n", b->name, b->variant, strerror(-rc));
		return -1;
	}
	vpcbed_ns(b->inst, b->name, "inst");
	vpcbed_ns(b->con, b->name, "con");
	vpcbed_ns(b->coff, b->name, "coff");
	vpcbed_ns(b->vpc, b->name, "vpc");
	return clirun_init(&b->cli, b->inst) ? -1 : 0;
}

static void bed_down(struct bed *b)
{
	clirun_cleanup(&b->cli);
	vpcbed_servers_stop_all();
	vpcbed_down(b->name);
}

static int same_up(void **state)
{
	return bed_up(&same, "s");
}

static int same_down(void **state)
{
	bed_down(&same);
	return 0;
}

static int two_up(void **state)
{
	return bed_up(&two, "t");
}

static int two_down(void **state)
{
	bed_down(&two);
	return 0;
}

int main(void)
{
	const struct CMUnitTest same_tests[] = {
		cmocka_unit_test_prestate(test_detached_reply_of_eth1_dropped, &same),
		cmocka_unit_test_prestate(test_attached_every_address_reaches, &same),
		cmocka_unit_test_prestate(test_ipv6_router_learned_link_local, &same),
		cmocka_unit_test_prestate(test_spoofed_source_dropped_on_the_instance, &same),
		cmocka_unit_test_prestate(test_unmanaged_interface_untouched, &same),
		cmocka_unit_test_prestate(test_sync_subnets_from_interfaces, &same),
		cmocka_unit_test_prestate(test_detach_brings_the_problem_back, &same),
	};
	const struct CMUnitTest two_tests[] = {
		cmocka_unit_test_prestate(test_two_subnets_every_address_reaches, &two),
	};
	int failed = 0;

	if (geteuid() != 0) {
		fprintf(stderr, "test_e2e_redirect: needs root (network namespaces)\n");
		return 77;
	}
	failed += cmocka_run_group_tests_name("redirect_same_subnet", same_tests, same_up,
					      same_down);
	failed += cmocka_run_group_tests_name("redirect_two_subnets", two_tests, two_up, two_down);
	return failed ? 1 : 0;
}
