/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Intel MultiProcessor Specification 1.4 structures (chapter 4): the
 * floating pointer and the base configuration table with its entries.
 * Not in any UAPI header, so defined here; mptable.c and the unit tests
 * share them.
 */
#ifndef VMM_BIOS_MPTABLE_H
#define VMM_BIOS_MPTABLE_H

#include <stdint.h>

#define MPF_SIGNATURE	"_MP_"
#define MPC_SIGNATURE	"PCMP"
#define MP_SPEC_REV_1_4 4

struct mpf_intel {
	char signature[4]; /* "_MP_" */
	uint32_t physptr;  /* config table */
	uint8_t length;	   /* in 16-byte units: 1 */
	uint8_t spec_rev;
	uint8_t checksum;
	uint8_t feature1; /* 0: a config table is present */
	uint8_t feature2; /* bit 7 IMCRP: 0, virtual wire mode */
	uint8_t feature3[3];
} __attribute__((packed));
_Static_assert(sizeof(struct mpf_intel) == 16, "MP floating pointer");

struct mpc_table {
	char signature[4]; /* "PCMP" */
	uint16_t length;   /* base table, entries included */
	uint8_t spec_rev;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_ptr;
	uint16_t oem_size;
	uint16_t count; /* entries */
	uint32_t lapic; /* local APIC address */
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct mpc_table) == 44, "MP config table header");

enum mp_entry_type {
	MP_PROCESSOR = 0,
	MP_BUS = 1,
	MP_IOAPIC = 2,
	MP_INTSRC = 3,
	MP_LINTSRC = 4,
};

#define CPU_ENABLED	  0x01
#define CPU_BOOTPROCESSOR 0x02

struct mpc_cpu {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t cpuflag;
	uint32_t cpufeature;  /* CPUID.1:EAX signature */
	uint32_t featureflag; /* CPUID.1:EDX */
	uint32_t reserved[2];
} __attribute__((packed));
_Static_assert(sizeof(struct mpc_cpu) == 20, "MP processor entry");

struct mpc_bus {
	uint8_t type;
	uint8_t busid;
	char bustype[6];
} __attribute__((packed));
_Static_assert(sizeof(struct mpc_bus) == 8, "MP bus entry");

#define MPC_APIC_USABLE 0x01

struct mpc_ioapic {
	uint8_t type;
	uint8_t apicid;
	uint8_t apicver;
	uint8_t flags;
	uint32_t apicaddr;
} __attribute__((packed));
_Static_assert(sizeof(struct mpc_ioapic) == 8, "MP I/O APIC entry");

enum mp_irq_type {
	MP_INT = 0,
	MP_NMI = 1,
	MP_SMI = 2,
	MP_EXTINT = 3,
};

/* irqflag: polarity in bits 1:0, trigger mode in bits 3:2 (same as MADT). */
#define MP_IRQPOL_DEFAULT     0x0
#define MP_IRQPOL_ACTIVE_HIGH 0x1
#define MP_IRQPOL_ACTIVE_LOW  0x3
#define MP_IRQTRIG_DEFAULT    0x0
#define MP_IRQTRIG_EDGE	      0x4
#define MP_IRQTRIG_LEVEL      0xc

#define MP_APIC_ALL 0xff

/* Both the I/O interrupt and the local interrupt assignment entries. */
struct mpc_intsrc {
	uint8_t type;
	uint8_t irqtype;
	uint16_t irqflag;
	uint8_t srcbus;
	uint8_t srcbusirq;
	uint8_t dstapic;
	uint8_t dstirq; /* IOAPIC INTIN# or LAPIC LINTIN# */
} __attribute__((packed));
_Static_assert(sizeof(struct mpc_intsrc) == 8, "MP interrupt entry");

#endif
