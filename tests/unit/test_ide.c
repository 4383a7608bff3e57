// SPDX-License-Identifier: GPL-2.0
/*
 * The IDE controller without KVM: a channel with a real block layer on a
 * temporary image (completions reaped by ide_drive_drain()), driven
 * through its register files as a guest would. PRD table walks (in RAM,
 * outside, a count of 0, no end bit, too short, merging), ATA commands
 * (IDENTIFY, PIO reads in LBA and CHS, aborts, IDNF, a read-only disk),
 * the interrupt line, software reset signatures, DMA through the bus
 * master, per-drive in-flight counts, and ATAPI sense data and UNIT
 * ATTENTION after a medium change. Also config_disk_is_ide().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/block/block.h"
#include "devices/ide.h"
#include "tests/unit/fake_vm.h"

#define DISK_SECTORS 2048 /* 1 MiB */
#define RAM	     (4 << 20)

static struct vm vm;
static struct config cfg;
static char disk_path[64], cd_path[64];
static struct ide_ctrl c;

static struct blk *open_file(const char *path, bool ro)
{
	struct disk_opts o = {
		.file = path, .format = DISK_FMT_RAW, .readonly = ro, .aio = DISK_AIO_THREADS
	};
	char err[256];
	struct blk *b = blk_open(&o, err, sizeof(err));

	if (!b)
		fail_msg("blk_open %s: %s", path, err);
	return b;
}

/* Sector s of the disk: every byte (s + i) & 0xff. */
static uint8_t disk_byte(uint64_t s, unsigned int i)
{
	return (s * 7 + i) & 0xff;
}

static int setup(void **state)
{
	static uint8_t sec[2048];
	FILE *f;

	fake_vm_init(&vm, &cfg);
	if (mem_init(&vm.mem, RAM))
		return -1;
	snprintf(disk_path, sizeof(disk_path), "/tmp/vmm-test-ide-%d.img", getpid());
	snprintf(cd_path, sizeof(cd_path), "/tmp/vmm-test-ide-%d.iso", getpid());
	f = fopen(disk_path, "w");
	for (uint64_t s = 0; s < DISK_SECTORS; s++) {
		for (unsigned int i = 0; i < 512; i++)
			sec[i] = disk_byte(s, i);
		fwrite(sec, 512, 1, f);
	}
	fclose(f);
	f = fopen(cd_path, "w");
	for (unsigned int s = 0; s < 80; s++) {
		memset(sec, s, sizeof(sec));
		fwrite(sec, sizeof(sec), 1, f);
	}
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	unlink(disk_path);
	unlink(cd_path);
	mem_free(&vm.mem);
	return 0;
}

/* A fresh controller: disk at primary master, CD at secondary master. */
static void ctrl_up(bool disk_ro)
{
	memset(&c, 0, sizeof(c));
	fake_clear();
	ide_channel_init(&c.ch[0], &vm, 0);
	ide_channel_init(&c.ch[1], &vm, 1);
	assert_int_equal(ide_drive_attach(&c.ch[0], 0, open_file(disk_path, disk_ro), false), 0);
	assert_int_equal(ide_drive_attach(&c.ch[1], 0, open_file(cd_path, true), true), 0);
	c.ch[0].irq = 14;
	c.ch[1].irq = 15;
}

static void ctrl_down(void)
{
	for (int i = 0; i < 2; i++) {
		struct ide_drive *d = &c.ch[i].drive[0];

		ide_drive_drain(d);
		assert_int_equal(atomic_load(&d->inflight), 0);
		blk_close(d->blk);
		free(d->buf);
	}
}

static uint8_t rd(int ch, unsigned int reg)
{
	return ide_cmd_read(&c.ch[ch], reg, 1);
}

static void wr(int ch, unsigned int reg, uint8_t v)
{
	ide_cmd_write(&c.ch[ch], reg, v, 1);
}

static void lba28(int ch, uint32_t lba, uint8_t count)
{
	wr(ch, 6, 0xe0 | ((lba >> 24) & 0xf));
	wr(ch, 2, count);
	wr(ch, 3, lba);
	wr(ch, 4, lba >> 8);
	wr(ch, 5, lba >> 16);
}

/* Wait out BSY (the request completes in ide_drive_drain); the status. */
static uint8_t settle(int ch)
{
	ide_drive_drain(&c.ch[ch].drive[c.ch[ch].cur]);
	return ide_ctl_read(&c.ch[ch]);
}

static void read_data(int ch, uint8_t *dst, unsigned int len)
{
	for (unsigned int i = 0; i < len; i += 2) {
		uint16_t w = ide_cmd_read(&c.ch[ch], 0, 2);

		dst[i] = w;
		dst[i + 1] = w >> 8;
	}
}

