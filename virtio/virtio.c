// SPDX-License-Identifier: GPL-2.0
/*
 * The transport-independent part of a virtio device (virtio 1.x, 2.1-2.4
 * and 3.1): device status, feature negotiation, reset, DEVICE_NEEDS_RESET,
 * queue start at DRIVER_OK, queue kicks and used-ring interrupts.
 *
 * Status and ISR are written by vCPU threads (register accesses, under
 * vdev->lock) and by the I/O thread (DEVICE_NEEDS_RESET, interrupts,
 * without it), so both are only touched with atomics.
 *
 * Kicks: each queue has an eventfd that KVM_IOEVENTFD signals on the
 * guest's doorbell write (or the transport does, when the write was
 * trapped). The I/O thread watches them and calls ops->queue_notify() while
 * the device is live (DRIVER_OK and not NEEDS_RESET). Kicks that arrive
 * before DRIVER_OK are not lost: DRIVER_OK re-signals every ready queue.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_mmio.h>

#include "cpu/vm.h"
#include "devices/device.h"
#include "mmio/ioloop.h"
#include "virtio/transport.h"
#include "virtio/virtio.h"

#define VIRTIO_MAX_DEVS 64

/* Per queue: what the I/O thread's eventfd callback needs, and counters. */
struct virtio_kick {
	struct virtio_dev *vdev;
	unsigned int q;
	uint64_t kicks;	   /* eventfd wake-ups served */
	uint64_t notifies; /* interrupts sent for the used ring */
	uint64_t early;	   /* kicks while the device was not live */
};

struct virtio_core {
	struct virtio_dev *vdev;
	struct virtio_kick kick[VIRTIO_MAX_QUEUES];
	uint64_t needs_reset;
	uint8_t final_status; /* at shut-down, for --stats */
	uint64_t final_features;
	bool shut_down;
};

static struct virtio_core *devs[VIRTIO_MAX_DEVS];
static unsigned int nr_devs;

static struct virtio_core *core_of(const struct virtio_dev *vdev)
{
	return vdev->core_priv;
}

uint8_t virtio_status(const struct virtio_dev *vdev)
{
	return __atomic_load_n(&vdev->status, __ATOMIC_ACQUIRE);
}

static bool live(const struct virtio_dev *vdev)
{
	uint8_t s = virtio_status(vdev);

	return (s & VIRTIO_CONFIG_S_DRIVER_OK) && !(s & VIRTIO_CONFIG_S_NEEDS_RESET);
}

uint32_t virtio_get_host_features(struct virtio_dev *vdev, unsigned int word)
{
	return word < 2 ? (uint32_t)(vdev->host_features >> (32 * word)) : 0;
}

void virtio_set_driver_features(struct virtio_dev *vdev, unsigned int word, uint32_t val)
{
	/* 3.1.1: features are fixed once FEATURES_OK is set. */
	if (virtio_status(vdev) & VIRTIO_CONFIG_S_FEATURES_OK)
		return;
	if (word == 0)
		vdev->driver_features = (vdev->driver_features & ~0xffffffffULL) | val;
	else if (word == 1)
		vdev->driver_features = (vdev->driver_features & 0xffffffffULL) | (uint64_t)val
											  << 32;
	else if (val)
		vdev->driver_features |= 1ULL << 63; /* a bit nobody offers: refused */
}

bool virtio_has_feature(const struct virtio_dev *vdev, unsigned int bit)
{
	return bit < 64 && (vdev->driver_features >> bit & 1);
}

