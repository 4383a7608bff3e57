// SPDX-License-Identifier: GPL-2.0
/* bios/firmware.c: which --firmware files are taken, and the handoff block's layout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bios/firmware.h"
#include "bios/fw/handoff.h"
#include "config/config.h"
#include "config/status.h"

static void test_sizes(void **state)
{
	assert_null(firmware_check_size(64 << 10));
	assert_null(firmware_check_size(128 << 10));
	assert_null(firmware_check_size(192 << 10));
	assert_null(firmware_check_size(256 << 10));
	assert_non_null(firmware_check_size(0));
	assert_non_null(firmware_check_size(1000));
	assert_non_null(firmware_check_size((64 << 10) + 1));
	assert_non_null(firmware_check_size((64 << 10) - 512));
	assert_non_null(firmware_check_size(320 << 10));
	assert_non_null(firmware_check_size(1ULL << 40));
}

static int read_file_of(size_t size, struct firmware *fw)
{
	char path[] = "/tmp/vmm-fw-XXXXXX";
	int fd = mkstemp(path), ret;
	struct config c;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
	config_defaults(&c);
	c.firmware = path;
	ret = firmware_read(fw, &c);
	unlink(path);
	return ret;
}

static void test_read(void **state)
{
	struct firmware fw;

	assert_int_equal(read_file_of(1000, &fw), VMM_EXIT_USAGE);
	firmware_free(&fw);
	assert_int_equal(read_file_of(128 << 10, &fw), 0);
	assert_int_equal(fw.size, 128 << 10);
	assert_non_null(fw.data);
	firmware_free(&fw);
	assert_null(fw.data);
}

/* vmm and the 16-bit BIOS share this layout: it must not move silently. */
static void test_handoff_layout(void **state)
{
	assert_int_equal(sizeof(struct fw_e820), 20);
	assert_int_equal(offsetof(struct fw_handoff, boot_order), 7);
	assert_int_equal(offsetof(struct fw_handoff, e820), 12);
	assert_true(FW_HANDOFF_ADDR + sizeof(struct fw_handoff) <= FW_BASE + FW_CODE_OFFSET);
	assert_true(FW_MPTABLE + FW_MPTABLE_SIZE <= FW_HANDOFF_ADDR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_handoff_layout),
	};

	return cmocka_run_group_tests_name("firmware", tests, NULL, NULL);
}
