#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --on-reset reboot (the default): an i8042 reset reboots the guest, which
# boots again from the start (a fresh KVM VM over the same RAM).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

begin reboot_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/reset.bzImage"; then
	run_vmm "$WORK/reboot" --kernel "$GUEST/reset.bzImage" --timeout 3
	expect_status 124
	n=$(grep -c '^KIT: resetting$' "$WORK/reboot")
	[ "$n" -ge 2 ] || _why "booted $n times, expected at least 2"
	expect_grep '^vmm: guest reset: rebooting$' "$WORK/reboot"
	expect_no_grep 'KIT: FAIL' "$WORK/reboot"
	end_check "$WORK/reboot"
fi

# After a reboot the APs start again: vCPUs, LAPICs, IOAPIC, PIC and PIT are
# back to power-on state. QEMU (rebooting, no -no-reboot) is the oracle.
for cpus in 1 2; do
	begin "reboot_smp_${cpus}_vmm"
	if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/smpreset.bzImage"; then
		run_vmm "$WORK/smpreset$cpus" --kernel "$GUEST/smpreset.bzImage" --cpus "$cpus"
		expect_status 3
		expect_line "KIT: boot 1 cpus=$cpus" "$WORK/smpreset$cpus"
		expect_line "KIT: boot 2 cpus=$cpus" "$WORK/smpreset$cpus"
		end_check "$WORK/smpreset$cpus"
	fi
done

begin reboot_smp_2_qemu
if need_qemu "$CHECK" && need_file "$CHECK" "$GUEST/smpreset.bzImage"; then
	_run "$WORK/smpreset.qemu" "$QEMU" -enable-kvm -nodefaults -nographic -monitor none \
		-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 "${QEMU_PC[@]}" \
		-smp 2 -kernel "$GUEST/smpreset.bzImage"
	expect_status 3
	expect_same_kit_lines "$WORK/smpreset2" "$WORK/smpreset.qemu"
	end_check "$WORK/smpreset.qemu"
fi
