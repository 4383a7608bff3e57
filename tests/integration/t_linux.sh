#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# run.sh: background
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
own_work=${WORK:+no} # set: run.sh's $WORK, which must outlive this script
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# shellcheck source=tests/integration/linux_lib.sh
. "$(dirname "$0")/linux_lib.sh"
RUN_TIMEOUT=${LINUX_TIMEOUT:-2400} # a hang guard: 744-972 s seen here
one_cpu_ms=

# The guest gets every virtio device (disk, network, console, rng), and no
# VGA (t_linux_pc.sh has it: its drm modules are minutes at ring 0); /init
# lists what the stock drivers made of them and, with vmm.disktest, writes a
# file into the ext4 file system on /dev/vda, which the host reads back.
# The tap lives in a network namespace of the test's own; nothing is sent.
NS=vmmlinux$$
if ip netns add "$NS" 2>/dev/null; then
	# Only the namespace: $WORK belongs to run.sh when it runs us.
	trap 'ip netns del "$NS" 2>/dev/null; [ -n "$own_work" ] || rm -rf "$WORK"' EXIT
	ip netns exec "$NS" ip tuntap add dev tapl0 mode tap 2>/dev/null &&
		ip netns exec "$NS" ip link set tapl0 up || NS=
else
	NS=
fi
if [ -n "$NS" ]; then
	IN_NS=(ip netns exec "$NS")
	NET_VMM=(--net tap=tapl0)
	NET_QEMU=(-netdev tap,id=n0,ifname=tapl0,script=no,downscript=no
		  -device virtio-net-pci,netdev=n0)
	ETH=eth0
else
	echo "SKIP linux_net: cannot create a network namespace with a tap (not root?)"
	IN_NS=() NET_VMM=() NET_QEMU=() ETH=no-eth0
fi
DEVICES="VMM-DEVICES vda $ETH hvc0 hwrng"

# fresh_disk NAME: a 64 MiB ext4 image
fresh_disk() {
	rm -f "$1" && truncate -s 64M "$1" && mkfs.ext4 -q -F "$1"
}

# expect_guest_file IMAGE: the file /init wrote, read back with debugfs
expect_guest_file() {
	local got
	got=$(debugfs -R "cat /vmm-guest.txt" "$1" 2>/dev/null)
	case "$got" in
	"written by "*" in vmm") ;;
	*) _why "the image holds no /vmm-guest.txt from the guest (debugfs: '$got')" ;;
	esac
	e2fsck -fn "$1" >/dev/null 2>&1 || _why "e2fsck -fn finds errors in the image"
}

boot_vmm() {
	local cpus=$1 name=linux_boot_${1}cpu
	begin "$name"
	need_kvm "$CHECK" || return
	need_file "$CHECK" "$LINUX/vmlinux" || return
	need_file "$CHECK" "$LINUX/initramfs.cpio" || return
	fresh_disk "$WORK/$name.img" || { _why "mkfs.ext4 failed"; end_check; return; }
	_run "$WORK/$name" "${IN_NS[@]}" "$VMM" --kernel "$LINUX/vmlinux" \
		--initrd "$LINUX/initramfs.cpio" --append "$APPEND vmm.disktest" --mem 256M \
		--cpus "$cpus" --on-reset exit --stats --disk "file=$WORK/$name.img" \
		"${NET_VMM[@]}" --console virtio --rng --vga none
	expect_status 0
	expect_grep "^VMM-GUEST-UP nproc=$cpus uptime=[0-9]+\.[0-9]+$" "$WORK/$name"
	expect_line "$DEVICES" "$WORK/$name"
	expect_line "VMM-DISK-OK" "$WORK/$name"
	expect_guest_file "$WORK/$name.img"
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

# The oracle: the same kernel (as Debian ships it) and initramfs under QEMU's
# TCG, with the virtio devices and the PC ones of t_linux_pc.sh at once.
begin linux_boot_qemu_tcg
if need_qemu "$CHECK" && need_file "$CHECK" "$LINUX/vmlinuz"; then
	fresh_disk "$WORK/linux.qemu.img"
	ide_images "$WORK/linux.qemu"
	RUN_TIMEOUT=600 _run "$WORK/linux.qemu" "${IN_NS[@]}" "$QEMU" -accel tcg -M pc \
		-cpu max -m 256 -nodefaults -display none -vga std -no-reboot -monitor none \
		-serial stdio -kernel "$LINUX/vmlinuz" -initrd "$LINUX/initramfs.cpio" \
		-append "$APPEND vmm.disktest vmm.idetest" "${NET_QEMU[@]}" \
		-drive "file=$WORK/linux.qemu.img,if=none,id=d0,format=raw" \
		-device virtio-blk-pci,drive=d0 -device virtio-rng-pci \
		-device virtio-serial-pci -device virtconsole \
		-drive "file=$WORK/linux.qemu.ide.img,if=ide,index=0,format=raw" \
		-drive "file=$WORK/linux.qemu.ide.iso,if=ide,index=2,media=cdrom,format=raw"
	expect_status 0
	expect_grep "^VMM-GUEST-UP nproc=1 uptime=[0-9]+\.[0-9]+$" "$WORK/linux.qemu"
	expect_line "$DEVICES" "$WORK/linux.qemu"
	expect_line "VMM-DISK-OK" "$WORK/linux.qemu"
	for l in "${IDE_LINES[@]}"; do
		expect_line "$l" "$WORK/linux.qemu"
	done
	expect_line "VMM-FB bochs-drmdrmfb" "$WORK/linux.qemu"
	expect_guest_file "$WORK/linux.qemu.img"
	echo "INFO linux_boot_qemu_tcg: wall time $((ELAPSED_MS / 1000)).$((ELAPSED_MS % 1000 / 100)) s"
	end_check "$WORK/linux.qemu"
fi
