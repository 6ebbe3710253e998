// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/packet.c — see packet.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "packet.h"

#define WORDS_MAX 16

static const struct {
	const char *name;
	uint8_t bit;
} tcp_flags[] = {
	{ "fin", PACKET_TCP_FIN }, { "syn", PACKET_TCP_SYN }, { "rst", PACKET_TCP_RST },
	{ "psh", PACKET_TCP_PSH }, { "ack", PACKET_TCP_ACK }, { "urg", PACKET_TCP_URG },
};

static bool is_icmp(const struct packet_spec *p)
{
	return p->proto == (p->v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
}

static bool has_ports(const struct packet_spec *p)
{
	return p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP;
}

/* A whole number in 0..max. */
static int number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return !*s || *end || errno || *s == '-' || *out > max ? -EINVAL : 0;
}

static int parse_proto(const char *w, struct packet_spec *p, bool *icmp6, struct err *e)
{
	unsigned long n;

	*icmp6 = false;
	if (!strcmp(w, "tcp"))
		p->proto = IPPROTO_TCP;
	else if (!strcmp(w, "udp"))
		p->proto = IPPROTO_UDP;
	else if (!strcmp(w, "icmp"))
		p->proto = IPPROTO_ICMP;
	else if (!strcmp(w, "icmpv6") || !strcmp(w, "icmp6"))
		p->proto = IPPROTO_ICMPV6, *icmp6 = true;
	else if (!number(w, 255, &n))
		p->proto = (uint8_t)n;
	else
		return err_set(e, EINVAL, "packet: unknown protocol '%s' (tcp, udp, icmp, icmpv6 or "
			       "a number)", w);
	return 0;
}

/* "a.b.c.d[:port]", "[v6]:port" or a bare v6 address. */
static int parse_endpoint(const char *w, bool want_port, uint8_t addr[16], uint16_t *port,
			  struct err *e)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *colon = NULL, *a = buf;
	unsigned long n;

	if (strlen(w) >= sizeof(buf))
		return err_set(e, EINVAL, "packet: '%s' is not an address", w);
	strcpy(buf, w);
	if (buf[0] == '[') {
		char *close = strchr(buf, ']');

		if (!close)
			return err_set(e, EINVAL, "packet: '%s': missing ']'", w);
		*close = '\0';
		a = buf + 1;
		colon = close[1] == ':' ? close + 1 : NULL;
		if (close[1] && !colon)
			return err_set(e, EINVAL, "packet: '%s': expected [ADDRESS]:PORT", w);
	} else if (strchr(buf, '.')) {
		char *c = strchr(buf, ':');

		if (c)
			*c = '\0';
		colon = c;
	}
	if (ip_addr_parse(a, addr))
		return err_set(e, EINVAL, "packet: '%s' is not an IPv4 or IPv6 address", a);
	*port = 0;
	if (colon && number(colon + 1, 65535, &n))
		return err_set(e, EINVAL, "packet: '%s': bad port", w);
	if (colon)
		*port = (uint16_t)n;
	if (want_port && !colon)
		return err_set(e, EINVAL, "packet: '%s' needs a port (ADDRESS:PORT, [V6]:PORT)", w);
	if (!want_port && colon)
		return err_set(e, EINVAL, "packet: '%s': this protocol has no ports", w);
	return 0;
}

/* The words after DST. */
static int parse_words(char **w, int n, struct packet_spec *p, struct err *e)
{
	unsigned long v;
	size_t f;
	int i;

	for (i = 0; i < n; i++) {
		bool valued = !strcmp(w[i], "type") || !strcmp(w[i], "code") || !strcmp(w[i], "len");

		if (valued) {
			unsigned long max = strcmp(w[i], "len") ? 255 : 1400;

			if (i + 1 == n || number(w[i + 1], max, &v))
				return err_set(e, EINVAL, "packet: '%s' needs a number 0..%lu", w[i],
					       max);
			if (w[i][0] == 'l')
				p->payload = (uint16_t)v;
			else if (!is_icmp(p))
				return err_set(e, EINVAL, "packet: '%s' is for icmp", w[i]);
			else if (w[i][0] == 't')
				p->icmp_type = (uint8_t)v;
			else
				p->icmp_code = (uint8_t)v;
			i++;
			continue;
		}
		if (is_icmp(p) && (!strcmp(w[i], "echo-request") || !strcmp(w[i], "echo-reply"))) {
			bool req = !strcmp(w[i], "echo-request");

			p->icmp_type = p->v6 ? (req ? 128 : 129) : (req ? 8 : 0);
			p->icmp_code = 0;
			continue;
		}
		for (f = 0; p->proto == IPPROTO_TCP && f < sizeof(tcp_flags) / sizeof(tcp_flags[0]);
		     f++)
			if (!strcmp(w[i], tcp_flags[f].name))
				break;
		if (p->proto != IPPROTO_TCP || f == sizeof(tcp_flags) / sizeof(tcp_flags[0]))
			return err_set(e, EINVAL, "packet: unexpected '%s'", w[i]);
		p->tcp_flags |= tcp_flags[f].bit;
	}
	return 0;
}

