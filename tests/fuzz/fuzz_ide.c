// SPDX-License-Identifier: GPL-2.0
/*
 * A malicious guest against the IDE controller (devices/ide.c, atapi.c):
 * register accesses on both channels' ports and the bus master BAR,
 * PRD tables and ATAPI packets written into guest RAM, and block requests
 * completing in any order, any time (the block layer is a stub here that
 * keeps them queued until the input says "complete"). Disks: two small ATA
 * images (one read-only) on the primary channel, a CD on the secondary,
 * which the monitor's cdrom-eject / cdrom-change take out and put back.
 * The enlightened interface (BAR 5: control page, MSI-X, the disks' virtio
 * windows) takes MMIO accesses anywhere in it: handshakes, switches back
 * and forth with resets, and IDE commands to switched disks.
 * ASan/UBSan catch out-of-bounds accesses and undefined behaviour; a
 * deadlock hangs the run (libFuzzer's timeout).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/monitor.h"
#include "devices/block/block.h"
#include "devices/device.h"
#include "devices/ide.h"
#include "devices/pci.h"
#include "tests/unit/fake_vm.h"
#include "virtio/transport.h"

#define RAM	   (1 << 20)
#define BM_PORT	   PCI_PIO_BASE /* the only I/O BAR: placed first */
#define MAX_QUEUED 64

static uint32_t enl_bar; /* BAR 5 of the IDE function, 0 = --enlight off */

/* ---- a block layer in memory, completing on demand ---- */

struct blk {
	uint8_t *data;
	uint64_t size;
	bool ro;
	struct blk_req *q[MAX_QUEUED];
	unsigned int nq;
};

static struct blk disks[3];

static void complete(struct blk *b, unsigned int i)
{
	struct blk_req *r = b->q[i];
	int res = 0;

	b->q[i] = b->q[--b->nq];
	if ((r->op == BLK_READ || r->op == BLK_WRITE) &&
	    (r->offset % 512 || r->len % 512 || r->offset > b->size ||
	     r->len > b->size - r->offset || iov_size(r->iov, r->iovcnt) != r->len))
		res = -EINVAL;
	else if (r->op == BLK_WRITE && b->ro)
		res = -EROFS;
	else if (r->op == BLK_READ)
		iov_from_buf(r->iov, r->iovcnt, 0, b->data + r->offset, r->len);
	else if (r->op == BLK_WRITE)
		iov_to_buf(r->iov, r->iovcnt, 0, b->data + r->offset, r->len);
	r->done(r, res);
}

void blk_submit(struct blk *b, struct blk_req *req)
{
	if (!b)
		abort(); /* a request to an empty drive */
	if (b->nq == MAX_QUEUED)
		complete(b, 0); /* never happens with one request a drive */
	b->q[b->nq++] = req;
}

void blk_drain(struct blk *b)
{
	while (b->nq)
		complete(b, 0);
}

uint64_t blk_size(const struct blk *b)
{
	return b->size;
}

bool blk_readonly(const struct blk *b)
{
	return b->ro;
}

void blk_print_stats(const struct blk *b, const char *name, FILE *f)
{
}

struct blk *blk_disk(unsigned int i)
{
	return i < 2 ? &disks[i] : NULL;
}

static struct blk *cd = &disks[2];

struct blk *blk_cdrom(void)
{
	return cd;
}

struct blk *blk_swap_cdrom(struct blk *b)
{
	struct blk *old = cd;

	cd = b;
	return old;
}

/* The monitor's cdrom-change: any name opens the CD image again. */
struct blk *blk_open(const struct disk_opts *o, char *err, size_t errlen)
{
	return &disks[2];
}

void blk_close(struct blk *b)
{
	if (b)
		blk_drain(b);
}

/* virtio-blk on the enlightened windows: batching is the real layer's business. */
void blk_set_batch_end(struct blk *b, void (*fn)(void *opaque), void *opaque)
{
}

void blk_plug(struct blk *b)
{
}

void blk_unplug(struct blk *b)
{
}

void blk_poll(struct blk *b)
{
}

/* No virtio-mmio here: the enlightened windows bring their own transport. */
int virtio_mmio_create(struct vm *vm, struct virtio_dev *vdev)
{
	return -ENODEV;
}

/* ---- the harness ---- */

