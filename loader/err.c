// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/err.c — see err.h. */
#include <stdio.h>
#include <string.h>

#include "err.h"

int err_set(struct err *e, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (e && !e->msg[0]) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -errnum;
}

void err_clear(struct err *e)
{
	if (e)
		e->msg[0] = '\0';
}
