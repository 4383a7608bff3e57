#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Serial input reaches the guest: the echo guest takes COM1's RX interrupt
# (IRQ 4 through the IOAPIC), echoes, and powers off on "quit". Input all
# at once (the UART holds it back until the guest reads), then typed slowly
# (each burst must wake the halted guest).
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

burst='printf "hello\nquit\n"'
typed='sleep 0.3; printf "abc\r"; sleep 0.3; printf "x\x7fquit\r"'

# expect_echo FILE WORD: the greeting, WORD echoed, the quit, status 0.
expect_echo() {
	expect_status 0
	expect_line "KIT: echo ready, type something" "$1"
	expect_line "$2" "$1"
	expect_line "KIT: quit" "$1"
	expect_no_grep "KIT: (FAIL|exception|unexpected)" "$1"
}

begin serial_input_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/echo.bzImage"; then
	FEED=$burst run_vmm "$WORK/echo.vmm" --kernel "$GUEST/echo.bzImage"
	expect_echo "$WORK/echo.vmm" hello
	end_check "$WORK/echo.vmm"
fi

begin serial_typed_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/echo.bzImage"; then
	FEED=$typed run_vmm "$WORK/typed.vmm" --kernel "$GUEST/echo.bzImage"
	expect_echo "$WORK/typed.vmm" abc
	end_check "$WORK/typed.vmm"
fi

begin serial_input_qemu
if need_qemu "$CHECK"; then
	FEED=$burst run_qemu "$WORK/echo.qemu" "${QEMU_MICROVM[@]}" -kernel "$GUEST/echo.bzImage"
	expect_echo "$WORK/echo.qemu" hello
	if [ -s "$WORK/echo.vmm" ]; then
		expect_same_kit_lines "$WORK/echo.vmm" "$WORK/echo.qemu"
	fi
	end_check "$WORK/echo.qemu"
fi

begin serial_typed_qemu
if need_qemu "$CHECK"; then
	FEED=$typed run_qemu "$WORK/typed.qemu" "${QEMU_MICROVM[@]}" -kernel "$GUEST/echo.bzImage"
	expect_echo "$WORK/typed.qemu" abc
	end_check "$WORK/typed.qemu"
fi
