// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/mapfill.c — see mapfill.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "kernel/mapfill.h"
#include "kernel/publish.h"
#include "kernel/published.h"
#include "../maps/eniaddr.h"

/* slot_of: a slotted table, whose entries of the active slot are counted (the other slot holds
 * the generation before last, which the next publish updates in place). */
static const struct {
	const char *name;
	size_t off;
	unsigned int (*slot_of)(const void *key);
} tables[] = {
	{ ENIADDR_STR(ENIADDR_MAP_ENIS), offsetof(struct map_fds, enis), publish_slot_of_eni },
	{ ENIADDR_STR(ENIADDR_MAP_ADDRS4), offsetof(struct map_fds, addrs4),
	  publish_slot_of_addr4 },
	{ ENIADDR_STR(ENIADDR_MAP_ADDRS), offsetof(struct map_fds, addrs), publish_slot_of_addr },
	{ ENIADDR_STR(ENIADDR_MAP_PFX4), offsetof(struct map_fds, pfx4), publish_slot_of_pfx4 },
	{ ENIADDR_STR(ENIADDR_MAP_PFX), offsetof(struct map_fds, pfx), publish_slot_of_pfx },
	{ ENIADDR_STR(ENIADDR_MAP_SRC), offsetof(struct map_fds, src), publish_slot_of_src },
	{ ENIADDR_STR(ENIADDR_MAP_L4), offsetof(struct map_fds, l4), NULL },
	{ ENIADDR_STR(ENIADDR_MAP_NEXTHOP), offsetof(struct map_fds, nexthop),
	  publish_slot_of_nexthop },
	{ ENIADDR_STR(ENIADDR_MAP_FRAGS), offsetof(struct map_fds, frags), NULL },
	{ ENIADDR_STR(ENIADDR_MAP_ATTACH), offsetof(struct map_fds, attach), NULL },
	{ ENIADDR_STR(ENIADDR_MAP_CT), offsetof(struct map_fds, ct), NULL },
	{ ENIADDR_STR(ENIADDR_MAP_CT_NEW), offsetof(struct map_fds, ct_new), NULL },
	{ ENIADDR_STR(ENIADDR_MAP_CT4), offsetof(struct map_fds, ct4), NULL },
	{ ENIADDR_STR(ENIADDR_MAP_CT4_NEW), offsetof(struct map_fds, ct4_new), NULL },
};
_Static_assert(sizeof(tables) / sizeof(tables[0]) <= MAPFILL_MAX, "every table fits out[]");

/* Keys of fd (of slot, when slot_of), counted; big enough for every key above. */
static int count_keys(int fd, __u32 key_size, unsigned int (*slot_of)(const void *key),
		      unsigned int slot, __u64 *n)
{
	unsigned char a[64], b[64];
	void *prev = NULL, *next = a;

	if (key_size > sizeof(a))
		return -E2BIG;
	*n = 0;
	while (!bpf_map_get_next_key(fd, prev, next)) {
		*n += !slot_of || slot_of(next) == slot;
		prev = next;
		next = next == a ? b : a;
	}
	return errno == ENOENT ? 0 : -errno;
}

int mapfill_read(const struct map_fds *m, struct map_fill *out, struct err *e)
{
	unsigned int active;
	size_t i;
	int err = published_state(m, &active, NULL, e);

	if (err)
		return err;
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]) && i < MAPFILL_MAX; i++) {
		int fd = *(const int *)((const char *)m + tables[i].off);
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		out[i].name = tables[i].name;
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return err_set(e, errno, "%s: %s", tables[i].name, strerror(errno));
		out[i].id = info.id;
		out[i].capacity = info.max_entries;
		err = count_keys(fd, info.key_size, tables[i].slot_of, active, &out[i].entries);
		if (err)
			return err_set(e, -err, "%s: walking its keys: %s", tables[i].name,
				       strerror(-err));
	}
	return (int)i;
}
