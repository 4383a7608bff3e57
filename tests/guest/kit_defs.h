/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Constants shared by the kit's assembly and C: the memory layout, the
 * GDT, the IDT vectors and the ring-0 services. Plain #defines only, so
 * that the .S files can include it.
 */
#ifndef KIT_DEFS_H
#define KIT_DEFS_H

/* The protected-mode part is linked at (and not relocatable from) 1 MiB. */
#define KIT_LOAD_ADDR 0x100000
/* Offset of the 64-bit entry in the protected-mode part (boot protocol). */
#define KIT_ENTRY64_OFFSET 0x200
/* Where the 16-bit setup code starts, past the setup header. */
#define KIT_SETUP_CODE 0x280
/* The AP trampoline: page 8 below 1 MiB, so the SIPI vector is 0x08. */
#define KIT_TRAMPOLINE 0x8000

/* GDT. */
#define KIT_BOOT_CS   0x08 /* 32-bit flat code (the 32-bit entry) */
#define KIT_KERNEL_CS 0x10 /* 64-bit code, DPL 0 */
#define KIT_KERNEL_DS 0x18 /* flat data, DPL 0 */
#define KIT_USER_DS   0x23 /* flat data, DPL 3 (RPL 3) */
#define KIT_USER_CS   0x2b /* 64-bit code, DPL 3 (RPL 3) */
#define KIT_TSS_SEL   0x30 /* one 16-byte TSS descriptor per CPU */

#define KIT_MAX_CPUS	32 /* the TSS array must fit in 4 KiB */
#define KIT_GDT_SIZE	(KIT_TSS_SEL + 16 * KIT_MAX_CPUS)
#define KIT_TSS_SIZE	128   /* 104 used, padded */
#define KIT_KSTACK_SIZE 4096  /* ring 0 only takes interrupts */
#define KIT_USTACK_SIZE 16384 /* ring 3 runs the tests */

/* Per-CPU area (struct kit_cpu), reached through GS at both rings. */
#define KIT_CPU_SIZE	    128
#define KIT_CPU_IRQ_PENDING 0  /* u64[4]: one bit per vector */
#define KIT_CPU_SELF	    32 /* struct kit_cpu * */

/* IDT vectors. */
#define KIT_NR_EXCEPTIONS   32
#define KIT_SPURIOUS_VECTOR 0xff
#define KIT_PIC_VECTOR	    0x20 /* the masked 8259s, 0x20..0x2f */
#define KIT_ISA_VECTOR	    0x30 /* ISA IRQ n routed by the kit: 0x30 + n */

/* kit_ring0_call(): ud2 with this in RAX. */
#define KIT_RING0_MAGIC 0x6b69747230ULL /* "kitr0" */

/* Exit codes written to the debug-exit port by the kit itself. */
#define KIT_EXIT_FAIL	   0x7d /* a test found a failure */
#define KIT_EXIT_EXCEPTION 0x7e /* an unexpected CPU exception */

/* Page-table entry bits (not in the UAPI headers). */
#define KIT_PTE_P     0x001
#define KIT_PTE_RW    0x002
#define KIT_PTE_US    0x004
#define KIT_PTE_PWT   0x008
#define KIT_PTE_PCD   0x010
#define KIT_PTE_PS    0x080
#define KIT_PTE_TABLE (KIT_PTE_P | KIT_PTE_RW | KIT_PTE_US)
#define KIT_PTE_LARGE (KIT_PTE_TABLE | KIT_PTE_PS)
#define KIT_PTE_UC    (KIT_PTE_PWT | KIT_PTE_PCD)

/* MSRs (asm/msr-index.h is not a UAPI header). */
#define KIT_MSR_EFER	0xc0000080
#define KIT_EFER_LME	(1 << 8)
#define KIT_MSR_GS_BASE 0xc0000101

/* CPUID 0x80000001 EDX: 1 GiB pages. */
#define KIT_CPUID_GBPAGES_BIT 26

#endif
