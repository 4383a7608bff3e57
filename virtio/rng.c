// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (--rng): one request queue; every device-writable buffer the
 * driver offers is filled from the host's getrandom() (virtio 1.x, 5.4).
 * A request gets at most RNG_MAX_CHUNK bytes (the spec lets the device
 * return fewer), so a huge buffer cannot keep the I/O thread busy.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

#include "cpu/vm.h"
#include "devices/device.h"
#include "virtio/virtio.h"

#define RNG_QUEUE_SIZE 256
#define RNG_MAX_CHUNK  65536

struct rng {
	struct virtio_dev vdev;
	/* Serialises the I/O thread's queue work with a reset from a vCPU. */
	pthread_mutex_t io_lock;
	struct vq_elem elem;
	uint64_t requests, bytes;
	bool created;
};

static struct rng the_rng;

static size_t fill(struct vq_elem *e)
{
	size_t done = 0;

	for (unsigned int i = e->nr_out; i < e->nr_out + e->nr_in && done < RNG_MAX_CHUNK; i++) {
		uint8_t *p = e->iov[i].iov_base;
		size_t len = e->iov[i].iov_len, off = 0;

		if (len > RNG_MAX_CHUNK - done)
			len = RNG_MAX_CHUNK - done;
		while (off < len) {
			ssize_t n = getrandom(p + off, len - off, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				return done + off;
			off += n;
		}
		done += len;
	}
	return done;
}

static void rng_queue_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct rng *r = vdev->priv;
	struct virtqueue *vq = &vdev->vqs[0];
	unsigned int budget = VIRTIO_BUDGET(vq);
	bool pushed = false;
	int ret = 0;

	pthread_mutex_lock(&r->io_lock);
	if (!(__atomic_load_n(&vdev->status, __ATOMIC_ACQUIRE) & VIRTIO_CONFIG_S_DRIVER_OK))
		goto out;
	do {
		vq_disable_kicks(vq);
		while (budget && (ret = vq_pop(vq, &r->elem)) > 0) {
			size_t n = fill(&r->elem);

			vq_push(vq, r->elem.head, n);
			r->requests++;
			r->bytes += n;
			pushed = true;
			budget--;
		}
	} while (ret == 0 && budget && vq_enable_kicks(vq) && budget--);
	if (ret >= 0 && !budget)
		virtio_requeue(vdev, 0);
	if (ret < 0)
		virtio_needs_reset(vdev, vq->why_broken);
	/* One interrupt for the whole batch. */
	if (pushed)
		virtio_notify(vdev, 0);
out:
	pthread_mutex_unlock(&r->io_lock);
}

/* vCPU thread, vdev->lock held: wait for the I/O thread to be done. */
static void rng_reset(struct virtio_dev *vdev)
{
	struct rng *r = vdev->priv;

	pthread_mutex_lock(&r->io_lock);
	pthread_mutex_unlock(&r->io_lock);
}

static void rng_print_stats(struct virtio_dev *vdev, FILE *f)
{
	struct rng *r = vdev->priv;

	fprintf(f, "  %" PRIu64 " requests, %" PRIu64 " bytes from getrandom()\n", r->requests,
		r->bytes);
}

static const struct virtio_dev_ops rng_ops = {
	.reset = rng_reset,
	.queue_notify = rng_queue_notify,
	.print_stats = rng_print_stats,
};

static int rng_init(struct vm *vm)
{
	struct rng *r = &the_rng;
	int ret;

	if (!vm->cfg || !vm->cfg->rng)
		return 0;
	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->io_lock, NULL);
	r->vdev.name = "virtio-rng0";
	r->vdev.device_id = VIRTIO_ID_RNG;
	r->vdev.host_features =
		1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	r->vdev.nr_queues = 1;
	r->vdev.queue_max = RNG_QUEUE_SIZE;
	r->vdev.ops = &rng_ops;
	r->vdev.priv = r;
	r->vdev.transport = config_transport(vm->cfg, VT_DEFAULT);
	ret = virtio_dev_create(vm, &r->vdev);
	if (ret < 0)
		return ret;
	r->created = true;
	return 0;
}

static struct device rng_device = {
	.name = "virtio-rng",
	.level = DEV_LEVEL_DEVICE,
	.init = rng_init,
};
device_init(rng_device);
