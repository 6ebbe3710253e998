/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cli/output.h — the CLI's one writer. Plain text goes to stdout line by line; in JSON mode a
 * command builds one json-c object and prints it once at the end (so the output is always one
 * document). Errors are printed once, here: "Error: MESSAGE" on stderr (as bpftool), or
 * {"error": "MESSAGE"} on stdout in JSON mode. Logs (loader/log.h) stay on stderr.
 */
#ifndef ENIADDR_CLI_OUTPUT_H
#define ENIADDR_CLI_OUTPUT_H

#include <json-c/json.h>
#include <stdbool.h>

void out_init(bool json, bool pretty);
bool out_json(void);

/* Prints o as the command's one JSON document and drops the reference. */
void out_json_print(struct json_object *o);

void out_error(const char *msg);

/* Small json-c helpers that tolerate NULL (out of memory just loses the member). */
void jadd_str(struct json_object *o, const char *key, const char *val);
void jadd_int(struct json_object *o, const char *key, long long val);
void jadd_u64(struct json_object *o, const char *key, unsigned long long val);
void jadd_bool(struct json_object *o, const char *key, bool val);

#endif
