// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/agent/loop.c — see loop.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent/addrmgr.h"
#include "agent/filewatch.h"
#include "agent/loop.h"
#include "agent/metrics_http.h"
#include "agent/reconcile.h"
#include "agent/rulefiles.h"
#include "kernel/agent_record.h"
#include "kernel/ct_gc.h"
#include "log.h"
#include "source/compose.h"
#include "source/routes.h"

struct agent {
	const struct agent_opts *o;
	struct reconciler r;
	struct rulefiles rules;
	struct nlwatch nl;
	struct filewatch fw;
	int epfd, sigfd, timerfd, recfd, metricsfd;
	struct agent_record rec;
	__u64 last_gc_ms;
	__u64 next_poll_us;  /* CLOCK_MONOTONIC: when the timer fires next */
	__u64 slow_us;       /* recent longest reconcile, decaying (see arm_poll) */
};

static __u64 now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

static __u64 now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000 + (__u64)ts.tv_nsec / 1000;
}

/* Copies src into dst, cut to fit: the record's fields are fixed-size. */
static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int build(void *ctx, struct desired_state *out, struct err *e)
{
	struct agent *a = ctx;

	return rulefiles_build(&a->rules, a->o->source, out, e);
}

static void record_write(struct agent *a)
{
	struct err e = {};

	copy_cut(a->rec.rules_error, sizeof(a->rec.rules_error), a->rules.rejected);
	if (agent_record_write(a->recfd, &a->rec, &e))
		log_warn("%s", e.msg);
}

/* "sg-a,sg-b": referenced groups that admit nobody (no local or known remote member). */
static void note_no_members(struct agent *a)
{
	struct group_refs empty = {};
	size_t off = 0;

	a->rec.no_members[0] = '\0';
	if (compose_groups_without_members(&a->r.last, &empty))
		return;
	for (size_t i = 0; i < empty.ids.n && off < sizeof(a->rec.no_members); i++) {
		int n = snprintf(a->rec.no_members + off, sizeof(a->rec.no_members) - off, "%s%s",
				 i ? "," : "", empty.ids.v[i]);

		off += n > 0 ? (size_t)n : 0;
	}
	group_refs_free(&empty);
}

static void do_reconcile(struct agent *a, const char *why)
{
	struct state_builder b = { build, a };
	struct reconcile_result res;
	struct err e = {};
	__u64 t0 = now_us();
	int err;

	log_debug("reconcile (%s)", why);
	err = reconcile(&a->r, &b, &res, &e);
	if (!err && a->o->manage_addresses) {
		struct addrmgr_result ar;

		err = addrmgr_sync(&a->r.last, &ar, &e);
	}
	a->rec.duration_us = (__u32)(now_us() - t0);
	a->rec.last_sync_ms = now_ms(CLOCK_REALTIME);
	a->rec.reconciles++;
	a->rec.result = err;
	if (err) {
		a->rec.failures++;
		if (strcmp(a->rec.error, e.msg))
			log_warn("reconcile failed, the published generation stays: %s", e.msg);
		copy_cut(a->rec.error, sizeof(a->rec.error), e.msg);
	} else {
		if (a->rec.error[0])
			log_warn("reconcile works again");
		a->rec.error[0] = '\0';
		a->rec.flags |= AGENT_F_EVER_OK;
		a->rec.last_ok_ms = a->rec.last_sync_ms;
		a->rec.generation = res.generation;
		a->rec.digest = res.digest;
		a->rec.enis = res.enis;
		note_no_members(a);
		if (res.published) {
			a->rec.publishes++;
			a->rec.last_change_ms = a->rec.last_sync_ms;
			copy_cut(a->rec.change, sizeof(a->rec.change), res.change);
		}
	}
	record_write(a);
}

static void maybe_gc(struct agent *a)
{
	unsigned int every = a->o->gc_every_s ? a->o->gc_every_s : AGENT_GC_EVERY_S_DEFAULT;
	__u64 now = now_ms(CLOCK_MONOTONIC);
	struct ct_gc_stats st = {};
	struct err e = {};

	if (now - a->last_gc_ms < (__u64)every * 1000)
		return;
	a->last_gc_ms = now;
	if (ct_gc_sweep_all(&a->r.maps, ct_now_ns(), &st, &e))
		log_warn("conntrack gc: %s", e.msg);
	else if (st.deleted)
		log_info("conntrack gc: %zu expired entries deleted", st.deleted);
}

static bool router_msg(void *ctx, const struct nlmsghdr *nlh)
{
	return routes_msg_relevant(nlh);
}

static int epoll_add(int epfd, int fd, struct err *e)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev))
		return err_set(e, errno, "epoll: %s", strerror(errno));
	return 0;
}

