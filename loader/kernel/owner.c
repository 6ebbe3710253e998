// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/owner.c — see owner.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

#include "addr.h"
#include "kernel/owner.h"
#include "kernel/owner_maps.h"

int owner_find_prefix(const struct map_fds *m, const struct eniaddr_state *st, unsigned int slot,
		      const __u8 addr[16], struct eniaddr_owner *o)
{
	const __u8 *lens = st->pfx_lens[slot & 1][!ip_is_v4(addr)];

	for (int i = 0; i < ENIADDR_PFX_LENS && lens[i] >= 32 && lens[i] <= 32 + 128; i++) {
		struct eniaddr_pfx_key k = { .prefixlen = lens[i], .slot = slot };
		struct ip_prefix p = { .plen = (uint8_t)(lens[i] - 32) };
		int found;

		memcpy(p.addr, addr, 16);
		ip_prefix_clear_host_bits(&p);
		memcpy(k.addr, p.addr, 16);
		found = owner_pfx_get(m, &k, o);
		if (found)
			return found;
	}
	return 0;
}

int owner_find(const struct map_fds *m, const struct eniaddr_state *st, unsigned int slot,
	       const __u8 addr[16], struct eniaddr_owner *o)
{
	struct eniaddr_addr_key k = { .slot = slot };
	int found;

	memcpy(k.addr, addr, 16);
	found = owner_addr_get(m, &k, o);
	return found ? found : owner_find_prefix(m, st, slot, addr, o);
}
