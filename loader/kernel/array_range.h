/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/array_range.h — a run of consecutive indexes of an array map (a slot's half of
 * a table), read or written in one batch call instead of one syscall per index.
 */
#ifndef ENIADDR_KERNEL_ARRAY_RANGE_H
#define ENIADDR_KERNEL_ARRAY_RANGE_H

#include <linux/types.h>
#include <stddef.h>

#include "err.h"

/* n values (the map's value size each, packed) to indexes first.. of array map fd (name for
 * errors). */
int array_range_write(int fd, const char *name, __u32 first, const void *values, size_t n,
		      struct err *e);

/* The n values at indexes first.. of array map fd into values. */
int array_range_read(int fd, const char *name, __u32 first, void *values, size_t n,
		     struct err *e);

#endif /* ENIADDR_KERNEL_ARRAY_RANGE_H */
