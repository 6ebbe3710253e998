/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/agent/addrmgr.h — `run --manage-addresses`: the OS answers for the secondary addresses
 * the source assigns. After each successful reconcile, every non-primary address of every ENI
 * in force is made present on its interface (IPv4 /32, IPv6 /128, no DAD: the VPC already
 * guarantees it is unique), and every address this agent added that is no longer assigned there
 * is removed.
 *
 * Ours are marked in the kernel, not in a file: the address protocol (IFA_PROTO, Linux 6.1+) is
 * ADDRMGR_PROTO on what we add. Only those are ever removed; an address someone else configured
 * (DHCP's primary, amazon-ec2-net-utils, systemd-networkd, an operator) is never touched, and
 * when it already exists we do not add it again (nor mark it). The mark survives the agent, so
 * a restarted agent knows what it added; `ip -d address` shows it as "proto 0xea"-ish numbers.
 * Primary addresses are DHCP's business and never added.
 */
#ifndef ENIADDR_AGENT_ADDRMGR_H
#define ENIADDR_AGENT_ADDRMGR_H

#include <stddef.h>

#include "err.h"
#include "state.h"

#define ADDRMGR_PROTO 0xea /* IFA_PROTO of the addresses the agent adds */

struct addrmgr_result {
	size_t added, removed;
};

/* Brings the OS addresses in line with s (resolved: every ENI has its ifindex). */
int addrmgr_sync(const struct desired_state *s, struct addrmgr_result *res, struct err *e);

/* Removes every address carrying ADDRMGR_PROTO (all interfaces). */
int addrmgr_remove_all(struct addrmgr_result *res, struct err *e);

#endif