static struct vm vm;
static struct config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Config mechanism #1 on the IDE function (00:01.0). */
static uint32_t cfg_read32(unsigned int reg)
{
	uint8_t b[4] = { reg, 0x08, 0, 0x80 };
	uint32_t v = 0;

	bus_access(BUS_PIO, 0xcf8, b, 4, true);
	bus_access(BUS_PIO, 0xcfc, (uint8_t *)&v, 4, false);
	return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint64_t sizes[3] = { 64 * 512, 32 * 512, 16 * 2048 };

	fake_vm_init(&vm, &cfg);
	if (mem_init(&vm.mem, RAM))
		return 1;
	for (int i = 0; i < 3; i++) {
		disks[i].size = sizes[i];
		disks[i].data = calloc(1, sizes[i]);
		disks[i].ro = i > 0;
	}
	cfg.nr_disks = 2;
	cfg.disks[0] = (struct disk_opts){ .file = "a", .iface = DISK_IF_IDE };
	cfg.disks[1] = (struct disk_opts){ .file = "b", .iface = DISK_IF_IDE };
	cfg.cdrom = "c";
	if (devices_init(&vm))
		return 1;
	enl_bar = cfg_read32(PCI_BASE_ADDRESS_5) & PCI_BASE_ADDRESS_MEM_MASK;
	return 0;
}

static const uint16_t ports[] = { 0x1f0, 0x1f1, 0x1f2, 0x1f3, 0x1f4, 0x1f5, 0x1f6, 0x1f7, 0x3f6,
				  0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177, 0x376 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	devices_reset(&vm);
	for (int i = 0; i < 3; i++)
		blk_drain(&disks[i]);
	if (!cd) {
		/* Each input starts with the disc in (a reset unlocked the tray). */
		FILE *f = fopen("/dev/null", "w");

		monitor_exec(&vm, "cdrom-change x", f);
		fclose(f);
	}
	fake_clear();
	/* 6 bytes a step: op, target, 4 bytes of value. */
	for (; size >= 6; data += 6, size -= 6) {
		uint8_t buf[8] = { data[2], data[3], data[4], data[5] };
		unsigned int len = 1u << (data[0] >> 6 & 3);
		bool wr = data[0] & 0x20;
		uint32_t v;

		if ((data[0] & 0x08) && enl_bar) {
			/* BAR 5: page data[1] & 31, byte data[5] & 0x3f of it; 24-bit value. */
			uint64_t off = (data[1] & 31) * 0x1000ull + (data[5] & 0x3f);

			buf[3] = 0;
			bus_access(BUS_MMIO, enl_bar + off, buf, len, wr);
			continue;
		}
		switch (data[0] & 0x7) {
		case 0:
		case 1:
		case 2: /* a taskfile or control port */
			bus_access(BUS_PIO, ports[data[1] % (sizeof(ports) / sizeof(ports[0]))],
				   buf, len, wr);
			break;
		case 3: /* the bus master BAR */
			bus_access(BUS_PIO, BM_PORT + (data[1] & 15), buf, len, wr);
			break;
		case 4: /* complete a queued request, or change the disc */
			if (data[1] == 0xfe || data[1] == 0xff) {
				FILE *f = fopen("/dev/null", "w");

				monitor_exec(&vm, data[1] & 1 ? "cdrom-eject" : "cdrom-change x",
					     f);
				fclose(f);
				break;
			}
			for (int i = 0; i < 3; i++)
				if (disks[i].nq)
					complete(&disks[i], data[1] % disks[i].nq);
			break;
		case 5: /* a dword of guest RAM (PRD tables, DMA buffers) */
			memcpy(&v, buf, 4);
			mem_write(&vm.mem, (uint64_t)data[1] << 8 & (RAM - 1), &v, 4);
			break;
		case 6: /* a PRD entry near the table: address anywhere, any count */
			memcpy(&v, buf, 4);
			mem_write(&vm.mem, (data[1] & 0x3f) * 8, &v, 4);
			v = data[1] << 8 | data[2];
			mem_write(&vm.mem, (data[1] & 0x3f) * 8 + 4, &v, 4);
			break;
		default: /* several data port accesses: a PIO block goes faster */
			for (int i = 0; i < (data[1] & 31); i++)
				bus_access(BUS_PIO, data[0] & 0x10 ? 0x170 : 0x1f0, buf, 2, wr);
			break;
		}
	}
	return 0;
}
