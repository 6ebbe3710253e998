// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/lib/clirun.c — see clirun.h. */
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clirun.h"

int clirun_self_dir(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n < 0)
		return -errno;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	return snprintf(buf, len, "%s", self) < (int)len ? 0 : -ENAMETOOLONG;
}

const char *clirun_binary(void)
{
	static char path[PATH_MAX + 32];
	char dir[PATH_MAX];

	if (getenv("ENIADDR_CLI"))
		return getenv("ENIADDR_CLI");
	if (path[0])
		return path;
	if (clirun_self_dir(dir, sizeof(dir)))
		return "build/eniaddr-bpf";
	snprintf(path, sizeof(path), "%s/../eniaddr-bpf", dir);
	return path;
}

int clirun_init(struct clirun *c, const char *netns)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->netns, sizeof(c->netns), "%s", netns ? netns : "");
	snprintf(c->dir, sizeof(c->dir), "/tmp/eniaddr-e2e-XXXXXX");
	if (!mkdtemp(c->dir))
		return -errno;
	snprintf(c->bpffs, sizeof(c->bpffs), "%s/bpffs", c->dir);
	return 0;
}

void clirun_cleanup(struct clirun *c)
{
	char cmd[512];

	if (!c->dir[0])
		return;
	clirun(c, NULL, 0, "detach --all");
	umount2(c->bpffs, MNT_DETACH);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", c->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "clirun: could not remove %s\n", c->dir);
	c->dir[0] = '\0';
}

int clirun(struct clirun *c, char *out, size_t len, const char *fmt, ...)
{
	char args[1024], cmd[2048];
	size_t used = 0;
	va_list ap;
	FILE *p;
	int status;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s%s --bpffs '%s' %s 2>&1", clirun_binary(),
		 c->netns[0] ? "--netns " : "", c->netns, c->bpffs, args);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	if (out && len) {
		while (used + 1 < len) {
			size_t got = fread(out + used, 1, len - 1 - used, p);

			if (!got)
				break;
			used += got;
		}
		out[used] = '\0';
	}
	/* Drain what did not fit so the child never blocks on a full pipe. */
	while (fgetc(p) != EOF)
		;
	status = pclose(p);
	if (status < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}

int clirun_write_file(struct clirun *c, const char *name, const char *text, char *path)
{
	FILE *f;

	snprintf(path, PATH_MAX, "%s/%s", c->dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

static bool field_is(struct json_object *o, const char *key, const char *want)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       strcmp(json_object_get_string(v), want) == 0;
}

long clirun_counter(struct clirun *c, const char *dev, const char *dir, const char *reason,
		    const char *action)
{
	static char out[1 << 20];
	struct json_object *rows, *v;
	long sum = 0;
	int rc;

	rc = clirun(c, out, sizeof(out), "-j stats");
	if (rc != 0)
		return rc < 0 ? rc : -EIO;
	rows = json_tokener_parse(out);
	if (!rows || !json_object_is_type(rows, json_type_array)) {
		json_object_put(rows);
		return -EPROTO;
	}
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		struct json_object *o = json_object_array_get_idx(rows, i);

		if (field_is(o, "ifname", dev) && field_is(o, "dir", dir) &&
		    field_is(o, "reason", reason) && field_is(o, "action", action) &&
		    json_object_object_get_ex(o, "packets", &v))
			sum += json_object_get_int64(v);
	}
	json_object_put(rows);
	return sum;
}
