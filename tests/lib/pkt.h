/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tests/lib/pkt.h — builds Ethernet frames for BPF_PROG_TEST_RUN from a declarative spec, so a
 * test table reads like the packets it sends. User space only.
 *
 * Layout: Ethernet, the VLAN tags of vlan[], then by the family of src/dst an IPv4 header (with
 * ip4_opt_len option bytes) or an IPv6 header followed by ext[], then the L4 header of proto,
 * then payload bytes. With ethertype set to something else (ARP, LLDP, ...) the frame carries
 * that instead of IP (ARP gets a 28-byte request body). Lengths and the IPv4 checksum are
 * filled in; L4 checksums are left 0 (the programs under test do not check them).
 *
 * cut truncates the frame inside one layer: { PKT_L_TCP, 19 } keeps 19 bytes of the TCP header
 * and drops everything after. The overrides (ip_version, ip4_ihl, tcp_doff) make bad headers.
 */
#ifndef ENIADDR_TESTS_PKT_H
#define ENIADDR_TESTS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_MAX      3072 /* frame bytes; XDP test runs take up to ~3.5 KB */
#define PKT_MAX_VLAN 4
#define PKT_MAX_EXT  12

/* Layers a cut can name; offsets of each are recorded while building. */
enum pkt_layer {
	PKT_L_ETH = 0,
	PKT_L_VLAN,    /* the first tag */
	PKT_L_IP,      /* IPv4 or IPv6 header (IPv4 options included) */
	PKT_L_EXT,     /* the first IPv6 extension header */
	PKT_L_L4,      /* TCP, UDP, ICMP, ICMPv6, ARP body */
	PKT_L_PAYLOAD,
	PKT_L_COUNT,
};

/* One IPv6 extension header. len: total bytes (multiple of 8; AH: of 4, at least 12). The
 * fragment header (IPPROTO_FRAGMENT = 44) is 8 bytes and takes its fields from spec.frag. */
struct pkt_ext {
	uint8_t type;
	uint16_t len;
};

struct pkt_frag {
	bool on;         /* IPv4: set MF/offset/id in the header; IPv6: only via ext[] */
	uint16_t offset; /* in bytes, multiple of 8 */
	bool more;       /* MF / M flag */
	uint32_t id;     /* IPv4 uses the low 16 bits */
};

struct pkt_spec {
	uint16_t ethertype;          /* 0: IPv4 or IPv6 from the addresses */
	uint16_t vlan[PKT_MAX_VLAN]; /* TPIDs, outermost first (0x8100, 0x88a8); 0 ends */
	const char *src, *dst;       /* IPv4 or IPv6 text */
	uint8_t proto;               /* IPPROTO_TCP/UDP/ICMP/ICMPV6, or any number */
	uint16_t sport, dport;       /* TCP and UDP */
	uint8_t icmp_type, icmp_code;
	uint8_t ip4_opt_len;         /* IPv4 option bytes, multiple of 4, at most 40 */
	bool ip4_df;                 /* IPv4 don't-fragment flag */
	struct pkt_ext ext[PKT_MAX_EXT];
	int n_ext;
	struct pkt_frag frag;
	uint16_t payload;            /* bytes after the L4 header */
	struct {
		enum pkt_layer layer;
		uint16_t keep;       /* bytes of that layer kept */
		bool on;
	} cut;
	uint8_t ip_version;          /* 0: correct; else written into the version nibble */
	uint8_t ip4_ihl;             /* 0: computed */
	uint8_t tcp_doff;            /* 0: 5 */
	uint8_t ttl;                 /* IPv4 TTL / IPv6 hop limit; 0: 64 */
};

struct pkt {
	uint8_t data[PKT_MAX];
	size_t len;
	size_t off[PKT_L_COUNT]; /* where each layer starts; SIZE_MAX when absent */
};

/* Builds the frame of spec into p. Returns 0, or -EINVAL for a spec it cannot build (bad
 * address, sizes out of range, a cut naming an absent layer). */
int pkt_build(struct pkt *p, const struct pkt_spec *spec);

#endif /* ENIADDR_TESTS_PKT_H */
