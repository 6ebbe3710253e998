// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/source/local_subnets.c — see local_subnets.h. */
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/local_subnets.h"
#include "log.h"

/* Leading one bits of a netmask of len bytes. */
static int mask_len(const uint8_t *m, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; i++)
		for (uint8_t bit = 0x80; bit && (m[i] & bit); bit >>= 1)
			n++;
	return n;
}

/* An ifaddrs entry as an ip_prefix, false for other families and IPv6 link-local. */
static bool entry_prefix(const struct ifaddrs *it, struct ip_prefix *p)
{
	const struct sockaddr *a = it->ifa_addr, *m = it->ifa_netmask;

	if (!a || !m || a->sa_family != m->sa_family)
		return false;
	memset(p, 0, sizeof(*p));
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *a4 = (const void *)a, *m4 = (const void *)m;

		p->addr[10] = p->addr[11] = 0xff;
		memcpy(&p->addr[12], &a4->sin_addr, 4);
		p->plen = (uint8_t)(96 + mask_len((const uint8_t *)&m4->sin_addr, 4));
		return true;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const void *)a, *m6 = (const void *)m;

		if (IN6_IS_ADDR_LINKLOCAL(&a6->sin6_addr))
			return false;
		memcpy(p->addr, &a6->sin6_addr, 16);
		p->plen = (uint8_t)mask_len((const uint8_t *)&m6->sin6_addr, 16);
		return true;
	}
	return false;
}

int local_prefixes_list(struct if_prefixes *out, struct err *e)
{
	struct ifaddrs *ifa, *it;
	struct if_prefix *x;
	struct ip_prefix p;

	memset(out, 0, sizeof(*out));
	if (getifaddrs(&ifa))
		return err_set(e, errno, "listing interface addresses: %s", strerror(errno));
	for (it = ifa; it; it = it->ifa_next) {
		if ((it->ifa_flags & IFF_LOOPBACK) || !entry_prefix(it, &p))
			continue;
		x = VEC_PUSH(out);
		if (!x) {
			freeifaddrs(ifa);
			local_prefixes_free(out);
			return err_set(e, ENOMEM, "out of memory");
		}
		snprintf(x->ifname, sizeof(x->ifname), "%s", it->ifa_name);
		x->p = p;
	}
	freeifaddrs(ifa);
	return 0;
}

void local_prefixes_free(struct if_prefixes *l)
{
	VEC_FREE(l);
}

/* Same family-length limits as compile_nexthop: the subnet must hold base + 1 for the router. */
static bool holds_router(const struct ip_prefix *p)
{
	return ip_prefix_family_len(p) <= (ip_prefix_is_v4(p) ? 30 : 126);
}

static bool has_subnet(const struct eni *n, bool v4)
{
	for (size_t i = 0; i < n->subnets.n; i++)
		if (ip_prefix_is_v4(&n->subnets.v[i]) == v4)
			return true;
	return false;
}

/* Every address and prefix of the ENI in sub's family lies inside sub (compile_nexthop checks
 * the same and would reject the state otherwise). */
static bool holds_eni(const struct eni *n, const struct ip_prefix *sub)
{
	bool v4 = ip_prefix_is_v4(sub);

	for (size_t i = 0; i < n->addrs.n; i++)
		if (ip_prefix_is_v4(&n->addrs.v[i].ip) == v4 &&
		    !ip_prefix_contains(sub, &n->addrs.v[i].ip))
			return false;
	for (size_t i = 0; i < n->prefixes.n; i++)
		if (ip_prefix_is_v4(&n->prefixes.v[i]) == v4 &&
		    !ip_prefix_contains(sub, &n->prefixes.v[i]))
			return false;
	return true;
}

static bool is_primary(const struct eni *n, const struct ip_prefix *p)
{
	for (size_t i = 0; i < n->addrs.n; i++)
		if (n->addrs.v[i].primary && !memcmp(n->addrs.v[i].ip.addr, p->addr, 16))
			return true;
	return false;
}

/* The best candidate of one family for n, or NULL. */
static const struct ip_prefix *pick(const struct eni *n, bool v4, const struct if_prefix *l,
				    size_t count)
{
	const struct ip_prefix *best = NULL;
	bool best_primary = false;

	for (size_t i = 0; i < count; i++) {
		const struct ip_prefix *p = &l[i].p;
		bool primary;

		if (strcmp(l[i].ifname, n->ifname) || ip_prefix_is_v4(p) != v4 ||
		    ip_prefix_is_host(p) || !holds_router(p) || !holds_eni(n, p))
			continue;
		primary = is_primary(n, p);
		if (!best || (primary && !best_primary) ||
		    (primary == best_primary && p->plen < best->plen)) {
			best = p;
			best_primary = primary;
		}
	}
	return best;
}

int local_subnets_fill(struct desired_state *s, const struct if_prefix *l, size_t count,
		       struct err *e)
{
	static const bool fams[] = { true, false };
	char buf[IP_PREFIX_STRLEN];

	for (size_t i = 0; i < s->enis.n; i++) {
		struct eni *n = &s->enis.v[i];

		for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
			const struct ip_prefix *p;
			struct ip_prefix *sub;

			if (has_subnet(n, fams[f]) || !(p = pick(n, fams[f], l, count)))
				continue;
			if (!(sub = VEC_PUSH(&n->subnets)))
				return err_set(e, ENOMEM, "out of memory");
			/* Host bits cleared, as ip_prefix_parse does for a configured subnet. */
			*sub = *p;
			for (unsigned int bit = sub->plen; bit < 128; bit++)
				sub->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
			ip_prefix_format(sub, false, buf, sizeof(buf));
			log_info("%s: subnet %s from %s's addresses", n->where, buf, n->ifname);
		}
	}
	return 0;
}
