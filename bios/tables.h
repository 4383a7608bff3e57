/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Boot tables (e820, MP table, ACPI) built from the machine that was
 * actually created. Devices describe themselves in struct platform_info at
 * init time; the builders read it, so nothing here hard-codes a device's port.
 */
#ifndef VMM_BIOS_TABLES_H
#define VMM_BIOS_TABLES_H

#include <stdint.h>

#include <asm/bootparam.h>

struct vm;

struct platform_info {
	/* ACPI fixed hardware: set by devices/acpi_pm.c */
	uint16_t pm1a_evt_blk;	/* PM1a status (2 bytes) + enable (2 bytes) */
	uint16_t pm1a_cnt_blk;	/* PM1a control (2 bytes) */
	uint16_t pm_tmr_blk;	/* PM timer (4 bytes), 0 = none */
	uint8_t sci_irq;
	uint8_t s5_slp_typ;	/* SLP_TYP value that means "soft off" */
	/* ACPI reset register (system I/O): set by the device that resets */
	uint16_t reset_port;	/* 0 = none */
	uint8_t reset_value;
	/* ISA IRQs that are level-triggered (bit n = IRQ n), e.g. the SCI */
	uint16_t level_irqs;
};

/* In-kernel irqchip placement (KVM's defaults). */
#define IOAPIC_ADDR 0xfec00000u
#define LAPIC_ADDR 0xfee00000u
#define IOAPIC_PINS 24

/* Fill @tab with the guest's e820 map; returns the entry count. */
int e820_build(const struct vm *vm, struct boot_e820_entry *tab, int max);
/* Write the MP floating pointer + config table at @gpa. 0 or -errno. */
int mptable_build(struct vm *vm, uint64_t gpa, uint64_t size);
/*
 * Write RSDP, XSDT, FADT (+FACS), MADT and DSDT at @gpa (at most @size
 * bytes); the RSDP comes first so it sits on a 16-byte boundary in the
 * BIOS area. 0 or -errno.
 */
int acpi_build(struct vm *vm, uint64_t gpa, uint64_t size);

#endif
