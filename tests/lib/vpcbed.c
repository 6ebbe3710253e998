// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tests/lib/vpcbed.c — see vpcbed.h. Namespaces are entered only by forked children, so the test
 * process keeps its own namespace; whatever this process starts (beds, servers) is recorded and
 * removed at vpcbed_down(), at exit and on SIGINT/SIGTERM/SIGHUP.
 */
#include "vpcbed.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_BEDS 8
#define MAX_SERVERS 32
#define CHILD_CANNOT_ENTER 255	/* exit status of a child whose setns() failed */
#define ECHO_MSG "eniaddr-vpcbed echo\n"

static char bed_names[MAX_BEDS][VPCBED_NAME_MAX];
static struct {
	pid_t pid;
	char ns[VPCBED_NS_MAX];
} servers[MAX_SERVERS];
static char script_path[PATH_MAX];
static pid_t guard_owner;	/* only this process cleans up: forked children inherit the guard */

/* ---- small helpers ------------------------------------------------------------------------ */

static bool name_ok(const char *s, size_t max)
{
	size_t n = 0;

	for (; s && s[n]; n++)
		if (!(s[n] == '_' || (s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'z') ||
		      (s[n] >= 'A' && s[n] <= 'Z')))
			return false;
	return n > 0 && n < max;
}

/* A namespace name of a bed: NAME-role. */
static bool ns_ok(const char *ns)
{
	char name[VPCBED_NS_MAX];
	const char *dash = ns ? strchr(ns, '-') : NULL;

	if (!dash || (size_t)(dash - ns) >= sizeof(name) || strlen(dash + 1) >= sizeof(name))
		return false;
	snprintf(name, sizeof(name), "%.*s", (int)(dash - ns), ns);
	return name_ok(name, VPCBED_NAME_MAX) && name_ok(dash + 1, 8);
}

char *vpcbed_ns(char *buf, const char *name, const char *role)
{
	snprintf(buf, VPCBED_NS_MAX, "%s-%s", name, role);
	return buf;
}

int vpcbed_sockaddr(const char *addr, unsigned int port, struct sockaddr_storage *ss,
		    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}

/* fork + exec without a shell; async-signal-safe, so the signal guard can use it. */
static int run_argv(char *const argv[])
{
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return wait_child(pid);
}

static long elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

/* Waits for fd to become ready for events within what is left of timeout_ms since start. */
static int poll_left(int fd, short events, const struct timespec *start, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	long left;
	int n;

	do {
		left = timeout_ms - elapsed_ms(start);
		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

/* ---- the cleanup guard ------------------------------------------------------------------- */

static void stop_servers_matching(const char *prefix)
{
	size_t plen = prefix ? strlen(prefix) : 0;

	for (int i = 0; i < MAX_SERVERS; i++) {
		if (!servers[i].pid || (prefix && strncmp(servers[i].ns, prefix, plen)))
			continue;
		kill(servers[i].pid, SIGKILL);
		while (waitpid(servers[i].pid, NULL, 0) < 0 && errno == EINTR)
			;
		servers[i].pid = 0;
	}
}

static void down_all_beds(void)
{
	for (int i = 0; i < MAX_BEDS; i++) {
		char *argv[] = { script_path, "down", bed_names[i], NULL };

		if (!bed_names[i][0])
			continue;
		run_argv(argv);
		bed_names[i][0] = '\0';
	}
}

static void guard_cleanup(void)
{
	if (getpid() != guard_owner)
		return;
	stop_servers_matching(NULL);
	down_all_beds();
}

static const int guard_sigs[] = { SIGINT, SIGTERM, SIGHUP };
static struct sigaction guard_prev[3];	/* e.g. tests/lib/netns.c's guard, chained to */

static void guard_signal(int sig)
{
	guard_cleanup();
	for (size_t i = 0; i < 3; i++)
		if (guard_sigs[i] == sig)
			sigaction(sig, &guard_prev[i], NULL);
	raise(sig);
}

static void guard_install(void)
{
	struct sigaction sa = { .sa_handler = guard_signal };

	if (guard_owner)
		return;
	guard_owner = getpid();
	atexit(guard_cleanup);
	for (size_t i = 0; i < 3; i++) {
		sigaction(guard_sigs[i], NULL, &guard_prev[i]);
		/* A signal ignored at start (background job) stays ignored, as shells expect. */
		if (guard_prev[i].sa_handler != SIG_IGN)
			sigaction(guard_sigs[i], &sa, NULL);
	}
}

/* A forked child starts clean: default signals, and it dies with the test process. */
static void child_init(pid_t parent)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(1);
}

/* ---- the bed ----------------------------------------------------------------------------- */

const char *vpcbed_script(void)
{
	char exe[PATH_MAX], cand[PATH_MAX + 32];
	const char *env = getenv("VPCBED_SCRIPT");
	ssize_t n;

	if (script_path[0])
		return script_path;
	if (env && realpath(env, script_path))
		return script_path;
	if (realpath("scripts/vpcbed.sh", script_path) && access(script_path, X_OK) == 0)
		return script_path;
	/* build/tests/test_x -> ../../scripts/vpcbed.sh */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(cand, sizeof(cand), "%s/../../scripts/vpcbed.sh", exe);
		if (realpath(cand, script_path) && access(script_path, X_OK) == 0)
			return script_path;
	}
	snprintf(script_path, sizeof(script_path), "scripts/vpcbed.sh");
	return script_path;
}

