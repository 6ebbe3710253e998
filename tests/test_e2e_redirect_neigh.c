// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_e2e_redirect_neigh.c — a redirected reply whose next hop the owning ENI has not
 * resolved yet. On EC2 the VPC answers ARP/ND itself, so an instance's eth1 never learns its
 * peers from their requests: the first reply tc_egress redirects to eth1 finds no neighbour
 * entry there. The bed does the same here: fresh neighbour tables, no warm-up ping, and the
 * on-subnet client's entries for eth1's addresses set the way the VPC's mapping service answers.
 * What a user checks:
 *  - every frame that leaves eth1 carries eth1's source MAC (a packet socket on the VPC's side
 *    of eth1's link sees them all) for an on-subnet IPv4 client;
 *  - the replies arrive, and eth0's addresses stay reachable afterwards (a frame with eth0's
 *    MAC out of eth1 would teach the VPC's bridge eth0's MAC on eth1's port).
 * IPv6 keeps the kernel's behaviour for the first packet that waits for ND (README, "A redirect
 * that waits for its neighbour"; bpf/egress.h redirect_to_owner): not exercised here.
 * Needs root; only namespaces it creates; removed at exit, also on failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "clirun.h"
#include "vpcbed.h"

#define TIMEOUT_MS 2000

static char bed[VPCBED_NAME_MAX];
static char ns_inst[VPCBED_NS_MAX], ns_con[VPCBED_NS_MAX], ns_vpc[VPCBED_NS_MAX];
static struct clirun cli;
static char out[65536];

/* The MAC of dev in ns as "aa:bb:..", into mac (18 bytes). */
static void link_mac(const char *ns, const char *dev, char *mac)
{
	char buf[64];

	assert_int_equal(vpcbed_sh(buf, sizeof(buf), "ip netns exec %s cat /sys/class/net/%s/address",
				   ns, dev), 0);
	assert_true(strlen(buf) >= 17);
	memcpy(mac, buf, 17);
	mac[17] = '\0';
}

static void mac_parse(const char *s, unsigned char m[ETH_ALEN])
{
	assert_int_equal(sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3],
				&m[4], &m[5]), 6);
}

/* A packet socket on the VPC's side of eth1's link: every frame eth1 sends. */
static int open_capture(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	char idx[32];
	int fd;

	assert_int_equal(vpcbed_sh(idx, sizeof(idx), "ip netns exec %s cat "
				   "/sys/class/net/inst-eth1/ifindex", ns_vpc), 0);
	sll.sll_ifindex = atoi(idx);
	assert_true(sll.sll_ifindex > 0);
	fd = netns_socket(ns_vpc, AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
			  htons(ETH_P_ALL));
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

/* Every IP/ARP frame the VPC received from eth1 so far: how many, and how many did not carry
 * want as their source MAC. */
static void drain(int fd, const unsigned char want[ETH_ALEN], int *frames, int *wrong)
{
	unsigned char f[2048];
	struct sockaddr_ll from;
	socklen_t fl = sizeof(from);
	ssize_t n;

	while ((n = recvfrom(fd, f, sizeof(f), 0, (struct sockaddr *)&from, &fl)) >= ETH_HLEN) {
		__u16 proto = (__u16)(f[12] << 8 | f[13]);

		fl = sizeof(from);
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue; /* sent to eth1, not by it */
		if (proto != ETH_P_IP && proto != ETH_P_IPV6 && proto != ETH_P_ARP)
			continue;
		(*frames)++;
		if (memcmp(f + ETH_ALEN, want, ETH_ALEN)) {
			(*wrong)++;
			fprintf(stderr, "frame %04x from eth1 with source %02x:%02x:%02x:%02x:%02x:%02x\n",
				proto, f[6], f[7], f[8], f[9], f[10], f[11]);
		}
	}
}

static int tcp_exchange(const char *addr)
{
	pid_t server = vpcbed_tcp_echo_server(ns_inst, addr, VPCBED_TCP_PORT);
	int rc;

	if (server < 0)
		return (int)server;
	rc = vpcbed_tcp_echo(ns_con, addr, VPCBED_TCP_PORT, TIMEOUT_MS);
	vpcbed_server_stop(server);
	return rc;
}

static void test_first_redirect_to_unresolved_neighbour(void **state)
{
	static const char *const eth1_addrs[] = { "192.0.2.20", "192.0.2.21" };
	static const char *const eth0_addrs[] = { "192.0.2.10", "2001:db8:a::10" };
	char cfg[16384], path[PATH_MAX], eth1[18];
	unsigned char want[ETH_ALEN];
	int fd;
	int frames = 0, wrong = 0;
	size_t i;

	(void)state;
	assert_int_equal(vpcbed_sh(cfg, sizeof(cfg), "%s config %s", vpcbed_script(), bed), 0);
	assert_int_equal(clirun_write_file(&cli, "cfg.json", cfg, path), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "attach eth0 eth1"), 0);
	assert_int_equal(clirun(&cli, out, sizeof(out), "apply %s", path), 0);

	link_mac(ns_inst, "eth1", eth1);
	mac_parse(eth1, want);
	/* Fresh tables, and the client reaches eth1's addresses without asking (the VPC answers). */
	assert_int_equal(vpcbed_sh(NULL, 0, "ip -n %s neigh flush all; ip -n %s neigh flush all",
				   ns_inst, ns_con), 0);
	for (i = 0; i < 2; i++)
		assert_int_equal(vpcbed_sh(NULL, 0, "ip -n %s neigh replace %s lladdr %s dev eth0 "
					   "nud permanent", ns_con, eth1_addrs[i], eth1), 0);
	fd = open_capture();

	for (i = 0; i < 2; i++) {
		if (tcp_exchange(eth1_addrs[i]))
			fail_msg("no reply from %s (eth1), first redirect", eth1_addrs[i]);
	}
	drain(fd, want, &frames, &wrong);
	close(fd);
	assert_true(frames > 0);
	if (wrong)
		fail_msg("%d of %d frames from eth1 carried another source MAC than eth1's %s", wrong,
			 frames, eth1);
	for (i = 0; i < 2; i++)
		if (tcp_exchange(eth0_addrs[i]))
			fail_msg("%s (eth0) unreachable after eth1's first redirected replies",
				 eth0_addrs[i]);
	/* The replies were redirected, not sent by eth1 because of some route. */
	assert_true(clirun_counter(&cli, "eth0", "egress", "redirect", "redirect") > 0);
}

static int setup(void **state)
{
	(void)state;
	if (geteuid())
		return -1;
	snprintf(bed, sizeof(bed), "ern%d", (int)getpid() % 100000);
	if (vpcbed_up(bed, "same-subnet"))
		return -1;
	vpcbed_ns(ns_inst, bed, "inst");
	vpcbed_ns(ns_con, bed, "con");
	vpcbed_ns(ns_vpc, bed, "vpc");
	return clirun_init(&cli, ns_inst) ? -1 : 0;
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
		cmocka_unit_test(test_first_redirect_to_unresolved_neighbour),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
