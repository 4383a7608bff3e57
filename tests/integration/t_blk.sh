#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio-blk: the kit guest vblk writes a pattern, reads it back, flushes,
# asks GET_ID, write-zeroes and discard; the host checks the image holds
# exactly the pattern. Over virtio-pci and virtio-mmio, on raw and qcow2
# (made by qemu-img, judged by qemu-img check), on each back-end; the same
# guest under QEMU's virtio-blk-pci gives the same lines and the same
# image. Durability: after "KIT: flushed" vmm is SIGKILLed and the data
# is in the image. Bad disk images are usage errors (status 2, one line).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

VBLK=$GUEST/vblk.bzImage
SIZE=8M
LAST=16383 # last sector of an 8 MiB disk

# The pattern of sector S: "secNNNN\n" 64 times.
sector_pat() {
	local i
	for i in $(seq 64); do printf 'sec%04d\n' $(($1 % 10000)); done
}

# make_expect FILE WZ: what the image must hold after vblk ran (WZ=1: sectors
# 2-3 zeroed by write-zeroes).
make_expect() {
	local s
	rm -f "$1"
	truncate -s "$SIZE" "$1"
	for s in 0 1 2 3 4 5 6 7 100 101 102 $LAST; do
		sector_pat "$s" | dd of="$1" bs=512 seek="$s" conv=notrunc status=none
	done
	if [ "$2" = 1 ]; then
		dd if=/dev/zero of="$1" bs=512 seek=2 count=2 conv=notrunc status=none
	fi
}

make_expect "$WORK/expect.wz" 1
make_expect "$WORK/expect.nowz" 0

# expect_vblk_lines OUT TRANSPORT: every step of the guest passed.
expect_vblk_lines() {
	expect_line "KIT: vblk found ($2)" "$1"
	expect_line "KIT: vblk capacity 16384 sectors, blk_size 512, flush yes, ro no" "$1"
	expect_line "KIT: vblk wrote and read back 12 sectors" "$1"
	expect_line "KIT: vblk flush ok" "$1"
	expect_line "KIT: vblk id 'vmm-disk-0'" "$1"
	expect_line "KIT: vblk write-zeroes ok" "$1"
	expect_line "KIT: vblk discard ok" "$1"
	expect_line "KIT: vblk read past the end: ioerr" "$1"
	expect_line "KIT: vblk unknown request: unsupp" "$1"
	expect_no_grep '^vmm: virtio-blk|AddressSanitizer|Segmentation' "$1"
}

# expect_image IMAGE EXPECTED
expect_image() {
	cmp -s "$1" "$2" || _why "image differs from the pattern: $(cmp "$1" "$2" 2>&1 | head -1)"
}

# expect_qcow2_clean IMAGE EXPECTED-RAW
expect_qcow2_clean() {
	local c
	c=$(qemu-img check "$1" 2>&1) || _why "qemu-img check: $(echo "$c" | tr '\n' ' ' | head -c 200)"
	echo "$c" | grep -q 'No errors were found' || _why "qemu-img check: $(echo "$c" | head -1)"
	qemu-img info "$1" | grep -q 'virtual size: .*(8388608 bytes)' || _why "qemu-img info: wrong size"
	qemu-img convert -O raw "$1" "$1.raw" || _why "qemu-img convert failed"
	expect_image "$1.raw" "$2"
}

# vblk_vmm NAME TRANSPORT DISKOPTS: one run of the guest on a fresh raw image.
vblk_vmm() {
	local name=$1 tr=$2 opts=$3
	begin "$name"
	if need_kvm "$CHECK" && need_file "$CHECK" "$VBLK"; then
		rm -f "$WORK/$name.img"
		truncate -s "$SIZE" "$WORK/$name.img"
		run_vmm "$WORK/$name" --kernel "$VBLK" --virtio-transport "$tr" \
			--append "kit_virtio=$tr" --stats \
			--disk "file=$WORK/$name.img,serial=vmm-disk-0$opts"
		expect_status 3
		expect_vblk_lines "$WORK/$name" "$tr"
		expect_grep "disk: .*, raw, aio=${4:-io_uring}" "$WORK/$name"
		expect_grep "requests: in 5, out 3, flush 1, get-id 1, discard 2, write-zeroes 1" \
			"$WORK/$name"
		expect_image "$WORK/$name.img" "$WORK/expect.wz"
		end_check "$WORK/$name"
	fi
}

