#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A reset through the i8042 (0xfe to port 0x64). vmm --on-reset exit exits
# with 4; QEMU -no-reboot exits with 0. Either way the guest must not live
# on to print its failure line (it waits a second for the reset).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

begin reset_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/reset.bzImage"; then
	run_vmm "$WORK/reset.vmm" --kernel "$GUEST/reset.bzImage" --on-reset exit
	expect_status 4
	expect_line "KIT: resetting" "$WORK/reset.vmm"
	expect_no_grep "KIT: (FAIL|exception)" "$WORK/reset.vmm"
	end_check "$WORK/reset.vmm"
fi

# microvm has no i8042.
begin reset_qemu_pc
if need_qemu "$CHECK"; then
	run_qemu "$WORK/reset.pc" "${QEMU_PC[@]}" -kernel "$GUEST/reset.bzImage"
	expect_status 0
	expect_line "KIT: resetting" "$WORK/reset.pc"
	expect_no_grep "KIT: (FAIL|exception)" "$WORK/reset.pc"
	end_check "$WORK/reset.pc"
fi