void virtio_needs_reset(struct virtio_dev *vdev, const char *why)
{
	struct virtio_core *c = core_of(vdev);

	__atomic_fetch_or(&vdev->status, VIRTIO_CONFIG_S_NEEDS_RESET, __ATOMIC_ACQ_REL);
	if (__atomic_exchange_n(&vdev->needs_reset_logged, true, __ATOMIC_ACQ_REL))
		return; /* one line until the driver resets the device */
	if (c)
		__atomic_fetch_add(&c->needs_reset, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "vmm: %s: %s\n", vdev->name, why);
	/* 2.1.2: a configuration change notification tells the driver. */
	if (vdev->tops && vdev->tops->notify_config) {
		__atomic_fetch_or(&vdev->isr, VIRTIO_MMIO_INT_CONFIG, __ATOMIC_ACQ_REL);
		vdev->tops->notify_config(vdev);
	}
}

void virtio_config_changed(struct virtio_dev *vdev)
{
	__atomic_fetch_add(&vdev->config_generation, 1, __ATOMIC_ACQ_REL);
	__atomic_fetch_or(&vdev->isr, VIRTIO_MMIO_INT_CONFIG, __ATOMIC_ACQ_REL);
	if (vdev->tops && vdev->tops->notify_config)
		vdev->tops->notify_config(vdev);
}

void virtio_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct virtio_core *c;

	if (q >= vdev->nr_queues || !vq_should_notify(&vdev->vqs[q]))
		return;
	c = core_of(vdev);
	if (c)
		c->kick[q].notifies++; /* the I/O thread's own counter */
	__atomic_fetch_or(&vdev->isr, VIRTIO_MMIO_INT_VRING, __ATOMIC_ACQ_REL);
	vdev->tops->notify_queue(vdev, q);
}

uint64_t virtio_queue_kicks(const struct virtio_dev *vdev, unsigned int q)
{
	const struct virtio_core *c = core_of(vdev);

	return c && q < vdev->nr_queues ? c->kick[q].kicks : 0;
}

/* Wake the I/O thread for queue @q as the guest's doorbell would. */
void virtio_requeue(struct virtio_dev *vdev, unsigned int q)
{
	uint64_t one = 1;

	if (vdev->kick_fd[q] >= 0 && write(vdev->kick_fd[q], &one, sizeof(one)) < 0 &&
	    errno != EAGAIN)
		fprintf(stderr, "vmm: %s: queue %u kick: %s\n", vdev->name, q, strerror(errno));
}

/* Lock held: map a ready queue's rings; false (and NEEDS_RESET) if bad. */
static bool start_queue(struct virtio_dev *vdev, unsigned int q)
{
	struct virtqueue *vq = &vdev->vqs[q];
	char why[64];

	vq->event_idx = virtio_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = virtio_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC);
	if (vq->size > vdev->queue_max || vq_start(vq, &vdev->vm->mem) < 0) {
		snprintf(why, sizeof(why), "queue %u: bad ring address or size", q);
		virtio_needs_reset(vdev, why);
		return false;
	}
	return true;
}

void virtio_queue_enable(struct virtio_dev *vdev, unsigned int q)
{
	if (q >= vdev->nr_queues || vdev->vqs[q].ready)
		return;
	vdev->vqs[q].ready = true;
	if ((virtio_status(vdev) & VIRTIO_CONFIG_S_DRIVER_OK) && start_queue(vdev, q))
		virtio_requeue(vdev, q);
}

void virtio_trapped_notify(struct virtio_dev *vdev, uint32_t q)
{
	if (q >= vdev->nr_queues || !vdev->vqs[q].ready) {
		/* Before DRIVER_OK nothing is wrong yet: the queue may come up. */
		if (virtio_status(vdev) & VIRTIO_CONFIG_S_DRIVER_OK)
			virtio_needs_reset(vdev, "notify on a queue that is not set up");
		return;
	}
	virtio_requeue(vdev, q);
}

/* Lock held. The spec's device reset (2.4): everything back to power-on. */
static void reset(struct virtio_dev *vdev)
{
	/* Stop the I/O thread's work first: a kick now finds the device idle. */
	__atomic_store_n(&vdev->status, 0, __ATOMIC_RELEASE);
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++)
		vq_reset(&vdev->vqs[q]);
	vdev->driver_features = 0;
	__atomic_store_n(&vdev->isr, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&vdev->needs_reset_logged, false, __ATOMIC_RELEASE);
	if (vdev->tops && vdev->tops->reset)
		vdev->tops->reset(vdev);
}

