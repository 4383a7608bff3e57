/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The real-mode setup code of the kit's bzImage, for loaders that enter
 * the boot protocol at the start (QEMU -kernel through SeaBIOS or qboot).
 *
 * The loader put the setup (this section) at some segment S, filled in
 * the setup header and jumps here in real mode with CS = S + 0x20, IP = 0.
 * The setup area is the zero page: its linear address is our boot_params.
 * We only get into 32-bit protected mode and jump to the 32-bit boot
 * protocol entry (kit_startup_32), which does the rest. Real mode is
 * emulated on some hosts (about a microsecond per instruction): keep this
 * short.
 *
 * mkbzimage fills the setup header (0x1f1..) from <asm/bootparam.h>; the
 * bytes there must stay zero except the 2-byte jump at 0x200.
 */
#include <asm/processor-flags.h>
#include "kit_defs.h"

	.section .setup, "ax"
	.code16

	/* 0x000..0x1f0: the boot sector nobody runs; zero, so that the
	 * boot_params fields that live there (e820_entries...) read 0. */
	.org 0x200
	jmp	setup_start		/* hdr.jump: over the header */

	.org KIT_SETUP_CODE
setup_start:
	cli
	cld
	/* Fast A20 (port 0x92 bit 1; bit 0 would reset the machine). */
	inb	$0x92, %al
	orb	$0x02, %al
	andb	$0xfe, %al
	outb	%al, $0x92
	/* %esi = linear address of the setup area = boot_params. */
	movw	%cs, %si
	subw	$0x20, %si
	movzwl	%si, %esi
	shll	$4, %esi
	/* The kit's GDT (above 1 MiB: needs the 32-bit lgdt form). The
	 * descriptor is addressed relative to CS, i.e. setup + 0x200. */
	lgdtl	%cs:(setup_gdt_desc - 0x200)
	movl	%cr0, %eax
	orl	$X86_CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$KIT_BOOT_CS, $kit_startup_32

	.balign 8
setup_gdt_desc:
	.word	KIT_GDT_SIZE - 1
	.long	kit_gdt

	.section .note.GNU-stack, "", @progbits
