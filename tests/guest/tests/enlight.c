// SPDX-License-Identifier: GPL-2.0
/*
 * vmm's enlightened IDE (enlight/abi.h) from ring 3, as a shunt driver
 * uses it, and the emulated registers around it (t_enlight.sh).
 *
 * Discovery (subsystem IDs, the control and drive capabilities, MSI-X),
 * the handshake, refused commands, the emulated path before the switch,
 * the switch, I/O through the drive's virtqueue (MSI-X), suppression on
 * the IDE registers (IDENTIFY: no answer), and stray emulated data
 * commands after the switch (shunted: carried out in order on the same
 * image). A controller without the capability (QEMU, vmm --enlight off)
 * prints "KIT: not enlightenable" and runs only the emulated checks.
 *
 * Command line: mode=proto (default) | deny (HELLO is expected to be
 * refused: the drive stays emulated) | load (switch while a large DMA runs
 * on both channels); build=N (the BUILD register, default 1); reset=1
 * (proto: reset the machine at the end through the i8042; the second boot,
 * counted in CMOS byte 0x50, checks it came back in emulated mode).
 *
 * Machine (proto, deny): primary master an 8 MiB disk whose sector s holds
 * "sec%012u\n" x 32, primary slave a second disk, secondary master a CD.
 * Written (records "TAG%012u\n" x 32 per sector): "pre" at 100-103 (PIO)
 * and 104-111 (DMA) before the switch; then through the ring "rng" at
 * 200-207; "emy" at 300 by PIO and "emz" at 301-302 by DMA over "rgx"
 * written through the ring first, and "emz" at 400.. ("stray=N", default none)
 * over "rgx" ring writes still in flight. load: primary master and secondary
 * master 32 MiB disks (a small primary slave between them); "ld0" / "ld2"
 * DMAed at sectors LOAD_LBA.. (16 MiB each).
 */
#include <linux/pci_regs.h>
#include <linux/virtio_blk.h>

#include "enlight.h"
#include "ide.h"
#include "kit.h"
#include "virtio.h"

#define SECTOR	  IDE_SECTOR
#define STRAY_LBA 400
#define STRAY_MAX 4096
#define LOAD_LBA  2048
#define LOAD_SECS 32768
#define LOAD_PRDS (LOAD_SECS * SECTOR / 65536)
#define CMOS_BOOT 0x50

#define ATA_READ       0x20
#define ATA_WRITE      0x30
#define ATA_READ_DMA   0xc8
#define ATA_WRITE_DMA  0xca
#define ATA_WRITE_DMAX 0x35

static struct ke k;
static struct kv_dev dev[ENLIGHT_MAX_DRIVES];
static struct kv_queue q0, q2;
static uint8_t buf[64 * 1024] __attribute__((aligned(65536)));
static uint8_t rbuf[64 * 1024] __attribute__((aligned(65536)));
static uint32_t prdt[2][2 * 512] __attribute__((aligned(65536)));
static uint8_t load[2][LOAD_SECS * SECTOR] __attribute__((aligned(65536)));
static unsigned int ring_requests;

static const char *const res_names[] = { "OK",	     "DENIED",	 "NO_HELLO",
					 "NO_DRIVE", "IO_ERROR", "BAD_CMD" };

static const char *res(uint32_t r)
{
	return r < sizeof(res_names) / sizeof(res_names[0]) ? res_names[r] : "?";
}

/* Sectors [s, s + n) of "TAG%012u\n" x 32 at p (the host's `records`). */
static void pattern(uint8_t *p, const char *tag, uint64_t s, unsigned int n)
{
	char rec[20];

	for (unsigned int i = 0; i < n; i++) {
		kit_snprintf(rec, sizeof(rec), "%s%012llu\n", tag, (unsigned long long)(s + i));
		for (int r = 0; r < SECTOR / 16; r++)
			memcpy(p + i * SECTOR + r * 16, rec, 16);
	}
}

static bool check(const uint8_t *p, const char *tag, uint64_t s, unsigned int n)
{
	static uint8_t want[64 * 1024];

	pattern(want, tag, s, n);
	return !memcmp(p, want, n * SECTOR);
}

static const char *ok(bool good)
{
	return good ? "ok" : "differs";
}

