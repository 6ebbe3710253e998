/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cli/status_agent.h — the agent's part of `status`: whether `run` is alive here, its source and
 * rule files, the last reconcile (when, result, how long) and the last change it published, read
 * from the record the agent keeps pinned (kernel/agent_record.h).
 */
#ifndef ENIADDR_CLI_STATUS_AGENT_H
#define ENIADDR_CLI_STATUS_AGENT_H

#include <json-c/json.h>

#include "kernel/agent_record.h"

/* r NULL: no agent ever ran under this pin dir (plain prints nothing). */
void status_agent_plain(const struct agent_record *r);
struct json_object *status_agent_json(const struct agent_record *r);

#endif
