/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/ct_seed.h — attaching never cuts a connection that was open before it (the
 * operator's SSH session above all). Before the programs go on a device, the kernel's own TCP
 * sockets in ESTABLISHED state are read through sock_diag (NETLINK_SOCK_DIAG, inet_diag, both
 * families) and each one whose local address is configured on a device being attached is
 * written into its family's confirmed table (eniaddr_ct4 for IPv4, IPv4-mapped sockets too,
 * whose packets are IPv4; eniaddr_ct for IPv6) as an established, replied flow of that device,
 * as if the programs had seen its handshake. Its initiator is the remote end when a listening
 * socket holds the local port, else the local end. Entries that exist are left alone (BPF_NOEXIST): the programs'
 * own state is never overwritten. The first packet of the flow refreshes its expiry with the
 * ENI's own timeouts.
 *
 * Only TCP: UDP "connections" have no kernel state to read, and a UDP exchange in flight re-
 * creates its entry from its next allowed packet.
 */
#ifndef ENIADDR_CT_SEED_H
#define ENIADDR_CT_SEED_H

#include <stddef.h>

#include "err.h"

struct ct_seed_stats {
	size_t sockets; /* established TCP sockets seen */
	size_t seeded;  /* entries written */
	size_t present; /* already in the table */
};

/* Seeds the flows of the n devices ifindexes into the confirmed tables of m. -errno with e on
 * failure (the caller may go on: seeding only adds entries). */
struct map_fds;
int ct_seed_from_sockets(const struct map_fds *m, const int *ifindexes, size_t n,
			 struct ct_seed_stats *st, struct err *e);

#endif
