/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kit's ring-0 code: the boot protocol entries, the trip to ring 3,
 * the interrupt stubs and the ring-0 services; and the descriptor tables
 * and page tables, all built at link time.
 *
 * Guest ring-0 code may be emulated one instruction at a time (about a
 * microsecond each), so nothing here loops: the IDT, the TSSs and the page
 * tables are static data (kit.lds splits the addresses the descriptors
 * need into fields), and everything else runs at ring 3.
 */
#include <asm/processor-flags.h>
#include "kit_defs.h"

/* Offset of the shared I/O bitmap from CPU n's TSS; its size. */
#define TSS_IOMAP(n)	(KIT_TSS_SIZE * (KIT_MAX_CPUS - (n)))
#define IOMAP_SIZE	(65536 / 8)

/* The #GP frame: error code, then the CPU's RIP, CS, RFLAGS... */
#define GP_CS		16
/* ...and once gp_entry has pushed %rax: */
#define GP_RAX_RIP	16
#define GP_RAX_RFLAGS	32

/*
 * 32-bit boot protocol entry, at code32_start (the start of the
 * protected-mode part). Flat 32-bit protected mode, paging off, %esi =
 * boot_params; or %esi = 0 from the AP trampoline.
 */
	.section .head.text, "ax"
	.code32
	.globl	kit_startup_32
kit_startup_32:
	cli
	cld
	/* CS is flat; DS may still be a real-mode segment (setup.S). */
	lgdt	%cs:kit_gdt_desc
	movl	$KIT_KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%cr4, %eax
	orl	$X86_CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$kit_pml4, %eax
	movl	%eax, %cr3
	movl	$KIT_MSR_EFER, %ecx
	rdmsr
	orl	$KIT_EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(X86_CR0_PG | X86_CR0_PE), %eax
	movl	%eax, %cr0
	ljmp	$KIT_KERNEL_CS, $kit_startup_64

/*
 * 64-bit boot protocol entry, at code32_start + 0x200. Long mode with some
 * identity map and some GDT (the loader's), interrupts off, %rsi =
 * boot_params; or %rsi = 0 for an AP coming through kit_startup_32.
 */
	.org	KIT_ENTRY64_OFFSET
	.code64
	.globl	kit_startup_64
kit_startup_64:
	cli
	cld
	lgdt	kit_gdt_desc(%rip)
	movl	%esi, %esi
	testl	%esi, %esi
	jz	ap_entry
	movq	%rsi, kit_boot_params_addr(%rip)
	/* Mask the 8259s before anything can enable interrupts: firmware
	 * may have left the PIT ticking on vector 8. */
	movb	$0xff, %al
	outb	%al, $0x21
	outb	%al, $0xa1
	/* 1 GiB pages where the CPU has them: 4 entries instead of 2048. */
	movl	$0x80000001, %eax
	cpuid
	btl	$KIT_CPUID_GBPAGES_BIT, %edx
	jnc	1f
	movq	$(kit_pdpt_1g + KIT_PTE_TABLE), kit_pml4(%rip)
1:	xorl	%ebx, %ebx
	jmp	cpu_init

ap_entry:
	movl	$1, %ebx
	lock xaddl %ebx, kit_next_cpu(%rip)
	cmpl	$KIT_MAX_CPUS, %ebx
	jae	park

/* %ebx = CPU index. Our page tables, segments, stack, TSS, IDT, GS. */
cpu_init:
	/* Every page is a user page, which ring 0 may neither run (SMEP)
	 * nor touch (SMAP): make sure a loader did not turn those on. */
	movq	%cr4, %rax
	andl	$~(X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_PKE), %eax
	movq	%rax, %cr4
	movl	$kit_pml4, %eax
	movq	%rax, %cr3
	movl	$KIT_KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	xorl	%eax, %eax
	movl	%eax, %fs
	movl	%eax, %gs
	leal	1(%ebx), %eax
	imull	$KIT_KSTACK_SIZE, %eax
	leaq	kit_kstacks(%rax), %rsp
	pushq	$KIT_KERNEL_CS
	leaq	1f(%rip), %rax
	pushq	%rax
	lretq
1:	movl	%ebx, %eax
	shll	$4, %eax
	addl	$KIT_TSS_SEL, %eax
	ltr	%ax
	lidt	kit_idt_desc(%rip)
	imull	$KIT_CPU_SIZE, %ebx, %eax
	addl	$kit_cpus, %eax
	xorl	%edx, %edx
	movl	$KIT_MSR_GS_BASE, %ecx
	wrmsr
	/*
	 * iretq to ring 3 with IF clear and IOPL 3. Some hosts ignore IOPL
	 * at ring 3 (kvm_pvm), so the TSS's I/O bitmap allows every port too.
	 */
	leal	1(%ebx), %eax
	imull	$KIT_USTACK_SIZE, %eax
	leaq	(kit_ustacks - 8)(%rax), %rax	/* as if called */
	pushq	$KIT_USER_DS
	pushq	%rax
	pushq	$(X86_EFLAGS_IOPL | X86_EFLAGS_FIXED)
	pushq	$KIT_USER_CS
	movl	$kit_start, %eax
	testl	%ebx, %ebx
	jz	2f
	movl	$kit_ap_start, %eax
