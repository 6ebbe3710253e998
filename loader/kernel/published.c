// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/published.c — see published.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/array_range.h"
#include "kernel/owner_maps.h"
#include "kernel/publish.h"
#include "kernel/published.h"

int published_state(const struct map_fds *m, unsigned int *slot, __u64 *generation,
		    struct err *e)
{
	struct eniaddr_state st;
	__u32 key = 0;

	if (bpf_map_lookup_elem(m->state, &key, &st))
		return err_set(e, errno, "reading %s: %s", ENIADDR_STR(ENIADDR_MAP_STATE),
			       strerror(errno));
	if (st.active_slot > 1)
		return err_set(e, EINVAL, "%s holds active slot %u: not 0 or 1",
			       ENIADDR_STR(ENIADDR_MAP_STATE), st.active_slot);
	*slot = st.active_slot;
	if (generation)
		*generation = st.generation;
	return 0;
}

/*
 * One map walk: every key whose slot (slot_of) is the active one is looked up and appended to
 * the vector as {key, value}. The entry layout is the compiled_* struct: key first, value at
 * val_off.
 */
struct walk {
	const char *name;
	int fd;
	size_t key_size, val_off, val_size, stride;
	unsigned int (*slot_of)(const void *key);
};

static int walk_slot(const struct walk *w, unsigned int slot, void *vec, struct err *e)
{
	_Alignas(8) __u8 cur[64], next[64], val[256];
	void *prev = NULL;

	while (!bpf_map_get_next_key(w->fd, prev, next)) {
		__u8 *ent;

		memcpy(cur, next, w->key_size);
		prev = cur;
		/* Gone between the two calls: the old slot being cleared, not the active one. */
		if (w->slot_of(cur) != slot || bpf_map_lookup_elem(w->fd, cur, val))
			continue;
		ent = vec_grow(vec, w->stride);
		if (!ent)
			return err_set(e, ENOMEM, "out of memory");
		memcpy(ent, cur, w->key_size);
		memcpy(ent + w->val_off, val, w->val_size);
	}
	return errno == ENOENT ? 0 : err_set(e, errno, "walking %s: %s", w->name,
					     strerror(errno));
}

_Static_assert(sizeof(struct eniaddr_rule_bits) <= 256, "val holds every value");

#define WALK(map, field, type, slot_fn) \
	{ ENIADDR_STR(map), m->field, sizeof(((type *)0)->k), offsetof(type, v), \
	  sizeof(((type *)0)->v), sizeof(type), slot_fn }

/* n entries of array fd from index first on, appended to vec (entries of size bytes, the
 * map's value size), in one batch read. */
static int read_table(int fd, const char *name, __u32 first, size_t n, size_t size, void *vec,
		      struct err *e)
{
	VEC(char) *bytes = vec; /* any VEC: its v, n, cap */
	size_t at = bytes->n;

	for (size_t i = 0; i < n; i++)
		if (!vec_grow(vec, size))
			return err_set(e, ENOMEM, "out of memory");
	return array_range_read(fd, name, first, bytes->v + at * size, n, e);
}

static int read_tables(const struct map_fds *m, const struct compiled *sizes, struct compiled *out,
		       struct err *e)
{
	unsigned int s = out->slot;
	int err = read_table(m->policies, ENIADDR_STR(ENIADDR_MAP_POLICIES),
			     s * ENIADDR_MAX_POLICIES, sizes->pol_tbl.n, sizeof(*out->pol_tbl.v),
			     &out->pol_tbl, e);

	if (!err)
		err = read_table(m->trie, ENIADDR_STR(ENIADDR_MAP_TRIE),
				 s * (ENIADDR_MAX_TRIE_NODES / 2), sizes->nodes.n,
				 sizeof(*out->nodes.v), &out->nodes, e);
	if (!err)
		err = read_table(m->bits, ENIADDR_STR(ENIADDR_MAP_BITS), s * (ENIADDR_MAX_BITS / 2),
				 sizes->bits.n, sizeof(*out->bits.v), &out->bits, e);
	return err;
}

int published_read(const struct map_fds *m, const struct compiled *sizes, struct compiled *out,
		   __u64 *generation, struct err *e)
{
	const struct walk walks[] = {
		WALK(ENIADDR_MAP_ENIS, enis, struct compiled_eni, publish_slot_of_eni),
		WALK(ENIADDR_MAP_SRC, src, struct compiled_src, publish_slot_of_src),
		WALK(ENIADDR_MAP_NEXTHOP, nexthop, struct compiled_nexthop, publish_slot_of_nexthop),
	};
	void *vecs[] = { &out->enis, &out->srcs, &out->nexthops };
	unsigned int slot;
	size_t i;
	int err;

	err = published_state(m, &slot, generation, e);
	out->slot = slot;
	for (i = 0; !err && i < sizeof(walks) / sizeof(walks[0]); i++)
		err = walk_slot(&walks[i], slot, vecs[i], e);
	if (!err) /* both families, in the 16-byte form the compiler writes */
		err = owner_read(m, (int)slot, &out->addrs, &out->pfxs, e);
	if (!err && sizes)
		err = read_tables(m, sizes, out, e);
	if (err)
		compiled_free(out);
	return err;
}
