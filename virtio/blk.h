/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk for other front ends: enlight/enlight.c puts one on each
 * emulated IDE disk's back-end, behind its own transport.
 */
#ifndef VMM_VIRTIO_BLK_H
#define VMM_VIRTIO_BLK_H

#include <stdint.h>

#include "virtio/virtio.h"

struct blk;
struct vm;

/*
 * A one-queue virtio-blk device @name on the open back-end @b (shared with
 * the caller's own front end), served through @tops. NULL on failure (one
 * line printed).
 */
struct virtio_dev *virtio_blk_attach(struct vm *vm, struct blk *b, const char *name,
				     const char *serial, const struct virtio_transport_ops *tops,
				     void *transport_priv);
/*
 * Any thread, no lock held: take and submit everything on queue 0's ring
 * now, as the I/O thread would on a doorbell (no busy polling here).
 */
void virtio_blk_take_ring(struct virtio_dev *vdev);
/* Requests taken from the rings so far. */
uint64_t virtio_blk_requests(const struct virtio_dev *vdev);

#endif
