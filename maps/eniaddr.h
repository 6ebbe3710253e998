/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * maps/eniaddr.h — the one header shared by the BPF programs (bpf/) and user space (loader/,
 * cli/, tests/): map names, map sizes, key/value layouts, reason codes. BPF-only helpers live in
 * bpf/; user-space-only types in loader/. Kernel side includes vmlinux.h before this header; user
 * space includes <linux/types.h>.
 *
 * Addresses are 16 bytes: IPv4 is stored IPv4-mapped (::ffff:a.b.c.d), and an IPv4 /n is an
 * IPv4-mapped /(96+n). The exceptions hold IPv4 addresses as their 4 bytes, since the kernel
 * hashes every byte of a key on every packet (issue 9): IPv4 flows' conntrack tables
 * (eniaddr_ct4*) and the owner maps of IPv4 (eniaddr_addrs4, eniaddr_pfx4: 8-byte keys). User
 * space sees owners in the 16-byte form only (loader/kernel/owner_maps.h hides the split).
 *
 * Atomic publish: every map that describes configuration is keyed by a slot (0 or 1). Packets read
 * the slot named in eniaddr_state[0].active_slot; a publish fills the other slot, then flips that
 * one word. Policy ids carry their slot in bit 31, so rule maps need no separate slot field.
 */
#ifndef ENIADDR_MAPS_H
#define ENIADDR_MAPS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* ---- map names: BPF definitions, skeleton fields (skel->maps.NAME) and pin files ---- */
#define ENIADDR_MAP_STATE  eniaddr_state  /* array[1]: active slot, generation, prefix lengths */
#define ENIADDR_MAP_ENIS   eniaddr_enis   /* hash: (slot, ifindex) -> ENI settings */
#define ENIADDR_MAP_ENI_ROWS      eniaddr_eni_rows      /* array: the packets' copy of them */
#define ENIADDR_MAP_ENI_INDEX     eniaddr_eni_index     /* array: ifindex -> row per slot */
#define ENIADDR_MAP_ENI_INDEX_BIG eniaddr_eni_index_big /* hash: the same, large ifindexes */
#define ENIADDR_MAP_OWNED_HINT    eniaddr_owned_hint    /* array: may a slot own an address? */
#define ENIADDR_MAP_ANY_HINT      eniaddr_any_hint      /* array: may any ENI own an address? */
#define ENIADDR_MAP_ADDRS4 eniaddr_addrs4 /* hash: (slot, IPv4 address) -> owner (exact /32) */
#define ENIADDR_MAP_ADDRS  eniaddr_addrs  /* hash: (slot, IPv6 address) -> owner (exact /128) */
#define ENIADDR_MAP_PFX4   eniaddr_pfx4   /* hash: (slot, length, IPv4 prefix) -> owner */
#define ENIADDR_MAP_PFX    eniaddr_pfx    /* hash: (slot, length, IPv6 prefix) -> owner */
#define ENIADDR_MAP_SRC    eniaddr_src    /* lpm: (policy, peer prefix) -> rule bits */
#define ENIADDR_MAP_L4     eniaddr_l4     /* lpm: (policy, proto, port) -> rule bits */
#define ENIADDR_MAP_STATS  eniaddr_stats  /* percpu array: (device, dir, action) -> counts */
#define ENIADDR_MAP_FRAGS  eniaddr_frags  /* lru hash: allowed first fragments -> expiry */
#define ENIADDR_MAP_ATTACH eniaddr_attach /* hash: ifindex -> how we attached (for detach) */
#define ENIADDR_MAP_CT     eniaddr_ct     /* hash: (ifindex, IPv6 flow) -> state of confirmed flows */
#define ENIADDR_MAP_CT_NEW eniaddr_ct_new /* lru hash: same key/value, flows without a reply yet */
#define ENIADDR_MAP_CT4     eniaddr_ct4     /* hash: (ifindex, IPv4 flow) -> the same state */
#define ENIADDR_MAP_CT4_NEW eniaddr_ct4_new /* lru hash: IPv4 flows without a reply yet */
#define ENIADDR_MAP_CT_MAYBE eniaddr_ct_maybe /* array: may a flow exist? a bit per key */

#define ENIADDR_STR_(x) #x
#define ENIADDR_STR(x) ENIADDR_STR_(x)

/* ---- sizes (one place) ---- */
#define ENIADDR_MAX_ENIS        64      /* per slot */
#define ENIADDR_MAX_ADDRS       262144  /* exact addresses per family, both slots together (not
					 * preallocated): each of eniaddr_addrs4, eniaddr_addrs */
#define ENIADDR_MAX_PREFIXES    4096    /* delegated prefixes per family, both slots together */
#define ENIADDR_MAX_SRC         131072  /* peer prefixes over all policies, both slots */
#define ENIADDR_MAX_L4          131072  /* port-prefix entries over all policies, both slots */
#define ENIADDR_MAX_FRAGS       8192
#define ENIADDR_MAX_CT          262144  /* per family; `attach --conntrack-size N` before load */
#define ENIADDR_CT_SIZE_MIN     1024
#define ENIADDR_CT_SIZE_MAX     16777216
#define ENIADDR_MAX_CT_NEW      65536   /* unconfirmed flows per family (*_new), an LRU */
#define ENIADDR_MAX_VLAN_DEPTH  2       /* 802.1Q / 802.1ad tags parsed before giving up */
#define ENIADDR_MAX_EXT_HDRS    8       /* IPv6 extension headers walked before giving up */
#define ENIADDR_FRAG_TIMEOUT_NS (30ULL * 1000000000ULL) /* Linux ipfrag_time default */

/* Rule bits: a policy may hold up to ENIADDR_MAX_RULE_BITS distinct L4 selectors. */
#define ENIADDR_RULE_WORDS      16
#define ENIADDR_MAX_RULE_BITS   (ENIADDR_RULE_WORDS * 64)

#define ENIADDR_POLICY_NONE     0u          /* no rules: everything is no_rule */
#define ENIADDR_POLICY_SLOT_BIT 0x80000000u /* policy ids of slot 1 carry this bit */
/* Rule maps only: a policy's IPv6 rules live under policy | ENIADDR_POLICY_V6_BIT, its IPv4 rules
 * under the plain id. Each family numbers its own selectors (up to ENIADDR_MAX_RULE_BITS each),
 * and neither family's prefixes can cover the other's addresses. */
#define ENIADDR_POLICY_V6_BIT   0x40000000u

/*
 * Fields that hold an enum in one byte. The BPF objects (clang) type them as the enum with a
 * fixed underlying type, so the BTF that `bpftool map dump` reads names each value
 * ("state": "ENIADDR_CT_ESTABLISHED"); user space built by gcc 12, which has no fixed
 * underlying types in C, sees the plain byte. The layout is the same: the _Static_asserts at
 * the end check the structs' sizes for both compilers.
 */
#if defined(__clang__)
#define ENIADDR_ENUM8             : __u8
#define ENIADDR_ENUM8_FIELD(name) enum name
#else
#define ENIADDR_ENUM8
#define ENIADDR_ENUM8_FIELD(name) __u8
#endif

enum eniaddr_mode ENIADDR_ENUM8 {
	ENIADDR_MODE_ENFORCE = 0,
	ENIADDR_MODE_AUDIT   = 1, /* count what would be dropped, pass it */
};

enum eniaddr_dir {
	ENIADDR_DIR_INGRESS = 0,
	ENIADDR_DIR_EGRESS  = 1,
};

