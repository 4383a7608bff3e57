// SPDX-License-Identifier: GPL-2.0
/*
 * The PIIX IDE controller from ring 3, as a BIOS or ata_piix drives it:
 * PCI discovery (8086:7010, bus master BAR4), software reset and
 * signatures, IDENTIFY, PIO reads and writes (LBA28, CHS, MULTIPLE, EXT),
 * bus-master DMA (several PRD entries, a zero count meaning 64 KiB, EXT),
 * FLUSH, aborts, and an ATAPI CD-ROM (IDENTIFY PACKET, INQUIRY, READ
 * CAPACITY, READ(10) by PIO and DMA, sense data after a bad command, TOC,
 * mode page 2Ah, GET CONFIGURATION, GET EVENT STATUS).
 *
 * The machine (t_ide.sh, under vmm and QEMU -M pc): primary master an
 * 8 MiB disk, primary slave a 200 GiB sparse disk, secondary master a CD
 * image. Patterns (16-byte records, repeated): disk sector s holds
 * "sec%012u\n", CD sector s "cd%013u\n". The guest writes "wrt%012u\n"
 * into disk sectors 200-201 (PIO), 300-303 (DMA), slave sectors
 * 300000010-300000011 (DMA EXT) and 300000020-300000023 (WRITE MULTIPLE
 * EXT); the host checks the images afterwards.
 *
 * Lines starting "KIT: [vmm]" are vmm's answers where QEMU's differ (a
 * malformed PRD table, a write to the CD): the differential comparison
 * leaves them out. Exit 1 (status 3) when everything ran.
 */
#include "ide.h"
#include "kit.h"
#include "virtio.h"

#define SECTOR	 IDE_SECTOR
#define CDSECTOR 2048
#define SR_ERR	 IDE_SR_ERR
#define SR_DRQ	 IDE_SR_DRQ
#define BM_START IDE_BM_START
#define BM_TOMEM IDE_BM_TOMEM
#define BM_ERROR IDE_BM_ERROR
#define BM_INTR	 IDE_BM_INTR

#define SLAVE_LBA48 300000000ULL /* above 128 GiB: LBA48 only */

static uint8_t buf[128 * 1024] __attribute__((aligned(65536)));
static uint8_t buf2[64 * 1024] __attribute__((aligned(4096)));
static uint32_t prdt[8192 * 2] __attribute__((aligned(65536)));

static void find_ide(void)
{
	ide_find();
	kit_printf("KIT: ide 8086:7010 class %06x\n", kv_pci_read32(ide_devfn, 0x08) >> 8);
}

/* ---- ATA helpers ---- */

static void select_drive(int ch, int unit, uint8_t head)
{
	ide_quiesce(ch);
	ide_select(ch, unit, head);
}

static void tf28(int ch, int unit, uint32_t lba, uint8_t count, bool lba_mode)
{
	ide_quiesce(ch);
	ide_tf28(ch, unit, lba, count, lba_mode);
}

static void tf48(int ch, int unit, uint64_t lba, uint16_t count)
{
	ide_quiesce(ch);
	ide_tf48(ch, unit, lba, count);
}

static void pattern(uint8_t *p, const char *tag, uint64_t s, int size)
{
	char rec[20];
	int n;

	/* "sec%012u\n" or "cd%013u\n" (the kit's printf has no '*' width). */
	if (strlen(tag) == 3)
		n = kit_snprintf(rec, sizeof(rec), "%s%012llu\n", tag, (unsigned long long)s);
	else
		n = kit_snprintf(rec, sizeof(rec), "%s%013llu\n", tag, (unsigned long long)s);

	for (int i = 0; i < size; i++)
		p[i] = rec[i % n];
}

static int check_pattern(const uint8_t *p, const char *tag, uint64_t s, int size)
{
	static uint8_t want[CDSECTOR];

	pattern(want, tag, s, size);
	return memcmp(p, want, size);
}

static void soft_reset(int ch)
{
	outb(0x04, ide_ctl[ch]);
	kit_udelay(10);
	outb(0x00, ide_ctl[ch]);
	kit_udelay(2000);
	if (ide_wait_ready(ch) < 0)
		kit_fail("ide%d: BSY after reset", ch);
}