int vpcbed_up(const char *name, const char *variant)
{
	char *argv[] = { (char *)vpcbed_script(), "up", (char *)name, "--variant",
			 (char *)(variant ? variant : "same-subnet"), NULL };
	int slot = -1, rc;

	if (!name_ok(name, VPCBED_NAME_MAX))
		return -EINVAL;
	guard_install();
	for (int i = 0; i < MAX_BEDS; i++) {
		if (!strcmp(bed_names[i], name))
			slot = i;
		else if (slot < 0 && !bed_names[i][0])
			slot = i;
	}
	if (slot < 0)
		return -ENOSPC;
	/* Recorded before it exists, so a half-built bed is removed too. */
	snprintf(bed_names[slot], VPCBED_NAME_MAX, "%s", name);
	fflush(NULL);
	rc = run_argv(argv);
	return rc == 0 ? 0 : rc < 0 ? rc : -EIO;
}

void vpcbed_down(const char *name)
{
	char prefix[VPCBED_NS_MAX];
	char *argv[] = { (char *)vpcbed_script(), "down", (char *)name, NULL };

	if (!name_ok(name, VPCBED_NAME_MAX))
		return;
	snprintf(prefix, sizeof(prefix), "%s-", name);
	stop_servers_matching(prefix);
	fflush(NULL);
	run_argv(argv);
	for (int i = 0; i < MAX_BEDS; i++)
		if (!strcmp(bed_names[i], name))
			bed_names[i][0] = '\0';
}

/* ---- running code inside a namespace ------------------------------------------------------ */

