#!/usr/bin/env python3
# scripts/profile_join.py JITLINES SAMPLES [N] — for scripts/profile-path.sh: where perf's
# samples (perf script -F ip,sym) fell, by symbol, by BPF source file, and the N hottest BPF
# source line records with their xlated instructions (xl_<id>.txt next to JITLINES).
import bisect
import collections
import os
import re
import sys

recs = []
for line in open(sys.argv[1]):
    head, pid, off = line.rstrip('\n').rsplit('\t', 2)
    addr, loc, src = (head.split('\t', 2) + [''])[:3]
    recs.append((int(addr, 16), loc, src.strip(), pid, int(off)))
recs.sort()
addrs = [r[0] for r in recs]
offs = collections.defaultdict(set)
for r in recs:
    offs[r[3]].add(r[4])
offs = {k: sorted(v) for k, v in offs.items()}

xlated = {}
def xl(pid):
    if pid not in xlated:
        d = {}
        path = os.path.join(os.path.dirname(sys.argv[1]), 'xl_%s.txt' % pid)
        if os.path.exists(path):
            for line in open(path):
                m = re.match(r'\s*(\d+): (.*)', line)
                if m:
                    d[int(m.group(1))] = m.group(2)
        xlated[pid] = d
    return xlated[pid]

by_rec, by_sym, by_file, total = collections.Counter(), collections.Counter(), collections.Counter(), 0
for line in open(sys.argv[2]):
    parts = line.split()
    if not parts:
        continue
    ip, sym = int(parts[0], 16), parts[1] if len(parts) > 1 else '?'
    total += 1
    by_sym[sym] += 1
    if sym.startswith('bpf_prog_'):
        i = bisect.bisect_right(addrs, ip) - 1
        if i >= 0 and ip - addrs[i] < 4096:
            by_rec[i] += 1
            by_file[recs[i][1].split(':')[0]] += 1
if not total:
    sys.exit('profile_join: no samples')
pct = lambda c: 100.0 * c / total
print('%d samples' % total)
print('\n-- by symbol')
for s, c in by_sym.most_common(15):
    print('%6.2f%% %s' % (pct(c), s))
print('\n-- by BPF source file')
for f, c in by_file.most_common():
    print('%6.2f%% %s' % (pct(c), f))
print('\n-- hottest BPF source lines, with their xlated instructions')
for i, c in by_rec.most_common(int(sys.argv[3]) if len(sys.argv) > 3 else 25):
    _, loc, src, pid, off = recs[i]
    o = offs[pid]
    j = bisect.bisect_right(o, off)
    end = o[j] if j < len(o) else off + 8
    print('%6.2f%% %-18s insns %d-%d  %s' % (pct(c), loc, off, end - 1, src[:70]))
    d = xl(pid)
    for k in range(off, min(end, off + 8)):
        if k in d:
            print('            %d: %s' % (k, d[k]))
