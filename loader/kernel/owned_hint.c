// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/owned_hint.c — see owned_hint.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

#include "kernel/owned_hint.h"

int publish_owned_hint(const struct map_fds *m, const struct compiled *c, struct err *e)
{
	static __u64 words[ENIADDR_HINT_WORDS];
	static __u32 keys[ENIADDR_HINT_WORDS];
	__u32 count = ENIADDR_HINT_WORDS;

	if (c->slot > 1)
		return err_set(e, EINVAL, "compiled state is for slot %u: slots are 0 and 1",
			       c->slot);
	memset(words, 0, sizeof(words));
	for (size_t i = 0; i < c->addrs.n; i++) {
		__u32 bit = eniaddr_hint_bit(c->addrs.v[i].k.addr, c->addrs.v[i].v.ifindex);

		words[bit >> 6] |= 1ULL << (bit & 63);
	}
	for (__u32 i = 0; i < ENIADDR_HINT_WORDS; i++)
		keys[i] = c->slot * ENIADDR_HINT_WORDS + i;
	if (bpf_map_update_batch(m->owned_hint, keys, words, &count, NULL))
		return err_set(e, errno, "writing slot %u of %s: %s", c->slot,
			       ENIADDR_STR(ENIADDR_MAP_OWNED_HINT), strerror(errno));
	return 0;
}
