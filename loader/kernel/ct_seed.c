// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/ct_seed.c — see ct_seed.h. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel/ct_gc.h"
#include "kernel/ct_seed.h"
#include "vec.h"

#define SEED_TIMEOUT_NS (432000ull * 1000000000ull) /* AWS's TCP default; refreshed on use */

struct sock_seen {
	__u8 local[16], remote[16];
	__be16 lport, rport;
	bool listen;
};

struct local_addr {
	__u8 addr[16];
	int ifindex;
};

struct seed_ctx {
	VEC(struct sock_seen) socks;
	VEC(struct local_addr) addrs;
};

static void to16(int family, const __be32 *src, __u8 out[16])
{
	if (family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, src, 4);
	} else {
		memcpy(out, src, 16);
	}
}

static int on_diag(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct seed_ctx *c = data;
	struct sock_seen *s;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return MNL_CB_ERROR;
	s = VEC_PUSH(&c->socks);
	if (!s)
		return MNL_CB_ERROR;
	to16(m->idiag_family, m->id.idiag_src, s->local);
	to16(m->idiag_family, m->id.idiag_dst, s->remote);
	s->lport = m->id.idiag_sport;
	s->rport = m->id.idiag_dport;
	s->listen = m->idiag_state == TCP_LISTEN;
	return MNL_CB_OK;
}

/* One inet_diag dump of the TCP sockets of family in ESTABLISHED or LISTEN. */
static int dump_family(struct mnl_socket *nl, int family, struct seed_ctx *c)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	unsigned int seq = (unsigned int)time(NULL) + (unsigned int)family, portid;
	ssize_t n;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (__u8)family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = (1u << TCP_ESTABLISHED) | (1u << TCP_LISTEN);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	portid = mnl_socket_get_portid(nl);
	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, on_diag, c);
		if (ret == MNL_CB_STOP)
			return 0;
		if (ret < 0)
			return errno ? -errno : -EIO;
	}
	return n < 0 ? -errno : 0;
}

static int list_local_addrs(struct seed_ctx *c)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		struct local_addr *a;
		int fam = i->ifa_addr ? i->ifa_addr->sa_family : AF_UNSPEC;

		if (fam != AF_INET && fam != AF_INET6)
			continue;
		a = VEC_PUSH(&c->addrs);
		if (!a) {
			freeifaddrs(ifa);
			return -ENOMEM;
		}
		if (fam == AF_INET)
			to16(fam, (const __be32 *)&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
			     a->addr);
		else
			to16(fam, (const __be32 *)&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr,
			     a->addr);
		a->ifindex = (int)if_nametoindex(i->ifa_name);
	}
	freeifaddrs(ifa);
	return 0;
}

static int device_of(const struct seed_ctx *c, const __u8 addr[16])
{
	for (size_t i = 0; i < c->addrs.n; i++)
		if (!memcmp(c->addrs.v[i].addr, addr, 16))
			return c->addrs.v[i].ifindex;
	return 0;
}

static bool listened(const struct seed_ctx *c, const struct sock_seen *s)
{
	static const __u8 any4[16] = { [10] = 0xff, [11] = 0xff }, any6[16] = { 0 };

	for (size_t i = 0; i < c->socks.n; i++) {
		const struct sock_seen *l = &c->socks.v[i];

		if (l->listen && l->lport == s->lport &&
		    (!memcmp(l->local, s->local, 16) || !memcmp(l->local, any4, 16) ||
		     !memcmp(l->local, any6, 16)))
			return true;
	}
	return false;
}

static bool wanted(const int *ifindexes, size_t n, int ifindex)
{
	for (size_t i = 0; i < n; i++)
		if (ifindexes[i] == ifindex)
			return true;
	return false;
}

static int seed_one(const struct map_fds *m, const struct seed_ctx *c, const struct sock_seen *s, int ifindex,
		    __u64 now, struct ct_seed_stats *st)
{
	bool remote_first = listened(c, s);
	struct eniaddr_ct_key k;
	struct eniaddr_ct v = {
		.created_ns = now,
		.last_seen_ns = now,
		.expires_ns = now + SEED_TIMEOUT_NS,
		.state = ENIADDR_CT_ESTABLISHED,
		.origin = remote_first ? ENIADDR_DIR_INGRESS : ENIADDR_DIR_EGRESS,
		.flags = ENIADDR_CT_F_REPLIED,
	};

	if (remote_first)
		v.init_hi = ct_key_make(&k, (__u32)ifindex, IPPROTO_TCP, s->remote, s->rport,
					s->local, s->lport);
	else
		v.init_hi = ct_key_make(&k, (__u32)ifindex, IPPROTO_TCP, s->local, s->lport,
					s->remote, s->rport);
	if (!ct_flow_update(m, false, &k, &v, BPF_NOEXIST)) {
		st->seeded++;
		return 0;
	}
	if (errno == EEXIST) {
		st->present++;
		return 0;
	}
	return -errno;
}

int ct_seed_from_sockets(const struct map_fds *m, const int *ifindexes, size_t n,
			 struct ct_seed_stats *st, struct err *e)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct seed_ctx c = {};
	struct mnl_socket *nl;
	__u64 now = ct_now_ns();
	int err = 0;

	memset(st, 0, sizeof(*st));
	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (!nl)
		return err_set(e, errno, "seeding connection tracking: sock_diag socket: %s",
			       strerror(errno));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		err = -errno;
	for (size_t f = 0; !err && f < sizeof(families) / sizeof(families[0]); f++)
		err = dump_family(nl, families[f], &c);
	mnl_socket_close(nl);
	if (!err)
		err = list_local_addrs(&c);
	for (size_t i = 0; !err && i < c.socks.n; i++) {
		const struct sock_seen *s = &c.socks.v[i];
		int ifindex;

		if (s->listen)
			continue;
		st->sockets++;
		ifindex = device_of(&c, s->local);
		if (ifindex && wanted(ifindexes, n, ifindex))
			err = seed_one(m, &c, s, ifindex, now, st);
	}
	VEC_FREE(&c.socks);
	VEC_FREE(&c.addrs);
	if (err)
		return err_set(e, -err, "seeding connection tracking from the open TCP sockets: %s",
			       strerror(-err));
	return 0;
}
