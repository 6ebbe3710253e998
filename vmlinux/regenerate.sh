#!/bin/sh
# Regenerates vmlinux/vmlinux.h (all kernel types, for CO-RE) from the running kernel's BTF.
set -eu
cd "$(dirname "$0")"
bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h.tmp
mv vmlinux.h.tmp vmlinux.h
