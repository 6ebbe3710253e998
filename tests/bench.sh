#!/bin/sh
# Runs the benchmarks in $1 (the build directory) and writes their tables to BENCHMARKS.md.
# Figures are ratios to baselines measured in the same run, never absolute targets.
set -eu
out=${1:-build}
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\` on $(date -u +%Y-%m-%d), kernel $(uname -r), $(nproc) CPUs."
	echo "ns/packet is the kernel's BPF_PROG_TEST_RUN average over 2^20 runs, median of 7."
	echo "Compare the ratios, not the nanoseconds: they are what stays true on other machines."
	echo
	for b in "$out"/tests/bench_*; do
		[ -x "$b" ] || continue
		echo "## $(basename "$b")"
		echo
		"$b"
		echo
	done
} > "$tmp"
cp "$tmp" BENCHMARKS.md
cat BENCHMARKS.md
