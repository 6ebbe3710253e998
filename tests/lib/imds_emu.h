/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tests/lib/imds_emu.h — the project's IMDSv2 emulator (tests/imds/emulator.py) inside a test's
 * network namespace, on the real link-local address 169.254.169.254:80 (put on the namespace's
 * lo), so the code under test runs with its default endpoint. The world file format is in
 * emulator.py; tests change it at run time with imds_emu_set_world() (temporary file + rename,
 * so the emulator never reads half a world).
 *
 * Cleanup: imds_emu_stop() kills and reaps it; one still running at exit() is stopped too, and
 * the emulator dies with the test process (PR_SET_PDEATHSIG), also when a test crashes.
 */
#ifndef ENIADDR_TESTS_IMDS_EMU_H
#define ENIADDR_TESTS_IMDS_EMU_H

#include <limits.h>
#include <sys/types.h>

#define IMDS_EMU_ADDR    "169.254.169.254"
#define IMDS_EMU_ADDR_V6 "fd00:ec2::254" /* IMDS's IPv6 endpoint */

struct imds_emu {
	char netns[64];      /* the namespace's name (/run/netns/NAME) */
	char dir[128];       /* temporary directory: world, ready and stats files */
	char world[PATH_MAX];
	pid_t pid;           /* 0 when not running */
};

/* Starts the emulator in netns with world_json as its world; waits until it listens. */
int imds_emu_start(struct imds_emu *m, const char *netns, const char *world_json);

/* The same on another address of the namespace's lo (IMDS_EMU_ADDR_V6: the IPv6 endpoint). */
int imds_emu_start_on(struct imds_emu *m, const char *netns, const char *addr,
		      const char *world_json);

/* Replaces the world (atomically); the emulator reads it on its next request. */
int imds_emu_set_world(struct imds_emu *m, const char *world_json);

/* Kills and reaps the emulator and removes its directory. Safe to repeat. */
void imds_emu_stop(struct imds_emu *m);

/* A counter of the emulator: "requests", "token_puts", "gets", "unauthorized"; -errno. */
long imds_emu_stat(const struct imds_emu *m, const char *name);

/* The emulator script: $ENIADDR_IMDS_EMULATOR, else tests/imds/emulator.py of the source tree
 * the test binary was built in. */
const char *imds_emu_script(void);

#endif
