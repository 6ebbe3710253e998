#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# demo.sh [BUILD_DIR] — eniaddr-bpf in a simulated EC2 VPC, in well under a minute (`make demo`).
#
# Needs root, the built CLI (BUILD_DIR/eniaddr-bpf, default build/) and what scripts/deps.sh
# installs (iproute2, nftables, ping, socat). Everything happens in network namespaces of a bed
# named demo<pid> (scripts/vpcbed.sh) with a private bpffs in a temporary directory; all of it
# is removed on exit, on failure and on Ctrl-C. Steps:
#   1. bring the bed up: an instance with eth0 and eth1 in one subnet, two clients, a router
#      with the VPC's source/destination check;
#   2. without eniaddr-bpf: replies from eth1's addresses leave by eth0 and the VPC drops them;
#   3. attach eniaddr-bpf to eth0 and eth1 and apply the bed's config (vpcbed.sh config);
#   4. real traffic (TCP, UDP, ping, IPv4 and IPv6, both clients) and a few attempts that must
#      be blocked, as a table of expected and observed outcomes;
#   5. `eniaddr-bpf stats` and `status`, then detach and tear down;
#   6. the agent: a second bed with instances A and B in one subnet (vpcbed.sh two-instances),
#      each running `eniaddr-bpf run --manage-addresses` against its own IMDS emulator
#      (tests/imds/emulator.py); a secondary address is reassigned A -> B and then back to A's
#      eth0 while a client keeps connecting, and the time from the metadata change until new
#      connections succeed is measured.
# Exit status 0 when every probe behaved as expected.
set -euo pipefail

BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
VPCBED=$HERE/vpcbed.sh
BED=demo$$
INST=$BED-inst
TCP_PORT=8080     # open in the demo security group (vpcbed.sh config)
UDP_PORT=5353     # open
TCP_SHUT=9090     # no rule
UDP_SHUT=5354     # no rule
WORK=""
BPFFS=""
BED2=demo$$b
AGENT_PIDS=""

die() {
	echo "demo: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (network namespaces and BPF): sudo make demo"
[ -x "$BUILD/eniaddr-bpf" ] || die "$BUILD/eniaddr-bpf is missing: run make first"
CLI=$(cd "$BUILD" && pwd)/eniaddr-bpf
for tool in ip nft ping socat timeout; do
	command -v "$tool" >/dev/null || die "$tool is missing: run make deps (scripts/deps.sh)"
done

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	set +e
	for pid in $AGENT_PIDS; do # agents first (SIGTERM: they leave the pins), then their pins
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for b in "$WORK"/agent-*/bpffs; do
		[ -d "$b" ] || continue
		"$CLI" --netns "$(cat "${b%/bpffs}/ns")" --bpffs "$b" detach --all >/dev/null 2>&1
		umount -l "$b" 2>/dev/null
	done
	"$VPCBED" down "$BED2" >/dev/null 2>&1
	if [ -n "$BPFFS" ] && [ -d "$BPFFS" ]; then
		"$CLI" --netns "$INST" --bpffs "$BPFFS" detach --all >/dev/null 2>&1
		umount -l "$BPFFS" 2>/dev/null
	fi
	"$VPCBED" down "$BED" >/dev/null 2>&1 # also ends the servers inside its namespaces
	[ -n "$WORK" ] && rm -rf "$WORK"
	[ "$rc" = 0 ] || echo "demo: stopped (status $rc); the bed and the pins are removed" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

WORK=$(mktemp -d /tmp/eniaddr-demo.XXXXXX)
BPFFS=$WORK/bpffs

eni() {
	"$CLI" --netns "$INST" --bpffs "$BPFFS" "$@"
}

section() {
	printf '\n== %s\n' "$*"
}

is_v6() {
	case "$1" in *:*) return 0 ;; esac
	return 1
}

# ---- servers in the instance: socat echo, one per address and port --------------------------

serve() { # serve tcp|udp ADDR PORT
	local proto=$1 addr=$2 port=$3 listen
	if is_v6 "$addr"; then
		listen=$([ "$proto" = tcp ] && echo TCP6-LISTEN || echo UDP6-RECVFROM)
		listen="$listen:$port,bind=[$addr]"
	else
		listen=$([ "$proto" = tcp ] && echo TCP4-LISTEN || echo UDP4-RECVFROM)
		listen="$listen:$port,bind=$addr"
	fi
	[ "$proto" = tcp ] && listen="$listen,reuseaddr"
	ip netns exec "$INST" socat "$listen,fork" PIPE >/dev/null 2>&1 &
	disown # vpcbed.sh down ends it; no "Killed" notice from the shell
	SERVERS=$((SERVERS + 1))
}

