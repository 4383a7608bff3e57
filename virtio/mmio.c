// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mmio, version 2 (virtio 1.x, 4.2): device n at 0xd0000000 +
 * n * 0x1000, interrupt on GSI 20 + n % 4, level-triggered and shared
 * (a wired-OR of the devices on it), held while the interrupt status is
 * not 0 and lowered by InterruptACK. Described in the DSDT as LNRO0005
 * (Linux's virtio_mmio ACPI match), since a Debian kernel has neither a
 * device tree nor virtio_mmio.device= support.
 *
 * QueueNotify is a KVM_IOEVENTFD per queue (datamatch on the queue index):
 * a kick never leaves the kernel. A write no ioeventfd matches (a bad
 * index) is trapped here and reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>
#include <linux/virtio_mmio.h>

#include "bios/aml.h"
#include "bios/tables.h"
#include "cpu/vm.h"
#include "mmio/bus.h"
#include "virtio/transport.h"
#include "virtio/virtio.h"

#define VMMIO_BASE     0xd0000000ULL
#define VMMIO_SIZE     0x1000
#define VMMIO_MAX      8
#define VMMIO_GSI_BASE 20
#define VMMIO_GSIS     4
#define VMMIO_MAGIC    0x74726976 /* "virt" */
#define VMMIO_VENDOR   0x004d4d56 /* "VMM" */

struct vmmio {
	struct virtio_dev *vdev;
	unsigned int n;
	uint64_t base;
	unsigned int gsi;
	uint32_t dev_feat_sel, drv_feat_sel, queue_sel;
	bool line; /* this device holds its GSI high */
	bool ioeventfd;
	struct bus_region *region;
};

static struct vmmio *vmmios[VMMIO_MAX];
static unsigned int nr_vmmios;

/* The wired-OR of each shared GSI. Nests inside vdev->lock. */
static pthread_mutex_t gsi_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int gsi_users[VMMIO_GSIS];

/* Drive the line from the interrupt status as it is now (any thread). */
static void irq_update(struct vmmio *m)
{
	unsigned int g = m->gsi - VMMIO_GSI_BASE;
	bool level, was;

	pthread_mutex_lock(&gsi_lock);
	level = __atomic_load_n(&m->vdev->isr, __ATOMIC_ACQUIRE) != 0;
	if (level != m->line) {
		m->line = level;
		was = gsi_users[g] != 0;
		gsi_users[g] += level ? 1 : -1;
		if (was != (gsi_users[g] != 0))
			vm_irq_line(m->vdev->vm, m->gsi, gsi_users[g] != 0);
	}
	pthread_mutex_unlock(&gsi_lock);
}

static void mmio_notify(struct virtio_dev *vdev, unsigned int q)
{
	irq_update(vdev->transport_priv);
}

static void mmio_notify_config(struct virtio_dev *vdev)
{
	irq_update(vdev->transport_priv);
}

static const struct virtio_transport_ops mmio_tops = {
	.notify_queue = mmio_notify,
	.notify_config = mmio_notify_config,
	.reset = mmio_notify_config,
};

static struct virtqueue *sel_vq(struct vmmio *m)
{
	return m->queue_sel < m->vdev->nr_queues ? &m->vdev->vqs[m->queue_sel] : NULL;
}

static uint32_t reg_read(struct vmmio *m, uint64_t off)
{
	struct virtio_dev *vdev = m->vdev;
	struct virtqueue *vq = sel_vq(m);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE: return VMMIO_MAGIC;
	case VIRTIO_MMIO_VERSION: return 2;
	case VIRTIO_MMIO_DEVICE_ID: return vdev->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VMMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES: return virtio_get_host_features(vdev, m->dev_feat_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return vq ? vdev->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_READY: return vq ? vq->ready : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS: return __atomic_load_n(&vdev->isr, __ATOMIC_ACQUIRE);
	case VIRTIO_MMIO_STATUS: return virtio_status(vdev);
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&vdev->config_generation, __ATOMIC_ACQUIRE);
	case VIRTIO_MMIO_QUEUE_DESC_LOW: return vq ? (uint32_t)vq->desc_gpa : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: return vq ? vq->desc_gpa >> 32 : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: return vq ? (uint32_t)vq->avail_gpa : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH: return vq ? vq->avail_gpa >> 32 : 0;
	case VIRTIO_MMIO_QUEUE_USED_LOW: return vq ? (uint32_t)vq->used_gpa : 0;
	case VIRTIO_MMIO_QUEUE_USED_HIGH: return vq ? vq->used_gpa >> 32 : 0;
	default: return 0;
	}
}

