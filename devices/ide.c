// SPDX-License-Identifier: GPL-2.0
/*
 * PIIX3 IDE (PCI 8086:7010) in legacy mode with ATA disks; ATAPI packets
 * are devices/atapi.c's. See devices/ide.h for the model and its locking.
 *
 * Drives: the IDE --disk images in order take primary master, primary
 * slave, secondary master, secondary slave; --cdrom is the secondary
 * master (QEMU's -M pc layout: -hda, -hdb, -cdrom, -hdd).
 *
 * The function is a plain function of its own slot (devices/pci.c has no
 * multi-function slots): Linux's ata_piix binds by ID (8086:7010, any
 * subsystem), and reads the port enable bits in IDETIM (0x41, 0x43 bit 7),
 * which vmm sets as firmware would.
 *
 * Malformed bus-master requests (a PRD entry outside RAM, no end-of-table
 * bit within 8192 entries, a table too short for the command) end the
 * command with ERR/ABRT and the bus master's error and interrupt bits.
 * The transfer's direction is the command's; the bus master's direction
 * bit is kept but not checked (as QEMU). Stopping the bus master during a
 * transfer forgets the command; the request still in flight completes
 * into the buffers the PRD table named (they stay guest RAM).
 *
 * Write cache: on at power-on (IDENTIFY word 85), so writes complete when
 * the image has them and FLUSH CACHE makes them durable; with the cache
 * off (SET FEATURES 82h) each write is followed by a flush before it
 * completes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include <linux/hdreg.h> /* WIN_* ATA command opcodes */

#include "cpu/monitor.h"
#include "cpu/vm.h"
#include "devices/block/block.h"
#include "devices/device.h"
#include "devices/ide.h"
#include "enlight/enlight.h"
#include "mmio/bus.h"
#include "mmio/mem.h"

#define PIIX_VENDOR	 0x8086
#define PIIX3_IDE_DEVICE 0x7010
/* Base class 01 (storage), subclass 01 (IDE), prog-if 80h: bus master, both channels legacy. */
#define IDE_CLASS	0x010180
#define PIIX_IDETIM	0x40   /* primary 0x40-0x41, secondary 0x42-0x43 */
#define PIIX_IDETIM_IDE 0x8000 /* IDE decode enable */
#define BM_BAR		4
#define BM_BAR_SIZE	16

static const struct {
	uint16_t cmd, ctl;
	unsigned int irq;
} legacy[2] = { { 0x1f0, 0x3f6, 14 }, { 0x170, 0x376, 15 } };

static struct ide_ctrl *ctrl;

/* ------------------------------------------------------------------ */
/* Interrupts and command ends                                         */

void ide_raise_irq(struct ide_channel *ch)
{
	ch->bm_status |= BM_ST_INTR;
	if (ch->devctl & ATA_DC_NIEN || ch->irq_level)
		return;
	ch->irq_level = true;
	/* ISA edge: the line stays up until the status register is read. */
	if (ch->vm)
		vm_irq_line(ch->vm, ch->irq, 1);
}

static void lower_irq(struct ide_channel *ch)
{
	if (!ch->irq_level)
		return;
	ch->irq_level = false;
	if (ch->vm)
		vm_irq_line(ch->vm, ch->irq, 0);
}

void ide_cmd_ok(struct ide_drive *d)
{
	d->xfer = XFER_NONE;
	d->status = ATA_SR_DRDY | ATA_SR_DSC;
	ide_raise_irq(d->ch);
}

void ide_cmd_abort(struct ide_drive *d, uint8_t err)
{
	d->xfer = XFER_NONE;
	d->status = ATA_SR_DRDY | ATA_SR_ERR;
	d->error = err;
	d->st_errors++;
	ide_raise_irq(d->ch);
}

/* ------------------------------------------------------------------ */
/* Block requests                                                      */

struct ide_req {
	struct blk_req br;
	struct ide_drive *d;
	unsigned int gen;
	uint8_t *buf; /* PIO: the request's own buffer (d->buf may be reused) */
	void (*then)(struct ide_drive *d, int result);
	unsigned int nr_iov;
	struct iovec iov[];
};

/* I/O thread (or a drain): the request is done. */
static void req_done(struct blk_req *br, int result)
{
	struct ide_req *r = br->opaque;
	struct ide_drive *d = r->d;
	struct ide_channel *ch = d->ch;

	pthread_mutex_lock(&ch->lock);
	if (r->gen == d->gen) {
		if (r->buf && br->op == BLK_READ && !result) {
			/* Hand the filled buffer to the drive. */
			free(d->buf);
			d->buf = r->buf;
			r->buf = NULL;
		}
		r->then(d, result);
	}
	atomic_fetch_sub(&d->inflight, 1);
	pthread_mutex_unlock(&ch->lock);
	free(r->buf);
	free(r);
}

static struct ide_req *req_new(struct ide_drive *d, enum blk_op op, unsigned int nr_iov,
			       void (*then)(struct ide_drive *, int))
{
	struct ide_req *r = calloc(1, sizeof(*r) + nr_iov * sizeof(struct iovec));

	if (!r)
		return NULL;
	r->d = d;
	r->gen = d->gen;
	r->then = then;
	r->br.op = op;
	r->br.iov = r->iov;
	r->br.done = req_done;
	r->br.opaque = r;
	return r;
}

static void req_submit(struct ide_drive *d, struct ide_req *r)
{
	atomic_fetch_add(&d->inflight, 1);
	d->xfer = XFER_BUSY;
	d->status = ATA_SR_BSY | ATA_SR_DRDY;
	blk_submit(d->blk, &r->br);
}

void ide_buf_read(struct ide_drive *d, uint64_t off, uint32_t len,
		  void (*then)(struct ide_drive *d, int result))
{
	struct ide_req *r = req_new(d, BLK_READ, 1, then);

	if (r)
		r->buf = malloc(IDE_BUF_SIZE);
	if (!r || !r->buf || len > IDE_BUF_SIZE) {
		if (r)
			free(r->buf);
		free(r);
		then(d, -ENOMEM);
		return;
	}
	r->iov[0] = (struct iovec){ r->buf, len };
	r->br.iovcnt = 1;
	r->br.offset = off;
	r->br.len = len;
	req_submit(d, r);
}

/* Write @len bytes of d->buf at byte @off (copied: the guest refills d->buf). */
static void buf_write(struct ide_drive *d, uint64_t off, uint32_t len,
		      void (*then)(struct ide_drive *d, int result))
{
	struct ide_req *r = req_new(d, BLK_WRITE, 1, then);

	if (r)
		r->buf = malloc(len);
	if (!r || !r->buf) {
		if (r)
			free(r->buf);
		free(r);
		then(d, -ENOMEM);
		return;
	}
	memcpy(r->buf, d->buf, len);
	r->iov[0] = (struct iovec){ r->buf, len };
	r->br.iovcnt = 1;
	r->br.offset = off;
	r->br.len = len;
	req_submit(d, r);
}

