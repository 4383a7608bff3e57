// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio core through the virtio-mmio transport, driven by register
 * accesses on the real bus as vCPU exits would be: feature negotiation
 * (FEATURES_OK refused without VERSION_1 or with bits not offered), queue
 * start at DRIVER_OK (bad rings -> DEVICE_NEEDS_RESET), reset, kicks
 * (eventfds), and the level-triggered interrupt with InterruptACK. No KVM:
 * the ioeventfd registration fails and QueueNotify traps, as it would on a
 * host without KVM_IOEVENTFD.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/virtio_mmio.h>

#include "bios/aml.h"
#include "bios/tables.h"
#include "mmio/bus.h"
#include "mmio/ioloop.h"
#include "tests/unit/fake_vm.h"
#include "virtio/virtio.h"

#define BASE 0xd0000000ULL
#define GSI  20

static struct vm vm;
static struct config cfg;
static struct virtio_dev vdev;
static int activations, resets, notifies;
static int activate_ret;

static int t_activate(struct virtio_dev *d)
{
	activations++;
	return activate_ret;
}

static void t_reset(struct virtio_dev *d)
{
	resets++;
}

static void t_notify(struct virtio_dev *d, unsigned int q)
{
	notifies++;
}

static void t_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	uint8_t *b = buf;

	for (uint32_t i = 0; i < len; i++)
		b[i] = 0x40 + off + i;
}

static const struct virtio_dev_ops ops = {
	.config_read = t_config_read,
	.activate = t_activate,
	.reset = t_reset,
	.queue_notify = t_notify,
};

static uint32_t rd(uint64_t off)
{
	uint8_t d[4];

	bus_access(BUS_MMIO, BASE + off, d, 4, false);
	return d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24;
}

static void wr(uint64_t off, uint32_t v)
{
	uint8_t d[4] = { v, v >> 8, v >> 16, v >> 24 };

	bus_access(BUS_MMIO, BASE + off, d, 4, true);
}

static int group_setup(void **state)
{
	fake_vm_init(&vm, &cfg);
	if (mem_init(&vm.mem, 1 << 20) || ioloop_init() < 0)
		return -1;
	vdev.name = "virtio-test0";
	vdev.device_id = VIRTIO_ID_RNG;
	vdev.host_features = 1ULL << VIRTIO_RING_F_EVENT_IDX;
	vdev.nr_queues = 2;
	vdev.queue_max = 64;
	vdev.config_size = 8;
	vdev.ops = &ops;
	vdev.transport = VT_MMIO;
	return virtio_dev_create(&vm, &vdev);
}

static int setup(void **state)
{
	wr(VIRTIO_MMIO_STATUS, 0);
	fake_clear();
	activations = resets = notifies = 0;
	activate_ret = 0;
	return 0;
}

/* Driver side up to FEATURES_OK with @lo / @hi accepted; returns the status. */
static uint32_t negotiate(uint32_t lo, uint32_t hi)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, lo);
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, hi);
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
	return rd(VIRTIO_MMIO_STATUS);
}

static void queue(unsigned int q, uint64_t desc, uint64_t avail, uint64_t used)
{
	wr(VIRTIO_MMIO_QUEUE_SEL, q);
	wr(VIRTIO_MMIO_QUEUE_NUM, 8);
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, desc >> 32);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail);
	wr(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, avail >> 32);
	wr(VIRTIO_MMIO_QUEUE_USED_LOW, used);
	wr(VIRTIO_MMIO_QUEUE_USED_HIGH, used >> 32);
	wr(VIRTIO_MMIO_QUEUE_READY, 1);
}

