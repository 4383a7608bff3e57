// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI host bridge through the bus, as vCPU exits reach it: config
 * cycles by mechanism #1 and ECAM, header write semantics, BAR sizing and
 * moving (the bus regions follow, bar_remap is told), the capability
 * chain, INTx on shared lines, MSI-X table/PBA/mask semantics with the
 * routes and irqfds the fake vm records, reset, and the ACPI tables that
 * describe the bridge.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <asm/e820.h>

#include "bios/acpi.h"
#include "bios/layout.h"
#include "bios/tables.h"
#include "devices/device.h"
#include "devices/pci.h"
#include "tests/unit/fake_vm.h"

#define CFG_ADDR(slot, fn, reg) (0x80000000u | (slot) << 11 | (fn) << 8 | (reg))
#define ECAM(slot, fn, reg)	(PCI_ECAM_BASE + ((slot) << 15 | (fn) << 12 | (reg)))

static struct vm vm;
static struct config cfg;

/* A device model: counts accesses to its BARs, forwards MSI-X to pci.c. */
struct model {
	struct pci_dev pci;
	unsigned int reads[PCI_MAX_BARS], writes[PCI_MAX_BARS];
	uint64_t last_val;
	unsigned int remaps;
	int remap_bar;			   /* the last BAR bar_remap was called for */
	uint64_t remap_addr[PCI_MAX_BARS]; /* what it said for each */
};

static struct model models[3];

struct bar_ref {
	struct model *m;
	int n;
};

static struct bar_ref refs[3][PCI_MAX_BARS];

static uint64_t bar_read(void *opaque, uint64_t off, unsigned int len)
{
	struct bar_ref *r = opaque;

	r->m->reads[r->n]++;
	if (r->n == 4)
		return pci_msix_read(&r->m->pci, off, len);
	return 0x1234;
}

static void bar_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct bar_ref *r = opaque;

	r->m->writes[r->n]++;
	r->m->last_val = val;
	if (r->n == 4)
		pci_msix_write(&r->m->pci, off, val, len);
}

static const struct bus_ops bar_ops = { .read = bar_read, .write = bar_write };

static void remap(struct pci_dev *dev, int bar, uint64_t addr)
{
	struct model *m = (struct model *)dev;

	m->remaps++;
	m->remap_bar = bar;
	m->remap_addr[bar] = addr;
}

/* Config cycles by mechanism #1. */
static uint32_t cfg_inl(unsigned int slot, unsigned int reg)
{
	outl(0xcf8, CFG_ADDR(slot, 0, reg & ~3u));
	return inl(0xcfc);
}

static void cfg_outl(unsigned int slot, unsigned int reg, uint32_t v)
{
	outl(0xcf8, CFG_ADDR(slot, 0, reg & ~3u));
	outl(0xcfc, v);
}

static uint16_t cfg_inw(unsigned int slot, unsigned int reg)
{
	outl(0xcf8, CFG_ADDR(slot, 0, reg & ~3u));
	return inw(0xcfc + (reg & 2));
}

static void cfg_outw(unsigned int slot, unsigned int reg, uint16_t v)
{
	outl(0xcf8, CFG_ADDR(slot, 0, reg & ~3u));
	outw(0xcfc + (reg & 2), v);
}

static void cfg_outb(unsigned int slot, unsigned int reg, uint8_t v)
{
	outl(0xcf8, CFG_ADDR(slot, 0, reg & ~3u));
	outb(0xcfc + (reg & 3), v);
}

static uint64_t mmio_read(uint64_t addr, unsigned int len)
{
	uint64_t v = 0;

	bus_access(BUS_MMIO, addr, (uint8_t *)&v, len, false);
	return v;
}

static void mmio_write(uint64_t addr, uint64_t v, unsigned int len)
{
	bus_access(BUS_MMIO, addr, (uint8_t *)&v, len, true);
}

/*
 * models[0]: BAR0 I/O 32 bytes, BAR1 MEM32 4 KiB, BAR2 MEM64 16 KiB,
 * BAR4 MEM32 8 KiB with MSI-X (4 vectors, table at 0, PBA at 0x1000),
 * a vendor capability with one writable byte, INTA#.
 */
