/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/imds.h — the instance metadata service (IMDSv2) -> the ENIs of struct
 * desired_state (MAC, eni id, addresses, delegated prefixes, subnets, group ids). Rules are not
 * in IMDS: they come from the rule sources (source/compose.h).
 *
 * CONTRACT (agreed before the implementation; keep it or change both sides):
 * - A client keeps its token and reuses it until shortly before its TTL ends; a 401 re-tokens
 *   once; timeouts, 5xx and throttling are retried with exponential backoff and jitter, bounded.
 * - source_imds_read() either fills *s completely or returns a negative errno with e naming the
 *   key ("imds: macs/0e:…/local-ipv4s: HTTP 503 after 4 tries") and leaves *s untouched. A failed
 *   read is never "no addresses": only a definitive 404 on an optional key means none.
 * - An ENI that is not yet fully known (hot-plug: keys 404, device-number 0 on a non-primary MAC)
 *   makes the read fail with -EAGAIN, naming the MAC: the caller keeps the last good state.
 */
#ifndef ENIADDR_SOURCE_IMDS_H
#define ENIADDR_SOURCE_IMDS_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "state.h"

#define IMDS_ENDPOINT_V4 "http://169.254.169.254"
#define IMDS_ENDPOINT_V6 "http://[fd00:ec2::254]"

struct imds_opts {
	const char *endpoint;        /* NULL: IMDS_ENDPOINT_V4 */
	unsigned int token_ttl_s;    /* 0: 21600 */
	unsigned int connect_ms;     /* 0: a short default */
	unsigned int timeout_ms;     /* 0: a short default, per request */
	unsigned int max_tries;      /* 0: a bounded default */
};

struct imds_client;

int imds_client_new(const struct imds_opts *o, struct imds_client **out, struct err *e);
void imds_client_free(struct imds_client *c);

/* Reads every ENI under meta-data/network/interfaces/macs/ into *s (state_init'ed). The ENIs
 * come in device-number order, named by MAC (no ifname: the loader binds them), with their
 * security-group-ids as group refs (the groups themselves are not in IMDS), subnets, addresses
 * (the first of each family primary) and delegated prefixes. Nothing is validated against rules:
 * that is compose_build()'s job. */
int source_imds_read(struct imds_client *c, struct desired_state *s, struct err *e);

/* HTTP requests sent so far (each try counts): tests and status check the poll stays cheap. */
uint64_t imds_client_requests(const struct imds_client *c);

#endif
