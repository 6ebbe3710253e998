// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/source/imds_parse.c — see imds_parse.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/imds_parse.h"
#include "source/json_util.h"

/* Printable ASCII without space: what every IMDS item we read is made of. */
static bool item_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

int imds_lines_split(const char *text, size_t len, const char *key, struct imds_lines *out,
		     struct err *e)
{
	size_t n = 1, line = 1;
	char *p;

	memset(out, 0, sizeof(*out));
	if (!len)
		return err_set(e, EPROTO, "imds: %s: empty answer", key);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\n') {
			if (i == 0 || i + 1 == len || text[i - 1] == '\n')
				return err_set(e, EPROTO, "imds: %s: line %zu is empty%s", key,
					       line, i + 1 == len ? " (trailing newline)" : "");
			n++;
			line++;
		} else if (!item_byte(c)) {
			return err_set(e, EPROTO, "imds: %s: line %zu: unexpected byte 0x%02x%s",
				       key, line, c, c == '\r' ? " (CR: not an IMDS answer)" : "");
		}
	}
	if (n > IMDS_MAX_LINES)
		return err_set(e, EPROTO, "imds: %s: more than %d lines", key, IMDS_MAX_LINES);
	out->buf = malloc(len + 1);
	out->v = calloc(n, sizeof(*out->v));
	if (!out->buf || !out->v) {
		imds_lines_free(out);
		return err_set(e, ENOMEM, "out of memory");
	}
	memcpy(out->buf, text, len);
	out->buf[len] = '\0';
	for (p = out->buf; p; out->n++) {
		out->v[out->n] = p;
		p = strchr(p, '\n');
		if (p)
			*p++ = '\0';
	}
	return 0;
}

void imds_lines_free(struct imds_lines *l)
{
	free(l->v);
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

bool imds_lines_has(const struct imds_lines *l, const char *item)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], item))
			return true;
	return false;
}

static int want_family(const char *key, size_t line, const char *s, const struct ip_prefix *p,
		       int family, struct err *e)
{
	if (ip_prefix_is_v4(p) != (family == 4))
		return err_set(e, EPROTO, "imds: %s: line %zu: '%s' is not IPv%d", key, line, s,
			       family);
	return 0;
}

int imds_parse_addr(const char *key, size_t line, const char *s, int family,
		    struct ip_prefix *out, struct err *e)
{
	if (strchr(s, '/') || ip_prefix_parse(s, out))
		return err_set(e, EPROTO, "imds: %s: line %zu: '%s' is not an IPv%d address", key,
			       line, s, family);
	return want_family(key, line, s, out, family, e);
}

int imds_parse_cidr(const char *key, size_t line, const char *s, int family,
		    struct ip_prefix *out, struct err *e)
{
	if (!strchr(s, '/') || ip_prefix_parse(s, out))
		return err_set(e, EPROTO, "imds: %s: line %zu: '%s' is not an IPv%d CIDR", key,
			       line, s, family);
	return want_family(key, line, s, out, family, e);
}

int imds_parse_uint(const char *key, const char *s, unsigned long max, unsigned long *out,
		    struct err *e)
{
	size_t digits = strspn(s, "0123456789");

	if (!digits || s[digits] || digits > 9 || (s[0] == '0' && digits > 1) ||
	    (*out = strtoul(s, NULL, 10)) > max)
		return err_set(e, EPROTO, "imds: %s: '%s' is not a number 0..%lu", key, s, max);
	return 0;
}

int imds_parse_id(const char *key, size_t line, const char *s, const char *prefix, char *dst,
		  size_t len, struct err *e)
{
	size_t plen = strlen(prefix);

	if (strncmp(s, prefix, plen) || !s[plen] ||
	    strspn(s + plen, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(s + plen))
		return err_set(e, EPROTO, "imds: %s: line %zu: '%s' is not an %s... id", key, line, s,
			       prefix);
	if (strlen(s) >= len)
		return err_set(e, EPROTO, "imds: %s: line %zu: id '%s' is longer than %zu "
			       "characters", key, line, s, len - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int imds_parse_mac_dir(const char *key, size_t line, const char *s, uint8_t mac[6],
		       struct err *e)
{
	char canon[MAC_STRLEN];
	size_t n = strlen(s);

	if (n != MAC_STRLEN || s[n - 1] != '/')
		goto bad;
	memcpy(canon, s, n - 1);
	canon[n - 1] = '\0';
	if (mac_parse(canon, mac))
		goto bad;
	mac_format(mac, canon);
	if (strncmp(canon, s, n - 1))
		goto bad;
	return 0;
bad:
	return err_set(e, EPROTO, "imds: %s: line %zu: '%s' is not a MAC directory "
		       "(0e:00:00:00:00:01/)", key, line, s);
}
