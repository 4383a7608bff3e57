// SPDX-License-Identifier: GPL-2.0
/*
 * The disk benchmark of enlightened mode (tests/bench/enlight.sh): 4 KiB
 * random reads or writes on one disk for kit_bench_ms (default 3000)
 * milliseconds, through
 *	path=pio	emulated IDE, READ/WRITE SECTORS (rep insw/outsw, an
 *			interrupt per sector, as Linux's ata_piix does PIO)
 *	path=dma	emulated IDE, READ/WRITE DMA (interrupt, then the bus
 *			master's status)
 *	path=enlight	vmm's enlightened rings of the same IDE disk, after
 *			the handshake and the switch (enlight/abi.h)
 *	path=virtio	a plain virtio-blk device (vmm --disk ...,if=virtio,
 *			QEMU virtio-blk-pci)
 * rw=read|write, qd=N (requests in flight; IDE has no queueing, so the
 * IDE paths always run one at a time and say "qd 1"). Interrupts are
 * waited for by polling the kit's pending mask (no exit); the rings are
 * polled. Prints
 *	KIT: bench PATH RW qd N requests R us T
 * Writes go to the upper half of the disk, reads anywhere.
 */
#include <linux/virtio_blk.h>

#include "enlight.h"
#include "ide.h"
#include "kit.h"
#include "virtio.h"

#define SECTOR IDE_SECTOR
#define BS     4096
#define QD_MAX 32

static struct kv_queue q;
static uint8_t data[QD_MAX][BS] __attribute__((aligned(4096)));
static uint32_t prdt[2] __attribute__((aligned(64)));
static struct virtio_blk_outhdr hdr[QD_MAX];
static volatile uint8_t status[QD_MAX];
static int slot_of[KV_MAX_QUEUE];
static uint64_t seed = 0x9e3779b97f4a7c15ULL;
static uint64_t cap; /* sectors */
static bool write;

static uint64_t next_sector(void)
{
	uint64_t span = write ? cap / 2 : cap, blocks = span / (BS / SECTOR);

	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (write ? cap / 2 : 0) + seed % blocks * (BS / SECTOR);
}

/* ---- emulated IDE, primary master ---- */

static void wait_irq(int before)
{
	if (ide_wait_irq(0, before))
		kit_fail("diskbench: no IDE interrupt");
}

static void ide_pio(uint64_t lba, uint8_t *p)
{
	int s;

	ide_tf28(0, 0, lba, BS / SECTOR, true);
	outb(write ? 0x30 : 0x20, ide_cmd[0] + 7);
	for (int i = 0; i < BS / SECTOR; i++) {
		int before = ide_irqs[0];

		if (write) {
			s = ide_wait_ready(0);
			if (s < 0 || !(s & IDE_SR_DRQ))
				kit_fail("diskbench: pio write: status %x", s);
			ide_outsw(0, p + i * SECTOR, SECTOR);
			wait_irq(before);
			s = inb(ide_cmd[0] + 7);
		} else {
			wait_irq(before);
			s = inb(ide_cmd[0] + 7);
			if (!(s & IDE_SR_DRQ))
				kit_fail("diskbench: pio read: status %x", s);
			ide_insw(0, p + i * SECTOR, SECTOR);
		}
		if (s & IDE_SR_ERR)
			kit_fail("diskbench: pio: status %x", s);
	}
	if (!write && (inb(ide_ctl[0]) & (IDE_SR_ERR | IDE_SR_DRQ)))
		kit_fail("diskbench: pio read: not done");
}

static void ide_dma(uint64_t lba, uint8_t *p)
{
	int before = ide_irqs[0], bms, s;

	ide_prd_set(prdt, 0, p, BS, true);
	ide_tf28(0, 0, lba, BS / SECTOR, true);
	outl((uint32_t)(uint64_t)prdt, ide_bm + 4);
	outb(write ? 0xca : 0xc8, ide_cmd[0] + 7);
	outb(IDE_BM_START | (write ? 0 : IDE_BM_TOMEM), ide_bm);
	wait_irq(before);
	bms = inb(ide_bm + 2);
	outb(write ? 0 : IDE_BM_TOMEM, ide_bm);
	outb(IDE_BM_INTR | IDE_BM_ERROR, ide_bm + 2);
	s = inb(ide_cmd[0] + 7);
	if ((s & IDE_SR_ERR) || !(bms & IDE_BM_INTR) || (bms & IDE_BM_ERROR))
		kit_fail("diskbench: dma: status %x bm %x", s, bms);
}

