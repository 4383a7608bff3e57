/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm's BIOS: the reset vector, POST entry, interrupt entry points and the
 * few interrupt handlers that stay in assembly (timer tick, EOIs). Linked
 * at offset 0 of segment 0xf000 (bios.lds); C runs on our own stack with
 * CS = DS = ES = SS = 0xf000 and gets the caller's registers as a
 * struct bregs (fw.h) in cur_regs, which is copied back on return.
 */
#include "handoff.h"

#define FW_SEG 0xf000
#define BREGS_WORDS 22 /* sizeof(struct bregs) / 2 */
#define BREGS_HANDLER 36

	.code16
	/* At FW_CODE_OFFSET: tells vmm this image takes its handoff block. */
	.section .sig, "a"
	.ascii	FW_SIGNATURE
	.section .text, "ax"

/* ---- POST ---- */
	.global post_entry
post_entry:
	/*
	 * Still at CS base 0xffff0000 (the reset state): the ROM at the top of
	 * 4 GiB. vmm copied the image to RAM at 0xf0000 and wrote the handoff
	 * block there. Elsewhere (QEMU -bios, an i440FX), make 0xf0000 RAM
	 * through the PAM register and copy the ROM into it, so that our data
	 * and stack are writable.
	 */
	cli
	cld
	movw	$FW_SEG, %ax
	movw	%ax, %es
	cmpl	$FW_HANDOFF_MAGIC, %es:FW_HANDOFF_OFFSET
	je	1f
	movl	$0x80000058, %eax
	movw	$0xcf8, %dx
	outl	%eax, %dx
	movw	$0xcfd, %dx
	movb	$0x30, %al
	outb	%al, %dx
	xorw	%si, %si
	xorw	%di, %di
	movw	$0x4000, %cx
	rep movsl %cs:(%si), %es:(%di)
1:	ljmp	$FW_SEG, $2f
2:	movw	%cs, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	$stack_top, %esp
	calll	post
	int	$0x19

/* ---- INT 19h: boot. Never returns to its caller. ---- */
	.global int19_entry
int19_entry:
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	$stack_top, %esp
	calll	boot
	/* The boot sector's world: segments 0, stack below 0x7c00, DL = drive. */
	xorl	%eax, %eax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	$0x7c00, %esp
	movzbl	%cs:boot_dl, %edx
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	sti
	ljmp	*%cs:boot_vec

/* ---- INT n handled in C ---- */
	.macro	CENTRY name, cfunc
	.global	\name
\name:
	pushw	$\cfunc
	jmp	c_common
	.endm

	CENTRY	int10_entry, int10
	CENTRY	int11_entry, int11
	CENTRY	int12_entry, int12
	CENTRY	int13_entry, int13
	CENTRY	int15_entry, int15
	CENTRY	int16_entry, int16
	CENTRY	int18_entry, int18
	CENTRY	int1a_entry, int1a

c_common:
	pushal
	pushw	%ds
	pushw	%es
	cld
	/* The frame (ss:sp) into cur_regs, then our own stack. */
	movw	%ss, %ax
	movw	%ax, %ds
	movw	%sp, %si
	movw	%cs, %ax
	movw	%ax, %es
	movw	$cur_regs, %di
	movw	$BREGS_WORDS, %cx
	rep movsw
	movw	%ss, %cs:caller_ss
	movw	%sp, %cs:caller_sp
	movw	%ax, %ss
	movl	$stack_top, %esp
	movw	%ax, %ds
	movzwl	cur_regs + BREGS_HANDLER, %ebx
	movl	$cur_regs, %eax
	calll	*%ebx
	/* cur_regs back over the frame; iret takes the flags from it. */
	cli
	cld
	movw	caller_ss, %dx
	movw	caller_sp, %di
	movw	%dx, %ss
	movw	%di, %sp
	movw	%dx, %es
	movw	$cur_regs, %si
	movw	$BREGS_WORDS, %cx
	rep movsw
	popw	%es
	popw	%ds
	popal
	addw	$2, %sp
	iret

/* ---- hardware interrupts ---- */
	/* IRQ0: the BDA tick count (18.2 Hz, wraps at midnight), then INT 1Ch. */
	.global int08_entry
int08_entry:
	pushw	%ds
	pushl	%eax
	xorw	%ax, %ax
	movw	%ax, %ds
	movl	0x46c, %eax
	incl	%eax
	cmpl	$0x1800b0, %eax
	jb	1f
	xorl	%eax, %eax
	movb	$1, 0x470
1:	movl	%eax, 0x46c
	int	$0x1c
	movb	$0x20, %al
	outb	%al, $0x20
	popl	%eax
	popw	%ds
	iret

	.global	irq_master_entry, irq_slave_entry, iret_entry
irq_slave_entry:
	pushw	%ax
	movb	$0x20, %al
	outb	%al, $0xa0
	outb	%al, $0x20
	popw	%ax
	iret
irq_master_entry:
	pushw	%ax
	movb	$0x20, %al
	outb	%al, $0x20
	popw	%ax
	iret
iret_entry:
	iret

/*
 * The LAPIC in virtual-wire mode (LINT0 ExtINT, LINT1 NMI) so that the
 * 8259's interrupts reach the CPU: KVM only takes PIC interrupts when the
 * LAPIC is off or LINT0 says ExtINT. It is above 1 MiB: a short trip
 * through 32-bit protected mode.
 */
	.global apic_virtual_wire
apic_virtual_wire:
	pushfl
	cli
	pushw	%ds
	pushw	%es
	lgdtl	%cs:pm_gdt_desc
	movl	%cr0, %eax
	orb	$1, %al
	movl	%eax, %cr0
	ljmpl	$0x08, $(FW_BASE + 2f)
	.code32
2:	movw	$0x10, %ax
	movw	%ax, %ds
	movl	$0x1ff, 0xfee000f0
	movl	$0x700, 0xfee00350
	movl	$0x400, 0xfee00360
	ljmp	$0x18, $3f
	.code16
3:	movw	$0x20, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movl	%cr0, %eax
	andb	$0xfe, %al
	movl	%eax, %cr0
	ljmp	$FW_SEG, $4f
4:	popw	%es
	popw	%ds
	popfl
	retl

	.global	cpu_reset
cpu_reset:
	movb	$0xfe, %al
	outb	%al, $0x64
	movb	$0x06, %al
	movw	$0xcf9, %dx
	outb	%al, %dx
5:	cli
	hlt
	jmp	5b

	.global	cpu_halt
cpu_halt:
	cli
	hlt
	jmp	cpu_halt

	.section .rodata
	.balign 8
pm_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff	/* 0x08: 32-bit code, flat */
	.quad	0x00cf93000000ffff	/* 0x10: 32-bit data, flat */
	.quad	0x00009b0f0000ffff	/* 0x18: 16-bit code, base 0xf0000 */
	.quad	0x000093000000ffff	/* 0x20: 16-bit data, base 0, 64 KiB */
pm_gdt_desc:
	.word	5 * 8 - 1
	.long	FW_BASE + pm_gdt

	.section .bss
	.balign	16
	.global cur_regs
cur_regs:
	.space	BREGS_WORDS * 2
caller_ss:
	.space	2
caller_sp:
	.space	2
	.balign	16
stack:
	.space	4096
stack_top:

/* ---- the reset vector, at 0xffff0 / 0xfffffff0 ---- */
	.section .reset, "ax"
reset_vector:
	jmp	post_entry
	.org	reset_vector + 5, 0x90
	.ascii	"11/21/26"
	.byte	0
	.byte	0xfc	/* model: AT */
	.byte	0

	.section .note.GNU-stack, "", @progbits
