// SPDX-License-Identifier: GPL-2.0
/*
 * The ATAPI CD-ROM behind devices/ide.c: PACKET commands (MMC-3 subset)
 * on a read-only image of 2048-byte sectors.
 *
 * A command either answers from a small reply built in d->buf (INQUIRY,
 * READ CAPACITY, sense, TOC, mode pages, configuration, events) or reads
 * the image (READ(10)/READ(12)) in chunks of up to IDE_BUF_SIZE through
 * the block layer. Data goes to the host through the data port in DRQ
 * blocks of at most the byte count limit the host put in the cylinder
 * registers, or, when the PACKET command's feature bit 0 asked for DMA,
 * through the bus master. Errors are CHECK CONDITION with sense data,
 * which REQUEST SENSE returns until another command succeeds.
 *
 * A medium change (the monitor's "cdrom-change FILE" / "cdrom-eject")
 * makes the next command other than INQUIRY, REQUEST SENSE, GET
 * CONFIGURATION and GET EVENT STATUS NOTIFICATION fail with UNIT
 * ATTENTION / medium may have changed (28h), as MMC says.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <linux/cdrom.h> /* GPCMD_* packet opcodes */
#include <linux/hdreg.h>

#include "devices/block/block.h"
#include "devices/ide.h"

/* SCSI sense keys (SPC-3 4.5.6) and the additional sense codes used here. */
#define SK_NO_SENSE	      0x00
#define SK_NOT_READY	      0x02
#define SK_MEDIUM_ERROR	      0x03
#define SK_ILLEGAL_REQUEST    0x05
#define SK_UNIT_ATTENTION     0x06
#define SK_DATA_PROTECT	      0x07
#define ASC_INVALID_OPCODE    0x20
#define ASC_LBA_RANGE	      0x21
#define ASC_INVALID_FIELD     0x24
#define ASC_WRITE_PROTECT     0x27
#define ASC_MEDIUM_CHANGED    0x28
#define ASC_SAVING_PARAMS     0x39
#define ASC_NO_MEDIUM	      0x3a
#define ASC_READ_ERROR	      0x11
#define ASC_REMOVAL_PREVENTED 0x53

#define ATAPI_CHUNK_SECTORS (IDE_BUF_SIZE / CD_SECTOR)
#define PROFILE_CDROM	    0x0008
#define PROFILE_DVDROM	    0x0010
#define CD_MAX_SECTORS	    (700ULL << 20) / CD_SECTOR /* bigger images are DVDs */

static uint16_t be16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

void atapi_signature(struct ide_drive *d)
{
	d->nsect = 1;
	d->lbal = 1;
	d->lbam = 0x14;
	d->lbah = 0xeb;
}

void atapi_reset(struct ide_drive *d)
{
	d->sense_key = SK_NO_SENSE;
	d->asc = d->ascq = 0;
	d->locked = false;
}

void atapi_identify(struct ide_drive *d, uint16_t *id)
{
	char serial[21];

	memset(id, 0, 512);
	/* ATAPI, CD-ROM device type, removable, 50 us to DRQ, 12-byte packets. */
	id[0] = 2 << 14 | 5 << 8 | 1 << 7 | 2 << 5;
	snprintf(serial, sizeof(serial), "VMM%05u", d->ch->idx * 2 + d->unit);
	ide_put_string(id + 10, serial, 10);
	id[20] = 3;
	id[21] = 512;
	ide_put_string(id + 23, VMM_VERSION, 4);
	ide_put_string(id + 27, "VMM DVD-ROM", 20);
	id[48] = 1;
	id[49] = 1 << 11 | 1 << 9 | 1 << 8; /* IORDY, LBA, DMA */
	id[53] = 7;
	id[62] = 7;
	id[63] = 7;
	id[64] = 3;
	id[65] = 0xb4;
	id[66] = 0xb4;
	id[67] = 0x12c;
	id[68] = 0xb4;
	id[71] = 30;
	id[72] = 30;
	id[80] = 0x1e;		   /* ATAPI-1 to -4 */
	id[82] = 1 << 4 | 1 << 14; /* PACKET, NOP */
	id[83] = 1 << 14;
	id[84] = 1 << 14;
	id[85] = 1 << 4 | 1 << 14;
	id[87] = 1 << 14;
	id[88] = 0x3f;
	if ((d->xfer_mode >> 3) == 4)
		id[63] |= 0x100 << (d->xfer_mode & 7);
	else if ((d->xfer_mode >> 3) == 8)
		id[88] |= 0x100 << (d->xfer_mode & 7);
	id[93] = 1 | 1 << 14 | 1 << 13;
}