static bool features_ok(const struct virtio_dev *vdev)
{
	return !(vdev->driver_features & ~vdev->host_features) &&
	       virtio_has_feature(vdev, VIRTIO_F_VERSION_1);
}

void virtio_set_status(struct virtio_dev *vdev, uint8_t status)
{
	uint8_t old = virtio_status(vdev);

	if (!status) {
		reset(vdev);
		return;
	}
	/* NEEDS_RESET is the device's: the driver can neither set nor clear it. */
	status &= ~VIRTIO_CONFIG_S_NEEDS_RESET;
	/*
	 * Only a reset clears bits (2.1.2): dropping DRIVER_OK would let the
	 * driver rewrite a started queue's size and rings (virtio-mmio
	 * QueueReady 0) under requests in flight, and activate twice.
	 */
	status |= old & ~VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((status & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !features_ok(vdev))
		status &= ~VIRTIO_CONFIG_S_FEATURES_OK; /* 3.1.1: refused */
	if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		bool ok = true;

		if (!(status & VIRTIO_CONFIG_S_FEATURES_OK)) {
			__atomic_fetch_or(&vdev->status, status, __ATOMIC_ACQ_REL);
			virtio_needs_reset(vdev, "DRIVER_OK without FEATURES_OK");
			return;
		}
		for (unsigned int q = 0; q < vdev->nr_queues && ok; q++)
			if (vdev->vqs[q].ready)
				ok = start_queue(vdev, q);
		if (ok && vdev->ops->activate && vdev->ops->activate(vdev) < 0) {
			virtio_needs_reset(vdev, "device could not start");
			ok = false;
		}
		__atomic_fetch_or(&vdev->status, status, __ATOMIC_ACQ_REL);
		if (!ok)
			return;
		/* Buffers may have been queued (and kicked) before DRIVER_OK. */
		for (unsigned int q = 0; q < vdev->nr_queues; q++)
			if (vdev->vqs[q].ready)
				virtio_requeue(vdev, q);
		return;
	}
	/* Keep NEEDS_RESET if the device set it meanwhile. */
	__atomic_store_n(&vdev->status,
			 status | (virtio_status(vdev) & VIRTIO_CONFIG_S_NEEDS_RESET),
			 __ATOMIC_RELEASE);
}

/* I/O thread: queue @q's doorbell rang. */
static void on_kick(void *opaque, uint32_t events)
{
	struct virtio_kick *k = opaque;
	struct virtio_dev *vdev = k->vdev;
	uint64_t n;

	if (read(vdev->kick_fd[k->q], &n, sizeof(n)) < 0)
		return;
	if (!live(vdev)) {
		k->early++;
		return;
	}
	if (!vdev->vqs[k->q].ready) {
		virtio_needs_reset(vdev, "notify on a queue that is not set up");
		return;
	}
	k->kicks++;
	vdev->ops->queue_notify(vdev, k->q);
}