static void signature(int ch, int unit)
{
	select_drive(ch, unit, 0);
	kit_printf("KIT: ide%d.%d signature %02x %02x %02x %02x\n", ch, unit, inb(ide_cmd[ch] + 2),
		   inb(ide_cmd[ch] + 3), inb(ide_cmd[ch] + 4), inb(ide_cmd[ch] + 5));
}

static void identify(int ch, int unit)
{
	uint16_t id[256];
	int n, s;
	uint64_t lba48;

	select_drive(ch, unit, 0);
	outb(0xec, ide_cmd[ch] + 7);
	s = ide_pio_in(ch, (uint8_t *)id, 1, SECTOR, &n);
	if (s)
		kit_fail("IDENTIFY ide%d.%d: status %x", ch, unit, s);
	lba48 = id[100] | (uint64_t)id[101] << 16 | (uint64_t)id[102] << 32;
	kit_printf("KIT: identify ide%d.%d: type %04x lba28 %u lba48 %llu caps %04x "
		   "cmdset %04x mult %u irqs %d status %02x\n",
		   ch, unit, id[0], id[60] | (uint32_t)id[61] << 16, (unsigned long long)lba48,
		   id[49] & 0x0300, id[83] & 0x3400, id[47] & 0xff, n, ide_status(ch));
}

/* Read @count sectors at @lba (PIO) and check the pattern; returns interrupts or -status. */
static int pio_read(int ch, int unit, uint64_t lba, int count, uint8_t cmd, int per_irq)
{
	int n, s;

	if (cmd == 0x24 || cmd == 0x29)
		tf48(ch, unit, lba, count);
	else
		tf28(ch, unit, lba, count, true);
	outb(cmd, ide_cmd[ch] + 7);
	s = ide_pio_in(ch, buf, count / per_irq, SECTOR * per_irq, &n);
	if (s)
		return -s;
	for (int i = 0; i < count; i++)
		if (check_pattern(buf + i * SECTOR, "sec", lba + i, SECTOR))
			kit_fail("PIO read: sector %llu differs", (unsigned long long)(lba + i));
	return n;
}

/* Write @count sectors of the "wrt" pattern at @lba by PIO; per_irq sectors a block. */
static int pio_write(int ch, int unit, uint64_t lba, int count, uint8_t cmd, int per_irq)
{
	int nirq = 0;

	if (cmd == 0x34 || cmd == 0x39)
		tf48(ch, unit, lba, count);
	else
		tf28(ch, unit, lba, count, true);
	outb(cmd, ide_cmd[ch] + 7);
	for (int b = 0; b < count / per_irq; b++) {
		int s = ide_wait_ready(ch), before;

		if (s < 0 || !(s & SR_DRQ))
			return -(s & 0xff);
		for (int k = 0; k < per_irq; k++) {
			pattern(buf, "wrt", lba + b * per_irq + k, SECTOR);
			ide_outsw(ch, buf, SECTOR);
		}
		before = ide_irqs[ch];
		if (ide_wait_irq(ch, before) == 0)
			nirq++;
		inb(ide_cmd[ch] + 7);
	}
	return nirq;
}

/* ---- bus master ---- */

/* Wait for the bus master's interrupt bit (a DMA's end); the BM status. */
static int wait_bm(uint16_t b)
{
	uint64_t end = kit_now_us() + 500000;
	int st;

	do {
		st = inb(b + 2);
		if (st & BM_INTR)
			break;
	} while (kit_now_us() < end);
	return st;
}

static void prd_set(int i, void *addr, uint32_t len, bool eot)
{
	ide_prd_set(prdt, i, addr, len, eot);
}

/* Run a DMA command; returns the ATA status, the BM status in *bms. */
static int dma_cmd(int ch, bool to_mem, uint8_t cmd, int *bms)
{
	ide_dma_start(ch, prdt, to_mem, cmd);
	return ide_dma_end(ch, to_mem, bms);
}

