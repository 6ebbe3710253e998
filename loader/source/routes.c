// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/source/routes.c — see routes.h. Reads only: rtnetlink dumps through libmnl. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source/routes.h"
#include "log.h"

#define DUMP_BUF_SIZE (64 * 1024) /* larger than any one dump message the kernel builds */

static const char *const fam_name[ENI_FAMILIES] = { "IPv4", "IPv6" };

const char *router_origin_name(enum eniaddr_nh_origin o)
{
	switch (o) {
	case ENIADDR_NH_ROUTE:
		return "route";
	case ENIADDR_NH_NEIGH:
		return "neighbour";
	case ENIADDR_NH_CONFIG:
		return "config";
	case ENIADDR_NH_GUESS:
		break;
	}
	return "guess";
}

/* ---- the choice (pure) ------------------------------------------------------------------ */

static const struct ip_prefix *subnet_of(const struct eni *n, enum eni_family f)
{
	for (size_t i = 0; i < n->subnets.n; i++)
		if (ip_prefix_is_v4(&n->subnets.v[i]) == (f == ENI_V4))
			return &n->subnets.v[i];
	return NULL;
}

static void choose_addr(struct eni_router *out, const uint8_t addr[16], enum eniaddr_nh_origin o)
{
	memset(out, 0, sizeof(*out));
	out->set = true;
	memcpy(out->addr, addr, 16);
	out->origin = o;
}

void router_choose(const struct eni *n, enum eni_family f, const struct if_routers *k,
		   struct eni_router *out)
{
	const struct ip_prefix *sub;
	uint8_t guess[16];

	if (n->routers[f].set && n->routers[f].origin == ENIADDR_NH_CONFIG) {
		*out = n->routers[f];
		return;
	}
	if (k && k->route[f].set) {
		choose_addr(out, k->route[f].addr, ENIADDR_NH_ROUTE);
		return;
	}
	if (k && k->neigh[f].set) {
		choose_addr(out, k->neigh[f].addr, ENIADDR_NH_NEIGH);
		return;
	}
	memset(out, 0, sizeof(*out));
	if (!(sub = subnet_of(n, f)) || ip_prefix_is_host(sub))
		return;
	/* base + 1, the address AWS reserves for the VPC router: host bits cleared first. */
	for (int i = 0; i < 16; i++) {
		int bits = (int)sub->plen - 8 * i;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		guess[i] = sub->addr[i] & mask;
	}
	guess[15] |= 1;
	choose_addr(out, guess, ENIADDR_NH_GUESS);
}

static bool router_same(const struct eni_router *a, const struct eni_router *b)
{
	return a->set == b->set &&
	       (!a->set || (a->origin == b->origin && !memcmp(a->addr, b->addr, 16)));
}

static void log_choice(const struct eni *n, enum eni_family f, const struct eni_router *r)
{
	char a[IP_PREFIX_STRLEN];

	ip_addr_format(r->addr, a, sizeof(a));
	if (r->origin == ENIADDR_NH_GUESS && f == ENI_V6)
		log_warn("%s: no IPv6 router known for %s (no default route on it, no router in "
			 "its neighbour table): guessing %s, which the VPC's router (link-local) "
			 "may not answer; off-subnet IPv6 replies redirected to %s may be lost",
			 n->where, n->ifname, a, n->ifname);
	else
		log_info("%s: %s router of %s: %s (%s)", n->where, fam_name[f], n->ifname, a,
			 router_origin_name(r->origin));
}

int routes_apply(struct desired_state *s, const struct kernel_routers *k)
{
	int changed = 0;

	for (size_t i = 0; i < s->enis.n; i++) {
		struct eni *n = &s->enis.v[i];
		const struct if_routers *ir = n->ifindex ? routes_of(k, n->ifindex) : NULL;

		if (!n->ifindex)
			continue;
		for (int f = 0; f < ENI_FAMILIES; f++) {
			struct eni_router r;

			router_choose(n, (enum eni_family)f, ir, &r);
			if (router_same(&r, &n->routers[f]))
				continue;
			changed = 1;
			n->routers[f] = r;
			if (r.set)
				log_choice(n, (enum eni_family)f, &r);
		}
	}
	return changed;
}

