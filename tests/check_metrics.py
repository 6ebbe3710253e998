#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tests/check_metrics.py METRICS_FILE STATS_JSON_FILE: parses `eniaddr-bpf metrics` with the
Prometheus client's own parser (Debian's python3-prometheus-client) and checks that every
eniaddr_packets_total and eniaddr_bytes_total sample equals the row of `stats -j` with the same
interface, direction, reason and action, and that no row is missing. Exit 0 when they agree;
else prints the differences."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = open(sys.argv[1]).read()
    rows = json.load(open(sys.argv[2]))
    want = {}
    for r in rows:
        key = (r["ifname"], r["dir"], r["reason"], r["action"])
        want[("packets",) + key] = r["packets"]
        want[("bytes",) + key] = r["bytes"]
    got = {}
    families = {}
    for fam in text_string_to_metric_families(text):
        families[fam.name] = fam.type
        for s in fam.samples:
            if s.name not in ("eniaddr_packets_total", "eniaddr_bytes_total"):
                continue
            l = s.labels
            key = ("packets" if "packets" in s.name else "bytes", l["interface"],
                   l["direction"], l["reason"], l["action"])
            got[key] = int(s.value)
    for name in ("eniaddr_packets", "eniaddr_bytes", "eniaddr_conntrack_entries",
                 "eniaddr_conntrack_capacity", "eniaddr_map_entries", "eniaddr_map_capacity",
                 "eniaddr_events_lost"):
        if name not in families:
            print("missing family", name)
            return 1
    if got != want:
        for k in sorted(set(got) | set(want)):
            if got.get(k) != want.get(k):
                print("differs:", k, "metrics", got.get(k), "stats", want.get(k))
        return 1
    if not want:
        print("no counters at all")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
