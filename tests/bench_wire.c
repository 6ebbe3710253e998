// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/bench_wire.c — the whole path, as `make bench` reports it (tests/bench.sh writes
 * BENCHMARKS.md): real packets over a veth pair between namespaces, each filter beside no
 * filter and beside a program that only passes at the same hook, all in one run.
 *
 * A sender in a second namespace sends WIRE_PACKETS frames into veth w1 and stops by itself;
 * they arrive on w0, where the filter under test runs. Rate = packets counted on w0 / time from
 * the first send until w0's count stops moving; every packet sent must arrive and every filter
 * must pass every packet (its own counters say so). The frames are TCP ACKs of WIRE_FLOWS flows
 * from the peer of the last of 1000 rules, so every filter looks at all its rules; eniaddr-bpf
 * tracks them, confirmed (answered) before the first run as most packets' flows are. Two
 * senders:
 *  - skbs, from an AF_PACKET socket. veth hands XDP an skb, and copies every one that lacks
 *    XDP's 256 bytes of headroom (all of these: skb_pp_cow_data), so on this sender any XDP
 *    program costs the copy; no NIC does that.
 *  - XDP frames: an XDP program (bench_floor.bpf.c xdp_send) run in live-frames mode redirects
 *    them out of w1, and w0 meets them as a NIC driver's frames, without an skb until XDP_PASS.
 *    GRO is on for this sender: veth takes frames only in NAPI mode.
 * Trials go round-robin over (sender, filter), so a busy moment of the machine hits them all.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_floor.skel.h"
#include "bench_world.h"

#define WIRE_PACKETS 300000
#define WIRE_BATCH 64
#define WIRE_FLOWS 256
#define WIRE_TRIALS 3
#define WIRE_RULES 1000
#define WIRE_SPORT0 10000

enum { ENI_A, ENI_B };
static struct bpf_fixture fx;
static struct bench_floor *floors;
static struct netns sender_ns;
static struct pkt wire_frames[WIRE_FLOWS];

enum wire_sender { SEND_SKB, SEND_FRAMES, SEND_N };

static const char *const sender_names[SEND_N] = {
	"skbs (AF_PACKET)", "XDP frames (as from a NIC)",
};

/* Packets w0 received (its link statistics, via getifaddrs). */
static __u64 rx_packets(const char *ifname)
{
	struct ifaddrs *ifa, *i;
	__u64 n = 0;

	if (getifaddrs(&ifa))
		return 0;
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && i->ifa_data &&
		    !strcmp(i->ifa_name, ifname))
			n = ((struct rtnl_link_stats *)i->ifa_data)->rx_packets;
	freeifaddrs(ifa);
	return n;
}

/* No IPv6 on the wire pair: router solicitations and MLD reports would be counted too. */
static void no_ipv6(const char *ifname)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
	f = fopen(path, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
}

static int wire_socket(void)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int one = 1, fd, err;

	err = netns_enter(&sender_ns);
	if (err)
		return err;
	sll.sll_ifindex = (int)if_nametoindex("w1");
	no_ipv6("w1");
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	err = fd < 0 ? -errno : 0;
	if (!err && (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
		     bind(fd, (struct sockaddr *)&sll, sizeof(sll))))
		err = -errno;
	if (netns_enter(&fx.ns) && !err)
		err = -errno;
	if (err && fd >= 0)
		close(fd);
	return err ? err : fd;
}

/* GRO on w0 puts veth's receive side in NAPI mode, which XDP frames need when no XDP program
 * is attached (veth_xdp_xmit drops them otherwise). */
static int gro_set(const char *ifname, bool on)
{
	struct ethtool_value ev = { .cmd = ETHTOOL_SGRO, .data = on };
	struct ifreq ifr = { .ifr_data = (void *)&ev };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		err = -errno;
	close(fd);
	return err;
}

/* Waits until w0's count (before at t0) stops moving for 20 ms: *pps, and whether every packet
 * sent arrived. */
