// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/source/aws.c — see aws.h. Field names are the EC2 API's (REFERENCE.md §5). */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/json_util.h"
#include "source/aws.h"

struct aws_ctx {
	struct desired_state *s;
	const struct aws_docs *in;
	size_t n_described; /* groups[0..n_described) come from the groups document */
	/* source_aws_parse_members(): no ENI is local, and ENIs named in skip are left out */
	bool members_only;
	const struct desired_state *skip;
};

static void set_where(char where[STATE_WHERE_LEN], const struct jpos *pos)
{
	jpos_where(pos, where, STATE_WHERE_LEN);
}

/* A paginated listing (--max-items) is one page of a longer answer: never read it as all. */
static int refuse_partial(const struct jpos *root_pos, struct json_object *root, struct err *e)
{
	if (json_object_object_get_ex(root, "NextToken", NULL))
		return jpos_err(e, root_pos, "has a NextToken: it is one page of a longer result; "
				"run the command without --max-items");
	return 0;
}

/* arr[i] must be an object with a string member field ("Groups[2]" -> GroupId). */
static int elem_string(const struct jpos *arr_pos, struct json_object *arr, size_t i,
		       const char *field, struct jpos *elem_pos, const char **out, struct err *e)
{
	struct json_object *el = json_object_array_get_idx(arr, i);

	*elem_pos = jpos_index(arr_pos, i);
	return jwant(elem_pos, el, json_type_object, e) ?:
	       jget_string(elem_pos, el, field, true, out, e);
}

/* "CidrIp '2001:db8::/64' is not IPv4": family 4 or 6, 0 for either. */
static int want_family(const struct jpos *pos, const char *field, const char *text,
		       const struct ip_prefix *p, int family, struct err *e)
{
	if (family && ip_prefix_is_v4(p) != (family == 4))
		return jpos_err(e, pos, "%s '%s' is not IPv%d", field, text, family);
	return 0;
}

/* ---- security groups ---- */

static const struct {
	const char *list, *field;
	enum peer_kind kind;
	int family;
} peer_fields[] = {
	{ "IpRanges",         "CidrIp",       PEER_CIDR,        4 },
	{ "Ipv6Ranges",       "CidrIpv6",     PEER_CIDR,        6 },
	{ "PrefixListIds",    "PrefixListId", PEER_PREFIX_LIST, 0 },
	{ "UserIdGroupPairs", "GroupId",      PEER_GROUP,       0 },
};

#define N_PEER_FIELDS (sizeof(peer_fields) / sizeof(peer_fields[0]))

/* The selector part of a permission: protocol and ports or ICMP type/code. */
static int parse_selector(const struct jpos *pos, struct json_object *perm, struct rule *tmpl,
			  struct err *e)
{
	int64_t from = RULE_PORT_ANY, to = RULE_PORT_ANY;
	const char *proto;
	int ret;

	ret = jget_string(pos, perm, "IpProtocol", true, &proto, e);
	if (ret)
		return ret;
	if (rule_proto_parse(proto, &tmpl->proto))
		return jpos_err(e, pos, "IpProtocol '%s' is not tcp, udp, icmp, icmpv6, -1 or a "
				"protocol number 0..255", proto);
	switch (tmpl->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		ret = jget_int(pos, perm, "FromPort", true, 0, 65535, &from, e) ?:
		      jget_int(pos, perm, "ToPort", true, 0, 65535, &to, e);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		/* FromPort is the type, ToPort the code; -1 (or absent) is all. */
		ret = jget_int(pos, perm, "FromPort", false, -1, 255, &from, e) ?:
		      jget_int(pos, perm, "ToPort", false, -1, 255, &to, e);
		break;
	default:
		from = 0; /* AWS: every port, whatever range is given */
		to = 65535;
		break;
	}
	tmpl->from = (int)from;
	tmpl->to = (int)to;
	set_where(tmpl->where, pos);
	return ret ?: rule_validate(tmpl, e);
}

/* One IpPermissions entry -> one struct rule per peer. */
static int parse_permission(const struct jpos *pos, struct json_object *perm, void *rules_vec,
			    struct err *e)
{
	struct rule tmpl = { 0 };
	int ret = jwant(pos, perm, json_type_object, e) ?: parse_selector(pos, perm, &tmpl, e);

