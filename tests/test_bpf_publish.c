// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/test_bpf_publish.c — the loader runtime against the real kernel (root): the object is
 * loaded and pinned into a private bpffs mounted on a temp dir, configurations built by hand
 * (struct compiled, no compiler involved) are published into its maps, and the maps are read
 * back entry by entry. Also attach/detach on a veth pair in a private network namespace, and the
 * last unload leaving no pin behind. The bpffs is unmounted and removed at teardown, also when a
 * test failed.
 *
 * The tests run in order and build on each other: load -> publish A (slot 0) -> publish B
 * (slot 1) -> failing publishes keep B -> crash leftovers are cleared -> prefix lengths -> each
 * family's owners in its own maps -> attach/detach -> unload.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <signal.h>
#include <linux/if_link.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "addr.h"
#include "bpf_fixture.h"
#include "kernel/attach.h"
#include "kernel/ct_maybe.h"
#include "compile/compile.h"
#include "eniaddr.skel.h"
#include "log.h"
#include "netns.h"
#include "kernel/pins.h"
#include "kernel/eni_rows.h"
#include "kernel/owner_maps.h"
#include "kernel/publish.h"
#include "kernel/published.h"
#include "kernel/runtime.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct {
	char tmp[64];          /* /tmp/eniaddr-publish-XXXXXX */
	char bpffs[128];       /* tmp/bpf, the private bpffs */
	bool mounted;
	struct pins pins;
	struct map_fds maps;
	struct compiled live;  /* what the maps should hold: the last successful publish */
	__u8 old_lens[2][ENIADDR_PFX_LENS]; /* the prefix lengths of the publish before it */
	__u8 old_uncovered;    /* and its uncovered flags */
	__u64 generation;
	struct netns ns;       /* veth pairs a0-a1 and b0-b1 for attach/detach */
} fx = { .ns = { .fd = -1 } };

/* ---- building configurations by hand ---- */

static __u32 pol(unsigned int slot, __u32 id)
{
	return slot ? id | ENIADDR_POLICY_SLOT_BIT : id;
}

static void add_eni(struct compiled *c, __u32 ifindex, __u32 in, __u32 out, __u8 mode)
{
	struct compiled_eni *x = VEC_PUSH(&c->enis);

	assert_non_null(x);
	x->k = (struct eniaddr_eni_key){ .slot = c->slot, .ifindex = ifindex };
	x->v.in_policy = pol(c->slot, in);
	x->v.out_policy = pol(c->slot, out);
	x->v.mode = mode;
	x->v.in_rules = 3;
	x->v.out_rules = 1;
	x->v.flags = ENIADDR_ENI_F_SRC_CHECK;
	x->v.timeouts.tcp_established = 432000;
}

static void add_addr(struct compiled *c, const char *ip, __u32 ifindex, __u32 in, __u32 out)
{
	struct compiled_addr *x = VEC_PUSH(&c->addrs);

	assert_non_null(x);
	x->k.slot = c->slot;
	assert_int_equal(ip_addr_parse(ip, x->k.addr), 0);
	x->v = (struct eniaddr_owner){ ifindex, pol(c->slot, in), pol(c->slot, out), 0 };
}

static void add_pfx(struct compiled *c, const char *cidr, __u32 ifindex, __u32 in, __u32 out)
{
	struct compiled_pfx *x = VEC_PUSH(&c->pfxs);
	struct ip_prefix p;

	assert_non_null(x);
	assert_int_equal(ip_prefix_parse(cidr, &p), 0);
	x->k.prefixlen = 32 + p.plen;
	x->k.slot = c->slot;
	memcpy(x->k.addr, p.addr, 16);
	x->v = (struct eniaddr_owner){ ifindex, pol(c->slot, in), pol(c->slot, out),
				       ENIADDR_ADDR_F_PREFIX };
}

static void add_src(struct compiled *c, __u32 policy, const char *cidr, __u64 bits)
{
	struct compiled_src *x = VEC_PUSH(&c->srcs);
	struct ip_prefix p;

	assert_non_null(x);
	assert_int_equal(ip_prefix_parse(cidr, &p), 0);
	x->k.prefixlen = 32 + p.plen;
	x->k.policy = pol(c->slot, policy);
	memcpy(x->k.addr, p.addr, 16);
	x->v.w[0] = bits;
}

static void add_l4(struct compiled *c, __u32 policy, int proto, int port, int port_bits,
		   __u64 bits)
{
	struct compiled_l4 *x = VEC_PUSH(&c->l4s);

	assert_non_null(x);
	x->k.prefixlen = 32 + 8 + port_bits;
	x->k.policy = pol(c->slot, policy);
	x->k.sel = htonl(ENIADDR_L4_SEL(proto, port));
	x->v.w[0] = bits;
}

static void add_nexthop(struct compiled *c, __u32 ifindex, const char *subnet, const char *gw)
{
	struct compiled_nexthop *x = VEC_PUSH(&c->nexthops);
	struct ip_prefix p;

	assert_non_null(x);
	assert_int_equal(ip_prefix_parse(subnet, &p), 0);
	x->k = (struct eniaddr_nexthop_key){ c->slot, ifindex,
					     ip_prefix_is_v4(&p) ? ENIADDR_AF_INET : ENIADDR_AF_INET6 };
	memcpy(x->v.subnet, p.addr, 16);
	x->v.plen = p.plen;
	assert_int_equal(ip_addr_parse(gw, x->v.gateway), 0);
}

/* Configuration A: two ENIs, v4 and v6 addresses, a delegated prefix, two policies. */
static void build_a(struct compiled *c, unsigned int slot)
{
	memset(c, 0, sizeof(*c));
	c->slot = slot;
	add_eni(c, 11, 1, 2, ENIADDR_MODE_ENFORCE);
	add_eni(c, 12, 1, 2, ENIADDR_MODE_AUDIT);
	add_addr(c, "10.0.1.10", 11, 1, 2);
	add_addr(c, "2001:db8:1::10", 11, 1, 2);
	add_addr(c, "10.0.2.20", 12, 1, 2);
	add_pfx(c, "10.0.1.32/28", 11, 1, 2);
	add_src(c, 1, "0.0.0.0/0", 0x1);
	add_src(c, 1, "192.0.2.0/24", 0x3);
	add_l4(c, 1, 6, 443, 16, 0x1);
	add_l4(c, 1, 6, 8000, 13, 0x2);
	add_nexthop(c, 11, "10.0.1.0/24", "10.0.1.1");
	add_nexthop(c, 11, "2001:db8:1::/64", "2001:db8:1::1");
}

/* Configuration B: one ENI, other addresses and rules, and an interface whose ifindex is past
 * eniaddr_eni_index (packets find it through eniaddr_eni_index_big). */
#define BIG_IFINDEX (ENIADDR_ENI_INDEX_MAX + 5)
static void build_b(struct compiled *c, unsigned int slot)
{
	memset(c, 0, sizeof(*c));
	c->slot = slot;
	add_eni(c, 21, 1, 1, ENIADDR_MODE_ENFORCE);
	add_eni(c, BIG_IFINDEX, 1, 1, ENIADDR_MODE_AUDIT);
	add_addr(c, "10.9.0.1", 21, 1, 1);
	add_pfx(c, "2001:db8:9:0:1::/80", 21, 1, 1);
	add_src(c, 1, "::/0", 0x1);
	add_l4(c, 1, 17, 53, 16, 0x1);
}

