// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.x, 5.2): one device per --disk, named virtio-blk0,
 * virtio-blk1, ..., on the block layer (devices/block/block.h).
 *
 * Requests are popped on the I/O thread (queue_notify), checked, and
 * submitted to the block layer; their completions run on the I/O thread
 * too, push the used entries and, once per completion batch, interrupt
 * (blk_set_batch_end). A malformed chain (no room for the header or the
 * status byte) is the driver's bug: DEVICE_NEEDS_RESET. A well-formed
 * request the device cannot do gets VIRTIO_BLK_S_IOERR or _UNSUPP.
 *
 * Locking: io_lock serialises the I/O thread's ring work with a reset from
 * a vCPU thread. A reset clears `live` and drains the block layer; requests
 * completing after that are dropped, never pushed to a ring being reset.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_blk.h>

#include "cpu/vm.h"
#include "devices/block/block.h"
#include "devices/device.h"
#include "virtio/blk.h"
#include "virtio/virtio.h"

#define VBLK_QUEUE_SIZE 256
#define VBLK_MAX_QUEUES 8
#define SECTOR		512
/* Discard / write-zeroes: one segment of at most 2 GiB per request. */
#define VBLK_MAX_DZ_SECTORS (4U << 20)
#define VBLK_DISCARD_ALIGN  8 /* sectors: 4 KiB, what file systems punch */

struct vblk;

struct vblk_req {
	struct blk_req br;
	struct vblk *vb;
	unsigned int q;
	uint16_t head;
	uint32_t type;
	uint8_t *status;
	uint32_t used_len; /* bytes written into the device-writable part */
	struct iovec iov[];
};

