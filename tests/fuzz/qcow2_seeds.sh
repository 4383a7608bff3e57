#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Seed corpus for fuzz_qcow2: small qcow2 images (512-byte clusters, so a
# whole image fits in a few KiB) made by qemu-img and written by qemu-io:
# empty, with data, version 2, with a backing file name, compressed, with
# 16-bit and 64-bit refcounts. Without qemu-img, one hand-made header.
set -e
out=$1
mkdir -p "$out"
if ! command -v qemu-img >/dev/null 2>&1; then
	printf 'QFI\373\0\0\0\3' >"$out/header"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
q() { qemu-img create -q -f qcow2 -o cluster_size=512 "$@"; }
q "$tmp/empty" 64K
q "$tmp/data" 64K
qemu-io -c "write -P 0x55 512 3k" -c "write -P 0xaa 40k 1k" "$tmp/data" >/dev/null
q -o compat=0.10 "$tmp/v2" 32K
qemu-io -c "write -P 0x11 0 2k" "$tmp/v2" >/dev/null
q -b data -F qcow2 "$tmp/backed" 64K
qemu-io -c "write -P 0x22 1k 1k" "$tmp/backed" >/dev/null
q -o refcount_bits=64 "$tmp/rc64" 16K
qemu-io -c "write -P 0x33 0 1k" "$tmp/rc64" >/dev/null
q -o refcount_bits=8 "$tmp/rc8" 16K
head -c 8192 /dev/urandom >"$tmp/rand.raw"
qemu-img convert -c -O qcow2 -o cluster_size=512 "$tmp/rand.raw" "$tmp/compressed"
for f in empty data v2 backed rc64 rc8 compressed; do
	cp "$tmp/$f" "$out/$f"
	# Last byte odd: the harness also writes.
	cp "$tmp/$f" "$out/$f.w" && printf '\1' >>"$out/$f.w"
done