static int wire_settle(__u64 before, double t0, double *pps)
{
	__u64 last = rx_packets("w0"), now_n;
	double t_last = bench_now_ms();

	for (int quiet = 0; quiet < 20; quiet++) {
		usleep(1000);
		now_n = rx_packets("w0");
		if (now_n != last) {
			last = now_n;
			t_last = bench_now_ms();
			quiet = 0;
		}
	}
	*pps = (double)(last - before) / ((t_last - t0) / 1e3);
	if (last - before != WIRE_PACKETS)
		fprintf(stderr, "bench: sent %d packets, w0 counted %llu\n", WIRE_PACKETS,
			(unsigned long long)(last - before));
	return last - before != WIRE_PACKETS ? -EPROTO : 0;
}

/* One bounded run of skbs from the AF_PACKET socket fd, in batches of WIRE_BATCH. */
static int send_skbs(int fd)
{
	static struct mmsghdr msgs[WIRE_BATCH];
	static struct iovec iov[WIRE_BATCH];
	size_t sent = 0;

	while (sent < WIRE_PACKETS) {
		int n, want = WIRE_PACKETS - sent < WIRE_BATCH ? (int)(WIRE_PACKETS - sent) : WIRE_BATCH;

		for (int i = 0; i < want; i++) {
			const struct pkt *p = &wire_frames[(sent + (size_t)i) % WIRE_FLOWS];

			iov[i] = (struct iovec){ (void *)p->data, p->len };
			msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
		}
		n = sendmmsg(fd, msgs, (unsigned int)want, 0);
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN)
			return -errno;
		sent += n > 0 ? (size_t)n : 0;
	}
	return 0;
}

/* One bounded run of XDP frames: xdp_send, in the sender's namespace, redirects WIRE_PACKETS
 * live frames out of w1 (frame n of flow n % WIRE_FLOWS, as wire_frames). */
static int send_frames(void)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = wire_frames[0].data,
		    .data_size_in = wire_frames[0].len, .repeat = WIRE_PACKETS,
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);
	int err = netns_enter(&sender_ns);

	floors->bss->send_ifindex = if_nametoindex("w1");
	floors->bss->send_port0 = WIRE_SPORT0;
	floors->bss->send_flows = WIRE_FLOWS;
	floors->bss->send_sport_off = (__u32)wire_frames[0].off[PKT_L_L4];
	if (!err && bpf_prog_test_run_opts(bpf_program__fd(floors->progs.xdp_send), &o))
		err = -errno;
	if (netns_enter(&fx.ns) && !err)
		err = -errno;
	return err;
}

/* One bounded run from sender s: packets per second seen on w0. */
static int wire_run(enum wire_sender s, int fd, double *pps)
{
	__u64 before = rx_packets("w0");
	double t0 = bench_now_ms();
	int err = s == SEND_SKB ? send_skbs(fd) : send_frames();

	return err ? err : wire_settle(before, t0, pps);
}

/* The same 1000 rules as nftables in a netdev ingress chain on w0: one rule each, or one rule
 * looking (source, port) up in a set. */
static int nft_load(bool set)
{
	char path[64], cmd[128];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "/tmp/eniaddr-bench-%d.nft", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f, "table netdev eniaddr_bench {\n");
	if (set) {
		fprintf(f, "  set rules { type ipv4_addr . inet_service; flags interval; elements = {");
		for (int i = 0; i < WIRE_RULES; i++)
			fprintf(f, "%s 10.%d.%d.0/24 . %d", i ? "," : "", i / 256, i % 256, 1000 + i);
		fprintf(f, " } }\n");
	}
	fprintf(f, "  chain in {\n    type filter hook ingress device \"w0\" priority 0; policy drop;\n");
	if (set)
		fprintf(f, "    ip saddr . tcp dport @rules counter accept\n");
	for (int i = 0; !set && i < WIRE_RULES; i++)
		fprintf(f, "    ip saddr 10.%d.%d.0/24 tcp dport %d counter accept\n", i / 256, i % 256,
			1000 + i);
	fprintf(f, "  }\n}\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "nft -f %s", path);
	rc = system(cmd);
	unlink(path);
	return rc ? -EIO : 0;
}

/* Packets the chain's rules accepted (the sum of their counters). */
static __u64 nft_accepted(void)
{
	FILE *f = popen("nft list table netdev eniaddr_bench", "r");
	char line[256], *at;
	__u64 n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if ((at = strstr(line, "counter packets ")))
			n += strtoull(at + strlen("counter packets "), NULL, 10);
	pclose(f);
	return n;
}

