#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Firmware boot (no --kernel): vmm's BIOS (bios/fw/) loads a real boot
# loader from an IDE disk or an ATAPI CD-ROM, which loads the kit's hello.
# Images are built here from Debian packages (tests/integration/
# mkbootimg.sh): SYSLINUX on FAT, GRUB 2 on ext2, ISOLINUX on an ISO. The
# same image boots under QEMU -M pc with SeaBIOS (TCG: on this project's
# hosts QEMU/KVM stops at KVM's emulation failure) to the same KIT lines.
# GRUB's boot runs its LZMA decompressor at ring 0, which KVM emulates
# here instruction by instruction (~100 s here); BIOS_GRUB=0 leaves it out.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HELLO=$GUEST/hello.bzImage
MARK="KIT: hello from vCPU 0"
SEABIOS=(-M pc -accel tcg -nodefaults -display none -no-reboot -monitor none -serial stdio
	 -device isa-debug-exit,iobase=0xf4,iosize=0x04)
RUN_TIMEOUT=${BIOS_TIMEOUT:-90}

have_tools() {
	local t

	for t in sfdisk mcopy mkfs.fat syslinux xorriso grub-mkimage mke2fs; do
		command -v "$t" >/dev/null || { skip "$1" "$t is not installed (make deps)"; return 1; }
	done
}

# image KIND: build $WORK/KIND.img once.
image() {
	[ -s "$WORK/$1.img" ] ||
		tests/integration/mkbootimg.sh "$1" "$WORK/$1.img" "$HELLO" >"$WORK/$1.mk" 2>&1
}

# ISOLINUX leaves its banner without a newline: the kit's line starts there.
split_kit() {
	sed -i 's/^\(.\+\)KIT: /\1\nKIT: /' "$1"
}

# boot_check KIND VMM-DRIVE-ARGS QEMU-DRIVE-ARGS
boot_check() {
	local kind=$1 vmm_args=$2 qemu_args=$3

	begin "bios_${kind}_vmm"
	if need_kvm "$CHECK" && need_file "$CHECK" "$HELLO" && have_tools "$CHECK"; then
		if ! image "$kind"; then
			fail "$CHECK" "cannot build the image" "$WORK/$kind.mk"
		else
			# shellcheck disable=SC2086
			run_vmm "$WORK/$kind.vmm" $vmm_args --mem 128M --on-reset exit
			split_kit "$WORK/$kind.vmm"
			expect_status 3
			expect_line "$MARK" "$WORK/$kind.vmm"
			expect_line "vmm BIOS" "$WORK/$kind.vmm"
			expect_grep "^(SYSLINUX|ISOLINUX|GRUB)" "$WORK/$kind.vmm"
			[ "$kind" != iso ] || expect_line "boot: cdrom 0xe0" "$WORK/$kind.vmm"
			echo "bios_${kind}_vmm: ${ELAPSED_MS} ms"
			end_check "$WORK/$kind.vmm"
		fi
	fi
	begin "bios_${kind}_seabios"
	if need_qemu "$CHECK" && have_tools "$CHECK" && image "$kind"; then
		# shellcheck disable=SC2086
		_run "$WORK/$kind.qemu" "$QEMU" "${SEABIOS[@]}" $qemu_args
		split_kit "$WORK/$kind.qemu"
		expect_status 3
		expect_line "$MARK" "$WORK/$kind.qemu"
		if [ -s "$WORK/$kind.vmm" ]; then
			expect_same_kit_lines "$WORK/$kind.vmm" "$WORK/$kind.qemu"
		fi
		echo "bios_${kind}_seabios: ${ELAPSED_MS} ms (TCG)"
		end_check "$WORK/$kind.qemu"
	fi
}

# The BIOS services boot loaders use (tests/guest/bios/biostest.S), checked
# by a boot sector that prints BIOSTEST lines itself: vmm, our BIOS under
# QEMU and SeaBIOS must print the same lines and exit with 33.
BIOSTEST=build/fw/biostest.img
for who in vmm ours seabios; do
	begin "bios_services_$who"
	if [ "$who" = vmm ]; then
		need_kvm "$CHECK" && need_file "$CHECK" "$BIOSTEST" || continue
		cp "$BIOSTEST" "$WORK/biostest.img"
		run_vmm "$WORK/services.$who" --disk "file=$WORK/biostest.img" --on-reset exit
	else
		need_qemu "$CHECK" && need_file "$CHECK" "$BIOSTEST" || continue
		bios=()
		[ "$who" = seabios ] || bios=(-bios build/fw/bios.bin)
		cp "$BIOSTEST" "$WORK/biostest-$who.img"
		_run "$WORK/services.$who" "$QEMU" "${SEABIOS[@]}" "${bios[@]}" \
			-drive "file=$WORK/biostest-$who.img,format=raw,if=ide"
	fi
	expect_status 33
	expect_line "BIOSTEST: int15 86 wait ok" "$WORK/services.$who"
	expect_line "BIOSTEST: rtc kbd ok" "$WORK/services.$who"
	if [ "$who" != vmm ] && [ -s "$WORK/services.vmm" ]; then
		d=$(diff <(grep '^BIOSTEST' "$WORK/services.vmm") <(grep '^BIOSTEST' "$WORK/services.$who")) ||
			_why "BIOSTEST lines differ: $(echo "$d" | grep '^[<>]' | head -3 | tr '\n' ' ')"
	fi
	end_check "$WORK/services.$who"
