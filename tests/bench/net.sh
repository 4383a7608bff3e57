#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench, network part: frames per second over a tap, guest -> peer and
# peer -> guest, under vmm's virtio-net and QEMU's virtio-net-pci in the
# same run, and the ratios. The kit guest tests/guest/tests/vnet.c sends or
# counts 64-byte frames (mode=tx|rx); build/tests/netpeer on the same tap,
# inside a network namespace of the run's own, counts or floods. Asserts
# nothing. Needs root (namespace, tap) and /dev/kvm.
#
#	tests/bench/net.sh [SECONDS]	(default 2 per run; BENCH_NET_PAIRS=3 runs each)
#
# The host is shared and busy at times: runs alternate between vmm and QEMU
# and the median is reported, with every run's number.
set -u
cd "$(dirname "$0")/../.."
VMM=build/vmm
G=build/guest
PEER=build/tests/netpeer
QEMU=${QEMU:-qemu-system-x86_64}
SECS=${1:-${BENCH_NET_SECONDS:-2}}
PAIRS=${BENCH_NET_PAIRS:-3}
NS=vmmbench$$
TAP=vmmtap0
MAC=52:54:00:12:34:56

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "net: SKIP: no /dev/kvm"
	exit 0
fi
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
	echo "net: SKIP: needs root and /dev/net/tun (a network namespace and a tap)"
	exit 0
fi
have_qemu=1
command -v "$QEMU" >/dev/null || { echo "net: $QEMU not found; vmm numbers only"; have_qemu=0; }
QEMU_PC=(-M pc)
for dir in $("$QEMU" -L help 2>/dev/null); do
	[ -f "$dir/qboot.rom" ] && QEMU_PC=(-M pc -bios qboot.rom) && break
done

OUT=$(mktemp -d "${TMPDIR:-/tmp}/vmm-bench-net.XXXXXX")
trap 'ip netns del "$NS" 2>/dev/null; rm -rf "$OUT"' EXIT
ip netns add "$NS" && ip -n "$NS" tuntap add dev "$TAP" mode tap &&
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 &&
	ip -n "$NS" link set "$TAP" up || { echo "net: cannot set up the namespace"; exit 1; }

# guest WHO MODE: run the kit guest under vmm or QEMU on the tap, peer beside it.
guest() {
	local who=$1 mode=$2 peer_mode pid

	[ "$mode" = tx ] && peer_mode=sink || peer_mode=flood
	: >"$OUT/peer"
	ip netns exec "$NS" timeout $((SECS + 40)) "$PEER" "$peer_mode" "$TAP" "$MAC" "$SECS" \
		>"$OUT/peer" 2>&1 &
	pid=$!
	for _ in $(seq 50); do
		grep -q '^PEER: ready' "$OUT/peer" && break
		sleep 0.1
	done
	if [ "$who" = vmm ]; then
		ip netns exec "$NS" timeout $((SECS + 40)) "$VMM" --kernel $G/vnet.bzImage \
			--serial stdio --stats --net "tap=$TAP" --append "mode=$mode secs=$SECS" \
			>"$OUT/guest" 2>&1 </dev/null
	else
		ip netns exec "$NS" timeout $((SECS + 40)) "$QEMU" -enable-kvm -nodefaults \
			-nographic -no-reboot -monitor none -serial stdio \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 "${QEMU_PC[@]}" \
			-netdev "tap,id=n0,ifname=$TAP,script=no,downscript=no" \
			-device "virtio-net-pci,netdev=n0,mac=$MAC,disable-legacy=on" \
			-kernel $G/vnet.bzImage -append "mode=$mode secs=$SECS" \
			>"$OUT/guest" 2>&1 </dev/null
	fi
	wait "$pid"
}

# Frames per second: tx as the peer received them (over the guest's sending
# time), rx as the guest received them.
rate() {
	local mode=$1 frames us

	if [ "$mode" = tx ]; then
		frames=$(sed -n 's/^PEER: sink \([0-9]*\) frames.*/\1/p' "$OUT/peer")
		us=$(sed -n 's/^KIT: vnet tx [0-9]* frames in \([0-9]*\) us.*/\1/p' "$OUT/guest")
	else
		frames=$(sed -n 's/^KIT: vnet rx \([0-9]*\) frames.*/\1/p' "$OUT/guest")
		us=$(sed -n 's/^KIT: vnet rx [0-9]* frames in \([0-9]*\) us.*/\1/p' "$OUT/guest")
	fi
	if [ -z "$frames" ] || [ -z "$us" ] || [ "$us" = 0 ]; then
		echo "net: a $mode run failed: $(grep -E 'KIT|vmm:|PEER' "$OUT/guest" "$OUT/peer" | tail -2 | tr '\n' ' ')" >&2
		printf 0
		return
	fi
	awk -v f="$frames" -v u="$us" 'BEGIN { printf "%.0f", f * 1e6 / u }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

echo "== net: 64-byte frames over a tap, $SECS s a run, median of $PAIRS alternating vmm/QEMU runs"
for mode in tx rx; do
	[ "$mode" = tx ] && what="guest -> peer" || what="peer -> guest"
	: >"$OUT/v.$mode"
	: >"$OUT/q.$mode"
	for _ in $(seq "$PAIRS"); do
		guest vmm "$mode"
		rate "$mode" >>"$OUT/v.$mode"
		echo >>"$OUT/v.$mode"
		grep -E '^  tap ' "$OUT/guest" >"$OUT/v.stats"
		if [ $have_qemu = 1 ]; then
			guest qemu "$mode"
			rate "$mode" >>"$OUT/q.$mode"
			echo >>"$OUT/q.$mode"
		fi
	done
	v=$(median <"$OUT/v.$mode")
	line="$what: vmm $v frames/s (runs: $(tr '\n' ' ' <"$OUT/v.$mode"| sed 's/ *$//'))"
	if [ $have_qemu = 1 ]; then
		q=$(median <"$OUT/q.$mode")
		line="$line; qemu virtio-net-pci $q frames/s (runs: $(tr '\n' ' ' <"$OUT/q.$mode" | sed 's/ *$//')); ratio vmm/qemu $(ratio "$v" "$q")"
	fi
	echo "$line"
	sed 's/^ */    last vmm run, --stats: /' "$OUT/v.stats"
done
