#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh: background
# The Debian guest on the PC devices (t_linux.sh has the virtio ones; the
# two boots run side by side, each on a core): an IDE disk and an ATAPI
# CD-ROM that Linux's ata_piix drives (vmm.idetest: /init reads a sector of
# each), and the standard VGA, whose bochs-drm driver gives a framebuffer
# console; /init writes a line to it, and the screenshot vmm saves at exit
# must show that line in the console font. QEMU's run of the same checks is
# t_linux.sh's oracle boot.
#
# The same boot checks the guest shunt driver (enlight/guest/shunt.c), built
# here against the guest kernel's Debian headers (installed when missing,
# as root) and appended to the initramfs: after ata_piix had the disk as
# /dev/sda (vmm.shunttest: /init checksums it), a denied shunt leaves it
# alone, the shunt switches it to /dev/vda (same checksum, a sector
# written), and ata_piix again finds the CD-ROM but no disk.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/linux_lib.sh
. "$(dirname "$0")/linux_lib.sh"
RUN_TIMEOUT=${LINUX_TIMEOUT:-2700} # a hang guard: 1109-1500 s seen here (shunt steps ~250 s)
SHUNT=build/shunt/shunt.ko

# shunt_build: make shunt, after installing the headers if need be.
shunt_build() {
	local ver kdir log=$WORK/shunt_build
	begin shunt_build
	ver=$(cat "$LINUX/VERSION" 2>/dev/null)
	[ -n "$ver" ] || { _why "no $LINUX/VERSION (make linux-guest)"; end_check; return 1; }
	kdir=/usr/src/linux-headers-$ver
	if [ ! -e "$kdir/Makefile" ] && [ "$(id -u)" = 0 ]; then
		echo "INFO shunt_build: apt-get install linux-headers-$ver"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q "linux-headers-$ver" >"$log.apt" 2>&1 ||
			{ apt-get update -q >>"$log.apt" 2>&1 &&
				apt-get install -y -q "linux-headers-$ver" >>"$log.apt" 2>&1; } ||
			_why "apt-get install linux-headers-$ver failed (see $log.apt)"
	fi
	MAKEFLAGS= make -s shunt LINUX_OUT="$LINUX" >"$log" 2>&1 || _why "make shunt failed"
	if [ -s "$SHUNT" ]; then
		[ "$(modinfo -F vermagic "$SHUNT" | cut -d' ' -f1)" = "$ver" ] ||
			_why "$SHUNT is not built for $ver"
		[ "$(modinfo -F alias "$SHUNT")" = "pci:v00008086d00007010sv00001AF4sd00001E17bc*sc*i*" ] ||
			_why "$SHUNT has the wrong PCI alias"
	else
		_why "no $SHUNT"
	fi
	end_check "$log"
	[ -z "$WHY" ]
}

# shunt_initrd OUT: the guest's initramfs and a second cpio with shunt.ko
# (the kernel unpacks concatenated archives), without debug information.
shunt_initrd() {
	local dir=$1.root ver
	ver=$(cat "$LINUX/VERSION")
	rm -rf "$dir" && mkdir -p "$dir/lib/modules/$ver/extra" &&
		objcopy --strip-debug -R .orc_unwind -R .orc_unwind_ip -R .rela.orc_unwind_ip \
			-R .BTF "$SHUNT" "$dir/lib/modules/$ver/extra/shunt.ko" &&
		(cd "$dir" && find . -mindepth 1 | sort | cpio -o -H newc -R 0:0 --quiet) \
			>"$1.tail" && cat "$LINUX/initramfs.cpio" "$1.tail" >"$1"
}

# expect_shunt LOG IMAGE: the shunt's lines; the data the disk held before
# the boot (its first 256 KiB) read the same through ata_piix and the shunt.
expect_shunt() {
	local sum
	sum=$(head -c 256K "$2" | md5sum | cut -d' ' -f1)
	expect_line "VMM-SHUNT-SUM sda=$sum" "$1"
	expect_line "VMM-SHUNT-DENIED no-vda" "$1"
	expect_grep "shunt 0000:00:[0-9a-f]{2}\.[0-7]: denied by the host \(product 1 build 99\)" "$1"
	expect_line "vmm: enlightened mode refused to guest driver 1:99 (--enlight-deny)" "$1"
	expect_grep "shunt 0000:00:[0-9a-f]{2}\.[0-7]: drive 0 enlightened: virtio[0-9]+$" "$1"
	expect_line "VMM-SHUNT vda vda=131072" "$1"
	expect_line "VMM-SHUNT-SUM vda=$sum" "$1"
	expect_line "VMM-SHUNT-WRITE ok" "$1"
	expect_line "VMM-SHUNT-IDE ata_piix no-sda sr0 sr0=cd0000000000016 vda=$sum" "$1"
	expect_grep "^enlight ide0-hd0: mode enlightened; emulated: [0-9]+ exits, [0-9]+ requests, 0 shunted; enlightened: [0-9]+ exits, [0-9]+ kicks, [1-9][0-9]* requests; switches 1," "$1"
	expect_no_grep "WARNING:|BUG:|Oops|Resources present before probing|VMM-SHUNT-FAILED" "$1"
	[ "$(dd if="$2" bs=512 skip=4096 count=1 status=none | head -c 18)" = shunt0000000004096 ] ||
		_why "the sector written through /dev/vda is not in the image"
}

name=linux_pc_devices
SHUNT_ARGS=() SHUNT_APPEND= INITRD=$LINUX/initramfs.cpio
if shunt_build && shunt_initrd "$WORK/$name.initrd"; then
	SHUNT_ARGS=(--enlight-deny 1:99) SHUNT_APPEND=" vmm.shunttest" INITRD=$WORK/$name.initrd
fi
begin "$name"
if need_kvm "$CHECK" && need_file "$CHECK" "$LINUX/vmlinux" &&
	need_file "$CHECK" "$LINUX/initramfs.cpio"; then
	# The first 256 KiB hold numbered records: the shunt test reads them.
	if ide_images "$WORK/$name" &&
		records sec 1 511 12 32 | dd of="$WORK/$name.ide.img" bs=512 seek=1 \
			conv=notrunc status=none; then
		_run "$WORK/$name" "$VMM" --kernel "$LINUX/vmlinux" \
			--initrd "$INITRD" --append "$APPEND vmm.idetest$SHUNT_APPEND" \
			--mem 256M --on-reset exit --stats "${SHUNT_ARGS[@]}" \
			--disk "file=$WORK/$name.ide.img,if=ide" --cdrom "$WORK/$name.ide.iso" \
			--display none --screenshot-on-exit "$WORK/$name.bmp"
		expect_status 0
		expect_grep "^VMM-GUEST-UP nproc=1 uptime=[0-9]+\.[0-9]+$" "$WORK/$name"
		expect_pc_devices "$WORK/$name" "$WORK/$name.bmp"
		echo "INFO $name: wall time $((ELAPSED_MS / 1000)).$((ELAPSED_MS % 1000 / 100)) s"
	else
		_why "cannot write the IDE images"
	fi
	end_check "$WORK/$name"
	if [ -n "$SHUNT_APPEND" ]; then
		begin linux_shunt
		expect_status 0
		expect_shunt "$WORK/$name" "$WORK/$name.ide.img"
		end_check "$WORK/$name"
		# shellcheck disable=SC2046 # one word per step
		echo "INFO linux_shunt: guest uptime at each step:" \
			$(sed -n 's/^VMM-SHUNT-T //p' "$WORK/$name")
	fi
fi
