/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/ifaces.h — the network interfaces of the current network namespace, and the binding of
 * the desired state's ENIs (named by ifname or MAC) to them. Reads only: getifaddrs(AF_PACKET).
 */
#ifndef ENIADDR_IFACES_H
#define ENIADDR_IFACES_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "state.h"

struct nic {
	char ifname[IF_NAMESIZE];
	int ifindex;
	uint8_t mac[6];
	bool has_mac; /* an Ethernet address (lo, tun, ... have none) */
};

/* A VEC(struct nic) with a name, so functions can take it. */
struct nics {
	struct nic *v;
	size_t n, cap;
};

/* Lists the interfaces except loopback, in ifindex order. */
int ifaces_list(struct nics *out, struct err *e);
void ifaces_free(struct nics *l);

const struct nic *ifaces_by_name(const struct nics *l, const char *ifname);
const struct nic *ifaces_by_mac(const struct nics *l, const uint8_t mac[6]);

/* "eth0, eth1" (or "none") for messages; truncates to len. */
void ifaces_names(const struct nics *l, char *buf, size_t len);

/* "0a:1b:2c:3d:4e:5f" into buf (at least 18 bytes). */
void ifaces_format_mac(const uint8_t mac[6], char *buf, size_t len);

/*
 * Sets every ENI's ifindex (and ifname, when the ENI names a MAC only). An ENI naming both must
 * match both. A missing interface is -ENODEV with e like
 * "cfg.json: enis[1]: no interface named eth9 (local: eth0, eth1)".
 */
int ifaces_resolve(struct desired_state *s, const struct nics *l, struct err *e);

#endif
