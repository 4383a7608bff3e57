#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Exit codes through the debug-exit port: the guest writes v to 0xf4, vmm
# (like QEMU's isa-debug-exit) exits with (v << 1) | 1. Also the kit's own
# exit for an unexpected CPU exception.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

for pair in 0:1 5:11 127:255; do
	code=${pair%:*} want=${pair#*:}
	begin "exitcode_${code}_vmm"
	if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/exitcode.bzImage"; then
		run_vmm "$WORK/exit$code.vmm" --kernel "$GUEST/exitcode.bzImage" \
			--append "code=$code"
		expect_status "$want"
		expect_line "KIT: exit code $code" "$WORK/exit$code.vmm"
		end_check "$WORK/exit$code.vmm"
	fi

	begin "exitcode_${code}_qemu"
	if need_qemu "$CHECK"; then
		run_qemu "$WORK/exit$code.qemu" "${QEMU_MICROVM[@]}" \
			-kernel "$GUEST/exitcode.bzImage" -append "code=$code"
		expect_status "$want"
		expect_line "KIT: exit code $code" "$WORK/exit$code.qemu"
		end_check "$WORK/exit$code.qemu"
	fi
done

# The command line reaches the guest intact: a long one, the key last.
begin exitcode_long_cmdline_vmm
if need_kvm "$CHECK"; then
	pad=$(printf 'x%.0s' $(seq 1 1000))
	run_vmm "$WORK/exitlong.vmm" --kernel "$GUEST/exitcode.bzImage" \
		--append "pad=$pad code=42"
	expect_status 85
	expect_line "KIT: exit code 42" "$WORK/exitlong.vmm"
	end_check "$WORK/exitlong.vmm"
fi

# An unexpected exception: the kit reports it and exits with 0x7e (253).
begin fault_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/fault.bzImage"; then
	run_vmm "$WORK/fault.vmm" --kernel "$GUEST/fault.bzImage"
	expect_status 253
	expect_grep "^KIT: exception 14 err 0x6 rip 0x[0-9a-f]+$" "$WORK/fault.vmm"
	expect_grep "^KIT: cs 0x2b .* cr2 0x100000000$" "$WORK/fault.vmm"
	end_check "$WORK/fault.vmm"
fi

begin fault_qemu
if need_qemu "$CHECK"; then
	run_qemu "$WORK/fault.qemu" "${QEMU_MICROVM[@]}" -kernel "$GUEST/fault.bzImage"
	expect_status 253
	expect_grep "^KIT: exception 14 err 0x6 " "$WORK/fault.qemu"
	if [ -s "$WORK/fault.vmm" ]; then
		expect_same_kit_lines "$WORK/fault.vmm" "$WORK/fault.qemu"
	fi
	end_check "$WORK/fault.qemu"
fi
