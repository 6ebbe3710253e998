// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli/cmd_status.c — `status`: the published generation and, per ENI of the active slot, its
 * device, how it is attached, its mode and what it holds; then devices attached without
 * configuration; then the loaded programs (ids) and how full each table is, conntrack included.
 * Read from the maps only (what the programs see), under a shared lock.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "guard.h"
#include "kernel/attach.h"
#include "kernel/confirm.h"
#include "kernel/ct_tables.h"
#include "kernel/ctl.h"
#include "cmds.h"
#include "output.h"
#include "kernel/mapfill.h"
#include "kernel/owner_maps.h"
#include "kernel/publish.h"
#include "kernel/status_note.h"
#include "session.h"
#include "source/routes.h"
#include "status_agent.h"
#include "vec.h"

struct status_row {
	__u32 ifindex;
	char ifname[IF_NAMESIZE];  /* "?" when the ifindex is gone */
	bool configured;           /* has an ENI entry in the active slot */
	struct eniaddr_eni eni;
	__u32 attach_mode;         /* ENIADDR_ATTACH_NONE: not attached */
	bool egress;               /* tc_egress attached too */
	bool unconf_drop;          /* attach --unconfigured drop */
	unsigned int addrs, overrides, pfxs;
	struct eniaddr_nexthop nh[2]; /* [0] IPv4, [1] IPv6: where redirects to this ENI go */
	bool has_nh[2];
	const char *router_neigh[2]; /* the router's neighbour entry on this ENI: "reachable"... */
};

struct prog_row {
	const char *name;
	__u32 id, insns; /* id 0: not loaded */
};

static const char *const prog_names[] = {
	RUNTIME_PROG_XDP_INGRESS, RUNTIME_PROG_TC_INGRESS, RUNTIME_PROG_TC_EGRESS,
};
#define N_PROGS (sizeof(prog_names) / sizeof(prog_names[0]))

struct status {
	struct eniaddr_state state;
	struct eniaddr_ctl ctl;        /* guards, notes of the last publish */
	bool confirm_pending;
	__u64 confirm_generation;
	__s64 confirm_left_s;
	struct agent_record agent; /* `run`'s record, when has_agent */
	bool has_agent;
	VEC(struct status_row) rows;
	struct prog_row progs[N_PROGS];
	struct map_fill fills[MAPFILL_MAX];
	int n_fills;
	struct json_object *note; /* status_note.h: sources, groups without members; or NULL */
};

/* The pinned programs' ids and sizes (what `bpftool prog show id N` shows more of). */
static void read_progs(const struct pins *p, struct status *st)
{
	size_t i;

	for (i = 0; i < N_PROGS; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		struct err ignored = {};
		int fd = runtime_open_prog(p, prog_names[i], &ignored);

		st->progs[i].name = prog_names[i];
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
			st->progs[i].id = info.id;
			st->progs[i].insns = info.xlated_prog_len / 8;
		}
		close(fd);
	}
}

static struct status_row *row_of(struct status *st, __u32 ifindex, bool add)
{
	struct status_row *r;
	size_t i;

	for (i = 0; i < st->rows.n; i++)
		if (st->rows.v[i].ifindex == ifindex)
			return &st->rows.v[i];
	if (!add || !(r = VEC_PUSH(&st->rows)))
		return NULL;
	r->ifindex = ifindex;
	if (!if_indextoname(ifindex, r->ifname))
		snprintf(r->ifname, sizeof(r->ifname), "?");
	return r;
}

static int walk_error(const char *map, struct err *e)
{
	return err_set(e, errno, "reading %s: %s", map, strerror(errno));
}

static int read_enis(const struct map_fds *m, struct status *st, struct err *e)
{
	struct eniaddr_eni_key k, *prev = NULL;
	struct eniaddr_eni v;
	struct status_row *r;

	while (!bpf_map_get_next_key(m->enis, prev, &k)) {
		prev = &k;
		if (k.slot != st->state.active_slot || bpf_map_lookup_elem(m->enis, &k, &v))
			continue;
		if (!(r = row_of(st, k.ifindex, true)))
			return err_set(e, ENOMEM, "out of memory");
		r->configured = true;
		r->eni = v;
	}
	return errno == ENOENT ? 0 : walk_error(ENIADDR_STR(ENIADDR_MAP_ENIS), e);
}

