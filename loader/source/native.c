// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/source/native.c — see native.h. One parse function per object of the format. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/json_util.h"
#include "source/native.h"

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void set_where(char where[STATE_WHERE_LEN], const struct jpos *pos)
{
	jpos_where(pos, where, STATE_WHERE_LEN);
}

/* Connection-tracking keys; state_validate checks the ranges (state.c holds them). */
static const struct {
	const char *key;
	size_t off;
} ct_keys[] = {
#define CT(f) { #f, offsetof(struct eniaddr_timeouts, f) }
	CT(tcp_established), CT(tcp_syn), CT(tcp_closing), CT(udp), CT(udp_stream), CT(icmp),
	CT(other),
#undef CT
};

#define N_CT_KEYS (sizeof(ct_keys) / sizeof(ct_keys[0]))

static int parse_timeouts(const struct jpos *pos, struct json_object *obj,
			  struct eniaddr_timeouts *t, struct err *e)
{
	const char *allowed[N_CT_KEYS + 1] = { 0 };
	int ret;

	for (size_t i = 0; i < N_CT_KEYS; i++)
		allowed[i] = ct_keys[i].key;
	ret = jcheck_keys(pos, obj, allowed, e);
	for (size_t i = 0; !ret && i < N_CT_KEYS; i++) {
		__u32 *field = (__u32 *)((char *)t + ct_keys[i].off);
		int64_t v = *field;

		ret = jget_int(pos, obj, ct_keys[i].key, false, 0, UINT32_MAX, &v, e);
		*field = (__u32)v;
	}
	return ret;
}

/* An array of strings -> group ids. */
static int parse_group_refs(const struct jpos *pos, struct json_object *arr,
			    struct group_refs *refs, struct err *e)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct jpos ip = jpos_index(pos, i);
		const char *id;
		int ret = jstring(&ip, json_object_array_get_idx(arr, i), &id, e);

		if (ret)
			return ret;
		if (group_refs_add(refs, id))
			return err_set(e, ENOMEM, "out of memory");
	}
	return 0;
}

/* An array of CIDR strings -> prefixes. */
static int parse_cidrs(const struct jpos *pos, struct json_object *arr, bool need_len,
		       void *vec, struct err *e)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct jpos ip = jpos_index(pos, i);
		struct ip_prefix p, *slot;
		const char *s;
		int ret = jstring(&ip, json_object_array_get_idx(arr, i), &s, e);

		if (!ret)
			ret = jip_cidr(&ip, s, need_len, &p, e);
		if (ret)
			return ret;
		slot = vec_grow(vec, sizeof(*slot)); /* vec is a VEC(struct ip_prefix) */
		if (!slot)
			return err_set(e, ENOMEM, "out of memory");
		*slot = p;
	}
	return 0;
}

/* "router" (IPv4) or "router6" (IPv6): the ENI's router, overriding what the kernel's routes
 * say. An IPv6 router may be link-local (fe80::1), as the VPC's is. */
static int parse_router(const struct jpos *pos, struct json_object *obj, const char *key,
			bool v4, struct eni_router *r, struct err *e)
{
	struct jpos rp = jpos_key(pos, key);
	struct ip_prefix p;
	const char *s = NULL;
	int ret = jget_string(pos, obj, key, false, &s, e);

	if (ret || !s)
		return ret;
	ret = jip_addr(&rp, s, &p, e);
	if (ret)
		return ret;
	if (ip_prefix_is_v4(&p) != v4)
		return jpos_err(e, &rp, "'%s' is not an %s address (\"%s\" is the %s router)", s,
				v4 ? "IPv4" : "IPv6", key, v4 ? "IPv4" : "IPv6");
	r->set = true;
	memcpy(r->addr, p.addr, 16);
	r->origin = ENIADDR_NH_CONFIG;
	set_where(r->where, &rp);
	return 0;
}

/* "vpc_cidr": the VPC's primary IPv4 CIDR; its Amazon DNS resolver (base + 2) is exempt. */
static int parse_vpc(const struct jpos *pos, struct json_object *obj, struct eni *n,
		     struct err *e)
{
	struct jpos vp = jpos_key(pos, "vpc_cidr");
	const char *s = NULL;
	int ret = jget_string(pos, obj, "vpc_cidr", false, &s, e);

