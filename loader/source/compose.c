// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/source/compose.c — see compose.h. The ENI-entry matching is compose_match.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/aws.h"
#include "source/compose.h"
#include "source/compose_match.h"
#include "source/json_util.h"
#include "source/native.h"

static bool has_rule_source(const struct compose_inputs *in)
{
	return in->security_groups_path || in->config_path;
}

const char *compose_rules_source(const struct compose_inputs *in, char *buf, size_t len)
{
	if (!has_rule_source(in))
		snprintf(buf, len, "none (ownership and routing only)");
	else
		snprintf(buf, len, "%s%s%s%s%s", in->security_groups_path ? "security groups " : "",
			 in->security_groups_path ?: "",
			 in->security_groups_path && in->config_path ? " + " : "",
			 in->config_path ? "config " : "", in->config_path ?: "");
	return buf;
}

/* A describe-security-groups document (its groups), or with members a describe-network-interfaces
 * one (the members of its ENIs' groups, local MACs left out). */
static int read_aws_doc(const char *path, bool members, struct desired_state *s, struct err *e)
{
	struct aws_doc doc = { .name = path };
	char *text = NULL;
	int ret = json_read_file(path, &text, e);

	doc.text = text;
	if (!ret)
		ret = members ? source_aws_parse_members(&doc, s, s, e)
			      : source_aws_parse_groups(&doc, s, e);
	free(text);
	return ret;
}

/* The config's groups and prefix lists join s; a group described twice is an error. */
static int take_config_rules(struct desired_state *cfg, struct desired_state *s,
			     const struct compose_inputs *in, struct err *e)
{
	for (size_t i = 0; i < cfg->groups.n; i++) {
		struct group *g = &cfg->groups.v[i], *slot;

		if (state_find_group(s, g->id))
			return err_set(e, EINVAL, "%s: %s is also described in %s: describe each "
				       "group once", g->where, g->id, in->security_groups_path);
		slot = VEC_PUSH(&s->groups);
		if (!slot)
			return err_set(e, ENOMEM, "out of memory");
		*slot = *g;
		memset(g, 0, sizeof(*g));
	}
	for (size_t i = 0; i < cfg->prefix_lists.n; i++) {
		struct prefix_list *slot = VEC_PUSH(&s->prefix_lists);

		if (!slot)
			return err_set(e, ENOMEM, "out of memory");
		*slot = cfg->prefix_lists.v[i];
		memset(&cfg->prefix_lists.v[i], 0, sizeof(cfg->prefix_lists.v[i]));
	}
	return 0;
}

