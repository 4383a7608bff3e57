// SPDX-License-Identifier: GPL-2.0
/*
 * A malicious driver's split ring: the input is the first 64 KiB of a
 * small guest memory (descriptor table, rings, indirect tables, all of
 * it), plus a header choosing the queue size, the ring addresses (some
 * outside RAM or misaligned) and the ring features. The device side then
 * pops, touches every byte of every buffer it was given (ASan checks they
 * are inside guest RAM), pushes, and asks about notifications, as a
 * device model would. It must never crash, read outside guest memory or
 * loop forever: a bad ring ends in -EIO.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "mmio/mem.h"
#include "virtio/virtqueue.h"

#define RAM_SIZE (1u << 20)
#define WINDOW	 (64u << 10) /* guest memory the input fills */
#define RINGS	 4096	     /* where ring addresses usually point: inside the input */
#define HDR	 16

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct guest_mem mem;
static struct virtqueue vq;
static struct vq_elem elem;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return mem_init(&mem, RAM_SIZE) ? 1 : 0;
}

/* A ring address: mostly inside the window, sometimes anywhere. */
static uint64_t ring_addr(const uint8_t *p, bool wild)
{
	uint32_t v = p[0] | p[1] << 8 | (uint32_t)p[2] << 16;

	if (wild)
		return (uint64_t)v << 20 | v; /* outside RAM or straddling its end */
	return v % RINGS;
}

static volatile uint8_t sink;

static void touch(const struct vq_elem *e)
{
	for (unsigned int i = 0; i < e->nr_out + e->nr_in; i++) {
		uint8_t *b = e->iov[i].iov_base;
		size_t n = e->iov[i].iov_len;

		if (i < e->nr_out) {
			sink = b[0];
			sink = b[n - 1];
		} else {
			b[0] = 0xa5;
			b[n - 1] = 0x5a;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t flags;
	size_t n;
	int ret;

	if (size < HDR)
		return 0;
	flags = data[1];
	/* The input, repeated: rings and tables anywhere in the window are its bytes. */
	n = size - HDR;
	if (!n) {
		memset(mem.base, 0, WINDOW);
	} else {
		memcpy(mem.base, data + HDR, n < WINDOW ? n : WINDOW);
		for (size_t filled = n; filled < WINDOW; filled *= 2)
			memcpy(mem.base + filled, mem.base,
			       filled <= WINDOW - filled ? filled : WINDOW - filled);
	}

	vq_reset(&vq);
	vq.size = flags & 0x80 ? data[0] | data[15] << 8 : 1u << (data[0] % 11);
	vq.desc_gpa = ring_addr(data + 2, flags & 0x10);
	vq.avail_gpa = ring_addr(data + 5, flags & 0x20);
	vq.used_gpa = ring_addr(data + 8, flags & 0x40);
	if (!(flags & 0x08)) { /* mostly aligned, so the pop path gets exercised */
		vq.desc_gpa &= ~15ULL;
		vq.avail_gpa &= ~1ULL;
		vq.used_gpa &= ~3ULL;
	}
	vq.event_idx = flags & 1;
	vq.indirect = flags & 2;
	vq.ready = true;
	if (vq_start(&vq, &mem) < 0)
		return 0;
	vq.last_avail = data[11] | data[12] << 8;
	vq.used_idx = data[13];
	for (int round = 0; round < 2 * VQ_MAX_SIZE; round++) {
		if (flags & 4)
			vq_disable_kicks(&vq);
		ret = vq_pop(&vq, &elem);
		if (ret < 0) {
			/* Broken stays broken until reset. */
			if (vq_pop(&vq, &elem) != -EIO || !vq.broken || !vq.why_broken)
				__builtin_trap();
			break;
		}
		if (ret == 0) {
			if (!vq_enable_kicks(&vq))
				break;
			continue;
		}
		if (elem.head >= vq.size || elem.nr_out + elem.nr_in > VQ_MAX_SEGS)
			__builtin_trap();
		touch(&elem);
		vq_push(&vq, elem.head, (uint32_t)elem.in_len ^ data[14]);
		if (round % 3 == 0)
			(void)vq_should_notify(&vq);
	}
	(void)vq_should_notify(&vq);
	return 0;
}
