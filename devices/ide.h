/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PIIX3 IDE function (PCI 8086:7010) in legacy mode: two channels at
 * the PC's fixed ports (0x1F0-0x1F7 + 0x3F6, IRQ 14; 0x170-0x177 + 0x376,
 * IRQ 15), bus-master DMA through BAR4 (SFF-8038i), an ATA disk or an
 * ATAPI CD-ROM (devices/atapi.c) behind each of the four positions.
 *
 * One block layer serves IDE and virtio-blk (devices/block/block.h): every
 * disk access, PIO as well as DMA, is an asynchronous block request that
 * completes on the I/O thread. While it runs the drive shows BSY; the
 * completion sets DRQ (PIO) or ends the command, and interrupts. So a vCPU
 * never waits for the disk.
 *
 * Locking: each channel's lock guards its registers and both drives'
 * state; completions take it on the I/O thread. Block requests are
 * submitted under it (blk_submit() never completes inline); blk_drain()
 * runs completions, so it must be called without it (ide_drive_drain()).
 *
 * This header is for devices/ide.c, devices/atapi.c and their unit tests
 * and fuzz harness.
 */
#ifndef VMM_DEVICES_IDE_H
#define VMM_DEVICES_IDE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"

struct blk;
struct vm;

/* ATA status, error and device control bits (ATA/ATAPI-6, 7.x): not in the UAPI headers. */
#define ATA_SR_ERR  0x01
#define ATA_SR_DRQ  0x08
#define ATA_SR_DSC  0x10 /* seek complete (obsolete, still expected) */
#define ATA_SR_DF   0x20
#define ATA_SR_DRDY 0x40
#define ATA_SR_BSY  0x80

#define ATA_ER_AMNF 0x01
#define ATA_ER_ABRT 0x04
#define ATA_ER_IDNF 0x10
#define ATA_ER_UNC  0x40

#define ATA_DC_NIEN 0x02
#define ATA_DC_SRST 0x04
#define ATA_DC_HOB  0x80

#define ATA_DEV_LBA 0x40
#define ATA_DEV_DRV 0x10

/* ATAPI interrupt reason (sector count register). */
#define ATAPI_IR_COD 0x01
#define ATAPI_IR_IO  0x02

/* Bus master IDE registers (per channel, 8 bytes apart). */
#define BM_CMD	     0
#define BM_STATUS    2
#define BM_PRD	     4
#define BM_CMD_START 0x01
#define BM_CMD_TOMEM 0x08 /* direction: the bus master writes memory (a disk read) */
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR  0x02
#define BM_ST_INTR   0x04
#define BM_ST_DMA0   0x20
#define BM_ST_DMA1   0x40
#define BM_PRD_EOT   0x8000
#define BM_PRD_MAX   8192 /* entries: a table may not cross a 64 KiB boundary */

#define IDE_SECTOR	  512
#define CD_SECTOR	  2048
#define IDE_MAX_MULT	  16  /* READ/WRITE MULTIPLE: sectors per DRQ block */
#define IDE_CHUNK_SECTORS 256 /* PIO: sectors read or written per block request */
#define IDE_BUF_SIZE	  (IDE_CHUNK_SECTORS * IDE_SECTOR)
#define ATAPI_PACKET_SIZE 12

enum ide_xfer {
	XFER_NONE,
	XFER_PIO_IN,	 /* device -> host through the data port */
	XFER_PIO_OUT,	 /* host -> device through the data port */
	XFER_PACKET,	 /* ATAPI: waiting for the 12-byte command packet */
	XFER_DMA_WAIT,	 /* command given, waiting for the bus master start */
	XFER_DMA_ACTIVE, /* block request in flight */
	XFER_BUSY,	 /* a block request feeds the PIO buffer, or a flush */
};

struct ide_channel;

