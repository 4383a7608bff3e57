// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI host bridge and bus 0: configuration mechanism #1 (0xCF8 address,
 * 0xCFC-0xCFF data), ECAM (bus 0, 1 MiB at PCI_ECAM_BASE), config space
 * semantics for the functions device models register, BAR placement and
 * decoding, INTx and MSI-X.
 *
 * Each function is fn 0 of its own slot; the host bridge is 00:00.0.
 * Config accesses of any width are applied byte by byte through a write
 * mask and a write-1-to-clear mask, except the BAR dwords, which take the
 * merged dword (sizing needs the whole value), and the side effects are
 * then computed from what changed: decoding (the BAR regions on the bus),
 * INTx disable, MSI-X enable / function mask.
 *
 * Locks: pci.lock guards the slot table and the CF8 latch; each function's
 * dev->lock its config space, BARs and MSI-X state; intx_lock the count of
 * asserting functions per INTx GSI. Order: dev->lock, then intx_lock (and
 * the bus's and vm.c's own locks, which take none of these).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bios/tables.h"
#include "cpu/vm.h"
#include "devices/device.h"
#include "devices/pci.h"
#include "mmio/bus.h"

#define PCI_NR_SLOTS	 32
#define PCI_CF8_ENABLE	 0x80000000u
#define PCI_CFG_HDR_SIZE 0x40
#define PCI_MMIO_ALIGN	 0x1000 /* MMIO BARs get a page of their own at least */

/* QEMU's q35 host bridge (MCH) IDs, with QEMU's subsystem IDs. */
#define HOST_VENDOR	   0x8086
#define HOST_DEVICE	   0x29c0
#define HOST_SUBSYS_VENDOR 0x1af4
#define HOST_SUBSYS	   0x1100
/* Not in the UAPI headers: base class 06 (bridge), subclass 00 (host). */
#define HOST_CLASS 0x060000

/* Command bits the guest may change. */
#define PCI_COMMAND_WMASK                                                                \
	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | \
	 PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
/* Status error bits: write 1 to clear (vmm never sets them, a guest may try). */
#define PCI_STATUS_W1C                                                                   \
	(PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT | \
	 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)

#define MSIX_ENTRY_SIZE PCI_MSIX_ENTRY_SIZE
#define MSIX_CAP_LEN	PCI_CAP_MSIX_SIZEOF

static struct {
	pthread_mutex_t lock;
	struct vm *vm;
	uint32_t cf8;
	struct pci_dev *slot[PCI_NR_SLOTS];
	struct bus_region *pio_addr, *pio_data, *ecam;
	/* Where the next BAR goes (firmware-style bump allocation). */
	uint64_t mmio_next, io_next;
	pthread_mutex_t intx_lock;
	unsigned int intx_count[4]; /* asserting functions per GSI 16..19 */
} pci = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.intx_lock = PTHREAD_MUTEX_INITIALIZER,
};

static struct pci_dev host_bridge;

static inline uint16_t cfg_get16(const struct pci_dev *d, unsigned int off)
{
	return d->cfg[off] | d->cfg[off + 1] << 8;
}

