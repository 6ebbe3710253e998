// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/confirm.c — see confirm.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernel/confirm.h"
#include "kernel/ctl.h"
#include "log.h"

static __u64 boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + (__u64)ts.tv_nsec;
}

static void clear_record(struct eniaddr_ctl *c)
{
	c->confirm_deadline_ns = 0;
	c->confirm_generation = 0;
	c->confirm_revert_slot = 0;
	c->confirm_watchdog_pid = 0;
}

/* Reverts the pending publish of c now and clears the record. */
static int revert_now(const struct map_fds *m, struct eniaddr_ctl *c, struct err *e)
{
	struct publish_result r;
	int err = publish_revert(m, c->confirm_revert_slot, &r, e);

	if (err)
		return err;
	log_warn("generation %llu was not confirmed in time: reverted to the previous "
		 "configuration as generation %llu", (unsigned long long)c->confirm_generation,
		 (unsigned long long)r.generation);
	clear_record(c);
	return ctl_write(m, c, e);
}

int confirm_revert_if_expired(const struct map_fds *m, bool *reverted, struct err *e)
{
	struct eniaddr_ctl c;
	int err = ctl_read(m, &c, e);

	if (reverted)
		*reverted = false;
	if (err || !c.confirm_deadline_ns || boottime_ns() < c.confirm_deadline_ns)
		return err;
	err = revert_now(m, &c, e);
	if (!err && reverted)
		*reverted = true;
	return err;
}

bool confirm_pending(const struct map_fds *m, __u64 *generation, __s64 *seconds_left)
{
	struct eniaddr_ctl c;
	struct err ignored = {};

	if (ctl_read(m, &c, &ignored) || !c.confirm_deadline_ns)
		return false;
	*generation = c.confirm_generation;
	*seconds_left = ((__s64)c.confirm_deadline_ns - (__s64)boottime_ns()) / 1000000000;
	return true;
}

int confirm_refuse_if_pending(const struct map_fds *m, struct err *e)
{
	__u64 gen;
	__s64 left;

	if (!confirm_pending(m, &gen, &left))
		return 0;
	return err_set(e, EBUSY, "generation %llu waits for `eniaddr-bpf confirm` (reverted in "
		       "%llds): confirm it or let it revert before publishing again",
		       (unsigned long long)gen, (long long)(left > 0 ? left : 0));
}

/* The watchdog, in its own process: sleep to the deadline, then revert under the lock. */
static void watchdog(const char *root, __u64 generation, __u64 deadline_ns)
{
	struct timespec ts = { (time_t)(deadline_ns / 1000000000ull),
			       (long)(deadline_ns % 1000000000ull) };
	struct map_fds m;
	struct eniaddr_ctl c;
	struct pins p;
	struct err e = {};

	while (clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
	map_fds_init(&m);
	/* unloaded meanwhile (detach --all): nothing to revert */
	if (pins_init(&p, root, &e) || pins_lock(&p, PINS_WRITE, &e))
		return;
	if (!runtime_open_maps(&p, &m, &e) && !ctl_read(&m, &c, &e) &&
	    c.confirm_generation == generation && c.confirm_deadline_ns &&
	    revert_now(&m, &c, &e))
		log_warn("confirm watchdog: reverting generation %llu failed: %s",
			  (unsigned long long)generation, e.msg);
	runtime_close_maps(&m);
	pins_unlock(&p);
}

/* Forks the watchdog as a grandchild (reparented to init, its own session, stdio on
 * /dev/null, every other fd closed) and returns its pid, or -errno. */
static int start_watchdog(const char *root, __u64 generation, __u64 deadline_ns)
{
	int pipefd[2], status;
	pid_t child, pid = 0;

	if (pipe(pipefd))
		return -errno;
	child = fork();
	if (child < 0) {
		int err = -errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (child == 0) {
		pid_t grand;

		close(pipefd[0]);
		setsid();
		signal(SIGHUP, SIG_IGN);
		grand = fork();
		if (grand != 0) {
			if (write(pipefd[1], &grand, sizeof(grand)) != sizeof(grand))
				_exit(1);
			_exit(0);
		}
		/* every inherited fd goes, the pin dir's lock among them (the parent keeps its
		 * own until it exits); stdio to /dev/null so a closed terminal cannot hurt */
		close_range(3, ~0u, 0);
		if (freopen("/dev/null", "r", stdin) && freopen("/dev/null", "w", stdout))
			(void)!freopen("/dev/null", "w", stderr);
		if (chdir("/"))
			_exit(1);
		watchdog(root, generation, deadline_ns);
		_exit(0);
	}
	close(pipefd[1]);
	if (read(pipefd[0], &pid, sizeof(pid)) != sizeof(pid))
		pid = 0;
	close(pipefd[0]);
	waitpid(child, &status, 0);
	return pid > 0 ? pid : -ECHILD;
}

int confirm_arm(const struct pins *p, const struct map_fds *m, const struct publish_result *r,
		unsigned int seconds, struct err *e)
{
	struct eniaddr_ctl c;
	struct err ignored = {};
	int err = ctl_read(m, &c, e), pid;

	if (err)
		goto revert;
	c.confirm_deadline_ns = boottime_ns() + (__u64)seconds * 1000000000ull;
	c.confirm_generation = r->generation;
	c.confirm_revert_slot = r->old_slot;
	pid = start_watchdog(p->root, r->generation, c.confirm_deadline_ns);
	if (pid < 0) {
		err = err_set(e, -pid, "starting the confirm watchdog: %s", strerror(-pid));
		goto revert;
	}
	c.confirm_watchdog_pid = (__u32)pid;
	err = ctl_write(m, &c, e);
	if (!err)
		return 0;
	kill(pid, SIGTERM); /* its record never made it: nothing for it to do */
revert:
	{
		struct publish_result back;

		if (publish_revert(m, r->old_slot, &back, &ignored))
			log_warn("could not revert generation %llu: %s",
				  (unsigned long long)r->generation, ignored.msg);
	}
	return err;
}

int confirm_accept(const struct map_fds *m, __u64 *generation, struct err *e)
{
	struct eniaddr_ctl c;
	int err = ctl_read(m, &c, e);

	if (err)
		return err;
	if (!c.confirm_deadline_ns)
		return err_set(e, ENOENT, "nothing waits for confirm (no apply/sync --confirm "
			       "pending)");
	if (boottime_ns() >= c.confirm_deadline_ns) {
		__u64 gen = c.confirm_generation;

		err = revert_now(m, &c, e);
		return err ?: err_set(e, ETIME, "too late: the deadline of generation %llu had "
				      "passed, the previous configuration is back",
				      (unsigned long long)gen);
	}
	*generation = c.confirm_generation;
	publish_drop_slot(m, c.confirm_revert_slot, NULL);
	clear_record(&c);
	return ctl_write(m, &c, e);
}
