#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The CMOS RTC tells the host's UTC time (within a few seconds), under vmm
# and under QEMU.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# expect_rtc_now OUT: the guest's "KIT: rtc DATE TIME" is within 5 s of now.
expect_rtc_now() {
	local when guest host
	when=$(sed -n 's/^KIT: rtc //p' "$1")
	if [ -z "$when" ]; then
		_why "no rtc line"
		return
	fi
	guest=$(date -u -d "$when UTC" +%s 2>/dev/null) || { _why "bad date '$when'"; return; }
	host=$(date -u +%s)
	[ $((host - guest)) -le 5 ] && [ $((guest - host)) -le 5 ] ||
		_why "guest clock '$when' is $((guest - host)) s off the host's"
}

begin rtc_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/rtc.bzImage"; then
	run_vmm "$WORK/rtc" --kernel "$GUEST/rtc.bzImage"
	expect_status 3
	expect_rtc_now "$WORK/rtc"
	end_check "$WORK/rtc"
fi

begin rtc_qemu
if need_qemu "$CHECK" && need_file "$CHECK" "$GUEST/rtc.bzImage"; then
	run_qemu "$WORK/rtc.qemu" "${QEMU_PC[@]}" -rtc base=utc -kernel "$GUEST/rtc.bzImage"
	expect_status 3
	expect_rtc_now "$WORK/rtc.qemu"
	end_check "$WORK/rtc.qemu"
fi