/* ---- PRD walk ---- */

static void prd(uint32_t at, int i, uint32_t addr, uint32_t count, bool eot)
{
	uint32_t e[2] = { addr, (count & 0xffff) | (eot ? 0x80000000u : 0) };

	assert_int_equal(mem_write(&vm.mem, at + 8 * i, e, sizeof(e)), 0);
}

static void test_prd_walk(void **state)
{
	struct iovec iov[16];
	unsigned int n = 0;

	/* Two adjacent entries merge; a third elsewhere is its own. */
	prd(0x1000, 0, 0x10000, 0x400, false);
	prd(0x1000, 1, 0x10400, 0x400, false);
	prd(0x1000, 2, 0x20000, 0x800, true);
	assert_int_equal(ide_prd_walk(&vm.mem, 0x1000, 0x1000, iov, 16, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(iov[0].iov_len, 0x800);
	assert_ptr_equal(iov[0].iov_base, mem_ptr(&vm.mem, 0x10000, 1));
	assert_int_equal(iov[1].iov_len, 0x800);
	/* A transfer shorter than the table stops early, the last entry cut. */
	assert_int_equal(ide_prd_walk(&vm.mem, 0x1000, 0xa00, iov, 16, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(iov[1].iov_len, 0x200);
	/* Count 0 is 64 KiB. */
	prd(0x1000, 0, 0x30000, 0, true);
	assert_int_equal(ide_prd_walk(&vm.mem, 0x1000, 0x10000, iov, 16, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(iov[0].iov_len, 0x10000);
	/* Too short, with the end bit. */
	prd(0x1000, 0, 0x30000, 0x200, true);
	assert_int_equal(ide_prd_walk(&vm.mem, 0x1000, 0x400, iov, 16, &n), -ENOSPC);
	/* A buffer outside RAM, straddling its end, a table outside RAM. */
	prd(0x1000, 0, 0xf0000000, 0x200, true);
	assert_int_equal(ide_prd_walk(&vm.mem, 0x1000, 0x200, iov, 16, &n), -EFAULT);
	prd(0x1000, 0, RAM - 0x100, 0x200, true);
	assert_int_equal(ide_prd_walk(&vm.mem, 0x1000, 0x200, iov, 16, &n), -EFAULT);
	assert_int_equal(ide_prd_walk(&vm.mem, RAM - 4, 0x200, iov, 16, &n), -EFAULT);
	/* No end bit within 8192 entries (2 bytes each: 16 KiB of 32 asked). */
	for (int i = 0; i < 8192; i++)
		prd(0x100000, i, 0x200000 + 4 * i, 2, false);
	assert_int_equal(ide_prd_walk(&vm.mem, 0x100000, 0x8000, iov, 16, &n), -EFAULT);
	/* More pieces than the caller's array. */
	assert_int_equal(ide_prd_walk(&vm.mem, 0x100000, 64, iov, 16, &n), -EFAULT);
}

/* ---- ATA ---- */

static void test_identify_and_irq(void **state)
{
	uint16_t id[256];

	ctrl_up(false);
	wr(0, 6, 0xa0);
	wr(0, 7, 0xec);
	assert_int_equal(ide_ctl_read(&c.ch[0]), 0x58); /* DRDY DSC DRQ */
	assert_int_equal(fake_rises(14), 1);
	assert_int_equal(fake_level(14), 1);
	assert_int_equal(rd(0, 7), 0x58); /* acknowledges */
	assert_int_equal(fake_level(14), 0);
	read_data(0, (uint8_t *)id, 512);
	assert_int_equal(id[0], 0x0040);
	assert_int_equal(id[60] | id[61] << 16, DISK_SECTORS);
	assert_int_equal(id[100], DISK_SECTORS);
	assert_int_equal(id[83] & (1 << 10), 1 << 10);
	assert_int_equal(id[47] & 0xff, IDE_MAX_MULT);
	assert_int_equal(rd(0, 7), 0x50);
	/* nIEN: no interrupt. */
	ide_ctl_write(&c.ch[0], ATA_DC_NIEN);
	wr(0, 7, 0xec);
	assert_int_equal(fake_rises(14), 1);
	ctrl_down();
}

static void test_pio_read_lba_chs(void **state)
{
	uint8_t b[512];

	ctrl_up(false);
	lba28(0, 100, 2);
	wr(0, 7, 0x20);
	assert_true(ide_ctl_read(&c.ch[0]) & ATA_SR_BSY);
	assert_int_equal(atomic_load(&c.ch[0].drive[0].inflight), 1);
	assert_int_equal(settle(0), 0x58);
	assert_int_equal(atomic_load(&c.ch[0].drive[0].inflight), 0);
	for (int s = 0; s < 2; s++) {
		rd(0, 7); /* acknowledge, as a driver does: the next block is a new edge */
		read_data(0, b, 512);
		for (int i = 0; i < 512; i++)
			assert_int_equal(b[i], disk_byte(100 + s, i));
	}
	assert_int_equal(rd(0, 7), 0x50);
	assert_int_equal(fake_rises(14), 2); /* one per sector */
	/* The task file names the last sector. */
	assert_int_equal(rd(0, 3), 101);

	/* CHS 1/2/3 with 16 heads, 63 sectors: LBA (1 * 16 + 2) * 63 + 2. */
	wr(0, 6, 0xa0 | 2);
	wr(0, 2, 1);
	wr(0, 3, 3);
	wr(0, 4, 1);
	wr(0, 5, 0);
	wr(0, 7, 0x20);
	assert_int_equal(settle(0), 0x58);
	read_data(0, b, 512);
	assert_int_equal(b[0], disk_byte(18 * 63 + 2, 0));
	/* CHS sector 0 does not exist. */
	wr(0, 3, 0);
	wr(0, 7, 0x20);
	assert_int_equal(rd(0, 7), 0x41);
	assert_int_equal(rd(0, 1), ATA_ER_IDNF);
	ctrl_down();
}

/* More than one buffer's worth (IDE_CHUNK_SECTORS): the drive refills it. */
static void test_pio_read_chunks(void **state)
{
	static uint8_t b[300 * 512];
	int irqs_before;

	ctrl_up(false);
	/* READ SECTORS EXT, 300 sectors at 1000, multiple mode off: 300 DRQ blocks. */
	wr(0, 6, 0xe0);
	wr(0, 2, 300 >> 8);
	wr(0, 3, 0);
	wr(0, 4, 0);
	wr(0, 5, 0);
	wr(0, 2, 300 & 0xff);
	wr(0, 3, 1000 & 0xff);
	wr(0, 4, 1000 >> 8);
	wr(0, 5, 0);
	irqs_before = fake_rises(14);
	wr(0, 7, 0x24);
	for (int s = 0; s < 300; s++) {
		assert_int_equal(settle(0), 0x58);
		rd(0, 7);
		read_data(0, b + s * 512, 512);
	}
	assert_int_equal(rd(0, 7), 0x50);
	assert_int_equal(fake_rises(14) - irqs_before, 300);
	for (int s = 0; s < 300; s++)
		assert_int_equal(b[s * 512 + 17], disk_byte(1000 + s, 17));
	ctrl_down();
}

static void test_aborts(void **state)
{
	ctrl_up(true);
	lba28(0, DISK_SECTORS - 1, 2); /* one past the end */
	wr(0, 7, 0x20);
	assert_int_equal(rd(0, 7), 0x41);
	assert_int_equal(rd(0, 1), ATA_ER_IDNF);
	lba28(0, 0, 1);
	wr(0, 7, 0x30); /* a write to a read-only disk */
	assert_int_equal(rd(0, 7), 0x41);
	assert_int_equal(rd(0, 1), ATA_ER_ABRT);
	wr(0, 7, 0x4f); /* no such command */
	assert_int_equal(rd(0, 7), 0x41);
	assert_int_equal(rd(0, 1), ATA_ER_ABRT);
	wr(0, 2, 3);
	wr(0, 7, 0xc6); /* SET MULTIPLE 3: not a power of two */
	assert_int_equal(rd(0, 7), 0x41);
	/* The absent slave reads 0 and takes no command. */
	wr(0, 6, 0xb0);
	assert_int_equal(rd(0, 7), 0);
	wr(0, 7, 0xec);
	assert_int_equal(rd(0, 7), 0);
	ctrl_down();
}

static void test_reset_signature(void **state)
{
	ctrl_up(false);
	ide_ctl_write(&c.ch[1], ATA_DC_SRST);
	assert_true(ide_ctl_read(&c.ch[1]) & ATA_SR_BSY);
	ide_ctl_write(&c.ch[1], 0);
	assert_int_equal(rd(1, 4), 0x14);
	assert_int_equal(rd(1, 5), 0xeb);
	wr(0, 4, 0x55);
	ide_ctl_write(&c.ch[0], ATA_DC_SRST);
	ide_ctl_write(&c.ch[0], 0);
	assert_int_equal(rd(0, 2), 1);
	assert_int_equal(rd(0, 3), 1);
	assert_int_equal(rd(0, 4), 0);
	assert_int_equal(rd(0, 7), 0x50);
	ctrl_down();
}

static void test_dma(void **state)
{
	uint8_t *ram = mem_ptr(&vm.mem, 0x40000, 4096);

	ctrl_up(false);
	memset(ram, 0, 4096);
	prd(0x2000, 0, 0x40000, 0x400, true);
	ide_bm_write(&c, BM_PRD, 0x2000, 4);
	lba28(0, 7, 2);
	wr(0, 7, 0xc8);
	assert_int_equal(ide_ctl_read(&c.ch[0]), 0x58); /* waiting for the bus master */
	ide_bm_write(&c, BM_CMD, BM_CMD_START | BM_CMD_TOMEM, 1);
	assert_true(ide_bm_read(&c, BM_STATUS, 1) & BM_ST_ACTIVE);
	assert_int_equal(settle(0), 0x50);
	assert_int_equal(ide_bm_read(&c, BM_STATUS, 1) & 7, BM_ST_INTR);
	for (int i = 0; i < 1024; i++)
		assert_int_equal(ram[i], disk_byte(7 + i / 512, i % 512));
	assert_int_equal(ram[1024], 0);
	assert_int_equal(fake_rises(14), 1);
	/* A table outside RAM: ERR, bus master error, the interrupt. */
	ide_bm_write(&c, BM_STATUS, BM_ST_INTR, 1);
	ide_bm_write(&c, BM_CMD, 0, 1);
	rd(0, 7);
	prd(0x2000, 0, 0xf0000000, 0x400, true);
	wr(0, 7, 0xc8);
	ide_bm_write(&c, BM_CMD, BM_CMD_START | BM_CMD_TOMEM, 1);
	assert_int_equal(ide_ctl_read(&c.ch[0]), 0x41);
	assert_int_equal(ide_bm_read(&c, BM_STATUS, 1) & 7, BM_ST_ERROR | BM_ST_INTR);
	assert_int_equal(fake_rises(14), 2);
	ctrl_down();
}

/* The block layer's count of flush requests on @b. */
static unsigned long flushes(struct blk *b)
{
	char *text = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	unsigned long n = 0;

	blk_print_stats(b, "d", f);
	fclose(f);
	p = strstr(text, " flush ");
	if (p)
		n = strtoul(p + 7, NULL, 10);
	free(text);
	return n;
}

static void test_write_cache_off(void **state)
{
	struct ide_drive *d;
	uint16_t id[256];

	ctrl_up(false);
	d = &c.ch[0].drive[0];
	/* Cache on: a PIO write is one write request, no flush. */
	lba28(0, 500, 1);
	wr(0, 7, 0x30);
	for (int i = 0; i < 256; i++)
		ide_cmd_write(&c.ch[0], 0, disk_byte(500, 2 * i) | disk_byte(500, 2 * i + 1) << 8,
			      2);
	assert_int_equal(settle(0), 0x50);
	assert_int_equal(flushes(d->blk), 0);
	/* SET FEATURES 82h: off, IDENTIFY says so, each write is flushed. */
	wr(0, 1, 0x82);
	wr(0, 7, 0xef);
	assert_int_equal(rd(0, 7), 0x50);
	wr(0, 7, 0xec);
	read_data(0, (uint8_t *)id, 512);
	assert_int_equal(id[85] & (1 << 5), 0);
	lba28(0, 500, 1);
	wr(0, 7, 0x30);
	for (int i = 0; i < 256; i++)
		ide_cmd_write(&c.ch[0], 0, disk_byte(500, 2 * i) | disk_byte(500, 2 * i + 1) << 8,
			      2);
	assert_int_equal(settle(0), 0x50);
	assert_int_equal(flushes(d->blk), 1);
	/* FLUSH CACHE itself. */
	wr(0, 7, 0xe7);
	assert_int_equal(settle(0), 0x50);
	assert_int_equal(flushes(d->blk), 2);
	ctrl_down();
}

/* ---- ATAPI ---- */

/* Send a packet (PIO); the status after it (and its data, if any, in @buf). */
static uint8_t packet(const uint8_t *cdb, uint8_t *buf, unsigned int *len)
{
	struct ide_channel *ch = &c.ch[1];
	uint8_t s;

	*len = 0;
	wr(1, 6, 0xa0);
	wr(1, 1, 0);
	wr(1, 4, 0x00);
	wr(1, 5, 0x08);
	wr(1, 7, 0xa0);
	assert_int_equal(ide_ctl_read(ch), 0x58);
	assert_int_equal(rd(1, 2), ATAPI_IR_COD);
	for (int i = 0; i < 12; i += 2)
		ide_cmd_write(ch, 0, cdb[i] | cdb[i + 1] << 8, 2);
	for (;;) {
		unsigned int n;

		s = settle(1);
		rd(1, 7);
		if (!(s & ATA_SR_DRQ))
			return s;
		n = rd(1, 4) | rd(1, 5) << 8;
		read_data(1, buf + *len, n);
		*len += n;
	}
}

static void test_atapi_sense_and_media_change(void **state)
{
	uint8_t cdb[12] = { 0 }, buf[8192];
	unsigned int len;

	ctrl_up(false);
	assert_int_equal(packet(cdb, buf, &len), 0x50); /* TEST UNIT READY */

	atapi_medium_changed(&c.ch[1].drive[0], c.ch[1].drive[0].blk);
	assert_int_equal(packet(cdb, buf, &len), 0x41);
	assert_int_equal(rd(1, 1) >> 4, 6); /* UNIT ATTENTION */
	cdb[0] = 0x03;
	cdb[4] = 18;
	assert_int_equal(packet(cdb, buf, &len), 0x50);
	assert_int_equal(len, 18);
	assert_int_equal(buf[2], 6);
	assert_int_equal(buf[12], 0x28);
	memset(cdb, 0, 12);
	assert_int_equal(packet(cdb, buf, &len), 0x50); /* reported once */

	/* READ(10) of 3 sectors at 5 through a 2 KiB byte count limit. */
	cdb[0] = 0x28;
	cdb[5] = 5;
	cdb[8] = 3;
	assert_int_equal(packet(cdb, buf, &len), 0x50);
	assert_int_equal(len, 3 * 2048);
	assert_int_equal(buf[0], 5);
	assert_int_equal(buf[3 * 2048 - 1], 7);
	assert_int_equal(rd(1, 2), ATAPI_IR_IO | ATAPI_IR_COD);

	/* 70 sectors: two buffer loads, DRQ blocks of at most the 2 KiB limit. */
	{
		static uint8_t big[70 * 2048];

		cdb[5] = 3;
		cdb[7] = 0;
		cdb[8] = 70;
		assert_int_equal(packet(cdb, big, &len), 0x50);
		assert_int_equal(len, 70 * 2048);
		for (int s = 0; s < 70; s++)
			assert_int_equal(big[s * 2048 + 100], 3 + s);
	}

	/* A write: DATA PROTECT, sense kept until a command succeeds. */
	cdb[0] = 0x2a;
	assert_int_equal(packet(cdb, buf, &len), 0x41);
	memset(cdb, 0, 12);
	cdb[0] = 0x03;
	cdb[4] = 18;
	packet(cdb, buf, &len);
	assert_int_equal(buf[2], 7);
	assert_int_equal(buf[12], 0x27);
	packet(cdb, buf, &len);
	assert_int_equal(buf[2], 7);

	/* Ejected: NOT READY, medium not present. */
	struct blk *disc = c.ch[1].drive[0].blk;

	atapi_medium_changed(&c.ch[1].drive[0], NULL);
	memset(cdb, 0, 12);
	packet(cdb, buf, &len); /* the unit attention */
	assert_int_equal(packet(cdb, buf, &len), 0x41);
	assert_int_equal(rd(1, 1) >> 4, 2);
	atapi_medium_changed(&c.ch[1].drive[0], disc); /* ctrl_down closes it */
	ctrl_down();
}

static void test_config_if(void **state)
{
	struct config k;

	config_defaults(&k);
	k.nr_disks = 2;
	k.disks[0].iface = DISK_IF_DEFAULT;
	k.disks[1].iface = DISK_IF_VIRTIO;
	assert_true(config_disk_is_ide(&k, 0)); /* no --kernel: the BIOS boots IDE */
	assert_false(config_disk_is_ide(&k, 1));
	k.kernel = "bzImage";
	assert_false(config_disk_is_ide(&k, 0));
	k.disks[1].iface = DISK_IF_IDE;
	assert_true(config_disk_is_ide(&k, 1));
	assert_false(config_disk_is_ide(&k, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prd_walk),
		cmocka_unit_test(test_identify_and_irq),
		cmocka_unit_test(test_pio_read_lba_chs),
		cmocka_unit_test(test_pio_read_chunks),
		cmocka_unit_test(test_aborts),
		cmocka_unit_test(test_reset_signature),
		cmocka_unit_test(test_dma),
		cmocka_unit_test(test_write_cache_off),
		cmocka_unit_test(test_atapi_sense_and_media_change),
		cmocka_unit_test(test_config_if),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
