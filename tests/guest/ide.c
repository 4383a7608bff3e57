// SPDX-License-Identifier: GPL-2.0
/* The PIIX IDE controller for kit guests (see ide.h). */
#include <linux/pci_regs.h>

#include "ide.h"
#include "kit.h"
#include "virtio.h"

#define PIIX_IDE_ID  0x70108086 /* device:vendor */
#define BM_BAR_PLACE 0xc800	/* a free I/O place when the firmware left BAR4 at 0 */

const uint16_t ide_cmd[2] = { 0x1f0, 0x170 }, ide_ctl[2] = { 0x3f6, 0x376 };
uint16_t ide_bm;
uint8_t ide_devfn;
volatile int ide_irqs[2];
static int dma_irqs_before[2];

void ide_find(void)
{
	for (int devfn = 0; devfn < 256; devfn++) {
		uint32_t bar, cmd;

		if (kv_pci_read32(devfn, PCI_VENDOR_ID) != PIIX_IDE_ID)
			continue;
		ide_devfn = devfn;
		bar = kv_pci_read32(devfn, PCI_BASE_ADDRESS_4);
		if (!(bar & PCI_BASE_ADDRESS_SPACE_IO))
			kit_fail("IDE: BAR4 is not I/O");
		if (!(bar & PCI_BASE_ADDRESS_IO_MASK)) {
			kv_pci_write32(devfn, PCI_BASE_ADDRESS_4, BM_BAR_PLACE);
			bar = kv_pci_read32(devfn, PCI_BASE_ADDRESS_4);
		}
		ide_bm = bar & PCI_BASE_ADDRESS_IO_MASK;
		cmd = kv_pci_read32(devfn, PCI_COMMAND) & 0xffff;
		kv_pci_write32(devfn, PCI_COMMAND,
			       cmd | PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		return;
	}
	kit_fail("no PIIX IDE function");
}

static void on_irq14(int v)
{
	ide_irqs[0]++;
}

static void on_irq15(int v)
{
	ide_irqs[1]++;
}

void ide_irq_on(void)
{
	kit_isa_irq(14, on_irq14);
	kit_isa_irq(15, on_irq15);
}

int ide_wait_ready(int ch)
{
	uint64_t end = kit_now_us() + 5000000;

	do {
		uint8_t s = inb(ide_ctl[ch]);

		if (!(s & IDE_SR_BSY))
			return s;
	} while (kit_now_us() < end);
	return -1;
}

int ide_wait_irq(int ch, int before)
{
	uint64_t end = kit_now_us() + 5000000;

	do {
		kit_irq_poll();
		if (ide_irqs[ch] != before)
			return 0;
	} while (kit_now_us() < end);
	return -1;
}

/*
 * QEMU may inject an interrupt after its status already said done: let
 * them all arrive so that a command's count starts clean.
 */
void ide_quiesce(int ch)
{
	uint64_t end = kit_now_us() + 2000;
	int n = ide_irqs[ch];

	while (kit_now_us() < end) {
		kit_irq_poll();
		if (ide_irqs[ch] != n) {
			n = ide_irqs[ch];
			end = kit_now_us() + 2000;
		}
	}
}

int ide_status(int ch)
{
	int s = ide_wait_ready(ch);

	if (s >= 0)
		s = inb(ide_cmd[ch] + 7);
	return s;
}

void ide_select(int ch, int unit, uint8_t head)
{
	outb(0xa0 | unit << 4 | head, ide_cmd[ch] + 6);
	inb(ide_ctl[ch]);
}

void ide_tf28(int ch, int unit, uint32_t lba, uint8_t count, bool lba_mode)
{
	ide_select(ch, unit, (lba_mode ? 0x40 : 0) | ((lba >> 24) & 0xf));
	outb(count, ide_cmd[ch] + 2);
	outb(lba, ide_cmd[ch] + 3);
	outb(lba >> 8, ide_cmd[ch] + 4);
	outb(lba >> 16, ide_cmd[ch] + 5);
}

void ide_tf48(int ch, int unit, uint64_t lba, uint16_t count)
{
	ide_select(ch, unit, 0x40);
	outb(count >> 8, ide_cmd[ch] + 2);
	outb(lba >> 24, ide_cmd[ch] + 3);
	outb(lba >> 32, ide_cmd[ch] + 4);
	outb(lba >> 40, ide_cmd[ch] + 5);
	outb(count, ide_cmd[ch] + 2);
	outb(lba, ide_cmd[ch] + 3);
	outb(lba >> 8, ide_cmd[ch] + 4);
	outb(lba >> 16, ide_cmd[ch] + 5);
}

void ide_insw(int ch, void *dst, uint32_t bytes)
{
	uint32_t n = bytes / 2;

	asm volatile("rep insw" : "+D"(dst), "+c"(n) : "d"(ide_cmd[ch]) : "memory");
}

void ide_outsw(int ch, const void *src, uint32_t bytes)
{
	uint32_t n = bytes / 2;

	asm volatile("rep outsw" : "+S"(src), "+c"(n) : "d"(ide_cmd[ch]) : "memory");
}

int ide_pio_in(int ch, void *dst, int blocks, int blk, int *nirq)
{
	*nirq = 0;
	for (int b = 0; b < blocks; b++) {
		int before = ide_irqs[ch], s;

		if (ide_wait_irq(ch, before) == 0)
			++*nirq;
		s = ide_wait_ready(ch);
		if (s < 0 || (s & IDE_SR_ERR) || !(s & IDE_SR_DRQ))
			return s < 0 ? -1 : s;
		inb(ide_cmd[ch] + 7); /* acknowledge */
		ide_insw(ch, (uint8_t *)dst + b * blk, blk);
	}
	return 0;
}

int ide_identify(int ch, int unit, uint16_t id[256])
{
	int n;

	ide_quiesce(ch);
	ide_select(ch, unit, 0);
	outb(0xec, ide_cmd[ch] + 7);
	return ide_pio_in(ch, id, 1, IDE_SECTOR, &n);
}

void ide_prd_set(uint32_t *prdt, int i, const void *addr, uint32_t len, bool eot)
{
	prdt[2 * i] = (uint32_t)(uint64_t)addr;
	prdt[2 * i + 1] = (len & 0xffff) | (eot ? IDE_PRD_EOT : 0);
}

void ide_dma_prepare(int ch, const uint32_t *prdt)
{
	uint16_t b = ide_bm + ch * 8;

	outb(0, b);
	outb(IDE_BM_ERROR | IDE_BM_INTR, b + 2); /* clear */
	outl((uint32_t)(uint64_t)prdt, b + 4);
}

void ide_dma_go(int ch, bool to_mem, uint8_t cmd)
{
	dma_irqs_before[ch] = ide_irqs[ch];
	outb(cmd, ide_cmd[ch] + 7);
	outb(IDE_BM_START | (to_mem ? IDE_BM_TOMEM : 0), ide_bm + ch * 8);
}

void ide_dma_start(int ch, const uint32_t *prdt, bool to_mem, uint8_t cmd)
{
	ide_dma_prepare(ch, prdt);
	ide_dma_go(ch, to_mem, cmd);
}

int ide_dma_end(int ch, bool to_mem, int *bms)
{
	uint16_t b = ide_bm + ch * 8;
	uint64_t end = kit_now_us() + 5000000;
	int s, st;

	do
		st = inb(b + 2);
	while (!(st & IDE_BM_INTR) && kit_now_us() < end);
	if (st & IDE_BM_INTR)
		ide_wait_irq(ch, dma_irqs_before[ch]);
	s = ide_wait_ready(ch);
	*bms = inb(b + 2);
	outb(to_mem ? IDE_BM_TOMEM : 0, b); /* stop */
	outb(IDE_BM_ERROR | IDE_BM_INTR, b + 2);
	if (s >= 0)
		s = inb(ide_cmd[ch] + 7);
	return s;
}
