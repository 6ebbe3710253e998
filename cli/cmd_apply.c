// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli/cmd_apply.c — `apply` (native config) and `sync` (AWS JSON): both turn a source into a
 * desired state and publish it the same way:
 *   source -> bind ENIs to local interfaces -> missing subnets from the interfaces' own
 *   prefixes -> routers from the kernel's routes -> state_validate -> [lock, load if needed]
 *   -> publish_prepare -> compile_state(slot) -> publish_commit.
 * Everything up to the lock is checked first, so a broken file changes nothing at all.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cmds.h"
#include "compile/compile.h"
#include "kernel/confirm.h"
#include "kernel/ctl.h"
#include "kernel/ifaces.h"
#include "log.h"
#include "source/localize.h"
#include "output.h"
#include "kernel/publish.h"
#include "session.h"
#include "source/aws.h"
#include "source/native.h"
#include "state.h"

#define APPLY_MAX_WARNINGS 16

struct apply_result {
	const char *origin;
	__u64 generation;
	unsigned int slot;
	__u64 grace_ns; /* waited for RCU grace periods */
	unsigned int confirm; /* seconds until the revert; 0: not pending */
	unsigned int guards;
	size_t enis, addrs, pfxs, srcs, l4s, policies;
	char warnings[APPLY_MAX_WARNINGS][STATE_WARN_LEN];
	size_t n_warnings;
};

static void result_plain(const struct apply_result *r)
{
	printf("applied %s: generation %llu (slot %u): %zu ENI%s, %zu address%s, %zu prefix%s, "
	       "%zu polic%s (%zu source and %zu port entries); waited %.1f ms for grace periods\n",
	       r->origin,
	       (unsigned long long)r->generation, r->slot, r->enis, r->enis == 1 ? "" : "s",
	       r->addrs, r->addrs == 1 ? "" : "es", r->pfxs, r->pfxs == 1 ? "" : "es",
	       r->policies, r->policies == 1 ? "y" : "ies", r->srcs, r->l4s,
	       (double)r->grace_ns / 1e6);
	if (r->guards)
		printf("%u management guard%s added to every ENI's inbound rules\n", r->guards,
		       r->guards == 1 ? "" : "s");
	if (r->confirm)
		printf("the previous configuration comes back in %u s unless `eniaddr-bpf confirm` "
		       "comes first\n", r->confirm);
}

static struct json_object *warnings_json(const struct apply_result *r)
{
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < r->n_warnings && i < APPLY_MAX_WARNINGS; i++)
		json_object_array_add(list, json_object_new_string(r->warnings[i]));
	return list;
}

static void result_json(const struct apply_result *r)
{
	struct json_object *o = json_object_new_object();

	jadd_str(o, "origin", r->origin);
	jadd_u64(o, "generation", r->generation);
	jadd_int(o, "slot", r->slot);
	jadd_int(o, "enis", (long long)r->enis);
	jadd_int(o, "addresses", (long long)r->addrs);
	jadd_int(o, "prefixes", (long long)r->pfxs);
	jadd_int(o, "policies", (long long)r->policies);
	jadd_int(o, "src_entries", (long long)r->srcs);
	jadd_int(o, "l4_entries", (long long)r->l4s);
	jadd_u64(o, "grace_wait_us", r->grace_ns / 1000);
	jadd_int(o, "guards", r->guards);
	jadd_int(o, "confirm_within_s", r->confirm);
	json_object_object_add(o, "warnings", warnings_json(r));
	out_json_print(o);
}

int publish_state(const struct cli_args *a, struct desired_state *st, const struct nics *nics,
		  struct pins *pins, __u64 *generation, struct err *e)
{
	struct apply_result r = { .origin = st->origin };
	struct publish_opts opts = { .keep_old = a->confirm != 0 };
	struct err ignored = {};
	struct publish_result pr;
	struct compiled c = {};
	struct session s;
	int err;

