/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/attach.h — puts the ingress program on devices and takes it off again.
 *
 * Modes: native XDP (in the driver), tc clsact ingress (tc_ingress, same decision, for devices
 * where native XDP cannot attach: ENA with MTU > 3498), and generic XDP (in the stack). auto tries
 * native, then tc, and reports why native failed; it never picks generic XDP, which linearizes
 * every GRO packet and costs more than tc. --mode generic stays available. XDP goes through a
 * bpf_link pinned as links/xdp-IFINDEX; tc uses a filter with a fixed handle and priority. What
 * attach created is recorded in eniaddr_attach[ifindex] ({mode, created_clsact, handles}), so
 * detach removes exactly that: a clsact qdisc somebody else made stays.
 *
 * With egress, tc_egress also goes on the clsact egress hook (same handle and priority): the
 * source check, redirects to the owning ENI and connection state. Any ingress mode combines with
 * it; the CLI always asks for it (a reply must leave by the ENI that owns its source), the flag
 * lets tests and callers attach one direction alone. Priority 1 on egress too: tc_egress sees
 * every packet before other filters, and returns TC_ACT_UNSPEC for what it does not act on, so
 * they still run. (Last would let a filter that returns TC_ACT_OK skip the source check.)
 *
 * Attaching a device that is attached already succeeds without change when the request is auto
 * or the mode it has (so scripts may repeat attach), adding the egress program if asked and
 * missing; asking for another mode is -EEXIST: detach first. The caller holds the pin dir's
 * LOCK_EX.
 */
#ifndef ENIADDR_ATTACH_H
#define ENIADDR_ATTACH_H

#include <linux/types.h>
#include <net/if.h>
#include <stdbool.h>

#include "err.h"
#include "kernel/pins.h"
#include "kernel/runtime.h"
#include "../maps/eniaddr.h"

#define ATTACH_TC_HANDLE 0xea1 /* ours: "eniaddr" */
#define ATTACH_TC_PRIO   1     /* first, ingress and egress: before any other filter */
#define ATTACH_ENA_XDP_MAX_MTU 3498 /* REFERENCE.md §6 */

enum attach_req {
	ATTACH_REQ_AUTO,
	ATTACH_REQ_NATIVE,
	ATTACH_REQ_GENERIC,
	ATTACH_REQ_TC,
};

/* "auto", "native", "generic", "tc"; -EINVAL otherwise. */
int attach_req_parse(const char *s, enum attach_req *req);
const char *attach_req_name(enum attach_req req);
/* enum eniaddr_attach_mode -> "native", "generic", "tc", "none". */
const char *attach_mode_name(__u32 mode);

#define ATTACH_WHY_LEN 512

struct attach_result {
	char ifname[IF_NAMESIZE];
	int ifindex;
	__u32 mode;               /* enum eniaddr_attach_mode the device has now */
	bool egress;              /* tc_egress is attached too */
	bool unchanged;           /* was attached already; nothing done */
	char why[ATTACH_WHY_LEN]; /* why better modes were not used; "" when the first one worked */
};

/*
 * What the ingress program does with IP frames while the attached device has no configuration:
 * pass (the default) or drop (ENIADDR_ATTACH_F_UNCONFIGURED_DROP, bpf/unconfigured.h).
 */
int attach_set_unconfigured_drop(const struct map_fds *m, int ifindex, bool drop,
				 struct err *e);

int attach_device(const struct pins *p, const struct map_fds *m, const char *ifname,
		  enum attach_req req, bool egress, struct attach_result *r, struct err *e);

struct detach_result {
	char ifname[IF_NAMESIZE]; /* "" when the device no longer exists */
	int ifindex;
	__u32 mode;
	bool egress;
};

/* Removes what attach created on ifindex (which may no longer exist) and its record. */
int detach_ifindex(const struct pins *p, const struct map_fds *m, int ifindex,
		   struct detach_result *r, struct err *e);
int detach_device(const struct pins *p, const struct map_fds *m, const char *ifname,
		  struct detach_result *r, struct err *e);

/* The record of ifindex: 0, -ENOENT when not attached, or -errno. */
int attach_lookup(const struct map_fds *m, int ifindex, struct eniaddr_attach *rec);

#endif
