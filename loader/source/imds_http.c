// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/source/imds_http.c — see imds_http.h. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "source/imds_http.h"

#define TTL_HEADER   "X-aws-ec2-metadata-token-ttl-seconds"
#define TOKEN_HEADER "X-aws-ec2-metadata-token"
#define TOKEN_MAX    512

struct imds_http {
	CURL *curl;
	struct imds_http_opts o;
	char endpoint[256];
	char token[TOKEN_MAX];
	uint64_t token_renew_ms; /* monotonic time from which the token is taken again */
	uint32_t rnd;            /* xorshift state for the jitter */
	uint64_t requests;
};

/* One try's outcome: status > 0, or a transport error (curl code) with status 0. */
struct reply {
	long status;
	CURLcode cc;
	char curl_msg[CURL_ERROR_SIZE];
	char *body;
	size_t len;
	bool too_big;
	long ttl_header; /* -1: absent or not a number */
};

unsigned int imds_backoff_ms(unsigned int attempt, uint32_t rnd)
{
	unsigned int ceiling = IMDS_BACKOFF_CAP_MS;

	if (attempt < 16 && (IMDS_BACKOFF_BASE_MS << attempt) < IMDS_BACKOFF_CAP_MS)
		ceiling = IMDS_BACKOFF_BASE_MS << attempt;
	return ceiling - rnd % (ceiling / 2 + 1);
}

uint64_t imds_token_margin_ms(unsigned int ttl_s)
{
	uint64_t quarter = (uint64_t)ttl_s * 1000 / 4;

	return quarter < 60000 ? quarter : 60000;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint32_t next_rnd(struct imds_http *h)
{
	h->rnd ^= h->rnd << 13;
	h->rnd ^= h->rnd >> 17;
	h->rnd ^= h->rnd << 5;
	return h->rnd;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;
	char *grown;

	if (r->len + len > IMDS_MAX_BODY) {
		r->too_big = true;
		return 0; /* aborts the transfer */
	}
	grown = realloc(r->body, r->len + len + 1);
	if (!grown)
		return 0;
	memcpy(grown + r->len, data, len);
	r->body = grown;
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n, name = strlen(TTL_HEADER);
	char val[32];

	if (len > name + 1 && !strncasecmp(data, TTL_HEADER, name) && data[name] == ':') {
		size_t vlen = len - name - 1 < sizeof(val) - 1 ? len - name - 1 : sizeof(val) - 1;
		char *end;

		memcpy(val, data + name + 1, vlen);
		val[vlen] = '\0';
		r->ttl_header = strtol(val, &end, 10);
		while (*end == ' ' || *end == '\r' || *end == '\n')
			end++;
		if (*end || end == val || r->ttl_header <= 0)
			r->ttl_header = -1;
	}
	return len;
}

/* One HTTP exchange, no retries. put: the token request. */
static void exchange(struct imds_http *h, bool put, const char *path, struct reply *r)
{
	char url[1024], hdr[TOKEN_MAX + 64];
	struct curl_slist *hdrs = NULL;

	memset(r, 0, sizeof(*r));
	r->ttl_header = -1;
	snprintf(url, sizeof(url), "%s%s%s", h->endpoint, put ? "/latest/api/token"
			: "/latest/meta-data/", put ? "" : path);
	if (put)
		snprintf(hdr, sizeof(hdr), TTL_HEADER ": %u", h->o.token_ttl_s);
	else
		snprintf(hdr, sizeof(hdr), TOKEN_HEADER ": %s", h->token);
	hdrs = curl_slist_append(NULL, hdr);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, put ? "PUT" : NULL);
	curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, r->curl_msg);
	h->requests++;
	r->cc = hdrs ? curl_easy_perform(h->curl) : CURLE_OUT_OF_MEMORY;
	if (r->cc == CURLE_OK)
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (r->cc != CURLE_OK || r->status != 200) {
		free(r->body);
		r->body = NULL;
		r->len = 0;
	}
}

static bool retryable(const struct reply *r)
{
	if (r->cc == CURLE_OK)
		return r->status >= 500 || r->status == 429;
	return !r->too_big && r->cc != CURLE_OUT_OF_MEMORY;
}

/* "HTTP 503" or "timed out (…)" for messages. */
static void describe(const struct reply *r, char *buf, size_t len)
{
	if (r->too_big)
		snprintf(buf, len, "answer longer than %d bytes", IMDS_MAX_BODY);
	else if (r->cc != CURLE_OK)
		snprintf(buf, len, "%s", r->curl_msg[0] ? r->curl_msg : curl_easy_strerror(r->cc));
	else
		snprintf(buf, len, "HTTP %ld", r->status);
}

