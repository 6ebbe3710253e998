/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cli/session.h — what every command does first and last: pick the pin dir, lock it (shared to
 * read, exclusive to change), make sure the object is loaded (changing commands), open the maps;
 * and at the end close and unlock. One place, so no command forgets the lock.
 */
#ifndef ENIADDR_CLI_SESSION_H
#define ENIADDR_CLI_SESSION_H

#include <stdbool.h>

#include "args.h"
#include "kernel/pins.h"
#include "kernel/runtime.h"

struct session {
	struct pins pins;
	struct map_fds maps;
	bool created; /* this run loaded the object (PINS_CREATE only) */
};

/* acc: PINS_READ (status, stats), PINS_WRITE (detach), PINS_CREATE (attach, apply, sync). */
int session_open(const struct cli_args *a, enum pins_access acc, struct session *s,
		 struct err *e);

/*
 * For a changing command that failed: when this run loaded the object and nothing uses it (no
 * device attached, nothing published), unload it, so a failed first command leaves nothing.
 */
void session_undo_load(struct session *s);

void session_close(struct session *s);

#endif