struct vblk {
	struct virtio_dev vdev;
	struct blk *blk;
	char name[24];
	char serial[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_config cfg;
	pthread_mutex_t io_lock;
	bool live;	     /* between activate and reset */
	uint32_t to_notify;  /* queues with used entries since the last interrupt */
	struct vq_elem elem; /* pop scratch: I/O thread, io_lock held */
	/* Counters (I/O thread). */
	uint64_t reqs[VIRTIO_BLK_T_WRITE_ZEROES + 1];
	uint64_t ioerr, unsupp, other;
};

static struct vblk *vblks[CONFIG_MAX_DISKS];

/* io_lock held: the used entry, and an interrupt at the end of the batch. */
static void finish(struct vblk *vb, unsigned int q, uint16_t head, uint8_t *status, uint8_t st,
		   uint32_t used_len)
{
	if (st == VIRTIO_BLK_S_IOERR)
		vb->ioerr++;
	else if (st == VIRTIO_BLK_S_UNSUPP)
		vb->unsupp++;
	*status = st;
	vq_push(&vb->vdev.vqs[q], head, used_len + 1);
	vb->to_notify |= 1U << q;
}

static void notify_all(struct vblk *vb)
{
	uint32_t m = vb->to_notify;

	vb->to_notify = 0;
	for (unsigned int q = 0; m; q++, m >>= 1)
		if (m & 1)
			virtio_notify(&vb->vdev, q);
}

/* Block layer: I/O thread (or a draining reset: then not live). */
static void req_done(struct blk_req *br, int result)
{
	struct vblk_req *r = (struct vblk_req *)br;
	struct vblk *vb = r->vb;
	uint8_t st = result == 0	     ? VIRTIO_BLK_S_OK
		     : result == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP
					     : VIRTIO_BLK_S_IOERR;

	pthread_mutex_lock(&vb->io_lock);
	if (vb->live)
		finish(vb, r->q, r->head, r->status, st, st ? 0 : r->used_len);
	pthread_mutex_unlock(&vb->io_lock);
	free(r);
}

static void batch_end(void *opaque)
{
	struct vblk *vb = opaque;

	pthread_mutex_lock(&vb->io_lock);
	if (vb->live)
		notify_all(vb);
	pthread_mutex_unlock(&vb->io_lock);
}

/*
 * One popped chain. Returns false when the chain is malformed (the device
 * then needs a reset); otherwise the request is finished or submitted.
 */
static bool handle(struct vblk *vb, unsigned int q, struct vq_elem *e)
{
	struct virtio_blk_outhdr hdr;
	struct virtio_blk_discard_write_zeroes dz;
	struct iovec *in = e->iov + e->nr_out, *last;
	uint64_t data_in, data_out, cap = blk_size(vb->blk) / SECTOR, sector;
	struct vblk_req *r;
	uint32_t type;
	uint8_t *status;

	/* 5.2.6: header first (device-readable), status byte last (writable). */
	if (e->out_len < sizeof(hdr) || e->in_len < 1 || !e->nr_in)
		return false;
	last = &in[e->nr_in - 1];
	if (!last->iov_len)
		return false;
	status = (uint8_t *)last->iov_base + last->iov_len - 1;
	iov_to_buf(e->iov, e->nr_out, 0, &hdr, sizeof(hdr));
	type = le32toh(hdr.type);
	sector = le64toh(hdr.sector);
	data_out = e->out_len - sizeof(hdr);
	data_in = e->in_len - 1;

	if (type <= VIRTIO_BLK_T_WRITE_ZEROES)
		vb->reqs[type]++;
	else
		vb->other++;

	r = calloc(1, sizeof(*r) + (e->nr_out + e->nr_in) * sizeof(struct iovec));
	if (!r) {
		finish(vb, q, e->head, status, VIRTIO_BLK_S_IOERR, 0);
		return true;
	}
	r->vb = vb;
	r->q = q;
	r->head = e->head;
	r->type = type;
	r->status = status;
	r->br.done = req_done;
	r->br.iov = r->iov;
	r->br.opaque = r;

	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (data_in % SECTOR || sector > cap || data_in / SECTOR > cap - sector)
			goto ioerr;
		r->br.op = BLK_READ;
		r->br.iovcnt = iov_slice(in, e->nr_in, 0, data_in, r->iov, e->nr_in);
		r->br.len = data_in;
		r->used_len = (uint32_t)data_in;
		break;
	case VIRTIO_BLK_T_OUT:
		if (data_out % SECTOR || sector > cap || data_out / SECTOR > cap - sector ||
		    blk_readonly(vb->blk))
			goto ioerr;
		r->br.op = BLK_WRITE;
		r->br.iovcnt =
			iov_slice(e->iov, e->nr_out, sizeof(hdr), data_out, r->iov, e->nr_out);
		r->br.len = data_out;
		break;
	case VIRTIO_BLK_T_FLUSH: r->br.op = BLK_FLUSH; break;
	case VIRTIO_BLK_T_GET_ID: {
		uint64_t len = data_in < VIRTIO_BLK_ID_BYTES ? data_in : VIRTIO_BLK_ID_BYTES;

		iov_from_buf(in, e->nr_in, 0, vb->serial, len);
		finish(vb, q, e->head, status, VIRTIO_BLK_S_OK, (uint32_t)len);
		free(r);
		return true;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES: {
		bool discard = type == VIRTIO_BLK_T_DISCARD;
		uint32_t flags, num;

		if (!virtio_has_feature(&vb->vdev,
					discard ? VIRTIO_BLK_F_DISCARD : VIRTIO_BLK_F_WRITE_ZEROES))
			goto unsupp;
		/* One segment (max_discard_seg = max_write_zeroes_seg = 1). */
		if (data_out != sizeof(dz))
			goto unsupp;
		iov_to_buf(e->iov, e->nr_out, sizeof(hdr), &dz, sizeof(dz));
		sector = le64toh(dz.sector);
		num = le32toh(dz.num_sectors);
		flags = le32toh(dz.flags);
		/* 5.2.6.2: unmap is only for write-zeroes; other bits reserved. */
		if (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP ||
		    (discard && (flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)))
			goto unsupp;
		if (num > VBLK_MAX_DZ_SECTORS || sector > cap || num > cap - sector)
			goto ioerr;
		if (blk_readonly(vb->blk))
			goto ioerr;
		r->br.op = discard ? BLK_DISCARD : BLK_WRITE_ZEROES;
		r->br.len = (uint64_t)num * SECTOR;
		break;
	}
	default: goto unsupp;
	}
	r->br.offset = sector * SECTOR;
	blk_submit(vb->blk, &r->br);
	return true;
ioerr:
	finish(vb, q, e->head, status, VIRTIO_BLK_S_IOERR, 0);
	free(r);
	return true;
unsupp:
	finish(vb, q, e->head, status, VIRTIO_BLK_S_UNSUPP, 0);
	free(r);
	return true;
}

/* io_lock held: pop and submit what the ring holds, within @budget. As vq_pop(). */
static int serve(struct vblk *vb, unsigned int q, unsigned int *budget, unsigned int *taken)
{
	struct virtqueue *vq = &vb->vdev.vqs[q];
	int ret = 0;

	while (*budget && (ret = vq_pop(vq, &vb->elem)) > 0) {
		(*budget)--;
		(*taken)++;
		if (!handle(vb, q, &vb->elem))
			return vq_fail(vq, "malformed request (no header or status byte)");
	}
	return ret;
}

/* io_lock held: a broken queue, or a budget spent (come back after the others). */
static void serve_end(struct vblk *vb, unsigned int q, int ret, unsigned int budget)
{
	struct virtqueue *vq = &vb->vdev.vqs[q];

	if (ret >= 0 && !budget)
		virtio_requeue(&vb->vdev, q);
	if (ret < 0)
		virtio_needs_reset(&vb->vdev, vq->why_broken ? vq->why_broken : "queue broken");
}

/* Everything on the ring, submitted; kicks on again. Returns requests taken, -1 if broken. */
static int take_ring(struct vblk *vb, unsigned int q, unsigned int *budget)
{
	struct virtqueue *vq = &vb->vdev.vqs[q];
	unsigned int taken = 0;
	int ret = 0;

	blk_plug(vb->blk); /* one kernel submission for the whole batch */
	do {
		vq_disable_kicks(vq);
		ret = serve(vb, q, budget, &taken);
	} while (ret == 0 && *budget && vq_enable_kicks(vq) && (*budget)--);
	serve_end(vb, q, ret, *budget);
	blk_unplug(vb->blk);
	notify_all(vb); /* requests finished at once (errors, GET_ID) */
	return ret < 0 ? -1 : (int)taken;
}

static void vblk_queue_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct vblk *vb = vdev->priv;
	unsigned int budget = VIRTIO_BUDGET(&vdev->vqs[q]);

