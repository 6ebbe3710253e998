// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli/session.c — see session.h. */
#include "log.h"
#include "session.h"

int session_open(const struct cli_args *a, enum pins_access acc, struct session *s,
		 struct err *e)
{
	int err;

	s->created = false;
	map_fds_init(&s->maps);
	err = pins_init(&s->pins, a->bpffs, e);
	if (err)
		return err;
	err = pins_lock(&s->pins, acc, e);
	if (err)
		return err;
	if (acc == PINS_CREATE) {
		struct runtime_opts ro = { .ct_size = a->ct_size };

		err = runtime_load_opts(&s->pins, &ro, &s->created, e);
	}
	if (!err)
		err = runtime_open_maps(&s->pins, &s->maps, e);
	if (err) {
		if (acc == PINS_CREATE) /* a failed first load leaves no empty dirs behind */
			pins_remove_if_empty(&s->pins);
		session_close(s);
	}
	return err;
}

void session_undo_load(struct session *s)
{
	struct err e = {};

	if (!s->created || s->maps.attach < 0)
		return;
	if (runtime_unload_if_unused(&s->pins, &s->maps, &e) < 0)
		log_warn("could not undo the load: %s", e.msg);
}

void session_close(struct session *s)
{
	runtime_close_maps(&s->maps);
	pins_unlock(&s->pins);
}
