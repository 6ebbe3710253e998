/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/compile/compile.h — desired state -> the exact key/value pairs of one slot of the maps.
 * Plain C, no syscalls: the publisher writes the result; tests inspect it directly.
 *
 * Policies: one per distinct (direction, sorted set of group ids). An ENI's groups give its
 * in/out policy; an address override gives that address its own in policy (its out policy stays
 * the ENI's). Policy ids are 1, 2, ... with ENIADDR_POLICY_SLOT_BIT set for slot 1.
 *
 * Rule bits: within a policy and address family (IPv6 rules under id | ENIADDR_POLICY_V6_BIT),
 * each distinct L4 selector (protocol + range, after normalising ICMP wildcards into a 16-bit
 * range) gets one bit. The src entries hold, for every distinct peer
 * prefix of the policy, the OR of the bits of all rules whose peer contains that prefix (so the
 * longest match already holds the union). The l4 entries split each protocol's 0..65535 space into
 * elementary intervals (boundaries of all ranges), give each the OR of the bits of all ranges
 * covering it, and write each interval as power-of-two port prefixes. Rules with protocol "all"
 * are one policy-wide entry (prefixlen 32) that protocols without rules of their own fall back
 * to, and are folded into the intervals of those that have some.
 *
 * Limits are checked here, never truncated: more than ENIADDR_MAX_RULE_BITS selectors in one
 * policy and family, or more entries than a slot holds (half of each map), is -E2BIG with a message naming the
 * ENI or address and the counts.
 */
#ifndef ENIADDR_COMPILE_H
#define ENIADDR_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "state.h"
#include "vec.h"
#include "../maps/eniaddr.h"

struct compiled_eni   { struct eniaddr_eni_key k;  struct eniaddr_eni v; };
struct compiled_addr  { struct eniaddr_addr_key k; struct eniaddr_owner v; };
struct compiled_pfx   { struct eniaddr_pfx_key k;  struct eniaddr_owner v; };
struct compiled_src   { struct eniaddr_src_key k;  struct eniaddr_rule_bits v; };
struct compiled_l4    { struct eniaddr_l4_key k;   struct eniaddr_rule_bits v; };
struct compiled_nexthop { struct eniaddr_nexthop_key k; struct eniaddr_nexthop v; };

/*
 * A policy's protocols open to the whole Internet: allowed on every port with peer exactly
 * 0.0.0.0/0 (IPv4) or ::/0 (IPv6), by one rule or by several whose ranges together cover
 * 0..65535 (rules with protocol "all" count for both). An address whose inbound AND outbound
 * policies are open for a protocol of its family gets ENIADDR_ADDR_F_UNTRACKED_* (REFERENCE.md
 * §3: such flows are not tracked).
 */
/* Peer prefixes one policy may expand to (rules x prefix-list CIDRs x group members, before
 * duplicates go): counted before anything is allocated, so a document that multiplies out to
 * millions is refused with the numbers instead of exhausting memory. The maps hold far fewer
 * distinct entries (ENIADDR_MAX_SRC) anyway. */
#define COMPILE_MAX_EXPANSION (1u << 20)

#define POLICY_OPEN_TCP4 (1u << 0)
#define POLICY_OPEN_TCP6 (1u << 1)
#define POLICY_OPEN_UDP4 (1u << 2)
#define POLICY_OPEN_UDP6 (1u << 3)

/* Per policy, for status and for the untracked-flow rule. */
struct compiled_policy {
	__u32 id;
	enum eniaddr_dir dir;
	unsigned int n_rules;     /* rules after expanding prefix lists and group members */
	unsigned int n_selectors; /* distinct L4 selectors = rule bits used */
	unsigned int open;        /* POLICY_OPEN_* */
	char groups[STATE_WHERE_LEN]; /* "sg-a,sg-b" */
};

struct compiled {
	unsigned int slot;
	VEC(struct compiled_eni) enis;
	VEC(struct compiled_addr) addrs;
	VEC(struct compiled_pfx) pfxs;
	VEC(struct compiled_src) srcs;
	VEC(struct compiled_l4) l4s;
	VEC(struct compiled_policy) policies;
	VEC(struct compiled_nexthop) nexthops; /* compile_nexthop.c */
	/* The rule tables the datapath reads (compile/tables.c), each indexed within this slot's
	 * half of its array map (index 0 unused): eniaddr_policies by policy id & mask, eniaddr_trie
	 * and eniaddr_bits by node and class. Entries name absolute indexes (slot half included). */
	VEC(struct eniaddr_policy) pol_tbl;
	VEC(struct eniaddr_trie_node) nodes;
	VEC(struct eniaddr_rule_bits) bits;
	__u64 cache_ticket; /* compile_state_with: which compile of its cache this is */
};

/*
 * Compiles s (validated, every ENI's ifindex resolved and non-zero) for slot 0 or 1.
 * On error returns -errno, fills e, and leaves out empty.
 */
int compile_state(const struct desired_state *s, unsigned int slot, struct compiled *out,
		  struct err *e);

/* The canonical inputs of a compile's policies (compile/cache.c): bytes, compared exactly. */
struct compile_key {
	uint8_t *v;
	size_t n, cap;
};

/*
 * What a long-running compiler (the agent, the benchmark) keeps between compiles: the rule part
 * of the last compile (srcs, l4s, policies, pol_tbl, nodes, bits: ~95% of the time for 16 ENIs x
 * 1000 rules) and the exact inputs it came from. When only what the rules do not read changes —
 * an address moving between ENIs, an address added, timeouts, modes, next hops — the next
 * compile takes that part as it was (moved to the other slot when the slot differs) and builds
 * only the owners. The key is every byte a policy reads, in id order: its direction and groups,
 * each group's rules and egress default, the CIDRs of the prefix lists and the members of the
 * groups its rules name (the source's list and the local addresses and prefixes of the ENIs
 * carrying the group). It is compared byte for byte, not by a hash: equal keys give equal rules
 * by construction, and any other change recompiles everything.
 *
 * Nothing is copied on the way to a publish: a compile lends the cached rule part to its output,
 * and the caller gives it back with compile_cache_keep(c) instead of compiled_free(c) once done
 * with c (published, and its rule part unchanged). Keep also prepares the copy for the other
 * slot, where the next publish goes, after this one is out. A compile whose output is freed
 * instead leaves at most that copy (moved when used). Zero-initialise; compile_cache_free() at the end. hits/misses
 * count compiles.
 */
struct compile_cache {
	struct compile_key key;    /* the inputs the rules below were compiled from */
	struct compile_key next;   /* the inputs of the compile under way (its buffer reused) */
	struct compiled rules[2];  /* what key compiles to, for slot 0 and for slot 1 */
	bool valid[2];             /* rules[s] is there (not lent out, not missing) */
	__u64 ticket;              /* of the last compile: only its output may come back */
	unsigned long hits, misses;
};

/* compile_state, reusing cache's rule part when the policies' inputs are the same (cache may be
 * NULL: compile_state). The output is the same as compile_state's, byte for byte. */
int compile_state_with(const struct desired_state *s, unsigned int slot,
		       struct compile_cache *cache, struct compiled *out, struct err *e);

/* Frees c, the cache keeping its rule part when c is the cache's last compile (else only frees). */
void compile_cache_keep(struct compile_cache *cache, struct compiled *c);

void compile_cache_free(struct compile_cache *cache);

void compiled_free(struct compiled *c);

/*
 * Whether the datapath reads src from eniaddr_src: IPv6 peers are looked up there, and each
 * family's root (0.0.0.0/0, ::/0) by the open-to-the-Internet check. Every other IPv4 entry, like
 * every l4 entry, reaches packets only through the tables (compile_tables), so the publisher
 * writes neither: they stay here for the tables and for tests.
 */
bool compiled_src_published(const struct compiled_src *src);

/*
 * The delegated-prefix lengths of c (compile/prefixes.c): per family (0 IPv4, 1 IPv6) the
 * distinct prefixlen values of c's eniaddr_pfx keys, longest first, 0-padded — eniaddr_state's
 * pfx_lens of c's slot, which the publisher writes. -E2BIG when a family has more than
 * ENIADDR_PFX_LENS (compile_state refuses that before, naming the prefixes).
 */
int compiled_pfx_lens(const struct compiled *c, __u8 lens[2][ENIADDR_PFX_LENS]);

/*
 * The next hops of tc_egress redirects (compile_nexthop.c), called by compile_state: one entry
 * per ENI and family its "subnets" give, with the ENI's router of that family (n->routers, with
 * its origin), or the subnet's base + 1 marked as a guess when the state names none.
 * Checks that an ENI names at most one IPv4 and one IPv6 subnet, that each can hold a router,
 * and that the ENI's addresses and prefixes lie inside the subnet of their family. Appends to
 * out->nexthops, sorted; -EINVAL with e naming the ENI or address.
 */
int compile_nexthops(const struct desired_state *s, struct compiled *out, struct err *e);

/*
 * The rule tables of c (compile/tables.c), called by compile_state: from c's IPv4 src entries and
 * its l4 entries (sorted, slot set), fills pol_tbl, nodes and bits. Also for tests that write rule
 * entries by hand. -E2BIG naming the map when a table is full.
 */
int compile_tables(struct compiled *c, struct err *e);

/* Sets b's span (maps/eniaddr.h: lo, hi) from its words: the first and last nonzero word, 0 and 0
 * for no bits. Every rule-bit value the compiler writes gets it; so must one written by hand. */
void compile_rule_span(struct eniaddr_rule_bits *b);

/*
 * Splits the inclusive range lo..hi (0..65535) into the fewest aligned power-of-two blocks.
 * Writes up to max pairs (start, bits-of-prefix: 16 = a single port, 0 = all) and returns how many
 * there are (at most 30 for any range).
 */
int port_range_to_prefixes(unsigned int lo, unsigned int hi, unsigned int starts[],
			   unsigned int plens[], int max);

#endif
