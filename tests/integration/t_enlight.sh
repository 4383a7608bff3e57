#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Enlightened mode (enlight/abi.h) from the kit guest enlight
# (tests/guest/tests/enlight.c): discovery, handshake, refusal by the deny
# list, the switch, I/O through the drive's ring, suppression on the IDE
# registers, stray emulated data commands after the switch (shunted, in
# order), a reset back to emulated mode, --enlight off, and a switch while
# a large DMA runs on both channels. The host checks the images afterwards
# and vmm's --stats lines. QEMU -M pc (a PIIX3 IDE without the capability)
# runs the same guest as the oracle of the emulated path: the same lines
# as vmm --enlight off. A smoke run of the benchmark guest (diskbench)
# over each path keeps make bench from rotting.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

EN=$GUEST/enlight.bzImage
LOAD_LBA=2048
LOAD_SECS=32768

# make_images DIR: hd0 (8 MiB, "sec" records), hd1 (8 MiB, zeros), a CD.
make_images() {
	mkdir -p "$1"
	rm -f "$1"/hd0.img "$1"/hd1.img
	truncate -s 8M "$1/hd0.img" "$1/hd1.img"
	records sec 0 16384 12 32 | dd of="$1/hd0.img" conv=notrunc status=none
	records cd 0 64 13 128 >"$1/cd.iso"
}

# expect_image IMG [ring]: what the guest wrote: "pre" at 100-111 (both
# modes), and after a switch "rng" 200-207, "emy" 300, "emz" 301-302 and
# 400.. ($STRAY sectors, default none).
expect_image() {
	local want=$1.want
	cp "$WORK/en_orig/hd0.img" "$want"
	records pre 100 12 12 32 | dd of="$want" bs=512 seek=100 conv=notrunc status=none
	if [ "${2:-}" = ring ]; then
		records rng 200 8 12 32 | dd of="$want" bs=512 seek=200 conv=notrunc status=none
		records emy 300 1 12 32 | dd of="$want" bs=512 seek=300 conv=notrunc status=none
		records emz 301 2 12 32 | dd of="$want" bs=512 seek=301 conv=notrunc status=none
		records emz 400 "${STRAY:-0}" 12 32 | dd of="$want" bs=512 seek=400 conv=notrunc status=none
	fi
	cmp -s "$1" "$want" || _why "$(basename "$1") differs: $(cmp "$1" "$want" 2>&1 | head -1)"
	rm -f "$want"
}

expect_lines() {
	local f=$1 l
	shift
	for l in "$@"; do
		expect_line "KIT: $l" "$f"
	done
}

# en_vmm OUT DIR ARGS...: the guest on fresh images of DIR.
en_vmm() {
	local out=$1 d=$2
	shift 2
	make_images "$d"
	run_vmm "$out" --kernel "$EN" --stats --disk "file=$d/hd0.img,if=ide,format=raw" \
		--disk "file=$d/hd1.img,if=ide,format=raw" --cdrom "$d/cd.iso" "$@"
	expect_no_grep 'AddressSanitizer|Segmentation|KIT: (FAIL|exception)|^vmm: (KVM|IDE|enlight:)' "$out"
}

EMULATED=(
	"identify ide0.0 answers: type 0040 lba28 16384 status 50"
	"pio write 100-103: status 50"
	"dma write 104-111: status 50 bm 04"
	"pio read 100-107: status 50 data ok"
	"dma read 100-111: status 50 bm 04 data ok")

make_images "$WORK/en_orig"

