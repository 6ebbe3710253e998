// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/source/json_util.c — see json_util.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "source/json_dupkeys.h"
#include "source/json_util.h"

#define JSON_MAX_FILE (64u << 20) /* a describe-network-interfaces of a large VPC is a few MiB */

struct jpos jpos_root(const char *file)
{
	struct jpos p = { .file = file };

	return p;
}

struct jpos jpos_key(const struct jpos *parent, const char *key)
{
	struct jpos p = { .file = parent->file };

	if (parent->path[0])
		snprintf(p.path, sizeof(p.path), "%.*s.%s", (int)sizeof(p.path) - 2, parent->path,
			 key);
	else
		snprintf(p.path, sizeof(p.path), "%s", key);
	return p;
}

struct jpos jpos_index(const struct jpos *parent, size_t i)
{
	struct jpos p = { .file = parent->file };

	snprintf(p.path, sizeof(p.path), "%.*s[%zu]", (int)sizeof(p.path) - 8, parent->path, i);
	return p;
}

void jpos_where(const struct jpos *pos, char *buf, size_t len)
{
	int n;

	if (pos->path[0])
		n = snprintf(buf, len, "%s: %s", pos->file, pos->path);
	else
		n = snprintf(buf, len, "%s", pos->file);
	(void)n; /* a long file name shortens the where; the message keeps the full one */
}

int jpos_err(struct err *e, const struct jpos *pos, const char *fmt, ...)
{
	char msg[sizeof(e->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pos->path[0])
		return err_set(e, EINVAL, "%s: %s: %s", pos->file, pos->path, msg);
	return err_set(e, EINVAL, "%s: %s", pos->file, msg);
}

int json_read_file(const char *path, char **text, struct err *e)
{
	struct stat st;
	char *buf = NULL;
	size_t have = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, errno, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		ret = err_set(e, errno, "%s: cannot stat: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)) {
		ret = err_set(e, EINVAL, "%s: not a regular file", path);
		goto out;
	}
	/* Read to EOF rather than trusting st_size: pipes (<(aws ec2 ...)) have none. */
	for (;;) {
		size_t cap = have ? have * 2 : 65536;
		char *nbuf;
		ssize_t n;

		if (cap > JSON_MAX_FILE + 1)
			cap = JSON_MAX_FILE + 1;
		nbuf = realloc(buf, cap + 1);
		if (!nbuf) {
			ret = err_set(e, ENOMEM, "%s: out of memory reading it", path);
			goto out;
		}
		buf = nbuf;
		while (have < cap) {
			n = read(fd, buf + have, cap - have);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				ret = err_set(e, errno, "%s: read failed: %s", path, strerror(errno));
				goto out;
			}
			if (n == 0)
				goto done;
			have += (size_t)n;
		}
		if (have > JSON_MAX_FILE) {
			ret = err_set(e, EFBIG, "%s: larger than %u MiB", path, JSON_MAX_FILE >> 20);
			goto out;
		}
	}
done:
	buf[have] = '\0';
	if (strlen(buf) != have) {
		ret = err_set(e, EINVAL, "%s: contains a NUL byte, not a JSON text", path);
		goto out;
	}
	*text = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

static void line_col(const char *text, size_t off, unsigned int *line, unsigned int *col)
{
	size_t start = 0;

	*line = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			start = i + 1;
		}
	}
	*col = (unsigned int)(off - start + 1);
}

int json_parse_doc(const char *text, const char *file, struct json_object **root, struct err *e)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t len = strlen(text);
	unsigned int line, col;
	size_t end;
	int err;

	if (len > INT32_MAX - 1)
		return err_set(e, EFBIG, "%s: document too large", file);
	tok = json_tokener_new();
	if (!tok)
		return err_set(e, ENOMEM, "%s: out of memory", file);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	/* The terminating NUL is part of the input, so a document cut short reports the end of
	 * data instead of waiting for more. */
	obj = json_tokener_parse_ex(tok, text, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	line_col(text, end, &line, &col);
	json_tokener_free(tok);
	if (!obj) {
		bool blank = strspn(text, " \t\r\n") == len;

		if (blank)
			return err_set(e, EINVAL, "%s: empty document, not JSON", file);
		if (jerr == json_tokener_error_parse_eof || jerr == json_tokener_continue)
			return err_set(e, EINVAL, "%s: line %u, column %u: invalid JSON: "
				       "document ends early (truncated?)", file, line, col);
		return err_set(e, EINVAL, "%s: line %u, column %u: invalid JSON: %s", file, line,
			       col, jerr == json_tokener_success ? "null document"
							       : json_tokener_error_desc(jerr));
	}
	/* json-c keeps the last of two equal keys: a document that says two things is refused */
	err = json_check_duplicate_keys(text, end, file, e);
	if (err) {
		json_object_put(obj);
		return err;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		const char *what = json_type_phrase(obj);

		json_object_put(obj);
		return err_set(e, EINVAL, "%s: the document must be a JSON object, not %s", file,
			       what);
	}
	*root = obj;
	return 0;
}

