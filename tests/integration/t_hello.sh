#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A guest's first words on COM1, through vmm and through QEMU: the kit's
# hello, and null (a bzImage without the kit: 16-bit and 64-bit entries).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

begin hello_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/hello.bzImage"; then
	run_vmm "$WORK/hello.vmm" --kernel "$GUEST/hello.bzImage"
	expect_status 3
	expect_line "KIT: hello from vCPU 0" "$WORK/hello.vmm"
	expect_no_grep "KIT: (FAIL|exception)" "$WORK/hello.vmm"
	end_check "$WORK/hello.vmm"
fi

# The same file through QEMU's real-mode entry, on both machine types.
for m in microvm pc; do
	begin "hello_qemu_${m}"
	need_qemu "$CHECK" || continue
	machine="QEMU_${m^^}[@]"
	run_qemu "$WORK/hello.$m" "${!machine}" -kernel "$GUEST/hello.bzImage"
	expect_status 3
	expect_line "KIT: hello from vCPU 0" "$WORK/hello.$m"
	if [ -s "$WORK/hello.vmm" ]; then
		expect_same_kit_lines "$WORK/hello.vmm" "$WORK/hello.$m"
	fi
	end_check "$WORK/hello.$m"
done

begin null_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/null.bzImage"; then
	run_vmm "$WORK/null.vmm" --kernel "$GUEST/null.bzImage"
	expect_status 1
	expect_line "null: hello" "$WORK/null.vmm"
	end_check "$WORK/null.vmm"
fi

begin null_qemu_microvm
if need_qemu "$CHECK"; then
	run_qemu "$WORK/null.qemu" "${QEMU_MICROVM[@]}" -kernel "$GUEST/null.bzImage"
	expect_status 1
	expect_line "null: hello" "$WORK/null.qemu"
	end_check "$WORK/null.qemu"
fi