static inline uint32_t cfg_get32(const struct pci_dev *d, unsigned int off)
{
	return cfg_get16(d, off) | (uint32_t)cfg_get16(d, off + 2) << 16;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

/* ------------------------------------------------------------------ */
/* Building a function (device model side, before pci_register)        */

void pci_dev_init(struct pci_dev *dev, const char *name, uint16_t vendor, uint16_t device,
		  uint16_t subsys_vendor, uint16_t subsys, uint32_t class_code, uint8_t rev,
		  uint8_t intx_pin)
{
	dev->name = name;
	memset(dev->cfg, 0, sizeof(dev->cfg));
	memset(dev->wmask, 0, sizeof(dev->wmask));
	memset(dev->w1cmask, 0, sizeof(dev->w1cmask));
	memset(dev->bar, 0, sizeof(dev->bar));
	memset(dev->bar_mapped, 0, sizeof(dev->bar_mapped));
	memset(&dev->msix, 0, sizeof(dev->msix));
	pthread_mutex_init(&dev->lock, NULL);
	dev->vm = NULL;
	dev->devfn = 0;
	dev->next_cap = PCI_CFG_HDR_SIZE;
	dev->intx_pin = intx_pin <= 4 ? intx_pin : 0;
	dev->intx_gsi = 0;
	dev->intx_level = dev->intx_asserted = false;
	dev->msix_cap = 0;
	dev->registered = false;
	dev->stat_msix = dev->stat_msix_held = dev->stat_intx = 0;
	/* bar_remap, cfg_hook and priv are the model's: set before or after. */

	put16(dev->cfg + PCI_VENDOR_ID, vendor);
	put16(dev->cfg + PCI_DEVICE_ID, device);
	dev->cfg[PCI_REVISION_ID] = rev;
	dev->cfg[PCI_CLASS_PROG] = class_code;
	put16(dev->cfg + PCI_CLASS_DEVICE, class_code >> 8);
	dev->cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL;
	put16(dev->cfg + PCI_SUBSYSTEM_VENDOR_ID, subsys_vendor);
	put16(dev->cfg + PCI_SUBSYSTEM_ID, subsys);
	dev->cfg[PCI_INTERRUPT_PIN] = dev->intx_pin;

	put16(dev->wmask + PCI_COMMAND, PCI_COMMAND_WMASK);
	put16(dev->w1cmask + PCI_STATUS, PCI_STATUS_W1C);
	dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	dev->wmask[PCI_LATENCY_TIMER] = 0xff;
	dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	/* BARs are written through their own path; the ROM BAR stays 0. */
}

int pci_add_bar(struct pci_dev *dev, int n, enum pci_bar_type type, uint64_t size,
		const struct bus_ops *ops, void *opaque)
{
	if (n < 0 || n >= PCI_MAX_BARS || dev->registered || !ops)
		return -EINVAL;
	if (dev->bar[n].type != PCI_BAR_NONE || (n > 0 && dev->bar[n - 1].type == PCI_BAR_MEM64))
		return -EINVAL;
	if (!size || (size & (size - 1)))
		return -EINVAL;
	switch (type) {
	case PCI_BAR_IO:
		if (size < 4 || size > 256)
			return -EINVAL;
		break;
	case PCI_BAR_MEM32:
		if (size < 16 || size > (PCI_MMIO32_END - PCI_MMIO32_BASE))
			return -EINVAL;
		break;
	case PCI_BAR_MEM64:
		if (n == PCI_MAX_BARS - 1 || dev->bar[n + 1].type != PCI_BAR_NONE)
			return -EINVAL;
		/* Placed in the 32-bit window too, so the same limit. */
		if (size < 16 || size > (PCI_MMIO32_END - PCI_MMIO32_BASE))
			return -EINVAL;
		break;
	default: return -EINVAL;
	}
	dev->bar[n] = (struct pci_bar){ .type = type, .size = size, .ops = ops, .opaque = opaque };
	return 0;
}

int pci_add_cap(struct pci_dev *dev, const void *cap, unsigned int len, const uint8_t *wmask)
{
	unsigned int off = (dev->next_cap + 3) & ~3u, prev;

	if (len < 2 || dev->registered || off + len > 0x100)
		return -ENOSPC;
	memcpy(dev->cfg + off, cap, len);
	dev->cfg[off + PCI_CAP_LIST_NEXT] = 0;
	if (wmask) {
		memcpy(dev->wmask + off, wmask, len);
		/* The ID and the chain are never the guest's to write. */
		dev->wmask[off + PCI_CAP_LIST_ID] = 0;
		dev->wmask[off + PCI_CAP_LIST_NEXT] = 0;
	}
	/* Append at the end of the chain, keeping the list in offset order. */
	if (!(cfg_get16(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST)) {
		dev->cfg[PCI_CAPABILITY_LIST] = off;
		put16(dev->cfg + PCI_STATUS, cfg_get16(dev, PCI_STATUS) | PCI_STATUS_CAP_LIST);
	} else {
		prev = dev->cfg[PCI_CAPABILITY_LIST];
		while (dev->cfg[prev + PCI_CAP_LIST_NEXT])
			prev = dev->cfg[prev + PCI_CAP_LIST_NEXT];
		dev->cfg[prev + PCI_CAP_LIST_NEXT] = off;
	}
	dev->next_cap = off + len;
	return off;
}

int pci_add_msix(struct pci_dev *dev, unsigned int nr, int bar, uint64_t table_off,
		 uint64_t pba_off)
{
	uint8_t cap[MSIX_CAP_LEN] = { PCI_CAP_ID_MSIX }, wmask[MSIX_CAP_LEN] = { 0 };
	uint64_t table_end = table_off + (uint64_t)nr * MSIX_ENTRY_SIZE;
	uint64_t pba_end = pba_off + (nr + 63) / 64 * 8;
	int off;

	if (!nr || nr > PCI_MSIX_MAX || dev->msix.nr || bar < 0 || bar >= PCI_MAX_BARS)
		return -EINVAL;
	if (dev->bar[bar].type != PCI_BAR_MEM32 && dev->bar[bar].type != PCI_BAR_MEM64)
		return -EINVAL;
	/* Offsets are 8-byte aligned (the BIR takes the low 3 bits). */
	if ((table_off & 7) || (pba_off & 7) || table_end > dev->bar[bar].size ||
	    pba_end > dev->bar[bar].size || table_off > UINT32_MAX || pba_off > UINT32_MAX)
		return -EINVAL;
	if (table_off < pba_end && pba_off < table_end)
		return -EINVAL;
	put16(cap + PCI_MSIX_FLAGS, nr - 1);
	put32(cap + PCI_MSIX_TABLE, (uint32_t)table_off | bar);
	put32(cap + PCI_MSIX_PBA, (uint32_t)pba_off | bar);
	put16(wmask + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	off = pci_add_cap(dev, cap, sizeof(cap), wmask);
	if (off < 0)
		return off;
	dev->msix_cap = off;
	dev->msix.nr = nr;
	dev->msix.bar = bar;
	dev->msix.table_off = table_off;
	dev->msix.pba_off = pba_off;
	for (unsigned int i = 0; i < nr; i++)
		dev->msix.vec[i] =
			(struct pci_msix_vector){ .masked = true, .gsi = -1, .irqfd = -1 };
	return off;
}

/* ------------------------------------------------------------------ */
/* BARs: register values, decoding, bus regions                        */

static unsigned int bar_reg(int n)
{
	return PCI_BASE_ADDRESS_0 + 4 * n;
}

/* The BAR register(s) for @addr, with the type bits. */
static void bar_write_addr(struct pci_dev *d, int n, uint64_t addr)
{
	const struct pci_bar *b = &d->bar[n];

	switch (b->type) {
	case PCI_BAR_IO:
		put32(d->cfg + bar_reg(n),
		      ((uint32_t)addr & PCI_BASE_ADDRESS_IO_MASK) | PCI_BASE_ADDRESS_SPACE_IO);
		break;
	case PCI_BAR_MEM32:
		put32(d->cfg + bar_reg(n),
		      ((uint32_t)addr & PCI_BASE_ADDRESS_MEM_MASK) | PCI_BASE_ADDRESS_MEM_TYPE_32);
		break;
	case PCI_BAR_MEM64:
		put32(d->cfg + bar_reg(n),
		      ((uint32_t)addr & PCI_BASE_ADDRESS_MEM_MASK) | PCI_BASE_ADDRESS_MEM_TYPE_64);
		put32(d->cfg + bar_reg(n + 1), addr >> 32);
		break;
	default: break;
	}
}

/* The address BAR @n decodes at now (register value), whatever decoding. */
static uint64_t bar_read_addr(const struct pci_dev *d, int n)
{
	uint32_t lo = cfg_get32(d, bar_reg(n));

	switch (d->bar[n].type) {
	case PCI_BAR_IO: return lo & PCI_BASE_ADDRESS_IO_MASK;
	case PCI_BAR_MEM32: return lo & PCI_BASE_ADDRESS_MEM_MASK;
	case PCI_BAR_MEM64:
		return (lo & PCI_BASE_ADDRESS_MEM_MASK) | (uint64_t)cfg_get32(d, bar_reg(n + 1))
								  << 32;
	default: return 0;
	}
}

/*
 * Where BAR @n should be on the bus now: 0 while decoding is off, and for
 * addresses nothing could be decoded at (0, past the I/O space, wrapping).
 */
static uint64_t bar_decode_addr(const struct pci_dev *d, int n)
{
	const struct pci_bar *b = &d->bar[n];
	uint16_t cmd = cfg_get16(d, PCI_COMMAND);
	uint64_t addr = b->addr;

	if (b->type == PCI_BAR_NONE || !addr)
		return 0;
	if (b->type == PCI_BAR_IO)
		return (cmd & PCI_COMMAND_IO) && addr + b->size <= 0x10000 ? addr : 0;
	if (!(cmd & PCI_COMMAND_MEMORY) || addr + b->size - 1 < addr)
		return 0;
	return addr;
}

/* Make the bus follow BAR @n (dev->lock held). */
static void bar_update(struct pci_dev *d, int n)
{
	struct pci_bar *b = &d->bar[n];
	uint64_t want;

	b->addr = bar_read_addr(d, n);
	want = bar_decode_addr(d, n);
	if (want == d->bar_mapped[n] && (!want || b->region))
		return;
	if (b->region) {
		bus_unregister(b->region);
		b->region = NULL;
	}
	d->bar_mapped[n] = 0;
	if (want) {
		/* An overlap (a guest placing BARs on each other) leaves it unmapped. */
		b->region = bus_register(b->type == PCI_BAR_IO ? BUS_PIO : BUS_MMIO, want, b->size,
					 b->ops, b->opaque, b->name);
		if (b->region)
			d->bar_mapped[n] = want;
	}
	if (d->bar_remap)
		d->bar_remap(d, n, d->bar_mapped[n]);
}

static void bars_update(struct pci_dev *d)
{
	for (int n = 0; n < PCI_MAX_BARS; n++)
		if (d->bar[n].type != PCI_BAR_NONE)
			bar_update(d, n);
}

/*
 * A write to a BAR dword (already merged with the bytes not written).
 * Sizing: the low bits below the size read back as 0, so writing all-ones
 * reads back the size mask with the type bits.
 */
static void bar_dword_write(struct pci_dev *d, unsigned int reg, uint32_t v)
{
	int n = (reg - PCI_BASE_ADDRESS_0) / 4;
	struct pci_bar *b;

	if (n > 0 && d->bar[n - 1].type == PCI_BAR_MEM64) {
		/* Upper half of a 64-bit BAR. */
		b = &d->bar[n - 1];
		put32(d->cfg + reg, v & (uint32_t)(~(b->size - 1) >> 32));
		bar_update(d, n - 1);
		return;
	}
	b = &d->bar[n];
	switch (b->type) {
	case PCI_BAR_IO:
		put32(d->cfg + reg, (v & ~(uint32_t)(b->size - 1) & PCI_BASE_ADDRESS_IO_MASK) |
					    PCI_BASE_ADDRESS_SPACE_IO);
		break;
	case PCI_BAR_MEM32:
		put32(d->cfg + reg, (v & ~(uint32_t)(b->size - 1) & PCI_BASE_ADDRESS_MEM_MASK) |
					    PCI_BASE_ADDRESS_MEM_TYPE_32);
		break;
	case PCI_BAR_MEM64:
		put32(d->cfg + reg, (v & ~(uint32_t)(b->size - 1) & PCI_BASE_ADDRESS_MEM_MASK) |
					    PCI_BASE_ADDRESS_MEM_TYPE_64);
		break;
	default: return; /* unused: reads 0 */
	}
	bar_update(d, n);
}

/* ------------------------------------------------------------------ */
/* INTx                                                                */

/* Recompute this function's contribution to its GSI (dev->lock held). */
static void intx_update(struct pci_dev *d)
{
	/* With MSI-X on, a function must not use INTx (PCI 3.0, 6.8.3.3). */
	bool assert = d->intx_pin && d->intx_level && !d->msix.enabled &&
		      !(cfg_get16(d, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
	unsigned int idx = d->intx_gsi - PCI_INTX_GSI_BASE;
	uint16_t status = cfg_get16(d, PCI_STATUS) & ~PCI_STATUS_INTERRUPT;

	/* The status bit shows the device's request even while disabled. */
	put16(d->cfg + PCI_STATUS, status | (d->intx_level ? PCI_STATUS_INTERRUPT : 0));
	if (assert == d->intx_asserted || !d->vm || idx >= 4)
		return;
	d->intx_asserted = assert;
	pthread_mutex_lock(&pci.intx_lock);
	/* A shared line stays high while any of its functions asserts it. */
	if (assert)
		d->stat_intx++;
	if (assert && pci.intx_count[idx]++ == 0)
		vm_irq_line(d->vm, d->intx_gsi, 1);
	else if (!assert && --pci.intx_count[idx] == 0)
		vm_irq_line(d->vm, d->intx_gsi, 0);
	pthread_mutex_unlock(&pci.intx_lock);
}

void pci_intx_set(struct pci_dev *dev, bool level)
{
	pthread_mutex_lock(&dev->lock);
	dev->intx_level = level;
	intx_update(dev);
	pthread_mutex_unlock(&dev->lock);
}

/* ------------------------------------------------------------------ */
/* MSI-X                                                               */

static bool msix_vec_deliverable(const struct pci_dev *d, unsigned int v)
{
	return d->msix.enabled && !d->msix.func_masked && !d->msix.vec[v].masked;
}

/*
 * Give vector @v a GSI routed to its message and an irqfd, or bring the
 * route up to date. Errors are logged once per vector setup; the vector
 * then stays undeliverable until the guest reprograms it.
 */
static int msix_vec_route(struct pci_dev *d, unsigned int v)
{
	struct pci_msix_vector *m = &d->msix.vec[v];
	int ret, gsi, fd;

	if (m->gsi >= 0 && m->irqfd >= 0) {
		if (!m->stale)
			return 0;
		ret = vm_msi_route_set(d->vm, m->gsi, m->addr, m->data);
		if (ret < 0) {
			fprintf(stderr, "vmm: %s: MSI-X vector %u: routing: %s\n", d->name, v,
				strerror(-ret));
			return ret;
		}
		m->stale = false;
		return 0;
	}
	gsi = vm_msi_route_add(d->vm, m->addr, m->data);
	if (gsi < 0) {
		fprintf(stderr, "vmm: %s: MSI-X vector %u: no GSI route: %s\n", d->name, v,
			strerror(-gsi));
		return gsi;
	}
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		goto fail_route;
	}
	ret = vm_irqfd(d->vm, fd, gsi, true);
	if (ret < 0)
		goto fail_fd;
	m->gsi = gsi;
	m->irqfd = fd;
	m->stale = false;
	return 0;
fail_fd:
	close(fd);
fail_route:
	vm_msi_route_del(d->vm, gsi);
	fprintf(stderr, "vmm: %s: MSI-X vector %u: irqfd: %s\n", d->name, v, strerror(-ret));
	return ret;
}

/*
 * Give vector @v's GSI and irqfd back. At vmm's exit (@tell_kvm false) the
 * eventfd is only closed: the VM goes away whole, and each routing update
 * would wait for an SRCU grace period for nothing.
 */
static void msix_vec_release(struct pci_dev *d, unsigned int v, bool tell_kvm)
{
	struct pci_msix_vector *m = &d->msix.vec[v];

	if (m->irqfd >= 0) {
		if (tell_kvm)
			vm_irqfd(d->vm, m->irqfd, m->gsi, false);
		close(m->irqfd);
		m->irqfd = -1;
	}
	if (m->gsi >= 0) {
		if (tell_kvm)
			vm_msi_route_del(d->vm, m->gsi);
		m->gsi = -1;
	}
}

static void msix_fire(struct pci_dev *d, unsigned int v)
{
	struct pci_msix_vector *m = &d->msix.vec[v];
	uint64_t one = 1;

	if (msix_vec_route(d, v) < 0)
		return;
	if (write(m->irqfd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "vmm: %s: MSI-X vector %u: eventfd write failed\n", d->name, v);
	else
		d->stat_msix++;
}

/*
 * After anything that may have made vectors deliverable (enable, function
 * unmask, vector unmask, a new message): route them, and deliver what was
 * pending meanwhile.
 */
static void msix_vec_sync(struct pci_dev *d, unsigned int v)
{
	struct pci_msix_vector *m = &d->msix.vec[v];

	if (!msix_vec_deliverable(d, v))
		return;
	if (m->pending) {
		m->pending = false;
		msix_fire(d, v);
	} else if (m->stale || m->gsi < 0) {
		msix_vec_route(d, v);
	}
}

static void msix_ctrl_update(struct pci_dev *d)
{
	uint16_t flags = cfg_get16(d, d->msix_cap + PCI_MSIX_FLAGS);

	d->msix.enabled = flags & PCI_MSIX_FLAGS_ENABLE;
	d->msix.func_masked = flags & PCI_MSIX_FLAGS_MASKALL;
	for (unsigned int v = 0; v < d->msix.nr; v++)
		msix_vec_sync(d, v);
}

bool pci_msix_enabled(struct pci_dev *dev)
{
	bool on;

	pthread_mutex_lock(&dev->lock);
	on = dev->msix.nr && dev->msix.enabled;
	pthread_mutex_unlock(&dev->lock);
	return on;
}

void pci_msix_notify(struct pci_dev *dev, unsigned int v)
{
	pthread_mutex_lock(&dev->lock);
	if (v < dev->msix.nr && dev->msix.enabled) {
		if (msix_vec_deliverable(dev, v)) {
			msix_fire(dev, v);
		} else if (!dev->msix.vec[v].pending) {
			dev->msix.vec[v].pending = true;
			dev->stat_msix_held++;
		}
	}
	pthread_mutex_unlock(&dev->lock);
}

static uint32_t msix_entry_dword(const struct pci_msix_vector *m, unsigned int dw)
{
	switch (dw) {
	case PCI_MSIX_ENTRY_LOWER_ADDR / 4: return (uint32_t)m->addr;
	case PCI_MSIX_ENTRY_UPPER_ADDR / 4: return m->addr >> 32;
	case PCI_MSIX_ENTRY_DATA / 4: return m->data;
	default: return m->masked ? PCI_MSIX_ENTRY_CTRL_MASKBIT : 0;
	}
}

static uint64_t msix_read_locked(struct pci_dev *d, uint64_t off, unsigned int len)
{
	struct pci_msix *x = &d->msix;
	uint64_t table_len = (uint64_t)x->nr * MSIX_ENTRY_SIZE, pba_len = (x->nr + 63) / 64 * 8;
	uint64_t val = 0;

	if (off - x->table_off < table_len && off + len - x->table_off <= table_len) {
		/* Byte-wise over the entry dwords: any width, any alignment. */
		for (unsigned int i = 0; i < len; i++) {
			uint64_t o = off + i - x->table_off;
			const struct pci_msix_vector *m = &x->vec[o / MSIX_ENTRY_SIZE];
			uint32_t dw = msix_entry_dword(m, (o % MSIX_ENTRY_SIZE) / 4);

			val |= (uint64_t)((dw >> (8 * (o % 4))) & 0xff) << (8 * i);
		}
		return val;
	}
	if (off - x->pba_off < pba_len && off + len - x->pba_off <= pba_len) {
		for (unsigned int i = 0; i < len; i++) {
			uint64_t bit0 = (off + i - x->pba_off) * 8;

			for (unsigned int b = 0; b < 8; b++)
				if (bit0 + b < x->nr && x->vec[bit0 + b].pending)
					val |= 1ULL << (8 * i + b);
		}
		return val;
	}
	return 0;
}

uint64_t pci_msix_read(struct pci_dev *dev, uint64_t bar_off, unsigned int len)
{
	uint64_t v;

	if (!len || len > 8)
		return 0;
	pthread_mutex_lock(&dev->lock);
	v = msix_read_locked(dev, bar_off, len);
	pthread_mutex_unlock(&dev->lock);
	return v;
}

void pci_msix_write(struct pci_dev *dev, uint64_t bar_off, uint64_t val, unsigned int len)
{
	struct pci_msix *x = &dev->msix;
	uint64_t table_len, o;
	bool touched[PCI_MSIX_MAX] = { false };

	if (!len || len > 8)
		return;
	pthread_mutex_lock(&dev->lock);
	table_len = (uint64_t)x->nr * MSIX_ENTRY_SIZE;
	/* The PBA is read-only; anything else in the BAR is not ours. */
	if (bar_off - x->table_off >= table_len || bar_off + len - x->table_off > table_len)
		goto out;
	for (unsigned int i = 0; i < len; i++) {
		uint8_t byte = val >> (8 * i);
		struct pci_msix_vector *m;
		unsigned int shift;

		o = bar_off + i - x->table_off;
		m = &x->vec[o / MSIX_ENTRY_SIZE];
		shift = 8 * (o % 4);
		switch ((o % MSIX_ENTRY_SIZE) / 4) {
		case PCI_MSIX_ENTRY_LOWER_ADDR / 4:
			m->addr = (m->addr & ~(0xffULL << shift)) | (uint64_t)byte << shift;
			m->stale = true;
			break;
		case PCI_MSIX_ENTRY_UPPER_ADDR / 4:
			m->addr = (m->addr & ~(0xffULL << (32 + shift))) | (uint64_t)byte
										   << (32 + shift);
			m->stale = true;
			break;
		case PCI_MSIX_ENTRY_DATA / 4:
			m->data = (m->data & ~(0xffu << shift)) | (uint32_t)byte << shift;
			m->stale = true;
			break;
		default:
			/* Vector control: only the mask bit is defined. */
			if (!shift)
				m->masked = byte & PCI_MSIX_ENTRY_CTRL_MASKBIT;
			break;
		}
		touched[o / MSIX_ENTRY_SIZE] = true;
	}
	for (unsigned int v = 0; v < x->nr; v++)
		if (touched[v])
			msix_vec_sync(dev, v);
out:
	pthread_mutex_unlock(&dev->lock);
}

static void msix_reset(struct pci_dev *d, bool tell_kvm)
{
	for (unsigned int v = 0; v < d->msix.nr; v++) {
		msix_vec_release(d, v, tell_kvm);
		d->msix.vec[v] = (struct pci_msix_vector){ .masked = true, .gsi = -1, .irqfd = -1 };
	}
	d->msix.enabled = d->msix.func_masked = false;
}

/* ------------------------------------------------------------------ */
/* Config space access                                                 */

static uint32_t cfg_read(struct pci_dev *d, unsigned int reg, unsigned int len)
{
	uint32_t v = 0;

	pthread_mutex_lock(&d->lock);
	if (d->cfg_hook)
		d->cfg_hook(d, reg, len, false);
	for (unsigned int i = 0; i < len; i++)
		v |= (uint32_t)d->cfg[reg + i] << (8 * i);
	pthread_mutex_unlock(&d->lock);
	return v;
}

static bool is_bar_reg(unsigned int reg)
{
	return reg >= PCI_BASE_ADDRESS_0 && reg <= PCI_BASE_ADDRESS_5 + 3;
}

static void cfg_write(struct pci_dev *d, unsigned int reg, uint32_t val, unsigned int len)
{
	uint16_t old_cmd, old_msix = 0;

	pthread_mutex_lock(&d->lock);
	old_cmd = cfg_get16(d, PCI_COMMAND);
	if (d->msix_cap)
		old_msix = cfg_get16(d, d->msix_cap + PCI_MSIX_FLAGS);
	for (unsigned int i = 0; i < len;) {
		unsigned int r = reg + i;

		if (is_bar_reg(r)) {
			/* Merge the written bytes of this dword, then write it whole. */
			unsigned int dw = r & ~3u;
			uint32_t cur = cfg_get32(d, dw);

			for (; i < len && ((reg + i) & ~3u) == dw; i++) {
				unsigned int s = 8 * ((reg + i) & 3);

				cur = (cur & ~(0xffu << s)) | ((val >> (8 * i)) & 0xff) << s;
			}
			bar_dword_write(d, dw, cur);
			continue;
		}
		uint8_t b = val >> (8 * i);

		d->cfg[r] = (d->cfg[r] & ~d->wmask[r]) | (b & d->wmask[r]);
		d->cfg[r] &= ~(b & d->w1cmask[r]);
		i++;
	}
	if (((old_cmd ^ cfg_get16(d, PCI_COMMAND)) & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)))
		bars_update(d);
	if ((old_cmd ^ cfg_get16(d, PCI_COMMAND)) & PCI_COMMAND_INTX_DISABLE)
		intx_update(d);
	if (d->msix_cap && old_msix != cfg_get16(d, d->msix_cap + PCI_MSIX_FLAGS)) {
		msix_ctrl_update(d);
		intx_update(d);
	}
	if (d->cfg_hook)
		d->cfg_hook(d, reg, len, true);
	pthread_mutex_unlock(&d->lock);
}

static struct pci_dev *pci_find(unsigned int bus, unsigned int devfn)
{
	struct pci_dev *d = NULL;

	if (bus || (devfn & 7))
		return NULL;
	pthread_mutex_lock(&pci.lock);
	d = pci.slot[devfn >> 3];
	pthread_mutex_unlock(&pci.lock);
	return d;
}

/* One config access; a function that is not there reads all-ones. */
static uint32_t cfg_access(unsigned int bus, unsigned int devfn, unsigned int reg, unsigned int len,
			   uint32_t val, bool is_write)
{
	struct pci_dev *d = pci_find(bus, devfn);

	if (!d || reg + len > PCI_CFG_SIZE)
		return is_write ? 0 : (uint32_t)(~0ULL >> (64 - 8 * len));
	if (is_write) {
		cfg_write(d, reg, val, len);
		return 0;
	}
	return cfg_read(d, reg, len);
}

/* 0xCF8: only a dword access is the address register. */
static uint64_t cf8_read(void *opaque, uint64_t off, unsigned int len)
{
	uint32_t v;

	if (off || len != 4)
		return ~0ULL;
	pthread_mutex_lock(&pci.lock);
	v = pci.cf8;
	pthread_mutex_unlock(&pci.lock);
	return v;
}

static void cf8_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	if (off || len != 4)
		return;
	pthread_mutex_lock(&pci.lock);
	/* Bits 30:24 are reserved, 1:0 always read 0. */
	pci.cf8 = (uint32_t)val & 0x80fffffcu;
	pthread_mutex_unlock(&pci.lock);
}

static uint64_t cfc_access(uint64_t off, unsigned int len, uint64_t val, bool is_write)
{
	uint32_t cf8;

	if (off >= 4 || len > 4 - off)
		return ~0ULL;
	pthread_mutex_lock(&pci.lock);
	cf8 = pci.cf8;
	pthread_mutex_unlock(&pci.lock);
	if (!(cf8 & PCI_CF8_ENABLE))
		return ~0ULL;
	return cfg_access((cf8 >> 16) & 0xff, (cf8 >> 8) & 0xff, (cf8 & 0xfc) + off, len,
			  (uint32_t)val, is_write);
}

static uint64_t cfc_read(void *opaque, uint64_t off, unsigned int len)
{
	return cfc_access(off, len, 0, false);
}

static void cfc_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	cfc_access(off, len, val, true);
}

/* ECAM: bus 0 only, offset = devfn << 12 | reg; naturally aligned accesses. */
static uint64_t ecam_read(void *opaque, uint64_t off, unsigned int len)
{
	unsigned int reg = off & 0xfff;

	if (off >= PCI_ECAM_SIZE || (reg & (len - 1)))
		return ~0ULL;
	if (len == 8)
		return cfg_access(0, off >> 12, reg, 4, 0, false) |
		       (uint64_t)cfg_access(0, off >> 12, reg + 4, 4, 0, false) << 32;
	return cfg_access(0, off >> 12, reg, len, 0, false);
}

static void ecam_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	unsigned int reg = off & 0xfff;

	if (off >= PCI_ECAM_SIZE || (reg & (len - 1)))
		return;
	if (len == 8) {
		cfg_access(0, off >> 12, reg, 4, (uint32_t)val, true);
		cfg_access(0, off >> 12, reg + 4, 4, val >> 32, true);
		return;
	}
	cfg_access(0, off >> 12, reg, len, (uint32_t)val, true);
}

static const struct bus_ops cf8_ops = { .read = cf8_read, .write = cf8_write };
static const struct bus_ops cfc_ops = { .read = cfc_read, .write = cfc_write };
static const struct bus_ops ecam_ops = { .read = ecam_read, .write = ecam_write };

/* ------------------------------------------------------------------ */
/* Registration, reset                                                 */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Firmware's job: give every BAR a naturally aligned place in the windows. */
static int place_bars(struct pci_dev *d)
{
	uint64_t mmio = pci.mmio_next, io = pci.io_next;
	uint16_t cmd = 0;

	for (int n = 0; n < PCI_MAX_BARS; n++) {
		struct pci_bar *b = &d->bar[n];
		uint64_t at;

		if (b->type == PCI_BAR_NONE)
			continue;
		if (b->type == PCI_BAR_IO) {
			at = align_up(io, b->size);
			if (at + b->size > PCI_PIO_END)
				return -ENOSPC;
			io = at + b->size;
			cmd |= PCI_COMMAND_IO;
		} else {
			at = align_up(mmio, b->size > PCI_MMIO_ALIGN ? b->size : PCI_MMIO_ALIGN);
			if (at + b->size > PCI_MMIO32_END)
				return -ENOSPC;
			mmio = at + b->size;
			cmd |= PCI_COMMAND_MEMORY;
		}
		bar_write_addr(d, n, at);
		if (!b->name[0])
			snprintf(b->name, sizeof(b->name), "%.26s bar%d", d->name ? d->name : "pci",
				 n);
	}
	pci.mmio_next = mmio;
	pci.io_next = io;
	/* Decoding on, as firmware (SeaBIOS) leaves it. */
	put16(d->cfg + PCI_COMMAND, cmd);
	return 0;
}

static int pci_attach(struct vm *vm, struct pci_dev *dev, unsigned int slot)
{
	int ret;

	pthread_mutex_lock(&pci.lock);
	ret = place_bars(dev);
	if (ret)
		goto out;
	dev->vm = vm;
	dev->devfn = slot << 3;
	if (dev->intx_pin) {
		dev->intx_gsi = pci_intx_gsi(slot, dev->intx_pin);
		/* What firmware writes for the OS: the IOAPIC input. */
		dev->cfg[PCI_INTERRUPT_LINE] = dev->intx_gsi;
	}
	memcpy(dev->cfg_reset, dev->cfg, sizeof(dev->cfg));
	dev->registered = true;
	pci.slot[slot] = dev;
out:
	pthread_mutex_unlock(&pci.lock);
	if (ret)
		return ret;
	pthread_mutex_lock(&dev->lock);
	bars_update(dev);
	pthread_mutex_unlock(&dev->lock);
	return 0;
}

int pci_register(struct vm *vm, struct pci_dev *dev)
{
	unsigned int slot;

	if (dev->registered || !pci.pio_data)
		return -EINVAL;
	pthread_mutex_lock(&pci.lock);
	for (slot = 1; slot < PCI_NR_SLOTS && pci.slot[slot]; slot++)
		;
	pthread_mutex_unlock(&pci.lock);
	if (slot == PCI_NR_SLOTS)
		return -ENOSPC;
	return pci_attach(vm, dev, slot);
}

void pci_dev_reset(struct pci_dev *dev)
{
	pthread_mutex_lock(&dev->lock);
	msix_reset(dev, true);
	dev->intx_level = false;
	memcpy(dev->cfg, dev->cfg_reset, sizeof(dev->cfg));
	intx_update(dev);
	bars_update(dev);
	pthread_mutex_unlock(&dev->lock);
}

static int pci_init(struct vm *vm)
{
	struct platform_info *p = &vm->platform;

	pci.vm = vm;
	pci.cf8 = 0;
	pci.mmio_next = PCI_MMIO32_BASE;
	pci.io_next = PCI_PIO_BASE;
	memset(pci.intx_count, 0, sizeof(pci.intx_count));
	memset(pci.slot, 0, sizeof(pci.slot));
	pci.pio_addr = bus_register(BUS_PIO, 0xcf8, 4, &cf8_ops, NULL, "pci-cf8");
	pci.pio_data = bus_register(BUS_PIO, 0xcfc, 4, &cfc_ops, NULL, "pci-cfc");
	pci.ecam =
		bus_register(BUS_MMIO, PCI_ECAM_BASE, PCI_ECAM_SIZE, &ecam_ops, NULL, "pci-ecam");
	if (!pci.pio_addr || !pci.pio_data || !pci.ecam)
		return -EBUSY;
	pci_dev_init(&host_bridge, "pci-host", HOST_VENDOR, HOST_DEVICE, HOST_SUBSYS_VENDOR,
		     HOST_SUBSYS, HOST_CLASS, 0, 0);
	/* A host bridge neither decodes BARs nor masters nor interrupts. */
	put16(host_bridge.wmask + PCI_COMMAND, 0);
	host_bridge.wmask[PCI_INTERRUPT_LINE] = 0;
	pci_attach(vm, &host_bridge, 0);
	/* bios/acpi.c describes the root bridge (DSDT) and ECAM (MCFG). */
	p->pci_ecam_base = PCI_ECAM_BASE;
	return 0;
}

static void pci_reset(struct vm *vm)
{
	pthread_mutex_lock(&pci.lock);
	pci.cf8 = 0;
	pthread_mutex_unlock(&pci.lock);
	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++) {
		struct pci_dev *d = pci_find(0, s << 3);

		if (d)
			pci_dev_reset(d);
	}
}