/* What happened to the packet; with the reason it names one counter. */
enum eniaddr_action {
	ENIADDR_ACT_PASS     = 0,
	ENIADDR_ACT_DROP     = 1,
	ENIADDR_ACT_AUDIT    = 2, /* would have been dropped, passed because the ENI audits */
	ENIADDR_ACT_REDIRECT = 3,
};

/*
 * Reasons double as metric names and as the counter fields bpftool prints. X(ENUM, name, kind):
 * name is an identifier (the field of struct eniaddr_reason_counts, the "reason" label); kind
 * PASS reasons let the packet go, DROP reasons drop it (or count it as audit). Reason codes are
 * never XDP/TC return values.
 */
#define ENIADDR_REASONS(X)                                                            \
	X(NONE,              none,                PASS) /* never counted */            \
	X(ALLOWED,           allowed,             PASS) /* a rule of the policy */     \
	X(UNCONFIGURED,      unconfigured,        PASS) /* attached, not in config */  \
	X(FAILSAFE_ARP,      failsafe_arp,        PASS)                                \
	X(FAILSAFE_ND,       failsafe_nd,         PASS) /* ICMPv6 133..137 */          \
	X(FAILSAFE_DHCP,     failsafe_dhcp,       PASS) /* DHCPv4/v6 server<->client */ \
	X(FAILSAFE_LINK_LOCAL, failsafe_link_local,   PASS) /* link-scoped, services */ \
	X(OTHER_L3,          other_l3,            PASS) /* not IP or ARP */            \
	X(FRAGMENT_FOLLOWS,  fragment_follows,    PASS) /* of an allowed datagram */   \
	X(CT_ESTABLISHED,    ct_established,      PASS)                                \
	X(CT_REPLY,          ct_reply,            PASS)                                \
	X(CT_RELATED,        ct_related,          PASS)                                \
	X(REDIRECT,          redirect,            PASS) /* sent out the owning ENI */  \
	X(REDIRECT_GUESS,    redirect_guess,      PASS) /* ... via a guessed router */ \
	X(NOT_OWNED,         not_owned,           DROP) /* dst not on any ENI */       \
	X(WRONG_ENI,         wrong_eni,           DROP) /* dst owned by another ENI */ \
	X(NO_RULE,           no_rule,             DROP)                                \
	X(MALFORMED,         malformed,           DROP) /* truncated or bad header */  \
	X(VLAN_CAP,          vlan_cap,            DROP) /* more tags than we parse */  \
	X(EXT_HDR_CAP,       ext_hdr_cap,         DROP) /* IPv6 chain too long */      \
	X(FRAGMENT,          fragment,            DROP) /* stray non-first fragment */ \
	X(EGRESS_NO_RULE,    egress_no_rule,      DROP)                                \
	X(SPOOFED_SOURCE,    spoofed_source,      DROP)                                \
	X(REDIRECT_FAILED,   redirect_failed,     DROP)                                \
	X(CT_FULL,           ct_full,             DROP) /* confirmed table full */   \
	X(CT_INVALID,        ct_invalid,          DROP) /* RST outside the window */ \
	X(UNCONFIGURED_DROP, unconfigured_drop,   DROP) /* attach --unconfigured drop */

#define ENIADDR_REASON_ENUM_(e, name, kind) ENIADDR_R_##e,
enum eniaddr_reason {
	ENIADDR_REASONS(ENIADDR_REASON_ENUM_)
	ENIADDR_R_COUNT
};
#undef ENIADDR_REASON_ENUM_
/* All reasons from here on drop; the list above keeps PASS reasons first. */
#define ENIADDR_R_FIRST_DROP ENIADDR_R_NOT_OWNED

/* ---- eniaddr_state ---- */
#define ENIADDR_PFX_LENS 4 /* distinct delegated-prefix lengths per slot and family */

/* eniaddr_state.uncovered[slot]: the slot has delegated prefixes of the family whose addresses
 * eniaddr_any_hint cannot list (bpf/owner.h owner_absent): then its owner lookups stay. */
#define ENIADDR_UNCOVERED_V4 (1u << 0) /* an IPv4 prefix shorter than ENIADDR_HINT_PFX4_MIN_LEN */
#define ENIADDR_UNCOVERED_V6 (1u << 1) /* any IPv6 prefix */

struct eniaddr_state {
	__u32 active_slot; /* 0 or 1 */
	__u8  uncovered[2]; /* [slot]: ENIADDR_UNCOVERED_*, from pfx_lens (eniaddr_pfx_uncovered),
			     * written with them */
	__u8  pad[2];
	__u64 generation;  /* 0 before the first publish, then +1 per publish */
	/*
	 * [slot][family: 0 IPv4, 1 IPv6]: the prefix lengths of that slot's prefixes of the
	 * family (eniaddr_pfx4, eniaddr_pfx) as 32 + the length in the mapped space (an IPv4 /28
	 * is 156, an IPv6 /80 112),
	 * longest first, 0 ending a shorter list. The datapath (bpf/owner.h) makes one exact
	 * lookup per length, longest first, so the longest prefix wins; an empty list means the
	 * slot holds no prefix of the family and costs nothing. The compiler refuses a fifth
	 * length. The publisher writes a slot's lists before the write that makes the slot
	 * active and keeps the other slot's, so no reader of either slot ever misses a length.
	 */
	__u8  pfx_lens[2][2][ENIADDR_PFX_LENS];
};

/* ---- eniaddr_enis ---- */
struct eniaddr_eni_key {
	__u32 slot;
	__u32 ifindex;
};

#define ENIADDR_ENI_F_SRC_CHECK (1u << 0) /* egress: drop sources no ENI owns */

/* Connection-tracking idle timeouts in seconds (REFERENCE.md §3). */
struct eniaddr_timeouts {
	__u32 tcp_established;
	__u32 tcp_syn;    /* before establishment */
	__u32 tcp_closing;/* after FIN or RST */
	__u32 udp;
	__u32 udp_stream;
	__u32 icmp;
	__u32 other;
	__u32 pad;
};

struct eniaddr_eni {
	__u32 in_policy;   /* inbound policy of addresses without an override */
	__u32 out_policy;  /* outbound policy */
	ENIADDR_ENUM8_FIELD(eniaddr_mode) mode;
	__u8  pad0;
	__u16 in_rules;    /* rules after expansion, for status only (the datapath never reads) */
	__u16 out_rules;
	__u16 pad1;
	__u32 flags;       /* ENIADDR_ENI_F_* */
	struct eniaddr_timeouts timeouts;
};

/* ---- eniaddr_eni_rows, eniaddr_eni_index(_big): the packets' view of eniaddr_enis ----
 * eniaddr_enis is the record user space and bpftool read. Packets read the same settings through
 * arrays instead (issue 9: a hash lookup on every packet was ~6 ns, an array read ~1): the ENI of
 * ifindex in slot s is eniaddr_eni_rows[s * ENIADDR_MAX_ENIS + row[s] - 1], row[] the value of
 * eniaddr_eni_index[ifindex] (ifindex < ENIADDR_ENI_INDEX_MAX) or of eniaddr_eni_index_big
 * (larger ifindexes, a hash, as busy hosts reach them). row[s] 0: not configured in slot s. The
 * publisher writes slot s's rows and row[s] before the flip, from the same compiled state as
 * eniaddr_enis, never touching row[] of the active slot (loader/kernel/eni_rows.c). */
#define ENIADDR_ENI_INDEX_MAX 65536
#define ENIADDR_ENI_ROWS      (2 * ENIADDR_MAX_ENIS)

struct eniaddr_eni_index {
	__u8 row[2]; /* per slot: 1 + the row of this interface's settings, 0: not configured */
	__u8 pad[2];
};

