/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/json_dupkeys.h — finds a key given twice in one JSON object.
 *
 * json-c keeps the last of two equal keys silently, so {"FromPort": 22, "FromPort": 0} would be
 * read as port 0 without a word. RFC 8259 leaves duplicates to the parser; for a security
 * boundary a document that means two things is an error. This scans the text json-c has already
 * accepted (so it is valid JSON), decodes each member name (escapes included: "a" and "\u0061"
 * are the same key, as json-c sees them) and compares the names of each object once it closes
 * (sorted: n log n, whatever the document).
 */
#ifndef ENIADDR_JSON_DUPKEYS_H
#define ENIADDR_JSON_DUPKEYS_H

#include <stddef.h>

#include "err.h"

/*
 * Scans text[0..len) (valid JSON). 0 when no object repeats a key; else -EINVAL with e set to
 * "FILE: line L, column C: duplicate key \"K\" in PATH (first at line L, column C)", PATH as
 * "SecurityGroups[0].IpPermissions[1]" ("the top-level object" at the root). -ENOMEM likewise.
 */
int json_check_duplicate_keys(const char *text, size_t len, const char *file, struct err *e);

#endif
