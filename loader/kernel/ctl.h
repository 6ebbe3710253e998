/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/ctl.h — the CLI's records in eniaddr_ctl (maps/eniaddr.h): guards, a publish
 * waiting for confirm, the notes of the last publish. Read and written whole, under the pin
 * dir's lock.
 */
#ifndef ENIADDR_CTL_H
#define ENIADDR_CTL_H

#include <stddef.h>

#include "../maps/eniaddr.h"
#include "err.h"
#include "kernel/runtime.h"
#include "state.h"

int ctl_read(const struct map_fds *m, struct eniaddr_ctl *c, struct err *e);
int ctl_write(const struct map_fds *m, const struct eniaddr_ctl *c, struct err *e);

/* Adds the guards not stored yet; -ENOSPC past ENIADDR_MAX_GUARDS (nothing stored then). */
int ctl_add_guards(const struct map_fds *m, const struct eniaddr_guard *g, size_t n,
		   struct err *e);

/* The stored guards into st (guard_apply): every publisher calls it right before compiling,
 * so no configuration, from any source, goes live without them. */
int ctl_apply_guards(const struct map_fds *m, struct desired_state *st, unsigned int *n_guards,
		     struct err *e);

/* Replaces the notes with the n lines of text (stride bytes apart; more than fit are cut). */
int ctl_set_notes(const struct map_fds *m, const char *text, size_t stride, size_t n,
		  struct err *e);

#endif
