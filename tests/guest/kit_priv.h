/* SPDX-License-Identifier: GPL-2.0 */
/* The kit's internals, shared between its C files. Tests use kit.h. */
#ifndef KIT_PRIV_H
#define KIT_PRIV_H

#include "kit.h"

/* Per-CPU area, reached through the GS base set at boot (head.S). */
struct kit_cpu {
	uint64_t irq_pending[4]; /* set by the ring-0 IRQ stubs */
	struct kit_cpu *self;
	uint32_t index;
	uint32_t apic_id;
	bool lapic_on;
} __attribute__((aligned(KIT_CPU_SIZE)));

#define KIT_CPU_CHECK(field, off) \
	_Static_assert(__builtin_offsetof(struct kit_cpu, field) == (off), #off)
KIT_CPU_CHECK(irq_pending, KIT_CPU_IRQ_PENDING);
KIT_CPU_CHECK(self, KIT_CPU_SELF);
_Static_assert(sizeof(struct kit_cpu) == KIT_CPU_SIZE, "KIT_CPU_SIZE");

extern struct kit_cpu kit_cpus[KIT_MAX_CPUS];

static inline struct kit_cpu *kit_this_cpu(void)
{
	struct kit_cpu *c;

	asm volatile("movq %%gs:%c1, %0" : "=r"(c) : "i"(KIT_CPU_SELF));
	return c;
}

/* Set up this CPU's area (at ring 3, before its first kit_syscall()). */
void kit_cpu_init(int index);

/* Registers as kit_exception_entry saves them. */
struct kit_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* the CPU's frame */
};

/* Entry points from head.S (at ring 3). */
_Noreturn void kit_start(void);
_Noreturn void kit_ap_start(int cpu);
/* At ring 0, from the exception stubs: returns only from a ring-0 call. */
void kit_exception(struct kit_regs *regs);

/* printf.c: output without the lock, for the exception path. */
void kit_printf_unlocked(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* irq.c: per-CPU LAPIC and global PIC set-up (idempotent). */
void kit_irq_init_cpu(void);
/* acpi.c: MADT and FADT facts. */
uint64_t kit_madt_lapic_base(void);
/* The IOAPIC serving @gsi: its address, and @gsi's pin on it. */
uint64_t kit_madt_ioapic(uint32_t gsi, uint32_t *pin);
/*
 * ISA IRQ -> GSI, and its MPS INTI flags (polarity bits 0-1, trigger bits
 * 2-3; 0 = the ISA default, active high and edge). Without a MADT, IRQ 0
 * is on GSI 2 and IRQ n on GSI n.
 */
uint32_t kit_madt_isa_gsi(int irq, uint16_t *flags);
/* The ACPI PM timer's port (24 or 32 bits at 3.579545 MHz), or 0. */
uint32_t kit_acpi_pm_timer(void);
/* timer.c: note the boot time (kit_now_us() counts from it). */
void kit_timer_boot(void);
/* Parks this CPU for good (cli; hlt). */
_Noreturn void kit_park(void);

#define KIT_COM1	    0x3f8
#define KIT_DEBUG_EXIT_PORT 0xf4

#endif
