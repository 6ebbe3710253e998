#!/bin/sh
# Runs the benchmarks in $1 (the build directory) and writes their tables to BENCHMARKS.md.
# Figures are ratios to floors measured in the same run, never absolute targets.
set -eu
out=${1:-build}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` (tests/bench.sh $out) on $(date -u +%Y-%m-%d), kernel $(uname -r),"
	echo "$(nproc) CPUs ($cpu)."
	echo
	echo "Per packet: BPF_PROG_TEST_RUN of the real programs on maps built by the real compiler and"
	echo "publisher, interleaved run by run with a floor program (XDP: returns XDP_PASS; tc: returns"
	echo "TC_ACT_UNSPEC; the ingress paths run on xdp_ingress and again on tc_ingress, the program that"
	echo "filters where XDP cannot attach); each figure is the fastest of 7 runs of 2^19 packets, the runs"
	echo "of a world's paths taken round-robin. Every row checks that"
	echo "the counter of the path it names moved for every packet. Read the ratios, not the"
	echo "nanoseconds: on a shared 2-vCPU VM the same row moves by up to ±30% between runs, the"
	echo "instruction counts do not. \"vs 1 rule, 10 addresses\" is the flatness check: the row's ns over the"
	echo "same path's ns at 1 rule and 10 addresses (target <= 1.10)."
	echo
	# Only the benchmarks whose source exists: a stale binary of a removed one never reports.
	for src in tests/bench_*.c; do
		b="$out/tests/$(basename "$src" .c)"
		[ -x "$b" ] || continue
		echo "## $(basename "$b")"
		echo
		# The previous benchmark's namespaces are torn down by the kernel's cleanup_net work
		# after it exits, on both CPUs for seconds: let it finish before timing anything.
		sleep 10
		"$b"
		echo
	done
} > "$tmp"
cp "$tmp" BENCHMARKS.md
cat BENCHMARKS.md
