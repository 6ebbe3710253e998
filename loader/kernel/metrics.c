// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/metrics.c — see metrics.h. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "kernel/mapfill.h"
#include "kernel/metrics.h"
#include "kernel/stats.h"
#include "kernel/trace.h"

static void head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counters(FILE *f, const struct stat_rows *rows, int bytes)
{
	const char *name = bytes ? "eniaddr_bytes_total" : "eniaddr_packets_total";
	char ifname[STATS_IFNAME_LEN];
	size_t i;

	head(f, name, "counter", bytes ? "Bytes judged, by interface, direction, reason, action."
				      : "Packets judged, by interface, direction, reason, action.");
	for (i = 0; i < rows->v.n; i++) {
		const struct stat_row *r = &rows->v.v[i];

		stats_ifname(r->k.ifindex, ifname);
		fprintf(f, "%s{interface=\"%s\",direction=\"%s\",reason=\"%s\",action=\"%s\"} %llu\n",
			name, ifname, stats_dir_name(r->k.dir), stats_reason_name(r->k.reason),
			stats_action_name(r->k.action),
			(unsigned long long)(bytes ? r->bytes : r->packets));
	}
}

static void addr_counters(FILE *f, const struct addr_drop_rows *rows, int bytes)
{
	const char *name = bytes ? "eniaddr_address_drop_bytes_total"
				 : "eniaddr_address_drop_packets_total";
	char ifname[STATS_IFNAME_LEN], a[INET6_ADDRSTRLEN];
	size_t i;

	head(f, name, "counter", "Dropped or audited at an owned address (destination in, "
				 "source out).");
	for (i = 0; i < rows->v.n; i++) {
		const struct addr_drop_row *r = &rows->v.v[i];

		stats_ifname(r->k.ifindex, ifname);
		ip_addr_format(r->k.addr, a, sizeof(a));
		fprintf(f, "%s{interface=\"%s\",direction=\"%s\",address=\"%s\"} %llu\n", name,
			ifname, stats_dir_name(r->k.dir), a,
			(unsigned long long)(bytes ? r->bytes : r->packets));
	}
}

/* "confirmed" / "unconfirmed" for the two connection tables, NULL for the others. */
static const char *conntrack_table(const char *map)
{
	if (!strcmp(map, ENIADDR_STR(ENIADDR_MAP_CT)))
		return "confirmed";
	if (!strcmp(map, ENIADDR_STR(ENIADDR_MAP_CT_NEW)))
		return "unconfirmed";
	return NULL;
}

static void fills(FILE *f, const struct map_fill *fl, int n)
{
	int i;

	head(f, "eniaddr_map_entries", "gauge", "Entries in each table that can fill up.");
	for (i = 0; i < n; i++)
		fprintf(f, "eniaddr_map_entries{map=\"%s\"} %llu\n", fl[i].name,
			(unsigned long long)fl[i].entries);
	head(f, "eniaddr_map_capacity", "gauge", "Capacity of each table that can fill up.");
	for (i = 0; i < n; i++)
		fprintf(f, "eniaddr_map_capacity{map=\"%s\"} %u\n", fl[i].name, fl[i].capacity);
	head(f, "eniaddr_conntrack_entries", "gauge",
	     "Tracked connections: confirmed (answered) and unconfirmed.");
	for (i = 0; i < n; i++)
		if (conntrack_table(fl[i].name))
			fprintf(f, "eniaddr_conntrack_entries{table=\"%s\"} %llu\n",
				conntrack_table(fl[i].name), (unsigned long long)fl[i].entries);
	head(f, "eniaddr_conntrack_capacity", "gauge", "Size of each connection table.");
	for (i = 0; i < n; i++)
		if (conntrack_table(fl[i].name))
			fprintf(f, "eniaddr_conntrack_capacity{table=\"%s\"} %u\n",
				conntrack_table(fl[i].name), fl[i].capacity);
}

static void events(FILE *f, const struct trace_counts *t)
{
	head(f, "eniaddr_events_total", "counter", "Drop events written since the last trace "
						   "started.");
	fprintf(f, "eniaddr_events_total %llu\n", (unsigned long long)t->sent);
	head(f, "eniaddr_events_lost_total", "counter",
	     "Drop events not written since the last trace started, by cause.");
	fprintf(f, "eniaddr_events_lost_total{cause=\"rate\"} %llu\n",
		(unsigned long long)t->lost_rate);
	fprintf(f, "eniaddr_events_lost_total{cause=\"ring_full\"} %llu\n",
		(unsigned long long)t->lost_full);
}

static void sync_metrics(FILE *f, const struct metrics_sync *s)
{
	head(f, "eniaddr_sync_total", "counter", "Syncs by the agent, by result.");
	fprintf(f, "eniaddr_sync_total{result=\"ok\"} %llu\n", (unsigned long long)s->ok);
	fprintf(f, "eniaddr_sync_total{result=\"failed\"} %llu\n", (unsigned long long)s->failed);
	head(f, "eniaddr_last_sync_timestamp_seconds", "gauge", "Unix time of the last sync.");
	fprintf(f, "eniaddr_last_sync_timestamp_seconds %.3f\n", s->last_sync_seconds);
	head(f, "eniaddr_last_sync_success", "gauge", "1 when the last sync published.");
	fprintf(f, "eniaddr_last_sync_success %d\n", s->last_ok);
}

int metrics_write(FILE *f, const struct map_fds *m, const struct metrics_sync *sync,
		  struct err *e)
{
	struct stat_rows rows = {};
	struct addr_drop_rows addrs = {};
	struct map_fill fl[MAPFILL_MAX];
	struct trace_counts t;
	struct eniaddr_state st = {};
	__u32 zero = 0;
	int n, err;

	err = stats_read(m, 0, &rows, e);
	if (!err)
		err = stats_read_addrs(m, 0, &addrs, e);
	if (!err)
		err = trace_counts_read(m, &t, e);
	if (!err && bpf_map_lookup_elem(m->state, &zero, &st))
		err = err_set(e, errno, "%s: %s", ENIADDR_STR(ENIADDR_MAP_STATE), strerror(errno));
	n = err ? 0 : mapfill_read(m, fl, e);
	if (!err && n < 0)
		err = n;
	if (!err) {
		counters(f, &rows, 0);
		counters(f, &rows, 1);
		addr_counters(f, &addrs, 0);
		addr_counters(f, &addrs, 1);
		fills(f, fl, n);
		events(f, &t);
		head(f, "eniaddr_generation", "gauge", "Generation of the published configuration.");
		fprintf(f, "eniaddr_generation %llu\n", (unsigned long long)st.generation);
		if (sync)
			sync_metrics(f, sync);
	}
	VEC_FREE(&rows.v);
	VEC_FREE(&addrs.v);
	return err;
}
