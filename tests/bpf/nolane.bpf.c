// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tests/bpf/nolane.bpf.c — the eniaddr programs built without the lane (bpf/lane.h): every
 * packet takes the whole path. test_bpf_lane runs it beside the real build, packet by packet, to
 * show the lane changes no verdict, counter or conntrack byte; bench_paths times it. */
#define ENIADDR_NO_LANE
#include "../../bpf/eniaddr.bpf.c"
