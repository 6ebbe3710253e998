/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tests/lib/netns.h — private network namespaces and veth pairs for tests. User space only.
 *
 * A namespace is named "eniaddr-<tag>-<pid>-<n>" and bound at /run/netns/<name> like
 * `ip netns add`, so `ip -n <name> ...` and `ip netns exec <name> ...` reach it. Interfaces are
 * created directly inside namespaces (`ip -n`), never in the caller's namespace.
 *
 * Cleanup: netns_destroy() removes one namespace (leaving it first if this thread is inside);
 * every namespace still alive is removed at exit() and on deadly signals (SIGINT, SIGTERM, SIGHUP,
 * SIGPIPE, SIGABRT, SIGSEGV, ...; not SIGKILL), so a failing or interrupted test leaves nothing
 * behind. Deleting the namespace deletes its veths. Forked children never clean up.
 *
 * Single-threaded use: netns_enter() moves the calling thread. Functions return 0 (or a value)
 * on success and a negative errno on failure.
 *
 * Example:
 *	struct netns ns;
 *	int a, b;
 *	netns_create(&ns, "ingress");
 *	netns_veth_add(&ns, "veth0", NULL, "veth1");
 *	a = netns_ifindex(&ns, "veth0");
 *	netns_enter(&ns);          // e.g. for BPF_PROG_TEST_RUN with that ifindex
 *	...
 *	netns_destroy(&ns);        // leaves, unbinds, veths go with it
 */
#ifndef ENIADDR_TESTS_NETNS_H
#define ENIADDR_TESTS_NETNS_H

#include <stdbool.h>

#define NETNS_NAME_MAX 64

struct netns {
	char name[NETNS_NAME_MAX]; /* "" when not created */
	int fd;                    /* the namespace, -1 when not created */
};

/* Creates and binds a new namespace with lo up. tag: a few letters saying which test owns it. */
int netns_create(struct netns *ns, const char *tag);

/* Leaves the namespace if inside, unbinds and closes it. Safe on a destroyed or zeroed-then-
 * failed netns (fd -1) and safe to repeat. */
void netns_destroy(struct netns *ns);

/* Moves the calling thread into ns; netns_leave() returns it to the namespace it started in. */
int netns_enter(const struct netns *ns);
int netns_leave(void);

/* Creates the veth pair name <-> peer_name, name in ns and the peer in peer_ns (NULL: ns too),
 * both up. Names are at most 15 characters and need only be unique inside their namespace. */
int netns_veth_add(const struct netns *ns, const char *name, const struct netns *peer_ns,
		   const char *peer_name);

/* The ifindex of ifname inside ns, or -ENODEV. */
int netns_ifindex(const struct netns *ns, const char *ifname);

/* Runs a shell command built like printf inside ns (NULL: the current namespace) in a child
 * process; the caller stays where it is. /sys is not remounted (`ip`, `tc`, sockets need none).
 * Returns the command's exit status (0 = success) or a negative errno. */
int netns_exec(const struct netns *ns, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* ENIADDR_TESTS_NETNS_H */
