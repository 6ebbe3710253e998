// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/agent/addrmgr.c — see addrmgr.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "agent/addrmgr.h"
#include "log.h"
#include "vec.h"

struct os_addr {
	int ifindex;
	__u8 addr[16]; /* mapped for IPv4 */
	__u8 proto;
	__u8 plen;     /* family length */
};

struct os_addrs {
	VEC(struct os_addr) v;
};

static int addr_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFA_MAX) >= 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[IFA_MAX + 1] = {};
	struct os_addrs *out = data;
	struct os_addr *a;

	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), addr_attr, tb);
	if (!tb[IFA_ADDRESS])
		return MNL_CB_OK;
	/* IPv4: IFA_LOCAL is the address; IFA_ADDRESS may be the peer on p2p links. */
	const struct nlattr *at = ifa->ifa_family == AF_INET && tb[IFA_LOCAL] ? tb[IFA_LOCAL]
									    : tb[IFA_ADDRESS];
	if (!(a = VEC_PUSH(&out->v)))
		return MNL_CB_ERROR;
	a->ifindex = (int)ifa->ifa_index;
	a->plen = ifa->ifa_prefixlen;
	a->proto = tb[IFA_PROTO] ? mnl_attr_get_u8(tb[IFA_PROTO]) : 0;
	if (ifa->ifa_family == AF_INET) {
		a->addr[10] = a->addr[11] = 0xff;
		memcpy(a->addr + 12, mnl_attr_get_payload(at), 4);
	} else {
		memcpy(a->addr, mnl_attr_get_payload(at), 16);
	}
	return MNL_CB_OK;
}

/* One request and its answers (a dump, or the ack of a change). */
static int talk(struct mnl_socket *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	req->nlmsg_seq = (unsigned int)time(NULL);
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0)
		return -errno;
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, (size_t)n, req->nlmsg_seq, portid, cb, data);
		if (ret <= MNL_CB_STOP)
			return ret < 0 ? -errno : 0;
	}
	return n < 0 ? -errno : 0;
}

static int dump(struct mnl_socket *nl, struct os_addrs *out)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	return talk(nl, nlh, on_addr, out);
}

static int change(struct mnl_socket *nl, bool add, int ifindex, const __u8 addr[16])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	bool v4 = ip_is_v4(addr);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = v4 ? AF_INET : AF_INET6;
	ifa->ifa_prefixlen = v4 ? 32 : 128;
	ifa->ifa_index = (unsigned int)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_flags = v4 ? 0 : IFA_F_NODAD;
	mnl_attr_put(nlh, IFA_LOCAL, v4 ? 4 : 16, v4 ? addr + 12 : addr);
	mnl_attr_put(nlh, IFA_ADDRESS, v4 ? 4 : 16, v4 ? addr + 12 : addr);
	if (add)
		mnl_attr_put_u8(nlh, IFA_PROTO, ADDRMGR_PROTO);
	return talk(nl, nlh, NULL, NULL);
}

static const struct os_addr *find(const struct os_addrs *l, int ifindex, const __u8 addr[16])
{
	for (size_t i = 0; i < l->v.n; i++)
		if ((ifindex == 0 || l->v.v[i].ifindex == ifindex) &&
		    !memcmp(l->v.v[i].addr, addr, 16))
			return &l->v.v[i];
	return NULL;
}

static bool wanted(const struct desired_state *s, int ifindex, const __u8 addr[16])
{
	for (size_t i = 0; s && i < s->enis.n; i++) {
		const struct eni *n = &s->enis.v[i];

		if (n->ifindex != ifindex)
			continue;
		for (size_t j = 0; j < n->addrs.n; j++)
			if (!n->addrs.v[j].primary && !memcmp(n->addrs.v[j].ip.addr, addr, 16))
				return true;
	}
	return false;
}

static int open_nl(struct mnl_socket **nl, struct err *e)
{
	*nl = mnl_socket_open(NETLINK_ROUTE);
	if (!*nl || mnl_socket_bind(*nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = errno;

		if (*nl)
			mnl_socket_close(*nl);
		return err_set(e, err, "rtnetlink: %s", strerror(err));
	}
	return 0;
}

static void name(const __u8 addr[16], int ifindex, char *buf, size_t len)
{
	char a[64], ifn[IF_NAMESIZE];

	ip_addr_format(addr, a, sizeof(a));
	snprintf(buf, len, "%s on %s", a, if_indextoname((unsigned int)ifindex, ifn) ? ifn : "?");
}

/* Removes ours that s does not want (all of ours when s is NULL), then adds what s wants. */
static int sync_to(const struct desired_state *s, struct addrmgr_result *res, struct err *e)
{
	struct os_addrs have = {};
	struct mnl_socket *nl;
	char what[96];
	int err;

	memset(res, 0, sizeof(*res));
	err = open_nl(&nl, e);
	if (err)
		return err;
	err = dump(nl, &have);
	if (err) {
		err = err_set(e, -err, "listing addresses: %s", strerror(-err));
		goto out;
	}
	for (size_t i = 0; !err && i < have.v.n; i++) {
		const struct os_addr *a = &have.v.v[i];

		if (a->proto != ADDRMGR_PROTO || wanted(s, a->ifindex, a->addr))
			continue;
		name(a->addr, a->ifindex, what, sizeof(what));
		err = change(nl, false, a->ifindex, a->addr);
		if (err && err != -EADDRNOTAVAIL)
			err = err_set(e, -err, "removing %s: %s", what, strerror(-err));
		else {
			err = 0;
			res->removed++;
			log_warn("address %s removed (added by the agent, no longer assigned)", what);
		}
	}
	for (size_t i = 0; s && !err && i < s->enis.n; i++) {
		const struct eni *n = &s->enis.v[i];

		for (size_t j = 0; !err && j < n->addrs.n; j++) {
			const __u8 *addr = n->addrs.v[j].ip.addr;

			/* Present already, ours or anyone's: nothing to do. */
			if (n->addrs.v[j].primary || find(&have, n->ifindex, addr))
				continue;
			name(addr, n->ifindex, what, sizeof(what));
			err = change(nl, true, n->ifindex, addr);
			if (err == -EEXIST) {
				err = 0;
			} else if (err) {
				err = err_set(e, -err, "adding %s: %s", what, strerror(-err));
			} else {
				res->added++;
				log_warn("address %s added", what);
			}
		}
	}
out:
	VEC_FREE(&have.v);
	mnl_socket_close(nl);
	return err;
}

int addrmgr_sync(const struct desired_state *s, struct addrmgr_result *res, struct err *e)
{
	return sync_to(s, res, e);
}

int addrmgr_remove_all(struct addrmgr_result *res, struct err *e)
{
	return sync_to(NULL, res, e);
}
