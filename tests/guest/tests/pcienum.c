// SPDX-License-Identifier: GPL-2.0
/*
 * Enumerate PCI bus 0 as an OS does, twice: through configuration
 * mechanism #1 (0xCF8/0xCFC) and through ECAM at the base the ACPI MCFG
 * table gives. For each function print
 *	KIT: pci 00:SS.F VVVV:DDDD class CCCCCC		(mechanism #1)
 *	KIT: ecam 00:SS.F VVVV:DDDD class CCCCCC	(ECAM)
 * and size its BARs the way Linux does (decoding off, write all-ones, read
 * back, restore):
 *	KIT: bar 00:SS.F N io|mem32|mem64 size 0xS
 * Without an MCFG table (QEMU -M pc) it prints "KIT: no MCFG". Exit code 1
 * (status 3) when done.
 */
#include "kit.h"

#define CF8 0xcf8
#define CFC 0xcfc

#define PCI_VENDOR_ID	  0x00
#define PCI_COMMAND	  0x04
#define PCI_CLASS_REV	  0x08
#define PCI_HEADER_TYPE	  0x0e
#define PCI_BAR0	  0x10
#define PCI_CMD_DECODE	  0x0003 /* I/O and memory space */
#define PCI_HDR_MULTIFUNC 0x80

struct mcfg_alloc {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __attribute__((packed));

static uint32_t m1_addr(int slot, int fn, int reg)
{
	return 0x80000000u | slot << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t m1_read(int slot, int fn, int reg)
{
	outl(m1_addr(slot, fn, reg), CF8);
	return inl(CFC);
}

static void m1_write(int slot, int fn, int reg, uint32_t v)
{
	outl(m1_addr(slot, fn, reg), CF8);
	outl(v, CFC);
}

static uint64_t ecam_base;

static uint32_t ecam_read(int slot, int fn, int reg)
{
	return mmio_read32(ecam_base + ((uint64_t)slot << 15 | fn << 12 | reg));
}

static void print_fn(const char *how, int slot, int fn, uint32_t id, uint32_t class_rev)
{
	kit_printf("KIT: %s 00:%02x.%d %04x:%04x class %06x\n", how, slot, fn, id & 0xffff,
		   id >> 16, class_rev >> 8);
}

static void size_bars(int slot, int fn)
{
	uint32_t cmd = m1_read(slot, fn, PCI_COMMAND) & 0xffff;

	if ((m1_read(slot, fn, PCI_HEADER_TYPE & ~3) >> 16 & 0x7f) != 0)
		return; /* bridges: not here */
	m1_write(slot, fn, PCI_COMMAND, cmd & ~PCI_CMD_DECODE);
	for (int n = 0; n < 6; n++) {
		int reg = PCI_BAR0 + 4 * n;
		uint32_t old = m1_read(slot, fn, reg), lo, hi_old = 0, hi = 0;
		uint64_t size;
		const char *type;

		m1_write(slot, fn, reg, 0xffffffff);
		lo = m1_read(slot, fn, reg);
		m1_write(slot, fn, reg, old);
		if (!lo)
			continue;
		if (lo & 1) {
			type = "io";
			size = (uint16_t) ~(lo & ~3u) + 1;
		} else if ((lo & 6) == 4 && n < 5) {
			type = "mem64";
			hi_old = m1_read(slot, fn, reg + 4);
			m1_write(slot, fn, reg + 4, 0xffffffff);
			hi = m1_read(slot, fn, reg + 4);
			m1_write(slot, fn, reg + 4, hi_old);
			size = ~((uint64_t)hi << 32 | (lo & ~0xfu)) + 1;
		} else {
			type = "mem32";
			size = (uint32_t) ~(lo & ~0xfu) + 1;
		}
		kit_printf("KIT: bar 00:%02x.%d %d %s size 0x%llx\n", slot, fn, n, type,
			   (unsigned long long)size);
		if (m1_read(slot, fn, reg) != old)
			kit_fail("BAR %d of 00:%02x.%d not restored", n, slot, fn);
		if (type[0] == 'm' && type[3] == '6')
			n++;
	}
	m1_write(slot, fn, PCI_COMMAND, cmd);
}

static int functions(int slot, uint32_t (*rd)(int, int, int))
{
	return (rd(slot, 0, PCI_HEADER_TYPE & ~3) >> 16) & PCI_HDR_MULTIFUNC ? 8 : 1;
}

void kit_main(void)
{
	const struct kit_acpi_header *mcfg = kit_acpi_find("MCFG");
	int n1 = 0, n2 = 0;

	/* With the enable bit clear, nothing answers. */
	outl(0, CF8);
	if (inl(CFC) != 0xffffffff)
		kit_fail("config data read with CF8 disabled");
	for (int slot = 0; slot < 32; slot++) {
		if ((m1_read(slot, 0, PCI_VENDOR_ID) & 0xffff) == 0xffff)
			continue;
		for (int fn = 0; fn < functions(slot, m1_read); fn++) {
			uint32_t id = m1_read(slot, fn, PCI_VENDOR_ID);

			if ((id & 0xffff) == 0xffff)
				continue;
			print_fn("pci", slot, fn, id, m1_read(slot, fn, PCI_CLASS_REV));
			size_bars(slot, fn);
			n1++;
		}
	}
	kit_printf("KIT: functions mech1 %d\n", n1);

	if (!mcfg || mcfg->length < sizeof(*mcfg) + 8 + sizeof(struct mcfg_alloc)) {
		kit_printf("KIT: no MCFG\n");
		kit_exit(1);
	}
	{
		const struct mcfg_alloc *a = (const void *)((const uint8_t *)mcfg + 44);

		ecam_base = a->base;
		kit_printf("KIT: MCFG base 0x%llx buses %d-%d\n", (unsigned long long)a->base,
			   a->start_bus, a->end_bus);
	}
	for (int slot = 0; slot < 32; slot++) {
		if ((ecam_read(slot, 0, PCI_VENDOR_ID) & 0xffff) == 0xffff)
			continue;
		for (int fn = 0; fn < functions(slot, ecam_read); fn++) {
			uint32_t id = ecam_read(slot, fn, PCI_VENDOR_ID);

			if ((id & 0xffff) == 0xffff)
				continue;
			print_fn("ecam", slot, fn, id, ecam_read(slot, fn, PCI_CLASS_REV));
			/* Both mechanisms reach the same config space. */
			if (ecam_read(slot, fn, PCI_COMMAND) != m1_read(slot, fn, PCI_COMMAND))
				kit_fail("00:%02x.%d: ECAM and CF8 disagree", slot, fn);
			n2++;
		}
	}
	kit_printf("KIT: functions ecam %d\n", n2);
	kit_exit(1);
}
