// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/owned_hint.c — see owned_hint.h. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "addr.h"
#include "kernel/owned_hint.h"

#define HINT_NAME ENIADDR_STR(ENIADDR_MAP_OWNED_HINT)
#define ANY_NAME  ENIADDR_STR(ENIADDR_MAP_ANY_HINT)

/* The bits a slot wants in each hint. */
struct hint_want {
	__u64 owned[ENIADDR_HINT_WORDS];
	__u64 any[ENIADDR_ANY_WORDS];
};

static void set_bit(__u64 *words, __u32 bit)
{
	words[bit >> 6] |= 1ULL << (bit & 63);
}

/* addr (16 bytes) owned by ifindex: its bit in both hints. */
static void want_addr(struct hint_want *w, const __u8 addr[16], __u32 ifindex)
{
	set_bit(w->owned, eniaddr_hint_bit(addr, ifindex));
	set_bit(w->any, eniaddr_any_bit(addr));
}

/* Every address of IPv4 prefix k (ENIADDR_HINT_PFX4_MIN_LEN or longer), owned by ifindex.
 * Other prefixes are eniaddr_state.uncovered's (eniaddr_pfx_uncovered, written by the flip). */
static void want_prefix(struct hint_want *w, const struct eniaddr_pfx_key *k, __u32 ifindex)
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
		__u32 addr = htonl(base + h);

		memcpy(a + 12, &addr, 4);
		want_addr(w, a, ifindex);
	}
}

/* Slot slot's words_per_slot words of hint map fd (name for errors) made want, in place through
 * a mapping: no syscall per word, and only the words that differ are stored (a reassignment
 * changes one or two). The slot is inactive: no program reads it until the flip, which comes
 * after a grace period (a full barrier on every CPU), so plain stores do. */
static int write_slot_words(int fd, const char *name, size_t words_per_slot, __u32 slot,
			    const __u64 *want, struct err *e)
{
	size_t len = 2 * words_per_slot * sizeof(__u64);
	__u64 *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), *have;

	if (map == MAP_FAILED)
		return err_set(e, errno, "mapping %s: %s", name, strerror(errno));
	have = map + slot * words_per_slot;
	for (size_t i = 0; i < words_per_slot; i++)
		if (have[i] != want[i])
			have[i] = want[i];
	munmap(map, len);
	return 0;
}

int publish_owned_hint(const struct map_fds *m, const struct compiled *c, struct err *e)
{
	static struct hint_want w;
	int err;

	if (c->slot > 1)
		return err_set(e, EINVAL, "compiled state is for slot %u: slots are 0 and 1",
			       c->slot);
	memset(&w, 0, sizeof(w));
	for (size_t i = 0; i < c->addrs.n; i++)
		want_addr(&w, c->addrs.v[i].k.addr, c->addrs.v[i].v.ifindex);
	for (size_t i = 0; i < c->pfxs.n; i++)
		want_prefix(&w, &c->pfxs.v[i].k, c->pfxs.v[i].v.ifindex);
	err = write_slot_words(m->owned_hint, HINT_NAME, ENIADDR_HINT_WORDS, c->slot, w.owned, e);
	return err ? err : write_slot_words(m->any_hint, ANY_NAME, ENIADDR_ANY_WORDS, c->slot,
					    w.any, e);
}