/* ---- reading the maps back ---- */

static struct eniaddr_state read_state(void)
{
	struct eniaddr_state st;
	__u32 key = 0;

	assert_int_equal(bpf_map_lookup_elem(fx.maps.state, &key, &st), 0);
	return st;
}

/* The slot expect_exactly looks at (its keys' slot by slot_of); the other slot's entries are
 * the generation before last, kept for the next publish to update by difference. */
static unsigned int checked_slot;
static unsigned int (*slot_of)(const void *key);

/*
 * Slot checked_slot of the map holds exactly the n entries at base (stride bytes apart, value
 * at val_off): every key of that slot is one of them, the counts match, and each key's value is
 * the expected one.
 */
static void expect_exactly(int fd, const char *name, const void *base, size_t n, size_t stride,
			   size_t key_size, size_t val_off, size_t val_size)
{
	unsigned char key[64], prev[64], val[256];
	const unsigned char *ents = base;
	bool first = true;
	size_t found = 0, i;

	while (!bpf_map_get_next_key(fd, first ? NULL : prev, key)) {
		memcpy(prev, key, key_size);
		first = false;
		if (slot_of && slot_of(key) != checked_slot)
			continue;
		for (i = 0; i < n; i++)
			if (!memcmp(ents + i * stride, key, key_size))
				break;
		if (i == n)
			fail_msg("%s holds a key that was not published", name);
		assert_int_equal(bpf_map_lookup_elem(fd, key, val), 0);
		if (memcmp(val, ents + i * stride + val_off, val_size))
			fail_msg("%s: entry %zu has another value", name, i);
		found++;
	}
	assert_int_equal(errno, ENOENT);
	if (found != n)
		fail_msg("%s holds %zu entries, want %zu", name, found, n);
}

#define EXPECT_VEC(fd, name, vec, type)                                                        \
	expect_exactly(fd, name, (vec).v, (vec).n, sizeof(type), sizeof(((type *)0)->k),        \
		       offsetof(type, v), sizeof(((type *)0)->v))

/* Slot c->slot of every map holds exactly c. */
static void expect_maps_hold(const struct compiled *c)
{
	struct owner_split split = {};
	struct compiled_src read[64];
	size_t n_read = 0;

	checked_slot = c->slot;
	slot_of = publish_slot_of_eni;
	EXPECT_VEC(fx.maps.enis, "eniaddr_enis", c->enis, struct compiled_eni);
	/* owners in the maps of their family (test_owners_by_family proves the split itself) */
	assert_int_equal(owner_split(c, &split), 0);
	slot_of = publish_slot_of_addr4;
	EXPECT_VEC(fx.maps.addrs4, "eniaddr_addrs4", split.addrs4, struct owner_addr4);
	slot_of = publish_slot_of_addr;
	EXPECT_VEC(fx.maps.addrs, "eniaddr_addrs", split.addrs6, struct compiled_addr);
	slot_of = publish_slot_of_pfx4;
	EXPECT_VEC(fx.maps.pfx4, "eniaddr_pfx4", split.pfxs4, struct owner_pfx4);
	slot_of = publish_slot_of_pfx;
	EXPECT_VEC(fx.maps.pfx, "eniaddr_pfx", split.pfxs6, struct compiled_pfx);
	owner_split_free(&split);

	/* Only the src entries a program reads (IPv6 peers, each family's root); no l4 ones:
	 * packets reach the rest through the tables. */
	for (size_t i = 0; i < c->srcs.n; i++)
		if (compiled_src_published(&c->srcs.v[i])) {
			assert_true(n_read < sizeof(read) / sizeof(read[0]));
			read[n_read++] = c->srcs.v[i];
		}
	slot_of = publish_slot_of_src;
	expect_exactly(fx.maps.src, "eniaddr_src", read, n_read, sizeof(read[0]),
		       sizeof(read[0].k), offsetof(struct compiled_src, v), sizeof(read[0].v));
	slot_of = NULL; /* both slots */
	expect_exactly(fx.maps.l4, "eniaddr_l4", NULL, 0, sizeof(struct compiled_l4),
		       sizeof(struct eniaddr_l4_key), offsetof(struct compiled_l4, v),
		       sizeof(struct eniaddr_rule_bits));
	slot_of = publish_slot_of_nexthop;
	EXPECT_VEC(fx.maps.nexthop, "eniaddr_nexthop", c->nexthops, struct compiled_nexthop);
}

/* Slot slot of every map holds nothing. */
static void expect_slot_empty(unsigned int slot)
{
	struct compiled none = { .slot = slot };

	expect_maps_hold(&none);
}

/* The prefix lengths of c as eniaddr_state must list them: per family every distinct key
 * prefixlen, longest first, 0-padded. */
static void lens_of(const struct compiled *c, __u8 lens[2][ENIADDR_PFX_LENS])
{
	memset(lens, 0, 2 * ENIADDR_PFX_LENS);
	for (int fam = 0; fam < 2; fam++) {
		int n = 0;

		for (int len = 32 + 128; len >= 32; len--)
			for (size_t i = 0; i < c->pfxs.n; i++)
				if (c->pfxs.v[i].k.prefixlen == (__u32)len &&
				    ip_is_v4(c->pfxs.v[i].k.addr) == !fam) {
					assert_true(n < ENIADDR_PFX_LENS);
					lens[fam][n++] = (__u8)len;
					break;
				}
	}
}

/* The packets' view of the ENIs (eniaddr_eni_rows through the index) holds c's settings in
 * c's slot, and no interface of the other configurations there. */
static void expect_eni_rows(const struct compiled *c)
{
	static const __u32 any[] = { 11, 12, 21, BIG_IFINDEX };
	struct eniaddr_eni got;
	struct err e = {};

	for (size_t i = 0; i < c->enis.n; i++) {
		if (eni_rows_read(&fx.maps, c->slot, c->enis.v[i].k.ifindex, &got, &e))
			fail_msg("ifindex %u in slot %u: %s", c->enis.v[i].k.ifindex, c->slot, e.msg);
		assert_memory_equal(&got, &c->enis.v[i].v, sizeof(got));
	}
	for (size_t j = 0; j < ARRAY_SIZE(any); j++) {
		bool configured = false;

		for (size_t i = 0; i < c->enis.n; i++)
			configured |= c->enis.v[i].k.ifindex == any[j];
		if (!configured)
			assert_int_equal(eni_rows_read(&fx.maps, c->slot, any[j], &got, &e), -ENOENT);
	}
}

/* The addresses a prefix of c lists in the hints: every host of an IPv4 prefix of /24 or longer
 * (config A: the 16 of 10.0.1.32/28), none of any other; each to f with its owner. */
static void each_listed_host(const struct compiled *c, __u64 *want,
			     void (*f)(__u64 *want, const __u8 addr[16], __u32 ifindex))
{
	for (size_t i = 0; i < c->pfxs.n; i++) {
		const struct compiled_pfx *p = &c->pfxs.v[i];
		unsigned int len4 = p->k.prefixlen - 32 - 96;
		__u8 a[16];

		if (!ip_is_v4(p->k.addr) || len4 < 24 || len4 > 32)
			continue; /* IPv6, or too short to list: no hosts of its own */
		for (unsigned int h = 0; h < 1u << (32 - len4); h++) {
			memcpy(a, p->k.addr, 16);
			a[15] = (__u8)(a[15] + h); /* a /24 or longer: the last byte counts the hosts */
			f(want, a, p->v.ifindex);
		}
	}
}