static void ide_setup(void)
{
	uint16_t id[256];

	if (ide_identify(0, 0, id))
		kit_fail("diskbench: no disk at ide0.0");
	cap = id[60] | (uint32_t)id[61] << 16;
}

/* ---- virtio-blk: the rings ---- */

static void submit(int slot, uint64_t sector)
{
	struct kv_buf b[3];
	int head;

	hdr[slot].type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
	hdr[slot].ioprio = 0;
	hdr[slot].sector = sector;
	status[slot] = 0xee;
	b[0] = (struct kv_buf){ &hdr[slot], sizeof(hdr[slot]) };
	b[1] = (struct kv_buf){ data[slot], BS };
	b[2] = (struct kv_buf){ (void *)&status[slot], 1 };
	head = write ? kv_submit(&q, b, 2, 1) : kv_submit(&q, b, 1, 2);
	if (head < 0)
		kit_fail("diskbench: no descriptors");
	slot_of[head] = slot;
}

static uint64_t ring_run(int qd, uint64_t end)
{
	uint64_t done = 0;
	int inflight = qd;

	for (int s = 0; s < qd; s++)
		submit(s, next_sector());
	kv_kick(&q);
	while (inflight) {
		int head = kv_poll(&q, NULL), s;

		if (head < 0) {
			cpu_relax();
			continue;
		}
		s = slot_of[head];
		if (status[s] != VIRTIO_BLK_S_OK)
			kit_fail("diskbench: status %d", status[s]);
		done++;
		inflight--;
		if (kit_now_us() < end) {
			submit(s, next_sector());
			inflight++;
			kv_kick(&q);
		}
	}
	return done;
}

static void ring_setup(struct kv_dev *d)
{
	uint64_t want = 1ULL << VIRTIO_RING_F_EVENT_IDX;

	if (kv_init(d, want) || kv_queue_init(d, &q, 0, 256) || kv_driver_ok(d))
		kit_fail("diskbench: virtio set-up failed (status 0x%x)", kv_status(d));
	cap = kv_cfg_read(d, 0, 8);
}

void kit_main(void)
{
	uint64_t ms = kit_cmdline_long("kit_bench_ms", 3000), done = 0, t0, end;
	int qd = kit_cmdline_long("qd", 1);
	char path[16] = "dma", rw[16] = "read";
	bool ide;
	struct kv_dev d;
	struct ke k;

	kit_cmdline_get("path", path, sizeof(path));
	kit_cmdline_get("rw", rw, sizeof(rw));
	write = !strcmp(rw, "write");
	ide = !strcmp(path, "pio") || !strcmp(path, "dma");
	if (qd < 1 || qd > QD_MAX)
		kit_fail("diskbench: qd 1..%d", QD_MAX);
	if (ide) {
		qd = 1; /* no queueing on IDE */
		ide_find();
		ide_irq_on();
		ide_setup();
	} else if (!strcmp(path, "enlight")) {
		ide_find();
		if (ke_find(&k, ide_devfn))
			kit_fail("diskbench: the IDE controller is not enlightenable");
		if (ke_hello(&k, ENLIGHT_PRODUCT_KIT, 1) != ENLIGHT_RES_OK ||
		    ke_switch(&k, 0) != ENLIGHT_RES_OK || ke_drive(&k, 0, &d))
			kit_fail("diskbench: the switch of drive 0 failed");
		ring_setup(&d);
	} else {
		if (kv_find(&d, VIRTIO_ID_BLOCK, 0))
			kit_fail("diskbench: no virtio-blk device");
		ring_setup(&d);
	}
	if (cap < 2 * 2 * BS / SECTOR)
		kit_fail("diskbench: disk too small");
	for (int i = 0; i < QD_MAX; i++)
		memset(data[i], 0x5a + i, BS);

	t0 = kit_now_us();
	end = t0 + ms * 1000;
	if (ide) {
		do {
			if (path[0] == 'p')
				ide_pio(next_sector(), data[0]);
			else
				ide_dma(next_sector(), data[0]);
			done++;
		} while (kit_now_us() < end);
	} else {
		done = ring_run(qd, end);
	}
	kit_printf("KIT: bench %s %s qd %d requests %llu us %llu\n", path, rw, qd,
		   (unsigned long long)done, (unsigned long long)(kit_now_us() - t0));
	kit_exit(1);
}