2:	pushq	%rax
	movl	%ebx, %edi
	iretq

park:
	cli
	hlt
	jmp	park

	.text
/*
 * The ring-0 services are privileged instructions executed at ring 3,
 * emulated here when they fault with #GP: hlt, and cli/sti where the host
 * ignores IOPL 3 (kvm_pvm does; it also turns INT n at ring 3 into #UD, so
 * no software-interrupt gate). Anything else is a real #GP.
 *
 * hlt: sleep unless an interrupt is already pending (checked with IF
 * clear, and sti's one-instruction shadow makes sti; hlt atomic, so no
 * wake-up slips in between). With the caller's IF clear, it sleeps for
 * good, as hlt does.
 */
gp_entry:
	testb	$3, GP_CS(%rsp)		/* only ring 3 is emulated */
	jz	gp_fatal
	cmpq	$0, (%rsp)		/* error code */
	jne	gp_fatal
	pushq	%rax
	movq	GP_RAX_RIP(%rsp), %rax
	movb	(%rax), %al
	cmpb	$0xf4, %al
	je	gp_hlt
	cmpb	$0xfa, %al
	je	gp_cli
	cmpb	$0xfb, %al
	je	gp_sti
	popq	%rax
gp_fatal:
	pushq	$13
	jmp	kit_exception_entry
gp_cli:
	andq	$~X86_EFLAGS_IF, GP_RAX_RFLAGS(%rsp)
	jmp	gp_done
gp_sti:
	orq	$X86_EFLAGS_IF, GP_RAX_RFLAGS(%rsp)
	jmp	gp_done
gp_hlt:
	testq	$X86_EFLAGS_IF, GP_RAX_RFLAGS(%rsp)
	jz	park
	cmpq	$0, %gs:KIT_CPU_IRQ_PENDING
	jne	gp_done
	cmpq	$0, %gs:KIT_CPU_IRQ_PENDING + 8
	jne	gp_done
	cmpq	$0, %gs:KIT_CPU_IRQ_PENDING + 16
	jne	gp_done
	cmpq	$0, %gs:KIT_CPU_IRQ_PENDING + 24
	jne	gp_done
	sti
	hlt
	cli
gp_done:
	incq	GP_RAX_RIP(%rsp)		/* all three are one byte */
	popq	%rax
	addq	$8, %rsp		/* the error code */
	iretq

/*
 * Other exceptions: save the registers for kit_exception(), which reports
 * and exits, except for a kit_ring0_call() (a ud2 with a magic RAX), which
 * it runs and returns from.
 */
kit_exception_entry:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	movq	%rsp, %rbp
	andq	$-16, %rsp
	call	kit_exception
	movq	%rbp, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp		/* vector, error code */
	iretq

