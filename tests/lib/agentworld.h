/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tests/lib/agentworld.h — IMDS worlds and the security group of the two-instances bed
 * (scripts/vpcbed.sh): instance A with eth0 and eth1, instance B with eth0, all in
 * 192.0.2.0/24, and the floating address AGENTWORLD_FLOATING on one of the three ENIs.
 */
#ifndef ENIADDR_TESTS_AGENTWORLD_H
#define ENIADDR_TESTS_AGENTWORLD_H

#include <stddef.h>

#define AGENTWORLD_FLOATING "192.0.2.100"
#define AGENTWORLD_PORT 8080

enum agentworld_owner { FLOAT_A_ETH0, FLOAT_A_ETH1, FLOAT_B_ETH0 };

/* The security group both instances use: TCP 8080 and ICMP from anywhere. */
extern const char *agentworld_sgs;

/* The world of instance A (b = 0) or B (b = 1) when the floating address is on owner. */
void agentworld_text(int b, enum agentworld_owner owner, char *buf, size_t len);

/* (role, dev) of the ENI that owns it: "inst"/"instb", "eth0"/"eth1". */
const char *agentworld_role(enum agentworld_owner owner);
const char *agentworld_dev(enum agentworld_owner owner);

/* The VPC's side of a reassignment: `vpcbed.sh move BED FLOATING ROLE DEV`. 0 or -errno. */
int agentworld_move(const char *bed, enum agentworld_owner owner);

#endif
