// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/agent/nlwatch.c — see nlwatch.h. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/nlwatch.h"

int nlwatch_open(struct nlwatch *w, struct err *e)
{
	unsigned int groups = RTMGRP_LINK | RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE | RTMGRP_NEIGH;

	w->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->nl)
		return err_set(e, errno, "rtnetlink socket: %s", strerror(errno));
	if (mnl_socket_bind(w->nl, groups, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		nlwatch_close(w);
		return err_set(e, err, "rtnetlink bind: %s", strerror(err));
	}
	return 0;
}

void nlwatch_close(struct nlwatch *w)
{
	if (w->nl)
		mnl_socket_close(w->nl);
	w->nl = NULL;
}

int nlwatch_fd(const struct nlwatch *w)
{
	return mnl_socket_get_fd(w->nl);
}

struct cb_ctx {
	struct nlwatch *w;
	struct nlwatch_events *ev;
};

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct cb_ctx *c = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		c->ev->links = true;
		break;
	case RTM_NEWROUTE:
	case RTM_DELROUTE:
		if (c->w->route_hook && c->w->route_hook(c->w->hook_ctx, nlh))
			c->ev->republish = true;
		break;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		if (c->w->neigh_hook && c->w->neigh_hook(c->w->hook_ctx, nlh))
			c->ev->republish = true;
		break;
	}
	return MNL_CB_OK;
}

int nlwatch_read(struct nlwatch *w, struct nlwatch_events *ev, struct err *e)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct cb_ctx c = { w, ev };
	ssize_t n;

	for (;;) {
		n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			if (errno == ENOBUFS) { /* lost notifications: rescan everything */
				ev->links = true;
				continue;
			}
			return err_set(e, errno, "rtnetlink: %s", strerror(errno));
		}
		if (mnl_cb_run(buf, (size_t)n, 0, 0, on_msg, &c) < 0 && errno != EINTR)
			return err_set(e, errno, "rtnetlink: %s", strerror(errno));
	}
}
