#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: enlightened mode against the emulated IDE disk and plain
# virtio-blk. The diskbench kit guest (tests/guest/tests/diskbench.c) does
# 4 KiB random reads and writes on one 1 GiB raw image at queue depth 1 and
# 32 through emulated IDE PIO, emulated IDE DMA, vmm's enlightened rings of
# the same IDE disk (after the switch) and plain virtio-blk; QEMU's PIIX3
# IDE (PIO, DMA) and virtio-blk-pci run the same guest as peers. IDE has
# no queueing: its QD32 is its QD1 (not run again). Prints IOPS, vmm's
# user-space exits per request (every exit of the run, boot included, from
# --stats) and kicks per request, then the ratios issue 8 targets.
# vmm's runs are repeated BENCH_EN_REPS times (default 3), interleaved, and
# the medians shown (this host's numbers swing between runs). Asserts
# nothing. BENCH_EN_MS sets each run's time (default 3000).
set -u
cd "$(dirname "$0")/../.."
# shellcheck source=tests/bench/lib.sh
. tests/bench/lib.sh
MS=${BENCH_EN_MS:-3000}
REPS=${BENCH_EN_REPS:-3}
IMG=${BENCH_EN_IMG:-/var/tmp/vmm-bench-enlight.img}

echo "== enlightened IDE: 4 KiB random I/O, 1 GiB raw image $IMG, ${MS} ms a run"
bench_image "$IMG"
out=/tmp/vmm-bench-enlight.$$
trap 'rm -f "$IMG" "$out"' EXIT
declare -A IOPS EXITS KICKS

div() { awk -v a="$1" -v b="$2" -v f="${3:-%.3f}" 'BEGIN { if (b > 0) printf f, a / b; else print "n/a" }'; }

# record KEY: IOPS, exits and kicks per request of the run in $out.
record() {
	local key=$1 n us ex kicks
	sed -i 's/\r$//' "$out"
	read -r n us < <(sed -n 's/^KIT: bench .* requests \([0-9]*\) us \([0-9]*\)$/\1 \2/p' "$out")
	if [ -z "${n:-}" ]; then
		echo "$key failed:"
		tail -3 "$out" | sed 's/^/    /'
		return
	fi
	IOPS[$key]="${IOPS[$key]:-} $(div "$((n * 1000000))" "$us" %.0f)"
	# Every user-space exit of the vCPU (the "vcpu exit reason count" table).
	ex=$(awk '/^vcpu +exit reason/ { t = 1; next } t && /^[0-9]+ +[a-z_]+ +[0-9]+$/ { s += $3; next } t { t = 0 } END { print s + 0 }' "$out")
	kicks=$(sed -n 's/^  queue 0: \([0-9]*\) kicks.*/\1/p' "$out" | head -1)
	if [[ $key == qemu* ]]; then
		EXITS[$key]=n/a
		KICKS[$key]=n/a
	elif [[ $key == *pio,* || $key == *dma,* ]]; then
		EXITS[$key]="${EXITS[$key]:-} $(div "$ex" "$n")"
		KICKS[$key]=-
	else
		EXITS[$key]="${EXITS[$key]:-} $(div "$ex" "$n")"
		KICKS[$key]="${KICKS[$key]:-} $([ -n "$kicks" ] && div "$kicks" "$n" || echo -)"
	fi
}

vmm_run() {
	local path=$1 rw=$2 qd=$3 if=ide
	[ "$path" = virtio ] && if=virtio
	timeout 120 "$VMM" --kernel $G/diskbench.bzImage --stats \
		--append "path=$path rw=$rw qd=$qd kit_bench_ms=$MS" \
		--disk "file=$IMG,if=$if,format=raw" >"$out" 2>&1
	record "vmm-$path,$rw,$qd"
}

qemu_run() {
	local path=$1 rw=$2 qd=$3 dev
	if [ "$path" = virtio ]; then
		dev=(-drive "file=$IMG,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0,disable-legacy=on)
	else
		dev=(-drive "file=$IMG,if=ide,index=0,format=raw")
	fi
	timeout 120 "$QEMU" -enable-kvm -M pc "${QBIOS[@]}" -m 512 -nodefaults -nographic \
		-no-reboot -monitor none -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel $G/diskbench.bzImage -append "path=$path rw=$rw qd=$qd kit_bench_ms=$MS" \
		"${dev[@]}" >"$out" 2>&1
	record "qemu-$path,$rw,$qd"
}

runs=(vmm-pio vmm-dma vmm-enlight vmm-virtio)
for rep in $(seq "$REPS"); do
	for rw in read write; do
		for qd in 1 32; do
			for p in pio dma enlight virtio; do
				case $p in pio | dma) [ "$qd" = 32 ] && continue ;; esac
				vmm_run "$p" "$rw" "$qd"
			done
		done
	done
done
if [ $have_qemu = 1 ]; then
	for p in pio dma virtio; do
		for rw in read write; do
			for qd in 1 32; do
				case $p in pio | dma) [ "$qd" = 32 ] && continue ;; esac
				qemu_run "$p" "$rw" "$qd"
			done
		done
		runs+=("qemu-$p")
	done
fi

# The median of a list of numbers (or the one non-number).
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
for k in "${!IOPS[@]}"; do
	IOPS[$k]=$(echo "${IOPS[$k]}" | median)
	EXITS[$k]=$(echo "${EXITS[$k]}" | median)
	KICKS[$k]=$(echo "${KICKS[$k]}" | median)
done

echo "-- medians of $REPS runs (vmm), one run (QEMU)"
printf "%-14s %-6s %3s %9s %10s %10s\n" path rw qd IOPS exits/req kicks/req
for r in "${runs[@]}"; do
	for rw in read write; do
		for qd in 1 32; do
			k="$r,$rw,$qd"
			if [ "$qd" = 32 ] && [[ $r == *pio || $r == *dma ]]; then
				printf "%-14s %-6s %3s %9s   (IDE has no queueing: QD32 = QD1)\n" "$r" "$rw" "$qd" "${IOPS[$r,$rw,1]:-fail}"
				continue
			fi
			printf "%-14s %-6s %3s %9s %10s %10s\n" "$r" "$rw" "$qd" "${IOPS[$k]:-fail}" \
				"${EXITS[$k]:-}" "${KICKS[$k]:-}"
		done
	done
done

echo "-- ratios (issue 8 targets: IOPS >= 10x emulated DMA, >= 20x fewer exits per request, within 5% of virtio-blk)"
for rw in read write; do
	for qd in 1 32; do
		e="vmm-enlight,$rw,$qd" dma="vmm-dma,$rw,1" v="vmm-virtio,$rw,$qd"
		printf "  %-5s qd%-2s enlightened/emulated-DMA IOPS %6s   exits/req DMA/enlightened %8s   enlightened/virtio-blk IOPS %5s\n" \
			"$rw" "$qd" "$(div "${IOPS[$e]:-0}" "${IOPS[$dma]:-0}" %.1f)" \
			"$(div "${EXITS[$dma]:-0}" "${EXITS[$e]:-0}" %.0f)" \
			"$(div "${IOPS[$e]:-0}" "${IOPS[$v]:-0}" %.2f)"
	done
done