struct eniaddr_eni_row {
	struct eniaddr_eni eni;
	__u32 ifindex; /* whose settings; 0: an unused row */
};

/* ---- eniaddr_owned_hint: may an ENI own an address exactly in slot s? A bit per bucket ----
 * A hint, never a verdict (bpf/conntrack.h, the stamped shortcut): a packet whose (local
 * address, ENI) bit is set asks conntrack first and may skip the owner lookup; one whose bit is
 * clear is no exact address of its ENI in the slot (NOT_OWNED, WRONG_ENI, SPOOFED_SOURCE, a
 * source to redirect, transit, or an address of a delegated prefix), asks eniaddr_any_hint
 * whether anyone may own it (below), looks its owner up first unless nobody may, and takes the
 * whole path, as it would anyway.
 * A wrong bit costs time, never a wrong verdict. Word w of slot s is at s * ENIADDR_HINT_WORDS
 * + w; the publisher writes slot s's words before the flip, from the same compiled addresses
 * as eniaddr_addrs. */
#define ENIADDR_HINT_BITS_LOG 18
/* Every address of an IPv4 delegated prefix this long or longer (at most 256 of them: a /28 is
 * 16) has its bit too, so the flows of prefix-delegated addresses (EKS pods) take the stamped
 * shortcut; longer IPv6 prefixes cannot be listed address by address, and never do. */
#define ENIADDR_HINT_PFX4_MIN_LEN 24
#define ENIADDR_HINT_WORDS    (1u << (ENIADDR_HINT_BITS_LOG - 6)) /* __u64 words per slot */

/* ---- eniaddr_any_hint: may ANY ENI own an address in slot s? A bit per bucket ----
 * A Bloom filter with one hash over the addresses owner_lookup (bpf/owner.h) can find in the
 * slot: every exact address, and every host of the IPv4 delegated prefixes the owned hint lists
 * (ENIADDR_HINT_PFX4_MIN_LEN or longer). A clear bit, in a slot whose family has no prefix the
 * hint cannot list (eniaddr_state.uncovered), proves that nobody owns the address: the packet
 * skips the owner lookups (NOT_OWNED, SPOOFED_SOURCE, transit, the failsafes without an owner).
 * A set bit only means "look". Its own map, not the owned hint with a pseudo-owner: at 100,000
 * addresses and 2,048 /28s that hint is a third full already, and a second bit per address
 * would fill it to two thirds. 2^20 bits a slot: ~12 % set at 100,000 addresses + 2,048 /28s,
 * ~1 % at 10,000. Word w of slot s is at s * ENIADDR_ANY_WORDS + w; the publisher writes slot
 * s's words before the flip (loader/kernel/owned_hint.c). */
#define ENIADDR_ANY_BITS_LOG 20
#define ENIADDR_ANY_WORDS    (1u << (ENIADDR_ANY_BITS_LOG - 6)) /* __u64 words per slot */

