/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tests/bpf/bench_prims.h — what tests/bpf/bench_prims.bpf.c and its harness tests/bench_prims.c
 * share: the mark of a row's entry. Kernel side
 * includes vmlinux.h first, user space <linux/types.h>; the skeleton needs this before it.
 */
#ifndef ENIADDR_TESTS_BENCH_PRIMS_H
#define ENIADDR_TESTS_BENCH_PRIMS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* A lookup row finds its entry when the value carries this mark (a field of the real value). */
#define PRIM_MARK 0x5eedu

/* What an IPv4-only owner table would be keyed by: slot and address, 8 bytes. */
struct prim_addr4_key {
	__u32 slot;
	__be32 addr;
};

#endif /* ENIADDR_TESTS_BENCH_PRIMS_H */
