// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/publish.c — see publish.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "kernel/array_range.h"
#include "kernel/eni_rows.h"
#include "kernel/ledger.h"
#include "kernel/owned_hint.h"
#include "kernel/owner_maps.h"
#include "kernel/publish.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's "no such operation for this map type" */
#endif

#define KEY_MAX 32 /* largest key of a slotted map, with room */
_Static_assert(sizeof(struct eniaddr_eni_key) <= KEY_MAX && sizeof(struct eniaddr_addr_key) <= KEY_MAX &&
	       sizeof(struct eniaddr_addr4_key) <= KEY_MAX &&
	       sizeof(struct eniaddr_pfx4_key) <= KEY_MAX &&
	       sizeof(struct eniaddr_pfx_key) <= KEY_MAX && sizeof(struct eniaddr_src_key) <= KEY_MAX &&
	       sizeof(struct eniaddr_nexthop_key) <= KEY_MAX, "KEY_MAX holds every slotted key");

/* The compiled entries of one map, seen as bytes: key at offset 0, value at val_off. */
struct entries {
	const uint8_t *base;
	size_t n, stride, val_off;
};

#define ENTRIES_OF(vec, type) \
	((struct entries){ (const uint8_t *)(vec).v, (vec).n, sizeof(type), offsetof(type, v) })

#define SLOT_FN(fn, type, expr) \
	unsigned int fn(const void *k) { type key; memcpy(&key, k, sizeof(key)); return expr; }
SLOT_FN(publish_slot_of_eni, struct eniaddr_eni_key, key.slot)
SLOT_FN(publish_slot_of_addr, struct eniaddr_addr_key, key.slot)
SLOT_FN(publish_slot_of_addr4, struct eniaddr_addr4_key, key.slot)
SLOT_FN(publish_slot_of_pfx, struct eniaddr_pfx_key, key.slot)
SLOT_FN(publish_slot_of_pfx4, struct eniaddr_pfx4_key, key.slot)
SLOT_FN(publish_slot_of_src, struct eniaddr_src_key, publish_policy_slot(key.policy))
SLOT_FN(publish_slot_of_nexthop, struct eniaddr_nexthop_key, key.slot)

/* A compiled configuration as the maps hold it: c's ENIs and next hops as they are, only the src
 * entries a program reads (compiled_src_published), the owners split by family (owner_maps.h). */
struct view {
	const struct compiled *c;
	VEC(struct compiled_src) srcs;
	struct owner_split owners;
};

#define ENTRIES_FN(fn, vec, type) \
	static struct entries fn(const struct view *w) { return ENTRIES_OF(vec, type); }
ENTRIES_FN(enis_of, w->c->enis, struct compiled_eni)
ENTRIES_FN(addrs4_of, w->owners.addrs4, struct owner_addr4)
ENTRIES_FN(addrs6_of, w->owners.addrs6, struct compiled_addr)
ENTRIES_FN(pfxs4_of, w->owners.pfxs4, struct owner_pfx4)
ENTRIES_FN(pfxs6_of, w->owners.pfxs6, struct compiled_pfx)
ENTRIES_FN(srcs_of, w->srcs, struct compiled_src)
ENTRIES_FN(nexthops_of, w->c->nexthops, struct compiled_nexthop)

/* The maps a publish writes, in the order it writes them. eniaddr_l4 is not among them: no
 * program reads it (the tables carry the ports). */
static const struct slot_map {
	const char *name;
	const char *size_macro; /* for the "map full" advice */
	size_t fd_off;
	size_t key_size, val_size;
	unsigned int (*slot_of)(const void *key);
	struct entries (*entries)(const struct view *w);
} slot_maps[] = {
	{ ENIADDR_STR(ENIADDR_MAP_ENIS), "ENIADDR_MAX_ENIS", offsetof(struct map_fds, enis),
	  sizeof(struct eniaddr_eni_key), sizeof(struct eniaddr_eni), publish_slot_of_eni,
	  enis_of },
	{ ENIADDR_STR(ENIADDR_MAP_ADDRS4), "ENIADDR_MAX_ADDRS", offsetof(struct map_fds, addrs4),
	  sizeof(struct eniaddr_addr4_key), sizeof(struct eniaddr_owner), publish_slot_of_addr4,
	  addrs4_of },
	{ ENIADDR_STR(ENIADDR_MAP_ADDRS), "ENIADDR_MAX_ADDRS", offsetof(struct map_fds, addrs),
	  sizeof(struct eniaddr_addr_key), sizeof(struct eniaddr_owner), publish_slot_of_addr,
	  addrs6_of },
	{ ENIADDR_STR(ENIADDR_MAP_PFX4), "ENIADDR_MAX_PREFIXES", offsetof(struct map_fds, pfx4),
	  sizeof(struct eniaddr_pfx4_key), sizeof(struct eniaddr_owner), publish_slot_of_pfx4,
	  pfxs4_of },
	{ ENIADDR_STR(ENIADDR_MAP_PFX), "ENIADDR_MAX_PREFIXES", offsetof(struct map_fds, pfx),
	  sizeof(struct eniaddr_pfx_key), sizeof(struct eniaddr_owner), publish_slot_of_pfx,
	  pfxs6_of },
	{ ENIADDR_STR(ENIADDR_MAP_SRC), "ENIADDR_MAX_SRC", offsetof(struct map_fds, src),
	  sizeof(struct eniaddr_src_key), sizeof(struct eniaddr_rule_bits), publish_slot_of_src,
	  srcs_of },
	{ ENIADDR_STR(ENIADDR_MAP_NEXTHOP), "ENIADDR_MAX_NEXTHOPS",
	  offsetof(struct map_fds, nexthop), sizeof(struct eniaddr_nexthop_key),
	  sizeof(struct eniaddr_nexthop), publish_slot_of_nexthop, nexthops_of },
};
#define N_SLOT_MAPS (sizeof(slot_maps) / sizeof(slot_maps[0]))
_Static_assert(N_SLOT_MAPS == PUBLISH_SLOT_MAPS, "publish_shadow holds every slotted map");

