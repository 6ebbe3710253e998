/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tests/lib/bench_world.h — the worlds `make bench` measures in, shared by the benchmarks
 * (bench_paths: per packet and sync; bench_wire: real packets over veth). A world is a desired
 * state built in code and taken through the real compiler and publisher into a fixture's maps.
 */
#ifndef ENIADDR_TESTS_BENCH_WORLD_H
#define ENIADDR_TESTS_BENCH_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpf_fixture.h"
#include "compile/compile.h"
#include "kernel/publish.h"
#include "pkt.h"
#include "state.h"

#define BENCH_TCP_FLAGS_OFF 13
#define BENCH_TCP_RST 0x04
#define BENCH_TCP_ACK 0x10
#define BENCH_TCP_FIN 0x01
#define BENCH_PFX_HOST 5 /* the host of a delegated /28 a packet goes to */

double bench_now_ms(void);

/* Rule i: tcp port port_base+i with peer 10.(i/256).(i%256).0/24, inbound from and outbound
 * to it. */
int bench_add_rules(struct group *g, int n_rules, int port_base);
/* An ENI of s (source/dest check on, default timeouts) in group. NULL: out of memory. */
struct eni *bench_add_eni(struct desired_state *s, const char *name, int ifindex,
			  const char *group);
int bench_add_addr(struct eni *n, const char *ip, bool primary);

/* Compiles s (with cache, may be NULL) and publishes it into fx's maps (remembering what it
 * wrote in shadow, may be NULL); *compile_ms, *publish_ms and *grace_ms (each may be NULL)
 * receive the time of each step, publish without the RCU grace waits, which are grace_ms. */
int bench_publish_state_with(struct bpf_fixture *fx, const struct desired_state *s,
			     struct compile_cache *cache, struct publish_shadow *shadow,
			     double *compile_ms, double *publish_ms, double *grace_ms);

/* Delegated prefix i of ENI a: 100.64.0.0/28, 100.64.0.16/28, ... (EKS prefix delegation's
 * shape); host 0 writes the prefix, else that host of it. */
void bench_pfx_text(int i, int host, char *buf, size_t len);

/* ENI a (ifindex_a) with 192.0.2.1, n_addrs - 1 more addresses (10.200.0.0 on) and n_pfx
 * delegated /28s, ENI b (ifindex_b) with 198.51.100.1; both in one group of n_rules rules
 * each way (bench_add_rules from port 1000). */
int bench_publish_world(struct bpf_fixture *fx, int ifindex_a, int ifindex_b, int n_rules,
			int n_addrs, int n_pfx);

/* A TCP frame src:sport -> dst:dport with flags (BENCH_TCP_*) and an 18-byte payload. */
int bench_tcp_frame(struct pkt *p, const char *src, const char *dst, int sport, int dport,
		    uint8_t flags);

/* A UDP datagram src:sport -> dst:dport with a 64-byte payload. */
int bench_udp_frame(struct pkt *p, const char *src, int sport, const char *dst, int dport);

/* The Amazon DNS resolver's link-local address: a query to it is exempt (a failsafe) and
 * tracked, so its answer comes back in as the flow's reply. */
#define BENCH_RESOLVER "169.254.169.253"

/* Confirms the TCP flow whose first packet (peer -> local) is first, on ifindex: first through
 * xdp_ingress (the rules start the flow), then local's ACK back through tc_egress, which moves
 * it to the confirmed table. -EPROTO when the answer did not pass. */
int bench_confirm_tcp_flow(struct bpf_fixture *fx, int ifindex, const struct pkt *first,
			   const char *local, int local_port, const char *peer, int peer_port);

#endif /* ENIADDR_TESTS_BENCH_WORLD_H */
