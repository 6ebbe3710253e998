/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/agent/filewatch.h — inotify on the agent's rule files. Each file's directory is watched
 * (editors and `mv` replace a file by renaming a new one over it, which a watch on the file
 * itself would miss) and events are filtered by name: written and closed, or moved in (a file
 * created empty and then written counts once it is closed, never half written).
 */
#ifndef ENIADDR_AGENT_FILEWATCH_H
#define ENIADDR_AGENT_FILEWATCH_H

#include <stdbool.h>

#include "err.h"

#define FILEWATCH_MAX 4

struct filewatch {
	int fd;
	int n;
	struct { int wd; char name[256]; } w[FILEWATCH_MAX];
};

int filewatch_open(struct filewatch *fw, struct err *e);
/* Watches path (NULL: nothing). */
int filewatch_add(struct filewatch *fw, const char *path, struct err *e);
void filewatch_close(struct filewatch *fw);

/* Drains the queue; true when a watched file changed. */
bool filewatch_read(struct filewatch *fw);

#endif
