// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/state.c — see state.h. */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "state.h"

/*
 * Connection-tracking idle timeouts, seconds. AWS documents three of them as settable per ENI
 * (REFERENCE.md §3) and "other" as a fixed 600; the native config may set any of them within the
 * ranges below. For what AWS leaves undocumented we chose: a half-open TCP connection gets a
 * minute (a SYN retry series lasts ~1 min), a closing one 30 s, ICMP 30 s (like UDP one-way).
 */
struct timeout_field {
	const char *name; /* as in the native config's connection_tracking object */
	size_t off;       /* in struct eniaddr_timeouts */
	__u32 def, min, max;
};

#define TIMEOUT(field, d, lo, hi) \
	{ #field, offsetof(struct eniaddr_timeouts, field), d, lo, hi }

static const struct timeout_field timeout_fields[] = {
	TIMEOUT(tcp_established, 432000, 60, 432000), /* AWS: 5 days, settable 60..432000 */
	TIMEOUT(udp,             30,     30, 60),     /* AWS: one-way or single exchange */
	TIMEOUT(udp_stream,      180,    60, 180),    /* AWS: seen both ways more than once */
	TIMEOUT(other,           600,    1,  600),    /* AWS: fixed 600 */
	TIMEOUT(tcp_syn,         60,     1,  600),    /* ours */
	TIMEOUT(tcp_closing,     30,     1,  600),    /* ours */
	TIMEOUT(icmp,            30,     1,  600),    /* ours */
};

#define N_TIMEOUTS (sizeof(timeout_fields) / sizeof(timeout_fields[0]))

static __u32 *timeout_at(struct eniaddr_timeouts *t, const struct timeout_field *f)
{
	return (__u32 *)((char *)t + f->off);
}

void state_default_timeouts(struct eniaddr_timeouts *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < N_TIMEOUTS; i++)
		*timeout_at(t, &timeout_fields[i]) = timeout_fields[i].def;
}

void state_init(struct desired_state *s)
{
	memset(s, 0, sizeof(*s));
}

void group_refs_free(struct group_refs *refs)
{
	for (size_t i = 0; i < refs->ids.n; i++)
		free(refs->ids.v[i]);
	VEC_FREE(&refs->ids);
}

void eni_free(struct eni *n)
{
	for (size_t j = 0; j < n->addrs.n; j++)
		group_refs_free(&n->addrs.v[j].groups);
	VEC_FREE(&n->addrs);
	VEC_FREE(&n->prefixes);
	VEC_FREE(&n->subnets);
	group_refs_free(&n->groups);
}

int group_add_eni_members(struct group *g, const struct eni *n, struct err *e)
{
	for (size_t j = 0; j < n->addrs.n + n->prefixes.n; j++) {
		struct ip_prefix *m = VEC_PUSH(&g->members);

		if (!m)
			return err_set(e, ENOMEM, "out of memory");
		*m = j < n->addrs.n ? n->addrs.v[j].ip : n->prefixes.v[j - n->addrs.n];
	}
	return 0;
}

void state_free(struct desired_state *s)
{
	for (size_t i = 0; i < s->enis.n; i++)
		eni_free(&s->enis.v[i]);
	VEC_FREE(&s->enis);
	for (size_t i = 0; i < s->groups.n; i++) {
		VEC_FREE(&s->groups.v[i].ingress);
		VEC_FREE(&s->groups.v[i].egress);
		VEC_FREE(&s->groups.v[i].members);
	}
	VEC_FREE(&s->groups);
	for (size_t i = 0; i < s->prefix_lists.n; i++)
		VEC_FREE(&s->prefix_lists.v[i].cidrs);
	VEC_FREE(&s->prefix_lists);
	s->origin[0] = '\0';
}

int group_refs_add(struct group_refs *refs, const char *id)
{
	char *copy = strdup(id);
	char **slot;

	if (!copy)
		return -ENOMEM;
	slot = VEC_PUSH(&refs->ids);
	if (!slot) {
		free(copy);
		return -ENOMEM;
	}
	*slot = copy;
	return 0;
}