wait_servers() { # until every socket is bound, at most 3 s
	local i n
	for i in $(seq 30); do
		n=$(ip netns exec "$INST" ss -Htuln "( sport = :$TCP_PORT or sport = :$UDP_PORT or sport = :$TCP_SHUT or sport = :$UDP_SHUT )" | wc -l)
		[ "$n" -ge "$SERVERS" ] && return 0
		sleep 0.1
	done
	die "servers did not start ($n of $SERVERS bound)"
}

# ---- probes: 0 when the exchange completed --------------------------------------------------

probe_tcp() { # NS ADDR PORT [SECONDS]: connect, send a line, read it back (default 2 s)
	timeout "${4:-2}" ip netns exec "$1" bash -c \
		'exec 3<>"/dev/tcp/$0/$1" && echo eniaddr-demo >&3 && read -r -t 2 l <&3 && [ "$l" = eniaddr-demo ]' \
		"$2" "$3" 2>/dev/null
}

probe_udp() { # NS ADDR PORT: one datagram, its echo within a second (head reads the datagram
	# whole; bash's read takes one byte per recv and would lose the rest)
	timeout 2 ip netns exec "$1" bash -c \
		'exec 3<>"/dev/udp/$0/$1" && echo eniaddr-demo >&3 && [ "$(timeout 1 head -n1 <&3)" = eniaddr-demo ]' \
		"$2" "$3" 2>/dev/null
}

probe_ping() { # NS ADDR [SRC]
	ip netns exec "$1" ping -c1 -W1 ${3:+-I "$3"} "$2" >/dev/null 2>&1
}

vpc_drops() { # packets the VPC's source check dropped at ENI $1
	ip netns exec "$BED-vpc" nft list counter netdev vpc "src_$1" | awk '/packets/ { print $2 }'
}

FAILED=0
ROWS=0
row_header() {
	printf '  %-10s %-16s %-10s %-8s %-12s %s\n' FROM TO PROBE EXPECT GOT WHY
}

