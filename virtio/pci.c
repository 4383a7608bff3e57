// SPDX-License-Identifier: GPL-2.0
/*
 * Modern virtio-pci (virtio 1.x, 4.1): vendor 0x1af4, device 0x1040 + id,
 * revision 1. Everything lives in one 32-bit memory BAR (BAR 0), one
 * structure per 4 KiB page so a driver may map each on its own:
 *
 *	0x0000	common configuration (struct virtio_pci_common_cfg)
 *	0x1000	ISR status (read clears it and lowers INTx)
 *	0x2000	device-specific configuration
 *	0x3000	notifications: queue q's doorbell at q * 4 (multiplier 4)
 *	0x4000	MSI-X table (nr_queues + 1 vectors), 0x5000 PBA
 *
 * A doorbell is a KVM_IOEVENTFD on the queue's eventfd (no datamatch: the
 * address names the queue), moved when the guest moves the BAR. Writes KVM
 * does not match (a 4-byte write, a doorbell past the last queue, no
 * ioeventfd support) trap here and go the same way or are reported.
 *
 * The VIRTIO_PCI_CAP_PCI_CFG window reaches the same BAR from config space.
 *
 * Interrupts: MSI-X when the driver enabled it (config vector and one per
 * queue, VIRTIO_MSI_NO_VECTOR = none), else INTx A held while ISR != 0.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>
#include <linux/virtio_pci.h>

#include "cpu/vm.h"
#include "devices/pci.h"
#include "virtio/transport.h"
#include "virtio/virtio.h"

#define VPCI_VENDOR	 0x1af4
#define VPCI_DEVICE_BASE 0x1040
#define VPCI_SUBSYS	 0x1100 /* as QEMU's */
#define VPCI_BAR	 0
#define VPCI_BAR_SIZE	 0x8000
#define VPCI_COMMON	 0x0000
#define VPCI_ISR	 0x1000
#define VPCI_DEVCFG	 0x2000
#define VPCI_NOTIFY	 0x3000
#define VPCI_NOTIFY_MULT 4
#define VPCI_MSIX_TABLE	 0x4000
#define VPCI_MSIX_PBA	 0x5000
#define VPCI_REGION_SIZE 0x1000

struct vpci {
	struct pci_dev pci;
	struct virtio_dev *vdev;
	struct vpci_common regs; /* common configuration state */
	/* Orders ISR changes with the INTx level (nests inside vdev->lock). */
	pthread_mutex_t irq_lock;
	uint64_t ioeventfd_addr; /* where the doorbells are registered, 0 = none */
	bool ioeventfd_failed;
	unsigned int cfg_cap; /* offset of the VIRTIO_PCI_CAP_PCI_CFG capability */
	char name[32];
};

/* ------------------------------------------------------------------ */
/* Interrupts                                                          */

static void intx_update(struct vpci *p)
{
	pthread_mutex_lock(&p->irq_lock);
	pci_intx_set(&p->pci, !pci_msix_enabled(&p->pci) &&
				      __atomic_load_n(&p->vdev->isr, __ATOMIC_ACQUIRE));
	pthread_mutex_unlock(&p->irq_lock);
}

