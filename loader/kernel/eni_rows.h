/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/eni_rows.h — the packets' view of the ENI settings (maps/eniaddr.h,
 * eniaddr_eni_rows and eniaddr_eni_index(_big)): the same entries as eniaddr_enis, reachable by
 * array reads. The publisher writes it for the inactive slot, before the flip.
 */
#ifndef ENIADDR_KERNEL_ENI_ROWS_H
#define ENIADDR_KERNEL_ENI_ROWS_H

#include "err.h"
#include "compile/compile.h"
#include "kernel/runtime.h"

/*
 * Makes slot c->slot's rows hold c->enis (row i: the i-th ENI; the rest unused) and each
 * interface's row[c->slot] point at its row (0 for an interface the slot no longer configures).
 * row[] of the other slot is left as it is, so packets reading the active slot see no change.
 */
int publish_eni_rows(const struct map_fds *m, const struct compiled *c, struct err *e);

/* The settings packets of ifindex find in slot (row and index); -ENOENT when none. */
int eni_rows_read(const struct map_fds *m, unsigned int slot, __u32 ifindex,
		  struct eniaddr_eni *out, struct err *e);

#endif /* ENIADDR_KERNEL_ENI_ROWS_H */