# check CLIENT ADDR PROBE EXPECT WHY: runs one probe and prints a row.
check() {
	local client=$1 addr=$2 probe=$3 expect=$4 why=$5 ns got mark
	case "$client" in
	off-subnet) ns=$BED-coff ;;
	on-subnet) ns=$BED-con ;;
	*) ns=$INST ;;
	esac
	case "$probe" in
	tcp/*) probe_tcp "$ns" "$addr" "${probe#tcp/}" && got=reached || got=blocked ;;
	udp/*) probe_udp "$ns" "$addr" "${probe#udp/}" && got=reached || got=blocked ;;
	ping) probe_ping "$ns" "$addr" && got=reached || got=blocked ;;
	ping-from:*) probe_ping "$ns" "$addr" "${probe#ping-from:}" && got=reached || got=blocked ;;
	esac
	mark=ok
	if [ "$got" != "$expect" ]; then
		mark=UNEXPECTED
		FAILED=$((FAILED + 1))
	fi
	ROWS=$((ROWS + 1))
	printf '  %-10s %-16s %-10s %-8s %-12s %s\n' "$client" "$addr" "${probe%%:*}" "$expect" "$got ($mark)" "$why"
}

# ---- 1. the bed -----------------------------------------------------------------------------

section "1. a simulated VPC: instance $INST with eth0 and eth1 in subnet 192.0.2.0/24 + 2001:db8:a::/64"
"$VPCBED" up "$BED"
"$VPCBED" show "$BED" | sed 's/^/  /'
SERVERS=0
for a in 192.0.2.10 192.0.2.11 192.0.2.20 192.0.2.21 2001:db8:a::10 2001:db8:a::11 2001:db8:a::20 2001:db8:a::21; do
	serve tcp "$a" "$TCP_PORT"
done
for a in 192.0.2.21 2001:db8:a::21; do
	serve udp "$a" "$UDP_PORT"
	serve tcp "$a" "$TCP_SHUT"
	serve udp "$a" "$UDP_SHUT"
done
wait_servers
echo "  echo servers on every address of the instance (tcp $TCP_PORT, and for .21/::21 also udp $UDP_PORT, tcp $TCP_SHUT, udp $UDP_SHUT)"

# ---- 2. the problem -------------------------------------------------------------------------

section "2. without eniaddr-bpf: the main table sends every reply out of eth0"
before=$(vpc_drops eth0)
row_header
check off-subnet 192.0.2.11 "tcp/$TCP_PORT" reached "eth0's address: reply leaves by eth0"
check off-subnet 192.0.2.21 "tcp/$TCP_PORT" blocked "eth1's address: reply leaves by eth0, VPC drops it"
check off-subnet 2001:db8:a::21 "tcp/$TCP_PORT" blocked "same for IPv6"
check on-subnet 192.0.2.20 "tcp/$TCP_PORT" blocked "eth1's primary, from the same subnet"
echo "  the VPC's source/destination check dropped $(($(vpc_drops eth0) - before)) packets leaving eth0"

# ---- 3. eniaddr-bpf -------------------------------------------------------------------------

section "3. attach eniaddr-bpf to eth0 and eth1, apply the instance's config"
"$VPCBED" config "$BED" >"$WORK/cfg.json"
echo "  \$ eniaddr-bpf attach eth0 eth1"
eni attach eth0 eth1 | sed 's/^/  /'
echo "  \$ eniaddr-bpf apply cfg.json   # security group: tcp $TCP_PORT, udp $UDP_PORT, ping open"
eni apply "$WORK/cfg.json" | sed 's/^/  /'

# ---- 4. traffic -----------------------------------------------------------------------------

section "4. traffic with eniaddr-bpf"
before=$(($(vpc_drops eth0) + $(vpc_drops eth1)))
row_header
for client in off-subnet on-subnet; do
	for a in 192.0.2.11 192.0.2.21 2001:db8:a::11 2001:db8:a::21; do
		check "$client" "$a" "tcp/$TCP_PORT" reached "secondary address of $(case $a in *1[01]) echo eth0 ;; *) echo eth1 ;; esac)"
	done
done
check off-subnet 192.0.2.20 "tcp/$TCP_PORT" reached "eth1's primary"
check on-subnet 2001:db8:a::20 "tcp/$TCP_PORT" reached "eth1's first IPv6"
check off-subnet 192.0.2.21 "udp/$UDP_PORT" reached "UDP, reply redirected to eth1"
check on-subnet 2001:db8:a::21 "udp/$UDP_PORT" reached "UDP over IPv6"
check off-subnet 192.0.2.21 ping reached "ICMP echo"
check off-subnet 2001:db8:a::21 ping reached "ICMPv6 echo"
check off-subnet 192.0.2.21 "tcp/$TCP_SHUT" blocked "no rule for tcp $TCP_SHUT (ingress no_rule)"
check on-subnet 2001:db8:a::21 "udp/$UDP_SHUT" blocked "no rule for udp $UDP_SHUT"
# An address configured on the box that the VPC never assigned: the egress source check.
ip -n "$INST" addr add 192.0.2.99/32 dev eth0
ip -n "$INST" -6 addr add 2001:db8:a::99/128 dev eth0 nodad
check instance 192.0.2.50 "ping-from:192.0.2.99" blocked "source 192.0.2.99 is no ENI's (spoofed_source)"
check instance 2001:db8:a::50 "ping-from:2001:db8:a::99" blocked "source 2001:db8:a::99 is no ENI's"
ip -n "$INST" addr del 192.0.2.99/32 dev eth0
ip -n "$INST" -6 addr del 2001:db8:a::99/128 dev eth0
echo "  the VPC's source/destination check dropped $(($(vpc_drops eth0) + $(vpc_drops eth1) - before)) packets this time"

# ---- 5. what eniaddr-bpf saw ------------------------------------------------------------------

section "5. \$ eniaddr-bpf stats   (egress redirect: replies sent out of the ENI that owns their source)"
eni stats | sed 's/^/  /'
section "\$ eniaddr-bpf status"
eni status | sed 's/^/  /'
section "detach and tear down"
eni detach --all | sed 's/^/  /'

# ---- 6. the agent: a reassignment --------------------------------------------------------------

EMULATOR=$HERE/../tests/imds/emulator.py
FLOAT=192.0.2.100

world() { # world A|B OWNER: IMDS of instance A or B with $FLOAT on OWNER (a0, a1 or b0)
	local f4='"192.0.2.100"'
	if [ "$1" = A ]; then
		cat <<-EOF
		{"macs": {"0e:a0:00:00:00:00": {"device-number": 0, "interface-id": "eni-a0",
		  "local-ipv4s": ["192.0.2.10", "192.0.2.11"$([ "$2" = a0 ] && echo ", $f4")],
		  "subnet-ipv4-cidr-block": "192.0.2.0/24", "security-group-ids": ["sg-demo"]},
		 "0e:a0:00:00:00:01": {"device-number": 1, "interface-id": "eni-a1",
		  "local-ipv4s": ["192.0.2.20", "192.0.2.21"$([ "$2" = a1 ] && echo ", $f4")],
		  "subnet-ipv4-cidr-block": "192.0.2.0/24", "security-group-ids": ["sg-demo"]}}}
		EOF
	else
		cat <<-EOF
		{"macs": {"0e:b0:00:00:00:00": {"device-number": 0, "interface-id": "eni-b0",
		  "local-ipv4s": ["192.0.2.30"$([ "$2" = b0 ] && echo ", $f4")],
		  "subnet-ipv4-cidr-block": "192.0.2.0/24", "security-group-ids": ["sg-demo"]}}}
		EOF
	fi
}

set_worlds() { # the metadata change, on both instances at once (rename: never half a world)
	world A "$1" >"$WORK/agent-A/world.new" && mv "$WORK/agent-A/world.new" "$WORK/agent-A/world.json"
	world B "$1" >"$WORK/agent-B/world.new" && mv "$WORK/agent-B/world.new" "$WORK/agent-B/world.json"
}

start_agent() { # start_agent A|B NS
	local d=$WORK/agent-$1
	mkdir -p "$d"
	echo "$2" >"$d/ns"
	ip -n "$2" addr add 169.254.169.254/32 dev lo
	ip netns exec "$2" python3 "$EMULATOR" --world "$d/world.json" >/dev/null 2>&1 &
	disown # vpcbed.sh down ends it
	cat >"$d/sgs.json" <<-'EOF'
	{"SecurityGroups": [{"GroupId": "sg-demo", "GroupName": "demo", "IpPermissions": [
	 {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
	  "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}]}]}
	EOF
	sleep 0.3
	"$CLI" --netns "$2" --bpffs "$d/bpffs" run --security-groups "$d/sgs.json" \
		--manage-addresses 2>"$d/agent.log" &
	AGENT_PIDS="$AGENT_PIDS $!"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}


# Moves $FLOAT to OWNER (VPC and IMDS at once) and prints how long until new connections work.
reassign() { # reassign OWNER ROLE DEV WHAT
	local t0 ms tries=0 steady_ok=0 steady_fail=0
	"$VPCBED" move "$BED2" "$FLOAT" "$2" "$3"
	t0=$(now_ms)
	set_worlds "$1"
	# 0.2 s per attempt: a dropped SYN is not waited for (TCP would retry after 1 s)
	until probe_tcp "$BED2-con" "$FLOAT" 8080 0.2; do
		tries=$((tries + 1))
		if probe_tcp "$BED2-con" 192.0.2.10 8080; then
			steady_ok=$((steady_ok + 1))
		else
			steady_fail=$((steady_fail + 1))
		fi
		[ $(($(now_ms) - t0)) -lt 5000 ] || die "$FLOAT not reachable 5 s after the move"
	done
	ms=$(($(now_ms) - t0))
	echo "  $4:"
	echo "    new connections succeed $ms ms after the metadata change" \
		"($tries attempts failed before);"
	echo "    meanwhile $steady_ok of $((steady_ok + steady_fail)) connections to 192.0.2.10" \
		"(not moved) succeeded"
	[ "$steady_fail" = 0 ] || FAILED=$((FAILED + 1))
	ROWS=$((ROWS + 1))
}

section "6. the agent: instances A (eth0, eth1) and B (eth0) in one subnet, each running"
echo "   \$ eniaddr-bpf run --security-groups sgs.json --manage-addresses" \
	"  # against its IMDS emulator"
"$VPCBED" up "$BED2" --variant two-instances
mkdir -p "$WORK/agent-A" "$WORK/agent-B"
world A a1 >"$WORK/agent-A/world.json"
world B a1 >"$WORK/agent-B/world.json"
start_agent A "$BED2-inst"
start_agent B "$BED2-instb"
for ns in "$BED2-inst" "$BED2-instb"; do
	ip netns exec "$ns" socat TCP4-LISTEN:8080,reuseaddr,fork PIPE >/dev/null 2>&1 &
	disown
done
for i in $(seq 50); do
	probe_tcp "$BED2-con" "$FLOAT" 8080 && break
	sleep 0.1
done
probe_tcp "$BED2-con" "$FLOAT" 8080 || die "$FLOAT never reachable on A (agent logs in $WORK)"
echo "  $FLOAT is on A's eth1: IMDS says so, the agent published it and added it to eth1"
reassign b0 instb eth0 "A -> B (AssignPrivateIpAddresses --allow-reassignment to B's ENI)"
reassign a0 inst eth0 "B -> A's eth0 (back, to the other ENI)"
section "\$ eniaddr-bpf status   (instance B)"
"$CLI" --netns "$BED2-instb" --bpffs "$WORK/agent-B/bpffs" status | sed 's/^/  /'

echo
if [ "$FAILED" = 0 ]; then
	echo "demo: all $ROWS probes behaved as expected"
else
	echo "demo: $FAILED of $ROWS probes did not behave as expected" >&2
	exit 1
fi
