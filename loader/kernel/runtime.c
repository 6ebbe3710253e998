// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/runtime.c — see runtime.h. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../maps/eniaddr.h"
#include "eniaddr.skel.h"
#include "log.h"
#include "kernel/ct_maybe.h"
#include "kernel/ledger.h"
#include "kernel/publish.h"
#include "kernel/runtime.h"
#include "kernel/stats.h"
#include "vec.h"
#include "../maps/eniaddr.h"

static const struct {
	const char *name;
	size_t off;
} map_table[] = {
	{ ENIADDR_STR(ENIADDR_MAP_STATE),  offsetof(struct map_fds, state) },
	{ ENIADDR_STR(ENIADDR_MAP_ENIS),   offsetof(struct map_fds, enis) },
	{ ENIADDR_STR(ENIADDR_MAP_ADDRS4), offsetof(struct map_fds, addrs4) },
	{ ENIADDR_STR(ENIADDR_MAP_ADDRS),  offsetof(struct map_fds, addrs) },
	{ ENIADDR_STR(ENIADDR_MAP_PFX4),   offsetof(struct map_fds, pfx4) },
	{ ENIADDR_STR(ENIADDR_MAP_PFX),    offsetof(struct map_fds, pfx) },
	{ ENIADDR_STR(ENIADDR_MAP_SRC),    offsetof(struct map_fds, src) },
	{ ENIADDR_STR(ENIADDR_MAP_L4),     offsetof(struct map_fds, l4) },
	{ ENIADDR_STR(ENIADDR_MAP_STATS),  offsetof(struct map_fds, stats) },
	{ ENIADDR_STR(ENIADDR_MAP_FRAGS),  offsetof(struct map_fds, frags) },
	{ ENIADDR_STR(ENIADDR_MAP_ATTACH), offsetof(struct map_fds, attach) },
	{ ENIADDR_STR(ENIADDR_MAP_NEXTHOP), offsetof(struct map_fds, nexthop) },
	{ ENIADDR_STR(ENIADDR_MAP_CT),      offsetof(struct map_fds, ct) },
	{ ENIADDR_STR(ENIADDR_MAP_CT_NEW),  offsetof(struct map_fds, ct_new) },
	{ ENIADDR_STR(ENIADDR_MAP_CT4),     offsetof(struct map_fds, ct4) },
	{ ENIADDR_STR(ENIADDR_MAP_CT4_NEW), offsetof(struct map_fds, ct4_new) },
	{ ENIADDR_STR(ENIADDR_MAP_POLICIES), offsetof(struct map_fds, policies) },
	{ ENIADDR_STR(ENIADDR_MAP_TRIE),    offsetof(struct map_fds, trie) },
	{ ENIADDR_STR(ENIADDR_MAP_BITS),    offsetof(struct map_fds, bits) },
	{ ENIADDR_STR(ENIADDR_MAP_CTL),     offsetof(struct map_fds, ctl) },
	{ ENIADDR_STR(ENIADDR_MAP_STATS_DEV), offsetof(struct map_fds, stats_dev) },
	{ ENIADDR_STR(ENIADDR_MAP_ADDR_DROPS), offsetof(struct map_fds, addr_drops) },
	{ ENIADDR_STR(ENIADDR_MAP_EVENTS),  offsetof(struct map_fds, events) },
	{ ENIADDR_STR(ENIADDR_MAP_TRACE),   offsetof(struct map_fds, trace) },
	{ ENIADDR_STR(ENIADDR_MAP_TRACE_CPU), offsetof(struct map_fds, trace_cpu) },
	{ ENIADDR_STR(ENIADDR_MAP_SCRATCH), offsetof(struct map_fds, scratch) },
	{ ENIADDR_STR(ENIADDR_MAP_ENI_ROWS), offsetof(struct map_fds, eni_rows) },
	{ ENIADDR_STR(ENIADDR_MAP_ENI_INDEX), offsetof(struct map_fds, eni_index) },
	{ ENIADDR_STR(ENIADDR_MAP_ENI_INDEX_BIG), offsetof(struct map_fds, eni_index_big) },
	{ ENIADDR_STR(ENIADDR_MAP_CT_SCRATCH), offsetof(struct map_fds, ct_scratch) },
	{ ENIADDR_STR(ENIADDR_MAP_OWNED_HINT), offsetof(struct map_fds, owned_hint) },
	{ ENIADDR_STR(ENIADDR_MAP_ANY_HINT), offsetof(struct map_fds, any_hint) },
	{ ENIADDR_STR(ENIADDR_MAP_CT_MAYBE), offsetof(struct map_fds, ct_maybe) },
};
#define N_MAPS (sizeof(map_table) / sizeof(map_table[0]))

