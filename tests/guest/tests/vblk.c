// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk: find the disk (PCI, or virtio-mmio with kit_virtio=mmio),
 * negotiate, write a pattern, read it back, flush, GET_ID, write-zeroes
 * and discard where offered, and check the error statuses (a read past
 * the end: IOERR; an unknown type: UNSUPP). The host then checks the image
 * holds exactly the pattern (t_blk.sh).
 *
 * The pattern: sector s holds "sec%04d\n" (s mod 10000) 64 times. Written:
 * sectors 0-7 (one 4 KiB buffer), 100-102 (three 512-byte descriptors),
 * and the last sector; then write-zeroes over sectors 2-3 and a discard of
 * 1024-1031 (never written) when the device offers them.
 *
 * kit_vblk_mode=flushspin: write the pattern, flush, print "KIT: flushed"
 * and spin (the test kills the VMM and checks the image).
 * kit_vblk_mode=bad: broken requests (see bad_requests()).
 */
#include <linux/virtio_blk.h>

#include "kit.h"
#include "virtio.h"

#define SECTOR 512

static struct kv_queue q, qlast;
static struct kv_queue *cur = &q; /* where request() goes */
static uint8_t data[8 * SECTOR] __attribute__((aligned(4096)));
static uint8_t three[3][SECTOR];
static uint8_t rbuf[8 * SECTOR] __attribute__((aligned(4096)));
static struct virtio_blk_outhdr hdr;
static struct virtio_blk_discard_write_zeroes dz;
static uint8_t status;
static char id[VIRTIO_BLK_ID_BYTES + 1];

static void pattern(uint8_t *p, uint64_t sector)
{
	char s[16];

	kit_snprintf(s, sizeof(s), "sec%04u\n", (unsigned int)(sector % 10000));
	for (int i = 0; i < SECTOR; i++)
		p[i] = (uint8_t)s[i % 8];
}

/* One request: header, @n data buffers (device-writable if @in), status. */
static int request(uint32_t type, uint64_t sector, const struct kv_buf *d, int n, bool in,
		   uint32_t *used)
{
	struct kv_buf b[8];
	uint32_t len = 0;
	int nb = 0, n_out, head;

	hdr.type = type;
	hdr.ioprio = 0;
	hdr.sector = sector;
	b[nb++] = (struct kv_buf){ &hdr, sizeof(hdr) };
	if (!in)
		for (int i = 0; i < n; i++)
			b[nb++] = d[i];
	n_out = nb;
	if (in)
		for (int i = 0; i < n; i++)
			b[nb++] = d[i];
	status = 0xee;
	b[nb++] = (struct kv_buf){ &status, 1 };
	head = kv_submit(cur, b, n_out, nb - n_out);
	if (head < 0)
		kit_fail("vblk: no descriptors");
	kv_kick(cur);
	if (kv_wait(cur, &len, 10000000) != head)
		kit_fail("vblk: no answer to type %u (device status 0x%x)", type,
			 kv_status(cur->dev));
	if (used)
		*used = len;
	return status;
}

static void write_pattern(uint64_t cap)
{
	struct kv_buf b = { data, sizeof(data) };
	struct kv_buf b3[3] = { { three[0], SECTOR }, { three[1], SECTOR }, { three[2], SECTOR } };
	int st;

	for (int s = 0; s < 8; s++)
		pattern(data + s * SECTOR, (uint64_t)s);
	if ((st = request(VIRTIO_BLK_T_OUT, 0, &b, 1, false, NULL)) != VIRTIO_BLK_S_OK)
		kit_fail("vblk: write 0-7: status %d", st);
	for (int i = 0; i < 3; i++)
		pattern(three[i], 100 + (uint64_t)i);
	if ((st = request(VIRTIO_BLK_T_OUT, 100, b3, 3, false, NULL)) != VIRTIO_BLK_S_OK)
		kit_fail("vblk: write 100-102: status %d", st);
	pattern(three[0], cap - 1);
	if ((st = request(VIRTIO_BLK_T_OUT, cap - 1, b3, 1, false, NULL)) != VIRTIO_BLK_S_OK)
		kit_fail("vblk: write last sector: status %d", st);
}

static void read_check(uint64_t sector, unsigned int n)
{
	struct kv_buf b = { rbuf, n * SECTOR };
	uint8_t want[SECTOR];
	uint32_t used = 0;
	int st;

	memset(rbuf, 0xa5, sizeof(rbuf));
	st = request(VIRTIO_BLK_T_IN, sector, &b, 1, true, &used);
	if (st != VIRTIO_BLK_S_OK)
		kit_fail("vblk: read %u at %u: status %d", n, (unsigned int)sector, st);
	if (used != n * SECTOR + 1)
		kit_fail("vblk: read used length %u, expected %u", used, n * SECTOR + 1);
	for (unsigned int i = 0; i < n; i++) {
		pattern(want, sector + i);
		if (memcmp(rbuf + i * SECTOR, want, SECTOR))
			kit_fail("vblk: sector %u reads back wrong", (unsigned int)(sector + i));
	}
}

