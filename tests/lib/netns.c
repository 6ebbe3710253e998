// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/lib/netns.c — see netns.h. Namespaces are made by `ip netns add` (which also sets up the
 * /run/netns bind-mount directory) and removed the way `ip netns del` does it, with
 * umount2 + unlink, which are async-signal-safe and so also serve the signal handler.
 */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#define NETNS_RUN_DIR "/run/netns/"
#define NETNS_LIVE_MAX 32 /* namespaces one process holds at once */

/* Namespaces alive, for the exit and signal cleanup. Paths are kept ready so that the signal
 * handler only calls umount2 and unlink. */
static char live_path[NETNS_LIVE_MAX][sizeof(NETNS_RUN_DIR) + NETNS_NAME_MAX];
static volatile sig_atomic_t live_used[NETNS_LIVE_MAX];
static pid_t owner_pid;     /* forked children must not clean up their parent's namespaces */
static int home_fd = -1;    /* the namespace the process started in */
static int inside_fd = -1;  /* the netns fd we entered, -1 when at home */
static unsigned int serial; /* distinguishes namespaces of one process */

static void unbind_all(void)
{
	int i;

	if (getpid() != owner_pid)
		return;
	for (i = 0; i < NETNS_LIVE_MAX; i++) {
		if (!live_used[i])
			continue;
		umount2(live_path[i], MNT_DETACH);
		unlink(live_path[i]);
		live_used[i] = 0;
	}
}

/* Deadly signals: unbind, then die of the signal as we would have. SIGKILL cannot be caught;
 * `ip netns list | grep eniaddr-` finds what such a death leaves. */
static void on_signal(int sig)
{
	unbind_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void cleanup_once_registered(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGABRT,
				    SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	struct sigaction sa = { .sa_handler = on_signal };
	size_t i;

	if (owner_pid == getpid())
		return;
	owner_pid = getpid();
	atexit(unbind_all);
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

static int home(void)
{
	if (home_fd < 0) {
		home_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (home_fd < 0)
			return -errno;
	}
	return 0;
}

/* fork + (setns) + execvp; returns the exit status or -errno. */
static int run_in(int ns_fd, char *const argv[])
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (ns_fd >= 0 && setns(ns_fd, CLONE_NEWNET) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status))
		return -ECHILD;
	return WEXITSTATUS(status);
}

/* An `ip` command that must succeed. */
static int ip_cmd(char *const argv[])
{
	int rc = run_in(-1, argv);

	return rc > 0 ? -EIO : rc;
}

int netns_create(struct netns *ns, const char *tag)
{
	char path[sizeof(live_path[0])];
	int slot, rc;

	ns->fd = -1;
	ns->name[0] = '\0';
	cleanup_once_registered();
	rc = home();
	if (rc)
		return rc;
	for (slot = 0; slot < NETNS_LIVE_MAX && live_used[slot]; slot++)
		;
	if (slot == NETNS_LIVE_MAX)
		return -EMFILE;

	rc = snprintf(ns->name, sizeof(ns->name), "eniaddr-%s-%d-%u", tag, (int)getpid(),
		      serial++);
	if (rc < 0 || (size_t)rc >= sizeof(ns->name))
		return -ENAMETOOLONG;
	snprintf(path, sizeof(path), NETNS_RUN_DIR "%s", ns->name);

	rc = ip_cmd((char *const[]){ "ip", "netns", "add", ns->name, NULL });
	if (rc)
		goto fail_name;
	memcpy(live_path[slot], path, sizeof(path));
	live_used[slot] = 1;
	ns->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = ip_cmd((char *const[]){ "ip", "-n", ns->name, "link", "set", "lo", "up", NULL });
	if (rc)
		goto fail;
	return 0;
fail:
	netns_destroy(ns);
	return rc;
fail_name:
	ns->name[0] = '\0';
	return rc;
}

void netns_destroy(struct netns *ns)
{
	char path[sizeof(live_path[0])];
	int i;

	if (ns->fd >= 0 && inside_fd == ns->fd)
		netns_leave();
	if (ns->name[0]) {
		snprintf(path, sizeof(path), NETNS_RUN_DIR "%s", ns->name);
		umount2(path, MNT_DETACH);
		unlink(path);
		for (i = 0; i < NETNS_LIVE_MAX; i++)
			if (live_used[i] && !strcmp(live_path[i], path))
				live_used[i] = 0;
	}
	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
	ns->name[0] = '\0';
}

int netns_enter(const struct netns *ns)
{
	int rc = home();

	if (rc)
		return rc;
	if (setns(ns->fd, CLONE_NEWNET) < 0)
		return -errno;
	inside_fd = ns->fd;
	return 0;
}

int netns_leave(void)
{
	if (inside_fd < 0)
		return 0;
	if (setns(home_fd, CLONE_NEWNET) < 0)
		return -errno;
	inside_fd = -1;
	return 0;
}

int netns_veth_add(const struct netns *ns, const char *name, const struct netns *peer_ns,
		   const char *peer_name)
{
	const char *peer_ns_name = peer_ns ? peer_ns->name : ns->name;
	int rc;

	if (strlen(name) >= IFNAMSIZ || strlen(peer_name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	rc = ip_cmd((char *const[]){ "ip", "-n", (char *)ns->name, "link", "add", (char *)name,
				     "type", "veth", "peer", "name", (char *)peer_name, "netns",
				     (char *)peer_ns_name, NULL });
	if (rc)
		return rc;
	rc = ip_cmd((char *const[]){ "ip", "-n", (char *)ns->name, "link", "set", (char *)name,
				     "up", NULL });
	if (rc)
		return rc;
	return ip_cmd((char *const[]){ "ip", "-n", (char *)peer_ns_name, "link", "set",
				       (char *)peer_name, "up", NULL });
}

int netns_ifindex(const struct netns *ns, const char *ifname)
{
	int saved, idx, err = 0;

	saved = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (saved < 0)
		return -errno;
	if (setns(ns->fd, CLONE_NEWNET) < 0) {
		err = -errno;
		close(saved);
		return err;
	}
	idx = (int)if_nametoindex(ifname);
	if (setns(saved, CLONE_NEWNET) < 0)
		err = -errno;
	close(saved);
	if (err)
		return err;
	return idx > 0 ? idx : -ENODEV;
}

int netns_exec(const struct netns *ns, const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	rc = run_in(ns ? ns->fd : -1, (char *const[]){ "sh", "-c", cmd, NULL });
	free(cmd);
	return rc;
}
