/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/ct_tables.h — the four connection-tracking tables behind one key form. The
 * programs keep IPv4 flows in eniaddr_ct4 / eniaddr_ct4_new under a 20-byte key and IPv6 flows
 * in eniaddr_ct / eniaddr_ct_new under the 44-byte one (maps/eniaddr.h): the shorter key hashes
 * faster on every packet. User space sees every flow in the 44-byte form (struct
 * eniaddr_ct_key, IPv4 addresses IPv4-mapped); this module picks the table and converts, so
 * the GC, the seeding, the CLI and the tests never handle the split themselves.
 *
 * A flow's family is its addresses': both IPv4-mapped is IPv4 (as the programs key an IPv4
 * packet), anything else IPv6.
 */
#ifndef ENIADDR_CT_TABLES_H
#define ENIADDR_CT_TABLES_H

#include <linux/types.h>
#include <stdbool.h>

#include "../maps/eniaddr.h"

struct map_fds;

/* One of the four tables: its fd, its family and kind, its map name (for messages). */
struct ct_table {
	int fd;
	bool v4;          /* eniaddr_ct4*: 20-byte keys */
	bool unconfirmed; /* the *_new LRU of flows without an answer yet */
	const char *name;
};

#define CT_TABLES 4

/* The four tables of m: confirmed IPv4, confirmed IPv6, unconfirmed IPv4, unconfirmed IPv6. */
void ct_tables_of(const struct map_fds *m, struct ct_table out[CT_TABLES]);

/* The table of m (confirmed, or unconfirmed) that holds the flow of key k. */
struct ct_table ct_table_for(const struct map_fds *m, bool unconfirmed,
			     const struct eniaddr_ct_key *k);

/* Whether map name is one of the four tables; if so, which (for status and metrics, which
 * list maps by name). */
bool ct_table_named(const char *name, bool *v4, bool *unconfirmed);

bool ct_key_is_v4(const struct eniaddr_ct_key *k);
void ct_key_to4(const struct eniaddr_ct_key *k, struct eniaddr_ct4_key *k4);
void ct_key_from4(const struct eniaddr_ct4_key *k4, struct eniaddr_ct_key *k);

/* bpf_map_{lookup,update,delete}_elem on table t with a key of the common form (converted when
 * t is an IPv4 table): 0, or -1 with errno as those set it. */
int ct_table_lookup(const struct ct_table *t, const struct eniaddr_ct_key *k,
		    struct eniaddr_ct *v);
int ct_table_update(const struct ct_table *t, const struct eniaddr_ct_key *k,
		    const struct eniaddr_ct *v, __u64 flags);
int ct_table_delete(const struct ct_table *t, const struct eniaddr_ct_key *k);

/* The same on the table of m that holds k's flow (ct_table_for). */
int ct_flow_lookup(const struct map_fds *m, bool unconfirmed, const struct eniaddr_ct_key *k,
		   struct eniaddr_ct *v);
int ct_flow_update(const struct map_fds *m, bool unconfirmed, const struct eniaddr_ct_key *k,
		   const struct eniaddr_ct *v, __u64 flags);
int ct_flow_delete(const struct map_fds *m, bool unconfirmed, const struct eniaddr_ct_key *k);

#endif
