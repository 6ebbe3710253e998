/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/addr.h — IP addresses and prefixes in the one form the maps use: 16 bytes, IPv4 mapped
 * into ::ffff:0:0/96, prefix lengths counted in that 128-bit space (an IPv4 /24 is 120).
 */
#ifndef ENIADDR_ADDR_H
#define ENIADDR_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ip_prefix {
	uint8_t addr[16];
	uint8_t plen; /* 0..128 in the mapped space */
};

#define IP_PREFIX_STRLEN 64 /* "ffff:...:ffff/128" plus room */

bool ip_is_v4(const uint8_t addr[16]);

/* What to tell the author of an IPv4-mapped IPv6 address or CIDR. */
#define ADDR_MAPPED_ADVICE \
	"is in the IPv4-mapped IPv6 range ::ffff:0:0/96, which is neither: write IPv4 " \
	"addresses as a.b.c.d (IPv6 packets carrying mapped addresses are dropped as malformed)"

/* Parses "a.b.c.d", "a.b.c.d/n", "v6" or "v6/n". Without "/n" the prefix is a host (/32, /128).
 * Host bits are cleared, as AWS does. Returns 0, -EINVAL, or -EAFNOSUPPORT for an IPv6 text in
 * the IPv4-mapped range ::ffff:0:0/96 (ADDR_MAPPED_ADVICE says why). */
int ip_prefix_parse(const char *s, struct ip_prefix *p);

/* Parses a single address only (no "/n"); -EAFNOSUPPORT as above. */
int ip_addr_parse(const char *s, uint8_t addr[16]);

/* "10.0.1.0/24", "2001:db8::/64"; hosts print without the length when bare is true. */
void ip_prefix_format(const struct ip_prefix *p, bool bare_host, char *buf, size_t len);
void ip_addr_format(const uint8_t addr[16], char *buf, size_t len);

/* Length as the user wrote it: IPv4 lengths 0..32, IPv6 0..128. */
int ip_prefix_family_len(const struct ip_prefix *p);

/* An IPv4 prefix (mapped, length >= 96). ::/0 is IPv6, and never contains IPv4 prefixes. */
bool ip_prefix_is_v4(const struct ip_prefix *p);

/* Family-aware: an IPv6 prefix never contains an IPv4 one, even where the bits would say so. */
bool ip_prefix_contains(const struct ip_prefix *outer, const struct ip_prefix *inner);
bool ip_prefix_equal(const struct ip_prefix *a, const struct ip_prefix *b);

/* Clears the bits of p->addr past p->plen (canonical form, as AWS stores CIDRs). */
void ip_prefix_clear_host_bits(struct ip_prefix *p);
bool ip_prefix_is_host(const struct ip_prefix *p);

/* The IPv4 and IPv6 "any" prefixes: 0.0.0.0/0 (mapped /96) and ::/0. */
bool ip_prefix_is_any(const struct ip_prefix *p);

#endif
