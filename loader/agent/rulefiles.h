/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/agent/rulefiles.h — the rule files of `run` (--security-groups, --config, --interfaces)
 * and their last good versions. When a file changes, its new content is copied aside (a memfd)
 * and tried in the next build; if that build fails because of it, the last good copy is used
 * instead and the rejection is reported: a broken edit never takes the rules away, and
 * addresses keep following the source meanwhile. Copies, not the files themselves, are what the source reads, so a file
 * changing during a build cannot mix two versions.
 *
 * The source reads the copies by /proc/self/fd/N; rulefiles_fix_msg() puts the user's path back
 * into messages.
 */
#ifndef ENIADDR_AGENT_RULEFILES_H
#define ENIADDR_AGENT_RULEFILES_H

#include <stdbool.h>

#include "agent/source.h"
#include "err.h"

struct rulefile {
	const char *path;   /* the user's file; NULL: not given */
	int good_fd;        /* last good copy, -1: none yet */
	int trial_fd;       /* new content on trial, -1: none */
	char good[32], trial[32]; /* /proc/self/fd/N */
};

struct rulefiles {
	struct rulefile groups, config, interfaces;
	char rejected[1100]; /* why the last trial was refused, "" when none */
};

/* Remembers the paths and takes a trial copy of each (a missing file is an error here). */
int rulefiles_init(struct rulefiles *rf, const struct rule_files *paths, struct err *e);
void rulefiles_free(struct rulefiles *rf);

/* Takes a new trial copy of every file given (after inotify or SIGHUP). A file that cannot be
 * read keeps its last good copy; the failure is reported in rejected. */
void rulefiles_reread(struct rulefiles *rf);

bool rulefiles_none(const struct rulefiles *rf);

/* "security groups sgs.json, config cfg.json, interfaces ifs.json" or "" */
void rulefiles_describe(const struct rulefiles *rf, char *buf, size_t len);

/*
 * One build of src with the rule files: with the trial copies if any, and on failure with the
 * last good ones. Trial accepted: it becomes the good copy. Trial refused while the good copies
 * build: returns 0 with rejected set. Otherwise the first error.
 */
int rulefiles_build(struct rulefiles *rf, const struct agent_source *src, struct desired_state *out,
		    struct err *e);

/* Replaces every /proc/self/fd/N of our copies in msg by the file's path. */
void rulefiles_fix_msg(const struct rulefiles *rf, char *msg, size_t len);

#endif
