#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# virtio core, transports and the small devices: the kit's virtio driver
# reads virtio-rng and talks to virtio-console (hvc0) over modern
# virtio-pci and virtio-mmio under vmm; QEMU runs the same rng guest as the
# oracle (-M pc with virtio-rng-pci, microvm with virtio-rng-device); a
# malicious driver (vbad) breaks virtio-console's rings in every way the
# device must catch, and vmm must survive, log each problem once and keep
# the other device (rng) serving.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

RNG_LINES=("KIT: vrng read 2x64 bytes, nonzero and different")
# QEMU microvm's virtio-mmio slots (24 of them, 512 bytes apart).
MICROVM_MMIO="kit_virtio=mmio kit_vmmio=0xfeb00000 kit_vmmio_stride=0x200 kit_vmmio_n=24"

begin vrng_pci_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/vrng.bzImage"; then
	run_vmm "$WORK/vrng.pci" --kernel "$GUEST/vrng.bzImage" --rng --stats \
		--append "kit_vrng_irq=1 kit_vrng_event_idx=1"
	expect_status 3
	expect_line "KIT: vrng negotiated EVENT_IDX" "$WORK/vrng.pci"
	expect_line "KIT: vrng found (pci)" "$WORK/vrng.pci"
	expect_line "${RNG_LINES[0]}" "$WORK/vrng.pci"
	expect_line "KIT: vrng interrupts seen" "$WORK/vrng.pci"
	expect_line "KIT: vrng num_queues through the PCI_CFG window: 1" "$WORK/vrng.pci"
	expect_grep "^virtio-rng0: virtio-pci, status 0x0f" "$WORK/vrng.pci"
	expect_grep "^  queue 0: [1-9][0-9]* kicks, [1-9][0-9]* interrupts" "$WORK/vrng.pci"
	end_check "$WORK/vrng.pci"
fi

# INTx (ISR read clears it and lowers the line) and the virtio-mmio line.
for t in pci mmio; do
	begin "vrng_${t}_intx_vmm"
	if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/vrng.bzImage"; then
		run_vmm "$WORK/vrng.intx.$t" --kernel "$GUEST/vrng.bzImage" --rng \
			--virtio-transport "$t" --append "kit_virtio=$t kit_vrng_irq=2"
		expect_status 3
		expect_line "${RNG_LINES[0]}" "$WORK/vrng.intx.$t"
		expect_line "KIT: vrng interrupts seen" "$WORK/vrng.intx.$t"
		expect_line "KIT: vrng isr after read 0x0" "$WORK/vrng.intx.$t"
		end_check "$WORK/vrng.intx.$t"
	fi
done

begin vrng_pci_qemu
if need_qemu "$CHECK" && need_file "$CHECK" "$GUEST/vrng.bzImage"; then
	run_qemu "$WORK/vrng.pci.qemu" "${QEMU_PC[@]}" -device virtio-rng-pci,disable-legacy=on \
		-kernel "$GUEST/vrng.bzImage" -append "kit_vrng_irq=1 kit_vrng_event_idx=1"
	expect_status 3
	expect_same_kit_lines "$WORK/vrng.pci" "$WORK/vrng.pci.qemu"
	end_check "$WORK/vrng.pci.qemu"
fi

begin vrng_mmio_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/vrng.bzImage"; then
	run_vmm "$WORK/vrng.mmio" --kernel "$GUEST/vrng.bzImage" --rng --virtio-transport mmio \
		--append "kit_virtio=mmio kit_vrng_dsdt=1 kit_vrng_event_idx=1"
	expect_status 3
	expect_line "KIT: vrng found (mmio)" "$WORK/vrng.mmio"
	expect_line "KIT: vrng dsdt describes it (LNRO0005)" "$WORK/vrng.mmio"
	expect_line "${RNG_LINES[0]}" "$WORK/vrng.mmio"
	end_check "$WORK/vrng.mmio"
fi

begin vrng_mmio_qemu
if need_qemu "$CHECK" && need_file "$CHECK" "$GUEST/vrng.bzImage"; then
	run_qemu "$WORK/vrng.mmio.qemu" "${QEMU_MICROVM[@]}" -global virtio-mmio.force-legacy=false \
		-device virtio-rng-device -kernel "$GUEST/vrng.bzImage" \
		-append "$MICROVM_MMIO kit_vrng_dsdt=1 kit_vrng_event_idx=1"
	expect_status 3
	expect_same_kit_lines "$WORK/vrng.mmio" "$WORK/vrng.mmio.qemu"
	end_check "$WORK/vrng.mmio.qemu"
fi

# hvc0: output next to COM1's, input from stdin (not COM1's any more).
printf 'ping 42\n' >"$WORK/vcons.in"
for t in pci mmio; do
	begin "vcons_${t}_vmm"
	if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/vcons.bzImage"; then
		STDIN="$WORK/vcons.in" run_vmm "$WORK/vcons.$t" --kernel "$GUEST/vcons.bzImage" \
			--console virtio --virtio-transport "$t" --append "kit_virtio=$t"
		expect_status 3
		expect_line "KIT: vcons hello from hvc0" "$WORK/vcons.$t"
		expect_line "KIT: vcons got 'ping 42'" "$WORK/vcons.$t"
		expect_line "KIT: vcons echo ping 42" "$WORK/vcons.$t"
		end_check "$WORK/vcons.$t"
	fi
done

# expect_count N ERE FILE: exactly N lines match.
expect_count() {
	local n
	n=$(grep -cE -- "$2" "$3")
	[ "$n" = "$1" ] || _why "$n lines match /$2/, expected $1"
}

for t in pci mmio; do
	begin "vbad_${t}_vmm"
	if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/vbad.bzImage"; then
		run_vmm "$WORK/vbad.$t" --kernel "$GUEST/vbad.bzImage" --console virtio --rng \
			--virtio-transport "$t" --append "kit_virtio=$t"
		expect_status 3
		expect_line "KIT: vbad all cases handled" "$WORK/vbad.$t"
		for c in loop out-of-RAM zero-length huge-length avail-ahead bad-queue-notify \
			bad-ring-address; do
			expect_line "KIT: vbad $c: needs reset (status 0x4f)" "$WORK/vbad.$t"
			expect_line "KIT: vbad hvc0 works after $c" "$WORK/vbad.$t"
		done
		# One line per problem, whatever the guest did after it.
		expect_count 7 "^vmm: virtio-console0: " "$WORK/vbad.$t"
		expect_count 1 "^vmm: virtio-console0: descriptor loop$" "$WORK/vbad.$t"
		expect_count 1 "^vmm: virtio-console0: zero-length descriptor$" "$WORK/vbad.$t"
		expect_count 2 "^vmm: virtio-console0: descriptor buffer outside guest RAM$" \
			"$WORK/vbad.$t"
		expect_count 1 "^vmm: virtio-console0: available index ran more" "$WORK/vbad.$t"
		expect_count 1 "^vmm: virtio-console0: notify on a queue that is not set up$" \
			"$WORK/vbad.$t"
		expect_count 1 "^vmm: virtio-console0: queue 1: bad ring address" "$WORK/vbad.$t"
		expect_no_grep "virtio-rng0" "$WORK/vbad.$t"
		end_check "$WORK/vbad.$t"
	fi
done
