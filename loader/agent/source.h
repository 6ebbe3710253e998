/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/agent/source.h — where the agent's desired state comes from.
 *
 * struct agent_source is what `run` plugs in: IMDS composed with the rule files
 * (agent/imds_source.c); tests plug in whatever they drive. It is handed the rule files to read
 * this time: the agent's private copies of the last good ones, or a new version on trial
 * (agent/rulefiles.h). build() fills *out (state_init'ed) completely or fails with e set: a
 * failure is never read as "no addresses"; the agent keeps what it published and retries.
 *
 * struct state_builder is what one reconcile calls (agent/reconcile.h): a source with its rule
 * files already chosen.
 */
#ifndef ENIADDR_AGENT_SOURCE_H
#define ENIADDR_AGENT_SOURCE_H

#include "err.h"
#include "state.h"

struct rule_files {
	const char *groups; /* describe-security-groups output, NULL: none */
	const char *config; /* native config, NULL: none */
	const char *interfaces; /* describe-network-interfaces (remote group members), NULL: none */
};

struct agent_source {
	const char *name; /* for status: "imds http://169.254.169.254" */
	int (*build)(void *ctx, const struct rule_files *rf, struct desired_state *out,
		     struct err *e);
	void *ctx;
};

struct state_builder {
	int (*build)(void *ctx, struct desired_state *out, struct err *e);
	void *ctx;
};

#endif