begin enlight_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$EN"; then
	o=$WORK/en_proto.out
	en_vmm "$o" "$WORK/en_proto"
	expect_status 3
	expect_lines "$o" \
		"enlightenable: subsystem 1af4:1e17" \
		"caps: control len 4096 drives 0,1 msix 8" \
		"magic 746c6e45 version 1 drives 3" \
		"at boot: state 0 enlightened 0" \
		"switch before hello: NO_HELLO" \
		"${EMULATED[@]/#/before the switch: }" \
		"hello: OK" \
		"after hello: state 1 enlightened 0" \
		"switch absent drive 3: NO_DRIVE" \
		"switch the cd (drive 2): NO_DRIVE" \
		"switch drive 9: NO_DRIVE" \
		"command 7f: BAD_CMD" \
		"switch drive 0: OK" \
		"after the switch: state 1 enlightened 1" \
		"ring 0: capacity 16384 blk_size 512 flush 1 event_idx 1" \
		"ring read 0-7: 0 data ok" \
		"ring read 100-111 (written emulated): 0 data ok" \
		"ring write 200-207: 0" \
		"ring read 200-207: 0 data ok" \
		"ring flush: 0" \
		"msix interrupts: yes" \
		"switched: identify ide0.0: no answer, irqs 0 status 00" \
		"switched: status 00 alt 00" \
		"the slave: identify ide0.1 answers: type 0040 lba28 16384 status 50" \
		"switched: identify packet ide1.0: 85c0 status 50" \
		"ring write 300: 0; stray pio write 300: status 50" \
		"stray dma write 301-302 over a ring write: status 50 bm 04; ring write done status 0" \
		"stray pio read 200-207: status 50 data ok" \
		"after the stray commands: identify ide0.0: no answer, irqs 0 status 00" \
		"ring read 300-302: 0 data ok" \
		"enlight done"
	# Every request the guest put on the ring, and the three stray
	# commands shunted (logged once); the slave untouched.
	n=$(sed -n 's/^KIT: ring requests \([0-9]*\)$/\1/p' "$o")
	expect_grep "^enlight ide0-hd0: mode enlightened; emulated: [0-9]+ exits, 8 requests, 3 shunted; enlightened: [0-9]+ exits, [1-9][0-9]* kicks, ${n:-X} requests; switches 1, drained 0$" "$o"
	expect_grep '^enlight ide0-hd1: mode emulated; emulated: [1-9][0-9]* exits, 1 requests, 0 shunted; enlightened: 0 exits, 0 kicks, 0 requests; switches 0, drained 0$' "$o"
	[ "$(grep -c '^vmm: ide0-hd0: emulated command .* after the switch' "$o")" = 1 ] ||
		_why "the shunted commands were not logged exactly once"
	expect_no_grep '^enlight ide1' "$o"
	expect_image "$WORK/en_proto/hd0.img" ring
	cmp -s "$WORK/en_proto/hd1.img" "$WORK/en_orig/hd1.img" || _why "hd1 changed"
	end_check "$o"
fi

# In order even when vmm's I/O thread has not yet taken a ring write from
# the ring: a stray emulated DMA right after the write's kick must land
# after it, 4096 times (a vmm that only waits for the requests its block
# layer holds loses a few of these races on this host).
begin enlight_order_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$EN"; then
	o=$WORK/en_order.out
	en_vmm "$o" "$WORK/en_order" --append stray=4096
	expect_status 3
	expect_lines "$o" "stray dma write 301-302 over a ring write: status 50 bm 04; ring write done status 0" \
		"kicked ring writes that landed after a later stray dma: 0 of 4096" \
		"ring read 300-302: 0 data ok" "enlight done"
	expect_grep '^enlight ide0-hd0: mode enlightened; emulated: [0-9]+ exits, 4104 requests, 4099 shunted;' "$o"
	STRAY=4096 expect_image "$WORK/en_order/hd0.img" ring
	end_check "$o"
fi

# A reset returns the drive to emulated mode and the handshake to NONE.
begin enlight_reset_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$EN"; then
	o=$WORK/en_reset.out
	en_vmm "$o" "$WORK/en_reset" --append reset=1 --on-reset reboot
	expect_status 3
	expect_lines "$o" "after the switch: state 1 enlightened 1" "ring read 300-302: 0 data ok" \
		"resetting" \
		"second boot: state 0 enlightened 0" \
		"second boot: identify ide0.0 answers: type 0040 lba28 16384 status 50" \
		"second boot: pio read 200-207: status 50 data ok" \
		"second boot: switch before hello: NO_HELLO" "enlight done"
	expect_line "vmm: guest reset: rebooting" "$o"
	expect_grep '^enlight ide0-hd0: mode emulated; .* switches 1, ' "$o"
	expect_image "$WORK/en_reset/hd0.img" ring
	end_check "$o"
fi

# The kit's driver (product 2) at build 7 on the deny list.
begin enlight_deny_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$EN"; then
	o=$WORK/en_deny.out
	en_vmm "$o" "$WORK/en_deny" --append "mode=deny build=7" --enlight-deny 1:7 \
		--enlight-deny 2:7
	expect_status 3
	expect_lines "$o" "hello: DENIED" "after hello: state 2 enlightened 0" \
		"switch drive 0: NO_HELLO" "after the switch: state 2 enlightened 0" \
		"${EMULATED[@]/#/refused: }" "enlight done"
	expect_grep '^enlight ide0-hd0: mode emulated; emulated: [1-9][0-9]* exits, 5 requests, 0 shunted; enlightened: 0 exits, 0 kicks, 0 requests; switches 0, drained 0$' "$o"
	expect_image "$WORK/en_deny/hd0.img"
	end_check "$o"
fi

