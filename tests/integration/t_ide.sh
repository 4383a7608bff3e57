#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The PIIX IDE controller: the kit guest ide (tests/guest/tests/ide.c)
# drives an 8 MiB disk (primary master), a 200 GiB sparse disk (primary
# slave, LBA48 above 128 GiB) and a CD image (secondary master) by PIO and
# bus-master DMA, and checks what it reads against the patterns the test
# wrote; the host then checks what the guest wrote. QEMU -M pc (PIIX3 IDE)
# runs the same guest on copies of the same images: the same KIT lines
# (less vmm's own "[vmm]" lines: malformed PRD tables, a write to the CD,
# where QEMU answers differently) and the same images afterwards. Bad
# input: a missing disk, an unreadable ISO, five IDE drives (status 2).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

IDE=$GUEST/ide.bzImage
LBA48=300000000

# make_images DIR: the pristine images.
make_images() {
	mkdir -p "$1"
	rm -f "$1"/hd0.img "$1"/hd1.img
	truncate -s 8M "$1/hd0.img"
	records sec 0 160 12 32 | dd of="$1/hd0.img" conv=notrunc status=none
	truncate -s 200G "$1/hd1.img"
	records sec $LBA48 4 12 32 | dd of="$1/hd1.img" bs=512 seek=$LBA48 conv=notrunc status=none
	records cd 0 512 13 128 >"$1/cd.iso"
}

make_images "$WORK/ide_orig"
# What the guest leaves: its "wrt" sectors over the pristine disks.
cp "$WORK/ide_orig/hd0.img" "$WORK/ide_expect0.img"
records wrt 200 2 12 32 | dd of="$WORK/ide_expect0.img" bs=512 seek=200 conv=notrunc status=none
records wrt 300 4 12 32 | dd of="$WORK/ide_expect0.img" bs=512 seek=300 conv=notrunc status=none
{
	records sec $LBA48 4 12 32
	dd if=/dev/zero bs=512 count=6 status=none
	records wrt $((LBA48 + 10)) 2 12 32
	dd if=/dev/zero bs=512 count=8 status=none
	records wrt $((LBA48 + 20)) 4 12 32
} >"$WORK/ide_expect1.part"

# expect_images DIR: the disks hold exactly what the guest wrote.
expect_images() {
	cmp -s "$1/hd0.img" "$WORK/ide_expect0.img" ||
		_why "hd0 differs: $(cmp "$1/hd0.img" "$WORK/ide_expect0.img" 2>&1 | head -1)"
	dd if="$1/hd1.img" bs=512 skip=$LBA48 count=24 status=none | cmp -s - "$WORK/ide_expect1.part" ||
		_why "hd1 sectors $LBA48.. differ"
	[ "$(du -k "$1/hd1.img" | cut -f1)" -lt 1024 ] || _why "hd1 is no longer sparse"
}

expect_ide_lines() {
	local l
	for l in \
		"KIT: ide 8086:7010 class 010180" \
		"KIT: ide1.0 signature 01 01 14 eb" \
		"KIT: identify ide0.1: type 0040 lba28 268435455 lba48 419430400 caps 0300 cmdset 3400 mult 16 irqs 1 status 50" \
		"KIT: pio read lba28 4 sectors: irqs 4 status 50" \
		"KIT: pio read chs 0/1/38: ok irqs 1 status 50" \
		"KIT: read multiple 16 sectors: irqs 2 status 50" \
		"KIT: pio read ext above 128 GiB: irqs 2 status 50" \
		"KIT: read dma 8 sectors, 3 PRDs: status 50 bm 04" \
		"KIT: read dma 128 sectors, one 0-count PRD: status 50 bm 04" \
		"KIT: read dma ext above 128 GiB: status 50 bm 04 data ok" \
		"KIT: unknown command: status 41 error 04" \
		"KIT: read(10) pio: 6144 bytes ok" \
		"KIT: read(10) dma: ok" \
		"KIT: request sense: key 5 asc 20" \
		"KIT: read past the end: check condition key 5 asc 21" \
		"KIT: read capacity: 8 bytes last 511 block 2048" \
		"KIT: read dma after bad tables: status 50 bm 04 data ok" \
		"KIT: ide done"; do
		expect_line "$l" "$1"
	done
}

expect_vmm_only_lines() {
	expect_line "KIT: [vmm] prd outside RAM: status 41 error 04 bm 06" "$1"
	expect_line "KIT: [vmm] prd without end bit: status 41 error 04 bm 06" "$1"
	expect_line "KIT: [vmm] prd too short: status 41 error 04 bm 06" "$1"
	expect_line "KIT: [vmm] write(10): check condition key 7 asc 27" "$1"
	expect_no_grep 'AddressSanitizer|Segmentation|^vmm: (KVM|IDE)' "$1"
}

