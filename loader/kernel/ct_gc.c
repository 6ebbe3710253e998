// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/ct_gc.c — see ct_gc.h. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/ct_gc.h"
#include "kernel/runtime.h"

__u64 ct_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

__u8 ct_key_make(struct eniaddr_ct_key *k, __u32 ifindex, __u8 proto, const __u8 src[16],
		 __be16 sport, const __u8 dst[16], __be16 dport)
{
	int c = memcmp(src, dst, 16); /* bytewise = as big-endian numbers */
	__u8 src_hi = c > 0 || (c == 0 && ntohs(sport) > ntohs(dport));

	memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->proto = proto;
	k->port_lo = src_hi ? dport : sport;
	k->port_hi = src_hi ? sport : dport;
	memcpy(k->addr_lo, src_hi ? dst : src, 16);
	memcpy(k->addr_hi, src_hi ? src : dst, 16);
	return src_hi;
}

void ct_entry_ends(const struct ct_entry *c, const __u8 **init_addr, __be16 *init_port,
		   const __u8 **resp_addr, __be16 *resp_port)
{
	bool hi = c->v.init_hi;

	*init_addr = hi ? c->k.addr_hi : c->k.addr_lo;
	*init_port = hi ? c->k.port_hi : c->k.port_lo;
	*resp_addr = hi ? c->k.addr_lo : c->k.addr_hi;
	*resp_port = hi ? c->k.port_lo : c->k.port_hi;
}

const char *ct_state_name(__u8 state)
{
	static const char *const names[ENIADDR_CT_STATE_COUNT] = {
		[ENIADDR_CT_NEW] = "new",
		[ENIADDR_CT_SYN_RECV] = "syn_recv",
		[ENIADDR_CT_ESTABLISHED] = "established",
		[ENIADDR_CT_STREAM] = "stream",
		[ENIADDR_CT_CLOSING] = "closing",
		[ENIADDR_CT_CLOSED] = "closed",
	};

	return state < ENIADDR_CT_STATE_COUNT ? names[state] : "?";
}

#define BATCH 4096 /* entries per bpf_map_lookup_batch() call */

/* The key at index i of a batch of t's keys, in the common form. */
static void batch_key(const struct ct_table *t, const void *keys, __u32 i,
		      struct eniaddr_ct_key *k)
{
	if (t->v4)
		ct_key_from4((const struct eniaddr_ct4_key *)keys + i, k);
	else
		*k = ((const struct eniaddr_ct_key *)keys)[i];
}

/*
 * Reads table t with bpf_map_lookup_batch(): the kernel walks it bucket by bucket, so entries
 * the programs add or delete meanwhile never make the walk restart or loop (get_next_key would
 * restart from the first key when the current one vanishes). Appends entries of ifindex (0: all)
 * that keep() accepts (NULL: all).
 */
static int walk(const struct ct_table *t, __u32 ifindex,
		bool (*keep)(const struct ct_entry *, __u64), __u64 now, struct ct_entries *out,
		size_t *scanned, struct err *e)
{
	void *keys = calloc(BATCH, sizeof(struct eniaddr_ct_key)); /* room for either form */
	struct eniaddr_ct *vals = calloc(BATCH, sizeof(*vals));
	__u32 batch, count, *in = NULL;
	int err = 0, ret;

	if (!keys || !vals) {
		err = err_set(e, ENOMEM, "out of memory");
		goto out;
	}
	do {
		count = BATCH;
		ret = bpf_map_lookup_batch(t->fd, in, &batch, keys, vals, &count, NULL);
		if (ret && errno != ENOENT) {
			err = err_set(e, errno, "reading %s: %s", t->name, strerror(errno));
			break;
		}
		for (__u32 i = 0; i < count; i++) {
			struct ct_entry c = { .v = vals[i] }, *slot;

			batch_key(t, keys, i, &c.k);

			if (scanned)
				(*scanned)++;
			if ((ifindex && c.k.ifindex != ifindex) || (keep && !keep(&c, now)))
				continue;
			if (!(slot = VEC_PUSH(&out->v))) {
				err = err_set(e, ENOMEM, "out of memory");
				goto out;
			}
			*slot = c;
		}
		in = &batch;
	} while (!ret);
out:
	free(keys);
	free(vals);
	return err;
}