int packet_parse(const char *text, struct packet_spec *p, struct err *e)
{
	char buf[512], *w[WORDS_MAX], *save = NULL, *tok;
	bool icmp6;
	int n = 0, err;

	memset(p, 0, sizeof(*p));
	if (strlen(text) >= sizeof(buf))
		return err_set(e, EINVAL, "packet: too long");
	strcpy(buf, text);
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == WORDS_MAX)
			return err_set(e, EINVAL, "packet: too many words");
		w[n++] = tok;
	}
	if (n < 4 || strcmp(w[2], ">"))
		return err_set(e, EINVAL, "packet: expected 'PROTO SRC > DST [FLAGS...]', e.g. "
			       "'tcp 203.0.113.7:40000 > 10.20.1.11:443 syn'");
	if ((err = parse_proto(w[0], p, &icmp6, e)))
		return err;
	if ((err = parse_endpoint(w[1], has_ports(p), p->src, &p->sport, e)) ||
	    (err = parse_endpoint(w[3], has_ports(p), p->dst, &p->dport, e)))
		return err;
	p->v6 = !ip_is_v4(p->src);
	if (p->v6 != !ip_is_v4(p->dst))
		return err_set(e, EINVAL, "packet: %s and %s are of different families", w[1], w[3]);
	if (p->proto == IPPROTO_ICMP && p->v6)
		return err_set(e, EINVAL, "packet: icmp is IPv4; use icmpv6 for IPv6");
	if (icmp6 && !p->v6)
		return err_set(e, EINVAL, "packet: icmpv6 needs IPv6 addresses");
	if (is_icmp(p))
		p->icmp_type = p->v6 ? 128 : 8;
	if ((err = parse_words(w + 4, n - 4, p, e)))
		return err;
	if (p->proto == IPPROTO_TCP && !p->tcp_flags)
		p->tcp_flags = PACKET_TCP_SYN;
	return 0;
}

static uint16_t ip4_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)h[i] << 8 | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static size_t l4_len(const struct packet_spec *p)
{
	if (p->proto == IPPROTO_TCP)
		return 20;
	if (p->proto == IPPROTO_UDP || is_icmp(p))
		return 8;
	return 0;
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

size_t packet_build(const struct packet_spec *p, uint8_t *buf)
{
	size_t ip_len = p->v6 ? 40 : 20, l4 = l4_len(p), total = 14 + ip_len + l4 + p->payload;
	uint8_t *ip = buf + 14, *h = ip + ip_len;

	memset(buf, 0, total);
	put16(buf + 12, p->v6 ? 0x86dd : 0x0800);
	if (p->v6) {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(l4 + p->payload));
		ip[6] = p->proto;
		ip[7] = 64;
		memcpy(ip + 8, p->src, 16);
		memcpy(ip + 24, p->dst, 16);
	} else {
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(ip_len + l4 + p->payload));
		ip[8] = 64;
		ip[9] = p->proto;
		memcpy(ip + 12, p->src + 12, 4);
		memcpy(ip + 16, p->dst + 12, 4);
		put16(ip + 10, ip4_checksum(ip, ip_len));
	}
	if (has_ports(p)) {
		put16(h, p->sport);
		put16(h + 2, p->dport);
	}
	if (p->proto == IPPROTO_TCP) {
		h[12] = 5 << 4;
		h[13] = p->tcp_flags;
		put16(h + 14, 65535);
	} else if (p->proto == IPPROTO_UDP) {
		put16(h + 4, (uint16_t)(8 + p->payload));
	} else if (is_icmp(p)) {
		h[0] = p->icmp_type;
		h[1] = p->icmp_code;
		put16(h + 4, 0x4242); /* echo identifier */
	}
	return total;
}

void packet_format(const struct packet_spec *p, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], flags[32] = "";
	size_t f, used = 0;

	ip_addr_format(p->src, s, sizeof(s));
	ip_addr_format(p->dst, d, sizeof(d));
	if (p->proto == IPPROTO_TCP)
		for (f = 0; f < sizeof(tcp_flags) / sizeof(tcp_flags[0]); f++)
			if (p->tcp_flags & tcp_flags[f].bit)
				used += (size_t)snprintf(flags + used, sizeof(flags) - used, " %s",
							 tcp_flags[f].name);
	if (has_ports(p))
		snprintf(buf, len, "%s %s%s%s:%u > %s%s%s:%u%s", p->proto == IPPROTO_TCP ? "tcp" : "udp",
			 p->v6 ? "[" : "", s, p->v6 ? "]" : "", p->sport, p->v6 ? "[" : "", d,
			 p->v6 ? "]" : "", p->dport, flags);
	else if (is_icmp(p))
		snprintf(buf, len, "%s %s > %s type %u code %u", p->v6 ? "icmpv6" : "icmp", s, d,
			 p->icmp_type, p->icmp_code);
	else
		snprintf(buf, len, "%u %s > %s", p->proto, s, d);
}
