#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Nothing decodes port 0x2a0 or MMIO 0xd0000000: reads return all-ones
# (ISA float, PCI master abort). QEMU agrees for the port; its unassigned
# MMIO reads 0, so only vmm is held to all-ones there.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

pio="KIT: pio8=0xff pio16=0xffff pio32=0xffffffff"
mmio="KIT: mmio8=0xff mmio16=0xffff mmio32=0xffffffff"

begin unclaimed_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/unclaimed.bzImage"; then
	run_vmm "$WORK/unclaimed.vmm" --kernel "$GUEST/unclaimed.bzImage"
	expect_status 3
	expect_line "$pio" "$WORK/unclaimed.vmm"
	expect_line "$mmio" "$WORK/unclaimed.vmm"
	end_check "$WORK/unclaimed.vmm"
fi

for m in microvm pc; do
	begin "unclaimed_pio_qemu_${m}"
	need_qemu "$CHECK" || continue
	machine="QEMU_${m^^}[@]"
	run_qemu "$WORK/unclaimed.$m" "${!machine}" -kernel "$GUEST/unclaimed.bzImage"
	expect_status 3
	expect_line "$pio" "$WORK/unclaimed.$m"
	end_check "$WORK/unclaimed.$m"
done