static void flush_done(struct ide_drive *d, int result)
{
	if (result)
		ide_cmd_abort(d, ATA_ER_ABRT);
	else
		ide_cmd_ok(d);
}

static void drive_flush(struct ide_drive *d)
{
	struct ide_req *r = req_new(d, BLK_FLUSH, 0, flush_done);

	if (!r) {
		ide_cmd_abort(d, ATA_ER_ABRT);
		return;
	}
	req_submit(d, r);
}

static void flush_then(struct ide_drive *d, int result)
{
	d->after_flush(d, result);
}

/* A write with the write cache off: durable (flushed) before it completes. */
static void write_then_flush(struct ide_drive *d, int result)
{
	struct ide_req *r;

	if (result) {
		d->after_flush(d, result);
		return;
	}
	r = req_new(d, BLK_FLUSH, 0, flush_then);
	if (!r) {
		d->after_flush(d, -ENOMEM);
		return;
	}
	req_submit(d, r);
}

/* The completion a write should get: @then, after a flush when the cache is off. */
static void (*write_completion(struct ide_drive *d,
			       void (*then)(struct ide_drive *, int)))(struct ide_drive *, int)
{
	if (d->wcache)
		return then;
	d->after_flush = then;
	return write_then_flush;
}

void ide_drive_drain(struct ide_drive *d)
{
	if (d->blk)
		blk_drain(d->blk);
}

unsigned int ide_drive_enlighten(struct ide_drive *d)
{
	unsigned int n;

	pthread_mutex_lock(&d->ch->lock);
	d->enlightened = true;
	d->shunting = d->xfer != XFER_NONE;
	n = atomic_load(&d->inflight);
	pthread_mutex_unlock(&d->ch->lock);
	return n;
}

void ide_drive_emulate(struct ide_drive *d)
{
	pthread_mutex_lock(&d->ch->lock);
	d->enlightened = d->shunting = d->shunt_logged = false;
	pthread_mutex_unlock(&d->ch->lock);
}

/* An enlightened drive looks like an empty position, unless shunting. */
static bool hidden(const struct ide_drive *d)
{
	return !d->present || (d->enlightened && !d->shunting);
}

/* The commands that move or flush data: these still reach an enlightened disk. */
static bool data_cmd(uint8_t cmd)
{
	switch (cmd) {
	case WIN_READ:
	case WIN_READ_ONCE:
	case WIN_READ_EXT:
	case WIN_MULTREAD:
	case WIN_MULTREAD_EXT:
	case WIN_READDMA:
	case WIN_READDMA_ONCE:
	case WIN_READDMA_EXT:
	case WIN_WRITE:
	case WIN_WRITE_ONCE:
	case WIN_WRITE_EXT:
	case WIN_MULTWRITE:
	case WIN_MULTWRITE_EXT:
	case WIN_WRITEDMA:
	case WIN_WRITEDMA_ONCE:
	case WIN_WRITEDMA_EXT:
	case WIN_VERIFY:
	case WIN_VERIFY_ONCE:
	case WIN_VERIFY_EXT:
	case WIN_FLUSH_CACHE:
	case WIN_FLUSH_CACHE_EXT: return true;
	default: return false;
	}
}

/*
 * A command for an enlightened drive: a data command is carried out (the
 * caller drained what the rings had in flight, so it lands after them),
 * counted and logged once; anything else finds no drive.
 */
static bool shunt(struct ide_drive *d, uint8_t cmd)
{
	if (!data_cmd(cmd)) {
		d->shunting = false;
		return false;
	}
	d->shunting = true;
	d->st_shunted++;
	if (!d->shunt_logged) {
		d->shunt_logged = true;
		fprintf(stderr,
			"vmm: %s: emulated command 0x%02x after the switch to enlightened mode: "
			"carried out in order on the same image (logged once)\n",
			d->name, cmd);
	}
	return true;
}

/* ------------------------------------------------------------------ */
/* PIO data window                                                     */

void ide_pio_in_start(struct ide_drive *d, uint32_t len, void (*end_block)(struct ide_drive *))
{
	d->xfer = XFER_PIO_IN;
	d->pos = 0;
	d->buf_len = d->blk_end = len;
	d->end_block = end_block;
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
	ide_raise_irq(d->ch);
}

/* The last DRQ block of a command that needs nothing more. */
static void pio_in_end(struct ide_drive *d)
{
	d->xfer = XFER_NONE;
	d->status = ATA_SR_DRDY | ATA_SR_DSC;
}

static uint32_t data_read(struct ide_drive *d, unsigned int len)
{
	uint32_t v = 0;

	if (len > 4)
		len = 4; /* the data port is 16 or 32 bits wide */
	if (d->xfer != XFER_PIO_IN || !(d->status & ATA_SR_DRQ))
		return 0;
	for (unsigned int i = 0; i < len && d->pos < d->blk_end; i++)
		v |= (uint32_t)d->buf[d->pos++] << (8 * i);
	if (d->pos >= d->blk_end) {
		d->status &= ~ATA_SR_DRQ;
		d->end_block(d);
	}
	return v;
}

static void data_write(struct ide_drive *d, uint32_t v, unsigned int len)
{
	if (len > 4)
		len = 4;
	if ((d->xfer != XFER_PIO_OUT && d->xfer != XFER_PACKET) || !(d->status & ATA_SR_DRQ))
		return;
	for (unsigned int i = 0; i < len && d->pos < d->blk_end; i++)
		d->buf[d->pos++] = v >> (8 * i);
	if (d->pos >= d->blk_end) {
		d->status &= ~ATA_SR_DRQ;
		d->end_block(d);
	}
}

/* ------------------------------------------------------------------ */
/* Bus master DMA                                                      */

int ide_prd_walk(const struct guest_mem *m, uint32_t prd, uint64_t len, struct iovec *iov,
		 unsigned int max, unsigned int *cnt)
{
	uint64_t done = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < BM_PRD_MAX && done < len; i++) {
		uint8_t e[8];
		uint32_t addr;
		uint64_t size, take;
		void *p;

		if (mem_read(m, (uint64_t)prd + 8 * i, e, sizeof(e)))
			return -EFAULT;
		addr = (e[0] | e[1] << 8 | e[2] << 16 | (uint32_t)e[3] << 24) & ~1u;
		size = e[4] | e[5] << 8;
		if (!size)
			size = 0x10000; /* SFF-8038i: a count of 0 is 64 KiB */
		take = size < len - done ? size : len - done;
		p = mem_ptr(m, addr, take);
		if (!p)
			return -EFAULT;
		if (n && (uint8_t *)iov[n - 1].iov_base + iov[n - 1].iov_len == p) {
			iov[n - 1].iov_len += take;
		} else {
			if (n == max)
				return -EFAULT;
			iov[n++] = (struct iovec){ p, take };
		}
		done += take;
		if (done < len && (e[7] & (BM_PRD_EOT >> 8)))
			return -ENOSPC; /* the table ends before the transfer */
	}
	if (done < len)
		return -EFAULT; /* no end-of-table bit within the limit */
	*cnt = n;
	return 0;
}

