// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/agent/imds_source.c — see imds_source.h. */
#include <stdio.h>

#include "agent/imds_source.h"
#include "source/compose.h"

static int build(void *ctx, const struct rule_files *rf, struct desired_state *out,
		 struct err *e)
{
	struct imds_agent_source *s = ctx;
	struct compose_inputs in = {
		.imds = s->imds,
		.security_groups_path = rf->groups,
		.config_path = rf->config,
		.interfaces_path = rf->interfaces,
	};

	return compose_build(&in, out, e);
}

int imds_agent_source_open(struct imds_agent_source *s, const struct imds_opts *o,
			   struct err *e)
{
	int err = imds_client_new(o, &s->imds, e);

	if (err)
		return err;
	snprintf(s->name, sizeof(s->name), "imds %s",
		 o && o->endpoint ? o->endpoint : IMDS_ENDPOINT_V4);
	s->src = (struct agent_source){ s->name, build, s };
	return 0;
}

void imds_agent_source_close(struct imds_agent_source *s)
{
	imds_client_free(s->imds);
	s->imds = NULL;
}
