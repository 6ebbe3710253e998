/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/guard.h — the management guard: access no policy can remove (--guard CIDR[:PORT]).
 *
 * A guard is an inbound allow rule from CIDR, to TCP PORT, or with no PORT to every protocol and
 * port. The CLI stores the guards with the pinned maps (eniaddr_ctl) and every publish adds them
 * to the desired state before compiling: a group of their rules, with no outbound rules, joins
 * every ENI and every address override. So an operator's SSH from the admin network passes
 * whatever a configuration says, is tracked like any allowed flow (its replies pass), and shows
 * up as one more rule in status. Plain C, no syscalls.
 */
#ifndef ENIADDR_GUARD_H
#define ENIADDR_GUARD_H

#include <stddef.h>

#include "../maps/eniaddr.h"
#include "addr.h"
#include "err.h"
#include "state.h"

#define GUARD_GROUP_ID "eniaddr-guard" /* not sg-…: no AWS document can name it */
#define GUARD_STRLEN   (IP_PREFIX_STRLEN + 8)
#define GUARD_WHERE    "--guard"       /* the guard group's where */

/*
 * "198.51.100.0/24:22", "198.51.100.7:22", "2001:db8::/32:22", "203.0.113.0/24" (every port).
 * An IPv6 guard needs its /len (the port follows it). -EINVAL with e naming the text.
 */
int guard_parse(const char *s, struct eniaddr_guard *g, struct err *e);

/* Back to text as guard_parse reads it. */
void guard_format(const struct eniaddr_guard *g, char buf[GUARD_STRLEN]);

/* Adds g (if not there yet) to the n guards in list (room for ENIADDR_MAX_GUARDS). */
int guard_add(struct eniaddr_guard *list, unsigned int *n, const struct eniaddr_guard *g,
	      struct err *e);

/* Adds the guards to st: the guard group, in every ENI's groups and every override's. Applying
 * again to the same state refreshes it; a group of that name from a configuration is -EEXIST. */
int guard_apply(struct desired_state *st, const struct eniaddr_guard *g, size_t n,
		struct err *e);

#endif