	pthread_mutex_lock(&vb->io_lock);
	if (vb->live)
		take_ring(vb, q, &budget);
	pthread_mutex_unlock(&vb->io_lock);
	/* Page-cache reads are often done already: complete them now. */
	blk_poll(vb->blk);
}

void virtio_blk_take_ring(struct virtio_dev *vdev)
{
	struct vblk *vb = vdev->priv;
	unsigned int budget = VIRTIO_BUDGET(&vdev->vqs[0]);

	pthread_mutex_lock(&vb->io_lock);
	if (vb->live)
		take_ring(vb, 0, &budget);
	pthread_mutex_unlock(&vb->io_lock);
}

static int vblk_activate(struct virtio_dev *vdev)
{
	struct vblk *vb = vdev->priv;

	pthread_mutex_lock(&vb->io_lock);
	vb->live = true;
	vb->to_notify = 0;
	pthread_mutex_unlock(&vb->io_lock);
	return 0;
}

/* vCPU thread (vdev->lock held) or shut-down: stop, wait for in-flight requests. */
static void vblk_reset(struct virtio_dev *vdev)
{
	struct vblk *vb = vdev->priv;

	pthread_mutex_lock(&vb->io_lock);
	vb->live = false;
	vb->to_notify = 0;
	pthread_mutex_unlock(&vb->io_lock);
	blk_drain(vb->blk);
}

static void vblk_config_read(struct virtio_dev *vdev, uint32_t off, void *buf, uint32_t len)
{
	struct vblk *vb = vdev->priv;

	if (off > sizeof(vb->cfg) || len > sizeof(vb->cfg) - off) {
		memset(buf, 0, len);
		return;
	}
	memcpy(buf, (uint8_t *)&vb->cfg + off, len);
}

static void vblk_config_write(struct virtio_dev *vdev, uint32_t off, const void *buf, uint32_t len)
{
	/* Nothing is writable (no VIRTIO_BLK_F_CONFIG_WCE): ignored. */
}

static void vblk_print_stats(struct virtio_dev *vdev, FILE *f)
{
	struct vblk *vb = vdev->priv;

	fprintf(f,
		"  requests: in %" PRIu64 ", out %" PRIu64 ", flush %" PRIu64 ", get-id %" PRIu64
		", discard %" PRIu64 ", write-zeroes %" PRIu64 ", other %" PRIu64
		"; status ioerr %" PRIu64 ", unsupp %" PRIu64 "\n",
		vb->reqs[VIRTIO_BLK_T_IN], vb->reqs[VIRTIO_BLK_T_OUT], vb->reqs[VIRTIO_BLK_T_FLUSH],
		vb->reqs[VIRTIO_BLK_T_GET_ID], vb->reqs[VIRTIO_BLK_T_DISCARD],
		vb->reqs[VIRTIO_BLK_T_WRITE_ZEROES], vb->other, vb->ioerr, vb->unsupp);
	blk_print_stats(vb->blk, "  disk", f);
}

static const struct virtio_dev_ops vblk_ops = {
	.config_read = vblk_config_read,
	.config_write = vblk_config_write,
	.activate = vblk_activate,
	.reset = vblk_reset,
	.queue_notify = vblk_queue_notify,
	.print_stats = vblk_print_stats,
};

/*
 * A virtio-blk device named @name on the open back-end @b with @nq queues,
 * not yet created (the caller picks the transport). NULL without memory.
 */
static struct vblk *vblk_new(struct blk *b, const char *name, const char *serial, unsigned int nq)
{
	struct virtio_blk_config *c;
	struct vblk *vb;
	uint64_t f;

	vb = calloc(1, sizeof(*vb));
	if (!vb)
		return NULL;
	vb->blk = b;
	pthread_mutex_init(&vb->io_lock, NULL);
	snprintf(vb->name, sizeof(vb->name), "%s", name);
	memcpy(vb->serial, serial, strnlen(serial, VIRTIO_BLK_ID_BYTES));

