#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A guest that triple-faults ends vmm with the crash status (8) and a
# register dump on stderr.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

begin crash_triple_fault_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/triple.bzImage"; then
	run_vmm "$WORK/triple" --kernel "$GUEST/triple.bzImage" --on-reset reboot
	expect_status 8
	expect_line "KIT: triple faulting" "$WORK/triple"
	expect_grep '^vmm: guest crash on vCPU 0: triple fault$' "$WORK/triple"
	expect_grep '^ rip [0-9a-f]{16} rsp [0-9a-f]{16}' "$WORK/triple"
	expect_grep '^ cr0 [0-9a-f]{16} cr2' "$WORK/triple"
	expect_no_grep 'KIT: FAIL' "$WORK/triple"
	end_check "$WORK/triple"
fi

# Executing from MMIO: KVM cannot emulate the fetch, an internal error.
begin crash_internal_error_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/mmioexec.bzImage"; then
	run_vmm "$WORK/mmioexec" --kernel "$GUEST/mmioexec.bzImage"
	expect_status 8
	expect_line "KIT: executing from MMIO" "$WORK/mmioexec"
	expect_grep '^vmm: guest crash on vCPU 0: KVM internal error \(suberror 1' "$WORK/mmioexec"
	expect_grep '^ rip 00000000d0000000 ' "$WORK/mmioexec"
	end_check "$WORK/mmioexec"
fi
