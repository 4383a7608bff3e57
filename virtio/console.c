// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (--console virtio): hvc0 for the guest. No multiport
 * (virtio 1.x, 5.3): receiveq 0 carries host input to the guest, transmitq 1
 * guest output to the host. The host end is the serial console's back-end
 * (--serial, shared through chardev_open()): output goes where COM1's goes,
 * and the terminal's input feeds hvc0 instead of COM1.
 *
 * Input is read from the back-end only when it can be delivered: at most
 * one pending chunk is held here, and while it waits for receive buffers
 * the back-end is told to stop (backpressure; nothing is dropped).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#include <linux/virtio_console.h>

#include "cpu/vm.h"
#include "devices/chardev.h"
#include "devices/device.h"
#include "virtio/virtio.h"

#define CONS_QUEUE_SIZE 256
#define CONS_RX		0
#define CONS_TX		1
#define CONS_PEND	4096

struct console {
	struct virtio_dev vdev;
	/* The I/O thread's queue work vs. a reset from a vCPU thread. */
	pthread_mutex_t io_lock;
	struct chardev *cd;
	struct vq_elem elem;
	uint8_t pend[CONS_PEND]; /* host input not yet in a guest buffer */
	size_t pend_len, pend_off;
	bool accepting;
	uint64_t rx_bytes, tx_bytes;
};

static struct console the_console;

