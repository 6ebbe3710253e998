// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/ifaces.c — see ifaces.h. */
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_packet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/ifaces.h"

static int by_ifindex(const void *a, const void *b)
{
	const struct nic *x = a, *y = b;

	return (x->ifindex > y->ifindex) - (x->ifindex < y->ifindex);
}

int ifaces_list(struct nics *out, struct err *e)
{
	struct ifaddrs *ifa, *it;
	struct nic *n;

	memset(out, 0, sizeof(*out));
	if (getifaddrs(&ifa))
		return err_set(e, errno, "listing interfaces: %s", strerror(errno));
	/* AF_PACKET entries: one per link, with its ifindex and hardware address. */
	for (it = ifa; it; it = it->ifa_next) {
		const struct sockaddr_ll *ll = (const struct sockaddr_ll *)it->ifa_addr;

		if (!ll || ll->sll_family != AF_PACKET || (it->ifa_flags & IFF_LOOPBACK))
			continue;
		n = VEC_PUSH(out);
		if (!n) {
			freeifaddrs(ifa);
			ifaces_free(out);
			return err_set(e, ENOMEM, "out of memory");
		}
		snprintf(n->ifname, sizeof(n->ifname), "%s", it->ifa_name);
		n->ifindex = ll->sll_ifindex;
		if (ll->sll_halen == 6) {
			memcpy(n->mac, ll->sll_addr, 6);
			n->has_mac = true;
		}
	}
	freeifaddrs(ifa);
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), by_ifindex);
	return 0;
}

void ifaces_free(struct nics *l)
{
	VEC_FREE(l);
}

const struct nic *ifaces_by_name(const struct nics *l, const char *ifname)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].ifname, ifname))
			return &l->v[i];
	return NULL;
}

const struct nic *ifaces_by_mac(const struct nics *l, const uint8_t mac[6])
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].has_mac && !memcmp(l->v[i].mac, mac, 6))
			return &l->v[i];
	return NULL;
}

void ifaces_format_mac(const uint8_t m[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

void ifaces_names(const struct nics *l, char *buf, size_t len)
{
	size_t i, used = 0;

	snprintf(buf, len, "none");
	for (i = 0; i < l->n && used < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", l->v[i].ifname);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Same list, with MACs: what a user needs to fix a MAC that matched nothing. */
static void names_with_macs(const struct nics *l, char *buf, size_t len)
{
	char mac[18];
	size_t i, used = 0;

	snprintf(buf, len, "none");
	for (i = 0; i < l->n && used < len; i++) {
		int n;

		if (l->v[i].has_mac)
			ifaces_format_mac(l->v[i].mac, mac, sizeof(mac));
		else
			snprintf(mac, sizeof(mac), "no MAC");
		n = snprintf(buf + used, len - used, "%s%s %s", i ? ", " : "", l->v[i].ifname,
			     mac);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static int resolve_one(struct eni *eni, const struct nics *l, struct err *e)
{
	char local[512], want[18], have[18];
	const struct nic *nic;

	if (eni->ifname[0]) {
		nic = ifaces_by_name(l, eni->ifname);
		if (!nic) {
			ifaces_names(l, local, sizeof(local));
			return err_set(e, ENODEV, "%s: no interface named %s (local: %s)", eni->where,
				       eni->ifname, local);
		}
		if (eni->has_mac && (!nic->has_mac || memcmp(nic->mac, eni->mac, 6))) {
			ifaces_format_mac(eni->mac, want, sizeof(want));
			if (nic->has_mac)
				ifaces_format_mac(nic->mac, have, sizeof(have));
			else
				snprintf(have, sizeof(have), "none");
			return err_set(e, ENODEV, "%s: interface %s has MAC %s, not %s", eni->where,
				       eni->ifname, have, want);
		}
	} else if (eni->has_mac) {
		nic = ifaces_by_mac(l, eni->mac);
		if (!nic) {
			ifaces_format_mac(eni->mac, want, sizeof(want));
			names_with_macs(l, local, sizeof(local));
			return err_set(e, ENODEV, "%s: no interface with MAC %s (local: %s)",
				       eni->where, want, local);
		}
		snprintf(eni->ifname, sizeof(eni->ifname), "%s", nic->ifname);
	} else {
		return err_set(e, EINVAL, "%s: names neither an interface nor a MAC", eni->where);
	}
	eni->ifindex = nic->ifindex;
	return 0;
}

int ifaces_resolve(struct desired_state *s, const struct nics *l, struct err *e)
{
	size_t i;
	int err;

	for (i = 0; i < s->enis.n; i++) {
		err = resolve_one(&s->enis.v[i], l, e);
		if (err)
			return err;
	}
	return 0;
}
