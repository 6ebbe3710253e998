/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/err.h — one error convention: functions return 0 or a negative errno and, on error,
 * write one message into a caller-provided struct err naming what and where
 * ("cfg.json: enis[1].addresses[3]: '10.0.0.300' is not an IP address"). The message is printed
 * once, by the caller at the top (the CLI), never at every layer.
 */
#ifndef ENIADDR_ERR_H
#define ENIADDR_ERR_H

#include <stdarg.h>

struct err {
	char msg[1024];
};

/* Writes the message (only the first one sticks) and returns -errnum, so callers can
 * `return err_set(e, EINVAL, "...")`. errnum is positive. */
int err_set(struct err *e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Empties the message, for reuse of one struct err. */
void err_clear(struct err *e);

#endif
