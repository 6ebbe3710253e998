// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/state_prune.c — state_prune_groups() (state.h): what of a whole-account groups
 * document one instance needs. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state.h"

enum keep { DROP, MEMBERS, FULL };

static void keep_refs(const struct desired_state *s, const struct group_refs *refs,
		      uint8_t *keep)
{
	for (size_t j = 0; j < refs->ids.n; j++) {
		const struct group *g = state_find_group(s, refs->ids.v[j]);

		if (g)
			keep[g - s->groups.v] = FULL;
	}
}

int state_prune_groups(struct desired_state *s, struct err *e)
{
	uint8_t *keep = calloc(s->groups.n + 1, 1);
	size_t out = 0;

	if (!keep)
		return err_set(e, ENOMEM, "out of memory");
	for (size_t i = 0; i < s->enis.n; i++) {
		keep_refs(s, &s->enis.v[i].groups, keep);
		for (size_t a = 0; a < s->enis.v[i].addrs.n; a++)
			keep_refs(s, &s->enis.v[i].addrs.v[a].groups, keep);
	}
	for (size_t i = 0; i < s->groups.n; i++) {
		const struct group *g = &s->groups.v[i];

		for (size_t r = 0; keep[i] == FULL && r < g->ingress.n + g->egress.n; r++) {
			const struct rule *rl = r < g->ingress.n ? &g->ingress.v[r]
								 : &g->egress.v[r - g->ingress.n];
			const struct group *peer = rl->peer_kind == PEER_GROUP ?
						   state_find_group(s, rl->ref) : NULL;

			if (peer && keep[peer - s->groups.v] == DROP)
				keep[peer - s->groups.v] = MEMBERS;
		}
	}
	for (size_t i = 0; i < s->groups.n; i++) {
		struct group *g = &s->groups.v[i];

		if (keep[i] != FULL) {
			VEC_FREE(&g->ingress);
			VEC_FREE(&g->egress);
			g->egress_set = false;
		}
		if (keep[i] == DROP) {
			VEC_FREE(&g->members);
			continue;
		}
		s->groups.v[out++] = *g;
	}
	s->groups.n = out;
	free(keep);
	return 0;
}

int state_add_referenced_groups(struct desired_state *s, struct err *e)
{
	for (size_t i = 0; i < s->groups.n; i++) {
		size_t n_in = s->groups.v[i].ingress.n, n = n_in + s->groups.v[i].egress.n;

		for (size_t r = 0; r < n; r++) {
			const struct group *g = &s->groups.v[i];
			const struct rule *rl = r < n_in ? &g->ingress.v[r] : &g->egress.v[r - n_in];
			struct group *ref;

			if (rl->peer_kind != PEER_GROUP || state_find_group(s, rl->ref))
				continue;
			ref = VEC_PUSH(&s->groups); /* may move g and rl: both are re-read below */
			if (!ref)
				return err_set(e, ENOMEM, "out of memory");
			g = &s->groups.v[i];
			rl = r < n_in ? &g->ingress.v[r] : &g->egress.v[r - n_in];
			snprintf(ref->id, sizeof(ref->id), "%s", rl->ref);
			snprintf(ref->where, sizeof(ref->where), "%.*s", STATE_WHERE_LEN - 1, rl->where);
		}
	}
	return 0;
}