static int map_fd(const struct map_fds *m, const struct slot_map *sm)
{
	return *(const int *)((const char *)m + sm->fd_off);
}

static int read_state(const struct map_fds *m, struct eniaddr_state *st, struct err *e)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(m->state, &key, st))
		return err_set(e, errno, "reading %s: %s", ENIADDR_STR(ENIADDR_MAP_STATE),
			       strerror(errno));
	if (st->active_slot > 1)
		return err_set(e, EINVAL, "%s holds active slot %u: not 0 or 1",
			       ENIADDR_STR(ENIADDR_MAP_STATE), st->active_slot);
	return 0;
}

int publish_reset_state(int state_fd, struct err *e)
{
	struct eniaddr_state st = { .active_slot = 1, .generation = 0 };
	__u32 key = 0;

	if (bpf_map_update_elem(state_fd, &key, &st, BPF_ANY))
		return err_set(e, errno, "initialising %s: %s", ENIADDR_STR(ENIADDR_MAP_STATE),
			       strerror(errno));
	return 0;
}

int publish_prepare(const struct map_fds *m, unsigned int *slot, struct err *e)
{
	struct eniaddr_state st;
	int err = read_state(m, &st, e);

	if (err)
		return err;
	*slot = 1 - st.active_slot;
	return 0;
}

/* Entries of one map: those of one slot as records (key, then value), and how many the other
 * slot holds (and, with other, its records too). sorted: by key bytes already. */
struct slot_keys {
	uint8_t *recs;
	size_t n, cap, n_other;
	struct slot_keys *other;
	bool sorted;
};

static size_t rec_size(const struct slot_map *sm)
{
	return sm->key_size + sm->val_size;
}

static int push_rec(struct slot_keys *k, const struct slot_map *sm, const uint8_t *key,
		    const uint8_t *val)
{
	size_t rs = rec_size(sm);
	uint8_t *grown;

	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 256;
		grown = realloc(k->recs, k->cap * rs);
		if (!grown)
			return -ENOMEM;
		k->recs = grown;
	}
	memcpy(k->recs + k->n * rs, key, sm->key_size);
	memcpy(k->recs + k->n++ * rs + sm->key_size, val, sm->val_size);
	return 0;
}

static int keep_key(struct slot_keys *k, const struct slot_map *sm, unsigned int slot,
		    const uint8_t *key, const uint8_t *val)
{
	if (sm->slot_of(key) == slot)
		return push_rec(k, sm, key, val);
	k->n_other++;
	return k->other ? push_rec(k->other, sm, key, val) : 0;
}

#define WALK_CHUNK 4096

/* Every entry of the map in chunks of BPF_MAP_LOOKUP_BATCH (hash maps); -ENOTSUPP for a map
 * without batch operations (an LPM trie). */
static int walk_batched(int fd, const struct slot_map *sm, unsigned int slot, struct slot_keys *k)
{
	uint8_t *keys = malloc(WALK_CHUNK * sm->key_size), *vals = malloc(WALK_CHUNK * sm->val_size);
	_Alignas(8) uint8_t token[KEY_MAX];
	bool first = true, done = false;
	int err = 0;

	if (!keys || !vals)
		err = -ENOMEM;
	while (!err && !done) {
		__u32 count = WALK_CHUNK;

		if (bpf_map_lookup_batch(fd, first ? NULL : token, token, keys, vals, &count,
					 NULL)) {
			if (errno != ENOENT) {
				err = errno == EOPNOTSUPP ? -ENOTSUPP : -errno;
				break;
			}
			done = true;
		}
		first = false;
		for (__u32 i = 0; i < count && !err; i++)
			err = keep_key(k, sm, slot, keys + i * sm->key_size,
				       vals + i * sm->val_size);
	}
	free(keys);
	free(vals);
	return err;
}

