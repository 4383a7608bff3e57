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
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/integration/linux_lib.sh
. "$(dirname "$0")/linux_lib.sh"
RUN_TIMEOUT=${LINUX_TIMEOUT:-1500}

name=linux_pc_devices
begin "$name"
if need_kvm "$CHECK" && need_file "$CHECK" "$LINUX/vmlinux" &&
	need_file "$CHECK" "$LINUX/initramfs.cpio"; then
	if ide_images "$WORK/$name"; then
		_run "$WORK/$name" "$VMM" --kernel "$LINUX/vmlinux" \
			--initrd "$LINUX/initramfs.cpio" --append "$APPEND vmm.idetest" \
			--mem 256M --on-reset exit --stats \
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
fi
