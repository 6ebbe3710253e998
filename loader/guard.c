// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/guard.c — see guard.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "guard.h"

int guard_parse(const char *s, struct eniaddr_guard *g, struct err *e)
{
	const char *slash = strchr(s, '/'), *colon = NULL;
	char cidr[IP_PREFIX_STRLEN];
	struct ip_prefix p;
	size_t len;
	int ret;

	if (!slash && strchr(s, ':') && !strchr(s, '.'))
		return err_set(e, EINVAL, "bad --guard '%s': an IPv6 guard needs its /len, the "
			       "port follows it (2001:db8::1/128:22)", s);
	if (slash)
		colon = strchr(slash, ':');
	else if (strchr(s, '.')) /* IPv4 host: a.b.c.d:PORT */
		colon = strchr(s, ':');
	len = colon ? (size_t)(colon - s) : strlen(s);
	if (!len || len >= sizeof(cidr))
		return err_set(e, EINVAL, "bad --guard '%s': expected CIDR[:PORT]", s);
	memcpy(cidr, s, len);
	cidr[len] = '\0';
	memset(g, 0, sizeof(*g));
	if (colon) {
		char *end;
		long port;

		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || port < 1 || port > 65535)
			return err_set(e, EINVAL, "bad --guard '%s': port '%s' is not 1..65535", s,
				       colon + 1);
		g->port = (__u16)port;
	}
	ret = ip_prefix_parse(cidr, &p);
	if (ret == -EAFNOSUPPORT)
		return err_set(e, EINVAL, "bad --guard '%s': '%s' " ADDR_MAPPED_ADVICE, s, cidr);
	if (ret)
		return err_set(e, EINVAL, "bad --guard '%s': '%s' is not an IPv4 or IPv6 CIDR", s,
			       cidr);
	memcpy(g->addr, p.addr, 16);
	g->plen = p.plen;
	return 0;
}

void guard_format(const struct eniaddr_guard *g, char buf[GUARD_STRLEN])
{
	struct ip_prefix p = { .plen = g->plen };
	char cidr[IP_PREFIX_STRLEN];

	memcpy(p.addr, g->addr, 16);
	ip_prefix_format(&p, false, cidr, sizeof(cidr));
	if (g->port)
		snprintf(buf, GUARD_STRLEN, "%s:%u", cidr, g->port);
	else
		snprintf(buf, GUARD_STRLEN, "%s", cidr);
}

int guard_add(struct eniaddr_guard *list, unsigned int *n, const struct eniaddr_guard *g,
	      struct err *e)
{
	char text[GUARD_STRLEN];

	for (unsigned int i = 0; i < *n; i++)
		if (!memcmp(&list[i], g, sizeof(*g)))
			return 0;
	if (*n >= ENIADDR_MAX_GUARDS) {
		guard_format(g, text);
		return err_set(e, ENOSPC, "cannot add --guard %s: %d guards already", text,
			       ENIADDR_MAX_GUARDS);
	}
	list[(*n)++] = *g;
	return 0;
}

static int add_ref_once(struct group_refs *refs)
{
	for (size_t i = 0; i < refs->ids.n; i++)
		if (!strcmp(refs->ids.v[i], GUARD_GROUP_ID))
			return 0;
	return group_refs_add(refs, GUARD_GROUP_ID);
}

int guard_apply(struct desired_state *st, const struct eniaddr_guard *g, size_t n,
		struct err *e)
{
	struct group *grp;

	if (!n)
		return 0;
	grp = state_find_group(st, GUARD_GROUP_ID);
	if (grp && strcmp(grp->where, GUARD_WHERE))
		return err_set(e, EEXIST, "%s: the configuration defines group %s, which the guard "
			       "uses", grp->where, GUARD_GROUP_ID);
	if (grp) { /* applied before (a caller compiling the same state again): refill */
		VEC_FREE(&grp->ingress);
	} else {
		grp = VEC_PUSH(&st->groups);
		if (!grp)
			return err_set(e, ENOMEM, "out of memory");
		snprintf(grp->id, sizeof(grp->id), "%s", GUARD_GROUP_ID);
		snprintf(grp->where, sizeof(grp->where), "%s", GUARD_WHERE);
	}
	grp->egress_set = true; /* the guard opens nothing outbound: replies are tracked */
	for (size_t i = 0; i < n; i++) {
		struct rule *r = VEC_PUSH(&grp->ingress);
		char text[GUARD_STRLEN];

		if (!r)
			return err_set(e, ENOMEM, "out of memory");
		r->proto = g[i].port ? IPPROTO_TCP : RULE_PROTO_ALL;
		r->from = r->to = g[i].port;
		r->peer_kind = PEER_CIDR;
		memcpy(r->cidr.addr, g[i].addr, 16);
		r->cidr.plen = g[i].plen;
		guard_format(&g[i], text);
		snprintf(r->where, sizeof(r->where), "--guard %s", text);
	}
	for (size_t i = 0; i < st->enis.n; i++) {
		struct eni *eni = &st->enis.v[i];

		if (add_ref_once(&eni->groups))
			return err_set(e, ENOMEM, "out of memory");
		for (size_t j = 0; j < eni->addrs.n; j++)
			if (eni->addrs.v[j].has_override && add_ref_once(&eni->addrs.v[j].groups))
				return err_set(e, ENOMEM, "out of memory");
	}
	return 0;
}
