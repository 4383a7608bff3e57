/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Between the virtio core (virtio/virtio.c) and its transports
 * (virtio/pci.c, virtio/mmio.c); device models use virtio/virtio.h only.
 */
#ifndef VMM_VIRTIO_TRANSPORT_H
#define VMM_VIRTIO_TRANSPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio/virtio.h"

struct vm;

/*
 * Modern virtio-pci common configuration (virtio/pci_common.c): the
 * driver's selectors and vectors for one device. Reads and writes with
 * vdev->lock held; @off is the offset in struct virtio_pci_common_cfg.
 * Vectors at or above @nr_vectors read back as VIRTIO_MSI_NO_VECTOR.
 */
struct vpci_common {
	struct virtio_dev *vdev;
	uint32_t dev_feat_sel, drv_feat_sel;
	uint16_t queue_sel;
	uint16_t msix_config;
	unsigned int nr_vectors;
};

void vpci_common_init(struct vpci_common *p, struct virtio_dev *vdev, unsigned int nr_vectors);
void vpci_common_reset(struct vpci_common *p);
uint64_t vpci_common_read(struct vpci_common *p, uint64_t off, unsigned int len);
void vpci_common_write(struct vpci_common *p, uint64_t off, uint64_t val, unsigned int len);

int virtio_pci_create(struct vm *vm, struct virtio_dev *vdev);
int virtio_mmio_create(struct vm *vm, struct virtio_dev *vdev);

/*
 * vdev->lock held. The driver enabled queue @q (queue_enable / QueueReady):
 * after DRIVER_OK the queue starts at once, else at DRIVER_OK.
 */
void virtio_queue_enable(struct virtio_dev *vdev, unsigned int q);
/*
 * A notification that reached a trapped register (no ioeventfd for it, or
 * KVM_IOEVENTFD unavailable): a valid, ready queue is kicked through its
 * eventfd as ioeventfd would; anything else is the driver's error.
 */
void virtio_trapped_notify(struct virtio_dev *vdev, uint32_t q);
/* Read the status without the lock (the I/O thread, interrupt paths). */
uint8_t virtio_status(const struct virtio_dev *vdev);

#endif
