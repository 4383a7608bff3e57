#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PVH direct boot of an ELF kernel (how the Debian vmlinux is booted): the
# kit's pvh.elf checks the entry state, prints the command line and the
# module count, and exits through debug-exit with 0x20 + modules. QEMU
# boots the same file through its own PVH loader: the oracle.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

PVH=$GUEST/pvh.elf
printf 'initrd bytes' >"$WORK/pvh.initrd"

begin pvh_boot_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$PVH"; then
	run_vmm "$WORK/pvh.vmm" --kernel "$PVH" --append "a b=c"
	expect_status 65
	expect_grep "^pvh: hello, cmdline 'a b=c( clearcpuid=[^']*)?' modules 0 memmap [0-9]$" "$WORK/pvh.vmm"
	end_check "$WORK/pvh.vmm"
fi

begin pvh_initrd_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$PVH"; then
	run_vmm "$WORK/pvhi.vmm" --kernel "$PVH" --initrd "$WORK/pvh.initrd"
	expect_status 67
	expect_grep "^pvh: hello, cmdline '(clearcpuid=[^']*)?' modules 1 memmap [0-9]$" "$WORK/pvhi.vmm"
	end_check "$WORK/pvhi.vmm"
fi

begin pvh_initrd_qemu
if need_qemu "$CHECK" && need_file "$CHECK" "$PVH"; then
	run_qemu "$WORK/pvhi.qemu" "${QEMU_MICROVM[@]}" -kernel "$PVH" \
		-initrd "$WORK/pvh.initrd" -append "a b=c"
	expect_status 67
	expect_grep "^pvh: hello, cmdline 'a b=c' modules 1 memmap [0-9]$" "$WORK/pvhi.qemu"
	end_check "$WORK/pvhi.qemu"
fi
