#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --timeout ends a guest that never exits (status 124), and on time.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

begin timeout_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/spin.bzImage"; then
	run_vmm "$WORK/spin.vmm" --kernel "$GUEST/spin.bzImage" --timeout 2
	expect_status 124
	expect_line "KIT: spinning" "$WORK/spin.vmm"
	expect_elapsed_max 6
	if [ "$ELAPSED_MS" -lt 1900 ]; then
		_why "stopped after $ELAPSED_MS ms, before the 2 s timeout"
	fi
	end_check "$WORK/spin.vmm"
fi
