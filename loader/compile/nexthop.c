// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * loader/compile/nexthop.c — the eniaddr_nexthop entries of one slot (see compile.h and
 * maps/eniaddr.h). tc_egress sends a packet whose source another ENI owns out of that ENI; on
 * that ENI's link the next hop is the destination when it is in the ENI's subnet, else the
 * ENI's router: the one the state names (configured, or learned from the kernel by
 * source/routes.h), else the subnet's base address + 1, written as a guess. The IPv4 entry also
 * carries the Amazon DNS resolver of the ENI's VPC (base + 2 of its primary CIDR) when the state
 * knows the VPC: egress exempts requests to it like those to 169.254.169.253 (bpf/failsafe.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile/compile.h"

enum { FAM_V4, FAM_V6, FAM_COUNT };

static const char *const fam_name[FAM_COUNT] = { "IPv4", "IPv6" };

/* The smallest subnets that still hold a router besides the base (family lengths). */
static const int max_family_len[FAM_COUNT] = { 30, 126 };

static int fam_of(const struct ip_prefix *p)
{
	return ip_prefix_is_v4(p) ? FAM_V4 : FAM_V6;
}

/* At most one subnet per family, each with room for its router. */
static int pick_subnets(const struct eni *n, const struct ip_prefix *sub[FAM_COUNT],
			struct err *e)
{
	char a[IP_PREFIX_STRLEN], b[IP_PREFIX_STRLEN];

	sub[FAM_V4] = sub[FAM_V6] = NULL;
	for (size_t i = 0; i < n->subnets.n; i++) {
		const struct ip_prefix *p = &n->subnets.v[i];
		int f = fam_of(p);

		ip_prefix_format(p, false, a, sizeof(a));
		if (sub[f]) {
			ip_prefix_format(sub[f], false, b, sizeof(b));
			return err_set(e, EINVAL, "%s: subnets: two %s subnets (%s, %s): an ENI is in "
				       "one subnet, give at most one CIDR per family", n->where,
				       fam_name[f], b, a);
		}
		if (ip_prefix_family_len(p) > max_family_len[f])
			return err_set(e, EINVAL, "%s: subnets: %s is too small to hold a router "
				       "(at most /%d)", n->where, a, max_family_len[f]);
		sub[f] = p;
	}
	return 0;
}

/* A wrong subnet would send redirected packets to a router that is not there: catch it here. */
static int check_inside(const struct eni *n, const struct ip_prefix *sub[FAM_COUNT],
			struct err *e)
{
	char a[IP_PREFIX_STRLEN], b[IP_PREFIX_STRLEN];
	const struct ip_prefix *s;

	for (size_t i = 0; i < n->addrs.n; i++) {
		const struct address *x = &n->addrs.v[i];

		s = sub[fam_of(&x->ip)];
		if (s && !ip_prefix_contains(s, &x->ip)) {
			ip_prefix_format(&x->ip, true, a, sizeof(a));
			ip_prefix_format(s, false, b, sizeof(b));
			return err_set(e, EINVAL, "%s: %s is outside the ENI's subnet %s", x->where,
				       a, b);
		}
	}
	for (size_t i = 0; i < n->prefixes.n; i++) {
		const struct ip_prefix *p = &n->prefixes.v[i];

		s = sub[fam_of(p)];
		if (s && !ip_prefix_contains(s, p)) {
			ip_prefix_format(p, false, a, sizeof(a));
			ip_prefix_format(s, false, b, sizeof(b));
			return err_set(e, EINVAL, "%s: prefix %s is outside the ENI's subnet %s",
				       n->where, a, b);
		}
	}
	return 0;
}

static void fill_nexthop(struct eniaddr_nexthop *v, const struct ip_prefix *p,
			 const struct eni_router *r)
{
	memset(v, 0, sizeof(*v));
	for (unsigned int bit = 0; bit < p->plen; bit++)
		v->mask[bit / 8] |= (uint8_t)(0x80u >> (bit % 8));
	/* The datapath tests (dst & mask) == subnet: host bits must be clear, whatever the source
	 * of the prefix did. */
	for (int i = 0; i < 16; i++)
		v->subnet[i] = p->addr[i] & v->mask[i];
	v->plen = p->plen;
	if (r->set) {
		memcpy(v->gateway, r->addr, 16);
		v->origin = r->origin;
		return;
	}
	memcpy(v->gateway, v->subnet, 16);
	v->gateway[15] |= 1; /* base + 1: the last bit is a host bit (plen <= 126) */
	v->origin = ENIADDR_NH_GUESS;
}

/* The VPC's resolver, base + 2 of its primary CIDR, in network order; the CIDR must be IPv4 and
 * hold it, and the ENI needs an IPv4 entry to carry it. */
static int vpc_resolver(const struct eni *n, const struct ip_prefix *sub4, __be32 *out,
			struct err *e)
{
	char a[IP_PREFIX_STRLEN];
	struct ip_prefix v;
	__u32 base;

	if (!n->has_vpc)
		return 0;
	v = n->vpc;
	ip_prefix_format(&v, false, a, sizeof(a));
	if (!ip_prefix_is_v4(&v) || ip_prefix_family_len(&v) > max_family_len[FAM_V4])
		return err_set(e, EINVAL, "%s: VPC CIDR %s must be an IPv4 block of at most /%d "
			       "(the resolver is its base + 2)", n->vpc_where, a,
			       max_family_len[FAM_V4]);
	if (!sub4)
		return err_set(e, EINVAL, "%s: VPC CIDR %s given but %s has no IPv4 subnet (give "
			       "\"subnets\"): the resolver exemption rides on the subnet's entry",
			       n->vpc_where, a, n->where);
	ip_prefix_clear_host_bits(&v);
	memcpy(&base, &v.addr[12], 4);
	*out = htonl(ntohl(base) + 2);
	return 0;
}

static int cmp_nexthop(const void *a, const void *b)
{
	const struct eniaddr_nexthop_key *x = &((const struct compiled_nexthop *)a)->k;
	const struct eniaddr_nexthop_key *y = &((const struct compiled_nexthop *)b)->k;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return (x->family > y->family) - (x->family < y->family);
}

int compile_nexthops(const struct desired_state *s, struct compiled *out, struct err *e)
{
	static const __u32 family[FAM_COUNT] = { ENIADDR_AF_INET, ENIADDR_AF_INET6 };

	for (size_t i = 0; i < s->enis.n; i++) {
		const struct eni *n = &s->enis.v[i];
		const struct ip_prefix *sub[FAM_COUNT];
		int ret = pick_subnets(n, sub, e);
		__be32 dns = 0;

		if (!ret)
			ret = check_inside(n, sub, e);
		if (!ret)
			ret = vpc_resolver(n, sub[FAM_V4], &dns, e);
		if (ret)
			return ret;
		for (int f = 0; f < FAM_COUNT; f++) {
			struct compiled_nexthop *c;

			if (!sub[f])
				continue; /* the kernel's route lookup on the ENI decides */
			if (!(c = VEC_PUSH(&out->nexthops)))
				return -ENOMEM;
			c->k.slot = out->slot;
			c->k.ifindex = (__u32)n->ifindex;
			c->k.family = family[f];
			fill_nexthop(&c->v, sub[f], &n->routers[f == FAM_V4 ? ENI_V4 : ENI_V6]);
			if (f == FAM_V4)
				c->v.vpc_dns = dns;
		}
	}
	/* At most 2 per ENI and compile_state caps ENIs at ENIADDR_MAX_ENIS: always fits a slot. */
	if (out->nexthops.n > 1)
		qsort(out->nexthops.v, out->nexthops.n, sizeof(*out->nexthops.v), cmp_nexthop);
	return 0;
}
