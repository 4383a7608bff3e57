#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-net on a tap. The test makes its own network namespace with a tap
# in it; vmm (and QEMU, the oracle) runs inside, serving the kit guest
# tests/guest/tests/vnet.c, and build/tests/netpeer sits on the same tap
# with a raw socket. Both ends send the frames of vnet.h and check what
# they receive byte for byte: data frames of 60..1514 bytes, a UDP frame,
# with offloads off (complete checksums) and on (partial checksums with
# NEEDS_CSUM, and a TSO frame, each way). Nothing leaves the namespace:
# locally administered MACs, TEST-NET-1 addresses, IPv6 off.
#
# Needs root (ip netns, a tap): skipped, loudly, otherwise.
# shellcheck source=tests/integration/lib.sh
own_work=${WORK:+no}
. "$(dirname "$0")/lib.sh"

PEER=${NETPEER:-build/tests/netpeer}
NS=vmmtest$$
TAP=vmmtap0
MAC=52:54:00:12:34:56

_net_problem() {
	if [ "$(id -u)" != 0 ]; then
		echo "needs root (a network namespace and a tap)"
	elif ! command -v ip >/dev/null; then
		echo "no ip (iproute2)"
	elif [ ! -c /dev/net/tun ]; then
		echo "no /dev/net/tun"
	fi
}
NET_PROBLEM=$(_net_problem)

cleanup() {
	[ -n "${peer_pid:-}" ] && kill "$peer_pid" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	[ -z "$own_work" ] && rm -rf "$WORK"
}
trap cleanup EXIT

# need_net NAME: skip NAME unless KVM, root and the namespace are there.
NS_UP=
need_net() {
	need_kvm "$1" || return 1
	need_file "$1" "$GUEST/vnet.bzImage" || return 1
	need_file "$1" "$PEER" || return 1
	if [ -n "$NET_PROBLEM" ]; then
		skip "$1" "$NET_PROBLEM"
		return 1
	fi
	if [ -z "$NS_UP" ]; then
		if ! { ip netns add "$NS" && ip -n "$NS" tuntap add dev "$TAP" mode tap &&
			ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
			ip -n "$NS" link set "$TAP" up; } 2>"$WORK/ns.err"; then
			fail "$1" "cannot set up the namespace: $(head -1 "$WORK/ns.err")"
			return 1
		fi
		NS_UP=1
	fi
}

# peer_start OUT ARGS...: netpeer in the namespace, in the background, until "ready".
peer_start() {
	local out=$1
	shift
	: >"$out"
	ip netns exec "$NS" timeout 60 "$PEER" "$@" >"$out" 2>&1 &
	peer_pid=$!
	for _ in $(seq 50); do
		grep -q '^PEER: ready' "$out" && return 0
		sleep 0.1
	done
}

# peer_wait OUT: its exit status in PEER_STATUS (killed if the guest is gone).
peer_wait() {
	for _ in $(seq 30); do
		kill -0 "$peer_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$peer_pid" 2>/dev/null
	wait "$peer_pid"
	PEER_STATUS=$?
	peer_pid=
}

# expect_peer_ok OUT SUMMARY: the peer checked everything and says SUMMARY.
expect_peer_ok() {
	[ "$PEER_STATUS" = 0 ] || _why "peer exit status $PEER_STATUS"
	expect_line "PEER: done: $2, 0 failures" "$1"
	expect_no_grep '^PEER: FAIL' "$1"
	if grep -q '^PEER: FAIL' "$1"; then
		_why "$(grep -m1 '^PEER: FAIL' "$1")"
	fi
}

# expect_count N ERE FILE: exactly N lines match.
expect_count() {
	local n

	n=$(grep -cE -- "$2" "$3")
	[ "$n" = "$1" ] || _why "$n lines matching /$2/, expected $1"
}

# net_run NAME VMM|QEMU PEER_OFFLOAD VMM_NET_OPTS APPEND [MORE_VMM_ARGS...]: one
# exchange between the guest and the peer on $TAP, which expects the guest at $MAC.
net_run() {
	local name=$1 who=$2 poff=$3 nopts=$4 append=$5

	shift 5
	peer_start "$WORK/$name.peer" check "$TAP" "$MAC" $poff
	if [ "$who" = vmm ]; then
		_run "$WORK/$name" ip netns exec "$NS" "$VMM" --kernel "$GUEST/vnet.bzImage" \
			--stats "$@" --net "tap=$TAP$nopts" --append "$append"
	else
		_run "$WORK/$name" ip netns exec "$NS" "$QEMU" "${QEMU_COMMON[@]}" "${QEMU_PC[@]}" \
			-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" \
			-device "virtio-net-pci,netdev=n0,mac=$MAC,disable-legacy=on" \
			-kernel "$GUEST/vnet.bzImage" -append "$append"
	fi
	peer_wait
}