/* murmur3's 32-bit finaliser: every input bit reaches every output bit. */
static inline __u32 eniaddr_fmix32(__u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* A 16-byte (IPv4-mapped) address and a salt folded into one word: the four words and the salt
 * each multiplied apart (a plain xor left whole runs of consecutive addresses on the same bits).
 * The kernel side and user space share it; both read the words in the host's byte order. */
static inline __u32 eniaddr_addr_fold(const __u8 addr[16], __u32 salt)
{
	__u32 w[4];

#ifdef __bpf__
	/* every address a program hashes is 4-byte aligned (bpf/addr.h): word loads */
	__builtin_memcpy(w, __builtin_assume_aligned(addr, 4), 16);
#else
	__builtin_memcpy(w, addr, 16);
#endif
	return w[0] ^ w[1] * 0x9e3779b1u ^ w[2] * 0x85ebca77u ^ w[3] ^ salt * 0xc2b2ae3du;
}

/* The bit of a 16-byte (IPv4-mapped) address owned by ENI ifindex: the fold mixed by murmur3's
 * finaliser. */
static inline __u32 eniaddr_hint_bit(const __u8 addr[16], __u32 ifindex)
{
	return eniaddr_fmix32(eniaddr_addr_fold(addr, ifindex)) >> (32 - ENIADDR_HINT_BITS_LOG);
}

/* The same bit from the address's unsalted fold (eniaddr_addr_fold(addr, 0)): the salt xored
 * in as eniaddr_addr_fold does, so a packet that asks both hints folds its address once. */
static inline __u32 eniaddr_hint_bit_of(__u32 fold, __u32 ifindex)
{
	return eniaddr_fmix32(fold ^ ifindex * 0xc2b2ae3du) >> (32 - ENIADDR_HINT_BITS_LOG);
}

/* The bit of an address in eniaddr_any_hint, from its unsalted fold: a constant apart from the
 * owned hint's bits, so the two maps' buckets are independent, cut to the map's size. */
static inline __u32 eniaddr_any_bit_of(__u32 fold)
{
	return eniaddr_fmix32(fold ^ 0x27d4eb2fu) >> (32 - ENIADDR_ANY_BITS_LOG);
}

static inline __u32 eniaddr_any_bit(const __u8 addr[16])
{
	return eniaddr_any_bit_of(eniaddr_addr_fold(addr, 0));
}

/* eniaddr_state.uncovered of a slot whose pfx_lens are lens: IPv4 lengths shorter than
 * ENIADDR_HINT_PFX4_MIN_LEN (a list entry is 32 + 96 + the IPv4 length) and any IPv6 length. */
static inline __u8 eniaddr_pfx_uncovered(const __u8 lens[2][ENIADDR_PFX_LENS])
{
	__u8 u = lens[1][0] ? ENIADDR_UNCOVERED_V6 : 0;

	for (int i = 0; i < ENIADDR_PFX_LENS; i++)
		if (lens[0][i] && lens[0][i] < 32 + 96 + ENIADDR_HINT_PFX4_MIN_LEN)
			u |= ENIADDR_UNCOVERED_V4;
	return u;
}

/* ---- eniaddr_addrs(4) and eniaddr_pfx(4): the owners ----
 * IPv6 owners live in eniaddr_addrs / eniaddr_pfx, IPv4 owners in eniaddr_addrs4 / eniaddr_pfx4,
 * same value; an address is in the maps of its family only. */
struct eniaddr_addr_key {
	__u32 slot;
	__u8  addr[16]; /* network order; user space also holds IPv4 so, IPv4-mapped */
};

struct eniaddr_addr4_key {
	__u32 slot;
	__u8  addr[4];  /* network order */
};

/* Exact match: prefixlen = 32 (slot) + prefix length in the 128-bit mapped space, addr with the
 * bits past it cleared (the LPM key layout, so tools read it as before). */
struct eniaddr_pfx_key {
	__u32 prefixlen;
	__u32 slot;
	__u8  addr[16];
};

/* Exact match: the plain IPv4 length (28 for a /28), addr with the bits past it cleared. */
struct eniaddr_pfx4_key {
	__u16 slot;
	__u16 prefixlen;
	__u8  addr[4];
};

#define ENIADDR_ADDR_F_PRIMARY  (1u << 0)
#define ENIADDR_ADDR_F_OVERRIDE (1u << 1) /* the address carries its own groups */
#define ENIADDR_ADDR_F_PREFIX   (1u << 2) /* entry of a delegated prefix */
/* Untracked flows (REFERENCE.md §3): which of the address's policies are open, i.e. allow the
 * protocol on every port with peer 0.0.0.0/0 (::/0 for an IPv6 address). A flow is untracked
 * when the rule permitting it has that root as peer and the other direction is open; the
 * datapath finds the first half per rule (bpf/conntrack.h ct_untracked), these flags give the
 * second. Set by the compiler. */
#define ENIADDR_ADDR_F_IN_OPEN_TCP  (1u << 3)
#define ENIADDR_ADDR_F_IN_OPEN_UDP  (1u << 4)
#define ENIADDR_ADDR_F_OUT_OPEN_TCP (1u << 5)
#define ENIADDR_ADDR_F_OUT_OPEN_UDP (1u << 6)

struct eniaddr_owner {
	__u32 ifindex;    /* the ENI that owns the address */
	__u32 in_policy;  /* the ENI's, or the address's own (override) */
	__u32 out_policy;
	__u32 flags;      /* ENIADDR_ADDR_F_* */
};

/* ---- rule maps: eniaddr_src and eniaddr_l4 ----
 * A policy's rules are numbered 0..n-1 by distinct L4 selector (protocol + port or ICMP range),
 * per address family: both maps key IPv6 rules by policy | ENIADDR_POLICY_V6_BIT.
 * eniaddr_src maps (policy, source prefix) to the bits of the selectors that prefix may use;
 * eniaddr_l4 maps (policy, protocol, port) to the bits of the selectors covering it. A packet is
 * allowed when the two bit sets meet. Both values already hold the union over every covering
 * entry, so one longest-prefix lookup each suffices.
 * Every value also carries its span: lo..hi are the first and last of its nonzero words (0, 0
 * for no bits), set by the compiler. Two sets can only meet in a word inside both spans, so the
 * datapath ANDs words max(lo)..min(hi) only: a class of nearby rules (a peer's, a port's)
 * usually meets in the first word it checks, wherever its rules' bits lie. A span too narrow
 * would hide a meet (a drop, never a wrong pass); the compiler is its only writer. */
struct eniaddr_rule_bits {
	__u64 w[ENIADDR_RULE_WORDS];
	__u8  lo;     /* first word that is not 0 */
	__u8  hi;     /* last word that is not 0 */
	__u8  pad[6]; /* 0; the next entry's words stay 8-byte aligned */
};

/* LPM: prefixlen = 32 (policy) + prefix length in the 128-bit mapped space. */
struct eniaddr_src_key {
	__u32 prefixlen;
	__u32 policy;
	__u8  addr[16];
};

/* LPM: prefixlen = 32 (policy) + 8 (protocol) + port bits (0..16).
 * sel = protocol << 24 | port << 8, in network order. port is the TCP/UDP destination port,
 * ICMP/ICMPv6 type << 8 | code, and 0 for other protocols. */
struct eniaddr_l4_key {
	__u32 prefixlen;
	__u32 policy;
	__be32 sel;
};

#define ENIADDR_L4_SEL(proto, port) (((__u32)(proto) << 24) | ((__u32)(port) << 8))

/* ---- eniaddr_stats and eniaddr_stats_dev: counters per (device, direction, action, reason) ----
 * eniaddr_stats is a per-CPU ARRAY (an inlined lookup, plain increments) with one entry per
 * (device slot, direction, action); the entry holds one packets/bytes pair per reason as a NAMED
 * field, generated from ENIADDR_REASONS, so `bpftool map dump` prints reason names through BTF
 * alone. The entry's header (ifindex, dir, action; enum-typed so bpftool prints their names) is
 * written by user space on every CPU when a device gets its slot; programs only add.
 * eniaddr_stats_dev maps an ifindex to its device slot (ARRAY indexed by ifindex). Slot 0 is the
 * shared bucket of devices without a slot of their own (ifindex >= ENIADDR_STATS_MAX_IFINDEX, or
 * more than ENIADDR_STATS_DEVS - 1 devices): their packets are counted, with ifindex 0. */
#define ENIADDR_MAP_STATS_DEV   eniaddr_stats_dev  /* array: ifindex -> device slot */
#define ENIADDR_STATS_DEVS      65      /* device slots, slot 0 the shared bucket */
#define ENIADDR_STATS_MAX_IFINDEX 65536 /* ifindexes with a slot of their own */
#define ENIADDR_ACT_COUNT       4
#define ENIADDR_DIR_COUNT       2
#define ENIADDR_STATS_ENTRIES   (ENIADDR_STATS_DEVS * ENIADDR_DIR_COUNT * ENIADDR_ACT_COUNT)

/* The entry of (device slot, direction, action). */
#define ENIADDR_STATS_INDEX(dev, dir, act) \
	(((dev) * ENIADDR_DIR_COUNT + (dir)) * ENIADDR_ACT_COUNT + (act))

struct eniaddr_stat {
	__u64 packets;
	__u64 bytes;
};

#define ENIADDR_REASON_FIELD_(e, name, kind) struct eniaddr_stat name;
struct eniaddr_reason_counts {
	ENIADDR_REASONS(ENIADDR_REASON_FIELD_)
};
#undef ENIADDR_REASON_FIELD_

struct eniaddr_stats {
	__u32 ifindex;              /* 0: the shared bucket, or a slot no device holds */
	enum eniaddr_dir dir;
	enum eniaddr_action action;
	__u32 pad;
	struct eniaddr_reason_counts reason;
};

/* The name of one counter, as user space reports it (the array is read into these). */
struct eniaddr_stat_key {
	__u32 ifindex;
	__u16 reason; /* enum eniaddr_reason */
	__u8  dir;    /* enum eniaddr_dir */
	__u8  action; /* enum eniaddr_action */
};

/* ---- eniaddr_addr_drops: which owned address is hammered ----
 * Per-CPU array of buckets; each holds ENIADDR_ADDR_DROP_WAYS ways of (ENI, direction, owned
 * address) -> packets and bytes the ENI dropped (or audited) after finding the address's owner
 * (ingress: destination; egress: source). A key lives only in bucket eniaddr_addr_drop_index.
 * An address new to a full bucket replaces the way with the fewest packets once the bucket has
 * missed as many packets since its last replacement as that way holds; until then its packets
 * count in the bucket's unattributed pair, and a replaced way's counts move there too. So the
 * hammered address stays (only the way with the fewest packets is replaced), a table sprayed full
 * still takes a new hammered address, and per CPU the ways plus unattributed are exactly the
 * drops and audits at owned addresses (eniaddr_stats). No atomics: every CPU has its own. */
#define ENIADDR_MAP_ADDR_DROPS    eniaddr_addr_drops
#define ENIADDR_ADDR_DROP_WAYS    4
#define ENIADDR_ADDR_DROP_BUCKETS 3584 /* 14,336 ways of 40 B: 644 KiB per CPU (the LRU hash it
					* replaced: 16,384 x 40 B = 640 KiB) */

struct eniaddr_addr_drop_key {
	__u32 ifindex;  /* 0: an empty way */
	enum eniaddr_dir dir;
	__u8  addr[16]; /* network order, IPv4-mapped for IPv4 */
};

struct eniaddr_addr_drop {
	struct eniaddr_addr_drop_key k;
	__u64 packets;
	__u64 bytes;
};

struct eniaddr_addr_drop_bucket {
	struct eniaddr_addr_drop way[ENIADDR_ADDR_DROP_WAYS];
	struct eniaddr_stat unattributed; /* not recorded, or recorded in a way since replaced */
	__u64 misses; /* packets of addresses without a way since the last replacement */
};

/* The bucket of (ifindex, dir, addr): their fold mixed by murmur3's finaliser, scaled to the
 * bucket count (a multiply and a shift: no power of two needed). The kernel side and user space
 * share it. */