struct ide_drive {
	struct ide_channel *ch;
	unsigned int unit; /* 0 master, 1 slave */
	bool present, atapi;
	struct blk *blk;
	char name[16];	  /* "ide0-hd0", "ide1-cd0" */
	uint64_t sectors; /* 512-byte sectors (ATA) or 2048-byte (ATAPI) */

	/* Geometry: default and as INITIALIZE DEVICE PARAMETERS set it. */
	uint16_t cyls, heads, secs;
	uint16_t cur_heads, cur_secs;
	unsigned int mult; /* READ/WRITE MULTIPLE block size, 0 = off */
	uint8_t xfer_mode; /* SET FEATURES 03h value, for IDENTIFY */
	bool wcache;	   /* write cache on (SET FEATURES 02h/82h); off: writes flushed */
	void (*after_flush)(struct ide_drive *d, int result); /* the write's own completion */

	/* Task file (the drive's copy: writes reach both drives). */
	uint8_t feature, nsect, lbal, lbam, lbah, select;
	uint8_t hob_feature, hob_nsect, hob_lbal, hob_lbam, hob_lbah;
	uint8_t status, error, cmd;

	/* PIO data window: [pos, blk_end) of buf is the current DRQ block. */
	enum ide_xfer xfer;
	uint8_t *buf; /* IDE_BUF_SIZE */
	uint32_t pos, blk_end, buf_len;
	void (*end_block)(struct ide_drive *d); /* the DRQ block is done */

	/* The disk transfer in progress. */
	uint64_t lba;	      /* next sector (of the device's size) to load/store */
	uint32_t remaining;   /* sectors not yet loaded (reads) or stored (writes) */
	uint32_t blk_sectors; /* sectors per DRQ block */
	bool is_write, lba48;
	uint64_t dma_off, dma_len; /* bytes: image offset and length of the DMA */
	bool dma_from_buf;	   /* DMA of a reply in buf, not of the image */
	void (*then_dma)(struct ide_drive *d, int result);

	/* Completions of requests issued before a reset or a new command are
	 * dropped: each request carries the generation it was issued in. */
	unsigned int gen;
	atomic_uint inflight; /* block requests not completed (issue 8 drains) */

	/* ATAPI. */
	uint8_t packet[ATAPI_PACKET_SIZE];
	uint8_t sense_key, asc, ascq;
	bool unit_attention; /* medium changed: next command reports it */
	bool locked;	     /* PREVENT MEDIUM REMOVAL */
	bool media_event;    /* GET EVENT STATUS: new media not yet reported */
	bool atapi_dma;	     /* this packet's data goes through the bus master */
	uint32_t byte_limit; /* PIO: byte count limit per DRQ block */
	uint32_t atapi_len;  /* PIO: bytes of the reply not yet in buf/handed out */

	/*
	 * Enlightened mode (enlight/enlight.c): the drive's requests go through
	 * its virtqueues and the IDE registers hide it, except while a data
	 * command that still came this way is carried out (shunting).
	 */
	bool enlightened, shunting, shunt_logged;

	/* Counters, for --stats. */
	uint64_t st_cmds, st_errors, st_dma, st_pio_sectors;
	uint64_t st_exits;   /* register accesses while this drive was selected */
	uint64_t st_shunted; /* data commands here after the switch */
};

struct ide_channel {
	pthread_mutex_t lock;
	struct vm *vm;
	unsigned int idx; /* 0 primary, 1 secondary */
	unsigned int irq; /* ISA IRQ 14 or 15 */
	struct ide_drive drive[2];
	unsigned int cur; /* selected drive */
	uint8_t devctl;
	bool irq_level;
	/* Bus master. */
	uint8_t bm_cmd, bm_status;
	uint32_t bm_prd;
	struct bus_region *cmd_region, *ctl_region;
};

struct enlight;

struct ide_ctrl {
	struct pci_dev pci;
	struct ide_channel ch[2];
	struct enlight *enlight; /* NULL with --enlight off */
};