int virtio_dev_create(struct vm *vm, struct virtio_dev *vdev)
{
	struct virtio_core *c;
	int ret;

	if (nr_devs == VIRTIO_MAX_DEVS || !vdev->nr_queues || vdev->nr_queues > VIRTIO_MAX_QUEUES ||
	    !vdev->queue_max || vdev->queue_max > VQ_MAX_SIZE ||
	    (vdev->queue_max & (vdev->queue_max - 1)) || !vdev->ops || !vdev->ops->queue_notify)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->vdev = vdev;
	vdev->core_priv = c;
	vdev->vm = vm;
	pthread_mutex_init(&vdev->lock, NULL);
	vdev->status = 0;
	vdev->isr = 0;
	vdev->driver_features = 0;
	vdev->host_features |= 1ULL << VIRTIO_F_VERSION_1;
	for (unsigned int q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		vq_reset(&vdev->vqs[q]);
		vdev->kick_fd[q] = -1;
	}
	for (unsigned int q = 0; q < vdev->nr_queues; q++) {
		c->kick[q].vdev = vdev;
		c->kick[q].q = q;
		vdev->kick_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (vdev->kick_fd[q] < 0) {
			ret = -errno;
			goto fail;
		}
		ret = ioloop_add(vdev->kick_fd[q], EPOLLIN, on_kick, &c->kick[q]);
		if (ret < 0)
			goto fail;
	}
	devs[nr_devs++] = c;
	if (vdev->transport == VT_DEFAULT)
		vdev->transport = config_transport(vm->cfg, VT_DEFAULT);
	if (vdev->tops)
		ret = 0; /* the caller brought its own transport (enlight/enlight.c) */
	else
		ret = vdev->transport == VT_MMIO ? virtio_mmio_create(vm, vdev)
						 : virtio_pci_create(vm, vdev);
	if (ret < 0) {
		nr_devs--;
		goto fail;
	}
	return 0;
fail:
	for (unsigned int q = 0; q < vdev->nr_queues; q++) {
		if (vdev->kick_fd[q] >= 0) {
			ioloop_del(vdev->kick_fd[q]);
			close(vdev->kick_fd[q]);
			vdev->kick_fd[q] = -1;
		}
	}
	vdev->core_priv = NULL;
	free(c);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Machine-wide: reset, shut-down, --stats                             */

static void virtio_machine_reset(struct vm *vm)
{
	for (unsigned int i = 0; i < nr_devs; i++) {
		struct virtio_dev *vdev = devs[i]->vdev;

		pthread_mutex_lock(&vdev->lock);
		virtio_set_status(vdev, 0);
		pthread_mutex_unlock(&vdev->lock);
	}
}

static void virtio_print_stats(struct vm *vm, FILE *f)
{
	for (unsigned int i = 0; i < nr_devs; i++) {
		struct virtio_core *c = devs[i];
		struct virtio_dev *vdev = c->vdev;

		fprintf(f,
			"%s: %s, status 0x%02x, features 0x%" PRIx64 ", needs-reset %" PRIu64 "\n",
			vdev->name,
			vdev->tops && vdev->tops->name ? vdev->tops->name
			: vdev->transport == VT_MMIO   ? "virtio-mmio"
						       : "virtio-pci",
			c->shut_down ? c->final_status : virtio_status(vdev),
			c->shut_down ? c->final_features : vdev->driver_features, c->needs_reset);
		for (unsigned int q = 0; q < vdev->nr_queues; q++)
			fprintf(f,
				"  queue %u: %" PRIu64 " kicks, %" PRIu64 " interrupts, %" PRIu64
				" kicks before DRIVER_OK\n",
				q, c->kick[q].kicks, c->kick[q].notifies, c->kick[q].early);
		if (vdev->ops->print_stats)
			vdev->ops->print_stats(vdev, f);
	}
}

/* Before exit: stop every device's work (requests drained by ops->reset). */
static void virtio_shutdown(struct vm *vm)
{
	for (unsigned int i = 0; i < nr_devs; i++) {
		devs[i]->final_status = virtio_status(devs[i]->vdev);
		devs[i]->final_features = devs[i]->vdev->driver_features;
		devs[i]->shut_down = true;
	}
	virtio_machine_reset(vm);
}

/*
 * One entry after every device model (they register at DEV_LEVEL_DEVICE
 * too, earlier in link order only by chance, so nothing here depends on it).
 */
static struct device virtio_core_device = {
	.name = "virtio",
	.level = DEV_LEVEL_DEVICE,
	.reset = virtio_machine_reset,
	.shutdown = virtio_shutdown,
	.print_stats = virtio_print_stats,
};
device_init(virtio_core_device);
