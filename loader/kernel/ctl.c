// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/kernel/ctl.c — see ctl.h. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "kernel/ctl.h"

int ctl_read(const struct map_fds *m, struct eniaddr_ctl *c, struct err *e)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(m->ctl, &key, c))
		return err_set(e, errno, "reading %s: %s", ENIADDR_STR(ENIADDR_MAP_CTL),
			       strerror(errno));
	if (c->n_guards > ENIADDR_MAX_GUARDS)
		c->n_guards = ENIADDR_MAX_GUARDS;
	if (c->n_notes > ENIADDR_MAX_NOTES)
		c->n_notes = ENIADDR_MAX_NOTES;
	return 0;
}

int ctl_write(const struct map_fds *m, const struct eniaddr_ctl *c, struct err *e)
{
	__u32 key = 0;

	if (bpf_map_update_elem(m->ctl, &key, c, BPF_ANY))
		return err_set(e, errno, "writing %s: %s", ENIADDR_STR(ENIADDR_MAP_CTL),
			       strerror(errno));
	return 0;
}

int ctl_add_guards(const struct map_fds *m, const struct eniaddr_guard *g, size_t n,
		   struct err *e)
{
	struct eniaddr_ctl c;
	int err;

	if (!n)
		return 0;
	err = ctl_read(m, &c, e);
	for (size_t i = 0; !err && i < n; i++)
		err = guard_add(c.guards, &c.n_guards, &g[i], e);
	return err ?: ctl_write(m, &c, e);
}

int ctl_apply_guards(const struct map_fds *m, struct desired_state *st, unsigned int *n_guards,
		     struct err *e)
{
	struct eniaddr_ctl c;
	int err = ctl_read(m, &c, e);

	if (!err)
		err = guard_apply(st, c.guards, c.n_guards, e);
	if (!err && n_guards)
		*n_guards = c.n_guards;
	return err;
}

int ctl_set_notes(const struct map_fds *m, const char *text, size_t stride, size_t n,
		  struct err *e)
{
	struct eniaddr_ctl c;
	int err = ctl_read(m, &c, e);

	if (err)
		return err;
	memset(c.notes, 0, sizeof(c.notes));
	c.n_notes = 0;
	for (size_t i = 0; i < n && i < ENIADDR_MAX_NOTES; i++)
		snprintf(c.notes[c.n_notes++], ENIADDR_NOTE_LEN, "%s", text + i * stride);
	return ctl_write(m, &c, e);
}
