/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/state.h — the desired state: what every source (native config, AWS JSON, IMDS) produces
 * and the compiler consumes. Sources fill it and never touch maps; the compiler reads it and never
 * parses. Every item remembers where it came from ("cfg.json: enis[0].addresses[2]") so an error
 * found later still names the file and the item.
 */
#ifndef ENIADDR_STATE_H
#define ENIADDR_STATE_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"
#include "vec.h"
#include "../maps/eniaddr.h"

#define STATE_ID_LEN    64  /* "sg-0123456789abcdef0", "pl-…", "eni-…" */
#define STATE_WHERE_LEN 160 /* "file: path.to[3].item" */

/* Peer of a rule: a CIDR, a prefix list (pl-…) or a security group (sg-…, its members). */
enum peer_kind {
	PEER_CIDR,
	PEER_PREFIX_LIST,
	PEER_GROUP,
};

#define RULE_PROTO_ALL   (-1)
#define RULE_PORT_ANY    (-1) /* ICMP type or code wildcard */

/*
 * One allow rule: peer x (protocol, range). proto is RULE_PROTO_ALL or 0..255.
 * tcp (6) / udp (17): from..to is an inclusive port range, 0..65535.
 * icmp (1) / icmpv6 (58): from is the type, to the code, each 0..255 or RULE_PORT_ANY; type
 *   RULE_PORT_ANY means every type and code.
 * anything else: from/to are ignored, every port matches.
 */
struct rule {
	int proto;
	int from, to;
	enum peer_kind peer_kind;
	struct ip_prefix cidr;    /* PEER_CIDR */
	char ref[STATE_ID_LEN];   /* PEER_PREFIX_LIST, PEER_GROUP */
	char where[STATE_WHERE_LEN];
};

struct group {
	char id[STATE_ID_LEN];
	VEC(struct rule) ingress;
	VEC(struct rule) egress;
	bool egress_set;                /* false: no egress list given, AWS default allow-all */
	VEC(struct ip_prefix) members;  /* private IPs of the ENIs in this group (sg references) */
	char where[STATE_WHERE_LEN];
};

struct prefix_list {
	char id[STATE_ID_LEN];
	VEC(struct ip_prefix) cidrs;
	char where[STATE_WHERE_LEN];
};

/* A list of group ids, as named by an ENI or by an address override. */
struct group_refs {
	VEC(char *) ids; /* owned strings */
};

struct address {
	struct ip_prefix ip;          /* a host: plen 128 */
	bool primary;
	bool has_override;            /* groups below replace the ENI's for traffic to ip */
	struct group_refs groups;
	char where[STATE_WHERE_LEN];
};

/* Families of per-family ENI settings (routers). */
enum eni_family { ENI_V4, ENI_V6, ENI_FAMILIES };

/*
 * The router a redirect to this ENI uses for destinations off its subnet, per family. A source
 * may set it (origin CONFIG); routes_learn() (source/routes.h) fills the others from the
 * kernel's routes and neighbours, or the subnet's base + 1 as a guess.
 */
struct eni_router {
	bool set;
	uint8_t addr[16];               /* IPv4-mapped or IPv6 (link-local allowed) */
	enum eniaddr_nh_origin origin;
	char where[STATE_WHERE_LEN];    /* CONFIG: "cfg.json: enis[0].router6" */
};

struct eni {
	char ifname[IF_NAMESIZE];     /* either ifname or mac identifies the local interface */
	uint8_t mac[6];
	bool has_mac;
	char eni_id[STATE_ID_LEN];    /* eni-…, informational */
	int ifindex;                  /* 0 until the loader resolves the interface */
	enum eniaddr_mode mode;
	bool src_check;               /* egress source check (issue 4), default true */
	VEC(struct address) addrs;
	VEC(struct ip_prefix) prefixes; /* delegated IPv4 /28, IPv6 /80 */
	VEC(struct ip_prefix) subnets;  /* subnet CIDRs of the ENI: next-hop choice on redirect */
	struct eni_router routers[ENI_FAMILIES]; /* [ENI_V4], [ENI_V6] */
	/* The VPC's primary IPv4 CIDR, when the source knows it: the Amazon DNS resolver at its
	 * base + 2 is exempt from the outbound rules like 169.254.169.253 (bpf/failsafe.h). */
	bool has_vpc;
	struct ip_prefix vpc;
	char vpc_where[STATE_WHERE_LEN]; /* "cfg.json: enis[0].vpc_cidr", "imds: …/vpc-ipv4-cidr-block" */
	struct group_refs groups;
	struct eniaddr_timeouts timeouts; /* seconds; state_default_timeouts() fills defaults */
	char where[STATE_WHERE_LEN];
};

