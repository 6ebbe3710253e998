/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/aws.h — documents operators already have -> struct desired_state:
 *   interfaces:    `aws ec2 describe-network-interfaces` output, unmodified
 *   groups:        `aws ec2 describe-security-groups` output
 *   prefix lists:  `aws ec2 get-managed-prefix-list-entries --prefix-list-id pl-…`, one per list
 *
 * The interfaces document may hold ENIs of other instances. Local ENIs are those whose MAC is the
 * MAC of a local interface; they become struct eni. Every ENI of the document, local or not,
 * makes its private IPv4s, IPv6s and delegated prefixes members of each of its groups, so sg-…
 * peers match them. A local ENI's groups must be described, and keep their rules; a group their
 * rules name as a peer keeps only its members (it may be known only as some ENI's group); other
 * groups are dropped, so a whole-account groups document loads even when an unrelated group
 * names something the documents lack.
 *
 * AWS adds fields over time: unknown keys are ignored. Missing required ones are errors, and so
 * is a paginated document (NextToken): a partial document is never read as the whole.
 * Errors: "ifs.json: NetworkInterfaces[2].PrivateIpAddresses[0]: '10.0.0.300' is not an IPv4
 * or IPv6 address". The result is validated (state_validate) before it is handed over.
 */
#ifndef ENIADDR_SOURCE_AWS_H
#define ENIADDR_SOURCE_AWS_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "state.h"

/* A local interface, as the loader enumerates them (tests pass a literal list). */
struct local_nic {
	char ifname[IF_NAMESIZE];
	uint8_t mac[6];
};

struct aws_prefix_list_file {
	const char *id;   /* "pl-0123456789abcdef0" */
	const char *path; /* its get-managed-prefix-list-entries output */
};

struct aws_inputs {
	const char *interfaces_path;
	const char *groups_path;
	const struct aws_prefix_list_file *prefix_lists;
	size_t n_prefix_lists;
	const struct local_nic *locals;
	size_t n_locals;
};

/* Reads and parses the documents. On success the old content of *s (initialised with
 * state_init) is freed and replaced; on error *s is left untouched. Returns 0 or -errno. */
int source_aws_load(const struct aws_inputs *in, struct desired_state *s, struct err *e);

/* The same with the texts in hand; each name is the file name used in messages. */
struct aws_doc {
	const char *name;
	const char *text;
};

struct aws_prefix_list_doc {
	const char *id;
	struct aws_doc doc;
};

struct aws_docs {
	struct aws_doc interfaces;
	struct aws_doc groups;
	const struct aws_prefix_list_doc *prefix_lists;
	size_t n_prefix_lists;
	const struct local_nic *locals;
	size_t n_locals;
};

int source_aws_parse(const struct aws_docs *in, struct desired_state *s, struct err *e);

/*
 * The pieces compose.h builds from (nothing validated, *s appended to, left partly filled on
 * error: the caller drops it):
 * - parse_groups: every group of a describe-security-groups document, rules included;
 * - parse_members: every ENI of a describe-network-interfaces document makes its private IPs
 *   and prefixes members of each of its groups (a members-only group is created for one not in
 *   s yet); none becomes a struct eni, and ENIs whose MAC is one of skip's ENIs are left out
 *   (a fresher source, IMDS, already said what they hold).
 */
int source_aws_parse_groups(const struct aws_doc *doc, struct desired_state *s, struct err *e);
int source_aws_parse_members(const struct aws_doc *doc, const struct desired_state *skip,
			     struct desired_state *s, struct err *e);

#endif