struct group *state_find_group(const struct desired_state *s, const char *id)
{
	for (size_t i = 0; i < s->groups.n; i++)
		if (strcmp(s->groups.v[i].id, id) == 0)
			return &s->groups.v[i];
	return NULL;
}

struct prefix_list *state_find_prefix_list(const struct desired_state *s, const char *id)
{
	for (size_t i = 0; i < s->prefix_lists.n; i++)
		if (strcmp(s->prefix_lists.v[i].id, id) == 0)
			return &s->prefix_lists.v[i];
	return NULL;
}

int rule_proto_parse(const char *s, int *proto)
{
	static const struct { const char *name; int proto; } names[] = {
		{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "icmp", IPPROTO_ICMP },
		{ "icmpv6", IPPROTO_ICMPV6 }, { "all", RULE_PROTO_ALL }, { "-1", RULE_PROTO_ALL },
	};
	int n = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*proto = names[i].proto;
			return 0;
		}
	}
	/* A decimal number 0..255, as AWS writes protocols it has no name for ("50"). */
	if (!*s || strlen(s) > 3)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		n = n * 10 + (*p - '0');
	}
	if (n > 255)
		return -EINVAL;
	*proto = n;
	return 0;
}

int rule_validate(const struct rule *r, struct err *e)
{
	if (r->proto != RULE_PROTO_ALL && (r->proto < 0 || r->proto > 255))
		return err_set(e, EINVAL, "%s: protocol %d out of range 0..255 (or -1 for all)",
			       r->where, r->proto);
	switch (r->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if (r->from < 0 || r->from > 65535 || r->to < 0 || r->to > 65535)
			return err_set(e, EINVAL, "%s: port range %d-%d out of range 0..65535",
				       r->where, r->from, r->to);
		if (r->from > r->to)
			return err_set(e, EINVAL, "%s: port range %d-%d is reversed", r->where,
				       r->from, r->to);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (r->from < RULE_PORT_ANY || r->from > 255)
			return err_set(e, EINVAL, "%s: ICMP type %d out of range 0..255 (or -1)",
				       r->where, r->from);
		if (r->to < RULE_PORT_ANY || r->to > 255)
			return err_set(e, EINVAL, "%s: ICMP code %d out of range 0..255 (or -1)",
				       r->where, r->to);
		/* AWS: "if you specify all ICMP types, you must specify all codes". */
		if (r->from == RULE_PORT_ANY && r->to != RULE_PORT_ANY)
			return err_set(e, EINVAL, "%s: ICMP code %d needs an ICMP type", r->where,
				       r->to);
		break;
	default:
		break; /* every port matches; from/to are not used */
	}
	switch (r->peer_kind) {
	case PEER_CIDR:
		if (r->cidr.plen > 128)
			return err_set(e, EINVAL, "%s: prefix length %d out of range", r->where,
				       r->cidr.plen);
		break;
	case PEER_PREFIX_LIST:
		if (strncmp(r->ref, "pl-", 3) != 0)
			return err_set(e, EINVAL, "%s: prefix list id '%s' does not start with pl-",
				       r->where, r->ref);
		break;
	case PEER_GROUP:
		if (strncmp(r->ref, "sg-", 3) != 0)
			return err_set(e, EINVAL, "%s: group id '%s' does not start with sg-",
				       r->where, r->ref);
		break;
	default:
		return err_set(e, EINVAL, "%s: unknown peer kind %d", r->where, r->peer_kind);
	}
	return 0;
}

/* short: the test-only knob (state.h), which lowers every minimum to 1 s. */
static int check_timeouts(const struct eni *n, bool short_ok, struct err *e)
{
	for (size_t i = 0; i < N_TIMEOUTS; i++) {
		const struct timeout_field *f = &timeout_fields[i];
		__u32 v = *timeout_at((struct eniaddr_timeouts *)&n->timeouts, f);
		__u32 min = short_ok ? 1 : f->min;

		if (v < min || v > f->max)
			return err_set(e, EINVAL, "%s: connection tracking timeout %s %u out of "
				       "range %u..%u seconds", n->where, f->name, v, min, f->max);
	}
	return 0;
}