	err = state_localize(st, nics, e);
	if (err)
		return err;
	err = session_open(a, PINS_CREATE, &s, e);
	if (err)
		return err;
	/* an unconfirmed publish whose deadline passed is reverted first (the watchdog may be
	 * gone); one still waiting blocks this publish: it would clear the revert's slot */
	err = confirm_revert_if_expired(&s.maps, NULL, e) ?:
	      confirm_refuse_if_pending(&s.maps, e) ?:
	      ctl_add_guards(&s.maps, a->guards, a->n_guards, e) ?:
	      ctl_apply_guards(&s.maps, st, &r.guards, e);
	if (!err)
		err = publish_prepare(&s.maps, &r.slot, e);
	if (!err)
		err = compile_state(st, r.slot, &c, e);
	if (!err)
		err = publish_commit_with(&s.maps, &c, &opts, &pr, e);
	if (!err && a->confirm)
		err = confirm_arm(&s.pins, &s.maps, &pr, a->confirm, e);
	r.confirm = a->confirm;
	if (!err) {
		r.n_warnings = state_warnings(st, r.warnings, APPLY_MAX_WARNINGS);
		if (ctl_set_notes(&s.maps, r.warnings[0], sizeof(r.warnings[0]),
				  r.n_warnings < APPLY_MAX_WARNINGS ? r.n_warnings
								    : APPLY_MAX_WARNINGS, &ignored))
			log_warn("could not keep the warnings for status: %s", ignored.msg);
	}
	if (err) {
		session_undo_load(&s);
	} else {
		r.generation = pr.generation;
		r.grace_ns = pr.grace_ns;
		r.enis = c.enis.n;
		r.addrs = c.addrs.n;
		r.pfxs = c.pfxs.n;
		r.srcs = c.srcs.n;
		r.l4s = c.l4s.n;
		r.policies = c.policies.n;
		if (pins) {
			*pins = s.pins;
			pins->lock_fd = -1; /* unlocked below: the copy names the dir only */
		}
		if (generation)
			*generation = r.generation;
	}
	session_close(&s);
	compiled_free(&c);
	if (!err) {
		for (size_t i = 0; i < r.n_warnings && i < APPLY_MAX_WARNINGS; i++)
			log_warn("%s", r.warnings[i]);
		if (out_json())
			result_json(&r);
		else
			result_plain(&r);
	}
	return err;
}

static int sync_aws(const struct cli_args *a, struct err *e);

int cmd_apply(const struct cli_args *a, struct err *e)
{
	struct desired_state st;
	struct nics nics = {};
	int err;

	state_init(&st);
	err = source_native_load(a->pos[0], &st, e);
	if (!err)
		err = ifaces_list(&nics, e);
	if (!err)
		err = publish_state(a, &st, &nics, NULL, NULL, e);
	ifaces_free(&nics);
	state_free(&st);
	return err;
}

int cmd_sync(const struct cli_args *a, struct err *e)
{
	if (a->imds)
		return cmd_sync_imds(a, e);
	return sync_aws(a, e);
}

static int sync_aws(const struct cli_args *a, struct err *e)
{
	struct aws_prefix_list_file pls[CLI_MAX_PREFIX_LISTS];
	struct local_nic locals[ENIADDR_MAX_ENIS * 4];
	struct aws_inputs in = {
		.interfaces_path = a->interfaces,
		.groups_path = a->groups,
		.prefix_lists = pls,
		.n_prefix_lists = a->n_prefix_lists,
		.locals = locals,
	};
	struct desired_state st;
	struct nics nics = {};
	size_t i;
	int err;

	for (i = 0; i < a->n_prefix_lists; i++) {
		pls[i].id = a->prefix_lists[i].id;
		pls[i].path = a->prefix_lists[i].path;
	}
	state_init(&st);
	err = ifaces_list(&nics, e);
	if (err)
		goto out;
	/* AWS names ENIs by MAC: the local ones are those whose MAC is here. */
	for (i = 0; i < nics.n && in.n_locals < sizeof(locals) / sizeof(locals[0]); i++) {
		if (!nics.v[i].has_mac)
			continue;
		snprintf(locals[in.n_locals].ifname, sizeof(locals[0].ifname), "%s",
			 nics.v[i].ifname);
		memcpy(locals[in.n_locals].mac, nics.v[i].mac, 6);
		in.n_locals++;
	}
	err = source_aws_load(&in, &st, e);
	if (!err)
		err = publish_state(a, &st, &nics, NULL, NULL, e);
out:
	ifaces_free(&nics);
	state_free(&st);
	return err;
}

int cmd_confirm(const struct cli_args *a, struct err *e)
{
	struct session s;
	__u64 gen = 0;
	int err = session_open(a, PINS_WRITE, &s, e);

	if (err)
		return err;
	err = confirm_accept(&s.maps, &gen, e);
	session_close(&s);
	if (err)
		return err;
	if (out_json()) {
		struct json_object *o = json_object_new_object();

		jadd_u64(o, "confirmed_generation", gen);
		out_json_print(o);
	} else {
		printf("confirmed generation %llu\n", (unsigned long long)gen);
	}
	return 0;
}
