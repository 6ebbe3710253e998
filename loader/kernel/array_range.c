// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/array_range.c — see array_range.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/array_range.h"

/* The keys first.. (n of them), or NULL when out of memory. */
static __u32 *range_keys(__u32 first, size_t n)
{
	__u32 *keys = calloc(n, sizeof(*keys));

	for (size_t i = 0; keys && i < n; i++)
		keys[i] = first + (__u32)i;
	return keys;
}

int array_range_write(int fd, const char *name, __u32 first, const void *values, size_t n,
		      struct err *e)
{
	__u32 *keys, count = (__u32)n;
	int err = 0;

	if (!n)
		return 0;
	keys = range_keys(first, n);
	if (!keys)
		return err_set(e, ENOMEM, "out of memory");
	if (bpf_map_update_batch(fd, keys, values, &count, NULL))
		err = err_set(e, errno, "writing %zu entries of %s from index %u: %s", n, name, first,
			      strerror(errno));
	free(keys);
	return err;
}

int array_range_read(int fd, const char *name, __u32 first, void *values, size_t n,
		     struct err *e)
{
	/* An array's batch starts after the key given as in_batch (none: at index 0). */
	__u32 *keys, prev = first - 1, out = 0, count = (__u32)n;
	int err = 0;

	if (!n)
		return 0;
	keys = calloc(n, sizeof(*keys));
	if (!keys)
		return err_set(e, ENOMEM, "out of memory");
	if (bpf_map_lookup_batch(fd, first ? &prev : NULL, &out, keys, values, &count, NULL) &&
	    errno != ENOENT)
		err = err_set(e, errno, "reading %s from index %u: %s", name, first, strerror(errno));
	else if (count != n || keys[0] != first)
		err = err_set(e, EIO, "reading %s from index %u: %u of %zu entries", name, first,
			      count, n);
	free(keys);
	return err;
}
