// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/agent/canon.c — see canon.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/canon.h"

/* How one map's entries become records: key then value, packed, slot-free. The rule tables
 * are arrays: their records are the index within the slot's half (the key) and the entry. */
struct kind {
	size_t key_size, val_size, val_off, stride;
	void (*normalize)(uint8_t *rec, unsigned int slot);
	const uint8_t *(*entries)(const struct compiled *c, size_t *n);
	bool (*keep)(const uint8_t *ent); /* NULL: every entry */
};

/* Field helpers on packed records: the slot zeroed, the slot bit cleared from a policy id. */
static void zero_u32(uint8_t *rec, size_t off)
{
	memset(rec + off, 0, sizeof(__u32));
}

static void unslot_u32(uint8_t *rec, size_t off)
{
	__u32 v;

	memcpy(&v, rec + off, sizeof(v));
	v &= ~ENIADDR_POLICY_SLOT_BIT;
	memcpy(rec + off, &v, sizeof(v));
}

#define KEY_SIZE(t) sizeof(((t *)0)->k)

static void norm_eni(uint8_t *rec, unsigned int slot)
{
	(void)slot;
	const size_t v = KEY_SIZE(struct compiled_eni);

	zero_u32(rec, offsetof(struct eniaddr_eni_key, slot));
	unslot_u32(rec, v + offsetof(struct eniaddr_eni, in_policy));
	unslot_u32(rec, v + offsetof(struct eniaddr_eni, out_policy));
}

static void norm_owner(uint8_t *rec, size_t v)
{
	unslot_u32(rec, v + offsetof(struct eniaddr_owner, in_policy));
	unslot_u32(rec, v + offsetof(struct eniaddr_owner, out_policy));
}

static void norm_addr(uint8_t *rec, unsigned int slot)
{
	(void)slot;
	zero_u32(rec, offsetof(struct eniaddr_addr_key, slot));
	norm_owner(rec, KEY_SIZE(struct compiled_addr));
}

static void norm_pfx(uint8_t *rec, unsigned int slot)
{
	(void)slot;
	zero_u32(rec, offsetof(struct eniaddr_pfx_key, slot));
	norm_owner(rec, KEY_SIZE(struct compiled_pfx));
}

static void norm_src(uint8_t *rec, unsigned int slot)
{
	(void)slot;
	unslot_u32(rec, offsetof(struct eniaddr_src_key, policy));
}

#define NODES_PER_SLOT (ENIADDR_MAX_TRIE_NODES / 2)
#define BITS_PER_SLOT  (ENIADDR_MAX_BITS / 2)

/* A trie entry without its slot's base: a child's node index, a class's bits index. */
static __u32 unslot_entry(__u32 x, unsigned int slot)
{
	if (!x)
		return 0;
	if (x & ENIADDR_TRIE_CHILD)
		return ENIADDR_TRIE_CHILD | ((x & ~ENIADDR_TRIE_CHILD) - slot * NODES_PER_SLOT);
	return x - slot * BITS_PER_SLOT;
}

static void unslot_entries(uint8_t *rec, size_t n, unsigned int slot)
{
	__u32 x;

	for (size_t i = 0; i < n; i++) {
		memcpy(&x, rec + i * sizeof(x), sizeof(x));
		x = unslot_entry(x, slot);
		memcpy(rec + i * sizeof(x), &x, sizeof(x));
	}
}

static void norm_policy(uint8_t *rec, unsigned int slot)
{
	unslot_entries(rec + sizeof(__u32), 3, slot); /* v4_root, l4_root[2] */
}

static void norm_node(uint8_t *rec, unsigned int slot)
{
	unslot_entries(rec + sizeof(__u32), 256, slot);
}

static void norm_bits(uint8_t *rec, unsigned int slot)
{
	(void)rec, (void)slot;
}

static bool src_published(const uint8_t *ent)
{
	return compiled_src_published((const struct compiled_src *)ent);
}

static void norm_nexthop(uint8_t *rec, unsigned int slot)
{
	(void)slot;
	zero_u32(rec, offsetof(struct eniaddr_nexthop_key, slot));
}

#define ENTRIES(fn, field) \
	static const uint8_t *fn(const struct compiled *c, size_t *n) \
	{ *n = c->field.n; return (const uint8_t *)c->field.v; }
ENTRIES(enis_of, enis)
ENTRIES(addrs_of, addrs)
ENTRIES(pfxs_of, pfxs)
ENTRIES(srcs_of, srcs)
ENTRIES(pols_of, pol_tbl)
ENTRIES(nodes_of, nodes)
ENTRIES(bits_of, bits)
ENTRIES(nexthops_of, nexthops)