static const char *idle(int status)
{
	return status & (IDE_SR_BSY | IDE_SR_DRQ | IDE_SR_ERR) ? "busy/error" : "done";
}

/* ---- the emulated registers ---- */

/* PIO WRITE SECTORS of @n sectors of @p at @lba: the final status. */
static int pio_write(int ch, int unit, uint32_t lba, const uint8_t *p, int n)
{
	ide_quiesce(ch);
	ide_tf28(ch, unit, lba, n, true);
	outb(ATA_WRITE, ide_cmd[ch] + 7);
	for (int i = 0; i < n; i++) {
		int s = ide_wait_ready(ch), before = ide_irqs[ch];

		if (s < 0 || !(s & IDE_SR_DRQ))
			return s;
		ide_outsw(ch, p + i * SECTOR, SECTOR);
		ide_wait_irq(ch, before);
		inb(ide_cmd[ch] + 7);
	}
	return ide_status(ch);
}

/* PIO READ SECTORS into @p: the final status (or the failing one). */
static int pio_read(int ch, int unit, uint32_t lba, uint8_t *p, int n)
{
	int nirq, s;

	ide_quiesce(ch);
	ide_tf28(ch, unit, lba, n, true);
	outb(ATA_READ, ide_cmd[ch] + 7);
	s = ide_pio_in(ch, p, n, SECTOR, &nirq);
	return s ? s : ide_status(ch);
}

/* READ/WRITE DMA of @n sectors (<= 128) at @lba through one PRD entry. */
static int dma_rw(int ch, int unit, uint32_t lba, uint8_t *p, int n, bool write, int *bms)
{
	ide_quiesce(ch);
	ide_prd_set(prdt[ch], 0, p, n * SECTOR, true);
	ide_tf28(ch, unit, lba, n, true);
	ide_dma_start(ch, prdt[ch], !write, write ? ATA_WRITE_DMA : ATA_READ_DMA);
	return ide_dma_end(ch, !write, bms);
}

/*
 * IDENTIFY with a short wait: "answers" (DRQ and data), or what an empty
 * position shows (no interrupt, no DRQ, the status).
 */
static void identify_seen(int ch, int unit, const char *what)
{
	uint16_t id[256];
	int before, s;
	uint64_t end;

	ide_quiesce(ch);
	ide_select(ch, unit, 0);
	before = ide_irqs[ch];
	outb(0xec, ide_cmd[ch] + 7);
	end = kit_now_us() + 100000;
	do {
		kit_irq_poll();
		s = inb(ide_ctl[ch]);
	} while (ide_irqs[ch] == before && !(s & IDE_SR_DRQ) && kit_now_us() < end);
	if (s & IDE_SR_DRQ) {
		inb(ide_cmd[ch] + 7);
		ide_insw(ch, id, SECTOR);
		kit_printf("KIT: %s: identify ide%d.%d answers: type %04x lba28 %u status %02x\n",
			   what, ch, unit, id[0], id[60] | (uint32_t)id[61] << 16, ide_status(ch));
		return;
	}
	kit_printf("KIT: %s: identify ide%d.%d: no answer, irqs %d status %02x\n", what, ch, unit,
		   ide_irqs[ch] - before, inb(ide_cmd[ch] + 7));
}

/* ATAPI stays emulated: the CD (secondary master) answers IDENTIFY PACKET. */
static void cd_seen(const char *what)
{
	uint16_t id[256];
	int n, s;

	ide_quiesce(1);
	ide_select(1, 0, 0);
	outb(0xa1, ide_cmd[1] + 7);
	s = ide_pio_in(1, id, 1, SECTOR, &n);
	kit_printf("KIT: %s: identify packet ide1.0: %04x status %02x\n", what, s ? 0 : id[0],
		   ide_status(1));
}

