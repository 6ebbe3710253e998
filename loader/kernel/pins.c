// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/pins.c — see pins.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "log.h"
#include "kernel/pins.h"

static const char *const subdirs[] = { PINS_MAPS, PINS_PROGS, PINS_LINKS };

int pins_init(struct pins *p, const char *bpffs, struct err *e)
{
	const char *root = bpffs;
	size_t len;

	if (!root || !*root)
		root = getenv(PINS_ENV_ROOT);
	if (!root || !*root)
		root = PINS_DEFAULT_ROOT;
	len = strlen(root);
	while (len > 1 && root[len - 1] == '/') /* "/sys/fs/bpf/" names the same dir */
		len--;
	memset(p, 0, sizeof(*p));
	p->lock_fd = -1;
	if (len >= sizeof(p->root) ||
	    snprintf(p->dir, sizeof(p->dir), "%.*s/%s", (int)len, root, PINS_DIR_NAME) >=
		    (int)sizeof(p->dir))
		return err_set(e, ENAMETOOLONG, "bpffs dir '%s': path too long", root);
	memcpy(p->root, root, len);
	return 0;
}

int pins_path(const struct pins *p, const char *sub, const char *name, char *buf, size_t len)
{
	int n;

	if (name)
		n = snprintf(buf, len, "%s/%s/%s", p->dir, sub, name);
	else
		n = snprintf(buf, len, "%s/%s", p->dir, sub);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

bool pins_exists(const struct pins *p, const char *sub, const char *name)
{
	char path[PATH_MAX];

	return !pins_path(p, sub, name, path, sizeof(path)) && access(path, F_OK) == 0;
}

int pins_not_loaded(const struct pins *p, struct err *e)
{
	return err_set(e, ENOENT,
		       "eniaddr-bpf is not loaded under %s (run `eniaddr-bpf attach DEV` first)",
		       p->root);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	char *s;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (s = buf + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static int dir_is_empty(const char *path)
{
	struct dirent *d;
	DIR *dir = opendir(path);
	int empty = 1;

	if (!dir)
		return -errno;
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(dir);
	return empty;
}

static bool on_bpffs(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

/* Makes root a bpffs: already one (or a directory inside one), or an empty (or new) directory
 * we mount one on. */
static int ensure_bpffs(const struct pins *p, struct err *e)
{
	int err;

	if (on_bpffs(p->root))
		return 0;
	err = mkdir_p(p->root, 0700);
	if (err)
		return err_set(e, -err, "bpffs dir %s: mkdir: %s", p->root, strerror(-err));
	/* A new directory inside a bpffs is on it already: another mount there would be one
	 * that detach never removes. */
	if (on_bpffs(p->root))
		return 0;
	err = dir_is_empty(p->root);
	if (err < 0)
		return err_set(e, -err, "bpffs dir %s: %s", p->root, strerror(-err));
	if (!err)
		return err_set(e, ENOTDIR,
			       "%s is not a bpffs and not empty: refusing to mount a bpffs over it",
			       p->root);
	if (mount("bpf", p->root, "bpf", 0, "mode=0700"))
		return err_set(e, errno, "mount bpffs on %s: %s", p->root, strerror(errno));
	log_info("mounted a bpffs on %s", p->root);
	return 0;
}

static int create_top_dir(const struct pins *p, struct err *e)
{
	if (mkdir(p->dir, 0700) && errno != EEXIST)
		return err_set(e, errno, "%s: mkdir: %s", p->dir, strerror(errno));
	return 0;
}

/* The subdirectories only under the lock: made before it, they could make a concurrent last
 * detach fail to remove a pin dir it just emptied. */
static int create_dirs(const struct pins *p, struct err *e)
{
	char path[PATH_MAX];
	size_t i;
	int err = create_top_dir(p, e);

	if (err)
		return err;
	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		if (pins_path(p, subdirs[i], NULL, path, sizeof(path)))
			return err_set(e, ENAMETOOLONG, "%s: path too long", p->dir);
		if (mkdir(path, 0700) && errno != EEXIST)
			return err_set(e, errno, "%s: mkdir: %s", path, strerror(errno));
	}
	return 0;
}

/*
 * flock() locks the inode behind the fd. A run that waited while another removed the pin dir
 * (the last detach) would hold a lock on a deleted directory, so after locking we check that the
 * path still names the locked inode, and start over if it does not.
 */
int pins_lock(struct pins *p, enum pins_access acc, struct err *e)
{
	int op = acc == PINS_READ ? LOCK_SH : LOCK_EX;
	struct stat locked, now;
	int attempt, fd, err;

	if (p->lock_fd >= 0)
		return err_set(e, EBUSY, "%s: already locked", p->dir);
	for (attempt = 0; attempt < 10; attempt++) {
		if (acc == PINS_CREATE) {
			err = ensure_bpffs(p, e);
			if (err)
				return err;
			err = create_top_dir(p, e);
			if (err)
				return err;
		}
		fd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				return pins_not_loaded(p, e);
			return err_set(e, errno, "%s: %s", p->dir, strerror(errno));
		}
		if (flock(fd, op)) {
			err = errno;
			close(fd);
			return err_set(e, err, "%s: flock: %s", p->dir, strerror(err));
		}
		if (fstat(fd, &locked) == 0 && stat(p->dir, &now) == 0 &&
		    locked.st_dev == now.st_dev && locked.st_ino == now.st_ino) {
			p->lock_fd = fd;
			/* The subdirectories, under the lock (see create_dirs). */
			if (acc == PINS_CREATE) {
				err = create_dirs(p, e);
				if (err) {
					pins_unlock(p);
					return err;
				}
			}
			return 0;
		}
		close(fd); /* removed (or replaced) while we waited */
	}
	return err_set(e, EAGAIN, "%s: keeps being removed and recreated; try again", p->dir);
}

void pins_unlock(struct pins *p)
{
	if (p->lock_fd >= 0)
		close(p->lock_fd); /* closing the last fd releases the flock */
	p->lock_fd = -1;
}

static int empty_subdir(const struct pins *p, const char *sub, struct err *e)
{
	char path[PATH_MAX];
	struct dirent *d;
	int dfd, err = 0;
	DIR *dir;

	if (pins_path(p, sub, NULL, path, sizeof(path)))
		return err_set(e, ENAMETOOLONG, "%s: path too long", p->dir);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : err_set(e, errno, "%s: %s", path, strerror(errno));
	dfd = dirfd(dir);
	while ((d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (unlinkat(dfd, d->d_name, 0) && errno != ENOENT) {
			err = err_set(e, errno, "%s/%s: unlink: %s", path, d->d_name,
				      strerror(errno));
			break;
		}
		log_debug("unpinned %s/%s", path, d->d_name);
	}
	closedir(dir);
	if (!err && rmdir(path) && errno != ENOENT)
		err = err_set(e, errno, "%s: rmdir: %s", path, strerror(errno));
	return err;
}

int pins_remove_all(struct pins *p, struct err *e)
{
	size_t i;
	int err;

	/* Links first: unpinning a link file of an XDP link detaches it when no fd remains. */
	for (i = sizeof(subdirs) / sizeof(subdirs[0]); i-- > 0;) {
		err = empty_subdir(p, subdirs[i], e);
		if (err)
			return err;
	}
	if (rmdir(p->dir) && errno != ENOENT)
		return err_set(e, errno, "%s: rmdir: %s", p->dir, strerror(errno));
	return 0;
}

void pins_remove_if_empty(struct pins *p)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++)
		if (!pins_path(p, subdirs[i], NULL, path, sizeof(path)))
			rmdir(path);
	rmdir(p->dir);
}
