// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueue, device side (virtio 1.x, 2.7). Every value read from the
 * rings is guest-controlled and may change under us (another vCPU), so each
 * descriptor is copied once and only the copy is checked and used.
 *
 * Ordering (the spec's "memory barriers", 2.7.13 and 2.7.7):
 *  - read avail->idx, then (acquire) the ring entry and the descriptors;
 *  - write the used element, then (release) used->idx;
 *  - write used->idx, then (full fence) read used_event / avail->flags to
 *    decide about an interrupt; write avail_event / used->flags, then
 *    (full fence) re-read avail->idx before sleeping.
 * No lock: one thread serves a queue (virtqueue.h).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <linux/virtio_pci.h>

#include "mmio/mem.h"
#include "virtio/virtqueue.h"

static inline uint16_t load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void store16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

void vq_reset(struct virtqueue *vq)
{
	memset(vq, 0, sizeof(*vq));
	vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
}

int vq_fail(struct virtqueue *vq, const char *why)
{
	if (!vq->broken) {
		vq->broken = true;
		vq->why_broken = why;
	}
	return -EIO;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen; /* both ranges are inside RAM: no wrap */
}

int vq_start(struct virtqueue *vq, const struct guest_mem *mem)
{
	uint16_t n = vq->size;
	uint64_t desc_len, avail_len, used_len;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;

	__atomic_store_n(&vq->avail, NULL, __ATOMIC_RELEASE);
	vq->desc = NULL;
	vq->used = NULL;
	if (!n || n > VQ_MAX_SIZE || (n & (n - 1)))
		return -EINVAL;
	/* Alignments from 2.7: descriptor table 16, available ring 2, used ring 4. */
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3))
		return -EINVAL;
	/* Sizes include used_event / avail_event whether or not EVENT_IDX is on. */
	desc_len = sizeof(struct vring_desc) * n;
	avail_len = sizeof(struct vring_avail) + 2 * (n + 1);
	used_len = sizeof(struct vring_used) + sizeof(struct vring_used_elem) * n + 2;
	desc = mem_ptr(mem, vq->desc_gpa, desc_len);
	avail = mem_ptr(mem, vq->avail_gpa, avail_len);
	used = mem_ptr(mem, vq->used_gpa, used_len);
	/*
	 * The used ring is the only part we write: laid over the driver's
	 * areas, our own writes would read back as new work, forever.
	 */
	if (!desc || !avail || !used ||
	    overlaps(vq->used_gpa, used_len, vq->avail_gpa, avail_len) ||
	    overlaps(vq->used_gpa, used_len, vq->desc_gpa, desc_len))
		return -EINVAL;
	vq->mem = mem;
	vq->desc = desc;
	vq->used = used;
	vq->last_avail = 0;
	vq->used_idx = 0; /* both indices start at 0 after a reset (2.7.6, 2.7.8) */
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = false;
	vq->kicks_off = false;
	vq->broken = false;
	vq->why_broken = NULL;
	/*
	 * Published last: a device handler on the I/O thread (a tap event)
	 * may look at a queue the driver enables after DRIVER_OK, and must
	 * never see the avail ring without the rest.
	 */
	__atomic_store_n(&vq->avail, avail, __ATOMIC_RELEASE);
	return 0;
}

/* avail_event lives after the used ring; used_event after the avail ring. */
static inline uint16_t *avail_event_ptr(struct virtqueue *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

static inline uint16_t *used_event_ptr(struct virtqueue *vq)
{
	return &vq->avail->ring[vq->size];
}

/* Map one descriptor's buffer into @e. 0 or -EIO. */
static int add_seg(struct virtqueue *vq, struct vq_elem *e, const struct vring_desc *d)
{
	unsigned int n = e->nr_out + e->nr_in;
	void *p;

	if (n >= VQ_MAX_SEGS)
		return vq_fail(vq, "descriptor chain too long");
	if (!d->len)
		return vq_fail(vq, "zero-length descriptor");
	p = mem_ptr(vq->mem, d->addr, d->len);
	if (!p)
		return vq_fail(vq, "descriptor buffer outside guest RAM");
	if (d->flags & VRING_DESC_F_WRITE) {
		e->nr_in++;
		e->in_len += d->len;
	} else {
		if (e->nr_in)
			return vq_fail(vq, "device-readable descriptor after a writable one");
		e->nr_out++;
		e->out_len += d->len;
	}
	e->iov[n].iov_base = p;
	e->iov[n].iov_len = d->len;
	return 0;
}

/* Walk an indirect table of @len bytes at @gpa. 0 or -EIO. */
static int walk_indirect(struct virtqueue *vq, struct vq_elem *e, uint64_t gpa, uint32_t len)
{
	const uint8_t *table;
	unsigned int n, i, count = 0;
	struct vring_desc d;

	if (!len || len % sizeof(struct vring_desc))
		return vq_fail(vq, "indirect table length not a multiple of 16");
	n = len / sizeof(struct vring_desc);
	if (n > VQ_MAX_SEGS)
		return vq_fail(vq, "indirect table too long");
	table = mem_ptr(vq->mem, gpa, len);
	if (!table)
		return vq_fail(vq, "indirect table outside guest RAM");
	i = 0;
	for (;;) {
		/* Not necessarily aligned: copy, never dereference in place. */
		memcpy(&d, table + (size_t)i * sizeof(d), sizeof(d));
		if (++count > n)
			return vq_fail(vq, "indirect descriptor loop");
		if (d.flags & VRING_DESC_F_INDIRECT)
			return vq_fail(vq, "nested indirect descriptor");
		if (add_seg(vq, e, &d))
			return -EIO;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= n)
			return vq_fail(vq, "indirect descriptor index out of range");
	}
}

