#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PCI bus 0 as a guest enumerates it (tests/guest/tests/pcienum.c): under
# vmm through configuration mechanism #1 and through ECAM at the MCFG
# table's base, which must list the same functions; the host bridge is
# 00:00.0, class 060000. Under QEMU -M pc (no MCFG there) the same guest
# must find a host bridge at 00:00.0 too.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# expect_same_functions OUT: the "pci" and "ecam" lines name the same functions.
expect_same_functions() {
	local m1 ecam

	m1=$(sed -n 's/^KIT: pci //p' "$1")
	ecam=$(sed -n 's/^KIT: ecam //p' "$1")
	[ -n "$m1" ] && [ "$m1" = "$ecam" ] ||
		_why "mechanism #1 and ECAM disagree: '$m1' vs '$ecam'"
}

begin pci_enum_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/pcienum.bzImage"; then
	run_vmm "$WORK/pci" --kernel "$GUEST/pcienum.bzImage"
	expect_status 3
	expect_line "KIT: pci 00:00.0 8086:29c0 class 060000" "$WORK/pci"
	expect_line "KIT: MCFG base 0xe0000000 buses 0-0" "$WORK/pci"
	expect_line "KIT: ecam 00:00.0 8086:29c0 class 060000" "$WORK/pci"
	expect_same_functions "$WORK/pci"
	expect_no_grep "KIT: FAIL" "$WORK/pci"
	end_check "$WORK/pci"
fi

# A virtio-rng on PCI (where the tree has it): a function with a memory BAR,
# the same through both mechanisms, and BAR sizing leaves it in place.
begin pci_enum_vmm_virtio
if [ ! -e virtio/rng.c ]; then
	skip "$CHECK" "no virtio-rng in this tree"
elif need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/pcienum.bzImage"; then
	run_vmm "$WORK/pci.rng" --kernel "$GUEST/pcienum.bzImage" --rng
	expect_status 3
	expect_line "KIT: pci 00:00.0 8086:29c0 class 060000" "$WORK/pci.rng"
	expect_grep "^KIT: pci 00:0[1-9a-f].0 1af4:1044 class [0-9a-f]{6}$" "$WORK/pci.rng"
	expect_grep "^KIT: bar 00:0[1-9a-f].0 [0-5] mem(32|64) size 0x[0-9a-f]+$" "$WORK/pci.rng"
	expect_same_functions "$WORK/pci.rng"
	expect_no_grep "KIT: FAIL" "$WORK/pci.rng"
	end_check "$WORK/pci.rng"
fi

begin pci_enum_qemu_pc
if need_qemu "$CHECK" && need_file "$CHECK" "$GUEST/pcienum.bzImage"; then
	run_qemu "$WORK/pci.qemu" "${QEMU_PC[@]}" -kernel "$GUEST/pcienum.bzImage"
	expect_status 3
	expect_grep "^KIT: pci 00:00.0 [0-9a-f]{4}:[0-9a-f]{4} class 060000$" "$WORK/pci.qemu"
	expect_line "KIT: no MCFG" "$WORK/pci.qemu"
	expect_no_grep "KIT: FAIL" "$WORK/pci.qemu"
	end_check "$WORK/pci.qemu"
fi