/* The emulated path: write "pre" at 100-111 (PIO, DMA), read it back. */
static void emulated_checks(const char *what)
{
	int s, bms;

	identify_seen(0, 0, what);
	pattern(buf, "pre", 100, 12);
	s = pio_write(0, 0, 100, buf, 4);
	kit_printf("KIT: %s: pio write 100-103: status %02x\n", what, s);
	s = dma_rw(0, 0, 104, buf + 4 * SECTOR, 8, true, &bms);
	kit_printf("KIT: %s: dma write 104-111: status %02x bm %02x\n", what, s, bms & 7);
	memset(rbuf, 0, 12 * SECTOR);
	s = pio_read(0, 0, 100, rbuf, 8);
	kit_printf("KIT: %s: pio read 100-107: status %02x data %s\n", what, s,
		   ok(check(rbuf, "pre", 100, 8)));
	s = dma_rw(0, 0, 100, rbuf, 12, false, &bms);
	kit_printf("KIT: %s: dma read 100-111: status %02x bm %02x data %s\n", what, s, bms & 7,
		   ok(check(rbuf, "pre", 100, 12)));
}

/* ---- the rings ---- */

static int ring(struct kv_queue *q, uint32_t type, uint64_t sector, void *p, unsigned int n)
{
	ring_requests++;
	return kv_blk_request(q, type, sector, p, n * SECTOR, 2000000);
}

static void ring_open(unsigned int n, struct kv_queue *q)
{
	uint64_t want = 1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
			1ULL << VIRTIO_RING_F_EVENT_IDX;
	struct kv_dev *d = &dev[n];

	if (ke_drive(&k, n, d))
		kit_fail("enlight: drive %u has no window", n);
	if (kv_init(d, want))
		kit_fail("enlight: drive %u: feature negotiation (status %02x)", n, kv_status(d));
	if (kv_queue_init(d, q, 0, 128))
		kit_fail("enlight: drive %u: no queue 0", n);
	if (kv_msix_enable(d, &q, 1))
		kit_fail("enlight: drive %u: MSI-X set-up", n);
	if (kv_driver_ok(d))
		kit_fail("enlight: drive %u: DRIVER_OK refused (status %02x)", n, kv_status(d));
	kit_printf("KIT: ring %u: capacity %llu blk_size %u flush %d event_idx %d\n", n,
		   (unsigned long long)kv_cfg_read(d, 0, 8),
		   (unsigned int)kv_cfg_read(
			   d, __builtin_offsetof(struct virtio_blk_config, blk_size), 4),
		   !!(d->features & 1ULL << VIRTIO_BLK_F_FLUSH),
		   !!(d->features & 1ULL << VIRTIO_RING_F_EVENT_IDX));
}

static void print_regs(const char *what)
{
	kit_printf("KIT: %s: state %u enlightened %x\n", what, ke_read(&k, ENLIGHT_REG_STATE),
		   ke_read(&k, ENLIGHT_REG_ENLIGHTENED));
}

static void discovery(void)
{
	char ids[16] = "";
	int n = 0;

	for (int i = 0; i < ENLIGHT_MAX_DRIVES; i++)
		if (k.win[i])
			n += kit_snprintf(ids + n, sizeof(ids) - n, "%s%d", n ? "," : "", i);
	kit_printf("KIT: caps: control len %u drives %s msix %d\n", k.ctl_len, n ? ids : "none",
		   k.msix_entries);
	kit_printf("KIT: magic %08x version %u drives %x\n", ke_read(&k, ENLIGHT_REG_MAGIC),
		   ke_read(&k, ENLIGHT_REG_VERSION), ke_read(&k, ENLIGHT_REG_DRIVES));
	print_regs("at boot");
}

