/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/compose.h — one desired state from several sources, for `sync --imds` and
 * `run`: the ENIs and their addresses from IMDS; the groups' rules from a
 * describe-security-groups document; per-ENI and per-address settings (modes, overrides,
 * timeouts) from a native config; remote group members from a describe-network-interfaces
 * document of the VPC.
 *
 * CONTRACT (agreed before the implementation; keep it or change both sides):
 * - compose_build() fills *out from the inputs or returns a negative errno with e naming the
 *   input and item, leaving *out untouched. Any input that fails makes the whole build fail: the
 *   caller keeps what it published last.
 * - Without a rule source (no groups, no config), the state carries the ENIs and addresses only
 *   (ownership and routing) and rules_source reports it.
 */
#ifndef ENIADDR_SOURCE_COMPOSE_H
#define ENIADDR_SOURCE_COMPOSE_H

#include <stdbool.h>

#include "err.h"
#include "source/imds.h"
#include "state.h"

struct compose_inputs {
	struct imds_client *imds;          /* the ENIs */
	const char *security_groups_path;  /* NULL or describe-security-groups output */
	const char *config_path;           /* NULL or native config (overrides, modes, timeouts) */
	const char *interfaces_path;       /* NULL or describe-network-interfaces (remote members) */
};

int compose_build(const struct compose_inputs *in, struct desired_state *out, struct err *e);

#endif
