/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/local_subnets.h — an ENI's subnet CIDRs when its source gave none (AWS JSON has only a
 * SubnetId): taken from the prefixes the interface itself is configured with. On EC2 the primary
 * address comes from DHCP with the subnet's length (eth1 192.0.2.20/24 -> 192.0.2.0/24), so the
 * kernel already knows what the egress redirect needs for its next hop. Reads only: getifaddrs.
 */
#ifndef ENIADDR_LOCAL_SUBNETS_H
#define ENIADDR_LOCAL_SUBNETS_H

#include <net/if.h>
#include <stddef.h>

#include "addr.h"
#include "err.h"
#include "state.h"

/* One address of a local interface with the kernel's prefix length; host bits are kept. */
struct if_prefix {
	char ifname[IF_NAMESIZE];
	struct ip_prefix p;
};

struct if_prefixes {
	struct if_prefix *v;
	size_t n, cap;
};

/* The IPv4 and global IPv6 addresses of every non-loopback interface (IPv6 link-local skipped). */
int local_prefixes_list(struct if_prefixes *out, struct err *e);
void local_prefixes_free(struct if_prefixes *l);

/*
 * Gives every ENI that has no subnet of a family one from l, matched by the ENI's (resolved)
 * ifname; subnets the source gave are never touched. A candidate is an entry of that interface
 * and family that is not a host (/32, /128), can hold a router (at most /30, /126, as
 * compile_nexthop requires) and contains every address and prefix the ENI has in that family.
 * Preferred: the entry that is the ENI's primary address, else the shortest candidate. No
 * candidate: the family stays without subnet (the kernel's route lookup decides, as before)
 * rather than failing, since a local prefix that disagrees with AWS is a local matter the
 * compiler would otherwise reject the whole state for. Returns 0 or -ENOMEM.
 */
int local_subnets_fill(struct desired_state *s, const struct if_prefix *l, size_t n,
		       struct err *e);

#endif
