// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/addr.c — see addr.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool ip_is_v4(const uint8_t addr[16])
{
	return memcmp(addr, v4_mapped, sizeof(v4_mapped)) == 0;
}

int ip_addr_parse(const char *s, uint8_t addr[16])
{
	struct in_addr a4;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		memcpy(addr, v4_mapped, sizeof(v4_mapped));
		memcpy(addr + 12, &a4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) != 1)
		return -EINVAL;
	/* "::ffff:10.0.0.1" would silently become IPv4 10.0.0.1 here, and "::ffff:0:0/96" an IPv4
	 * /0: an IPv4-mapped IPv6 text is refused (the datapath drops such IPv6 packets). */
	if (ip_is_v4(addr))
		return -EAFNOSUPPORT;
	return 0;
}

void ip_prefix_clear_host_bits(struct ip_prefix *p)
{
	for (int bit = p->plen; bit < 128; bit++)
		p->addr[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
}

int ip_prefix_parse(const char *s, struct ip_prefix *p)
{
	char buf[IP_PREFIX_STRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	long len;
	char *end;
	int max, ret;

	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	ret = ip_addr_parse(buf, p->addr);
	if (ret)
		return ret;
	max = ip_is_v4(p->addr) ? 32 : 128;
	if (!slash) {
		len = max;
	} else {
		errno = 0;
		len = strtol(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || len < 0 || len > max)
			return -EINVAL;
	}
	p->plen = (uint8_t)(ip_is_v4(p->addr) ? 96 + len : len);
	ip_prefix_clear_host_bits(p);
	return 0;
}

void ip_addr_format(const uint8_t addr[16], char *buf, size_t len)
{
	if (ip_is_v4(addr))
		inet_ntop(AF_INET, addr + 12, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, addr, buf, (socklen_t)len);
}

int ip_prefix_family_len(const struct ip_prefix *p)
{
	return ip_is_v4(p->addr) && p->plen >= 96 ? p->plen - 96 : p->plen;
}

void ip_prefix_format(const struct ip_prefix *p, bool bare_host, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	ip_addr_format(p->addr, a, sizeof(a));
	if (bare_host && ip_prefix_is_host(p))
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%d", a, ip_prefix_family_len(p));
}

bool ip_prefix_is_v4(const struct ip_prefix *p)
{
	return p->plen >= 96 && ip_is_v4(p->addr);
}

bool ip_prefix_contains(const struct ip_prefix *outer, const struct ip_prefix *inner)
{
	if (ip_prefix_is_v4(outer) != ip_prefix_is_v4(inner))
		return false;
	if (outer->plen > inner->plen)
		return false;
	for (int bit = 0; bit < outer->plen; bit++) {
		uint8_t m = 0x80u >> (bit % 8);

		if ((outer->addr[bit / 8] & m) != (inner->addr[bit / 8] & m))
			return false;
	}
	return true;
}

bool ip_prefix_equal(const struct ip_prefix *a, const struct ip_prefix *b)
{
	return a->plen == b->plen && memcmp(a->addr, b->addr, 16) == 0;
}

bool ip_prefix_is_host(const struct ip_prefix *p)
{
	return p->plen == 128;
}

bool ip_prefix_is_any(const struct ip_prefix *p)
{
	return p->plen == 0 || (p->plen == 96 && ip_is_v4(p->addr));
}
