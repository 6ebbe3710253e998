// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/owner_maps.c — see owner_maps.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "kernel/owner_maps.h"
#include "kernel/publish.h"

/* A mapped prefix length (in the 128-bit space) of an IPv4 prefix is 96 + its IPv4 length. */
#define V4_BASE (32 + 96)

bool owner_addr_key4(const struct eniaddr_addr_key *k, struct eniaddr_addr4_key *k4)
{
	if (!ip_is_v4(k->addr))
		return false;
	k4->slot = k->slot;
	memcpy(k4->addr, k->addr + 12, 4);
	return true;
}

bool owner_pfx_key4(const struct eniaddr_pfx_key *k, struct eniaddr_pfx4_key *k4)
{
	if (!ip_is_v4(k->addr) || k->prefixlen < V4_BASE || k->prefixlen > V4_BASE + 32)
		return false;
	k4->slot = (__u16)k->slot;
	k4->prefixlen = (__u16)(k->prefixlen - V4_BASE);
	memcpy(k4->addr, k->addr + 12, 4);
	return true;
}

static void addr_key16(const struct eniaddr_addr4_key *k4, struct eniaddr_addr_key *k)
{
	memset(k, 0, sizeof(*k));
	k->slot = k4->slot;
	k->addr[10] = k->addr[11] = 0xff;
	memcpy(k->addr + 12, k4->addr, 4);
}

static void pfx_key16(const struct eniaddr_pfx4_key *k4, struct eniaddr_pfx_key *k)
{
	memset(k, 0, sizeof(*k));
	k->slot = k4->slot;
	k->prefixlen = V4_BASE + k4->prefixlen;
	k->addr[10] = k->addr[11] = 0xff;
	memcpy(k->addr + 12, k4->addr, 4);
}

int owner_split(const struct compiled *c, struct owner_split *s)
{
	for (size_t i = 0; i < c->addrs.n; i++) {
		const struct compiled_addr *a = &c->addrs.v[i];
		struct eniaddr_addr4_key k4;
		struct owner_addr4 *r4;
		struct compiled_addr *r6;

		if (owner_addr_key4(&a->k, &k4)) {
			if (!(r4 = VEC_PUSH(&s->addrs4)))
				return -ENOMEM;
			*r4 = (struct owner_addr4){ k4, a->v };
		} else {
			if (!(r6 = VEC_PUSH(&s->addrs6)))
				return -ENOMEM;
			*r6 = *a;
		}
	}
	for (size_t i = 0; i < c->pfxs.n; i++) {
		const struct compiled_pfx *p = &c->pfxs.v[i];
		struct eniaddr_pfx4_key k4;
		struct owner_pfx4 *r4;
		struct compiled_pfx *r6;

		if (owner_pfx_key4(&p->k, &k4)) {
			if (!(r4 = VEC_PUSH(&s->pfxs4)))
				return -ENOMEM;
			*r4 = (struct owner_pfx4){ k4, p->v };
		} else {
			if (!(r6 = VEC_PUSH(&s->pfxs6)))
				return -ENOMEM;
			*r6 = *p;
		}
	}
	return 0;
}

void owner_split_free(struct owner_split *s)
{
	VEC_FREE(&s->addrs4);
	VEC_FREE(&s->addrs6);
	VEC_FREE(&s->pfxs4);
	VEC_FREE(&s->pfxs6);
}

