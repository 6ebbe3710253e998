// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tests/bpf/bench_noaddr.bpf.c — the eniaddr programs built without per-address drop counters
 * (bpf/counters.h), for bench_trace: what a drop pays for them. */
#define ENIADDR_BENCH_NO_ADDR_DROPS
#include "../../bpf/eniaddr.bpf.c"