static void set_lo(uint64_t *v, uint32_t val)
{
	*v = (*v & ~0xffffffffULL) | val;
}

static void set_hi(uint64_t *v, uint32_t val)
{
	*v = (*v & 0xffffffffULL) | (uint64_t)val << 32;
}

static void reg_write(struct vmmio *m, uint64_t off, uint32_t val)
{
	struct virtio_dev *vdev = m->vdev;
	struct virtqueue *vq = sel_vq(m);
	/* 4.2.2.3: queue registers are written only while the queue is not ready. */
	struct virtqueue *wq = vq && !vq->ready ? vq : NULL;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: m->dev_feat_sel = val; break;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		virtio_set_driver_features(vdev, m->drv_feat_sel, val);
		break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: m->drv_feat_sel = val; break;
	case VIRTIO_MMIO_QUEUE_SEL: m->queue_sel = val; break;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (wq)
			wq->size = val > 0xffff ? 0 : val;
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		if (vq && (val & 1))
			virtio_queue_enable(vdev, m->queue_sel);
		else if (vq && !(virtio_status(vdev) & VIRTIO_CONFIG_S_DRIVER_OK))
			vq->ready = false;
		break;
	case VIRTIO_MMIO_QUEUE_NOTIFY: virtio_trapped_notify(vdev, val); break;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&vdev->isr, ~val, __ATOMIC_ACQ_REL);
		irq_update(m);
		break;
	case VIRTIO_MMIO_STATUS: virtio_set_status(vdev, val); break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		if (wq)
			set_lo(&wq->desc_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		if (wq)
			set_hi(&wq->desc_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		if (wq)
			set_lo(&wq->avail_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		if (wq)
			set_hi(&wq->avail_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		if (wq)
			set_lo(&wq->used_gpa, val);
		break;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		if (wq)
			set_hi(&wq->used_gpa, val);
		break;
	default: break; /* read-only or unknown: ignored */
	}
}

static uint64_t vmmio_read(void *opaque, uint64_t off, unsigned int len)
{
	struct vmmio *m = opaque;
	struct virtio_dev *vdev = m->vdev;
	uint64_t val = 0;

	pthread_mutex_lock(&vdev->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t c = off - VIRTIO_MMIO_CONFIG;

		if (c + len <= vdev->config_size && vdev->ops->config_read)
			vdev->ops->config_read(vdev, c, &val, len);
	} else if (len == 4 && !(off & 3)) {
		val = reg_read(m, off);
	}
	pthread_mutex_unlock(&vdev->lock);
	return val;
}

static void vmmio_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct vmmio *m = opaque;
	struct virtio_dev *vdev = m->vdev;

	pthread_mutex_lock(&vdev->lock);
	if (off >= VIRTIO_MMIO_CONFIG) {
		uint64_t c = off - VIRTIO_MMIO_CONFIG;

		if (c + len <= vdev->config_size && vdev->ops->config_write)
			vdev->ops->config_write(vdev, c, &val, len);
	} else if (len == 4 && !(off & 3)) {
		/* 4.2.2.1: registers are 32-bit; other widths are dropped. */
		reg_write(m, off, val);
	}
	pthread_mutex_unlock(&vdev->lock);
}

static const struct bus_ops vmmio_ops = {
	.read = vmmio_read,
	.write = vmmio_write,
};

/* DSDT: Device (VRnn) { _HID "LNRO0005", _UID n, _CRS { Memory32Fixed, Interrupt } } */
static void vmmio_dsdt(struct aml *a, const struct vm *vm, void *opaque)
{
	struct vmmio *m = opaque;
	char name[5];

	snprintf(name, sizeof(name), "VR%02X", m->n & 0xff);
	aml_device_begin(a, name);
	aml_name_str(a, "_HID", "LNRO0005");
	aml_name_int(a, "_UID", m->n);
	aml_name_decl(a, "_CRS");
	aml_restemplate_begin(a);
	aml_res_mem32_fixed(a, m->base, VMMIO_SIZE, true);
	if (nr_vmmios > VMMIO_GSIS) {
		/*
		 * The line is shared with another device: aml_res_interrupt()
		 * says Exclusive, so write the Extended Interrupt descriptor
		 * (ACPI 6.4, 6.4.3.6) here: consumer, level, active-high, shared.
		 */
		uint8_t d[] = { 0x89, 6, 0, 0x01 | 0x08, 1, m->gsi, 0, 0, 0 };

		aml_bytes(a, d, sizeof(d));
	} else {
		aml_res_interrupt(a, m->gsi, true, false);
	}
	aml_end(a);
	aml_end(a);
}

/* One ioeventfd per queue on QueueNotify, matching its index. */
static bool vmmio_ioeventfds(struct vmmio *m)
{
	struct virtio_dev *vdev = m->vdev;

	for (unsigned int q = 0; q < vdev->nr_queues; q++) {
		struct kvm_ioeventfd io = {
			.datamatch = q,
			.addr = m->base + VIRTIO_MMIO_QUEUE_NOTIFY,
			.len = 4,
			.fd = vdev->kick_fd[q],
			.flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
		};

		if (ioctl(vdev->vm->vm_fd, KVM_IOEVENTFD, &io) < 0) {
			/* The trapped register still works: slower, not wrong. */
			fprintf(stderr, "vmm: %s: no KVM_IOEVENTFD (%s); notifications trap\n",
				vdev->name, strerror(errno));
			while (q--) {
				io.datamatch = q;
				io.fd = vdev->kick_fd[q];
				io.flags =
					KVM_IOEVENTFD_FLAG_DATAMATCH | KVM_IOEVENTFD_FLAG_DEASSIGN;
				ioctl(vdev->vm->vm_fd, KVM_IOEVENTFD, &io);
			}
			return false;
		}
	}
	return true;
}

int virtio_mmio_create(struct vm *vm, struct virtio_dev *vdev)
{
	struct vmmio *m;
	int ret;

	if (nr_vmmios == VMMIO_MAX) {
		fprintf(stderr, "vmm: %s: more than %d virtio-mmio devices\n", vdev->name,
			VMMIO_MAX);
		return -ENOSPC;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->vdev = vdev;
	m->n = nr_vmmios;
	m->base = VMMIO_BASE + (uint64_t)m->n * VMMIO_SIZE;
	m->gsi = VMMIO_GSI_BASE + m->n % VMMIO_GSIS;
	vdev->tops = &mmio_tops;
	vdev->transport_priv = m;
	m->region = bus_register(BUS_MMIO, m->base, VMMIO_SIZE, &vmmio_ops, m, vdev->name);
	if (!m->region) {
		ret = -EBUSY;
		goto fail;
	}
	ret = platform_add_dsdt_hook(&vm->platform, vmmio_dsdt, m);
	if (ret < 0) {
		bus_unregister(m->region);
		goto fail;
	}
	m->ioeventfd = vmmio_ioeventfds(m);
	vmmios[nr_vmmios++] = m;
	return 0;
fail:
	vdev->tops = NULL;
	vdev->transport_priv = NULL;
	free(m);
	return ret;
}
