// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_bpf_pins.c — where the pin dir goes and which bpffs mount holds it (loader/kernel/pins.c),
 * against the real kernel (root: mount). A private bpffs is mounted on a temp dir; every case
 * locks a pin root for PINS_CREATE the way `attach` does and checks what got mounted:
 *   - a root inside that bpffs that does not exist yet is created there, never mounted over
 *     (a second mount would outlive the last detach);
 *   - an empty directory elsewhere gets a bpffs of its own;
 *   - a populated non-bpffs directory is refused, nothing mounted.
 * Everything under the temp dir is unmounted and removed at teardown, also when a case failed.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cmocka.h>

#include "kernel/pins.h"

static struct {
	char tmp[64];     /* /tmp/eniaddr-pins-XXXXXX */
	char bpffs[128];  /* tmp/bpf: the private bpffs */
} fx;

static void path_in(char *buf, size_t len, const char *rel)
{
	assert_true((size_t)snprintf(buf, len, "%s/%s", fx.tmp, rel) < len);
}

static dev_t dev_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_dev;
}

static bool is_bpffs(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

/* Locks root for PINS_CREATE (which mounts and creates what it needs) and unlocks again. */
static int lock_create(const char *root, struct pins *p, struct err *e)
{
	int rc = pins_init(p, root, e);

	if (!rc)
		rc = pins_lock(p, PINS_CREATE, e);
	pins_unlock(p);
	return rc;
}

static void test_new_dir_inside_bpffs_is_not_mounted_over(void **state)
{
	char root[PATH_MAX], parent[PATH_MAX];
	struct pins p;
	struct err e = {};

	(void)state;
	path_in(root, sizeof(root), "bpf/not-yet/there");
	path_in(parent, sizeof(parent), "bpf");
	assert_int_equal(lock_create(root, &p, &e), 0);
	assert_true(is_bpffs(root));
	/* Same device as the private bpffs: created in it, not a new mount on top. */
	assert_true(dev_of(root) == dev_of(parent));
	assert_int_equal(access(p.dir, F_OK), 0);
	assert_int_equal(pins_remove_all(&p, &e), 0);
	assert_int_equal(access(p.dir, F_OK), -1);
}

static void test_empty_dir_gets_a_bpffs(void **state)
{
	char root[PATH_MAX];
	struct pins p;
	struct err e = {};

	(void)state;
	path_in(root, sizeof(root), "plain");
	assert_false(is_bpffs(fx.tmp));
	assert_int_equal(lock_create(root, &p, &e), 0);
	assert_true(is_bpffs(root));
	assert_true(dev_of(root) != dev_of(fx.tmp));
	assert_int_equal(umount2(root, MNT_DETACH), 0);
}

static void test_populated_dir_is_refused(void **state)
{
	char root[PATH_MAX], file[PATH_MAX];
	struct pins p;
	struct err e = {};
	FILE *f;

	(void)state;
	path_in(root, sizeof(root), "full");
	path_in(file, sizeof(file), "full/keep-me");
	assert_int_equal(mkdir(root, 0700), 0);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(lock_create(root, &p, &e), -ENOTDIR);
	assert_non_null(strstr(e.msg, "not a bpffs and not empty"));
	assert_false(is_bpffs(root));
	assert_int_equal(access(file, F_OK), 0);
}

static int group_teardown(void **state)
{
	char cmd[256];

	(void)state;
	if (!fx.tmp[0])
		return 0;
	/* Every mount below tmp, deepest first, then the files. */
	snprintf(cmd, sizeof(cmd),
		 "grep -o ' %s[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l; "
		 "rm -rf '%s'", fx.tmp, fx.tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "test_bpf_pins: cleaning %s failed\n", fx.tmp);
	fx.tmp[0] = '\0';
	return 0;
}

static int group_setup(void **state)
{
	snprintf(fx.tmp, sizeof(fx.tmp), "/tmp/eniaddr-pins-XXXXXX");
	if (!mkdtemp(fx.tmp)) {
		fx.tmp[0] = '\0';
		return -1;
	}
	snprintf(fx.bpffs, sizeof(fx.bpffs), "%s/bpf", fx.tmp);
	if (mkdir(fx.bpffs, 0700) || mount("bpf", fx.bpffs, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "test_bpf_pins: mounting a bpffs on %s: %s\n", fx.bpffs,
			strerror(errno));
		group_teardown(state);
		return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_dir_inside_bpffs_is_not_mounted_over),
		cmocka_unit_test(test_empty_dir_gets_a_bpffs),
		cmocka_unit_test(test_populated_dir_is_refused),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_bpf_pins: needs root (mount)\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
