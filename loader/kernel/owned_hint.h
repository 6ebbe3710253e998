/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/owned_hint.h — the slot's hints of the addresses it owns (maps/eniaddr.h,
 * eniaddr_owned_hint per owning ENI, eniaddr_any_hint for any ENI), written by the publisher for
 * the inactive slot before the flip.
 */
#ifndef ENIADDR_KERNEL_OWNED_HINT_H
#define ENIADDR_KERNEL_OWNED_HINT_H

#include "err.h"
#include "compile/compile.h"
#include "kernel/runtime.h"

/* Slot c->slot's words of eniaddr_owned_hint and eniaddr_any_hint: the bits of c's exact
 * addresses (with their owners, in the owned hint), and of every address of its IPv4 prefixes
 * of ENIADDR_HINT_PFX4_MIN_LEN or longer, no others. Soundness of the any hint (bpf/owner.h,
 * owner_absent) rests on this covering every address owner_lookup can find in the slot, save
 * the prefixes eniaddr_state.uncovered names, and on being written before the flip. */
int publish_owned_hint(const struct map_fds *m, const struct compiled *c, struct err *e);

#endif /* ENIADDR_KERNEL_OWNED_HINT_H */
