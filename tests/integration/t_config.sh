#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A config file drives a real boot: the same keys as the flags, and a later
# flag overrides the file.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

begin config_file_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/exitcode.bzImage"; then
	cat >"$WORK/vm.conf" <<CONF
# exit with code 9 through the debug-exit port
kernel = $GUEST/exitcode.bzImage
append = "code=9 other=ignored"
mem = 64M
cpus = 1
serial = none
CONF
	run_vmm "$WORK/conf" --config "$WORK/vm.conf"
	expect_status 19
	run_vmm "$WORK/conf2" --config "$WORK/vm.conf" --append "code=10"
	expect_status 21
	end_check "$WORK/conf2"
fi

begin serial_file_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/hello.bzImage"; then
	rm -f "$WORK/console.log"
	run_vmm "$WORK/sf" --kernel "$GUEST/hello.bzImage" --serial "file:$WORK/console.log"
	expect_status 3
	tr -d '\r' <"$WORK/console.log" >"$WORK/console.txt"	# the guest writes CRLF
	expect_line "KIT: hello from vCPU 0" "$WORK/console.txt"
	expect_no_grep 'KIT:' "$WORK/sf"
	end_check "$WORK/sf"
fi
