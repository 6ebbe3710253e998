#!/bin/sh
# Installs every Debian package eniaddr-bpf needs to build, test and run on a fresh Debian 12.
# Build: clang/llvm (BPF), bpftool (objects, skeletons), libbpf, libelf, zlib.
# Libraries: json-c (config and AWS JSON), libcurl (IMDSv2), libmnl (netlink), cmocka (tests).
# Tests and demo: iproute2 (netns, veth, tc), nftables (the simulated VPC's source/dest check),
# iputils-ping, procps, socat (the demo's echo servers), python3 (the IMDSv2 emulator, tests/imds/),
# python3-prometheus-client (the metrics test parses `eniaddr-bpf metrics` with Prometheus'
# own parser).
set -eu
PKGS="make gcc clang llvm pkg-config bpftool libbpf-dev libelf-dev zlib1g-dev \
libjson-c-dev libcurl4-openssl-dev libmnl-dev libcmocka-dev \
iproute2 nftables iputils-ping procps socat python3 python3-prometheus-client"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing
fi
