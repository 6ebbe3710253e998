#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# vpcbed.sh — a simulated EC2 VPC in network namespaces, for the demo and the end-to-end tests.
#
#   vpcbed.sh up NAME [--variant same-subnet|two-subnets]   build the bed (tears an old one down)
#   vpcbed.sh down NAME                                     remove it (safe to call twice)
#   vpcbed.sh config NAME [--variant V]                     eniaddr-bpf native config of the instance
#                                                           (with --variant, no bed is needed)
#   vpcbed.sh show NAME                                     addresses of every namespace
#   vpcbed.sh move NAME ADDR ROLE ENI                       the VPC delivers ADDR to ENI of NAME-ROLE
#                                                           (two-instances: a reassignment)
#
# Topology (NAME-* are network namespaces; only documentation address ranges are used):
#
#   NAME-coff 203.0.113.5 ---- coff [NAME-vpc: router, forwarding on] 203.0.113.1
#                                    br-a 192.0.2.1 fe80::a:1 --- con ---- NAME-con 192.0.2.50
#                                      |- inst-eth0 ===== eth0 -.
#                                      |- inst-eth1 ===== eth1 -+- NAME-inst   (same-subnet)
#                                    br-b 198.51.100.1 fe80::b:1  |
#                                      '- inst-eth1 ===== eth1 -'              (two-subnets)
#
# The VPC's source/destination check is an nftables netdev table in NAME-vpc: one ingress chain
# per ENI port drops IPv4/IPv6 frames whose source the ENI does not own (counter src_<eni>), one
# egress chain drops unicast frames delivered to an ENI for an address it does not own (counter
# dst_<eni>). ARP and neighbour discovery pass. The instance routes with the plain main table (one
# default route, via eth0): that is the asymmetric-routing problem eniaddr-bpf fixes.
#
# Routers as on EC2: IPv4 at the subnet's base + 1 (what DHCP gives), IPv6 only at a link-local
# address (what router advertisements give); nothing answers for subnet::1. Each ENI has its
# default routes as amazon-ec2-net-utils (systemd-networkd) installs them: eth0's in the main
# table (proto dhcp / proto ra), eth1's in table 10001 -- but without its `from ADDR lookup`
# rules, so the main table still sends eth1's replies out of eth0. networkd handles RAs itself
# and installs the routes `proto ra` in each ENI's table; so does this script, directly (radvd
# would rely on the kernel's RA handling, which puts every ENI's default route in the main table).
#
# The two-instances variant (same-subnet plus a second instance NAME-instb, its eth0 on br-a at
# 192.0.2.30) is for reassignments: AWS moves a private IP only within its subnet. The floating
# address FLOATING_V4 may be on A's eth0, A's eth1 or B's eth0 (the source/destination check
# admits it on all three); `move` is the VPC's side of a reassignment: it points the router's
# and the on-subnet client's neighbour entry for the address at the new ENI's MAC (permanent, as
# the VPC's mapping service answers for every address whatever the instances say). The ENIs get
# fixed MACs (TWO_INSTANCES_MACS) so IMDS worlds can name them. The instances hold the floating
# address in their OS only if something adds it (the agent's --manage-addresses).
#
# Nothing here touches the root namespace: links are created with `ip -n NS`.
set -eu

