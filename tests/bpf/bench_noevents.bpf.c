// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tests/bpf/bench_noevents.bpf.c — the eniaddr programs built without drop events (bpf/events.h),
 * for bench_trace: what a drop pays for the trace switch when nobody traces. */
#define ENIADDR_BENCH_NO_EVENTS
#include "../../bpf/eniaddr.bpf.c"