/* The same one key at a time: deleting while walking a hash map restarts the walk, so keys are
 * collected first and deleted after. A key gone between the two calls is skipped. */
static int walk_keys(int fd, const struct slot_map *sm, unsigned int slot, struct slot_keys *k)
{
	_Alignas(8) uint8_t cur[KEY_MAX], next[KEY_MAX], val[256];
	void *prev = NULL;
	int err = 0;

	while (!err && !bpf_map_get_next_key(fd, prev, next)) {
		if (!bpf_map_lookup_elem(fd, next, val))
			err = keep_key(k, sm, slot, next, val);
		memcpy(cur, next, sm->key_size);
		prev = cur;
	}
	return err ? err : errno == ENOENT ? 0 : -errno;
}

/* The entries of slot in one map, and the count of the other slot's. */
static int read_slot(int fd, const struct slot_map *sm, unsigned int slot, struct slot_keys *k,
		     struct err *e)
{
	int err = walk_batched(fd, sm, slot, k);

	if (err == -ENOTSUPP) {
		k->n = k->n_other = 0;
		if (k->other)
			k->other->n = 0;
		err = walk_keys(fd, sm, slot, k);
	}
	return err ? err_set(e, -err, "walking %s: %s", sm->name, strerror(-err)) : 0;
}

/* Deletes n keys (each stride bytes apart) from fd: in one BPF_MAP_DELETE_BATCH where the map
 * has one (hash maps), else one by one. */
static int delete_keys(int fd, const struct slot_map *sm, const uint8_t *keys, size_t n,
		       size_t stride, struct err *e)
{
	uint8_t *packed = NULL;
	__u32 count = (__u32)n;
	size_t i;
	int err = 0;

	if (!n)
		return 0;
	packed = malloc(n * sm->key_size);
	if (!packed)
		return err_set(e, ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		memcpy(packed + i * sm->key_size, keys + i * stride, sm->key_size);
	i = !bpf_map_delete_batch(fd, packed, &count, NULL) ? n : 0;
	for (; i < n && !err; i++)
		if (bpf_map_delete_elem(fd, packed + i * sm->key_size) && errno != ENOENT)
			err = err_set(e, errno, "deleting from %s: %s", sm->name, strerror(errno));
	free(packed);
	return err;
}

/* Deletes every entry of slot from one map and counts the entries of the other slot. */
static int clear_slot(const struct map_fds *m, const struct slot_map *sm, unsigned int slot,
		      size_t *n_other, struct err *e)
{
	struct slot_keys k = {};
	int fd = map_fd(m, sm), err;

	err = read_slot(fd, sm, slot, &k, e);
	if (!err && n_other)
		*n_other = k.n_other;
	if (!err)
		err = delete_keys(fd, sm, k.recs, k.n, rec_size(sm), e);
	if (!err && k.n)
		log_debug("%s: cleared %zu entries of slot %u", sm->name, k.n, slot);
	free(k.recs);
	return err;
}

static int clear_all(const struct map_fds *m, unsigned int slot, size_t n_other[], struct err *e)
{
	size_t i;
	int err;

	for (i = 0; i < N_SLOT_MAPS; i++) {
		err = clear_slot(m, &slot_maps[i], slot, n_other ? &n_other[i] : NULL, e);
		if (err)
			return err;
	}
	return 0;
}

/* Every entry must belong to c->slot: one for the active slot would change live state. */
static int check_slots(const struct view *w, struct err *e)
{
	const struct compiled *c = w->c;
	size_t i, j;

	for (i = 0; i < N_SLOT_MAPS; i++) {
		struct entries x = slot_maps[i].entries(w);

		for (j = 0; j < x.n; j++) {
			unsigned int s = slot_maps[i].slot_of(x.base + j * x.stride);

			if (s != c->slot)
				return err_set(e, EINVAL,
					       "compiled state: %s entry %zu is for slot %u, not %u",
					       slot_maps[i].name, j, s, c->slot);
		}
	}
	return 0;
}

static int map_full(const struct slot_map *sm, size_t need, size_t other, __u32 max,
		    struct err *e)
{
	return err_set(e, ENOSPC,
		       "%s is full: the new configuration needs %zu entries, the active one holds "
		       "%zu, the map has room for %u (both slots together); reduce the "
		       "configuration or raise %s and rebuild", sm->name, need, other, max,
		       sm->size_macro);
}

static int check_room(const struct map_fds *m, const struct view *w, const size_t n_other[],
		      __u32 max[], struct err *e)
{
	struct bpf_map_info info;
	__u32 len;
	size_t i;

	for (i = 0; i < N_SLOT_MAPS; i++) {
		size_t need = slot_maps[i].entries(w).n;

		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(map_fd(m, &slot_maps[i]), &info, &len))
			return err_set(e, errno, "%s: %s", slot_maps[i].name, strerror(errno));
		max[i] = info.max_entries;
		if (need + n_other[i] > info.max_entries)
			return map_full(&slot_maps[i], need, n_other[i], info.max_entries, e);
	}
	return 0;
}