	for (size_t f = 0; !ret && f < N_PEER_FIELDS; f++) {
		struct jpos lp = jpos_key(pos, peer_fields[f].list), ip;
		struct json_object *list;

		ret = jget(pos, perm, peer_fields[f].list, json_type_array, false, &list, e);
		for (size_t i = 0; !ret && list && i < json_object_array_length(list); i++) {
			struct rule *r;
			const char *v;

			ret = elem_string(&lp, list, i, peer_fields[f].field, &ip, &v, e);
			if (ret)
				break;
			r = vec_grow(rules_vec, sizeof(*r)); /* a VEC(struct rule) */
			if (!r)
				return err_set(e, ENOMEM, "out of memory");
			*r = tmpl;
			r->peer_kind = peer_fields[f].kind;
			set_where(r->where, &ip);
			if (r->peer_kind == PEER_CIDR)
				ret = jip_cidr(&ip, v, true, &r->cidr, e) ?:
				      want_family(&ip, peer_fields[f].field, v, &r->cidr,
						  peer_fields[f].family, e);
			else
				ret = jcopy_id(&ip, peer_fields[f].field, v, r->ref, sizeof(r->ref),
					       e) ?: rule_validate(r, e);
		}
	}
	return ret;
}

static int parse_permissions(const struct jpos *pos, struct json_object *sg, const char *key,
			     bool required, void *rules_vec, bool *present, struct err *e)
{
	struct jpos lp = jpos_key(pos, key);
	struct json_object *list;
	int ret = jget(pos, sg, key, json_type_array, required, &list, e);

	*present = list != NULL;
	for (size_t i = 0; !ret && list && i < json_object_array_length(list); i++) {
		struct jpos pp = jpos_index(&lp, i);

		ret = parse_permission(&pp, json_object_array_get_idx(list, i), rules_vec, e);
	}
	return ret;
}

static int parse_groups_doc(struct aws_ctx *c, const struct aws_doc *doc, struct err *e)
{
	struct jpos root_pos = jpos_root(doc->name), lp = jpos_key(&root_pos, "SecurityGroups");
	struct json_object *root = NULL, *list;
	int ret;

	ret = json_parse_doc(doc->text, doc->name, &root, e) ?:
	      refuse_partial(&root_pos, root, e) ?:
	      jget(&root_pos, root, "SecurityGroups", json_type_array, true, &list, e);
	for (size_t i = 0; !ret && i < json_object_array_length(list); i++) {
		struct jpos gp = jpos_index(&lp, i);
		struct json_object *sg = json_object_array_get_idx(list, i);
		struct group *g = VEC_PUSH(&c->s->groups);
		bool ingress_present;
		const char *id;

		if (!g) {
			ret = err_set(e, ENOMEM, "out of memory");
			break;
		}
		set_where(g->where, &gp);
		ret = jwant(&gp, sg, json_type_object, e) ?:
		      jget_string(&gp, sg, "GroupId", true, &id, e) ?:
		      jcopy_id(&gp, "GroupId", id, g->id, sizeof(g->id), e) ?:
		      parse_permissions(&gp, sg, "IpPermissions", true, &g->ingress,
					&ingress_present, e) ?:
		      parse_permissions(&gp, sg, "IpPermissionsEgress", false, &g->egress,
					&g->egress_set, e);
		if (!ret && strncmp(g->id, "sg-", 3) != 0)
			ret = jpos_err(e, &gp, "GroupId '%s' does not start with sg-", g->id);
	}
	c->n_described = c->s->groups.n;
	json_object_put(root);
	return ret;
}

/* ---- prefix lists ---- */

static int parse_prefix_list(struct aws_ctx *c, const struct aws_prefix_list_doc *d,
			     struct err *e)
{
	struct jpos root_pos = jpos_root(d->doc.name), lp = jpos_key(&root_pos, "Entries"), ip;
	struct json_object *root = NULL, *list;
	struct prefix_list *pl = VEC_PUSH(&c->s->prefix_lists);
	int ret;

	if (!pl)
		return err_set(e, ENOMEM, "out of memory");
	set_where(pl->where, &root_pos);
	if (strncmp(d->id, "pl-", 3) != 0)
		return jpos_err(e, &root_pos, "prefix list id '%s' does not start with pl-", d->id);
	ret = jcopy_id(&root_pos, "prefix list id", d->id, pl->id, sizeof(pl->id), e) ?:
	      json_parse_doc(d->doc.text, d->doc.name, &root, e) ?:
	      refuse_partial(&root_pos, root, e) ?:
	      jget(&root_pos, root, "Entries", json_type_array, true, &list, e);
	for (size_t i = 0; !ret && i < json_object_array_length(list); i++) {
		struct ip_prefix *p = VEC_PUSH(&pl->cidrs);
		const char *cidr;

		ret = elem_string(&lp, list, i, "Cidr", &ip, &cidr, e) ?:
		      (p ? jip_cidr(&ip, cidr, true, p, e) : err_set(e, ENOMEM, "out of memory"));
	}
	json_object_put(root);
	return ret;
}

