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
struct aml;

/*
 * A legacy ISA device the DSDT describes as Device (name) { _HID, _UID,
 * _CRS } so the guest's PNP drivers find it (8250_pnp, i8042's PNP probe,
 * rtc_cmos). Registered by the device model at init, see
 * platform_add_isa_dev(); IRQs listed in level_irqs are described as
 * level-triggered.
 */
struct isa_dev_desc {
	char name[5]; /* ACPI name: "COM1" */
	char hid[8];  /* EISA id: "PNP0501" */
	uint32_t uid;
	struct {
		uint16_t base;
		uint8_t len; /* 0 = unused */
	} io[2];
	uint16_t irq_mask; /* bit n = ISA IRQ n, 0 = none */
};

/*
 * DSDT content a device adds itself (a PCI root bridge, virtio-mmio
 * devices): @fn is called inside Scope (\_SB) with the AML writer (see
 * bios/aml.h); errors are sticky in the writer and fail acpi_build().
 */
struct dsdt_hook {
	void (*fn)(struct aml *a, const struct vm *vm, void *opaque);
	void *opaque;
};

#define PLATFORM_MAX_ISA_DEVS	16
#define PLATFORM_MAX_DSDT_HOOKS 16

struct platform_info {
	/* ACPI fixed hardware: set by devices/acpi_pm.c */
	uint16_t pm1a_evt_blk; /* PM1a status (2 bytes) + enable (2 bytes) */
	uint16_t pm1a_cnt_blk; /* PM1a control (2 bytes) */
	uint16_t pm_tmr_blk;   /* PM timer (4 bytes), 0 = none */
	uint8_t sci_irq;
	uint8_t s5_slp_typ; /* SLP_TYP value that means "soft off" */
	/* ACPI reset register (system I/O): set by the device that resets */
	uint16_t reset_port; /* 0 = none */
	uint8_t reset_value;
	/* ISA IRQs that are level-triggered (bit n = IRQ n), e.g. the SCI */
	uint16_t level_irqs;
	/* PCI host bridge (devices/pci.c): ECAM base for bus 0, 0 = no PCI;
	 * the DSDT then has a root bridge and the XSDT an MCFG table. */
	uint64_t pci_ecam_base;
	/* What the DSDT describes besides the fixed hardware. */
	unsigned int nr_isa_devs;
	struct isa_dev_desc isa_devs[PLATFORM_MAX_ISA_DEVS];
	unsigned int nr_dsdt_hooks;
	struct dsdt_hook dsdt_hooks[PLATFORM_MAX_DSDT_HOOKS];
};

/* In-kernel irqchip placement (KVM's defaults). */
#define IOAPIC_ADDR 0xfec00000u
#define LAPIC_ADDR  0xfee00000u
#define IOAPIC_PINS 24

/*
 * Describe an ISA device in the DSDT (copied). 0, -EINVAL for a bad name
 * or EISA id, -ENOSPC when the table is full.
 */
int platform_add_isa_dev(struct platform_info *p, const struct isa_dev_desc *d);
/* Add DSDT content (see struct dsdt_hook). 0 or -ENOSPC. */
int platform_add_dsdt_hook(struct platform_info *p,
			   void (*fn)(struct aml *a, const struct vm *vm, void *opaque),
			   void *opaque);

/*
 * Fill @tab with the guest's e820 map, sorted and non-overlapping; returns
 * the entry count, or -ENOSPC if more than @max entries are needed.
 */
int e820_build(const struct vm *vm, struct boot_e820_entry *tab, int max);
/*
 * Write the MP floating pointer + config table at @gpa (16-byte aligned,
 * below 1 MiB). 0 or -errno: -ENOSPC if @size is too small (1 KiB holds
 * 40 vCPUs), -EINVAL for a bad @gpa or more than 254 vCPUs.
 */
int mptable_build(struct vm *vm, uint64_t gpa, uint64_t size);
/*
 * Write RSDP, XSDT, FADT (+FACS), MADT and DSDT at @gpa (at most @size
 * bytes); the RSDP comes first so it sits on a 16-byte boundary in the
 * BIOS area. Call it after every device has filled vm->platform.
 * 0 or -errno: -ENOSPC if the tables do not fit, -EINVAL without the
 * PM1a blocks (no ACPI PM device) or with a misaligned @gpa.
 */
int acpi_build(struct vm *vm, uint64_t gpa, uint64_t size);

#endif
