// SPDX-License-Identifier: GPL-2.0
/* The PIO/MMIO bus: overlaps refused, lookups exact, unclaimed all-ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mmio/bus.h"

struct fake {
	uint64_t last_off, last_val;
	unsigned int last_len, reads, writes;
	uint64_t value;
};

static uint64_t fake_read(void *opaque, uint64_t off, unsigned int len)
{
	struct fake *f = opaque;

	f->reads++;
	f->last_off = off;
	f->last_len = len;
	return f->value;
}

static void fake_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct fake *f = opaque;

	f->writes++;
	f->last_off = off;
	f->last_val = val;
	f->last_len = len;
}

static const struct bus_ops fake_ops = { fake_read, fake_write };

static int teardown(void **state)
{
	bus_reset();
	return 0;
}

static void test_overlaps(void **state)
{
	struct fake f = { 0 };

	assert_non_null(bus_register(BUS_PIO, 0x100, 0x10, &fake_ops, &f, "a"));
	assert_null(bus_register(BUS_PIO, 0x100, 0x10, &fake_ops, &f, "same"));
	assert_null(bus_register(BUS_PIO, 0xf8, 0x10, &fake_ops, &f, "tail"));
	assert_null(bus_register(BUS_PIO, 0x10f, 1, &fake_ops, &f, "last byte"));
	assert_null(bus_register(BUS_PIO, 0x104, 2, &fake_ops, &f, "inside"));
	assert_null(bus_register(BUS_PIO, 0x0, 0x1000, &fake_ops, &f, "around"));
	/* Touching is not overlapping. */
	assert_non_null(bus_register(BUS_PIO, 0xf0, 0x10, &fake_ops, &f, "below"));
	assert_non_null(bus_register(BUS_PIO, 0x110, 0x10, &fake_ops, &f, "above"));
	/* The spaces are separate. */
	assert_non_null(bus_register(BUS_MMIO, 0x100, 0x10, &fake_ops, &f, "mmio"));
	/* Zero length and wrap-around are refused. */
	assert_null(bus_register(BUS_MMIO, 0x1000, 0, &fake_ops, &f, "empty"));
	assert_null(bus_register(BUS_MMIO, UINT64_MAX - 1, 4, &fake_ops, &f, "wraps"));
	assert_non_null(bus_register(BUS_MMIO, UINT64_MAX - 3, 4, &fake_ops, &f, "top"));
}

static void test_dispatch(void **state)
{
	struct fake regions[64];
	uint8_t data[8];

	memset(regions, 0, sizeof(regions));
	/* Register out of order so the sorted insert is exercised. */
	for (int i = 63; i >= 0; i -= 2)
		assert_non_null(bus_register(BUS_MMIO, 0x10000 + i * 0x100, 0x80, &fake_ops,
					     &regions[i], "r"));
	for (int i = 0; i < 64; i += 2)
		assert_non_null(bus_register(BUS_MMIO, 0x10000 + i * 0x100, 0x80, &fake_ops,
					     &regions[i], "r"));
	for (int i = 0; i < 64; i++) {
		uint64_t v = 0x1122334455667788ULL + i;

		memcpy(data, &v, 8);
		bus_access(BUS_MMIO, 0x10000 + i * 0x100 + 0x7c, data, 4, true);
		assert_int_equal(regions[i].writes, 1);
		assert_int_equal(regions[i].last_off, 0x7c);
		assert_int_equal(regions[i].last_len, 4);
		assert_int_equal(regions[i].last_val, (uint32_t)v);
		regions[i].value = 0xabcd00 + i;
		bus_access(BUS_MMIO, 0x10000 + i * 0x100, data, 2, false);
		assert_int_equal(regions[i].reads, 1);
		assert_int_equal(data[0] | data[1] << 8, (0xabcd00 + i) & 0xffff);
	}
	/* The gap after each region (0x80..0xff) is unclaimed. */
	for (int i = 0; i < 64; i++) {
		uint64_t v = 0;

		bus_access(BUS_MMIO, 0x10000 + i * 0x100 + 0x80, (uint8_t *)&v, 8, false);
		assert_true(v == UINT64_MAX);
		assert_int_equal(regions[i].reads, 1);
	}
}

