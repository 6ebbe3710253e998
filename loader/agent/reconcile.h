/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/agent/reconcile.h — one reconcile of the agent:
 *   source -> keep the ENIs that have a local interface -> bind them -> subnets from the
 *   interfaces -> routers from the kernel's routes (source/routes.h) -> validate -> compile -> compare (canonically) with what the active slot holds
 *   -> publish in ONE step when it differs -> attach new ENIs, detach those that left.
 * Anything failing before the publish changes nothing: the active generation keeps filtering and
 * the error goes to status; the next tick tries again. An address moving between two local ENIs
 * is one publish: its old owner loses it in the same map flip that gives it to the new one.
 *
 * Publish before attach: a new device's first packet already meets its configuration, never the
 * "unconfigured" pass. The pin dir's LOCK_EX is taken only around a publish, an attach or a
 * detach, so `status` and other readers are never held up by an idle agent.
 *
 * Adoption: what is published is read back from the maps when the agent starts and whenever the
 * generation moves under it (someone ran `apply`), so a restart republishes nothing unless the
 * source changed meanwhile.
 *
 * Speed (a reassignment in ~3 ms for 16 ENIs x 1000 rules): the agent keeps the compiled rules
 * of its last compile (compile.h, struct compile_cache: reused while no policy's inputs changed)
 * and its publisher's record of what each slot holds (publish.h, struct publish_shadow: trusted
 * only while nobody else published, proven by eniaddr_state and the publish ledger, which
 * reconciler_open creates).
 */
#ifndef ENIADDR_AGENT_RECONCILE_H
#define ENIADDR_AGENT_RECONCILE_H

#include <linux/types.h>
#include <stdbool.h>

#include "agent/canon.h"
#include "agent/source.h"
#include "compile/compile.h"
#include "err.h"
#include "kernel/attach.h"
#include "kernel/pins.h"
#include "kernel/publish.h"
#include "kernel/runtime.h"
#include "state.h"

#define RECONCILE_CHANGE_LEN 512

struct reconciler {
	struct pins pins;
	struct map_fds maps;      /* open for the agent's life */
	enum attach_req mode;     /* attach mode for new ENIs */
	struct canon published;   /* canonical form of the active slot */
	__u64 generation;         /* ... at this generation */
	bool have_published;
	VEC(__u32) managed;       /* ifindexes of the ENIs in force: detached when they leave */
	struct desired_state last;/* the last state published or confirmed (manage-addresses) */
	bool have_last;
	struct compile_cache cache;    /* the rules of the last compile */
	struct publish_shadow shadow;  /* what this agent's publishes left in each slot */
};

struct reconcile_result {
	bool published;           /* a new generation went live */
	__u64 generation;         /* in force afterwards */
	__u64 digest;
	unsigned int enis, attached, detached;
	char change[RECONCILE_CHANGE_LEN]; /* what the publish changed, "" when nothing */
};

/*
 * Loads the object if needed (as `attach`: ct_size only for a new load), opens the maps and
 * reads what is published. bpffs: NULL for the default root.
 */
int reconciler_open(struct reconciler *r, const char *bpffs, enum attach_req mode, __u32 ct_size,
		    struct err *e);
void reconciler_close(struct reconciler *r);

int reconcile(struct reconciler *r, const struct state_builder *src, struct reconcile_result *res,
	      struct err *e);

/* Detaches devices the agent attached that are gone (an ENI hot-unplugged): their XDP link pin
 * and attach record. Part of reconcile; also on its own after a link went away. */
int reconcile_detach_gone(struct reconciler *r, unsigned int *detached, struct err *e);

#endif
