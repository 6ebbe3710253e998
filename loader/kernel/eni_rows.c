// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/eni_rows.c — see eni_rows.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

#include "kernel/array_range.h"
#include "kernel/eni_rows.h"

#define ROWS_NAME  ENIADDR_STR(ENIADDR_MAP_ENI_ROWS)
#define INDEX_NAME ENIADDR_STR(ENIADDR_MAP_ENI_INDEX)

static bool index_is_big(__u32 ifindex)
{
	return ifindex >= ENIADDR_ENI_INDEX_MAX;
}

static int index_fd(const struct map_fds *m, __u32 ifindex)
{
	return index_is_big(ifindex) ? m->eni_index_big : m->eni_index;
}

/* ifindex's index entry; all zero when it has none. */
static int index_get(const struct map_fds *m, __u32 ifindex, struct eniaddr_eni_index *ix,
		     struct err *e)
{
	memset(ix, 0, sizeof(*ix));
	if (!bpf_map_lookup_elem(index_fd(m, ifindex), &ifindex, ix) || errno == ENOENT)
		return 0;
	return err_set(e, errno, "reading %s[%u]: %s", INDEX_NAME, ifindex, strerror(errno));
}

/* Sets row[slot] of ifindex's entry to row (1-based, 0: none), the other slot's as it is. */
static int index_set(const struct map_fds *m, __u32 ifindex, unsigned int slot, __u8 row,
		     struct err *e)
{
	struct eniaddr_eni_index ix;
	int fd = index_fd(m, ifindex), err = index_get(m, ifindex, &ix, e);

	if (err || ix.row[slot] == row)
		return err;
	ix.row[slot] = row;
	if (index_is_big(ifindex) && !ix.row[0] && !ix.row[1]) {
		if (!bpf_map_delete_elem(fd, &ifindex) || errno == ENOENT)
			return 0;
	} else if (!bpf_map_update_elem(fd, &ifindex, &ix, BPF_ANY)) {
		return 0;
	}
	return err_set(e, errno, "writing %s[%u]: %s", INDEX_NAME, ifindex, strerror(errno));
}

static bool configures(const struct compiled *c, __u32 ifindex)
{
	for (size_t i = 0; i < c->enis.n; i++)
		if (c->enis.v[i].k.ifindex == ifindex)
			return true;
	return false;
}

int publish_eni_rows(const struct map_fds *m, const struct compiled *c, struct err *e)
{
	struct eniaddr_eni_row rows[ENIADDR_MAX_ENIS] = {}, old[ENIADDR_MAX_ENIS];
	__u32 first = c->slot * ENIADDR_MAX_ENIS;
	int err;

	if (c->enis.n > ENIADDR_MAX_ENIS || c->slot > 1)
		return err_set(e, E2BIG, "%zu ENIs in slot %u: %s holds %d per slot", c->enis.n,
			       c->slot, ROWS_NAME, ENIADDR_MAX_ENIS);
	/* what the slot's rows hold now: the interfaces whose row[] may have to go */
	err = array_range_read(m->eni_rows, ROWS_NAME, first, old, ENIADDR_MAX_ENIS, e);
	for (size_t i = 0; i < c->enis.n; i++) {
		rows[i].eni = c->enis.v[i].v;
		rows[i].ifindex = c->enis.v[i].k.ifindex;
	}
	if (!err)
		err = array_range_write(m->eni_rows, ROWS_NAME, first, rows, ENIADDR_MAX_ENIS, e);
	/* The rows first, then the index that leads packets to them. */
	for (size_t i = 0; !err && i < c->enis.n; i++)
		err = index_set(m, rows[i].ifindex, c->slot, (__u8)(i + 1), e);
	for (size_t i = 0; !err && i < ENIADDR_MAX_ENIS; i++)
		if (old[i].ifindex && !configures(c, old[i].ifindex))
			err = index_set(m, old[i].ifindex, c->slot, 0, e);
	return err;
}

int eni_rows_read(const struct map_fds *m, unsigned int slot, __u32 ifindex,
		  struct eniaddr_eni *out, struct err *e)
{
	struct eniaddr_eni_index ix;
	struct eniaddr_eni_row r;
	__u32 key;
	int err = index_get(m, ifindex, &ix, e);

	if (err)
		return err;
	if (slot > 1 || !ix.row[slot] || ix.row[slot] > ENIADDR_MAX_ENIS)
		return -ENOENT;
	key = slot * ENIADDR_MAX_ENIS + ix.row[slot] - 1u;
	if (bpf_map_lookup_elem(m->eni_rows, &key, &r))
		return err_set(e, errno, "reading %s[%u]: %s", ROWS_NAME, key, strerror(errno));
	if (r.ifindex != ifindex)
		return err_set(e, EIO, "%s[%u] names row %u of slot %u, which holds ifindex %u",
			       INDEX_NAME, ifindex, ix.row[slot], slot, r.ifindex);
	*out = r.eni;
	return 0;
}