static int setup(void **state)
{
	static const uint8_t vcap[8] = { PCI_CAP_ID_VNDR, 0, 8, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
	static const uint8_t vmask[8] = { 0xff, 0xff, 0, 0xff, 0, 0, 0, 0 };
	struct model *m = &models[0];

	fake_vm_init(&vm, &cfg);
	memset(models, 0, sizeof(models));
	assert_int_equal(pci_device.init(&vm), 0);
	for (int i = 0; i < 3; i++)
		for (int n = 0; n < PCI_MAX_BARS; n++)
			refs[i][n] = (struct bar_ref){ &models[i], n };

	pci_dev_init(&m->pci, "test0", 0x1af4, 0x1041, 0x1af4, 0x0001, 0x020000, 1, 1);
	m->pci.bar_remap = remap;
	assert_int_equal(pci_add_bar(&m->pci, 0, PCI_BAR_IO, 32, &bar_ops, &refs[0][0]), 0);
	assert_int_equal(pci_add_bar(&m->pci, 1, PCI_BAR_MEM32, 4096, &bar_ops, &refs[0][1]), 0);
	assert_int_equal(pci_add_bar(&m->pci, 2, PCI_BAR_MEM64, 16384, &bar_ops, &refs[0][2]), 0);
	/* BAR3 is the upper half of BAR2. */
	assert_int_equal(pci_add_bar(&m->pci, 3, PCI_BAR_MEM32, 4096, &bar_ops, &refs[0][3]),
			 -EINVAL);
	assert_int_equal(pci_add_bar(&m->pci, 4, PCI_BAR_MEM32, 8192, &bar_ops, &refs[0][4]), 0);
	assert_int_equal(pci_add_bar(&m->pci, 5, PCI_BAR_MEM32, 1000, &bar_ops, NULL), -EINVAL);
	assert_int_equal(pci_add_cap(&m->pci, vcap, sizeof(vcap), vmask), 0x40);
	/* MSI-X in an I/O BAR, or overlapping table and PBA: refused. */
	assert_int_equal(pci_add_msix(&m->pci, 4, 0, 0, 0x10), -EINVAL);
	assert_int_equal(pci_add_msix(&m->pci, 4, 4, 0, 0x20), -EINVAL);
	assert_int_equal(pci_add_msix(&m->pci, 4, 4, 0, 0x1000), 0x48);
	assert_int_equal(pci_register(&vm, &m->pci), 0);
	return 0;
}

static int teardown(void **state)
{
	pci_device.shutdown(&vm);
	bus_reset();
	return 0;
}

static void test_host_bridge_mech1(void **state)
{
	/* 00:00.0: QEMU's q35 host bridge IDs, class 060000. */
	assert_int_equal(cfg_inl(0, PCI_VENDOR_ID), 0x29c08086);
	assert_int_equal(cfg_inl(0, PCI_CLASS_REVISION) >> 8, 0x060000);
	assert_int_equal(cfg_inl(0, PCI_HEADER_TYPE & ~3u) >> 16 & 0x7f, PCI_HEADER_TYPE_NORMAL);
	assert_int_equal(cfg_inw(0, PCI_DEVICE_ID), 0x29c0);
	outl(0xcf8, CFG_ADDR(0, 0, 0));
	assert_int_equal(inb(0xcfd), 0x80);
	assert_int_equal(inw(0xcfe), 0x29c0);
	/* The address register reads back (reserved bits and 1:0 as 0). */
	outl(0xcf8, 0xff00ff07);
	assert_int_equal(inl(0xcf8), 0x8000ff04);
	/* Empty slot, other function, other bus, enable bit clear: all-ones. */
	assert_int_equal(cfg_inl(7, 0), 0xffffffff);
	outl(0xcf8, CFG_ADDR(0, 1, 0));
	assert_int_equal(inl(0xcfc), 0xffffffff);
	outl(0xcf8, CFG_ADDR(0, 0, 0) | 1 << 16);
	assert_int_equal(inl(0xcfc), 0xffffffff);
	outl(0xcf8, 0);
	assert_int_equal(inl(0xcfc), 0xffffffff);
	assert_int_equal(inw(0xcfe), 0xffff);
	/* Writes to the host bridge's IDs and command register do nothing. */
	cfg_outl(0, PCI_VENDOR_ID, 0);
	cfg_outw(0, PCI_COMMAND, 0xffff);
	assert_int_equal(cfg_inl(0, PCI_VENDOR_ID), 0x29c08086);
	assert_int_equal(cfg_inw(0, PCI_COMMAND), 0);
	/* The test device sits in slot 1. */
	assert_int_equal(cfg_inl(1, PCI_VENDOR_ID), 0x10411af4);
	assert_int_equal(cfg_inl(1, PCI_SUBSYSTEM_VENDOR_ID), 0x00011af4);
	assert_int_equal(cfg_inl(1, PCI_CLASS_REVISION), 0x02000001);
}

static void test_ecam(void **state)
{
	assert_int_equal(mmio_read(ECAM(0, 0, 0), 4), 0x29c08086);
	assert_int_equal(mmio_read(ECAM(0, 0, 2), 2), 0x29c0);
	assert_int_equal(mmio_read(ECAM(0, 0, 0xb), 1), 0x06);
	assert_int_equal(mmio_read(ECAM(1, 0, 0), 8), (uint64_t)cfg_inl(1, 4) << 32 | 0x10411af4);
	assert_int_equal(mmio_read(ECAM(9, 0, 0), 4), 0xffffffff);
	assert_int_equal(mmio_read(ECAM(1, 3, 0), 4), 0xffffffff);
	/* Misaligned: all-ones, and a write is dropped. */
	assert_int_equal(mmio_read(ECAM(1, 0, 1), 2), 0xffff);
	mmio_write(ECAM(1, 0, PCI_INTERRUPT_LINE - 1), 0x5500, 2);
	assert_int_equal(cfg_inl(1, PCI_INTERRUPT_LINE) & 0xff, pci_intx_gsi(1, 1));
	/* Extended config space exists (zeros) in ECAM. */
	assert_int_equal(mmio_read(ECAM(1, 0, 0x100), 4), 0);
	/* A write through ECAM is seen through mechanism #1. */
	mmio_write(ECAM(1, 0, PCI_INTERRUPT_LINE), 0x0b, 1);
	assert_int_equal(cfg_inl(1, PCI_INTERRUPT_LINE) & 0xff, 0x0b);
}

static void test_header_semantics(void **state)
{
	/* Read-only: IDs, class, header type, interrupt pin. */
	cfg_outl(1, PCI_VENDOR_ID, 0xdeadbeef);
	cfg_outl(1, PCI_CLASS_REVISION, 0);
	cfg_outb(1, PCI_INTERRUPT_PIN, 3);
	assert_int_equal(cfg_inl(1, PCI_VENDOR_ID), 0x10411af4);
	assert_int_equal(cfg_inl(1, PCI_CLASS_REVISION), 0x02000001);
	assert_int_equal(cfg_inl(1, PCI_INTERRUPT_LINE) >> 8 & 0xff, 1);
	/* Interrupt line: firmware wrote the GSI; the guest may rewrite it. */
	assert_int_equal(cfg_inl(1, PCI_INTERRUPT_LINE) & 0xff, pci_intx_gsi(1, 1));
	cfg_outb(1, PCI_INTERRUPT_LINE, 0x42);
	assert_int_equal(cfg_inl(1, PCI_INTERRUPT_LINE) & 0xff, 0x42);
	/* Command: placed BARs decode from the start; only defined bits stick. */
	assert_int_equal(cfg_inw(1, PCI_COMMAND), PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	cfg_outw(1, PCI_COMMAND, 0xffff);
	assert_int_equal(cfg_inw(1, PCI_COMMAND),
			 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
				 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE);
	/* A write of the status half does not clear what is not set nor set bits. */
	cfg_outw(1, PCI_STATUS, 0xffff);
	assert_int_equal(cfg_inw(1, PCI_STATUS), PCI_STATUS_CAP_LIST);
	/* Expansion ROM BAR: not implemented, reads 0 even after sizing. */
	cfg_outl(1, PCI_ROM_ADDRESS, 0xffffffff);
	assert_int_equal(cfg_inl(1, PCI_ROM_ADDRESS), 0);
	/* Cache line size and latency timer are plain registers. */
	cfg_outw(1, PCI_CACHE_LINE_SIZE, 0x4010);
	assert_int_equal(cfg_inw(1, PCI_CACHE_LINE_SIZE), 0x4010);
}

static void test_bar_placement_and_sizing(void **state)
{
	struct model *m = &models[0];
	uint32_t io = cfg_inl(1, PCI_BASE_ADDRESS_0);
	uint32_t mem32 = cfg_inl(1, PCI_BASE_ADDRESS_1);
	uint32_t lo = cfg_inl(1, PCI_BASE_ADDRESS_2), hi = cfg_inl(1, PCI_BASE_ADDRESS_3);
	uint32_t msix = cfg_inl(1, PCI_BASE_ADDRESS_4);

	/* Placed in the windows, naturally aligned, with the type bits. */
	assert_int_equal(io, PCI_PIO_BASE | PCI_BASE_ADDRESS_SPACE_IO);
	assert_int_equal(mem32, PCI_MMIO32_BASE);
	assert_int_equal(lo & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(lo & 0x3fff & ~0xfu, 0);
	assert_int_equal(hi, 0);
	assert_true((lo & ~0xfu) >= PCI_MMIO32_BASE && (lo & ~0xfu) + 16384 <= PCI_MMIO32_END);
	assert_int_equal(msix & 0x1fff, 0);
	assert_int_equal(cfg_inl(1, PCI_BASE_ADDRESS_5), 0);
	/* Each BAR decodes at its place. */
	assert_int_equal(inw(PCI_PIO_BASE + 2), 0x1234);
	assert_int_equal(m->reads[0], 1);
	mmio_write(PCI_MMIO32_BASE + 8, 0x77, 4);
	assert_int_equal(m->writes[1], 1);
	assert_int_equal(m->last_val, 0x77);
	mmio_read((lo & ~0xfu) + 16380, 4);
	assert_int_equal(m->reads[2], 1);

	/* Sizing: all-ones reads back the size mask and type bits. */
	cfg_outw(1, PCI_COMMAND, 0);
	cfg_outl(1, PCI_BASE_ADDRESS_0, 0xffffffff);
	assert_int_equal(cfg_inl(1, PCI_BASE_ADDRESS_0), 0xffffffe1);
	cfg_outl(1, PCI_BASE_ADDRESS_1, 0xffffffff);
	assert_int_equal(cfg_inl(1, PCI_BASE_ADDRESS_1), 0xfffff000);
	cfg_outl(1, PCI_BASE_ADDRESS_2, 0xffffffff);
	cfg_outl(1, PCI_BASE_ADDRESS_3, 0xffffffff);
	assert_int_equal(cfg_inl(1, PCI_BASE_ADDRESS_2), 0xffffc004);
	assert_int_equal(cfg_inl(1, PCI_BASE_ADDRESS_3), 0xffffffff);
	cfg_outl(1, PCI_BASE_ADDRESS_5, 0xffffffff);
	assert_int_equal(cfg_inl(1, PCI_BASE_ADDRESS_5), 0);
	/* Restore, as an OS does; decoding off meanwhile, so nothing decodes. */
	cfg_outl(1, PCI_BASE_ADDRESS_0, io);
	cfg_outl(1, PCI_BASE_ADDRESS_1, mem32);
	cfg_outl(1, PCI_BASE_ADDRESS_2, lo);
	cfg_outl(1, PCI_BASE_ADDRESS_3, hi);
	assert_int_equal(inw(PCI_PIO_BASE + 2), 0xffff);
	assert_int_equal(mmio_read(PCI_MMIO32_BASE, 4), 0xffffffff);
	assert_int_equal(m->reads[0], 1);
	cfg_outw(1, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(inw(PCI_PIO_BASE + 2), 0x1234);
	assert_int_equal(cfg_inl(1, PCI_BASE_ADDRESS_2), lo);
	/* Memory decoding alone: I/O BAR stays off. */
	cfg_outw(1, PCI_COMMAND, PCI_COMMAND_MEMORY);
	assert_int_equal(inw(PCI_PIO_BASE + 2), 0xffff);
	assert_int_equal(mmio_read(PCI_MMIO32_BASE, 4), 0x1234);
}

static void test_bar_move(void **state)
{
	struct model *m = &models[0];
	const uint64_t to = 0xc8000000;

	m->remaps = 0;
	cfg_outl(1, PCI_BASE_ADDRESS_1, (uint32_t)to);
	/* Moved while decoding: old place unclaimed, new one decodes. */
	assert_int_equal(mmio_read(PCI_MMIO32_BASE, 4), 0xffffffff);
	assert_int_equal(mmio_read(to + 4, 4), 0x1234);
	assert_int_equal(m->remaps, 1);
	assert_int_equal(m->remap_bar, 1);
	assert_int_equal(m->remap_addr[1], to);
	/* Decoding off: bar_remap says 0 for each memory BAR, not the I/O one. */
	m->remaps = 0;
	cfg_outw(1, PCI_COMMAND, PCI_COMMAND_IO);
	assert_int_equal(m->remaps, 3);
	assert_int_equal(m->remap_addr[1], 0);
	assert_int_equal(m->remap_addr[2], 0);
	assert_int_equal(m->remap_addr[4], 0);
	assert_int_equal(mmio_read(to + 4, 4), 0xffffffff);
	/* A byte write to the BAR's top byte (merged dword), seen on enable. */
	cfg_outb(1, PCI_BASE_ADDRESS_1 + 3, 0xc9);
	assert_int_equal(m->remaps, 3);
	cfg_outw(1, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(m->remap_addr[1], 0xc9000000);
	assert_int_equal(mmio_read(0xc9000000, 4), 0x1234);
	/* A 64-bit BAR moved above 4 GiB by its upper half. */
	cfg_outl(1, PCI_BASE_ADDRESS_3, 1);
	assert_int_equal(m->remap_bar, 2);
	assert_int_equal(m->remap_addr[2] >> 32, 1);
	assert_int_equal(mmio_read(m->remap_addr[2] + 8, 4), 0x1234);
	/* Onto another BAR: the overlap is refused, the BAR does not decode. */
	cfg_outl(1, PCI_BASE_ADDRESS_3, 0);
	cfg_outl(1, PCI_BASE_ADDRESS_2, 0xc9000000);
	assert_int_equal(m->remap_bar, 2);
	assert_int_equal(m->remap_addr[2], 0);
	assert_int_equal(mmio_read(0xc9000000, 4), 0x1234); /* still BAR1's */
	assert_int_equal(m->reads[1], 3);
	/* I/O BAR moved; past the end of I/O space it does not decode. */
	cfg_outl(1, PCI_BASE_ADDRESS_0, 0xd000);
	assert_int_equal(m->remap_addr[0], 0xd000);
	assert_int_equal(inb(0xd000), 0x34);
	assert_int_equal(inb(PCI_PIO_BASE), 0xff);
	cfg_outl(1, PCI_BASE_ADDRESS_0, 0x1fff0);
	assert_int_equal(m->remap_addr[0], 0);
	/* Reset: everything back where firmware put it. */
	pci_dev_reset(&m->pci);
	assert_int_equal(cfg_inl(1, PCI_BASE_ADDRESS_0), PCI_PIO_BASE | 1);
	assert_int_equal(cfg_inl(1, PCI_BASE_ADDRESS_1), PCI_MMIO32_BASE);
	assert_int_equal(mmio_read(PCI_MMIO32_BASE, 4), 0x1234);
	assert_int_equal(inb(PCI_PIO_BASE), 0x34);
	assert_int_equal(mmio_read(0xc9000000, 4), 0xffffffff);
}

static void test_cap_chain(void **state)
{
	unsigned int p, n = 0;
	uint8_t ids[4];

	assert_true(cfg_inw(1, PCI_STATUS) & PCI_STATUS_CAP_LIST);
	for (p = cfg_inl(1, PCI_CAPABILITY_LIST) & 0xff; p && n < 4; n++) {
		uint32_t h = cfg_inl(1, p);

		ids[n] = h & 0xff;
		p = h >> 8 & 0xff;
	}
	assert_int_equal(n, 2);
	assert_int_equal(ids[0], PCI_CAP_ID_VNDR);
	assert_int_equal(ids[1], PCI_CAP_ID_MSIX);
	/* The vendor capability: byte 3 writable, ID and next pointer not. */
	cfg_outl(1, 0x40, 0x11223344);
	assert_int_equal(cfg_inl(1, 0x40), 0x11084809);
	cfg_outl(1, 0x44, 0);
	assert_int_equal(cfg_inl(1, 0x44), 0xeeddccbb);
	/* MSI-X: 4 vectors, table at BAR4 + 0, PBA at BAR4 + 0x1000. */
	assert_int_equal(cfg_inl(1, 0x48) >> 16, 3);
	assert_int_equal(cfg_inl(1, 0x4c), 4);
	assert_int_equal(cfg_inl(1, 0x50), 0x1000 | 4);
	cfg_outl(1, 0x4c, 0);
	cfg_outw(1, 0x4a, 0xffff); /* only enable and function mask stick */
	assert_int_equal(cfg_inl(1, 0x48) >> 16, 0xc003);
	assert_int_equal(cfg_inl(1, 0x4c), 4);
	/* A host bridge without capabilities has no list. */
	assert_false(cfg_inw(0, PCI_STATUS) & PCI_STATUS_CAP_LIST);
}

static void test_intx_shared(void **state)
{
	struct model *a = &models[0], *b = &models[1];
	unsigned int gsi = pci_intx_gsi(1, 1);

	for (int i = 1; i < 3; i++) {
		pci_dev_init(&models[i].pci, "test", 0x1af4, 0x1042, 0x1af4, 2, 0x018000, 0,
			     i == 1 ? 1 : 2);
		assert_int_equal(pci_register(&vm, &models[i].pci), 0);
	}
	/* The swizzle: slot 2 INTA# = GSI 18, slot 3 INTB# wraps to GSI 16. */
	assert_int_equal(models[1].pci.intx_gsi, pci_intx_gsi(2, 1));
	assert_int_equal(models[2].pci.intx_gsi, pci_intx_gsi(3, 2));
	assert_int_equal(pci_intx_gsi(3, 2), 16);
	assert_int_equal(pci_intx_gsi(2, 1), 18);
	assert_int_equal(gsi, 17);
	/* Slot 5 INTA# would share GSI 17; b is moved onto it by hand instead. */
	b->pci.intx_gsi = gsi;

	pci_intx_set(&a->pci, true);
	assert_int_equal(fake_level(gsi), 1);
	assert_true(cfg_inw(1, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	pci_intx_set(&b->pci, true);
	pci_intx_set(&a->pci, false);
	assert_int_equal(fake_level(gsi), 1); /* b still asserts it */
	assert_false(cfg_inw(1, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	pci_intx_set(&b->pci, false);
	assert_int_equal(fake_level(gsi), 0);
	assert_int_equal(fake_rises(gsi), 1);
	/* Setting the same level twice counts once. */
	pci_intx_set(&a->pci, true);
	pci_intx_set(&a->pci, true);
	pci_intx_set(&a->pci, false);
	assert_int_equal(fake_level(gsi), 0);
	/* INTx disable holds the line low; the status bit still shows it. */
	pci_intx_set(&a->pci, true);
	cfg_outw(1, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(fake_level(gsi), 0);
	assert_true(cfg_inw(1, PCI_STATUS) & PCI_STATUS_INTERRUPT);
	cfg_outw(1, PCI_COMMAND, PCI_COMMAND_MEMORY);
	assert_int_equal(fake_level(gsi), 1);
	/* Reset lowers it. */
	pci_dev_reset(&a->pci);
	assert_int_equal(fake_level(gsi), 0);
}

static uint64_t msix_bar(void)
{
	return cfg_inl(1, PCI_BASE_ADDRESS_4) & ~0xfu;
}

static uint64_t eventfd_count(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static void msix_program(unsigned int v, uint64_t addr, uint32_t data)
{
	uint64_t e = msix_bar() + v * 16;

	mmio_write(e, (uint32_t)addr, 4);
	mmio_write(e + 4, addr >> 32, 4);
	mmio_write(e + 8, data, 4);
}

static void test_msix(void **state)
{
	struct pci_dev *d = &models[0].pci;
	uint64_t t = msix_bar();
	int gsi, fd;

	/* Power-on: disabled, vectors masked, nothing pending. */
	assert_false(pci_msix_enabled(d));
	assert_int_equal(mmio_read(t + 12, 4), 1);
	assert_int_equal(mmio_read(t + 0x1000, 8), 0);
	/* While disabled a notify is dropped (the model uses INTx). */
	pci_msix_notify(d, 0);
	assert_int_equal(mmio_read(t + 0x1000, 8), 0);

	/* Linux's order: enable with all masked, program, unmask the function. */
	cfg_outw(1, 0x4a, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	assert_true(pci_msix_enabled(d));
	msix_program(0, 0xfee00000, 0x4041);
	msix_program(1, 0xfee01000, 0x4042);
	assert_int_equal(mmio_read(t + 8, 4), 0x4041);
	assert_int_equal(mmio_read(t + 16, 8), 0xfee01000);
	mmio_write(t + 12, 0, 4); /* unmask vector 0; the function is masked */
	pci_msix_notify(d, 0);
	assert_int_equal(mmio_read(t + 0x1000, 4), 1); /* pending */
	assert_int_equal(d->msix.vec[0].irqfd, -1);    /* no route needed yet */
	/* PBA is read-only. */
	mmio_write(t + 0x1000, 0, 4);
	assert_int_equal(mmio_read(t + 0x1000, 4), 1);

	cfg_outw(1, 0x4a, PCI_MSIX_FLAGS_ENABLE);
	/* Function unmasked: vector 0 got a GSI with its message and fired. */
	gsi = d->msix.vec[0].gsi;
	fd = d->msix.vec[0].irqfd;
	assert_true(gsi >= VM_MSI_GSI_BASE);
	assert_true(fd >= 0);
	assert_int_equal(fake.irqfd[gsi - VM_MSI_GSI_BASE], fd);
	assert_true(fake.msi[gsi - VM_MSI_GSI_BASE].used);
	assert_int_equal(fake.msi[gsi - VM_MSI_GSI_BASE].addr, 0xfee00000);
	assert_int_equal(fake.msi[gsi - VM_MSI_GSI_BASE].data, 0x4041);
	assert_int_equal(eventfd_count(fd), 1);
	assert_int_equal(mmio_read(t + 0x1000, 4), 0);
	/* Vector 1 is still masked: no route. */
	assert_int_equal(d->msix.vec[1].gsi, -1);

	pci_msix_notify(d, 0);
	pci_msix_notify(d, 0);
	assert_int_equal(eventfd_count(fd), 2);
	/* Out of range: nothing. */
	pci_msix_notify(d, 4);
	pci_msix_notify(d, 1000);

	/* The guest retargets vector 0 while unmasked: the route follows. */
	mmio_write(t + 8, 0x4051, 4);
	assert_int_equal(fake.msi[gsi - VM_MSI_GSI_BASE].data, 0x4051);
	assert_int_equal(d->msix.vec[0].gsi, gsi);

	/* Per-vector mask: pending, delivered on unmask. */
	mmio_write(t + 12, 1, 4);
	pci_msix_notify(d, 0);
	assert_int_equal(eventfd_count(fd), 0);
	assert_int_equal(mmio_read(t + 0x1000, 1), 1);
	mmio_write(t + 12, 0, 4);
	assert_int_equal(eventfd_count(fd), 1);
	assert_int_equal(mmio_read(t + 0x1000, 1), 0);

	/* Vector 1: routing fails (KVM refuses): no crash, nothing delivered. */
	fake.msi_fail = EBADF;
	mmio_write(t + 16 + 12, 0, 4);
	pci_msix_notify(d, 1);
	assert_int_equal(d->msix.vec[1].gsi, -1);
	assert_int_equal(d->msix.vec[1].irqfd, -1);
	fake.msi_fail = 0;
	pci_msix_notify(d, 1); /* retried once KVM takes it */
	assert_true(d->msix.vec[1].gsi >= VM_MSI_GSI_BASE);
	assert_int_equal(eventfd_count(d->msix.vec[1].irqfd), 1);
	assert_int_equal(fake.msi[d->msix.vec[1].gsi - VM_MSI_GSI_BASE].addr, 0xfee01000);

	/* Odd-sized accesses to the table work bytewise; outside it, zero. */
	assert_int_equal(mmio_read(t + 9, 1), 0x40);
	assert_int_equal(mmio_read(t + 0x800, 4), 0);
	assert_int_equal(pci_msix_read(d, 0x1000 - 2, 4), 0); /* straddles the end */

	/* --stats: messages sent (1 + 2 + 1 + 1), notifies held (2). */
	{
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		pci_device.print_stats(&vm, f);
		fclose(f);
		assert_string_equal(buf,
				    "pci 00:01.0 test0: 5 MSI-X messages, 2 held while masked, "
				    "0 INTx raises\n");
		free(buf);
	}

	/* Disable: notify dropped; reset frees routes and irqfds. */
	cfg_outw(1, 0x4a, 0);
	assert_false(pci_msix_enabled(d));
	pci_dev_reset(d);
	assert_int_equal(d->msix.vec[0].gsi, -1);
	assert_int_equal(d->msix.vec[0].irqfd, -1);
	assert_false(fake.msi[gsi - VM_MSI_GSI_BASE].used);
	assert_int_equal(fake.irqfd[gsi - VM_MSI_GSI_BASE], -1);
	assert_int_equal(mmio_read(t + 12, 4), 1);
	assert_int_equal(mmio_read(t + 8, 4), 0);
	assert_int_equal(cfg_inl(1, 0x48) >> 16, 3);
}

static unsigned int hook_reads, hook_writes, hook_off, hook_len;

/* A model register at 0x4b (in the vendor capability): reads count up. */
static void cfg_hook(struct pci_dev *dev, unsigned int off, unsigned int len, bool is_write)
{
	if (is_write) {
		hook_writes++;
	} else {
		hook_reads++;
		dev->cfg[0x47] = hook_reads;
	}
	hook_off = off;
	hook_len = len;
}

static void test_cfg_hook(void **state)
{
	models[0].pci.cfg_hook = cfg_hook;
	hook_reads = hook_writes = 0;
	assert_int_equal(cfg_inl(1, 0x44) >> 24, 1);
	assert_int_equal(cfg_inl(1, 0x44) >> 24, 2);
	assert_int_equal(hook_off, 0x44);
	assert_int_equal(hook_len, 4);
	/* Writes: after the masks applied, with what the guest addressed. */
	cfg_outb(1, 0x43, 0x5a);
	assert_int_equal(hook_writes, 1);
	assert_int_equal(hook_off, 0x43);
	assert_int_equal(hook_len, 1);
	assert_int_equal(models[0].pci.cfg[0x43], 0x5a);
	assert_int_equal(mmio_read(ECAM(1, 0, 0x47), 1), 3); /* ECAM: hook too */
	models[0].pci.cfg_hook = NULL;
}

/* With MSI-X enabled the function's INTx is held off. */
static void test_msix_masks_intx(void **state)
{
	unsigned int gsi = pci_intx_gsi(1, 1);

	pci_intx_set(&models[0].pci, true);
	assert_int_equal(fake_level(gsi), 1);
	cfg_outw(1, 0x4a, PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(fake_level(gsi), 0);
	cfg_outw(1, 0x4a, 0);
	assert_int_equal(fake_level(gsi), 1);
	pci_intx_set(&models[0].pci, false);
	assert_int_equal(fake_level(gsi), 0);
}

/* The machine-reset hook resets every function and the CF8 latch. */
static void test_machine_reset(void **state)
{
	cfg_outb(1, PCI_INTERRUPT_LINE, 0x42);
	cfg_outw(1, PCI_COMMAND, 0);
	outl(0xcf8, CFG_ADDR(1, 0, 0));
	pci_device.reset(&vm);
	assert_int_equal(inl(0xcf8), 0);
	assert_int_equal(cfg_inl(1, PCI_INTERRUPT_LINE) & 0xff, pci_intx_gsi(1, 1));
	assert_int_equal(cfg_inw(1, PCI_COMMAND), PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(mmio_read(PCI_MMIO32_BASE, 4), 0x1234);
}

static void test_register_errors(void **state)
{
	struct pci_dev *extra = calloc(32, sizeof(*extra));
	int n;

	assert_non_null(extra);
	/* Registered twice: refused. */
	assert_int_equal(pci_register(&vm, &models[0].pci), -EINVAL);
	/* Slots run out at 31; BARs that do not fit in the window are refused. */
	for (n = 0; n < 32; n++) {
		pci_dev_init(&extra[n], "x", 0x1af4, 0x1000, 0, 0, 0, 0, 0);
		if (pci_register(&vm, &extra[n]))
			break;
	}
	assert_int_equal(n, 30); /* slots 2..31 */
	pci_dev_init(&extra[31], "y", 0x1af4, 0x1000, 0, 0, 0, 0, 0);
	assert_int_equal(pci_add_bar(&extra[31], 0, PCI_BAR_MEM32, 1ULL << 31, &bar_ops, NULL),
			 -EINVAL);
	assert_int_equal(pci_add_bar(&extra[31], 0, PCI_BAR_IO, 512, &bar_ops, NULL), -EINVAL);
	assert_int_equal(pci_add_bar(&extra[31], 5, PCI_BAR_MEM64, 4096, &bar_ops, NULL), -EINVAL);
	assert_int_equal(pci_add_msix(&extra[31], 65, 0, 0, 0x1000), -EINVAL);
	teardown(NULL);
	free(extra);
	setup(NULL);
}

/* Capabilities fill the standard space, then -ENOSPC. */
static void test_cap_space(void **state)
{
	static const uint8_t cap[64] = { PCI_CAP_ID_VNDR, 0, 64 };
	struct pci_dev d;
	int n = 0;

	pci_dev_init(&d, "caps", 0x1af4, 0x1000, 0, 0, 0, 0, 0);
	while (pci_add_cap(&d, cap, sizeof(cap), NULL) > 0)
		n++;
	assert_int_equal(n, 3); /* 0x40, 0x80, 0xc0 */
	assert_int_equal(d.cfg[0xc0 + 1], 0);
	assert_int_equal(d.cfg[0x80 + 1], 0xc0);
}

/* ------------------------------------------------------------------ */
/* ACPI: MCFG and the root bridge                                      */

static void test_acpi_tables(void **state)
{
	static const uint8_t prt_slot1_intb[] = {
		/* Package (4) { 0x1FFFF, One, Zero, 18 } */
		0x12, 0x0b, 0x04, 0x0c, 0xff, 0xff, 0x01, 0x00, 0x01, 0x00, 0x0a, 0x12,
	};
	const struct acpi_table_header *xsdt, *mcfg, *dsdt, *t;
	const struct acpi_mcfg_alloc *alloc;
	const struct acpi_rsdp *rsdp;
	const struct acpi_fadt *fadt;
	const char *dump = getenv("VMM_TABLES_DUMP");
	uint64_t x[3];
	uint8_t *g;

	assert_int_equal(mem_init(&vm.mem, 64 << 20), 0);
	vm.platform.pm1a_evt_blk = 0x600;
	vm.platform.pm1a_cnt_blk = 0x604;
	vm.platform.sci_irq = 9;
	vm.platform.s5_slp_typ = 5;
	assert_int_equal(vm.platform.pci_ecam_base, PCI_ECAM_BASE);
	assert_int_equal(acpi_build(&vm, LAYOUT_BIOS, LAYOUT_BIOS_SIZE), 0);
	g = vm.mem.base; /* the mapping keeps guest offsets below 4 GiB (mmio/mem.h) */
	rsdp = (const void *)(g + LAYOUT_BIOS);
	xsdt = (const void *)(g + rsdp->xsdt_address);
	assert_int_equal(xsdt->length, sizeof(*xsdt) + 3 * 8);
	memcpy(x, xsdt + 1, sizeof(x));
	mcfg = (const void *)(g + x[2]);
	assert_memory_equal(mcfg->signature, "MCFG", 4);
	assert_int_equal(mcfg->length, sizeof(struct acpi_mcfg) + sizeof(*alloc));
	alloc = (const void *)((const uint8_t *)mcfg + sizeof(struct acpi_mcfg));
	assert_int_equal(alloc->address, PCI_ECAM_BASE);
	assert_int_equal(alloc->segment, 0);
	assert_int_equal(alloc->start_bus, 0);
	assert_int_equal(alloc->end_bus, 0);
	{
		uint8_t sum = 0;

		for (uint32_t i = 0; i < mcfg->length; i++)
			sum += ((const uint8_t *)mcfg)[i];
		assert_int_equal(sum, 0);
	}
	fadt = (const void *)(g + x[0]);
	dsdt = (const void *)(g + fadt->dsdt);
	/* PCI0 with its IDs, _CRS, _PRT; the ECAM reservation device. */
	assert_non_null(memmem(dsdt, dsdt->length, "PCI0", 4));
	assert_non_null(memmem(dsdt, dsdt->length, "_PRT", 4));
	assert_non_null(memmem(dsdt, dsdt->length, "_BBN", 4));
	assert_non_null(memmem(dsdt, dsdt->length, "\x0c\x41\xd0\x0a\x08", 5)); /* PNP0A08 */
	assert_non_null(memmem(dsdt, dsdt->length, "\x0c\x41\xd0\x0a\x03", 5)); /* PNP0A03 */
	assert_non_null(memmem(dsdt, dsdt->length, "\x0c\x41\xd0\x0c\x02", 5)); /* PNP0C02 */
	assert_non_null(memmem(dsdt, dsdt->length, prt_slot1_intb, sizeof(prt_slot1_intb)));
	/* The 32-bit window: DWordMemory min 0xc0000000 max 0xcfffffff. */
	assert_non_null(
		memmem(dsdt, dsdt->length, "\x00\x00\x00\x00\x00\x00\x00\xc0\xff\xff\xff\xcf", 12));
	/* ECAM is reserved in the e820 map too. */
	{
		struct boot_e820_entry e[32];
		int n = e820_build(&vm, e, 32), i;

		assert_true(n > 0);
		for (i = 0; i < n && e[i].addr != PCI_ECAM_BASE; i++)
			;
		assert_true(i < n);
		assert_int_equal(e[i].size, PCI_ECAM_SIZE);
		assert_int_equal(e[i].type, E820_RESERVED);
	}
	if (dump) {
		const struct acpi_table_header *tabs[] = { mcfg, dsdt };
		const char *names[] = { "mcfg", "dsdt" };

		for (int i = 0; i < 2; i++) {
			char path[4096];
			FILE *f;

			t = tabs[i];
			snprintf(path, sizeof(path), "%s/%s.dat", dump, names[i]);
			f = fopen(path, "wb");
			assert_non_null(f);
			assert_int_equal(fwrite(t, 1, t->length, f), t->length);
			fclose(f);
		}
	}
	mem_free(&vm.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_bridge_mech1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecam, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_semantics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_placement_and_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cfg_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix_masks_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_machine_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_errors, setup, teardown),
		cmocka_unit_test(test_cap_space),
		cmocka_unit_test_setup_teardown(test_acpi_tables, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
