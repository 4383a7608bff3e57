// SPDX-License-Identifier: GPL-2.0
/*
 * MP table (Intel MultiProcessor Specification 1.4) for guests that boot
 * without ACPI (acpi=off, old kernels, some boot loaders): the floating
 * pointer at @gpa, the configuration table right after it.
 *
 * The interrupt routing is the PC's: the 8259 in virtual wire mode on
 * LINT0 (feature2 IMCRP = 0), NMI on LINT1, ISA IRQ n on IOAPIC pin n
 * except IRQ0, which is on pin 2 (the cascade, IRQ2, has no entry). The
 * same routing is in the MADT (acpi.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bios/mptable.h"
#include "bios/tables.h"
#include "cpu/vm.h"

/* What KVM's in-kernel LAPIC and IOAPIC report in their version registers. */
#define KVM_LAPIC_VERSION  0x14
#define KVM_IOAPIC_VERSION 0x11

/*
 * CPUID.1 signature and features for the processor entries: Linux only
 * prints them, so a plain family 6 with FPU and APIC will do.
 */
#define MP_CPU_SIGNATURE 0x00000600
#define MP_CPU_FEATURES	 ((1u << 0) | (1u << 9))

#define MP_ISA_BUS  0
#define MP_ISA_IRQS 16
/* IRQ0 moves to pin 2; IRQ2 (cascade) has no entry. */
#define MP_NR_INTSRC  (MP_ISA_IRQS - 1)
#define MP_NR_LINTSRC 2

static uint8_t mp_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return -sum;
}

static size_t mptable_size(unsigned int nr_vcpus)
{
	return sizeof(struct mpf_intel) + sizeof(struct mpc_table) +
	       nr_vcpus * sizeof(struct mpc_cpu) + sizeof(struct mpc_bus) +
	       sizeof(struct mpc_ioapic) +
	       (MP_NR_INTSRC + MP_NR_LINTSRC) * sizeof(struct mpc_intsrc);
}

static uint8_t *mp_add_cpus(uint8_t *p, unsigned int nr_vcpus)
{
	unsigned int i;

	for (i = 0; i < nr_vcpus; i++) {
		struct mpc_cpu cpu = {
			.type = MP_PROCESSOR,
			.apicid = i,
			.apicver = KVM_LAPIC_VERSION,
			.cpuflag = CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0),
			.cpufeature = MP_CPU_SIGNATURE,
			.featureflag = MP_CPU_FEATURES,
		};

		memcpy(p, &cpu, sizeof(cpu));
		p += sizeof(cpu);
	}
	return p;
}

static uint8_t *mp_add_intsrc(uint8_t *p, const struct mpc_intsrc *e)
{
	memcpy(p, e, sizeof(*e));
	return p + sizeof(*e);
}

/* ISA IRQs 0-15 on the IOAPIC, and the two local interrupt lines. */
static uint8_t *mp_add_irqs(uint8_t *p, const struct platform_info *plat, uint8_t ioapic_id)
{
	uint16_t level = plat->level_irqs;
	unsigned int irq;

	/* The SCI is level-triggered whether or not its device said so. */
	if (plat->sci_irq && plat->sci_irq < MP_ISA_IRQS)
		level |= 1u << plat->sci_irq;
	for (irq = 0; irq < MP_ISA_IRQS; irq++) {
		struct mpc_intsrc e = {
			.type = MP_INTSRC,
			.irqtype = MP_INT,
			.srcbus = MP_ISA_BUS,
			.srcbusirq = irq,
			.dstapic = ioapic_id,
			.dstirq = irq ? irq : 2,
		};

		if (irq == 2)
			continue;
		/* Level, active high: what KVM's IOAPIC and ELCR expect. */
		if (irq && (level & (1u << irq)))
			e.irqflag = MP_IRQTRIG_LEVEL | MP_IRQPOL_ACTIVE_HIGH;
		p = mp_add_intsrc(p, &e);
	}
	p = mp_add_intsrc(p, &(struct mpc_intsrc){
				     .type = MP_LINTSRC,
				     .irqtype = MP_EXTINT,
				     .srcbus = MP_ISA_BUS,
				     .dstapic = MP_APIC_ALL,
				     .dstirq = 0,
			     });
	return mp_add_intsrc(p, &(struct mpc_intsrc){
					.type = MP_LINTSRC,
					.irqtype = MP_NMI,
					.srcbus = MP_ISA_BUS,
					.dstapic = MP_APIC_ALL,
					.dstirq = 1,
				});
}

static void mp_fill(uint8_t *buf, size_t len, uint64_t gpa, const struct vm *vm)
{
	struct mpf_intel *mpf = (struct mpf_intel *)buf;
	struct mpc_table *mpc = (struct mpc_table *)(mpf + 1);
	uint8_t ioapic_id = vm->nr_vcpus;
	uint8_t *p = (uint8_t *)(mpc + 1);
	struct mpc_ioapic ioapic = {
		.type = MP_IOAPIC,
		.apicid = ioapic_id,
		.apicver = KVM_IOAPIC_VERSION,
		.flags = MPC_APIC_USABLE,
		.apicaddr = IOAPIC_ADDR,
	};
	struct mpc_bus bus = { .type = MP_BUS, .busid = MP_ISA_BUS };

	p = mp_add_cpus(p, vm->nr_vcpus);
	memcpy(bus.bustype, "ISA   ", sizeof(bus.bustype));
	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	memcpy(p, &ioapic, sizeof(ioapic));
	p += sizeof(ioapic);
	p = mp_add_irqs(p, &vm->platform, ioapic_id);

	memcpy(mpc->signature, MPC_SIGNATURE, 4);
	mpc->length = len - sizeof(*mpf);
	mpc->spec_rev = MP_SPEC_REV_1_4;
	memcpy(mpc->oem, "VMM     ", sizeof(mpc->oem));
	memcpy(mpc->product, "VMM         ", sizeof(mpc->product));
	mpc->count = vm->nr_vcpus + 2 + MP_NR_INTSRC + MP_NR_LINTSRC;
	mpc->lapic = LAPIC_ADDR;
	mpc->checksum = mp_checksum(mpc, mpc->length);

	memcpy(mpf->signature, MPF_SIGNATURE, 4);
	mpf->physptr = gpa + sizeof(*mpf);
	mpf->length = 1;
	mpf->spec_rev = MP_SPEC_REV_1_4;
	mpf->checksum = mp_checksum(mpf, sizeof(*mpf));
}

int mptable_build(struct vm *vm, uint64_t gpa, uint64_t size)
{
	size_t len = mptable_size(vm->nr_vcpus);
	uint8_t *buf;
	int ret;

	/*
	 * Guests scan for the floating pointer on 16-byte boundaries below
	 * 1 MiB; APIC IDs 0..nr_vcpus-1 and the IOAPIC's (nr_vcpus) are 8-bit,
	 * and 0xff is the broadcast ID.
	 */
	if ((gpa & 15) || gpa + size > 0x100000 || gpa + size < gpa)
		return -EINVAL;
	if (!vm->nr_vcpus || vm->nr_vcpus >= MP_APIC_ALL)
		return -EINVAL;
	if (len > size)
		return -ENOSPC;
	buf = calloc(1, len);
	if (!buf)
		return -ENOMEM;
	mp_fill(buf, len, gpa, vm);
	ret = mem_write(&vm->mem, gpa, buf, len);
	free(buf);
	return ret;
}
