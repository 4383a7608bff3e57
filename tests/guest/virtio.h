/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal virtio 1.x driver for kit guests (ring 3, identity-mapped):
 * modern virtio-pci and virtio-mmio version 2, split queues in static
 * memory, polled completion (optionally MSI-X interrupts on PCI).
 *
 *	struct kv_dev d;
 *	struct kv_queue q;
 *	struct kv_buf b = { buf, sizeof(buf) };
 *	uint32_t len;
 *
 *	if (kv_find(&d, VIRTIO_ID_RNG, 0) || kv_init(&d, 0) ||
 *	    kv_queue_init(&d, &q, 0, 64) || kv_driver_ok(&d))
 *		kit_fail("no rng");
 *	kv_submit(&q, &b, 0, 1);	// 0 device-readable, 1 device-writable
 *	kv_kick(&q);
 *	if (kv_wait(&q, &len, 1000000) < 0)
 *		kit_fail("no answer");
 *
 * Which transport kv_find() uses comes from the kit command line:
 * "kit_virtio=mmio" (default "pci"); virtio-mmio devices are probed at
 * "kit_vmmio=BASE" (default 0xd0000000, vmm's), every "kit_vmmio_stride="
 * bytes (default 0x1000; QEMU microvm: 0xfeb00000, stride 0x200), up to
 * "kit_vmmio_n=" slots (default 8; QEMU microvm has 24).
 *
 * Every call returns 0 (or a value >= 0) on success and -1 on failure.
 * Nothing is thread-safe: one CPU drives a device.
 */
#ifndef KIT_VIRTIO_H
#define KIT_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#define KV_PCI	1
#define KV_MMIO 2

#define KV_MAX_QUEUE 256 /* queue sizes kv_queue_init() accepts */

struct kv_dev {
	int transport; /* KV_PCI or KV_MMIO */
	uint16_t device_id;
	uint64_t features; /* negotiated (after kv_init) */
	/* PCI: bus 0 slot/function and the capability windows (MMIO addresses). */
	uint8_t devfn;
	uint64_t common, notify, isr, devcfg;
	uint32_t notify_mult;
	uint8_t msix_first; /* MSI-X table entry of its configuration vector */
	bool msix;	    /* kv_msix_enable() succeeded */
	bool intx;	    /* kv_intx_enable() succeeded */
	uint8_t isr_seen;   /* ISR bits the INTx handler read */
	uint64_t msix_table;
	/* virtio-mmio: register base. */
	uint64_t base;
};

/*
 * A queue's rings live inside it (two pages for up to KV_MAX_QUEUE
 * entries), so a kv_queue must be static: its address is its physical
 * address.
 */
struct kv_queue {
	uint8_t ring_mem[2][4096] __attribute__((aligned(4096)));
	struct kv_dev *dev;
	unsigned int index;
	uint16_t size;
	/* The rings (static memory, physical = virtual): tests may poke them. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t notify_addr; /* where kv_kick() writes */
	uint16_t avail_idx;   /* next avail->idx to publish */
	uint16_t last_used;   /* next used entry to consume */
	uint16_t kicked_idx;  /* avail_idx at the last kick (EVENT_IDX) */
	uint16_t free_head, nr_free;
	uint16_t chain_len[KV_MAX_QUEUE]; /* descriptors per head in flight */
	volatile unsigned int irqs;	  /* MSI-X interrupts seen (kv_msix_enable) */
};

/* A buffer of a chain (an address the device may read or write). */
struct kv_buf {
	void *addr;
	uint32_t len;
};

/* Find the @index-th device of @device_id (VIRTIO_ID_*) on the transport
 * named on the command line (kv_find), or on the one given. */
int kv_find(struct kv_dev *d, uint16_t device_id, int index);
int kv_pci_find(struct kv_dev *d, uint16_t device_id, int index);
int kv_mmio_find(struct kv_dev *d, uint16_t device_id, int index);
/*
 * A device in the modern virtio-pci register layout at the given addresses
 * (a window of another PCI function, e.g. vmm's enlightened IDE drives,
 * tests/guest/enlight.h); @devfn is the function whose MSI-X capability
 * serves it, @msix_first its first table entry (kv_msix_enable()).
 */
void kv_window(struct kv_dev *d, uint16_t device_id, uint8_t devfn, uint64_t common, uint64_t isr,
	       uint64_t devcfg, uint64_t notify, uint32_t notify_mult, uint8_t msix_first);

/*
 * Reset, ACKNOWLEDGE, DRIVER, accept VERSION_1 plus @want & offered, set
 * FEATURES_OK and check the device kept it. d->features says what was
 * negotiated (VIRTIO_RING_F_EVENT_IDX and _INDIRECT_DESC change how
 * kv_submit/kv_kick behave).
 */
int kv_init(struct kv_dev *d, uint64_t want);
/* Set up queue @index with min(@size, device's max) entries; before DRIVER_OK. */
int kv_queue_init(struct kv_dev *d, struct kv_queue *q, unsigned int index, uint16_t size);
/*
 * The same with the ring addresses given (tests of bad addresses): @q's
 * own ring memory is still used for the driver's side.
 */
int kv_queue_init_at(struct kv_dev *d, struct kv_queue *q, unsigned int index, uint16_t size,
		     uint64_t desc, uint64_t avail, uint64_t used);
/* Set DRIVER_OK; -1 if the device then shows NEEDS_RESET or FAILED. */
int kv_driver_ok(struct kv_dev *d);

uint8_t kv_status(struct kv_dev *d);
void kv_set_status(struct kv_dev *d, uint8_t status);
/* Write 0 to status and wait until it reads 0. Forgets static queue memory:
 * kv_queue_init() must be called again. */
void kv_reset(struct kv_dev *d);
uint64_t kv_device_features(struct kv_dev *d);

/* Device-specific configuration space (1, 2, 4 or 8 bytes at @off). */
uint64_t kv_cfg_read(struct kv_dev *d, uint32_t off, unsigned int len);
void kv_cfg_write(struct kv_dev *d, uint32_t off, uint64_t val, unsigned int len);

/*
 * Put a chain of @n_out device-readable then @n_in device-writable buffers
 * on the avail ring (no kick). Returns its head, or -1 without room.
 */
int kv_submit(struct kv_queue *q, const struct kv_buf *bufs, int n_out, int n_in);
/* Publish head @head on the avail ring as is (tests that build chains by hand). */
void kv_publish(struct kv_queue *q, uint16_t head);
/* Notify the device about queue q (honours EVENT_IDX and NO_NOTIFY). */
void kv_kick(struct kv_queue *q);
/* Notify unconditionally (also for a queue never set up). */
void kv_notify(struct kv_dev *d, unsigned int index);
/* The next used entry: its head (its descriptors are freed), -1 if none. */
int kv_poll(struct kv_queue *q, uint32_t *len);
/* kv_poll() until an entry comes or @timeout_us passes (then -1). */
int kv_wait(struct kv_queue *q, uint32_t *len, uint64_t timeout_us);

/*
 * PCI only: enable MSI-X, vector 0 for configuration changes, vector 1 + i
 * for queue i (each counted in q->irqs), counted from d->msix_first (0 but
 * for kv_window()). Call after kv_queue_init() of the queues in @qs and
 * before kv_driver_ok(). Interrupt vectors used on this CPU:
 * KV_MSIX_VECTOR + table entry.
 */
#define KV_MSIX_VECTOR 0x60
int kv_msix_enable(struct kv_dev *d, struct kv_queue **qs, int nr);
/*
 * INTx (PCI: the IOAPIC input in the function's Interrupt Line register)
 * or the virtio-mmio interrupt (GSI "kit_vmmio_gsi=" + slot % 4, default
 * 20, vmm's layout), routed to vector KV_INTX_VECTOR on this CPU. The
 * handler reads (and on mmio acknowledges) the ISR and counts a queue
 * interrupt in q->irqs of each queue in @qs. One device at a time.
 */
#define KV_INTX_VECTOR 0x70
int kv_intx_enable(struct kv_dev *d, struct kv_queue **qs, int nr);
/* virtio-mmio / PCI without MSI-X: read (and with mmio, ack) the ISR. */
uint8_t kv_isr(struct kv_dev *d);

/* PCI configuration space through mechanism #1 (ports 0xcf8/0xcfc), bus 0. */
uint32_t kv_pci_read32(uint8_t devfn, uint16_t off);
void kv_pci_write32(uint8_t devfn, uint16_t off, uint32_t v);
uint8_t kv_pci_read8(uint8_t devfn, uint16_t off);
/* The address memory BAR @n decodes at (0: none, unassigned or I/O). */
uint64_t kv_pci_bar(uint8_t devfn, int n);
/* Place the memory BARs the firmware left at 0 (from "kit_pci_mem="). */
void kv_pci_assign_bars(uint8_t devfn);

/*
 * virtio-blk, one request at a time: @type (VIRTIO_BLK_T_*) at @sector
 * with @len bytes at @buf (none for a flush); returns the request's status
 * (VIRTIO_BLK_S_*), or -1 when no answer came within @timeout_us.
 */
int kv_blk_request(struct kv_queue *q, uint32_t type, uint64_t sector, void *buf, uint32_t len,
		   uint64_t timeout_us);

#endif