static int open_netns(const char *ns)
{
	char path[PATH_MAX];
	int fd;

	if (!ns || strchr(ns, '/'))
		return -EINVAL;
	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int netns_run(const char *ns, int (*fn)(void *), void *arg)
{
	pid_t parent = getpid(), pid;
	int fd = open_netns(ns), rc;

	if (fd < 0)
		return fd;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	if (pid == 0) {
		child_init(parent);
		if (setns(fd, CLONE_NEWNET) < 0)
			_exit(CHILD_CANNOT_ENTER);
		_exit(fn(arg) & 0xff);
	}
	close(fd);
	rc = wait_child(pid);
	return rc == CHILD_CANNOT_ENTER ? -ECHILD : rc;
}

struct socket_req {
	int domain, type, protocol;
	int channel;	/* unix socket the new fd is sent over */
};

static int make_and_send_socket(void *arg)
{
	struct socket_req *req = arg;
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char byte = 0;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	int fd = socket(req->domain, req->type, req->protocol);

	if (fd < 0)
		return errno;
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(req->channel, &msg, 0) == 1 ? 0 : errno;
}

int netns_socket(const char *ns, int domain, int type, int protocol)
{
	struct socket_req req = { .domain = domain, .type = type, .protocol = protocol };
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cmsg;
	int sv[2], rc, fd = -EPROTO;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	req.channel = sv[1];
	rc = netns_run(ns, make_and_send_socket, &req);
	if (rc != 0) {
		fd = rc < 0 ? rc : -rc;
		goto out;
	}
	/* The fd is already in flight: netns_run returned after the child sent it. */
	if (recvmsg(sv[0], &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) == 1) {
		cmsg = CMSG_FIRSTHDR(&msg);
		if (cmsg && cmsg->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	}
out:
	close(sv[0]);
	close(sv[1]);
	return fd;
}

int vpcbed_udp_sink(const char *ns, const char *addr, unsigned int port)
{
	struct timeval timeout = { .tv_sec = VPCBED_SINK_TIMEOUT_MS / 1000,
				   .tv_usec = VPCBED_SINK_TIMEOUT_MS % 1000 * 1000 };
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, rc = vpcbed_sockaddr(addr, port, &ss, &len);

	if (rc)
		return rc;
	fd = netns_socket(ns, ss.ss_family, SOCK_DGRAM, 0);
	if (fd < 0)
		return fd;
	if (bind(fd, (struct sockaddr *)&ss, len) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout))) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

/* ---- servers ---------------------------------------------------------------------------- */

static void serve_tcp(int lfd)
{
	struct timeval io_timeout = { .tv_sec = 2 };
	char buf[2048];
	ssize_t n;

	for (;;) {
		int c = accept(lfd, NULL, NULL);

		if (c < 0)
			continue;
		setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &io_timeout, sizeof(io_timeout));
		setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &io_timeout, sizeof(io_timeout));
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, n) != n)
				break;
		close(c);
	}
}

static void serve_udp(int fd)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	char buf[2048];
	ssize_t n;

	for (;;) {
		plen = sizeof(peer);
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer, &plen);
		if (n >= 0)
			sendto(fd, buf, n, 0, (struct sockaddr *)&peer, plen);
	}
}

/* Child side of a server: enter ns, bind, report errno (0 = ready) on ready_fd, then serve until
 * killed or VPCBED_SERVER_LIFETIME_S passes (SIGALRM's default action ends it). */
static void server_child(int nsfd, int ready_fd, const struct sockaddr_storage *ss,
			 socklen_t len, int type)
{
	int one = 1, err = 0, fd = -1;

	if (setns(nsfd, CLONE_NEWNET) < 0)
		err = errno;
	if (!err && (fd = socket(ss->ss_family, type, 0)) < 0)
		err = errno;
	if (!err)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!err && bind(fd, (const struct sockaddr *)ss, len) < 0)
		err = errno;
	if (!err && type == SOCK_STREAM && listen(fd, 16) < 0)
		err = errno;
	if (write(ready_fd, &err, sizeof(err)) != sizeof(err) || err)
		_exit(1);
	close(ready_fd);
	alarm(VPCBED_SERVER_LIFETIME_S);
	if (type == SOCK_STREAM)
		serve_tcp(fd);
	else
		serve_udp(fd);
	_exit(0);
}

static pid_t server_start(const char *ns, const char *addr, unsigned int port, int type)
{
	struct sockaddr_storage ss;
	struct timespec start;
	socklen_t len;
	pid_t parent = getpid(), pid;
	int pipefd[2], nsfd, err = ETIMEDOUT, slot = -1, rc;

	for (int i = 0; i < MAX_SERVERS && slot < 0; i++)
		if (!servers[i].pid)
			slot = i;
	if (slot < 0)
		return -ENOSPC;
	rc = vpcbed_sockaddr(addr, port, &ss, &len);
	if (rc)
		return rc;
	nsfd = open_netns(ns);
	if (nsfd < 0)
		return nsfd;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		rc = -errno;
		close(nsfd);
		return rc;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		child_init(parent);
		close(pipefd[0]);
		server_child(nsfd, pipefd[1], &ss, len, type);
	}
	close(nsfd);
	close(pipefd[1]);
	if (pid < 0) {
		rc = -errno;
		close(pipefd[0]);
		return rc;
	}
	servers[slot].pid = pid;
	snprintf(servers[slot].ns, sizeof(servers[slot].ns), "%s", ns);
	clock_gettime(CLOCK_MONOTONIC, &start);
	if (poll_left(pipefd[0], POLLIN, &start, 5000) == 0 &&
	    read(pipefd[0], &err, sizeof(err)) != sizeof(err))
		err = ECHILD;
	close(pipefd[0]);
	if (err) {
		vpcbed_server_stop(pid);
		return -err;
	}
	return pid;
}

