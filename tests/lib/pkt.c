// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/lib/pkt.c — see pkt.h. Headers are written byte by byte in network order, so the
 * builder depends on no kernel struct layout.
 */
#include "pkt.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP  0x0806
#define ETH_TYPE_IPV6 0x86DD
#define PROTO_FRAGMENT 44
#define PROTO_AH       51
#define PROTO_ICMPV6   58

static const uint8_t mac_dst[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t mac_src[6] = { 0x02, 0, 0, 0, 0, 0x02 };

/* Appends n bytes (zeros) and returns where they start, or NULL when the frame is full. */
static uint8_t *grow(struct pkt *p, size_t n)
{
	uint8_t *h;

	if (p->len + n > sizeof(p->data))
		return NULL;
	h = p->data + p->len;
	memset(h, 0, n);
	p->len += n;
	return h;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v & 0xffff);
}

static uint16_t ip_checksum(const uint8_t *b, size_t n)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void mark(struct pkt *p, enum pkt_layer l)
{
	if (p->off[l] == SIZE_MAX)
		p->off[l] = p->len;
}

static int build_arp(struct pkt *p)
{
	uint8_t *h;

	mark(p, PKT_L_L4);
	h = grow(p, 28);
	if (!h)
		return -EINVAL;
	put16(h, 1);             /* Ethernet */
	put16(h + 2, ETH_TYPE_IPV4);
	h[4] = 6;
	h[5] = 4;
	put16(h + 6, 1);         /* request */
	memcpy(h + 8, mac_src, 6);
	return 0;
}

static int build_ipv4(struct pkt *p, const struct pkt_spec *s, const struct in_addr *src,
		      const struct in_addr *dst)
{
	size_t hlen = 20 + s->ip4_opt_len;
	uint16_t frag_off = 0;
	uint8_t *h;

	if (s->ip4_opt_len % 4 || s->ip4_opt_len > 40)
		return -EINVAL;
	mark(p, PKT_L_IP);
	h = grow(p, hlen);
	if (!h)
		return -EINVAL;
	h[0] = 4 << 4 | (uint8_t)(hlen / 4);
	if (s->frag.on) {
		frag_off = (uint16_t)(s->frag.offset / 8) | (s->frag.more ? 0x2000 : 0);
		put16(h + 4, (uint16_t)s->frag.id);
	}
	if (s->ip4_df)
		frag_off |= 0x4000;
	put16(h + 6, frag_off);
	h[8] = s->ttl ? s->ttl : 64;
	h[9] = s->proto;
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	memset(h + 20, 1, s->ip4_opt_len); /* NOP options */
	return 0;
}

static int build_ipv6_ext(struct pkt *p, const struct pkt_spec *s, int i)
{
	const struct pkt_ext *e = &s->ext[i];
	uint8_t next = i + 1 < s->n_ext ? s->ext[i + 1].type : s->proto;
	uint16_t len = e->type == PROTO_FRAGMENT ? 8 : e->len;
	uint8_t *h;

	if (e->type == PROTO_AH ? len < 12 || len % 4 || len / 4 - 2 > 255
				: len < 8 || len % 8 || len / 8 - 1 > 255)
		return -EINVAL;
	mark(p, PKT_L_EXT);
	h = grow(p, len);
	if (!h)
		return -EINVAL;
	h[0] = next;
	if (e->type == PROTO_FRAGMENT) {
		put16(h + 2, (uint16_t)(s->frag.offset & 0xfff8) | (s->frag.more ? 1 : 0));
		put32(h + 4, s->frag.id);
	} else if (e->type == PROTO_AH) {
		h[1] = (uint8_t)(len / 4 - 2);
		put32(h + 4, 0x100); /* SPI */
	} else {
		h[1] = (uint8_t)(len / 8 - 1); /* zero bytes are Pad1 options */
	}
	return 0;
}

static int build_ipv6(struct pkt *p, const struct pkt_spec *s, const struct in6_addr *src,
		      const struct in6_addr *dst)
{
	uint8_t *h;
	int i, rc;

	if (s->n_ext < 0 || s->n_ext > PKT_MAX_EXT)
		return -EINVAL;
	mark(p, PKT_L_IP);
	h = grow(p, 40);
	if (!h)
		return -EINVAL;
	h[0] = 6 << 4;
	h[6] = s->n_ext ? s->ext[0].type : s->proto;
	h[7] = s->ttl ? s->ttl : 64;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
	for (i = 0; i < s->n_ext; i++) {
		rc = build_ipv6_ext(p, s, i);
		if (rc)
			return rc;
	}
	return 0;
}

