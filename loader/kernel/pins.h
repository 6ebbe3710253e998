/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/pins.h — where eniaddr-bpf keeps its objects between CLI runs, and who may touch them.
 *
 * Layout: ROOT/eniaddr/{maps,progs,links}/NAME, ROOT being a bpffs: `--bpffs DIR`, else
 * $ENIADDR_BPFFS, else /sys/fs/bpf. Maps and programs are pinned by their ELF names; XDP links
 * as links/xdp-IFINDEX. tc filters need no pin (the qdisc holds them).
 *
 * Every CLI run locks ROOT/eniaddr with flock(): LOCK_EX to change anything, LOCK_SH to read, so
 * two runs never interleave a publish, an attach or an unload. Two simulated instances on one
 * machine use two roots.
 */
#ifndef ENIADDR_PINS_H
#define ENIADDR_PINS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define PINS_DEFAULT_ROOT "/sys/fs/bpf"
#define PINS_ENV_ROOT     "ENIADDR_BPFFS"
#define PINS_DIR_NAME     "eniaddr"
#define PINS_MAPS         "maps"
#define PINS_PROGS        "progs"
#define PINS_LINKS        "links"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

struct pins {
	char root[PATH_MAX / 2]; /* the bpffs mount */
	char dir[PATH_MAX / 2];  /* root/eniaddr */
	int lock_fd;             /* the locked pin dir, -1 when not locked */
};

enum pins_access {
	PINS_READ,   /* LOCK_SH; the pin dir must exist */
	PINS_WRITE,  /* LOCK_EX; the pin dir must exist */
	PINS_CREATE, /* LOCK_EX; mounts a bpffs on root if needed, creates the pin dirs */
};

/* Picks the root (bpffs, else $ENIADDR_BPFFS, else /sys/fs/bpf). No syscalls. */
int pins_init(struct pins *p, const char *bpffs, struct err *e);

/*
 * Locks the pin dir for acc. PINS_READ/PINS_WRITE on a missing dir is -ENOENT with "eniaddr-bpf
 * is not loaded under ROOT (...)". A root that is not a bpffs is mounted only if it is empty (or
 * missing): mounting over a populated directory would hide it.
 */
int pins_lock(struct pins *p, enum pins_access acc, struct err *e);
void pins_unlock(struct pins *p);

/* ROOT/eniaddr/SUB/NAME into buf; -ENAMETOOLONG if it does not fit. */
int pins_path(const struct pins *p, const char *sub, const char *name, char *buf, size_t len);
bool pins_exists(const struct pins *p, const char *sub, const char *name);

/* -ENOENT with the "not loaded" message; for callers that find a pin missing. */
int pins_not_loaded(const struct pins *p, struct err *e);

/* Removes the pin dirs if they hold nothing (rmdir only: never a pin). */
void pins_remove_if_empty(struct pins *p);

/* Removes every pin under the pin dir and the dir itself (the lock fd stays valid). */
int pins_remove_all(struct pins *p, struct err *e);

#endif
