/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/packet.h — one packet written the way tcpdump prints it, for `explain`, and the
 * Ethernet frame it stands for. Pure: no syscalls, tested without privileges.
 *
 *   PROTO SRC > DST [WORD]...
 *   PROTO  tcp | udp | icmp | icmpv6 | a protocol number
 *   SRC    203.0.113.7:40000, [2001:db8::7]:40000; without a port for ICMP and others
 *   WORD   tcp flags: syn ack fin rst psh urg (none given: syn);
 *          icmp: type N, code N, or echo-request / echo-reply (default: echo-request);
 *          len N: bytes of payload after the L4 header (default 0)
 *
 * Both addresses must be of one family. The frame: Ethernet (zero MACs), IPv4 (checksummed) or
 * IPv6, then the TCP (20 bytes), UDP (8) or ICMP (8) header and the payload; L4 checksums are 0
 * (the programs never check them).
 */
#ifndef ENIADDR_PACKET_H
#define ENIADDR_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PACKET_MAX_FRAME 1600

/* TCP flag bits as in the header's flags byte. */
#define PACKET_TCP_FIN 0x01
#define PACKET_TCP_SYN 0x02
#define PACKET_TCP_RST 0x04
#define PACKET_TCP_PSH 0x08
#define PACKET_TCP_ACK 0x10
#define PACKET_TCP_URG 0x20

struct packet_spec {
	uint8_t src[16], dst[16]; /* IPv4-mapped for IPv4 */
	bool v6;
	uint8_t proto;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint16_t payload;
};

/* Parses text into p; -EINVAL with e naming the word that is wrong. */
int packet_parse(const char *text, struct packet_spec *p, struct err *e);

/* Writes the frame of p into buf (PACKET_MAX_FRAME bytes) and returns its length. */
size_t packet_build(const struct packet_spec *p, uint8_t *buf);

/* "tcp 203.0.113.7:40000 > 10.20.1.11:443 syn" back from p, for output. */
void packet_format(const struct packet_spec *p, char *buf, size_t len);

#endif
