/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/addr.h — BPF-only: 16-byte addresses (network order, IPv4-mapped for IPv4) moved and read
 * as four 32-bit words.
 *
 * Why: an address is a __u8[16], so clang assumes byte alignment and turns every copy or
 * compare into 16 byte loads, 16 byte stores and the shifts that glue them (a flow key alone
 * was ~90 instructions per packet). Every address the programs touch is 4-byte aligned
 * (a member of a struct of __u32s: pkt_meta, map keys and values) or sits in packet data, which
 * x86-64 and arm64 read unaligned at no cost (the verifier allows it there: programs are not
 * loaded with BPF_F_STRICT_ALIGNMENT). So these helpers promise clang 4-byte alignment.
 */
#ifndef ENIADDR_BPF_ADDR_H
#define ENIADDR_BPF_ADDR_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>

#define ADDR_A4(p) __builtin_assume_aligned((p), 4)

static __always_inline void addr_copy(void *dst, const void *src)
{
	__builtin_memcpy(ADDR_A4(dst), ADDR_A4(src), 16);
}

/* Word i (0..3) of address a, network order. */
static __always_inline __u32 addr_word_be(const void *a, int i)
{
	return ((const __u32 *)ADDR_A4(a))[i];
}

/* Word i (0..3) of address a, host order. */
static __always_inline __u32 addr_word(const void *a, int i)
{
	return bpf_ntohl(addr_word_be(a, i));
}

static __always_inline bool addr_eq(const void *a, const void *b)
{
	return addr_word_be(a, 0) == addr_word_be(b, 0) && addr_word_be(a, 1) == addr_word_be(b, 1) &&
	       addr_word_be(a, 2) == addr_word_be(b, 2) && addr_word_be(a, 3) == addr_word_be(b, 3);
}

static __always_inline void addr_set_v4(void *dst, __be32 a)
{
	__u32 *w = ADDR_A4(dst);

	w[0] = 0;
	w[1] = 0;
	w[2] = bpf_htonl(0xffff);
	w[3] = a;
}

static __always_inline bool addr_is_v4mapped(const void *a)
{
	return addr_word_be(a, 0) == 0 && addr_word_be(a, 1) == 0 &&
	       addr_word_be(a, 2) == bpf_htonl(0xffff);
}

#endif /* ENIADDR_BPF_ADDR_H */
