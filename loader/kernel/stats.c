// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/stats.c — see stats.h. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/stats.h"
#include "log.h"

#define REASON_NAME_(e, name, kind) [ENIADDR_R_##e] = #name,
static const char *const reason_names[ENIADDR_R_COUNT] = { ENIADDR_REASONS(REASON_NAME_) };
#undef REASON_NAME_

static const char *const action_names[ENIADDR_ACT_COUNT] = {
	[ENIADDR_ACT_PASS] = "pass",
	[ENIADDR_ACT_DROP] = "drop",
	[ENIADDR_ACT_AUDIT] = "audit",
	[ENIADDR_ACT_REDIRECT] = "redirect",
};

static const char *const dir_names[ENIADDR_DIR_COUNT] = {
	[ENIADDR_DIR_INGRESS] = "ingress",
	[ENIADDR_DIR_EGRESS] = "egress",
};

const char *stats_reason_name(unsigned int r)
{
	return r < ENIADDR_R_COUNT ? reason_names[r] : NULL;
}

const char *stats_action_name(unsigned int a)
{
	return a < ENIADDR_ACT_COUNT ? action_names[a] : NULL;
}

const char *stats_dir_name(unsigned int d)
{
	return d < ENIADDR_DIR_COUNT ? dir_names[d] : NULL;
}

int stats_reason_parse(const char *name)
{
	int r;

	for (r = 0; r < ENIADDR_R_COUNT; r++)
		if (!strcmp(reason_names[r], name))
			return r;
	return -EINVAL;
}

void stats_ifname(__u32 ifindex, char buf[STATS_IFNAME_LEN])
{
	char name[IF_NAMESIZE];

	if (!ifindex)
		snprintf(buf, STATS_IFNAME_LEN, "other");
	else if (if_indextoname(ifindex, name))
		snprintf(buf, STATS_IFNAME_LEN, "%s", name);
	else
		snprintf(buf, STATS_IFNAME_LEN, "ifindex-%u", ifindex);
}

/* The per-CPU values of one entry: ncpu structs, each at an 8-byte multiple (416 bytes). */
struct percpu {
	int ncpu;
	struct eniaddr_stats *v;
};

static int percpu_alloc(struct percpu *pc, struct err *e)
{
	pc->ncpu = libbpf_num_possible_cpus();
	if (pc->ncpu <= 0)
		return err_set(e, pc->ncpu ? -pc->ncpu : EINVAL, "counting possible CPUs failed");
	pc->v = calloc((size_t)pc->ncpu, sizeof(*pc->v));
	return pc->v ? 0 : err_set(e, ENOMEM, "out of memory");
}

static int map_err(const char *map, struct err *e)
{
	return err_set(e, errno, "%s: %s", map, strerror(errno));
}

#define STATS_NAME ENIADDR_STR(ENIADDR_MAP_STATS)

/* Header of every CPU's copy set to (ifindex, dir, action); counts zero. */
static int write_entry(int fd, struct percpu *pc, __u32 dev, __u32 dir, __u32 act,
		       __u32 ifindex, struct err *e)
{
	__u32 idx = ENIADDR_STATS_INDEX(dev, dir, act);
	int cpu;

	memset(pc->v, 0, (size_t)pc->ncpu * sizeof(*pc->v));
	for (cpu = 0; cpu < pc->ncpu; cpu++) {
		pc->v[cpu].ifindex = ifindex;
		pc->v[cpu].dir = dir;
		pc->v[cpu].action = act;
	}
	return bpf_map_update_elem(fd, &idx, pc->v, BPF_ANY) ? map_err(STATS_NAME, e) : 0;
}

static int write_dev(int fd, struct percpu *pc, __u32 dev, __u32 ifindex, struct err *e)
{
	__u32 dir, act;
	int err;

	for (dir = 0; dir < ENIADDR_DIR_COUNT; dir++)
		for (act = 0; act < ENIADDR_ACT_COUNT; act++)
			if ((err = write_entry(fd, pc, dev, dir, act, ifindex, e)))
				return err;
	return 0;
}

