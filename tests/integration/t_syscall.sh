#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# SYSCALL/SYSRET between ring 3 and ring 0 as Linux uses them: the kit's
# syscall.elf makes three counted system calls and an exit call; status
# 0x30 + 3 -> 103. Where the host's KVM leaves SYSCALL at ring 3 (kvm_pvm),
# vmm completes it (cpu/syscall.c) and says so in --stats. QEMU's TCG is
# the oracle (its KVM on such a host fails this test: status 35 or 37).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ELF=$GUEST/syscall.elf

begin syscall_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$ELF"; then
	run_vmm "$WORK/syscall.vmm" --kernel "$ELF" --stats
	expect_status 103
	expect_no_grep "page fault" "$WORK/syscall.vmm"
	if grep -q "leaves SYSCALL at ring 3" "$WORK/syscall.vmm"; then
		expect_grep "vmm completed it 4 times" "$WORK/syscall.vmm"
	fi
	end_check "$WORK/syscall.vmm"
fi

begin syscall_qemu_tcg
if need_qemu "$CHECK" && need_file "$CHECK" "$ELF"; then
	_run "$WORK/syscall.qemu" "$QEMU" -accel tcg -M microvm -nodefaults -nographic \
		-no-reboot -monitor none -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$ELF"
	expect_status 103
	end_check "$WORK/syscall.qemu"
fi