static void dma_end(struct ide_drive *d, int result)
{
	struct ide_channel *ch = d->ch;

	ch->bm_status &= ~BM_ST_ACTIVE;
	if (result == -EFAULT || result == -ENOSPC) {
		/* The guest's PRD table: a bus master error, the command aborted. */
		ch->bm_status |= BM_ST_ERROR;
		ide_cmd_abort(d, ATA_ER_ABRT);
		return;
	}
	d->st_dma++;
	d->then_dma(d, result);
}

static void dma_req_done(struct ide_drive *d, int result)
{
	dma_end(d, result);
}

/* The bus master started on a command waiting for it (channel lock held). */
static void dma_start(struct ide_drive *d)
{
	struct ide_channel *ch = d->ch;
	struct guest_mem *m = &ch->vm->mem;
	struct ide_req *r =
		req_new(d, d->is_write ? BLK_WRITE : BLK_READ, BM_PRD_MAX, dma_req_done);
	int ret;

	ch->bm_status |= BM_ST_ACTIVE;
	if (!r) {
		dma_end(d, -ENOMEM);
		return;
	}
	ret = ide_prd_walk(m, ch->bm_prd, d->dma_len, r->iov, BM_PRD_MAX, &r->nr_iov);
	if (ret) {
		free(r);
		dma_end(d, ret);
		return;
	}
	if (d->dma_from_buf) {
		/* A reply already in d->buf (ATAPI): copied, no block request. */
		iov_from_buf(r->iov, r->nr_iov, 0, d->buf, d->dma_len);
		free(r);
		dma_end(d, 0);
		return;
	}
	r->br.iovcnt = r->nr_iov;
	r->br.offset = d->dma_off;
	r->br.len = d->dma_len;
	req_submit(d, r);
	d->xfer = XFER_DMA_ACTIVE;
	d->status = ATA_SR_BSY | ATA_SR_DRDY | ATA_SR_DRQ;
}

static void dma_setup(struct ide_drive *d, uint64_t off, uint64_t len, bool is_write, bool from_buf,
		      void (*then)(struct ide_drive *d, int result))
{
	struct ide_channel *ch = d->ch;

	d->dma_off = off;
	d->dma_len = len;
	d->is_write = is_write;
	d->dma_from_buf = from_buf;
	d->then_dma = then;
	d->xfer = XFER_DMA_WAIT;
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
	/* The host may start the bus master before or after the command. */
	if ((ch->bm_cmd & BM_CMD_START) && ch->cur == d->unit)
		dma_start(d);
}

void ide_dma_setup(struct ide_drive *d, uint64_t off, uint64_t len, bool is_write,
		   void (*then)(struct ide_drive *d, int result))
{
	dma_setup(d, off, len, is_write, false, then);
}

void ide_dma_from_buf(struct ide_drive *d, uint32_t len,
		      void (*then)(struct ide_drive *d, int result))
{
	dma_setup(d, 0, len, false, true, then);
}

/* ------------------------------------------------------------------ */
/* ATA disk commands                                                   */

/* The command's first sector and count from the task file; false: bad CHS. */
static bool ata_addr(struct ide_drive *d, bool lba48, uint64_t *lba, uint32_t *count)
{
	if (lba48) {
		*lba = d->lbal | d->lbam << 8 | (uint32_t)d->lbah << 16 |
		       (uint64_t)d->hob_lbal << 24 | (uint64_t)d->hob_lbam << 32 |
		       (uint64_t)d->hob_lbah << 40;
		*count = d->nsect | d->hob_nsect << 8;
		if (!*count)
			*count = 65536;
		return true;
	}
	*count = d->nsect ? d->nsect : 256;
	if (d->select & ATA_DEV_LBA) {
		*lba = d->lbal | d->lbam << 8 | (uint32_t)d->lbah << 16 |
		       (uint32_t)(d->select & 0xf) << 24;
		return true;
	}
	/* CHS through the current translation (INITIALIZE DEVICE PARAMETERS). */
	unsigned int cyl = d->lbam | d->lbah << 8, head = d->select & 0xf, sec = d->lbal;

	if (!sec || sec > d->cur_secs || head >= d->cur_heads)
		return false;
	*lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_secs + sec - 1;
	return true;
}

/* After a transfer, the task file names the last sector (ATA: on error, the failing one). */
static void ata_set_addr(struct ide_drive *d, uint64_t lba)
{
	if (d->lba48) {
		d->lbal = lba;
		d->lbam = lba >> 8;
		d->lbah = lba >> 16;
		d->hob_lbal = lba >> 24;
		d->hob_lbam = lba >> 32;
		d->hob_lbah = lba >> 40;
	} else if (d->select & ATA_DEV_LBA) {
		d->lbal = lba;
		d->lbam = lba >> 8;
		d->lbah = lba >> 16;
		d->select = (d->select & 0xf0) | ((lba >> 24) & 0xf);
	} else if (d->cur_heads && d->cur_secs) {
		uint64_t cyl = lba / ((uint64_t)d->cur_heads * d->cur_secs);
		uint32_t r = lba % ((uint64_t)d->cur_heads * d->cur_secs);

		d->lbam = cyl;
		d->lbah = cyl >> 8;
		d->select = (d->select & 0xf0) | (r / d->cur_secs);
		d->lbal = r % d->cur_secs + 1;
	}
}

static void ata_io_error(struct ide_drive *d, int result)
{
	ata_set_addr(d, d->lba);
	ide_cmd_abort(d, result == -EROFS || result == -EINVAL ? ATA_ER_ABRT
			 : d->is_write			       ? ATA_ER_ABRT
							       : ATA_ER_UNC);
}

static void ata_read_chunk(struct ide_drive *d);

