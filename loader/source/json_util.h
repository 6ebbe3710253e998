/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/json_util.h — what the JSON sources (native config, AWS documents) share: reading and
 * parsing a document with line numbers in errors, positions inside it that print as
 * "cfg.json: enis[1].addresses[3]", typed member getters whose errors name that position, and
 * MAC address text.
 *
 * Every getter returns 0 or -EINVAL; on error the struct err holds "FILE: ITEM: what", one line.
 * An absent optional member is not an error: pointer outputs become NULL, value outputs are left
 * as the caller set them (so the caller's default stays).
 */
#ifndef ENIADDR_JSON_UTIL_H
#define ENIADDR_JSON_UTIL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"

#define JPOS_PATH_LEN 128

/* A position in a document. */
struct jpos {
	const char *file;          /* as named in messages: "cfg.json", "/etc/eniaddr/cfg.json" */
	char path[JPOS_PATH_LEN];  /* "enis[1].addresses[3]"; empty at the document root */
};

struct jpos jpos_root(const char *file);
struct jpos jpos_key(const struct jpos *parent, const char *key);    /* parent.key */
struct jpos jpos_index(const struct jpos *parent, size_t i);         /* parent[i] */

/* "cfg.json: enis[1]", or "cfg.json" at the root. Truncates to len. */
void jpos_where(const struct jpos *pos, char *buf, size_t len);

/* Sets e to "FILE: ITEM: <message>" and returns -EINVAL. */
int jpos_err(struct err *e, const struct jpos *pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reads a whole file (at most 64 MiB) into a NUL-terminated malloc'd buffer. */
int json_read_file(const char *path, char **text, struct err *e);

/* Parses strict JSON; errors carry line and column ("cfg.json: line 4, column 7: ..."). An
 * empty or truncated document is an error, never an empty value, and so is a key given twice
 * in one object (json_dupkeys.h). The root must be an object.
 * *root is owned by the caller (json_object_put). */
int json_parse_doc(const char *text, const char *file, struct json_object **root, struct err *e);

/* "a string", "an array", ... for messages. */
const char *json_type_phrase(const struct json_object *v);

/* Checks the value at pos (an array element, say) has the type. */
int jwant(const struct jpos *pos, const struct json_object *v, enum json_type type,
	  struct err *e);

/* Member key of the object at pos, of the given type. Absent and required is an error;
 * absent and optional gives *out = NULL. A present null is a type error. */
int jget(const struct jpos *pos, struct json_object *obj, const char *key, enum json_type type,
	 bool required, struct json_object **out, struct err *e);

/* A string member; *out stays unchanged when absent and optional. Strings with a NUL inside
 * are refused. */
int jget_string(const struct jpos *pos, struct json_object *obj, const char *key, bool required,
		const char **out, struct err *e);

/* The value at pos as a string (array elements). */
int jstring(const struct jpos *pos, struct json_object *v, const char **out, struct err *e);

/* An integer member in min..max ("FromPort 70000 out of range 0..65535"). */
int jget_int(const struct jpos *pos, struct json_object *obj, const char *key, bool required,
	     int64_t min, int64_t max, int64_t *out, struct err *e);

int jget_bool(const struct jpos *pos, struct json_object *obj, const char *key, bool required,
	      bool *out, struct err *e);

/* Refuses members not in allowed (NULL-terminated): 'unknown key "prot"'. For documents we
 * write ourselves, where an unknown key is a typo. */
int jcheck_keys(const struct jpos *pos, struct json_object *obj, const char *const *allowed,
		struct err *e);

/* Copies s into dst (size len) or fails with "<what> '...' is longer than N characters". */
int jcopy_id(const struct jpos *pos, const char *what, const char *s, char *dst, size_t len,
	     struct err *e);

/* A single address ("10.0.1.10", "2001:db8::1") as a host prefix:
 * "'10.0.0.300' is not an IPv4 or IPv6 address". */
int jip_addr(const struct jpos *pos, const char *s, struct ip_prefix *out, struct err *e);

/* "10.0.1.0/24", "2001:db8::/64"; host bits are cleared, as AWS does. With need_len false a
 * bare address is accepted as a host (/32, /128). */
int jip_cidr(const struct jpos *pos, const char *s, bool need_len, struct ip_prefix *out,
	     struct err *e);

#define MAC_STRLEN 18

/* "02:00:00:00:00:01", either case. Returns 0 or -EINVAL. */
int mac_parse(const char *s, uint8_t mac[6]);
/* Lower case, as IMDS and the kernel print it. */
void mac_format(const uint8_t mac[6], char buf[MAC_STRLEN]);

#endif