static int build_l4(struct pkt *p, const struct pkt_spec *s, bool v6)
{
	uint8_t doff = s->tcp_doff ? s->tcp_doff : 5;
	uint8_t *h = NULL;

	mark(p, PKT_L_L4);
	switch (s->proto) {
	case IPPROTO_TCP:
		h = grow(p, doff > 5 ? doff * 4u : 20);
		if (!h)
			return -EINVAL;
		put16(h, s->sport);
		put16(h + 2, s->dport);
		put32(h + 4, 1);
		h[12] = (uint8_t)(doff << 4);
		h[13] = 0x02; /* SYN */
		put16(h + 14, 65535);
		if (doff > 5)
			memset(h + 20, 1, doff * 4u - 20); /* NOP options */
		break;
	case IPPROTO_UDP:
		h = grow(p, 8);
		if (!h)
			return -EINVAL;
		put16(h, s->sport);
		put16(h + 2, s->dport);
		put16(h + 4, (uint16_t)(8 + s->payload));
		break;
	case IPPROTO_ICMP:
	case PROTO_ICMPV6:
		if ((s->proto == PROTO_ICMPV6) != v6)
			break; /* ICMP in IPv6 or ICMPv6 in IPv4: just a protocol number */
		h = grow(p, 8);
		if (!h)
			return -EINVAL;
		h[0] = s->icmp_type;
		h[1] = s->icmp_code;
		break;
	default:
		break;
	}
	return 0;
}

static void fill_lengths(struct pkt *p, const struct pkt_spec *s, bool v6)
{
	uint8_t *h = p->data + p->off[PKT_L_IP];
	size_t ip_len = p->len - p->off[PKT_L_IP];
	size_t hlen = (h[0] & 0xf) * 4u;

	if (v6) {
		put16(h + 4, (uint16_t)(ip_len - 40));
	} else {
		put16(h + 2, (uint16_t)ip_len);
		put16(h + 10, ip_checksum(h, hlen));
	}
	if (s->ip_version)
		h[0] = (uint8_t)(s->ip_version << 4 | (h[0] & 0xf));
	if (!v6 && s->ip4_ihl)
		h[0] = (uint8_t)((h[0] & 0xf0) | (s->ip4_ihl & 0xf));
}

int pkt_build(struct pkt *p, const struct pkt_spec *s)
{
	struct in6_addr src6, dst6;
	struct in_addr src4, dst4;
	uint16_t inner = s->ethertype;
	bool ip = !inner, v6 = false;
	uint8_t *h;
	int i, n_vlan = 0, rc = 0;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < PKT_L_COUNT; i++)
		p->off[i] = SIZE_MAX;
	if (ip) {
		if (!s->src || !s->dst)
			return -EINVAL;
		if (inet_pton(AF_INET, s->src, &src4) == 1 && inet_pton(AF_INET, s->dst, &dst4) == 1)
			inner = ETH_TYPE_IPV4;
		else if (inet_pton(AF_INET6, s->src, &src6) == 1 &&
			 inet_pton(AF_INET6, s->dst, &dst6) == 1) {
			inner = ETH_TYPE_IPV6;
			v6 = true;
		} else {
			return -EINVAL;
		}
	}
	while (n_vlan < PKT_MAX_VLAN && s->vlan[n_vlan])
		n_vlan++;

	mark(p, PKT_L_ETH);
	h = grow(p, 14);
	memcpy(h, mac_dst, 6);
	memcpy(h + 6, mac_src, 6);
	put16(h + 12, n_vlan ? s->vlan[0] : inner);
	for (i = 0; i < n_vlan; i++) {
		mark(p, PKT_L_VLAN);
		h = grow(p, 4);
		put16(h, (uint16_t)(100 + i)); /* VLAN id */
		put16(h + 2, i + 1 < n_vlan ? s->vlan[i + 1] : inner);
	}

	if (ip) {
		rc = v6 ? build_ipv6(p, s, &src6, &dst6) : build_ipv4(p, s, &src4, &dst4);
		if (!rc)
			rc = build_l4(p, s, v6);
	} else if (inner == ETH_TYPE_ARP) {
		rc = build_arp(p);
	}
	if (rc)
		return rc;
	mark(p, PKT_L_PAYLOAD);
	h = grow(p, s->payload);
	if (!h)
		return -EINVAL;
	memset(h, 'x', s->payload);
	if (ip)
		fill_lengths(p, s, v6);

	if (s->cut.on) {
		if (p->off[s->cut.layer] == SIZE_MAX ||
		    p->off[s->cut.layer] + s->cut.keep > p->len)
			return -EINVAL;
		p->len = p->off[s->cut.layer] + s->cut.keep;
	}
	return 0;
}