static void want_bit(__u64 *want, const __u8 addr[16], __u32 ifindex)
{
	__u32 bit = eniaddr_hint_bit(addr, ifindex);

	want[bit >> 6] |= 1ULL << (bit & 63);
}

static void want_any_bit(__u64 *want, const __u8 addr[16], __u32 ifindex)
{
	__u32 bit = eniaddr_any_bit(addr);

	(void)ifindex;
	want[bit >> 6] |= 1ULL << (bit & 63);
}

/* The uncovered flags c's slot must carry: IPv4 when a prefix is shorter than /24, IPv6 when it
 * has any prefix (config A: none; B: IPv6; the lengths config: both). */
static __u8 uncovered_of(const struct compiled *c)
{
	__u8 u = 0;

	for (size_t i = 0; i < c->pfxs.n; i++) {
		const struct compiled_pfx *p = &c->pfxs.v[i];

		if (!ip_is_v4(p->k.addr))
			u |= ENIADDR_UNCOVERED_V6;
		else if (p->k.prefixlen - 32 - 96 < 24)
			u |= ENIADDR_UNCOVERED_V4;
	}
	return u;
}

/* Slot c->slot of hint map fd (name, n words a slot) has exactly the bits want_fn sets for c's
 * exact addresses and for each host of its IPv4 prefixes of /24 or longer (config A: the 16 of
 * 10.0.1.32/28, never any of its IPv6 /80). Read through the syscall, not the mapping the
 * publisher writes eniaddr_any_hint through. */
static void expect_hint(const struct compiled *c, int fd, const char *name, __u32 n,
			void (*want_fn)(__u64 *want, const __u8 addr[16], __u32 ifindex))
{
	static __u64 want[ENIADDR_ANY_WORDS];

	assert_true(n <= ENIADDR_ANY_WORDS);
	memset(want, 0, sizeof(want));
	for (size_t i = 0; i < c->addrs.n; i++)
		want_fn(want, c->addrs.v[i].k.addr, c->addrs.v[i].v.ifindex);
	each_listed_host(c, want, want_fn);
	for (__u32 i = 0; i < n; i++) {
		__u32 key = c->slot * n + i;
		__u64 got;

		assert_int_equal(bpf_map_lookup_elem(fd, &key, &got), 0);
		if (got != want[i])
			fail_msg("%s of slot %u, word %u: %#llx, want %#llx", name, c->slot, i,
				 (unsigned long long)got, (unsigned long long)want[i]);
	}
}

/* Packets see publish number generation in slot, and the maps hold exactly fx.live; the slot's
 * prefix lengths are fx.live's, and the other slot keeps those of the publish before (a revert
 * to it finds them true). */
static void expect_live(__u64 generation, unsigned int slot)
{
	struct eniaddr_state st = read_state();
	__u8 lens[2][ENIADDR_PFX_LENS];

	assert_int_equal(st.generation, generation);
	assert_int_equal(st.active_slot, slot);
	expect_maps_hold(&fx.live);
	lens_of(&fx.live, lens);
	assert_memory_equal(st.pfx_lens[slot], lens, sizeof(lens));
	assert_memory_equal(st.pfx_lens[1 - slot], fx.old_lens, sizeof(lens));
	expect_eni_rows(&fx.live);
	/* the owned hint by (address, owner); the any-owner hint whoever owns it: a packet to
	 * any of those addresses must never be proven nobody's */
	expect_hint(&fx.live, fx.maps.owned_hint, "eniaddr_owned_hint", ENIADDR_HINT_WORDS,
		    want_bit);
	expect_hint(&fx.live, fx.maps.any_hint, "eniaddr_any_hint", ENIADDR_ANY_WORDS,
		    want_any_bit);
	assert_int_equal(st.uncovered[slot], uncovered_of(&fx.live));
	assert_int_equal(st.uncovered[1 - slot], fx.old_uncovered);
}

/* Publishes what build makes for the slot publish_prepare() names; it becomes fx.live. */
static void publish_ok(void (*build)(struct compiled *, unsigned int), unsigned int want_slot)
{
	struct compiled c;
	unsigned int slot;
	struct err e = {};
	__u64 gen = 0;

	assert_int_equal(publish_prepare(&fx.maps, &slot, &e), 0);
	assert_int_equal(slot, want_slot);
	build(&c, slot);
	if (publish_commit(&fx.maps, &c, &gen, &e))
		fail_msg("publish_commit: %s", e.msg);
	assert_int_equal(gen, fx.generation + 1);
	fx.generation = gen;
	lens_of(&fx.live, fx.old_lens);
	fx.old_uncovered = uncovered_of(&fx.live);
	compiled_free(&fx.live);
	fx.live = c;
}

/* ---- tests ---- */

