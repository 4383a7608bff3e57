/* SPDX-License-Identifier: GPL-2.0 */
/*
 * syscall: SYSCALL and SYSRET between ring 3 and ring 0, the way Linux
 * uses them (STAR/LSTAR/FMASK, swapgs-free here), in a PVH ELF like pvh.S.
 * Ring 0 sets up long mode, a #PF handler that starts with a no-op (as
 * Linux's does) and a SYSCALL entry, then drops to ring 3 with iretq. Ring
 * 3 makes system calls: 1..3 add to a counter, 60 ends the test. The entry
 * checks it runs at CPL 0 with the user's RCX/R11, returns with sysretq.
 * Exit (debug-exit port): 0x30 + calls made (status 0x30 + 3 = 0x33 ->
 * 103); a page fault writes 0x11 (status 35), a CPL check failure 0x12 (37).
 *
 * Some hosts' KVM (kvm_pvm) leaves SYSCALL at CPL 3; vmm then completes it
 * (cpu/syscall.c) by hooking this very #PF handler's first instruction.
 */
#include <linux/serial_reg.h>
#include "pvh_note.inc"

#define MSR_EFER	0xc0000080
#define MSR_STAR	0xc0000081
#define MSR_LSTAR	0xc0000082
#define MSR_FMASK	0xc0000084
#define KCS		0x10
#define KDS		0x18
#define UDS		0x2b
#define UCS		0x33
#define TSS_SEL		0x40

	PVH_NOTE pvh_start

	.section .text, "ax"
	.code32
	.globl	pvh_start
pvh_start:
	cli
	cld
	/* Page tables: the first 2 MiB in 4 KiB pages, supervisor-only like
	 * a kernel's, except the user code and stack pages. */
	movl	$pdpt, %eax
	orl	$7, %eax
	movl	%eax, pml4
	movl	$pd, %eax
	orl	$7, %eax
	movl	%eax, pdpt
	movl	$pt, %eax
	orl	$7, %eax
	movl	%eax, pd
	xorl	%ecx, %ecx
1:	movl	%ecx, %eax
	shll	$12, %eax
	orl	$3, %eax		/* P RW, supervisor */
	movl	%eax, pt(,%ecx,8)
	incl	%ecx
	cmpl	$512, %ecx
	jb	1b
	movl	$user, %eax
	shrl	$12, %eax
	orl	$4, pt(,%eax,8)		/* U */
	movl	$ustack, %eax
	shrl	$12, %eax
	orl	$4, pt(,%eax,8)
	movl	%cr4, %eax
	orl	$0x620, %eax		/* PAE, OSFXSR, OSXMMEXCPT */
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$0x101, %eax		/* LME, SCE */
	wrmsr
	lgdt	gdt_desc
	movl	%cr0, %eax
	orl	$0x80000001, %eax
	movl	%eax, %cr0
	ljmp	$KCS, $start64

	.code64
start64:
	movl	$KDS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	leaq	kstack_top(%rip), %rsp
	/* TSS descriptor base and RSP0, then the IDT (#PF only; others shut down). */
	leaq	tss(%rip), %rax
	movw	%ax, gdt + TSS_SEL + 2
	shrq	$16, %rax
	movb	%al, gdt + TSS_SEL + 4
	movb	%ah, gdt + TSS_SEL + 7
	leaq	kstack_top(%rip), %rax
	movq	%rax, tss + 4
	movw	$TSS_SEL, %ax
	ltr	%ax
	leaq	pf_entry(%rip), %rax
	movw	%ax, idt + 14 * 16
	movw	$KCS, idt + 14 * 16 + 2
	movw	$0x8e00, idt + 14 * 16 + 4
	shrq	$16, %rax
	movw	%ax, idt + 14 * 16 + 6
	lidt	idt_desc
	/* A port-80 post code: an exit, where vmm (on hosts that need it)
	 * finds the new IDT and hooks the #PF entry. Linux exits plenty. */
	outb	%al, $0x80
	/* SYSCALL: kernel CS/SS from STAR[47:32], user from STAR[63:48] + 16/8. */
	movl	$MSR_STAR, %ecx
	xorl	%eax, %eax
	movl	$((UDS - 8) << 16 | KCS), %edx
	wrmsr
	movl	$MSR_LSTAR, %ecx
	leaq	syscall_entry(%rip), %rax
	xorl	%edx, %edx
	wrmsr
	movl	$MSR_FMASK, %ecx
	movl	$0x200, %eax		/* IF */
	wrmsr
	/* To ring 3. */
	pushq	$UDS
	leaq	ustack + 4096(%rip), %rax
	pushq	%rax
	pushq	$0x2
	pushq	$UCS
	leaq	user(%rip), %rax
	pushq	%rax
	iretq

/* Ring 3 (its own page): three counted calls, then "exit". */
	.section .text.user, "ax"
	.balign	4096
user:
	movl	$1, %eax
	syscall
	movl	$2, %eax
	syscall
	movl	$3, %eax
	syscall
	movl	$60, %eax
	syscall
1:	jmp	1b

	.section .text, "ax"
/* LSTAR. RCX/R11 hold the user's RIP/RFLAGS; CS must be ring 0 now. */
syscall_entry:
	movq	%cs, %rdx
	testb	$3, %dl
	jnz	bad_cpl
	cmpq	$60, %rax
	je	done
	incq	calls(%rip)
	sysretq
done:
	movq	calls(%rip), %rax
	addl	$0x30, %eax
	outb	%al, $DEBUG_EXIT
	hlt
bad_cpl:
	movb	$0x12, %al
	outb	%al, $DEBUG_EXIT
	hlt

/* #PF: starts with a no-op, as Linux's entry does (its clac slot). */
pf_entry:
	nop
	leaq	msg_pf(%rip), %rsi
	call	puts
	movb	$0x11, %al
	outb	%al, $DEBUG_EXIT
	hlt

puts:
	lodsb
	testb	%al, %al
	jz	2f
	movb	%al, %cl
	movw	$(COM1 + UART_LSR), %dx
1:	inb	%dx, %al
	testb	$UART_LSR_THRE, %al
	jz	1b
	movw	$COM1, %dx
	movb	%cl, %al
	outb	%al, %dx
	jmp	puts
2:	ret

	.section .rodata, "a"
msg_pf:	.asciz	"syscall: page fault\r\n"

	.section .data, "aw"
	.balign	8
gdt:
	.quad	0, 0
	.quad	0x00af9b000000ffff	/* 0x10 kernel code */
	.quad	0x00cf93000000ffff	/* 0x18 kernel data */
	.quad	0
	.quad	0x00cff3000000ffff	/* 0x28 user data */
	.quad	0x00affb000000ffff	/* 0x30 user code */
	.quad	0
	.quad	0x0000890000000067	/* 0x40 TSS (base filled in) */
	.quad	0
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt
idt_desc:
	.word	16 * 16 - 1
	.quad	idt
calls:	.quad	0

	.section .bss
	.balign	4096
pml4:	.space	4096
pdpt:	.space	4096
pd:	.space	4096
pt:	.space	4096
ustack:	.space	4096
idt:	.space	16 * 16
tss:	.space	0x68
	.balign	16
	.space	2048
kstack_top:

	.section .note.GNU-stack, "", @progbits
