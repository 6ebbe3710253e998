// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * loader/source/imds.c — see imds.h. The walk: meta-data/mac (the primary MAC), the macs/
 * listing, then per MAC its listing and each key we use. Which keys must be there and how each
 * is read is one table (eni_keys); the HTTP conversation is imds_http.c, the text imds_parse.c.
 *
 * Absent from the MAC's listing: a required key means the ENI is not fully known yet (hot-plug)
 * and the read fails with -EAGAIN; an optional key means an empty list (IMDS's 404 + absent).
 * Named by the listing but answering 404: an error, not "none".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/imds.h"
#include "source/imds_http.h"
#include "source/imds_parse.h"
#include "source/json_util.h"

#define MACS_PATH   "network/interfaces/macs/"
#define MAX_DEVNUM  1023

struct imds_client {
	struct imds_http *http;
};

enum key_kind {
	K_DEVNUM,
	K_ENI_ID,
	K_ADDRS,   /* family: local-ipv4s (4, primary first), ipv6s (6) */
	K_PREFIXES,
	K_SUBNETS,
	K_GROUPS,
	K_VPC,     /* the VPC's primary IPv4 CIDR: its resolver at base + 2 is exempt */
};

static const struct eni_key {
	const char *name;
	enum key_kind kind;
	int family;
	bool required; /* every ENI has it: absent means not fully known yet */
} eni_keys[] = {
	{ "device-number",           K_DEVNUM,   0, true },
	{ "interface-id",            K_ENI_ID,   0, true },
	{ "local-ipv4s",             K_ADDRS,    4, true },
	{ "ipv6s",                   K_ADDRS,    6, false },
	{ "ipv4-prefix",             K_PREFIXES, 4, false },
	{ "ipv6-prefix",             K_PREFIXES, 6, false },
	{ "subnet-ipv4-cidr-block",  K_SUBNETS,  4, true },
	{ "subnet-ipv6-cidr-blocks", K_SUBNETS,  6, false },
	{ "security-group-ids",      K_GROUPS,   0, true },
	/* AWS documents vpc-ipv4-cidr-block as the VPC's primary IPv4 CIDR; when an IMDS lacks it,
	 * the first of vpc-ipv4-cidr-blocks (the primary is the VPC's first block; assumed first
	 * here). Read only while the ENI has no VPC yet, so it costs one request per MAC. */
	{ "vpc-ipv4-cidr-block",     K_VPC,      4, false },
	{ "vpc-ipv4-cidr-blocks",    K_VPC,      4, false },
};

#define N_ENI_KEYS (sizeof(eni_keys) / sizeof(eni_keys[0]))

int imds_client_new(const struct imds_opts *o, struct imds_client **out, struct err *e)
{
	struct imds_http_opts ho = {
		.endpoint = o && o->endpoint ? o->endpoint : IMDS_ENDPOINT_V4,
		.token_ttl_s = o && o->token_ttl_s ? o->token_ttl_s : IMDS_DEFAULT_TOKEN_TTL_S,
		.connect_ms = o && o->connect_ms ? o->connect_ms : IMDS_DEFAULT_CONNECT_MS,
		.timeout_ms = o && o->timeout_ms ? o->timeout_ms : IMDS_DEFAULT_TIMEOUT_MS,
		.max_tries = o && o->max_tries ? o->max_tries : IMDS_DEFAULT_MAX_TRIES,
	};
	struct imds_client *c;
	int err;

	if (ho.token_ttl_s > 21600)
		return err_set(e, EINVAL, "imds: token TTL %u s out of range 1..21600",
			       ho.token_ttl_s);
	c = calloc(1, sizeof(*c));
	if (!c)
		return err_set(e, ENOMEM, "out of memory");
	err = imds_http_new(&ho, &c->http, e);
	if (err) {
		free(c);
		return err;
	}
	*out = c;
	return 0;
}

void imds_client_free(struct imds_client *c)
{
	if (!c)
		return;
	imds_http_free(c->http);
	free(c);
}

/* GET path as lines. 1: a 404 (*l empty). */
static int get_lines(struct imds_client *c, const char *path, struct imds_lines *l,
		     struct err *e)
{
	struct imds_body b;
	int ret = imds_http_get(c->http, path, &b, e);

	memset(l, 0, sizeof(*l));
	if (ret)
		return ret;
	ret = imds_lines_split(b.text, b.len, path, l, e);
	free(b.text);
	return ret;
}

static int add_prefix(void *vec, const struct ip_prefix *p, struct err *e)
{
	struct ip_prefix *slot = vec_grow(vec, sizeof(*slot)); /* a VEC(struct ip_prefix) */

	if (!slot)
		return err_set(e, ENOMEM, "out of memory");
	*slot = *p;
	return 0;
}

/* One key's lines into the ENI. */
static int parse_key(const struct eni_key *k, const char *path, const struct imds_lines *l,
		     struct eni *n, unsigned long *devnum, struct err *e)
{
	int ret = 0;

	if ((k->kind == K_DEVNUM || k->kind == K_ENI_ID || (k->kind == K_SUBNETS &&
	     k->family == 4) || !strcmp(k->name, "vpc-ipv4-cidr-block")) && l->n != 1)
		return err_set(e, EPROTO, "imds: %s: %zu lines, expected one value", path, l->n);
	if (k->kind == K_VPC) {
		if (!l->n)
			return 0;
		ret = imds_parse_cidr(path, 1, l->v[0], k->family, &n->vpc, e);
		if (ret)
			return ret;
		n->has_vpc = true;
		snprintf(n->vpc_where, sizeof(n->vpc_where), "imds: %.120s", path);
		return 0;
	}
	for (size_t i = 0; !ret && i < l->n; i++) {
		struct ip_prefix p;
		struct address *a;

		switch (k->kind) {
		case K_DEVNUM:
			ret = imds_parse_uint(path, l->v[i], MAX_DEVNUM, devnum, e);
			break;
		case K_ENI_ID:
			ret = imds_parse_id(path, i + 1, l->v[i], "eni-", n->eni_id,
					    sizeof(n->eni_id), e);
			break;
		case K_ADDRS:
			ret = imds_parse_addr(path, i + 1, l->v[i], k->family, &p, e);
			if (ret)
				break;
			a = VEC_PUSH(&n->addrs);
			if (!a)
				return err_set(e, ENOMEM, "out of memory");
			a->ip = p;
			a->primary = i == 0; /* local-ipv4s: primary first; ipv6s: the first */
			snprintf(a->where, sizeof(a->where), "imds: %.120s line %zu", path, i + 1);
			break;
		case K_PREFIXES:
		case K_SUBNETS:
			ret = imds_parse_cidr(path, i + 1, l->v[i], k->family, &p, e) ?:
			      add_prefix(k->kind == K_SUBNETS ? (void *)&n->subnets
							      : (void *)&n->prefixes, &p, e);
			break;
		case K_VPC: /* read above */
			break;
		case K_GROUPS: {
			char id[STATE_ID_LEN];

			ret = imds_parse_id(path, i + 1, l->v[i], "sg-", id, sizeof(id), e);
			if (!ret && group_refs_add(&n->groups, id))
				ret = err_set(e, ENOMEM, "out of memory");
			break;
		}
		}
	}
	return ret;
}

/* "10.0.1.77 of eni-… is outside its subnets": reported, never applied. */
static int check_in_subnet(const struct eni *n, const char *mac, const struct ip_prefix *p,
			   const char *what, struct err *e)
{
	char text[IP_PREFIX_STRLEN];

	for (size_t i = 0; i < n->subnets.n; i++)
		if (ip_prefix_contains(&n->subnets.v[i], p))
			return 0;
	ip_prefix_format(p, true, text, sizeof(text));
	return err_set(e, EINVAL, "imds: " MACS_PATH "%s: %s %s of %s is outside the ENI's "
		       "subnet%s (%s): not applied", mac, what, text, n->eni_id,
		       n->subnets.n == 1 ? "" : "s", ip_prefix_is_v4(p) ?
		       "subnet-ipv4-cidr-block" : "subnet-ipv6-cidr-blocks");
}

static int check_subnets(const struct eni *n, const char *mac, struct err *e)
{
	int ret = 0;

	for (size_t i = 0; !ret && i < n->addrs.n; i++)
		ret = check_in_subnet(n, mac, &n->addrs.v[i].ip, "address", e);
	for (size_t i = 0; !ret && i < n->prefixes.n; i++)
		ret = check_in_subnet(n, mac, &n->prefixes.v[i], "prefix", e);
	return ret;
}

/* One MAC: its listing, then each key. */
static int read_mac(struct imds_client *c, const char *mac, bool primary, struct eni *n,
		    unsigned long *devnum, struct err *e)
{
	char dir[64], path[112];
	struct imds_lines listing, l;
	int ret;

	snprintf(dir, sizeof(dir), MACS_PATH "%s/", mac);
	ret = get_lines(c, dir, &listing, e);
	if (ret == 1)
		return err_set(e, EAGAIN, "imds: " MACS_PATH "%s: listed but not there yet "
			       "(hot-plug in progress): keeping the last state", mac);
	if (ret)
		return ret;
	for (size_t i = 0; !ret && i < N_ENI_KEYS; i++) {
		const struct eni_key *k = &eni_keys[i];

		snprintf(path, sizeof(path), "%.60s%.40s", dir, k->name);
		if (k->kind == K_VPC && n->has_vpc)
			continue; /* the primary block is known: the list adds nothing */
		if (!imds_lines_has(&listing, k->name)) {
			if (k->required)
				ret = err_set(e, EAGAIN, "imds: " MACS_PATH "%s: no %s yet "
					      "(hot-plug in progress): keeping the last state", mac,
					      k->name);
			continue;
		}
		ret = get_lines(c, path, &l, e);
		if (ret == 1)
			ret = err_set(e, EIO, "imds: %s: HTTP 404 although %s lists it", path, dir);
		if (!ret)
			ret = parse_key(k, path, &l, n, devnum, e);
		imds_lines_free(&l);
	}
	imds_lines_free(&listing);
	if (!ret && *devnum == 0 && !primary)
		ret = err_set(e, EAGAIN, "imds: " MACS_PATH "%s: device-number 0 on a MAC that is "
			      "not the primary one (hot-plug in progress): keeping the last state",
			      mac);
	return ret ?: check_subnets(n, mac, e);
}

/* ENIs in device-number order (eth0 first), each number once. */
static int sort_by_devnum(struct desired_state *s, unsigned long *devnums, struct err *e)
{
	for (size_t i = 0; i < s->enis.n; i++) {
		size_t min = i;

		for (size_t j = i + 1; j < s->enis.n; j++)
			if (devnums[j] < devnums[min])
				min = j;
		if (min != i) {
			struct eni t = s->enis.v[i];
			unsigned long d = devnums[i];

			s->enis.v[i] = s->enis.v[min];
			s->enis.v[min] = t;
			devnums[i] = devnums[min];
			devnums[min] = d;
		}
		if (i && devnums[i] == devnums[i - 1])
			return err_set(e, EPROTO, "imds: %s and %s both have device-number %lu",
				       s->enis.v[i - 1].where, s->enis.v[i].where, devnums[i]);
	}
	return 0;
}

/* The primary MAC (meta-data/mac), to tell a hot-plugged ENI's transient device-number 0. */
static int read_primary_mac(struct imds_client *c, uint8_t mac[6], struct err *e)
{
	struct imds_lines l;
	char dir[MAC_STRLEN + 1];
	int ret = get_lines(c, "mac", &l, e);

	if (ret == 1)
		return err_set(e, EPROTO, "imds: mac: HTTP 404 (an instance always has one)");
	if (!ret && l.n != 1)
		ret = err_set(e, EPROTO, "imds: mac: %zu lines, expected one MAC", l.n);
	if (!ret) {
		snprintf(dir, sizeof(dir), "%s/", l.v[0]);
		ret = imds_parse_mac_dir("mac", 1, dir, mac, e);
	}
	imds_lines_free(&l);
	return ret;
}

static int read_all(struct imds_client *c, struct desired_state *s, struct err *e)
{
	unsigned long *devnums = NULL;
	struct imds_lines macs = {};
	uint8_t primary[6];
	int ret = read_primary_mac(c, primary, e) ?: get_lines(c, MACS_PATH, &macs, e);

	if (ret == 1)
		ret = err_set(e, EPROTO, "imds: " MACS_PATH ": HTTP 404 (an instance always has "
			      "an ENI)");
	if (!ret && !(devnums = calloc(macs.n, sizeof(*devnums))))
		ret = err_set(e, ENOMEM, "out of memory");
	for (size_t i = 0; !ret && i < macs.n; i++) {
		struct eni *n = VEC_PUSH(&s->enis);
		char mac[MAC_STRLEN];

		if (!n) {
			ret = err_set(e, ENOMEM, "out of memory");
			break;
		}
		ret = imds_parse_mac_dir(MACS_PATH, i + 1, macs.v[i], n->mac, e);
		if (ret)
			break;
		mac_format(n->mac, mac);
		n->has_mac = true;
		n->mode = ENIADDR_MODE_ENFORCE;
		n->src_check = true;
		state_default_timeouts(&n->timeouts);
		snprintf(n->where, sizeof(n->where), "imds: " MACS_PATH "%s", mac);
		ret = read_mac(c, mac, !memcmp(n->mac, primary, 6), n, &devnums[i], e);
	}
	if (!ret)
		ret = sort_by_devnum(s, devnums, e);
	imds_lines_free(&macs);
	free(devnums);
	return ret;
}

int source_imds_read(struct imds_client *c, struct desired_state *s, struct err *e)
{
	struct desired_state tmp;
	int ret;

	state_init(&tmp);
	snprintf(tmp.origin, sizeof(tmp.origin), "imds");
	ret = read_all(c, &tmp, e);
	if (ret) {
		state_free(&tmp);
		return ret;
	}
	state_free(s);
	*s = tmp;
	return 0;
}

uint64_t imds_client_requests(const struct imds_client *c)
{
	return imds_http_requests(c->http);
}