/* Exact addresses and delegated prefixes of the active slot per ENI, both families. */
static int count_owners(const struct map_fds *m, struct status *st, struct err *e)
{
	VEC(struct compiled_addr) addrs = {};
	VEC(struct compiled_pfx) pfxs = {};
	struct status_row *r;
	int err = owner_read(m, (int)st->state.active_slot, &addrs, &pfxs, e);

	for (size_t i = 0; !err && i < addrs.n; i++)
		if ((r = row_of(st, addrs.v[i].v.ifindex, false))) {
			r->addrs++;
			r->overrides += !!(addrs.v[i].v.flags & ENIADDR_ADDR_F_OVERRIDE);
		}
	for (size_t i = 0; !err && i < pfxs.n; i++)
		if ((r = row_of(st, pfxs.v[i].v.ifindex, false)))
			r->pfxs++;
	VEC_FREE(&addrs);
	VEC_FREE(&pfxs);
	return err;
}

static int read_nexthops(const struct map_fds *m, struct status *st, struct err *e)
{
	struct eniaddr_nexthop_key k, *prev = NULL;
	struct eniaddr_nexthop v;
	struct status_row *r;

	while (!bpf_map_get_next_key(m->nexthop, prev, &k)) {
		int f = k.family == ENIADDR_AF_INET6;

		prev = &k;
		if (k.slot != st->state.active_slot || bpf_map_lookup_elem(m->nexthop, &k, &v))
			continue;
		if ((r = row_of(st, k.ifindex, false))) {
			r->nh[f] = v;
			r->has_nh[f] = true;
		}
	}
	return errno == ENOENT ? 0 : walk_error(ENIADDR_STR(ENIADDR_MAP_NEXTHOP), e);
}

/* Whether each router resolved on its ENI: the state of its neighbour entry ("failed" means the
 * redirected packets to it were dropped by the kernel). Unknown when netlink cannot say. */
static void read_router_neighbours(struct status *st)
{
	for (size_t i = 0; i < st->rows.n; i++) {
		struct status_row *r = &st->rows.v[i];

		for (int f = 0; f < 2; f++) {
			struct err e = { "" };
			__u16 state;

			if (!r->has_nh[f])
				continue;
			r->router_neigh[f] = routes_neigh_state((int)r->ifindex, r->nh[f].gateway,
								&state, &e) ?
					     "unknown" : neigh_state_name(state);
		}
	}
}

/* "192.0.2.0/24" and "192.0.2.1" of a next-hop entry. */
static void nexthop_text(const struct eniaddr_nexthop *nh, char *subnet, char *router, size_t len)
{
	struct ip_prefix p = { .plen = (uint8_t)nh->plen };

	memcpy(p.addr, nh->subnet, sizeof(p.addr));
	ip_prefix_format(&p, false, subnet, len);
	ip_addr_format(nh->gateway, router, len);
}

static int read_attach(const struct map_fds *m, struct status *st, struct err *e)
{
	struct eniaddr_attach v;
	__u32 k, *prev = NULL;
	struct status_row *r;

	while (!bpf_map_get_next_key(m->attach, prev, &k)) {
		prev = &k;
		if (bpf_map_lookup_elem(m->attach, &k, &v))
			continue;
		if (!(r = row_of(st, k, true)))
			return err_set(e, ENOMEM, "out of memory");
		r->attach_mode = v.mode;
		r->egress = v.tc_out_handle != 0;
		r->unconf_drop = v.flags & ENIADDR_ATTACH_F_UNCONFIGURED_DROP;
	}
	return errno == ENOENT ? 0 : walk_error(ENIADDR_STR(ENIADDR_MAP_ATTACH), e);
}

