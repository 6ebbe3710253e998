/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tests/lib/bpf_fixture.h — what every BPF_PROG_TEST_RUN suite (test_bpf_*, bench_*) needs
 * around the eniaddr object: a private namespace whose veths play the ENIs, the object loaded
 * there, one test run of a program on a frame, the per-CPU counters read back, and map entries
 * written by hand. User space only; nothing is attached and nothing is pinned.
 *
 * Why a namespace: XDP and tc test runs need an ifindex that exists in the caller's namespace,
 * and a test must never name the host's interfaces.
 *
 * Setup and runs return 0 or a negative errno. The fixture_put_* helpers are for cmocka tests:
 * a map write that fails fails the running test (cmocka assert), as the test itself would.
 *
 * Example:
 *	static const char *const devs[] = { [ENI_A] = "a0", [ENI_B] = "b0" };
 *	fixture_setup(&fx, "bpfin", devs, 2, 0);       // veths a0-a1 and b0-b1, object loaded
 *	fixture_put_state(&fx, 0);
 *	before = fixture_snapshot(&fx, &key);
 *	fixture_run(fx.skel->progs.xdp_ingress, &pkt, fx.ifindex[ENI_A], &verdict);
 *	moved = fixture_moved(&fx, &before);            // moved.packets == 1 ...
 *	fixture_teardown(&fx);
 */
#ifndef ENIADDR_TESTS_BPF_FIXTURE_H
#define ENIADDR_TESTS_BPF_FIXTURE_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "eniaddr.h"
#include "eniaddr.skel.h"
#include "netns.h"
#include "pkt.h"
#include "kernel/runtime.h"

#define FIXTURE_MAX_DEVS 8

struct bpf_fixture {
	struct netns ns;
	struct eniaddr *skel;
	struct map_fds maps;               /* fds of skel's maps: skel owns them */
	int ifindex[FIXTURE_MAX_DEVS];     /* indexed like the devs of fixture_setup */
	int ncpus;                         /* possible CPUs: values per per-CPU entry */
};

/*
 * Creates namespace "eniaddr-<tag>-..." and in it the veth pair x0-x1 for every device "x0" of
 * devs (a test names "x1" only next to its "x0"), records devs[i]'s ifindex as ifindex[i],
 * enters the namespace and loads the object there; ct_size (0: the object's) sizes eniaddr_ct
 * and eniaddr_ct4.
 * On failure it says why on stderr, undoes what it did and returns -errno.
 */
int fixture_setup(struct bpf_fixture *fx, const char *tag, const char *const *devs,
		  size_t n_devs, __u32 ct_size);

/* Unloads the object and removes the namespace with its veths. Safe to repeat. */
void fixture_teardown(struct bpf_fixture *fx);

/* Loads obj (opened, not loaded: another build of the programs, tests/bpf/) on fx's maps, so
 * both builds read and write the same state; its .rodata and .bss stay its own. 0 or -errno. */
int fixture_load_on_maps(const struct bpf_fixture *fx, struct bpf_object *obj);

/* A cmocka group teardown: fixture_teardown of the fixture the group setup put into *state. */
int fixture_group_teardown(void **state);

/* One test run of prog (XDP: the frame arrives on ifindex; tc: the skb is on ifindex).
 * *retval receives the program's return value. */
int fixture_run(const struct bpf_program *prog, const struct pkt *p, int ifindex,
		__u32 *retval);

/* The same, repeat times in the kernel; *ns_per_run (may be NULL) is the kernel's average. */
int fixture_run_repeat(const struct bpf_program *prog, const struct pkt *p, int ifindex,
		       __u32 repeat, __u32 *retval, __u32 *ns_per_run);

/* For benchmarks: the fastest ns per run over trials batches of repeat runs (the least disturbed
 * one), and the return value. */
int fixture_run_fastest(const struct bpf_program *prog, const struct pkt *p, int ifindex,
			__u32 repeat, int trials, __u32 *ns, __u32 *retval);

/* ---- counters (eniaddr_stats, summed over CPUs) ---- */

struct fixture_count {
	__u64 packets;
	__u64 bytes;
};

/* One counter; zero when it does not exist. */
struct fixture_count fixture_stat(const struct bpf_fixture *fx, const struct eniaddr_stat_key *k);

/* Packets over every counter, so a case can prove it moved only its own. */
__u64 fixture_stat_total(const struct bpf_fixture *fx);

/* Before a run: the counter a case expects to move, and the total. */
struct fixture_snapshot {
	struct eniaddr_stat_key key;
	struct fixture_count count;
	__u64 total;
};