/* Stray emulated data commands on the switched drive: shunted, in order. */
static void stray_writes(void)
{
	static struct virtio_blk_outhdr hdr;
	static uint8_t st;
	struct kv_buf b[3];
	int s, bms, head, lost = 0, n = kit_cmdline_long("stray", 0);

	/* Through the ring, then by PIO over it. */
	pattern(buf, "rgx", 300, 1);
	s = ring(&q0, VIRTIO_BLK_T_OUT, 300, buf, 1);
	pattern(buf, "emy", 300, 1);
	kit_printf("KIT: ring write 300: %d; stray pio write 300: status %02x\n", s,
		   pio_write(0, 0, 300, buf, 1));

	/*
	 * A ring write still in flight (kicked, not waited for), then a DMA
	 * over it: the task file and the bus master are loaded first, so the
	 * command follows the kick at once.
	 */
	pattern(rbuf, "rgx", 301, 2);
	pattern(buf, "emz", 301, 2);
	ide_quiesce(0);
	ide_prd_set(prdt[0], 0, buf, 2 * SECTOR, true);
	ide_tf28(0, 0, 301, 2, true);
	ide_dma_prepare(0, prdt[0]);
	hdr = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_OUT, .sector = 301 };
	st = 0xee;
	b[0] = (struct kv_buf){ &hdr, sizeof(hdr) };
	b[1] = (struct kv_buf){ rbuf, 2 * SECTOR };
	b[2] = (struct kv_buf){ &st, 1 };
	head = kv_submit(&q0, b, 2, 1);
	ring_requests++;
	kv_kick(&q0);
	ide_dma_go(0, false, ATA_WRITE_DMA);
	s = ide_dma_end(0, false, &bms);
	kit_printf("KIT: stray dma write 301-302 over a ring write: status %02x bm %02x; "
		   "ring write %s status %d\n",
		   s, bms & 7, kv_wait(&q0, NULL, 2000000) == head ? "done" : "lost", st);

	/*
	 * The same, "stray=" times (default none; one sector each at
	 * STRAY_LBA..): a vmm that misses ring requests not yet taken from the
	 * ring when the emulated command comes loses the race sometimes (more
	 * often on one busy CPU: t_enlight.sh).
	 */
	if (n < 0 || n > STRAY_MAX)
		n = 0;
	for (int i = 0; i < n; i++) {
		pattern(rbuf, "rgx", STRAY_LBA + i, 1);
		pattern(buf, "emz", STRAY_LBA + i, 1);
		ide_prd_set(prdt[0], 0, buf, SECTOR, true);
		ide_tf28(0, 0, STRAY_LBA + i, 1, true);
		ide_dma_prepare(0, prdt[0]);
		hdr = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_OUT,
						  .sector = STRAY_LBA + i };
		b[1] = (struct kv_buf){ rbuf, SECTOR };
		head = kv_submit(&q0, b, 2, 1);
		ring_requests++;
		kv_kick(&q0);
		ide_dma_go(0, false, ATA_WRITE_DMA);
		s = ide_dma_end(0, false, &bms);
		if (kv_wait(&q0, NULL, 2000000) != head || st || s != 0x50 || (bms & 7) != 4)
			kit_fail("stray dma %d: status %02x bm %02x ring %d", i, s, bms, st);
	}
	for (int i = 0; i < n; i += 128) {
		int c = n - i < 128 ? n - i : 128;

		memset(rbuf, 0, c * SECTOR);
		if (ring(&q0, VIRTIO_BLK_T_IN, STRAY_LBA + i, rbuf, c))
			kit_fail("ring read %d failed", STRAY_LBA + i);
		for (int j = 0; j < c; j++)
			lost += !check(rbuf + j * SECTOR, "emz", STRAY_LBA + i + j, 1);
	}
	if (n)
		kit_printf(
			"KIT: kicked ring writes that landed after a later stray dma: %d of %d\n",
			lost, n);

	/* A stray read sees what the ring wrote. */
	memset(rbuf, 0, 8 * SECTOR);
	s = pio_read(0, 0, 200, rbuf, 8);
	kit_printf("KIT: stray pio read 200-207: status %02x data %s\n", s,
		   ok(check(rbuf, "rng", 200, 8)));
	identify_seen(0, 0, "after the stray commands");

	memset(rbuf, 0, 3 * SECTOR);
	s = ring(&q0, VIRTIO_BLK_T_IN, 300, rbuf, 3);
	kit_printf("KIT: ring read 300-302: %d data %s\n", s,
		   ok(check(rbuf, "emy", 300, 1) && check(rbuf + SECTOR, "emz", 301, 2)));
}

