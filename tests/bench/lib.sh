#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Shared by the disk benchmarks (blk.sh, enlight.sh): sourced from the top of
# the tree. Sets VMM, G, QEMU, have_qemu and QBIOS (qboot when QEMU has it,
# as the other benches use), or exits 0 after a loud SKIP without /dev/kvm.
VMM=build/vmm
G=build/guest
QEMU=${QEMU:-qemu-system-x86_64}

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "SKIP: no /dev/kvm"
	exit 0
fi
have_qemu=1
command -v "$QEMU" >/dev/null || { echo "note: $QEMU not found; vmm numbers only"; have_qemu=0; }
QBIOS=()
for dir in $("$QEMU" -L help 2>/dev/null); do
	[ -f "$dir/qboot.rom" ] && QBIOS=(-bios qboot.rom) && break
done

# bench_image PATH: a 1 GiB raw image of real data blocks, not a hole (reads
# must reach the page cache or the disk); kept if it is already there.
bench_image() {
	if [ "$(stat -c %s "$1" 2>/dev/null)" != 1073741824 ]; then
		rm -f "$1"
		dd if=/dev/zero of="$1" bs=1M count=1024 status=none conv=fsync
	fi
}