	if (ret || !s)
		return ret;
	ret = jip_cidr(&vp, s, true, &n->vpc, e);
	if (ret)
		return ret;
	if (!ip_prefix_is_v4(&n->vpc))
		return jpos_err(e, &vp, "'%s' is not an IPv4 CIDR (the VPC's primary IPv4 block, "
				"whose base + 2 is the Amazon DNS resolver)", s);
	n->has_vpc = true;
	set_where(n->vpc_where, &vp);
	return 0;
}

/* "10.0.1.10" or {"address": "10.0.1.11", "primary": true, "security_groups": [...]}. */
static int parse_address(const struct jpos *pos, struct json_object *v, struct address *a,
			 struct err *e)
{
	struct json_object *groups;
	const char *s;
	int ret;

	set_where(a->where, pos);
	if (json_object_is_type(v, json_type_string))
		return jstring(pos, v, &s, e) ?: jip_addr(pos, s, &a->ip, e);
	if (!json_object_is_type(v, json_type_object))
		return jpos_err(e, pos, "must be an address string or an object, not %s",
				json_type_phrase(v));
	ret = jcheck_keys(pos, v, KEYS("address", "primary", "security_groups", "description"), e);
	if (!ret)
		ret = jget_string(pos, v, "address", true, &s, e);
	if (!ret)
		ret = jip_addr(pos, s, &a->ip, e);
	if (!ret)
		ret = jget_bool(pos, v, "primary", false, &a->primary, e);
	if (!ret)
		ret = jget(pos, v, "security_groups", json_type_array, false, &groups, e);
	if (ret)
		return ret;
	if (groups) {
		struct jpos gp = jpos_key(pos, "security_groups");

		a->has_override = true;
		ret = parse_group_refs(&gp, groups, &a->groups, e);
	}
	return ret;
}

/* The first address of each family is primary unless one of that family says "primary": true. */
static int parse_addresses(const struct jpos *pos, struct json_object *arr, struct eni *n,
			   struct err *e)
{
	int marked[2] = { 0, 0 }; /* per family (index ip_is_v4): explicit "primary": true */

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct jpos ap = jpos_index(pos, i);
		struct address *a = VEC_PUSH(&n->addrs);
		int ret;

		if (!a)
			return err_set(e, ENOMEM, "out of memory");
		ret = parse_address(&ap, json_object_array_get_idx(arr, i), a, e);
		if (ret)
			return ret;
		if (a->primary && ++marked[ip_is_v4(a->ip.addr)] > 1)
			return jpos_err(e, &ap, "a second IPv%c address with \"primary\": true",
					ip_is_v4(a->ip.addr) ? '4' : '6');
	}
	for (int fam = 0; fam < 2; fam++) {
		if (marked[fam])
			continue;
		for (size_t i = 0; i < n->addrs.n; i++) {
			if (ip_is_v4(n->addrs.v[i].ip.addr) == fam) {
				n->addrs.v[i].primary = true;
				break;
			}
		}
	}
	return 0;
}

static int parse_eni(const struct jpos *pos, struct json_object *obj, void *item,
		     struct err *e)
{
	struct eni *n = item;
	struct json_object *ifname, *mac, *groups, *addrs, *prefixes = NULL, *subnets = NULL, *ct;
	const char *s = NULL;
	struct jpos sub;
	int ret;

	set_where(n->where, pos);
	n->mode = ENIADDR_MODE_ENFORCE;
	n->src_check = true;
	state_default_timeouts(&n->timeouts);