static void test_load_pins_maps_and_programs(void **state)
{
	static const char *const maps[] = { "eniaddr_state", "eniaddr_enis", "eniaddr_addrs",
		"eniaddr_addrs4", "eniaddr_pfx", "eniaddr_pfx4", "eniaddr_src", "eniaddr_l4",
		"eniaddr_stats", "eniaddr_frags", "eniaddr_attach", "eniaddr_nexthop" };
	struct eniaddr_state st = read_state();
	struct bpf_program *prog;
	struct eniaddr *skel;
	struct err e = {};
	bool created = true;
	int lockfd;

	for (size_t i = 0; i < ARRAY_SIZE(maps); i++)
		if (!pins_exists(&fx.pins, PINS_MAPS, maps[i]))
			fail_msg("map %s is not pinned", maps[i]);
	/* every program of the object, whatever this build has (tc_egress too) */
	skel = eniaddr__open();
	assert_non_null(skel);
	bpf_object__for_each_program(prog, skel->obj)
		if (!pins_exists(&fx.pins, PINS_PROGS, bpf_program__name(prog)))
			fail_msg("program %s is not pinned", bpf_program__name(prog));
	eniaddr__destroy(skel);
	assert_true(pins_exists(&fx.pins, PINS_PROGS, RUNTIME_PROG_XDP_INGRESS));
	assert_true(pins_exists(&fx.pins, PINS_PROGS, RUNTIME_PROG_TC_INGRESS));
	/* Nothing published: generation 0, and the empty slot 1 is the one packets see. */
	assert_int_equal(st.generation, 0);
	assert_int_equal(st.active_slot, 1);
	/* The setup holds the pin dir's LOCK_EX: another run can take no lock, not even shared. */
	lockfd = open(fx.pins.dir, O_RDONLY | O_DIRECTORY);
	assert_true(lockfd >= 0);
	assert_int_equal(flock(lockfd, LOCK_SH | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(lockfd);
	/* Loading again reuses the pins: nothing new is created. */
	assert_int_equal(runtime_load(&fx.pins, &created, &e), 0);
	assert_false(created);
}

static void test_first_publish_fills_slot_0(void **state)
{
	publish_ok(build_a, 0);
	expect_live(1, 0);
}

static void test_second_publish_flips_to_slot_1(void **state)
{
	publish_ok(build_b, 1);
	/* B's entries only: A's slot-0 entries are gone after the grace period. */
	expect_live(2, 1);
}

/* Failing publishes: each must leave the generation, the slot and every entry as they were. */
static void wrong_slot(struct compiled *c, unsigned int slot)
{
	build_a(c, 1 - slot);
}

static void bad_slot(struct compiled *c, unsigned int slot)
{
	build_a(c, slot);
	c->slot = 7;
}

static void entry_for_active(struct compiled *c, unsigned int slot)
{
	build_a(c, slot);
	c->addrs.v[2].k.slot = 1 - slot; /* 10.0.2.20: the second entry of eniaddr_addrs4 */
}

static void policy_for_active(struct compiled *c, unsigned int slot)
{
	build_a(c, slot);
	c->srcs.v[0].k.policy = pol(1 - slot, 1);
}

/* More exact IPv4 addresses than their map holds next to the active configuration's (B's one):
 * A's two and 100.64.0.0 + i up to ENIADDR_MAX_ADDRS of the family. */
static void too_many_addrs(struct compiled *c, unsigned int slot)
{
	build_a(c, slot);
	for (__u32 i = 0; c->addrs.n <= ENIADDR_MAX_ADDRS; i++) {
		struct compiled_addr *x = VEC_PUSH(&c->addrs);
		__be32 ip4 = htonl(0x64400000u + i);

		assert_non_null(x);
		x->k.slot = slot;
		x->k.addr[10] = x->k.addr[11] = 0xff;
		memcpy(&x->k.addr[12], &ip4, sizeof(ip4));
		x->v.ifindex = 11;
	}
}

/* Half written, then a duplicate: what was written must be taken back. */
static void duplicate_addr(struct compiled *c, unsigned int slot)
{
	struct compiled_addr *x;

	build_a(c, slot);
	x = VEC_PUSH(&c->addrs);
	assert_non_null(x);
	*x = c->addrs.v[0];
}

/* The IPv4 root again: of build_a's src entries only the roots are written. */
static void duplicate_src(struct compiled *c, unsigned int slot)
{
	struct compiled_src *x;

	build_a(c, slot);
	x = VEC_PUSH(&c->srcs);
	assert_non_null(x);
	*x = c->srcs.v[0];
}

static void test_failed_publish_keeps_previous(void **state)
{
	static const struct {
		const char *name;
		void (*build)(struct compiled *, unsigned int);
		int want;
		const char *msg;
	} cases[] = {
		{ "compiled for the active slot", wrong_slot, -EINVAL, "which is active" },
		{ "slot 7", bad_slot, -EINVAL, "slots are 0 and 1" },
		{ "an address entry for the active slot", entry_for_active, -EINVAL,
		  "eniaddr_addrs4 entry 1 is for slot" },
		{ "a rule entry of an active-slot policy", policy_for_active, -EINVAL,
		  "eniaddr_src entry 0 is for slot" },
		{ "more addresses than fit", too_many_addrs, -ENOSPC,
		  "eniaddr_addrs4 is full: the new configuration needs 262144 entries, the active one "
		  "holds 1, the map has room for 262144" },
		{ "a duplicate address after some writes", duplicate_addr, -EEXIST,
		  "eniaddr_addrs4 entry 2 duplicates an earlier key" },
		{ "a duplicate LPM entry after every hash map was written", duplicate_src, -EEXIST,
		  "eniaddr_src entry 1 duplicates an earlier key" },
	};
	struct eniaddr_state before = read_state(), after;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct compiled c;
		unsigned int slot;
		struct err e = {};
		__u64 gen = 12345;
		int rc;

		assert_int_equal(publish_prepare(&fx.maps, &slot, &e), 0);
		cases[i].build(&c, slot);
		rc = publish_commit(&fx.maps, &c, &gen, &e);
		compiled_free(&c);
		if (rc != cases[i].want)
			fail_msg("%s: publish_commit returned %d (%s), want %d", cases[i].name, rc,
				 e.msg, cases[i].want);
		if (!strstr(e.msg, cases[i].msg))
			fail_msg("%s: error '%s' lacks '%s'", cases[i].name, e.msg, cases[i].msg);
		assert_int_equal(gen, 12345); /* untouched on failure */
		after = read_state();
		assert_memory_equal(&after, &before, sizeof(before));
		expect_maps_hold(&fx.live);
		if (cases[i].want != -EINVAL) /* refused after it began writing: taken back */
			expect_slot_empty(1 - fx.live.slot);
	}
}

/* A publish that died after writing part of the inactive slot leaves entries there. */
static void test_crash_leftovers_are_cleared(void **state)
{
	struct compiled junk;
	struct err e = {};
	unsigned int slot;
	size_t i;

	assert_int_equal(publish_prepare(&fx.maps, &slot, &e), 0);
	assert_int_equal(slot, 0);
	build_a(&junk, slot);
	add_addr(&junk, "10.99.0.1", 99, 1, 1); /* not in the next publish */
	for (i = 0; i < junk.addrs.n; i++)
		assert_int_equal(owner_addr_put(&fx.maps, &junk.addrs.v[i], BPF_ANY), 0);
	for (i = 0; i < junk.srcs.n; i++)
		assert_int_equal(bpf_map_update_elem(fx.maps.src, &junk.srcs.v[i].k,
						     &junk.srcs.v[i].v, BPF_ANY), 0);
	compiled_free(&junk);

	publish_ok(build_b, 0); /* B again, now in slot 0 */
	expect_live(3, 0);
}

/* A with 10.0.2.20 moved to ENI 11, 10.0.1.10 gone, 10.0.3.30 new, ENI 12's mode changed. */
static void build_a_moved(struct compiled *c, unsigned int slot)
{
	build_a(c, slot);
	c->addrs.v[2].v.ifindex = 11;
	c->addrs.v[0] = c->addrs.v[--c->addrs.n];
	add_addr(c, "10.0.3.30", 12, 1, 2);
	c->enis.v[1].v.mode = ENIADDR_MODE_ENFORCE;
}

/* The slot a publish writes holds the generation before last (the publisher keeps it to update
 * by difference): what changed since must come out exactly, what did not stay. */
static void test_publish_updates_older_generation_by_difference(void **state)
{
	publish_ok(build_a, 1);       /* slot 1: A; slot 0 still holds B */
	expect_live(4, 1);
	publish_ok(build_a_moved, 0); /* B -> A moved: most entries replaced */
	expect_live(5, 0);
	publish_ok(build_a_moved, 1); /* A -> A moved: a few entries */
	expect_live(6, 1);
	publish_ok(build_a, 0);       /* and back */
	expect_live(7, 0);
}

/* Prefixes of several lengths per family, nested across ENIs. */
static void build_lens(struct compiled *c, unsigned int slot)
{
	build_a(c, slot);
	add_pfx(c, "10.0.4.0/24", 12, 1, 2);
	add_pfx(c, "10.0.4.16/28", 11, 1, 2);
	add_pfx(c, "10.0.0.0/17", 12, 1, 2);
	add_pfx(c, "2001:db8:9::/56", 12, 1, 2);
	add_pfx(c, "2001:db8:9:0:1::/80", 11, 1, 2);
}

/* A slot's prefix lengths flip with it: written before the slot goes live, kept while it
 * rests, and in force again when a revert brings it back. */
static void test_prefix_lengths_follow_the_slot(void **state)
{
	struct publish_opts keep = { .keep_old = true };
	struct publish_result r;
	__u8 lens[2][ENIADDR_PFX_LENS];
	struct eniaddr_state st;
	struct compiled b;
	struct err e = {};

	publish_ok(build_lens, 1);
	expect_live(8, 1);
	lens_of(&fx.live, lens);
	assert_int_equal(lens[0][0], 32 + 96 + 28);
	assert_int_equal(lens[0][1], 32 + 96 + 24);
	assert_int_equal(lens[0][2], 32 + 96 + 17);
	assert_int_equal(lens[1][0], 32 + 80);
	assert_int_equal(lens[1][1], 32 + 56);

	build_b(&b, 0); /* B in slot 0, A's lengths kept in slot 1 */
	if (publish_commit_with(&fx.maps, &b, &keep, &r, &e))
		fail_msg("publish_commit_with: %s", e.msg);
	compiled_free(&b);
	st = read_state();
	assert_int_equal(st.active_slot, 0);
	assert_memory_equal(st.pfx_lens[1], lens, sizeof(lens));
	assert_int_equal(st.pfx_lens[0][0][0], 0);      /* B: no IPv4 prefix */
	assert_int_equal(st.pfx_lens[0][1][0], 32 + 80); /* one IPv6 /80 */

	if (publish_revert(&fx.maps, 1, &r, &e))
		fail_msg("publish_revert: %s", e.msg);
	fx.generation += 2;
	build_b(&b, 0);
	lens_of(&b, fx.old_lens);
	fx.old_uncovered = uncovered_of(&b);
	compiled_free(&b);
	expect_live(10, 1);
}

/* The keys of slot in map fd (key_size bytes each, slot by slot_fn), up to max, into keys. */
static size_t raw_keys(int fd, size_t key_size, unsigned int (*slot_fn)(const void *),
		       unsigned int slot, __u8 *keys, size_t max)
{
	__u8 cur[32], next[32];
	void *prev = NULL;
	size_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(cur, next, key_size);
		prev = cur;
		if (slot_fn(cur) != slot)
			continue;
		assert_true(n < max);
		memcpy(keys + n++ * key_size, cur, key_size);
	}
	assert_int_equal(errno, ENOENT);
	return n;
}