/* What moved since the snapshot: its counter's packets and bytes, and packets of all. */
struct fixture_moved {
	__u64 packets;
	__u64 bytes;
	__u64 total;
};

struct fixture_snapshot fixture_snapshot(const struct bpf_fixture *fx,
					 const struct eniaddr_stat_key *k);
struct fixture_moved fixture_moved(const struct bpf_fixture *fx,
				   const struct fixture_snapshot *before);

/* The metric name of a reason ("no_rule"), for messages. */
const char *fixture_reason_name(enum eniaddr_reason r);

/* ---- map entries by hand (cmocka asserts) ---- */

/* eniaddr_state: slot active, generation 1; the prefix lengths stay. */
void fixture_put_state(const struct bpf_fixture *fx, __u32 slot);
/* ... and generation gen (fixture_put_state writes 1: slot 0 then matches its parity). */
void fixture_put_state_gen(const struct bpf_fixture *fx, __u32 slot, __u64 gen);
/* eniaddr_state's prefix lengths of slot and family (key prefixlen values, longest first, 0
 * ending), as a test wants them; fixture_put_owner writes the true ones. */
void fixture_put_pfx_lens(const struct bpf_fixture *fx, __u32 slot, bool v6,
			  const __u8 lens[ENIADDR_PFX_LENS]);

/* eniaddr_enis: the settings v of ifindex in slot. */
void fixture_put_eni(const struct bpf_fixture *fx, __u32 slot, int ifindex,
		     const struct eniaddr_eni *v);

/* Sets (or clears) the bit of addr owned by ENI ifindex in slot's eniaddr_owned_hint;
 * fixture_put_owner sets the publisher's bits. */
void fixture_put_hint(const struct bpf_fixture *fx, __u32 slot, const __u8 addr[16],
		      __u32 ifindex, bool set);
/* The same for addr's bit in slot's eniaddr_any_hint (may any ENI own it?). */
void fixture_put_any_hint(const struct bpf_fixture *fx, __u32 slot, const __u8 addr[16],
			  bool set);

/* An exact address ("10.1.1.10") into eniaddr_addrs4 / eniaddr_addrs, or with a "/n" a delegated
 * prefix into eniaddr_pfx4 / eniaddr_pfx (o's flags plus ENIADDR_ADDR_F_PREFIX), owned as o says
 * in slot; then, from what the owner maps hold, both slots' prefix lengths and uncovered flags in
 * eniaddr_state and their words of eniaddr_owned_hint and eniaddr_any_hint, as a publish writes
 * them (the publisher's own code, publish_owned_hint). */
void fixture_put_owner(const struct bpf_fixture *fx, __u32 slot, const char *text,
		       const struct eniaddr_owner *o);

/* Removes the exact address or prefix text of slot that fixture_put_owner wrote, and brings
 * the prefix lengths, flags and hints up to date as it does. */
void fixture_del_owner(const struct bpf_fixture *fx, __u32 slot, const char *text);

/* Whether the programs prove that no ENI owns address addr in slot without looking (bpf/owner.h,
 * owner_absent): its eniaddr_any_hint bit clear, its family not uncovered. For tests that must
 * know which path a packet takes. */
bool fixture_owner_absent(const struct bpf_fixture *fx, __u32 slot, const char *addr);

/* eniaddr_nexthop: ENI ifindex's IPv4 subnet ("10.1.0.0/16") in slot, its router base + 1. */
void fixture_put_subnet4(const struct bpf_fixture *fx, __u32 slot, int ifindex,
			 const char *subnet);

/* eniaddr_src: the rule bits of a peer prefix of policy (an IPv6 prefix under the policy's IPv6
 * id). The compiler writes the union of every covering prefix's bits; a test writes that union by
 * hand. */
void fixture_put_src(const struct bpf_fixture *fx, __u32 policy, const char *prefix,
		     struct eniaddr_rule_bits bits);

/* eniaddr_l4: proto with the top port_bits bits of port (16: one port, 0: every port), or with
 * proto -1 every protocol; written for both families of policy (one bit numbering in tests). */
void fixture_put_l4(const struct bpf_fixture *fx, __u32 policy, int proto, __u32 port,
		    int port_bits, struct eniaddr_rule_bits bits);

/* Rule bits from bit numbers, their span set as the compiler sets it: RULE_BITS(0, 2, 700). */
struct eniaddr_rule_bits rule_bits_of(const int *list);
#define RULE_BITS(...) rule_bits_of((const int[]){ __VA_ARGS__, -1 })

#endif /* ENIADDR_TESTS_BPF_FIXTURE_H */