static bool dev_live(struct console *c)
{
	uint8_t s = __atomic_load_n(&c->vdev.status, __ATOMIC_ACQUIRE);

	return (s & VIRTIO_CONFIG_S_DRIVER_OK) && !(s & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void set_accept(struct console *c, bool on)
{
	if (c->accepting != on) {
		c->accepting = on;
		chardev_accept_input(c->cd, on);
	}
}

/* io_lock held: copy pending input into receive buffers. */
static void rx_flush(struct console *c)
{
	struct virtqueue *vq = &c->vdev.vqs[CONS_RX];
	unsigned int budget = VIRTIO_BUDGET(vq);
	bool pushed = false;
	int ret = 0;

	/* Bounded: chains without room could be offered forever. */
	while (dev_live(c) && vq->ready && c->pend_len > c->pend_off && budget--) {
		size_t done = 0;

		ret = vq_pop(vq, &c->elem);
		if (ret <= 0)
			break;
		for (unsigned int i = c->elem.nr_out;
		     i < c->elem.nr_out + c->elem.nr_in && c->pend_off < c->pend_len; i++) {
			size_t n = c->pend_len - c->pend_off;

			if (n > c->elem.iov[i].iov_len)
				n = c->elem.iov[i].iov_len;
			memcpy(c->elem.iov[i].iov_base, c->pend + c->pend_off, n);
			c->pend_off += n;
			done += n;
		}
		vq_push(vq, c->elem.head, done);
		c->rx_bytes += done;
		pushed = true;
	}
	if (ret < 0)
		virtio_needs_reset(&c->vdev, vq->why_broken);
	if (pushed)
		virtio_notify(&c->vdev, CONS_RX);
	if (c->pend_off == c->pend_len)
		c->pend_off = c->pend_len = 0;
	/* More input only once this chunk is delivered. */
	set_accept(c, dev_live(c) && !c->pend_len);
}

/* I/O thread: the back-end has input. */
static void cons_input(void *opaque)
{
	struct console *c = opaque;

	pthread_mutex_lock(&c->io_lock);
	if (!c->pend_len)
		c->pend_len = chardev_read(c->cd, c->pend, sizeof(c->pend));
	rx_flush(c);
	pthread_mutex_unlock(&c->io_lock);
}

/* io_lock held: write out what the guest transmitted. */
static void tx_drain(struct console *c)
{
	struct virtqueue *vq = &c->vdev.vqs[CONS_TX];
	unsigned int budget = VIRTIO_BUDGET(vq);
	bool pushed = false;
	int ret = 0;

	do {
		vq_disable_kicks(vq);
		while (budget && (ret = vq_pop(vq, &c->elem)) > 0) {
			for (unsigned int i = 0; i < c->elem.nr_out; i++)
				chardev_write(c->cd, c->elem.iov[i].iov_base,
					      c->elem.iov[i].iov_len);
			c->tx_bytes += c->elem.out_len;
			vq_push(vq, c->elem.head, 0);
			pushed = true;
			budget--;
		}
	} while (ret == 0 && budget && vq_enable_kicks(vq) && budget--);
	if (ret >= 0 && !budget)
		virtio_requeue(&c->vdev, CONS_TX);
	if (ret < 0)
		virtio_needs_reset(&c->vdev, vq->why_broken);
	if (pushed)
		virtio_notify(&c->vdev, CONS_TX);
}

static void cons_queue_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct console *c = vdev->priv;

	pthread_mutex_lock(&c->io_lock);
	if (dev_live(c)) {
		if (q == CONS_TX)
			tx_drain(c);
		else
			rx_flush(c); /* new receive buffers: deliver, take more input */
	}
	pthread_mutex_unlock(&c->io_lock);
}

static int cons_activate(struct virtio_dev *vdev)
{
	return 0; /* the receive queue's kick at DRIVER_OK turns input on */
}

/* vCPU thread, vdev->lock held: stop taking input; pending input stays. */
static void cons_reset(struct virtio_dev *vdev)
{
	struct console *c = vdev->priv;

	pthread_mutex_lock(&c->io_lock);
	set_accept(c, false);
	pthread_mutex_unlock(&c->io_lock);
}

static void cons_config_read(struct virtio_dev *vdev, uint32_t off, void *buf, uint32_t len)
{
	/* No F_SIZE, F_MULTIPORT or F_EMERG_WRITE: the fields read as 0. */
	memset(buf, 0, len);
}

static void cons_print_stats(struct virtio_dev *vdev, FILE *f)
{
	struct console *c = vdev->priv;

	fprintf(f, "  %" PRIu64 " bytes in, %" PRIu64 " bytes out\n", c->rx_bytes, c->tx_bytes);
}

static const struct virtio_dev_ops cons_ops = {
	.config_read = cons_config_read,
	.activate = cons_activate,
	.reset = cons_reset,
	.queue_notify = cons_queue_notify,
	.print_stats = cons_print_stats,
};

static int cons_init(struct vm *vm)
{
	struct console *c = &the_console;
	const char *spec;
	int ret;

	if (!vm->cfg || !vm->cfg->virtio_console)
		return 0;
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->io_lock, NULL);
	spec = vm->cfg->serial ? vm->cfg->serial : "stdio";
	c->cd = chardev_open(vm, spec);
	if (!c->cd)
		return errno ? -errno : -EIO;
	c->accepting = true;
	set_accept(c, false); /* until the driver gives receive buffers */
	chardev_set_input(c->cd, cons_input, c);
	c->vdev.name = "virtio-console0";
	c->vdev.device_id = VIRTIO_ID_CONSOLE;
	c->vdev.host_features =
		1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	c->vdev.nr_queues = 2;
	c->vdev.queue_max = CONS_QUEUE_SIZE;
	c->vdev.config_size = sizeof(struct virtio_console_config);
	c->vdev.ops = &cons_ops;
	c->vdev.priv = c;
	c->vdev.transport = config_transport(vm->cfg, VT_DEFAULT);
	ret = virtio_dev_create(vm, &c->vdev);
	if (ret < 0) {
		chardev_set_input(c->cd, NULL, NULL);
		chardev_close(c->cd);
		c->cd = NULL;
	}
	return ret;
}

static void cons_shutdown(struct vm *vm)
{
	struct console *c = &the_console;
	struct chardev *cd;

	pthread_mutex_lock(&c->io_lock);
	cd = c->cd;
	c->cd = NULL;
	pthread_mutex_unlock(&c->io_lock);
	if (!cd)
		return;
	chardev_set_input(cd, NULL, NULL);
	chardev_close(cd);
}

static struct device console_device = {
	.name = "virtio-console",
	.level = DEV_LEVEL_DEVICE,
	.init = cons_init,
	.shutdown = cons_shutdown,
};
device_init(console_device);
