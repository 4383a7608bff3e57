// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng: find the device (PCI, or virtio-mmio with kit_virtio=mmio),
 * negotiate, and read 64 bytes twice: each read must be complete, not all
 * zero, and the two must differ. kit_vrng_irq=1 waits with MSI-X (PCI).
 */
#include "kit.h"
#include "virtio.h"

static struct kv_queue q;
static uint8_t buf[2][64];

static void rng_read(struct kv_dev *d, uint8_t *b)
{
	struct kv_buf kb = { b, 64 };
	uint32_t len = 0;
	int head;

	memset(b, 0, 64);
	head = kv_submit(&q, &kb, 0, 1);
	if (head < 0)
		kit_fail("vrng: no descriptor");
	kv_kick(&q);
	if (kv_wait(&q, &len, 5000000) != head)
		kit_fail("vrng: no answer (status 0x%x)", kv_status(d));
	/* The device may return fewer bytes; ask again for the rest. */
	while (len < 64) {
		uint32_t more = 0;

		kb.addr = b + len;
		kb.len = 64 - len;
		head = kv_submit(&q, &kb, 0, 1);
		kv_kick(&q);
		if (kv_wait(&q, &more, 5000000) != head || !more)
			kit_fail("vrng: short read %u", len);
		len += more;
	}
}

static bool all_zero(const uint8_t *b)
{
	for (int i = 0; i < 64; i++)
		if (b[i])
			return false;
	return true;
}

void kit_main(void)
{
	struct kv_dev d;
	struct kv_queue *qs[1] = { &q };

	if (kv_find(&d, VIRTIO_ID_RNG, 0))
		kit_fail("vrng: no virtio-rng device");
	kit_printf("KIT: vrng found (%s)\n", d.transport == KV_PCI ? "pci" : "mmio");
	if (kv_init(&d, 0))
		kit_fail("vrng: feature negotiation failed");
	if (kv_queue_init(&d, &q, 0, 64))
		kit_fail("vrng: no queue 0");
	if (kit_cmdline_long("kit_vrng_irq", 0) && kv_msix_enable(&d, qs, 1))
		kit_fail("vrng: MSI-X set-up failed");
	if (kv_driver_ok(&d))
		kit_fail("vrng: DRIVER_OK refused (status 0x%x)", kv_status(&d));
	rng_read(&d, buf[0]);
	rng_read(&d, buf[1]);
	if (all_zero(buf[0]) || all_zero(buf[1]))
		kit_fail("vrng: all zero");
	if (!memcmp(buf[0], buf[1], 64))
		kit_fail("vrng: the two reads are the same");
	kit_printf("KIT: vrng read 2x64 bytes, nonzero and different\n");
	if (d.msix) {
		/* The interrupt may trail the used entry that kv_wait() saw. */
		uint64_t end = kit_now_us() + 1000000;

		while (!q.irqs && kit_now_us() < end)
			kit_irq_poll();
	}
	if (d.msix)
		kit_printf("KIT: vrng interrupts %s\n", q.irqs ? "seen" : "none");
	kit_exit(1);
}
