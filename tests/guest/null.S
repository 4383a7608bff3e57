/* SPDX-License-Identifier: GPL-2.0 */
/*
 * null: the smallest bzImage that says something. Not a kit program: each
 * entry writes "null: hello" to COM1 (polled) and writes 0 to the
 * debug-exit port (vmm and QEMU's isa-debug-exit then exit with status 1).
 * The 16-bit setup entry serves QEMU -kernel, the 64-bit entry at +0x200
 * serves vmm, and the 32-bit entry at +0 loaders of the 32-bit protocol.
 * If the port does nothing, the CPU halts.
 */
#include <linux/serial_reg.h>
#include "kit_defs.h"

#define COM1 0x3f8

/* Print the NUL-terminated string at %ds:%si / %esi / %rsi; then exit. */
.macro say_hello_and_exit lodsb_insn
1:	\lodsb_insn
	testb	%al, %al
	jz	3f
	movb	%al, %bl
	movw	$(COM1 + UART_LSR), %dx
2:	inb	%dx, %al
	testb	$UART_LSR_THRE, %al
	jz	2b
	movw	$COM1, %dx
	movb	%bl, %al
	outb	%al, %dx
	jmp	1b
3:	xorl	%eax, %eax
	outb	%al, $0xf4
4:	cli
	hlt
	jmp	4b
.endm

	.section .setup, "ax"
	.code16
	.org	0x200
	jmp	setup_start
	.org	KIT_SETUP_CODE
setup_start:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	movw	$(hello16 - 0x200), %si	/* CS (= DS) is the setup + 0x200 */
	say_hello_and_exit lodsb
hello16:
	.asciz	"null: hello\r\n"

	.section .head.text, "ax"
	.code32
	.globl	null_startup_32
null_startup_32:
	cli
	cld
	movl	$hello, %esi
	say_hello_and_exit lodsb

	.org	KIT_ENTRY64_OFFSET
	.code64
	.globl	null_startup_64
null_startup_64:
	cli
	cld
	leaq	hello(%rip), %rsi
	say_hello_and_exit lodsb
hello:
	.asciz	"null: hello\r\n"

	.section .note.GNU-stack, "", @progbits