/* One request with the retries: a retryable failure waits and tries again, up to max_tries. */
static int request(struct imds_http *h, bool put, const char *path, struct reply *r,
		   struct err *e)
{
	const char *what = put ? "token (PUT /latest/api/token)" : path;
	char why[CURL_ERROR_SIZE + 64];

	for (unsigned int try = 0;; try++) {
		exchange(h, put, path, r);
		if (!retryable(r))
			break;
		if (try + 1 >= h->o.max_tries) {
			describe(r, why, sizeof(why));
			return err_set(e, r->cc == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EIO,
				       "imds: %s: %s after %u tries", what, why, h->o.max_tries);
		}
		sleep_ms(imds_backoff_ms(try, next_rnd(h)));
	}
	if (r->cc != CURLE_OK || r->too_big) {
		describe(r, why, sizeof(why));
		return err_set(e, EPROTO, "imds: %s: %s", what, why);
	}
	return 0;
}

static int take_token(struct imds_http *h, struct err *e)
{
	struct reply r;
	int err = request(h, true, NULL, &r, e);

	if (err)
		return err;
	if (r.status != 200) {
		err = err_set(e, r.status == 403 ? EPERM : EPROTO, "imds: token (PUT "
			      "/latest/api/token): HTTP %ld%s", r.status, r.status == 403 ?
			      " (IMDS disabled, or IMDSv2 tokens refused for this instance)" : "");
	} else if (r.ttl_header <= 0 || r.ttl_header > h->o.token_ttl_s) {
		err = err_set(e, EPROTO, "imds: token answer without a valid " TTL_HEADER
			      " header (asked %u s)", h->o.token_ttl_s);
	} else if (!r.len || r.len >= sizeof(h->token) || strpbrk(r.body, "\r\n \t")) {
		err = err_set(e, EPROTO, "imds: token answer is not one token (%zu bytes)", r.len);
	} else {
		memcpy(h->token, r.body, r.len + 1);
		h->token_renew_ms = now_ms() + (uint64_t)r.ttl_header * 1000 -
				    imds_token_margin_ms((unsigned int)r.ttl_header);
		log_debug("imds: new token, valid %ld s", r.ttl_header);
	}
	free(r.body);
	return err;
}

int imds_http_get(struct imds_http *h, const char *path, struct imds_body *b, struct err *e)
{
	bool fresh = false;
	struct reply r;
	int err;

	b->text = NULL;
	b->len = 0;
	for (;;) {
		if (!h->token[0] || now_ms() >= h->token_renew_ms) {
			err = take_token(h, e);
			if (err)
				return err;
			fresh = true;
		}
		err = request(h, false, path, &r, e);
		if (err)
			return err;
		if (r.status != 401)
			break;
		h->token[0] = '\0';
		if (fresh)
			return err_set(e, EACCES, "imds: %s: HTTP 401 with a fresh token", path);
		log_debug("imds: %s: 401, taking a new token", path);
	}
	switch (r.status) {
	case 200:
		b->text = r.body;
		b->len = r.len;
		return 0;
	case 404:
		return 1;
	case 403:
		return err_set(e, EPERM, "imds: %s: HTTP 403 (IMDS disabled for this instance?)",
			       path);
	default:
		return err_set(e, EPROTO, "imds: %s: unexpected HTTP %ld", path, r.status);
	}
}

void imds_http_forget_token(struct imds_http *h)
{
	h->token[0] = '\0';
}

uint64_t imds_http_requests(const struct imds_http *h)
{
	return h->requests;
}

int imds_http_new(const struct imds_http_opts *o, struct imds_http **out, struct err *e)
{
	static bool curl_ready;
	struct imds_http *h;
	size_t n;

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_NOTHING))
			return err_set(e, ENOMEM, "imds: libcurl initialisation failed");
		curl_ready = true;
	}
	n = strlen(o->endpoint);
	while (n && o->endpoint[n - 1] == '/')
		n--;
	if (strncmp(o->endpoint, "http://", 7) || n <= 7 || n >= sizeof(h->endpoint))
		return err_set(e, EINVAL, "imds: endpoint '%s' is not http://HOST[:PORT]",
			       o->endpoint);
	h = calloc(1, sizeof(*h));
	if (!h || !(h->curl = curl_easy_init())) {
		free(h);
		return err_set(e, ENOMEM, "out of memory");
	}
	h->o = *o;
	memcpy(h->endpoint, o->endpoint, n);
	if (getrandom(&h->rnd, sizeof(h->rnd), GRND_NONBLOCK) != sizeof(h->rnd) || !h->rnd)
		h->rnd = (uint32_t)now_ms() | 1;
	curl_easy_setopt(h->curl, CURLOPT_VERBOSE, log_get_level() >= LOG_LVL_TRACE ? 1L : 0L);
	curl_easy_setopt(h->curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_ms);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	*out = h;
	return 0;
}

void imds_http_free(struct imds_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}