#define KIND(type, norm, fn) \
	{ sizeof(((type *)0)->k), sizeof(((type *)0)->v), offsetof(type, v), sizeof(type), norm, fn, \
	  NULL }
/* An array's entry: its index is its key (val_off 0: the entry is all value). */
#define TABLE(type, norm, fn) { sizeof(__u32), sizeof(type), 0, sizeof(type), norm, fn, NULL }

static const struct kind kinds[CANON_KINDS] = {
	[CANON_ENIS]     = KIND(struct compiled_eni, norm_eni, enis_of),
	[CANON_ADDRS]    = KIND(struct compiled_addr, norm_addr, addrs_of),
	[CANON_PFXS]     = KIND(struct compiled_pfx, norm_pfx, pfxs_of),
	[CANON_SRCS]     = { sizeof(struct eniaddr_src_key), sizeof(struct eniaddr_rule_bits),
			     offsetof(struct compiled_src, v), sizeof(struct compiled_src), norm_src,
			     srcs_of, src_published },
	[CANON_NEXTHOPS] = KIND(struct compiled_nexthop, norm_nexthop, nexthops_of),
	[CANON_POLICIES] = TABLE(struct eniaddr_policy, norm_policy, pols_of),
	[CANON_NODES]    = TABLE(struct eniaddr_trie_node, norm_node, nodes_of),
	[CANON_BITS]     = TABLE(struct eniaddr_rule_bits, norm_bits, bits_of),
};

static size_t rec_size(enum canon_kind k)
{
	return kinds[k].key_size + kinds[k].val_size;
}

static int cmp_rec(const void *a, const void *b, void *size)
{
	return memcmp(a, b, *(size_t *)size);
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

static bool is_table(enum canon_kind k)
{
	return k >= CANON_POLICIES;
}

/* The records kind k would take from c: every entry, or those kd->keep keeps. */
static size_t count_kept(const struct kind *kd, const struct compiled *c)
{
	size_t n, i, kept = 0;
	const uint8_t *ent = kd->entries(c, &n);

	if (!kd->keep)
		return n;
	for (i = 0; i < n; i++, ent += kd->stride)
		kept += kd->keep(ent);
	return kept;
}

int canon_build(const struct compiled *c, struct canon *out, struct err *e)
{
	size_t total = 0, off = 0, n, i, rs, j;
	const uint8_t *ent;
	int k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < CANON_KINDS; k++) {
		out->n[k] = count_kept(&kinds[k], c);
		total += out->n[k] * rec_size(k);
	}
	out->buf = malloc(total + 1); /* never malloc(0): NULL would read as out of memory */
	if (!out->buf)
		return err_set(e, ENOMEM, "out of memory");
	for (k = 0; k < CANON_KINDS; k++) {
		const struct kind *kd = &kinds[k];
		uint8_t *base = out->buf + off;

		ent = kd->entries(c, &n);
		rs = rec_size(k);
		for (i = j = 0; i < n; i++, ent += kd->stride) {
			uint8_t *rec = base + j * rs;
			__u32 idx = (__u32)i;

			if (kd->keep && !kd->keep(ent))
				continue;
			if (is_table(k))
				memcpy(rec, &idx, sizeof(idx));
			else
				memcpy(rec, ent, kd->key_size);
			memcpy(rec + kd->key_size, ent + kd->val_off, kd->val_size);
			kd->normalize(rec, c->slot);
			j++;
		}
		if (!is_table(k)) /* tables are in index order already */
			qsort_r(base, j, rs, cmp_rec, &rs);
		off += j * rs;
	}
	out->len = total;
	out->digest = fnv1a(out->buf, out->len);
	return 0;
}

void canon_free(struct canon *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}

bool canon_equal(const struct canon *a, const struct canon *b)
{
	return a->len == b->len && !memcmp(a->n, b->n, sizeof(a->n)) &&
	       (!a->len || !memcmp(a->buf, b->buf, a->len));
}

/* The records of kind k: first one and count. */
static const uint8_t *section(const struct canon *c, enum canon_kind k, size_t *n)
{
	size_t off = 0;
	int i;

	for (i = 0; i < (int)k; i++)
		off += c->n[i] * rec_size(i);
	*n = c->n[k];
	return c->buf + off;
}

/* Address or prefix of a record of CANON_ADDRS / CANON_PFXS, and its owner. */
static void owned(enum canon_kind k, const uint8_t *rec, struct ip_prefix *p, __u32 *ifindex)
{
	struct eniaddr_owner v;

	memset(p, 0, sizeof(*p));
	if (k == CANON_ADDRS) {
		struct eniaddr_addr_key key;

		memcpy(&key, rec, sizeof(key));
		memcpy(p->addr, key.addr, 16);
		p->plen = 128;
	} else {
		struct eniaddr_pfx_key key;

		memcpy(&key, rec, sizeof(key));
		memcpy(p->addr, key.addr, 16);
		p->plen = (uint8_t)(key.prefixlen - 32);
	}
	memcpy(&v, rec + kinds[k].key_size, sizeof(v));
	*ifindex = v.ifindex;
}