static inline __u32 eniaddr_addr_drop_index_of(const __u8 addr[16], __u32 ifindex, __u32 dir)
{
	__u32 h = eniaddr_fmix32(eniaddr_addr_fold(addr, ifindex << 1 | (dir & 1)));

	return (__u32)(((__u64)h * ENIADDR_ADDR_DROP_BUCKETS) >> 32);
}

static inline __u32 eniaddr_addr_drop_index(const struct eniaddr_addr_drop_key *k)
{
	return eniaddr_addr_drop_index_of(k->addr, k->ifindex, k->dir);
}

/* ---- drop events (opt-in): eniaddr_events, eniaddr_trace, eniaddr_trace_cpu ----
 * While `trace` runs, eniaddr_trace[0].enabled is set and every drop (and audit) matching its
 * filters becomes one event in the ring buffer, if the CPU's token bucket (rate per second,
 * burst) has a token and the ring has room; otherwise it is counted as lost in eniaddr_trace_cpu.
 * So events + lost = the drops counted for the filter. With enabled 0 a drop costs one array
 * lookup and a pass nothing. */
#define ENIADDR_MAP_EVENTS      eniaddr_events     /* ring buffer of struct eniaddr_event */
#define ENIADDR_MAP_SCRATCH     eniaddr_scratch    /* percpu array[2]: the packet being counted */
#define ENIADDR_MAP_CT_SCRATCH  eniaddr_ct_scratch /* percpu array[2]: its conntrack probe */
#define ENIADDR_MAP_TRACE       eniaddr_trace      /* array[1]: struct eniaddr_trace */
#define ENIADDR_MAP_TRACE_CPU   eniaddr_trace_cpu  /* percpu array[1]: bucket and losses */
#define ENIADDR_EVENTS_BYTES    (256 * 1024)

struct eniaddr_trace {
	__u32 enabled;     /* pid of the tracer; 0: nobody traces */
	__u32 ifindex;     /* 0: every device */
	__u64 reasons;     /* bit r: reason r is traced; 0: every reason */
	__u64 period_ns;   /* one token per period_ns per CPU (1e9 / rate); 0: unlimited */
	__u64 burst_ns;    /* bucket size, in ns of refill */
};

/* Zeroed by the tracer before it sets enabled; the bucket starts full (last_ns 0). */
struct eniaddr_trace_cpu {
	__u64 tokens_ns;   /* bucket level, in ns of refill */
	__u64 last_ns;
	__u64 sent;        /* events written */
	__u64 lost_rate;   /* not written: no token */
	__u64 lost_full;   /* not written: the ring was full */
};

/* What a verdict's counting knows of its packet: the programs keep one per CPU while judging
 * (eniaddr_scratch), and a drop event carries it as is. */
struct eniaddr_pkt {
	__u8  saddr[16];
	__u8  daddr[16];
	__u16 sport;         /* host order; 0 when not read */
	__u16 port;          /* TCP/UDP destination port, ICMP type << 8 | code, else 0 */
	__u8  proto;
	__u8  v6;
	__u8  icmp_type;
	__u8  icmp_code;
	__u32 owner_ifindex; /* the ENI owning the address (dst in, src out); 0: not owned */
	__u32 policy;        /* the policy that judged it; ENIADDR_POLICY_NONE when none did */
};

struct eniaddr_event {
	__u64 time_ns;     /* bpf_ktime_get_ns() */
	__u32 ifindex;
	__u32 len;         /* bytes of the packet */
	__u16 reason;      /* enum eniaddr_reason */
	__u8  dir;         /* enum eniaddr_dir */
	__u8  action;      /* enum eniaddr_action */
	struct eniaddr_pkt pkt;
};

/* ---- eniaddr_frags: first fragments that were allowed ---- */
struct eniaddr_frag_key {
	__u32 ifindex;
	__u32 id;      /* IPv4 id (16 bits) or IPv6 fragment id */
	__u8  proto;
	__u8  pad[3];
	__u8  saddr[16];
	__u8  daddr[16];
};

struct eniaddr_frag {
	__u64 expires_ns; /* bpf_ktime_get_ns() deadline */
	__u16 reason;     /* verdict of the first fragment, reused by the rest */
	__u16 pad[3];
};

/* ---- eniaddr_ct(4) and eniaddr_ct(4)_new: connection tracking shared by ingress and egress ----
 * One entry per flow, for both directions: the key holds the flow's two endpoints (address,
 * port) in a fixed order, the lower first (addresses compared as 128-bit big-endian numbers,
 * then ports), so a packet and its reply find the entry with one lookup; init_hi in the value
 * says which endpoint sent the first packet (the initiator).
 * Each family has its own pair of tables: IPv6 flows in eniaddr_ct / eniaddr_ct_new keyed by
 * struct eniaddr_ct_key (44 bytes), IPv4 flows in eniaddr_ct4 / eniaddr_ct4_new keyed by
 * struct eniaddr_ct4_key (20 bytes: the same fields with 4-byte addresses, so the same order),
 * because hashing the key is a good part of a tracked packet's cost (issue 9: 44 B costs about
 * three times 8 B). One value layout, struct eniaddr_ct, in all four.
 * ifindex is the ENI that owns the local address of the flow (the ENI the first packet arrived
 * on, or the ENI that owns its source when it left), so one interface never plants state for
 * another.
 * Ports: TCP/UDP ports; ICMP/ICMPv6 echo: the requester's port is the identifier, the
 * responder's 0 (request and reply name the same endpoints); other protocols 0 and 0.
 *
 * Two tables per family. A flow starts *unconfirmed* in eniaddr_ct(4)_new (an LRU hash:
 * a flood of flows nobody answers only evicts its own kind) and moves to eniaddr_ct(4), the
 * *confirmed* table (a plain hash that never evicts), when the other side answers: TCP once the
 * handshake completes (or, for a flow picked up mid-stream, on the first reply that is not a
 * RST), other protocols on the first reply. A full confirmed table refuses the move (CT_FULL):
 * the new flow's packet drops, established flows keep their state, as AWS's tracking
 * allowance does. Entries seeded by user space (sock_diag) go straight to the confirmed table
 * of their family. The sizes (ENIADDR_MAX_CT, ENIADDR_MAX_CT_NEW) are each table's: each family
 * has room for that many flows of its own, and a flood of one family never fills the other's.
 *
 * Expiry is decided by the programs with eniaddr_ct_expired() below (bpf_ktime_get_coarse_ns(),
 * i.e. CLOCK_MONOTONIC_COARSE, for every timestamp here): an expired entry counts as absent. The
 * user-space sweep (loader/kernel/ct_gc.c) deletes expired entries of the four tables whose
 * last_seen_ns did not change since it read them. */
struct eniaddr_ct_key {
	__u32 ifindex;
	__u8  proto;
	__u8  pad[3];
	__be16 port_lo;    /* of addr_lo */
	__be16 port_hi;    /* of addr_hi */
	__u8  addr_lo[16]; /* the endpoint that sorts first */
	__u8  addr_hi[16];
};

/* The key of an IPv4 flow (eniaddr_ct4, eniaddr_ct4_new): eniaddr_ct_key with the addresses'
 * last four bytes, in the same order (an IPv4-mapped address sorts by them). */
struct eniaddr_ct4_key {
	__u32 ifindex;
	__u8  proto;
	__u8  pad[3];
	__be16 port_lo;    /* of addr_lo */
	__be16 port_hi;    /* of addr_hi */
	__be32 addr_lo;    /* the endpoint that sorts first */
	__be32 addr_hi;
};

