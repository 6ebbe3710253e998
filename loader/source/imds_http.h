/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/imds_http.h — the IMDSv2 conversation with libcurl: the session token (PUT with
 * its TTL, kept until shortly before it ends, taken again once on a 401), GETs under
 * /latest/meta-data/, and bounded retries with exponential backoff and jitter on timeouts,
 * dropped connections, 5xx and 429 (throttling). Answers are bytes; imds_parse.h reads them.
 *
 * Never through a proxy (IMDS is link-local), never following redirects, one connection kept
 * alive between requests (a poll costs a few packets per key, far under IMDS's 1024 pkt/s).
 */
#ifndef ENIADDR_SOURCE_IMDS_HTTP_H
#define ENIADDR_SOURCE_IMDS_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define IMDS_DEFAULT_TOKEN_TTL_S 21600
#define IMDS_DEFAULT_CONNECT_MS  250
#define IMDS_DEFAULT_TIMEOUT_MS  1000
#define IMDS_DEFAULT_MAX_TRIES   4
#define IMDS_BACKOFF_BASE_MS     50
#define IMDS_BACKOFF_CAP_MS      1000
#define IMDS_MAX_BODY            (64 * 1024) /* a larger answer is refused, not truncated */

struct imds_http_opts {
	const char *endpoint; /* "http://169.254.169.254", no trailing slash */
	unsigned int token_ttl_s, connect_ms, timeout_ms, max_tries; /* all set (no zeros) */
};

struct imds_http;

/* An answer: status 200 with its body (NUL-terminated, len without the NUL). */
struct imds_body {
	char *text;
	size_t len;
};

int imds_http_new(const struct imds_http_opts *o, struct imds_http **out, struct err *e);
void imds_http_free(struct imds_http *h);

/*
 * GET /latest/meta-data/<path>. Returns 0 with *b filled (caller frees b->text) on 200, 1 on a
 * definitive 404 (nothing to free), or a negative errno with e naming path: -ETIMEDOUT or -EIO
 * after max_tries (timeouts, resets, 5xx, 429), -EACCES on a 401 that a fresh token did not cure,
 * -EPERM on 403 (IMDS disabled), -EPROTO on anything else or a body over IMDS_MAX_BODY.
 */
int imds_http_get(struct imds_http *h, const char *path, struct imds_body *b, struct err *e);

/* Drops the token, so the next request takes a new one (tests; after a long pause). */
void imds_http_forget_token(struct imds_http *h);

/* Token PUTs and GETs sent (each try counts), for tests and status. */
uint64_t imds_http_requests(const struct imds_http *h);

/*
 * The wait before retry number attempt (0 = the first retry): the ceiling
 * min(IMDS_BACKOFF_CAP_MS, IMDS_BACKOFF_BASE_MS << attempt), minus a jitter in [0, ceiling/2]
 * drawn from rnd, so clients that failed together do not retry together. Pure.
 */
unsigned int imds_backoff_ms(unsigned int attempt, uint32_t rnd);

/* When a token that lives ttl_s seconds is renewed: this many ms before it ends. Pure. */
uint64_t imds_token_margin_ms(unsigned int ttl_s);

#endif
