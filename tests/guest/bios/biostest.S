/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A boot sector that checks the BIOS services boot loaders use, printing
 * "..." lines on COM1 itself (SeaBIOS does not mirror INT 10h to
 * the serial port), so that vmm's BIOS and SeaBIOS can be compared line by
 * line (tests/integration/t_bios.sh). Exit: debug-exit port 0xf4, value
 * 0x10 when every check passed (status 33), else 0x20 + the failed check.
 * Sector 1 of the disk holds "TEST" for the EDD read.
 */
	.code16
	.section .text
	.global	_start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	sti
	cld
	movb	%dl, drive

	/* 1: EDD present (INT 13h 41h) and a read of LBA 1 (42h) */
	movb	$1, check
	movb	$0x41, %ah
	movw	$0x55aa, %bx
	movb	drive, %dl
	int	$0x13
	jc	fail
	cmpw	$0xaa55, %bx
	jne	fail
	movw	$dap, %si
	movb	$0x42, %ah
	movb	drive, %dl
	int	$0x13
	jc	fail
	cmpl	$0x54534554, 0x8000	/* "TEST" */
	jne	fail
	movw	$msg_edd, %si
	call	puts

	/* 2: E820: RAM at 0 first, at least 3 entries, 'SMAP' each time */
	movb	$2, check
	xorl	%ebx, %ebx
	xorw	%bp, %bp
1:	movl	$0xe820, %eax
	movl	$0x534d4150, %edx
	movl	$20, %ecx
	movw	$0x9000, %di
	int	$0x15
	jc	fail
	cmpl	$0x534d4150, %eax
	jne	fail
	orw	%bp, %bp
	jnz	2f
	cmpl	$0, 0x9000
	jne	fail
	cmpl	$1, 0x9010
	jne	fail
2:	incw	%bp
	orl	%ebx, %ebx
	jnz	1b
	cmpw	$3, %bp
	jb	fail
	movw	$msg_e820, %si
	call	puts

	/* 3: INT 12h: 600 KiB or more of base memory; E801h answers */
	movb	$3, check
	int	$0x12
	cmpw	$600, %ax
	jb	fail
	movw	$0xe801, %ax
	int	$0x15
	jc	fail
	orw	%ax, %ax
	jz	fail
	movw	$msg_mem, %si
	call	puts

	/* 4: INT 15h 86h waits 330 ms by the BDA tick count (IRQ 0 ticking) */
	movb	$4, check
	movl	0x46c, %edi
	movw	$0x5, %cx
	movw	$0x0910, %dx		/* 0x50910 us = 330 ms: 6 ticks */
	movb	$0x86, %ah
	int	$0x15
	jc	fail
	movl	0x46c, %eax
	subl	%edi, %eax
	cmpl	$4, %eax
	jb	fail
	cmpl	$12, %eax
	ja	fail
	movw	$msg_wait, %si
	call	puts

	/* 5: PCI BIOS present; the host bridge is found by class 0600 */
	movb	$5, check
	movw	$0xb101, %ax
	int	$0x1a
	jc	fail
	cmpl	$0x20494350, %edx	/* "PCI " */
	jne	fail
	movw	$0xb103, %ax
	movl	$0x060000, %ecx
	xorw	%si, %si
	int	$0x1a
	jc	fail
	movw	$0xb10a, %ax		/* its vendor:device, from config space */
	xorw	%di, %di
	int	$0x1a
	jc	fail
	cmpw	$0x8086, %cx
	jne	fail
	movw	$msg_pci, %si
	call	puts

	/* 6: the RTC through INT 1Ah 02h, and no key waiting (16h 01h) */
	movb	$6, check
	movb	$0x02, %ah
	int	$0x1a
	jc	fail
	movb	$0x01, %ah
	int	$0x16
	jnz	fail
	movw	$msg_rtc, %si
	call	puts

	movb	$0x10, %al
	outb	%al, $0xf4
	hlt

fail:
	movw	$msg_fail, %si
	call	puts
	movb	check, %al
	addb	$0x20, %al
	outb	%al, $0xf4
	hlt

/* Print "BIOSTEST: " and the NUL-terminated string at %si on COM1. */
puts:
	pushw	%si
	movw	$msg_pre, %si
	call	putz
	popw	%si
putz:
	movw	$0x3f8, %dx
3:	lodsb
	orb	%al, %al
	jz	4f
	outb	%al, %dx
	jmp	3b
4:	ret

dap:	.byte	0x10, 0
	.word	1, 0x8000, 0
	.quad	1
msg_pre:	.asciz	"BIOSTEST: "
msg_edd:	.asciz	"edd read ok\n"
msg_e820:	.asciz	"e820 ok\n"
msg_mem:	.asciz	"int12 e801 ok\n"
msg_wait:	.asciz	"int15 86 wait ok\n"
msg_pci:	.asciz	"pci bios ok\n"
msg_rtc:	.asciz	"rtc kbd ok\n"
msg_fail:	.asciz	"FAIL\n"
drive:	.byte	0
check:	.byte	0
	.org	510
	.word	0xaa55
	.ascii	"TEST"
	.org	1024
	.section .note.GNU-stack, "", @progbits
