// SPDX-License-Identifier: GPL-2.0
/*
 * The split virtqueue against rings built by hand in a heap guest memory:
 * chains, indirect tables, EVENT_IDX notification suppression, and every
 * malformed ring the header promises to refuse (each one -EIO, and the
 * queue stays broken until reset).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mmio/mem.h"
#include "virtio/virtqueue.h"

#define QSZ	  8
#define DESC_GPA  0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA  0x3000
#define IND_GPA	  0x4000
#define BUF_GPA	  0x10000
#define RAM	  (1u << 20)

static struct guest_mem mem;
static struct virtqueue vq;
static struct vq_elem e;

static struct vring_desc *desc(unsigned int i)
{
	return mem_ptr(&mem, DESC_GPA + 16 * i, 16);
}

static struct vring_avail *avail(void)
{
	return mem_ptr(&mem, AVAIL_GPA, 4 + 2 * (QSZ + 1));
}

static struct vring_used *used(void)
{
	return mem_ptr(&mem, USED_GPA, 4 + 8 * QSZ + 2);
}

static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* Put @head on the avail ring. */
static void publish(uint16_t head)
{
	struct vring_avail *a = avail();

	a->ring[a->idx % QSZ] = head;
	a->idx++;
}

static int setup(void **state)
{
	assert_int_equal(mem_init(&mem, RAM), 0);
	memset(mem.base, 0, RAM);
	vq_reset(&vq);
	vq.size = QSZ;
	vq.desc_gpa = DESC_GPA;
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = USED_GPA;
	vq.ready = true;
	return 0;
}

static int teardown(void **state)
{
	mem_free(&mem);
	return 0;
}

static void start(bool event_idx, bool indirect)
{
	vq.event_idx = event_idx;
	vq.indirect = indirect;
	assert_int_equal(vq_start(&vq, &mem), 0);
}

static void expect_broken(void)
{
	assert_int_equal(vq_pop(&vq, &e), -EIO);
	assert_true(vq.broken);
	assert_non_null(vq.why_broken);
	assert_int_equal(vq_pop(&vq, &e), -EIO); /* stays broken */
}

static void test_start_checks(void **state)
{
	vq.size = 6; /* not a power of two */
	assert_int_equal(vq_start(&vq, &mem), -EINVAL);
	vq.size = 0;
	assert_int_equal(vq_start(&vq, &mem), -EINVAL);
	vq.size = 2 * VQ_MAX_SIZE;
	assert_int_equal(vq_start(&vq, &mem), -EINVAL);
	vq.size = QSZ;
	vq.desc_gpa = DESC_GPA + 8; /* misaligned */
	assert_int_equal(vq_start(&vq, &mem), -EINVAL);
	vq.desc_gpa = DESC_GPA;
	vq.avail_gpa = AVAIL_GPA + 1;
	assert_int_equal(vq_start(&vq, &mem), -EINVAL);
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = USED_GPA + 2;
	assert_int_equal(vq_start(&vq, &mem), -EINVAL);
	vq.used_gpa = RAM - 16; /* runs off the end of RAM */
	assert_int_equal(vq_start(&vq, &mem), -EINVAL);
	vq.used_gpa = 0xfee00000; /* not RAM at all */
	assert_int_equal(vq_start(&vq, &mem), -EINVAL);
	/* The used ring laid over the avail ring or the table: our writes would be work. */
	vq.used_gpa = AVAIL_GPA;
	assert_int_equal(vq_start(&vq, &mem), -EINVAL);
	vq.used_gpa = AVAIL_GPA - 4;
	assert_int_equal(vq_start(&vq, &mem), -EINVAL);
	vq.used_gpa = DESC_GPA + 16 * QSZ - 4;
	assert_int_equal(vq_start(&vq, &mem), -EINVAL);
	vq.used_gpa = USED_GPA;
	assert_int_equal(vq_start(&vq, &mem), 0);
	/* Touching but not overlapping is fine. */
	vq.used_gpa = DESC_GPA + 16 * QSZ;
	assert_int_equal(vq_start(&vq, &mem), 0);
	vq.used_gpa = USED_GPA;
}

