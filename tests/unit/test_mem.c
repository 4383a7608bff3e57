// SPDX-License-Identifier: GPL-2.0
/* Guest memory: every range check, including wrap-around and the PCI hole. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mmio/mem.h"

static void test_small_guest(void **state)
{
	struct guest_mem m;
	uint64_t sz = 64ULL << 20;
	uint8_t buf[16] = { 1, 2, 3 };

	assert_int_equal(mem_init(&m, sz), 0);
	assert_int_equal(m.nr_ranges, 2);
	assert_int_equal(mem_low_end(&m), sz);
	assert_ptr_equal(mem_ptr(&m, 0, 1), m.base);
	assert_ptr_equal(mem_ptr(&m, sz - 1, 1), m.base + sz - 1);
	assert_non_null(mem_ptr(&m, 0, MEM_VGA_START));
	assert_non_null(mem_ptr(&m, MEM_VGA_END, sz - MEM_VGA_END));
	assert_null(mem_ptr(&m, sz, 1));     /* first byte past the end */
	assert_null(mem_ptr(&m, sz - 1, 2)); /* straddles the end */
	assert_null(mem_ptr(&m, 0, sz + 1));
	assert_null(mem_ptr(&m, UINT64_MAX, 1));
	assert_null(mem_ptr(&m, UINT64_MAX - 1, 4)); /* gpa + len wraps */
	assert_null(mem_ptr(&m, 16, UINT64_MAX));    /* len alone wraps */
	assert_null(mem_ptr(&m, 16, UINT64_MAX - 15));
	assert_int_equal(mem_write(&m, 100, buf, sizeof(buf)), 0);
	assert_int_equal(mem_read(&m, 100, buf + 8, 3), 0);
	assert_int_equal(buf[8], 1);
	assert_int_equal(buf[10], 3);
	assert_int_equal(mem_write(&m, sz - 8, buf, 16), -EFAULT);
	/* The VGA window is the display device's, never RAM. */
	assert_null(mem_ptr(&m, 0, sz));
	assert_null(mem_ptr(&m, MEM_VGA_START - 1, 2));
	assert_null(mem_ptr(&m, 0xb8000, 1));
	assert_null(mem_ptr(&m, MEM_VGA_END - 1, 1));
	assert_ptr_equal(mem_ptr(&m, MEM_VGA_END, 1), m.base + MEM_VGA_END);
	assert_int_equal(mem_write(&m, 0xb8000, buf, 2), -EFAULT);
	assert_int_equal(mem_read(&m, sz, buf, 1), -EFAULT);
	mem_free(&m);
}

static void test_pci_hole(void **state)
{
	struct guest_mem m;
	uint64_t sz = 5ULL << 30; /* NORESERVE: costs nothing until touched */

	assert_int_equal(mem_init(&m, sz), 0);
	assert_int_equal(m.nr_ranges, 3);
	assert_int_equal(mem_low_end(&m), MEM_PCI_HOLE_START);
	assert_int_equal(m.ranges[2].gpa, MEM_4G);
	assert_int_equal(m.ranges[2].size, sz - MEM_PCI_HOLE_START);
	assert_non_null(mem_ptr(&m, MEM_PCI_HOLE_START - 4, 4));
	assert_null(mem_ptr(&m, MEM_PCI_HOLE_START - 4, 8)); /* runs into the hole */
	assert_null(mem_ptr(&m, MEM_PCI_HOLE_START, 1));     /* the hole */
	assert_null(mem_ptr(&m, 0xfee00000, 4));	     /* the LAPIC */
	assert_null(mem_ptr(&m, MEM_4G - 1, 2));
	assert_ptr_equal(mem_ptr(&m, MEM_4G, 1), m.base + MEM_PCI_HOLE_START);
	assert_non_null(mem_ptr(&m, MEM_4G + m.ranges[2].size - 1, 1));
	assert_null(mem_ptr(&m, MEM_4G + m.ranges[2].size, 1));
	/* A range from low RAM across the hole into high RAM is not contiguous. */
	assert_null(mem_ptr(&m, 0, MEM_4G + 1));
	mem_free(&m);
}

static void test_bad_sizes(void **state)
{
	struct guest_mem m;

	assert_int_equal(mem_init(&m, 0), -EINVAL);
	assert_int_not_equal(mem_init(&m, UINT64_MAX), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_guest),
		cmocka_unit_test(test_pci_hole),
		cmocka_unit_test(test_bad_sizes),
	};

	return cmocka_run_group_tests_name("mem", tests, NULL, NULL);
}
