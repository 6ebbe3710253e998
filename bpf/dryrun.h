/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/dryrun.h — BPF-only: the one switch between the datapath and `explain`. The object the
 * datapath runs is loaded with eniaddr_dry_run 0, and the verifier prunes every dry-run branch.
 * `explain` loads the same object a second time with eniaddr_dry_run 1 on the pinned maps and
 * runs one packet through it: every write to a shared map (conntrack, counters, fragment memory,
 * events) asks dp_writes() first and is skipped, and what the run saw is recorded in
 * eniaddr_explained, the .bss of that private load. Include once, from the program file (it
 * defines the two globals).
 */
#ifndef ENIADDR_BPF_DRYRUN_H
#define ENIADDR_BPF_DRYRUN_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"

const volatile __u8 eniaddr_dry_run = 0;
struct eniaddr_explain eniaddr_explained = {};

/* false in a dry run: the caller must not write any shared map. */
static __always_inline bool dp_writes(void)
{
	return !eniaddr_dry_run;
}

/* The explain record of a dry run, NULL in the datapath. */
static __always_inline struct eniaddr_explain *explain_rec(void)
{
	return eniaddr_dry_run ? &eniaddr_explained : NULL;
}

#endif /* ENIADDR_BPF_DRYRUN_H */