vblk_vmm blk_pci_raw pci ""
vblk_vmm blk_mmio_raw mmio ""
vblk_vmm blk_pci_native_direct pci ",aio=native,cache=none" native
vblk_vmm blk_mmio_threads mmio ",aio=threads" threads

begin blk_pci_qcow2
if need_kvm "$CHECK" && need_file "$CHECK" "$VBLK"; then
	if ! command -v qemu-img >/dev/null; then
		skip "$CHECK" "no qemu-img"
	else
		rm -f "$WORK/q.qcow2"
		qemu-img create -q -f qcow2 "$WORK/q.qcow2" "$SIZE"
		run_vmm "$WORK/q" --kernel "$VBLK" --stats \
			--disk "file=$WORK/q.qcow2,serial=vmm-disk-0"
		expect_status 3
		expect_vblk_lines "$WORK/q" pci
		expect_grep "disk: .*, qcow2, aio=" "$WORK/q"
		expect_qcow2_clean "$WORK/q.qcow2" "$WORK/expect.wz"
		end_check "$WORK/q"
	fi
fi

begin blk_qemu_same
if need_qemu "$CHECK" && need_file "$CHECK" "$VBLK"; then
	rm -f "$WORK/qemu.img"
	truncate -s "$SIZE" "$WORK/qemu.img"
	run_qemu "$WORK/qemu" "${QEMU_PC[@]}" -m 256 -kernel "$VBLK" \
		-drive "file=$WORK/qemu.img,if=none,id=d0,format=raw" \
		-device virtio-blk-pci,drive=d0,serial=vmm-disk-0,disable-legacy=on
	expect_status 3
	expect_vblk_lines "$WORK/qemu" pci
	expect_image "$WORK/qemu.img" "$WORK/expect.wz"
	if [ -f "$WORK/blk_pci_raw" ]; then
		expect_same_kit_lines "$WORK/blk_pci_raw" "$WORK/qemu"
	fi
	end_check "$WORK/qemu"
fi

# wait_line FILE LINE SECONDS
wait_line() {
	local end=$((SECONDS + $3))
	while [ $SECONDS -lt $end ]; do
		tr -d '\r' <"$1" 2>/dev/null | grep -qxF -- "$2" && return 0
		sleep 0.1
	done
	return 1
}

# Durability: flush, then SIGKILL; also: a second vmm on the locked image.
durable() {
	local name=$1 img=$2 pid
	begin "$name"
	if need_kvm "$CHECK" && need_file "$CHECK" "$VBLK"; then
		: >"$WORK/$name"
		# Not under timeout(1): the SIGKILL must reach vmm itself.
		"$VMM" --kernel "$VBLK" --serial "file:$WORK/$name" \
			--append "kit_vblk_mode=flushspin" \
			--disk "file=$img,serial=vmm-disk-0" >"$WORK/$name.err" 2>&1 &
		pid=$!
		if wait_line "$WORK/$name" "KIT: flushed" 30; then
			# While it runs, the image is locked against a second vmm.
			_run "$WORK/$name.second" "$VMM" --kernel "$VBLK" --disk "file=$img"
			expect_status 2
			expect_grep "^vmm: --disk '$img' is locked by another process$" \
				"$WORK/$name.second"
			kill -KILL "$pid"
		else
			_why "no 'KIT: flushed' in 30 s"
			kill -KILL "$pid"
		fi
		wait "$pid" 2>/dev/null
		if [ "${img%.qcow2}" != "$img" ]; then
			expect_qcow2_clean "$img" "$WORK/expect.nowz"
		else
			expect_image "$img" "$WORK/expect.nowz"
		fi
		end_check "$WORK/$name"
	fi
}

