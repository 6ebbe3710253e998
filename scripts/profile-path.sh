#!/bin/sh
# scripts/profile-path.sh PATH [WORLD] — where one datapath path of `make bench` spends its time,
# by BPF source line: runs bench_paths' profile mode (BENCH_PROFILE: that path only, as a
# steady load) under perf, maps the samples of the JITed programs to their source lines
# (tests/tools/jitlines) and prints the hottest. PATH is the path's index in bench_paths.c's
# paths[] (0 ARP, 1 not_owned, ...), WORLD 0-3 as its worlds[]. Needs root, perf (linux-perf)
# and `make profile`. A figure here is a share of samples, never a benchmark result.
set -eu
path=${1:?usage: scripts/profile-path.sh PATH [WORLD]}
world=${2:-0}
out=${OUTPUT:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v perf >/dev/null || { echo "profile-path: needs perf (apt-get install linux-perf)" >&2; exit 1; }
mount | grep -q ' /sys/fs/bpf ' || mount -t bpf bpf /sys/fs/bpf
BENCH_PROFILE="$path:$world" BENCH_PROFILE_IDS="$tmp/ids" \
	perf record -q -o "$tmp/perf.data" -F 9999 -- "$out/tests/bench_paths" 2>"$tmp/bench.err" &
pid=$!
# The bench writes its programs' ids once they are loaded (JIT addresses and line records are
# per load, and other programs of the same names may be loaded on this machine).
for _ in $(seq 1 300); do
	[ -s "$tmp/ids" ] && break
	sleep 0.1
done
ids=$(cat "$tmp/ids")
"$out/tests/tools/jitlines" $ids > "$tmp/jitlines.txt"
for id in $ids; do bpftool prog dump xlated id "$id" > "$tmp/xl_$id.txt"; done
wait "$pid" || { cat "$tmp/bench.err" >&2; exit 1; }
grep '^bench: profiled' "$tmp/bench.err" || true
perf script -i "$tmp/perf.data" -F ip,sym 2>/dev/null > "$tmp/samples.txt"
python3 "$(dirname "$0")/profile_join.py" "$tmp/jitlines.txt" "$tmp/samples.txt" 25
