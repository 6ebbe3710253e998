/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/compose.h — one desired state from several sources, for `sync --imds` and
 * `run`: the ENIs and their addresses from IMDS; the groups' rules from a
 * describe-security-groups document; per-ENI and per-address settings (modes, overrides,
 * timeouts) from a native config; remote group members from a describe-network-interfaces
 * document of the VPC.
 *
 * CONTRACT (agreed before the implementation; keep it or change both sides):
 * - compose_build() fills *out from the inputs or returns a negative errno with e naming the
 *   input and item, leaving *out untouched. Any input that fails makes the whole build fail: the
 *   caller keeps what it published last.
 * - Without a rule source (no groups, no config), the state carries the ENIs and addresses only
 *   (ownership and routing) and compose_rules_source() reports it.
 *
 * How the inputs meet:
 * - ENIs, addresses, prefixes, subnets and each ENI's groups are IMDS's, always.
 * - A group is described (rules) by the groups document or by the config's "security_groups";
 *   the same id in both is an error. Every group an ENI (or an address override) uses must be
 *   described when a rule source is given.
 * - Members of sg-X: the addresses and prefixes of every local ENI whose security-group-ids
 *   name X, plus those of every ENI of the interfaces document in X (remote members; its entries
 *   for local MACs are left out, IMDS is fresher). A group's config "members" are kept.
 * - A config ENI entry adjusts the IMDS ENI it matches: by "eni_id" when it has one, else by
 *   "mac", else by "interface" (the local interface's MAC). It brings mode, source_check,
 *   connection_tracking and per-address "security_groups" overrides (for addresses IMDS
 *   assigns; others wait until assigned); a non-empty "security_groups" replaces the ENI's
 *   groups for its rules (membership stays IMDS's), [] keeps them. Its "addresses", "prefixes"
 *   and "subnets" are not used. An entry that matches no ENI is kept for when one appears.
 * - Without a rule source every ENI is in audit mode (nothing dropped on ingress) with no
 *   groups: ownership and routing only.
 */
#ifndef ENIADDR_SOURCE_COMPOSE_H
#define ENIADDR_SOURCE_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "source/imds.h"
#include "state.h"

struct compose_inputs {
	struct imds_client *imds;          /* the ENIs */
	const char *security_groups_path;  /* NULL or describe-security-groups output */
	const char *config_path;           /* NULL or native config (overrides, modes, timeouts) */
	const char *interfaces_path;       /* NULL or describe-network-interfaces (members) */
};

int compose_build(const struct compose_inputs *in, struct desired_state *out, struct err *e);

/* "security groups sgs.json + config cfg.json", or "none (ownership and routing only)". */
const char *compose_rules_source(const struct compose_inputs *in, char *buf, size_t len);

/* The groups rules of s name as peers that have no known member (no local ENI in them, none in
 * the interfaces document): such a rule admits nobody. Ids are added to out (sorted, once). */
int compose_groups_without_members(const struct desired_state *s, struct group_refs *out);

#endif