/* Whether keys (n of key_size) hold want. */
static bool has_key(const __u8 *keys, size_t n, size_t key_size, const void *want)
{
	for (size_t i = 0; i < n; i++)
		if (!memcmp(keys + i * key_size, want, key_size))
			return true;
	return false;
}

/*
 * Each family in its own maps, keys built here by hand (not by owner_maps.c): A's IPv4
 * addresses in eniaddr_addrs4 as 4 bytes and nowhere else, its IPv6 address in eniaddr_addrs,
 * the IPv4 prefixes in eniaddr_pfx4 with their plain length, the IPv6 ones in eniaddr_pfx. Read
 * back, the slot is the compiled configuration again, in the 16-byte form.
 */
static void test_owners_by_family(void **state)
{
	__u8 keys[16 * 24];
	struct compiled back = {};
	struct err e = {};
	size_t n;

	(void)state;
	publish_ok(build_lens, 0);
	expect_live(11, 0);

	n = raw_keys(fx.maps.addrs4, sizeof(struct eniaddr_addr4_key), publish_slot_of_addr4, 0,
		     keys, 16);
	assert_int_equal(n, 2);
	assert_true(has_key(keys, n, 8, &(struct eniaddr_addr4_key){ 0, { 10, 0, 1, 10 } }));
	assert_true(has_key(keys, n, 8, &(struct eniaddr_addr4_key){ 0, { 10, 0, 2, 20 } }));

	n = raw_keys(fx.maps.addrs, sizeof(struct eniaddr_addr_key), publish_slot_of_addr, 0, keys,
		     16);
	assert_int_equal(n, 1);
	assert_true(has_key(keys, n, 20, &(struct eniaddr_addr_key){ 0,
		    { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x10 } }));

	n = raw_keys(fx.maps.pfx4, sizeof(struct eniaddr_pfx4_key), publish_slot_of_pfx4, 0, keys,
		     16);
	assert_int_equal(n, 4);
	assert_true(has_key(keys, n, 8, &(struct eniaddr_pfx4_key){ 0, 28, { 10, 0, 1, 32 } }));
	assert_true(has_key(keys, n, 8, &(struct eniaddr_pfx4_key){ 0, 24, { 10, 0, 4, 0 } }));
	assert_true(has_key(keys, n, 8, &(struct eniaddr_pfx4_key){ 0, 28, { 10, 0, 4, 16 } }));
	assert_true(has_key(keys, n, 8, &(struct eniaddr_pfx4_key){ 0, 17, { 10, 0, 0, 0 } }));

	n = raw_keys(fx.maps.pfx, sizeof(struct eniaddr_pfx_key), publish_slot_of_pfx, 0, keys,
		     16);
	assert_int_equal(n, 2);
	assert_true(has_key(keys, n, 24, &(struct eniaddr_pfx_key){ 32 + 80, 0,
		    { 0x20, 0x01, 0x0d, 0xb8, 0, 9, 0, 0, 0, 1 } }));
	assert_true(has_key(keys, n, 24, &(struct eniaddr_pfx_key){ 32 + 56, 0,
		    { 0x20, 0x01, 0x0d, 0xb8, 0, 9 } }));

	/* read back (the agent compares this with what it would publish): the 16-byte form */
	if (published_read(&fx.maps, NULL, &back, NULL, &e))
		fail_msg("published_read: %s", e.msg);
	assert_int_equal(back.addrs.n, fx.live.addrs.n);
	assert_int_equal(back.pfxs.n, fx.live.pfxs.n);
	for (size_t i = 0; i < fx.live.addrs.n; i++)
		assert_true(has_key((const __u8 *)back.addrs.v, back.addrs.n,
				    sizeof(*back.addrs.v), &fx.live.addrs.v[i]));
	for (size_t i = 0; i < fx.live.pfxs.n; i++)
		assert_true(has_key((const __u8 *)back.pfxs.v, back.pfxs.n,
				    sizeof(*back.pfxs.v), &fx.live.pfxs.v[i]));
	compiled_free(&back);
}

/* ---- attach and detach on a veth pair in a private namespace ---- */

static bool has_clsact(const struct netns *ns, const char *dev)
{
	return netns_exec(ns, "tc qdisc show dev %s | grep -q clsact", dev) == 0;
}

static __u8 xdp_mode(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	assert_int_equal(bpf_xdp_query(ifindex, 0, &q), 0);
	return q.attach_mode;
}

/* Our filter (handle, priority) on the clsact hook point of ifindex. */
static bool has_tc_filter(int ifindex, enum bpf_tc_attach_point point)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = point);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = ATTACH_TC_HANDLE, .priority = ATTACH_TC_PRIO);

	return bpf_tc_query(&hook, &opts) == 0;
}

static size_t attached_count(void)
{
	__u32 key, *prev = NULL;
	size_t n = 0;

	while (!bpf_map_get_next_key(fx.maps.attach, prev, &key)) {
		n++;
		prev = &key;
	}
	return n;
}

static struct attach_result ar;
static struct err ae;

static int attach(const char *dev, enum attach_req req, bool egress)
{
	err_clear(&ae);
	return attach_device(&fx.pins, &fx.maps, dev, req, egress, &ar, &ae);
}

