/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A boot sector that resets the machine once (i8042 pulse) and exits on
 * the next boot: the firmware path must come back after a guest reset
 * (vmm --on-reset reboot reloads the BIOS and its tables). CMOS byte 0x50
 * remembers the first boot; "REBOOT: first" / "REBOOT: second" on COM1,
 * debug-exit 0x11 (status 35) at the end.
 */
	.code16
	.section .text
	.global	_start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %ss
	movw	$0x7c00, %sp
	cld
	movb	$0x50, %al
	outb	%al, $0x70
	inb	$0x71, %al
	cmpb	$0xab, %al
	je	second
	movb	$0x50, %al
	outb	%al, $0x70
	movb	$0xab, %al
	outb	%al, $0x71
	movw	$msg1, %si
	call	puts
	movb	$0xfe, %al
	outb	%al, $0x64
	hlt
second:
	movb	$0x50, %al
	outb	%al, $0x70
	xorb	%al, %al
	outb	%al, $0x71
	movw	$msg2, %si
	call	puts
	movb	$0x11, %al
	outb	%al, $0xf4
	hlt

puts:
	movw	$0x3f8, %dx
1:	lodsb
	orb	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	ret

msg1:	.asciz	"REBOOT: first\n"
msg2:	.asciz	"REBOOT: second\n"
	.org	510
	.word	0xaa55
	.section .note.GNU-stack, "", @progbits