static int *map_fd_slot(struct map_fds *m, size_t i)
{
	return (int *)((char *)m + map_table[i].off);
}

int runtime_map_fd(const struct map_fds *m, const char *name)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++)
		if (!strcmp(map_table[i].name, name))
			return *map_fd_slot((struct map_fds *)m, i);
	return -ENOENT;
}

void map_fds_init(struct map_fds *m)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++)
		*map_fd_slot(m, i) = -1;
	m->ledger = -1;
}

int runtime_fds_from_object(struct bpf_object *obj, struct map_fds *m)
{
	size_t i;

	map_fds_init(m);
	for (i = 0; i < N_MAPS; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, map_table[i].name);

		if (!map || bpf_map__fd(map) < 0)
			return -ENOENT;
		*map_fd_slot(m, i) = bpf_map__fd(map);
	}
	return 0;
}

void runtime_close_maps(struct map_fds *m)
{
	size_t i;

	for (i = 0; i < N_MAPS; i++) {
		int *fd = map_fd_slot(m, i);

		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	if (m->ledger >= 0)
		close(m->ledger);
	m->ledger = -1;
}

int runtime_open_maps(const struct pins *p, struct map_fds *m, struct err *e)
{
	char path[PATH_MAX];
	size_t i;
	int fd;

	map_fds_init(m);
	for (i = 0; i < N_MAPS; i++) {
		if (pins_path(p, PINS_MAPS, map_table[i].name, path, sizeof(path)))
			goto too_long;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			int err = errno;

			runtime_close_maps(m);
			if (err == ENOENT && i == 0)
				return pins_not_loaded(p, e);
			if (err == ENOENT)
				return err_set(e, ENOENT,
					       "%s is missing: a partial load (run `eniaddr-bpf detach "
					       "--all`, then attach again)", path);
			return err_set(e, err, "%s: %s", path, strerror(err));
		}
		*map_fd_slot(m, i) = fd;
	}
	/* The publish ledger, when an agent created it (only a publisher that trusts its memory of
	 * the slots needs it to exist; every publisher moves it when it does). */
	fd = ledger_open(p, false, e);
	if (fd < 0 && fd != -ENOENT) {
		runtime_close_maps(m);
		return fd;
	}
	m->ledger = fd < 0 ? -1 : fd;
	return 0;
too_long:
	runtime_close_maps(m);
	return err_set(e, ENAMETOOLONG, "%s: path too long", p->dir);
}

int runtime_open_prog(const struct pins *p, const char *name, struct err *e)
{
	char path[PATH_MAX];
	int fd;

	if (pins_path(p, PINS_PROGS, name, path, sizeof(path)))
		return err_set(e, ENAMETOOLONG, "%s: path too long", p->dir);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(e, ENOENT, "program %s is not pinned under %s", name, p->dir);
		return err_set(e, errno, "%s: %s", path, strerror(errno));
	}
	return fd;
}

/*
 * bpf_map__reuse_fd() adopts whatever the fd is, so a map pinned by an older build with another
 * key, value or size would silently be used with this build's layout. Refuse instead.
 */
static int check_pinned_compat(const struct bpf_map *map, int fd, const char *path,
			       struct err *e)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return err_set(e, errno, "%s: %s", path, strerror(errno));
	if (info.type != bpf_map__type(map) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map) ||
	    info.max_entries != bpf_map__max_entries(map) ||
	    info.map_flags != bpf_map__map_flags(map))
		return err_set(e, EINVAL,
			       "%s was pinned by a build with another layout (pinned/ours: type "
			       "%u/%u, key %u/%u, value %u/%u, entries %u/%u, flags %#x/%#x): run "
			       "`eniaddr-bpf detach --all` with the old build first", path,
			       info.type, bpf_map__type(map), info.key_size,
			       bpf_map__key_size(map), info.value_size, bpf_map__value_size(map),
			       info.max_entries, bpf_map__max_entries(map), info.map_flags,
			       bpf_map__map_flags(map));
	return 0;
}

struct pinned_now {
	VEC(char *) paths;
};

