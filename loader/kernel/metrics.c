// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/metrics.c — see metrics.h. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "state.h"
#include "kernel/mapfill.h"
#include "kernel/ct_tables.h"
#include "kernel/ctl.h"
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
	name = bytes ? "eniaddr_address_drop_unattributed_bytes_total"
		     : "eniaddr_address_drop_unattributed_packets_total";
	head(f, name, "counter", "Dropped or audited at an owned address that the per-address "
				 "table does not hold (all devices): with the per-address samples, "
				 "every drop at an owned address.");
	fprintf(f, "%s %llu\n", name, (unsigned long long)(bytes ? rows->unattributed.bytes
								 : rows->unattributed.packets));
}

/* The labels of a connection table: table="confirmed"|"unconfirmed",family="ipv4"|"ipv6";
 * false for the other maps. */
static bool conntrack_labels(const char *map, char *buf, size_t len)
{
	bool v4, unconfirmed;

	if (!ct_table_named(map, &v4, &unconfirmed))
		return false;
	snprintf(buf, len, "table=\"%s\",family=\"%s\"",
		 unconfirmed ? "unconfirmed" : "confirmed", v4 ? "ipv4" : "ipv6");
	return true;
}

static void fills(FILE *f, const struct map_fill *fl, int n)
{
	char labels[64];
	int i;

	head(f, "eniaddr_map_entries", "gauge", "Entries in each table that can fill up.");
	for (i = 0; i < n; i++)
		fprintf(f, "eniaddr_map_entries{map=\"%s\"} %llu\n", fl[i].name,
			(unsigned long long)fl[i].entries);
	head(f, "eniaddr_map_capacity", "gauge", "Capacity of each table that can fill up.");
	for (i = 0; i < n; i++)
		fprintf(f, "eniaddr_map_capacity{map=\"%s\"} %u\n", fl[i].name, fl[i].capacity);
	head(f, "eniaddr_conntrack_entries", "gauge",
	     "Tracked connections: confirmed (answered) and unconfirmed, per address family.");
	for (i = 0; i < n; i++)
		if (conntrack_labels(fl[i].name, labels, sizeof(labels)))
			fprintf(f, "eniaddr_conntrack_entries{%s} %llu\n", labels,
				(unsigned long long)fl[i].entries);
	head(f, "eniaddr_conntrack_capacity", "gauge",
	     "Size of each connection table (each address family has its own).");
	for (i = 0; i < n; i++)
		if (conntrack_labels(fl[i].name, labels, sizeof(labels)))
			fprintf(f, "eniaddr_conntrack_capacity{%s} %u\n", labels,
				fl[i].capacity);
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

/* Attached devices the active slot does not configure: they pass everything (or drop their IP
 * traffic with attach --unconfigured drop). Said loudly: an unfiltered ENI looks like a filtered
 * one from outside. */
static int unconfigured(FILE *f, const struct map_fds *m, __u32 slot, struct err *e)
{
	char ifname[STATS_IFNAME_LEN], *lines = NULL;
	struct eniaddr_attach v;
	struct eniaddr_eni eni;
	__u32 k, *prev = NULL;
	unsigned int n = 0;
	size_t len = 0;
	int walk;
	FILE *mem = open_memstream(&lines, &len);

	if (!mem)
		return err_set(e, ENOMEM, "out of memory");
	while (!bpf_map_get_next_key(m->attach, prev, &k)) {
		struct eniaddr_eni_key ek = { .slot = slot, .ifindex = k };

		prev = &k;
		if (bpf_map_lookup_elem(m->attach, &k, &v) || !bpf_map_lookup_elem(m->enis, &ek, &eni))
			continue;
		stats_ifname(k, ifname);
		fprintf(mem, "eniaddr_device_unconfigured{interface=\"%s\",action=\"%s\"} 1\n", ifname,
			v.flags & ENIADDR_ATTACH_F_UNCONFIGURED_DROP ? "drop" : "pass");
		n++;
	}
	walk = errno;
	fclose(mem);
	if (walk != ENOENT) {
		free(lines);
		return err_set(e, walk, "reading %s: %s", ENIADDR_STR(ENIADDR_MAP_ATTACH),
			       strerror(walk));
	}
	head(f, "eniaddr_unconfigured_devices", "gauge", "Attached devices without configuration "
	     "(action pass: unfiltered).");
	fprintf(f, "eniaddr_unconfigured_devices %u\n", n);
	head(f, "eniaddr_device_unconfigured", "gauge", "1 for each attached device without "
	     "configuration; action: what its traffic gets (pass, or drop with --unconfigured drop).");
	fputs(lines ? lines : "", f);
	free(lines);
	return 0;
}

/* Referenced groups with no known member: their rules match nothing. From the agent's list
 * ("sg-a,sg-b") when given, else from the notes the last apply/sync kept (eniaddr_ctl). */
static void groups_without_members(FILE *f, const struct map_fds *m, const char *agent_list)
{
	char ids[ENIADDR_MAX_NOTES + 64][STATE_ID_LEN];
	struct eniaddr_ctl c;
	struct err ignored = {};
	size_t n = 0;

	if (agent_list) {
		const char *p = agent_list;

		while (*p && n < sizeof(ids) / sizeof(ids[0])) {
			size_t l = strcspn(p, ",");

			if (l && l < STATE_ID_LEN) {
				memcpy(ids[n], p, l);
				ids[n++][l] = '\0';
			}
			p += l + (p[l] == ',');
		}
	} else if (!ctl_read(m, &c, &ignored)) {
		for (__u32 i = 0; i < c.n_notes; i++) {
			char line[ENIADDR_NOTE_LEN + 1];

			snprintf(line, sizeof(line), "%.*s", ENIADDR_NOTE_LEN, c.notes[i]);
			if (state_warning_group(line, ids[n], sizeof(ids[n])))
				n++;
		}
	}
	head(f, "eniaddr_groups_without_members", "gauge", "Security groups that rules reference "
	     "but no known ENI is in: those rules match nothing.");
	fprintf(f, "eniaddr_groups_without_members %zu\n", n);
	head(f, "eniaddr_group_without_members", "gauge", "1 for each referenced security group "
	     "without a known member.");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "eniaddr_group_without_members{group=\"%s\"} 1\n", ids[i]);
}

int metrics_write(FILE *f, const struct map_fds *m, const struct metrics_sync *sync,
		  const char *no_members, struct err *e)
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
		err = unconfigured(f, m, st.active_slot, e);
		groups_without_members(f, m, no_members);
		if (sync)
			sync_metrics(f, sync);
	}
	VEC_FREE(&rows.v);
	VEC_FREE(&addrs.v);
	return err;
}