	ret = jwant(pos, obj, json_type_object, e) ?:
	      jcheck_keys(pos, obj, KEYS("interface", "mac", "eni_id", "mode", "source_check",
					 "security_groups", "addresses", "prefixes", "subnets",
					 "router", "router6", "vpc_cidr", "connection_tracking",
					 "description"),
			  e) ?:
	      jget(pos, obj, "interface", json_type_string, false, &ifname, e) ?:
	      jget(pos, obj, "mac", json_type_string, false, &mac, e);
	if (ret)
		return ret;
	if (!ifname == !mac)
		return jpos_err(e, pos, ifname ? "has both \"interface\" and \"mac\": give one"
					       : "needs \"interface\" or \"mac\"");
	if (ifname) {
		ret = jget_string(pos, obj, "interface", true, &s, e);
		if (ret)
			return ret;
		if (!*s)
			return jpos_err(e, pos, "\"interface\" is empty");
		ret = jcopy_id(pos, "interface", s, n->ifname, sizeof(n->ifname), e);
	} else {
		ret = jget_string(pos, obj, "mac", true, &s, e);
		if (ret)
			return ret;
		if (mac_parse(s, n->mac))
			return jpos_err(e, pos, "'%s' is not a MAC address (02:00:00:00:00:01)", s);
		n->has_mac = true;
	}
	if (ret)
		return ret;

	s = NULL;
	ret = jget_string(pos, obj, "eni_id", false, &s, e);
	if (!ret && s)
		ret = jcopy_id(pos, "eni_id", s, n->eni_id, sizeof(n->eni_id), e);
	if (ret)
		return ret;

	s = NULL;
	ret = jget_string(pos, obj, "mode", false, &s, e);
	if (ret)
		return ret;
	if (s && strcmp(s, "audit") == 0)
		n->mode = ENIADDR_MODE_AUDIT;
	else if (s && strcmp(s, "enforce") != 0)
		return jpos_err(e, pos, "mode '%s' is neither \"enforce\" nor \"audit\"", s);

	ret = jget_bool(pos, obj, "source_check", false, &n->src_check, e) ?:
	      jget(pos, obj, "security_groups", json_type_array, true, &groups, e) ?:
	      jget(pos, obj, "addresses", json_type_array, true, &addrs, e) ?:
	      jget(pos, obj, "prefixes", json_type_array, false, &prefixes, e) ?:
	      jget(pos, obj, "subnets", json_type_array, false, &subnets, e) ?:
	      jget(pos, obj, "connection_tracking", json_type_object, false, &ct, e);
	if (ret)
		return ret;

	sub = jpos_key(pos, "security_groups");
	ret = parse_group_refs(&sub, groups, &n->groups, e);
	if (ret)
		return ret;
	sub = jpos_key(pos, "addresses");
	ret = parse_addresses(&sub, addrs, n, e);
	if (!ret && prefixes) {
		sub = jpos_key(pos, "prefixes");
		ret = parse_cidrs(&sub, prefixes, true, &n->prefixes, e);
	}
	if (!ret && subnets) {
		sub = jpos_key(pos, "subnets");
		ret = parse_cidrs(&sub, subnets, true, &n->subnets, e);
	}
	if (!ret)
		ret = parse_router(pos, obj, "router", true, &n->routers[ENI_V4], e) ?:
		      parse_router(pos, obj, "router6", false, &n->routers[ENI_V6], e) ?:
		      parse_vpc(pos, obj, n, e);
	if (!ret && ct) {
		sub = jpos_key(pos, "connection_tracking");
		ret = parse_timeouts(&sub, ct, &n->timeouts, e);
	}
	return ret;
}

/* "ports": "443", "8000-8080" or 443. */
static int parse_ports(const struct jpos *pos, struct json_object *v, int *from, int *to,
		       struct err *e)
{
	const char *s, *p;
	long range[2] = { 0, 0 };
	int n = 0;

	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);

		if (x < 0 || x > 65535)
			return jpos_err(e, pos, "port %" PRId64 " out of range 0..65535", x);
		*from = *to = (int)x;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return jpos_err(e, pos, "ports must be a string (\"443\", \"8000-8080\") or a "
				"number, not %s", json_type_phrase(v));
	s = json_object_get_string(v);
	for (p = s; n < 2; n++) {
		size_t digits = strspn(p, "0123456789");

		if (!digits || digits > 6)
			return jpos_err(e, pos, "ports '%s' is not N or N-M", s);
		range[n] = strtol(p, NULL, 10);
		if (range[n] > 65535)
			return jpos_err(e, pos, "port %ld out of range 0..65535", range[n]);
		p += digits;
		if (*p != '-')
			break;
		p++;
	}
	if (*p || n > 1)
		return jpos_err(e, pos, "ports '%s' is not N or N-M", s);
	*from = (int)range[0];
	*to = (int)(n ? range[1] : range[0]);
	if (*from > *to)
		return jpos_err(e, pos, "port range %d-%d is reversed", *from, *to);
	return 0;
}