struct desired_state {
	VEC(struct eni) enis;
	VEC(struct group) groups;
	VEC(struct prefix_list) prefix_lists;
	char origin[STATE_WHERE_LEN]; /* "native:cfg.json", "aws:ifs.json+sgs.json", "imds" */
	/* TEST ONLY (native config "test_only_short_timeouts": true): every connection-tracking
	 * timeout may be as short as 1 s, so tests can watch flows expire. Never in production: AWS
	 * would refuse such values, and short TCP timeouts cut idle connections. */
	bool test_only_short_timeouts;
};

void state_init(struct desired_state *s);
void state_free(struct desired_state *s);

/* AWS defaults (REFERENCE.md §3) and ours for what AWS leaves undocumented. */
void state_default_timeouts(struct eniaddr_timeouts *t);

/* Adds a copy of id to refs; -ENOMEM on failure. */
int group_refs_add(struct group_refs *refs, const char *id);
void group_refs_free(struct group_refs *refs);

/* Frees what one ENI holds (state_free does it for all). */
void eni_free(struct eni *n);

/* n's addresses and delegated prefixes join g's members (AWS: membership is per ENI). */
int group_add_eni_members(struct group *g, const struct eni *n, struct err *e);

struct group *state_find_group(const struct desired_state *s, const char *id);
struct prefix_list *state_find_prefix_list(const struct desired_state *s, const char *id);

/*
 * A groups document is often the whole account's. Keeps the rules of the groups the ENIs (and
 * their address overrides) use, only the members of the groups those rules name, and nothing of
 * the rest: an unrelated group's reference to a group or prefix list outside the documents must
 * not fail the load. Returns 0 or -ENOMEM. (state_prune.c)
 */
int state_prune_groups(struct desired_state *s, struct err *e);

/*
 * A rule may name a group no document describes: a peered VPC's or another account's
 * (UserIdGroupPairs with UserId, VpcId, VpcPeeringConnectionId). That is valid AWS output; the
 * reference matches the members the documents show, often none. Each such group gets a
 * members-only entry, so every other rule still applies. Returns 0 or -ENOMEM. (state_prune.c)
 */
int state_add_referenced_groups(struct desired_state *s, struct err *e);

/*
 * Checks what no single source can: every group and prefix list referenced exists, no address or
 * prefix is owned by two ENIs, no ENI is listed twice, timeouts are in AWS's ranges, rules are in
 * range. Returns 0 or -EINVAL with e naming the item (by its where).
 */
int state_validate(const struct desired_state *s, struct err *e);

#define STATE_WARN_LEN 256

/*
 * What is valid but probably not what the operator expects, one line each, up to max: a rule
 * whose peer is a security group with no known members (a peered VPC's or another account's
 * group, or one no ENI of the documents is in) matches nothing. Only groups an ENI or address
 * uses count, and each referenced group is named once. Returns the number of lines (may exceed
 * max: the rest are not written).
 */
size_t state_warnings(const struct desired_state *s, char (*out)[STATE_WARN_LEN], size_t max);

/* The group a state_warnings line names as having no known members ("sg-…" into id), for
 * readers of the kept lines (metrics); false for any other line. */
bool state_warning_group(const char *line, char *id, size_t len);

/* Checks one rule's fields (protocol, ports/ICMP type+code) and fills e with where on error. */
int rule_validate(const struct rule *r, struct err *e);

/* Parses "tcp", "udp", "icmp", "icmpv6", "-1"/"all", or a number 0..255 ("6"). */
int rule_proto_parse(const char *s, int *proto);

#endif