rm -f "$WORK/durable.img"
truncate -s "$SIZE" "$WORK/durable.img"
durable blk_durable_raw "$WORK/durable.img"
if command -v qemu-img >/dev/null; then
	rm -f "$WORK/durable.qcow2"
	qemu-img create -q -f qcow2 "$WORK/durable.qcow2" "$SIZE"
	durable blk_durable_qcow2 "$WORK/durable.qcow2"
fi

begin blk_readonly
if need_kvm "$CHECK" && need_file "$CHECK" "$VBLK"; then
	truncate -s "$SIZE" "$WORK/ro.img"
	run_vmm "$WORK/ro" --kernel "$VBLK" --disk "file=$WORK/ro.img,readonly"
	expect_line "KIT: vblk capacity 16384 sectors, blk_size 512, flush yes, ro yes" "$WORK/ro"
	expect_line "KIT: FAIL vblk: write 0-7: status 1" "$WORK/ro"
	cmp -s "$WORK/ro.img" <(head -c "$SIZE" /dev/zero) || _why "the read-only image was written"
	end_check "$WORK/ro"
fi

# Two vCPUs: two queues, the last one used; the second of two disks.
begin blk_mq_second_disk
if need_kvm "$CHECK" && need_file "$CHECK" "$VBLK"; then
	rm -f "$WORK/first.img" "$WORK/second.img"
	truncate -s "$SIZE" "$WORK/first.img" "$WORK/second.img"
	run_vmm "$WORK/mq" --kernel "$VBLK" --cpus 2 --append "kit_vblk_index=1" --stats \
		--disk "file=$WORK/first.img" --disk "file=$WORK/second.img,serial=vmm-disk-0"
	expect_status 3
	expect_vblk_lines "$WORK/mq" pci
	expect_line "KIT: vblk queues 2" "$WORK/mq"
	expect_line "KIT: vblk read on queue 1 ok" "$WORK/mq"
	expect_grep "^virtio-blk1: virtio-pci" "$WORK/mq"
	expect_image "$WORK/second.img" "$WORK/expect.wz"
	cmp -s "$WORK/first.img" <(head -c "$SIZE" /dev/zero) || _why "the first disk was written"
	end_check "$WORK/mq"
fi

begin blk_mq_qemu_same
if need_qemu "$CHECK" && need_file "$CHECK" "$VBLK" && [ -f "$WORK/mq" ]; then
	rm -f "$WORK/qemu2.img"
	truncate -s "$SIZE" "$WORK/qemu2.img"
	run_qemu "$WORK/mq.qemu" "${QEMU_PC[@]}" -m 256 -smp 2 -kernel "$VBLK" \
		-drive "file=$WORK/qemu2.img,if=none,id=d0,format=raw" \
		-device virtio-blk-pci,drive=d0,serial=vmm-disk-0,disable-legacy=on,num-queues=2
	expect_status 3
	expect_same_kit_lines "$WORK/mq" "$WORK/mq.qemu"
	expect_image "$WORK/qemu2.img" "$WORK/expect.wz"
	end_check "$WORK/mq.qemu"
fi

