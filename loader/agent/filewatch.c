// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/agent/filewatch.c — see filewatch.h. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "agent/filewatch.h"

int filewatch_open(struct filewatch *fw, struct err *e)
{
	memset(fw, 0, sizeof(*fw));
	fw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fw->fd < 0)
		return err_set(e, errno, "inotify: %s", strerror(errno));
	return 0;
}

int filewatch_add(struct filewatch *fw, const char *path, struct err *e)
{
	char dir[PATH_MAX], base[PATH_MAX];
	int wd;

	if (!path)
		return 0;
	if (fw->n == FILEWATCH_MAX)
		return err_set(e, E2BIG, "more than %d watched files", FILEWATCH_MAX);
	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	wd = inotify_add_watch(fw->fd, dirname(dir), IN_CLOSE_WRITE | IN_MOVED_TO);
	if (wd < 0)
		return err_set(e, errno, "watching %s: %s", path, strerror(errno));
	fw->w[fw->n].wd = wd;
	snprintf(fw->w[fw->n].name, sizeof(fw->w[0].name), "%s", basename(base));
	fw->n++;
	return 0;
}

void filewatch_close(struct filewatch *fw)
{
	if (fw->fd > 0)
		close(fw->fd);
	fw->fd = -1;
}

bool filewatch_read(struct filewatch *fw)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	while ((n = read(fw->fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			for (int i = 0; i < fw->n; i++)
				if (ev->wd == fw->w[i].wd && ev->len &&
				    !strcmp(ev->name, fw->w[i].name))
					changed = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return changed;
}