/* devices/ide.c: for devices/atapi.c. */
void ide_raise_irq(struct ide_channel *ch);
/* End a command: status DRDY|DSC (or with ERR and @err set), an interrupt. */
void ide_cmd_ok(struct ide_drive *d);
void ide_cmd_abort(struct ide_drive *d, uint8_t err);
/* Hand @len bytes of d->buf to the host through the data port. */
void ide_pio_in_start(struct ide_drive *d, uint32_t len, void (*end_block)(struct ide_drive *));
/*
 * Start a DMA transfer of @len bytes at byte @off of the drive's image
 * (read, or write when @is_write); it begins when the bus master starts.
 */
void ide_dma_setup(struct ide_drive *d, uint64_t off, uint64_t len, bool is_write,
		   void (*then)(struct ide_drive *d, int result));
/* The same for @len bytes already in d->buf (an ATAPI reply). */
void ide_dma_from_buf(struct ide_drive *d, uint32_t len,
		      void (*then)(struct ide_drive *d, int result));
/* An ATA IDENTIFY string: two characters a word, high byte first. */
void ide_put_string(uint16_t *id, const char *s, unsigned int words);
/* Load @len bytes at byte @off into d->buf, then call @then (status BSY meanwhile). */
void ide_buf_read(struct ide_drive *d, uint64_t off, uint32_t len,
		  void (*then)(struct ide_drive *d, int result));

/* devices/atapi.c */
void atapi_identify(struct ide_drive *d, uint16_t *id);
void atapi_packet_cmd(struct ide_drive *d); /* PACKET (A0h) issued */
void atapi_reset(struct ide_drive *d);
void atapi_signature(struct ide_drive *d);
/* Decode and run the packet in d->packet (the fuzz harness calls it too). */
void atapi_run_packet(struct ide_drive *d);
/* A disc was inserted (@b) or removed (NULL): UNIT ATTENTION next (channel lock held). */
void atapi_medium_changed(struct ide_drive *d, struct blk *b);

void ide_channel_init(struct ide_channel *ch, struct vm *vm, unsigned int idx);
/* Put a drive (ATA disk, or ATAPI CD-ROM with @b NULL for an empty tray) at @unit. */
int ide_drive_attach(struct ide_channel *ch, unsigned int unit, struct blk *b, bool atapi);
/* Wait for @d's block requests (call without the channel lock). */
void ide_drive_drain(struct ide_drive *d);
/*
 * enlight/enlight.c, without the channel lock: hide @d from the registers
 * (enlightened mode); returns how many of its block requests were still in
 * flight (the caller drains and flushes). A command the guest started and
 * has not finished goes on as a shunted one. ide_drive_emulate() undoes it.
 */
unsigned int ide_drive_enlighten(struct ide_drive *d);
void ide_drive_emulate(struct ide_drive *d);

/* Unit tests and the fuzz harness: the controller's register files. */
uint64_t ide_cmd_read(struct ide_channel *ch, uint64_t off, unsigned int len);
void ide_cmd_write(struct ide_channel *ch, uint64_t off, uint64_t val, unsigned int len);
uint64_t ide_ctl_read(struct ide_channel *ch);
void ide_ctl_write(struct ide_channel *ch, uint8_t val);
uint64_t ide_bm_read(struct ide_ctrl *c, uint64_t off, unsigned int len);
void ide_bm_write(struct ide_ctrl *c, uint64_t off, uint64_t val, unsigned int len);
/*
 * Build the scatter list of a bus master transfer of @len bytes from the
 * PRD table at @prd in guest RAM: 0 with *@cnt entries in @iov (at most
 * @max), or -EFAULT (an entry outside RAM, or the table runs out: no
 * end-of-table bit within BM_PRD_MAX entries) or -ENOSPC (the table
 * describes less than @len bytes). A byte count of 0 means 64 KiB (SFF-8038i).
 */
struct guest_mem;
struct iovec;
int ide_prd_walk(const struct guest_mem *m, uint32_t prd, uint64_t len, struct iovec *iov,
		 unsigned int max, unsigned int *cnt);

#endif