static void dma_tests(void)
{
	int s, bms;

	/* READ DMA: 8 sectors at 8 through three entries (1 KiB, 2 KiB, 1 KiB). */
	memset(buf, 0, 8 * SECTOR);
	prd_set(0, buf, 1024, false);
	prd_set(1, buf + 1024, 2048, false);
	prd_set(2, buf + 3072, 1024, true);
	tf28(0, 0, 8, 8, true);
	s = dma_cmd(0, true, 0xc8, &bms);
	for (int i = 0; i < 8; i++)
		if (check_pattern(buf + i * SECTOR, "sec", 8 + i, SECTOR))
			kit_fail("READ DMA: sector %d differs", 8 + i);
	kit_printf("KIT: read dma 8 sectors, 3 PRDs: status %02x bm %02x\n", s, bms & 7);

	/* A count of 0 is 64 KiB: 128 sectors at 0 through one entry. */
	memset(buf, 0, 65536);
	prd_set(0, buf, 0, true);
	tf28(0, 0, 0, 128, true);
	s = dma_cmd(0, true, 0xc8, &bms);
	for (int i = 0; i < 128; i++)
		if (check_pattern(buf + i * SECTOR, "sec", i, SECTOR))
			kit_fail("READ DMA 64K: sector %d differs", i);
	kit_printf("KIT: read dma 128 sectors, one 0-count PRD: status %02x bm %02x\n", s, bms & 7);

	/* WRITE DMA: 4 sectors at 300. */
	for (int i = 0; i < 4; i++)
		pattern(buf2 + i * SECTOR, "wrt", 300 + i, SECTOR);
	prd_set(0, buf2, 4 * SECTOR, true);
	tf28(0, 0, 300, 4, true);
	s = dma_cmd(0, false, 0xca, &bms);
	kit_printf("KIT: write dma 4 sectors: status %02x bm %02x\n", s, bms & 7);

	/* LBA48 on the slave: write 2 at SLAVE_LBA48 + 10, read 1 at SLAVE_LBA48. */
	for (int i = 0; i < 2; i++)
		pattern(buf2 + i * SECTOR, "wrt", SLAVE_LBA48 + 10 + i, SECTOR);
	prd_set(0, buf2, 2 * SECTOR, true);
	tf48(0, 1, SLAVE_LBA48 + 10, 2);
	s = dma_cmd(0, false, 0x35, &bms);
	kit_printf("KIT: write dma ext above 128 GiB: status %02x bm %02x\n", s, bms & 7);
	memset(buf, 0, SECTOR);
	prd_set(0, buf, SECTOR, true);
	tf48(0, 1, SLAVE_LBA48, 1);
	s = dma_cmd(0, true, 0x25, &bms);
	kit_printf("KIT: read dma ext above 128 GiB: status %02x bm %02x data %s\n", s, bms & 7,
		   check_pattern(buf, "sec", SLAVE_LBA48, SECTOR) ? "differs" : "ok");
}

/* Malformed PRD tables: the command fails, the controller keeps working. */
static void bad_dma(void)
{
	int s, bms;

	/* An entry outside RAM (vmm's RAM ends at 512 MiB; 0xb0000000 is in no range). */
	prd_set(0, (void *)0xb0000000ULL, 4 * SECTOR, true);
	tf28(0, 0, 0, 4, true);
	s = dma_cmd(0, true, 0xc8, &bms);
	kit_printf("KIT: [vmm] prd outside RAM: status %02x error %02x bm %02x\n", s,
		   inb(ide_cmd[0] + 1), bms & 7);

	/* No end-of-table bit: 8192 entries of 2 bytes each, a transfer of 32 KiB. */
	for (int i = 0; i < 8192; i++)
		prd_set(i, buf + i * 2, 2, false);
	tf28(0, 0, 0, 64, true);
	s = dma_cmd(0, true, 0xc8, &bms);
	kit_printf("KIT: [vmm] prd without end bit: status %02x error %02x bm %02x\n", s,
		   inb(ide_cmd[0] + 1), bms & 7);

	/* A table shorter than the transfer. */
	prd_set(0, buf, 2 * SECTOR, true);
	tf28(0, 0, 0, 8, true);
	s = dma_cmd(0, true, 0xc8, &bms);
	kit_printf("KIT: [vmm] prd too short: status %02x error %02x bm %02x\n", s,
		   inb(ide_cmd[0] + 1), bms & 7);

	/* Still serving. */
	memset(buf, 0, 2 * SECTOR);
	prd_set(0, buf, 2 * SECTOR, true);
	tf28(0, 0, 40, 2, true);
	s = dma_cmd(0, true, 0xc8, &bms);
	kit_printf("KIT: read dma after bad tables: status %02x bm %02x data %s\n", s, bms & 7,
		   check_pattern(buf, "sec", 40, SECTOR) ||
				   check_pattern(buf + SECTOR, "sec", 41, SECTOR)
			   ? "differs"
			   : "ok");
}

