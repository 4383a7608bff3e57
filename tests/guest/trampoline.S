/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The AP trampoline. kit_start_aps() copies it to KIT_TRAMPOLINE (below
 * 1 MiB) and sends SIPIs with that page as the vector; each AP then starts
 * here in real mode with CS = KIT_TRAMPOLINE >> 4, IP = 0. Like the setup
 * code it only reaches 32-bit protected mode and takes the 32-bit entry,
 * with %esi = 0 to say "no boot_params: I am an AP".
 *
 * Position-independent: data is addressed relative to CS.
 */
#include <asm/processor-flags.h>
#include "kit_defs.h"

	.section .rodata, "a"
	.code16
	.globl	kit_trampoline_start, kit_trampoline_end
kit_trampoline_start:
	cli
	cld
	lgdtl	%cs:(tramp_gdt_desc - kit_trampoline_start)
	movl	%cr0, %eax
	orl	$X86_CR0_PE, %eax
	movl	%eax, %cr0
	xorl	%esi, %esi
	ljmpl	$KIT_BOOT_CS, $kit_startup_32

	.balign 8
tramp_gdt_desc:
	.word	KIT_GDT_SIZE - 1
	.long	kit_gdt
kit_trampoline_end:

	.section .note.GNU-stack, "", @progbits
