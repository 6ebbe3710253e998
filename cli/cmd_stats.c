// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli/cmd_stats.c — `stats [DEV]`: the per-CPU counters of eniaddr_stats summed over CPUs, one
 * row per (device, direction, reason, action), sorted, rows that counted nothing left out.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "output.h"
#include "session.h"
#include "vec.h"

#define REASON_NAME_(e, name, kind) [ENIADDR_R_##e] = name,
static const char *const reason_names[ENIADDR_R_COUNT] = { ENIADDR_REASONS(REASON_NAME_) };
#undef REASON_NAME_

static const char *const action_names[] = {
	[ENIADDR_ACT_PASS] = "pass",
	[ENIADDR_ACT_DROP] = "drop",
	[ENIADDR_ACT_AUDIT] = "audit",
	[ENIADDR_ACT_REDIRECT] = "redirect",
};

static const char *const dir_names[] = {
	[ENIADDR_DIR_INGRESS] = "ingress",
	[ENIADDR_DIR_EGRESS] = "egress",
};

#define NAME_OF(table, i) \
	((size_t)(i) < sizeof(table) / sizeof(table[0]) && table[i] ? table[i] : NULL)

struct stat_row {
	struct eniaddr_stat_key k;
	char ifname[IF_NAMESIZE];
	__u64 packets, bytes;
};

struct stat_rows {
	VEC(struct stat_row) v;
};

static int by_row(const void *a, const void *b)
{
	const struct stat_row *x = a, *y = b;
	int c = strcmp(x->ifname, y->ifname);

	if (c)
		return c;
	if (x->k.ifindex != y->k.ifindex)
		return x->k.ifindex < y->k.ifindex ? -1 : 1;
	if (x->k.dir != y->k.dir)
		return x->k.dir < y->k.dir ? -1 : 1;
	if (x->k.reason != y->k.reason)
		return x->k.reason < y->k.reason ? -1 : 1;
	return (x->k.action > y->k.action) - (x->k.action < y->k.action);
}

/* ifindex 0: every device. */
static int stats_read(int fd, __u32 ifindex, struct stat_rows *rows, struct err *e)
{
	struct eniaddr_stat_key k, *prev = NULL;
	struct eniaddr_stat *percpu;
	struct stat_row *r;
	int ncpu, cpu, err = 0;

	ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return err_set(e, ncpu ? -ncpu : EINVAL, "counting possible CPUs failed");
	percpu = calloc((size_t)ncpu, sizeof(*percpu)); /* 16 bytes: already 8-aligned per CPU */
	if (!percpu)
		return err_set(e, ENOMEM, "out of memory");
	while (!bpf_map_get_next_key(fd, prev, &k)) {
		__u64 packets = 0, bytes = 0;

		prev = &k;
		if ((ifindex && k.ifindex != ifindex) || bpf_map_lookup_elem(fd, &k, percpu))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++) {
			packets += percpu[cpu].packets;
			bytes += percpu[cpu].bytes;
		}
		if (!packets && !bytes)
			continue;
		if (!(r = VEC_PUSH(&rows->v))) {
			err = err_set(e, ENOMEM, "out of memory");
			goto out;
		}
		r->k = k;
		r->packets = packets;
		r->bytes = bytes;
		if (!if_indextoname(k.ifindex, r->ifname))
			snprintf(r->ifname, sizeof(r->ifname), "ifindex-%u", k.ifindex);
	}
	if (errno != ENOENT)
		err = err_set(e, errno, "reading %s: %s", ENIADDR_STR(ENIADDR_MAP_STATS),
			      strerror(errno));
	else if (rows->v.n)
		qsort(rows->v.v, rows->v.n, sizeof(rows->v.v[0]), by_row);
out:
	free(percpu);
	return err;
}

static void stats_plain(const struct stat_rows *rows)
{
	char reason[16], action[16];
	size_t i;

	printf("%-15s %-8s %-20s %-8s %14s %16s\n", "IFNAME", "DIR", "REASON", "ACTION",
	       "PACKETS", "BYTES");
	for (i = 0; i < rows->v.n; i++) {
		const struct stat_row *r = &rows->v.v[i];
		const char *rn = NAME_OF(reason_names, r->k.reason);
		const char *an = NAME_OF(action_names, r->k.action);

		snprintf(reason, sizeof(reason), "%u", r->k.reason);
		snprintf(action, sizeof(action), "%u", r->k.action);
		printf("%-15s %-8s %-20s %-8s %14llu %16llu\n", r->ifname,
		       r->k.dir < 2 ? dir_names[r->k.dir] : "?", rn ? rn : reason, an ? an : action,
		       (unsigned long long)r->packets, (unsigned long long)r->bytes);
	}
}

static void stats_json(const struct stat_rows *rows)
{
	struct json_object *list = json_object_new_array();
	size_t i;

	for (i = 0; i < rows->v.n; i++) {
		const struct stat_row *r = &rows->v.v[i];
		struct json_object *o = json_object_new_object();

		jadd_str(o, "ifname", r->ifname);
		jadd_int(o, "ifindex", r->k.ifindex);
		jadd_str(o, "dir", NAME_OF(dir_names, r->k.dir));
		jadd_str(o, "reason", NAME_OF(reason_names, r->k.reason));
		jadd_int(o, "reason_code", r->k.reason);
		jadd_str(o, "action", NAME_OF(action_names, r->k.action));
		jadd_u64(o, "packets", r->packets);
		jadd_u64(o, "bytes", r->bytes);
		json_object_array_add(list, o);
	}
	out_json_print(list);
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
	err = session_open(a, PINS_READ, &s, e);
	if (err)
		return err;
	err = stats_read(s.maps.stats, ifindex, &rows, e);
	session_close(&s);
	if (!err) {
		if (out_json())
			stats_json(&rows);
		else
			stats_plain(&rows);
	}
	VEC_FREE(&rows.v);
	return err;
}