static int detach(const char *dev)
{
	struct detach_result d;

	err_clear(&ae);
	return detach_device(&fx.pins, &fx.maps, dev, &d, &ae);
}

static struct eniaddr_attach record_of(int ifindex)
{
	struct eniaddr_attach rec;

	assert_int_equal(attach_lookup(&fx.maps, ifindex, &rec), 0);
	return rec;
}

/*
 * Each mode on veths of a private namespace; detach removes exactly what attach made, and a
 * clsact qdisc that was there before (b0's) stays.
 */
static void test_attach_and_detach(void **state)
{
	const struct netns *ns = &fx.ns;
	int a0, a1, b0;
	char link[32];

	assert_int_equal(netns_exec(ns, "tc qdisc add dev b0 clsact"), 0);
	assert_int_equal(netns_enter(ns), 0);
	a0 = netns_ifindex(ns, "a0");
	a1 = netns_ifindex(ns, "a1");
	b0 = netns_ifindex(ns, "b0");
	snprintf(link, sizeof(link), "xdp-%d", a0);

	/* native XDP on a0, through a pinned link and a record */
	assert_int_equal(attach("a0", ATTACH_REQ_NATIVE, false), 0);
	assert_int_equal(ar.mode, ENIADDR_ATTACH_NATIVE);
	assert_false(ar.unchanged);
	assert_int_equal(xdp_mode(a0), XDP_ATTACHED_DRV);
	assert_true(pins_exists(&fx.pins, PINS_LINKS, link));
	/* again: auto or the same mode changes nothing, another mode is refused */
	assert_int_equal(attach("a0", ATTACH_REQ_AUTO, false), 0);
	assert_true(ar.unchanged);
	assert_int_equal(attach("a0", ATTACH_REQ_TC, false), -EEXIST);
	assert_non_null(strstr(ae.msg, "a0 is attached already (native)"));
	/* adding the egress program to it makes the clsact qdisc, recorded as ours */
	assert_int_equal(attach("a0", ATTACH_REQ_AUTO, true), 0);
	assert_true(ar.egress);
	assert_false(ar.unchanged);
	assert_int_equal(record_of(a0).tc_out_handle, ATTACH_TC_HANDLE);
	assert_int_equal(record_of(a0).created_clsact, 1);
	assert_true(has_tc_filter(a0, BPF_TC_EGRESS));
	assert_false(has_tc_filter(a0, BPF_TC_INGRESS));

	/* generic XDP on a1; tc ingress + egress on b0, whose clsact is not ours */
	assert_int_equal(attach("a1", ATTACH_REQ_GENERIC, false), 0);
	assert_int_equal(xdp_mode(a1), XDP_ATTACHED_SKB);
	assert_int_equal(attach("b0", ATTACH_REQ_TC, true), 0);
	assert_int_equal(record_of(b0).mode, ENIADDR_ATTACH_TC);
	assert_int_equal(record_of(b0).created_clsact, 0);
	assert_int_equal(record_of(b0).tc_in_handle, ATTACH_TC_HANDLE);
	assert_true(has_tc_filter(b0, BPF_TC_INGRESS));
	assert_true(has_tc_filter(b0, BPF_TC_EGRESS));
	assert_int_equal(attached_count(), 3);

	/* an unknown device names the local ones */
	assert_int_equal(attach("nope0", ATTACH_REQ_AUTO, false), -ENODEV);
	assert_non_null(strstr(ae.msg, "no interface named nope0 (local: "));

	/* detach removes exactly what attach made */
	assert_int_equal(detach("a0"), 0);
	assert_int_equal(xdp_mode(a0), XDP_ATTACHED_NONE);
	assert_false(pins_exists(&fx.pins, PINS_LINKS, link));
	assert_false(has_clsact(ns, "a0"));
	assert_int_equal(detach("a0"), -ENOENT);
	assert_non_null(strstr(ae.msg, "a0 is not attached by eniaddr-bpf"));
	assert_int_equal(detach("a1"), 0);
	assert_int_equal(xdp_mode(a1), XDP_ATTACHED_NONE);
	assert_int_equal(detach("b0"), 0);
	assert_false(has_tc_filter(b0, BPF_TC_INGRESS));
	assert_false(has_tc_filter(b0, BPF_TC_EGRESS));
	assert_true(has_clsact(ns, "b0")); /* not ours: stays */

	/* tc on a1 creates the clsact itself, so detach removes it */
	assert_int_equal(attach("a1", ATTACH_REQ_TC, false), 0);
	assert_int_equal(record_of(a1).created_clsact, 1);
	assert_true(has_clsact(ns, "a1"));
	assert_int_equal(detach("a1"), 0);
	assert_false(has_clsact(ns, "a1"));

	/* auto on a device without native XDP (a bridge) takes tc, never generic XDP */
	assert_int_equal(netns_exec(ns, "ip link add d0 type bridge && ip link set d0 up"), 0);
	assert_int_equal(attach("d0", ATTACH_REQ_AUTO, false), 0);
	assert_int_equal(ar.mode, ENIADDR_ATTACH_TC);
	assert_int_equal(xdp_mode(netns_ifindex(ns, "d0")), XDP_ATTACHED_NONE);
	assert_true(has_tc_filter(netns_ifindex(ns, "d0"), BPF_TC_INGRESS));
	assert_int_equal(detach("d0"), 0);
	assert_int_equal(attached_count(), 0);

	netns_leave();
}

/* A flow filter created beside conntrack tables that are pinned already (an older build's
 * pins) starts full: the tables may hold flows it has no bits for, and a full filter only lets
 * every packet look (kernel/ct_maybe.h). */
static void test_fresh_filter_beside_pinned_tables_is_full(void **state)
{
	char path[PATH_MAX];
	struct ct_maybe f = {};
	struct err e = {};
	bool created = false;
	int fd;

	(void)state;
	assert_int_equal(pins_path(&fx.pins, PINS_MAPS, ENIADDR_STR(ENIADDR_MAP_CT_MAYBE), path,
				   sizeof(path)), 0);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	assert_int_equal(ct_maybe_map(fd, &f, &e), 0);
	assert_true(ct_maybe_count(&f, 0) < (1u << ENIADDR_CT_MAYBE_BITS_LOG));
	ct_maybe_unmap(&f);
	close(fd);

	assert_int_equal(unlink(path), 0); /* as if pinned by a build without the filter */
	assert_int_equal(runtime_load(&fx.pins, &created, &e), 0);
	assert_true(created);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	assert_int_equal(ct_maybe_map(fd, &f, &e), 0);
	assert_int_equal(ct_maybe_count(&f, 0), 1u << ENIADDR_CT_MAYBE_BITS_LOG);
	assert_int_equal(ct_maybe_count(&f, 1), 1u << ENIADDR_CT_MAYBE_BITS_LOG);
	ct_maybe_unmap(&f);
	close(fd);
}

