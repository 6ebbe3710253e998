/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * tests/lib/vpcbed.h — the simulated VPC test bed (scripts/vpcbed.sh) from C, and real sockets
 * inside its namespaces. User space only; the end-to-end tests and the demo share it.
 *
 * A bed called NAME is four network namespaces: NAME-vpc (router + the VPC's source/destination
 * check), NAME-inst (the instance, ENIs eth0 and eth1), NAME-con (client on subnet A) and
 * NAME-coff (client behind the router). Addresses: see scripts/vpcbed.sh; the constants below
 * are the ones tests name.
 *
 * The test process never enters a namespace itself: every socket is made in a forked child that
 * setns()es first. Servers are children with a lifetime cap; vpcbed_down(), exit and
 * SIGINT/SIGTERM/SIGHUP kill them and delete every bed this process brought up.
 *
 * Functions return 0 (or a value) on success and a negative errno on failure.
 */
#ifndef ENIADDR_TESTS_VPCBED_H
#define ENIADDR_TESTS_VPCBED_H

#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#define VPCBED_NAME_MAX 25		/* bed names: letters, digits, _; at most 24 */
#define VPCBED_NS_MAX (VPCBED_NAME_MAX + 8)
#define VPCBED_SERVER_LIFETIME_S 30	/* a forgotten server ends itself after this */

/* Ports of the demo security group (scripts/vpcbed.sh config). */
#define VPCBED_TCP_PORT 8080
#define VPCBED_UDP_PORT 5353

/* Builds the bed (tearing down an old one of that name first). variant: "same-subnet" (eth0 and
 * eth1 in subnet A) or "two-subnets" (eth1 in subnet B); NULL means same-subnet. Runs
 * $VPCBED_SCRIPT, else scripts/vpcbed.sh from the working directory or next to the binary. */
int vpcbed_up(const char *name, const char *variant);

/* Kills this process's servers in the bed's namespaces and deletes the bed. Safe to repeat. */
void vpcbed_down(const char *name);

/* Writes "NAME-role" (role: vpc, inst, con, coff) into buf of VPCBED_NS_MAX bytes; returns buf. */
char *vpcbed_ns(char *buf, const char *name, const char *role);

/* Runs fn(arg) in a child that joined /run/netns/<ns> and returns its exit status: fn's return
 * value, which must be 0..254. -ENOENT if there is no such namespace, -ECHILD if the child could
 * not enter it or died abnormally. fn must not touch cmocka state; it may block (bound it). */
int netns_run(const char *ns, int (*fn)(void *), void *arg);

/* A socket created inside namespace ns, handed to this process: it stays in ns whatever process
 * uses it, so the test can bind/send/recv on it directly. Returns the fd or -errno. */
int netns_socket(const char *ns, int domain, int type, int protocol);

/* addr ("192.0.2.10" or "2001:db8:a::10") and port as a socket address of its family; *len
 * receives its size. 0, or -EINVAL when addr is neither. */
int vpcbed_sockaddr(const char *addr, unsigned int port, struct sockaddr_storage *ss,
		    socklen_t *len);

/* A UDP socket in ns bound to addr:port whose receives give up after VPCBED_SINK_TIMEOUT_MS,
 * for a test that counts what arrives. Returns the fd or -errno. */
#define VPCBED_SINK_TIMEOUT_MS 1000
int vpcbed_udp_sink(const char *ns, const char *addr, unsigned int port);

/* Starts a TCP (echo per connection) or UDP (echo per datagram) server bound to addr:port in
 * ns, returning once it is bound. Returns its pid or -errno (bind failed: the child's errno). */
pid_t vpcbed_tcp_echo_server(const char *ns, const char *addr, unsigned int port);
pid_t vpcbed_udp_echo_server(const char *ns, const char *addr, unsigned int port);

/* Kills and reaps one server, or all of this process's servers. */
void vpcbed_server_stop(pid_t pid);
void vpcbed_servers_stop_all(void);

/* From ns, connects to addr:port within timeout_ms and checks a message comes back (TCP), or
 * sends one datagram and waits timeout_ms for its echo (UDP). 0 when the exchange completed,
 * -ETIMEDOUT, -ECONNREFUSED, ... otherwise. */
int vpcbed_tcp_echo(const char *ns, const char *addr, unsigned int port, int timeout_ms);
int vpcbed_udp_echo(const char *ns, const char *addr, unsigned int port, int timeout_ms);

/* `ip netns exec ns ping -c1 -W1 addr`: 0 when a reply came back, -EHOSTUNREACH otherwise. */
int vpcbed_ping(const char *ns, const char *addr);

/* Sends one UDP datagram from namespace ns with any source address (a raw socket with our own
 * IPv4/IPv6 header, so the kernel does not check that src is local). Routed by dst. */
int vpcbed_send_udp_raw(const char *ns, const char *src, const char *dst, unsigned int port,
			const void *payload, size_t len);

/* Packets the VPC dropped because they left ENI eni with a source it does not own (src) or were
 * delivered to eni for an address it does not own (dst). -errno if the counter cannot be read. */
long vpcbed_srccheck_drops(const char *name, const char *eni);
long vpcbed_dstcheck_drops(const char *name, const char *eni);

/* Runs a shell command (sh -c) built like printf; returns its exit status or -errno. If out is
 * not NULL, its stdout (up to len-1 bytes, NUL-terminated) goes there. */
int vpcbed_sh(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Path of scripts/vpcbed.sh as vpcbed_up() runs it. */
const char *vpcbed_script(void);

#endif