int stats_init(const struct map_fds *m, struct err *e)
{
	struct percpu pc;
	__u32 dev;
	int err;

	if ((err = percpu_alloc(&pc, e)))
		return err;
	for (dev = 0; dev < ENIADDR_STATS_DEVS && !err; dev++)
		err = write_dev(m->stats, &pc, dev, 0, e);
	free(pc.v);
	return err;
}

/* The ifindex holding slot dev (its CPU 0 header), 0 for a free slot. */
static int dev_owner(int fd, struct percpu *pc, __u32 dev, __u32 *ifindex, struct err *e)
{
	__u32 idx = ENIADDR_STATS_INDEX(dev, 0, 0);

	if (bpf_map_lookup_elem(fd, &idx, pc->v))
		return map_err(STATS_NAME, e);
	*ifindex = pc->v[0].ifindex;
	return 0;
}

int stats_dev_assign(const struct map_fds *m, __u32 ifindex, struct err *e)
{
	__u32 dev = 0, owner;
	struct percpu pc;
	int err;

	if (!ifindex || ifindex >= ENIADDR_STATS_MAX_IFINDEX) {
		log_info("ifindex %u has no counters of its own: counted with ifindex 0", ifindex);
		return 0;
	}
	if (bpf_map_lookup_elem(m->stats_dev, &ifindex, &dev))
		return map_err(ENIADDR_STR(ENIADDR_MAP_STATS_DEV), e);
	if (dev)
		return (int)dev;
	if ((err = percpu_alloc(&pc, e)))
		return err;
	for (dev = 1; dev < ENIADDR_STATS_DEVS; dev++) {
		if ((err = dev_owner(m->stats, &pc, dev, &owner, e)))
			goto out;
		if (!owner)
			break;
	}
	if (dev == ENIADDR_STATS_DEVS) {
		log_info("all %d counter slots are taken: ifindex %u is counted with ifindex 0",
			 ENIADDR_STATS_DEVS - 1, ifindex);
		err = 0;
		goto out;
	}
	err = write_dev(m->stats, &pc, dev, ifindex, e);
	if (!err && bpf_map_update_elem(m->stats_dev, &ifindex, &dev, BPF_ANY))
		err = map_err(ENIADDR_STR(ENIADDR_MAP_STATS_DEV), e);
	if (!err)
		err = (int)dev;
out:
	free(pc.v);
	return err;
}

int stats_dev_release(const struct map_fds *m, __u32 ifindex, struct err *e)
{
	__u32 dev = 0, zero = 0;
	struct percpu pc;
	int err;

	if (!ifindex || ifindex >= ENIADDR_STATS_MAX_IFINDEX)
		return 0;
	if (bpf_map_lookup_elem(m->stats_dev, &ifindex, &dev))
		return map_err(ENIADDR_STR(ENIADDR_MAP_STATS_DEV), e);
	if (!dev || dev >= ENIADDR_STATS_DEVS)
		return 0;
	if (bpf_map_update_elem(m->stats_dev, &ifindex, &zero, BPF_ANY))
		return map_err(ENIADDR_STR(ENIADDR_MAP_STATS_DEV), e);
	if ((err = percpu_alloc(&pc, e)))
		return err;
	err = write_dev(m->stats, &pc, dev, 0, e);
	free(pc.v);
	return err;
}

/* The slot of ifindex (0: the shared bucket). */
static __u32 dev_of(const struct map_fds *m, __u32 ifindex)
{
	__u32 dev = 0;

	if (ifindex >= ENIADDR_STATS_MAX_IFINDEX || bpf_map_lookup_elem(m->stats_dev, &ifindex, &dev))
		return 0;
	return dev < ENIADDR_STATS_DEVS ? dev : 0;
}

