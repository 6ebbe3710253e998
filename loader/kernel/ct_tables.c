// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/ct_tables.c — see ct_tables.h. */
#include <bpf/bpf.h>
#include <string.h>

#include "kernel/ct_tables.h"
#include "kernel/runtime.h"

static const __u8 v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

void ct_tables_of(const struct map_fds *m, struct ct_table out[CT_TABLES])
{
	out[0] = (struct ct_table){ m->ct4, true, false, ENIADDR_STR(ENIADDR_MAP_CT4) };
	out[1] = (struct ct_table){ m->ct, false, false, ENIADDR_STR(ENIADDR_MAP_CT) };
	out[2] = (struct ct_table){ m->ct4_new, true, true, ENIADDR_STR(ENIADDR_MAP_CT4_NEW) };
	out[3] = (struct ct_table){ m->ct_new, false, true, ENIADDR_STR(ENIADDR_MAP_CT_NEW) };
}

bool ct_table_named(const char *name, bool *v4, bool *unconfirmed)
{
	static const struct map_fds none = { .ct = -1, .ct_new = -1, .ct4 = -1, .ct4_new = -1 };
	struct ct_table all[CT_TABLES];

	ct_tables_of(&none, all);
	for (size_t i = 0; i < CT_TABLES; i++) {
		if (!strcmp(name, all[i].name)) {
			*v4 = all[i].v4;
			*unconfirmed = all[i].unconfirmed;
			return true;
		}
	}
	return false;
}

bool ct_key_is_v4(const struct eniaddr_ct_key *k)
{
	return !memcmp(k->addr_lo, v4_mapped, sizeof(v4_mapped)) &&
	       !memcmp(k->addr_hi, v4_mapped, sizeof(v4_mapped));
}

struct ct_table ct_table_for(const struct map_fds *m, bool unconfirmed,
			     const struct eniaddr_ct_key *k)
{
	struct ct_table all[CT_TABLES];

	ct_tables_of(m, all);
	return all[(unconfirmed ? 2 : 0) + (ct_key_is_v4(k) ? 0 : 1)];
}

void ct_key_to4(const struct eniaddr_ct_key *k, struct eniaddr_ct4_key *k4)
{
	memset(k4, 0, sizeof(*k4));
	k4->ifindex = k->ifindex;
	k4->proto = k->proto;
	k4->port_lo = k->port_lo;
	k4->port_hi = k->port_hi;
	memcpy(&k4->addr_lo, &k->addr_lo[12], 4);
	memcpy(&k4->addr_hi, &k->addr_hi[12], 4);
}

void ct_key_from4(const struct eniaddr_ct4_key *k4, struct eniaddr_ct_key *k)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = k4->ifindex;
	k->proto = k4->proto;
	k->port_lo = k4->port_lo;
	k->port_hi = k4->port_hi;
	memcpy(k->addr_lo, v4_mapped, sizeof(v4_mapped));
	memcpy(k->addr_hi, v4_mapped, sizeof(v4_mapped));
	memcpy(&k->addr_lo[12], &k4->addr_lo, 4);
	memcpy(&k->addr_hi[12], &k4->addr_hi, 4);
}

/* The key as t stores it: k itself, or its IPv4 form in *k4. */
static const void *table_key(const struct ct_table *t, const struct eniaddr_ct_key *k,
			     struct eniaddr_ct4_key *k4)
{
	if (!t->v4)
		return k;
	ct_key_to4(k, k4);
	return k4;
}

int ct_table_lookup(const struct ct_table *t, const struct eniaddr_ct_key *k,
		    struct eniaddr_ct *v)
{
	struct eniaddr_ct4_key k4;

	return bpf_map_lookup_elem(t->fd, table_key(t, k, &k4), v);
}

int ct_table_update(const struct ct_table *t, const struct eniaddr_ct_key *k,
		    const struct eniaddr_ct *v, __u64 flags)
{
	struct eniaddr_ct4_key k4;

	return bpf_map_update_elem(t->fd, table_key(t, k, &k4), v, flags);
}

int ct_table_delete(const struct ct_table *t, const struct eniaddr_ct_key *k)
{
	struct eniaddr_ct4_key k4;

	return bpf_map_delete_elem(t->fd, table_key(t, k, &k4));
}

int ct_flow_lookup(const struct map_fds *m, bool unconfirmed, const struct eniaddr_ct_key *k,
		   struct eniaddr_ct *v)
{
	struct ct_table t = ct_table_for(m, unconfirmed, k);

	return ct_table_lookup(&t, k, v);
}

int ct_flow_update(const struct map_fds *m, bool unconfirmed, const struct eniaddr_ct_key *k,
		   const struct eniaddr_ct *v, __u64 flags)
{
	struct ct_table t = ct_table_for(m, unconfirmed, k);

	return ct_table_update(&t, k, v, flags);
}

int ct_flow_delete(const struct map_fds *m, bool unconfirmed, const struct eniaddr_ct_key *k)
{
	struct ct_table t = ct_table_for(m, unconfirmed, k);

	return ct_table_delete(&t, k);
}