static void test_chain(void **state)
{
	start(false, false);
	assert_int_equal(vq_pop(&vq, &e), 0); /* empty */
	set_desc(desc(3), BUF_GPA, 100, VRING_DESC_F_NEXT, 5);
	set_desc(desc(5), BUF_GPA + 100, 28, VRING_DESC_F_NEXT, 1);
	set_desc(desc(1), BUF_GPA + 200, 512, VRING_DESC_F_WRITE, 0);
	publish(3);
	assert_int_equal(vq_pop(&vq, &e), 1);
	assert_int_equal(e.head, 3);
	assert_int_equal(e.nr_out, 2);
	assert_int_equal(e.nr_in, 1);
	assert_int_equal(e.out_len, 128);
	assert_int_equal(e.in_len, 512);
	assert_ptr_equal(e.iov[0].iov_base, mem.base + BUF_GPA);
	assert_ptr_equal(e.iov[2].iov_base, mem.base + BUF_GPA + 200);
	assert_int_equal(vq_pop(&vq, &e), 0);
	vq_push(&vq, 3, 17);
	assert_int_equal(used()->idx, 1);
	assert_int_equal(used()->ring[0].id, 3);
	assert_int_equal(used()->ring[0].len, 17);
	assert_true(vq_should_notify(&vq));
	avail()->flags = VRING_AVAIL_F_NO_INTERRUPT;
	vq_push(&vq, 3, 1);
	assert_false(vq_should_notify(&vq));
	assert_false(vq.broken);
}

