// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli/cmd_metrics.c — `metrics`: the Prometheus text exposition (loader/kernel/metrics.c). */
#include <stdio.h>

#include "cmds.h"
#include "kernel/metrics.h"
#include "session.h"

int cmd_metrics(const struct cli_args *a, struct err *e)
{
	struct session s;
	int err;

	err = session_open(a, PINS_READ, &s, e);
	if (err)
		return err;
	err = metrics_write(stdout, &s.maps, NULL, e);
	session_close(&s);
	fflush(stdout);
	return err;
}
