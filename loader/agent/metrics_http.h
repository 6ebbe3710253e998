/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/agent/metrics_http.h — `run --metrics-listen ADDR:PORT`: the agent answers every HTTP
 * request on that socket with the Prometheus text of `eniaddr-bpf metrics` (kernel/metrics.h)
 * plus its sync results. One request per connection, answered inside the agent's loop with
 * short socket timeouts, so a slow scraper costs at most that and never stalls enforcement.
 * "PORT" or ":PORT" alone binds 127.0.0.1 (the default is to stay local); "[v6]:PORT" binds
 * IPv6.
 */
#ifndef ENIADDR_AGENT_METRICS_HTTP_H
#define ENIADDR_AGENT_METRICS_HTTP_H

#include "err.h"
#include "kernel/metrics.h"
#include "kernel/runtime.h"

#define METRICS_HTTP_TIMEOUT_MS 200

/* A listening, non-blocking socket for spec, or -errno with e naming spec. */
int metrics_http_open(const char *spec, struct err *e);

/* Accepts one waiting connection on lfd and answers it; m may hold closed fds (-1): then 503. */
void metrics_http_serve(int lfd, const struct map_fds *m, const struct metrics_sync *sync);

#endif
