# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# What t_linux.sh and t_linux_pc.sh share: the Debian guest's files and
# command line, and the PC-device images and checks.

LINUX=${LINUX:-build/linux}
APPEND="$(cat tests/guest/linux/cmdline) vmm.mode=poweroff panic=-1"

# The PC devices: an IDE disk and CD-ROM (vmm.idetest: /init waits for
# ata_piix's two SCSI devices and reads a sector of each) and the standard
# VGA, whose bochs-drm framebuffer console /init writes a line to; vmm saves
# the screen at exit. The images hold numbered records (lib.sh's records).
ide_images() {
	rm -f "$1.ide.img" && truncate -s 64M "$1.ide.img" &&
		records sec 0 1 12 32 | dd of="$1.ide.img" conv=notrunc status=none &&
		records cd 0 32 13 128 >"$1.ide.iso"
}
IDE_LINES=("VMM-IDE ata_piix sda sr0 sda=131072 sr0=128"
	   "VMM-IDE-DATA sda=sec000000000000 sr0=cd0000000000016")
FONT=/usr/share/consolefonts/default8x16.psf.gz

# expect_pc_devices LOG BMP: what Linux made of the IDE and VGA devices
expect_pc_devices() {
	local l
	for l in "${IDE_LINES[@]}"; do
		expect_line "$l" "$1"
	done
	expect_grep 'ata1: PATA max MWDMA2 cmd 0x1f0 ctl 0x3f6 bmdma 0x[0-9a-f]+ irq 14' "$1"
	expect_grep 'ata2\.00: ATAPI: VMM DVD-ROM' "$1"
	expect_grep '^ide0-hd0: [0-9]+ commands, [0-9]+ errors, [1-9][0-9]* DMA transfers' "$1"
	expect_line "VMM-FB bochs-drmdrmfb" "$1"
	[ -s "$2" ] || { _why "no screenshot at exit ($2)"; return; }
	python3 tests/integration/vga_check.py find "$2" "FB IS UP" "$FONT" 8 \
		>/dev/null 2>&1 || _why "the screenshot does not show 'FB IS UP' in 8x16 cells"
}