enum eniaddr_ct_state ENIADDR_ENUM8 {
	ENIADDR_CT_NEW         = 0, /* first packet seen, no reply yet (TCP: SYN sent) */
	ENIADDR_CT_SYN_RECV    = 1, /* TCP: SYN-ACK seen */
	ENIADDR_CT_ESTABLISHED = 2, /* TCP: handshake done; others: a reply seen */
	ENIADDR_CT_STREAM      = 3, /* UDP: a second exchange seen (orig, reply, orig, reply) */
	ENIADDR_CT_CLOSING     = 4, /* TCP: FIN seen in one direction (half closed) */
	ENIADDR_CT_CLOSED      = 5, /* TCP: RST seen, or FIN in both directions */
	ENIADDR_CT_STATE_COUNT
};

/* Indexes of the per-direction TCP fields: the initiator's, the responder's. */
#define ENIADDR_CT_ORIG  0
#define ENIADDR_CT_REPLY 1

struct eniaddr_ct {
	__u64 created_ns;   /* of the first packet */
	__u64 last_seen_ns; /* of the last refresh (at most 1 s apart while packets flow: the
			     * expiry is coarse, bpf/conntrack.h); the GC compares it first */
	__u64 expires_ns;   /* last_seen_ns + the timeout of the state + 1 s of slack */
	__u64 closed_ns;    /* TCP: closing deadline, written only by the packet that closed the
			     * flow (RST, second FIN), so no racing packet can extend it; 0: open */
	__u64 stamp;        /* generation << 3 | slot << 2 | transit << 1 | local side: when the
			     * flow's local address was last found its ENI's (bpf/conntrack.h,
			     * "ownership stamp"); 0: never (seeded, unconfirmed) */
	__u32 flags;        /* ENIADDR_CT_F_*, only ever set, with an atomic or */
	ENIADDR_ENUM8_FIELD(eniaddr_ct_state) state;
	__u8  origin;       /* enum eniaddr_dir of the first packet */
	__u8  init_hi;      /* 1: the hi endpoint of the key sent the first packet, 0: lo */
	__u8  pad;
	/* TCP sequence window, per direction (ENIADDR_CT_ORIG/REPLY), for the RST check: */
	__u32 seq_end[2];   /* sequence number after the furthest byte (SYN, FIN count) sent */
	__u32 ack[2];       /* the last acknowledgement number sent */
	__u16 win[2];       /* the last window field sent (unscaled) */
	__u32 pad2;
};

/* ---- eniaddr_ct_maybe: may a flow exist in any conntrack table? One bit per key ----
 * A Bloom filter with one hash, in two halves of ENIADDR_CT_MAYBE_WORDS words each (word w of
 * half h at h * ENIADDR_CT_MAYBE_WORDS + w) and, at ENIADDR_CT_MAYBE_HALF, the index of the
 * current half. Invariant: every key in any of the four tables has its bit set in the current
 * half. So a packet whose bit is clear belongs to no flow and skips both table lookups (issue 9:
 * a packet of no flow asked two hash tables and missed both); a set bit only means "look".
 * Whoever inserts a flow (the programs' ct_start and ct_confirm, user space's seeding through
 * ct_tables.c) first sets the key's bit in both halves, with an atomic or, then inserts. Bits
 * are never cleared one by one: user space rebuilds the non-current half from the tables and
 * flips the index (loader/kernel/ct_maybe.c says why no flow is ever lost on the way).
 * A wrong set bit costs the lookups of today, never a wrong verdict; a full filter (every bit
 * set) is conntrack as it was. Mmapable: user space sets bits with atomics and clears a half
 * with stores, never with read-modify-write syscalls that could lose a program's bit. */
#define ENIADDR_CT_MAYBE_BITS_LOG 20
#define ENIADDR_CT_MAYBE_WORDS    (1u << (ENIADDR_CT_MAYBE_BITS_LOG - 6)) /* __u64 per half */
#define ENIADDR_CT_MAYBE_HALF     (2 * ENIADDR_CT_MAYBE_WORDS) /* the current half: 0 or 1 */
#define ENIADDR_CT_MAYBE_ENTRIES  (2 * ENIADDR_CT_MAYBE_WORDS + 1)

/* h mixed (eniaddr_fmix32), cut to a bit number of a half. */
static inline __u32 eniaddr_ct_maybe_fmix(__u32 h)
{
	return eniaddr_fmix32(h) >> (32 - ENIADDR_CT_MAYBE_BITS_LOG);
}

/* The words of flow key k as w: in BPF straight from the key (a copy would cost the judges'
 * full stack), in user space through a copy (no type punning). Host byte order on both sides. */
#ifdef __bpf__
#define ENIADDR_CT_KEY_WORDS(w, k) const __u32 *w = (const __u32 *)(k)
#else
#define ENIADDR_CT_KEY_WORDS(w, k)                                                             \
	__u32 w[sizeof(*(k)) / 4];                                                             \
	__builtin_memcpy(w, (k), sizeof(w))
#endif

/* Five words, each times its own odd constant (independent multiplies, no chain), folded. */
static inline __u32 eniaddr_ct_maybe_fold5(const __u32 *w)
{
	return w[0] * 0xc2b2ae3du ^ w[1] * 0x27d4eb2fu ^ w[2] * 0x9e3779b1u ^
	       w[3] * 0x85ebca77u ^ w[4];
}

/* The bit of an IPv4 flow key (eniaddr_ct4*), kernel and user space alike. */
static inline __u32 eniaddr_ct4_maybe_bit(const struct eniaddr_ct4_key *k)
{
	ENIADDR_CT_KEY_WORDS(w, k);

	return eniaddr_ct_maybe_fmix(eniaddr_ct_maybe_fold5(w) ^ 4u);
}

/* The bit of an IPv6 flow key (eniaddr_ct*): its eleven words, the same way. */
static inline __u32 eniaddr_ct6_maybe_bit(const struct eniaddr_ct_key *k)
{
	ENIADDR_CT_KEY_WORDS(w, k);

	return eniaddr_ct_maybe_fmix(eniaddr_ct_maybe_fold5(w) ^
				     eniaddr_ct_maybe_fold5(w + 5) * 0x165667b1u ^
				     w[10] * 0x7feb352du ^ 6u);
}

/* One packet's way through connection tracking (bpf/conntrack.h, struct ct_probe), kept per CPU
 * in eniaddr_ct_scratch ([0] ingress, [1] egress) because the judges' stack is full. Programs
 * only; user space never reads it. */
struct eniaddr_ct_probe {
	struct eniaddr_ct_key k; /* the packet's flow key, once keyed: IPv6 */
	struct eniaddr_ct4_key k4; /* the same, IPv4 */
	__u8  v4;                /* the flow is IPv4: k4 is its key, eniaddr_ct4* its tables */
	__u8  dir;               /* ENIADDR_DIR_* of the packet */
	__u8  src_hi;            /* the packet's source is the key's addr_hi */
	__u8  keyed;             /* v4, k or k4, and src_hi are the packet's */
	__u8  confirmed_missed;  /* the confirmed table has no such flow (asked already) */
	__u8  absent;            /* no table has it: eniaddr_ct_maybe's bit is clear */
	__u8  pad0[2];
	__u64 base;              /* the stamps' generation part; 0: no stamps */
	__u8  transit;           /* the stamp the shortcut matched says transit */
	__u8  pad[3];
	__u32 maybe_bit;         /* the key's bit in eniaddr_ct_maybe, once keyed */
	struct eniaddr_ct fresh; /* the entry a flow this packet starts or confirms gets */
};

