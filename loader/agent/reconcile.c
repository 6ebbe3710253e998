// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/agent/reconcile.c — see reconcile.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/reconcile.h"
#include "compile/compile.h"
#include "kernel/confirm.h"
#include "kernel/ctl.h"
#include "kernel/ifaces.h"
#include "kernel/ledger.h"
#include "kernel/publish.h"
#include "kernel/published.h"
#include "log.h"
#include "source/localize.h"

/* The canonical form of what the active slot holds now, and its generation; the rule tables as
 * far as want (the configuration about to be compared) reaches. */
static int read_published(struct reconciler *r, const struct compiled *want, struct err *e)
{
	struct compiled c = {};
	struct canon cn;
	__u64 gen;
	int err;

	err = published_read(&r->maps, want, &c, &gen, e);
	if (!err)
		err = canon_build(&c, &cn, e);
	if (!err) {
		canon_free(&r->published);
		r->published = cn;
		r->generation = gen;
		r->have_published = true;
	}
	compiled_free(&c);
	return err;
}

static int set_managed(struct reconciler *r, const struct compiled *c, struct err *e)
{
	size_t i;

	r->managed.n = 0;
	for (i = 0; i < c->enis.n; i++) {
		__u32 *slot = VEC_PUSH(&r->managed);

		if (!slot)
			return err_set(e, ENOMEM, "out of memory");
		*slot = c->enis.v[i].k.ifindex;
	}
	return 0;
}

int reconciler_open(struct reconciler *r, const char *bpffs, enum attach_req mode, __u32 ct_size,
		    struct err *e)
{
	struct runtime_opts ro = { .ct_size = ct_size };
	struct compiled c = {};
	int err;

	memset(r, 0, sizeof(*r));
	map_fds_init(&r->maps);
	state_init(&r->last);
	r->mode = mode;
	err = pins_init(&r->pins, bpffs, e);
	if (err)
		return err;
	err = pins_lock(&r->pins, PINS_CREATE, e);
	if (err)
		return err;
	err = runtime_load_opts(&r->pins, &ro, NULL, e);
	if (!err)
		err = runtime_open_maps(&r->pins, &r->maps, e);
	/* the publish ledger, so the publisher may trust its record of the slots (publish.h) */
	if (!err && r->maps.ledger < 0) {
		r->maps.ledger = ledger_open(&r->pins, true, e);
		err = r->maps.ledger < 0 ? r->maps.ledger : 0;
	}
	pins_unlock(&r->pins);
	/* Adopt: the ENIs in force are ours to detach when they leave. */
	if (!err)
		err = published_read(&r->maps, NULL, &c, NULL, e);
	if (!err)
		err = set_managed(r, &c, e);
	compiled_free(&c);
	if (err)
		reconciler_close(r);
	return err;
}

void reconciler_close(struct reconciler *r)
{
	runtime_close_maps(&r->maps);
	pins_unlock(&r->pins);
	canon_free(&r->published);
	VEC_FREE(&r->managed);
	state_free(&r->last);
	compile_cache_free(&r->cache);
	publish_shadow_free(&r->shadow);
	r->have_published = r->have_last = false;
}

static bool eni_is_local(const struct eni *n, const struct nics *nics)
{
	if (n->has_mac)
		return ifaces_by_mac(nics, n->mac) != NULL;
	return n->ifname[0] && ifaces_by_name(nics, n->ifname);
}

/*
 * An ENI the source knows but this namespace has no interface for (hot-plug half done, or a
 * detach the source has not seen yet) cannot receive anything here: it is left out rather than
 * failing every other ENI's update. A source none of whose ENIs is local is an error, never an
 * empty configuration.
 */
static int keep_local(struct desired_state *s, const struct nics *nics, struct err *e)
{
	char mac[18], local[256];
	size_t i, kept = 0;

	for (i = 0; i < s->enis.n; i++) {
		struct eni *n = &s->enis.v[i];

		if (eni_is_local(n, nics)) {
			s->enis.v[kept++] = *n;
			continue;
		}
		ifaces_format_mac(n->mac, mac, sizeof(mac));
		log_debug("%s: %s (%s) has no local interface yet: left out", s->origin,
			  n->eni_id[0] ? n->eni_id : "ENI", n->has_mac ? mac : n->ifname);
		eni_free(n);
	}
	s->enis.n = kept;
	if (!kept) {
		ifaces_names(nics, local, sizeof(local));
		return err_set(e, ENODEV, "%s: none of its %zu ENIs has a local interface (local: "
			       "%s): nothing applied", s->origin, i, local);
	}
	return 0;
}

/* The state made ready to compile: bound to the interfaces, subnets and routers filled,
 * validated. */
static int prepare(struct desired_state *s, const struct nics *nics, struct err *e)
{
	return keep_local(s, nics, e) ?: state_localize(s, nics, e);
}

static const char *name_of(__u32 ifindex, char buf[16])
{
	return if_indextoname(ifindex, buf);
}

/* Publishes c (compiled for the slot that was inactive) under the lock; recompiles if the slot
 * turned while the lock was not held. */
static int publish_locked(struct reconciler *r, const struct desired_state *s,
			  struct compiled *c, __u64 *gen, struct err *e)
{
	struct publish_opts o = { .shadow = &r->shadow };
	struct publish_result pr;
	unsigned int slot;
	int err;

	err = pins_lock(&r->pins, PINS_WRITE, e);
	if (err)
		return err;
	/* an operator's `--confirm` publish: revert it when its deadline passed (its watchdog may
	 * be gone); while it still waits, publish nothing (the revert needs the old slot) and
	 * retry on the next tick */
	err = confirm_revert_if_expired(&r->maps, NULL, e) ?: confirm_refuse_if_pending(&r->maps, e);
	if (!err)
		err = publish_prepare(&r->maps, &slot, e);
	if (!err && slot != c->slot) {
		compiled_free(c);
		err = compile_state_with(s, slot, &r->cache, c, e);
	}
	if (!err)
		err = publish_commit_with(&r->maps, c, &o, &pr, e);
	if (!err)
		*gen = pr.generation;
	pins_unlock(&r->pins);
	return err;
}