# The one place that says which ENI owns what. It drives the instance's addresses, the VPC's
# source/destination check and the `config` output.
#   variant      eni   bridge  v4 subnet        v6 subnet        addresses (first v4 = primary)
ENI_TABLE='
all          eth0  br-a    192.0.2.0/24     2001:db8:a::/64  192.0.2.10 192.0.2.11 2001:db8:a::10 2001:db8:a::11
same-subnet  eth1  br-a    192.0.2.0/24     2001:db8:a::/64  192.0.2.20 192.0.2.21 2001:db8:a::20 2001:db8:a::21
two-instances eth1 br-a    192.0.2.0/24     2001:db8:a::/64  192.0.2.20 192.0.2.21 2001:db8:a::20 2001:db8:a::21
two-subnets  eth1  br-b    198.51.100.0/24  2001:db8:b::/64  198.51.100.20 198.51.100.21 2001:db8:b::20 2001:db8:b::21
'
#   bridge  router v4        router v6 (link-local)
ROUTER_TABLE='
br-a    192.0.2.1/24     fe80::a:1/64
br-b    198.51.100.1/24  fe80::b:1/64
'
# two-instances: instance B's ENI, the address that moves, and every ENI's MAC (role eni mac).
INSTB_ENI='eth0 br-a 192.0.2.0/24 2001:db8:a::/64 192.0.2.30 2001:db8:a::30'
FLOATING_V4=192.0.2.100
TWO_INSTANCES_MACS='
inst  eth0 0e:a0:00:00:00:00
inst  eth1 0e:a0:00:00:00:01
instb eth0 0e:b0:00:00:00:00
'
CON_V4=192.0.2.50/24
CON_V6=2001:db8:a::50/64
COFF_V4=203.0.113.5/24
COFF_V6=2001:db8:c::5/64
COFF_ROUTER_V4=203.0.113.1/24
COFF_ROUTER_V6=2001:db8:c::1/64
NAMESPACES="vpc inst con coff"

die() {
	echo "vpcbed: $*" >&2
	exit 1
}

usage() {
	sed -n '4,10p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# Rows of ENI_TABLE for a variant, without the variant column.
eni_rows() {
	echo "$ENI_TABLE" | awk -v v="$1" 'NF && ($1 == "all" || $1 == v) { $1 = ""; sub(/^ /, ""); print }'
}

# The bridges a variant needs (first column of ROUTER_TABLE rows referenced by its ENIs).
bridges() {
	eni_rows "$1" | awk '{ print $2 }' | sort -u
}

ns_exists() {
	[ -e "/run/netns/$1" ]
}

# The variant of a running bed: br-b exists only in the two-subnets variant, instb only in
# two-instances.
running_variant() {
	ns_exists "$1-vpc" || die "$1: no such bed (run: vpcbed.sh up $1)"
	if ns_exists "$1-instb"; then
		echo two-instances
	elif ip -n "$1-vpc" link show br-b >/dev/null 2>&1; then
		echo two-subnets
	else
		echo same-subnet
	fi
}

check_name() {
	case "$1" in
	"" | *[!A-Za-z0-9_]*) die "NAME must be letters, digits or _: '$1'" ;;
	esac
	[ "${#1}" -le 24 ] || die "NAME longer than 24 characters: '$1'"
}

check_variant() {
	case "$1" in
	same-subnet | two-subnets | two-instances) ;;
	*) die "unknown variant '$1' (same-subnet, two-subnets or two-instances)" ;;
	esac
}

# Set sysctls inside a namespace: nsctl NS key=value...
nsctl() {
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -q -w "$@" >/dev/null
}

# A router address of a bridge without its length: router_of BRIDGE COLUMN (2: IPv4, 3: IPv6).
router_of() {
	echo "$ROUTER_TABLE" | awk -v b="$1" -v c="$2" '$1 == b { sub(/\/.*/, "", $c); print $c }'
}

# Address with the prefix length of its subnet ("192.0.2.0/24" -> "/24").
plen_of() {
	echo "${1#*/}"
}

is_v6() {
	case "$1" in *:*) return 0 ;; esac
	return 1
}

cmd_down() {
	local name=$1 ns pid
	for ns in $NAMESPACES instb; do
		ns_exists "$name-$ns" || continue
		# Processes left inside (a crashed test's servers) would keep the namespace alive
		# after its name is gone: end exactly those.
		for pid in $(ip netns pids "$name-$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$name-$ns" 2>/dev/null || true
	done
}

# Fresh namespace with loopback up and the sysctls every member of the bed wants: no DAD (addresses
# usable at once), no RA, no reverse-path filter (so drops are the VPC check's, not the kernel's).
# Must run before links are created: new devices copy the "default" settings.
make_ns() {
	local ns=$1
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	nsctl "$ns" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
}

addr_add() {
	local ns=$1 dev=$2 addr=$3
	if is_v6 "$addr"; then
		ip -n "$ns" -6 addr add "$addr" dev "$dev" nodad
	else
		ip -n "$ns" addr add "$addr" dev "$dev"
	fi
}

# Broadcast address of an IPv4 subnet: 192.0.2.0/24 -> 192.0.2.255.
v4_broadcast() {
	local ip=${1%/*} plen=${1#*/} a b c d n
	IFS=. read -r a b c d <<<"$ip"
	n=$(((a << 24 | b << 16 | c << 8 | d) | ((1 << (32 - plen)) - 1)))
	echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))"
}

