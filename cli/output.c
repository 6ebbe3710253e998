// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cli/output.c — see output.h. */
#include <stdio.h>

#include "args.h"
#include "output.h"

static bool json_mode, pretty_mode;

void out_init(bool json, bool pretty)
{
	json_mode = json || pretty;
	pretty_mode = pretty;
}

bool out_json(void)
{
	return json_mode;
}

void out_json_print(struct json_object *o)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty_mode ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
				 : JSON_C_TO_STRING_PLAIN);

	puts(o ? json_object_to_json_string_ext(o, flags) : "null");
	fflush(stdout);
	json_object_put(o);
}

void out_error(const char *msg)
{
	struct json_object *o;

	if (!json_mode) {
		fprintf(stderr, "Error: %s\n", msg);
		return;
	}
	o = json_object_new_object();
	jadd_str(o, "error", msg);
	out_json_print(o);
}

void jadd_str(struct json_object *o, const char *key, const char *val)
{
	if (o)
		json_object_object_add(o, key, val ? json_object_new_string(val) : NULL);
}

void jadd_int(struct json_object *o, const char *key, long long val)
{
	if (o)
		json_object_object_add(o, key, json_object_new_int64(val));
}

void jadd_u64(struct json_object *o, const char *key, unsigned long long val)
{
	if (o)
		json_object_object_add(o, key, json_object_new_uint64(val));
}

void jadd_bool(struct json_object *o, const char *key, bool val)
{
	if (o)
		json_object_object_add(o, key, json_object_new_boolean(val));
}