pid_t vpcbed_tcp_echo_server(const char *ns, const char *addr, unsigned int port)
{
	return server_start(ns, addr, port, SOCK_STREAM);
}

pid_t vpcbed_udp_echo_server(const char *ns, const char *addr, unsigned int port)
{
	return server_start(ns, addr, port, SOCK_DGRAM);
}

void vpcbed_server_stop(pid_t pid)
{
	for (int i = 0; i < MAX_SERVERS; i++) {
		if (servers[i].pid != pid || pid <= 0)
			continue;
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		servers[i].pid = 0;
	}
}

void vpcbed_servers_stop_all(void)
{
	stop_servers_matching(NULL);
}

/* ---- clients ---------------------------------------------------------------------------- */

struct client_req {
	struct sockaddr_storage ss;
	socklen_t len;
	int type;
	int timeout_ms;
};

/* Runs inside the namespace: returns 0 when the echo came back, else a positive errno. */
static int client_exchange(void *arg)
{
	const struct client_req *req = arg;
	struct timespec start;
	char buf[sizeof(ECHO_MSG)];
	socklen_t elen = sizeof(int);
	int fd, err = 0, rc;
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	fd = socket(req->ss.ss_family, req->type | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (const struct sockaddr *)&req->ss, req->len) < 0) {
		if (errno != EINPROGRESS)
			return errno;
		rc = poll_left(fd, POLLOUT, &start, req->timeout_ms);
		if (rc)
			return -rc;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
			return errno;
		if (err)
			return err;
	}
	if (send(fd, ECHO_MSG, strlen(ECHO_MSG), 0) != (ssize_t)strlen(ECHO_MSG))
		return errno ? errno : EIO;
	rc = poll_left(fd, POLLIN, &start, req->timeout_ms);
	if (rc)
		return -rc;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return errno;	/* UDP: ECONNREFUSED from an ICMP port unreachable */
	return n == (ssize_t)strlen(ECHO_MSG) && !memcmp(buf, ECHO_MSG, n) ? 0 : EPROTO;
}

static int client_run(const char *ns, const char *addr, unsigned int port, int type,
		      int timeout_ms)
{
	struct client_req req = { .type = type, .timeout_ms = timeout_ms };
	int rc = vpcbed_sockaddr(addr, port, &req.ss, &req.len);

	if (rc)
		return rc;
	rc = netns_run(ns, client_exchange, &req);
	return rc > 0 ? -rc : rc;
}

int vpcbed_tcp_echo(const char *ns, const char *addr, unsigned int port, int timeout_ms)
{
	return client_run(ns, addr, port, SOCK_STREAM, timeout_ms);
}

int vpcbed_udp_echo(const char *ns, const char *addr, unsigned int port, int timeout_ms)
{
	return client_run(ns, addr, port, SOCK_DGRAM, timeout_ms);
}

int vpcbed_ping(const char *ns, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len;

	/* Both reach a shell: accept only a namespace name and a literal address. */
	if (!ns_ok(ns) || vpcbed_sockaddr(addr, 0, &ss, &len))
		return -EINVAL;
	return vpcbed_sh(NULL, 0, "ip netns exec %s ping -c1 -W1 %s >/dev/null 2>&1", ns, addr) ==
		0 ? 0 : -EHOSTUNREACH;
}

/* ---- raw UDP with any source ----------------------------------------------------------- */

static uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	return htons(sum ? sum : 0xffff);	/* UDP: 0 means "no checksum" */
}

struct raw_req {
	struct sockaddr_storage src, dst;
	socklen_t dst_len;
	unsigned int port;
	const void *payload;
	size_t len;
};