/* Forget every function (vmm's exit, unit tests between cases). */
static void pci_shutdown(struct vm *vm)
{
	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++) {
		struct pci_dev *d = pci_find(0, s << 3);

		if (!d)
			continue;
		pthread_mutex_lock(&d->lock);
		msix_reset(d, false);
		d->intx_level = false;
		intx_update(d);
		for (int n = 0; n < PCI_MAX_BARS; n++) {
			bus_unregister(d->bar[n].region);
			d->bar[n].region = NULL;
			d->bar_mapped[n] = 0;
		}
		d->registered = false;
		pthread_mutex_unlock(&d->lock);
	}
	/* The slot table stays for --stats; pci_init() starts a new one. */
	pthread_mutex_lock(&pci.lock);
	bus_unregister(pci.pio_addr);
	bus_unregister(pci.pio_data);
	bus_unregister(pci.ecam);
	pci.pio_addr = pci.pio_data = pci.ecam = NULL;
	pthread_mutex_unlock(&pci.lock);
}

/* One line per function that interrupted (the host bridge never does). */
static void pci_print_stats(struct vm *vm, FILE *f)
{
	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++) {
		struct pci_dev *d = pci_find(0, s << 3);

		if (!d || (!d->intx_pin && !d->msix.nr))
			continue;
		pthread_mutex_lock(&d->lock);
		fprintf(f,
			"pci 00:%02x.0 %s: %" PRIu64 " MSI-X messages, %" PRIu64
			" held while masked, %" PRIu64 " INTx raises\n",
			s, d->name ? d->name : "?", d->stat_msix, d->stat_msix_held, d->stat_intx);
		pthread_mutex_unlock(&d->lock);
	}
}

struct device pci_device = {
	.name = "pci",
	.level = DEV_LEVEL_BUS,
	.init = pci_init,
	.reset = pci_reset,
	.shutdown = pci_shutdown,
	.print_stats = pci_print_stats,
};
device_init(pci_device);
