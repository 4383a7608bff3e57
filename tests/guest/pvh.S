/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pvh: the smallest ELF kernel entered through PVH (Xen's
 * XEN_ELFNOTE_PHYS32_ENTRY note), as vmm and QEMU boot a Linux vmlinux.
 * In 32-bit protected mode with paging off it checks what the boot
 * protocol promises (EBX -> hvm_start_info with the magic, flat segments),
 * prints the command line and the module and memory-map counts on COM1,
 * and writes 0x20 + nr_modules to the debug-exit port (exit status
 * 65 + 2 * nr_modules). A broken promise writes 0x10 (status 33) instead.
 */
#include <linux/serial_reg.h>
#include "pvh_note.inc"

#define START_MAGIC	0x336ec578
/* struct hvm_start_info offsets */
#define SI_MAGIC	0
#define SI_NR_MODULES	12
#define SI_CMDLINE	24
#define SI_MEMMAP_N	48

	PVH_NOTE pvh_start

	.section .text, "ax"
	.code32
	.globl	pvh_start
pvh_start:
	cli
	cld
	movl	$stack_top, %esp
	cmpl	$START_MAGIC, SI_MAGIC(%ebx)
	jne	broken
	movl	%cr0, %eax			/* paging must be off */
	testl	$0x80000000, %eax
	jnz	broken
	movl	$msg_hello, %esi
	call	puts
	movl	SI_CMDLINE(%ebx), %esi		/* low half: the kit runs below 4 GiB */
	call	puts
	movl	$msg_modules, %esi
	call	puts
	movl	SI_NR_MODULES(%ebx), %eax
	call	putdigit
	movl	$msg_memmap, %esi
	call	puts
	movl	SI_MEMMAP_N(%ebx), %eax
	call	putdigit
	movl	$msg_nl, %esi
	call	puts
	movl	SI_NR_MODULES(%ebx), %eax
	addl	$0x20, %eax
	outb	%al, $DEBUG_EXIT
	jmp	halt
broken:
	movl	$msg_broken, %esi
	call	puts
	movb	$0x10, %al
	outb	%al, $DEBUG_EXIT
halt:
	hlt
	jmp	halt

/* Print the NUL-terminated string at %esi, polling THRE. */
puts:
	lodsb
	testb	%al, %al
	jz	2f
	call	putc
	jmp	puts
2:	ret

/* One decimal digit (0-9; more prints '+'). */
putdigit:
	cmpl	$9, %eax
	jbe	1f
	movb	$'+', %al
	jmp	putc
1:	addb	$'0', %al
	/* fall through */
putc:
	movb	%al, %cl
	movw	$(COM1 + UART_LSR), %dx
1:	inb	%dx, %al
	testb	$UART_LSR_THRE, %al
	jz	1b
	movw	$COM1, %dx
	movb	%cl, %al
	outb	%al, %dx
	ret

	.section .rodata, "a"
msg_hello:	.asciz	"pvh: hello, cmdline '"
msg_modules:	.asciz	"' modules "
msg_memmap:	.asciz	" memmap "
msg_nl:		.asciz	"\r\n"
msg_broken:	.asciz	"pvh: boot state is not what PVH promises\r\n"

	.section .bss
	.balign	16
	.space	1024
stack_top:

	.section .note.GNU-stack, "", @progbits
