// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk benchmark (make bench, tests/bench/blk.sh): 4 KiB random reads
 * at queue depth 32, then 1 MiB sequential reads and writes at queue depth
 * 4, each for kit_bench_ms (default 3000) milliseconds, polling the used
 * ring at ring 3. Prints one line per phase:
 *	KIT: bench NAME requests N us T
 * The host turns them into IOPS and MB/s. Writes go to the second half of
 * the disk, reads to the whole of it.
 */
#include <linux/virtio_blk.h>

#include "kit.h"
#include "virtio.h"

#define SECTOR 512
#define QD_MAX 32
#define BIG    (1 << 20)

static struct kv_queue q;
static uint8_t small[QD_MAX][4096] __attribute__((aligned(4096)));
static uint8_t big[4][BIG] __attribute__((aligned(4096)));
static struct virtio_blk_outhdr hdr[QD_MAX];
static uint8_t status[QD_MAX];
static int slot_of[KV_MAX_QUEUE];
static uint64_t seed = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static void submit(int slot, uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
	struct kv_buf b[3];
	int head;

	hdr[slot].type = type;
	hdr[slot].ioprio = 0;
	hdr[slot].sector = sector;
	status[slot] = 0xee;
	b[0] = (struct kv_buf){ &hdr[slot], sizeof(hdr[slot]) };
	b[1] = (struct kv_buf){ buf, len };
	b[2] = (struct kv_buf){ &status[slot], 1 };
	head = type == VIRTIO_BLK_T_OUT ? kv_submit(&q, b, 2, 1) : kv_submit(&q, b, 1, 2);
	if (head < 0)
		kit_fail("vblkbench: no descriptors");
	slot_of[head] = slot;
}

/* Where a phase's requests go: random 4 KiB, or sequential wrapping within its area. */
struct pos {
	bool random;
	uint64_t span, secs, next_seq, seq_start, seq_end;
};

static uint64_t next_sector(struct pos *p)
{
	uint64_t sector;

	if (p->random)
		return (rnd() % (p->span / p->secs)) * p->secs;
	sector = p->next_seq;
	p->next_seq += p->secs;
	if (p->next_seq + p->secs > p->seq_end)
		p->next_seq = p->seq_start;
	return sector;
}

/* Keep @qd requests in flight for @ms; returns the number completed. */
static void phase(const char *name, int qd, uint32_t type, uint32_t len, uint64_t cap, uint64_t ms)
{
	bool write = type == VIRTIO_BLK_T_OUT;
	/* Writes go to the upper half only, reads anywhere. */
	struct pos st = {
		.random = len == 4096,
		.span = write ? cap / 2 : cap,
		.secs = len / SECTOR,
		.next_seq = write ? cap / 2 : 0,
		.seq_start = write ? cap / 2 : 0,
		.seq_end = cap,
	};
	uint64_t t0, end, done = 0;

	t0 = kit_now_us();
	end = t0 + ms * 1000;
	for (int s = 0; s < qd; s++)
		submit(s, type, next_sector(&st), len == 4096 ? (void *)small[s] : (void *)big[s],
		       len);
	kv_kick(&q);
	int inflight = qd;

	while (inflight) {
		uint32_t used;
		int head = kv_poll(&q, &used);
		int s;

		if (head < 0) {
			cpu_relax();
			continue;
		}
		s = slot_of[head];
		if (status[s] != VIRTIO_BLK_S_OK)
			kit_fail("vblkbench: %s: status %d", name, status[s]);
		done++;
		inflight--;
		if (kit_now_us() < end) {
			submit(s, type, next_sector(&st),
			       len == 4096 ? (void *)small[s] : (void *)big[s], len);
			inflight++;
			kv_kick(&q);
		}
	}
	kit_printf("KIT: bench %s requests %u us %u\n", name, (unsigned int)done,
		   (unsigned int)(kit_now_us() - t0));
}

void kit_main(void)
{
	uint64_t want = 1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_RING_F_EVENT_IDX |
			1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	uint64_t ms = (uint64_t)kit_cmdline_long("kit_bench_ms", 3000), cap;
	struct kv_dev d;

	if (kv_find(&d, VIRTIO_ID_BLOCK, 0))
		kit_fail("vblkbench: no virtio-blk device");
	if (kv_init(&d, want) || kv_queue_init(&d, &q, 0, 256) || kv_driver_ok(&d))
		kit_fail("vblkbench: set-up failed (status 0x%x)", kv_status(&d));
	cap = kv_cfg_read(&d, 0, 8);
	if (cap < 2 * 8192)
		kit_fail("vblkbench: disk too small");
	phase("randread-4k-qd32", 32, VIRTIO_BLK_T_IN, 4096, cap, ms);
	phase("seqread-1m-qd4", 4, VIRTIO_BLK_T_IN, BIG, cap, ms);
	phase("seqwrite-1m-qd4", 4, VIRTIO_BLK_T_OUT, BIG, cap, ms);
	kit_exit(1);
}
