// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts, handled at ring 3. The ring-0 stub of a vector sets the
 * vector's bit in this CPU's pending mask and returns without an EOI, so
 * the LAPIC holds back that vector and lower-priority ones meanwhile;
 * kit_irq_poll() (run by kit_halt()) calls the handlers, highest vector
 * first, and sends one EOI after each.
 *
 * Handlers run with IF set (cli/sti may each cost an exit, see kit.h), so
 * a higher-priority vector may enter service while a handler runs; the EOI
 * then retires that one, and ours is retired by its handler's EOI. Every
 * vector in service still gets exactly one EOI.
 */
#include "kit_priv.h"

#define LAPIC_ID	 0x20
#define LAPIC_TPR	 0x80
#define LAPIC_EOI	 0xb0
#define LAPIC_SVR	 0xf0
#define LAPIC_SVR_ENABLE (1u << 8)

#define IOAPIC_SEL	  0x00
#define IOAPIC_WIN	  0x10
#define IOAPIC_REDIR(pin) (0x10 + 2 * (pin))
#define REDIR_LEVEL	  (1u << 15)
#define REDIR_LOW	  (1u << 13)

/* The 8259s: ICW1-4 to move them off the exception vectors, then mask. */
#define PIC1	       0x20
#define PIC2	       0xa0
#define ICW1_INIT_ICW4 0x11
#define ICW4_8086      0x01

static kit_irq_fn handlers[256];
static uint64_t lapic_base;
static volatile int pic_done;

uint64_t kit_lapic_base(void)
{
	if (!lapic_base)
		lapic_base = kit_madt_lapic_base();
	return lapic_base;
}

static uint32_t lapic_read(uint32_t reg)
{
	return mmio_read32(kit_lapic_base() + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(kit_lapic_base() + reg, v);
}

uint32_t kit_lapic_id(void)
{
	return lapic_read(LAPIC_ID) >> 24;
}

void kit_lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

static void pic_disable(void)
{
	outb(ICW1_INIT_ICW4, PIC1);
	outb(ICW1_INIT_ICW4, PIC2);
	outb(KIT_PIC_VECTOR, PIC1 + 1);
	outb(KIT_PIC_VECTOR + 8, PIC2 + 1);
	outb(1 << 2, PIC1 + 1); /* slave on IRQ 2 */
	outb(2, PIC2 + 1);
	outb(ICW4_8086, PIC1 + 1);
	outb(ICW4_8086, PIC2 + 1);
	outb(0xff, PIC1 + 1);
	outb(0xff, PIC2 + 1);
}

/*
 * Done lazily, on first use of interrupts: tests that never take one pay
 * no exits for it. Interrupts stay off until then.
 */
void kit_irq_init_cpu(void)
{
	struct kit_cpu *cpu = kit_this_cpu();

	if (cpu->lapic_on)
		return;
	if (!__atomic_exchange_n(&pic_done, 1, __ATOMIC_ACQ_REL))
		pic_disable();
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | KIT_SPURIOUS_VECTOR);
	cpu->apic_id = kit_lapic_id();
	cpu->lapic_on = true;
	kit_sti();
}

void kit_irq_handler(int vector, kit_irq_fn fn)
{
	if (vector >= KIT_NR_EXCEPTIONS && vector < 256)
		handlers[vector] = fn;
	kit_irq_init_cpu();
}

static void ioapic_write(uint64_t base, uint32_t reg, uint32_t v)
{
	mmio_write32(base + IOAPIC_SEL, reg);
	mmio_write32(base + IOAPIC_WIN, v);
}

int kit_ioapic_route(int irq, int vector)
{
	uint16_t flags;
	uint32_t gsi = kit_madt_isa_gsi(irq, &flags);
	uint32_t pin, lo = vector;
	uint64_t base = kit_madt_ioapic(gsi, &pin);

	if (vector < KIT_NR_EXCEPTIONS || vector > 0xfe || pin >= 240)
		return -1;
	kit_irq_init_cpu();
	if ((flags & 3) == 3)
		lo |= REDIR_LOW;
	if (((flags >> 2) & 3) == 3)
		lo |= REDIR_LEVEL;
	/* Fixed delivery, physical destination: this CPU. */
	ioapic_write(base, IOAPIC_REDIR(pin) + 1, kit_this_cpu()->apic_id << 24);
	ioapic_write(base, IOAPIC_REDIR(pin), lo);
	return 0;
}

int kit_isa_irq(int irq, kit_irq_fn fn)
{
	int vector = KIT_ISA_VECTOR + irq;

	kit_irq_handler(vector, fn);
	return kit_ioapic_route(irq, vector) ? -1 : vector;
}

static void run_handler(int vector)
{
	if (handlers[vector])
		handlers[vector](vector);
	else if (vector < KIT_PIC_VECTOR || vector >= KIT_PIC_VECTOR + 16)
		kit_printf("KIT: unexpected interrupt, vector 0x%x\n", vector);
	/* The masked 8259s can still send a spurious IRQ 7/15: no EOI. */
	if (vector < KIT_PIC_VECTOR || vector >= KIT_PIC_VECTOR + 16)
		kit_lapic_eoi();
}

void kit_irq_poll(void)
{
	struct kit_cpu *cpu = kit_this_cpu();
	int w;

	for (w = 3; w >= 0; w--) {
		uint64_t bits = __atomic_exchange_n(&cpu->irq_pending[w], 0, __ATOMIC_ACQ_REL);

		while (bits) {
			int bit = 63 - __builtin_clzll(bits);

			bits &= ~(1ULL << bit);
			run_handler(w * 64 + bit);
		}
	}
}

void kit_halt(void)
{
	kit_irq_init_cpu();
	/* Ring 0 emulates it: no sleep if an interrupt is pending already. */
	asm volatile("hlt" : : : "memory");
	kit_irq_poll();
}
