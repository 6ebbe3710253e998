/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/lookup.h — BPF-only: map lookups the verifier can inline. The verifier turns a lookup in
 * an array into a few instructions and one in a hash into a direct call only when the call
 * instruction always sees the same map. clang, though, merges `return lookup(&A, k1)` and
 * `return lookup(&B, k2)` in the two arms of an if into one call on "A or B", and that call
 * goes through the generic helper and an indirect call on every packet (issue 9). A lookup
 * wrapped here ends in an empty asm naming its map, which no other map's lookup matches, so
 * clang cannot merge it: use it wherever lookups of different maps meet at one return.
 * map_delete and map_update likewise for deletes and updates.
 */
#ifndef ENIADDR_BPF_LOOKUP_H
#define ENIADDR_BPF_LOOKUP_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define map_lookup(map, key)                                                                   \
	({                                                                                      \
		void *__v = bpf_map_lookup_elem(&(map), (key));                                 \
		asm volatile("/* lookup in " #map " */" : "+r"(__v));                            \
		__v;                                                                            \
	})

#define map_delete(map, key)                                                                   \
	({                                                                                      \
		long __r = bpf_map_delete_elem(&(map), (key));                                  \
		asm volatile("/* delete in " #map " */" : "+r"(__r));                            \
		__r;                                                                            \
	})

#define map_update(map, key, val, flags)                                                       \
	({                                                                                      \
		long __r = bpf_map_update_elem(&(map), (key), (val), (flags));                  \
		asm volatile("/* update in " #map " */" : "+r"(__r));                            \
		__r;                                                                            \
	})

#endif /* ENIADDR_BPF_LOOKUP_H */