#define ENIADDR_CT_F_FIN_ORIG    (1u << 0) /* TCP: the initiator sent FIN */
#define ENIADDR_CT_F_FIN_REPLY   (1u << 1) /* TCP: the responder sent FIN */
#define ENIADDR_CT_F_REPLIED     (1u << 2) /* a packet in the reply direction was seen */
#define ENIADDR_CT_F_ORIG_AGAIN  (1u << 3) /* UDP: the initiator sent again after a reply */
#define ENIADDR_CT_F_RST         (1u << 4) /* TCP: an in-window RST was seen */
#define ENIADDR_CT_F_SEQ_ORIG    (1u << 5) /* seq_end[ORIG] is known */
#define ENIADDR_CT_F_SEQ_REPLY   (1u << 6) /* seq_end[REPLY] is known */
#define ENIADDR_CT_F_ACK_ORIG    (1u << 7) /* ack[ORIG] and win[ORIG] are known */
#define ENIADDR_CT_F_ACK_REPLY   (1u << 8) /* ack[REPLY] and win[REPLY] are known */
#define ENIADDR_CT_F_FIN_BOTH    (ENIADDR_CT_F_FIN_ORIG | ENIADDR_CT_F_FIN_REPLY)

/* A TCP flow is closed once a RST or both FINs were seen, whatever a racing writer left in
 * state: the flags only grow (atomic or). */
static inline int eniaddr_ct_closed(const struct eniaddr_ct *v)
{
	__u32 f = v->flags;

	return (f & ENIADDR_CT_F_RST) || (f & ENIADDR_CT_F_FIN_BOTH) == ENIADDR_CT_F_FIN_BOTH;
}

/* The one expiry rule of both tables, for the programs and the sweep alike. */
static inline int eniaddr_ct_expired(const struct eniaddr_ct *v, __u64 now_ns)
{
	if (now_ns >= v->expires_ns)
		return 1;
	return v->closed_ns && now_ns >= v->closed_ns;
}

/* ---- eniaddr_attach: what `attach` created, so `detach` removes exactly that ---- */
enum eniaddr_attach_mode {
	ENIADDR_ATTACH_NONE    = 0,
	ENIADDR_ATTACH_NATIVE  = 1, /* XDP in the driver */
	ENIADDR_ATTACH_GENERIC = 2, /* XDP in the stack (skb mode) */
	ENIADDR_ATTACH_TC      = 3, /* tc clsact ingress */
};

struct eniaddr_attach {
	enum eniaddr_attach_mode mode; /* of the ingress program */
	__u32 created_clsact; /* 1 when attach created the clsact qdisc */
	__u32 tc_in_handle;   /* 0 when no tc ingress filter */
	__u32 tc_in_prio;
	__u32 tc_out_handle;  /* 0 when no tc egress filter */
	__u32 tc_out_prio;
	__u32 flags;          /* ENIADDR_ATTACH_F_* */
};

/* ---- the rule tables the datapath reads: eniaddr_policies, eniaddr_trie, eniaddr_bits ----
 * Flat in the number of rules: the compiler turns a policy's IPv4 peer prefixes and its
 * (protocol, port) intervals (the eniaddr_src / eniaddr_l4 entries above, which stay the
 * reference and serve IPv6 peers) into multibit tries of stride 8, leaf-pushed, so a lookup is a
 * fixed number of array reads whatever the rules: 4 for an IPv4 peer (one per address byte), 3 for
 * (protocol, port high byte, port low byte). A leaf names an entry of eniaddr_bits: the rule bits
 * of that class of peers or ports (identical bit sets are stored once per slot).
 * All three are arrays; slot s uses indexes [s * half, (s + 1) * half) of each, so a publish fills
 * the inactive half and the slot switch makes it live. Index 0 of each half is never used. */
#define ENIADDR_MAP_POLICIES eniaddr_policies /* array: (slot, policy id) -> trie roots */
#define ENIADDR_MAP_TRIE     eniaddr_trie     /* array: node -> 256 entries */
#define ENIADDR_MAP_BITS     eniaddr_bits     /* array: class -> rule bits */

#define ENIADDR_MAX_POLICIES    4096   /* per slot: policy ids 1..4095 */
#define ENIADDR_MAX_TRIE_NODES  16384  /* both slots (1 KiB each, preallocated: 16 MiB) */
#define ENIADDR_MAX_BITS        65536  /* both slots (136 B each: 8.5 MiB) */
#define ENIADDR_POLICY_ID_MASK  0xffffu /* policy id without the slot and family bits */

/* A trie entry: 0 = no rule covers this part of the space; ENIADDR_TRIE_CHILD | n = look the next
 * key byte up in node n; anything else = the eniaddr_bits index of the class. Roots are entries
 * too (0: the policy has no rules of that kind). */
#define ENIADDR_TRIE_CHILD 0x80000000u

struct eniaddr_trie_node {
	__u32 e[256];
};

/* Index slot * ENIADDR_MAX_POLICIES + (policy id & ENIADDR_POLICY_ID_MASK). */
struct eniaddr_policy {
	__u32 v4_root;    /* IPv4 peer: key = the 4 address bytes */
	__u32 l4_root[2]; /* [0] IPv4 rules, [1] IPv6 rules: key = protocol, port >> 8, port & 255 */
	__u32 pad;
};

/* IP frames drop while the device has no configuration (attach --unconfigured drop). */
#define ENIADDR_ATTACH_F_UNCONFIGURED_DROP (1u << 0)

#ifndef __cplusplus
_Static_assert(sizeof(struct eniaddr_state) == 32, "eniaddr_state layout");
_Static_assert(sizeof(struct eniaddr_eni_key) == 8, "eniaddr_eni_key layout");
_Static_assert(sizeof(struct eniaddr_eni) == 52, "eniaddr_eni layout");
_Static_assert(sizeof(struct eniaddr_eni_index) == 4, "eniaddr_eni_index layout");
_Static_assert(sizeof(struct eniaddr_eni_row) == 56, "eniaddr_eni_row layout");
_Static_assert(ENIADDR_MAX_ENIS < 256, "eniaddr_eni_index rows fit a byte");
_Static_assert(sizeof(struct eniaddr_addr_key) == 20, "eniaddr_addr_key layout");
_Static_assert(sizeof(struct eniaddr_pfx_key) == 24, "eniaddr_pfx_key layout");
_Static_assert(sizeof(struct eniaddr_addr4_key) == 8, "eniaddr_addr4_key layout");
_Static_assert(sizeof(struct eniaddr_pfx4_key) == 8, "eniaddr_pfx4_key layout");
_Static_assert(sizeof(struct eniaddr_owner) == 16, "eniaddr_owner layout");
_Static_assert(sizeof(struct eniaddr_rule_bits) == 136, "eniaddr_rule_bits layout");
_Static_assert(ENIADDR_RULE_WORDS <= 256 && !(ENIADDR_RULE_WORDS & (ENIADDR_RULE_WORDS - 1)),
	       "a span fits a byte; a word index is masked into range");