/* ---- reading the kernel ----------------------------------------------------------------- */

const struct if_routers *routes_of(const struct kernel_routers *k, int ifindex)
{
	for (size_t i = 0; k && i < k->ifs.n; i++)
		if (k->ifs.v[i].ifindex == ifindex)
			return &k->ifs.v[i];
	return NULL;
}

static struct if_routers *entry_of(struct kernel_routers *k, int ifindex)
{
	struct if_routers *r = (struct if_routers *)routes_of(k, ifindex);

	if (!r && (r = VEC_PUSH(&k->ifs)))
		r->ifindex = ifindex;
	return r;
}

/* An address attribute of the family as 16 bytes (IPv4-mapped); false if it has another size. */
static bool attr_addr(const struct nlattr *a, int family, uint8_t out[16])
{
	uint16_t len = mnl_attr_get_payload_len(a);

	memset(out, 0, 16);
	if (family == AF_INET && len == 4) {
		out[10] = out[11] = 0xff;
		memcpy(out + 12, mnl_attr_get_payload(a), 4);
		return true;
	}
	if (family == AF_INET6 && len == 16) {
		memcpy(out, mnl_attr_get_payload(a), 16);
		return true;
	}
	return false;
}

struct walk {
	struct kernel_routers *k;
	int err; /* -ENOMEM */
};

/* Keeps the better of an existing and a new default route of ifindex. */
static void offer_route(struct walk *w, int ifindex, enum eni_family f, const uint8_t gw[16],
			uint32_t metric, bool main_table)
{
	struct if_routers *ir = entry_of(w->k, ifindex);
	struct kernel_router *r;

	if (!ir) {
		w->err = -ENOMEM;
		return;
	}
	r = &ir->route[f];
	if (r->set && (r->rank < metric || (r->rank == metric && (r->main_table || !main_table))))
		return;
	r->set = true;
	memcpy(r->addr, gw, 16);
	r->rank = metric;
	r->main_table = main_table;
}

/* A u32 attribute's value, 0 when it is absent or not 4 bytes long. */
static uint32_t attr_u32(const struct nlattr *a)
{
	return a && mnl_attr_get_payload_len(a) == sizeof(uint32_t) ? mnl_attr_get_u32(a) : 0;
}

static int attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(a);

	_Static_assert(RTA_MAX >= NDA_MAX, "one attribute table serves routes and neighbours");
	if (type <= RTA_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

/* The gateways of a multipath route (RTA_MULTIPATH): one per nexthop, each on its device. */
static void offer_multipath(struct walk *w, const struct nlattr *mp, int family,
			    enum eni_family f, uint32_t metric, bool main_table)
{
	const struct rtnexthop *nh = mnl_attr_get_payload(mp);
	int left = mnl_attr_get_payload_len(mp);

	for (; RTNH_OK(nh, left); left -= NLMSG_ALIGN(nh->rtnh_len), nh = RTNH_NEXT(nh)) {
		const struct nlattr *tb[RTA_MAX + 1] = {};
		uint8_t gw[16];

		if (mnl_attr_parse_payload(RTNH_DATA(nh), nh->rtnh_len - sizeof(*nh), attr_cb,
					   tb) < 0)
			continue;
		if (tb[RTA_GATEWAY] && attr_addr(tb[RTA_GATEWAY], family, gw))
			offer_route(w, nh->rtnh_ifindex, f, gw, metric, main_table);
	}
}

/*
 * One route of the dump: only unicast default routes with a gateway count. A route through a
 * nexthop object comes with its gateway expanded by the kernel (RTA_OIF/RTA_GATEWAY or
 * RTA_MULTIPATH besides RTA_NH_ID); one via an IPv6 gateway for IPv4 (RTA_VIA) has no
 * RTA_GATEWAY and is skipped: the next source of truth decides for that interface.
 */
static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = {};
	struct walk *w = data;
	enum eni_family f = rtm->rtm_family == AF_INET ? ENI_V4 : ENI_V6;
	uint32_t table, metric;
	uint8_t gw[16];

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_dst_len != 0 ||
	    rtm->rtm_type != RTN_UNICAST || (rtm->rtm_flags & RTM_F_CLONED) ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb) < 0)
		return MNL_CB_OK;
	table = tb[RTA_TABLE] ? attr_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	metric = attr_u32(tb[RTA_PRIORITY]);
	if (tb[RTA_MULTIPATH])
		offer_multipath(w, tb[RTA_MULTIPATH], rtm->rtm_family, f, metric,
				table == RT_TABLE_MAIN);
	else if (attr_u32(tb[RTA_OIF]) && tb[RTA_GATEWAY] &&
		 attr_addr(tb[RTA_GATEWAY], rtm->rtm_family, gw))
		offer_route(w, (int)attr_u32(tb[RTA_OIF]), f, gw, metric, table == RT_TABLE_MAIN);
	return w->err ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Confirmed entries before ones the kernel only believes; never a failed or unresolved one. */