static void ata_tests(void)
{
	int n, s;

	identify(0, 0);
	identify(0, 1);

	n = pio_read(0, 0, 0, 4, 0x20, 1);
	kit_printf("KIT: pio read lba28 4 sectors: irqs %d status %02x\n", n, ide_status(0));

	/* CHS 0/1/38 is LBA 100 with 16 heads and 63 sectors a track. */
	tf28(0, 0, 0, 1, false);
	select_drive(0, 0, 1);
	outb(38, ide_cmd[0] + 3);
	outb(0x20, ide_cmd[0] + 7);
	s = ide_pio_in(0, buf, 1, SECTOR, &n);
	kit_printf("KIT: pio read chs 0/1/38: %s irqs %d status %02x\n",
		   s					    ? "error"
		   : check_pattern(buf, "sec", 100, SECTOR) ? "differs"
							    : "ok",
		   n, ide_status(0));

	/* SET MULTIPLE 8, READ MULTIPLE 16 sectors: two blocks. */
	tf28(0, 0, 0, 8, true);
	outb(0xc6, ide_cmd[0] + 7);
	kit_printf("KIT: set multiple 8: status %02x\n", ide_status(0));
	n = pio_read(0, 0, 16, 16, 0xc4, 8);
	kit_printf("KIT: read multiple 16 sectors: irqs %d status %02x\n", n, ide_status(0));

	n = pio_write(0, 0, 200, 2, 0x30, 1);
	kit_printf("KIT: pio write 2 sectors: irqs %d status %02x\n", n, ide_status(0));
	n = pio_read(0, 1, SLAVE_LBA48 + 1, 2, 0x24, 1);
	kit_printf("KIT: pio read ext above 128 GiB: irqs %d status %02x\n", n, ide_status(0));
	tf28(0, 1, 0, 2, true);
	outb(0xc6, ide_cmd[0] + 7);
	ide_status(0);
	n = pio_write(0, 1, SLAVE_LBA48 + 20, 4, 0x39, 2);
	kit_printf("KIT: write multiple ext 4 sectors: irqs %d status %02x\n", n, ide_status(0));

	select_drive(0, 0, 0);
	outb(0xe7, ide_cmd[0] + 7);
	kit_printf("KIT: flush cache: status %02x\n", ide_status(0));
	outb(0xea, ide_cmd[0] + 7);
	kit_printf("KIT: flush cache ext: status %02x\n", ide_status(0));

	/* An unknown command and a read past the end: aborted. */
	outb(0x4f, ide_cmd[0] + 7);
	s = ide_status(0);
	kit_printf("KIT: unknown command: status %02x error %02x\n", s, inb(ide_cmd[0] + 1));
	tf28(0, 0, 16384, 1, true);
	outb(0x20, ide_cmd[0] + 7);
	s = ide_status(0);
	kit_printf("KIT: read past the end: status %s\n", s & SR_ERR ? "error" : "ok");
}

/* ---- ATAPI ---- */

static uint8_t sense_key, asc;