static bool in_compiled(const struct compiled *c, __u32 ifindex)
{
	for (size_t i = 0; i < c->enis.n; i++)
		if (c->enis.v[i].k.ifindex == ifindex)
			return true;
	return false;
}

/* Attaches every ENI of c not attached yet, and detaches the managed ones c no longer has. */
static int sync_attachments(struct reconciler *r, const struct compiled *c,
			    struct reconcile_result *res, struct err *e)
{
	struct eniaddr_attach rec;
	struct attach_result ar;
	struct detach_result dr;
	char ifname[IF_NAMESIZE];
	bool locked = false;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < c->enis.n; i++) {
		__u32 ifindex = c->enis.v[i].k.ifindex;

		if (!attach_lookup(&r->maps, (int)ifindex, &rec))
			continue;
		if (!if_indextoname(ifindex, ifname))
			continue; /* gone since: the next reconcile drops it */
		if (!locked && (err = pins_lock(&r->pins, PINS_WRITE, e)))
			break;
		locked = true;
		err = attach_device(&r->pins, &r->maps, ifname, r->mode, true, &ar, e);
		if (!err) {
			res->attached++;
			log_warn("%s: attached (%s%s)%s%s", ifname, attach_mode_name(ar.mode),
				 ar.egress ? " + tc egress" : "", ar.why[0] ? "; not better: " : "",
				 ar.why);
		}
	}
	for (i = 0; !err && i < r->managed.n; i++) {
		__u32 ifindex = r->managed.v[i];

		if (in_compiled(c, ifindex) || attach_lookup(&r->maps, (int)ifindex, &rec))
			continue;
		if (!locked && (err = pins_lock(&r->pins, PINS_WRITE, e)))
			break;
		locked = true;
		err = detach_ifindex(&r->pins, &r->maps, (int)ifindex, &dr, e);
		if (!err) {
			res->detached++;
			log_warn("%s: detached: no longer an ENI of the source",
				 dr.ifname[0] ? dr.ifname : "(gone)");
		}
	}
	if (locked)
		pins_unlock(&r->pins);
	return err ? err : set_managed(r, c, e);
}

int reconcile_detach_gone(struct reconciler *r, unsigned int *detached, struct err *e)
{
	__u32 key, *prev = NULL, gone[64];
	char ifname[IF_NAMESIZE];
	struct detach_result dr;
	size_t n = 0, i;
	int err = 0;

	while (!bpf_map_get_next_key(r->maps.attach, prev, &key)) {
		prev = &key;
		if (!if_indextoname(key, ifname) && n < sizeof(gone) / sizeof(gone[0]))
			gone[n++] = key;
	}
	if (!n)
		return 0;
	err = pins_lock(&r->pins, PINS_WRITE, e);
	for (i = 0; !err && i < n; i++) {
		err = detach_ifindex(&r->pins, &r->maps, (int)gone[i], &dr, e);
		if (!err) {
			(*detached)++;
			log_warn("ifindex %u: device gone: detached", gone[i]);
		}
	}
	if (r->pins.lock_fd >= 0)
		pins_unlock(&r->pins);
	return err;
}

int reconcile(struct reconciler *r, const struct state_builder *src, struct reconcile_result *res,
	      struct err *e)
{
	struct canon_diff d = {};
	struct compiled c = {};
	struct desired_state st;
	struct nics nics = {};
	struct canon cn = {};
	unsigned int active;
	__u64 gen;
	int err;

	memset(res, 0, sizeof(*res));
	state_init(&st);
	err = src->build(src->ctx, &st, e);
	if (!err)
		err = ifaces_list(&nics, e);
	if (!err)
		err = prepare(&st, &nics, e);
	/* the management guards (--guard): every publisher compiles them in */
	if (!err)
		err = ctl_apply_guards(&r->maps, &st, NULL, e);
	/* Someone else published (or the agent just started): compare with what is there. */
	if (!err)
		err = published_state(&r->maps, &active, &gen, e);
	if (!err)
		err = compile_state_with(&st, 1 - active, &r->cache, &c, e);
	if (!err && (!r->have_published || gen != r->generation))
		err = read_published(r, &c, e);
	if (!err)
		err = canon_build(&c, &cn, e);
	if (err)
		goto out;
	res->generation = r->generation;
	if (!canon_equal(&cn, &r->published)) {
		err = publish_locked(r, &st, &c, &gen, e);
		if (err)
			goto out;
		if (!canon_diff(&r->published, &cn, &d, e))
			canon_diff_summary(&d, name_of, res->change, sizeof(res->change));
		canon_diff_free(&d);
		canon_free(&r->published);
		r->published = cn;
		memset(&cn, 0, sizeof(cn));
		r->generation = res->generation = gen;
		res->published = true;
		log_warn("published generation %llu: %s", (unsigned long long)gen, res->change);
	}
	res->digest = r->published.digest;
	res->enis = (unsigned int)c.enis.n;
	err = sync_attachments(r, &c, res, e);
	if (!err)
		err = reconcile_detach_gone(r, &res->detached, e);
	if (!err) {
		state_free(&r->last);
		r->last = st;
		r->have_last = true;
		state_init(&st);
	}
out:
	canon_free(&cn);
	compile_cache_keep(&r->cache, &c); /* compiled_free(), the rules kept for the next one */
	ifaces_free(&nics);
	state_free(&st);
	return err;
}