static uint32_t neigh_rank(uint16_t state)
{
	if (state & (NUD_REACHABLE | NUD_PERMANENT | NUD_NOARP))
		return 2;
	if (state & (NUD_STALE | NUD_DELAY | NUD_PROBE))
		return 1;
	return 0;
}

/* One IPv6 neighbour of the dump: those flagged router (an NA with the R flag, or an RA). */
static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = {};
	struct walk *w = data;
	struct if_routers *ir;
	struct kernel_router *r;
	uint32_t rank = neigh_rank(ndm->ndm_state);
	uint8_t a[16];

	if (nlh->nlmsg_type != RTM_NEWNEIGH || ndm->ndm_family != AF_INET6 ||
	    !(ndm->ndm_flags & NTF_ROUTER) || !rank)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ndm), attr_cb, tb) < 0 || !tb[NDA_DST] ||
	    !attr_addr(tb[NDA_DST], AF_INET6, a))
		return MNL_CB_OK;
	if (!(ir = entry_of(w->k, ndm->ndm_ifindex))) {
		w->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	r = &ir->neigh[ENI_V6];
	/* Ties go to the lower address, so the choice does not depend on the dump's order. */
	if (r->set && (r->rank > rank || (r->rank == rank && memcmp(r->addr, a, 16) <= 0)))
		return MNL_CB_OK;
	r->set = true;
	memcpy(r->addr, a, 16);
	r->rank = rank;
	return MNL_CB_OK;
}

/* One NLM_F_DUMP request (RTM_GETROUTE or RTM_GETNEIGH of a family), every answer to cb. */
static int dump(struct mnl_socket *nl, char *buf, uint16_t type, int family, mnl_cb_t cb,
		struct walk *w, struct err *e)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned int seq = (unsigned int)time(NULL) + type + (unsigned int)family;
	unsigned int portid = mnl_socket_get_portid(nl);
	const char *what = type == RTM_GETROUTE ? "routes" : "neighbours";
	ssize_t n;
	int ret;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (type == RTM_GETROUTE) {
		struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

		rtm->rtm_family = (unsigned char)family;
	} else {
		struct ndmsg *ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));

		ndm->ndm_family = (unsigned char)family;
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return err_set(e, errno, "asking the kernel for its %s: %s", what, strerror(errno));
	do {
		n = mnl_socket_recvfrom(nl, buf, DUMP_BUF_SIZE);
		if (n < 0)
			return err_set(e, errno, "reading the kernel's %s: %s", what,
				       strerror(errno));
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, w);
	} while (ret > MNL_CB_STOP);
	if (w->err)
		return err_set(e, -w->err, "out of memory");
	if (ret < 0)
		return err_set(e, errno, "reading the kernel's %s: %s", what, strerror(errno));
	return 0;
}

/* An rtnetlink socket and a dump buffer; *nl NULL and -errno on failure. */
static int rtnl_open(struct mnl_socket **nl, char **buf, struct err *e)
{
	int err;

	*nl = NULL;
	if (!(*buf = malloc(DUMP_BUF_SIZE)))
		return err_set(e, ENOMEM, "out of memory");
	*nl = mnl_socket_open(NETLINK_ROUTE);
	if (*nl && !mnl_socket_bind(*nl, 0, MNL_SOCKET_AUTOPID))
		return 0;
	err = err_set(e, errno, "opening rtnetlink to read the routes: %s", strerror(errno));
	if (*nl)
		mnl_socket_close(*nl);
	*nl = NULL;
	free(*buf);
	return err;
}