/* Adds entry idx's counters of every reason into rows (those that moved). */
static int read_entry(const struct map_fds *m, struct percpu *pc, __u32 idx, __u32 want_if,
		      struct stat_rows *rows, struct err *e)
{
	__u32 ifindex, dir = (idx / ENIADDR_ACT_COUNT) % ENIADDR_DIR_COUNT;
	__u32 act = idx % ENIADDR_ACT_COUNT;
	unsigned int r;
	int cpu;

	if (bpf_map_lookup_elem(m->stats, &idx, pc->v))
		return map_err(STATS_NAME, e);
	ifindex = pc->v[0].ifindex;
	if (want_if && ifindex != want_if)
		return 0;
	for (r = 0; r < ENIADDR_R_COUNT; r++) {
		__u64 packets = 0, bytes = 0;
		struct stat_row *row;

		for (cpu = 0; cpu < pc->ncpu; cpu++) {
			const struct eniaddr_stat *c = (const void *)&pc->v[cpu].reason;

			packets += c[r].packets;
			bytes += c[r].bytes;
		}
		if (!packets && !bytes)
			continue;
		if (!(row = VEC_PUSH(&rows->v)))
			return err_set(e, ENOMEM, "out of memory");
		row->k = (struct eniaddr_stat_key){ .ifindex = ifindex, .reason = (__u16)r,
						    .dir = (__u8)dir, .action = (__u8)act };
		row->packets = packets;
		row->bytes = bytes;
	}
	return 0;
}

int stats_read(const struct map_fds *m, __u32 ifindex, struct stat_rows *rows, struct err *e)
{
	struct percpu pc;
	__u32 idx;
	int err;

	if ((err = percpu_alloc(&pc, e)))
		return err;
	for (idx = 0; idx < ENIADDR_STATS_ENTRIES && !err; idx++)
		err = read_entry(m, &pc, idx, ifindex, rows, e);
	free(pc.v);
	return err;
}

int stats_get(const struct map_fds *m, const struct eniaddr_stat_key *k, struct eniaddr_stat *out,
	      struct err *e)
{
	__u32 idx = ENIADDR_STATS_INDEX(dev_of(m, k->ifindex), k->dir % ENIADDR_DIR_COUNT,
					k->action % ENIADDR_ACT_COUNT);
	struct percpu pc;
	int cpu, err;

	memset(out, 0, sizeof(*out));
	if (k->reason >= ENIADDR_R_COUNT)
		return err_set(e, EINVAL, "reason %u does not exist", k->reason);
	if ((err = percpu_alloc(&pc, e)))
		return err;
	if (bpf_map_lookup_elem(m->stats, &idx, pc.v))
		err = map_err(STATS_NAME, e);
	for (cpu = 0; !err && cpu < pc.ncpu; cpu++) {
		const struct eniaddr_stat *c = (const void *)&pc.v[cpu].reason;

		out->packets += c[k->reason].packets;
		out->bytes += c[k->reason].bytes;
	}
	free(pc.v);
	return err;
}

static int by_key(const void *a, const void *b)
{
	const struct addr_drop_row *x = a, *y = b;

	return memcmp(&x->k, &y->k, sizeof(x->k));
}

static int by_packets(const void *a, const void *b)
{
	const struct addr_drop_row *x = a, *y = b;

	if (x->packets != y->packets)
		return x->packets < y->packets ? 1 : -1;
	return by_key(a, b);
}

/* The same key's ways (one per CPU that counted it) summed into one row. */
static void merge_same_keys(struct addr_drop_rows *rows)
{
	size_t i, n = 0;

	if (!rows->v.n)
		return;
	qsort(rows->v.v, rows->v.n, sizeof(rows->v.v[0]), by_key);
	for (i = 1; i < rows->v.n; i++) {
		struct addr_drop_row *last = &rows->v.v[n], *r = &rows->v.v[i];

		if (!by_key(last, r)) {
			last->packets += r->packets;
			last->bytes += r->bytes;
		} else {
			rows->v.v[++n] = *r;
		}
	}
	rows->v.n = n + 1;
}

