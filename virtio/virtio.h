/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A virtio device, independent of its transport. A device model (blk, net,
 * console, rng) fills struct virtio_dev_ops and calls virtio_dev_create();
 * the transport (virtio/pci.c: modern virtio-pci; virtio/mmio.c: virtio-mmio
 * version 2) exposes the common registers to the guest and drives the
 * device through this interface. Status, feature negotiation and reset
 * follow the virtio 1.x spec here, once, for every transport.
 *
 * Threads: the transport calls ops under vdev->lock from vCPU threads
 * (register accesses). Queue kicks arrive as eventfds (KVM_IOEVENTFD)
 * served on the I/O thread, which calls ops->queue_notify() without the
 * lock; device models do their ring work there.
 */
#ifndef VMM_VIRTIO_VIRTIO_H
#define VMM_VIRTIO_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "config/config.h"
#include "virtio/virtqueue.h"

struct vm;
struct virtio_dev;

#define VIRTIO_MAX_QUEUES 32

struct virtio_dev_ops {
	/* Called with vdev->lock held unless noted. */
	void (*config_read)(struct virtio_dev *vdev, uint32_t off, void *buf, uint32_t len);
	void (*config_write)(struct virtio_dev *vdev, uint32_t off, const void *buf, uint32_t len);
	/* DRIVER_OK was set: queues are started; begin serving. 0 or -errno
	 * (then the device gets DEVICE_NEEDS_RESET). */
	int (*activate)(struct virtio_dev *vdev);
	/* The driver reset the device (or the machine reset): stop using the
	 * queues, wait for in-flight requests, forget per-driver state.
	 * The status already reads 0 when this is called, and the core
	 * calls queue_notify() only while DRIVER_OK is set; a queue_notify()
	 * already running must be waited for here (virtio/rng.c: a mutex
	 * around the ring work), since vq_reset() follows. */
	void (*reset)(struct virtio_dev *vdev);
	/* Queue @q was kicked. I/O thread, lock not held. */
	void (*queue_notify)(struct virtio_dev *vdev, unsigned int q);
	/* --stats line(s) for this device; may be NULL. */
	void (*print_stats)(struct virtio_dev *vdev, FILE *f);
};

struct virtio_transport_ops {
	/* Interrupt the driver for queue @q's used ring (MSI-X or INTx/ISR). */
	void (*notify_queue)(struct virtio_dev *vdev, unsigned int q);
	/* Interrupt for a configuration change (also DEVICE_NEEDS_RESET). */
	void (*notify_config)(struct virtio_dev *vdev);
	/* The device was reset (ISR now 0): lower INTx / the mmio line. May be NULL. */
	void (*reset)(struct virtio_dev *vdev);
	/* For --stats when not virtio-pci / virtio-mmio. May be NULL. */
	const char *name;
};

struct virtio_dev {
	/* Set by the device model before virtio_dev_create(). */
	const char *name;	/* "virtio-blk0": logs and --stats */
	uint32_t device_id;	/* VIRTIO_ID_BLOCK, ... */
	uint64_t host_features; /* device + transport-independent bits offered;
				 * VIRTIO_F_VERSION_1 is added by the core */
	unsigned int nr_queues;
	uint16_t queue_max;   /* offered queue size, <= VQ_MAX_SIZE */
	uint32_t config_size; /* device-specific config space bytes */
	const struct virtio_dev_ops *ops;
	void *priv;
	enum virtio_transport transport; /* VT_PCI or VT_MMIO */

	/* Owned by the core and the transport. */
	struct vm *vm;
	pthread_mutex_t lock;
	uint8_t status; /* VIRTIO_CONFIG_S_* */
	uint64_t driver_features;
	uint32_t config_generation;
	uint8_t isr; /* ISR status bits (INTx / virtio-mmio interrupt status) */
	bool needs_reset_logged;
	struct virtqueue vqs[VIRTIO_MAX_QUEUES];
	const struct virtio_transport_ops *tops;
	void *transport_priv;
	void *core_priv;		/* virtio/virtio.c's per-device state (counters) */
	int kick_fd[VIRTIO_MAX_QUEUES]; /* eventfds (KVM_IOEVENTFD) */
};

/*
 * Create the transport named by vdev->transport and attach @vdev. 0 or
 * -errno. A caller that serves the registers itself sets vdev->tops (and
 * transport_priv) first: then no transport is created.
 */
int virtio_dev_create(struct vm *vm, struct virtio_dev *vdev);

/* Transport side: the spec's rules for each register write. */
void virtio_set_status(struct virtio_dev *vdev, uint8_t status); /* 0 = reset */
void virtio_set_driver_features(struct virtio_dev *vdev, unsigned int word, uint32_t val);
uint32_t virtio_get_host_features(struct virtio_dev *vdev, unsigned int word);
bool virtio_has_feature(const struct virtio_dev *vdev, unsigned int bit); /* negotiated */

/* Doorbells of queue @q served so far (for --stats elsewhere). */
uint64_t virtio_queue_kicks(const struct virtio_dev *vdev, unsigned int q);

/* Device side: after pushing used entries on queue @q, interrupt if due. */
void virtio_notify(struct virtio_dev *vdev, unsigned int q);
/*
 * Serving a queue is bounded, so one busy or malicious queue cannot hold
 * the I/O thread: a device model spends at most VIRTIO_BUDGET(vq) pops and
 * re-checks per kick, then calls virtio_requeue() to come back after the
 * other ready file descriptors had their turn.
 */
#define VIRTIO_BUDGET(vq) (4u * (vq)->size + 4)
void virtio_requeue(struct virtio_dev *vdev, unsigned int q);
/* The device's config space changed. */
void virtio_config_changed(struct virtio_dev *vdev);
/*
 * Something the driver did is broken (a bad queue): set DEVICE_NEEDS_RESET,
 * log one line "vmm: NAME: WHY" (once until reset), interrupt for config.
 * Any thread, lock held or not; @why is printed at once, not kept.
 */
void virtio_needs_reset(struct virtio_dev *vdev, const char *why);

#endif