_Static_assert(sizeof(struct eniaddr_src_key) == 24, "eniaddr_src_key layout");
_Static_assert(sizeof(struct eniaddr_l4_key) == 12, "eniaddr_l4_key layout");
_Static_assert(sizeof(struct eniaddr_stat_key) == 8, "eniaddr_stat_key layout");
_Static_assert(sizeof(struct eniaddr_stat) == 16, "eniaddr_stat layout");
_Static_assert(sizeof(struct eniaddr_stats) == 16 + 16 * ENIADDR_R_COUNT, "eniaddr_stats layout");
_Static_assert(sizeof(struct eniaddr_addr_drop_key) == 24, "eniaddr_addr_drop_key layout");
_Static_assert(sizeof(struct eniaddr_addr_drop) == 40, "eniaddr_addr_drop layout");
_Static_assert(sizeof(struct eniaddr_addr_drop_bucket) == 184, "eniaddr_addr_drop_bucket layout");
_Static_assert(sizeof(struct eniaddr_trace) == 32, "eniaddr_trace layout");
_Static_assert(sizeof(struct eniaddr_trace_cpu) == 40, "eniaddr_trace_cpu layout");
_Static_assert(sizeof(struct eniaddr_pkt) == 48, "eniaddr_pkt layout");
_Static_assert(sizeof(struct eniaddr_event) == 72, "eniaddr_event layout");
_Static_assert(sizeof(struct eniaddr_frag_key) == 44, "eniaddr_frag_key layout");
_Static_assert(sizeof(struct eniaddr_frag) == 16, "eniaddr_frag layout");
_Static_assert(sizeof(struct eniaddr_attach) == 28, "eniaddr_attach layout");
_Static_assert(sizeof(struct eniaddr_ct_key) == 44, "eniaddr_ct_key layout");
_Static_assert(sizeof(struct eniaddr_ct4_key) == 20, "eniaddr_ct4_key layout");
_Static_assert(sizeof(struct eniaddr_ct) == 72, "eniaddr_ct layout");
_Static_assert(sizeof(struct eniaddr_trie_node) == 1024, "eniaddr_trie_node layout");
_Static_assert(sizeof(struct eniaddr_policy) == 16, "eniaddr_policy layout");
_Static_assert(ENIADDR_R_COUNT < 256, "reasons fit the stat key");
#endif


/* ---- eniaddr_nexthop: where tc_egress sends a packet it redirects (issue 4) ----
 * Appended after the original layouts; they are unchanged.
 * A packet leaving ENI X with a source owned by ENI Y goes out of Y (bpf_redirect_neigh). Its
 * next hop on Y's link: the destination itself when it lies in Y's subnet of its family, else
 * Y's router, learned from the instance's routes (loader/source/routes.h; on AWS the IPv6
 * router is link-local). bpf_redirect_neigh resolves it on Y, so a link-local router needs no
 * more than the ifindex of the key. One entry per (slot, ENI, family) with a subnet; without
 * one the kernel's route lookup on Y decides. */
#define ENIADDR_MAP_NEXTHOP eniaddr_nexthop /* hash: (slot, ifindex, family) -> subnet, router */
#define ENIADDR_MAX_NEXTHOPS (ENIADDR_MAX_ENIS * 2 * 2) /* ENIs x families x slots */

#define ENIADDR_AF_INET  2  /* AF_INET, as bpf_redir_neigh.nh_family wants it */
#define ENIADDR_AF_INET6 10 /* AF_INET6 */

struct eniaddr_nexthop_key {
	__u32 slot;
	__u32 ifindex; /* the owning ENI, the device the packet is redirected to */
	__u32 family;  /* ENIADDR_AF_INET or ENIADDR_AF_INET6 */
};

/* Where the router of an eniaddr_nexthop entry came from. A redirect through a GUESS router is
 * counted as REDIRECT_GUESS instead of REDIRECT, so guessing shows in the metrics. */
enum eniaddr_nh_origin {
	ENIADDR_NH_GUESS  = 0, /* the subnet's base + 1: nothing better was known */
	ENIADDR_NH_ROUTE  = 1, /* the default route on the ENI's interface (any table) */
	ENIADDR_NH_NEIGH  = 2, /* a router in the IPv6 neighbour table of the interface */
	ENIADDR_NH_CONFIG = 3, /* "router" / "router6" of the native configuration */
};

struct eniaddr_nexthop {
	__u8  subnet[16];  /* network order, IPv4-mapped, host bits clear */
	__u8  mask[16];    /* the subnet's mask in the same 128-bit space */
	__u8  gateway[16]; /* the ENI's router (IPv6: often link-local, valid on ifindex's link) */
	__u32 plen;        /* prefix length in the mapped space (IPv4 /24 = 120), for status */
	enum eniaddr_nh_origin origin; /* where the loader found the router */
	__be32 vpc_dns;    /* IPv4 entry: the Amazon DNS resolver of the ENI's VPC (its primary
			    * CIDR's base + 2), exempt like 169.254.169.253 (failsafe.h); 0 when
			    * no source knew the VPC. Always 0 in the IPv6 entry. */
};

#ifndef __cplusplus
_Static_assert(sizeof(struct eniaddr_nexthop_key) == 12, "eniaddr_nexthop_key layout");
_Static_assert(sizeof(struct eniaddr_nexthop) == 60, "eniaddr_nexthop layout");
#endif

/* ---- explain: what a dry run of the programs reports (.bss of the explain load only) ---- */
struct eniaddr_explain {
	__u32 runs;        /* decisions recorded (1 after one test run) */
	__u16 reason;
	__u8  dir;
	__u8  action;
	__u32 owner_ifindex; /* 0: no owner found */
	__u32 policy;      /* the policy the rules were read from; 0 when none */
	__u8  ct_hit;      /* a live conntrack entry matched */
	__u8  ct_would_create;
	__u8  rules_checked;
	__u8  pad;
	struct eniaddr_ct_key ct_key; /* the entry looked up (hit or would create) */
	struct eniaddr_ct ct;         /* the entry hit, as it was */
	struct eniaddr_rule_bits src_bits, l4_bits; /* the two rule lookups */
};


/* ---- eniaddr_ctl: what the CLI keeps between runs; no program reads it ----
 * A bpffs holds only BPF objects, so the records user space must find again live in a map
 * pinned with the others (and go with the last detach): the management guards no policy can
 * remove (attach/apply/sync --guard), a publish waiting for `confirm` (apply/sync --confirm),
 * and the warnings of the last publish, for `status`. */
#define ENIADDR_MAP_CTL    eniaddr_ctl    /* array[1]: guards, pending confirm, notes */
#define ENIADDR_MAX_GUARDS 8
#define ENIADDR_MAX_NOTES  8
#define ENIADDR_NOTE_LEN   256

struct eniaddr_guard {
	__u8  addr[16]; /* network order, IPv4-mapped, host bits clear */
	__u8  plen;     /* in the mapped space (IPv4 /24 = 120) */
	__u8  pad;
	__u16 port;     /* host order: TCP port; 0: every protocol and port */
};

struct eniaddr_ctl {
	__u64 confirm_deadline_ns;  /* CLOCK_BOOTTIME; 0: no publish waits for confirm */
	__u64 confirm_generation;   /* the generation that is reverted unless confirmed */
	__u32 confirm_revert_slot;  /* the previous slot, kept for the revert */
	__u32 confirm_watchdog_pid; /* the process that reverts at the deadline; 0: none */
	__u32 n_guards;
	__u32 n_notes;
	struct eniaddr_guard guards[ENIADDR_MAX_GUARDS];
	char  notes[ENIADDR_MAX_NOTES][ENIADDR_NOTE_LEN];
};

#ifndef __cplusplus
_Static_assert(sizeof(struct eniaddr_guard) == 20, "eniaddr_guard layout");
_Static_assert(sizeof(struct eniaddr_ctl) == 32 + 20 * ENIADDR_MAX_GUARDS +
	       ENIADDR_MAX_NOTES * ENIADDR_NOTE_LEN, "eniaddr_ctl layout");
#endif

#endif /* ENIADDR_MAPS_H */