/*
 * kit_vblk_mode=bad: a request the device can answer (a write of 100
 * bytes: IOERR), then a chain without a status byte: DEVICE_NEEDS_RESET;
 * after a reset the device serves reads again.
 */
static void bad_requests(struct kv_dev *d, uint64_t want)
{
	struct kv_buf b[2] = { { &hdr, sizeof(hdr) }, { data, 100 } };
	uint64_t end;
	int st;

	st = request(VIRTIO_BLK_T_OUT, 0, b + 1, 1, false, NULL);
	kit_printf("KIT: vblk write of 100 bytes: %s\n",
		   st == VIRTIO_BLK_S_IOERR ? "ioerr" : "not ioerr");
	hdr.type = VIRTIO_BLK_T_IN;
	hdr.sector = 0;
	b[1] = (struct kv_buf){ data, SECTOR };
	if (kv_submit(&q, b, 2, 0) < 0) /* all device-readable: nowhere for status */
		kit_fail("vblk: no descriptors");
	kv_kick(&q);
	end = kit_now_us() + 2000000;
	while (!(kv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET) && kit_now_us() < end)
		cpu_relax();
	kit_printf("KIT: vblk chain without status: %s\n",
		   kv_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET ? "needs reset" : "no reset asked");
	kv_reset(d);
	if (kv_init(d, want) || kv_queue_init(d, &q, 0, 64) || kv_driver_ok(d))
		kit_fail("vblk: re-initialisation failed (status 0x%x)", kv_status(d));
	b[1] = (struct kv_buf){ rbuf, SECTOR };
	st = request(VIRTIO_BLK_T_IN, 0, b + 1, 1, true, NULL);
	kit_printf("KIT: vblk after reset: read %s\n", st == VIRTIO_BLK_S_OK ? "ok" : "failed");

	/* Reset with requests in flight: once reset reads back 0, the ring stays quiet. */
	{
		struct kv_buf r[3] = { { &hdr, sizeof(hdr) },
				       { rbuf, 8 * SECTOR },
				       { &status, 1 } };
		volatile uint16_t *used_idx = &q.used->idx;
		uint16_t seen;

		hdr.type = VIRTIO_BLK_T_IN;
		hdr.sector = 0;
		for (int i = 0; i < 16; i++)
			if (kv_submit(&q, r, 1, 2) < 0)
				kit_fail("vblk: no descriptors");
		kv_kick(&q);
		kv_reset(d);
		seen = *used_idx;
		end = kit_now_us() + 200000;
		while (kit_now_us() < end && *used_idx == seen)
			cpu_relax();
		kit_printf("KIT: vblk reset with requests in flight: ring %s\n",
			   *used_idx == seen ? "quiet" : "written after reset");
		if (kv_init(d, want) || kv_queue_init(d, &q, 0, 64) || kv_driver_ok(d))
			kit_fail("vblk: re-initialisation failed (status 0x%x)", kv_status(d));
		st = request(VIRTIO_BLK_T_IN, 0, b + 1, 1, true, NULL);
		kit_printf("KIT: vblk after second reset: read %s\n",
			   st == VIRTIO_BLK_S_OK ? "ok" : "failed");
	}
}