/* The error of writing entry j of sm (of x.n), errno as the kernel left it. */
static int write_error(const struct slot_map *sm, size_t j, size_t n, size_t other, __u32 max,
		       struct err *e)
{
	switch (errno) {
	case E2BIG:  /* hash map full */
	case ENOSPC: /* LPM trie full */
	case ENOMEM:
		return map_full(sm, n, other, max, e);
	case EEXIST:
		return err_set(e, EEXIST, "compiled state: %s entry %zu duplicates an earlier key",
			       sm->name, j);
	default:
		return err_set(e, errno, "writing %s entry %zu: %s", sm->name, j, strerror(errno));
	}
}

/* c as the maps hold it (struct view): view_free() it after, also on an error. */
static int published_view(const struct compiled *c, struct view *w, struct err *e)
{
	memset(w, 0, sizeof(*w));
	w->c = c;
	w->srcs.v = malloc((c->srcs.n + 1) * sizeof(*c->srcs.v));
	if (!w->srcs.v || owner_split(c, &w->owners))
		return err_set(e, ENOMEM, "out of memory");
	for (size_t i = 0; i < c->srcs.n; i++)
		if (compiled_src_published(&c->srcs.v[i]))
			w->srcs.v[w->srcs.n++] = c->srcs.v[i];
	return 0;
}

static void view_free(struct view *w)
{
	VEC_FREE(&w->srcs);
	owner_split_free(&w->owners);
}

static int cmp_key(const void *a, const void *b, void *key_size)
{
	return memcmp(a, b, *(size_t *)key_size);
}

/* A batch update cannot refuse a duplicate (BPF_NOEXIST is per element only): sorted copies of
 * the keys must not repeat. Returns the index where a key comes the second time, or n. */
static size_t first_duplicate(const uint8_t *keys, size_t n, size_t key_size)
{
	uint8_t *sorted = malloc(n * key_size + 1);
	size_t j, dup = n;

	if (!sorted)
		return n; /* the kernel's own check below still runs one by one */
	memcpy(sorted, keys, n * key_size);
	qsort_r(sorted, n, key_size, cmp_key, &key_size);
	for (j = 1; j < n && dup == n; j++) {
		const uint8_t *k = sorted + j * key_size;
		size_t seen = 0;

		if (memcmp(k - key_size, k, key_size))
			continue;
		for (dup = 0; dup < n; dup++) /* the repeat: the key's second place in keys */
			if (!memcmp(keys + dup * key_size, k, key_size) && seen++)
				break;
	}
	free(sorted);
	return dup;
}

static int cmp_rec_key(const void *a, const void *b, void *key_size)
{
	return memcmp(a, b, *(size_t *)key_size);
}

/* Whether the keys of x rise strictly byte by byte (the compiler's order is that for the
 * addresses, the big map): then no key repeats and nothing needs sorting. */
static bool keys_ascending(struct entries x, size_t key_size)
{
	for (size_t j = 1; j < x.n; j++)
		if (memcmp(x.base + (j - 1) * x.stride, x.base + j * x.stride, key_size) >= 0)
			return false;
	return true;
}

/* The index in old (sorted by key) of the record with key, or old->n. */
static size_t find_rec(const struct slot_keys *old, size_t rs, size_t key_size,
		       const uint8_t *key)
{
	size_t lo = 0, hi = old->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(old->recs + mid * rs, key, key_size);

		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return old->n;
}

/* n entries (packed keys, packed values) into fd: one BPF_MAP_UPDATE_BATCH where the map has
 * batch operations (hash maps), else one update each (an LPM trie: ENOTSUPP before anything is
 * written). The kernel stops at the first entry it cannot write and says how many it wrote. */
static int write_entries(int fd, const struct slot_map *sm, const uint8_t *keys,
			 const uint8_t *vals, size_t n, size_t need, size_t other, __u32 max,
			 struct err *e)
{
	__u32 count = (__u32)n;
	int err = 0;

	if (!n || !bpf_map_update_batch(fd, keys, vals, &count, NULL))
		return 0;
	if (errno != ENOTSUPP && errno != EOPNOTSUPP)
		return write_error(sm, count < n ? count : 0, need, other, max, e);
	for (size_t j = 0; j < n && !err; j++)
		if (bpf_map_update_elem(fd, keys + j * sm->key_size, vals + j * sm->val_size,
					BPF_ANY))
			err = write_error(sm, j, need, other, max, e);
	return err;
}

/*
 * Makes one map's slot hold exactly x, given what it holds (old): deletes the keys x lacks, then
 * writes the entries that are new or changed. A slot that held the generation before last
 * differs from the next one only by what changed since: a reassignment rewrites a handful of
 * entries, not every one.
 */