# A broken chain: DEVICE_NEEDS_RESET and one line; the device works after a reset.
for tr in pci mmio; do
	begin "blk_bad_chain_$tr"
	if need_kvm "$CHECK" && need_file "$CHECK" "$VBLK"; then
		truncate -s "$SIZE" "$WORK/badchain.img"
		run_vmm "$WORK/badchain_$tr" --kernel "$VBLK" --virtio-transport "$tr" \
			--append "kit_virtio=$tr kit_vblk_mode=bad" --disk "file=$WORK/badchain.img"
		expect_status 3
		expect_line "KIT: vblk write of 100 bytes: ioerr" "$WORK/badchain_$tr"
		expect_line "KIT: vblk chain without status: needs reset" "$WORK/badchain_$tr"
		expect_line "KIT: vblk after reset: read ok" "$WORK/badchain_$tr"
		expect_line "KIT: vblk reset with requests in flight: ring quiet" "$WORK/badchain_$tr"
		expect_line "KIT: vblk after second reset: read ok" "$WORK/badchain_$tr"
		[ "$(grep -c '^vmm: virtio-blk0: ' "$WORK/badchain_$tr")" = 1 ] ||
			_why "expected one 'vmm: virtio-blk0: ...' line"
		end_check "$WORK/badchain_$tr"
	fi
done

begin blk_bad_chain_qemu_same
if need_qemu "$CHECK" && need_file "$CHECK" "$VBLK" && [ -f "$WORK/badchain_pci" ]; then
	truncate -s "$SIZE" "$WORK/badchain.qemu.img"
	run_qemu "$WORK/badchain.qemu" "${QEMU_PC[@]}" -m 256 -kernel "$VBLK" \
		-append "kit_vblk_mode=bad" \
		-drive "file=$WORK/badchain.qemu.img,if=none,id=d0,format=raw" \
		-device virtio-blk-pci,drive=d0,disable-legacy=on
	expect_status 3
	expect_same_kit_lines "$WORK/badchain_pci" "$WORK/badchain.qemu"
	end_check "$WORK/badchain.qemu"
fi

# Bad images: one line on stderr, status 2, before KVM is opened.
bad() {
	local name=$1 ere=$2 lines
	shift 2
	begin "blk_bad_$name"
	_run "$WORK/bad_$name" "$VMM" --kernel "$GUEST/hello.bzImage" "$@"
	expect_status 2
	expect_grep "$ere" "$WORK/bad_$name"
	lines=$(wc -l <"$WORK/bad_$name")
	[ "$lines" -eq 1 ] || _why "$lines lines of output, expected exactly one"
	end_check "$WORK/bad_$name"
}

bad missing "^vmm: --disk '$WORK/nope.img': No such file or directory$" \
	--disk "file=$WORK/nope.img"
bad directory "^vmm: --disk '$WORK': Is a directory$" --disk "file=$WORK"
printf 'QFI\373\0\0\0\3' >"$WORK/trunc.qcow2"
bad truncated_qcow2 "^vmm: --disk '$WORK/trunc.qcow2': qcow2 header truncated$" \
	--disk "file=$WORK/trunc.qcow2"
if command -v qemu-img >/dev/null; then
	qemu-img create -q -f qcow2 "$WORK/cb.qcow2" 1M
	printf '\0\0\0\036' | dd of="$WORK/cb.qcow2" bs=1 seek=20 conv=notrunc status=none
	bad cluster_bits "^vmm: --disk '$WORK/cb.qcow2': qcow2 cluster_bits 30 out of range 9..21$" \
		--disk "file=$WORK/cb.qcow2"
	qemu-img create -q -f qcow2 "$WORK/dirty.qcow2" 1M
	printf '\1' | dd of="$WORK/dirty.qcow2" bs=1 seek=79 conv=notrunc status=none
	bad dirty "^vmm: --disk '$WORK/dirty.qcow2': qcow2 image is dirty" \
		--disk "file=$WORK/dirty.qcow2"
	qemu-img create -q -f qcow2 -u -b "$WORK/gone.img" -F raw "$WORK/orphan.qcow2" 1M
	bad backing_missing "^vmm: --disk '$WORK/orphan.qcow2': backing file: '$WORK/gone.img': No such" \
		--disk "file=$WORK/orphan.qcow2"
fi
truncate -s 1M "$WORK/plain.img"
bad forced_qcow2 "^vmm: --disk '$WORK/plain.img': format=qcow2 but not a qcow2 image$" \
	--disk "file=$WORK/plain.img,format=qcow2"
