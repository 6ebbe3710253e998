// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/lib/imds_emu.c — see imds_emu.h. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clirun.h"
#include "imds_emu.h"
#include "netns.h"

#define READY_WAIT_MS 10000

static struct imds_emu *running[8]; /* for the exit cleanup */

static void stop_all(void)
{
	for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (running[i])
			imds_emu_stop(running[i]);
}

static void track(struct imds_emu *m, bool on)
{
	static bool registered;

	if (!registered) {
		atexit(stop_all);
		registered = true;
	}
	for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++) {
		if (on && !running[i]) {
			running[i] = m;
			return;
		}
		if (!on && running[i] == m)
			running[i] = NULL;
	}
}

const char *imds_emu_script(void)
{
	static char path[PATH_MAX + 64];
	char dir[PATH_MAX];

	if (getenv("ENIADDR_IMDS_EMULATOR"))
		return getenv("ENIADDR_IMDS_EMULATOR");
	if (clirun_self_dir(dir, sizeof(dir)))
		return "tests/imds/emulator.py";
	/* build/tests/test_x -> build/tests/../../tests/imds/emulator.py */
	snprintf(path, sizeof(path), "%s/../../tests/imds/emulator.py", dir);
	return access(path, R_OK) ? "tests/imds/emulator.py" : path;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -errno;
	ok = fputs(text, f) >= 0;
	ok = !fclose(f) && ok;
	return ok ? 0 : -EIO;
}

int imds_emu_set_world(struct imds_emu *m, const char *world_json)
{
	char tmp[PATH_MAX + 8];
	int err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", m->world);
	err = write_file(tmp, world_json);
	if (!err && rename(tmp, m->world))
		err = -errno;
	return err;
}

static void child(const struct imds_emu *m, const char *addr)
{
	char nspath[128], ready[PATH_MAX], stats[PATH_MAX], listen[64];
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	snprintf(nspath, sizeof(nspath), "/run/netns/%s", m->netns);
	fd = open(nspath, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		_exit(126);
	snprintf(ready, sizeof(ready), "%s/ready", m->dir);
	snprintf(stats, sizeof(stats), "%s/stats.json", m->dir);
	snprintf(listen, sizeof(listen), strchr(addr, ':') ? "[%s]:80" : "%s:80", addr);
	dup2(STDERR_FILENO, STDOUT_FILENO); /* its chatter is a log, never a test's or bench's output */
	execlp("python3", "python3", imds_emu_script(), "--world", m->world, "--listen", listen,
	       "--ready-file", ready, "--stats", stats, (char *)NULL);
	_exit(127);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static int wait_ready(struct imds_emu *m)
{
	char ready[PATH_MAX];
	long deadline = now_ms() + READY_WAIT_MS;

	snprintf(ready, sizeof(ready), "%s/ready", m->dir);
	while (access(ready, F_OK)) {
		int status;

		if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
			m->pid = 0;
			fprintf(stderr, "imds_emu: the emulator exited (status %d)\n", status);
			return -ECHILD;
		}
		if (now_ms() > deadline)
			return -ETIMEDOUT;
		usleep(20 * 1000);
	}
	return 0;
}

int imds_emu_start(struct imds_emu *m, const char *netns, const char *world_json)
{
	return imds_emu_start_on(m, netns, IMDS_EMU_ADDR, world_json);
}

int imds_emu_start_on(struct imds_emu *m, const char *netns, const char *addr,
		      const char *world_json)
{
	bool v6 = strchr(addr, ':') != NULL;
	int err;

	memset(m, 0, sizeof(*m));
	snprintf(m->netns, sizeof(m->netns), "%s", netns);
	snprintf(m->dir, sizeof(m->dir), "/tmp/eniaddr-imds-%d-XXXXXX", getpid());
	if (!mkdtemp(m->dir))
		return -errno;
	snprintf(m->world, sizeof(m->world), "%s/world.json", m->dir);
	err = imds_emu_set_world(m, world_json);
	if (!err && netns_exec(NULL, "ip -n %s link set lo up && "
			       "ip -n %s addr replace %s/%d dev lo%s", netns, netns, addr,
			       v6 ? 128 : 32, v6 ? " nodad" : ""))
		err = -EIO;
	if (err)
		goto fail;
	m->pid = fork();
	if (m->pid < 0) {
		err = -errno;
		m->pid = 0;
		goto fail;
	}
	if (m->pid == 0)
		child(m, addr);
	track(m, true);
	err = wait_ready(m);
	if (!err)
		return 0;
fail:
	imds_emu_stop(m);
	return err;
}

void imds_emu_stop(struct imds_emu *m)
{
	char cmd[PATH_MAX + 16];

	if (m->pid > 0) {
		kill(m->pid, SIGTERM);
		waitpid(m->pid, NULL, 0);
		m->pid = 0;
	}
	track(m, false);
	if (m->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", m->dir);
		if (system(cmd))
			fprintf(stderr, "imds_emu: could not remove %s\n", m->dir);
		m->dir[0] = '\0';
	}
}

long imds_emu_stat(const struct imds_emu *m, const char *name)
{
	char path[PATH_MAX];
	struct json_object *root, *v;
	long n = -ENOENT;

	snprintf(path, sizeof(path), "%s/stats.json", m->dir);
	root = json_object_from_file(path);
	if (!root)
		return -EIO;
	if (json_object_object_get_ex(root, name, &v))
		n = (long)json_object_get_int64(v);
	json_object_put(root);
	return n;
}
