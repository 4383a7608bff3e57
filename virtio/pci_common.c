// SPDX-License-Identifier: GPL-2.0
/*
 * The common configuration structure of modern virtio-pci (virtio 1.x,
 * 4.1.4.3), shared by the virtio-pci transport (virtio/pci.c) and the
 * enlightened windows of the emulated IDE controller (enlight/enlight.c),
 * which expose the same registers at another place.
 */
#include <stddef.h>
#include <string.h>

#include <linux/virtio_pci.h>

#include "virtio/transport.h"

void vpci_common_init(struct vpci_common *p, struct virtio_dev *vdev, unsigned int nr_vectors)
{
	p->vdev = vdev;
	p->nr_vectors = nr_vectors;
	vpci_common_reset(p);
}

void vpci_common_reset(struct vpci_common *p)
{
	p->dev_feat_sel = p->drv_feat_sel = 0;
	p->queue_sel = 0;
	p->msix_config = VIRTIO_MSI_NO_VECTOR;
}

static struct virtqueue *sel_vq(struct vpci_common *p)
{
	return p->queue_sel < p->vdev->nr_queues ? &p->vdev->vqs[p->queue_sel] : NULL;
}

uint64_t vpci_common_read(struct vpci_common *p, uint64_t off, unsigned int len)
{
	struct virtio_dev *vdev = p->vdev;
	struct virtqueue *vq = sel_vq(p);
	struct virtio_pci_common_cfg c = {
		.device_feature_select = p->dev_feat_sel,
		.device_feature = virtio_get_host_features(vdev, p->dev_feat_sel),
		.guest_feature_select = p->drv_feat_sel,
		.guest_feature = p->drv_feat_sel < 2 ? (uint32_t)(vdev->driver_features >>
								  (32 * p->drv_feat_sel))
						     : 0,
		.msix_config = p->msix_config,
		.num_queues = vdev->nr_queues,
		.device_status = virtio_status(vdev),
		.config_generation = __atomic_load_n(&vdev->config_generation, __ATOMIC_ACQUIRE),
		.queue_select = p->queue_sel,
		/* A queue not in use reads 0 (4.1.4.3); else what the driver chose, or the max. */
		.queue_size = vq ? (vq->size ? vq->size : vdev->queue_max) : 0,
		.queue_msix_vector = vq ? vq->msix_vector : VIRTIO_MSI_NO_VECTOR,
		.queue_enable = vq ? vq->ready : 0,
		.queue_notify_off = p->queue_sel,
		.queue_desc_lo = vq ? (uint32_t)vq->desc_gpa : 0,
		.queue_desc_hi = vq ? vq->desc_gpa >> 32 : 0,
		.queue_avail_lo = vq ? (uint32_t)vq->avail_gpa : 0,
		.queue_avail_hi = vq ? vq->avail_gpa >> 32 : 0,
		.queue_used_lo = vq ? (uint32_t)vq->used_gpa : 0,
		.queue_used_hi = vq ? vq->used_gpa >> 32 : 0,
	};
	uint64_t val = 0;

	if (off + len <= sizeof(c))
		memcpy(&val, (uint8_t *)&c + off, len);
	return val;
}

static void set_half(uint64_t *v, bool hi, uint32_t val)
{
	if (hi)
		*v = (*v & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*v = (*v & ~0xffffffffULL) | val;
}

static uint16_t valid_vector(struct vpci_common *p, uint16_t v)
{
	return v < p->nr_vectors ? v : VIRTIO_MSI_NO_VECTOR;
}

#define CC(field) offsetof(struct virtio_pci_common_cfg, field)

void vpci_common_write(struct vpci_common *p, uint64_t off, uint64_t val, unsigned int len)
{
	struct virtio_dev *vdev = p->vdev;
	struct virtqueue *vq = sel_vq(p);
	/* 4.1.4.3.2: queue fields are written only while the queue is disabled. */
	struct virtqueue *wq = vq && !vq->ready ? vq : NULL;

	switch (off) {
	case CC(device_feature_select): p->dev_feat_sel = val; break;
	case CC(guest_feature_select): p->drv_feat_sel = val; break;
	case CC(guest_feature): virtio_set_driver_features(vdev, p->drv_feat_sel, val); break;
	case CC(msix_config):
		__atomic_store_n(&p->msix_config, valid_vector(p, val), __ATOMIC_RELAXED);
		break;
	case CC(device_status): virtio_set_status(vdev, val); break;
	case CC(queue_select): p->queue_sel = val; break;
	case CC(queue_size):
		if (wq)
			wq->size = val;
		break;
	case CC(queue_msix_vector):
		if (vq)
			__atomic_store_n(&vq->msix_vector, valid_vector(p, val), __ATOMIC_RELAXED);
		break;
	case CC(queue_enable):
		if (wq && (val & 1)) {
			if (!wq->size)
				wq->size = vdev->queue_max;
			virtio_queue_enable(vdev, p->queue_sel);
		}
		break;
	case CC(queue_desc_lo):
	case CC(queue_desc_hi):
		if (wq)
			set_half(&wq->desc_gpa, off == CC(queue_desc_hi), val);
		break;
	case CC(queue_avail_lo):
	case CC(queue_avail_hi):
		if (wq)
			set_half(&wq->avail_gpa, off == CC(queue_avail_hi), val);
		break;
	case CC(queue_used_lo):
	case CC(queue_used_hi):
		if (wq)
			set_half(&wq->used_gpa, off == CC(queue_used_hi), val);
		break;
	default: break; /* read-only fields */
	}
	(void)len;
}
