// SPDX-License-Identifier: GPL-2.0
/*
 * Kit virtio driver (see virtio.h): modern virtio-pci and virtio-mmio v2.
 * Runs at ring 3: every register access is an exit, ring memory is plain
 * memory shared with the device, ordered with fences as the spec asks.
 */
#include <linux/pci_regs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_pci.h>

#include "kit.h"
#include "virtio.h"

#define PCI_ADDR_PORT	       0xcf8
#define PCI_DATA_PORT	       0xcfc
#define VIRTIO_PCI_VENDOR      0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040
#define VIRTIO_MMIO_MAGIC      0x74726976 /* "virt" */

#define COMMON(d, field) ((d)->common + __builtin_offsetof(struct virtio_pci_common_cfg, field))

uint32_t kv_pci_read32(uint8_t devfn, uint16_t off)
{
	outl(0x80000000u | (uint32_t)devfn << 8 | (off & 0xfc), PCI_ADDR_PORT);
	return inl(PCI_DATA_PORT);
}

void kv_pci_write32(uint8_t devfn, uint16_t off, uint32_t v)
{
	outl(0x80000000u | (uint32_t)devfn << 8 | (off & 0xfc), PCI_ADDR_PORT);
	outl(v, PCI_DATA_PORT);
}

uint8_t kv_pci_read8(uint8_t devfn, uint16_t off)
{
	return kv_pci_read32(devfn, off) >> (8 * (off & 3));
}