/* ---- network interfaces ---- */

/* AWS's documented ranges for the per-ENI settable timeouts (REFERENCE.md §3). */
static const struct {
	const char *field;
	size_t off;
	int64_t min, max;
} aws_timeouts[] = {
	{ "TcpEstablishedTimeout", offsetof(struct eniaddr_timeouts, tcp_established), 60, 432000 },
	{ "UdpStreamTimeout",      offsetof(struct eniaddr_timeouts, udp_stream),      60, 180 },
	{ "UdpTimeout",            offsetof(struct eniaddr_timeouts, udp),             30, 60 },
};

static int parse_timeouts(const struct jpos *eni_pos, struct json_object *ifc, struct eni *n,
			  struct err *e)
{
	struct jpos cp = jpos_key(eni_pos, "ConnectionTrackingConfiguration");
	struct json_object *ct;
	int ret = jget(eni_pos, ifc, "ConnectionTrackingConfiguration", json_type_object, false,
		       &ct, e);

	for (size_t i = 0; !ret && ct && i < sizeof(aws_timeouts) / sizeof(aws_timeouts[0]); i++) {
		__u32 *field = (__u32 *)((char *)&n->timeouts + aws_timeouts[i].off);
		int64_t v = *field;

		ret = jget_int(&cp, ct, aws_timeouts[i].field, false, INT64_MIN, INT64_MAX, &v, e);
		if (!ret && (v < aws_timeouts[i].min || v > aws_timeouts[i].max))
			ret = jpos_err(e, &cp, "%s: %s %" PRId64 " out of range %" PRId64 "..%"
				       PRId64 " seconds", n->eni_id, aws_timeouts[i].field, v,
				       aws_timeouts[i].min, aws_timeouts[i].max);
		if (!ret)
			*field = (__u32)v;
	}
	return ret;
}

/* Addresses of one family: PrivateIpAddresses[].PrivateIpAddress (+ Primary) or
 * Ipv6Addresses[].Ipv6Address (+ IsPrimaryIpv6). Without a flag the first one is primary. */
static int parse_addresses(const struct jpos *eni_pos, struct json_object *ifc, bool v4,
			   struct eni *n, struct err *e)
{
	const char *list_key = v4 ? "PrivateIpAddresses" : "Ipv6Addresses";
	const char *field = v4 ? "PrivateIpAddress" : "Ipv6Address";
	const char *flag = v4 ? "Primary" : "IsPrimaryIpv6";
	struct jpos lp = jpos_key(eni_pos, list_key);
	struct json_object *list;
	size_t first = n->addrs.n;
	int marked = 0;
	int ret = jget(eni_pos, ifc, list_key, json_type_array, v4, &list, e);

	for (size_t i = 0; !ret && list && i < json_object_array_length(list); i++) {
		struct address *a = VEC_PUSH(&n->addrs);
		struct jpos ap;
		const char *s;

		if (!a)
			return err_set(e, ENOMEM, "out of memory");
		ret = elem_string(&lp, list, i, field, &ap, &s, e) ?:
		      jip_addr(&ap, s, &a->ip, e) ?:
		      want_family(&ap, field, s, &a->ip, v4 ? 4 : 6, e) ?:
		      jget_bool(&ap, json_object_array_get_idx(list, i), flag, false, &a->primary, e);
		set_where(a->where, &ap);
		if (!ret && a->primary && ++marked > 1)
			ret = jpos_err(e, &ap, "a second address with %s true", flag);
	}
	if (!ret && !marked && n->addrs.n > first)
		n->addrs.v[first].primary = true;
	return ret;
}

static int parse_prefixes(const struct jpos *eni_pos, struct json_object *ifc, bool v4,
			  struct eni *n, struct err *e)
{
	const char *list_key = v4 ? "Ipv4Prefixes" : "Ipv6Prefixes";
	const char *field = v4 ? "Ipv4Prefix" : "Ipv6Prefix";
	struct jpos lp = jpos_key(eni_pos, list_key), ip;
	struct json_object *list;
	int ret = jget(eni_pos, ifc, list_key, json_type_array, false, &list, e);

	for (size_t i = 0; !ret && list && i < json_object_array_length(list); i++) {
		struct ip_prefix *p = VEC_PUSH(&n->prefixes);
		const char *s;

		if (!p)
			return err_set(e, ENOMEM, "out of memory");
		ret = elem_string(&lp, list, i, field, &ip, &s, e) ?:
		      jip_cidr(&ip, s, true, p, e) ?:
		      want_family(&ip, field, s, p, v4 ? 4 : 6, e);
	}
	return ret;
}

