// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/agent_record.c — see agent_record.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "kernel/agent_record.h"

static int record_path(const struct pins *p, char *buf, size_t len, struct err *e)
{
	if (pins_path(p, PINS_MAPS, AGENT_RECORD_MAP, buf, len))
		return err_set(e, ENAMETOOLONG, "%s: path too long", p->dir);
	return 0;
}

/* A pinned map of another layout (an older build) is refused, as runtime_load does. */
static int check_layout(int fd, const char *path, struct err *e)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return err_set(e, errno, "%s: %s", path, strerror(errno));
	if (info.type != BPF_MAP_TYPE_HASH || info.key_size != sizeof(__u32) ||
	    info.value_size != sizeof(struct agent_record))
		return err_set(e, EINVAL, "%s was pinned by a build with another layout: remove it "
			       "(rm %s) and start the agent again", path, path);
	return 0;
}

int agent_record_open(const struct pins *p, struct err *e)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	char path[PATH_MAX];
	int fd, err;

	err = record_path(p, path, sizeof(path), e);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = check_layout(fd, path, e);
		if (err) {
			close(fd);
			return err;
		}
		return fd;
	}
	if (errno != ENOENT)
		return err_set(e, errno, "%s: %s", path, strerror(errno));
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, AGENT_RECORD_MAP, sizeof(__u32),
			    sizeof(struct agent_record), 1, &o);
	if (fd < 0)
		return err_set(e, errno, "creating %s: %s", AGENT_RECORD_MAP, strerror(errno));
	if (bpf_obj_pin(fd, path)) {
		err = err_set(e, errno, "pinning %s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

int agent_record_write(int fd, const struct agent_record *r, struct err *e)
{
	__u32 key = 0;

	if (bpf_map_update_elem(fd, &key, r, BPF_ANY))
		return err_set(e, errno, "writing %s: %s", AGENT_RECORD_MAP, strerror(errno));
	return 0;
}

int agent_record_read(const struct pins *p, struct agent_record *r, struct err *e)
{
	char path[PATH_MAX];
	__u32 key = 0;
	int fd, err;

	err = record_path(p, path, sizeof(path), e);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : err_set(e, errno, "%s: %s", path,
							   strerror(errno));
	err = check_layout(fd, path, e);
	if (!err && bpf_map_lookup_elem(fd, &key, r))
		err = errno == ENOENT ? -ENOENT : err_set(e, errno, "reading %s: %s", path,
							  strerror(errno));
	close(fd);
	if (!err && r->version != AGENT_RECORD_VERSION)
		err = err_set(e, EINVAL, "%s: record version %u, this build reads %u", path,
			      r->version, AGENT_RECORD_VERSION);
	return err;
}