# check_plain OUT: offloads off; every data frame both ways, complete checksums.
check_plain() {
	expect_status 3
	expect_line "KIT: vnet received 24 data, 1 udp, 0 tso frames" "$1"
	expect_count 24 '^KIT: vnet rx data [0-9]+ len [0-9]+ buffers [0-9]+ ok$' "$1"
	expect_line "KIT: vnet rx udp len 375 checksum complete ok" "$1"
	expect_peer_ok "$1.peer" "24 data, 1 udp, 0 tso"
	expect_line "PEER: rx udp len 375 flags 0 checksum 0xf3dd ok" "$1.peer"
}

# check_offload OUT: partial checksums and TSO frames, each way.
check_offload() {
	expect_status 3
	expect_line "KIT: vnet received 24 data, 1 udp, 1 tso frames" "$1"
	expect_count 24 '^KIT: vnet rx data [0-9]+ len [0-9]+ buffers [0-9]+ ok$' "$1"
	expect_line "KIT: vnet rx udp len 375 checksum partial, completed here ok" "$1"
	expect_grep "^KIT: vnet rx tso len 4054 gso_size 1448 in .* ok$" "$1"
	expect_peer_ok "$1.peer" "24 data, 1 udp, 1 tso"
	expect_line "PEER: rx udp len 375 flags 1 checksum 0xf3dd ok" "$1.peer"
	expect_line "PEER: rx tso len 4054 gso_type 1 gso_size 1448 ok" "$1.peer"
}

begin net_vmm_plain
if need_net "$CHECK"; then
	net_run net_plain vmm "" "" ""
	check_plain "$WORK/net_plain"
	expect_line "KIT: vnet mac $MAC link up, offload 0, mrg 1" "$WORK/net_plain"
	expect_no_grep '^vmm: virtio-net0: ' "$WORK/net_plain"
	# --stats: the hello, 24 data frames and the UDP frame out; 25 in.
	expect_grep "^  tap $TAP: rx 25 frames 13537 bytes \\(0 dropped, [0-9]+ waits for buffers\\), tx 26 frames 13597 bytes \\(0 refused by the tap\\)$" "$WORK/net_plain"
	end_check "$WORK/net_plain"
fi

begin net_vmm_offload
if need_net "$CHECK"; then
	net_run net_offload vmm offload "" "offload=1"
	check_offload "$WORK/net_offload"
	expect_no_grep '^vmm: virtio-net0: ' "$WORK/net_offload"
	expect_grep "^  tap $TAP: rx 26 frames 17591 bytes \\(0 dropped" "$WORK/net_offload"
	end_check "$WORK/net_offload"
fi

# Small RX buffers: a 1514-byte frame spans 6 merged buffers (num_buffers).
begin net_vmm_merge
if need_net "$CHECK"; then
	net_run net_merge vmm offload "" "offload=1 rxbuf=256"
	check_offload "$WORK/net_merge"
	expect_line "KIT: vnet rx data 23 len 1514 buffers 6 ok" "$WORK/net_merge"
	expect_line "KIT: vnet rx data 0 len 60 buffers 1 ok" "$WORK/net_merge"
	end_check "$WORK/net_merge"
fi

# No MRG_RXBUF: one chain per frame, the header in a descriptor of its own.
begin net_vmm_nomrg
if need_net "$CHECK"; then
	net_run net_nomrg vmm "" "" "mrg=0"
	check_plain "$WORK/net_nomrg"
	end_check "$WORK/net_nomrg"
fi

begin net_vmm_nomrg_offload
if need_net "$CHECK"; then
	net_run net_nomrg_off vmm offload "" "mrg=0 offload=1"
	check_offload "$WORK/net_nomrg_off"
	expect_line "KIT: vnet rx tso len 4054 gso_size 1448 in one buffer ok" "$WORK/net_nomrg_off"
	end_check "$WORK/net_nomrg_off"
fi

begin net_vmm_mmio
if need_net "$CHECK"; then
	net_run net_mmio vmm offload ",transport=mmio" "offload=1 kit_virtio=mmio"
	check_offload "$WORK/net_mmio"
	expect_grep "^virtio-net0: virtio-mmio, status 0x0f" "$WORK/net_mmio"
	end_check "$WORK/net_mmio"
fi