static void nft_unload(void)
{
	if (system("nft delete table netdev eniaddr_bench"))
		fprintf(stderr, "bench: could not delete the nft table\n");
}

static int xdp_on(int prog_fd)
{
	int ifindex = (int)if_nametoindex("w0");

	if (bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL))
		return -errno;
	return 0;
}

/* prog_fd at clsact ingress of w0 (the qdisc is created here and removed by tc_off). */
static int tc_on(int prog_fd)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)if_nametoindex("w0"),
			    .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = prog_fd);
	int err = bpf_tc_hook_create(&hook);

	if (!err)
		err = bpf_tc_attach(&hook, &opts);
	return err;
}

static void tc_off(void)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)if_nametoindex("w0"),
			    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	bpf_tc_hook_destroy(&hook);
}

enum wire_filter { W_NONE, W_FLOOR, W_ENIADDR, W_TC_FLOOR, W_ENIADDR_TC, W_NFT_CHAIN, W_NFT_SET,
		   W_N };

static const char *const wire_names[W_N] = {
	"no filter", "XDP program returning XDP_PASS", "eniaddr-bpf (XDP), 1000 rules, tracked flows",
	"tc program returning TC_ACT_UNSPEC", "eniaddr-bpf (tc), 1000 rules, tracked flows",
	"nftables netdev ingress chain, 1000 rules", "nftables netdev ingress, 1000 rules in one set",
};

/* The floor of filter v's attach point: XDP_PASS for XDP, TC_ACT_UNSPEC for tc, else none. */
static enum wire_filter wire_floor(enum wire_filter v)
{
	if (v == W_ENIADDR || v == W_FLOOR)
		return W_FLOOR;
	if (v == W_ENIADDR_TC || v == W_TC_FLOOR)
		return W_TC_FLOOR;
	return W_NONE;
}

/* Packets eniaddr-bpf passed on w0 since before: every one CT_ESTABLISHED, as the flows are
 * confirmed before the first run; ALLOWED would be a flow started again (it expired). */
struct passed_snap {
	struct fixture_snapshot allowed, ct;
};

static struct passed_snap passed_snapshot(int w0)
{
	struct eniaddr_stat_key k = { .ifindex = (__u32)w0, .reason = ENIADDR_R_ALLOWED,
				      .dir = ENIADDR_DIR_INGRESS, .action = ENIADDR_ACT_PASS };
	struct passed_snap s = { .allowed = fixture_snapshot(&fx, &k) };

	k.reason = ENIADDR_R_CT_ESTABLISHED;
	s.ct = fixture_snapshot(&fx, &k);
	return s;
}

static __u64 passed_since(const struct passed_snap *s)
{
	return fixture_moved(&fx, &s->allowed).packets + fixture_moved(&fx, &s->ct).packets;
}

/* One run of filter v from sender s: install it on w0, run (the best rate so far kept in
 * *best), check that the filter itself passed every packet, remove it. */
static int wire_variant(enum wire_sender s, enum wire_filter v, int fd, int w0, double *best)
{
	struct passed_snap before = passed_snapshot(w0);
	__u64 passed = WIRE_PACKETS;
	double pps = 0;
	int err = 0;

	if (v == W_FLOOR)
		err = xdp_on(bpf_program__fd(floors->progs.xdp_pass_floor));
	else if (v == W_ENIADDR)
		err = xdp_on(bpf_program__fd(fx.skel->progs.xdp_ingress));
	else if (v == W_TC_FLOOR)
		err = tc_on(bpf_program__fd(floors->progs.tc_unspec_floor));
	else if (v == W_ENIADDR_TC)
		err = tc_on(bpf_program__fd(fx.skel->progs.tc_ingress));
	else if (v == W_NFT_CHAIN || v == W_NFT_SET)
		err = nft_load(v == W_NFT_SET);
	if (!err)
		err = wire_run(s, fd, &pps);
	if (v == W_ENIADDR || v == W_ENIADDR_TC)
		passed = passed_since(&before);
	else if (v == W_NFT_CHAIN || v == W_NFT_SET)
		passed = nft_accepted();
	if (!err && passed != WIRE_PACKETS) {
		fprintf(stderr, "bench: %s, %s: passed %llu of %d packets\n", sender_names[s],
			wire_names[v], (unsigned long long)passed, WIRE_PACKETS);
		err = -EPROTO;
	}
	if (v == W_ENIADDR || v == W_FLOOR)
		bpf_xdp_detach(w0, XDP_FLAGS_DRV_MODE, NULL);
	if (v == W_ENIADDR_TC || v == W_TC_FLOOR)
		tc_off();
	if (v == W_NFT_CHAIN || v == W_NFT_SET)
		nft_unload();
	*best = pps > *best ? pps : *best;
	return err;
}