/* 1 when fd holds key (value into o), 0 when not, -errno otherwise. */
static int lookup(int fd, const void *key, struct eniaddr_owner *o)
{
	if (!bpf_map_lookup_elem(fd, key, o))
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

static int result(int rc)
{
	return rc ? -errno : 0;
}

int owner_addr_get(const struct map_fds *m, const struct eniaddr_addr_key *k,
		   struct eniaddr_owner *o)
{
	struct eniaddr_addr4_key k4;

	return owner_addr_key4(k, &k4) ? lookup(m->addrs4, &k4, o) : lookup(m->addrs, k, o);
}

int owner_pfx_get(const struct map_fds *m, const struct eniaddr_pfx_key *k,
		  struct eniaddr_owner *o)
{
	struct eniaddr_pfx4_key k4;

	return owner_pfx_key4(k, &k4) ? lookup(m->pfx4, &k4, o) : lookup(m->pfx, k, o);
}

int owner_addr_put(const struct map_fds *m, const struct compiled_addr *a, __u64 flags)
{
	struct eniaddr_addr4_key k4;

	if (owner_addr_key4(&a->k, &k4))
		return result(bpf_map_update_elem(m->addrs4, &k4, &a->v, flags));
	return result(bpf_map_update_elem(m->addrs, &a->k, &a->v, flags));
}

int owner_pfx_put(const struct map_fds *m, const struct compiled_pfx *p, __u64 flags)
{
	struct eniaddr_pfx4_key k4;

	if (owner_pfx_key4(&p->k, &k4))
		return result(bpf_map_update_elem(m->pfx4, &k4, &p->v, flags));
	return result(bpf_map_update_elem(m->pfx, &p->k, &p->v, flags));
}

int owner_addr_delete(const struct map_fds *m, const struct eniaddr_addr_key *k)
{
	struct eniaddr_addr4_key k4;

	if (owner_addr_key4(k, &k4))
		return result(bpf_map_delete_elem(m->addrs4, &k4));
	return result(bpf_map_delete_elem(m->addrs, k));
}

int owner_pfx_delete(const struct map_fds *m, const struct eniaddr_pfx_key *k)
{
	struct eniaddr_pfx4_key k4;

	if (owner_pfx_key4(k, &k4))
		return result(bpf_map_delete_elem(m->pfx4, &k4));
	return result(bpf_map_delete_elem(m->pfx, k));
}

/* One of the four maps: its key's size and slot, and how a key becomes a record's 16-byte key
 * (NULL: it is one already). Records are compiled_addr or compiled_pfx: key, then value. */
struct owner_map {
	const char *name;
	size_t fd_off, key_size, rec_size, val_off;
	unsigned int (*slot_of)(const void *key);
	void (*widen)(const void *key, void *key16);
};

static void widen_addr4(const void *key, void *key16)
{
	struct eniaddr_addr4_key k4;

	memcpy(&k4, key, sizeof(k4));
	addr_key16(&k4, key16);
}

static void widen_pfx4(const void *key, void *key16)
{
	struct eniaddr_pfx4_key k4;

	memcpy(&k4, key, sizeof(k4));
	pfx_key16(&k4, key16);
}

#define ADDR_REC sizeof(struct compiled_addr), offsetof(struct compiled_addr, v)
#define PFX_REC  sizeof(struct compiled_pfx), offsetof(struct compiled_pfx, v)
static const struct owner_map addr_maps[] = {
	{ ENIADDR_STR(ENIADDR_MAP_ADDRS4), offsetof(struct map_fds, addrs4),
	  sizeof(struct eniaddr_addr4_key), ADDR_REC, publish_slot_of_addr4, widen_addr4 },
	{ ENIADDR_STR(ENIADDR_MAP_ADDRS), offsetof(struct map_fds, addrs),
	  sizeof(struct eniaddr_addr_key), ADDR_REC, publish_slot_of_addr, NULL },
};
static const struct owner_map pfx_maps[] = {
	{ ENIADDR_STR(ENIADDR_MAP_PFX4), offsetof(struct map_fds, pfx4),
	  sizeof(struct eniaddr_pfx4_key), PFX_REC, publish_slot_of_pfx4, widen_pfx4 },
	{ ENIADDR_STR(ENIADDR_MAP_PFX), offsetof(struct map_fds, pfx),
	  sizeof(struct eniaddr_pfx_key), PFX_REC, publish_slot_of_pfx, NULL },
};

static int read_map(const struct map_fds *m, const struct owner_map *om, int slot, void *vec,
		    struct err *e)
{
	_Alignas(8) __u8 cur[32], next[32];
	int fd = *(const int *)((const char *)m + om->fd_off);
	struct eniaddr_owner v;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		__u8 *rec;

		memcpy(cur, next, om->key_size);
		prev = cur;
		if ((slot >= 0 && om->slot_of(cur) != (unsigned int)slot) ||
		    bpf_map_lookup_elem(fd, cur, &v))
			continue;
		rec = vec_grow(vec, om->rec_size);
		if (!rec)
			return err_set(e, ENOMEM, "out of memory");
		if (om->widen)
			om->widen(cur, rec);
		else
			memcpy(rec, cur, om->key_size);
		memcpy(rec + om->val_off, &v, sizeof(v));
	}
	return errno == ENOENT ? 0 : err_set(e, errno, "walking %s: %s", om->name,
					     strerror(errno));
}

int owner_read(const struct map_fds *m, int slot, void *addrs, void *pfxs, struct err *e)
{
	int err = 0;

	for (size_t i = 0; addrs && !err && i < 2; i++)
		err = read_map(m, &addr_maps[i], slot, addrs, e);
	for (size_t i = 0; pfxs && !err && i < 2; i++)
		err = read_map(m, &pfx_maps[i], slot, pfxs, e);
	return err;
}