static ssize_t group_index(const struct desired_state *s, const char *id)
{
	for (size_t i = 0; i < s->groups.n; i++)
		if (strcmp(s->groups.v[i].id, id) == 0)
			return (ssize_t)i;
	return -1;
}

/* Groups[].GroupId of the ENI: its refs, and its addresses and prefixes join each group's
 * members (creating a members-only group for one the groups document does not describe). */
static int parse_membership(struct aws_ctx *c, const struct jpos *eni_pos, struct json_object *ifc,
			    struct eni *n, bool local, struct err *e)
{
	struct jpos lp = jpos_key(eni_pos, "Groups"), gp;
	struct json_object *list;
	int ret = jget(eni_pos, ifc, "Groups", json_type_array, true, &list, e);

	for (size_t i = 0; !ret && i < json_object_array_length(list); i++) {
		const char *id;
		ssize_t gi;
		struct group *g;

		ret = elem_string(&lp, list, i, "GroupId", &gp, &id, e);
		if (ret)
			break;
		gi = group_index(c->s, id);
		if (local && (gi < 0 || (size_t)gi >= c->n_described))
			return jpos_err(e, &gp, "security group %s of local ENI %s is not in %s", id,
					n->eni_id, c->in->groups.name);
		if (gi < 0) {
			g = VEC_PUSH(&c->s->groups);
			if (!g)
				return err_set(e, ENOMEM, "out of memory");
			ret = jcopy_id(&gp, "GroupId", id, g->id, sizeof(g->id), e);
			set_where(g->where, &gp);
		} else {
			g = &c->s->groups.v[gi];
		}
		if (!ret && local && group_refs_add(&n->groups, id))
			ret = err_set(e, ENOMEM, "out of memory");
		if (!ret)
			ret = group_add_eni_members(g, n, e);
	}
	return ret;
}

static const struct local_nic *find_local(const struct aws_docs *in, const uint8_t mac[6])
{
	for (size_t i = 0; i < in->n_locals; i++)
		if (memcmp(in->locals[i].mac, mac, 6) == 0)
			return &in->locals[i];
	return NULL;
}

static bool skipped(const struct desired_state *skip, const uint8_t mac[6])
{
	for (size_t i = 0; skip && i < skip->enis.n; i++)
		if (skip->enis.v[i].has_mac && !memcmp(skip->enis.v[i].mac, mac, 6))
			return true;
	return false;
}

static int parse_interface(struct aws_ctx *c, const struct jpos *pos, struct json_object *ifc,
			   struct err *e)
{
	const struct local_nic *local = NULL;
	struct eni n = { 0 }, *slot;
	const char *id, *mac;
	int ret;

	set_where(n.where, pos);
	n.mode = ENIADDR_MODE_ENFORCE;
	n.src_check = true;
	state_default_timeouts(&n.timeouts);
	ret = jwant(pos, ifc, json_type_object, e) ?:
	      jget_string(pos, ifc, "NetworkInterfaceId", true, &id, e) ?:
	      jcopy_id(pos, "NetworkInterfaceId", id, n.eni_id, sizeof(n.eni_id), e) ?:
	      jget_string(pos, ifc, "MacAddress", true, &mac, e) ?:
	      /* absent: AWS's default, the check on; false for NAT and router ENIs */
	      jget_bool(pos, ifc, "SourceDestCheck", false, &n.src_check, e);
	if (ret)
		goto out;
	if (mac_parse(mac, n.mac)) {
		ret = jpos_err(e, pos, "MacAddress '%s' is not a MAC address", mac);
		goto out;
	}
	n.has_mac = true;
	if (c->members_only && skipped(c->skip, n.mac))
		goto out; /* described by a fresher source */
	local = c->members_only ? NULL : find_local(c->in, n.mac);
	if (local)
		memcpy(n.ifname, local->ifname, sizeof(n.ifname));
	ret = parse_addresses(pos, ifc, true, &n, e) ?:
	      parse_addresses(pos, ifc, false, &n, e) ?:
	      parse_prefixes(pos, ifc, true, &n, e) ?:
	      parse_prefixes(pos, ifc, false, &n, e) ?:
	      parse_timeouts(pos, ifc, &n, e) ?:
	      parse_membership(c, pos, ifc, &n, local != NULL, e);
	if (ret || !local)
		goto out;
	slot = VEC_PUSH(&c->s->enis);
	if (!slot) {
		ret = err_set(e, ENOMEM, "out of memory");
		goto out;
	}
	*slot = n;
	return 0;
out:
	eni_free(&n);
	return ret;
}

