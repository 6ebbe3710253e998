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
	echo "ns/packet is the kernel's BPF_PROG_TEST_RUN average over 2^20 runs, the fastest of 7 such runs."
	echo "Compare the ratios, not the nanoseconds: they are what stays true on other machines."
	echo "On a shared 2-vCPU VM the same row varies by up to ±50% between runs: read trends"
	echo "across a factor of 10 in rules, not single-digit percentages."
	echo
	echo "Rule rows send TCP RSTs, which create no connection state, so every run meets the"
	echo "rules (the bench checks that the counter of the named path moved for every run)."
	echo "The linear-scan column is a test-only filter that checks the same rules one by one,"
	echo "as iptables does: what cost growing with the number of rules looks like."
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
