/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/published.h — what the programs see now: the entries of the active slot read
 * back from the pinned maps into a struct compiled. The agent compares it with what it would
 * publish (agent/canon.h), so a restarted agent adopts the pinned generation instead of
 * publishing it again, and a publish by someone else (`apply`) is noticed.
 */
#ifndef ENIADDR_KERNEL_PUBLISHED_H
#define ENIADDR_KERNEL_PUBLISHED_H

#include <linux/types.h>

#include "compile/compile.h"
#include "err.h"
#include "kernel/runtime.h"

/* The active slot and generation (one lookup of eniaddr_state). */
int published_state(const struct map_fds *m, unsigned int *slot, __u64 *generation,
		    struct err *e);

/*
 * Reads every entry of the active slot (ENIs, addresses, prefixes, the src entries, next hops)
 * into out (empty on entry; policies stay empty: they live only in the compiler; eniaddr_l4 is
 * not read: no program reads it). The rule tables are arrays whose unused rest holds whatever an
 * older generation left: with sizes non-NULL, out gets as many policies, trie nodes and classes
 * as sizes has (the configuration to compare with), else none. A publish running meanwhile
 * shows as a mix: callers hold the pin dir lock or compare the generation before and after.
 */
int published_read(const struct map_fds *m, const struct compiled *sizes, struct compiled *out,
		   __u64 *generation, struct err *e);

#endif