	if (nq < 1)
		nq = 1;
	if (nq > VBLK_MAX_QUEUES)
		nq = VBLK_MAX_QUEUES;
	f = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
	    1ULL << VIRTIO_BLK_F_FLUSH | 1ULL << VIRTIO_BLK_F_MQ | 1ULL << VIRTIO_RING_F_EVENT_IDX |
	    1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (blk_readonly(b))
		f |= 1ULL << VIRTIO_BLK_F_RO;
	else
		f |= 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;

	c = &vb->cfg;
	c->capacity = htole64(blk_size(b) / SECTOR);
	c->seg_max = htole32(VBLK_QUEUE_SIZE - 2); /* room for header and status */
	c->blk_size = htole32(SECTOR);
	c->num_queues = htole16((uint16_t)nq);
	c->max_discard_sectors = htole32(VBLK_MAX_DZ_SECTORS);
	c->max_discard_seg = htole32(1);
	c->discard_sector_alignment = htole32(VBLK_DISCARD_ALIGN);
	c->max_write_zeroes_sectors = htole32(VBLK_MAX_DZ_SECTORS);
	c->max_write_zeroes_seg = htole32(1);
	c->write_zeroes_may_unmap = 0;

	vb->vdev.name = vb->name;
	vb->vdev.device_id = VIRTIO_ID_BLOCK;
	vb->vdev.host_features = f;
	vb->vdev.nr_queues = nq;
	vb->vdev.queue_max = VBLK_QUEUE_SIZE;
	/* Up to the secure-erase fields, which are not offered. */
	vb->vdev.config_size = offsetof(struct virtio_blk_config, max_secure_erase_sectors);
	vb->vdev.ops = &vblk_ops;
	vb->vdev.priv = vb;
	return vb;
}

static int vblk_register(struct vm *vm, struct vblk *vb)
{
	int ret;

	blk_set_batch_end(vb->blk, batch_end, vb);
	ret = virtio_dev_create(vm, &vb->vdev);
	if (ret < 0) {
		fprintf(stderr, "vmm: %s: %s\n", vb->name, strerror(-ret));
		blk_set_batch_end(vb->blk, NULL, NULL);
	}
	return ret;
}

struct virtio_dev *virtio_blk_attach(struct vm *vm, struct blk *b, const char *name,
				     const char *serial, const struct virtio_transport_ops *tops,
				     void *transport_priv)
{
	struct vblk *vb = vblk_new(b, name, serial, 1);

	if (!vb)
		return NULL;
	vb->vdev.tops = tops;
	vb->vdev.transport_priv = transport_priv;
	if (vblk_register(vm, vb) < 0) {
		free(vb);
		return NULL;
	}
	return &vb->vdev;
}

uint64_t virtio_blk_requests(const struct virtio_dev *vdev)
{
	const struct vblk *vb = vdev->priv;
	uint64_t n = vb->other;

	for (unsigned int t = 0; t <= VIRTIO_BLK_T_WRITE_ZEROES; t++)
		n += vb->reqs[t];
	return n;
}

static int vblk_create(struct vm *vm, unsigned int i)
{
	const struct disk_opts *o = &vm->cfg->disks[i];
	struct blk *b = blk_disk(i);
	struct vblk *vb;
	char name[24];
	int ret;

	if (!b) {
		char err[512];

		b = blk_open(o, err, sizeof(err));
		if (!b) {
			fprintf(stderr, "vmm: --disk %s\n", err);
			return -EINVAL;
		}
	}
	snprintf(name, sizeof(name), "virtio-blk%u", i);
	vb = vblk_new(b, name, o->serial, vm->cfg->cpus);
	if (!vb)
		return -ENOMEM;
	vb->vdev.transport = config_transport(vm->cfg, o->transport);
	ret = vblk_register(vm, vb);
	if (ret < 0) {
		free(vb);
		return ret;
	}
	vblks[i] = vb;
	return 0;
}

static int vblk_init(struct vm *vm)
{
	if (!vm->cfg)
		return 0;
	for (unsigned int i = 0; i < vm->cfg->nr_disks; i++) {
		int ret;

		if (config_disk_is_ide(vm->cfg, i))
			continue; /* devices/ide.c's */
		ret = vblk_create(vm, i);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Before exit: requests are drained by the core's reset; make them durable. */
static void vblk_shutdown(struct vm *vm)
{
	for (unsigned int i = 0; i < CONFIG_MAX_DISKS; i++)
		if (vblks[i])
			blk_drain(vblks[i]->blk);
}

static struct device vblk_device = {
	.name = "virtio-blk",
	.level = DEV_LEVEL_DEVICE,
	.init = vblk_init,
	.shutdown = vblk_shutdown,
};
device_init(vblk_device);