static void print_table(double pps[SEND_N][W_N])
{
	printf("| sender | filter | packets/s | vs no filter | vs a program that only passes, at the same hook | target |\n");
	printf("|---|---|---:|---:|---:|---|\n");
	for (enum wire_sender s = 0; s < SEND_N; s++)
		for (enum wire_filter v = 0; v < W_N; v++) {
			bool ours = v == W_ENIADDR || v == W_ENIADDR_TC;
			double *r = pps[s];
			char floor[16] = "";

			if (wire_floor(v) != W_NONE && v != wire_floor(v))
				snprintf(floor, sizeof(floor), "%.2f", r[v] / r[wire_floor(v)]);
			printf("| %s | %s | %.0f | %.2f | %s | %s |\n", sender_names[s], wire_names[v],
			       r[v], r[v] / r[W_NONE], floor,
			       !ours ? "" : r[v] >= 0.95 * r[W_NONE] ? ">= 0.95 met" :
			       ">= 0.95 **missed**");
		}
}

static int bench_wire(void)
{
	double pps[SEND_N][W_N] = {};
	char peer[32];
	int fd = -1, err, w0;

	err = netns_create(&sender_ns, "benchtx");
	if (!err)
		err = netns_veth_add(&fx.ns, "w0", &sender_ns, "w1");
	w0 = err ? 0 : (int)if_nametoindex("w0");
	no_ipv6("w0");
	if (!err && !w0)
		err = -ENODEV;
	snprintf(peer, sizeof(peer), "10.%d.%d.7", (WIRE_RULES - 1) / 256, (WIRE_RULES - 1) % 256);
	for (int i = 0; i < WIRE_FLOWS && !err; i++)
		err = bench_tcp_frame(&wire_frames[i], peer, "192.0.2.1", WIRE_SPORT0 + i,
				      1000 + WIRE_RULES - 1, BENCH_TCP_ACK);
	if (!err)
		err = bench_publish_world(&fx, w0, fx.ifindex[ENI_B], WIRE_RULES, 10, 0);
	for (int i = 0; i < WIRE_FLOWS && !err; i++) /* the common case: answered flows */
		err = bench_confirm_tcp_flow(&fx, w0, &wire_frames[i], "192.0.2.1",
					     1000 + WIRE_RULES - 1, peer, WIRE_SPORT0 + i);
	if (!err)
		err = fd = wire_socket();
	if (err >= 0)
		err = 0;
	for (int t = 0; t < WIRE_TRIALS && !err; t++)
		for (enum wire_sender s = 0; s < SEND_N && !err; s++) {
			err = gro_set("w0", s == SEND_FRAMES);
			for (enum wire_filter v = 0; v < W_N && !err; v++)
				err = wire_variant(s, v, fd, w0, &pps[s][v]);
		}
	if (fd >= 0)
		close(fd);
	netns_destroy(&sender_ns);
	if (err)
		return err;
	printf("%d packets a run, best of %d runs.\n\n", WIRE_PACKETS, WIRE_TRIALS);
	print_table(pps);
	return 0;
}

int main(void)
{
	static const char *const devs[] = { [ENI_A] = "a0", [ENI_B] = "b0" };
	int err = fixture_setup(&fx, "benchw", devs, 2, 0);

	if (err)
		return 1;
	floors = bench_floor__open_and_load();
	err = floors ? bench_wire() : -errno;
	if (!floors)
		fprintf(stderr, "bench: loading the floor programs: %s\n", strerror(-err));
	else if (err)
		fprintf(stderr, "bench: failed: %s\n", strerror(-err));
	bench_floor__destroy(floors);
	fixture_teardown(&fx);
	return err ? 1 : 0;
}
