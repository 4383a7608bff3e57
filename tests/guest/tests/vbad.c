// SPDX-License-Identifier: GPL-2.0
/*
 * A malicious virtio driver (run with --console virtio --rng): broken
 * rings on virtio-console's transmit queue, one at a time. After each, the
 * device must show DEVICE_NEEDS_RESET (status bit 0x40), recover after a
 * reset, and the other device (virtio-rng) must keep serving. vmm must
 * survive and log each problem once (the host checks its stderr).
 */
#include "kit.h"
#include "virtio.h"

#define BAD_RAM 0x1000000000ULL /* 64 GiB: not RAM in any test machine */

static struct kv_queue rxq, txq, rngq;
static struct kv_dev cons, rng;
static char txbuf[64];
static uint8_t rngbuf[16];

static void cons_up(void)
{
	if (kv_init(&cons, 0) || kv_queue_init(&cons, &rxq, 0, 8) ||
	    kv_queue_init(&cons, &txq, 1, 8) || kv_driver_ok(&cons))
		kit_fail("vbad: console set-up failed (status 0x%x)", kv_status(&cons));
}

/* Wait (2 s at most) for the device to ask for a reset. */
static void expect_needs_reset(const char *what)
{
	uint64_t end = kit_now_us() + 2000000;

	while (!(kv_status(&cons) & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		if (kit_now_us() > end)
			kit_fail("vbad: %s: no DEVICE_NEEDS_RESET (status 0x%x)", what,
				 kv_status(&cons));
		kit_udelay(1000);
	}
	/* Another kick must not bring a second log line or a crash. */
	kv_notify(&cons, 1);
	kit_printf("KIT: vbad %s: needs reset (status 0x%x)\n", what, kv_status(&cons));
}

/* Reset, bring the console up again and check it transmits; rng serves. */
static void recover(const char *what)
{
	struct kv_buf b = { txbuf, 0 };
	struct kv_buf r = { rngbuf, sizeof(rngbuf) };
	uint32_t len;

	kv_reset(&cons);
	if (kv_status(&cons))
		kit_fail("vbad: %s: status 0x%x after reset", what, kv_status(&cons));
	cons_up();
	b.len = kit_snprintf(txbuf, sizeof(txbuf), "KIT: vbad hvc0 works after %s\n", what);
	if (kv_submit(&txq, &b, 1, 0) < 0)
		kit_fail("vbad: no descriptor");
	kv_kick(&txq);
	if (kv_wait(&txq, &len, 5000000) < 0)
		kit_fail("vbad: %s: console dead after reset (status 0x%x)", what,
			 kv_status(&cons));
	if (kv_submit(&rngq, &r, 0, 1) < 0)
		kit_fail("vbad: no rng descriptor");
	kv_kick(&rngq);
	if (kv_wait(&rngq, &len, 5000000) < 0 || !len)
		kit_fail("vbad: %s: rng stopped serving (status 0x%x)", what, kv_status(&rng));
}

/* Publish a hand-made chain starting at descriptor @head and kick. */
static void send(uint16_t head)
{
	kv_publish(&txq, head);
	kv_notify(&cons, 1);
}

static void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	txq.desc[i].addr = addr;
	txq.desc[i].len = len;
	txq.desc[i].flags = flags;
	txq.desc[i].next = next;
}

void kit_main(void)
{
	if (kv_find(&cons, VIRTIO_ID_CONSOLE, 0) || kv_find(&rng, VIRTIO_ID_RNG, 0))
		kit_fail("vbad: needs virtio-console and virtio-rng");
	if (kv_init(&rng, 0) || kv_queue_init(&rng, &rngq, 0, 8) || kv_driver_ok(&rng))
		kit_fail("vbad: rng set-up failed");
	cons_up();
	recover("start");

	desc(0, (uint64_t)txbuf, 8, VRING_DESC_F_NEXT, 1);
	desc(1, (uint64_t)txbuf, 8, VRING_DESC_F_NEXT, 0);
	send(0);
	expect_needs_reset("loop");
	recover("loop");

	desc(0, BAD_RAM, 16, 0, 0);
	send(0);
	expect_needs_reset("out-of-RAM");
	recover("out-of-RAM");

	desc(0, (uint64_t)txbuf, 0, 0, 0);
	send(0);
	expect_needs_reset("zero-length");
	recover("zero-length");

	desc(0, (uint64_t)txbuf, 0xffffffff, 0, 0);
	send(0);
	expect_needs_reset("huge-length");
	recover("huge-length");

	desc(0, (uint64_t)txbuf, 8, 0, 0);
	txq.avail->idx = txq.avail_idx + 1000;
	kv_notify(&cons, 1);
	expect_needs_reset("avail-ahead");
	recover("avail-ahead");

	kv_notify(&cons, 7); /* the console has queues 0 and 1 */
	expect_needs_reset("bad-queue-notify");
	recover("bad-queue-notify");

	if (kv_init(&cons, 0) || kv_queue_init(&cons, &rxq, 0, 8) ||
	    kv_queue_init_at(&cons, &txq, 1, 8, 0xfee00000, (uint64_t)txq.avail,
			     (uint64_t)txq.used))
		kit_fail("vbad: console set-up failed");
	if (!kv_driver_ok(&cons))
		kit_fail("vbad: DRIVER_OK with a ring on the LAPIC accepted");
	expect_needs_reset("bad-ring-address");
	recover("bad-ring-address");

	kit_printf("KIT: vbad all cases handled\n");
	kit_exit(1);
}