int vq_pop(struct virtqueue *vq, struct vq_elem *e)
{
	uint16_t avail_idx, head, size = vq->size;
	unsigned int i, count = 0;
	struct vring_desc d;

	if (vq->broken)
		return -EIO;
	if (!__atomic_load_n(&vq->avail, __ATOMIC_ACQUIRE))
		return vq_fail(vq, "queue used before it was started");
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if ((uint16_t)(avail_idx - vq->last_avail) > size)
		return vq_fail(vq, "available index ran more than a queue size ahead");
	if (avail_idx == vq->last_avail)
		return 0;

	head = load16(&vq->avail->ring[vq->last_avail & (size - 1)]);
	if (head >= size)
		return vq_fail(vq, "head descriptor index out of range");
	e->head = head;
	e->nr_out = e->nr_in = 0;
	e->out_len = e->in_len = 0;

	i = head;
	for (;;) {
		memcpy(&d, &vq->desc[i], sizeof(d));
		if (++count > size)
			return vq_fail(vq, "descriptor loop");
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (!vq->indirect)
				return vq_fail(vq, "indirect descriptor not negotiated");
			if (d.flags & VRING_DESC_F_NEXT)
				return vq_fail(vq, "indirect descriptor with NEXT");
			if (walk_indirect(vq, e, d.addr, d.len))
				return -EIO;
			break;
		}
		if (add_seg(vq, e, &d))
			return -EIO;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
		if (i >= size)
			return vq_fail(vq, "descriptor index out of range");
	}
	vq->last_avail++;
	/* Ask for a kick when the driver adds past what we took (2.7.10). */
	if (vq->event_idx && !vq->kicks_off)
		store16(avail_event_ptr(vq), vq->last_avail);
	return 1;
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	struct vring_used_elem *u;

	if (!vq->used)
		return;
	u = &vq->used->ring[vq->used_idx & (vq->size - 1)];
	__atomic_store_n(&u->id, (uint32_t)head, __ATOMIC_RELAXED);
	__atomic_store_n(&u->len, len, __ATOMIC_RELAXED);
	vq->used_idx++;
	/* The element must be visible before the index that publishes it. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
}

bool vq_should_notify(struct virtqueue *vq)
{
	uint16_t old, new, event;
	bool valid;

	if (!vq->avail)
		return false;
	/* used->idx must be visible before we look at the driver's wishes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(load16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	new = vq->used_idx;
	valid = vq->signalled_valid;
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	event = load16(used_event_ptr(vq));
	return vring_need_event(event, new, old);
}

void vq_disable_kicks(struct virtqueue *vq)
{
	vq->kicks_off = true;
	if (!vq->used || vq->event_idx)
		return; /* with EVENT_IDX: avail_event simply stays behind */
	store16(&vq->used->flags, load16(&vq->used->flags) | VRING_USED_F_NO_NOTIFY);
}

bool vq_enable_kicks(struct virtqueue *vq)
{
	vq->kicks_off = false;
	if (!vq->used)
		return false;
	if (vq->event_idx)
		store16(avail_event_ptr(vq), vq->last_avail);
	else
		store16(&vq->used->flags, load16(&vq->used->flags) & ~VRING_USED_F_NO_NOTIFY);
	/* Our wish must be visible before we re-check for work (2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load16(&vq->avail->idx) != vq->last_avail;
}
