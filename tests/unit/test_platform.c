// SPDX-License-Identifier: GPL-2.0
/*
 * The small platform devices through the real bus: ACPI PM1 block (S5
 * power-off, write-1-to-clear status, SCI level, PM timer), debug-exit
 * status mapping, POST port 0x80.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/status.h"
#include "devices/acpi_pm.h"
#include "devices/debug_exit.h"
#include "devices/port80.h"
#include "tests/unit/fake_vm.h"

#define PM1_STS	   0x600
#define PM1_EN	   0x602
#define PM1_CNT	   0x604
#define PM_TMR	   0x608
#define SCI	   9
#define PWRBTN	   (1 << 8)
#define SLP_EN	   (1 << 13)
#define SLP_TYP(n) ((n) << 10)

static struct vm vm;
static struct config cfg;

static int setup(void **state)
{
	fake_vm_init(&vm, &cfg);
	if (acpi_pm_device.init(&vm) || debug_exit_device.init(&vm) || port80_device.init(&vm))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	acpi_pm_device.shutdown(&vm);
	debug_exit_device.shutdown(&vm);
	port80_device.shutdown(&vm);
	bus_reset();
	return 0;
}

static void test_pm_platform_info(void **state)
{
	assert_int_equal(vm.platform.pm1a_evt_blk, 0x600);
	assert_int_equal(vm.platform.pm1a_cnt_blk, 0x604);
	assert_int_equal(vm.platform.pm_tmr_blk, 0x608);
	assert_int_equal(vm.platform.sci_irq, 9);
	assert_int_equal(vm.platform.s5_slp_typ, 5);
	assert_true(vm.platform.level_irqs & (1 << 9));
	assert_int_equal(inw(PM1_CNT) & 1, 1); /* SCI_EN: always ACPI mode */
}

static void test_pm_s5_poweroff(void **state)
{
	/* Other sleep types, or S5 without SLP_EN, do nothing. */
	outw(PM1_CNT, SLP_TYP(1) | SLP_EN);
	outw(PM1_CNT, SLP_TYP(5));
	assert_int_equal(fake.exits, 0);
	assert_int_equal(inw(PM1_CNT) & SLP_EN, 0); /* write-only */
	assert_int_equal(inw(PM1_CNT) & SLP_TYP(7), SLP_TYP(5));
	outw(PM1_CNT, SLP_TYP(5) | SLP_EN | 1);
	assert_int_equal(fake.exits, 1);
	assert_int_equal(fake.exit_status, VMM_EXIT_POWEROFF);
	/* Byte-wide, the high byte carries both fields. */
	fake_clear();
	outb(PM1_CNT + 1, (SLP_TYP(5) | SLP_EN) >> 8);
	assert_int_equal(fake.exits, 1);
}

static void test_pm_power_button_sci(void **state)
{
	acpi_pm_power_button();
	assert_true(inw(PM1_STS) & PWRBTN);
	assert_int_equal(fake_level(SCI), 0); /* not enabled */
	outw(PM1_EN, PWRBTN);
	assert_int_equal(fake_level(SCI), 1); /* sts & en */
	assert_int_equal(inw(PM1_EN), PWRBTN);
	outw(PM1_STS, 0); /* writing 0 clears nothing */
	assert_int_equal(fake_level(SCI), 1);
	outw(PM1_STS, PWRBTN); /* write 1 to clear */
	assert_int_equal(fake_level(SCI), 0);
	assert_int_equal(inw(PM1_STS) & PWRBTN, 0);
	/* One 32-bit access covers STS and EN. */
	acpi_pm_power_button();
	assert_int_equal(fake_level(SCI), 1);
	assert_int_equal(inl(PM1_STS) >> 16, PWRBTN);
	outl(PM1_STS, PWRBTN); /* clears STS, disables EN */
	assert_int_equal(fake_level(SCI), 0);
	assert_int_equal(inl(PM1_STS) & ((PWRBTN << 16) | PWRBTN), 0);
	/* A machine reset clears enables. */
	outw(PM1_EN, PWRBTN);
	acpi_pm_device.reset(&vm);
	assert_int_equal(inw(PM1_EN), 0);
}

static void test_pm_timer(void **state)
{
	uint32_t t0 = inl(PM_TMR), t1, dt;

	assert_int_equal(t0 >> 24, 0); /* 24 bits */
	usleep(10000);
	t1 = inl(PM_TMR);
	dt = (t1 - t0) & 0xffffff;
	/* 10 ms at 3.579545 MHz is 35795 ticks; allow for a slow host. */
	assert_in_range(dt, 35000, 35795 * 20);
	/* Byte reads see the same counter. */
	assert_int_equal(inb(PM_TMR + 3), 0);
	outl(PM_TMR, 0); /* read-only */
	assert_true(((inl(PM_TMR) - t1) & 0xffffff) < 0x800000);
}

static void test_debug_exit(void **state)
{
	assert_int_equal(debug_exit_status(0), 1);
	assert_int_equal(debug_exit_status(0x10), 0x21);
	assert_int_equal(debug_exit_status(0x80), 1); /* 0x101, truncated */
	assert_int_equal(debug_exit_status(0x12345678), 0xf1);
	assert_int_equal(inb(0xf4), 0); /* reads 0, as QEMU */
	assert_int_equal(inl(0xf4), 0);
	outb(0xf4, 0x10);
	assert_int_equal(fake.exits, 1);
	assert_int_equal(fake.exit_status, 33);
	fake_clear();
	outl(0xf4, 0x31); /* any width, any offset */
	assert_int_equal(fake.exit_status, 99);
	fake_clear();
	outb(0xf7, 3);
	assert_int_equal(fake.exit_status, 7);
}

static void test_port80(void **state)
{
	assert_int_equal(inb(0x80), 0);
	outb(0x80, 0x42);
	assert_int_equal(inb(0x80), 0x42);
	assert_int_equal(port80_last(), 0x42);
	port80_device.reset(&vm);
	assert_int_equal(inb(0x80), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pm_platform_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pm_s5_poweroff, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pm_power_button_sci, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pm_timer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port80, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