static int no_local_eni(const struct aws_docs *in, struct err *e)
{
	char list[600] = "";
	size_t len = 0;

	for (size_t i = 0; i < in->n_locals && len < sizeof(list); i++) {
		char mac[MAC_STRLEN];

		mac_format(in->locals[i].mac, mac);
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s %s", i ? ", " : "",
					in->locals[i].ifname, mac);
	}
	return err_set(e, ENOENT, "no ENI in %s has the MAC of a local interface (local: %s)",
		       in->interfaces.name, in->n_locals ? list : "none");
}

static int parse_interfaces_doc(struct aws_ctx *c, const struct aws_doc *doc, struct err *e)
{
	struct jpos root_pos = jpos_root(doc->name), lp = jpos_key(&root_pos, "NetworkInterfaces");
	struct json_object *root = NULL, *list;
	int ret;

	ret = json_parse_doc(doc->text, doc->name, &root, e) ?:
	      refuse_partial(&root_pos, root, e) ?:
	      jget(&root_pos, root, "NetworkInterfaces", json_type_array, true, &list, e);
	for (size_t i = 0; !ret && i < json_object_array_length(list); i++) {
		struct jpos ip = jpos_index(&lp, i);

		ret = parse_interface(c, &ip, json_object_array_get_idx(list, i), e);
	}
	json_object_put(root);
	if (!ret && !c->members_only && !c->s->enis.n)
		ret = no_local_eni(c->in, e);
	return ret;
}

int source_aws_parse(const struct aws_docs *in, struct desired_state *s, struct err *e)
{
	struct desired_state tmp;
	struct aws_ctx c = { .s = &tmp, .in = in };
	int ret;

	state_init(&tmp);
	snprintf(tmp.origin, sizeof(tmp.origin), "aws:%s+%s", in->interfaces.name,
		 in->groups.name);
	/* Groups first: the interfaces document adds their members. */
	ret = parse_groups_doc(&c, &in->groups, e);
	for (size_t i = 0; !ret && i < in->n_prefix_lists; i++)
		ret = parse_prefix_list(&c, &in->prefix_lists[i], e);
	if (!ret)
		ret = parse_interfaces_doc(&c, &in->interfaces, e) ?:
		      state_add_referenced_groups(&tmp, e) ?: state_prune_groups(&tmp, e) ?:
		      state_validate(&tmp, e);
	if (ret) {
		state_free(&tmp);
		return ret;
	}
	state_free(s);
	*s = tmp;
	return 0;
}

int source_aws_parse_groups(const struct aws_doc *doc, struct desired_state *s, struct err *e)
{
	struct aws_ctx c = { .s = s };

	return parse_groups_doc(&c, doc, e);
}

int source_aws_parse_members(const struct aws_doc *doc, const struct desired_state *skip,
			     struct desired_state *s, struct err *e)
{
	struct aws_ctx c = { .s = s, .n_described = SIZE_MAX, .members_only = true, .skip = skip };

	return parse_interfaces_doc(&c, doc, e);
}

int source_aws_load(const struct aws_inputs *in, struct desired_state *s, struct err *e)
{
	struct aws_prefix_list_doc *pls = calloc(in->n_prefix_lists + 1, sizeof(*pls));
	struct aws_docs docs = {
		.interfaces = { .name = in->interfaces_path },
		.groups = { .name = in->groups_path },
		.prefix_lists = pls,
		.n_prefix_lists = in->n_prefix_lists,
		.locals = in->locals,
		.n_locals = in->n_locals,
	};
	char *ifs = NULL, *sgs = NULL;
	int ret = 0;

	if (!pls)
		return err_set(e, ENOMEM, "out of memory");
	ret = json_read_file(in->interfaces_path, &ifs, e) ?:
	      json_read_file(in->groups_path, &sgs, e);
	for (size_t i = 0; !ret && i < in->n_prefix_lists; i++) {
		char *text = NULL;

		pls[i].id = in->prefix_lists[i].id;
		pls[i].doc.name = in->prefix_lists[i].path;
		ret = json_read_file(in->prefix_lists[i].path, &text, e);
		pls[i].doc.text = text;
	}
	docs.interfaces.text = ifs;
	docs.groups.text = sgs;
	if (!ret)
		ret = source_aws_parse(&docs, s, e);
	for (size_t i = 0; i < in->n_prefix_lists; i++)
		free((char *)pls[i].doc.text);
	free(pls);
	free(ifs);
	free(sgs);
	return ret;
}
