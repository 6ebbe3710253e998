// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cli/cmd_explain.c — `explain [-j] [--egress] DEV 'PACKET'`: PACKET (loader/packet.h) arriving
 * on DEV, run through the loaded ingress program (XDP, or tc where DEV is attached with tc) on
 * the live maps in a dry run (loader/kernel/explain.c), which changes nothing; with --egress,
 * PACKET leaving by DEV, through tc_egress. Prints the verdict and reason, the ENI and address
 * that own the local address (the destination in, the source out), the policy used (the ENI's
 * or the address's override), the rules that admit the packet or the fact that none does, the
 * conntrack entry it hits, whether it would start a tracked flow, and where a redirect sends it.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "cmds.h"
#include "kernel/ct_gc.h"
#include "kernel/explain.h"
#include "kernel/owner.h"
#include "kernel/stats.h"
#include "output.h"
#include "packet.h"
#include "session.h"
#include "source/routes.h"

struct explained {
	char packet[192];
	char dev[STATS_IFNAME_LEN], owner_dev[STATS_IFNAME_LEN];
	const char *prog, *policy_of;
	bool egress;
	unsigned int slot;  /* the active slot, as owner_of read it */
	char next_hop[160]; /* a redirect's: "192.0.2.1 (router origin: route)", or "" */
	size_t frame_len;
	struct explain_result r;
	struct eniaddr_owner owner;
	bool owned;
	struct explain_rule admit[EXPLAIN_RULES_MAX], port_rules[EXPLAIN_RULES_MAX];
	int n_admit, n_port_rules;
	__u64 now_ns;
};

/* The owner entry of the packet's local address (the destination in, the source out) in the
 * active slot (exact address, else prefix). */
static int owner_of(const struct map_fds *m, const __u8 local[16], struct explained *x,
		    struct err *e)
{
	struct eniaddr_state st = {};
	__u32 zero = 0;
	int found;

	if (bpf_map_lookup_elem(m->state, &zero, &st))
		return err_set(e, errno, "%s: %s", ENIADDR_STR(ENIADDR_MAP_STATE), strerror(errno));
	x->slot = st.active_slot;
	found = owner_find(m, &st, st.active_slot, local, &x->owner);
	if (found < 0)
		return err_set(e, -found, "looking up the owner of the %s: %s",
			       x->egress ? "source" : "destination", strerror(-found));
	x->owned = found;
	return 0;
}

/* Where a redirect out of the owner sends dst: straight to it inside the owner's subnet, else to
 * the router of eniaddr_nexthop (as bpf/egress.h's redirect_to_owner decides). */
static void next_hop_of(const struct map_fds *m, const __u8 dst[16], struct explained *x)
{
	struct eniaddr_nexthop_key k = {
		.slot = x->slot,
		.ifindex = x->owner.ifindex,
		.family = ip_is_v4(dst) ? ENIADDR_AF_INET : ENIADDR_AF_INET6,
	};
	struct ip_prefix subnet = { 0 }, to = { .plen = 128 };
	struct eniaddr_nexthop nh;
	char router[INET6_ADDRSTRLEN];

	if (bpf_map_lookup_elem(m->nexthop, &k, &nh)) {
		snprintf(x->next_hop, sizeof(x->next_hop), "the kernel's route on %s (no subnet "
			 "known for it)", x->owner_dev);
		return;
	}
	memcpy(subnet.addr, nh.subnet, 16);
	subnet.plen = (uint8_t)nh.plen;
	memcpy(to.addr, dst, 16);
	if (ip_prefix_contains(&subnet, &to)) {
		snprintf(x->next_hop, sizeof(x->next_hop), "the destination itself (on %s's subnet)",
			 x->owner_dev);
		return;
	}
	ip_addr_format(nh.gateway, router, sizeof(router));
	snprintf(x->next_hop, sizeof(x->next_hop), "%s (router origin: %s)", router,
		 router_origin_name(nh.origin));
}

static int explain_rules_of(const struct map_fds *m, struct explained *x, struct err *e)
{
	const struct eniaddr_explain *rec = &x->r.rec;
	struct eniaddr_rule_bits meet;
	int i;

	if (!rec->rules_checked)
		return 0;
	for (i = 0; i < ENIADDR_RULE_WORDS; i++)
		meet.w[i] = rec->src_bits.w[i] & rec->l4_bits.w[i];
	x->n_admit = explain_rules(m, rec->policy, &meet, x->admit, e);
	if (x->n_admit < 0)
		return x->n_admit;
	x->n_port_rules = explain_rules(m, rec->policy, &rec->l4_bits, x->port_rules, e);
	return x->n_port_rules < 0 ? x->n_port_rules : 0;
}

static void plain_rules(const char *title, const struct explain_rule *r, int n)
{
	int i;

	for (i = 0; i < n; i++)
		printf("%-11s rule %d: %s from %s\n", i ? "" : title, r[i].bit, r[i].what,
		       r[i].from[0] ? r[i].from : "(no peer)");
}

static void ct_line(const struct explained *x, char *buf, size_t len)
{
	const struct eniaddr_ct *v = &x->r.rec.ct;

	if (x->r.rec.ct_hit)
		snprintf(buf, len, "hit: %s, expires in %llds", ct_state_name(v->state),
			 (long long)((__s64)(v->expires_ns - x->now_ns) / 1000000000LL));
	else if (x->r.rec.ct_would_create)
		snprintf(buf, len, "no entry; this packet would start one (%s)",
			 ct_state_name(v->state));
	else
		snprintf(buf, len, "no entry; this packet would not be tracked");
}

static void print_plain(const struct explained *x, const char *verdict)
{
	const struct eniaddr_explain *rec = &x->r.rec;
	char ct[160];

	printf("%-11s %s, %zu bytes, %s %s (%s)\n", "packet:", x->packet, x->frame_len,
	       x->egress ? "leaving by" : "arriving on", x->dev, x->prog);
	printf("%-11s %s\n", "verdict:", verdict);
	printf("%-11s %s (%s)\n", "reason:", stats_reason_name(rec->reason),
	       stats_action_name(rec->action));
	if (x->owned)
		printf("%-11s %s%s\n", "owner:", x->owner_dev,
		       x->owner.flags & ENIADDR_ADDR_F_PREFIX ? " (a delegated prefix)" : "");
	else
		printf("%-11s no ENI owns the %s\n", "owner:", x->egress ? "source" : "destination");
	if (x->next_hop[0])
		printf("%-11s out of %s, next hop %s\n", "redirect:", x->owner_dev, x->next_hop);
	if (rec->policy)
		printf("%-11s %u (%s)\n", "policy:", rec->policy & ~ENIADDR_POLICY_SLOT_BIT,
		       x->policy_of);
	if (rec->rules_checked && x->n_admit)
		plain_rules("admitted:", x->admit, x->n_admit);
	else if (rec->rules_checked)
		printf("%-11s no rule of policy %u admits it\n", "admitted:",
		       rec->policy & ~ENIADDR_POLICY_SLOT_BIT);
	if (rec->rules_checked && !x->n_admit && x->n_port_rules)
		plain_rules("same port:", x->port_rules, x->n_port_rules);
	if (rec->ct_hit || rec->ct_would_create || rec->rules_checked) {
		ct_line(x, ct, sizeof(ct));
		printf("%-11s %s\n", "conntrack:", ct);
	}
}

static struct json_object *rules_json(const struct explain_rule *r, int n)
{
	struct json_object *list = json_object_new_array();
	int i;

	for (i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		jadd_int(o, "rule", r[i].bit);
		jadd_str(o, "selector", r[i].what);
		jadd_str(o, "from", r[i].from);
		json_object_array_add(list, o);
	}
	return list;
}

static void print_json(const struct explained *x, const char *verdict)
{
	const struct eniaddr_explain *rec = &x->r.rec;
	struct json_object *o = json_object_new_object(), *ct = json_object_new_object();
	char line[160];

	jadd_str(o, "packet", x->packet);
	jadd_str(o, "interface", x->dev);
	jadd_str(o, "program", x->prog);
	jadd_str(o, "verdict", verdict);
	jadd_str(o, "reason", stats_reason_name(rec->reason));
	jadd_str(o, "action", stats_action_name(rec->action));
	jadd_str(o, "direction", x->egress ? "egress" : "ingress");
	jadd_str(o, "owner", x->owned ? x->owner_dev : NULL);
	if (x->next_hop[0]) {
		jadd_str(o, "redirect_to", x->owner_dev);
		jadd_str(o, "next_hop", x->next_hop);
	}
	jadd_int(o, "policy", rec->policy & ~ENIADDR_POLICY_SLOT_BIT);
	jadd_str(o, "policy_of", rec->policy ? x->policy_of : NULL);
	jadd_bool(o, "rules_checked", rec->rules_checked);
	json_object_object_add(o, "admitted_by", rules_json(x->admit, x->n_admit));
	json_object_object_add(o, "port_rules", rules_json(x->port_rules, x->n_port_rules));
	jadd_bool(ct, "hit", rec->ct_hit);
	jadd_bool(ct, "would_track", rec->ct_would_create);
	if (rec->ct_hit || rec->ct_would_create)
		jadd_str(ct, "state", ct_state_name(rec->ct.state));
	ct_line(x, line, sizeof(line));
	jadd_str(ct, "summary", line);
	json_object_object_add(o, "conntrack", ct);
	out_json_print(o);
}

int cmd_explain(const struct cli_args *a, struct err *e)
{
	static struct explained x;
	struct explainer ex = {};
	struct eniaddr_attach rec = {};
	enum explain_prog prog = EXPLAIN_XDP_INGRESS;
	struct packet_spec spec;
	__u8 frame[PACKET_MAX_FRAME];
	struct session s;
	int ifindex, err;
	__u32 key;

	memset(&x, 0, sizeof(x));
	ifindex = (int)if_nametoindex(a->pos[0]);
	if (!ifindex)
		return err_set(e, ENODEV, "no interface named %s", a->pos[0]);
	err = packet_parse(a->pos[1], &spec, e);
	if (err)
		return err;
	packet_format(&spec, x.packet, sizeof(x.packet));
	x.frame_len = packet_build(&spec, frame);
	stats_ifname((__u32)ifindex, x.dev);
	err = session_open(a, PINS_READ, &s, e);
	if (err)
		return err;
	key = (__u32)ifindex;
	x.egress = a->egress;
	if (x.egress)
		prog = EXPLAIN_TC_EGRESS;
	else if (!bpf_map_lookup_elem(s.maps.attach, &key, &rec) && rec.mode == ENIADDR_ATTACH_TC)
		prog = EXPLAIN_TC_INGRESS;
	x.prog = prog == EXPLAIN_TC_EGRESS ? "tc_egress"
		 : prog == EXPLAIN_TC_INGRESS ? "tc_ingress" : "xdp_ingress";
	err = explainer_open(&ex, &s.maps, e);
	if (!err)
		err = explainer_run(&ex, prog, ifindex, frame, x.frame_len, &x.r, e);
	x.now_ns = ct_now_ns();
	if (!err)
		err = owner_of(&s.maps, x.egress ? spec.src : spec.dst, &x, e);
	if (!err)
		err = explain_rules_of(&s.maps, &x, e);
	stats_ifname(x.owner.ifindex, x.owner_dev);
	if (!err && x.r.rec.action == ENIADDR_ACT_REDIRECT && x.owned)
		next_hop_of(&s.maps, spec.dst, &x);
	explainer_close(&ex);
	session_close(&s);
	if (err)
		return err;
	x.policy_of = x.owner.flags & ENIADDR_ADDR_F_OVERRIDE ? "the address's own groups"
							     : "the ENI's groups";
	if (out_json())
		print_json(&x, explain_verdict(prog, x.r.retval));
	else
		print_plain(&x, explain_verdict(prog, x.r.retval));
	return 0;
}
