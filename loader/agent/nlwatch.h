/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/agent/nlwatch.h — rtnetlink notifications the agent reacts to: links appearing and
 * going (an ENI hot-plugged or removed: reconcile now, not at the next poll), and IPv4/IPv6
 * routes and neighbours, handed to a hook for whoever derives next hops from them (the
 * egress-redirect work); the hook says whether a republish is due. Non-blocking socket: read it
 * when epoll says so. An overrun (ENOBUFS) counts as "links changed": the agent rescans.
 */
#ifndef ENIADDR_AGENT_NLWATCH_H
#define ENIADDR_AGENT_NLWATCH_H

#include <linux/netlink.h>
#include <stdbool.h>

#include "err.h"

/* Returns true when the change calls for a reconcile. */
typedef bool (*nlwatch_hook)(void *ctx, const struct nlmsghdr *nlh);

struct nlwatch {
	struct mnl_socket *nl;
	nlwatch_hook route_hook, neigh_hook; /* NULL: ignored */
	void *hook_ctx;
};

struct nlwatch_events {
	bool links;     /* a link was added, removed or changed */
	bool republish; /* a hook asked for it */
};

int nlwatch_open(struct nlwatch *w, struct err *e);
void nlwatch_close(struct nlwatch *w);
int nlwatch_fd(const struct nlwatch *w);

/* Drains what is queued; adds to ev. */
int nlwatch_read(struct nlwatch *w, struct nlwatch_events *ev, struct err *e);

#endif