static uint32_t min_u32(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* A DRQ block of the PIO read was taken by the host. */
static void ata_read_block_done(struct ide_drive *d)
{
	if (d->pos < d->buf_len) {
		d->blk_end = min_u32(d->pos + d->blk_sectors * IDE_SECTOR, d->buf_len);
		d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
		ide_raise_irq(d->ch);
	} else if (d->remaining) {
		ata_read_chunk(d);
	} else {
		ata_set_addr(d, d->lba - 1);
		pio_in_end(d);
	}
}

static void ata_read_loaded(struct ide_drive *d, int result)
{
	uint32_t n = min_u32(d->remaining, IDE_CHUNK_SECTORS);

	if (result) {
		ata_io_error(d, result);
		return;
	}
	d->lba += n;
	d->remaining -= n;
	d->st_pio_sectors += n;
	d->xfer = XFER_PIO_IN;
	d->pos = 0;
	d->buf_len = n * IDE_SECTOR;
	d->blk_end = min_u32(d->blk_sectors * IDE_SECTOR, d->buf_len);
	d->end_block = ata_read_block_done;
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
	ide_raise_irq(d->ch);
}

static void ata_read_chunk(struct ide_drive *d)
{
	uint32_t n = min_u32(d->remaining, IDE_CHUNK_SECTORS);

	ide_buf_read(d, d->lba * IDE_SECTOR, n * IDE_SECTOR, ata_read_loaded);
}

static void ata_write_block_done(struct ide_drive *d);

static void ata_write_stored(struct ide_drive *d, int result)
{
	uint32_t n = d->blk_end / IDE_SECTOR;

	if (result) {
		ata_io_error(d, result);
		return;
	}
	d->lba += n;
	d->remaining -= n;
	d->st_pio_sectors += n;
	if (!d->remaining) {
		ata_set_addr(d, d->lba - 1);
		ide_cmd_ok(d);
		return;
	}
	d->xfer = XFER_PIO_OUT;
	d->pos = 0;
	d->buf_len = d->blk_end = min_u32(d->remaining, d->blk_sectors) * IDE_SECTOR;
	d->end_block = ata_write_block_done;
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
	ide_raise_irq(d->ch);
}

/* The host filled a DRQ block: store it. */
static void ata_write_block_done(struct ide_drive *d)
{
	buf_write(d, d->lba * IDE_SECTOR, d->blk_end, write_completion(d, ata_write_stored));
}

static void ata_dma_done(struct ide_drive *d, int result)
{
	if (result) {
		ata_io_error(d, result);
		return;
	}
	ata_set_addr(d, d->lba + d->remaining - 1);
	ide_cmd_ok(d);
}

/* READ/WRITE SECTORS, MULTIPLE, DMA and their EXT forms. */
static void ata_rw(struct ide_drive *d, bool write, bool lba48, bool multiple, bool dma)
{
	uint64_t lba;
	uint32_t count;

	d->lba48 = lba48;
	if (!ata_addr(d, lba48, &lba, &count) || lba > d->sectors || count > d->sectors - lba) {
		ide_cmd_abort(d, ATA_ER_IDNF);
		return;
	}
	if ((write && blk_readonly(d->blk)) || (multiple && !d->mult)) {
		ide_cmd_abort(d, ATA_ER_ABRT);
		return;
	}
	d->lba = lba;
	d->remaining = count;
	d->is_write = write;
	d->blk_sectors = multiple ? d->mult : 1;
	if (dma) {
		ide_dma_setup(d, lba * IDE_SECTOR, (uint64_t)count * IDE_SECTOR, write,
			      write ? write_completion(d, ata_dma_done) : ata_dma_done);
		return;
	}
	if (!write) {
		ata_read_chunk(d);
		return;
	}
	/* PIO out: the first block is asked for without an interrupt. */
	d->xfer = XFER_PIO_OUT;
	d->pos = 0;
	d->buf_len = d->blk_end = min_u32(count, d->blk_sectors) * IDE_SECTOR;
	d->end_block = ata_write_block_done;
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

static void ata_verify(struct ide_drive *d, bool lba48)
{
	uint64_t lba;
	uint32_t count;

	d->lba48 = lba48;
	if (!ata_addr(d, lba48, &lba, &count) || lba > d->sectors || count > d->sectors - lba) {
		ide_cmd_abort(d, ATA_ER_IDNF);
		return;
	}
	ata_set_addr(d, lba + count - 1);
	ide_cmd_ok(d);
}

/* ATA strings: two characters a word, the first in the high byte, space padded. */
void ide_put_string(uint16_t *id, const char *s, unsigned int words)
{
	size_t n = strlen(s);

	for (unsigned int i = 0; i < words * 2; i++) {
		uint8_t c = i < n ? s[i] : ' ';

		if (i & 1)
			id[i / 2] |= c;
		else
			id[i / 2] = c << 8;
	}
}

static void ata_identify_data(struct ide_drive *d, uint16_t *id)
{
	uint64_t lba28 = d->sectors < 0x0fffffff ? d->sectors : 0x0fffffff;
	uint32_t chs = d->cur_heads * d->cur_secs * (uint32_t)d->cyls;
	char serial[21];

	memset(id, 0, 512);
	id[0] = 0x0040; /* fixed, not removable */
	id[1] = d->cyls;
	id[3] = d->heads;
	id[4] = IDE_SECTOR * d->secs;
	id[5] = IDE_SECTOR;
	id[6] = d->secs;
	snprintf(serial, sizeof(serial), "VMM%05u", d->ch->idx * 2 + d->unit);
	ide_put_string(id + 10, serial, 10);
	id[20] = 3;   /* buffer type: dual ported, read cache */
	id[21] = 512; /* buffer size, in sectors */
	id[22] = 4;   /* ECC bytes */
	ide_put_string(id + 23, VMM_VERSION, 4);
	ide_put_string(id + 27, "VMM HARDDISK", 20);
	id[47] = 0x8000 | IDE_MAX_MULT;
	id[48] = 1;			    /* dword I/O */
	id[49] = 1 << 11 | 1 << 9 | 1 << 8; /* IORDY, LBA, DMA */
	id[51] = 0x200;			    /* PIO timing */
	id[52] = 0x200;
	id[53] = 1 | 2 | 4; /* words 54-58, 64-70 and 88 valid */
	id[54] = d->cyls;
	id[55] = d->cur_heads;
	id[56] = d->cur_secs;
	id[57] = chs;
	id[58] = chs >> 16;
	if (d->mult)
		id[59] = 0x100 | d->mult;
	id[60] = lba28;
	id[61] = lba28 >> 16;
	id[62] = 0x07; /* single word DMA 0-2 */
	id[63] = 0x07; /* multiword DMA 0-2 */
	id[64] = 0x03; /* PIO 3-4 */
	id[65] = 120;
	id[66] = 120;
	id[67] = 120;
	id[68] = 120;
	id[80] = 0xf0; /* ATA/ATAPI-4 to -7 */
	id[81] = 0x16;
	id[82] = 1 << 14 | 1 << 5;			/* NOP, write cache */
	id[83] = 1 << 14 | 1 << 13 | 1 << 12 | 1 << 10; /* FLUSH EXT, FLUSH, LBA48 */
	id[84] = 1 << 14;
	id[85] = 1 << 14 | (d->wcache ? 1 << 5 : 0);
	id[86] = 1 << 13 | 1 << 12 | 1 << 10;
	id[87] = 1 << 14;
	id[88] = 0x3f; /* UDMA 0-5 (ata_piix on a PIIX3 uses multiword DMA) */
	/* The mode SET FEATURES selected: bit 8 + n of its word. */
	if ((d->xfer_mode >> 3) == 4)
		id[63] |= 0x100 << (d->xfer_mode & 7);
	else if ((d->xfer_mode >> 3) == 8)
		id[88] |= 0x100 << (d->xfer_mode & 7);
	id[93] = 1 | 1 << 14 | 1 << 13;
	id[100] = d->sectors;
	id[101] = d->sectors >> 16;
	id[102] = d->sectors >> 32;
	id[103] = d->sectors >> 48;
}

static void identify_le(struct ide_drive *d, const uint16_t *id)
{
	for (unsigned int i = 0; i < 256; i++) {
		d->buf[2 * i] = id[i];
		d->buf[2 * i + 1] = id[i] >> 8;
	}
}

static void ata_identify(struct ide_drive *d)
{
	uint16_t id[256];

	if (d->atapi) {
		/* ATA-6 9.1: a packet device aborts IDENTIFY, with its signature. */
		atapi_signature(d);
		ide_cmd_abort(d, ATA_ER_ABRT);
		return;
	}
	ata_identify_data(d, id);
	identify_le(d, id);
	ide_pio_in_start(d, 512, pio_in_end);
}

static void identify_packet(struct ide_drive *d)
{
	uint16_t id[256];

	if (!d->atapi) {
		ide_cmd_abort(d, ATA_ER_ABRT);
		return;
	}
	atapi_identify(d, id);
	identify_le(d, id);
	ide_pio_in_start(d, 512, pio_in_end);
}

static void set_features(struct ide_drive *d)
{
	switch (d->feature) {
	case 0x02: d->wcache = true; break;
	case 0x82: d->wcache = false; break;
	case 0x03: /* transfer mode: PIO (0, 8+n), MWDMA (0x20+n), UDMA (0x40+n) */
		switch (d->nsect >> 3) {
		case 0:
		case 1:
		case 4:
		case 8: d->xfer_mode = d->nsect; break;
		default: ide_cmd_abort(d, ATA_ER_ABRT); return;
		}
		break;
	/* Accepted and without effect here: look-ahead, reverting to defaults, APM. */
	case 0x05:
	case 0x85:
	case 0x55:
	case 0xaa:
	case 0x66:
	case 0xcc: break;
	default: ide_cmd_abort(d, ATA_ER_ABRT); return;
	}
	ide_cmd_ok(d);
}

static void read_native_max(struct ide_drive *d, bool lba48)
{
	uint64_t max = d->sectors ? d->sectors - 1 : 0;

	d->lba48 = lba48;
	if (!lba48 && max > 0x0fffffff)
		max = 0x0fffffff;
	d->select |= ATA_DEV_LBA;
	ata_set_addr(d, max);
	ide_cmd_ok(d);
}

/* Signature and registers after a reset or a diagnostic (ATA-6 9.12). */
static void drive_signature(struct ide_drive *d)
{
	d->error = 0x01; /* no error detected */
	d->nsect = 1;
	d->lbal = 1;
	d->lbam = d->lbah = 0;
	d->hob_feature = d->hob_nsect = d->hob_lbal = d->hob_lbam = d->hob_lbah = 0;
	d->select &= ATA_DEV_DRV;
	if (d->atapi)
		atapi_signature(d);
}

static void drive_reset(struct ide_drive *d)
{
	d->shunting = false;
	d->gen++;
	d->xfer = XFER_NONE;
	d->pos = d->blk_end = d->buf_len = 0;
	d->end_block = NULL;
	d->mult = IDE_MAX_MULT;
	d->cur_heads = d->heads;
	d->cur_secs = d->secs;
	drive_signature(d);
	if (d->atapi) {
		atapi_reset(d);
		d->status = 0;
	} else {
		d->status = ATA_SR_DRDY | ATA_SR_DSC;
	}
}

static bool ata_disk_cmd(struct ide_drive *d, uint8_t cmd)
{
	switch (cmd) {
	case WIN_READ:
	case WIN_READ_ONCE: ata_rw(d, false, false, false, false); break;
	case WIN_READ_EXT: ata_rw(d, false, true, false, false); break;
	case WIN_MULTREAD: ata_rw(d, false, false, true, false); break;
	case WIN_MULTREAD_EXT: ata_rw(d, false, true, true, false); break;
	case WIN_READDMA:
	case WIN_READDMA_ONCE: ata_rw(d, false, false, false, true); break;
	case WIN_READDMA_EXT: ata_rw(d, false, true, false, true); break;
	case WIN_WRITE:
	case WIN_WRITE_ONCE: ata_rw(d, true, false, false, false); break;
	case WIN_WRITE_EXT: ata_rw(d, true, true, false, false); break;
	case WIN_MULTWRITE: ata_rw(d, true, false, true, false); break;
	case WIN_MULTWRITE_EXT: ata_rw(d, true, true, true, false); break;
	case WIN_WRITEDMA:
	case WIN_WRITEDMA_ONCE: ata_rw(d, true, false, false, true); break;
	case WIN_WRITEDMA_EXT: ata_rw(d, true, true, false, true); break;
	case WIN_VERIFY:
	case WIN_VERIFY_ONCE: ata_verify(d, false); break;
	case WIN_VERIFY_EXT: ata_verify(d, true); break;
	case WIN_FLUSH_CACHE:
	case WIN_FLUSH_CACHE_EXT: drive_flush(d); break;
	case WIN_READ_NATIVE_MAX: read_native_max(d, false); break;
	case WIN_READ_NATIVE_MAX_EXT: read_native_max(d, true); break;
	case WIN_SETMULT:
		if (d->nsect > IDE_MAX_MULT || (d->nsect & (d->nsect - 1))) {
			ide_cmd_abort(d, ATA_ER_ABRT);
			break;
		}
		d->mult = d->nsect;
		ide_cmd_ok(d);
		break;
	case WIN_SPECIFY: /* INITIALIZE DEVICE PARAMETERS */
		if (!d->nsect) {
			ide_cmd_abort(d, ATA_ER_ABRT);
			break;
		}
		d->cur_secs = d->nsect;
		d->cur_heads = (d->select & 0xf) + 1;
		ide_cmd_ok(d);
		break;
	default:
		if ((cmd & 0xf0) == WIN_RECAL || (cmd & 0xf0) == WIN_SEEK) {
			ide_cmd_ok(d); /* RECALIBRATE, SEEK: nothing moves */
			break;
		}
		return false;
	}
	return true;
}

/* Commands of both kinds of drive; false: not one of them. */
static bool common_cmd(struct ide_drive *d, uint8_t cmd)
{
	switch (cmd) {
	case WIN_IDENTIFY: ata_identify(d); break;
	case WIN_PIDENTIFY: identify_packet(d); break;
	case WIN_SETFEATURES: set_features(d); break;
	case WIN_CHECKPOWERMODE1:
	case WIN_CHECKPOWERMODE2:
		d->nsect = 0xff; /* active or idle */
		ide_cmd_ok(d);
		break;
	case WIN_STANDBYNOW1:
	case WIN_STANDBYNOW2:
	case WIN_IDLEIMMEDIATE:
	case WIN_STANDBY:
	case WIN_STANDBY2:
	case WIN_SETIDLE1:
	case WIN_SETIDLE2:
	case WIN_SLEEPNOW1:
	case WIN_SLEEPNOW2: ide_cmd_ok(d); break;
	default: return false;
	}
	return true;
}

static void diagnose(struct ide_channel *ch)
{
	for (unsigned int u = 0; u < 2; u++) {
		struct ide_drive *d = &ch->drive[u];

		if (!d->present)
			continue;
		d->gen++;
		drive_signature(d);
		d->xfer = XFER_NONE;
		d->status = d->atapi ? 0 : ATA_SR_DRDY | ATA_SR_DSC;
	}
	ide_raise_irq(ch);
}

static void exec_cmd(struct ide_channel *ch, uint8_t cmd)
{
	struct ide_drive *d = &ch->drive[ch->cur];

	if (!d->present)
		return; /* nobody there to take it */
	if (d->enlightened && !shunt(d, cmd))
		return;
	if (d->status & ATA_SR_BSY && !(d->atapi && cmd == WIN_DEVICE_RESET))
		return;
	/* A new command ends whatever the last one left (a DRQ never served). */
	d->gen++;
	d->xfer = XFER_NONE;
	d->cmd = cmd;
	d->st_cmds++;
	d->error = 0;
	lower_irq(ch);
	if (cmd == WIN_DIAGNOSE) {
		diagnose(ch);
		return;
	}
	if (common_cmd(d, cmd))
		return;
	if (d->atapi) {
		switch (cmd) {
		case WIN_PACKETCMD: atapi_packet_cmd(d); return;
		case WIN_DEVICE_RESET:
			/* No interrupt (ATA-6 8.10). */
			drive_reset(d);
			return;
		default: break;
		}
	} else if (ata_disk_cmd(d, cmd)) {
		return;
	}
	ide_cmd_abort(d, ATA_ER_ABRT);
}

/* ------------------------------------------------------------------ */
/* Register files                                                      */

uint64_t ide_cmd_read(struct ide_channel *ch, uint64_t off, unsigned int len)
{
	struct ide_drive *d;
	bool hob;
	uint64_t v = 0;

	pthread_mutex_lock(&ch->lock);
	d = &ch->drive[ch->cur];
	hob = ch->devctl & ATA_DC_HOB;
	d->st_exits++;
	if (hidden(d)) {
		/* An empty position reads 0 (as QEMU's): no device, not busy. */
		pthread_mutex_unlock(&ch->lock);
		return 0;
	}
	switch (off) {
	case 0: v = data_read(d, len); break;
	case 1: v = hob ? d->hob_feature : d->error; break;
	case 2: v = hob ? d->hob_nsect : d->nsect; break;
	case 3: v = hob ? d->hob_lbal : d->lbal; break;
	case 4: v = hob ? d->hob_lbam : d->lbam; break;
	case 5: v = hob ? d->hob_lbah : d->lbah; break;
	case 6: v = d->select | 0xa0; break;
	case 7:
		v = d->status;
		lower_irq(ch); /* reading the status acknowledges the interrupt */
		break;
	}
	pthread_mutex_unlock(&ch->lock);
	return v;
}

static void tf_write(struct ide_drive *d, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case 1:
		d->hob_feature = d->feature;
		d->feature = v;
		break;
	case 2:
		d->hob_nsect = d->nsect;
		d->nsect = v;
		break;
	case 3:
		d->hob_lbal = d->lbal;
		d->lbal = v;
		break;
	case 4:
		d->hob_lbam = d->lbam;
		d->lbam = v;
		break;
	case 5:
		d->hob_lbah = d->lbah;
		d->lbah = v;
		break;
	case 6: d->select = v & ~0xa0; break;
	}
}

void ide_cmd_write(struct ide_channel *ch, uint64_t off, uint64_t val, unsigned int len)
{
	struct ide_drive *d;

	pthread_mutex_lock(&ch->lock);
	d = &ch->drive[ch->cur];
	d->st_exits++;
	if (off == 7 && d->enlightened && data_cmd(val)) {
		/* What the rings have (or were kicked for) completes first: nothing reordered. */
		pthread_mutex_unlock(&ch->lock);
		enlight_take_ring(ctrl, d);
		ide_drive_drain(d);
		pthread_mutex_lock(&ch->lock);
	}
	switch (off) {
	case 0: data_write(&ch->drive[ch->cur], (uint32_t)val, len); break;
	case 7: exec_cmd(ch, val); break;
	default:
		/* Both drives see the task file; a write ends a HOB read. */
		ch->devctl &= ~ATA_DC_HOB;
		for (unsigned int u = 0; u < 2; u++)
			tf_write(&ch->drive[u], off, val);
		if (off == 6)
			ch->cur = (val & ATA_DEV_DRV) ? 1 : 0;
		break;
	}
	pthread_mutex_unlock(&ch->lock);
}

uint64_t ide_ctl_read(struct ide_channel *ch)
{
	struct ide_drive *d;
	uint64_t v;

	pthread_mutex_lock(&ch->lock);
	d = &ch->drive[ch->cur];
	d->st_exits++;
	v = hidden(d) ? 0 : d->status; /* alternate status: no acknowledge */
	pthread_mutex_unlock(&ch->lock);
	return v;
}

void ide_ctl_write(struct ide_channel *ch, uint8_t val)
{
	uint8_t old;

	pthread_mutex_lock(&ch->lock);
	ch->drive[ch->cur].st_exits++;
	old = ch->devctl;
	ch->devctl = val;
	if ((val & ATA_DC_SRST) && !(old & ATA_DC_SRST)) {
		/* Software reset asserted: everything stops, both drives busy. */
		for (unsigned int u = 0; u < 2; u++) {
			ch->drive[u].gen++;
			ch->drive[u].xfer = XFER_NONE;
			ch->drive[u].status = ATA_SR_BSY | ATA_SR_DSC;
		}
	} else if (!(val & ATA_DC_SRST) && (old & ATA_DC_SRST)) {
		for (unsigned int u = 0; u < 2; u++)
			if (ch->drive[u].present)
				drive_reset(&ch->drive[u]);
		ch->cur = 0;
	}
	pthread_mutex_unlock(&ch->lock);
}

static uint64_t cmd_read(void *opaque, uint64_t off, unsigned int len)
{
	return ide_cmd_read(opaque, off, len);
}

static void cmd_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	ide_cmd_write(opaque, off, val, len);
}

