// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli/status_agent.c — see status_agent.h. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output.h"
#include "status_agent.h"

static double age_s(__u64 ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6 - (double)ms) / 1000.0;
}

/* "running", "stopped" (clean exit) or "gone" (died without saying so). */
static const char *liveness(const struct agent_record *r)
{
	if (!(r->flags & AGENT_F_RUNNING))
		return "stopped";
	return kill((pid_t)r->pid, 0) == 0 || errno == EPERM ? "running" : "gone";
}

void status_agent_plain(const struct agent_record *r)
{
	if (!r)
		return;
	printf("agent: %s (pid %u), source %s, every %u ms\n", liveness(r), r->pid, r->source,
	       r->interval_ms);
	if (r->flags & AGENT_F_NO_RULES)
		printf("  rules: none given: enforcing address ownership and routing only\n");
	else
		printf("  rules: %s\n", r->rules);
	if (!r->reconciles)
		printf("  no reconcile yet\n");
	else
		printf("  last sync %.1f s ago: %s in %.1f ms; generation %llu (digest %016llx)\n",
		       age_s(r->last_sync_ms), r->result ? "FAILED" : "ok",
		       r->duration_us / 1000.0, (unsigned long long)r->generation,
		       (unsigned long long)r->digest);
	if (r->error[0])
		printf("  error: %s\n", r->error);
	if (r->rules_error[0])
		printf("  rule file rejected: %s\n", r->rules_error);
	if (r->no_members[0])
		printf("  groups referenced by rules without known members (admit nobody): %s\n",
		       r->no_members);
	if (r->last_change_ms)
		printf("  last change %.1f s ago: %s\n", age_s(r->last_change_ms),
		       r->change[0] ? r->change : "(none)");
	printf("  reconciles %llu, publishes %llu, failures %llu\n",
	       (unsigned long long)r->reconciles, (unsigned long long)r->publishes,
	       (unsigned long long)r->failures);
}

/* "sg-a,sg-b" -> ["sg-a", "sg-b"] */
static struct json_object *id_list(const char *ids)
{
	struct json_object *l = json_object_new_array();
	char buf[sizeof(((struct agent_record *)0)->no_members)], *save = NULL, *id;

	snprintf(buf, sizeof(buf), "%s", ids);
	for (id = strtok_r(buf, ",", &save); id; id = strtok_r(NULL, ",", &save))
		json_object_array_add(l, json_object_new_string(id));
	return l;
}

struct json_object *status_agent_json(const struct agent_record *r)
{
	struct json_object *o;

	if (!r)
		return NULL;
	o = json_object_new_object();
	jadd_str(o, "state", liveness(r));
	jadd_int(o, "pid", r->pid);
	jadd_str(o, "source", r->source);
	jadd_str(o, "rules", r->flags & AGENT_F_NO_RULES ? NULL : r->rules);
	jadd_bool(o, "ownership_and_routing_only", r->flags & AGENT_F_NO_RULES);
	jadd_int(o, "interval_ms", r->interval_ms);
	jadd_u64(o, "started_ms", r->started_ms);
	jadd_u64(o, "last_sync_ms", r->last_sync_ms);
	jadd_u64(o, "last_ok_ms", r->last_ok_ms);
	jadd_str(o, "result", !r->reconciles ? "none" : r->result ? "error" : "ok");
	jadd_str(o, "error", r->error[0] ? r->error : NULL);
	jadd_str(o, "rules_error", r->rules_error[0] ? r->rules_error : NULL);
	jadd_int(o, "duration_us", r->duration_us);
	jadd_u64(o, "generation", r->generation);
	jadd_u64(o, "digest", r->digest);
	jadd_u64(o, "last_change_ms", r->last_change_ms);
	jadd_str(o, "last_change", r->change[0] ? r->change : NULL);
	json_object_object_add(o, "groups_without_members", id_list(r->no_members));
	jadd_u64(o, "reconciles", r->reconciles);
	jadd_u64(o, "publishes", r->publishes);
	jadd_u64(o, "failures", r->failures);
	return o;
}
