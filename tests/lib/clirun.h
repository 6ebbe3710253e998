/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tests/lib/clirun.h — runs the real eniaddr-bpf binary against one simulated instance: its
 * network namespace and a private bpffs in a temporary directory, so tests never see the host's
 * pins and two instances never share maps. User space only.
 */
#ifndef ENIADDR_TESTS_CLIRUN_H
#define ENIADDR_TESTS_CLIRUN_H

#include <stddef.h>

struct clirun {
	char netns[64];    /* the instance's namespace ("" = current) */
	char dir[128];     /* temporary directory: bpffs mount point and config files */
	char bpffs[160];
};

/* Creates the temporary directory (bpffs is mounted by the CLI itself on first use). */
int clirun_init(struct clirun *c, const char *netns);

/* Detaches everything still attached, unmounts the private bpffs and removes the directory. */
void clirun_cleanup(struct clirun *c);

/* Runs `eniaddr-bpf --netns NS --bpffs DIR ARGS` (ARGS built like printf). stdout and stderr go
 * into out (NUL-terminated, may be NULL). Returns the exit status, or -errno. */
int clirun(struct clirun *c, char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Writes text to DIR/name and puts the path into path (PATH_MAX bytes). */
int clirun_write_file(struct clirun *c, const char *name, const char *text, char *path);

/* Sum of the counter (dev, dir, reason, action) read from `stats -j`; -errno on failure. */
long clirun_counter(struct clirun *c, const char *dev, const char *dir, const char *reason,
		    const char *action);

/* The directory of the running test binary (build/tests). */
int clirun_self_dir(char *buf, size_t len);

/* The path of the eniaddr-bpf binary: $ENIADDR_CLI, else ../eniaddr-bpf next to the test. */
const char *clirun_binary(void);

#endif
