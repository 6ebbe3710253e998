// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* tests/lib/pubprobe.c — see pubprobe.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "kernel/attach.h"
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

/* One lookup in the active slot, repeated while a publish moves the generation under it. */
static int owner_lookup(struct pubprobe *p, int fd, void *key, __u32 *slot_field)
{
	struct eniaddr_state before, after;
	struct eniaddr_owner v;
	int found;

	for (int tries = 0; tries < 100; tries++) {
		if (read_state(p, &before))
			return -errno;
		*slot_field = before.active_slot;
		found = !bpf_map_lookup_elem(fd, key, &v);
		if (read_state(p, &after))
			return -errno;
		if (before.generation == after.generation)
			return found ? (int)v.ifindex : 0;
	}
	return -EAGAIN;
}

int pubprobe_owner(struct pubprobe *p, const char *addr)
{
	struct eniaddr_addr_key k = {};

	if (ip_addr_parse(addr, k.addr))
		return -EINVAL;
	return owner_lookup(p, p->maps.addrs, &k, &k.slot);
}

int pubprobe_prefix_owner(struct pubprobe *p, const char *addr)
{
	struct eniaddr_pfx_key k = { .prefixlen = 32 + 128 };

	if (ip_addr_parse(addr, k.addr))
		return -EINVAL;
	return owner_lookup(p, p->maps.pfx, &k, &k.slot);
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