# mac= sets the address.
begin net_vmm_mac
if need_net "$CHECK"; then
	MAC=02:00:00:12:34:ab net_run net_mac vmm "" ",mac=02:00:00:12:34:ab" ""
	check_plain "$WORK/net_mac"
	expect_line "KIT: vnet mac 02:00:00:12:34:ab link up, offload 0, mrg 1" "$WORK/net_mac"
	end_check "$WORK/net_mac"
fi

begin net_vmm_two_devices
if need_net "$CHECK"; then
	# A second device gets the next default address and its own tap.
	ip -n "$NS" tuntap add dev vmmtap1 mode tap && ip -n "$NS" link set vmmtap1 up
	MAC=52:54:00:12:34:57 net_run net_two vmm offload "" "offload=1 index=1" --net tap=vmmtap1
	check_offload "$WORK/net_two"
	expect_line "KIT: vnet mac 52:54:00:12:34:57 link up, offload 1, mrg 1" "$WORK/net_two"
	expect_grep "^  tap $TAP: rx 26 frames" "$WORK/net_two"
	expect_grep "^  tap vmmtap1: rx 0 frames" "$WORK/net_two"
	end_check "$WORK/net_two"
fi

# A broken chain: one log line and DEVICE_NEEDS_RESET; after the driver's
# reset the same device exchanges everything again.
begin net_vmm_bad_chain
if need_net "$CHECK"; then
	for q in tx rx; do
		net_run "net_bad$q" vmm offload "" "offload=1 mode=bad$q"
		check_offload "$WORK/net_bad$q"
		expect_line "KIT: vnet bad ${q^^} chain: DEVICE_NEEDS_RESET" "$WORK/net_bad$q"
	done
	expect_count 1 '^vmm: virtio-net0: TX chain shorter than the virtio-net header$' \
		"$WORK/net_badtx"
	expect_count 1 '^vmm: virtio-net0: RX chain without a device-writable buffer$' \
		"$WORK/net_badrx"
	end_check "$WORK/net_badrx"
fi

# The tap disappears under a running guest: one line, the link goes down
# (config change), and the guest still runs to its end.
begin net_vmm_tap_gone
if need_net "$CHECK"; then
	ip -n "$NS" tuntap add dev vmmtap2 mode tap && ip -n "$NS" link set vmmtap2 up
	(sleep 1.5 && ip -n "$NS" link del vmmtap2) &
	_run "$WORK/net_gone" ip netns exec "$NS" "$VMM" --kernel "$GUEST/vnet.bzImage" \
		--net tap=vmmtap2 --append "mode=rx rxwait=4000"
	wait
	expect_status 3
	expect_count 1 '^vmm: virtio-net0: tap vmmtap2 is gone; the link is down$' "$WORK/net_gone"
	expect_line "KIT: vnet link down" "$WORK/net_gone"
	expect_elapsed_max 20
	end_check "$WORK/net_gone"
fi

# The oracle: QEMU's virtio-net-pci on the same tap, the same guest.
for mode in plain offload merge; do
	begin "net_qemu_$mode"
	if need_net "$CHECK" && need_qemu "$CHECK"; then
		case $mode in
		plain) net_run net_q_plain qemu "" "" "" ;;
		offload) net_run net_q_offload qemu offload "" "offload=1" ;;
		merge) net_run net_q_merge qemu offload "" "offload=1 rxbuf=256" ;;
		esac
		if [ "$mode" = plain ]; then
			check_plain "$WORK/net_q_$mode"
		else
			check_offload "$WORK/net_q_$mode"
		fi
		expect_same_kit_lines "$WORK/net_$mode" "$WORK/net_q_$mode"
		end_check "$WORK/net_q_$mode"
	fi
done

# A tap that is not there, or not a tap: one line naming it, status 1.
begin net_bad_tap
if need_kvm "$CHECK"; then
	run_vmm "$WORK/badtap" --kernel "$GUEST/vnet.bzImage" --net tap=vmmnosuch0
	expect_status 1
	expect_count 1 '.' "$WORK/badtap"
	expect_line "vmm: --net tap=vmmnosuch0: no such network interface" "$WORK/badtap"
	if [ -n "$NS_UP" ]; then
		_run "$WORK/badtap_lo" ip netns exec "$NS" "$VMM" --kernel "$GUEST/vnet.bzImage" \
			--net tap=lo
		expect_status 1
		expect_count 1 '.' "$WORK/badtap_lo"
		expect_line "vmm: --net tap=lo: not a tap device (or a tun, or multi-queue)" \
			"$WORK/badtap_lo"
	fi
	end_check "$WORK/badtap"
fi
