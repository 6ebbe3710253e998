// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/lib/pubprobe.c — see pubprobe.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "kernel/attach.h"
#include "kernel/owner.h"
#include "kernel/owner_maps.h"
#include "pubprobe.h"

int pubprobe_open(struct pubprobe *p, const char *bpffs)
{
	struct err e = {};
	int err;

	map_fds_init(&p->maps);
	err = pins_init(&p->pins, bpffs, &e);
	return err ? err : runtime_open_maps(&p->pins, &p->maps, &e);
}

void pubprobe_close(struct pubprobe *p)
{
	runtime_close_maps(&p->maps);
}

static int read_state(struct pubprobe *p, struct eniaddr_state *st)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(p->maps.state, &key, st) ? -errno : 0;
}

__u64 pubprobe_generation(struct pubprobe *p)
{
	struct eniaddr_state st;

	return read_state(p, &st) ? (__u64)-1 : st.generation;
}

/* The owner ifindex of addr in st's active slot (prefix: of the delegated prefix holding it),
 * 0 when none. */
static int lookup(struct pubprobe *p, const struct eniaddr_state *st, const __u8 addr[16],
		  bool prefix)
{
	struct eniaddr_addr_key k = { .slot = st->active_slot };
	struct eniaddr_owner v;
	int found;

	memcpy(k.addr, addr, 16);
	if (prefix)
		found = owner_find_prefix(&p->maps, st, st->active_slot, addr, &v);
	else
		found = owner_addr_get(&p->maps, &k, &v);
	return found > 0 ? (int)v.ifindex : found;
}

/* One lookup in the active slot, repeated while a publish moves the generation under it. */
static int owner_lookup(struct pubprobe *p, const char *text, bool prefix)
{
	struct eniaddr_state before, after;
	__u8 addr[16];
	int got;

	if (ip_addr_parse(text, addr))
		return -EINVAL;
	for (int tries = 0; tries < 100; tries++) {
		if (read_state(p, &before))
			return -errno;
		got = lookup(p, &before, addr, prefix);
		if (read_state(p, &after))
			return -errno;
		if (before.generation == after.generation)
			return got;
	}
	return -EAGAIN;
}

int pubprobe_owner(struct pubprobe *p, const char *addr)
{
	return owner_lookup(p, addr, false);
}

int pubprobe_prefix_owner(struct pubprobe *p, const char *addr)
{
	return owner_lookup(p, addr, true);
}

bool pubprobe_attached(struct pubprobe *p, int ifindex)
{
	struct eniaddr_attach rec;

	return attach_lookup(&p->maps, ifindex, &rec) == 0;
}

int pubprobe_agent(struct pubprobe *p, struct agent_record *r)
{
	struct err e = {};

	return agent_record_read(&p->pins, r, &e);
}

__u64 pubprobe_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

long pubprobe_wait_owner(struct pubprobe *p, const char *addr, bool prefix, int want,
			 int timeout_ms, int *last)
{
	__u64 t0 = pubprobe_now_ms();
	int got;

	for (;;) {
		got = prefix ? pubprobe_prefix_owner(p, addr) : pubprobe_owner(p, addr);
		if (last)
			*last = got;
		if (got == want)
			return (long)(pubprobe_now_ms() - t0);
		if (pubprobe_now_ms() - t0 > (__u64)timeout_ms)
			return -ETIMEDOUT;
		usleep(2000);
	}
}

long pubprobe_wait_attached(struct pubprobe *p, int ifindex, bool want, int timeout_ms)
{
	__u64 t0 = pubprobe_now_ms();

	while (pubprobe_attached(p, ifindex) != want) {
		if (pubprobe_now_ms() - t0 > (__u64)timeout_ms)
			return -ETIMEDOUT;
		usleep(2000);
	}
	return (long)(pubprobe_now_ms() - t0);
}