static void test_wrap(void **state)
{
	start(false, false);
	/* Indices wrap at 65536: start just below. */
	avail()->idx = 65534;
	vq.last_avail = 65534;
	set_desc(desc(0), BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	for (int i = 0; i < 4; i++)
		publish(0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(vq_pop(&vq, &e), 1);
		vq_push(&vq, e.head, 8);
	}
	assert_int_equal(vq_pop(&vq, &e), 0);
	assert_int_equal(avail()->idx, 2);
	assert_int_equal(used()->idx, 4);
}

static void test_indirect(void **state)
{
	struct vring_desc *ind = mem_ptr(&mem, IND_GPA, 16 * 4);

	start(false, true);
	set_desc(&ind[0], BUF_GPA, 16, VRING_DESC_F_NEXT, 2);
	set_desc(&ind[2], BUF_GPA + 16, 32, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 1);
	set_desc(&ind[1], BUF_GPA + 48, 64, VRING_DESC_F_WRITE, 0);
	set_desc(desc(2), IND_GPA, 16 * 4, VRING_DESC_F_INDIRECT, 0);
	publish(2);
	assert_int_equal(vq_pop(&vq, &e), 1);
	assert_int_equal(e.head, 2);
	assert_int_equal(e.nr_out, 1);
	assert_int_equal(e.nr_in, 2);
	assert_int_equal(e.in_len, 96);
	assert_ptr_equal(e.iov[2].iov_base, mem.base + BUF_GPA + 48);
}

static void test_event_idx(void **state)
{
	uint16_t *used_event, *avail_event;

	start(true, false);
	used_event = (uint16_t *)&avail()->ring[QSZ];
	avail_event = (uint16_t *)&used()->ring[QSZ];
	set_desc(desc(0), BUF_GPA, 8, VRING_DESC_F_WRITE, 0);
	for (int i = 0; i < 3; i++)
		publish(0);
	assert_int_equal(vq_pop(&vq, &e), 1);
	assert_int_equal(*avail_event, 1); /* kick me when you go past 1 */
	vq_push(&vq, 0, 8);
	/* First notification always goes out. */
	assert_true(vq_should_notify(&vq));
	/* The driver wants an interrupt only once used->idx passes 2. */
	*used_event = 2;
	assert_int_equal(vq_pop(&vq, &e), 1);
	vq_push(&vq, 0, 8); /* used idx 2: crossed 1 -> 2, event 2 not passed */
	assert_false(vq_should_notify(&vq));
	assert_int_equal(vq_pop(&vq, &e), 1);
	vq_push(&vq, 0, 8); /* used idx 3: passes 2 */
	assert_true(vq_should_notify(&vq));
	/* Nothing new pushed: no interrupt. */
	assert_false(vq_should_notify(&vq));
	/* Kicks: disabled leaves avail_event behind, enable catches up. */
	vq_disable_kicks(&vq);
	publish(0);
	assert_int_equal(vq_pop(&vq, &e), 1);
	assert_int_equal(*avail_event, 3);
	publish(0);
	assert_true(vq_enable_kicks(&vq)); /* work arrived meanwhile */
	assert_int_equal(*avail_event, 4);
	assert_int_equal(vq_pop(&vq, &e), 1);
	assert_false(vq_enable_kicks(&vq));
}

static void test_no_notify_flag(void **state)
{
	start(false, false);
	vq_disable_kicks(&vq);
	assert_true(used()->flags & VRING_USED_F_NO_NOTIFY);
	assert_false(vq_enable_kicks(&vq));
	assert_false(used()->flags & VRING_USED_F_NO_NOTIFY);
}

static void test_loop(void **state)
{
	start(false, false);
	set_desc(desc(0), BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	set_desc(desc(1), BUF_GPA, 8, VRING_DESC_F_NEXT, 0);
	publish(0);
	expect_broken();
}

static void test_self_loop(void **state)
{
	start(false, false);
	set_desc(desc(4), BUF_GPA, 8, VRING_DESC_F_NEXT, 4);
	publish(4);
	expect_broken();
}

static void test_out_of_ram(void **state)
{
	start(false, false);
	set_desc(desc(0), RAM - 4, 8, 0, 0); /* straddles the end */
	publish(0);
	expect_broken();
}

static void test_wild_addr(void **state)
{
	start(false, false);
	set_desc(desc(0), 0xfffffffffffffff0ULL, 0x20, 0, 0); /* wraps */
	publish(0);
	expect_broken();
}

static void test_zero_len(void **state)
{
	start(false, false);
	set_desc(desc(0), BUF_GPA, 0, 0, 0);
	publish(0);
	expect_broken();
}

static void test_huge_len(void **state)
{
	start(false, false);
	set_desc(desc(0), BUF_GPA, 0xffffffff, VRING_DESC_F_WRITE, 0);
	publish(0);
	expect_broken();
}

static void test_avail_ahead(void **state)
{
	start(false, false);
	set_desc(desc(0), BUF_GPA, 8, 0, 0);
	avail()->idx = QSZ + 1;
	expect_broken();
}

static void test_head_range(void **state)
{
	start(false, false);
	publish(QSZ);
	expect_broken();
}

static void test_next_range(void **state)
{
	start(false, false);
	set_desc(desc(0), BUF_GPA, 8, VRING_DESC_F_NEXT, QSZ + 3);
	publish(0);
	expect_broken();
}

static void test_read_after_write(void **state)
{
	start(false, false);
	set_desc(desc(0), BUF_GPA, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	set_desc(desc(1), BUF_GPA, 8, 0, 0);
	publish(0);
	expect_broken();
}

static void test_indirect_not_negotiated(void **state)
{
	start(false, false);
	set_desc(desc(0), IND_GPA, 16, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_broken();
}

static void test_indirect_bad_len(void **state)
{
	start(false, true);
	set_desc(desc(0), IND_GPA, 24, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_broken();
}

static void test_indirect_huge(void **state)
{
	start(false, true);
	set_desc(desc(0), IND_GPA, 16 * (VQ_MAX_SEGS + 1), VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_broken();
}

static void test_indirect_nested(void **state)
{
	struct vring_desc *ind = mem_ptr(&mem, IND_GPA, 32);

	start(false, true);
	set_desc(&ind[0], IND_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	set_desc(desc(0), IND_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_broken();
}

static void test_indirect_loop(void **state)
{
	struct vring_desc *ind = mem_ptr(&mem, IND_GPA, 32);

	start(false, true);
	set_desc(&ind[0], BUF_GPA, 8, VRING_DESC_F_NEXT, 1);
	set_desc(&ind[1], BUF_GPA, 8, VRING_DESC_F_NEXT, 0);
	set_desc(desc(0), IND_GPA, 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_broken();
}

static void test_indirect_out_of_ram(void **state)
{
	start(false, true);
	set_desc(desc(0), RAM - 16, 32, VRING_DESC_F_INDIRECT, 0);
	publish(0);
	expect_broken();
}

static void test_indirect_with_next(void **state)
{
	struct vring_desc *ind = mem_ptr(&mem, IND_GPA, 16);

	start(false, true);
	set_desc(&ind[0], BUF_GPA, 8, 0, 0);
	set_desc(desc(0), IND_GPA, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	set_desc(desc(1), BUF_GPA, 8, 0, 0);
	publish(0);
	expect_broken();
}

static void test_reset_clears(void **state)
{
	start(false, false);
	publish(QSZ);
	expect_broken();
	vq_reset(&vq);
	assert_false(vq.broken);
	assert_int_equal(vq.size, 0);
	assert_int_equal(vq_pop(&vq, &e), -EIO); /* not started */
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_start_checks),
		T(test_chain),
		T(test_wrap),
		T(test_indirect),
		T(test_event_idx),
		T(test_no_notify_flag),
		T(test_loop),
		T(test_self_loop),
		T(test_out_of_ram),
		T(test_wild_addr),
		T(test_zero_len),
		T(test_huge_len),
		T(test_avail_ahead),
		T(test_head_range),
		T(test_next_range),
		T(test_read_after_write),
		T(test_indirect_not_negotiated),
		T(test_indirect_bad_len),
		T(test_indirect_huge),
		T(test_indirect_nested),
		T(test_indirect_loop),
		T(test_indirect_out_of_ram),
		T(test_indirect_with_next),
		T(test_reset_clears),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