static uint64_t ctl_read(void *opaque, uint64_t off, unsigned int len)
{
	return ide_ctl_read(opaque);
}

static void ctl_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	ide_ctl_write(opaque, val);
}

static const struct bus_ops cmd_ops = { .read = cmd_read, .write = cmd_write };
static const struct bus_ops ctl_ops = { .read = ctl_read, .write = ctl_write };

/* Bus master registers: primary at 0-7, secondary at 8-15, byte by byte. */
static uint8_t bm_read_byte(struct ide_channel *ch, unsigned int reg)
{
	switch (reg) {
	case BM_CMD: return ch->bm_cmd;
	case BM_STATUS: return ch->bm_status;
	case BM_PRD:
	case BM_PRD + 1:
	case BM_PRD + 2:
	case BM_PRD + 3: return ch->bm_prd >> (8 * (reg - BM_PRD));
	default: return 0;
	}
}

static void bm_cmd_write(struct ide_channel *ch, uint8_t v)
{
	uint8_t old = ch->bm_cmd;
	struct ide_drive *d = &ch->drive[ch->cur];

	ch->bm_cmd = v & (BM_CMD_START | BM_CMD_TOMEM);
	if ((v & BM_CMD_START) && !(old & BM_CMD_START)) {
		if (d->present && d->xfer == XFER_DMA_WAIT)
			dma_start(d);
	} else if (!(v & BM_CMD_START) && (old & BM_CMD_START)) {
		/*
		 * Stopped by the host: a transfer still in flight completes
		 * into the PRD buffers, but the command is forgotten.
		 */
		ch->bm_status &= ~BM_ST_ACTIVE;
		for (unsigned int u = 0; u < 2; u++) {
			struct ide_drive *x = &ch->drive[u];

			if (x->xfer == XFER_DMA_ACTIVE) {
				x->gen++;
				x->xfer = XFER_NONE;
				x->status = ATA_SR_DRDY | ATA_SR_DSC;
			}
		}
	}
}