/* The last detach unloads: no pin, no pin dir, and read commands say so. */
static void test_unload_leaves_nothing(void **state)
{
	struct map_fds m;
	struct err e = {};
	struct stat sb;

	assert_int_equal(runtime_unload_if_unattached(&fx.pins, &fx.maps, &e), 1);
	assert_int_equal(stat(fx.pins.dir, &sb), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(runtime_open_maps(&fx.pins, &m, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "eniaddr-bpf is not loaded under "));
	assert_non_null(strstr(e.msg, fx.bpffs));
	pins_unlock(&fx.pins);
	err_clear(&e);
	assert_int_equal(pins_lock(&fx.pins, PINS_READ, &e), -ENOENT);
}

/* A map pinned by a build with another layout is refused, and the failed load pins nothing. */
static void test_foreign_layout_is_refused(void **state)
{
	char path[PATH_MAX];
	struct err e = {};
	bool created = true;
	int fd;

	assert_int_equal(pins_lock(&fx.pins, PINS_CREATE, &e), 0);
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "eniaddr_stats", sizeof(struct eniaddr_stat_key),
			    8 /* not struct eniaddr_stat */, 16, NULL);
	assert_true(fd >= 0);
	assert_int_equal(pins_path(&fx.pins, PINS_MAPS, "eniaddr_stats", path, sizeof(path)), 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);

	assert_int_equal(runtime_load(&fx.pins, &created, &e), -EINVAL);
	assert_false(created);
	assert_non_null(strstr(e.msg, "eniaddr_stats was pinned by a build with another layout"));
	assert_false(pins_exists(&fx.pins, PINS_MAPS, "eniaddr_state"));
	assert_false(pins_exists(&fx.pins, PINS_PROGS, RUNTIME_PROG_XDP_INGRESS));
	err_clear(&e);
	assert_int_equal(pins_remove_all(&fx.pins, &e), 0);
	pins_unlock(&fx.pins);
}

/*
 * A run waiting for the lock while another removes the pin dir (the last detach) must not go on
 * with a lock on the deleted dir: it finds "not loaded".
 */
