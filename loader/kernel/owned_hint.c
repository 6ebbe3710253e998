// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/owned_hint.c — see owned_hint.h. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

#include "addr.h"
#include "kernel/array_range.h"
#include "kernel/owned_hint.h"

#define HINT_NAME ENIADDR_STR(ENIADDR_MAP_OWNED_HINT)

/* Sets the bits of every address of IPv4 prefix k (ENIADDR_HINT_PFX4_MIN_LEN or longer),
 * owned by ifindex. */
static void want_prefix(__u64 *want, const struct eniaddr_pfx_key *k, __u32 ifindex)
{
	int len = (int)k->prefixlen - 32 - 96; /* the IPv4 length */
	__u8 a[16];
	__u32 base;

	if (!ip_is_v4(k->addr) || len < ENIADDR_HINT_PFX4_MIN_LEN || len > 32)
		return;
	memcpy(a, k->addr, 16);
	memcpy(&base, a + 12, 4);
	base = ntohl(base);
	for (__u32 h = 0; h < 1u << (32 - len); h++) {
		__u32 addr = htonl(base + h), bit;

		memcpy(a + 12, &addr, 4);
		bit = eniaddr_hint_bit(a, ifindex);
		want[bit >> 6] |= 1ULL << (bit & 63);
	}
}

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
	for (size_t i = 0; i < c->pfxs.n; i++)
		want_prefix(want, &c->pfxs.v[i].k, c->pfxs.v[i].v.ifindex);
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