# Another build of the same product is not refused.
begin enlight_deny_other_build_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$EN"; then
	o=$WORK/en_deny8.out
	en_vmm "$o" "$WORK/en_deny8" --append "build=8" --enlight-deny 2:7
	expect_status 3
	expect_lines "$o" "hello: OK" "switch drive 0: OK" "ring read 300-302: 0 data ok"
	end_check "$o"
fi

OFF_LINES=(
	"not enlightenable: subsystem 1af4:1100 caps none control none bar5 none"
	"${EMULATED[@]/#/emulated: }"
	"enlight done")

begin enlight_off_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$EN"; then
	o=$WORK/en_off.out
	en_vmm "$o" "$WORK/en_off" --enlight off
	expect_status 3
	expect_lines "$o" "${OFF_LINES[@]}"
	expect_no_grep '^enlight ' "$o"
	expect_image "$WORK/en_off/hd0.img"
	end_check "$o"
fi

begin enlight_qemu_same
if need_qemu "$CHECK" && need_file "$CHECK" "$EN"; then
	d=$WORK/en_qemu
	make_images "$d"
	run_qemu "$d.out" "${QEMU_PC[@]}" -m 512 -kernel "$EN" \
		-drive "file=$d/hd0.img,if=ide,index=0,format=raw" \
		-drive "file=$d/hd1.img,if=ide,index=1,format=raw" \
		-drive "file=$d/cd.iso,if=ide,index=2,media=cdrom,format=raw"
	expect_status 3
	expect_lines "$d.out" "${OFF_LINES[@]}"
	expect_image "$d/hd0.img"
	[ -f "$WORK/en_off.out" ] && expect_same_kit_lines "$WORK/en_off.out" "$d.out"
	end_check "$d.out"
fi

# A 16 MiB WRITE DMA EXT in flight on each channel (primary master, then
# secondary master; a small primary slave between them) when the switches
# are written: the switch waits for them (drained), they complete (bus
# master interrupt bit, IRQ) and their data is on the images.
begin enlight_load_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$EN"; then
	d=$WORK/en_load
	o=$d.out
	mkdir -p "$d"
	truncate -s 32M "$d/l0.img" "$d/l2.img"
	truncate -s 1M "$d/l1.img"
	run_vmm "$o" --kernel "$EN" --append mode=load --stats \
		--disk "file=$d/l0.img,if=ide,format=raw" --disk "file=$d/l1.img,if=ide,format=raw" \
		--disk "file=$d/l2.img,if=ide,format=raw"
	expect_status 3
	expect_lines "$o" "caps: control len 4096 drives 0,1,2 msix 8" "hello: OK" \
		"switch under load: drive 0 OK, drive 2 OK" \
		"after the switch: bm0 04 bm1 04 irq14 yes irq15 yes" \
		"after the switch: status done done" \
		"after the switch: state 1 enlightened 5" \
		"ring 0 reads the DMAed data: ok" "ring 2 reads the DMAed data: ok" "enlight done"
	# The first switch finds its drive's DMA still running.
	expect_grep '^enlight ide0-hd0: mode enlightened; .*; switches 1, drained [1-9][0-9]*$' "$o"
	expect_grep '^enlight ide1-hd0: mode enlightened; .*; switches 1, drained [0-9]+$' "$o"
	expect_no_grep 'AddressSanitizer|Segmentation|KIT: (FAIL|exception)' "$o"
	for n in 0 2; do
		dd if="$d/l$n.img" bs=512 skip=$LOAD_LBA count=$LOAD_SECS status=none |
			cmp -s - <(records ld$n $LOAD_LBA $LOAD_SECS 12 32) ||
			_why "l$n.img: the DMAed sectors differ"
	done
	end_check "$o"
fi

# make bench's disk guest over each path, briefly.
begin enlight_bench_smoke
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/diskbench.bzImage"; then
	d=$WORK/en_bench
	mkdir -p "$d"
	truncate -s 16M "$d/b.img"
	for p in pio dma enlight virtio; do
		if [ $p = virtio ]; then if=virtio; else if=ide; fi
		for rw in read write; do
			run_vmm "$d.$p.$rw" --kernel "$GUEST/diskbench.bzImage" --stats \
				--append "path=$p rw=$rw qd=4 kit_bench_ms=30" \
				--disk "file=$d/b.img,if=$if,format=raw"
			expect_status 3
			expect_grep "^KIT: bench $p $rw qd [14] requests [1-9][0-9]* us [0-9]+$" "$d.$p.$rw"
		done
	done
	expect_grep '^enlight ide0-hd0: mode enlightened; .* [1-9][0-9]* kicks, [1-9][0-9]* requests' "$d.enlight.write"
	end_check "$d.enlight.write"
fi
