// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/ledger.c — see ledger.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "kernel/ledger.h"

int ledger_create(struct err *e)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, LEDGER_MAP, sizeof(__u32), sizeof(__u64), 1,
				NULL);

	return fd < 0 ? err_set(e, errno, "creating %s: %s", LEDGER_MAP, strerror(errno)) : fd;
}

/* A pinned map of another layout is refused, as runtime_load does. */
static int check_layout(int fd, const char *path, struct err *e)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return err_set(e, errno, "%s: %s", path, strerror(errno));
	if (info.type != BPF_MAP_TYPE_ARRAY || info.key_size != sizeof(__u32) ||
	    info.value_size != sizeof(__u64) || info.max_entries != 1)
		return err_set(e, EINVAL, "%s was pinned by a build with another layout: run "
			       "`eniaddr-bpf detach --all`, then attach again", path);
	return 0;
}

int ledger_open(const struct pins *p, bool create, struct err *e)
{
	char path[PATH_MAX];
	int fd, err;

	if (pins_path(p, PINS_MAPS, LEDGER_MAP, path, sizeof(path)))
		return err_set(e, ENAMETOOLONG, "%s: path too long", p->dir);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = check_layout(fd, path, e);
		if (err)
			close(fd);
		return err ? err : fd;
	}
	if (errno != ENOENT)
		return err_set(e, errno, "%s: %s", path, strerror(errno));
	if (!create)
		return -ENOENT;
	fd = ledger_create(e);
	if (fd >= 0 && bpf_obj_pin(fd, path)) {
		err = err_set(e, errno, "pinning %s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

int ledger_read(int fd, __u64 *count, struct err *e)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(fd, &key, count))
		return err_set(e, errno, "reading %s: %s", LEDGER_MAP, strerror(errno));
	return 0;
}

int ledger_bump(int fd, __u64 *count, struct err *e)
{
	__u32 key = 0;
	__u64 v;
	int err = ledger_read(fd, &v, e);

	if (err)
		return err;
	v++;
	if (bpf_map_update_elem(fd, &key, &v, BPF_ANY))
		return err_set(e, errno, "writing %s: %s", LEDGER_MAP, strerror(errno));
	if (count)
		*count = v;
	return 0;
}