static void record_init(struct agent *a)
{
	struct agent_record *r = &a->rec;

	memset(r, 0, sizeof(*r));
	r->version = AGENT_RECORD_VERSION;
	r->pid = (__u32)getpid();
	r->flags = AGENT_F_RUNNING | (rulefiles_none(&a->rules) ? AGENT_F_NO_RULES : 0) |
		   (a->o->manage_addresses ? AGENT_F_MANAGE_ADDRS : 0);
	r->interval_ms = a->o->interval_ms ? a->o->interval_ms : AGENT_INTERVAL_MS_DEFAULT;
	r->started_ms = now_ms(CLOCK_REALTIME);
	r->generation = a->r.generation;
	snprintf(r->source, sizeof(r->source), "%s", a->o->source->name);
	rulefiles_describe(&a->rules, r->rules, sizeof(r->rules));
}

/*
 * Under the pin dir's lock: one agent per pin dir. A record saying another live process is
 * running here is -EBUSY; otherwise this agent's first record goes in before the lock is let go.
 */
static int claim_record(struct agent *a, struct err *e)
{
	struct agent_record old;
	struct err ignored = {};

	a->recfd = agent_record_open(&a->r.pins, e);
	if (a->recfd < 0)
		return a->recfd;
	if (!agent_record_read(&a->r.pins, &old, &ignored) && (old.flags & AGENT_F_RUNNING) &&
	    old.pid != (__u32)getpid() && (kill((pid_t)old.pid, 0) == 0 || errno == EPERM))
		return err_set(e, EBUSY, "another agent (pid %u) is running on %s: stop it first",
			       old.pid, a->r.pins.dir);
	record_init(a);
	return agent_record_write(a->recfd, &a->rec, e);
}

/*
 * The interval bounds how long an IMDS change waits to be enforced: a change just after a poll
 * started is read by the next poll and published when that poll's reconcile ends. So polls start
 * every interval minus the reconcile's own time (the longest of late, decaying by 1/8 per poll,
 * plus 5 ms), never more often than every 100 ms. A steady 20 ms reconcile at a 1 s interval
 * polls every 975 ms.
 */
static int arm_poll(struct agent *a, __u64 last_us, struct err *e)
{
	__u64 interval = (__u64)(a->o->interval_ms ? a->o->interval_ms
						   : AGENT_INTERVAL_MS_DEFAULT) * 1000;
	__u64 period, now = now_us();
	struct itimerspec its = {};

	a->slow_us = last_us > a->slow_us ? last_us : a->slow_us - a->slow_us / 8;
	period = interval > a->slow_us + 5000 + 100000 ? interval - a->slow_us - 5000 : 100000;
	a->next_poll_us = a->next_poll_us ? a->next_poll_us + period : now + period;
	if (a->next_poll_us <= now) /* a reconcile longer than the period: start again now */
		a->next_poll_us = now + 1000;
	its.it_value.tv_sec = (time_t)(a->next_poll_us / 1000000);
	its.it_value.tv_nsec = (long)(a->next_poll_us % 1000000) * 1000;
	if (timerfd_settime(a->timerfd, TFD_TIMER_ABSTIME, &its, NULL))
		return err_set(e, errno, "timerfd: %s", strerror(errno));
	return 0;
}

static int setup(struct agent *a, sigset_t *mask, struct err *e)
{
	int err;

	sigemptyset(mask);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, mask, NULL))
		return err_set(e, errno, "sigprocmask: %s", strerror(errno));
	a->sigfd = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
	a->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->sigfd < 0 || a->timerfd < 0 || a->epfd < 0)
		return err_set(e, errno, "signalfd/timerfd/epoll: %s", strerror(errno));
	err = rulefiles_init(&a->rules, &a->o->files, e);
	if (!err)
		err = nlwatch_open(&a->nl, e);
	if (!err)
		err = filewatch_open(&a->fw, e);
	if (!err)
		err = filewatch_add(&a->fw, a->o->files.groups, e);
	if (!err)
		err = filewatch_add(&a->fw, a->o->files.config, e);
	if (!err)
		err = filewatch_add(&a->fw, a->o->files.interfaces, e);
	if (!err)
		err = reconciler_open(&a->r, a->o->bpffs, a->o->mode, a->o->ct_size, e);
	if (!err) {
		err = pins_lock(&a->r.pins, PINS_WRITE, e);
		if (!err) {
			err = claim_record(a, e);
			pins_unlock(&a->r.pins);
		}
	}
	if (!err)
		err = epoll_add(a->epfd, a->sigfd, e);
	if (!err)
		err = epoll_add(a->epfd, a->timerfd, e);
	if (!err)
		err = epoll_add(a->epfd, nlwatch_fd(&a->nl), e);
	if (!err)
		err = epoll_add(a->epfd, a->fw.fd, e);
	if (!err && a->o->metrics_listen) {
		a->metricsfd = metrics_http_open(a->o->metrics_listen, e);
		err = a->metricsfd < 0 ? a->metricsfd : epoll_add(a->epfd, a->metricsfd, e);
	}
	/* By default a route or neighbour change that may move an ENI's router republishes. */
	a->nl.route_hook = a->o->route_hook ? a->o->route_hook : router_msg;
	a->nl.neigh_hook = a->o->neigh_hook ? a->o->neigh_hook : router_msg;
	a->nl.hook_ctx = a->o->hook_ctx;
	return err;
}