# nftables set elements "{ a, b, c }" from a word list.
nft_set() {
	local out="" w
	for w in "$@"; do
		out="$out${out:+, }$w"
	done
	echo "{ $out }"
}

# The VPC's source/destination check, generated from ENI_TABLE.
write_srcdst_check() {
	local name=$1 variant=$2 eni bridge sub4 sub6 addrs v4 v6 a
	{
		echo "table netdev vpc {"
		while read -r eni bridge sub4 sub6 addrs; do
			v4=()
			v6=()
			for a in $addrs; do
				if is_v6 "$a"; then v6+=("$a"); else v4+=("$a"); fi
			done
			[ "$variant" != two-instances ] || v4+=("$FLOATING_V4")
			cat <<-EOF
			counter src_$eni { comment "frames from $eni with a source $eni does not own" }
			counter dst_$eni { comment "unicast frames to $eni for an address $eni does not own" }
			chain from_$eni {
				type filter hook ingress device "inst-$eni" priority 0; policy accept;
				meta protocol ip ip saddr != $(nft_set "${v4[@]}") counter name "src_$eni" drop
				meta protocol ip6 icmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert } accept
				meta protocol ip6 ip6 saddr { ::, fe80::/10 } accept
				meta protocol ip6 ip6 saddr != $(nft_set "${v6[@]}") counter name "src_$eni" drop
			}
			chain to_$eni {
				type filter hook egress device "inst-$eni" priority 0; policy accept;
				meta protocol ip ip daddr != $(nft_set "${v4[@]}" "$(v4_broadcast "$sub4")" 255.255.255.255 224.0.0.0/4) counter name "dst_$eni" drop
				meta protocol ip6 icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept
				meta protocol ip6 ip6 daddr != $(nft_set "${v6[@]}" ff00::/8 fe80::/10) counter name "dst_$eni" drop
			}
			EOF
		done < <(eni_rows "$variant")
		echo "}"
	} >"$tmp_nft"
	ip netns exec "$name-vpc" nft -f "$tmp_nft"
}