static int raw_send(void *arg)
{
	const struct raw_req *r = arg;
	uint8_t pkt[sizeof(struct ip6_hdr) + sizeof(struct udphdr) + 1024];
	size_t l3 = r->dst.ss_family == AF_INET ? sizeof(struct iphdr) : sizeof(struct ip6_hdr);
	struct udphdr *udp = (struct udphdr *)(pkt + l3);
	size_t l4len = sizeof(*udp) + r->len;
	uint32_t sum = IPPROTO_UDP + l4len;	/* pseudo header: protocol + length */
	int fd;

	if (r->len > 1024)
		return EMSGSIZE;
	memset(pkt, 0, sizeof(pkt));
	udp->source = htons(r->port);
	udp->dest = htons(r->port);
	udp->len = htons(l4len);
	memcpy(udp + 1, r->payload, r->len);
	if (r->dst.ss_family == AF_INET) {
		struct iphdr *ip = (struct iphdr *)pkt;

		ip->version = 4;
		ip->ihl = 5;
		ip->ttl = 64;
		ip->protocol = IPPROTO_UDP;
		ip->tot_len = htons(l3 + l4len);	/* id and checksum: the kernel fills them */
		ip->saddr = ((const struct sockaddr_in *)&r->src)->sin_addr.s_addr;
		ip->daddr = ((const struct sockaddr_in *)&r->dst)->sin_addr.s_addr;
		sum = csum_add(sum, &ip->saddr, 8);
	} else {
		struct ip6_hdr *ip6 = (struct ip6_hdr *)pkt;

		ip6->ip6_flow = htonl(6u << 28);
		ip6->ip6_plen = htons(l4len);
		ip6->ip6_nxt = IPPROTO_UDP;
		ip6->ip6_hlim = 64;
		ip6->ip6_src = ((const struct sockaddr_in6 *)&r->src)->sin6_addr;
		ip6->ip6_dst = ((const struct sockaddr_in6 *)&r->dst)->sin6_addr;
		sum = csum_add(sum, &ip6->ip6_src, 32);
	}
	udp->check = csum_fold(csum_add(sum, udp, l4len));
	/* IPPROTO_RAW implies "header included" for both families. */
	fd = socket(r->dst.ss_family, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0)
		return errno;
	if (sendto(fd, pkt, l3 + l4len, 0, (const struct sockaddr *)&r->dst, r->dst_len) < 0)
		return errno;
	return 0;
}

int vpcbed_send_udp_raw(const char *ns, const char *src, const char *dst, unsigned int port,
			const void *payload, size_t len)
{
	struct raw_req r = { .port = port, .payload = payload, .len = len };
	socklen_t slen;
	int rc;

	if (vpcbed_sockaddr(src, 0, &r.src, &slen) || vpcbed_sockaddr(dst, 0, &r.dst, &r.dst_len) ||
	    r.src.ss_family != r.dst.ss_family)
		return -EINVAL;
	rc = netns_run(ns, raw_send, &r);
	return rc > 0 ? -rc : rc;
}

/* ---- counters and shell ---------------------------------------------------------------- */

static long check_drops(const char *name, const char *side, const char *eni)
{
	char out[1024];
	const char *p;
	int rc;

	if (!name_ok(name, VPCBED_NAME_MAX) || !name_ok(eni, 16))
		return -EINVAL;
	rc = vpcbed_sh(out, sizeof(out), "ip netns exec %s-vpc nft list counter netdev vpc %s_%s",
		       name, side, eni);
	if (rc)
		return rc < 0 ? rc : -ENOENT;
	p = strstr(out, "packets ");
	return p ? strtol(p + strlen("packets "), NULL, 10) : -EPROTO;
}

long vpcbed_srccheck_drops(const char *name, const char *eni)
{
	return check_drops(name, "src", eni);
}

long vpcbed_dstcheck_drops(const char *name, const char *eni)
{
	return check_drops(name, "dst", eni);
}

int vpcbed_sh(char *out, size_t len, const char *fmt, ...)
{
	char cmd[4096];
	size_t used = 0, n;
	va_list ap;
	FILE *f;
	int status;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (n >= sizeof(cmd))
		return -E2BIG;
	fflush(NULL);
	f = popen(cmd, "r");
	if (!f)
		return -errno;
	if (out && len) {
		while (used + 1 < len && (n = fread(out + used, 1, len - 1 - used, f)) > 0)
			used += n;
		out[used] = '\0';
	}
	/* Drain what did not fit, so the command never blocks on a full pipe. */
	while (fread(cmd, 1, sizeof(cmd), f) > 0)
		;
	status = pclose(f);
	if (status < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -ECHILD;
}
