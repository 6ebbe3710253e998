// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli/cmd_attach.c — `attach` and `detach`. */
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "kernel/attach.h"
#include "kernel/ct_seed.h"
#include "kernel/ctl.h"
#include "log.h"
#include "cmds.h"
#include "kernel/ifaces.h"
#include "output.h"
#include "session.h"

/* Every name must exist before anything changes: a typo in the third device attaches nothing. */
static int check_names(const struct cli_args *a, struct err *e)
{
	char local[256];
	struct nics nics;
	size_t i;

	for (i = 0; i < a->n_pos; i++) {
		if (if_nametoindex(a->pos[i]))
			continue;
		if (ifaces_list(&nics, e))
			return -ENODEV;
		ifaces_names(&nics, local, sizeof(local));
		ifaces_free(&nics);
		return err_set(e, ENODEV, "no interface named %s (local: %s)", a->pos[i], local);
	}
	return 0;
}

/* Whether ifindex has an ENI entry in the active slot; without one it passes everything. */
static bool configured(const struct map_fds *m, int ifindex)
{
	struct eniaddr_state st;
	struct eniaddr_eni eni;
	__u32 zero = 0;
	struct eniaddr_eni_key k;

	if (bpf_map_lookup_elem(m->state, &zero, &st))
		return false;
	k = (struct eniaddr_eni_key){ .slot = st.active_slot, .ifindex = (__u32)ifindex };
	return !bpf_map_lookup_elem(m->enis, &k, &eni);
}

/* The TCP connections open on these devices become established flows before the programs go
 * on (ct_seed.h): attaching never cuts the operator's SSH session. Failing only warns. */
static void seed_open_flows(const struct cli_args *a, const struct session *s)
{
	int ifindexes[CLI_MAX_POS];
	struct ct_seed_stats st;
	struct err e = {};

	for (size_t i = 0; i < a->n_pos; i++)
		ifindexes[i] = (int)if_nametoindex(a->pos[i]);
	if (ct_seed_from_sockets(&s->maps, ifindexes, a->n_pos, &st, &e)) {
		log_warn("%s; open connections may need a rule to survive", e.msg);
		return;
	}
	if (st.seeded)
		log_info("%zu open TCP connection%s kept through attach (connection tracking)",
			 st.seeded, st.seeded == 1 ? "" : "s");
}

static bool unconfigured_drops(const struct map_fds *m, int ifindex)
{
	struct eniaddr_attach rec;

	return !attach_lookup(m, ifindex, &rec) && (rec.flags & ENIADDR_ATTACH_F_UNCONFIGURED_DROP);
}

static const char *mode_long(__u32 mode)
{
	switch (mode) {
	case ENIADDR_ATTACH_NATIVE:  return "native XDP";
	case ENIADDR_ATTACH_GENERIC: return "generic XDP";
	case ENIADDR_ATTACH_TC:      return "tc ingress";
	default:                     return "none";
	}
}

static void attach_plain(const struct attach_result *r)
{
	const char *eg = r->egress ? " + tc egress" : "";

	if (r->unchanged)
		printf("%s: already attached (%s%s), unchanged\n", r->ifname, mode_long(r->mode),
		       eg);
	else if (r->why[0])
		printf("%s: attached (%s%s); not better because %s\n", r->ifname,
		       mode_long(r->mode), eg, r->why);
	else
		printf("%s: attached (%s%s)\n", r->ifname, mode_long(r->mode), eg);
}

static struct json_object *attach_json(const struct attach_result *r, bool is_configured)
{
	struct json_object *o = json_object_new_object();

	jadd_str(o, "ifname", r->ifname);
	jadd_int(o, "ifindex", r->ifindex);
	jadd_str(o, "mode", attach_mode_name(r->mode));
	jadd_bool(o, "egress", r->egress);
	jadd_bool(o, "changed", !r->unchanged);
	jadd_bool(o, "configured", is_configured);
	if (r->why[0])
		jadd_str(o, "fallback_reasons", r->why);
	return o;
}

