#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot images for t_bios.sh, from Debian packages and without loop mounts:
#   mkbootimg.sh syslinux OUT KERNEL   MBR disk, FAT16 partition, SYSLINUX
#   mkbootimg.sh grub     OUT KERNEL   MBR disk, ext2 partition, GRUB 2 (i386-pc)
#   mkbootimg.sh iso      OUT KERNEL   ISO 9660 with ISOLINUX (El Torito no-emulation)
# Every loader boots KERNEL with "console=ttyS0" at once (no menu, no timeout).
# GRUB_COMPRESS=none: an uncompressed core.img (no LZMA decompression at boot).
set -eu
kind=$1 out=$2 kernel=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SYSLINUX_BIOS=/usr/lib/syslinux/modules/bios
PART_START=2048 # sectors: the partition at 1 MiB

# An MBR partition table with one bootable partition of type $1, $2 MiB.
mbr_disk() {
	truncate -s $(($2 + 1))M "$out"
	echo "start=$PART_START, type=$1, bootable" | sfdisk -q --no-reread "$out" >/dev/null
}

case $kind in
syslinux)
	mbr_disk 6 16
	part="$tmp/part.img"
	truncate -s 16M "$part"
	mkfs.fat -F 16 -h $PART_START -n VMMBOOT "$part" >/dev/null
	printf 'DEFAULT vmm\nPROMPT 0\nTIMEOUT 0\nLABEL vmm\n  KERNEL /kernel\n  APPEND console=ttyS0\n' \
		>"$tmp/syslinux.cfg"
	mcopy -i "$part" "$kernel" ::kernel
	mcopy -i "$part" "$tmp/syslinux.cfg" ::syslinux.cfg
	syslinux --install "$part"
	dd if="$part" of="$out" bs=512 seek=$PART_START conv=notrunc status=none
	dd if=/usr/lib/syslinux/mbr/mbr.bin of="$out" bs=440 count=1 conv=notrunc status=none
	;;
grub)
	mbr_disk 83 16
	mkdir -p "$tmp/root/boot/grub"
	cp "$kernel" "$tmp/root/boot/kernel"
	printf 'set timeout=0\nset default=0\nmenuentry vmm {\n  linux /boot/kernel console=ttyS0\n  boot\n}\n' \
		>"$tmp/root/boot/grub/grub.cfg"
	mke2fs -q -t ext2 -d "$tmp/root" "$tmp/part.img" 16M >/dev/null 2>&1
	dd if="$tmp/part.img" of="$out" bs=512 seek=$PART_START conv=notrunc status=none
	printf 'set root=(hd0,msdos1)\nset prefix=(hd0,msdos1)/boot/grub\nconfigfile /boot/grub/grub.cfg\n' \
		>"$tmp/early.cfg"
	grub-mkimage -O i386-pc ${GRUB_COMPRESS:+-C $GRUB_COMPRESS} -o "$tmp/core.img" -c "$tmp/early.cfg" -p /boot/grub \
		biosdisk part_msdos ext2 linux normal configfile
	core_sectors=$((($(stat -c %s "$tmp/core.img") + 511) / 512))
	[ "$core_sectors" -lt $PART_START ] || { echo "core.img too big"; exit 1; }
	# boot.img: the MBR, keeping the partition table (bytes 440..511).
	dd if=/usr/lib/grub/i386-pc/boot.img of="$out" bs=440 count=1 conv=notrunc status=none
	# boot.img reads core.img's first sector from LBA 1 (its default at 0x5c).
	dd if="$tmp/core.img" of="$out" bs=512 seek=1 conv=notrunc status=none
	;;
iso)
	mkdir -p "$tmp/iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin "$SYSLINUX_BIOS/ldlinux.c32" "$tmp/iso/isolinux/"
	cp "$kernel" "$tmp/iso/kernel"
	printf 'DEFAULT vmm\nPROMPT 0\nTIMEOUT 0\nLABEL vmm\n  KERNEL /kernel\n  APPEND console=ttyS0\n' \
		>"$tmp/iso/isolinux/isolinux.cfg"
	xorriso -as mkisofs -quiet -o "$out" -b isolinux/isolinux.bin -c isolinux/boot.cat \
		-no-emul-boot -boot-load-size 4 -boot-info-table "$tmp/iso" 2>/dev/null
	;;
*)
	echo "mkbootimg.sh: unknown image kind '$kind'" >&2
	exit 2
	;;
esac