static void bm_write_byte(struct ide_channel *ch, unsigned int reg, uint8_t v)
{
	unsigned int s;

	switch (reg) {
	case BM_CMD: bm_cmd_write(ch, v); break;
	case BM_STATUS:
		/* Error and interrupt are write-1-to-clear; the DMA-capable bits plain. */
		ch->bm_status = (ch->bm_status & ~(BM_ST_DMA0 | BM_ST_DMA1)) |
				(v & (BM_ST_DMA0 | BM_ST_DMA1));
		ch->bm_status &= ~(v & (BM_ST_ERROR | BM_ST_INTR));
		break;
	case BM_PRD:
	case BM_PRD + 1:
	case BM_PRD + 2:
	case BM_PRD + 3:
		s = 8 * (reg - BM_PRD);
		ch->bm_prd = (ch->bm_prd & ~(0xffu << s)) | (uint32_t)v << s;
		ch->bm_prd &= ~3u; /* dword aligned */
		break;
	}
}

uint64_t ide_bm_read(struct ide_ctrl *c, uint64_t off, unsigned int len)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < len && off + i < BM_BAR_SIZE; i++) {
		struct ide_channel *ch = &c->ch[(off + i) >> 3];

		pthread_mutex_lock(&ch->lock);
		if (!i) /* one access: counted for the channel it starts in */
			ch->drive[ch->cur].st_exits++;
		v |= (uint64_t)bm_read_byte(ch, (off + i) & 7) << (8 * i);
		pthread_mutex_unlock(&ch->lock);
	}
	return v;
}

