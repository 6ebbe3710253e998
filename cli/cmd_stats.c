// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli/cmd_stats.c — `stats [--watch SECONDS] [--reset] [--by-address] [DEV]`: the per-CPU
 * counters summed over CPUs (loader/kernel/stats.c), one row per (device, direction, reason,
 * action) that counted something; with --watch again every SECONDS with rates per second; with
 * --by-address the drops per owned address, then those no address row holds (unattributed, of
 * every device); --reset zeroes them all.
 */
#include <errno.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cmds.h"
#include "kernel/stats.h"
#include "output.h"
#include "session.h"

static int by_row(const void *a, const void *b)
{
	const struct stat_row *x = a, *y = b;
	char nx[STATS_IFNAME_LEN], ny[STATS_IFNAME_LEN];
	int c;

	stats_ifname(x->k.ifindex, nx);
	stats_ifname(y->k.ifindex, ny);
	if ((c = strcmp(nx, ny)))
		return c;
	if (x->k.ifindex != y->k.ifindex)
		return x->k.ifindex < y->k.ifindex ? -1 : 1;
	if (x->k.dir != y->k.dir)
		return x->k.dir < y->k.dir ? -1 : 1;
	if (x->k.reason != y->k.reason)
		return x->k.reason < y->k.reason ? -1 : 1;
	return (x->k.action > y->k.action) - (x->k.action < y->k.action);
}

/* The row of prev with the same key, for rates. */
static const struct stat_row *find(const struct stat_rows *prev, const struct eniaddr_stat_key *k)
{
	size_t i;

	for (i = 0; prev && i < prev->v.n; i++)
		if (!memcmp(&prev->v.v[i].k, k, sizeof(*k)))
			return &prev->v.v[i];
	return NULL;
}

/* prev NULL: totals only; else rates over secs since prev. */
static void stats_plain(const struct stat_rows *rows, const struct stat_rows *prev, double secs)
{
	char ifname[STATS_IFNAME_LEN];
	size_t i;

	printf("%-15s %-8s %-20s %-8s %14s %16s", "IFNAME", "DIR", "REASON", "ACTION", "PACKETS",
	       "BYTES");
	printf(prev ? " %12s %14s\n" : "\n", "PKTS/S", "BYTES/S");
	for (i = 0; i < rows->v.n; i++) {
		const struct stat_row *r = &rows->v.v[i], *p = find(prev, &r->k);

		stats_ifname(r->k.ifindex, ifname);
		printf("%-15s %-8s %-20s %-8s %14llu %16llu", ifname, stats_dir_name(r->k.dir),
		       stats_reason_name(r->k.reason), stats_action_name(r->k.action),
		       (unsigned long long)r->packets, (unsigned long long)r->bytes);
		if (prev)
			printf(" %12.1f %14.1f", (double)(r->packets - (p ? p->packets : 0)) / secs,
			       (double)(r->bytes - (p ? p->bytes : 0)) / secs);
		printf("\n");
	}
}

static struct json_object *stats_json(const struct stat_rows *rows, const struct stat_rows *prev,
				      double secs)
{
	struct json_object *list = json_object_new_array();
	char ifname[STATS_IFNAME_LEN];
	size_t i;

	for (i = 0; i < rows->v.n; i++) {
		const struct stat_row *r = &rows->v.v[i], *p = find(prev, &r->k);
		struct json_object *o = json_object_new_object();

		stats_ifname(r->k.ifindex, ifname);
		jadd_str(o, "ifname", ifname);
		jadd_int(o, "ifindex", r->k.ifindex);
		jadd_str(o, "dir", stats_dir_name(r->k.dir));
		jadd_str(o, "reason", stats_reason_name(r->k.reason));
		jadd_int(o, "reason_code", r->k.reason);
		jadd_str(o, "action", stats_action_name(r->k.action));
		jadd_u64(o, "packets", r->packets);
		jadd_u64(o, "bytes", r->bytes);
		if (prev) {
			json_object_object_add(o, "packets_per_sec", json_object_new_double(
				(double)(r->packets - (p ? p->packets : 0)) / secs));
			json_object_object_add(o, "bytes_per_sec", json_object_new_double(
				(double)(r->bytes - (p ? p->bytes : 0)) / secs));
		}
		json_object_array_add(list, o);
	}
	return list;
}