static int parse_protocol(const struct jpos *pos, struct json_object *v, int *proto,
			  struct err *e)
{
	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);

		if (x != RULE_PROTO_ALL && (x < 0 || x > 255))
			return jpos_err(e, pos, "protocol %" PRId64 " out of range 0..255 (or -1)", x);
		*proto = (int)x;
		return 0;
	}
	if (json_object_is_type(v, json_type_string) &&
	    rule_proto_parse(json_object_get_string(v), proto) == 0)
		return 0;
	if (json_object_is_type(v, json_type_string))
		return jpos_err(e, pos, "protocol '%s' is not tcp, udp, icmp, icmpv6, all, -1 or "
				"a number 0..255", json_object_get_string(v));
	return jpos_err(e, pos, "protocol must be a string or a number, not %s",
			json_type_phrase(v));
}

/* One peer string: a CIDR (a bare address is one host), "pl-…" or "sg-…". */
static int parse_peer(const struct jpos *pos, const char *s, struct rule *r, struct err *e)
{
	if (strncmp(s, "pl-", 3) == 0 || strncmp(s, "sg-", 3) == 0) {
		r->peer_kind = s[0] == 'p' ? PEER_PREFIX_LIST : PEER_GROUP;
		return jcopy_id(pos, "id", s, r->ref, sizeof(r->ref), e);
	}
	r->peer_kind = PEER_CIDR;
	if (ip_prefix_parse(s, &r->cidr) == -EAFNOSUPPORT)
		return jpos_err(e, pos, "'%s' " ADDR_MAPPED_ADVICE, s);
	if (ip_prefix_parse(s, &r->cidr))
		return jpos_err(e, pos, "'%s' is neither a CIDR nor a pl-... or sg-... id", s);
	return 0;
}

/* One rule object -> one struct rule per peer in "from" (ingress) or "to" (egress). */
static int parse_rule(const struct jpos *pos, struct json_object *obj, bool egress,
		      void *rules_vec, struct err *e)
{
	const char *peers_key = egress ? "to" : "from";
	struct json_object *proto, *ports, *peers;
	struct rule tmpl = { 0 };
	int64_t type = RULE_PORT_ANY, code = RULE_PORT_ANY;
	bool is_icmp, has_icmp_keys, has_ports;
	struct jpos pp;
	int ret;

	ret = jwant(pos, obj, json_type_object, e) ?:
	      jcheck_keys(pos, obj, KEYS("protocol", "ports", "icmp_type", "icmp_code", peers_key,
					 "description"), e);
	if (ret)
		return ret;
	if (!json_object_object_get_ex(obj, "protocol", &proto))
		return jpos_err(e, pos, "missing key \"protocol\"");
	ret = parse_protocol(pos, proto, &tmpl.proto, e) ?:
	      jget(pos, obj, peers_key, json_type_array, true, &peers, e);
	if (ret)
		return ret;
	set_where(tmpl.where, pos);

	is_icmp = tmpl.proto == IPPROTO_ICMP || tmpl.proto == IPPROTO_ICMPV6;
	has_icmp_keys = json_object_object_get_ex(obj, "icmp_type", NULL) ||
			json_object_object_get_ex(obj, "icmp_code", NULL);
	has_ports = json_object_object_get_ex(obj, "ports", &ports);
	if (has_icmp_keys && !is_icmp)
		return jpos_err(e, pos, "icmp_type and icmp_code are only for icmp and icmpv6");
	if (has_ports && tmpl.proto != IPPROTO_TCP && tmpl.proto != IPPROTO_UDP)
		return jpos_err(e, pos, "ports are only for tcp and udp; other protocols match "
				"every port");
	tmpl.from = 0;
	tmpl.to = 65535;
	if (has_ports) {
		ret = parse_ports(pos, ports, &tmpl.from, &tmpl.to, e);
	} else if (is_icmp) {
		ret = jget_int(pos, obj, "icmp_type", false, -1, 255, &type, e) ?:
		      jget_int(pos, obj, "icmp_code", false, -1, 255, &code, e);
		tmpl.from = (int)type;
		tmpl.to = (int)code;
	}
	if (!ret)
		ret = rule_validate(&tmpl, e);
	if (ret)
		return ret;

	pp = jpos_key(pos, peers_key);
	if (!json_object_array_length(peers))
		return jpos_err(e, pos, "\"%s\" is empty: name at least one CIDR, pl-... or sg-...",
				peers_key);
	for (size_t i = 0; i < json_object_array_length(peers); i++) {
		struct jpos ip = jpos_index(&pp, i);
		struct rule *r;
		const char *s;

		ret = jstring(&ip, json_object_array_get_idx(peers, i), &s, e);
		if (ret)
			return ret;
		r = vec_grow(rules_vec, sizeof(*r)); /* a VEC(struct rule) */
		if (!r)
			return err_set(e, ENOMEM, "out of memory");
		*r = tmpl;
		set_where(r->where, &ip);
		ret = parse_peer(&ip, s, r, e);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_rules(const struct jpos *pos, struct json_object *arr, bool egress,
		       void *rules, struct err *e)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct jpos rp = jpos_index(pos, i);
		int ret = parse_rule(&rp, json_object_array_get_idx(arr, i), egress, rules, e);

		if (ret)
			return ret;
	}
	return 0;
}

