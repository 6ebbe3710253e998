/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/agent/imds_source.h — the agent's real source: the ENIs from IMDSv2, composed with the
 * rule files it is handed (source/compose.h). One IMDS client for the agent's life, so the token
 * is reused across polls (a steady-state poll costs the GETs of the ENIs' keys, no PUT).
 */
#ifndef ENIADDR_AGENT_IMDS_SOURCE_H
#define ENIADDR_AGENT_IMDS_SOURCE_H

#include "agent/source.h"
#include "err.h"
#include "source/imds.h"

struct imds_agent_source {
	struct agent_source src; /* hand &src to the loop */
	struct imds_client *imds;
	char name[64];           /* "imds http://169.254.169.254" */
};

int imds_agent_source_open(struct imds_agent_source *s, const struct imds_opts *o,
			   struct err *e);
void imds_agent_source_close(struct imds_agent_source *s);

#endif
