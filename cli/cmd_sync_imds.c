// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli/cmd_sync_imds.c — `sync --imds`: one reconcile from the instance metadata service, then
 * exit. The ENIs come from IMDS, rules from --security-groups / --config, remote group members
 * from --interfaces (compose.h); the result is published like `apply` (publish_state). Nothing
 * is attached: `run` is the one that attaches. An ENI IMDS lists whose interface is not here
 * yet (hot-plug) is left out and named. The facts `status` cannot read from the maps (sources,
 * groups without known members) go into the status note.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmds.h"
#include "kernel/ifaces.h"
#include "kernel/status_note.h"
#include "log.h"
#include "output.h"
#include "source/compose.h"
#include "source/json_util.h"
#include "state.h"

/* Leaves out ENIs without a local interface; names them on stderr. */
static void drop_absent(struct desired_state *st, const struct nics *nics)
{
	size_t out = 0;

	for (size_t i = 0; i < st->enis.n; i++) {
		struct eni *n = &st->enis.v[i];
		char mac[MAC_STRLEN];

		if (ifaces_by_mac(nics, n->mac)) {
			st->enis.v[out++] = *n;
			continue;
		}
		mac_format(n->mac, mac);
		log_warn("sync: %s (%s) has no local interface yet: left out", n->eni_id, mac);
		eni_free(n);
	}
	st->enis.n = out;
}

/* {"origin", "rules_source", "groups_without_members": [...]} for status. */
static struct json_object *facts_of(const struct compose_inputs *in,
				    const struct desired_state *st)
{
	struct json_object *o = json_object_new_object(), *list = json_object_new_array();
	struct group_refs empty = {};
	char rules[512];

	compose_groups_without_members(st, &empty);
	for (size_t i = 0; i < empty.ids.n; i++)
		json_object_array_add(list, json_object_new_string(empty.ids.v[i]));
	group_refs_free(&empty);
	jadd_str(o, "origin", st->origin);
	jadd_str(o, "rules_source", compose_rules_source(in, rules, sizeof(rules)));
	json_object_object_add(o, "groups_without_members", list);
	return o;
}

int cmd_sync_imds(const struct cli_args *a, struct err *e)
{
	struct imds_opts io = { .endpoint = a->imds_endpoint };
	struct compose_inputs in = {
		.security_groups_path = a->groups,
		.config_path = a->config,
		.interfaces_path = a->interfaces,
	};
	struct json_object *facts = NULL;
	struct desired_state st;
	struct nics nics = {};
	struct pins pins;
	__u64 gen = 0;
	int err;

	state_init(&st);
	err = imds_client_new(&io, &in.imds, e) ?: compose_build(&in, &st, e) ?:
	      ifaces_list(&nics, e);
	if (!err) {
		drop_absent(&st, &nics);
		facts = facts_of(&in, &st);
		err = publish_state(a, &st, &nics, &pins, &gen, e);
	}
	if (!err) {
		struct err ne = {};

		/* status loses a detail without the note; the publication itself stands */
		if (status_note_write(&pins, gen, facts, &ne))
			log_warn("%s", ne.msg);
	}
	json_object_put(facts);
	imds_client_free(in.imds);
	ifaces_free(&nics);
	state_free(&st);
	return err;
}
