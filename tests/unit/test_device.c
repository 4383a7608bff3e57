// SPDX-License-Identifier: GPL-2.0
/*
 * Device registration: init by level then registration order, stop at the
 * first failure with its error, reset in init order, shut down in reverse
 * and only what was initialised. Only devices/device.o is linked: the
 * devices here are fakes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "devices/device.h"

static char trace[64];
static int fail_at = -1;

static void note(char c)
{
	size_t n = strlen(trace);

	if (n + 1 < sizeof(trace))
		trace[n] = c;
}

/* Each fake is a letter: upper case when it inits, lower case on reset and shutdown. */
#define FAKE(id, lvl)                                   \
	static int init_##id(struct vm *vm)             \
	{                                               \
		note(#id[0]);                           \
		return fail_at == #id[0] ? -ENODEV : 0; \
	}                                               \
	static void reset_##id(struct vm *vm)           \
	{                                               \
		note(#id[0] + 0x20);                    \
	}                                               \
	static void shutdown_##id(struct vm *vm)        \
	{                                               \
		note(#id[0] + 0x20);                    \
	}                                               \
	static struct device dev_##id = {               \
		.name = #id,                            \
		.level = lvl,                           \
		.init = init_##id,                      \
		.reset = reset_##id,                    \
		.shutdown = shutdown_##id,              \
	}

FAKE(A, DEV_LEVEL_DEVICE);
FAKE(B, DEV_LEVEL_PLATFORM);
FAKE(C, DEV_LEVEL_BUS);
FAKE(D, DEV_LEVEL_PLATFORM);

/* Registered the way device_init() does, in this order: A B C D. */
device_init(dev_A);
device_init(dev_B);
device_init(dev_C);
device_init(dev_D);

static void test_order(void **state)
{
	memset(trace, 0, sizeof(trace));
	fail_at = -1;
	assert_int_equal(devices_init(NULL), 0);
	assert_string_equal(trace, "BDCA"); /* platform, bus, device */
	memset(trace, 0, sizeof(trace));
	devices_reset(NULL);
	assert_string_equal(trace, "bdca");
	memset(trace, 0, sizeof(trace));
	devices_shutdown(NULL);
	assert_string_equal(trace, "acdb"); /* reverse */
	memset(trace, 0, sizeof(trace));
	devices_shutdown(NULL); /* twice: nothing */
	assert_string_equal(trace, "");
}

static void test_failure_stops(void **state)
{
	memset(trace, 0, sizeof(trace));
	fail_at = 'C';
	assert_int_equal(devices_init(NULL), -ENODEV);
	assert_string_equal(trace, "BDC");
	memset(trace, 0, sizeof(trace));
	devices_shutdown(NULL); /* only those that made it */
	assert_string_equal(trace, "db");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_failure_stops),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