static int parse_group(const struct jpos *pos, struct json_object *obj, void *item,
		       struct err *e)
{
	struct group *g = item;
	struct json_object *ingress, *egress, *members;
	const char *id;
	struct jpos sub;
	int ret;

	set_where(g->where, pos);
	ret = jwant(pos, obj, json_type_object, e) ?:
	      jcheck_keys(pos, obj, KEYS("id", "ingress", "egress", "members", "description"), e) ?:
	      jget_string(pos, obj, "id", true, &id, e);
	if (ret)
		return ret;
	if (strncmp(id, "sg-", 3) != 0)
		return jpos_err(e, pos, "id '%s' does not start with sg-", id);
	ret = jcopy_id(pos, "id", id, g->id, sizeof(g->id), e) ?:
	      jget(pos, obj, "ingress", json_type_array, false, &ingress, e) ?:
	      jget(pos, obj, "egress", json_type_array, false, &egress, e) ?:
	      jget(pos, obj, "members", json_type_array, false, &members, e);
	if (ret)
		return ret;
	if (ingress) {
		sub = jpos_key(pos, "ingress");
		ret = parse_rules(&sub, ingress, false, &g->ingress, e);
	}
	g->egress_set = egress != NULL; /* absent: AWS's default allow-all */
	if (!ret && egress) {
		sub = jpos_key(pos, "egress");
		ret = parse_rules(&sub, egress, true, &g->egress, e);
	}
	if (!ret && members) {
		sub = jpos_key(pos, "members");
		ret = parse_cidrs(&sub, members, false, &g->members, e);
	}
	return ret;
}

static int parse_prefix_list(const struct jpos *pos, struct json_object *obj, void *item,
			     struct err *e)
{
	struct prefix_list *pl = item;
	struct json_object *cidrs;
	const char *id;
	struct jpos sub;
	int ret;

	set_where(pl->where, pos);
	ret = jwant(pos, obj, json_type_object, e) ?:
	      jcheck_keys(pos, obj, KEYS("id", "cidrs", "description"), e) ?:
	      jget_string(pos, obj, "id", true, &id, e);
	if (ret)
		return ret;
	if (strncmp(id, "pl-", 3) != 0)
		return jpos_err(e, pos, "id '%s' does not start with pl-", id);
	ret = jcopy_id(pos, "id", id, pl->id, sizeof(pl->id), e) ?:
	      jget(pos, obj, "cidrs", json_type_array, true, &cidrs, e);
	if (ret)
		return ret;
	sub = jpos_key(pos, "cidrs");
	return parse_cidrs(&sub, cidrs, true, &pl->cidrs, e);
}

