// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli/cmd_metrics.c — `metrics`: the Prometheus text exposition (loader/kernel/metrics.c). */
#include <bpf/bpf.h>
#include <stdio.h>

#include "kernel/agent_record.h"

#include "cmds.h"
#include "kernel/metrics.h"
#include "session.h"

/* The agent's groups without members when its sync made the generation in force, else NULL:
 * the last apply/sync's own warnings tell then. */
static const char *agent_no_members(const struct session *s, struct agent_record *rec)
{
	struct eniaddr_state st = {};
	struct err ignored = {};
	__u32 zero = 0;

	if (agent_record_read(&s->pins, rec, &ignored) ||
	    bpf_map_lookup_elem(s->maps.state, &zero, &st) || rec->generation != st.generation)
		return NULL;
	rec->no_members[sizeof(rec->no_members) - 1] = '\0';
	return rec->no_members;
}

int cmd_metrics(const struct cli_args *a, struct err *e)
{
	struct agent_record rec;
	struct session s;
	int err;

	err = session_open(a, PINS_READ, &s, e);
	if (err)
		return err;
	err = metrics_write(stdout, &s.maps, NULL, agent_no_members(&s, &rec), e);
	session_close(&s);
	fflush(stdout);
	return err;
}
