// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng: find the device (PCI, or virtio-mmio with kit_virtio=mmio),
 * negotiate, and read 64 bytes twice: each read must be complete, not all
 * zero, and the two must differ. kit_vrng_irq=1 waits with MSI-X (PCI).
 */
#include <linux/pci_regs.h>
#include <linux/virtio_pci.h>

#include "kit.h"
#include "virtio.h"

static struct kv_queue q;
static uint8_t buf[3][64];

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

/*
 * Is the device at @base described in the DSDT as Linux's virtio_mmio
 * driver expects: a Device with _HID "LNRO0005" whose _CRS has a
 * Memory32Fixed descriptor (0x86, length 9) at @base?
 */
static bool dsdt_describes(uint64_t base)
{
	const struct kit_acpi_header *f = kit_acpi_find("FACP"), *h;
	const uint8_t *p;
	uint32_t dsdt = 0;

	/* The DSDT hangs off the FADT (its 32-bit pointer at offset 40). */
	if (!f || f->length < 44)
		return false;
	memcpy(&dsdt, (const uint8_t *)f + 40, 4);
	h = kit_phys(dsdt);
	p = (const uint8_t *)h;
	if (!dsdt || memcmp(h->signature, "DSDT", 4))
		return false;
	for (uint32_t i = 0; i + 8 < h->length; i++) {
		if (memcmp(p + i, "LNRO0005", 8))
			continue;
		for (uint32_t j = i; j + 12 < h->length && j < i + 128; j++) {
			uint32_t at;

			memcpy(&at, p + j + 4, 4);
			if (p[j] == 0x86 && p[j + 1] == 9 && p[j + 2] == 0 && at == base)
				return true;
		}
	}
	return false;
}

/* Capability offset of virtio cfg_type @type (first one), or 0. */
static uint8_t vcap(uint8_t devfn, uint8_t type)
{
	uint8_t pos = kv_pci_read32(devfn, PCI_CAPABILITY_LIST) & 0xfc;

	for (int guard = 0; pos && guard < 48; guard++) {
		uint32_t w = kv_pci_read32(devfn, pos);

		if ((w & 0xff) == PCI_CAP_ID_VNDR && (w >> 24) == type)
			return pos;
		pos = (w >> 8) & 0xfc;
	}
	return 0;
}

/*
 * num_queues read through the VIRTIO_PCI_CAP_PCI_CFG window (4.1.4.9):
 * the common configuration's BAR and offset, 2 bytes. -1 without one.
 */
static int window_num_queues(struct kv_dev *d)
{
	uint8_t common = vcap(d->devfn, VIRTIO_PCI_CAP_COMMON_CFG);
	uint8_t win = vcap(d->devfn, VIRTIO_PCI_CAP_PCI_CFG);
	uint32_t bar, off;

	if (!common || !win)
		return -1;
	bar = kv_pci_read32(d->devfn, common + 4) & 0xff;
	off = kv_pci_read32(d->devfn, common + 8) +
	      __builtin_offsetof(struct virtio_pci_common_cfg, num_queues);
	kv_pci_write32(d->devfn, win + 4, bar);
	kv_pci_write32(d->devfn, win + 8, off);
	kv_pci_write32(d->devfn, win + 12, 2);
	return kv_pci_read32(d->devfn, win + 16) & 0xffff;
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
	if (kit_cmdline_long("kit_vrng_dsdt", 0) && d.transport == KV_MMIO)
		kit_printf("KIT: vrng dsdt %s\n", dsdt_describes(d.base)
							  ? "describes it (LNRO0005)"
							  : "has no LNRO0005 at its base");
	if (d.transport == KV_PCI)
		kit_printf("KIT: vrng num_queues through the PCI_CFG window: %d\n",
			   window_num_queues(&d));
	/* kit_vrng_event_idx=1: with VIRTIO_RING_F_EVENT_IDX (kicks and interrupts by index). */
	if (kv_init(&d, kit_cmdline_long("kit_vrng_event_idx", 0) ? 1ULL << VIRTIO_RING_F_EVENT_IDX
								  : 0))
		kit_fail("vrng: feature negotiation failed");
	if (d.features & (1ULL << VIRTIO_RING_F_EVENT_IDX))
		kit_printf("KIT: vrng negotiated EVENT_IDX\n");
	if (kv_queue_init(&d, &q, 0, 64))
		kit_fail("vrng: no queue 0");
	/* kit_vrng_irq=1: MSI-X; 2: INTx (PCI) or the virtio-mmio line. */
	if (kit_cmdline_long("kit_vrng_irq", 0) == 1 && kv_msix_enable(&d, qs, 1))
		kit_fail("vrng: MSI-X set-up failed");
	if (kit_cmdline_long("kit_vrng_irq", 0) == 2 && kv_intx_enable(&d, qs, 1))
		kit_fail("vrng: INTx set-up failed");
	if (kv_driver_ok(&d))
		kit_fail("vrng: DRIVER_OK refused (status 0x%x)", kv_status(&d));
	rng_read(&d, buf[0]);
	rng_read(&d, buf[1]);
	/* More rounds: with EVENT_IDX each kick depends on avail_event being kept up. */
	for (int i = 0; i < 100; i++)
		rng_read(&d, buf[2]);
	if (all_zero(buf[0]) || all_zero(buf[1]))
		kit_fail("vrng: all zero");
	if (!memcmp(buf[0], buf[1], 64))
		kit_fail("vrng: the two reads are the same");
	kit_printf("KIT: vrng read 2x64 bytes, nonzero and different\n");
	if (d.msix || d.intx) {
		/* The interrupt may trail the used entry that kv_wait() saw. */
		uint64_t end = kit_now_us() + 1000000;

		while (!q.irqs && kit_now_us() < end)
			kit_irq_poll();
	}
	if (d.msix || d.intx)
		kit_printf("KIT: vrng interrupts %s\n", q.irqs ? "seen" : "none");
	if (d.intx) {
		/* Reading (PCI) or acknowledging (mmio) the ISR clears it. */
		kv_isr(&d);
		kit_printf("KIT: vrng isr after read 0x%x\n", kv_isr(&d));
	}
	kit_exit(1);
}
