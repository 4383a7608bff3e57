/* SPDX-License-Identifier: GPL-2.0 */
/* Where vmm puts things in low guest memory for a direct kernel boot. */
#ifndef VMM_BIOS_LAYOUT_H
#define VMM_BIOS_LAYOUT_H

#define LAYOUT_GDT	   0x00000500ULL /* boot GDT (__BOOT_CS 0x10, __BOOT_DS 0x18) */
#define LAYOUT_PVH_INFO	   0x00006000ULL /* PVH start info, module list, memory map */
#define LAYOUT_BOOT_PARAMS 0x00007000ULL /* the zero page */
#define LAYOUT_PML4	   0x00009000ULL /* identity map of the first 4 GiB: */
#define LAYOUT_PDPT	   0x0000a000ULL /*   PML4, PDPT, then 4 page directories */
#define LAYOUT_PD	   0x0000b000ULL /*   of 2 MiB pages (0xb000..0xefff) */
#define LAYOUT_CMDLINE	   0x00020000ULL
#define LAYOUT_CMDLINE_MAX 0x00010000ULL
#define LAYOUT_EBDA	   0x0009fc00ULL /* reserved, like a PC's (1 KiB) */
#define LAYOUT_EBDA_SIZE   0x00000400ULL
#define LAYOUT_BIOS	   0x000e0000ULL /* ACPI tables: RSDP first */
#define LAYOUT_BIOS_SIZE   0x00010000ULL
/* The MP table: in the F segment, which guests scan, with room for 255 CPUs. */
#define LAYOUT_MPTABLE	    0x000f0000ULL
#define LAYOUT_MPTABLE_SIZE 0x00010000ULL
#define LAYOUT_KERNEL	    0x00100000ULL /* protected-mode kernel, unless relocated */
/* Reserved just below the IOAPIC, as QEMU does: KVM's identity map + TSS. */
#define LAYOUT_IDENT_MAP    0xfeffc000ULL
#define LAYOUT_TSS	    0xfeffd000ULL
#define LAYOUT_RESERVED_TOP 0xff000000ULL

#endif