/* An ENI's addresses and prefixes are members of its groups (AWS: membership is per ENI). */
static int add_members(struct desired_state *s, struct err *e)
{
	for (size_t i = 0; i < s->enis.n; i++) {
		const struct eni *n = &s->enis.v[i];

		for (size_t g = 0; g < n->groups.ids.n; g++) {
			struct group *grp = state_find_group(s, n->groups.ids.v[g]);

			/* a missing group: state_validate names it */
			if (grp && group_add_eni_members(grp, n, e))
				return -ENOMEM;
		}
	}
	return 0;
}

typedef int (*parse_item_fn)(const struct jpos *pos, struct json_object *obj, void *item,
			     struct err *e);

/* One top-level array: each element gets a fresh zeroed item of the vector. */
static int parse_array(const struct jpos *root_pos, struct json_object *root, const char *key,
		       bool required, void *vec, size_t item_size, parse_item_fn parse,
		       struct err *e)
{
	struct jpos ap = jpos_key(root_pos, key);
	struct json_object *arr;
	int ret = jget(root_pos, root, key, json_type_array, required, &arr, e);

	for (size_t i = 0; !ret && arr && i < json_object_array_length(arr); i++) {
		struct jpos ip = jpos_index(&ap, i);
		void *item = vec_grow(vec, item_size);

		ret = item ? parse(&ip, json_object_array_get_idx(arr, i), item, e)
			   : err_set(e, ENOMEM, "out of memory");
	}
	return ret;
}

/* settings: the compose.h form, where "enis" only adjust ENIs another source found. */
static int parse_root(const char *name, struct json_object *root, bool settings,
		      struct desired_state *s, struct err *e)
{
	struct jpos pos = jpos_root(name);
	struct json_object *enis;
	int ret;

	ret = jcheck_keys(&pos, root, KEYS("enis", "security_groups", "prefix_lists",
					   "test_only_short_timeouts", "description"), e) ?:
	      jget_bool(&pos, root, "test_only_short_timeouts", false,
			&s->test_only_short_timeouts, e) ?:
	      jget(&pos, root, "enis", json_type_array, !settings, &enis, e);
	if (ret)
		return ret;
	if (!settings && !json_object_array_length(enis))
		return jpos_err(e, &pos, "\"enis\" is empty: at least one ENI is needed");
	ret = parse_array(&pos, root, "enis", !settings, &s->enis, sizeof(*s->enis.v), parse_eni,
			  e) ?:
	      parse_array(&pos, root, "security_groups", false, &s->groups, sizeof(*s->groups.v),
			  parse_group, e) ?:
	      parse_array(&pos, root, "prefix_lists", false, &s->prefix_lists,
			  sizeof(*s->prefix_lists.v), parse_prefix_list, e);
	if (ret || settings)
		return ret;
	return add_members(s, e);
}

static int parse_text(const char *text, const char *name, bool settings,
		      struct desired_state *s, struct err *e)
{
	struct desired_state tmp;
	struct json_object *root = NULL;
	int ret;

	state_init(&tmp);
	snprintf(tmp.origin, sizeof(tmp.origin), "native:%s", name);
	ret = json_parse_doc(text, name, &root, e) ?:
	      parse_root(name, root, settings, &tmp, e) ?:
	      (settings ? 0 : state_validate(&tmp, e));
	json_object_put(root);
	if (ret) {
		state_free(&tmp);
		return ret;
	}
	state_free(s);
	*s = tmp;
	return 0;
}

int source_native_parse(const char *text, const char *name, struct desired_state *s,
			struct err *e)
{
	return parse_text(text, name, false, s, e);
}

int source_native_parse_settings(const char *text, const char *name, struct desired_state *s,
				 struct err *e)
{
	return parse_text(text, name, true, s, e);
}

static int load(const char *path, bool settings, struct desired_state *s, struct err *e)
{
	char *text = NULL;
	int ret = json_read_file(path, &text, e);

	if (!ret)
		ret = parse_text(text, path, settings, s, e);
	free(text);
	return ret;
}

int source_native_load(const char *path, struct desired_state *s, struct err *e)
{
	return load(path, false, s, e);
}

int source_native_load_settings(const char *path, struct desired_state *s, struct err *e)
{
	return load(path, true, s, e);
}