/* Configured ENIs first, then attached-only devices; each group by ifindex. */
static int by_row(const void *a, const void *b)
{
	const struct status_row *x = a, *y = b;

	if (x->configured != y->configured)
		return x->configured ? -1 : 1;
	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

static int read_agent(const struct pins *p, struct status *st, struct err *e)
{
	int err = agent_record_read(p, &st->agent, e);

	st->has_agent = !err;
	return err == -ENOENT ? 0 : err;
}

static int status_read(const struct pins *p, const struct map_fds *m, struct status *st,
		       struct err *e)
{
	__u32 key = 0;
	int err;

	if (bpf_map_lookup_elem(m->state, &key, &st->state))
		return walk_error(ENIADDR_STR(ENIADDR_MAP_STATE), e);
	err = read_enis(m, st, e);
	if (!err)
		err = count_owners(m, st, e);
	if (!err)
		err = read_nexthops(m, st, e);
	if (!err)
		err = read_attach(m, st, e);
	if (!err)
		err = ctl_read(m, &st->ctl, e);
	if (!err)
		st->confirm_pending = confirm_pending(m, &st->confirm_generation,
						      &st->confirm_left_s);
	if (!err)
		read_router_neighbours(st);
	if (!err)
		err = read_agent(p, st, e);
	if (!err && st->rows.n)
		qsort(st->rows.v, st->rows.n, sizeof(st->rows.v[0]), by_row);
	if (!err) {
		st->n_fills = mapfill_read(m, st->fills, e);
		err = st->n_fills < 0 ? st->n_fills : 0;
	}
	return err;
}

static void tables_plain(const struct status *st)
{
	size_t i;
	int f;

	printf("\n%-18s %6s %6s\n", "PROGRAM", "ID", "INSNS");
	for (i = 0; i < N_PROGS; i++)
		if (st->progs[i].id)
			printf("%-18s %6u %6u\n", st->progs[i].name, st->progs[i].id,
			       st->progs[i].insns);
	printf("\n%-18s %6s %10s %10s %6s\n", "MAP", "ID", "ENTRIES", "CAPACITY", "FILL");
	for (f = 0; f < st->n_fills; f++) {
		const struct map_fill *m = &st->fills[f];

		printf("%-18s %6u %10llu %10u %5.1f%%\n", m->name, m->id,
		       (unsigned long long)m->entries, m->capacity,
		       m->capacity ? 100.0 * (double)m->entries / m->capacity : 0.0);
	}
	printf("\n");
	for (f = 0; f < st->n_fills; f++) {
		bool v4, unconfirmed;

		if (ct_table_named(st->fills[f].name, &v4, &unconfirmed))
			printf("conntrack: %llu of %u %s entries %s\n",
			       (unsigned long long)st->fills[f].entries, st->fills[f].capacity,
			       v4 ? "IPv4" : "IPv6",
			       unconfirmed ? "unconfirmed (no answer yet)" : "confirmed");
	}
}

/* "conntrack": both families' tables summed, and each family's own ("ipv4", "ipv6"): a family
 * never uses the other's room. */
static void conntrack_json(struct json_object *o, const struct status *st)
{
	struct json_object *ct = json_object_new_object();
	struct json_object *fam[2] = { json_object_new_object(), json_object_new_object() };
	__u64 entries[2] = { 0 }, capacity[2] = { 0 }; /* [unconfirmed] */
	static const char *const key[2][2] = { { "entries", "capacity" },
					       { "unconfirmed_entries", "unconfirmed_capacity" } };
	bool v4, unc;
	int f;

	for (f = 0; f < st->n_fills; f++) {
		if (!ct_table_named(st->fills[f].name, &v4, &unc))
			continue;
		entries[unc] += st->fills[f].entries;
		capacity[unc] += st->fills[f].capacity;
		jadd_u64(fam[v4], key[unc][0], st->fills[f].entries);
		jadd_u64(fam[v4], key[unc][1], st->fills[f].capacity);
	}
	for (f = 0; f < 2; f++) {
		jadd_u64(ct, key[f][0], entries[f]);
		jadd_u64(ct, key[f][1], capacity[f]);
	}
	json_object_object_add(ct, "ipv4", fam[1]);
	json_object_object_add(ct, "ipv6", fam[0]);
	json_object_object_add(o, "conntrack", ct);
}

static void tables_json(struct json_object *o, const struct status *st)
{
	struct json_object *progs = json_object_new_array(), *maps = json_object_new_array();
	size_t i;
	int f;

	for (i = 0; i < N_PROGS; i++) {
		struct json_object *j;

		if (!st->progs[i].id)
			continue;
		j = json_object_new_object();
		jadd_str(j, "name", st->progs[i].name);
		jadd_int(j, "id", st->progs[i].id);
		jadd_int(j, "insns", st->progs[i].insns);
		json_object_array_add(progs, j);
	}
	for (f = 0; f < st->n_fills; f++) {
		struct json_object *j = json_object_new_object();

		jadd_str(j, "name", st->fills[f].name);
		jadd_int(j, "id", st->fills[f].id);
		jadd_u64(j, "entries", st->fills[f].entries);
		jadd_int(j, "capacity", st->fills[f].capacity);
		json_object_array_add(maps, j);
	}
	conntrack_json(o, st);
	json_object_object_add(o, "programs", progs);
	json_object_object_add(o, "maps", maps);
}

static const char *eni_mode_name(__u8 mode)
{
	return mode == ENIADDR_MODE_AUDIT ? "audit" : "enforce";
}

/* Policy ids as the compiler numbers them: without the slot bit. */
static unsigned int policy_id(__u32 p)
{
	return p & ~ENIADDR_POLICY_SLOT_BIT;
}

/* "native", "tc+egress", "not attached" */
static const char *attach_name(const struct status_row *r, char *buf, size_t len)
{
	if (r->attach_mode == ENIADDR_ATTACH_NONE)
		return "not attached";
	snprintf(buf, len, "%s%s", attach_mode_name(r->attach_mode), r->egress ? "+egress" : "");
	return buf;
}

static const char *unconf_effect(const struct status_row *r)
{
	return r->unconf_drop ? "its IPv4 and IPv6 traffic drops (--unconfigured drop)"
			      : "it passes everything";
}

/* Guards, a pending confirm and everything that deserves a warning. */
static void status_notes_plain(const struct status *st)
{
	char g[GUARD_STRLEN];

	for (__u32 i = 0; i < st->ctl.n_guards; i++) {
		guard_format(&st->ctl.guards[i], g);
		printf("guard: %s %s, whatever the configuration says\n",
		       st->ctl.guards[i].port ? "TCP port from" : "everything from", g);
	}
	if (st->confirm_pending)
		printf("confirm: generation %llu is reverted in %llds unless `eniaddr-bpf confirm` "
		       "comes first\n", (unsigned long long)st->confirm_generation,
		       (long long)(st->confirm_left_s > 0 ? st->confirm_left_s : 0));
	for (size_t i = 0; i < st->rows.n; i++)
		if (!st->rows.v[i].configured && st->rows.v[i].attach_mode != ENIADDR_ATTACH_NONE)
			printf("warning: %s is attached without configuration: %s\n",
			       st->rows.v[i].ifname, unconf_effect(&st->rows.v[i]));
	for (__u32 i = 0; i < st->ctl.n_notes; i++)
		printf("warning: %.*s\n", ENIADDR_NOTE_LEN, st->ctl.notes[i]);
}

static struct json_object *status_notes_json(const struct status *st, struct json_object *o)
{
	struct json_object *guards = json_object_new_array(), *warn = json_object_new_array();
	char g[GUARD_STRLEN], text[ENIADDR_NOTE_LEN + 1];

	for (__u32 i = 0; i < st->ctl.n_guards; i++) {
		guard_format(&st->ctl.guards[i], g);
		json_object_array_add(guards, json_object_new_string(g));
	}
	json_object_object_add(o, "guards", guards);
	if (st->confirm_pending) {
		struct json_object *c = json_object_new_object();

		jadd_u64(c, "generation", st->confirm_generation);
		jadd_int(c, "reverts_in_s", st->confirm_left_s > 0 ? st->confirm_left_s : 0);
		jadd_int(c, "watchdog_pid", st->ctl.confirm_watchdog_pid);
		json_object_object_add(o, "confirm_pending", c);
	} else {
		json_object_object_add(o, "confirm_pending", NULL);
	}
	for (size_t i = 0; i < st->rows.n; i++)
		if (!st->rows.v[i].configured && st->rows.v[i].attach_mode != ENIADDR_ATTACH_NONE) {
			snprintf(text, sizeof(text), "%s is attached without configuration: %s",
				 st->rows.v[i].ifname, unconf_effect(&st->rows.v[i]));
			json_object_array_add(warn, json_object_new_string(text));
		}
	for (__u32 i = 0; i < st->ctl.n_notes; i++) {
		snprintf(text, sizeof(text), "%.*s", ENIADDR_NOTE_LEN, st->ctl.notes[i]);
		json_object_array_add(warn, json_object_new_string(text));
	}
	json_object_object_add(o, "warnings", warn);
	return o;
}

/* "sources: imds+sgs.json (rules: security groups sgs.json)" and the groups nobody is in. */
static void note_plain(struct json_object *note)
{
	struct json_object *origin, *rules, *empty;

	if (!note)
		return;
	if (json_object_object_get_ex(note, "origin", &origin) &&
	    json_object_object_get_ex(note, "rules_source", &rules))
		printf("sources: %s (rules: %s)\n", json_object_get_string(origin),
		       json_object_get_string(rules));
	if (!json_object_object_get_ex(note, "groups_without_members", &empty) ||
	    !json_object_array_length(empty))
		return;
	printf("groups referenced by rules without known members (admit nobody):");
	for (size_t i = 0; i < json_object_array_length(empty); i++)
		printf(" %s", json_object_get_string(json_object_array_get_idx(empty, i)));
	printf("\n");
}

static void status_plain(const struct status *st)
{
	static const char guess_note[] =
		": no route or router neighbour on the interface, counted redirect_guess";
	char att[32];
	size_t i;

	if (!st->state.generation)
		printf("generation 0: nothing published yet\n");
	else
		printf("generation %llu (slot %u)\n", (unsigned long long)st->state.generation,
		       st->state.active_slot);
	note_plain(st->note);
	status_agent_plain(st->has_agent ? &st->agent : NULL);
	if (!st->rows.n) {
		status_notes_plain(st);
		tables_plain(st);
		return;
	}
	printf("%-15s %7s  %-15s %-12s %5s %8s %8s %9s %9s %10s\n", "IFNAME", "IFINDEX",
	       "ATTACH", "MODE", "ADDRS", "PREFIXES", "IN_RULES", "OUT_RULES", "IN_POLICY",
	       "OUT_POLICY");
	for (i = 0; i < st->rows.n; i++) {
		const struct status_row *r = &st->rows.v[i];

		if (!r->configured) {
			printf("%-15s %7u  %-15s %-12s %5s %8s %8s %9s %9s %10s\n", r->ifname,
			       r->ifindex, attach_name(r, att, sizeof(att)),
			       r->unconf_drop ? "unconf-drop" : "unconfigured", "-", "-",
			       "-", "-", "-", "-");
			continue;
		}
		printf("%-15s %7u  %-15s %-12s %5u %8u %8u %9u %9u %10u\n", r->ifname, r->ifindex,
		       attach_name(r, att, sizeof(att)), eni_mode_name(r->eni.mode), r->addrs, r->pfxs,
		       r->eni.in_rules, r->eni.out_rules, policy_id(r->eni.in_policy),
		       policy_id(r->eni.out_policy));
	}
	for (i = 0; i < st->rows.n; i++) {
		const struct status_row *r = &st->rows.v[i];
		char subnet[IP_PREFIX_STRLEN], router[IP_PREFIX_STRLEN];

		for (int f = 0; f < 2; f++) {
			if (!r->has_nh[f])
				continue;
			nexthop_text(&r->nh[f], subnet, router, sizeof(subnet));
			printf("%s: replies redirected here go to hosts in %s directly, others "
			       "via %s (origin %s, neighbour entry %s)%s\n", r->ifname, subnet,
			       router, router_origin_name(r->nh[f].origin), r->router_neigh[f],
			       r->nh[f].origin == ENIADDR_NH_GUESS ? guess_note : "");
		}
	}
	status_notes_plain(st);
	tables_plain(st);
}

/* [{"family": "ipv4", "subnet": "192.0.2.0/24", "router": "192.0.2.1", "router_origin":
 * "route", "router_neighbour": "reachable"}, ...]: the redirect's next hops. */
static struct json_object *subnets_json(const struct status_row *r)
{
	struct json_object *list = json_object_new_array();
	char subnet[IP_PREFIX_STRLEN], router[IP_PREFIX_STRLEN];

	for (int f = 0; f < 2; f++) {
		struct json_object *o;

		if (!r->has_nh[f])
			continue;
		nexthop_text(&r->nh[f], subnet, router, sizeof(subnet));
		o = json_object_new_object();
		jadd_str(o, "family", f ? "ipv6" : "ipv4");
		jadd_str(o, "subnet", subnet);
		jadd_str(o, "router", router);
		jadd_str(o, "router_origin", router_origin_name(r->nh[f].origin));
		jadd_str(o, "router_neighbour", r->router_neigh[f]);
		json_object_array_add(list, o);
	}
	return list;
}

static void status_json(const struct status *st)
{
	struct json_object *o = json_object_new_object(), *enis = json_object_new_array();
	struct json_object *unconf = json_object_new_array();
	size_t i;

	jadd_u64(o, "generation", st->state.generation);
	jadd_int(o, "active_slot", st->state.active_slot);
	for (i = 0; i < st->rows.n; i++) {
		const struct status_row *r = &st->rows.v[i];
		struct json_object *j = json_object_new_object();

		jadd_str(j, "ifname", r->ifindex && strcmp(r->ifname, "?") ? r->ifname : NULL);
		jadd_int(j, "ifindex", r->ifindex);
		jadd_str(j, "attach", attach_mode_name(r->attach_mode));
		jadd_bool(j, "egress", r->egress);
		if (!r->configured)
			jadd_str(j, "unconfigured", r->unconf_drop ? "drop" : "pass");
		if (r->configured) {
			jadd_str(j, "mode", eni_mode_name(r->eni.mode));
			jadd_int(j, "addresses", r->addrs);
			jadd_int(j, "address_overrides", r->overrides);
			jadd_int(j, "prefixes", r->pfxs);
			jadd_int(j, "in_rules", r->eni.in_rules);
			jadd_int(j, "out_rules", r->eni.out_rules);
			jadd_int(j, "in_policy", policy_id(r->eni.in_policy));
			jadd_int(j, "out_policy", policy_id(r->eni.out_policy));
			jadd_bool(j, "source_check", r->eni.flags & ENIADDR_ENI_F_SRC_CHECK);
			json_object_object_add(j, "subnets", subnets_json(r));
			json_object_array_add(enis, j);
		} else {
			json_object_array_add(unconf, j);
		}
	}
	json_object_object_add(o, "enis", enis);
	json_object_object_add(o, "attached_unconfigured", unconf);
	if (st->note)
		json_object_object_add(o, "sync", json_object_get(st->note));
	json_object_object_add(o, "agent", status_agent_json(st->has_agent ? &st->agent : NULL));
	tables_json(o, st);
	out_json_print(status_notes_json(st, o));
}

int cmd_status(const struct cli_args *a, struct err *e)
{
	struct status st = {};
	struct session s;
	int err;

	err = session_open(a, PINS_READ, &s, e);
	if (err)
		return err;
	err = status_read(&s.pins, &s.maps, &st, e);
	if (!err) {
		st.note = status_note_read(&s.pins, st.state.generation);
		read_progs(&s.pins, &st);
	}
	session_close(&s);
	if (!err) {
		if (out_json())
			status_json(&st);
		else
			status_plain(&st);
	}
	VEC_FREE(&st.rows);
	json_object_put(st.note);
	return err;
}