static void teardown(struct agent *a)
{
	if (a->recfd >= 0 && a->rec.pid == (__u32)getpid()) {
		a->rec.flags &= ~AGENT_F_RUNNING;
		record_write(a);
	}
	if (a->recfd >= 0)
		close(a->recfd);
	reconciler_close(&a->r);
	filewatch_close(&a->fw);
	nlwatch_close(&a->nl);
	rulefiles_free(&a->rules);
	if (a->metricsfd >= 0)
		close(a->metricsfd);
	if (a->epfd >= 0)
		close(a->epfd);
	if (a->timerfd >= 0)
		close(a->timerfd);
	if (a->sigfd >= 0)
		close(a->sigfd);
}

/* One scrape: the maps' metrics and what the record says of the syncs. */
static void serve_metrics(struct agent *a)
{
	struct metrics_sync s = {
		.ok = a->rec.reconciles - a->rec.failures,
		.failed = a->rec.failures,
		.last_sync_seconds = (double)a->rec.last_sync_ms / 1000.0,
		.last_ok = a->rec.result == 0,
		.no_members = a->rec.no_members,
	};

	metrics_http_serve(a->metricsfd, &a->r.maps, &s);
}

/* One signal: 1 to stop, 0 to go on. */
static int on_signal(struct agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			log_warn("SIGHUP: re-reading the rule files");
			rulefiles_reread(&a->rules);
			do_reconcile(a, "SIGHUP");
		} else {
			log_warn("signal %u: exiting; the programs keep enforcing generation %llu",
				 si.ssi_signo, (unsigned long long)a->r.generation);
			return 1;
		}
	}
	return 0;
}

int agent_run(const struct agent_opts *o, struct err *e)
{
	struct agent a = { .o = o, .epfd = -1, .sigfd = -1, .timerfd = -1, .recfd = -1,
			   .metricsfd = -1 };
	struct epoll_event evs[8];
	sigset_t mask;
	int err, n, i, stop = 0;

	a.fw.fd = -1;
	map_fds_init(&a.r.maps);
	a.r.pins.lock_fd = -1;
	err = setup(&a, &mask, e);
	if (err)
		goto out;
	log_warn("agent running: source %s, %s, every %u ms", a.rec.source,
		 a.rec.rules[0] ? a.rec.rules : "no rule source (ownership and routing only)",
		 a.rec.interval_ms);
	do_reconcile(&a, "start");
	err = arm_poll(&a, a.rec.duration_us, e);
	if (err)
		goto out;
	a.last_gc_ms = now_ms(CLOCK_MONOTONIC);
	while (!stop) {
		struct nlwatch_events nev = {};
		bool tick = false, files = false;
		__u64 expirations;

		n = epoll_wait(a.epfd, evs, sizeof(evs) / sizeof(evs[0]), -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = err_set(e, errno, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == a.sigfd)
				stop = on_signal(&a);
			else if (fd == a.timerfd)
				tick = read(a.timerfd, &expirations, sizeof(expirations)) > 0;
			else if (fd == a.fw.fd)
				files = filewatch_read(&a.fw);
			else if (fd == a.metricsfd)
				serve_metrics(&a);
			else if (nlwatch_read(&a.nl, &nev, e))
				log_warn("%s", e->msg), err_clear(e);
		}
		if (stop)
			break;
		if (files) {
			log_warn("rule file changed: trying it");
			rulefiles_reread(&a.rules);
		}
		if (tick || files || nev.links || nev.republish)
			do_reconcile(&a, files ? "rule file" : nev.links ? "link" :
					 nev.republish ? "route" : "poll");
		if (tick) {
			maybe_gc(&a);
			err = arm_poll(&a, a.rec.duration_us, e);
			if (err)
				break;
		}
	}
out:
	teardown(&a);
	sigprocmask(SIG_UNBLOCK, &mask, NULL);
	return err;
}