/* One packet by PIO (or DMA); returns the data length or -1 on CHECK CONDITION. */
static int packet(const uint8_t *cdb, uint8_t *dst, uint16_t limit, bool dma)
{
	int ch = 1, s, len = 0;
	uint16_t w;

	select_drive(ch, 0, 0);
	outb(dma ? 1 : 0, ide_cmd[ch] + 1);
	outb(limit, ide_cmd[ch] + 4);
	outb(limit >> 8, ide_cmd[ch] + 5);
	outb(0xa0, ide_cmd[ch] + 7);
	s = ide_wait_ready(ch);
	if (s < 0 || !(s & SR_DRQ))
		kit_fail("PACKET: no DRQ for the packet (status %x)", s);
	for (int i = 0; i < 12; i += 2)
		outw(cdb[i] | cdb[i + 1] << 8, ide_cmd[ch]);
	if (dma) {
		int bms, before = ide_irqs[ch];
		uint16_t b = ide_bm + 8;

		outb(0, b);
		outb(BM_ERROR | BM_INTR, b + 2);
		outl((uint32_t)(uint64_t)prdt, b + 4);
		outb(BM_START | BM_TOMEM, b);
		if (wait_bm(b) & BM_INTR)
			ide_wait_irq(ch, before);
		s = ide_wait_ready(ch);
		bms = inb(b + 2);
		outb(BM_TOMEM, b);
		outb(BM_ERROR | BM_INTR, b + 2);
		s = inb(ide_cmd[ch] + 7);
		if (s & SR_ERR)
			return -1;
		return bms & BM_INTR ? 1 : 0;
	}
	for (;;) {
		int before = ide_irqs[ch], n;

		ide_wait_irq(ch, before);
		s = ide_wait_ready(ch);
		if (s < 0)
			kit_fail("PACKET: BSY");
		s = inb(ide_cmd[ch] + 7);
		if (s & SR_ERR) {
			uint8_t e = inb(ide_cmd[ch] + 1);

			sense_key = e >> 4;
			return -1;
		}
		if (!(s & SR_DRQ))
			return len;
		n = inb(ide_cmd[ch] + 4) | inb(ide_cmd[ch] + 5) << 8;
		for (int i = 0; i < n; i += 2) {
			w = inw(ide_cmd[ch]);
			dst[len + i] = w;
			dst[len + i + 1] = w >> 8;
		}
		len += n;
	}
}