static void rtnl_close(struct mnl_socket *nl, char *buf)
{
	mnl_socket_close(nl);
	free(buf);
}

int routes_read(struct kernel_routers *out, struct err *e)
{
	struct walk w = { .k = out };
	struct mnl_socket *nl;
	char *buf;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = rtnl_open(&nl, &buf, e);
	if (ret)
		return ret;
	ret = dump(nl, buf, RTM_GETROUTE, AF_INET, route_cb, &w, e) ?:
	      dump(nl, buf, RTM_GETROUTE, AF_INET6, route_cb, &w, e) ?:
	      dump(nl, buf, RTM_GETNEIGH, AF_INET6, neigh_cb, &w, e);
	rtnl_close(nl, buf);
	if (ret)
		routes_free(out);
	return ret;
}

/* ---- a next hop's neighbour entry, for status ---------------------------------------- */

struct neigh_find {
	struct walk w;      /* first: dump() hands the callback a struct walk */
	int ifindex, family;
	uint8_t addr[16];
	uint16_t state;
	bool found;
};

static int find_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[RTA_MAX + 1] = {};
	struct neigh_find *f = data;
	uint8_t a[16];

	if (nlh->nlmsg_type != RTM_NEWNEIGH || ndm->ndm_family != f->family ||
	    ndm->ndm_ifindex != f->ifindex)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ndm), attr_cb, tb) < 0 || !tb[NDA_DST] ||
	    !attr_addr(tb[NDA_DST], f->family, a) || memcmp(a, f->addr, 16))
		return MNL_CB_OK;
	f->found = true;
	f->state = ndm->ndm_state;
	return MNL_CB_OK;
}

int routes_neigh_state(int ifindex, const uint8_t addr[16], uint16_t *state, struct err *e)
{
	struct neigh_find f = { .ifindex = ifindex, .family = ip_is_v4(addr) ? AF_INET : AF_INET6 };
	struct mnl_socket *nl;
	char *buf;
	int ret;

	memcpy(f.addr, addr, 16);
	ret = rtnl_open(&nl, &buf, e);
	if (ret)
		return ret;
	ret = dump(nl, buf, RTM_GETNEIGH, f.family, find_cb, &f.w, e);
	rtnl_close(nl, buf);
	*state = f.found ? f.state : 0;
	return ret;
}

const char *neigh_state_name(uint16_t state)
{
	static const struct { uint16_t bit; const char *name; } names[] = {
		{ NUD_REACHABLE, "reachable" }, { NUD_STALE, "stale" },
		{ NUD_DELAY, "delay" },         { NUD_PROBE, "probe" },
		{ NUD_FAILED, "failed" },       { NUD_INCOMPLETE, "incomplete" },
		{ NUD_PERMANENT, "permanent" }, { NUD_NOARP, "noarp" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (state & names[i].bit)
			return names[i].name;
	return "none";
}

void routes_free(struct kernel_routers *k)
{
	VEC_FREE(&k->ifs);
}

int routes_learn(struct desired_state *s, struct err *e)
{
	struct kernel_routers k;
	int ret = routes_read(&k, e);

	if (ret)
		return ret;
	ret = routes_apply(s, &k);
	routes_free(&k);
	return ret;
}

bool routes_msg_relevant(const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_type == RTM_NEWROUTE || nlh->nlmsg_type == RTM_DELROUTE) {
		const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);

		return nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*rtm)) && rtm->rtm_dst_len == 0;
	}
	if (nlh->nlmsg_type == RTM_NEWNEIGH || nlh->nlmsg_type == RTM_DELNEIGH) {
		const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);

		/* A neighbour losing its router flag arrives without it: every IPv6 one counts. */
		return nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*ndm)) &&
		       ndm->ndm_family == AF_INET6;
	}
	return false;
}