void ide_bm_write(struct ide_ctrl *c, uint64_t off, uint64_t val, unsigned int len)
{
	for (unsigned int i = 0; i < len && off + i < BM_BAR_SIZE; i++) {
		struct ide_channel *ch = &c->ch[(off + i) >> 3];

		pthread_mutex_lock(&ch->lock);
		if (!i)
			ch->drive[ch->cur].st_exits++;
		bm_write_byte(ch, (off + i) & 7, val >> (8 * i));
		pthread_mutex_unlock(&ch->lock);
	}
}

static uint64_t bm_read(void *opaque, uint64_t off, unsigned int len)
{
	return ide_bm_read(opaque, off, len);
}

static void bm_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	ide_bm_write(opaque, off, val, len);
}

static const struct bus_ops bm_ops = { .read = bm_read, .write = bm_write };

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

/* QEMU's guess for a disk without a partition table: 16 heads, 63 sectors. */
static void drive_geometry(struct ide_drive *d)
{
	uint64_t c = d->sectors / (16 * 63);

	d->heads = 16;
	d->secs = 63;
	d->cyls = c < 2 ? 2 : c > 16383 ? 16383 : c;
}

int ide_drive_attach(struct ide_channel *ch, unsigned int unit, struct blk *b, bool atapi)
{
	struct ide_drive *d = &ch->drive[unit];

	d->buf = malloc(IDE_BUF_SIZE);
	if (!d->buf)
		return -ENOMEM;
	d->present = true;
	d->atapi = atapi;
	d->blk = b;
	d->sectors = b ? blk_size(b) / (atapi ? CD_SECTOR : IDE_SECTOR) : 0;
	d->wcache = true;
	snprintf(d->name, sizeof(d->name), "ide%u-%s%u", ch->idx, atapi ? "cd" : "hd", unit);
	if (!atapi)
		drive_geometry(d);
	drive_reset(d);
	if (atapi)
		d->unit_attention = false; /* the disc was there at power-on */
	return 0;
}

void ide_channel_init(struct ide_channel *ch, struct vm *vm, unsigned int idx)
{
	pthread_mutex_init(&ch->lock, NULL);
	ch->vm = vm;
	ch->idx = idx;
	ch->irq = legacy[idx].irq;
	for (unsigned int u = 0; u < 2; u++) {
		ch->drive[u].ch = ch;
		ch->drive[u].unit = u;
	}
}

static void ide_free(struct ide_ctrl *c)
{
	for (unsigned int i = 0; i < 2; i++) {
		bus_unregister(c->ch[i].cmd_region);
		bus_unregister(c->ch[i].ctl_region);
		for (unsigned int u = 0; u < 2; u++)
			free(c->ch[i].drive[u].buf);
	}
	free(c);
}

static unsigned int ide_disks(const struct config *cfg)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < cfg->nr_disks; i++)
		n += config_disk_is_ide(cfg, i);
	return n;
}

static void bar_remap(struct pci_dev *dev, int bar, uint64_t addr)
{
	enlight_bar_remap(dev->priv, bar, addr);
}