/* The guest-physical address BAR @n decodes at (0: unassigned / I/O). */
uint64_t kv_pci_bar(uint8_t devfn, int n)
{
	uint32_t lo = kv_pci_read32(devfn, PCI_BASE_ADDRESS_0 + 4 * n);
	uint64_t addr;

	if (lo & PCI_BASE_ADDRESS_SPACE_IO)
		return 0;
	addr = lo & PCI_BASE_ADDRESS_MEM_MASK;
	if ((lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 && n < 5)
		addr |= (uint64_t)kv_pci_read32(devfn, PCI_BASE_ADDRESS_0 + 4 * (n + 1)) << 32;
	return addr;
}

/*
 * Firmware that leaves BARs unassigned (QEMU -M pc with qboot and -kernel):
 * place each memory BAR reading 0 ourselves, from "kit_pci_mem=" (default
 * 0xc0000000, inside both vmm's and QEMU's PCI hole), below 4 GiB.
 */
static uint64_t pci_next_mem;

void kv_pci_assign_bars(uint8_t devfn)
{
	if (!pci_next_mem)
		pci_next_mem = kit_cmdline_long("kit_pci_mem", 0xc0000000);
	for (int n = 0; n < 6; n++) {
		uint16_t reg = PCI_BASE_ADDRESS_0 + 4 * n;
		uint32_t lo = kv_pci_read32(devfn, reg), sz;
		bool is64 = (lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64;

		if (lo & PCI_BASE_ADDRESS_SPACE_IO) {
			continue;
		}
		if (kv_pci_bar(devfn, n)) {
			n += is64;
			continue;
		}
		kv_pci_write32(devfn, reg, 0xffffffff);
		sz = ~(kv_pci_read32(devfn, reg) & PCI_BASE_ADDRESS_MEM_MASK) + 1;
		kv_pci_write32(devfn, reg, lo);
		if (sz <= 1) { /* not implemented */
			n += is64;
			continue;
		}
		pci_next_mem = (pci_next_mem + sz - 1) & ~(uint64_t)(sz - 1);
		kv_pci_write32(devfn, reg, (uint32_t)pci_next_mem);
		if (is64)
			kv_pci_write32(devfn, reg + 4, 0);
		pci_next_mem += sz;
		n += is64;
	}
}

/* Read the virtio capabilities of @devfn into @d. */
static int pci_read_caps(struct kv_dev *d)
{
	uint8_t devfn = d->devfn;
	int guard = 0;
	uint8_t pos;

	if (!(kv_pci_read32(devfn, PCI_COMMAND) >> 16 & PCI_STATUS_CAP_LIST))
		return -1;
	d->common = d->notify = d->isr = d->devcfg = 0;
	for (pos = kv_pci_read8(devfn, PCI_CAPABILITY_LIST) & ~3; pos && guard < 48;
	     pos = kv_pci_read8(devfn, pos + 1) & ~3, guard++) {
		uint8_t id = kv_pci_read8(devfn, pos), type, bar;
		uint64_t addr;

		if (id != PCI_CAP_ID_VNDR)
			continue;
		type = kv_pci_read8(devfn, pos + VIRTIO_PCI_CAP_CFG_TYPE);
		bar = kv_pci_read8(devfn, pos + VIRTIO_PCI_CAP_BAR);
		if (bar > 5)
			continue;
		addr = kv_pci_bar(devfn, bar);
		if (!addr)
			continue;
		addr += kv_pci_read32(devfn, pos + VIRTIO_PCI_CAP_OFFSET);
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			if (!d->common)
				d->common = addr;
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			if (!d->notify) {
				d->notify = addr;
				d->notify_mult =
					kv_pci_read32(devfn, pos + VIRTIO_PCI_NOTIFY_CAP_MULT);
			}
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			if (!d->isr)
				d->isr = addr;
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			if (!d->devcfg)
				d->devcfg = addr;
			break;
		}
	}
	if (!d->common || !d->notify || !d->isr)
		return -1;
	if (d->common >= (1ULL << 32) || d->notify >= (1ULL << 32))
		kit_printf("KIT: virtio: BAR above 4 GiB is not mapped\n");
	return 0;
}

int kv_pci_find(struct kv_dev *d, uint16_t device_id, int index)
{
	memset(d, 0, sizeof(*d));
	for (int devfn = 0; devfn < 256; devfn++) {
		uint32_t id = kv_pci_read32(devfn, PCI_VENDOR_ID);
		uint32_t cmd;

		if ((id & 0xffff) != VIRTIO_PCI_VENDOR ||
		    (id >> 16) != (uint32_t)VIRTIO_PCI_DEVICE_BASE + device_id)
			continue;
		if (index-- > 0)
			continue;
		d->transport = KV_PCI;
		d->device_id = device_id;
		d->devfn = devfn;
		kv_pci_assign_bars(devfn);
		cmd = kv_pci_read32(devfn, PCI_COMMAND) & 0xffff;
		kv_pci_write32(devfn, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
		return pci_read_caps(d);
	}
	return -1;
}

int kv_mmio_find(struct kv_dev *d, uint16_t device_id, int index)
{
	uint64_t base = kit_cmdline_long("kit_vmmio", 0xd0000000);
	uint64_t stride = kit_cmdline_long("kit_vmmio_stride", 0x1000);
	long n = kit_cmdline_long("kit_vmmio_n", 8);

	memset(d, 0, sizeof(*d));
	for (long i = 0; i < n; i++) {
		uint64_t b = base + i * stride;

		if (mmio_read32(b + VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC ||
		    mmio_read32(b + VIRTIO_MMIO_VERSION) != 2 ||
		    mmio_read32(b + VIRTIO_MMIO_DEVICE_ID) != device_id)
			continue;
		if (index-- > 0)
			continue;
		d->transport = KV_MMIO;
		d->device_id = device_id;
		d->base = b;
		return 0;
	}
	return -1;
}

void kv_window(struct kv_dev *d, uint16_t device_id, uint8_t devfn, uint64_t common, uint64_t isr,
	       uint64_t devcfg, uint64_t notify, uint32_t notify_mult, uint8_t msix_first)
{
	memset(d, 0, sizeof(*d));
	d->transport = KV_PCI;
	d->device_id = device_id;
	d->devfn = devfn;
	d->common = common;
	d->isr = isr;
	d->devcfg = devcfg;
	d->notify = notify;
	d->notify_mult = notify_mult;
	d->msix_first = msix_first;
}

int kv_find(struct kv_dev *d, uint16_t device_id, int index)
{
	char t[8];

	if (kit_cmdline_get("kit_virtio", t, sizeof(t)) > 0 && !strcmp(t, "mmio"))
		return kv_mmio_find(d, device_id, index);
	return kv_pci_find(d, device_id, index);
}

uint8_t kv_status(struct kv_dev *d)
{
	if (d->transport == KV_PCI)
		return mmio_read8(COMMON(d, device_status));
	return mmio_read32(d->base + VIRTIO_MMIO_STATUS);
}

void kv_set_status(struct kv_dev *d, uint8_t status)
{
	if (d->transport == KV_PCI)
		mmio_write8(COMMON(d, device_status), status);
	else
		mmio_write32(d->base + VIRTIO_MMIO_STATUS, status);
}

void kv_reset(struct kv_dev *d)
{
	kv_set_status(d, 0);
	/* 4.1.4.3.2: the reset is complete when status reads 0. */
	for (int i = 0; i < 1000000 && kv_status(d); i++)
		cpu_relax();
	d->features = 0;
}

static uint32_t features_word(struct kv_dev *d, unsigned int word)
{
	if (d->transport == KV_PCI) {
		mmio_write32(COMMON(d, device_feature_select), word);
		return mmio_read32(COMMON(d, device_feature));
	}
	mmio_write32(d->base + VIRTIO_MMIO_DEVICE_FEATURES_SEL, word);
	return mmio_read32(d->base + VIRTIO_MMIO_DEVICE_FEATURES);
}

static void set_features_word(struct kv_dev *d, unsigned int word, uint32_t v)
{
	if (d->transport == KV_PCI) {
		mmio_write32(COMMON(d, guest_feature_select), word);
		mmio_write32(COMMON(d, guest_feature), v);
	} else {
		mmio_write32(d->base + VIRTIO_MMIO_DRIVER_FEATURES_SEL, word);
		mmio_write32(d->base + VIRTIO_MMIO_DRIVER_FEATURES, v);
	}
}

uint64_t kv_device_features(struct kv_dev *d)
{
	return features_word(d, 0) | (uint64_t)features_word(d, 1) << 32;
}

int kv_init(struct kv_dev *d, uint64_t want)
{
	uint64_t offered, f;

	kv_reset(d);
	if (kv_status(d))
		return -1;
	kv_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	kv_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	offered = kv_device_features(d);
	if (!(offered & (1ULL << VIRTIO_F_VERSION_1)))
		return -1;
	f = (offered & want) | (1ULL << VIRTIO_F_VERSION_1);
	set_features_word(d, 0, (uint32_t)f);
	set_features_word(d, 1, f >> 32);
	kv_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				 VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(kv_status(d) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -1;
	d->features = f;
	return 0;
}

static void write64(uint64_t lo_addr, uint64_t v)
{
	mmio_write32(lo_addr, (uint32_t)v);
	mmio_write32(lo_addr + 4, v >> 32);
}

int kv_queue_init(struct kv_dev *d, struct kv_queue *q, unsigned int index, uint16_t size)
{
	return kv_queue_init_at(d, q, index, size, 0, 0, 0);
}

int kv_queue_init_at(struct kv_dev *d, struct kv_queue *q, unsigned int index, uint16_t size,
		     uint64_t desc, uint64_t avail, uint64_t used)
{
	uint16_t max;

	memset(q, 0, sizeof(*q));
	q->dev = d;
	q->index = index;
	if (d->transport == KV_PCI) {
		mmio_write16(COMMON(d, queue_select), index);
		max = mmio_read16(COMMON(d, queue_size));
	} else {
		mmio_write32(d->base + VIRTIO_MMIO_QUEUE_SEL, index);
		max = mmio_read32(d->base + VIRTIO_MMIO_QUEUE_NUM_MAX);
	}
	if (!max)
		return -1;
	if (size > max)
		size = max;
	if (size > KV_MAX_QUEUE)
		size = KV_MAX_QUEUE;
	/* A power of two, as split rings need. */
	while (size & (size - 1))
		size &= size - 1;
	q->size = size;
	q->desc = (struct vring_desc *)q->ring_mem[0];
	q->avail = (struct vring_avail *)q->ring_mem[1];
	q->used = (struct vring_used *)(q->ring_mem[1] + 1024);
	for (uint16_t i = 0; i < size; i++)
		q->desc[i].next = i + 1;
	q->free_head = 0;
	q->nr_free = size;
	if (!desc) {
		desc = (uint64_t)q->desc;
		avail = (uint64_t)q->avail;
		used = (uint64_t)q->used;
	}

	if (d->transport == KV_PCI) {
		mmio_write16(COMMON(d, queue_size), size);
		write64(COMMON(d, queue_desc_lo), desc);
		write64(COMMON(d, queue_avail_lo), avail);
		write64(COMMON(d, queue_used_lo), used);
		q->notify_addr = d->notify + (uint64_t)mmio_read16(COMMON(d, queue_notify_off)) *
						     d->notify_mult;
		mmio_write16(COMMON(d, queue_enable), 1);
	} else {
		mmio_write32(d->base + VIRTIO_MMIO_QUEUE_NUM, size);
		write64(d->base + VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
		write64(d->base + VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail);
		write64(d->base + VIRTIO_MMIO_QUEUE_USED_LOW, used);
		q->notify_addr = d->base + VIRTIO_MMIO_QUEUE_NOTIFY;
		mmio_write32(d->base + VIRTIO_MMIO_QUEUE_READY, 1);
	}
	return 0;
}

int kv_driver_ok(struct kv_dev *d)
{
	uint8_t s;

	kv_set_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				 VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	s = kv_status(d);
	return (s & (VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)) ? -1 : 0;
}

uint64_t kv_cfg_read(struct kv_dev *d, uint32_t off, unsigned int len)
{
	uint64_t a = (d->transport == KV_PCI ? d->devcfg : d->base + VIRTIO_MMIO_CONFIG) + off;

	switch (len) {
	case 1: return mmio_read8(a);
	case 2: return mmio_read16(a);
	case 4: return mmio_read32(a);
	default: return mmio_read32(a) | (uint64_t)mmio_read32(a + 4) << 32;
	}
}

void kv_cfg_write(struct kv_dev *d, uint32_t off, uint64_t val, unsigned int len)
{
	uint64_t a = (d->transport == KV_PCI ? d->devcfg : d->base + VIRTIO_MMIO_CONFIG) + off;

	switch (len) {
	case 1: mmio_write8(a, val); break;
	case 2: mmio_write16(a, val); break;
	case 4: mmio_write32(a, val); break;
	default: write64(a, val); break;
	}
}

void kv_publish(struct kv_queue *q, uint16_t head)
{
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	q->avail_idx++;
	/* The ring entry (and the descriptors) before the index (2.7.13). */
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

int kv_submit(struct kv_queue *q, const struct kv_buf *bufs, int n_out, int n_in)
{
	int n = n_out + n_in;
	uint16_t head = q->free_head, i = head, last = head;

	if (n <= 0 || n > q->nr_free)
		return -1;
	for (int k = 0; k < n; k++) {
		struct vring_desc *dsc = &q->desc[i];

		dsc->addr = (uint64_t)bufs[k].addr;
		dsc->len = bufs[k].len;
		dsc->flags =
			(k < n_out ? 0 : VRING_DESC_F_WRITE) | (k + 1 < n ? VRING_DESC_F_NEXT : 0);
		last = i;
		i = dsc->next;
	}
	q->free_head = i;
	q->nr_free -= n;
	q->desc[last].flags &= ~VRING_DESC_F_NEXT;
	q->chain_len[head] = n;
	kv_publish(q, head);
	return head;
}

void kv_notify(struct kv_dev *d, unsigned int index)
{
	if (d->transport == KV_PCI) {
		uint64_t off;

		mmio_write16(COMMON(d, queue_select), index);
		off = mmio_read16(COMMON(d, queue_notify_off));
		mmio_write16(d->notify + off * d->notify_mult, index);
	} else {
		mmio_write32(d->base + VIRTIO_MMIO_QUEUE_NOTIFY, index);
	}
}

void kv_kick(struct kv_queue *q)
{
	uint16_t old = q->kicked_idx, new = q->avail_idx;
	bool need;

	/* avail->idx must be visible before we read the device's wishes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (q->dev->features & (1ULL << VIRTIO_RING_F_EVENT_IDX)) {
		uint16_t event = *(volatile uint16_t *)((uintptr_t)q->used + 4 + 8 * q->size);

		need = vring_need_event(event, new, old);
	} else {
		need = !(*(volatile uint16_t *)&q->used->flags & VRING_USED_F_NO_NOTIFY);
	}
	q->kicked_idx = new;
	if (!need)
		return;
	if (q->dev->transport == KV_PCI)
		mmio_write16(q->notify_addr, q->index);
	else
		mmio_write32(q->notify_addr, q->index);
}

int kv_poll(struct kv_queue *q, uint32_t *len)
{
	uint16_t idx = __atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE);
	struct vring_used_elem *u;
	uint32_t id;
	uint16_t n, i;

	if (idx == q->last_used)
		return -1;
	u = &q->used->ring[q->last_used & (q->size - 1)];
	id = u->id;
	if (len)
		*len = u->len;
	q->last_used++;
	/* EVENT_IDX: interrupt again for the next entry. */
	*(volatile uint16_t *)&q->avail->ring[q->size] = q->last_used;
	if (id >= q->size) {
		kit_printf("KIT: virtio: used id %u out of range\n", id);
		return -1;
	}
	/* Give the chain's descriptors back (a hand-built chain has none to give). */
	n = q->chain_len[id];
	if (!n)
		return id;
	q->chain_len[id] = 0;
	q->nr_free += n;
	for (i = id; n > 1; n--)
		i = q->desc[i].next;
	q->desc[i].next = q->free_head;
	q->free_head = id;
	return id;
}

int kv_wait(struct kv_queue *q, uint32_t *len, uint64_t timeout_us)
{
	uint64_t end = kit_now_us() + timeout_us;
	int r;

	while ((r = kv_poll(q, len)) < 0) {
		if (kit_now_us() > end)
			return -1;
		if (q->dev->msix || q->dev->intx)
			kit_irq_poll();
		cpu_relax();
	}
	return r;
}

uint8_t kv_isr(struct kv_dev *d)
{
	uint32_t v;

	if (d->transport == KV_PCI)
		return mmio_read8(d->isr);
	v = mmio_read32(d->base + VIRTIO_MMIO_INTERRUPT_STATUS);
	if (v)
		mmio_write32(d->base + VIRTIO_MMIO_INTERRUPT_ACK, v);
	return v;
}

/* MSI-X: table entry (vector - KV_MSIX_VECTOR) -> queue whose count it bumps. */
#define KV_MSIX_ENTRIES 32
static struct kv_queue *msix_queue[KV_MSIX_ENTRIES];

static void msix_irq(int vector)
{
	int i = vector - KV_MSIX_VECTOR;

	if (i >= 0 && i < KV_MSIX_ENTRIES && msix_queue[i])
		msix_queue[i]->irqs++;
}

int kv_msix_enable(struct kv_dev *d, struct kv_queue **qs, int nr)
{
	uint8_t pos;
	int guard = 0;

	unsigned int first = d->msix_first;

	if (d->transport != KV_PCI || first + nr + 1 > KV_MSIX_ENTRIES)
		return -1;
	for (pos = kv_pci_read8(d->devfn, PCI_CAPABILITY_LIST) & ~3; pos && guard < 48;
	     pos = kv_pci_read8(d->devfn, pos + 1) & ~3, guard++) {
		uint32_t ctl, tbl;
		unsigned int n;

		if (kv_pci_read8(d->devfn, pos) != PCI_CAP_ID_MSIX)
			continue;
		ctl = kv_pci_read32(d->devfn, pos);
		n = (ctl >> 16 & PCI_MSIX_FLAGS_QSIZE) + 1;
		if (first + nr + 1 > n)
			return -1;
		tbl = kv_pci_read32(d->devfn, pos + PCI_MSIX_TABLE);
		d->msix_table = kv_pci_bar(d->devfn, tbl & PCI_MSIX_TABLE_BIR) +
				(tbl & PCI_MSIX_TABLE_OFFSET);
		for (unsigned int v = first; v <= first + nr; v++) {
			uint64_t e = d->msix_table + 16 * v;

			mmio_write32(e + PCI_MSIX_ENTRY_LOWER_ADDR, 0xfee00000u | kit_lapic_id()
											  << 12);
			mmio_write32(e + PCI_MSIX_ENTRY_UPPER_ADDR, 0);
			mmio_write32(e + PCI_MSIX_ENTRY_DATA, KV_MSIX_VECTOR + v);
			mmio_write32(e + PCI_MSIX_ENTRY_VECTOR_CTRL, 0);
			kit_irq_handler(KV_MSIX_VECTOR + v, msix_irq);
		}
		kv_pci_write32(d->devfn, pos, ctl | (uint32_t)PCI_MSIX_FLAGS_ENABLE << 16);
		mmio_write16(COMMON(d, msix_config), first);
		if (mmio_read16(COMMON(d, msix_config)) != first)
			return -1;
		for (unsigned int i = 0; i < (unsigned int)nr; i++) {
			msix_queue[first + 1 + i] = qs[i];
			mmio_write16(COMMON(d, queue_select), qs[i]->index);
			mmio_write16(COMMON(d, queue_msix_vector), first + 1 + i);
			if (mmio_read16(COMMON(d, queue_msix_vector)) != first + 1 + i)
				return -1;
		}
		d->msix = true;
		kit_sti();
		return 0;
	}
	return -1;
}

/* INTx / virtio-mmio interrupt: the device and queues it counts for. */
static struct kv_dev *intx_dev;
static struct kv_queue *intx_queue[8];
static int intx_nr;

static void intx_irq(int vector)
{
	uint8_t isr;

	if (!intx_dev)
		return;
	isr = kv_isr(intx_dev); /* reading clears it and lowers the line */
	intx_dev->isr_seen |= isr;
	if (isr & 1)
		for (int i = 0; i < intx_nr; i++)
			intx_queue[i]->irqs++;
}

int kv_intx_enable(struct kv_dev *d, struct kv_queue **qs, int nr)
{
	int gsi;

	if (nr > 8)
		return -1;
	if (d->transport == KV_PCI) {
		gsi = kv_pci_read32(d->devfn, PCI_INTERRUPT_LINE) & 0xff;
		if (!gsi || gsi == 0xff)
			return -1;
	} else {
		uint64_t base = kit_cmdline_long("kit_vmmio", 0xd0000000);
		uint64_t stride = kit_cmdline_long("kit_vmmio_stride", 0x1000);

		gsi = kit_cmdline_long("kit_vmmio_gsi", 20) + (d->base - base) / stride % 4;
	}
	intx_dev = d;
	intx_nr = nr;
	for (int i = 0; i < nr; i++)
		intx_queue[i] = qs[i];
	kit_irq_handler(KV_INTX_VECTOR, intx_irq);
	if (kit_ioapic_route(gsi, KV_INTX_VECTOR))
		return -1;
	d->intx = true;
	kit_sti();
	return 0;
}

int kv_blk_request(struct kv_queue *q, uint32_t type, uint64_t sector, void *buf, uint32_t len,
		   uint64_t timeout_us)
{
	static struct virtio_blk_outhdr hdr;
	static volatile uint8_t status;
	struct kv_buf b[3];
	int n = 0, n_out, head;
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;

	hdr.type = type;
	hdr.ioprio = 0;
	hdr.sector = sector;
	status = 0xee;
	b[n++] = (struct kv_buf){ &hdr, sizeof(hdr) };
	if (len && !in)
		b[n++] = (struct kv_buf){ buf, len };
	n_out = n;
	if (len && in)
		b[n++] = (struct kv_buf){ buf, len };
	b[n++] = (struct kv_buf){ (void *)&status, 1 };
	head = kv_submit(q, b, n_out, n - n_out);
	if (head < 0)
		return -1;
	kv_kick(q);
	if (kv_wait(q, NULL, timeout_us) != head)
		return -1;
	return status;
}
