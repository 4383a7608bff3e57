#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# ACPI S5 power-off found through the guest's own tables: exit status 0.
# QEMU pc takes the PM1a_CNT path, microvm the hardware-reduced one.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

begin poweroff_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/poweroff.bzImage"; then
	run_vmm "$WORK/poweroff.vmm" --kernel "$GUEST/poweroff.bzImage"
	expect_status 0
	expect_line "KIT: powering off" "$WORK/poweroff.vmm"
	expect_no_grep "KIT: (FAIL|poweroff:|exception)" "$WORK/poweroff.vmm"
	end_check "$WORK/poweroff.vmm"
fi

for m in pc microvm; do
	begin "poweroff_qemu_${m}"
	need_qemu "$CHECK" || continue
	machine="QEMU_${m^^}[@]"
	run_qemu "$WORK/poweroff.$m" "${!machine}" -kernel "$GUEST/poweroff.bzImage"
	expect_status 0
	expect_line "KIT: powering off" "$WORK/poweroff.$m"
	expect_no_grep "KIT: (FAIL|poweroff:|exception)" "$WORK/poweroff.$m"
	end_check "$WORK/poweroff.$m"
done
