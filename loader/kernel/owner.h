/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/owner.h — the owner of an address as the datapath finds it (bpf/owner.h), read
 * from user space (explain, tests): an exact address first, else one delegated-prefix lookup per
 * prefix length eniaddr_state lists for the slot and family, longest first (owner_maps.h).
 */
#ifndef ENIADDR_KERNEL_OWNER_H
#define ENIADDR_KERNEL_OWNER_H

#include <linux/types.h>
#include <stdbool.h>

#include "kernel/runtime.h"
#include "../maps/eniaddr.h"

/* The delegated prefix of slot holding addr (16 bytes, IPv4-mapped), by st's lists: 1 and *o
 * filled when found, 0 when none, -errno when a lookup fails. */
int owner_find_prefix(const struct map_fds *m, const struct eniaddr_state *st, unsigned int slot,
		      const __u8 addr[16], struct eniaddr_owner *o);

/* The owner of addr in slot: the exact address, else owner_find_prefix. Same returns. */
int owner_find(const struct map_fds *m, const struct eniaddr_state *st, unsigned int slot,
	       const __u8 addr[16], struct eniaddr_owner *o);

#endif
