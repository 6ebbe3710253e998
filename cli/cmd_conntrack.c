// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli/cmd_conntrack.c — `conntrack list [DEV]`, `conntrack flush [DEV]` and
 * `conntrack gc [--every SECONDS]`: the connection-tracking tables (IPv4 and IPv6, confirmed and
 * unconfirmed) through loader/kernel/ct_gc.h, which shows them as one. The table belongs to the programs; these commands take the pin dir lock
 * shared (list, gc) or exclusive (flush), like every command, and gc --every takes it once per
 * sweep, never while it sleeps.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmds.h"
#include "kernel/ct_gc.h"
#include "output.h"
#include "session.h"

#define NS_PER_S 1000000000ll

static const char *proto_name(__u8 proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:    return "tcp";
	case IPPROTO_UDP:    return "udp";
	case IPPROTO_ICMP:   return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static bool is_v4(const __u8 a[16])
{
	static const __u8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, mapped, sizeof(mapped));
}

static void addr_text(const __u8 a[16], char *buf, size_t len)
{
	if (is_v4(a))
		inet_ntop(AF_INET, a + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
}

static bool has_ports(__u8 proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP;
}

static bool is_icmp(__u8 proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* "10.0.0.1:80", "[2001:db8::1]:80", or the bare address for protocols without ports. */
static void endpoint(const __u8 a[16], __be16 port, __u8 proto, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];

	addr_text(a, addr, sizeof(addr));
	if (!has_ports(proto))
		snprintf(buf, len, "%s", addr);
	else if (is_v4(a))
		snprintf(buf, len, "%s:%u", addr, ntohs(port));
	else
		snprintf(buf, len, "[%s]:%u", addr, ntohs(port));
}

static void ifname_of(__u32 ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "ifindex-%u", ifindex);
}

/* Seconds between two monotonic times, rounded down; negative when b is before a. */
static long long secs(__u64 from, __u64 to)
{
	return ((long long)to - (long long)from) / NS_PER_S;
}

static int by_eni_then_age(const void *a, const void *b)
{
	const struct ct_entry *x = a, *y = b;

	if (x->k.ifindex != y->k.ifindex)
		return x->k.ifindex < y->k.ifindex ? -1 : 1;
	return (x->v.created_ns > y->v.created_ns) - (x->v.created_ns < y->v.created_ns);
}

static void list_plain(const struct ct_entries *all, __u32 capacity, __u64 now)
{
	char ifname[IF_NAMESIZE], src[64], dst[64], proto[8], expires[24];

	printf("%-12s %-6s %-41s %-41s %-11s %-7s %8s %10s\n", "IFNAME", "PROTO", "SOURCE",
	       "DESTINATION", "STATE", "ORIGIN", "AGE", "EXPIRES");
	for (size_t i = 0; i < all->v.n; i++) {
		const struct ct_entry *c = &all->v.v[i];
		const __u8 *ia, *ra;
		__be16 ip, rp;

		ct_entry_ends(c, &ia, &ip, &ra, &rp);
		ifname_of(c->k.ifindex, ifname);
		endpoint(ia, ip, c->k.proto, src, sizeof(src));
		endpoint(ra, rp, c->k.proto, dst, sizeof(dst));
		if (now >= c->v.expires_ns)
			snprintf(expires, sizeof(expires), "expired");
		else
			snprintf(expires, sizeof(expires), "%llds", secs(now, c->v.expires_ns));
		if (is_icmp(c->k.proto)) /* the echo identifier is the request's "port" */
			snprintf(src + strlen(src), sizeof(src) - strlen(src), " id %u",
				 ntohs(ip));
		printf("%-12s %-6s %-41s %-41s %-11s %-7s %7llds %10s\n", ifname,
		       proto_name(c->k.proto, proto, sizeof(proto)), src, dst,
		       ct_state_name(c->v.state),
		       c->v.origin == ENIADDR_DIR_EGRESS ? "egress" : "ingress",
		       secs(c->v.created_ns, now), expires);
	}
	printf("%zu entries, capacity %u per family\n", all->v.n, capacity);
}

static struct json_object *entry_json(const struct ct_entry *c, __u64 now)
{
	struct json_object *o = json_object_new_object();
	char ifname[IF_NAMESIZE], addr[INET6_ADDRSTRLEN], proto[8];
	const __u8 *ia, *ra;
	__be16 ip, rp;