/* The drops at owned addresses no row holds (of every device): the last row, when any. */
static void unattributed_row(const struct eniaddr_stat *u, struct json_object *list)
{
	struct json_object *o;

	if (!list) {
		printf("%-15s %-8s %-39s %14llu %16llu\n", "*", "*", "(unattributed)",
		       (unsigned long long)u->packets, (unsigned long long)u->bytes);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "unattributed", json_object_new_boolean(1));
	jadd_u64(o, "packets", u->packets);
	jadd_u64(o, "bytes", u->bytes);
	json_object_array_add(list, o);
}

static int by_address(const struct map_fds *m, __u32 ifindex, struct err *e)
{
	struct addr_drop_rows rows = {};
	struct json_object *list = out_json() ? json_object_new_array() : NULL;
	char ifname[STATS_IFNAME_LEN], a[INET6_ADDRSTRLEN];
	size_t i;
	int err = stats_read_addrs(m, ifindex, &rows, e);

	if (!err && !list)
		printf("%-15s %-8s %-39s %14s %16s\n", "IFNAME", "DIR", "ADDRESS", "PACKETS",
		       "BYTES");
	for (i = 0; !err && i < rows.v.n; i++) {
		const struct addr_drop_row *r = &rows.v.v[i];
		struct json_object *o;

		stats_ifname(r->k.ifindex, ifname);
		ip_addr_format(r->k.addr, a, sizeof(a));
		if (!list) {
			printf("%-15s %-8s %-39s %14llu %16llu\n", ifname, stats_dir_name(r->k.dir),
			       a, (unsigned long long)r->packets, (unsigned long long)r->bytes);
			continue;
		}
		o = json_object_new_object();
		jadd_str(o, "ifname", ifname);
		jadd_int(o, "ifindex", r->k.ifindex);
		jadd_str(o, "dir", stats_dir_name(r->k.dir));
		jadd_str(o, "address", a);
		jadd_u64(o, "packets", r->packets);
		jadd_u64(o, "bytes", r->bytes);
		json_object_array_add(list, o);
	}
	if (!err && rows.unattributed.packets)
		unattributed_row(&rows.unattributed, list);
	if (list) {
		if (err)
			json_object_put(list);
		else
			out_json_print(list);
	}
	VEC_FREE(&rows.v);
	return err;
}

static int read_sorted(const struct map_fds *m, __u32 ifindex, struct stat_rows *rows,
		       struct err *e)
{
	int err = stats_read(m, ifindex, rows, e);

	if (!err && rows->v.n)
		qsort(rows->v.v, rows->v.n, sizeof(rows->v.v[0]), by_row);
	return err;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Prints every `every` seconds until SIGINT/SIGTERM; rates from the previous print. */
static int watch(const struct map_fds *m, __u32 ifindex, unsigned int every, struct err *e)
{
	struct stat_rows prev = {}, cur = {};
	double t_prev = now_s(), t;
	int err = read_sorted(m, ifindex, &prev, e);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!err && !stop) {
		sleep(every);
		if (stop)
			break;
		t = now_s();
		err = read_sorted(m, ifindex, &cur, e);
		if (err)
			break;
		if (out_json()) {
			out_json_print(stats_json(&cur, &prev, t - t_prev));
		} else {
			printf("\n");
			stats_plain(&cur, &prev, t - t_prev);
			fflush(stdout);
		}
		VEC_FREE(&prev.v);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		t_prev = t;
	}
	VEC_FREE(&prev.v);
	VEC_FREE(&cur.v);
	return err;
}

int cmd_stats(const struct cli_args *a, struct err *e)
{
	struct stat_rows rows = {};
	struct session s;
	__u32 ifindex = 0;
	int err;

	if (a->n_pos) {
		ifindex = if_nametoindex(a->pos[0]);
		if (!ifindex)
			return err_set(e, ENODEV, "no interface named %s", a->pos[0]);
	}
	err = session_open(a, a->reset ? PINS_WRITE : PINS_READ, &s, e);
	if (err)
		return err;
	if (a->reset) {
		err = stats_reset(&s.maps, e);
		if (!err && out_json())
			out_json_print(json_object_new_object());
		else if (!err)
			printf("counters zeroed\n");
	} else if (a->by_address) {
		err = by_address(&s.maps, ifindex, e);
	} else if (a->watch) {
		pins_unlock(&s.pins); /* the fds stay valid; never block a publish while watching */
		err = watch(&s.maps, ifindex, a->watch, e);
	} else {
		err = read_sorted(&s.maps, ifindex, &rows, e);
		if (!err && out_json())
			out_json_print(stats_json(&rows, NULL, 0));
		else if (!err)
			stats_plain(&rows, NULL, 0);
	}
	session_close(&s);
	VEC_FREE(&rows.v);
	return err;
}
