/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/status_note.h — what the maps cannot say about a published generation (which
 * sources made it, which referenced groups have no known member), kept beside the pins for
 * `status`: a small JSON object in $ENIADDR_RUNDIR (default /run/eniaddr-bpf), one file per pin
 * directory. It carries the generation it describes; a note about another generation is stale
 * and ignored, so a later `apply` never shows an old sync's facts.
 */
#ifndef ENIADDR_STATUS_NOTE_H
#define ENIADDR_STATUS_NOTE_H

#include <json-c/json.h>
#include <stdint.h>

#include "err.h"
#include "kernel/pins.h"

#define STATUS_NOTE_ENV_DIR     "ENIADDR_RUNDIR"
#define STATUS_NOTE_DEFAULT_DIR "/run/eniaddr-bpf"

/* Writes facts (an object, borrowed; "generation" is added to it) for generation, atomically
 * (rename). */
int status_note_write(const struct pins *p, uint64_t generation, struct json_object *facts,
		      struct err *e);

/* The facts about generation, or NULL (none, stale, unreadable). Caller puts the object. */
struct json_object *status_note_read(const struct pins *p, uint64_t generation);

#endif