# ide_vmm NAME [DISKOPTS]: the guest on fresh copies of the images.
ide_vmm() {
	local d=$WORK/$1
	begin "$1"
	if need_kvm "$CHECK" && need_file "$CHECK" "$IDE"; then
		make_images "$d"
		run_vmm "$d.out" --kernel "$IDE" --stats \
			--disk "file=$d/hd0.img,if=ide,format=raw${2:-}" \
			--disk "file=$d/hd1.img,if=ide,format=raw${2:-}" --cdrom "$d/cd.iso"
		expect_status 3
		expect_ide_lines "$d.out"
		expect_vmm_only_lines "$d.out"
		expect_grep '^ide0-hd0: [0-9]+ commands, [0-9]+ errors, [1-9][0-9]* DMA transfers' "$d.out"
		expect_grep '^ide1-cd0: .*cd.iso, raw, aio=.*, readonly' "$d.out"
		expect_images "$d"
		end_check "$d.out"
	fi
}

ide_vmm ide_vmm
ide_vmm ide_vmm_threads ",aio=threads"

# The same guest with the primary master a qcow2 image (one block layer).
begin ide_vmm_qcow2
if need_kvm "$CHECK" && need_file "$CHECK" "$IDE"; then
	if ! command -v qemu-img >/dev/null; then
		skip "$CHECK" "no qemu-img"
	else
		d=$WORK/ide_q
		make_images "$d"
		qemu-img convert -f raw -O qcow2 "$d/hd0.img" "$d/hd0.qcow2"
		run_vmm "$d.out" --kernel "$IDE" --disk "file=$d/hd0.qcow2,if=ide" \
			--disk "file=$d/hd1.img,if=ide,format=raw" --cdrom "$d/cd.iso"
		expect_status 3
		expect_ide_lines "$d.out"
		qemu-img convert -f qcow2 -O raw "$d/hd0.qcow2" "$d/hd0.img"
		expect_images "$d"
		end_check "$d.out"
	fi
fi

begin ide_qemu_same
if need_qemu "$CHECK" && need_file "$CHECK" "$IDE"; then
	d=$WORK/ide_qemu
	make_images "$d"
	run_qemu "$d.out" "${QEMU_PC[@]}" -m 512 -kernel "$IDE" \
		-drive "file=$d/hd0.img,if=ide,index=0,format=raw" \
		-drive "file=$d/hd1.img,if=ide,index=1,format=raw" \
		-drive "file=$d/cd.iso,if=ide,index=2,media=cdrom,format=raw"
	expect_status 3
	expect_ide_lines "$d.out"
	expect_images "$d"
	if [ -f "$WORK/ide_vmm.out" ]; then
		grep -v '^KIT: \[vmm\]' "$WORK/ide_vmm.out" >"$WORK/ide_vmm.cmp"
		grep -v '^KIT: \[vmm\]' "$d.out" >"$d.cmp"
		expect_same_kit_lines "$WORK/ide_vmm.cmp" "$d.cmp"
	fi
	end_check "$d.out"
fi

# bad_input NAME LINE ARGS...: status 2 and exactly one line, LINE.
bad_input() {
	local name=$1 line=$2
	shift 2
	begin "$name"
	run_vmm "$WORK/$name" --kernel "$GUEST/hello.bzImage" "$@"
	expect_status 2
	expect_line "$line" "$WORK/$name"
	[ "$(wc -l <"$WORK/$name")" = 1 ] || _why "more than one line"
	end_check "$WORK/$name"
}

bad_input ide_missing_disk "vmm: --disk '$WORK/ide_none.img': No such file or directory" \
	--disk "file=$WORK/ide_none.img,if=ide"
bad_input ide_missing_iso "vmm: --cdrom '$WORK/ide_none.iso': No such file or directory" \
	--cdrom "$WORK/ide_none.iso"
# As root every file is readable: a directory stands for the unreadable ISO.
bad_input ide_unreadable_iso "vmm: --cdrom '$WORK/ide_orig': not a regular file or block device" \
	--cdrom "$WORK/ide_orig"
bad_input ide_five_drives "vmm: --disk: at most 4 IDE drives (--cdrom counts), got 5" \
	--disk "file=$WORK/ide_orig/hd0.img,if=ide" --disk "file=$WORK/ide_orig/hd0.img,if=ide" \
	--disk "file=$WORK/ide_orig/hd0.img,if=ide" --disk "file=$WORK/ide_orig/hd0.img,if=ide" \
	--cdrom "$WORK/ide_orig/cd.iso"
bad_input ide_bad_if "vmm: --disk: bad option 'if=scsi' in 'file=$WORK/ide_orig/hd0.img,if=scsi'" \
	--disk "file=$WORK/ide_orig/hd0.img,if=scsi"