/*
 * The 256 interrupt stubs, 16 bytes apart so that the IDT can be static.
 * An IRQ only sets its vector's bit in this CPU's pending mask and
 * returns, without EOI: the LAPIC holds back same- and lower-priority
 * vectors until ring 3 has run the handler and sent the EOI (irq.c).
 */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || \
			   (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

.macro isr_stub v
	.org	16 * \v, 0xcc
	.if \v == 13
	jmp	gp_entry
	.elseif \v < KIT_NR_EXCEPTIONS
	.if HAS_ERROR_CODE(\v)
	.else
	pushq	$0
	.endif
	pushq	$\v
	jmp	kit_exception_entry
	.elseif \v == KIT_SPURIOUS_VECTOR
	iretq
	.else
	lock btsq $(\v & 63), %gs:(KIT_CPU_IRQ_PENDING + 8 * (\v >> 6))
	iretq
	.endif
.endm

	.section .isr.text, "ax"
	.globl	kit_isr_stubs
kit_isr_stubs:
	.set	.Lvec, 0
	.rept	256
	isr_stub .Lvec
	.set	.Lvec, .Lvec + 1
	.endr

	.data
	.globl	kit_boot_params_addr
kit_boot_params_addr:
	.quad	0
kit_next_cpu:
	.long	1

/*
 * GDT: see kit_defs.h. The TSS descriptors' base fields come from kit.lds
 * (kit_tss_*): ld can split an address into fields, the assembler cannot.
 */
	.balign	16
	.globl	kit_gdt
kit_gdt:
	.quad	0
	.quad	0x00cf9b000000ffff	/* KIT_BOOT_CS: 32-bit, DPL 0 */
	.quad	0x00af9b000000ffff	/* KIT_KERNEL_CS: 64-bit, DPL 0 */
	.quad	0x00cf93000000ffff	/* KIT_KERNEL_DS */
	.quad	0x00cff3000000ffff	/* KIT_USER_DS: DPL 3 */
	.quad	0x00affb000000ffff	/* KIT_USER_CS: 64-bit, DPL 3 */
	.set	.Lcpu, 0
	.rept	KIT_MAX_CPUS
	.word	TSS_IOMAP(.Lcpu) + IOMAP_SIZE	/* limit */
	.word	kit_tss_lo16 + KIT_TSS_SIZE * .Lcpu
	.byte	kit_tss_b16
	.byte	0x89			/* present, 64-bit TSS (available) */
	.byte	0
	.byte	kit_tss_b24
	.long	kit_tss_hi32
	.long	0
	.set	.Lcpu, .Lcpu + 1
	.endr
kit_gdt_end:
	.if	kit_gdt_end - kit_gdt != KIT_GDT_SIZE
	.error	"KIT_GDT_SIZE does not match the GDT"
	.endif

	.balign	8
kit_gdt_desc:
	.word	KIT_GDT_SIZE - 1
	.quad	kit_gdt

/*
 * IDT: interrupt gates to the kernel CS, DPL 0 (nothing is called by INT),
 * but #BP's is DPL 3, as in Linux: an int3 at ring 3 (a debugger's
 * breakpoint) must raise #BP, not #GP, for KVM's software breakpoints.
 */
	.balign	16
kit_idt:
	.set	.Lvec, 0
	.rept	256
	.word	kit_isr_lo16 + 16 * .Lvec
	.word	KIT_KERNEL_CS
	.byte	0
	.if .Lvec == 3
	.byte	0xee
	.else
	.byte	0x8e
	.endif
	.word	kit_isr_mid16
	.long	kit_isr_hi32
	.long	0
	.set	.Lvec, .Lvec + 1
	.endr
kit_idt_end:

	.balign	8
kit_idt_desc:
	.word	kit_idt_end - kit_idt - 1
	.quad	kit_idt

/*
 * One TSS per CPU: its ring-0 stack (RSP0), and an I/O permission bitmap
 * allowing every port. All the TSSs share one bitmap, right after them.
 */
	.balign	4096
	.globl	kit_tss
kit_tss:
	.set	.Lcpu, 0
	.rept	KIT_MAX_CPUS
	.long	0
	.quad	kit_kstacks + KIT_KSTACK_SIZE * (.Lcpu + 1)	/* RSP0 */
	.fill	22, 4, 0		/* RSP1, RSP2, IST1-7, reserved */
	.word	0
	.word	TSS_IOMAP(.Lcpu)	/* I/O map base, from this TSS */
	.fill	KIT_TSS_SIZE - 104, 1, 0
	.set	.Lcpu, .Lcpu + 1
	.endr
kit_iomap:
	.fill	IOMAP_SIZE, 1, 0	/* 0: allowed */
	.byte	0xff			/* the end marker the CPU wants */
	.if	kit_iomap - kit_tss != KIT_TSS_SIZE * KIT_MAX_CPUS
	.error	"the I/O bitmap must follow the TSSs"
	.endif

/*
 * Page tables: the first 4 GiB identity-mapped, user-accessible (ring 3
 * reaches RAM, the LAPIC, the IOAPIC and PCI MMIO), the top GiB uncached.
 * 2 MiB pages by default; kit_startup_64 switches PML4[0] to the 1 GiB
 * PDPT when the CPU has 1 GiB pages.
 */
	.balign	4096
	.globl	kit_pml4
kit_pml4:
	.quad	kit_pdpt_2m + KIT_PTE_TABLE
	.fill	511, 8, 0
kit_pdpt_2m:
	.set	.Li, 0
	.rept	4
	.quad	kit_pd + 4096 * .Li + KIT_PTE_TABLE
	.set	.Li, .Li + 1
	.endr
	.fill	508, 8, 0
kit_pdpt_1g:
	.quad	(0 << 30) | KIT_PTE_LARGE
	.quad	(1 << 30) | KIT_PTE_LARGE
	.quad	(2 << 30) | KIT_PTE_LARGE
	.quad	(3 << 30) | KIT_PTE_LARGE | KIT_PTE_UC
	.fill	508, 8, 0
kit_pd:
	.set	.Li, 0
	.rept	2048
	.if	.Li < 1536
	.quad	(.Li << 21) | KIT_PTE_LARGE
	.else
	.quad	(.Li << 21) | KIT_PTE_LARGE | KIT_PTE_UC
	.endif
	.set	.Li, .Li + 1
	.endr

/* Stacks: not part of the file, and not cleared (kit.lds: after __bss_end). */
	.section .stacks, "aw", @nobits
	.balign	4096
	.globl	kit_kstacks, kit_ustacks
kit_kstacks:
	.skip	KIT_KSTACK_SIZE * KIT_MAX_CPUS
kit_ustacks:
	.skip	KIT_USTACK_SIZE * KIT_MAX_CPUS

	.section .note.GNU-stack, "", @progbits
