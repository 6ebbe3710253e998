/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/routes.h — each ENI's routers, per family, learned from the instance's own view
 * (rtnetlink), like local_subnets.h learns subnets. The egress redirect sends a reply whose
 * destination is off the owning ENI's subnet to this router.
 *
 * On EC2 the IPv4 router is the subnet's base + 1, given by DHCP; the IPv6 router is a
 * link-local address (fe80::…) the instance learns from router advertisements, and nothing
 * documents that anything answers for subnet::1. So the router is, in this order:
 *   1. the native configuration's "router" / "router6" (origin CONFIG, set by the source);
 *   2. the gateway of a default route on the ENI's interface, in any table (proto ra, dhcp,
 *      static...): lowest metric first, the main table on a tie (ROUTE);
 *   3. IPv6: a neighbour of the interface flagged as a router (NEIGH), reachable ones first;
 *   4. the subnet's base + 1 (GUESS); for IPv6 with a warning, since the VPC may not answer it.
 *
 * Following changes: the agent listens to rtnetlink (RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
 * RTNLGRP_NEIGH), and on a message routes_msg_relevant() accepts calls routes_learn() on its
 * desired state; when that returns 1 a router changed and the state must be republished. Every
 * publish path (apply, sync, the agent's) calls routes_learn() after the ENIs are bound to
 * interfaces and their subnets are known, so a republish always takes the current routers.
 */
#ifndef ENIADDR_ROUTES_H
#define ENIADDR_ROUTES_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "state.h"
#include "vec.h"

/* A router address the kernel knows for one interface and family. */
struct kernel_router {
	bool set;
	uint8_t addr[16];   /* IPv4-mapped or IPv6 */
	uint32_t rank;      /* routes: metric (lower wins); neighbours: state rank (higher wins) */
	bool main_table;    /* routes: found in the main table (wins a metric tie) */
};

/* What the kernel says about one interface's routers. */
struct if_routers {
	int ifindex;
	struct kernel_router route[ENI_FAMILIES]; /* gateway of a default route on ifindex */
	struct kernel_router neigh[ENI_FAMILIES]; /* a neighbour flagged router ([ENI_V6] only) */
};

struct kernel_routers {
	VEC(struct if_routers) ifs;
};

/* Reads every table's default routes (IPv4, IPv6) and the IPv6 neighbours flagged as routers
 * of the current network namespace. 0 or -errno with e saying what failed. */
int routes_read(struct kernel_routers *out, struct err *e);
void routes_free(struct kernel_routers *k);

/* The interface's entry of k, or NULL. */
const struct if_routers *routes_of(const struct kernel_routers *k, int ifindex);

/*
 * The choice, pure: n's router of family f from n's configured router, then what the kernel
 * knows of n's interface (k may be NULL), then base + 1 of n's subnet of that family. Leaves
 * out->set false when none applies (no subnet to guess from).
 */
void router_choose(const struct eni *n, enum eni_family f, const struct if_routers *k,
		   struct eni_router *out);

/*
 * Sets every ENI's routers (those with a resolved ifindex) from k, keeping configured ones.
 * Logs each choice that changed (info), and an IPv6 guess as a warning. Returns 1 when any
 * ENI's router changed, else 0.
 */
int routes_apply(struct desired_state *s, const struct kernel_routers *k);

/* routes_read + routes_apply: 1 (changed), 0 (unchanged) or -errno. The agent's hook. */
int routes_learn(struct desired_state *s, struct err *e);

/* Whether an rtnetlink notification may change a router: a default route added or removed
 * (IPv4, IPv6), or an IPv6 neighbour changed. */
bool routes_msg_relevant(const struct nlmsghdr *nlh);

/* The state (NUD_*) of addr's neighbour entry on ifindex, 0 when there is none: whether a
 * next hop resolved. 0 or -errno. */
int routes_neigh_state(int ifindex, const uint8_t addr[16], uint16_t *state, struct err *e);

/* "reachable", "stale", "delay", "probe", "failed", "incomplete", "permanent", "noarp", or
 * "none" (no entry: not needed yet). */
const char *neigh_state_name(uint16_t state);

/* "route", "neighbour", "config", "guess". */
const char *router_origin_name(enum eniaddr_nh_origin o);

#endif