static int sync_map(const struct map_fds *m, const struct slot_map *sm, struct entries x,
		    struct slot_keys *old, size_t other, __u32 max, struct err *e)
{
	size_t ks = sm->key_size, vs = sm->val_size, rs = rec_size(sm), j, i, n = 0, at = 0;
	uint8_t *keys = malloc(x.n * ks + 1), *vals = malloc(x.n * vs + 1);
	bool *kept = calloc(old->n + 1, sizeof(*kept)), ascending = keys_ascending(x, ks);
	int fd = map_fd(m, sm), err = 0;

	if (!keys || !vals || !kept) {
		err = err_set(e, ENOMEM, "out of memory");
		goto out;
	}
	for (j = 0; j < x.n && !ascending; j++)
		memcpy(keys + j * ks, x.base + j * x.stride, ks);
	j = ascending ? x.n : first_duplicate(keys, x.n, ks);
	if (j < x.n) {
		err = err_set(e, EEXIST, "compiled state: %s entry %zu duplicates an earlier key",
			      sm->name, j);
		goto out;
	}
	if (!old->sorted && old->n > 1)
		qsort_r(old->recs, old->n, rs, cmp_rec_key, &ks);
	for (j = 0; j < x.n; j++) {
		const uint8_t *ent = x.base + j * x.stride;

		/* both in key order: one walk; else a binary search each */
		while (ascending && at < old->n && memcmp(old->recs + at * rs, ent, ks) < 0)
			at++;
		if (ascending)
			i = at < old->n && !memcmp(old->recs + at * rs, ent, ks) ? at : old->n;
		else
			i = find_rec(old, rs, ks, ent);
		if (i < old->n) {
			kept[i] = true;
			if (!memcmp(old->recs + i * rs + ks, ent + x.val_off, vs))
				continue; /* already there */
		}
		memcpy(keys + n * ks, ent, ks);
		memcpy(vals + n * vs, ent + x.val_off, vs);
		n++;
	}
	/* The records to delete move to the front of old->recs (delete_keys takes strided keys). */
	for (i = j = 0; i < old->n; i++)
		if (!kept[i])
			memmove(old->recs + j++ * rs, old->recs + i * rs, rs);
	err = delete_keys(fd, sm, old->recs, j, rs, e);
	if (!err)
		err = write_entries(fd, sm, keys, vals, n, x.n, other, max, e);
	if (!err && (j || n))
		log_debug("%s: %zu deleted, %zu written, %zu kept", sm->name, j, n, x.n - n);
out:
	free(keys);
	free(vals);
	free(kept);
	return err;
}

static int sync_all(const struct map_fds *m, const struct view *w, struct slot_keys old[],
		    const size_t n_other[], const __u32 max[], struct err *e)
{
	int err = 0;

	for (size_t i = 0; i < N_SLOT_MAPS && !err; i++)
		err = sync_map(m, &slot_maps[i], slot_maps[i].entries(w), &old[i], n_other[i],
			       max[i], e);
	return err;
}

/* What slot holds in every map, and how many entries the other slot holds. */
static int read_all(const struct map_fds *m, unsigned int slot, struct slot_keys old[],
		    size_t n_other[], struct err *e)
{
	int err = 0;

	for (size_t i = 0; i < N_SLOT_MAPS && !err; i++) {
		err = read_slot(map_fd(m, &slot_maps[i]), &slot_maps[i], slot, &old[i], e);
		n_other[i] = old[i].n_other;
	}
	return err;
}

/* ---- the shadow of what this publisher wrote (publish.h) ---- */

static void shadow_forget(struct publish_shadow *sh)
{
	for (int s = 0; s < 2; s++)
		for (size_t i = 0; i < N_SLOT_MAPS; i++) {
			free(sh->maps[s][i].recs);
			sh->maps[s][i].recs = NULL;
			sh->maps[s][i].n = 0;
		}
	sh->known[0] = sh->known[1] = false;
}

void publish_shadow_free(struct publish_shadow *sh)
{
	shadow_forget(sh);
}

/* Whether sh still tells what both slots hold (publish.h says when). */
static bool shadow_trusted(const struct map_fds *m, const struct publish_shadow *sh,
			   const struct eniaddr_state *st)
{
	struct err ignored = {};
	__u64 count;

	if (m->ledger < 0 || !sh->known[0] || !sh->known[1])
		return false;
	if (st->active_slot != sh->left.active_slot || st->generation != sh->left.generation)
		return false;
	return !ledger_read(m->ledger, &count, &ignored) && count == sh->ledger;
}

/* The shadow's records of slot become what the slot holds (old); the other slot's counts. */
static void shadow_as_old(struct publish_shadow *sh, unsigned int slot, struct slot_keys old[],
			  size_t n_other[])
{
	for (size_t i = 0; i < N_SLOT_MAPS; i++) {
		struct publish_shadow_map *sm = &sh->maps[slot][i];

		old[i].recs = sm->recs;
		old[i].n = old[i].cap = sm->n;
		old[i].sorted = true;
		sm->recs = NULL;
		sm->n = 0;
		n_other[i] = sh->maps[1 - slot][i].n;
	}
}