done

boot_check syslinux "--disk file=$WORK/syslinux.img" \
	"-drive file=$WORK/syslinux.img,format=raw,if=ide"
# With a bootable disk there too: --boot cdrom puts the CD-ROM first.
boot_check iso "--disk file=$WORK/syslinux.img --cdrom $WORK/iso.img --boot cdrom" \
	"-drive file=$WORK/iso.img,media=cdrom,if=ide"
if [ "${BIOS_GRUB:-1}" = 1 ]; then
	RUN_TIMEOUT=${BIOS_GRUB_TIMEOUT:-300}
	boot_check grub "--disk file=$WORK/grub.img" "-drive file=$WORK/grub.img,format=raw,if=ide"
	RUN_TIMEOUT=${BIOS_TIMEOUT:-90}
fi

# Our BIOS under QEMU (the same hardware interface): the BIOS's own bugs
# show here, apart from vmm's.
begin bios_ours_on_qemu
if need_qemu "$CHECK" && have_tools "$CHECK" && image syslinux &&
	need_file "$CHECK" build/fw/bios.bin; then
	_run "$WORK/ours.qemu" "$QEMU" "${SEABIOS[@]}" -bios build/fw/bios.bin \
		-drive "file=$WORK/syslinux.img,format=raw,if=ide"
	expect_status 3
	expect_line "$MARK" "$WORK/ours.qemu"
	expect_line "boot: disk 0x80" "$WORK/ours.qemu"
	end_check "$WORK/ours.qemu"
fi

# A disk without a boot sector and a CD that is not El Torito bootable: each
# tried in the default order, one clear line each, then status 4 (--on-reset exit).
truncate -s 4M "$WORK/blank.img"
truncate -s 1M "$WORK/blank.iso"
begin bios_no_bootable_drive
if need_kvm "$CHECK"; then
	run_vmm "$WORK/blank.vmm" --disk "file=$WORK/blank.img" --cdrom "$WORK/blank.iso" \
		--on-reset exit
	expect_status 4
	expect_line "boot: disk 0x80: no boot signature" "$WORK/blank.vmm"
	expect_line "boot: cdrom 0xe0: not El Torito bootable" "$WORK/blank.vmm"
	expect_line "vmm BIOS: no bootable drive" "$WORK/blank.vmm"
	end_check "$WORK/blank.vmm"
fi

# --firmware: the same BIOS from a file; a file of the wrong size is refused.
begin bios_firmware_file
if need_kvm "$CHECK" && need_file "$CHECK" build/fw/bios.bin; then
	run_vmm "$WORK/fwfile.vmm" --firmware build/fw/bios.bin --disk "file=$WORK/blank.img" \
		--on-reset exit
	expect_status 4
	expect_line "vmm BIOS: no bootable drive" "$WORK/fwfile.vmm"
	end_check "$WORK/fwfile.vmm"
fi

begin bios_firmware_bad_size
head -c 1000 /dev/zero >"$WORK/short.rom"
run_vmm "$WORK/fwsize.vmm" --firmware "$WORK/short.rom" --disk "file=$WORK/blank.img"
expect_status 2
expect_line "vmm: --firmware $WORK/short.rom: 1000 bytes: must be 64, 128, 192 or 256 KiB" \
	"$WORK/fwsize.vmm"
end_check "$WORK/fwsize.vmm"

begin bios_firmware_and_kernel
run_vmm "$WORK/fwkern.vmm" --firmware build/fw/bios.bin --kernel "$HELLO"
expect_status 2
expect_line "vmm: --kernel and --firmware exclude each other" "$WORK/fwkern.vmm"
end_check "$WORK/fwkern.vmm"

# A guest reset (--on-reset reboot, the default) runs the BIOS again.
begin bios_reboot
if need_kvm "$CHECK" && need_file "$CHECK" build/fw/reboot.img; then
	cp build/fw/reboot.img "$WORK/reboot.img"
	run_vmm "$WORK/reboot.vmm" --disk "file=$WORK/reboot.img"
	expect_status 35
	expect_line "REBOOT: first" "$WORK/reboot.vmm"
	expect_line "REBOOT: second" "$WORK/reboot.vmm"
	[ "$(grep -c '^vmm BIOS$' "$WORK/reboot.vmm")" = 2 ] || _why "the BIOS did not run twice"
	end_check "$WORK/reboot.vmm"
fi