/* ------------------------------------------------------------------ */
/* Ends of a command                                                   */

static void atapi_good(struct ide_drive *d)
{
	/* Sense data lasts until a later command succeeds (SFF-8020i, as QEMU). */
	if (d->packet[0] != GPCMD_REQUEST_SENSE) {
		d->sense_key = SK_NO_SENSE;
		d->asc = d->ascq = 0;
	}
	d->nsect = ATAPI_IR_IO | ATAPI_IR_COD;
	d->error = 0;
	ide_cmd_ok(d);
}

static void check_condition(struct ide_drive *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
	d->sense_key = key;
	d->asc = asc;
	d->ascq = ascq;
	d->nsect = ATAPI_IR_IO | ATAPI_IR_COD;
	ide_cmd_abort(d, key << 4 | ATA_ER_ABRT);
}

/* ------------------------------------------------------------------ */
/* Data phases                                                         */

static void atapi_dma_done(struct ide_drive *d, int result)
{
	if (result)
		check_condition(d, SK_MEDIUM_ERROR, ASC_READ_ERROR, 0);
	else
		atapi_good(d);
}

/* The next DRQ block of d->buf, or the end of the data phase. */
static void pio_next_block(struct ide_drive *d);
static void read_chunk(struct ide_drive *d);

static void pio_block_done(struct ide_drive *d)
{
	pio_next_block(d);
}

static void pio_next_block(struct ide_drive *d)
{
	uint32_t n = d->buf_len - d->pos;

	if (!n) {
		if (d->remaining)
			read_chunk(d);
		else
			atapi_good(d);
		return;
	}
	if (n > d->byte_limit)
		n = d->byte_limit;
	d->blk_end = d->pos + n;
	d->lbam = n;
	d->lbah = n >> 8;
	d->nsect = ATAPI_IR_IO;
	d->xfer = XFER_PIO_IN;
	d->end_block = pio_block_done;
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
	ide_raise_irq(d->ch);
}

/* Send the @len-byte reply in d->buf (already cut to the allocation length). */
static void reply(struct ide_drive *d, uint32_t len)
{
	if (!len) {
		atapi_good(d);
		return;
	}
	d->remaining = 0;
	if (d->atapi_dma) {
		ide_dma_from_buf(d, len, atapi_dma_done);
		return;
	}
	d->pos = 0;
	d->buf_len = len;
	pio_next_block(d);
}

static void chunk_loaded(struct ide_drive *d, int result)
{
	uint32_t n = d->remaining < ATAPI_CHUNK_SECTORS ? d->remaining : ATAPI_CHUNK_SECTORS;

	if (result) {
		check_condition(d, SK_MEDIUM_ERROR, ASC_READ_ERROR, 0);
		return;
	}
	d->lba += n;
	d->remaining -= n;
	d->st_pio_sectors += n;
	d->pos = 0;
	d->buf_len = n * CD_SECTOR;
	pio_next_block(d);
}

