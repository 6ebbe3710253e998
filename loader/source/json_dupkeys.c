// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/source/json_dupkeys.c — see json_dupkeys.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/json_dupkeys.h"
#include "source/json_util.h"

struct key_seen {
	char *name; /* decoded, not NUL-terminated (may hold NUL) */
	size_t len;
	size_t off; /* of the opening quote, for the message */
};

struct frame {
	bool object;
	size_t index;           /* array: the element being read */
	struct key_seen *keys;  /* object: every member name so far */
	size_t n, cap;
};

struct scan {
	const char *text;
	size_t len, pos;
	struct frame *frames;
	size_t depth, cap;
};

static int hex4(const char *s, unsigned int *out)
{
	unsigned int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned int)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *dst, unsigned int cp)
{
	if (cp < 0x80) {
		dst[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		dst[0] = (char)(0xc0 | cp >> 6);
		dst[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		dst[0] = (char)(0xe0 | cp >> 12);
		dst[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		dst[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	dst[0] = (char)(0xf0 | cp >> 18);
	dst[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	dst[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	dst[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes the string whose opening quote is at s->pos into a malloc'd buffer (NULL: only skip);
 * leaves s->pos after the closing quote. The output never exceeds the input's length. */
static int read_string(struct scan *s, char **out, size_t *out_len)
{
	const char *t = s->text;
	size_t i = s->pos + 1, n = 0;
	char *buf = NULL;

	if (out) {
		size_t end = i;

		while (end < s->len && t[end] != '"')
			end += t[end] == '\\' ? 2 : 1;
		buf = malloc(end - i + 1);
		if (!buf)
			return -ENOMEM;
	}
	while (i < s->len && t[i] != '"') {
		unsigned int cp, lo;
		char c = t[i];

		if (c != '\\') {
			if (buf)
				buf[n++] = c;
			i++;
			continue;
		}
		c = i + 1 < s->len ? t[i + 1] : '\0';
		i += 2;
		if (c != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *p = strchr(from, c);

			if (buf)
				buf[n++] = p && c ? to[p - from] : c;
			continue;
		}
		if (i + 4 > s->len || hex4(t + i, &cp))
			cp = 0xfffd;
		else
			i += 4;
		/* a surrogate pair is one code point (6 + 6 input bytes for 4 output bytes) */
		if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= s->len && t[i] == '\\' &&
		    t[i + 1] == 'u' && !hex4(t + i + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 6;
		}
		if (buf)
			n += put_utf8(buf + n, cp);
	}
	s->pos = i + 1;
	if (out) {
		*out = buf;
		*out_len = n;
	}
	return 0;
}

static int push(struct scan *s, bool object)
{
	if (s->depth == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct frame *grown = realloc(s->frames, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		s->frames = grown;
		s->cap = cap;
	}
	s->frames[s->depth++] = (struct frame){ .object = object };
	return 0;
}

static void free_keys(struct frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->keys[i].name);
	free(f->keys);
	f->keys = NULL;
	f->n = f->cap = 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct key_seen *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

static void line_col(const char *text, size_t off, unsigned int *line, unsigned int *col)
{
	size_t start = 0;

	*line = 1;
	for (size_t i = 0; i < off; i++)
		if (text[i] == '\n') {
			(*line)++;
			start = i + 1;
		}
	*col = (unsigned int)(off - start + 1);
}

/* The path of the innermost object: each enclosing container's step into the next. */
static struct jpos path_of(const struct scan *s, const char *file)
{
	struct jpos p = jpos_root(file);

	for (size_t d = 0; d + 1 < s->depth; d++) {
		const struct frame *f = &s->frames[d];

		if (f->object) {
			const struct key_seen *k = &f->keys[f->n - 1];
			char name[JPOS_PATH_LEN];

			snprintf(name, sizeof(name), "%.*s", (int)k->len, k->name);
			p = jpos_key(&p, name);
		} else {
			p = jpos_index(&p, f->index);
		}
	}
	return p;
}

/* The object on top closes: any two equal names? */
static int check_object(struct scan *s, const char *file, struct err *e)
{
	struct frame *f = &s->frames[s->depth - 1];
	unsigned int l1, c1, l2, c2;
	struct jpos where;

	if (f->n < 2)
		return 0;
	/* keys[n-1] is the path's step for enclosing objects only; this one is done with it */
	qsort(f->keys, f->n, sizeof(f->keys[0]), cmp_key);
	for (size_t i = 1; i < f->n; i++) {
		const struct key_seen *a = &f->keys[i - 1], *b = &f->keys[i];

		if (a->len != b->len || memcmp(a->name, b->name, a->len))
			continue;
		line_col(s->text, a->off, &l1, &c1);
		line_col(s->text, b->off, &l2, &c2);
		where = path_of(s, file);
		return err_set(e, EINVAL,
			       "%s: line %u, column %u: duplicate key \"%.*s\" in %s (first at "
			       "line %u, column %u): a key may appear once per object", file, l2,
			       c2, (int)b->len > 64 ? 64 : (int)b->len, b->name,
			       where.path[0] ? where.path : "the top-level object", l1, c1);
	}
	return 0;
}

static int add_key(struct frame *f, char *name, size_t len, size_t off)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		struct key_seen *grown = realloc(f->keys, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		f->keys = grown;
		f->cap = cap;
	}
	f->keys[f->n++] = (struct key_seen){ name, len, off };
	return 0;
}

static size_t skip_ws(const struct scan *s, size_t i)
{
	while (i < s->len && strchr(" \t\r\n", s->text[i]) && s->text[i])
		i++;
	return i;
}

static int step(struct scan *s, const char *file, struct err *e)
{
	char c = s->text[s->pos];
	struct frame *top = s->depth ? &s->frames[s->depth - 1] : NULL;
	size_t start = s->pos, len;
	char *name;
	int err;

	switch (c) {
	case '{':
	case '[':
		s->pos++;
		return push(s, c == '{');
	case '}':
	case ']':
		s->pos++;
		if (!top)
			return 0;
		err = c == '}' ? check_object(s, file, e) : 0;
		free_keys(top);
		s->depth--;
		return err;
	case ',':
		s->pos++;
		if (top && !top->object)
			top->index++;
		return 0;
	case '"':
		if (!top || !top->object)
			return read_string(s, NULL, NULL);
		/* a member name is a string followed by ':' */
		err = read_string(s, &name, &len);
		if (err)
			return err;
		if (skip_ws(s, s->pos) < s->len && s->text[skip_ws(s, s->pos)] == ':') {
			err = add_key(top, name, len, start);
			if (err)
				free(name);
			return err;
		}
		free(name);
		return 0;
	default: /* ':', white space, numbers, true, false, null */
		s->pos++;
		return 0;
	}
}

int json_check_duplicate_keys(const char *text, size_t len, const char *file, struct err *e)
{
	struct scan s = { .text = text, .len = len };
	int err = 0;

	while (!err && s.pos < s.len)
		err = step(&s, file, e);
	if (err == -ENOMEM)
		err_set(e, ENOMEM, "%s: out of memory", file);
	while (s.depth)
		free_keys(&s.frames[--s.depth]);
	free(s.frames);
	return err < 0 ? err : 0;
}