int ct_read(const struct ct_table *t, __u32 ifindex, struct ct_entries *out, struct err *e)
{
	return walk(t, ifindex, NULL, 0, out, NULL, e);
}

int ct_read_all(const struct map_fds *m, __u32 ifindex, struct ct_entries *out, struct err *e)
{
	struct ct_table all[CT_TABLES];
	int err = 0;

	ct_tables_of(m, all);
	for (size_t i = 0; !err && i < CT_TABLES; i++)
		err = ct_read(&all[i], ifindex, out, e);
	return err;
}

static bool is_expired(const struct ct_entry *c, __u64 now)
{
	return eniaddr_ct_expired(&c->v, now);
}

int ct_gc_collect(const struct ct_table *t, __u64 now_ns, struct ct_entries *expired,
		  size_t *scanned, struct err *e)
{
	return walk(t, 0, is_expired, now_ns, expired, scanned, e);
}

int ct_gc_reap(const struct ct_table *t, __u64 now_ns, const struct ct_entries *expired,
	       struct ct_gc_stats *st, struct err *e)
{
	struct eniaddr_ct again;

	for (size_t i = 0; i < expired->v.n; i++) {
		const struct ct_entry *c = &expired->v.v[i];

		st->expired++;
		/* Re-read right before the delete: a packet may have revived the flow (or replaced
		 * the expired entry with a new one) since the walk read it. */
		if (ct_table_lookup(t, &c->k, &again) ||
		    again.last_seen_ns != c->v.last_seen_ns || !eniaddr_ct_expired(&again, now_ns)) {
			st->revived++;
			continue;
		}
		if (!ct_table_delete(t, &c->k))
			st->deleted++;
		else if (errno == ENOENT)
			st->revived++; /* the programs deleted it first */
		else
			return err_set(e, errno, "deleting from %s: %s", t->name, strerror(errno));
	}
	return 0;
}

int ct_gc_sweep(const struct ct_table *t, __u64 now_ns, struct ct_gc_stats *st, struct err *e)
{
	struct ct_entries expired = {};
	int err;

	memset(st, 0, sizeof(*st));
	err = ct_gc_collect(t, now_ns, &expired, &st->scanned, e);
	if (!err)
		err = ct_gc_reap(t, now_ns, &expired, st, e);
	VEC_FREE(&expired.v);
	return err;
}

int ct_gc_sweep_all(const struct map_fds *m, __u64 now_ns, struct ct_gc_stats *st,
		    struct err *e)
{
	struct ct_table all[CT_TABLES];
	struct ct_gc_stats n;
	int err = 0;

	memset(st, 0, sizeof(*st));
	ct_tables_of(m, all);
	for (size_t i = 0; !err && i < CT_TABLES; i++) {
		err = ct_gc_sweep(&all[i], now_ns, &n, e);
		st->scanned += n.scanned;
		st->expired += n.expired;
		st->deleted += n.deleted;
		st->revived += n.revived;
	}
	return err;
}

int ct_flush(const struct ct_table *t, __u32 ifindex, size_t *deleted, struct err *e)
{
	struct ct_entries all = {};
	int err;

	*deleted = 0;
	err = walk(t, ifindex, NULL, 0, &all, NULL, e);
	for (size_t i = 0; !err && i < all.v.n; i++) {
		if (!ct_table_delete(t, &all.v.v[i].k))
			(*deleted)++;
		else if (errno != ENOENT)
			err = err_set(e, errno, "deleting from %s: %s", t->name, strerror(errno));
	}
	VEC_FREE(&all.v);
	return err;
}

int ct_flush_all(const struct map_fds *m, __u32 ifindex, size_t *deleted, struct err *e)
{
	struct ct_table all[CT_TABLES];
	size_t n;
	int err = 0;

	*deleted = 0;
	ct_tables_of(m, all);
	for (size_t i = 0; !err && i < CT_TABLES; i++) {
		err = ct_flush(&all[i], ifindex, &n, e);
		*deleted += n;
	}
	return err;
}
