/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/frags.h — BPF-only: the fragment memory (eniaddr_frags), both directions. A first fragment
 * is judged like a whole packet (rules, connection tracking, failsafes); when it passes, its
 * datagram (ENI, addresses, protocol, IP id) is remembered for ENIADDR_FRAG_TIMEOUT_NS, and the
 * later fragments, which carry no ports, pass as FRAGMENT_FOLLOWS. Any other non-first fragment
 * is FRAGMENT (drop). Inbound and outbound datagrams never share a key: their addresses differ.
 */
#ifndef ENIADDR_BPF_FRAGS_H
#define ENIADDR_BPF_FRAGS_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "eniaddr.h"
#include "addr.h"
#include "maps.bpf.h"
#include "parse.h"
#include "dryrun.h"

static __always_inline void frag_key_fill(struct eniaddr_frag_key *k, __u32 ifindex,
					  const struct pkt_meta *p)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->id = p->frag_id;
	k->proto = p->frag_proto;
	addr_copy(k->saddr, p->saddr);
	addr_copy(k->daddr, p->daddr);
}

/* A non-first fragment passes only while the first fragment of its datagram is remembered. */
static __always_inline enum eniaddr_reason frag_follows(__u32 ifindex, const struct pkt_meta *p)
{
	struct eniaddr_frag_key k;
	struct eniaddr_frag *f;

	frag_key_fill(&k, ifindex, p);
	f = bpf_map_lookup_elem(&ENIADDR_MAP_FRAGS, &k);
	if (!f)
		return ENIADDR_R_FRAGMENT;
	if (bpf_ktime_get_ns() >= f->expires_ns) {
		if (dp_writes())
			bpf_map_delete_elem(&ENIADDR_MAP_FRAGS, &k);
		return ENIADDR_R_FRAGMENT;
	}
	return ENIADDR_R_FRAGMENT_FOLLOWS;
}

/* Remembers a first fragment that passed, whatever let it pass (a rule, connection tracking,
 * a failsafe), so the rest may follow. */
static __always_inline void frag_remember(__u32 ifindex, const struct pkt_meta *p,
					  enum eniaddr_reason r)
{
	struct eniaddr_frag_key k;
	struct eniaddr_frag v = {};

	if (r == ENIADDR_R_NONE || r >= ENIADDR_R_FIRST_DROP || !dp_writes())
		return;
	frag_key_fill(&k, ifindex, p);
	v.expires_ns = bpf_ktime_get_ns() + ENIADDR_FRAG_TIMEOUT_NS;
	v.reason = r;
	bpf_map_update_elem(&ENIADDR_MAP_FRAGS, &k, &v, BPF_ANY);
}

#endif /* ENIADDR_BPF_FRAGS_H */
