// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/agent/rulefiles.c — see rulefiles.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/rulefiles.h"
#include "log.h"

static void fd_path(int fd, char buf[32])
{
	snprintf(buf, 32, "/proc/self/fd/%d", fd);
}

/* A memfd holding the file's bytes now. */
static int copy_file(const char *path, struct err *e)
{
	char buf[65536];
	ssize_t n;
	int in, out, err = 0;

	in = open(path, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return err_set(e, errno, "%s: %s", path, strerror(errno));
	out = memfd_create("eniaddr-rules", MFD_CLOEXEC);
	if (out < 0) {
		err = err_set(e, errno, "memfd_create: %s", strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			err = err_set(e, errno ? errno : EIO, "copying %s: %s", path,
				      strerror(errno ? errno : EIO));
			break;
		}
	if (n < 0)
		err = err_set(e, errno, "%s: %s", path, strerror(errno));
	if (err) {
		close(out);
		out = err;
	}
out:
	close(in);
	return out;
}

static int take_trial(struct rulefile *f, struct err *e)
{
	int fd;

	if (!f->path)
		return 0;
	fd = copy_file(f->path, e);
	if (fd < 0)
		return fd;
	if (f->trial_fd >= 0)
		close(f->trial_fd);
	f->trial_fd = fd;
	fd_path(fd, f->trial);
	return 0;
}

int rulefiles_init(struct rulefiles *rf, const struct rule_files *paths, struct err *e)
{
	int err;

	memset(rf, 0, sizeof(*rf));
	rf->groups = (struct rulefile){ .path = paths->groups, .good_fd = -1, .trial_fd = -1 };
	rf->config = (struct rulefile){ .path = paths->config, .good_fd = -1, .trial_fd = -1 };
	rf->interfaces = (struct rulefile){ .path = paths->interfaces, .good_fd = -1,
					    .trial_fd = -1 };
	err = take_trial(&rf->groups, e);
	if (!err)
		err = take_trial(&rf->config, e);
	if (!err)
		err = take_trial(&rf->interfaces, e);
	if (err)
		rulefiles_free(rf);
	return err;
}

static void file_free(struct rulefile *f)
{
	if (f->good_fd >= 0)
		close(f->good_fd);
	if (f->trial_fd >= 0)
		close(f->trial_fd);
	f->good_fd = f->trial_fd = -1;
}

void rulefiles_free(struct rulefiles *rf)
{
	file_free(&rf->groups);
	file_free(&rf->config);
	file_free(&rf->interfaces);
}

void rulefiles_reread(struct rulefiles *rf)
{
	struct err e = {};

	if (take_trial(&rf->groups, &e) || take_trial(&rf->config, &e) ||
	    take_trial(&rf->interfaces, &e)) {
		snprintf(rf->rejected, sizeof(rf->rejected), "%s (the last good copy stays)",
			 e.msg);
		log_warn("rule file: %s", rf->rejected);
	}
}

/* Rules come from groups and config; interfaces only add members to them. */
bool rulefiles_none(const struct rulefiles *rf)
{
	return !rf->groups.path && !rf->config.path;
}

void rulefiles_describe(const struct rulefiles *rf, char *buf, size_t len)
{
	const struct rulefile *fs[] = { &rf->groups, &rf->config, &rf->interfaces };
	const char *what[] = { "security groups ", "config ", "interfaces " };
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < 3 && off < len; i++) {
		int n;

		if (!fs[i]->path)
			continue;
		n = snprintf(buf + off, len - off, "%s%s%s", off ? ", " : "", what[i], fs[i]->path);
		off += n > 0 ? (size_t)n : 0;
	}
}

static const char *pick(const struct rulefile *f, bool trial)
{
	if (!f->path)
		return NULL;
	if (trial && f->trial_fd >= 0)
		return f->trial;
	return f->good_fd >= 0 ? f->good : f->trial_fd >= 0 ? f->trial : NULL;
}

static bool has_trial(const struct rulefiles *rf)
{
	return rf->groups.trial_fd >= 0 || rf->config.trial_fd >= 0 ||
	       rf->interfaces.trial_fd >= 0;
}

static bool has_good(const struct rulefile *f)
{
	return !f->path || f->good_fd >= 0;
}

static void trial_accept(struct rulefile *f)
{
	if (f->trial_fd < 0)
		return;
	if (f->good_fd >= 0)
		close(f->good_fd);
	f->good_fd = f->trial_fd;
	memcpy(f->good, f->trial, sizeof(f->good));
	f->trial_fd = -1;
}

static void trial_reject(struct rulefile *f)
{
	if (f->trial_fd >= 0)
		close(f->trial_fd);
	f->trial_fd = -1;
}

static int build_with(const struct rulefiles *rf, const struct agent_source *src, bool trial,
		      struct desired_state *out, struct err *e)
{
	struct rule_files files = { pick(&rf->groups, trial), pick(&rf->config, trial),
				    pick(&rf->interfaces, trial) };
	int err = src->build(src->ctx, &files, out, e);

	if (err)
		rulefiles_fix_msg(rf, e->msg, sizeof(e->msg));
	return err;
}

int rulefiles_build(struct rulefiles *rf, const struct agent_source *src,
		    struct desired_state *out, struct err *e)
{
	struct err again = {};
	int err;

	if (!has_trial(rf))
		return build_with(rf, src, false, out, e);
	err = build_with(rf, src, true, out, e);
	if (!err) {
		trial_accept(&rf->groups);
		trial_accept(&rf->config);
		trial_accept(&rf->interfaces);
		if (rf->rejected[0])
			log_warn("rule files accepted again");
		rf->rejected[0] = '\0';
		return 0;
	}
	/* Is it the new file? Only if the last good copies still build. */
	if (!has_good(&rf->groups) || !has_good(&rf->config) || !has_good(&rf->interfaces))
		return err;
	if (build_with(rf, src, false, out, &again))
		return err; /* something else is wrong (the source): keep the trial for later */
	snprintf(rf->rejected, sizeof(rf->rejected), "%s (the last good version stays)", e->msg);
	log_warn("rule file rejected: %s", rf->rejected);
	trial_reject(&rf->groups);
	trial_reject(&rf->config);
	trial_reject(&rf->interfaces);
	err_clear(e);
	return 0;
}

/* Replaces each occurrence of from by to in msg, within len. */
static void replace_all(char *msg, size_t len, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to);
	char *p = msg;

	if (!fl)
		return;
	while ((p = strstr(p, from))) {
		size_t rest = strlen(p + fl);

		if (p[fl] >= '0' && p[fl] <= '9') { /* fd 1 is not fd 12 */
			p += fl;
			continue;
		}

		if ((size_t)(p - msg) + tl + rest + 1 > len)
			return;
		memmove(p + tl, p + fl, rest + 1);
		memcpy(p, to, tl);
		p += tl;
	}
}

void rulefiles_fix_msg(const struct rulefiles *rf, char *msg, size_t len)
{
	const struct rulefile *fs[] = { &rf->groups, &rf->config, &rf->interfaces };

	for (size_t i = 0; i < 3; i++) {
		if (!fs[i]->path)
			continue;
		if (fs[i]->trial_fd >= 0)
			replace_all(msg, len, fs[i]->trial, fs[i]->path);
		if (fs[i]->good_fd >= 0)
			replace_all(msg, len, fs[i]->good, fs[i]->path);
	}
}
