/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf/consts.h — BPF-only: the network constants vmlinux.h cannot give us (they are #defines in
 * the kernel headers, so BTF never sees them), plus the few numbers the fast path decides by.
 * User space gets the same values from <linux/if_ether.h>, <netinet/in.h> and friends.
 */
#ifndef ENIADDR_BPF_CONSTS_H
#define ENIADDR_BPF_CONSTS_H

#include "eniaddr.h"

/* ---- Ethernet (linux/if_ether.h) ---- */
#define ETH_HLEN      14
#define ETH_P_IP      0x0800
#define ETH_P_ARP     0x0806
#define ETH_P_8021Q   0x8100
#define ETH_P_8021AD  0x88A8
#define ETH_P_IPV6    0x86DD

/* ---- IPv4 (net/ip.h) ---- */
#define IP_MF         0x2000 /* more fragments */
#define IP_OFFSET     0x1FFF /* fragment offset, 8-byte units */

/* ---- IP protocol numbers vmlinux.h lacks (its enum has ICMP, TCP, UDP, ESP, AH) ---- */
#define IPPROTO_HOPOPTS  0
#define IPPROTO_ROUTING  43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_ICMPV6   58
#define IPPROTO_NONE     59
#define IPPROTO_DSTOPTS  60
#define IPPROTO_MH       135

/* ---- IPv6 fragment header (net/ipv6.h) ---- */
#define IP6_MF        0x0001
#define IP6_OFFSET    0xFFF8 /* offset in bytes, low 3 bits are flags */

/* ---- ICMP types and codes the failsafes name ---- */
#define ICMP_DEST_UNREACH   3
#define ICMPV6_ND_FIRST     133 /* router solicitation */
#define ICMPV6_ND_LAST      137 /* redirect */

/* ---- ICMP types connection tracking names (linux/icmp.h, linux/icmpv6.h) ---- */
#define ICMP_ECHOREPLY       0
#define ICMP_SOURCE_QUENCH   4
#define ICMP_REDIRECT        5
#define ICMP_ECHO            8
#define ICMP_TIME_EXCEEDED   11
#define ICMP_PARAMETERPROB   12
#define ICMPV6_DEST_UNREACH  1
#define ICMPV6_PARAMPROB     4
#define ICMPV6_ECHO_REQUEST  128
#define ICMPV6_ECHO_REPLY    129

/* ---- TCP flags, the 14th header byte (net/tcp.h TCPHDR_*) ---- */
#define TCP_F_FIN 0x01
#define TCP_F_SYN 0x02
#define TCP_F_RST 0x04
#define TCP_F_PSH 0x08
#define TCP_F_ACK 0x10

/* ---- the link-local services (REFERENCE.md §3), address words in host order ---- */
#define LL_IMDS_V4       0xa9fea9fe /* 169.254.169.254 */
#define LL_DNS_V4        0xa9fea9fd /* 169.254.169.253 */
#define LL_NTP_V4        0xa9fea97b /* 169.254.169.123 */
#define LL_SVC_V6_W0     0xfd000ec2 /* fd00:ec2::/96 */
#define LL_IMDS_V6_LAST  0x254      /* fd00:ec2::254 */
#define LL_DNS_V6_LAST   0x253      /* fd00:ec2::253 */
#define LL_NTP_V6_LAST   0x123      /* fd00:ec2::123 */
#define IMDS_PORT        80
#define DNS_PORT         53
#define NTP_PORT         123
#define IPV4_BROADCAST   0xffffffff /* the limited broadcast, DHCP answers to clients */

/* ---- ICMPv6 multicast listener discovery (RFC 2710, RFC 3810) ---- */
#define ICMPV6_MLD_QUERY    130
#define ICMPV6_MLD_REPORT   131
#define ICMPV6_MLD_DONE     132
#define ICMPV6_MLD2_REPORT  143

/* ---- DHCP server -> client ports ---- */
#define DHCP4_SERVER_PORT 67
#define DHCP4_CLIENT_PORT 68
#define DHCP6_SERVER_PORT 547
#define DHCP6_CLIENT_PORT 546

/* ---- errno values helpers return negated (uapi asm-generic/errno-base.h) ---- */
#define ENIADDR_EEXIST 17

/* ---- tc (linux/pkt_cls.h) ---- */
#define TC_ACT_UNSPEC (-1) /* "continue": the next filter runs, then the packet goes on */
#define TC_ACT_SHOT   2

/*
 * tc sees a socket buffer whose headers may sit partly in paged fragments. The tc programs parse
 * what is linear; when a header reaches past it, they make exactly up to that header's end
 * linear (bpf_skb_pull_data) and parse again, at most this many times. Each round gets at least
 * one more header, so the cap covers Ethernet, IP with options and TCP with options; deeper
 * chains are parsed as far as the rounds reach and judged MALFORMED past that. Payload is never
 * pulled.
 */
#define ENIADDR_TC_PULL_ROUNDS 6

/*
 * The parser masks its offset with this after each IPv6 extension header (see cursor_settle in
 * parse.h). It must exceed the deepest header start the parser can reach, so that the mask
 * never changes a real offset, and leave room below the verifier's 0xffff packet-offset limit.
 */
#define ENIADDR_PARSE_OFF_MASK 0x7fff
_Static_assert(ETH_HLEN + 4 * ENIADDR_MAX_VLAN_DEPTH + 40 + ENIADDR_MAX_EXT_HDRS * 2048 + 60 <
	       ENIADDR_PARSE_OFF_MASK, "parser offsets fit the mask");

#endif /* ENIADDR_BPF_CONSTS_H */
