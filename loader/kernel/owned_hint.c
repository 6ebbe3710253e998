// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/owned_hint.c — see owned_hint.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

#include "kernel/array_range.h"
#include "kernel/owned_hint.h"

#define HINT_NAME ENIADDR_STR(ENIADDR_MAP_OWNED_HINT)

int publish_owned_hint(const struct map_fds *m, const struct compiled *c, struct err *e)
{
	static __u64 want[ENIADDR_HINT_WORDS], have[ENIADDR_HINT_WORDS];
	static __u32 keys[ENIADDR_HINT_WORDS];
	__u32 n = 0;
	int err;

	if (c->slot > 1)
		return err_set(e, EINVAL, "compiled state is for slot %u: slots are 0 and 1",
			       c->slot);
	memset(want, 0, sizeof(want));
	for (size_t i = 0; i < c->addrs.n; i++) {
		__u32 bit = eniaddr_hint_bit(c->addrs.v[i].k.addr, c->addrs.v[i].v.ifindex);

		want[bit >> 6] |= 1ULL << (bit & 63);
	}
	err = array_range_read(m->owned_hint, HINT_NAME, c->slot * ENIADDR_HINT_WORDS, have,
			       ENIADDR_HINT_WORDS, e);
	if (err)
		return err;
	/* Only the words that differ: a reassignment changes one or two. */
	for (__u32 i = 0; i < ENIADDR_HINT_WORDS; i++)
		if (have[i] != want[i]) {
			keys[n] = c->slot * ENIADDR_HINT_WORDS + i;
			have[n++] = want[i];
		}
	if (n && bpf_map_update_batch(m->owned_hint, keys, have, &n, NULL))
		return err_set(e, errno, "writing slot %u of %s: %s", c->slot, HINT_NAME,
			       strerror(errno));
	return 0;
}
