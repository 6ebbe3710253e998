// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* loader/agent/metrics_http.c — see metrics_http.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent/metrics_http.h"
#include "log.h"

/* "PORT", ":PORT", "ADDR:PORT", "[V6]:PORT" into a socket address. */
static int parse_spec(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64] = "127.0.0.1";
	const char *colon = strrchr(spec, ':'), *port_s = colon ? colon + 1 : spec;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	size_t hlen = colon ? (size_t)(colon - spec) : 0;
	char *end;
	long port;

	errno = 0;
	port = strtol(port_s, &end, 10);
	if (!*port_s || *end || errno || port < 1 || port > 65535 || hlen >= sizeof(host))
		return -EINVAL;
	if (hlen) {
		if (spec[0] == '[' && spec[hlen - 1] == ']') {
			memcpy(host, spec + 1, hlen - 2);
			host[hlen - 2] = '\0';
		} else {
			memcpy(host, spec, hlen);
			host[hlen] = '\0';
		}
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -EINVAL;
}

int metrics_http_open(const char *spec, struct err *e)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (parse_spec(spec, &ss, &len))
		return err_set(e, EINVAL, "bad --metrics-listen '%s': expected [ADDR:]PORT or "
			       "[V6]:PORT", spec);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, errno, "--metrics-listen %s: %s", spec, strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16)) {
		int err = errno;

		close(fd);
		return err_set(e, err, "--metrics-listen %s: %s", spec, strerror(err));
	}
	return fd;
}

static void reply(int fd, const char *status, const char *body, size_t n)
{
	char head[160];
	int h = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: text/plain; "
			 "version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", status, n);

	if (h > 0 && write(fd, head, (size_t)h) == h && n)
		(void)!write(fd, body, n);
}

void metrics_http_serve(int lfd, const struct map_fds *m, const struct metrics_sync *sync)
{
	struct timeval tv = { 0, METRICS_HTTP_TIMEOUT_MS * 1000 };
	char req[1024], *body = NULL;
	size_t n = 0;
	struct err e = {};
	FILE *f;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* The request itself does not matter: every path gets the metrics. */
	if (read(fd, req, sizeof(req)) <= 0)
		goto out;
	f = open_memstream(&body, &n);
	if (!f)
		goto out;
	if (m->stats < 0 || metrics_write(f, m, sync, sync ? sync->no_members : NULL, &e)) {
		fclose(f);
		log_warn("metrics: %s", e.msg[0] ? e.msg : "not loaded yet");
		reply(fd, "503 Service Unavailable", "", 0);
		goto out;
	}
	fclose(f);
	reply(fd, "200 OK", body, n);
out:
	free(body);
	close(fd);
}