/* Every CPU's copy of one bucket of eniaddr_addr_drops, zeroed (*v NULL on error). */
static int buckets_alloc(struct eniaddr_addr_drop_bucket **v, int *ncpu, struct err *e)
{
	*v = NULL;
	*ncpu = libbpf_num_possible_cpus();
	if (*ncpu <= 0)
		return err_set(e, EINVAL, "counting possible CPUs failed");
	*v = calloc((size_t)*ncpu, sizeof(**v));
	return *v ? 0 : err_set(e, ENOMEM, "out of memory");
}

/* Every CPU's copy of bucket idx: its ways of ifindex (0: all) into rows, its unattributed
 * counts into rows->unattributed. */
static int read_bucket(int fd, __u32 idx, struct eniaddr_addr_drop_bucket *v, int ncpu,
		       __u32 ifindex, struct addr_drop_rows *rows, struct err *e)
{
	int cpu, w;

	if (bpf_map_lookup_elem(fd, &idx, v))
		return map_err(ENIADDR_STR(ENIADDR_MAP_ADDR_DROPS), e);
	for (cpu = 0; cpu < ncpu; cpu++) {
		rows->unattributed.packets += v[cpu].unattributed.packets;
		rows->unattributed.bytes += v[cpu].unattributed.bytes;
		for (w = 0; w < ENIADDR_ADDR_DROP_WAYS; w++) {
			const struct eniaddr_addr_drop *d = &v[cpu].way[w];
			struct addr_drop_row *row;

			if (!d->k.ifindex || (ifindex && d->k.ifindex != ifindex))
				continue;
			if (!(row = VEC_PUSH(&rows->v)))
				return err_set(e, ENOMEM, "out of memory");
			*row = (struct addr_drop_row){ .k = d->k, .packets = d->packets,
						       .bytes = d->bytes };
		}
	}
	return 0;
}

int stats_read_addrs(const struct map_fds *m, __u32 ifindex, struct addr_drop_rows *rows,
		     struct err *e)
{
	struct eniaddr_addr_drop_bucket *v;
	int ncpu, err = buckets_alloc(&v, &ncpu, e);
	__u32 idx;

	for (idx = 0; idx < ENIADDR_ADDR_DROP_BUCKETS && !err; idx++)
		err = read_bucket(m->addr_drops, idx, v, ncpu, ifindex, rows, e);
	free(v);
	if (err)
		return err;
	merge_same_keys(rows);
	if (rows->v.n)
		qsort(rows->v.v, rows->v.n, sizeof(rows->v.v[0]), by_packets);
	return 0;
}

/* Every bucket emptied, on every CPU. */
static int addr_drops_reset(int fd, struct err *e)
{
	struct eniaddr_addr_drop_bucket *zero;
	int ncpu, err = buckets_alloc(&zero, &ncpu, e);
	__u32 idx;

	for (idx = 0; idx < ENIADDR_ADDR_DROP_BUCKETS && !err; idx++)
		if (bpf_map_update_elem(fd, &idx, zero, BPF_ANY))
			err = map_err(ENIADDR_STR(ENIADDR_MAP_ADDR_DROPS), e);
	free(zero);
	return err;
}

int stats_reset(const struct map_fds *m, struct err *e)
{
	struct percpu pc;
	__u32 dev, owner = 0;
	int err;

	if ((err = percpu_alloc(&pc, e)))
		return err;
	for (dev = 0; dev < ENIADDR_STATS_DEVS && !err; dev++) {
		err = dev_owner(m->stats, &pc, dev, &owner, e);
		if (!err)
			err = write_dev(m->stats, &pc, dev, owner, e);
	}
	free(pc.v);
	return err ? err : addr_drops_reset(m->addr_drops, e);
}