/* Records read back (k, any order) as the shadow of one map of slot. */
static void shadow_take(struct publish_shadow *sh, unsigned int slot, size_t i,
			struct slot_keys *k)
{
	size_t ks = slot_maps[i].key_size;

	if (!k->sorted && k->n > 1)
		qsort_r(k->recs, k->n, rec_size(&slot_maps[i]), cmp_rec_key, &ks);
	free(sh->maps[slot][i].recs);
	sh->maps[slot][i].recs = k->recs;
	sh->maps[slot][i].n = k->n;
	memset(k, 0, sizeof(*k));
}

/* What slot holds after a successful sync: exactly w's entries. -ENOMEM only. */
static int shadow_record(struct publish_shadow *sh, unsigned int slot, const struct view *w)
{
	for (size_t i = 0; i < N_SLOT_MAPS; i++) {
		const struct slot_map *sm = &slot_maps[i];
		struct entries x = sm->entries(w);
		struct slot_keys k = { .n = x.n, .cap = x.n, .sorted = keys_ascending(x, sm->key_size) };
		size_t rs = rec_size(sm);

		k.recs = malloc(x.n * rs + 1);
		if (!k.recs)
			return -ENOMEM;
		for (size_t j = 0; j < x.n; j++) {
			memcpy(k.recs + j * rs, x.base + j * x.stride, sm->key_size);
			memcpy(k.recs + j * rs + sm->key_size, x.base + j * x.stride + x.val_off,
			       sm->val_size);
		}
		shadow_take(sh, slot, i, &k);
	}
	return 0;
}

/*
 * Step 1 of a publish: what the inactive slot holds (old) and how many entries the active one
 * holds, from the shadow when it is trusted, else read back from the maps (the shadow learning
 * both slots on the way). The shadow knows nothing until the publish succeeds.
 */
static int inactive_slot(const struct map_fds *m, struct publish_shadow *sh,
			 const struct eniaddr_state *st, unsigned int slot, struct slot_keys old[],
			 struct slot_keys others[], size_t n_other[], bool *read_back,
			 struct err *e)
{
	*read_back = !sh || !shadow_trusted(m, sh, st);
	if (!*read_back) {
		shadow_as_old(sh, slot, old, n_other);
		sh->known[0] = sh->known[1] = false;
		sh->trusted++;
		return 0;
	}
	if (sh) {
		shadow_forget(sh);
		for (size_t i = 0; i < N_SLOT_MAPS; i++)
			old[i].other = &others[i];
		sh->read_back++;
	}
	return read_all(m, slot, old, n_other, e);
}

/* After the switch: the shadow knows both slots again (the old one as it was, carried over or
 * read back in step 1; the new one as written), as of the state and ledger count left. */
static void shadow_published(struct publish_shadow *sh, const struct view *w,
			     struct slot_keys others[], bool read_back, __u64 generation,
			     __u64 ledger)
{
	unsigned int slot = w->c->slot;

	for (size_t i = 0; i < N_SLOT_MAPS && read_back; i++)
		shadow_take(sh, 1 - slot, i, &others[i]);
	if (shadow_record(sh, slot, w)) {
		shadow_forget(sh);
		return;
	}
	sh->left.active_slot = slot;
	sh->left.generation = generation;
	sh->ledger = ledger;
	sh->known[0] = sh->known[1] = true;
}

/*
 * The rule tables into the inactive slot's half of each array. Nothing to clear: the old
 * contents of that half are unreachable once the policies of this slot name the new roots, and
 * the compiler never names an index beyond what it wrote.
 */
int publish_tables(const struct map_fds *m, const struct compiled *c, struct err *e)
{
	int err = array_range_write(m->policies, ENIADDR_STR(ENIADDR_MAP_POLICIES),
			      c->slot * ENIADDR_MAX_POLICIES, c->pol_tbl.v, c->pol_tbl.n, e);

	if (!err)
		err = array_range_write(m->trie, ENIADDR_STR(ENIADDR_MAP_TRIE),
				  c->slot * (ENIADDR_MAX_TRIE_NODES / 2), c->nodes.v, c->nodes.n, e);
	if (!err)
		err = array_range_write(m->bits, ENIADDR_STR(ENIADDR_MAP_BITS),
				  c->slot * (ENIADDR_MAX_BITS / 2), c->bits.v, c->bits.n, e);
	return err;
}

/*
 * The grace period: an RCU grace period the kernel itself waits for. A program run reads
 * active_slot once and does all its lookups in that slot within the same run, inside an RCU
 * read-side section (XDP and tc run with rcu_read_lock / BH disabled). Updating an element of a
 * map-in-map from user space makes the bpf() syscall wait in synchronize_rcu() before it returns
 * (kernel/bpf/syscall.c, maybe_wait_bpf_programs(), for BPF_MAP_TYPE_ARRAY_OF_MAPS and
 * HASH_OF_MAPS, after a successful update; the selftests' kern_sync_rcu() relies on the same):
 * when it returns, every program run that started before it has finished, however long it was
 * preempted. The pair of maps is private to this call; no program ever reads it.
 */
