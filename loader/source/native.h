/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/native.h — the native JSON config -> struct desired_state.
 *
 * The format is documented by example in tests/data/native-full.json (copied into the README):
 * "enis" (required, at least one), "security_groups", "prefix_lists". Unknown keys are errors,
 * since in a file we define they can only be typos; "description" is accepted everywhere as a
 * comment. Every ENI's addresses and delegated prefixes join its groups' members (for sg-…
 * peers), next to a group's explicit "members".
 *
 * Errors are one line naming the file and the item:
 *   cfg.json: enis[0].addresses[2]: '10.0.0.300' is not an IPv4 or IPv6 address
 * The result is validated (state_validate) before it is handed over.
 */
#ifndef ENIADDR_SOURCE_NATIVE_H
#define ENIADDR_SOURCE_NATIVE_H

#include "err.h"
#include "state.h"

/* Reads and parses path. On success the old content of *s (initialised with state_init) is
 * freed and replaced; on error *s is left untouched. Returns 0 or -errno. */
int source_native_load(const char *path, struct desired_state *s, struct err *e);

/* Same, from text in hand; name is the file name used in messages. */
int source_native_parse(const char *text, const char *name, struct desired_state *s,
			struct err *e);

/*
 * The same format as settings for ENIs another source (IMDS) found, for compose.h: "enis" may
 * be absent or empty, an ENI's addresses do not join its groups' members (the other source says
 * who is assigned what), and nothing is validated yet (groups may live in another document).
 */
int source_native_load_settings(const char *path, struct desired_state *s, struct err *e);
int source_native_parse_settings(const char *text, const char *name, struct desired_state *s,
				 struct err *e);

#endif
