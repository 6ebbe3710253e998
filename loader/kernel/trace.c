// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/trace.c — see trace.h. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel/trace.h"
#include "../maps/eniaddr.h"

#define TRACE_NAME ENIADDR_STR(ENIADDR_MAP_TRACE)
#define TRACE_CPU_NAME ENIADDR_STR(ENIADDR_MAP_TRACE_CPU)

static int map_err(const char *map, struct err *e)
{
	return err_set(e, errno, "%s: %s", map, strerror(errno));
}

static int per_cpu(struct eniaddr_trace_cpu **v, struct err *e)
{
	int n = libbpf_num_possible_cpus();

	if (n <= 0)
		return err_set(e, EINVAL, "counting possible CPUs failed");
	*v = calloc((size_t)n, sizeof(**v));
	return *v ? n : err_set(e, ENOMEM, "out of memory");
}

int trace_start(const struct map_fds *m, const struct trace_filter *f, struct err *e)
{
	struct eniaddr_trace t = {};
	struct eniaddr_trace_cpu *zero;
	__u32 key = 0, rate = f->rate ? f->rate : TRACE_DEFAULT_RATE;
	int err;

	if (bpf_map_lookup_elem(m->trace, &key, &t))
		return map_err(TRACE_NAME, e);
	if (t.enabled && (pid_t)t.enabled != getpid() &&
	    (kill((pid_t)t.enabled, 0) == 0 || errno == EPERM))
		return err_set(e, EBUSY, "another trace runs (pid %u): one tracer at a time",
			       t.enabled);
	t.enabled = 0; /* off while the buckets are zeroed */
	if (bpf_map_update_elem(m->trace, &key, &t, BPF_ANY))
		return map_err(TRACE_NAME, e);
	if ((err = per_cpu(&zero, e)) < 0)
		return err;
	err = bpf_map_update_elem(m->trace_cpu, &key, zero, BPF_ANY) ? map_err(TRACE_CPU_NAME, e)
								      : 0;
	free(zero);
	if (err)
		return err;
	t.ifindex = f->ifindex;
	t.reasons = f->reasons;
	t.period_ns = 1000000000ULL / rate;
	t.burst_ns = TRACE_BURST_SECONDS * 1000000000ULL;
	t.enabled = (__u32)getpid();
	return bpf_map_update_elem(m->trace, &key, &t, BPF_ANY) ? map_err(TRACE_NAME, e) : 0;
}

int trace_stop(const struct map_fds *m, struct err *e)
{
	struct eniaddr_trace t = {};
	__u32 key = 0;

	if (bpf_map_lookup_elem(m->trace, &key, &t))
		return map_err(TRACE_NAME, e);
	if ((pid_t)t.enabled != getpid())
		return 0;
	t.enabled = 0;
	return bpf_map_update_elem(m->trace, &key, &t, BPF_ANY) ? map_err(TRACE_NAME, e) : 0;
}

int trace_counts_read(const struct map_fds *m, struct trace_counts *c, struct err *e)
{
	struct eniaddr_trace_cpu *v;
	__u32 key = 0;
	int n, cpu, err = 0;

	memset(c, 0, sizeof(*c));
	if ((n = per_cpu(&v, e)) < 0)
		return n;
	if (bpf_map_lookup_elem(m->trace_cpu, &key, v))
		err = map_err(TRACE_CPU_NAME, e);
	for (cpu = 0; !err && cpu < n; cpu++) {
		c->sent += v[cpu].sent;
		c->lost_rate += v[cpu].lost_rate;
		c->lost_full += v[cpu].lost_full;
	}
	free(v);
	return err;
}