void kit_main(void)
{
	uint64_t want = 1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
			1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_DISCARD |
			1ULL << VIRTIO_BLK_F_WRITE_ZEROES | 1ULL << VIRTIO_BLK_F_RO |
			1ULL << VIRTIO_BLK_F_MQ | 1ULL << VIRTIO_RING_F_EVENT_IDX |
			1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	char mode[16] = "rw";
	struct kv_dev d;
	uint64_t cap;
	unsigned int nq = 1;
	uint32_t used;
	int st;

	kit_cmdline_get("kit_vblk_mode", mode, sizeof(mode));
	if (kv_find(&d, VIRTIO_ID_BLOCK, (int)kit_cmdline_long("kit_vblk_index", 0)))
		kit_fail("vblk: no virtio-blk device");
	kit_printf("KIT: vblk found (%s)\n", d.transport == KV_PCI ? "pci" : "mmio");
	if (kv_init(&d, want))
		kit_fail("vblk: feature negotiation failed");
	if (kv_queue_init(&d, &q, 0, 64))
		kit_fail("vblk: no queue 0");
	if (d.features & 1ULL << VIRTIO_BLK_F_MQ)
		nq = (unsigned int)kv_cfg_read(&d, offsetof(struct virtio_blk_config, num_queues),
					       2);
	kit_printf("KIT: vblk queues %u\n", nq);
	if (nq > 1 && kv_queue_init(&d, &qlast, nq - 1, 64))
		kit_fail("vblk: no queue %u", nq - 1);
	if (kv_driver_ok(&d))
		kit_fail("vblk: DRIVER_OK refused (status 0x%x)", kv_status(&d));
	cap = kv_cfg_read(&d, offsetof(struct virtio_blk_config, capacity), 8);
	kit_printf("KIT: vblk capacity %u sectors, blk_size %u, flush %s, ro %s\n",
		   (unsigned int)cap,
		   (unsigned int)kv_cfg_read(&d, offsetof(struct virtio_blk_config, blk_size), 4),
		   d.features & 1ULL << VIRTIO_BLK_F_FLUSH ? "yes" : "no",
		   d.features & 1ULL << VIRTIO_BLK_F_RO ? "yes" : "no");
	if (cap < 2048)
		kit_fail("vblk: disk too small (%u sectors)", (unsigned int)cap);

	if (!strcmp(mode, "bad")) {
		bad_requests(&d, want);
		kit_exit(1);
	}
	write_pattern(cap);
	if ((st = request(VIRTIO_BLK_T_FLUSH, 0, NULL, 0, false, NULL)) != VIRTIO_BLK_S_OK)
		kit_fail("vblk: flush: status %d", st);
	if (!strcmp(mode, "flushspin")) {
		kit_printf("KIT: flushed\n");
		for (;;)
			cpu_relax();
	}
	read_check(0, 8);
	read_check(100, 3);
	read_check(cap - 1, 1);
	kit_printf("KIT: vblk wrote and read back 12 sectors\n");
	if (nq > 1) {
		cur = &qlast;
		read_check(0, 8);
		cur = &q;
		kit_printf("KIT: vblk read on queue %u ok\n", nq - 1);
	}
	kit_printf("KIT: vblk flush ok\n");

	{
		struct kv_buf b = { id, VIRTIO_BLK_ID_BYTES };

		memset(id, 0, sizeof(id));
		st = request(VIRTIO_BLK_T_GET_ID, 0, &b, 1, true, &used);
		if (st != VIRTIO_BLK_S_OK)
			kit_fail("vblk: GET_ID: status %d", st);
		kit_printf("KIT: vblk id '%s'\n", id);
	}

	if (d.features & 1ULL << VIRTIO_BLK_F_WRITE_ZEROES) {
		struct kv_buf b = { &dz, sizeof(dz) };

		dz.sector = 2;
		dz.num_sectors = 2;
		dz.flags = 0;
		st = request(VIRTIO_BLK_T_WRITE_ZEROES, 0, &b, 1, false, NULL);
		if (st != VIRTIO_BLK_S_OK)
			kit_fail("vblk: write-zeroes: status %d", st);
		memset(rbuf, 0xa5, sizeof(rbuf));
		b = (struct kv_buf){ rbuf, 4 * SECTOR };
		if (request(VIRTIO_BLK_T_IN, 1, &b, 1, true, NULL) != VIRTIO_BLK_S_OK)
			kit_fail("vblk: read after write-zeroes failed");
		for (int i = SECTOR; i < 3 * SECTOR; i++)
			if (rbuf[i])
				kit_fail("vblk: write-zeroes left byte %d nonzero", i);
		pattern(data, 1);
		if (memcmp(rbuf, data, SECTOR))
			kit_fail("vblk: write-zeroes overwrote sector 1");
		pattern(data, 4);
		if (memcmp(rbuf + 3 * SECTOR, data, SECTOR))
			kit_fail("vblk: write-zeroes overwrote sector 4");
		kit_printf("KIT: vblk write-zeroes ok\n");
	}
	if (d.features & 1ULL << VIRTIO_BLK_F_DISCARD) {
		struct kv_buf b = { &dz, sizeof(dz) };

		dz.sector = 1024;
		dz.num_sectors = 8;
		dz.flags = 0;
		st = request(VIRTIO_BLK_T_DISCARD, 0, &b, 1, false, NULL);
		if (st != VIRTIO_BLK_S_OK)
			kit_fail("vblk: discard: status %d", st);
		/* The same segment cut into six buffers (five 1-byte ones). */
		{
			uint8_t *p = (uint8_t *)&dz;
			struct kv_buf cut[6] = { { p, 1 },     { p + 1, 1 },
						 { p + 2, 1 }, { p + 3, 1 },
						 { p + 4, 1 }, { p + 5, sizeof(dz) - 5 } };

			st = request(VIRTIO_BLK_T_DISCARD, 0, cut, 6, false, NULL);
			if (st != VIRTIO_BLK_S_OK)
				kit_fail("vblk: discard in six buffers: status %d", st);
		}
		kit_printf("KIT: vblk discard ok\n");
	}

	{
		struct kv_buf b = { rbuf, SECTOR };

		st = request(VIRTIO_BLK_T_IN, cap, &b, 1, true, NULL);
		kit_printf("KIT: vblk read past the end: %s\n",
			   st == VIRTIO_BLK_S_IOERR ? "ioerr" : "not ioerr");
		st = request(0x99, 0, &b, 1, true, NULL);
		kit_printf("KIT: vblk unknown request: %s\n",
			   st == VIRTIO_BLK_S_UNSUPP ? "unsupp" : "not unsupp");
	}
	kit_exit(1);
}