const char *json_type_phrase(const struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:    return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double:  return "a fraction";
	case json_type_int:     return "an integer";
	case json_type_object:  return "an object";
	case json_type_array:   return "an array";
	case json_type_string:  return "a string";
	}
	return "something else";
}

static const char *type_noun(enum json_type t)
{
	switch (t) {
	case json_type_boolean: return "a boolean (true or false)";
	case json_type_int:     return "an integer";
	case json_type_object:  return "an object";
	case json_type_array:   return "an array";
	case json_type_string:  return "a string";
	default:                return "null";
	}
}

int jwant(const struct jpos *pos, const struct json_object *v, enum json_type type,
	  struct err *e)
{
	if (v && json_object_is_type(v, type))
		return 0;
	return jpos_err(e, pos, "must be %s, not %s", type_noun(type), json_type_phrase(v));
}

int jget(const struct jpos *pos, struct json_object *obj, const char *key, enum json_type type,
	 bool required, struct json_object **out, struct err *e)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v)) {
		if (required)
			return jpos_err(e, pos, "missing key \"%s\"", key);
		return 0;
	}
	if (!v || !json_object_is_type(v, type))
		return jpos_err(e, pos, "%s must be %s, not %s", key, type_noun(type),
				json_type_phrase(v));
	*out = v;
	return 0;
}

static int string_of(const struct jpos *pos, const char *key, struct json_object *v,
		     const char **out, struct err *e)
{
	const char *s = json_object_get_string(v);

	if ((size_t)json_object_get_string_len(v) != strlen(s))
		return key ? jpos_err(e, pos, "%s contains a NUL character", key)
			   : jpos_err(e, pos, "contains a NUL character");
	*out = s;
	return 0;
}

int jget_string(const struct jpos *pos, struct json_object *obj, const char *key, bool required,
		const char **out, struct err *e)
{
	struct json_object *v;
	int ret = jget(pos, obj, key, json_type_string, required, &v, e);

	if (ret || !v)
		return ret;
	return string_of(pos, key, v, out, e);
}

int jstring(const struct jpos *pos, struct json_object *v, const char **out, struct err *e)
{
	int ret = jwant(pos, v, json_type_string, e);

	return ret ? ret : string_of(pos, NULL, v, out, e);
}

int jget_int(const struct jpos *pos, struct json_object *obj, const char *key, bool required,
	     int64_t min, int64_t max, int64_t *out, struct err *e)
{
	struct json_object *v;
	int64_t x;
	int ret = jget(pos, obj, key, json_type_int, required, &v, e);

	if (ret || !v)
		return ret;
	x = json_object_get_int64(v);
	if (x < min || x > max)
		return jpos_err(e, pos, "%s %s out of range %" PRId64 "..%" PRId64, key,
				json_object_to_json_string(v), min, max);
	*out = x;
	return 0;
}

int jget_bool(const struct jpos *pos, struct json_object *obj, const char *key, bool required,
	      bool *out, struct err *e)
{
	struct json_object *v;
	int ret = jget(pos, obj, key, json_type_boolean, required, &v, e);

	if (ret || !v)
		return ret;
	*out = json_object_get_boolean(v);
	return 0;
}

int jcheck_keys(const struct jpos *pos, struct json_object *obj, const char *const *allowed,
		struct err *e)
{
	json_object_object_foreach(obj, key, val) {
		const char *const *a;

		(void)val;
		for (a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				break;
		if (!*a)
			return jpos_err(e, pos, "unknown key \"%s\"", key);
	}
	return 0;
}

int jcopy_id(const struct jpos *pos, const char *what, const char *s, char *dst, size_t len,
	     struct err *e)
{
	size_t n = strlen(s);

	if (n >= len)
		return jpos_err(e, pos, "%s '%.40s...' is longer than %zu characters", what, s,
				len - 1);
	memcpy(dst, s, n + 1);
	return 0;
}

int jip_addr(const struct jpos *pos, const char *s, struct ip_prefix *out, struct err *e)
{
	int ret = ip_addr_parse(s, out->addr);

	if (ret == -EAFNOSUPPORT)
		return jpos_err(e, pos, "'%s' " ADDR_MAPPED_ADVICE, s);
	if (ret)
		return jpos_err(e, pos, "'%s' is not an IPv4 or IPv6 address", s);
	out->plen = 128;
	return 0;
}

int jip_cidr(const struct jpos *pos, const char *s, bool need_len, struct ip_prefix *out,
	     struct err *e)
{
	int ret;

	if (need_len && !strchr(s, '/'))
		return jpos_err(e, pos, "'%s' is not a CIDR (address/length)", s);
	ret = ip_prefix_parse(s, out);
	if (ret == -EAFNOSUPPORT)
		return jpos_err(e, pos, "'%s' " ADDR_MAPPED_ADVICE, s);
	if (ret)
		return jpos_err(e, pos, "'%s' is not an IPv4 or IPv6 CIDR", s);
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mac_parse(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *p = s + i * 3;
		int hi = hex_digit(p[0]), lo = hi < 0 ? -1 : hex_digit(p[1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		if (p[2] != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void mac_format(const uint8_t mac[6], char buf[MAC_STRLEN])
{
	snprintf(buf, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}