static struct group *group_or_members_only(struct desired_state *s, const char *id,
					   const char *where, struct err *e)
{
	struct group *g = state_find_group(s, id);

	if (g)
		return g;
	g = VEC_PUSH(&s->groups);
	if (!g) {
		err_set(e, ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(g->id, sizeof(g->id), "%s", id);
	snprintf(g->where, sizeof(g->where), "%s", where);
	return g;
}

/* IMDS's security-group-ids: each local ENI's addresses and prefixes join its groups. */
static int add_local_members(struct desired_state *s, struct err *e)
{
	for (size_t i = 0; i < s->enis.n; i++) {
		const struct eni *n = &s->enis.v[i];

		for (size_t j = 0; j < n->groups.ids.n; j++) {
			struct group *g = group_or_members_only(s, n->groups.ids.v[j], n->where, e);

			if (!g || group_add_eni_members(g, n, e))
				return -ENOMEM;
		}
	}
	return 0;
}

/* Every group in refs (of an ENI or an address override, at where) came with rules. */
static int check_refs(const struct desired_state *s, const struct group_refs *refs,
		      const char *where, const char *eni_id, size_t n_described, const char *rules,
		      struct err *e)
{
	for (size_t j = 0; j < refs->ids.n; j++) {
		const struct group *g = state_find_group(s, refs->ids.v[j]);

		if (!g || (size_t)(g - s->groups.v) >= n_described)
			return err_set(e, ENOENT, "%s: security group %s of %s is not described in "
				       "%s", where, refs->ids.v[j], eni_id, rules);
	}
	return 0;
}

static int check_described(const struct desired_state *s, size_t n_described,
			   const struct compose_inputs *in, struct err *e)
{
	char rules[512];
	int ret = 0;

	compose_rules_source(in, rules, sizeof(rules));
	for (size_t i = 0; !ret && i < s->enis.n; i++) {
		const struct eni *n = &s->enis.v[i];

		ret = check_refs(s, &n->groups, n->where, n->eni_id, n_described, rules, e);
		for (size_t a = 0; !ret && a < n->addrs.n; a++)
			ret = check_refs(s, &n->addrs.v[a].groups, n->addrs.v[a].where, n->eni_id,
					 n_described, rules, e);
	}
	return ret;
}

/* No rule source: ownership and routing only, nothing dropped on ingress. */
static void rules_off(struct desired_state *s)
{
	for (size_t i = 0; i < s->enis.n; i++) {
		group_refs_free(&s->enis.v[i].groups);
		s->enis.v[i].mode = ENIADDR_MODE_AUDIT;
	}
	for (size_t i = 0; i < s->groups.n; i++) {
		VEC_FREE(&s->groups.v[i].ingress);
		VEC_FREE(&s->groups.v[i].egress);
		VEC_FREE(&s->groups.v[i].members);
	}
	s->groups.n = 0;
}

static int build(const struct compose_inputs *in, struct desired_state *imds,
		 struct desired_state *cfg, struct desired_state *s, struct err *e)
{
	size_t n_described;
	int ret;

	ret = source_imds_read(in->imds, imds, e);
	if (!ret && in->config_path)
		ret = source_native_load_settings(in->config_path, cfg, e);
	if (!ret && in->security_groups_path)
		ret = read_aws_doc(in->security_groups_path, false, s, e);
	if (!ret)
		ret = take_config_rules(cfg, s, in, e);
	if (ret)
		return ret;
	n_described = s->groups.n;
	s->enis = imds->enis; /* taken over: imds keeps nothing to free */
	memset(&imds->enis, 0, sizeof(imds->enis));
	s->test_only_short_timeouts = cfg->test_only_short_timeouts;
	ret = add_local_members(s, e);
	if (!ret && in->interfaces_path)
		ret = read_aws_doc(in->interfaces_path, true, s, e);
	if (!ret)
		ret = compose_apply_settings(cfg, s, e);
	if (ret)
		return ret;
	if (!has_rule_source(in)) {
		rules_off(s);
		return 0;
	}
	return check_described(s, n_described, in, e) ?: state_prune_groups(s, e) ?:
	       state_add_referenced_groups(s, e);
}

int compose_build(const struct compose_inputs *in, struct desired_state *out, struct err *e)
{
	struct desired_state imds, cfg, tmp;
	int ret;

	state_init(&imds);
	state_init(&cfg);
	state_init(&tmp);
	snprintf(tmp.origin, sizeof(tmp.origin), "imds%s%s%s%s%s%s",
		 in->security_groups_path ? "+" : "", in->security_groups_path ?: "",
		 in->config_path ? "+" : "", in->config_path ?: "",
		 in->interfaces_path ? "+" : "", in->interfaces_path ?: "");
	ret = build(in, &imds, &cfg, &tmp, e) ?: state_validate(&tmp, e);
	state_free(&imds);
	state_free(&cfg);
	if (ret) {
		state_free(&tmp);
		return ret;
	}
	state_free(out);
	*out = tmp;
	return 0;
}

static int by_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int compose_groups_without_members(const struct desired_state *s, struct group_refs *out)
{
	size_t first = out->ids.n;

	for (size_t i = 0; i < s->groups.n; i++) {
		const struct group *g = &s->groups.v[i];

		for (size_t r = 0; r < g->ingress.n + g->egress.n; r++) {
			const struct rule *rl = r < g->ingress.n ? &g->ingress.v[r]
								 : &g->egress.v[r - g->ingress.n];
			const struct group *peer;
			bool listed = false;

			if (rl->peer_kind != PEER_GROUP)
				continue;
			peer = state_find_group(s, rl->ref);
			if (peer && peer->members.n)
				continue;
			for (size_t k = first; k < out->ids.n && !listed; k++)
				listed = !strcmp(out->ids.v[k], rl->ref);
			if (!listed && group_refs_add(out, rl->ref))
				return -ENOMEM;
		}
	}
	if (out->ids.n > first)
		qsort(out->ids.v + first, out->ids.n - first, sizeof(char *), by_id);
	return 0;
}
