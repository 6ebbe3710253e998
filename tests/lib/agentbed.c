// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/lib/agentbed.c — see agentbed.h. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentbed.h"

static int wait_synced(struct agentbed *b, int timeout_ms)
{
	__u64 end = pubprobe_now_ms() + (__u64)timeout_ms;
	struct agent_record r;

	while (pubprobe_now_ms() < end) {
		if (b->probe.maps.state < 0)
			pubprobe_open(&b->probe, b->cli.bpffs);
		if (b->probe.maps.state >= 0 && !pubprobe_agent(&b->probe, &r) &&
		    r.pid == (__u32)b->agent && r.reconciles && !r.result)
			return 0;
		if (waitpid(b->agent, NULL, WNOHANG) == b->agent) {
			b->agent = 0;
			return -ECHILD;
		}
		usleep(20000);
	}
	return -ETIMEDOUT;
}

int agentbed_start(struct agentbed *b, const char *ns, const char *world, const char *sgs_json,
		   const char *const *extra)
{
	const char *argv[32];
	int n = 0, err;

	memset(b, 0, sizeof(*b));
	map_fds_init(&b->probe.maps);
	snprintf(b->ns, sizeof(b->ns), "%s", ns);
	err = imds_emu_start(&b->emu, ns, world);
	if (!err)
		err = clirun_init(&b->cli, ns);
	if (!err)
		err = clirun_write_file(&b->cli, "sgs.json", sgs_json, b->sgs);
	if (err)
		return err;
	argv[n++] = clirun_binary();
	argv[n++] = "--netns";
	argv[n++] = b->ns;
	argv[n++] = "--bpffs";
	argv[n++] = b->cli.bpffs;
	argv[n++] = "run";
	argv[n++] = "--security-groups";
	argv[n++] = b->sgs;
	for (int i = 0; extra && extra[i] && n < 31; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	b->agent = fork();
	if (b->agent < 0)
		return -errno;
	if (b->agent == 0) {
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return wait_synced(b, 10000);
}

int agentbed_sigterm(pid_t *pid)
{
	int status = -1;

	if (*pid <= 0)
		return -1;
	kill(*pid, SIGTERM);
	waitpid(*pid, &status, 0);
	*pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void agentbed_stop(struct agentbed *b)
{
	agentbed_sigterm(&b->agent);
	b->agent = 0;
	pubprobe_close(&b->probe);
	map_fds_init(&b->probe.maps);
	if (b->cli.dir[0])
		clirun_cleanup(&b->cli);
	b->cli.dir[0] = '\0';
	imds_emu_stop(&b->emu);
}

/* Field n (1-based) of /proc/PID/stat after the command name. */
static long stat_field(pid_t pid, int n)
{
	char path[64], buf[1024], *p;
	long v = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')'))) {
		p += 2; /* field 3 starts here */
		for (int i = 3; i < n && p; i++)
			p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
		if (p)
			v = strtol(p, NULL, 10);
	}
	fclose(f);
	return v;
}

long agentbed_rss_kb(const struct agentbed *b)
{
	char path[64], line[256];
	long kb = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)b->agent);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

long agentbed_cpu_ticks(const struct agentbed *b)
{
	long u = stat_field(b->agent, 14), s = stat_field(b->agent, 15);

	return u < 0 ? u : s < 0 ? s : u + s;
}

int agentbed_ifindex(const struct agentbed *b, const char *dev)
{
	char path[128];
	int self, fd, idx;

	snprintf(path, sizeof(path), "/run/netns/%s", b->ns);
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || fd < 0 || setns(fd, CLONE_NEWNET)) {
		idx = -errno;
	} else {
		idx = (int)if_nametoindex(dev);
		idx = idx ? idx : -ENODEV;
		if (setns(self, CLONE_NEWNET))
			idx = -errno;
	}
	if (fd >= 0)
		close(fd);
	if (self >= 0)
		close(self);
	return idx;
}