static int remember(struct pinned_now *pn, const char *path)
{
	char **slot = VEC_PUSH(&pn->paths);

	if (!slot || !(*slot = strdup(path)))
		return -ENOMEM;
	return 0;
}

/* After pinning path (pin_err: libbpf's result): remembered, so a failed load can take it back. */
static int pinned(struct pinned_now *pn, const char *path, int pin_err, struct err *e)
{
	if (pin_err)
		return err_set(e, -pin_err, "pinning %s: %s", path, strerror(-pin_err));
	if (remember(pn, path)) {
		unlink(path);
		return err_set(e, ENOMEM, "out of memory");
	}
	return 0;
}

/* On failure, unpin what this call pinned: a failed load leaves the pins as it found them. */
static void forget(struct pinned_now *pn, bool unpin)
{
	size_t i;

	for (i = 0; i < pn->paths.n; i++) {
		if (unpin)
			unlink(pn->paths.v[i]);
		free(pn->paths.v[i]);
	}
	VEC_FREE(&pn->paths);
}

/*
 * The confirmed connection-tracking tables' size (one per family, the same for both) is chosen
 * at load (bpf_map__set_max_entries): a pinned table keeps the size it was created with
 * (fd >= 0), a new one gets o->ct_size or the default.
 */
static int ct_size_pick(struct bpf_map *map, int fd, const struct runtime_opts *o,
			const char *path, struct err *e)
{
	__u32 want = o ? o->ct_size : 0, size = want;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int ret;

	if (fd >= 0) {
		if (bpf_obj_get_info_by_fd(fd, &info, &len))
			return err_set(e, errno, "%s: %s", path, strerror(errno));
		if (want && want != info.max_entries)
			return err_set(e, EEXIST,
				       "%s holds %u entries since it was loaded; to use %u, run "
				       "`eniaddr-bpf detach --all` first (tracked connections are "
				       "then forgotten)", path, info.max_entries, want);
		size = info.max_entries;
	}
	if (!size)
		return 0; /* a new table of the default size */
	ret = bpf_map__set_max_entries(map, size);
	return ret ? err_set(e, -ret, "%s: setting its size to %u: %s", path, size,
			     strerror(-ret)) : 0;
}

int runtime_load(const struct pins *p, bool *created, struct err *e)
{
	return runtime_load_opts(p, NULL, created, e);
}

int runtime_load_opts(const struct pins *p, const struct runtime_opts *o, bool *created,
		      struct err *e)
{
	struct pinned_now pn = {};
	struct eniaddr *skel = NULL;
	bool need_load = false, fresh_state = false, fresh_stats = false;
	bool fresh_maybe = false, kept_ct = false;
	struct bpf_program *prog;
	struct bpf_map *map;
	char path[PATH_MAX];
	int err = 0, fd;

