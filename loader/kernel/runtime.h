/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/runtime.h — the BPF object's lifecycle across CLI runs. The object is loaded once and
 * everything lives on in pins (pins.h); later runs open the pins instead of loading again, so
 * attach, apply and status all see the same maps and programs.
 *
 *   runtime_load()      ensure loaded: open the skeleton, reuse every map already pinned, load,
 *                       pin the maps and programs not pinned yet. Nothing to do when all are.
 *   runtime_open_maps() open the pinned maps by name (read commands, apply, attach)
 *   runtime_open_prog() open one pinned program (attach)
 *   runtime_unload()    remove every pin and the pin dir (the last detach)
 *
 * Callers hold the pin dir lock: LOCK_EX (PINS_CREATE) for load and unload.
 */
#ifndef ENIADDR_RUNTIME_H
#define ENIADDR_RUNTIME_H

#include <linux/types.h>
#include <stdbool.h>

#include "err.h"
#include "kernel/pins.h"

#define RUNTIME_PROG_XDP_INGRESS "xdp_ingress"
#define RUNTIME_PROG_TC_INGRESS  "tc_ingress"
#define RUNTIME_PROG_TC_EGRESS   "tc_egress" /* not in every build yet */

/* One fd per map of maps/eniaddr.h; -1 when not open. runtime_load walks every map of the
 * object, so each is loaded, pinned and removed with the rest. */
struct map_fds {
	int state, enis, addrs, addrs4, pfx, pfx4, src, l4, stats, frags, attach, nexthop, ctl;
	int ct, ct_new, ct4, ct4_new; /* conntrack: IPv6, IPv4 (kernel/ct_tables.h) */
	int stats_dev, addr_drops, events, trace, trace_cpu, scratch;
	int eni_rows, eni_index, eni_index_big, ct_scratch, owned_hint, any_hint;
	int ct_maybe; /* the filter in front of the four (kernel/ct_maybe.h) */
	int policies, trie, bits;
	int ledger; /* kernel/ledger.h, user space's own map: -1 when there is none */
};

void map_fds_init(struct map_fds *m);

/* The fd in m of the map called name, -ENOENT for a name that is not one of ours. */
int runtime_map_fd(const struct map_fds *m, const char *name);

/* The fds of a loaded (unpinned) object's maps, for tests and benchmarks that load the skeleton
 * themselves. The object keeps owning them: do not runtime_close_maps() the result. */
struct bpf_object;
int runtime_fds_from_object(struct bpf_object *obj, struct map_fds *m);

/*
 * Ensures the object is loaded and pinned under p. *created (may be NULL) tells whether this call
 * created new maps, so a failed first command can undo its load (runtime_unload_if_unused). A map
 * pinned by a build with another layout is -EINVAL naming the map: detach --all first.
 * A fresh eniaddr_state is initialised by publish_reset_state().
 */
int runtime_load(const struct pins *p, bool *created, struct err *e);

/* Load-time choices; zero means the default. */
struct runtime_opts {
	/* Entries of each confirmed connection-tracking table (eniaddr_ct4 for IPv4, eniaddr_ct
	 * for IPv6: each family gets this many), ENIADDR_CT_SIZE_MIN..MAX; 0: the pinned table's
	 * size, or ENIADDR_MAX_CT for a new one. Fixed once loaded: asking for another size while
	 * the table is pinned is -EEXIST (detach --all first). */
	__u32 ct_size;
};

/* runtime_load with options (o may be NULL). */
int runtime_load_opts(const struct pins *p, const struct runtime_opts *o, bool *created,
		      struct err *e);

/* -ENOENT with "eniaddr-bpf is not loaded under ROOT (...)" when nothing is pinned. */
int runtime_open_maps(const struct pins *p, struct map_fds *m, struct err *e);
void runtime_close_maps(struct map_fds *m);

/* Returns the fd of the pinned program name, or -errno. */
int runtime_open_prog(const struct pins *p, const char *name, struct err *e);

int runtime_unload(struct pins *p, struct err *e);

/*
 * Unloads when nothing uses the object: no device attached and nothing ever published. For
 * commands that loaded the object themselves (created) and then failed, so a failed first
 * command leaves nothing behind. Returns 1 when it unloaded, 0 when not, or -errno.
 */
int runtime_unload_if_unused(struct pins *p, const struct map_fds *m, struct err *e);

/* Unloads when no device is attached (the last detach), published or not. 1, 0 or -errno. */
int runtime_unload_if_unattached(struct pins *p, const struct map_fds *m, struct err *e);

#endif
