/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/owner_maps.h — the owner maps as user space sees them: exact addresses and
 * delegated prefixes as compiled_addr / compiled_pfx records, in the 16-byte form (IPv4 mapped,
 * prefix lengths 32 + the mapped length). Underneath, IPv4 owners live in eniaddr_addrs4 /
 * eniaddr_pfx4 with 8-byte keys and IPv6 owners in eniaddr_addrs / eniaddr_pfx (issue 9: the
 * kernel hashes every key byte on every packet). This is the one place that knows the split:
 * get, put, delete and read owners here, never through the maps' fds.
 */
#ifndef ENIADDR_KERNEL_OWNER_MAPS_H
#define ENIADDR_KERNEL_OWNER_MAPS_H

#include <linux/types.h>
#include <stdbool.h>

#include "compile/compile.h"
#include "err.h"
#include "kernel/runtime.h"
#include "vec.h"

/* IPv4 records as eniaddr_addrs4 / eniaddr_pfx4 hold them: key, then value. */
struct owner_addr4 { struct eniaddr_addr4_key k; struct eniaddr_owner v; };
struct owner_pfx4  { struct eniaddr_pfx4_key k;  struct eniaddr_owner v; };

/* The key of the IPv4 map for a 16-byte key; false (k4 untouched) for an IPv6 one. */
bool owner_addr_key4(const struct eniaddr_addr_key *k, struct eniaddr_addr4_key *k4);
bool owner_pfx_key4(const struct eniaddr_pfx_key *k, struct eniaddr_pfx4_key *k4);

/* A compiled configuration's owners as the four maps take them, each in c's order (for the
 * publisher). */
struct owner_split {
	VEC(struct owner_addr4) addrs4;
	VEC(struct compiled_addr) addrs6;
	VEC(struct owner_pfx4) pfxs4;
	VEC(struct compiled_pfx) pfxs6;
};

/* Fills s (zeroed on entry) from c; -ENOMEM. owner_split_free() either way. */
int owner_split(const struct compiled *c, struct owner_split *s);
void owner_split_free(struct owner_split *s);

/* The owner under k in the map of its family: 1 and *o filled, 0 when absent, -errno. */
int owner_addr_get(const struct map_fds *m, const struct eniaddr_addr_key *k,
		   struct eniaddr_owner *o);
int owner_pfx_get(const struct map_fds *m, const struct eniaddr_pfx_key *k,
		  struct eniaddr_owner *o);

/* Writes one record (flags as bpf_map_update_elem's) / deletes one key: 0 or -errno. */
int owner_addr_put(const struct map_fds *m, const struct compiled_addr *a, __u64 flags);
int owner_pfx_put(const struct map_fds *m, const struct compiled_pfx *p, __u64 flags);
int owner_addr_delete(const struct map_fds *m, const struct eniaddr_addr_key *k);
int owner_pfx_delete(const struct map_fds *m, const struct eniaddr_pfx_key *k);

/*
 * Every owner of slot (of both slots when slot < 0), both families, appended to addrs (a
 * VEC(struct compiled_addr)) and pfxs (a VEC(struct compiled_pfx)); either may be NULL to skip
 * that kind. In map order: sort when order matters. An entry deleted meanwhile is skipped. -errno
 * with e naming the map.
 */
int owner_read(const struct map_fds *m, int slot, void *addrs, void *pfxs, struct err *e);

#endif /* ENIADDR_KERNEL_OWNER_MAPS_H */