static int ide_init(struct vm *vm)
{
	const struct config *cfg = vm->cfg;
	struct ide_ctrl *c;
	unsigned int pos = 0;
	int ret;

	if (!cfg)
		return 0;
	/*
	 * A PC always has the controller; a direct kernel boot only when it has
	 * drives (each kernel would load and probe ata_piix for nothing).
	 */
	if (cfg->kernel && !cfg->cdrom && !ide_disks(cfg))
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	for (unsigned int i = 0; i < 2; i++)
		ide_channel_init(&c->ch[i], vm, i);
	if (cfg->cdrom) {
		ret = ide_drive_attach(&c->ch[1], 0, blk_cdrom(), true);
		if (ret)
			goto fail;
	}
	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		if (!config_disk_is_ide(cfg, i) || !blk_disk(i))
			continue;
		if (pos == 2 && cfg->cdrom)
			pos++;
		ret = ide_drive_attach(&c->ch[pos / 2], pos % 2, blk_disk(i), false);
		if (ret)
			goto fail;
		pos++;
	}
	/* The controller is there on a PC whatever drives it has. */
	for (unsigned int i = 0; i < 2; i++) {
		c->ch[i].cmd_region = bus_register(BUS_PIO, legacy[i].cmd, 8, &cmd_ops, &c->ch[i],
						   i ? "ide1-cmd" : "ide0-cmd");
		c->ch[i].ctl_region = bus_register(BUS_PIO, legacy[i].ctl, 1, &ctl_ops, &c->ch[i],
						   i ? "ide1-ctl" : "ide0-ctl");
		if (!c->ch[i].cmd_region || !c->ch[i].ctl_region) {
			ret = -EBUSY;
			goto fail;
		}
	}
	pci_dev_init(&c->pci, "piix-ide", PIIX_VENDOR, PIIX3_IDE_DEVICE, 0x1af4, 0x1100, IDE_CLASS,
		     0, 0);
	/* IDETIM: both channels decode, as firmware leaves them; timings writable. */
	c->pci.cfg[PIIX_IDETIM + 1] = PIIX_IDETIM_IDE >> 8;
	c->pci.cfg[PIIX_IDETIM + 3] = PIIX_IDETIM_IDE >> 8;
	memset(c->pci.wmask + PIIX_IDETIM, 0xff, 0x10);
	c->pci.priv = c;
	c->pci.bar_remap = bar_remap;
	ret = pci_add_bar(&c->pci, BM_BAR, PCI_BAR_IO, BM_BAR_SIZE, &bm_ops, c);
	if (!ret)
		ret = enlight_setup(vm, c);
	if (!ret)
		ret = pci_register(vm, &c->pci);
	if (ret == -ECANCELED)
		goto fail_quiet;
	if (ret)
		goto fail;
	ctrl = c;
	return 0;
fail:
	fprintf(stderr, "vmm: IDE controller: %s\n", strerror(-ret));
fail_quiet:
	ide_free(c);
	return -ECANCELED;
}

static void ide_reset(struct vm *vm)
{
	if (!ctrl)
		return;
	/* The rings stop first; then every disk is a plain IDE disk again. */
	enlight_reset(ctrl);
	/* No DMA of the old boot may land in the new one's memory. */
	for (unsigned int i = 0; i < 2; i++)
		for (unsigned int u = 0; u < 2; u++)
			ide_drive_drain(&ctrl->ch[i].drive[u]);
	for (unsigned int i = 0; i < 2; i++) {
		struct ide_channel *ch = &ctrl->ch[i];

		pthread_mutex_lock(&ch->lock);
		ch->devctl = 0;
		ch->bm_cmd = ch->bm_status = 0;
		ch->bm_prd = 0;
		ch->cur = 0;
		lower_irq(ch);
		for (unsigned int u = 0; u < 2; u++)
			if (ch->drive[u].present)
				drive_reset(&ch->drive[u]);
		pthread_mutex_unlock(&ch->lock);
	}
}

static void ide_shutdown(struct vm *vm)
{
	if (!ctrl)
		return;
	/* In-flight requests finish before the images close (and flush). */
	for (unsigned int i = 0; i < 2; i++)
		for (unsigned int u = 0; u < 2; u++)
			ide_drive_drain(&ctrl->ch[i].drive[u]);
}

static void ide_print_stats(struct vm *vm, FILE *f)
{
	if (!ctrl)
		return;
	for (unsigned int i = 0; i < 2; i++)
		for (unsigned int u = 0; u < 2; u++) {
			struct ide_drive *d = &ctrl->ch[i].drive[u];

			if (!d->present)
				continue;
			fprintf(f,
				"%s: %" PRIu64 " commands, %" PRIu64 " errors, %" PRIu64
				" DMA transfers, %" PRIu64 " PIO sectors\n",
				d->name, d->st_cmds, d->st_errors, d->st_dma, d->st_pio_sectors);
			if (d->blk)
				blk_print_stats(d->blk, d->name, f);
		}
	enlight_print_stats(ctrl, f);
}

/* ------------------------------------------------------------------ */
/* Monitor: change the disc                                            */

static struct ide_drive *cd_drive(void)
{
	struct ide_drive *d = ctrl ? &ctrl->ch[1].drive[0] : NULL;

	return d && d->present && d->atapi ? d : NULL;
}

/* "cdrom-change FILE" inserts FILE, "cdrom-eject" (FILE "") leaves the tray empty. */
static int cdrom_change(struct vm *vm, const char *file, FILE *out)
{
	struct disk_opts o = { .file = file, .format = DISK_FMT_RAW, .readonly = true };
	struct ide_drive *d = cd_drive();
	struct blk *b = NULL, *old;
	char err[512];

	if (!d) {
		fprintf(out, "no CD-ROM drive (start vmm with --cdrom)\n");
		return -ENODEV;
	}
	if (*file) {
		b = blk_open(&o, err, sizeof(err));
		if (!b) {
			fprintf(out, "%s\n", err);
			return -EINVAL;
		}
	}
	pthread_mutex_lock(&d->ch->lock);
	if (d->locked) {
		pthread_mutex_unlock(&d->ch->lock);
		blk_close(b);
		fprintf(out, "the guest locked the tray (PREVENT MEDIUM REMOVAL)\n");
		return -EBUSY;
	}
	/* A command on the old disc is forgotten; its requests complete unseen. */
	d->gen++;
	if (d->xfer != XFER_NONE) {
		d->xfer = XFER_NONE;
		d->status = ATA_SR_DRDY | ATA_SR_DSC;
	}
	atapi_medium_changed(d, b);
	old = blk_swap_cdrom(b);
	pthread_mutex_unlock(&d->ch->lock);
	blk_close(old); /* drains it first */
	fprintf(out, "%s\n", *file ? file : "ejected");
	return 0;
}

static int mon_cdrom_change(struct vm *vm, const char *args, FILE *out)
{
	if (!*args) {
		fprintf(out, "usage: cdrom-change FILE\n");
		return -EINVAL;
	}
	return cdrom_change(vm, args, out);
}

static int mon_cdrom_eject(struct vm *vm, const char *args, FILE *out)
{
	return cdrom_change(vm, "", out);
}

static struct monitor_cmd cdrom_change_cmd = {
	.name = "cdrom-change",
	.help = "cdrom-change FILE  insert the ISO FILE into the CD-ROM drive",
	.run = mon_cdrom_change,
};
monitor_command(cdrom_change_cmd);

static struct monitor_cmd cdrom_eject_cmd = {
	.name = "cdrom-eject",
	.help = "cdrom-eject  remove the disc from the CD-ROM drive",
	.run = mon_cdrom_eject,
};
monitor_command(cdrom_eject_cmd);

static struct device ide_device = {
	.name = "ide",
	.level = DEV_LEVEL_DEVICE,
	.init = ide_init,
	.reset = ide_reset,
	.shutdown = ide_shutdown,
	.print_stats = ide_print_stats,
};
device_init(ide_device);