static void proto(void)
{
	uint32_t r;
	unsigned int irqs;
	int s;

	kit_printf("KIT: switch before hello: %s\n", res(ke_switch(&k, 0)));
	emulated_checks("before the switch");
	r = ke_hello(&k, ENLIGHT_PRODUCT_KIT, kit_cmdline_long("build", 1));
	kit_printf("KIT: hello: %s\n", res(r));
	print_regs("after hello");
	kit_printf("KIT: switch absent drive 3: %s\n", res(ke_switch(&k, 3)));
	kit_printf("KIT: switch the cd (drive 2): %s\n", res(ke_switch(&k, 2)));
	kit_printf("KIT: switch drive 9: %s\n", res(ke_switch(&k, 9)));
	ke_write(&k, ENLIGHT_REG_COMMAND, 0x7f);
	kit_printf("KIT: command 7f: %s\n", res(ke_read(&k, ENLIGHT_REG_RESULT)));
	kit_printf("KIT: switch drive 0: %s\n", res(ke_switch(&k, 0)));
	print_regs("after the switch");

	ring_open(0, &q0);
	memset(rbuf, 0, 12 * SECTOR);
	s = ring(&q0, VIRTIO_BLK_T_IN, 0, rbuf, 8);
	kit_printf("KIT: ring read 0-7: %d data %s\n", s, ok(check(rbuf, "sec", 0, 8)));
	s = ring(&q0, VIRTIO_BLK_T_IN, 100, rbuf, 12);
	kit_printf("KIT: ring read 100-111 (written emulated): %d data %s\n", s,
		   ok(check(rbuf, "pre", 100, 12)));
	pattern(buf, "rng", 200, 8);
	kit_printf("KIT: ring write 200-207: %d\n", ring(&q0, VIRTIO_BLK_T_OUT, 200, buf, 8));
	memset(rbuf, 0, 8 * SECTOR);
	s = ring(&q0, VIRTIO_BLK_T_IN, 200, rbuf, 8);
	kit_printf("KIT: ring read 200-207: %d data %s\n", s, ok(check(rbuf, "rng", 200, 8)));
	kit_printf("KIT: ring flush: %d\n", ring(&q0, VIRTIO_BLK_T_FLUSH, 0, NULL, 0));
	kit_irq_poll();
	irqs = q0.irqs;
	kit_printf("KIT: msix interrupts: %s\n", irqs ? "yes" : "none");

	identify_seen(0, 0, "switched");
	kit_printf("KIT: switched: status %02x alt %02x\n", inb(ide_cmd[0] + 7), inb(ide_ctl[0]));
	identify_seen(0, 1, "the slave");
	cd_seen("switched");
	stray_writes();
	kit_printf("KIT: ring requests %u\n", ring_requests);
}

static void deny(void)
{
	uint32_t r = ke_hello(&k, ENLIGHT_PRODUCT_KIT, kit_cmdline_long("build", 1));

	kit_printf("KIT: hello: %s\n", res(r));
	print_regs("after hello");
	kit_printf("KIT: switch drive 0: %s\n", res(ke_switch(&k, 0)));
	print_regs("after the switch");
	emulated_checks("refused");
}

/* A large DMA on each channel in flight when the switches are asked for. */
static void under_load(void)
{
	int bms[2], st[2], irq_before[2];
	uint32_t r0, r2;
	uint64_t t0, t1;

	for (int ch = 0; ch < 2; ch++) {
		pattern(load[ch], ch ? "ld2" : "ld0", LOAD_LBA, LOAD_SECS);
		for (int i = 0; i < LOAD_PRDS; i++)
			ide_prd_set(prdt[ch], i, load[ch] + i * 65536, 0, i == LOAD_PRDS - 1);
	}
	kit_printf("KIT: hello: %s\n", res(ke_hello(&k, ENLIGHT_PRODUCT_KIT, 1)));
	for (int ch = 0; ch < 2; ch++) {
		ide_quiesce(ch);
		irq_before[ch] = ide_irqs[ch];
		ide_tf48(ch, 0, LOAD_LBA, LOAD_SECS);
		ide_dma_start(ch, prdt[ch], false, ATA_WRITE_DMAX);
	}
	t0 = kit_now_us();
	r0 = ke_switch(&k, 0);
	r2 = ke_switch(&k, 2);
	t1 = kit_now_us();
	/* The switch waited for both: done, no need to wait here. */
	for (int ch = 0; ch < 2; ch++)
		bms[ch] = inb(ide_bm + ch * 8 + 2);
	kit_irq_poll();
	kit_printf("KIT: switch under load: drive 0 %s, drive 2 %s\n", res(r0), res(r2));
	kit_printf("KIT: after the switch: bm0 %02x bm1 %02x irq14 %s irq15 %s\n", bms[0] & 7,
		   bms[1] & 7, ide_irqs[0] != irq_before[0] ? "yes" : "no",
		   ide_irqs[1] != irq_before[1] ? "yes" : "no");
	for (int ch = 0; ch < 2; ch++) {
		outb(0, ide_bm + ch * 8);
		outb(IDE_BM_ERROR | IDE_BM_INTR, ide_bm + ch * 8 + 2);
		st[ch] = inb(ide_cmd[ch] + 7);
	}
	/* Done either way: the drained command's status (50) or, already
	 * switched, an empty position's (00). */
	kit_printf("KIT: after the switch: status %s %s\n", idle(st[0]), idle(st[1]));
	kit_printf("info: status %02x %02x\n", st[0], st[1]);
	print_regs("after the switch");
	kit_printf("info: the two switches took %llu us\n", (unsigned long long)(t1 - t0));

	ring_open(0, &q0);
	ring_open(2, &q2);
	for (int ch = 0; ch < 2; ch++) {
		struct kv_queue *q = ch ? &q2 : &q0;
		const char *tag = ch ? "ld2" : "ld0";
		bool good = true;
		uint64_t at[3] = { LOAD_LBA, LOAD_LBA + LOAD_SECS / 2, LOAD_LBA + LOAD_SECS - 8 };

		for (int i = 0; i < 3; i++) {
			memset(rbuf, 0, 8 * SECTOR);
			good &= ring(q, VIRTIO_BLK_T_IN, at[i], rbuf, 8) == VIRTIO_BLK_S_OK &&
				check(rbuf, tag, at[i], 8);
		}
		kit_printf("KIT: ring %d reads the DMAed data: %s\n", ch * 2, ok(good));
	}
}

