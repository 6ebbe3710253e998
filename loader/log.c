// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/log.c — see log.h. */
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum log_level current = LOG_LVL_WARN;

static const char *const prefix[] = {
	[LOG_LVL_WARN]  = "warning: ",
	[LOG_LVL_INFO]  = "",
	[LOG_LVL_DEBUG] = "debug: ",
	[LOG_LVL_TRACE] = "trace: ",
};

void log_set_level(enum log_level level)
{
	current = level > LOG_LVL_TRACE ? LOG_LVL_TRACE : level;
}

enum log_level log_get_level(void)
{
	return current;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	size_t len = strlen(fmt);

	if (level > current)
		return;
	fputs(prefix[level], stderr);
	vfprintf(stderr, fmt, ap);
	/* Our callers omit the newline, libbpf's lines carry one: print exactly one either way. */
	if (!len || fmt[len - 1] != '\n')
		fputc('\n', stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level ours;

	switch (level) {
	case LIBBPF_WARN:
		ours = LOG_LVL_INFO;
		break;
	case LIBBPF_INFO:
		ours = LOG_LVL_DEBUG;
		break;
	default:
		ours = LOG_LVL_TRACE;
		break;
	}
	if (ours > current)
		return 0;
	return vfprintf(stderr, fmt, ap); /* libbpf prefixes "libbpf: " itself */
}

void log_libbpf_setup(void)
{
	libbpf_set_print(libbpf_print);
}
