#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""tests/metrics_samples.py METRICS_FILE: parses `eniaddr-bpf metrics` with the Prometheus
client's own parser and prints every sample as one line, `name{k="v",...} value`, labels sorted,
so a test can look for exact samples. Exit 1 (and the parser's error) when it does not parse."""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
        for s in fam.samples:
            labels = ",".join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
            print("%s{%s} %g" % (s.name, labels, s.value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
