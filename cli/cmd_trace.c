// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli/cmd_trace.c — `trace [-j] [--reason R]... [--dev DEV] [--rate N]`: switches drop events on
 * (loader/kernel/trace.c), prints each as a flow-log line (or a JSON object per line) until
 * SIGINT/SIGTERM, switches them off, drains the ring, and prints how many were written and lost:
 * events + lost = the drops counted for the filter while it ran.
 *
 * Plain line, fields in VPC Flow Logs' order where they exist:
 *   version interface srcaddr dstaddr srcport dstport protocol packets bytes start end action
 *   then reason direction policy. version is 2; packets 1 (one event per packet); start and end
 *   the packet's unix time; action REJECT (drop) or AUDIT; for ICMP srcport/dstport hold the
 *   type and code; "-" where nothing applies.
 */
#include <arpa/inet.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "cmds.h"
#include "kernel/stats.h"
#include "kernel/trace.h"
#include "output.h"
#include "session.h"

#define TRACE_POLL_MS 100

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct trace_ctx {
	double mono_to_unix; /* add to CLOCK_MONOTONIC seconds to get unix time */
	__u64 printed;
};

static bool has_ports(const struct eniaddr_event *ev)
{
	return ev->pkt.proto == IPPROTO_TCP || ev->pkt.proto == IPPROTO_UDP;
}

static bool is_icmp(const struct eniaddr_event *ev)
{
	return ev->pkt.proto == (ev->pkt.v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
}

static void event_json(const struct eniaddr_event *ev, const char *ifname, const char *src,
		       const char *dst, double t)
{
	struct json_object *o = json_object_new_object();

	jadd_int(o, "version", 2);
	jadd_str(o, "interface", ifname);
	jadd_str(o, "srcaddr", src);
	jadd_str(o, "dstaddr", dst);
	if (has_ports(ev)) {
		jadd_int(o, "srcport", ev->pkt.sport);
		jadd_int(o, "dstport", ev->pkt.port);
	} else if (is_icmp(ev)) {
		jadd_int(o, "icmp_type", ev->pkt.icmp_type);
		jadd_int(o, "icmp_code", ev->pkt.icmp_code);
	}
	jadd_int(o, "protocol", ev->pkt.proto);
	jadd_int(o, "packets", 1);
	jadd_int(o, "bytes", ev->len);
	json_object_object_add(o, "start", json_object_new_double(t));
	json_object_object_add(o, "end", json_object_new_double(t));
	jadd_str(o, "action", ev->action == ENIADDR_ACT_AUDIT ? "AUDIT" : "REJECT");
	jadd_str(o, "reason", stats_reason_name(ev->reason));
	jadd_str(o, "direction", stats_dir_name(ev->dir));
	jadd_int(o, "policy", ev->pkt.policy & ~ENIADDR_POLICY_SLOT_BIT);
	out_json_print(o);
}

static int on_event(void *ctx, void *data, size_t len)
{
	const struct eniaddr_event *ev = data;
	struct trace_ctx *tc = ctx;
	char ifname[STATS_IFNAME_LEN], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	char sport[8] = "-", dport[8] = "-";
	double t;

	if (len < sizeof(*ev))
		return 0;
	tc->printed++;
	stats_ifname(ev->ifindex, ifname);
	ip_addr_format(ev->pkt.saddr, src, sizeof(src));
	ip_addr_format(ev->pkt.daddr, dst, sizeof(dst));
	t = (double)ev->time_ns / 1e9 + tc->mono_to_unix;
	if (out_json()) {
		event_json(ev, ifname, src, dst, t);
		return 0;
	}
	if (has_ports(ev)) {
		snprintf(sport, sizeof(sport), "%u", ev->pkt.sport);
		snprintf(dport, sizeof(dport), "%u", ev->pkt.port);
	} else if (is_icmp(ev)) {
		snprintf(sport, sizeof(sport), "%u", ev->pkt.icmp_type);
		snprintf(dport, sizeof(dport), "%u", ev->pkt.icmp_code);
	}
	printf("2 %s %s %s %s %s %u 1 %u %.0f %.0f %s %s %s %u\n", ifname, src, dst, sport, dport,
	       ev->pkt.proto, ev->len, t, t, ev->action == ENIADDR_ACT_AUDIT ? "AUDIT" : "REJECT",
	       stats_reason_name(ev->reason), stats_dir_name(ev->dir),
	       ev->pkt.policy & ~ENIADDR_POLICY_SLOT_BIT);
	fflush(stdout);
	return 0;
}

static double mono_to_unix(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return (double)(r.tv_sec - m.tv_sec) + (double)(r.tv_nsec - m.tv_nsec) / 1e9;
}

static void summary(const struct trace_counts *c, __u64 printed)
{
	__u64 lost = c->lost_rate + c->lost_full;

	if (out_json()) {
		struct json_object *o = json_object_new_object(), *s = json_object_new_object();

		jadd_u64(s, "events", c->sent);
		jadd_u64(s, "printed", printed);
		jadd_u64(s, "lost", lost);
		jadd_u64(s, "lost_rate", c->lost_rate);
		jadd_u64(s, "lost_ring_full", c->lost_full);
		json_object_object_add(o, "summary", s);
		out_json_print(o);
		return;
	}
	printf("# %llu events, %llu lost (%llu over the rate, %llu ring full)\n",
	       (unsigned long long)c->sent, (unsigned long long)lost,
	       (unsigned long long)c->lost_rate, (unsigned long long)c->lost_full);
}

int cmd_trace(const struct cli_args *a, struct err *e)
{
	struct trace_filter f = { .reasons = a->reasons, .rate = a->rate };
	struct trace_ctx tc = { .mono_to_unix = mono_to_unix() };
	struct ring_buffer *rb = NULL;
	struct trace_counts c;
	struct session s;
	int err, polled;

	if (a->dev && !(f.ifindex = if_nametoindex(a->dev)))
		return err_set(e, ENODEV, "no interface named %s", a->dev);
	err = session_open(a, PINS_READ, &s, e);
	if (err)
		return err;
	pins_unlock(&s.pins); /* streams for long: never block a publish */
	rb = ring_buffer__new(s.maps.events, on_event, &tc, NULL);
	if (!rb) {
		err = err_set(e, errno, "%s: %s", ENIADDR_STR(ENIADDR_MAP_EVENTS), strerror(errno));
		goto out;
	}
	while (ring_buffer__consume(rb) > 0) /* events of an earlier tracer */
		;
	tc.printed = 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	err = trace_start(&s.maps, &f, e);
	if (err)
		goto out;
	while (!stop) {
		polled = ring_buffer__poll(rb, TRACE_POLL_MS);
		if (polled < 0 && polled != -EINTR) {
			err = err_set(e, -polled, "reading events: %s", strerror(-polled));
			break;
		}
	}
	if (trace_stop(&s.maps, e) && !err)
		err = -EIO;
	ring_buffer__consume(rb); /* what was written before the switch went off */
	if (!err && !(err = trace_counts_read(&s.maps, &c, e)))
		summary(&c, tc.printed);
out:
	ring_buffer__free(rb);
	session_close(&s);
	return err;
}
