#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The default guest: Debian's kernel (PVH-booted ELF vmlinux) and the busybox
# initramfs of tests/guest/linux/, non-interactive (vmm.mode=poweroff): /init
# prints "VMM-GUEST-UP nproc=N uptime=S" and powers off through ACPI S5,
# which must end vmm with status 0.
#
# On a host whose KVM emulates guest ring 0 one instruction at a time the
# boot takes many minutes (README, "The Debian kernel"); if the 1-vCPU boot
# took longer than 10 minutes, the 2-vCPU boot is skipped unless
# VMM_TEST_LINUX_SMP=1. QEMU (TCG: its KVM cannot run this kernel on such a
# host) boots the same files as the oracle for the guest itself.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

LINUX=${LINUX:-build/linux}
APPEND="$(cat tests/guest/linux/cmdline) vmm.mode=poweroff panic=-1"
RUN_TIMEOUT=${LINUX_TIMEOUT:-1500}
one_cpu_ms=

boot_vmm() {
	local cpus=$1 name=linux_boot_${1}cpu
	begin "$name"
	need_kvm "$CHECK" || return
	need_file "$CHECK" "$LINUX/vmlinux" || return
	need_file "$CHECK" "$LINUX/initramfs.cpio" || return
	run_vmm "$WORK/$name" --kernel "$LINUX/vmlinux" --initrd "$LINUX/initramfs.cpio" \
		--append "$APPEND" --mem 256M --cpus "$cpus" --on-reset exit --stats
	expect_status 0
	expect_grep "^VMM-GUEST-UP nproc=$cpus uptime=[0-9]+\.[0-9]+$" "$WORK/$name"
	echo "INFO $name: wall time $((ELAPSED_MS / 1000)).$((ELAPSED_MS % 1000 / 100)) s"
	grep -E "^(cpu model|emulated in user space|[a-z].* +[0-9]+$)" "$WORK/$name" |
		grep -vE "^(COM|i8042|rtc|port80|debug|acpi|\(unclaimed)" | sed 's/^/INFO   /'
	[ "$cpus" = 1 ] && one_cpu_ms=$ELAPSED_MS
	end_check "$WORK/$name"
}

boot_vmm 1
if [ -z "$one_cpu_ms" ] || [ "$one_cpu_ms" -le 600000 ] || [ "${VMM_TEST_LINUX_SMP:-}" = 1 ]; then
	boot_vmm 2
else
	skip linux_boot_2cpu "the 1-vCPU boot took $((one_cpu_ms / 1000)) s here (> 10 min: ring 0 \
is emulated); VMM_TEST_LINUX_SMP=1 runs it"
fi

# The oracle: the same kernel (as Debian ships it) and initramfs under QEMU's TCG.
begin linux_boot_qemu_tcg
if need_qemu "$CHECK" && need_file "$CHECK" "$LINUX/vmlinuz"; then
	RUN_TIMEOUT=600 _run "$WORK/linux.qemu" "$QEMU" -accel tcg -M pc -cpu max -m 256 \
		-nodefaults -nographic -no-reboot -monitor none -serial stdio \
		-kernel "$LINUX/vmlinuz" -initrd "$LINUX/initramfs.cpio" -append "$APPEND"
	expect_status 0
	expect_grep "^VMM-GUEST-UP nproc=1 uptime=[0-9]+\.[0-9]+$" "$WORK/linux.qemu"
	echo "INFO linux_boot_qemu_tcg: wall time $((ELAPSED_MS / 1000)).$((ELAPSED_MS % 1000 / 100)) s"
	end_check "$WORK/linux.qemu"
fi