static void test_lock_waiter_sees_removal(void **state)
{
	struct err e = {};
	int ready[2], status;
	pid_t child;
	char c;

	assert_int_equal(pins_lock(&fx.pins, PINS_CREATE, &e), 0);
	assert_int_equal(pipe(ready), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct pins mine;
		struct err ce = {};

		close(fx.pins.lock_fd); /* a copy of the parent's locked file: it would keep the lock */
		pins_init(&mine, fx.bpffs, &ce);
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		/* blocks until the parent unlocks */
		_exit(pins_lock(&mine, PINS_WRITE, &ce) == -ENOENT &&
		      strstr(ce.msg, "is not loaded under") ? 0 : 1);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	usleep(200 * 1000); /* the child is in flock() by now */
	assert_int_equal(pins_remove_all(&fx.pins, &e), 0);
	pins_unlock(&fx.pins);
	assert_int_equal(waitpid(child, &status, 0), child);
	close(ready[0]);
	close(ready[1]);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- fixture ---- */

/* Unmounts and removes the private bpffs; only syscalls, so the signal handler may call it. */
static void remove_bpffs(void)
{
	if (fx.mounted && umount2(fx.bpffs, MNT_DETACH) == 0)
		fx.mounted = false;
	if (fx.bpffs[0])
		rmdir(fx.bpffs);
	if (fx.tmp[0])
		rmdir(fx.tmp);
}

static struct sigaction prev_action[NSIG];

/* Interrupted: remove the bpffs, then whatever was installed before (the namespace cleanup). */
static void on_signal(int sig)
{
	remove_bpffs();
	if (prev_action[sig].sa_handler != SIG_DFL && prev_action[sig].sa_handler != SIG_IGN) {
		prev_action[sig].sa_handler(sig);
		return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, &prev_action[sigs[i]]);
	atexit(remove_bpffs);
}

static int group_teardown(void **state)
{
	netns_leave();
	netns_destroy(&fx.ns);
	runtime_close_maps(&fx.maps);
	pins_unlock(&fx.pins);
	compiled_free(&fx.live);
	if (fx.mounted && umount2(fx.bpffs, MNT_DETACH))
		fprintf(stderr, "test_bpf_publish: umount %s: %s\n", fx.bpffs, strerror(errno));
	fx.mounted = false;
	remove_bpffs();
	return 0;
}

static int group_setup(void **state)
{
	struct err e = {};
	bool created = false;

	/* libbpf through our logger: quiet unless ENIADDR_TEST_VERBOSE=1..3 */
	if (getenv("ENIADDR_TEST_VERBOSE"))
		log_set_level((enum log_level)atoi(getenv("ENIADDR_TEST_VERBOSE")));
	log_libbpf_setup();
	map_fds_init(&fx.maps);
	/* The namespace first: its cleanup handlers are then chained behind ours. */
	if (netns_create(&fx.ns, "pub") || netns_veth_add(&fx.ns, "a0", NULL, "a1") ||
	    netns_veth_add(&fx.ns, "b0", NULL, "b1")) {
		snprintf(e.msg, sizeof(e.msg), "creating the test namespace failed");
		goto fail;
	}
	catch_signals();
	snprintf(fx.tmp, sizeof(fx.tmp), "/tmp/eniaddr-publish-XXXXXX");
	if (!mkdtemp(fx.tmp)) {
		fx.tmp[0] = '\0';
		goto fail_errno;
	}
	snprintf(fx.bpffs, sizeof(fx.bpffs), "%s/bpf", fx.tmp);
	if (mkdir(fx.bpffs, 0700) || mount("bpf", fx.bpffs, "bpf", 0, "mode=0700"))
		goto fail_errno;
	fx.mounted = true;
	if (pins_init(&fx.pins, fx.bpffs, &e) || pins_lock(&fx.pins, PINS_CREATE, &e) ||
	    runtime_load(&fx.pins, &created, &e) || runtime_open_maps(&fx.pins, &fx.maps, &e))
		goto fail;
	if (!created) {
		snprintf(e.msg, sizeof(e.msg), "runtime_load created nothing in a fresh bpffs");
		goto fail;
	}
	return 0;
fail_errno:
	snprintf(e.msg, sizeof(e.msg), "%s: %s", fx.tmp, strerror(errno));
fail:
	fprintf(stderr, "test_bpf_publish: setup: %s\n", e.msg);
	group_teardown(state);
	return -1;
}

/* ---- publishing while packets run: the grace period ---- */

#define RACE_PUBLISHES 1000
#define RACE_REPEAT    2000 /* runs per BPF_PROG_TEST_RUN */

static struct {
	struct bpf_fixture fx;
	struct pkt pkt;
	__u8 dst[16]; /* the packet's destination, owned in every generation */
	atomic_bool stop;
	atomic_ullong runs;
	int run_err;
} race;

/* r0 owns 10.7.0.10; ICMP timestamp requests (13, any code) from anywhere are allowed. Each
 * generation uses other policy ids and more or fewer addresses, so every key differs. */
/* The rule tables the datapath reads, built from c's entries as compile_state builds them. */
static void race_tables(struct compiled *c)
{
	struct err e = {};

	c->pol_tbl.n = c->nodes.n = c->bits.n = 0;
	if (compile_tables(c, &e))
		fail_msg("rule tables: %s", e.msg);
}

static void build_race(struct compiled *c, unsigned int slot, unsigned int round)
{
	__u32 policy = 1 + round % 7;
	char ip[32];

	memset(c, 0, sizeof(*c));
	c->slot = slot;
	add_eni(c, (__u32)race.fx.ifindex[0], policy, policy, ENIADDR_MODE_ENFORCE);
	add_addr(c, "10.7.0.10", (__u32)race.fx.ifindex[0], policy, policy);
	for (unsigned int i = 0; i < round % 5; i++) {
		snprintf(ip, sizeof(ip), "10.7.1.%u", i + 1);
		add_addr(c, ip, (__u32)race.fx.ifindex[0], policy, policy);
	}
	add_src(c, policy, "0.0.0.0/0", 0x1);
	add_l4(c, policy, IPPROTO_ICMP, 13 << 8, 8, 0x1);
	race_tables(c);
}

/* Slot's words of both hints holding the runner's destination, cleared by hand as if that slot
 * had never held it: the publish must set the bits again before its flip, or the runner meets a
 * live slot that proves its destination nobody's (not_owned, bpf/owner.h owner_absent). */
static void race_forget_hints(unsigned int slot)
{
	__u32 hint = eniaddr_hint_bit(race.dst, (__u32)race.fx.ifindex[0]);
	__u32 any = eniaddr_any_bit(race.dst);
	__u32 hk = slot * ENIADDR_HINT_WORDS + (hint >> 6), ak = slot * ENIADDR_ANY_WORDS + (any >> 6);
	__u64 zero = 0;

	assert_int_equal(bpf_map_update_elem(race.fx.maps.owned_hint, &hk, &zero, 0), 0);
	assert_int_equal(bpf_map_update_elem(race.fx.maps.any_hint, &ak, &zero, 0), 0);
}

static void *race_runner(void *arg)
{
	__u32 ret;

	(void)arg;
	while (!atomic_load(&race.stop)) {
		int err = fixture_run_repeat(race.fx.skel->progs.xdp_ingress, &race.pkt,
					     race.fx.ifindex[0], RACE_REPEAT, &ret, NULL);

		if (err) {
			race.run_err = err;
			break;
		}
		atomic_fetch_add(&race.runs, RACE_REPEAT);
	}
	return NULL;
}

static struct eniaddr_stat_key race_key(enum eniaddr_reason r, enum eniaddr_action a)
{
	return (struct eniaddr_stat_key){ .ifindex = (__u32)race.fx.ifindex[0], .reason = r,
					  .dir = ENIADDR_DIR_INGRESS, .action = a };
}

/*
 * Publishes RACE_PUBLISHES generations while another thread runs the XDP program on a packet
 * every generation allows. A packet that read the old slot number and then found its entries
 * cleared would be counted not_owned/unconfigured: every run must be counted allowed. Before
 * each publish the inactive slot forgets the destination's hint bits (race_forget_hints): a
 * publisher that set them after the flip, or not at all, shows as not_owned.
 */
static void test_publish_under_traffic_never_misjudges(void **state)
{
	struct pkt_spec spec = { .src = "198.51.100.7", .dst = "10.7.0.10",
				 .proto = IPPROTO_ICMP, .icmp_type = 13 };
	struct eniaddr_stat_key allowed = race_key(ENIADDR_R_ALLOWED, ENIADDR_ACT_PASS);
	struct eniaddr_stat_key no_rule = race_key(ENIADDR_R_NO_RULE, ENIADDR_ACT_DROP);
	struct publish_result r;
	__u64 grace_ns = 0, runs;
	struct compiled c;
	struct err e = {};
	unsigned int slot, i;
	pthread_t th;

	(void)state;
	assert_int_equal(pkt_build(&race.pkt, &spec), 0);
	assert_int_equal(ip_addr_parse(spec.dst, race.dst), 0);
	assert_int_equal(publish_reset_state(race.fx.maps.state, &e), 0);
	assert_int_equal(publish_prepare(&race.fx.maps, &slot, &e), 0);
	build_race(&c, slot, 0);
	assert_int_equal(publish_commit(&race.fx.maps, &c, NULL, &e), 0);
	compiled_free(&c);

	assert_int_equal(pthread_create(&th, NULL, race_runner, NULL), 0);
	for (i = 1; i <= RACE_PUBLISHES; i++) {
		assert_int_equal(publish_prepare(&race.fx.maps, &slot, &e), 0);
		build_race(&c, slot, i);
		race_forget_hints(slot);
		if (publish_commit_with(&race.fx.maps, &c, NULL, &r, &e))
			fail_msg("publish %u: %s", i, e.msg);
		grace_ns += r.grace_ns;
		compiled_free(&c);
	}
	atomic_store(&race.stop, true);
	pthread_join(th, NULL);
	assert_int_equal(race.run_err, 0);
	runs = atomic_load(&race.runs);
	/* the runner ran throughout, and every packet was allowed */
	assert_true(runs >= 10 * RACE_REPEAT);
	assert_int_equal(fixture_stat(&race.fx, &allowed).packets, runs);
	assert_int_equal(fixture_stat_total(&race.fx), runs);
	/* each publish waited for two real grace periods (before the flip, before the clear) */
	assert_true(grace_ns > 0);
	print_message("%u publishes under %llu packets; %.2f ms per grace-period pair\n",
		      RACE_PUBLISHES, (unsigned long long)runs,
		      (double)grace_ns / RACE_PUBLISHES / 1e6);

	/* the counters do catch a wrong verdict: a generation without the rule drops it */
	assert_int_equal(publish_prepare(&race.fx.maps, &slot, &e), 0);
	build_race(&c, slot, 0);
	c.l4s.n = 0;
	race_tables(&c);
	assert_int_equal(publish_commit(&race.fx.maps, &c, NULL, &e), 0);
	compiled_free(&c);
	assert_int_equal(fixture_run_repeat(race.fx.skel->progs.xdp_ingress, &race.pkt,
					    race.fx.ifindex[0], 1, &(__u32){ 0 }, NULL), 0);
	assert_int_equal(fixture_stat_total(&race.fx), runs + 1);
	assert_int_equal(fixture_stat(&race.fx, &no_rule).packets, 1);
}

static int race_setup(void **state)
{
	static const char *const devs[] = { "r0" };

	(void)state;
	return fixture_setup(&race.fx, "pubrace", devs, 1, 0) ? -1 : 0;
}

static int race_teardown(void **state)
{
	(void)state;
	fixture_teardown(&race.fx);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_pins_maps_and_programs),
		cmocka_unit_test(test_first_publish_fills_slot_0),
		cmocka_unit_test(test_second_publish_flips_to_slot_1),
		cmocka_unit_test(test_failed_publish_keeps_previous),
		cmocka_unit_test(test_crash_leftovers_are_cleared),
		cmocka_unit_test(test_publish_updates_older_generation_by_difference),
		cmocka_unit_test(test_prefix_lengths_follow_the_slot),
		cmocka_unit_test(test_owners_by_family),
		cmocka_unit_test(test_attach_and_detach),
		cmocka_unit_test(test_fresh_filter_beside_pinned_tables_is_full),
		cmocka_unit_test(test_unload_leaves_nothing),
		cmocka_unit_test(test_foreign_layout_is_refused),
		cmocka_unit_test(test_lock_waiter_sees_removal),
	};

	const struct CMUnitTest race_tests[] = {
		cmocka_unit_test(test_publish_under_traffic_never_misjudges),
	};
	int failed = cmocka_run_group_tests(tests, group_setup, group_teardown);

	return failed + cmocka_run_group_tests_name("publish under traffic", race_tests,
						    race_setup, race_teardown);
}
