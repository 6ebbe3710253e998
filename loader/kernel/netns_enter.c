// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/netns_enter.c — see netns_enter.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "kernel/netns_enter.h"

int netns_join(const char *name, struct err *e)
{
	char path[PATH_MAX];
	int fd, err = 0;

	if (!name || !*name)
		return err_set(e, EINVAL, "netns: empty name");
	if (strchr(name, '/'))
		snprintf(path, sizeof(path), "%s", name); /* a path, e.g. /proc/PID/ns/net */
	else if (snprintf(path, sizeof(path), "%s/%s", NETNS_JOIN_DIR, name) >= (int)sizeof(path))
		return err_set(e, ENAMETOOLONG, "netns %s: name too long", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, errno, "netns %s: %s: %s", name, path, strerror(errno));
	if (setns(fd, CLONE_NEWNET))
		err = err_set(e, errno, "netns %s: setns: %s", name, strerror(errno));
	else
		log_debug("entered network namespace %s", path);
	close(fd);
	return err;
}
