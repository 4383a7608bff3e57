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