	if (created)
		*created = false;
	skel = eniaddr__open();
	if (!skel) {
		err = err_set(e, errno, "opening the BPF object: %s", strerror(errno));
		goto cleanup;
	}
	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__is_internal(map)) /* .rodata/.bss belong to one load of the programs */
			continue;
		if (pins_path(p, PINS_MAPS, bpf_map__name(map), path, sizeof(path))) {
			err = err_set(e, ENAMETOOLONG, "%s: path too long", p->dir);
			goto cleanup;
		}
		fd = bpf_obj_get(path);
		if (fd < 0 && errno != ENOENT) {
			err = err_set(e, errno, "%s: %s", path, strerror(errno));
			goto cleanup;
		}
		if (map == skel->maps.ENIADDR_MAP_CT || map == skel->maps.ENIADDR_MAP_CT4) {
			err = ct_size_pick(map, fd, o, path, e);
			if (err) {
				if (fd >= 0)
					close(fd);
				goto cleanup;
			}
		}
		if (fd < 0) {
			need_load = true;
			if (!strcmp(bpf_map__name(map), ENIADDR_STR(ENIADDR_MAP_STATE)))
				fresh_state = true;
			if (!strcmp(bpf_map__name(map), ENIADDR_STR(ENIADDR_MAP_STATS)))
				fresh_stats = true;
			if (map == skel->maps.ENIADDR_MAP_CT_MAYBE)
				fresh_maybe = true;
			continue;
		}
		if (map == skel->maps.ENIADDR_MAP_CT || map == skel->maps.ENIADDR_MAP_CT4 ||
		    map == skel->maps.ENIADDR_MAP_CT_NEW || map == skel->maps.ENIADDR_MAP_CT4_NEW)
			kept_ct = true;
		err = check_pinned_compat(map, fd, path, e);
		if (!err && bpf_map__reuse_fd(map, fd))
			err = err_set(e, errno, "%s: reuse: %s", path, strerror(errno));
		close(fd); /* reuse_fd keeps its own dup */
		if (err)
			goto cleanup;
	}
	bpf_object__for_each_program(prog, skel->obj)
		if (!pins_exists(p, PINS_PROGS, bpf_program__name(prog)))
			need_load = true;
	if (!need_load) {
		log_debug("BPF object already loaded under %s", p->dir);
		goto cleanup;
	}

	err = eniaddr__load(skel);
	if (err) {
		err = err_set(e, -err, "loading the BPF programs: %s (run with -v for libbpf's and "
			      "the verifier's log)", strerror(-err));
		goto cleanup;
	}
	if (fresh_state) {
		err = publish_reset_state(bpf_map__fd(skel->maps.ENIADDR_MAP_STATE), e);
		if (err)
			goto cleanup;
	}
	if (fresh_maybe && kept_ct) {
		/* Pinned tables may hold flows the new filter has no bits for: it starts full (every
		 * packet looks, as before), and the GC's next rebuild trims it (kernel/ct_maybe.h). */
		struct ct_maybe f = {};

		err = ct_maybe_map(bpf_map__fd(skel->maps.ENIADDR_MAP_CT_MAYBE), &f, e);
		if (err)
			goto cleanup;
		ct_maybe_saturate(&f);
		ct_maybe_unmap(&f);
	}
	if (fresh_stats) {
		struct map_fds fds;

		err = runtime_fds_from_object(skel->obj, &fds);
		if (!err)
			err = stats_init(&fds, e);
		else
			err = err_set(e, -err, "finding the maps of the loaded object");
		if (err)
			goto cleanup;
	}
	bpf_object__for_each_map(map, skel->obj) {
		if (bpf_map__is_internal(map))
			continue;
		pins_path(p, PINS_MAPS, bpf_map__name(map), path, sizeof(path));
		if (!access(path, F_OK))
			continue;
		err = pinned(&pn, path, bpf_map__pin(map, path), e);
		if (err)
			goto cleanup;
		if (created)
			*created = true;
	}
	bpf_object__for_each_program(prog, skel->obj) {
		if (pins_path(p, PINS_PROGS, bpf_program__name(prog), path, sizeof(path))) {
			err = err_set(e, ENAMETOOLONG, "%s: path too long", p->dir);
			goto cleanup;
		}
		if (!access(path, F_OK))
			continue;
		err = pinned(&pn, path, bpf_program__pin(prog, path), e);
		if (err)
			goto cleanup;
	}
	log_info("loaded the BPF object and pinned it under %s", p->dir);
cleanup:
	forget(&pn, err != 0);
	if (err && created)
		*created = false;
	eniaddr__destroy(skel); /* the pins keep maps and programs alive */
	return err;
}

int runtime_unload(struct pins *p, struct err *e)
{
	int err = pins_remove_all(p, e);

	if (!err)
		log_info("unloaded: removed %s", p->dir);
	return err;
}

/* 1 when some device is attached, 0 when none, or -errno. */
static int any_attached(const struct map_fds *m, struct err *e)
{
	__u32 ifindex;

	if (bpf_map_get_next_key(m->attach, NULL, &ifindex) == 0)
		return 1;
	if (errno != ENOENT)
		return err_set(e, errno, "%s: %s", ENIADDR_STR(ENIADDR_MAP_ATTACH), strerror(errno));
	return 0;
}

int runtime_unload_if_unattached(struct pins *p, const struct map_fds *m, struct err *e)
{
	int err = any_attached(m, e);

	if (err)
		return err < 0 ? err : 0;
	err = runtime_unload(p, e);
	return err ? err : 1;
}

int runtime_unload_if_unused(struct pins *p, const struct map_fds *m, struct err *e)
{
	struct eniaddr_state st = {};
	__u32 key = 0;

	if (bpf_map_lookup_elem(m->state, &key, &st))
		return err_set(e, errno, "%s: %s", ENIADDR_STR(ENIADDR_MAP_STATE), strerror(errno));
	if (st.generation)
		return 0; /* a configuration is published */
	return runtime_unload_if_unattached(p, m, e);
}