cmd_up() {
	local name=$1 variant=$2 br r4 r6 eni bridge sub4 sub6 addrs a first4
	cmd_down "$name"
	tmp_nft=$(mktemp)
	trap 'rm -f "$tmp_nft"; [ "${ok:-0}" = 1 ] || cmd_down "$name"' EXIT

	for ns in $NAMESPACES; do
		make_ns "$name-$ns"
	done

	# The VPC router: forwarding on, one bridge per subnet, a routed link to the off-subnet client.
	nsctl "$name-vpc" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	while read -r br r4 r6; do
		[ -n "$br" ] || continue
		bridges "$variant" | grep -qx "$br" || continue
		ip -n "$name-vpc" link add "$br" type bridge forward_delay 0 stp_state 0 mcast_snooping 0
		# Only the router's chosen link-local address (no EUI-64 one besides it).
		nsctl "$name-vpc" "net.ipv6.conf.$br.addr_gen_mode=1"
		addr_add "$name-vpc" "$br" "$r4"
		addr_add "$name-vpc" "$br" "$r6"
		ip -n "$name-vpc" link set "$br" up
		# The subnet's IPv6 prefix is on-link without the router holding an address in it.
		eni_rows "$variant" | awk -v b="$br" '$2 == b { print $4 }' | sort -u |
			while read -r sub6; do
				ip -n "$name-vpc" -6 route add "$sub6" dev "$br"
			done
	done <<<"$ROUTER_TABLE"

	# The instance: ARP answered only for the ENI's own addresses, as ENIs do.
	nsctl "$name-inst" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.default.arp_ignore=1 \
		net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.default.arp_announce=2
	# eth0 is configured first so its connected route comes first, as on a booted instance.
	while read -r eni bridge sub4 sub6 addrs; do
		ip -n "$name-vpc" link add "inst-$eni" type veth peer name "$eni" netns "$name-inst"
		ip -n "$name-vpc" link set "inst-$eni" master "$bridge" up
		first4=1
		for a in $addrs; do
			if is_v6 "$a"; then
				addr_add "$name-inst" "$eni" "$a/$(plen_of "$sub6")"
			elif [ "$first4" = 1 ]; then
				addr_add "$name-inst" "$eni" "$a/$(plen_of "$sub4")"
				first4=0
			else
				# Secondary IPv4s as /32, the way amazon-ec2-net-utils adds them.
				addr_add "$name-inst" "$eni" "$a/32"
			fi
		done
		ip -n "$name-inst" link set "$eni" up
	done < <(eni_rows "$variant")
	# Default routes: eth0's in the main table, eth1's in table 10001 (no rule uses it).
	while read -r eni bridge sub4 sub6 addrs; do
		table=main
		[ "$eni" = eth0 ] || table=$((10000 + ${eni#eth}))
		ip -n "$name-inst" route add default via "$(router_of "$bridge" 2)" dev "$eni" \
			proto dhcp table "$table"
		ip -n "$name-inst" -6 route add default via "$(router_of "$bridge" 3)" dev "$eni" \
			proto ra table "$table"
	done < <(eni_rows "$variant")

	# On-subnet client, on subnet A.
	ip -n "$name-vpc" link add con type veth peer name eth0 netns "$name-con"
	ip -n "$name-vpc" link set con master br-a up
	addr_add "$name-con" eth0 "$CON_V4"
	addr_add "$name-con" eth0 "$CON_V6"
	ip -n "$name-con" link set eth0 up
	ip -n "$name-con" route add default via "$(router_of br-a 2)"
	ip -n "$name-con" -6 route add default via "$(router_of br-a 3)" dev eth0 proto ra

	# Off-subnet client, one routed hop away.
	ip -n "$name-vpc" link add coff type veth peer name eth0 netns "$name-coff"
	addr_add "$name-vpc" coff "$COFF_ROUTER_V4"
	addr_add "$name-vpc" coff "$COFF_ROUTER_V6"
	ip -n "$name-vpc" link set coff up
	addr_add "$name-coff" eth0 "$COFF_V4"
	addr_add "$name-coff" eth0 "$COFF_V6"
	ip -n "$name-coff" link set eth0 up
	ip -n "$name-coff" route add default via "${COFF_ROUTER_V4%/*}"
	ip -n "$name-coff" -6 route add default via "${COFF_ROUTER_V6%/*}"

	write_srcdst_check "$name" "$variant"
	[ "$variant" != two-instances ] || up_instance_b "$name"
	ok=1
}

# two-instances: instance B on br-a, fixed MACs, its source/destination check (table vpcb), and
# the floating address delivered to A's eth1.
up_instance_b() {
	local name=$1 eni bridge sub4 sub6 a4 a6 role mac
	read -r eni bridge sub4 sub6 a4 a6 <<<"$INSTB_ENI"
	make_ns "$name-instb"
	nsctl "$name-instb" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.default.arp_ignore=1 \
		net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.default.arp_announce=2
	ip -n "$name-vpc" link add "instb-$eni" type veth peer name "$eni" netns "$name-instb"
	ip -n "$name-vpc" link set "instb-$eni" master "$bridge" up
	addr_add "$name-instb" "$eni" "$a4/$(plen_of "$sub4")"
	addr_add "$name-instb" "$eni" "$a6/$(plen_of "$sub6")"
	ip -n "$name-instb" link set "$eni" up
	ip -n "$name-instb" route add default via "$(router_of "$bridge" 2)" dev "$eni" proto dhcp
	ip -n "$name-instb" -6 route add default via "$(router_of "$bridge" 3)" dev "$eni" proto ra
	while read -r role eni mac; do
		[ -n "$role" ] && ip -n "$name-$role" link set "$eni" address "$mac"
	done <<<"$TWO_INSTANCES_MACS"
	cat >"$tmp_nft" <<-EOF
	table netdev vpcb {
		counter src_b_$eni { comment "frames from B's $eni with a source it does not own" }
		counter dst_b_$eni { comment "unicast frames to B's $eni for an address it does not own" }
		chain from_b_$eni {
			type filter hook ingress device "instb-$eni" priority 0; policy accept;
			meta protocol ip ip saddr != { $a4, $FLOATING_V4 } counter name "src_b_$eni" drop
		}
		chain to_b_$eni {
			type filter hook egress device "instb-$eni" priority 0; policy accept;
			meta protocol ip ip daddr != { $a4, $FLOATING_V4, $(v4_broadcast "$sub4"), 255.255.255.255, 224.0.0.0/4 } counter name "dst_b_$eni" drop
		}
	}
	EOF
	ip netns exec "$name-vpc" nft -f "$tmp_nft"
	cmd_move "$name" "$FLOATING_V4" inst eth1
}

# The VPC's side of a reassignment: ADDR is delivered to ENI of NAME-ROLE from now on.
cmd_move() {
	local name=$1 addr=$2 role=$3 eni=$4 mac
	mac=$(ip -n "$name-$role" -br link show "$eni" | awk '{ print $3 }')
	[ -n "$mac" ] || die "$name-$role: no interface $eni"
	ip -n "$name-vpc" neigh replace "$addr" lladdr "$mac" dev br-a nud permanent
	ip -n "$name-con" neigh replace "$addr" lladdr "$mac" dev eth0 nud permanent
}

# JSON list of quoted strings from a word list.
json_list() {
	local out="" w
	for w in "$@"; do
		out="$out${out:+, }\"$w\""
	done
	echo "[$out]"
}

cmd_config() {
	local variant=$1 eni bridge sub4 sub6 addrs sep=""
	echo '{"enis": ['
	while read -r eni bridge sub4 sub6 addrs; do
		# shellcheck disable=SC2086 # word lists on purpose
		printf '%s  {"interface": "%s", "addresses": %s, "subnets": %s, "security_groups": ["sg-demo"]}' \
			"$sep" "$eni" "$(json_list $addrs)" "$(json_list "$sub4" "$sub6")"
		sep=$',\n'
	done < <(eni_rows "$variant")
	cat <<-'EOF'

	 ],
	 "security_groups": [{"id": "sg-demo", "ingress": [
	  {"protocol": "tcp", "ports": "8080", "from": ["0.0.0.0/0", "::/0"]},
	  {"protocol": "udp", "ports": "5353", "from": ["0.0.0.0/0", "::/0"]},
	  {"protocol": "icmp", "from": ["0.0.0.0/0"]},
	  {"protocol": "icmpv6", "from": ["::/0"]}]}]}
	EOF
}

cmd_show() {
	local name=$1 ns
	echo "variant: $(running_variant "$name")"
	for ns in $NAMESPACES instb; do
		ns_exists "$name-$ns" || continue
		echo "== $name-$ns"
		ip -n "$name-$ns" -br addr show | grep -v '^lo '
	done
}

[ $# -ge 2 ] || usage
cmd=$1
name=$2
shift 2
check_name "$name"
if [ "$cmd" = move ]; then
	[ $# -eq 3 ] || usage
	[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
	cmd_move "$name" "$@"
	exit 0
fi
variant=""
while [ $# -gt 0 ]; do
	case "$1" in
	--variant) [ $# -ge 2 ] || usage; variant=$2; shift 2 ;;
	--variant=*) variant=${1#--variant=}; shift ;;
	*) usage ;;
	esac
done
[ "$cmd" = config ] && [ -n "$variant" ] || [ "$(id -u)" = 0 ] || die "needs root (network namespaces)"

case "$cmd" in
up)
	variant=${variant:-same-subnet}
	check_variant "$variant"
	cmd_up "$name" "$variant"
	;;
down) cmd_down "$name" ;;
config)
	variant=${variant:-$(running_variant "$name")}
	check_variant "$variant"
	cmd_config "$variant"
	;;
show) cmd_show "$name" ;;
*) usage ;;
esac
