/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/localize.h — a desired state made ready to compile on this machine, the same way
 * for every publisher (apply, sync, sync --imds, the agent): each ENI bound to its local
 * interface, the subnets its source did not give taken from the interfaces' own prefixes
 * (local_subnets.h), each ENI's routers learned from the kernel (routes.h), then validated.
 */
#ifndef ENIADDR_SOURCE_LOCALIZE_H
#define ENIADDR_SOURCE_LOCALIZE_H

#include "err.h"
#include "kernel/ifaces.h"
#include "state.h"

/* 0 or -errno with e naming the ENI or item; s may be partly filled on error. */
int state_localize(struct desired_state *s, const struct nics *nics, struct err *e);

#endif