static uint64_t kicks(unsigned int q)
{
	uint64_t n = 0;

	if (read(vdev.kick_fd[q], &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static void test_identity(void **state)
{
	assert_int_equal(rd(VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_RNG);
	wr(VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
	wr(VIRTIO_MMIO_QUEUE_SEL, 2); /* no such queue */
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1); /* VERSION_1 added */
	wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(VIRTIO_MMIO_DEVICE_FEATURES), 1u << VIRTIO_RING_F_EVENT_IDX);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG + 4), 0x47464544);
	assert_int_equal(rd(VIRTIO_MMIO_CONFIG + 8), 0); /* past config_size */
}

static void test_features(void **state)
{
	/* No VERSION_1: refused. */
	assert_false(negotiate(0, 0) & VIRTIO_CONFIG_S_FEATURES_OK);
	wr(VIRTIO_MMIO_STATUS, 0);
	/* A bit the device did not offer: refused. */
	assert_false(negotiate(1u << 3, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_true(negotiate(1u << VIRTIO_RING_F_EVENT_IDX, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	assert_true(virtio_has_feature(&vdev, VIRTIO_RING_F_EVENT_IDX));
	assert_true(virtio_has_feature(&vdev, VIRTIO_F_VERSION_1));
	/* Fixed after FEATURES_OK. */
	wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(VIRTIO_MMIO_DRIVER_FEATURES, 0);
	assert_true(virtio_has_feature(&vdev, VIRTIO_RING_F_EVENT_IDX));
}

static void test_driver_ok_and_kick(void **state)
{
	assert_true(negotiate(0, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	queue(0, 0x1000, 0x2000, 0x3000);
	kicks(0);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0xf);
	assert_int_equal(activations, 1);
	assert_ptr_equal(vdev.vqs[0].desc, vm.mem.base + 0x1000);
	assert_true(kicks(0) > 0); /* DRIVER_OK re-signals a ready queue */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(kicks(0), 1);
	/* Queue 1 exists but is not ready: the driver broke the rules. */
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	assert_true(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(kicks(1), 0);
}

static void test_bad_notify_index(void **state)
{
	assert_true(negotiate(0, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	queue(0, 0x1000, 0x2000, 0x3000);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 12345);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0xf | VIRTIO_CONFIG_S_NEEDS_RESET);
	/* The config interrupt tells the driver. */
	assert_true(rd(VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	assert_int_equal(fake_level(GSI), 1);
	/* The driver cannot clear NEEDS_RESET, only reset. */
	wr(VIRTIO_MMIO_STATUS, 0xf);
	assert_true(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(fake_level(GSI), 0);
	assert_int_equal(resets, 1);
}

static void test_bad_ring(void **state)
{
	assert_true(negotiate(0, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	queue(0, 0x1000, 0x2000, 0xfee00000); /* used ring on the LAPIC */
	wr(VIRTIO_MMIO_STATUS, 0xf);
	assert_true(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(activations, 0);
	wr(VIRTIO_MMIO_STATUS, 0);
	/* Misaligned, and beyond RAM. */
	assert_true(negotiate(0, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	queue(0, 0x1008, 0x2000, 0x3000);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	assert_true(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	wr(VIRTIO_MMIO_STATUS, 0);
	assert_true(negotiate(0, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	queue(0, 0x100000000ULL, 0x2000, 0x3000);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	assert_true(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* Only a reset clears status bits: no second activate, no queue rewrite. */
static void test_status_bits_stay(void **state)
{
	assert_true(negotiate(0, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	queue(0, 0x1000, 0x2000, 0x3000);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	assert_int_equal(rd(VIRTIO_MMIO_STATUS), 0xf);
	/* A started queue cannot be taken down and resized. */
	wr(VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_READY), 1);
	wr(VIRTIO_MMIO_QUEUE_NUM, 0);
	assert_int_equal(vdev.vqs[0].size, 8);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	assert_int_equal(activations, 1);
	assert_false(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_driver_ok_without_features_ok(void **state)
{
	wr(VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	wr(VIRTIO_MMIO_STATUS,
	   VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_DRIVER_OK);
	assert_true(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(activations, 0);
}

static void test_activate_fails(void **state)
{
	activate_ret = -EIO;
	assert_true(negotiate(0, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	assert_true(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_interrupt(void **state)
{
	struct vring_desc *d = mem_ptr(&vm.mem, 0x1000, 16);
	struct vring_avail *a = mem_ptr(&vm.mem, 0x2000, 32);
	struct vq_elem *e = calloc(1, sizeof(*e));

	assert_true(negotiate(0, 1) & VIRTIO_CONFIG_S_FEATURES_OK);
	queue(0, 0x1000, 0x2000, 0x3000);
	/* Queue fields are frozen once ready. */
	wr(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x5000);
	assert_int_equal(rd(VIRTIO_MMIO_QUEUE_DESC_LOW), 0x1000);
	wr(VIRTIO_MMIO_STATUS, 0xf);
	d->addr = 0x8000;
	d->len = 16;
	d->flags = VRING_DESC_F_WRITE;
	a->ring[0] = 0;
	a->idx = 1;
	assert_int_equal(vq_pop(&vdev.vqs[0], e), 1);
	vq_push(&vdev.vqs[0], e->head, 16);
	virtio_notify(&vdev, 0);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	assert_int_equal(fake_level(GSI), 1);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	assert_int_equal(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	assert_int_equal(fake_level(GSI), 0);
	/* The driver asked for no interrupts: none. */
	a->flags = VRING_AVAIL_F_NO_INTERRUPT;
	vq_push(&vdev.vqs[0], 0, 1);
	virtio_notify(&vdev, 0);
	assert_int_equal(fake_level(GSI), 0);
	free(e);
}

/* Does @a hold @n bytes @pat? */
static bool has(const struct aml *a, const uint8_t *pat, size_t n)
{
	for (size_t i = 0; i + n <= a->len; i++)
		if (!memcmp(a->buf + i, pat, n))
			return true;
	return false;
}

/*
 * The DSDT entries: LNRO0005, the window, the level GSI; with a fifth
 * device GSI 20 is shared, and the descriptor says so. Runs last: it adds
 * devices.
 */
static void test_dsdt(void **state)
{
	static struct virtio_dev more[4];
	const uint8_t mem0[] = { 0x86, 9, 0, 1, 0, 0, 0, 0xd0, 0, 0x10, 0, 0 };
	const uint8_t mem4[] = { 0x86, 9, 0, 1, 0, 0x40, 0, 0xd0, 0, 0x10, 0, 0 };
	const uint8_t excl21[] = { 0x89, 6, 0, 0x01, 1, 21, 0, 0, 0 };
	const uint8_t shared20[] = { 0x89, 6, 0, 0x09, 1, 20, 0, 0, 0 };
	struct platform_info *p = &vm.platform;
	struct aml a;

	for (int i = 0; i < 4; i++) {
		more[i] = vdev;
		memset(more[i].vqs, 0, sizeof(more[i].vqs));
		more[i].tops = NULL; /* a transport of its own */
		more[i].transport_priv = NULL;
		assert_int_equal(virtio_dev_create(&vm, &more[i]), 0);
	}
	assert_int_equal(p->nr_dsdt_hooks, 5);
	aml_init(&a);
	for (unsigned int i = 0; i < p->nr_dsdt_hooks; i++)
		p->dsdt_hooks[i].fn(&a, &vm, p->dsdt_hooks[i].opaque);
	assert_int_equal(aml_error(&a), 0);
	assert_true(has(&a, (const uint8_t *)"LNRO0005", 8));
	assert_true(has(&a, (const uint8_t *)"VR04", 4));
	assert_true(has(&a, mem0, sizeof(mem0)));
	assert_true(has(&a, mem4, sizeof(mem4)));
	/* Five devices on four lines: every line is described as shared now. */
	assert_true(has(&a, shared20, sizeof(shared20)));
	assert_false(has(&a, excl21, sizeof(excl21)));
	aml_free(&a);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_identity),	    T(test_features),
		T(test_driver_ok_and_kick), T(test_bad_notify_index),
		T(test_bad_ring),	    T(test_driver_ok_without_features_ok),
		T(test_activate_fails),	    T(test_interrupt),
		T(test_status_bits_stay),   T(test_dsdt),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