int cmd_attach(const struct cli_args *a, struct err *e)
{
	struct json_object *list = out_json() ? json_object_new_array() : NULL;
	struct attach_result r;
	struct session s;
	bool conf;
	size_t i;
	int err;

	err = check_names(a, e);
	if (err)
		goto out;
	err = session_open(a, PINS_CREATE, &s, e);
	if (err)
		goto out;
	err = ctl_add_guards(&s.maps, a->guards, a->n_guards, e);
	if (!err && a->n_guards && s.maps.state >= 0 && !s.created)
		log_warn("the guard%s join%s the inbound rules with the next apply or sync",
			 a->n_guards == 1 ? "" : "s", a->n_guards == 1 ? "s" : "");
	if (!err)
		seed_open_flows(a, &s);
	for (i = 0; i < a->n_pos && !err; i++) {
		/* tc_egress always goes along (issue 4): replies must leave by the ENI that
		 * owns their source whatever the ingress mode. */
		err = attach_device(&s.pins, &s.maps, a->pos[i], a->mode, true, &r, e);
		if (err)
			break;
		if (a->unconfigured != CLI_UNCONF_KEEP)
			err = attach_set_unconfigured_drop(&s.maps, r.ifindex,
							   a->unconfigured == CLI_UNCONF_DROP, e);
		if (err)
			break;
		conf = configured(&s.maps, r.ifindex);
		if (!conf && unconfigured_drops(&s.maps, r.ifindex))
			log_warn("%s has no configuration: its IPv4 and IPv6 traffic drops "
				 "(counted `unconfigured_drop`) until apply or sync configures it",
				 r.ifname);
		else if (!conf)
			log_warn("%s has no configuration: it passes everything (counted "
				 "`unconfigured`) until apply or sync configures it", r.ifname);
		if (list)
			json_object_array_add(list, attach_json(&r, conf));
		else
			attach_plain(&r);
	}
	if (err)
		session_undo_load(&s);
	session_close(&s);
out:
	if (!err && list) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "attached", list);
		out_json_print(o);
	} else {
		json_object_put(list);
	}
	return err;
}

/* ---- detach ---- */

static int attached_ifindexes(const struct session *s, int *out, size_t max, size_t *n,
			      struct err *e)
{
	__u32 key, *prev = NULL;

	*n = 0;
	while (!bpf_map_get_next_key(s->maps.attach, prev, &key)) {
		if (*n == max)
			return err_set(e, E2BIG, "more than %zu attached devices", max);
		out[(*n)++] = (int)key;
		prev = &key;
	}
	return errno == ENOENT ? 0 : err_set(e, errno, "%s: %s",
					     ENIADDR_STR(ENIADDR_MAP_ATTACH), strerror(errno));
}

static void detach_plain(const struct detach_result *r)
{
	const char *eg = r->egress ? " + tc egress" : "";

	if (r->ifname[0])
		printf("%s: detached (%s%s)\n", r->ifname, mode_long(r->mode), eg);
	else
		printf("ifindex %d (device gone): detached (%s%s)\n", r->ifindex,
		       mode_long(r->mode), eg);
}

static struct json_object *detach_json(const struct detach_result *r)
{
	struct json_object *o = json_object_new_object();

	if (r->ifname[0])
		jadd_str(o, "ifname", r->ifname);
	else
		jadd_str(o, "ifname", NULL);
	jadd_int(o, "ifindex", r->ifindex);
	jadd_str(o, "mode", attach_mode_name(r->mode));
	jadd_bool(o, "egress", r->egress);
	return o;
}

int cmd_detach(const struct cli_args *a, struct err *e)
{
	struct json_object *list = out_json() ? json_object_new_array() : NULL;
	int ifindexes[CLI_MAX_POS > 256 ? CLI_MAX_POS : 256];
	struct eniaddr_attach rec;
	struct detach_result r;
	bool unloaded = false;
	struct session s;
	size_t i, n = 0;
	int err;

	err = session_open(a, PINS_WRITE, &s, e);
	if (err)
		goto out;
	if (a->all) {
		err = attached_ifindexes(&s, ifindexes, sizeof(ifindexes) / sizeof(ifindexes[0]),
					 &n, e);
	} else {
		/* Check every name first: nothing changes when one is wrong. */
		for (i = 0; i < a->n_pos && !err; i++) {
			ifindexes[n] = (int)if_nametoindex(a->pos[i]);
			if (!ifindexes[n])
				err = err_set(e, ENODEV, "no interface named %s (`" CLI_NAME
					      " detach --all` also removes what was attached to "
					      "deleted devices)", a->pos[i]);
			else if (attach_lookup(&s.maps, ifindexes[n], &rec))
				err = err_set(e, ENOENT, "%s is not attached by " CLI_NAME,
					      a->pos[i]);
			n++;
		}
	}
	for (i = 0; i < n && !err; i++) {
		err = detach_ifindex(&s.pins, &s.maps, ifindexes[i], &r, e);
		if (err)
			break;
		if (list)
			json_object_array_add(list, detach_json(&r));
		else
			detach_plain(&r);
	}
	if (!err) {
		int left = runtime_unload_if_unattached(&s.pins, &s.maps, e);

		if (left < 0)
			err = left;
		unloaded = left == 1;
	}
	if (!err && unloaded && !list)
		printf("nothing attached any more: unloaded, removed %s\n", s.pins.dir);
	session_close(&s);
out:
	if (!err && list) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "detached", list);
		jadd_bool(o, "unloaded", unloaded);
		out_json_print(o);
	} else {
		json_object_put(list);
	}
	return err;
}