/* The second boot after reset=1: everything emulated again. */
static void second_boot(void)
{
	int s;

	cmos_write(CMOS_BOOT, 0);
	print_regs("second boot");
	identify_seen(0, 0, "second boot");
	memset(rbuf, 0, 8 * SECTOR);
	s = pio_read(0, 0, 200, rbuf, 8);
	kit_printf("KIT: second boot: pio read 200-207: status %02x data %s\n", s,
		   ok(check(rbuf, "rng", 200, 8)));
	kit_printf("KIT: second boot: switch before hello: %s\n", res(ke_switch(&k, 0)));
}

void kit_main(void)
{
	char mode[16] = "proto";
	int boot = cmos_read(CMOS_BOOT) + 1;

	kit_cmdline_get("mode", mode, sizeof(mode));
	ide_find();
	ide_irq_on();
	if (ke_find(&k, ide_devfn)) {
		uint32_t bar5 = kv_pci_read32(ide_devfn, PCI_BASE_ADDRESS_5), size;

		kv_pci_write32(ide_devfn, PCI_BASE_ADDRESS_5, 0xffffffff);
		size = kv_pci_read32(ide_devfn, PCI_BASE_ADDRESS_5);
		kv_pci_write32(ide_devfn, PCI_BASE_ADDRESS_5, bar5);
		kit_printf(
			"KIT: not enlightenable: subsystem %04x:%04x caps %s control %s bar5 %s\n",
			k.subsys_vendor, k.subsys_device,
			kv_pci_read32(ide_devfn, PCI_COMMAND) >> 16 & PCI_STATUS_CAP_LIST ? "yes"
											  : "none",
			k.ctl ? "yes" : "none", size ? "yes" : "none");
		emulated_checks("emulated");
		kit_printf("KIT: enlight done\n");
		kit_exit(1);
	}
	kit_printf("KIT: enlightenable: subsystem %04x:%04x\n", k.subsys_vendor, k.subsys_device);
	if (boot >= 2) {
		second_boot();
		kit_printf("KIT: enlight done\n");
		kit_exit(1);
	}
	discovery();
	if (!strcmp(mode, "deny"))
		deny();
	else if (!strcmp(mode, "load"))
		under_load();
	else
		proto();
	if (kit_cmdline_long("reset", 0)) {
		cmos_write(CMOS_BOOT, boot);
		kit_printf("KIT: resetting\n");
		outb(0xfe, 0x64);
		kit_udelay(1000000);
		kit_fail("still running a second after the i8042 reset");
	}
	kit_printf("KIT: enlight done\n");
	kit_exit(1);
}
