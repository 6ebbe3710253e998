// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/source/localize.c — see localize.h. */
#include "source/localize.h"
#include "source/local_subnets.h"
#include "source/routes.h"

int state_localize(struct desired_state *s, const struct nics *nics, struct err *e)
{
	struct if_prefixes local = {};
	int err;

	err = ifaces_resolve(s, nics, e);
	/* AWS JSON and IMDS-less configs may omit subnet CIDRs: the redirect's next hop needs
	 * them, and the interfaces are configured with them. */
	if (!err)
		err = local_prefixes_list(&local, e);
	if (!err)
		err = local_subnets_fill(s, local.v, local.n, e);
	local_prefixes_free(&local);
	/* The redirect's off-subnet next hop: each ENI's router as the kernel knows it now
	 * (routes_learn returns 1 when a router changed, which every caller here ignores). */
	if (!err && (err = routes_learn(s, e)) > 0)
		err = 0;
	return err ? err : state_validate(s, e);
}
