/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader/kernel/netns_enter.h — `-n/--netns NAME`: run in the network namespace /run/netns/NAME (as
 * `ip netns add` creates them) or in the one a path names. Only the network namespace changes:
 * interfaces, ifindexes, netlink (tc) and XDP attachment follow it, while the mount namespace
 * stays, so pins made under a bpffs outlive the command. (`ip netns exec` instead remounts /sys in
 * a new mount namespace, and pins under /sys/fs/bpf made there vanish with it.)
 */
#ifndef ENIADDR_NETNS_ENTER_H
#define ENIADDR_NETNS_ENTER_H

#include "err.h"

#define NETNS_JOIN_DIR "/run/netns"

/* Enters the namespace; call before anything opens a socket. */
int netns_join(const char *name, struct err *e);

#endif
