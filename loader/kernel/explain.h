/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/explain.h — `explain`: one packet through the real programs on the live maps,
 * changing nothing. The BPF object is loaded a second time with eniaddr_dry_run = 1 (bpf/
 * dryrun.h) and every map of the live load reused (bpf_map__reuse_fd), so the programs read
 * the published configuration and the conntrack table as they are; the dry run skips every write
 * to them and records what it saw in its own .bss. Nothing is attached or pinned; closing
 * unloads it.
 */
#ifndef ENIADDR_KERNEL_EXPLAIN_H
#define ENIADDR_KERNEL_EXPLAIN_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "kernel/runtime.h"
#include "../maps/eniaddr.h"

struct eniaddr; /* the skeleton */

struct explainer {
	struct eniaddr *skel;
};

enum explain_prog {
	EXPLAIN_XDP_INGRESS,
	EXPLAIN_TC_INGRESS,
	EXPLAIN_TC_EGRESS,
};

struct explain_result {
	__u32 retval;   /* the program's return value (XDP_*, TC_ACT_*) */
	struct eniaddr_explain rec;
};

/* Loads the dry-run object on the maps of m. */
int explainer_open(struct explainer *x, const struct map_fds *m, struct err *e);

/* One test run of prog on frame as if it arrived on (XDP, tc ingress) or left (tc egress)
 * ifindex. */
int explainer_run(struct explainer *x, enum explain_prog prog, int ifindex, const void *frame,
		  size_t len, struct explain_result *r, struct err *e);

void explainer_close(struct explainer *x);

/* The verdict's name: "pass", "drop", "redirect". */
const char *explain_verdict(enum explain_prog prog, __u32 retval);

/* ---- which rules: the selectors and peers of rule bits, read back from the rule maps ---- */

#define EXPLAIN_RULES_MAX 16

struct explain_rule {
	int bit;
	char what[96];  /* "tcp 443", "udp 1024-2047", "icmp type 8", "all" */
	char from[256]; /* "203.0.113.0/24, ::/0" (the peers; cut with "..." when long) */
};

/* The rules of policy whose bits are set in bits (at most EXPLAIN_RULES_MAX). Returns how many,
 * or -errno. */
int explain_rules(const struct map_fds *m, __u32 policy, const struct eniaddr_rule_bits *bits,
		  struct explain_rule *out, struct err *e);

#endif
