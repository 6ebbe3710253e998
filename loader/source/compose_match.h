/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/compose_match.h — a native config's ENI entries applied to the ENIs IMDS found
 * (the rules are in compose.h): matched by eni_id, else MAC, else the local interface's MAC.
 */
#ifndef ENIADDR_SOURCE_COMPOSE_MATCH_H
#define ENIADDR_SOURCE_COMPOSE_MATCH_H

#include "err.h"
#include "state.h"

/* Applies cfg's ENI entries to s's ENIs; two entries for one ENI is -EINVAL. */
int compose_apply_settings(const struct desired_state *cfg, struct desired_state *s,
			   struct err *e);

#endif