static int check_group_refs(const struct desired_state *s, const struct group_refs *refs,
			    const char *where, struct err *e)
{
	for (size_t i = 0; i < refs->ids.n; i++) {
		if (!state_find_group(s, refs->ids.v[i]))
			return err_set(e, EINVAL, "%s: security group %s is not defined", where,
				       refs->ids.v[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(refs->ids.v[i], refs->ids.v[j]) == 0)
				return err_set(e, EINVAL, "%s: security group %s is named twice",
					       where, refs->ids.v[i]);
	}
	return 0;
}

static int check_eni(const struct desired_state *s, const struct eni *n, struct err *e)
{
	int primaries[2] = { 0, 0 }; /* IPv6, IPv4 */
	int ret;

	if (!n->ifname[0] && !n->has_mac)
		return err_set(e, EINVAL, "%s: names neither an interface nor a MAC", n->where);
	if (n->mode != ENIADDR_MODE_ENFORCE && n->mode != ENIADDR_MODE_AUDIT)
		return err_set(e, EINVAL, "%s: unknown mode %d", n->where, n->mode);
	ret = check_timeouts(n, s->test_only_short_timeouts, e);
	if (ret)
		return ret;
	ret = check_group_refs(s, &n->groups, n->where, e);
	if (ret)
		return ret;
	for (size_t i = 0; i < n->addrs.n; i++) {
		const struct address *a = &n->addrs.v[i];

		if (!ip_prefix_is_host(&a->ip))
			return err_set(e, EINVAL, "%s: an address must be a single host, not a "
				       "prefix", a->where);
		if (a->primary && ++primaries[ip_is_v4(a->ip.addr)] > 1)
			return err_set(e, EINVAL, "%s: a second primary IPv%c address", a->where,
				       ip_is_v4(a->ip.addr) ? '4' : '6');
		if (a->has_override) {
			ret = check_group_refs(s, &a->groups, a->where, e);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Two entries for one interface, by name or by MAC. */
static int check_same_interface(const struct eni *n, const struct eni *m, struct err *e)
{
	const uint8_t *a = n->mac;

	if (n->ifname[0] && strcmp(n->ifname, m->ifname) == 0)
		return err_set(e, EINVAL, "%s: interface %s is listed twice (also at %s)",
			       n->where, n->ifname, m->where);
	if (n->has_mac && m->has_mac && memcmp(n->mac, m->mac, 6) == 0)
		return err_set(e, EINVAL, "%s: MAC %02x:%02x:%02x:%02x:%02x:%02x is listed twice "
			       "(also at %s)", n->where, a[0], a[1], a[2], a[3], a[4], a[5],
			       m->where);
	return 0;
}

/* One address or prefix and who claims it, for the ownership sweep. */
struct owned {
	struct ip_prefix p;
	size_t eni;
	bool is_prefix;
	const char *where;
};

static int owned_cmp(const void *pa, const void *pb)
{
	const struct owned *a = pa, *b = pb;
	bool a4 = ip_prefix_is_v4(&a->p), b4 = ip_prefix_is_v4(&b->p);
	int c;

	if (a4 != b4)
		return a4 ? -1 : 1;
	c = memcmp(a->p.addr, b->p.addr, 16);
	if (c)
		return c;
	return (int)a->p.plen - (int)b->p.plen;
}

static int owned_conflict(const struct owned *outer, const struct owned *inner, struct err *e)
{
	char o[IP_PREFIX_STRLEN], i[IP_PREFIX_STRLEN];

	ip_prefix_format(&outer->p, true, o, sizeof(o));
	ip_prefix_format(&inner->p, true, i, sizeof(i));
	if (ip_prefix_equal(&outer->p, &inner->p)) {
		if (outer->eni == inner->eni)
			return err_set(e, EINVAL, "%s: %s %s is listed twice (also at %s)",
				       inner->where, inner->is_prefix ? "prefix" : "address", i,
				       outer->where);
		return err_set(e, EINVAL, "%s: %s %s is also owned by %s", inner->where,
			       inner->is_prefix ? "prefix" : "address", i, outer->where);
	}
	return err_set(e, EINVAL, "%s: %s %s lies inside prefix %s owned by %s", inner->where,
		       inner->is_prefix ? "prefix" : "address", i, o, outer->where);
}

/*
 * Every address and delegated prefix has one owning ENI. Sorted by (family, address, length), a
 * prefix comes right before everything it contains, so a stack of the enclosing prefixes finds
 * each overlap in one pass: n log n for the tens of thousands of addresses a slot can hold.
 * An ENI's own address inside its own prefix is fine.
 */
static int check_ownership(const struct desired_state *s, struct err *e)
{
	VEC(struct owned) all = { 0 };
	const struct owned *stack[130]; /* strictly nested prefixes: at most 129 deep */
	size_t depth = 0;
	int ret = 0;

	for (size_t i = 0; i < s->enis.n; i++) {
		const struct eni *n = &s->enis.v[i];

		for (size_t j = 0; j < n->addrs.n + n->prefixes.n; j++) {
			struct owned *o = VEC_PUSH(&all);

			if (!o) {
				ret = err_set(e, ENOMEM, "out of memory checking addresses");
				goto out;
			}
			o->eni = i;
			if (j < n->addrs.n) {
				o->p = n->addrs.v[j].ip;
				o->where = n->addrs.v[j].where;
			} else {
				o->p = n->prefixes.v[j - n->addrs.n];
				o->is_prefix = true;
				o->where = n->where;
			}
		}
	}
	if (all.n)
		qsort(all.v, all.n, sizeof(*all.v), owned_cmp);
	for (size_t i = 0; i < all.n; i++) {
		const struct owned *o = &all.v[i];

		while (depth && !ip_prefix_contains(&stack[depth - 1]->p, &o->p))
			depth--;
		if (depth) {
			const struct owned *top = stack[depth - 1];

			if (top->eni != o->eni || ip_prefix_equal(&top->p, &o->p)) {
				ret = owned_conflict(top, o, e);
				goto out;
			}
		}
		if (depth < sizeof(stack) / sizeof(stack[0]))
			stack[depth++] = o;
	}
out:
	VEC_FREE(&all);
	return ret;
}

static int check_rules(const struct desired_state *s, const struct group *g, bool egress,
		       struct err *e)
{
	size_t n = egress ? g->egress.n : g->ingress.n;

	for (size_t i = 0; i < n; i++) {
		const struct rule *r = egress ? &g->egress.v[i] : &g->ingress.v[i];
		int ret = rule_validate(r, e);

		if (ret)
			return ret;
		if (r->peer_kind == PEER_GROUP && !state_find_group(s, r->ref))
			return err_set(e, EINVAL, "%s: references security group %s, which is "
				       "not defined", r->where, r->ref);
		if (r->peer_kind == PEER_PREFIX_LIST && !state_find_prefix_list(s, r->ref))
			return err_set(e, EINVAL, "%s: references prefix list %s, which is not "
				       "defined", r->where, r->ref);
	}
	return 0;
}

int state_validate(const struct desired_state *s, struct err *e)
{
	int ret;

	if (!s->enis.n)
		return err_set(e, EINVAL, "%s: no ENI configured",
			       s->origin[0] ? s->origin : "desired state");
	for (size_t i = 0; i < s->groups.n; i++) {
		const struct group *g = &s->groups.v[i];

		for (size_t j = 0; j < i; j++)
			if (strcmp(g->id, s->groups.v[j].id) == 0)
				return err_set(e, EINVAL, "%s: security group %s is defined twice "
					       "(also at %s)", g->where, g->id, s->groups.v[j].where);
		ret = check_rules(s, g, false, e);
		if (!ret)
			ret = check_rules(s, g, true, e);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < s->prefix_lists.n; i++) {
		const struct prefix_list *pl = &s->prefix_lists.v[i];

		for (size_t j = 0; j < i; j++)
			if (strcmp(pl->id, s->prefix_lists.v[j].id) == 0)
				return err_set(e, EINVAL, "%s: prefix list %s is defined twice "
					       "(also at %s)", pl->where, pl->id,
					       s->prefix_lists.v[j].where);
	}
	for (size_t i = 0; i < s->enis.n; i++) {
		const struct eni *n = &s->enis.v[i];

		ret = check_eni(s, n, e);
		if (ret)
			return ret;
		for (size_t j = 0; j < i; j++) {
			const struct eni *m = &s->enis.v[j];

			ret = check_same_interface(n, m, e);
			if (ret)
				return ret;
			if (n->eni_id[0] && strcmp(n->eni_id, m->eni_id) == 0)
				return err_set(e, EINVAL, "%s: %s is listed twice (also at %s)",
					       n->where, n->eni_id, m->where);
		}
	}
	return check_ownership(s, e);
}

static bool refs_have(const struct group_refs *refs, const char *id)
{
	for (size_t i = 0; i < refs->ids.n; i++)
		if (strcmp(refs->ids.v[i], id) == 0)
			return true;
	return false;
}

static bool group_in_use(const struct desired_state *s, const char *id)
{
	for (size_t i = 0; i < s->enis.n; i++) {
		const struct eni *n = &s->enis.v[i];

		if (refs_have(&n->groups, id))
			return true;
		for (size_t j = 0; j < n->addrs.n; j++)
			if (n->addrs.v[j].has_override && refs_have(&n->addrs.v[j].groups, id))
				return true;
	}
	return false;
}

#define WARN_NO_MEMBERS_HEAD "security group "
#define WARN_NO_MEMBERS_TAIL " has no known members: "

bool state_warning_group(const char *line, char *id, size_t len)
{
	size_t head = strlen(WARN_NO_MEMBERS_HEAD), n;
	const char *end;

	if (strncmp(line, WARN_NO_MEMBERS_HEAD, head))
		return false;
	end = strstr(line + head, WARN_NO_MEMBERS_TAIL);
	n = end ? (size_t)(end - line - head) : 0;
	if (!n || n >= len || memchr(line + head, ' ', n))
		return false;
	memcpy(id, line + head, n);
	id[n] = '\0';
	return true;
}

size_t state_warnings(const struct desired_state *s, char (*out)[STATE_WARN_LEN], size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < s->groups.n; i++) {
		const struct group *peer = &s->groups.v[i];
		const struct rule *first = NULL;
		size_t uses = 0;

		if (peer->members.n)
			continue;
		for (size_t j = 0; j < s->groups.n; j++) {
			const struct group *g = &s->groups.v[j];

			if (!group_in_use(s, g->id))
				continue;
			for (size_t r = 0; r < g->ingress.n + g->egress.n; r++) {
				size_t n_in = g->ingress.n;
				const struct rule *rl = r < n_in ? &g->ingress.v[r]
								 : &g->egress.v[r - n_in];

				if (rl->peer_kind != PEER_GROUP || strcmp(rl->ref, peer->id))
					continue;
				if (!first)
					first = rl;
				uses++;
			}
		}
		if (!first)
			continue;
		if (n < max)
			snprintf(out[n], STATE_WARN_LEN,
				 WARN_NO_MEMBERS_HEAD "%.64s" WARN_NO_MEMBERS_TAIL "%zu rule%s naming it "
				 "(first %.100s) match nothing", peer->id, uses,
				 uses == 1 ? "" : "s", first->where);
		n++;
	}
	return n;
}
