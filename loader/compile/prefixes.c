// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * loader/compile/prefixes.c — the delegated-prefix lengths of a slot (eniaddr_state's pfx_lens):
 * the datapath makes one exact eniaddr_pfx4 / eniaddr_pfx lookup per distinct length of a family
 * (IPv4 / IPv6), so a slot holds at most ENIADDR_PFX_LENS of them and a fifth is refused here,
 * with the prefixes named.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compile/priv.h"

/* Adds len to lens (longest first, 0-padded) unless there; false when lens is full. */
static bool lens_add(__u8 lens[ENIADDR_PFX_LENS], __u8 len)
{
	int i = 0;

	while (i < ENIADDR_PFX_LENS && lens[i] > len)
		i++;
	if (i < ENIADDR_PFX_LENS && lens[i] == len)
		return true;
	if (lens[ENIADDR_PFX_LENS - 1])
		return false;
	memmove(&lens[i + 1], &lens[i], ENIADDR_PFX_LENS - 1 - (size_t)i);
	lens[i] = len;
	return true;
}

/* The lists of c; false with *v6 the family that has too many lengths. */
static bool pfx_lens_of(const struct compiled *c, __u8 lens[2][ENIADDR_PFX_LENS], bool *v6)
{
	memset(lens, 0, 2 * ENIADDR_PFX_LENS);
	for (size_t i = 0; i < c->pfxs.n; i++) {
		*v6 = !ip_is_v4(c->pfxs.v[i].k.addr);
		if (!lens_add(lens[*v6], (__u8)c->pfxs.v[i].k.prefixlen))
			return false;
	}
	return true;
}

int compiled_pfx_lens(const struct compiled *c, __u8 lens[2][ENIADDR_PFX_LENS])
{
	bool v6;

	return pfx_lens_of(c, lens, &v6) ? 0 : -E2BIG;
}

/* "/28 (10.0.1.32/28 of WHERE)" for each distinct length of family v6 in s, first seen first. */
static void name_lengths(const struct desired_state *s, bool v6, char *buf, size_t len)
{
	bool seen[129] = { false };
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->enis.n; i++)
		for (size_t j = 0; j < s->enis.v[i].prefixes.n; j++) {
			const struct ip_prefix *p = &s->enis.v[i].prefixes.v[j];
			char text[IP_PREFIX_STRLEN];
			int w;

			if (ip_prefix_is_v4(p) == v6 || seen[p->plen])
				continue;
			seen[p->plen] = true;
			ip_prefix_format(p, false, text, sizeof(text));
			w = snprintf(buf + used, len - used, "%s/%d (%s of %s)", used ? ", " : "",
				     ip_prefix_family_len(p), text, s->enis.v[i].where);
			if (w < 0 || (size_t)w >= len - used) {
				memcpy(buf + len - 4, "...", 4);
				return;
			}
			used += (size_t)w;
		}
}

int compile_check_pfx_lens(const struct desired_state *s, const struct compiled *out,
			   struct err *e)
{
	__u8 lens[2][ENIADDR_PFX_LENS];
	char names[sizeof(e->msg) - 160];
	bool v6 = false;

	if (pfx_lens_of(out, lens, &v6))
		return 0;
	name_lengths(s, v6, names, sizeof(names));
	return err_set(e, E2BIG,
		       "%s: slot %u: %s delegated prefixes of more than %d lengths; each length "
		       "costs a lookup per packet, at most %d fit: %s",
		       v6 ? ENIADDR_STR(ENIADDR_MAP_PFX) : ENIADDR_STR(ENIADDR_MAP_PFX4), out->slot,
		       v6 ? "IPv6" : "IPv4",
		       ENIADDR_PFX_LENS, ENIADDR_PFX_LENS, names);
}
