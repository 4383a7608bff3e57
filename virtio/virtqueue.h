/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one split-ring virtqueue implementation (device side), shared by
 * every transport and device model. Layouts come from linux/virtio_ring.h.
 *
 * Trust nothing: the ring addresses are checked against guest RAM when the
 * queue is enabled, every descriptor's buffer when it is popped, chains are
 * bounded by the queue size (a loop is an error), indirect tables by their
 * length, and the avail index may not run more than a queue size ahead.
 * Any of these marks the queue broken: vq_pop() then returns -EIO forever
 * (until reset) and the device model sets DEVICE_NEEDS_RESET.
 *
 * Not thread-safe: a queue is served by one thread at a time (the I/O
 * thread), and the transport holds the device lock for configuration.
 */
#ifndef VMM_VIRTIO_VIRTQUEUE_H
#define VMM_VIRTIO_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <linux/virtio_ring.h>

struct guest_mem;

#define VQ_MAX_SIZE 1024 /* queue size offered (a power of two, as split rings need) */
#define VQ_MAX_SEGS 1024 /* iovecs per chain: a chain is at most the queue size long */

struct virtqueue {
	/* Configuration written through the transport. */
	uint16_t size; /* queue_size the driver chose; 0 = not configured */
	bool ready;    /* queue_enable / QueueReady */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t msix_vector; /* PCI: VIRTIO_MSI_NO_VECTOR when none */

	/* Negotiated features that change ring behaviour. */
	bool event_idx; /* VIRTIO_RING_F_EVENT_IDX */
	bool indirect;	/* VIRTIO_RING_F_INDIRECT_DESC */

	/* Set up by vq_start(). */
	const struct guest_mem *mem;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;	 /* next avail entry to pop */
	uint16_t used_idx;	 /* our copy of used->idx */
	uint16_t signalled_used; /* used_idx when we last interrupted (EVENT_IDX) */
	bool signalled_valid;
	bool kicks_off; /* between vq_disable_kicks() and vq_enable_kicks() */
	bool broken;
	const char *why_broken; /* first reason, for the one log line */
};

/* One popped descriptor chain: device-readable (out) then device-writable (in). */
struct vq_elem {
	uint16_t head;
	unsigned int nr_out, nr_in; /* iov[0 .. nr_out) then iov[nr_out .. nr_out + nr_in) */
	uint64_t out_len, in_len;   /* bytes in each part */
	struct iovec iov[VQ_MAX_SEGS];
};

/* Back to the reset state (size 0, not ready, nothing mapped). */
void vq_reset(struct virtqueue *vq);
/*
 * Map the rings after the driver made the queue ready (DRIVER_OK or
 * QueueReady). 0, or -EINVAL when the size is not a power of two up to
 * VQ_MAX_SIZE, or a ring is misaligned or not inside guest RAM.
 */
int vq_start(struct virtqueue *vq, const struct guest_mem *mem);
/*
 * Take the next available chain. 1 with @e filled, 0 when the ring is
 * empty, -EIO when the queue is (now) broken. Pointers in @e->iov point
 * into guest RAM and stay valid until the VM goes away.
 */
int vq_pop(struct virtqueue *vq, struct vq_elem *e);
/* Return chain @head with @len bytes written into its device-writable part. */
void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len);
/*
 * After one or more vq_push(): should the driver be interrupted?
 * (VRING_AVAIL_F_NO_INTERRUPT, or the used_event index with EVENT_IDX.)
 */
bool vq_should_notify(struct virtqueue *vq);
/*
 * Ask the driver not to kick (while draining) or to kick again; with
 * EVENT_IDX this writes avail_event. vq_enable_kicks() returns true when
 * more work arrived meanwhile (pop again before sleeping).
 */
void vq_disable_kicks(struct virtqueue *vq);
bool vq_enable_kicks(struct virtqueue *vq);
/* Mark the queue broken (first reason wins); returns -EIO. */
int vq_fail(struct virtqueue *vq, const char *why);

#endif
