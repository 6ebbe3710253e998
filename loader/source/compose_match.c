// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/source/compose_match.c — see compose_match.h. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "source/compose_match.h"

/* The MAC of a local interface (the OS's view; a source may read it). */
static bool ifname_mac(const char *ifname, uint8_t mac[6])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ok = !ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (ok)
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return ok;
}

static bool matches(const struct eni *entry, const struct eni *n)
{
	uint8_t mac[6];

	if (entry->eni_id[0])
		return !strcmp(entry->eni_id, n->eni_id);
	if (entry->has_mac)
		return n->has_mac && !memcmp(entry->mac, n->mac, 6);
	return n->has_mac && ifname_mac(entry->ifname, mac) && !memcmp(mac, n->mac, 6);
}

static int copy_refs(const struct group_refs *from, struct group_refs *to, struct err *e)
{
	for (size_t i = 0; i < from->ids.n; i++)
		if (group_refs_add(to, from->ids.v[i]))
			return err_set(e, ENOMEM, "out of memory");
	return 0;
}

static int apply_entry(const struct eni *entry, struct eni *n, struct err *e)
{
	int ret = 0;

	n->mode = entry->mode;
	n->src_check = entry->src_check;
	n->timeouts = entry->timeouts;
	if (entry->has_vpc) { /* the config names the VPC: it wins over what IMDS said */
		n->has_vpc = true;
		n->vpc = entry->vpc;
		snprintf(n->vpc_where, sizeof(n->vpc_where), "%s", entry->vpc_where);
	}
	if (entry->groups.ids.n) {
		group_refs_free(&n->groups);
		ret = copy_refs(&entry->groups, &n->groups, e);
	}
	for (size_t i = 0; !ret && i < entry->addrs.n; i++) {
		const struct address *want = &entry->addrs.v[i];

		if (!want->has_override)
			continue;
		for (size_t j = 0; !ret && j < n->addrs.n; j++) {
			struct address *a = &n->addrs.v[j];

			if (!ip_prefix_equal(&a->ip, &want->ip))
				continue;
			group_refs_free(&a->groups);
			a->has_override = true;
			snprintf(a->where, sizeof(a->where), "%s", want->where);
			ret = copy_refs(&want->groups, &a->groups, e);
		}
	}
	return ret;
}

int compose_apply_settings(const struct desired_state *cfg, struct desired_state *s,
			   struct err *e)
{
	const struct eni **by = calloc(s->enis.n + 1, sizeof(*by));
	int ret = 0;

	if (!by)
		return err_set(e, ENOMEM, "out of memory");
	for (size_t i = 0; !ret && i < cfg->enis.n; i++) {
		const struct eni *entry = &cfg->enis.v[i];

		for (size_t j = 0; !ret && j < s->enis.n; j++) {
			if (!matches(entry, &s->enis.v[j]))
				continue;
			if (by[j])
				ret = err_set(e, EINVAL, "%s and %s both match %s (%s)",
					      by[j]->where, entry->where, s->enis.v[j].eni_id,
					      s->enis.v[j].where);
			else
				by[j] = entry;
		}
	}
	for (size_t j = 0; !ret && j < s->enis.n; j++)
		if (by[j])
			ret = apply_entry(by[j], &s->enis.v[j], e);
	free(by);
	return ret;
}