static void read_chunk(struct ide_drive *d)
{
	uint32_t n = d->remaining < ATAPI_CHUNK_SECTORS ? d->remaining : ATAPI_CHUNK_SECTORS;

	ide_buf_read(d, d->lba * CD_SECTOR, n * CD_SECTOR, chunk_loaded);
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */

static void cmd_read(struct ide_drive *d, uint64_t lba, uint32_t count)
{
	if (lba > d->sectors || count > d->sectors - lba) {
		check_condition(d, SK_ILLEGAL_REQUEST, ASC_LBA_RANGE, 0);
		return;
	}
	if (!count) {
		atapi_good(d);
		return;
	}
	if (d->atapi_dma) {
		d->lba = lba;
		d->remaining = 0;
		ide_dma_setup(d, lba * CD_SECTOR, (uint64_t)count * CD_SECTOR, false,
			      atapi_dma_done);
		return;
	}
	d->lba = lba;
	d->remaining = count;
	read_chunk(d);
}

static uint32_t cmd_inquiry(struct ide_drive *d)
{
	uint8_t *b = d->buf;

	memset(b, 0, 36);
	b[0] = 0x05; /* CD/DVD device */
	b[1] = 0x80; /* removable */
	b[2] = 0x00;
	b[3] = 0x21; /* ATAPI version 2, response data format 1 */
	b[4] = 36 - 5;
	memcpy(b + 8, "VMM     ", 8);
	memcpy(b + 16, "VMM DVD-ROM     ", 16);
	memcpy(b + 32, "0.1 ", 4);
	return 36;
}

static uint32_t cmd_request_sense(struct ide_drive *d)
{
	uint8_t *b = d->buf;

	memset(b, 0, 18);
	b[0] = 0x70; /* current error, fixed format */
	b[2] = d->sense_key;
	b[7] = 10;
	b[12] = d->asc;
	b[13] = d->ascq;
	return 18;
}

static uint16_t profile(const struct ide_drive *d)
{
	return d->sectors > CD_MAX_SECTORS ? PROFILE_DVDROM : PROFILE_CDROM;
}

static uint32_t cmd_get_configuration(struct ide_drive *d)
{
	uint8_t *b = d->buf;
	uint32_t n = 8;

	memset(b, 0, 64);
	put_be16(b + 6, profile(d));
	/* Feature 0: the profile list, DVD-ROM then CD-ROM. */
	put_be16(b + n, 0x0000);
	b[n + 2] = 0x03; /* persistent, current */
	b[n + 3] = 8;
	put_be16(b + n + 4, PROFILE_DVDROM);
	b[n + 6] = profile(d) == PROFILE_DVDROM;
	put_be16(b + n + 8, PROFILE_CDROM);
	b[n + 10] = profile(d) == PROFILE_CDROM;
	n += 12;
	/* Feature 1: core, ATAPI interface. */
	put_be16(b + n, 0x0001);
	b[n + 2] = 0x0b; /* version 2, persistent, current */
	b[n + 3] = 8;
	put_be32(b + n + 4, 2);
	b[n + 8] = 1; /* DBE */
	n += 12;
	/* Feature 3: removable medium (tray, lockable). */
	put_be16(b + n, 0x0003);
	b[n + 2] = 0x03;
	b[n + 3] = 4;
	b[n + 4] = 0x29 | (d->locked ? 0x02 : 0);
	n += 8;
	/* Feature 0x10: random readable, 2048-byte blocks. */
	put_be16(b + n, 0x0010);
	b[n + 2] = 0x03;
	b[n + 3] = 8;
	put_be32(b + n + 4, CD_SECTOR);
	put_be16(b + n + 8, 1);
	n += 12;
	put_be32(b, n - 4);
	return n;
}

static void lba_to_msf(uint8_t *p, uint64_t lba)
{
	lba += 150;
	p[0] = 0;
	p[1] = lba / 75 / 60;
	p[2] = lba / 75 % 60;
	p[3] = lba % 75;
}

/* READ TOC/PMA/ATIP formats 0 (TOC) and 1 (session); -1: unsupported. */
static int cmd_read_toc(struct ide_drive *d, const uint8_t *p)
{
	uint8_t *b = d->buf;
	bool msf = p[1] & 2;
	unsigned int format = p[2] & 0xf, track = p[6], n = 4;

	if (!format)
		format = p[9] >> 6; /* the old place (SFF-8020) */
	memset(b, 0, 32);
	switch (format) {
	case 0:
		if (track > 1 && track != 0xaa)
			return -1;
		b[2] = 1;
		b[3] = 1;
		if (track <= 1) {
			b[n + 1] = 0x14; /* data track, recorded uninterrupted */
			b[n + 2] = 1;
			if (msf)
				lba_to_msf(b + n + 4, 0);
			n += 8;
		}
		b[n + 1] = 0x14;
		b[n + 2] = 0xaa; /* lead-out */
		if (msf)
			lba_to_msf(b + n + 4, d->sectors);
		else
			put_be32(b + n + 4, d->sectors);
		n += 8;
		break;
	case 1:
		b[2] = 1;
		b[3] = 1;
		b[n + 1] = 0x14;
		b[n + 2] = 1;
		if (msf)
			lba_to_msf(b + n + 4, 0);
		n += 8;
		break;
	default: return -1;
	}
	put_be16(b, n - 2);
	return n;
}

/* MODE SENSE(10): error recovery (01h) and capabilities (2Ah) pages; -1: not one. */
static int cmd_mode_sense(struct ide_drive *d, const uint8_t *p)
{
	uint8_t *b = d->buf;
	unsigned int page = p[2] & 0x3f, n = 8;

	memset(b, 0, 64);
	b[2] = 0x70; /* medium type: door closed, no disc type given */
	if (page == 0x01 || page == 0x3f) {
		b[n] = 0x01;
		b[n + 1] = 0x06;
		b[n + 3] = 0x05; /* read retry count */
		n += 8;
	}
	if (page == 0x2a || page == 0x3f) {
		b[n] = 0x2a;
		b[n + 1] = 0x12;
		b[n + 2] = 0x3b; /* reads CD-R, CD-RW, method 2, DVD-ROM... */
		b[n + 4] = 0x71; /* audio play, composite, digital ports, multi-session */
		b[n + 5] = 3 << 5;
		b[n + 6] = 0x29 | (d->locked ? 0x02 : 0); /* lock, eject, tray */
		put_be16(b + n + 8, 706);		  /* max speed, kB/s */
		put_be16(b + n + 10, 2);		  /* volume levels */
		put_be16(b + n + 12, 512);		  /* buffer, KiB */
		put_be16(b + n + 14, 706);		  /* current speed */
		n += 20;
	}
	if (n == 8)
		return -1;
	put_be16(b, n - 2);
	return n;
}

static int cmd_event_status(struct ide_drive *d, const uint8_t *p)
{
	uint8_t *b = d->buf;

	if (!(p[1] & 1))
		return -1; /* only polled operation */
	memset(b, 0, 8);
	b[3] = 0x10; /* supported: media class */
	if (!(p[4] & 0x10)) {
		b[2] = 0x80; /* no event available */
		put_be16(b, 2);
		return 4;
	}
	b[2] = 0x04;			     /* media class */
	b[4] = d->media_event ? 0x02 : 0x00; /* new media */
	b[5] = 0x02;			     /* media present */
	d->media_event = false;
	put_be16(b, 6);
	return 8;
}

static uint32_t alloc_len(const uint8_t *p)
{
	switch (p[0]) {
	case GPCMD_INQUIRY: return be16(p + 3);
	case GPCMD_REQUEST_SENSE: return p[4];
	default: return be16(p + 7);
	}
}

static bool is_write_cmd(uint8_t op)
{
	switch (op) {
	case GPCMD_WRITE_10:
	case GPCMD_WRITE_12:
	case GPCMD_WRITE_AND_VERIFY_10:
	case GPCMD_FORMAT_UNIT:
	case GPCMD_BLANK:
	case GPCMD_CLOSE_TRACK:
	case GPCMD_SEND_CUE_SHEET:
	case GPCMD_RESERVE_RZONE_TRACK: return true;
	default: return false;
	}
}

/* Commands allowed through a pending UNIT ATTENTION (MMC-3 4.1.6.1). */
static bool ua_passes(uint8_t op)
{
	return op == GPCMD_INQUIRY || op == GPCMD_REQUEST_SENSE || op == GPCMD_GET_CONFIGURATION ||
	       op == GPCMD_GET_EVENT_STATUS_NOTIFICATION;
}

/* One packet, decoded and run. */
void atapi_run_packet(struct ide_drive *d)
{
	const uint8_t *p = d->packet;
	uint32_t alloc = alloc_len(p);
	int n = 0;

	if (d->unit_attention && !ua_passes(p[0])) {
		d->unit_attention = false;
		check_condition(d, SK_UNIT_ATTENTION, ASC_MEDIUM_CHANGED, 0);
		return;
	}
	if (!d->blk && p[0] != GPCMD_INQUIRY && p[0] != GPCMD_REQUEST_SENSE &&
	    p[0] != GPCMD_GET_CONFIGURATION && p[0] != GPCMD_GET_EVENT_STATUS_NOTIFICATION &&
	    p[0] != GPCMD_PREVENT_ALLOW_MEDIUM_REMOVAL && p[0] != GPCMD_START_STOP_UNIT) {
		check_condition(d, SK_NOT_READY, ASC_NO_MEDIUM, 0);
		return;
	}
	switch (p[0]) {
	case GPCMD_TEST_UNIT_READY: atapi_good(d); return;
	case GPCMD_REQUEST_SENSE: n = cmd_request_sense(d); break;
	case GPCMD_INQUIRY: n = cmd_inquiry(d); break;
	case GPCMD_READ_CDVD_CAPACITY:
		put_be32(d->buf, d->sectors ? d->sectors - 1 : 0);
		put_be32(d->buf + 4, CD_SECTOR);
		n = 8;
		alloc = 8;
		break;
	case GPCMD_READ_10: cmd_read(d, be32(p + 2), be16(p + 7)); return;
	case GPCMD_READ_12: cmd_read(d, be32(p + 2), be32(p + 6)); return;
	case GPCMD_SEEK:
	case GPCMD_VERIFY_10:
	case GPCMD_SET_SPEED: atapi_good(d); return;
	case GPCMD_PREVENT_ALLOW_MEDIUM_REMOVAL:
		d->locked = p[4] & 1;
		atapi_good(d);
		return;
	case GPCMD_START_STOP_UNIT:
		/* LoEj with Start clear: eject, refused while locked. */
		if ((p[4] & 3) == 2 && d->locked) {
			check_condition(d, SK_ILLEGAL_REQUEST, ASC_REMOVAL_PREVENTED, 2);
			return;
		}
		atapi_good(d);
		return;
	case GPCMD_GET_CONFIGURATION: n = cmd_get_configuration(d); break;
	case GPCMD_READ_TOC_PMA_ATIP: n = cmd_read_toc(d, p); break;
	case GPCMD_MODE_SENSE_10:
		if ((p[2] >> 6) == 3) {
			check_condition(d, SK_ILLEGAL_REQUEST, ASC_SAVING_PARAMS, 0);
			return;
		}
		n = cmd_mode_sense(d, p);
		break;
	case GPCMD_GET_EVENT_STATUS_NOTIFICATION: n = cmd_event_status(d, p); break;
	default:
		if (is_write_cmd(p[0]))
			check_condition(d, SK_DATA_PROTECT, ASC_WRITE_PROTECT, 0);
		else
			check_condition(d, SK_ILLEGAL_REQUEST, ASC_INVALID_OPCODE, 0);
		return;
	}
	if (n < 0) {
		check_condition(d, SK_ILLEGAL_REQUEST, ASC_INVALID_FIELD, 0);
		return;
	}
	reply(d, (uint32_t)n < alloc ? (uint32_t)n : alloc);
}

static void packet_received(struct ide_drive *d)
{
	memcpy(d->packet, d->buf, ATAPI_PACKET_SIZE);
	atapi_run_packet(d);
}

void atapi_packet_cmd(struct ide_drive *d)
{
	/* Byte count limit: even, and 0 (not allowed) taken as the largest. */
	d->byte_limit = d->lbam | d->lbah << 8;
	if (!d->byte_limit || d->byte_limit == 0xffff)
		d->byte_limit = 0xfffe;
	d->byte_limit &= ~1u;
	d->atapi_dma = d->feature & 1;
	d->xfer = XFER_PACKET;
	d->pos = 0;
	d->buf_len = d->blk_end = ATAPI_PACKET_SIZE;
	d->end_block = packet_received;
	d->nsect = ATAPI_IR_COD;
	/* No interrupt: the PIIX's devices raise DRQ for the packet at once. */
	d->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

void atapi_medium_changed(struct ide_drive *d, struct blk *b)
{
	d->blk = b;
	d->sectors = b ? blk_size(b) / CD_SECTOR : 0;
	d->unit_attention = true;
	d->media_event = b != NULL;
}