int publish_wait_grace(__u64 *waited_ns, struct err *e)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	int inner, outer = -1, err = 0;
	struct timespec t0, t1;
	__u32 key = 0;

	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "eniaddr_rcu_in", 4, 4, 1, NULL);
	if (inner < 0)
		return err_set(e, errno, "grace period: creating an array map: %s",
			       strerror(errno));
	opts.inner_map_fd = inner;
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "eniaddr_rcu", 4, 4, 1, &opts);
	if (outer < 0) {
		err = err_set(e, errno, "grace period: creating an array of maps: %s",
			      strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (bpf_map_update_elem(outer, &key, &inner, BPF_ANY)) {
		err = err_set(e, errno, "grace period: updating the array of maps: %s",
			      strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (waited_ns)
		*waited_ns = (__u64)(t1.tv_sec - t0.tv_sec) * 1000000000ull +
			     (__u64)t1.tv_nsec - (__u64)t0.tv_nsec;
out:
	if (outer >= 0)
		close(outer);
	close(inner);
	return err;
}

static int write_state(const struct map_fds *m, const struct eniaddr_state *st, struct err *e)
{
	__u32 key = 0;

	if (bpf_map_update_elem(m->state, &key, st, BPF_EXIST))
		return err_set(e, errno, "switching %s to slot %u: %s",
			       ENIADDR_STR(ENIADDR_MAP_STATE), st->active_slot, strerror(errno));
	return 0;
}

/*
 * The one write that makes slot live as generation, with slot's prefix lengths (lens) beside the
 * other slot's as they are. The lengths go first, in a write of their own that leaves the active
 * slot alone, with the slot's uncovered flags derived from them (the families whose prefixes
 * eniaddr_any_hint cannot list): so the write that switches changes the slot number only, and a
 * reader that sees the new number cannot see the old lengths or flags of that slot.
 */
static int flip(const struct map_fds *m, const struct eniaddr_state *cur, unsigned int slot,
		const __u8 lens[2][ENIADDR_PFX_LENS], struct err *e)
{
	struct eniaddr_state next = *cur;
	int err;

	memcpy(next.pfx_lens[slot], lens, sizeof(next.pfx_lens[slot]));
	next.uncovered[slot] = eniaddr_pfx_uncovered(next.pfx_lens[slot]);
	err = !memcmp(&next, cur, sizeof(next)) ? 0 : write_state(m, &next, e);
	next.active_slot = slot;
	next.generation = cur->generation + 1;
	return err ? err : write_state(m, &next, e);
}

int publish_commit_with(const struct map_fds *m, const struct compiled *c,
			const struct publish_opts *o, struct publish_result *r, struct err *e)
{
	struct slot_keys old[N_SLOT_MAPS] = {}, others[N_SLOT_MAPS] = {};
	struct publish_shadow *sh = o ? o->shadow : NULL;
	size_t n_other[N_SLOT_MAPS] = {};
	__u32 max[N_SLOT_MAPS] = {};
	struct view w = {};
	struct eniaddr_state st;
	__u8 lens[2][ENIADDR_PFX_LENS];
	struct err ignored = {};
	__u64 waited = 0, ledger = 0;
	bool read_back = true;
	int err;

	memset(r, 0, sizeof(*r));
	err = read_state(m, &st, e);
	if (err)
		return err;
	if (c->slot > 1)
		return err_set(e, EINVAL, "compiled state is for slot %u: slots are 0 and 1",
			       c->slot);
	if (c->slot == st.active_slot)
		return err_set(e, EINVAL,
			       "compiled state is for slot %u, which is active: compile for the "
			       "slot publish_prepare() returns (%u)", c->slot, 1 - st.active_slot);
	err = published_view(c, &w, e);
	if (!err)
		err = check_slots(&w, e);
	if (!err && compiled_pfx_lens(c, lens))
		err = err_set(e, E2BIG, "%s: slot %u: more than %d prefix lengths of a family",
			      ENIADDR_STR(ENIADDR_MAP_PFX), c->slot, ENIADDR_PFX_LENS);
	if (err) {
		view_free(&w);
		return err;
	}

	/* 1. What the inactive slot holds: the generation before last, leftovers of a crashed
	 * publish, or nothing; counts the active slot's entries on the way. Any publisher's
	 * shadow must know first that the slots may change from here on. */
	err = inactive_slot(m, sh, &st, c->slot, old, others, n_other, &read_back, e);
	if (!err && m->ledger >= 0 && (err = ledger_bump(m->ledger, &ledger, e))) {
		/* nothing written, so nothing to clear: clearing now would go unseen */
		for (size_t i = 0; i < N_SLOT_MAPS; i++) {
			free(old[i].recs);
			free(others[i].recs);
		}
		if (sh)
			shadow_forget(sh);
		view_free(&w);
		return err;
	}
	/* 2. Bring the inactive slot to c, refusing early what cannot fit. */
	if (!err)
		err = check_room(m, &w, n_other, max, e);
	if (!err)
		err = sync_all(m, &w, old, n_other, max, e);
	for (size_t i = 0; i < N_SLOT_MAPS; i++)
		free(old[i].recs);
	if (!err)
		err = publish_tables(m, c, e);
	if (!err)
		err = publish_eni_rows(m, c, e);
	if (!err)
		err = publish_owned_hint(m, c, e);
	/* A full barrier between the entries and the flip: a grace period implies a full memory
	 * barrier on every CPU, so no CPU (arm64 reorders stores) sees the new slot number before
	 * the entries it names. */
	if (!err)
		err = publish_wait_grace(&waited, e);
	r->grace_ns += waited;
	/*
	 * 3. The one write that makes the new slot live. Readers use only active_slot; 0 and 1
	 * differ in one byte, so even a byte-wise copy cannot show them a third value.
	 */
	if (!err)
		err = flip(m, &st, c->slot, lens, e);
	if (!err && sh)
		shadow_published(sh, &w, others, read_back, st.generation + 1, ledger);
	view_free(&w);
	for (size_t i = 0; i < N_SLOT_MAPS; i++)
		free(others[i].recs);
	if (err) {
		if (sh)
			shadow_forget(sh);
		if (clear_all(m, c->slot, NULL, &ignored))
			log_warn("could not clear slot %u after a failed publish (%s); the next "
				 "publish rewrites it", c->slot, ignored.msg);
		return err;
	}
	log_info("published generation %llu in slot %u", (unsigned long long)st.generation + 1,
		 c->slot);
	r->generation = st.generation + 1;
	r->slot = c->slot;
	r->old_slot = st.active_slot;
	/*
	 * 4. The old slot stays as it is: the next publish brings it up to date by difference
	 * (with keep_old it is publish_revert()'s). But no program run may still read it when
	 * that publish writes there: wait for the runs that read the old slot number now (as
	 * the clearing this replaced did; should the wait fail, the next publish writes early,
	 * as that clearing did).
	 */
	if (!o || !o->keep_old) {
		waited = 0;
		if (publish_wait_grace(&waited, &ignored))
			log_warn("no grace period after publishing (%s)", ignored.msg);
		r->grace_ns += waited;
	}
	return 0;
}

void publish_drop_slot(const struct map_fds *m, unsigned int slot, __u64 *grace_ns)
{
	struct err ignored = {};
	__u64 waited = 0;

	/* Program runs that read the old slot number must finish first. Without a grace
	 * period nothing is cleared: the next publish brings the slot up to date by
	 * difference, whatever it holds. */
	if (publish_wait_grace(&waited, &ignored)) {
		log_warn("not clearing the old slot %u now (%s); the next publish rewrites it", slot,
			 ignored.msg);
		return;
	}
	if (grace_ns)
		*grace_ns += waited;
	if (m->ledger >= 0 && ledger_bump(m->ledger, NULL, &ignored)) {
		log_warn("not clearing the old slot %u now (%s); the next publish rewrites it", slot,
			 ignored.msg);
		return;
	}
	if (clear_all(m, slot, NULL, &ignored))
		log_warn("could not clear the old slot %u (%s); the next publish rewrites it", slot,
			 ignored.msg);
}

int publish_commit(const struct map_fds *m, const struct compiled *c, __u64 *generation,
		   struct err *e)
{
	struct publish_result r;
	int err = publish_commit_with(m, c, NULL, &r, e);

	if (!err && generation)
		*generation = r.generation;
	return err;
}

int publish_revert(const struct map_fds *m, unsigned int to_slot, struct publish_result *r,
		   struct err *e)
{
	struct eniaddr_state st;
	__u64 waited = 0;
	int err;

	memset(r, 0, sizeof(*r));
	err = read_state(m, &st, e);
	if (err)
		return err;
	if (to_slot > 1 || to_slot == st.active_slot)
		return err_set(e, EINVAL, "cannot revert to slot %u: slot %u is active", to_slot,
			       st.active_slot);
	err = publish_wait_grace(&waited, e);
	if (err)
		return err;
	r->grace_ns = waited;
	/* to_slot's lengths were set when it was live */
	err = flip(m, &st, to_slot, st.pfx_lens[to_slot], e);
	if (err)
		return err;
	log_info("reverted to slot %u as generation %llu", to_slot,
		 (unsigned long long)st.generation + 1);
	r->generation = st.generation + 1;
	r->slot = to_slot;
	r->old_slot = st.active_slot;
	publish_drop_slot(m, st.active_slot, &r->grace_ns);
	return 0;
}