static void request_sense(void)
{
	uint8_t cdb[12] = { 0x03, 0, 0, 0, 18 };
	uint8_t b[32];

	if (packet(cdb, b, 18, false) < 0)
		kit_fail("REQUEST SENSE failed");
	sense_key = b[2] & 0xf;
	asc = b[12];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void atapi_tests(void)
{
	uint16_t id[256];
	uint8_t cdb[12];
	int n, s, tries;

	/* IDENTIFY is aborted by a packet device; IDENTIFY PACKET answers. */
	select_drive(1, 0, 0);
	outb(0xec, ide_cmd[1] + 7);
	s = ide_status(1);
	kit_printf("KIT: cd identify: status %02x error %02x sig %02x %02x\n", s,
		   inb(ide_cmd[1] + 1), inb(ide_cmd[1] + 4), inb(ide_cmd[1] + 5));
	outb(0xa1, ide_cmd[1] + 7);
	s = ide_pio_in(1, (uint8_t *)id, 1, SECTOR, &n);
	kit_printf("KIT: identify packet: %04x caps %04x status %02x\n", s ? 0 : id[0],
		   id[49] & 0x0300, ide_status(1));

	/* TEST UNIT READY until no unit attention is left. */
	memset(cdb, 0, 12);
	for (tries = 0; tries < 3 && packet(cdb, buf, 0, false) < 0; tries++)
		request_sense();
	kit_printf("KIT: test unit ready: %s\n", tries < 3 ? "ready" : "not ready");

	memset(cdb, 0, 12);
	cdb[0] = 0x12;
	cdb[4] = 36;
	n = packet(cdb, buf, 0x200, false);
	kit_printf("KIT: inquiry: %d bytes type %02x rmb %02x\n", n, buf[0] & 0x1f, buf[1] & 0x80);

	memset(cdb, 0, 12);
	cdb[0] = 0x25;
	n = packet(cdb, buf, 8, false);
	kit_printf("KIT: read capacity: %d bytes last %u block %u\n", n, be32(buf), be32(buf + 4));

	/* READ(10) by PIO: 3 sectors at 16, a 4 KiB byte count limit. */
	memset(cdb, 0, 12);
	cdb[0] = 0x28;
	cdb[5] = 16;
	cdb[8] = 3;
	memset(buf, 0, 3 * CDSECTOR);
	n = packet(cdb, buf, 4096, false);
	for (int i = 0; i < 3; i++)
		if (check_pattern(buf + i * CDSECTOR, "cd", 16 + i, CDSECTOR))
			kit_fail("READ(10): CD sector %d differs", 16 + i);
	kit_printf("KIT: read(10) pio: %d bytes ok\n", n);

	/* READ(10) by DMA: 4 sectors at 100. */
	memset(buf, 0, 4 * CDSECTOR);
	prd_set(0, buf, 4 * CDSECTOR, true);
	cdb[5] = 100;
	cdb[8] = 4;
	n = packet(cdb, NULL, 0, true);
	for (int i = 0; i < 4; i++)
		if (check_pattern(buf + i * CDSECTOR, "cd", 100 + i, CDSECTOR))
			kit_fail("READ(10) DMA: CD sector %d differs", 100 + i);
	kit_printf("KIT: read(10) dma: %s\n", n < 0 ? "error" : "ok");

	/* A bad opcode, then the sense data. */
	memset(cdb, 0, 12);
	cdb[0] = 0xff;
	n = packet(cdb, buf, 0x200, false);
	kit_printf("KIT: bad opcode: %s key %x\n", n < 0 ? "check condition" : "good", sense_key);
	request_sense();
	kit_printf("KIT: request sense: key %x asc %02x\n", sense_key, asc);
	request_sense();
	kit_printf("KIT: request sense again: key %x asc %02x\n", sense_key, asc);

	/* Past the end. */
	memset(cdb, 0, 12);
	cdb[0] = 0x28;
	cdb[2] = 0x01; /* LBA 16M */
	cdb[8] = 1;
	n = packet(cdb, buf, 0x800, false);
	request_sense();
	kit_printf("KIT: read past the end: %s key %x asc %02x\n",
		   n < 0 ? "check condition" : "good", sense_key, asc);

	/* A write to the CD. */
	memset(cdb, 0, 12);
	cdb[0] = 0x2a;
	cdb[8] = 1;
	n = packet(cdb, buf, 0x800, false);
	request_sense();
	kit_printf("KIT: [vmm] write(10): %s key %x asc %02x\n", n < 0 ? "check condition" : "good",
		   sense_key, asc);

	memset(cdb, 0, 12);
	cdb[0] = 0x43; /* READ TOC, format 0, LBA */
	cdb[8] = 32;
	n = packet(cdb, buf, 0x200, false);
	kit_printf("KIT: read toc: %d bytes first %u last %u lead-out %u\n", n, buf[2], buf[3],
		   be32(buf + 16));

	memset(cdb, 0, 12);
	cdb[0] = 0x5a; /* MODE SENSE(10), capabilities page */
	cdb[2] = 0x2a;
	cdb[8] = 64;
	n = packet(cdb, buf, 0x200, false);
	kit_printf("KIT: mode sense 2a: %s page %02x\n", n < 0 ? "error" : "ok", buf[8]);

	memset(cdb, 0, 12);
	cdb[0] = 0x46; /* GET CONFIGURATION */
	cdb[8] = 8;
	n = packet(cdb, buf, 0x200, false);
	kit_printf("KIT: get configuration: %d bytes profile %04x\n", n, buf[6] << 8 | buf[7]);

	memset(cdb, 0, 12);
	cdb[0] = 0x4a; /* GET EVENT STATUS NOTIFICATION, polled, media */
	cdb[1] = 1;
	cdb[4] = 0x10;
	cdb[8] = 8;
	n = packet(cdb, buf, 0x200, false);
	kit_printf("KIT: event status: %s class %02x media %02x\n", n < 0 ? "error" : "ok",
		   buf[2] & 7, buf[5]);

	memset(cdb, 0, 12);
	cdb[0] = 0x1e; /* PREVENT MEDIUM REMOVAL */
	cdb[4] = 1;
	n = packet(cdb, buf, 0, false);
	cdb[4] = 0;
	n |= packet(cdb, buf, 0, false);
	kit_printf("KIT: prevent/allow removal: %s\n", n < 0 ? "error" : "ok");
}

void kit_main(void)
{
	ide_irq_on();
	find_ide();
	soft_reset(0);
	signature(0, 0);
	signature(0, 1);
	soft_reset(1);
	signature(1, 0);
	ata_tests();
	dma_tests();
	bad_dma();
	atapi_tests();
	kit_printf("KIT: ide done\n");
	kit_exit(1);
}
