// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/status_note.c — see status_note.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kernel/status_note.h"

/* DIR/<pin dir with '/' as '-'>.json: "/sys/fs/bpf/eniaddr" -> "sys-fs-bpf-eniaddr.json". */
static int note_path(const struct pins *p, char *buf, size_t len, const char **dir)
{
	const char *d = getenv(STATUS_NOTE_ENV_DIR) ?: STATUS_NOTE_DEFAULT_DIR;
	const char *s = p->dir;
	size_t n;
	int w;

	while (*s == '/')
		s++;
	w = snprintf(buf, len, "%s/", d);
	if (w < 0 || (size_t)w >= len)
		return -ENAMETOOLONG;
	n = (size_t)w;
	for (; *s && n + 6 < len; s++)
		buf[n++] = *s == '/' ? '-' : *s;
	if (*s)
		return -ENAMETOOLONG;
	snprintf(buf + n, len - n, ".json");
	*dir = d;
	return 0;
}

int status_note_write(const struct pins *p, uint64_t generation, struct json_object *facts,
		      struct err *e)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	const char *dir;
	int ret = note_path(p, path, sizeof(path), &dir);

	if (ret)
		return err_set(e, -ret, "status note for %s: path too long", p->dir);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return err_set(e, errno, "status note: mkdir %s: %s", dir, strerror(errno));
	json_object_object_add(facts, "generation", json_object_new_uint64(generation));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_object_to_file_ext(tmp, facts, JSON_C_TO_STRING_PLAIN) ||
	    rename(tmp, path)) {
		ret = errno ?: EIO;
		unlink(tmp);
		return err_set(e, ret, "status note %s: %s", path, strerror(ret));
	}
	return 0;
}

struct json_object *status_note_read(const struct pins *p, uint64_t generation)
{
	char path[PATH_MAX];
	struct json_object *o, *g;
	const char *dir;

	if (note_path(p, path, sizeof(path), &dir) || access(path, R_OK))
		return NULL;
	o = json_object_from_file(path);
	if (o && (!json_object_object_get_ex(o, "generation", &g) ||
		  json_object_get_uint64(g) != generation)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}
