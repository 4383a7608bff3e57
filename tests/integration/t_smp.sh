#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every vCPU of the MADT starts (INIT-SIPI-SIPI) and reports its APIC ID.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# expect_cpus N FILE: "cpu I up" for I in 0..N-1 and "cpus=N".
expect_cpus() {
	local i

	for ((i = 0; i < $1; i++)); do
		expect_line "KIT: cpu $i up" "$2"
	done
	expect_line "KIT: cpus=$1" "$2"
	[ "$(grep -c '^KIT: cpu [0-9]* up$' "$2")" -eq "$1" ] ||
		_why "expected $1 'cpu N up' lines"
}

for n in 1 2; do
	begin "smp_${n}_vmm"
	if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/smp.bzImage"; then
		run_vmm "$WORK/smp$n.vmm" --kernel "$GUEST/smp.bzImage" --cpus $n
		expect_status 3
		expect_cpus $n "$WORK/smp$n.vmm"
		expect_no_grep "KIT: (FAIL|exception)" "$WORK/smp$n.vmm"
		end_check "$WORK/smp$n.vmm"
	fi
done

begin smp_2_qemu
if need_qemu "$CHECK"; then
	run_qemu "$WORK/smp2.qemu" "${QEMU_MICROVM[@]}" -smp 2 -kernel "$GUEST/smp.bzImage"
	expect_status 3
	expect_cpus 2 "$WORK/smp2.qemu"
	if [ -s "$WORK/smp2.vmm" ]; then
		expect_same_kit_lines "$WORK/smp2.vmm" "$WORK/smp2.qemu" sorted
	fi
	end_check "$WORK/smp2.qemu"
fi