static int note(struct canon_diff *d, enum canon_kind k, enum canon_change kind,
		const uint8_t *old, const uint8_t *new, struct err *e)
{
	struct canon_addr_change *ch = VEC_PUSH(&d->addrs);
	struct ip_prefix p;

	if (!ch)
		return err_set(e, ENOMEM, "out of memory");
	ch->kind = kind;
	if (old)
		owned(k, old, &ch->p, &ch->from);
	if (new)
		owned(k, new, &p, &ch->to), ch->p = p;
	return 0;
}

/* Merge walk of one kind's sorted records: keyed kinds report per key, others count. */
static int diff_kind(const struct canon *a, const struct canon *b, enum canon_kind k,
		     struct canon_diff *d, struct err *e)
{
	bool keyed = k == CANON_ADDRS || k == CANON_PFXS;
	size_t na, nb, i = 0, j = 0, rs = rec_size(k), ks = kinds[k].key_size;
	const uint8_t *pa = section(a, k, &na), *pb = section(b, k, &nb);
	int err = 0;

	while (!err && (i < na || j < nb)) {
		const uint8_t *x = i < na ? pa + i * rs : NULL, *y = j < nb ? pb + j * rs : NULL;
		int c = !x ? 1 : !y ? -1 : memcmp(x, y, keyed ? ks : rs);

		if (c == 0) {
			if (keyed && memcmp(x + ks, y + ks, rs - ks)) {
				struct ip_prefix p;
				__u32 from, to;

				owned(k, x, &p, &from);
				owned(k, y, &p, &to);
				err = note(d, k, from == to ? CANON_CHANGED : CANON_MOVED, x, y, e);
			}
			i++, j++;
		} else if (c < 0) {
			if (keyed)
				err = note(d, k, CANON_REMOVED, x, NULL, e);
			else
				d->other++;
			i++;
		} else {
			if (keyed)
				err = note(d, k, CANON_ADDED, NULL, y, e);
			else
				d->other++;
			j++;
		}
	}
	return err;
}

int canon_diff(const struct canon *old, const struct canon *new, struct canon_diff *d,
	       struct err *e)
{
	int k, err = 0;

	memset(d, 0, sizeof(*d));
	for (k = 0; !err && k < CANON_KINDS; k++)
		err = diff_kind(old, new, k, d, e);
	if (err)
		canon_diff_free(d);
	return err;
}

void canon_diff_free(struct canon_diff *d)
{
	VEC_FREE(&d->addrs);
	d->other = 0;
}

static const char *ifname_of(const char *(*name)(__u32, char[16]), __u32 ifindex, char buf[16])
{
	const char *s = name ? name(ifindex, buf) : NULL;

	if (!s) {
		snprintf(buf, 16, "if%u", ifindex);
		s = buf;
	}
	return s;
}

void canon_diff_summary(const struct canon_diff *d, const char *(*name)(__u32, char[16]),
			char *buf, size_t len)
{
	size_t i, off = 0;
	char p[IP_PREFIX_STRLEN], a[16], b[16];

	buf[0] = '\0';
	for (i = 0; i < d->addrs.n && off < len; i++) {
		const struct canon_addr_change *c = &d->addrs.v[i];
		int n = 0;

		ip_prefix_format(&c->p, true, p, sizeof(p));
		switch (c->kind) {
		case CANON_ADDED:
			n = snprintf(buf + off, len - off, "%s%s added on %s", off ? "; " : "", p,
				     ifname_of(name, c->to, a));
			break;
		case CANON_REMOVED:
			n = snprintf(buf + off, len - off, "%s%s removed from %s", off ? "; " : "",
				     p, ifname_of(name, c->from, a));
			break;
		case CANON_MOVED:
			n = snprintf(buf + off, len - off, "%s%s moved %s -> %s", off ? "; " : "", p,
				     ifname_of(name, c->from, a), ifname_of(name, c->to, b));
			break;
		case CANON_CHANGED:
			n = snprintf(buf + off, len - off, "%s%s changed policy on %s",
				     off ? "; " : "", p, ifname_of(name, c->to, a));
			break;
		}
		off += n > 0 ? (size_t)n : 0;
	}
	if (d->other && off < len)
		snprintf(buf + off, len - off, "%s%zu other entr%s", off ? "; " : "", d->other,
			 d->other == 1 ? "y" : "ies");
}