static void test_unclaimed(void **state)
{
	struct fake f = { .value = 0x12 };
	uint8_t data[8];

	assert_non_null(bus_register(BUS_PIO, 0x60, 1, &fake_ops, &f, "kbd"));
	for (unsigned int len = 1; len <= 8; len *= 2) {
		memset(data, 0, sizeof(data));
		bus_access(BUS_PIO, 0x61, data, len, false);
		for (unsigned int i = 0; i < len; i++)
			assert_int_equal(data[i], 0xff);
		for (unsigned int i = len; i < 8; i++)
			assert_int_equal(data[i], 0); /* nothing past len is touched */
	}
	bus_access(BUS_PIO, 0x61, data, 1, true); /* dropped */
	assert_int_equal(f.writes, 0);
	bus_access(BUS_PIO, 0x60, data, 1, false);
	assert_int_equal(data[0], 0x12);
	/* Bad lengths never reach a device. */
	bus_access(BUS_PIO, 0x60, data, 0, false);
	bus_access(BUS_PIO, 0x60, data, 9, false);
	assert_int_equal(f.reads, 1);
}

static void test_unregister(void **state)
{
	struct fake f = { .value = 7 };
	struct bus_region *r = bus_register(BUS_PIO, 0x200, 8, &fake_ops, &f, "bar");
	uint8_t data[1];

	assert_non_null(r);
	bus_unregister(r);
	bus_access(BUS_PIO, 0x200, data, 1, false);
	assert_int_equal(data[0], 0xff);
	assert_int_equal(f.reads, 0);
	/* The space is free again (a BAR moved). */
	assert_non_null(bus_register(BUS_PIO, 0x200, 8, &fake_ops, &f, "bar"));
}

static void test_stats(void **state)
{
	struct fake f = { 0 };
	uint8_t data[4] = { 0 };
	char *buf = NULL;
	size_t len = 0;
	FILE *out;

	assert_non_null(bus_register(BUS_PIO, 0x3f8, 8, &fake_ops, &f, "uart0"));
	bus_set_timing(true);
	for (int i = 0; i < 5; i++)
		bus_access(BUS_PIO, 0x3f8, data, 1, true);
	bus_access(BUS_PIO, 0x3fd, data, 1, false);
	bus_access(BUS_PIO, 0x2f8, data, 1, false);
	bus_set_timing(false);
	out = open_memstream(&buf, &len);
	bus_print_stats(out);
	fclose(out);
	assert_non_null(strstr(buf, "uart0"));
	assert_non_null(strstr(buf, "0x3f8-0x3ff"));
	/* exits, reads, writes for uart0 */
	assert_non_null(strstr(buf, "         6          1          5"));
	assert_non_null(strstr(buf, "(unclaimed)"));
	free(buf);
}

/*
 * A guest that moves a BAR forever: the region is reused (one stats line,
 * counts carried over), and replaced tables are freed (ASan's leak check
 * would not see them, so count the lines and let the loop be long).
 */
static void test_bar_moves(void **state)
{
	struct fake f = { 0 };
	uint8_t data[1];
	char *buf = NULL, *p;
	size_t len = 0;
	int lines = 0;
	FILE *out;

	for (int i = 0; i < 100000; i++) {
		struct bus_region *r = bus_register(BUS_MMIO, 0xc0000000 + (i % 7) * 0x1000, 0x1000,
						    &fake_ops, &f, "bar0");

		assert_non_null(r);
		bus_access(BUS_MMIO, 0xc0000000 + (i % 7) * 0x1000, data, 1, false);
		bus_unregister(r);
	}
	assert_int_equal(f.reads, 100000);
	out = open_memstream(&buf, &len);
	bus_print_stats(out);
	fclose(out);
	for (p = buf; (p = strstr(p, "bar0")); p++)
		lines++;
	assert_int_equal(lines, 1);
	assert_non_null(strstr(buf, "    100000     100000          0"));
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_overlaps, teardown),
		cmocka_unit_test_teardown(test_dispatch, teardown),
		cmocka_unit_test_teardown(test_unclaimed, teardown),
		cmocka_unit_test_teardown(test_unregister, teardown),
		cmocka_unit_test_teardown(test_stats, teardown),
		cmocka_unit_test_teardown(test_bar_moves, teardown),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
