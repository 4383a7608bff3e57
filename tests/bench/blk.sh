#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: virtio-blk under vmm (each back-end) and QEMU's virtio-blk-pci
# (aio=io_uring and aio=threads) in the same run, with the same kit guest
# (tests/guest/tests/vblkbench.c) on the same 1 GiB raw image: 4 KiB random
# reads at queue depth 32, 1 MiB sequential reads and writes at depth 4.
# Prints IOPS, MB/s, vmm's userspace exits per request (from --stats) and
# the vmm/QEMU ratios. Asserts nothing. BENCH_BLK_MS sets each phase's time.
set -u
cd "$(dirname "$0")/../.."
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
MS=${BENCH_BLK_MS:-3000}
IMG=${BENCH_BLK_IMG:-/var/tmp/vmm-bench-blk.img}

echo "== virtio-blk: 1 GiB raw image $IMG, ${MS} ms per phase"
bench_image "$IMG"
trap 'rm -f "$IMG"' EXIT

out=/tmp/vmm-bench-blk.$$
declare -A IOPS MBS EXITS

# parse NAME FILE: fill IOPS/MBS for each phase of run NAME.
parse() {
	local name=$1 file=$2 ph n us
	while read -r ph n us; do
		IOPS[$name,$ph]=$(awk -v n="$n" -v us="$us" 'BEGIN{ if (us > 0) printf "%.0f", n * 1e6 / us; else print 0 }')
		if [ "$ph" = randread-4k-qd32 ]; then sz=4096; else sz=1048576; fi
		MBS[$name,$ph]=$(awk -v n="$n" -v us="$us" -v s="$sz" 'BEGIN{ if (us > 0) printf "%.1f", n * s / us; else print 0 }')
	done < <(sed -n 's/^KIT: bench \([^ ]*\) requests \([0-9]*\) us \([0-9]*\).*/\1 \2 \3/p' "$file")
}

runs=()
for be in io_uring native threads; do
	name="vmm-$be"
	timeout 120 "$VMM" --kernel $G/vblkbench.bzImage --append "kit_bench_ms=$MS" --stats \
		--disk "file=$IMG,aio=$be" >"$out" 2>&1
	parse "$name" "$out"
	# Userspace exits on the device's registers over all requests.
	reqs=$(sed -n 's/^KIT: bench [^ ]* requests \([0-9]*\).*/\1/p' "$out" | awk '{s+=$1} END{print s+0}')
	ex=$(awk '/^virtio-blk0 bar0/ {print $5}' "$out")
	EXITS[$name]=$(awk -v e="${ex:-0}" -v r="$reqs" 'BEGIN{ if (r > 0) printf "%.3f", e / r; else print "n/a" }')
	grep -q '^KIT: bench' "$out" || { echo "$name failed:"; tail -5 "$out"; }
	runs+=("$name")
done
if [ $have_qemu = 1 ]; then
	for aio in io_uring threads; do
		name="qemu-$aio"
		timeout 120 "$QEMU" -enable-kvm -M pc "${QBIOS[@]}" -m 512 -nodefaults -nographic \
			-no-reboot -monitor none -serial stdio \
			-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
			-kernel $G/vblkbench.bzImage -append "kit_bench_ms=$MS" \
			-drive "file=$IMG,if=none,id=d0,format=raw,aio=$aio" \
			-device virtio-blk-pci,drive=d0,disable-legacy=on >"$out" 2>&1
		parse "$name" "$out"
		EXITS[$name]="n/a"
		grep -q '^KIT: bench' "$out" || { echo "$name failed:"; tail -5 "$out"; }
		runs+=("$name")
	done
fi
rm -f "$out"

for ph in randread-4k-qd32 seqread-1m-qd4 seqwrite-1m-qd4; do
	echo "-- $ph"
	for r in "${runs[@]}"; do
		printf "  %-14s %9s IOPS %9s MB/s   exits/request %s\n" "$r" \
			"${IOPS[$r,$ph]:-fail}" "${MBS[$r,$ph]:-fail}" "${EXITS[$r]}"
	done
	if [ $have_qemu = 1 ]; then
		for be in io_uring native threads; do
			for aio in io_uring threads; do
				printf "  ratio vmm-%s / qemu-%s: %s\n" "$be" "$aio" \
					"$(awk -v a="${IOPS[vmm-$be,$ph]:-0}" -v b="${IOPS[qemu-$aio,$ph]:-0}" \
						'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
			done
		done
	fi
done
