/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/source/imds_parse.h — IMDS answers as text (REFERENCE.md §4): one item per line, no
 * trailing newline, listings with sub-directories ending in '/'. Pure functions, no I/O.
 *
 * Strict on purpose: an answer that is not exactly that shape (CR, an empty line or a trailing
 * newline, spaces, control bytes, a value that is not what the key holds) is an error naming
 * the key and the line, never a shorter list. Addresses are parsed as addresses, so an
 * uncompressed IPv6 ("2001:0db8:0000:…") equals its compressed form.
 */
#ifndef ENIADDR_SOURCE_IMDS_PARSE_H
#define ENIADDR_SOURCE_IMDS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"

#define IMDS_MAX_LINES 4096

/* The lines of one answer; v[i] point into buf (one allocation). */
struct imds_lines {
	char **v;
	size_t n;
	char *buf;
};

/* Splits text (len bytes) into lines; key names the answer in messages. */
int imds_lines_split(const char *text, size_t len, const char *key, struct imds_lines *out,
		     struct err *e);
void imds_lines_free(struct imds_lines *l);

/* Whether a listing names item (exactly, "local-ipv4s" or "macs/"). */
bool imds_lines_has(const struct imds_lines *l, const char *item);

/* One address of family 4 or 6 as a host prefix. */
int imds_parse_addr(const char *key, size_t line, const char *s, int family,
		    struct ip_prefix *out, struct err *e);

/* "10.0.1.0/24" or "2001:db8::/64" of family 4 or 6; the length is required. */
int imds_parse_cidr(const char *key, size_t line, const char *s, int family,
		    struct ip_prefix *out, struct err *e);

/* A decimal number 0..max, no sign, no leading zeros. */
int imds_parse_uint(const char *key, const char *s, unsigned long max, unsigned long *out,
		    struct err *e);

/* An AWS id with the given prefix ("eni-", "sg-"): lower-case letters, digits, '-'. */
int imds_parse_id(const char *key, size_t line, const char *s, const char *prefix, char *dst,
		  size_t len, struct err *e);

/* A macs/ listing item "0e:00:00:00:00:01/": lower case, colon-separated, with the slash. */
int imds_parse_mac_dir(const char *key, size_t line, const char *s, uint8_t mac[6],
		       struct err *e);

#endif