	ct_entry_ends(c, &ia, &ip, &ra, &rp);
	ifname_of(c->k.ifindex, ifname);
	jadd_str(o, "ifname", ifname);
	jadd_int(o, "ifindex", c->k.ifindex);
	jadd_str(o, "proto", proto_name(c->k.proto, proto, sizeof(proto)));
	jadd_int(o, "proto_num", c->k.proto);
	addr_text(ia, addr, sizeof(addr)); /* src: the initiator, dst: the responder */
	jadd_str(o, "src", addr);
	addr_text(ra, addr, sizeof(addr));
	jadd_str(o, "dst", addr);
	if (has_ports(c->k.proto)) {
		jadd_int(o, "sport", ntohs(ip));
		jadd_int(o, "dport", ntohs(rp));
	} else if (is_icmp(c->k.proto)) {
		jadd_int(o, "icmp_id", ntohs(ip)); /* the requester's "port" */
	}
	jadd_str(o, "state", ct_state_name(c->v.state));
	jadd_str(o, "origin", c->v.origin == ENIADDR_DIR_EGRESS ? "egress" : "ingress");
	jadd_int(o, "age_s", secs(c->v.created_ns, now));
	jadd_int(o, "idle_s", secs(c->v.last_seen_ns, now));
	jadd_int(o, "expires_in_s", secs(now, c->v.expires_ns));
	jadd_bool(o, "expired", now >= c->v.expires_ns);
	jadd_u64(o, "created_ns", c->v.created_ns);
	return o;
}

static void list_json(const struct ct_entries *all, __u32 capacity, __u64 now)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();

	for (size_t i = 0; i < all->v.n; i++)
		json_object_array_add(list, entry_json(&all->v.v[i], now));
	jadd_int(o, "capacity", capacity);
	jadd_int(o, "count", (long long)all->v.n);
	json_object_object_add(o, "entries", list);
	out_json_print(o);
}

static int capacity_of(int fd, __u32 *capacity, struct err *e)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return err_set(e, errno, "%s: %s", ENIADDR_STR(ENIADDR_MAP_CT), strerror(errno));
	*capacity = info.max_entries;
	return 0;
}

static int dev_ifindex(const struct cli_args *a, __u32 *ifindex, struct err *e)
{
	*ifindex = 0;
	if (a->n_pos < 2)
		return 0;
	*ifindex = if_nametoindex(a->pos[1]);
	return *ifindex ? 0 : err_set(e, ENODEV, "no interface named %s", a->pos[1]);
}

static int ct_list(const struct cli_args *a, struct err *e)
{
	struct ct_entries all = {};
	__u32 ifindex, capacity = 0;
	struct session s;
	__u64 now;
	int err;

	err = dev_ifindex(a, &ifindex, e) ?: session_open(a, PINS_READ, &s, e);
	if (err)
		return err;
	err = capacity_of(s.maps.ct, &capacity, e) ?: ct_read_all(&s.maps, ifindex, &all, e);
	now = ct_now_ns();
	session_close(&s);
	if (!err) {
		if (all.v.n > 1)
			qsort(all.v.v, all.v.n, sizeof(all.v.v[0]), by_eni_then_age);
		if (out_json())
			list_json(&all, capacity, now);
		else
			list_plain(&all, capacity, now);
	}
	VEC_FREE(&all.v);
	return err;
}

static int ct_flush_cmd(const struct cli_args *a, struct err *e)
{
	struct session s;
	__u32 ifindex;
	size_t n = 0;
	int err;

	err = dev_ifindex(a, &ifindex, e) ?: session_open(a, PINS_WRITE, &s, e);
	if (err)
		return err;
	err = ct_flush_all(&s.maps, ifindex, &n, e);
	session_close(&s);
	if (err)
		return err;
	if (out_json()) {
		struct json_object *o = json_object_new_object();

		jadd_u64(o, "flushed", n);
		out_json_print(o);
	} else {
		printf("flushed %zu entries%s%s\n", n, ifindex ? " of " : "",
		       ifindex ? a->pos[1] : "");
	}
	return 0;
}

static int ct_gc_once(const struct cli_args *a, struct err *e)
{
	struct ct_gc_stats st;
	struct session s;
	int err;

	err = session_open(a, PINS_READ, &s, e);
	if (err)
		return err;
	err = ct_gc_sweep_all(&s.maps, ct_now_ns(), &st, e);
	session_close(&s);
	if (err)
		return err;
	if (out_json()) {
		struct json_object *o = json_object_new_object();

		jadd_u64(o, "scanned", st.scanned);
		jadd_u64(o, "expired", st.expired);
		jadd_u64(o, "deleted", st.deleted);
		jadd_u64(o, "revived", st.revived);
		out_json_print(o);
	} else {
		printf("scanned %zu, expired %zu, deleted %zu, kept %zu touched since read\n",
		       st.scanned, st.expired, st.deleted, st.revived);
	}
	fflush(stdout);
	return 0;
}

/* One sweep, or (--every) one per period until interrupted; in JSON mode one document per
 * sweep, one per line. */
static int ct_gc_cmd(const struct cli_args *a, struct err *e)
{
	int err;

	for (;;) {
		err = ct_gc_once(a, e);
		if (err || !a->every)
			return err;
		sleep(a->every);
	}
}

int cmd_conntrack(const struct cli_args *a, struct err *e)
{
	const char *sub = a->pos[0];

	if (!strcmp(sub, "list"))
		return ct_list(a, e);
	if (!strcmp(sub, "flush"))
		return ct_flush_cmd(a, e);
	return ct_gc_cmd(a, e);
}