static void vpci_notify_queue(struct virtio_dev *vdev, unsigned int q)
{
	struct vpci *p = vdev->transport_priv;

	if (pci_msix_enabled(&p->pci)) {
		uint16_t v = __atomic_load_n(&vdev->vqs[q].msix_vector, __ATOMIC_RELAXED);

		if (v != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(&p->pci, v);
		return;
	}
	intx_update(p);
}

static void vpci_notify_config(struct virtio_dev *vdev)
{
	struct vpci *p = vdev->transport_priv;

	if (pci_msix_enabled(&p->pci)) {
		uint16_t v = __atomic_load_n(&p->regs.msix_config, __ATOMIC_RELAXED);

		if (v != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(&p->pci, v);
		return;
	}
	intx_update(p);
}

static void vpci_reset(struct virtio_dev *vdev)
{
	struct vpci *p = vdev->transport_priv;

	vpci_common_reset(&p->regs);
	intx_update(p);
}

static const struct virtio_transport_ops vpci_tops = {
	.notify_queue = vpci_notify_queue,
	.notify_config = vpci_notify_config,
	.reset = vpci_reset,
};

/* ------------------------------------------------------------------ */
/* The BAR                                                             */

static uint64_t bar_read(void *opaque, uint64_t off, unsigned int len)
{
	struct vpci *p = opaque;
	struct virtio_dev *vdev = p->vdev;
	uint64_t val = 0;

	if (off >= VPCI_MSIX_TABLE)
		return pci_msix_read(&p->pci, off, len);
	if (off >= VPCI_ISR && off < VPCI_ISR + VPCI_REGION_SIZE) {
		if (off != VPCI_ISR)
			return 0;
		/* 4.1.4.5: reading clears it, and the INTx line with it. */
		pthread_mutex_lock(&p->irq_lock);
		val = __atomic_exchange_n(&vdev->isr, 0, __ATOMIC_ACQ_REL);
		pci_intx_set(&p->pci, false);
		pthread_mutex_unlock(&p->irq_lock);
		return val;
	}
	pthread_mutex_lock(&vdev->lock);
	if (off < VPCI_COMMON + VPCI_REGION_SIZE) {
		val = vpci_common_read(&p->regs, off - VPCI_COMMON, len);
	} else if (off >= VPCI_DEVCFG && off < VPCI_DEVCFG + VPCI_REGION_SIZE) {
		uint64_t c = off - VPCI_DEVCFG;

		if (c + len <= vdev->config_size && vdev->ops->config_read)
			vdev->ops->config_read(vdev, c, &val, len);
	}
	pthread_mutex_unlock(&vdev->lock);
	return val;
}

static void bar_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct vpci *p = opaque;
	struct virtio_dev *vdev = p->vdev;

	if (off >= VPCI_MSIX_TABLE) {
		pci_msix_write(&p->pci, off, val, len);
		return;
	}
	if (off >= VPCI_NOTIFY && off < VPCI_NOTIFY + VPCI_REGION_SIZE) {
		/* A doorbell KVM did not take (or no ioeventfd): same effect. */
		virtio_trapped_notify(vdev, (off - VPCI_NOTIFY) / VPCI_NOTIFY_MULT);
		return;
	}
	pthread_mutex_lock(&vdev->lock);
	if (off < VPCI_COMMON + VPCI_REGION_SIZE) {
		vpci_common_write(&p->regs, off - VPCI_COMMON, val, len);
	} else if (off >= VPCI_DEVCFG && off < VPCI_DEVCFG + VPCI_REGION_SIZE) {
		uint64_t c = off - VPCI_DEVCFG;

		if (c + len <= vdev->config_size && vdev->ops->config_write)
			vdev->ops->config_write(vdev, c, &val, len);
	}
	pthread_mutex_unlock(&vdev->lock);
}

static const struct bus_ops vpci_bar_ops = {
	.read = bar_read,
	.write = bar_write,
};

/* ------------------------------------------------------------------ */
/* Doorbells through KVM_IOEVENTFD                                     */

static int ioeventfd(struct vpci *p, uint64_t bar_addr, unsigned int q, bool assign)
{
	struct kvm_ioeventfd io = {
		.addr = bar_addr + VPCI_NOTIFY + q * VPCI_NOTIFY_MULT,
		.len = 2, /* the driver writes the 16-bit queue index (4.1.4.4) */
		.fd = p->vdev->kick_fd[q],
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(p->vdev->vm->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

/* devices/pci.c, dev->lock held: the BAR moved (@addr) or stopped decoding (0). */
static void vpci_bar_remap(struct pci_dev *dev, int bar, uint64_t addr)
{
	struct vpci *p = dev->priv;
	unsigned int nq = p->vdev->nr_queues;

	if (bar != VPCI_BAR || addr == p->ioeventfd_addr)
		return;
	if (p->ioeventfd_addr)
		for (unsigned int q = 0; q < nq; q++)
			ioeventfd(p, p->ioeventfd_addr, q, false);
	p->ioeventfd_addr = 0;
	if (!addr || p->ioeventfd_failed)
		return;
	for (unsigned int q = 0; q < nq; q++) {
		int ret = ioeventfd(p, addr, q, true);

		if (ret < 0) {
			fprintf(stderr, "vmm: %s: no KVM_IOEVENTFD (%s); notifications trap\n",
				p->vdev->name, strerror(-ret));
			while (q--)
				ioeventfd(p, addr, q, false);
			p->ioeventfd_failed = true;
			return;
		}
	}
	p->ioeventfd_addr = addr;
}

/* ------------------------------------------------------------------ */
/* VIRTIO_PCI_CAP_PCI_CFG: the BAR through configuration space (4.1.4.9) */

static uint32_t get32(const uint8_t *b)
{
	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

/*
 * devices/pci.c, dev->lock held: before a read of / after a write to
 * config bytes [off, off + len). An access touching pci_cfg_data goes to
 * the BAR at the window's offset, with the window's length (1, 2 or 4).
 * The BAR's handlers take vdev->lock, which is taken before dev->lock
 * elsewhere, so dev->lock is dropped around the access.
 */
static void vpci_cfg_hook(struct pci_dev *dev, unsigned int off, unsigned int len, bool is_write)
{
	struct vpci *p = dev->priv;
	unsigned int data = p->cfg_cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	const uint8_t *cap = dev->cfg + p->cfg_cap;
	uint32_t bar_off, n;
	uint64_t val = 0;
	uint8_t bar;

	if (!p->cfg_cap || off + len <= data || off >= data + 4)
		return;
	bar = cap[offsetof(struct virtio_pci_cap, bar)];
	bar_off = get32(cap + offsetof(struct virtio_pci_cap, offset));
	n = get32(cap + offsetof(struct virtio_pci_cap, length));
	if (bar != VPCI_BAR || (n != 1 && n != 2 && n != 4) || bar_off > VPCI_BAR_SIZE - n ||
	    (bar_off & (n - 1)))
		return; /* 4.1.4.9.1: an access the device does not support: no effect */
	if (is_write)
		memcpy(&val, dev->cfg + data, n);
	pthread_mutex_unlock(&dev->lock);
	if (is_write)
		bar_write(p, bar_off, val, n);
	else
		val = bar_read(p, bar_off, n);
	pthread_mutex_lock(&dev->lock);
	if (!is_write)
		memcpy(dev->cfg + data, &val, n);
}

/* ------------------------------------------------------------------ */
/* Creation                                                            */

static uint32_t class_of(uint32_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_BLOCK: return 0x010000;	 /* mass storage (QEMU: SCSI) */
	case VIRTIO_ID_NET: return 0x020000;	 /* ethernet */
	case VIRTIO_ID_CONSOLE: return 0x078000; /* communication, other */
	default: return 0xff0000;		 /* unclassified (QEMU: "others") */
	}
}

static int add_cap(struct vpci *p, uint8_t type, uint32_t off, uint32_t len)
{
	struct virtio_pci_cap cap = {
		.cap_vndr = PCI_CAP_ID_VNDR,
		.cap_len = sizeof(cap),
		.cfg_type = type,
		.bar = VPCI_BAR,
		.offset = off,
		.length = len,
	};

	return pci_add_cap(&p->pci, &cap, sizeof(cap), NULL);
}

static int add_caps(struct vpci *p)
{
	struct virtio_dev *vdev = p->vdev;
	struct virtio_pci_notify_cap ncap = {
		.cap = {
			.cap_vndr = PCI_CAP_ID_VNDR,
			.cap_len = sizeof(ncap),
			.cfg_type = VIRTIO_PCI_CAP_NOTIFY_CFG,
			.bar = VPCI_BAR,
			.offset = VPCI_NOTIFY,
			.length = vdev->nr_queues * VPCI_NOTIFY_MULT,
		},
		.notify_off_multiplier = VPCI_NOTIFY_MULT,
	};
	struct virtio_pci_cfg_cap ccap = {
		.cap = {
			.cap_vndr = PCI_CAP_ID_VNDR,
			.cap_len = sizeof(ccap),
			.cfg_type = VIRTIO_PCI_CAP_PCI_CFG,
		},
	};
	uint8_t cmask[sizeof(ccap)] = { 0 };
	int ret;

	/* The PCI_CFG window's bar, offset, length and data are the driver's. */
	cmask[offsetof(struct virtio_pci_cap, bar)] = 0xff;
	memset(cmask + offsetof(struct virtio_pci_cap, offset), 0xff, 8);
	memset(cmask + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), 0xff, 4);

	ret = add_cap(p, VIRTIO_PCI_CAP_COMMON_CFG, VPCI_COMMON,
		      sizeof(struct virtio_pci_common_cfg));
	if (ret >= 0)
		ret = add_cap(p, VIRTIO_PCI_CAP_ISR_CFG, VPCI_ISR, 1);
	if (ret >= 0 && vdev->config_size)
		ret = add_cap(p, VIRTIO_PCI_CAP_DEVICE_CFG, VPCI_DEVCFG, vdev->config_size);
	if (ret >= 0)
		ret = pci_add_cap(&p->pci, &ncap, sizeof(ncap), NULL);
	if (ret >= 0) {
		ret = pci_add_cap(&p->pci, &ccap, sizeof(ccap), cmask);
		p->cfg_cap = ret;
	}
	if (ret >= 0)
		ret = pci_add_msix(&p->pci, p->regs.nr_vectors, VPCI_BAR, VPCI_MSIX_TABLE,
				   VPCI_MSIX_PBA);
	return ret < 0 ? ret : 0;
}

int virtio_pci_create(struct vm *vm, struct virtio_dev *vdev)
{
	struct vpci *p;
	int ret;

	if (vdev->config_size > VPCI_REGION_SIZE)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->vdev = vdev;
	vpci_common_init(&p->regs, vdev, vdev->nr_queues + 1);
	pthread_mutex_init(&p->irq_lock, NULL);
	snprintf(p->name, sizeof(p->name), "%s", vdev->name);
	pci_dev_init(&p->pci, p->name, VPCI_VENDOR, VPCI_DEVICE_BASE + vdev->device_id, VPCI_VENDOR,
		     VPCI_SUBSYS, class_of(vdev->device_id), 1, 1);
	p->pci.priv = p;
	p->pci.bar_remap = vpci_bar_remap;
	p->pci.cfg_hook = vpci_cfg_hook;
	ret = pci_add_bar(&p->pci, VPCI_BAR, PCI_BAR_MEM32, VPCI_BAR_SIZE, &vpci_bar_ops, p);
	if (!ret)
		ret = add_caps(p);
	if (ret < 0)
		goto fail;
	vdev->tops = &vpci_tops;
	vdev->transport_priv = p;
	ret = pci_register(vm, &p->pci);
	if (ret < 0) {
		vdev->tops = NULL;
		vdev->transport_priv = NULL;
		goto fail;
	}
	return 0;
fail:
	fprintf(stderr, "vmm: %s: cannot create the PCI function: %s\n", vdev->name,
		strerror(-ret));
	free(p);
	return ret;
}
