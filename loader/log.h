/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/log.h — the one logger of user space: progress and debug lines on stderr, filtered by a
 * level that each -v raises. Errors are not logged here: they travel up in struct err and the CLI
 * prints them once. libbpf's own log is routed through log_libbpf_setup(), one level quieter than
 * libbpf rates it (its warnings are our info), so a plain run stays silent and -v shows why a load
 * failed (verifier log included at -vv).
 */
#ifndef ENIADDR_LOG_H
#define ENIADDR_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_WARN  = 0, /* shown by default */
	LOG_LVL_INFO  = 1, /* -v */
	LOG_LVL_DEBUG = 2, /* -vv */
	LOG_LVL_TRACE = 3, /* -vvv: libbpf's debug output */
};

void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap);

#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* Installs our printer as libbpf's (libbpf_set_print). */
void log_libbpf_setup(void);

#endif
