// SPDX-License-Identifier: GPL-2.0
/*
 * CMOS RTC through the real bus: time in BCD and binary, 12/24 hours,
 * setting the time (SET bit, divider reset, single fields), register C
 * clear-on-read, UIP, the alarm, IRQ 8 from the I/O thread's timer, and
 * the memory-size bytes firmware reads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/rtc.h"
#include "mmio/ioloop.h"
#include "tests/unit/fake_vm.h"

#define RTC_IRQ 8
#define REG_A	0x0a
#define REG_B	0x0b
#define REG_C	0x0c
#define REG_D	0x0d
#define B_SET	0x80
#define B_PIE	0x40
#define B_AIE	0x20
#define B_UIE	0x10
#define B_BIN	0x04
#define B_24H	0x02
#define C_IRQF	0x80
#define C_PF	0x40
#define C_AF	0x20
#define C_UF	0x10

static struct vm vm;
static struct config cfg;

static int setup(void **state)
{
	fake_vm_init(&vm, &cfg);
	return rtc_device.init(&vm);
}

static int teardown(void **state)
{
	rtc_device.shutdown(&vm);
	bus_reset();
	return 0;
}

static uint8_t cmos_read(uint8_t i)
{
	outb(0x70, i);
	return inb(0x71);
}

static void cmos_write(uint8_t i, uint8_t v)
{
	outb(0x70, i);
	outb(0x71, v);
}

static int bcd(int v)
{
	return (v / 10) << 4 | v % 10;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Host UTC and the RTC read within the same second (retry across a tick). */
static void read_both(struct tm *host, uint8_t regs[10], uint8_t *century)
{
	for (int tries = 0; tries < 5; tries++) {
		time_t t0 = time(NULL), t1;

		for (int i = 0; i < 10; i++)
			regs[i] = cmos_read(i);
		*century = cmos_read(0x32);
		t1 = time(NULL);
		if (t0 == t1) {
			gmtime_r(&t0, host);
			return;
		}
	}
	fail();
}

static void test_bcd_and_binary(void **state)
{
	uint8_t r[10], century;
	struct tm tm;

	assert_int_equal(cmos_read(REG_B), B_24H); /* BCD, 24 hours */
	assert_int_equal(cmos_read(REG_A) & 0x7f, 0x26);
	assert_int_equal(cmos_read(REG_D), 0x80); /* VRT */
	read_both(&tm, r, &century);
	assert_int_equal(r[0], bcd(tm.tm_sec));
	assert_int_equal(r[2], bcd(tm.tm_min));
	assert_int_equal(r[4], bcd(tm.tm_hour));
	assert_int_equal(r[6], tm.tm_wday + 1);
	assert_int_equal(r[7], bcd(tm.tm_mday));
	assert_int_equal(r[8], bcd(tm.tm_mon + 1));
	assert_int_equal(r[9], bcd(tm.tm_year % 100));
	assert_int_equal(century, bcd((tm.tm_year + 1900) / 100));

	cmos_write(REG_B, B_24H | B_BIN);
	read_both(&tm, r, &century);
	assert_int_equal(r[0], tm.tm_sec);
	assert_int_equal(r[4], tm.tm_hour);
	assert_int_equal(r[9], tm.tm_year % 100);
	assert_int_equal(century, (tm.tm_year + 1900) / 100);
}

/* Linux's mc146818_set_time(): SET, divider reset, fields, release. */
static void set_time(uint8_t b, const uint8_t *fields)
{
	static const uint8_t idx[] = { 0, 2, 4, 7, 8, 9, 0x32 };

	cmos_write(REG_B, b | B_SET);
	cmos_write(REG_A, 0x70);
	for (int i = 0; i < 7; i++)
		cmos_write(idx[i], fields[i]);
	cmos_write(REG_A, 0x26);
	cmos_write(REG_B, b);
}

static void test_set_time(void **state)
{
	/* 2001-02-03 04:05:06, a Saturday */
	static const uint8_t t[] = { 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x20 };
	uint64_t start = now_ms();

	set_time(B_24H, t);
	assert_int_equal(cmos_read(0x00), 0x06);
	assert_int_equal(cmos_read(0x02), 0x05);
	assert_int_equal(cmos_read(0x04), 0x04);
	assert_int_equal(cmos_read(0x06), 7);
	assert_int_equal(cmos_read(0x07), 0x03);
	assert_int_equal(cmos_read(0x08), 0x02);
	assert_int_equal(cmos_read(0x09), 0x01);
	assert_int_equal(cmos_read(0x32), 0x20);
	/* Out of divider reset, the first update comes 500 ms later. */
	while (cmos_read(0x00) == 0x06)
		usleep(1000);
	assert_in_range(now_ms() - start, 450, 800);
	assert_int_equal(cmos_read(0x00), 0x07);

	/* While SET is on the registers hold still and read back as written. */
	cmos_write(REG_B, B_24H | B_SET);
	cmos_write(0x04, 0x23);
	usleep(1100 * 1000 - 500 * 1000);
	assert_int_equal(cmos_read(0x04), 0x23);
	assert_int_equal(cmos_read(REG_A) & 0x80, 0); /* no UIP while set */
	cmos_write(REG_B, B_24H);
	assert_int_equal(cmos_read(0x04), 0x23);

	/* A single field written while running: the rest keeps counting. */
	cmos_write(0x02, 0x59);
	assert_int_equal(cmos_read(0x02), 0x59);
	assert_int_equal(cmos_read(0x04), 0x23);
	assert_int_equal(cmos_read(0x07), 0x03);

	/* A guest time survives a machine reset (battery-backed). */
	rtc_device.reset(&vm);
	assert_int_equal(cmos_read(0x09), 0x01);
}

/* Garbage a guest may write (invalid BCD, century 99) must not overflow. */
static void test_garbage_time(void **state)
{
	static const uint8_t far[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t past[] = { 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, 0x00 };

	set_time(B_24H, far); /* year 16599: clamped to 2106 */
	assert_int_equal(cmos_read(0x32), 0x21);
	set_time(B_24H | B_BIN, far); /* binary 255/255: clamped too */
	assert_int_equal(cmos_read(0x32), 21);
	set_time(B_24H, past); /* year 0000: clamped to 1834 */
	assert_int_equal(cmos_read(0x32), 0x18);
}

static void test_12_hour(void **state)
{
	static const uint8_t t[] = { 0x00, 0x30, 0x13, 0x15, 0x06, 0x24, 0x20 };

	set_time(B_24H, t);
	cmos_write(REG_B, 0);				/* 12-hour BCD */
	assert_int_equal(cmos_read(0x04), 0x80 | 0x01); /* 1 PM */
	cmos_write(REG_B, B_BIN);			/* 12-hour binary */
	assert_int_equal(cmos_read(0x04), 0x80 | 1);
	/* Write 12 AM in 12-hour mode; read it back as 00 in 24-hour mode. */
	cmos_write(REG_B, B_SET);
	cmos_write(0x04, 12);
	cmos_write(REG_B, 0);
	cmos_write(REG_B, B_24H);
	assert_int_equal(cmos_read(0x04), 0x00);
}

static void test_reg_c_and_uip(void **state)
{
	uint64_t end = now_ms() + 1500;
	bool uip = false;
	uint8_t c = 0, s0;

	/* Without enables the flags are there, IRQF is not. */
	cmos_write(REG_A, 0x20); /* no periodic rate */
	cmos_read(REG_C);
	while (!(c & C_UF) && now_ms() < end)
		c = cmos_read(REG_C);
	assert_int_equal(c, C_UF);
	assert_int_equal(cmos_read(REG_C), 0); /* read clears */
	assert_int_equal(fake_rises(RTC_IRQ), 0);

	/* UIP shows up before the seconds change, and only briefly. */
	s0 = cmos_read(0x00);
	end = now_ms() + 3500; /* three windows: a loaded host may preempt us in one */
	while (!uip && now_ms() < end)
		uip = cmos_read(REG_A) & 0x80;
	assert_true(uip);
	/* Cleared within the update cycle (244 us; polled, as a loaded host may sleep long). */
	end = now_ms() + 500;
	while ((cmos_read(REG_A) & 0x80) && now_ms() < end)
		usleep(100);
	assert_int_equal(cmos_read(REG_A) & 0x80, 0);
	assert_int_not_equal(cmos_read(0x00), s0);

	/* Periodic at 1024 Hz: PF soon (the I/O thread's timer), IRQF with PIE. */
	cmos_write(REG_A, 0x26);
	cmos_read(REG_C);
	end = now_ms() + 500;
	for (c = 0; !(c & C_PF) && now_ms() < end; usleep(500))
		c = cmos_read(REG_C);
	assert_int_equal(c & C_PF, C_PF);
	cmos_write(REG_B, B_24H | B_PIE);
	end = now_ms() + 500;
	for (c = 0; !(c & C_PF) && now_ms() < end; usleep(500))
		c = cmos_read(REG_C);
	assert_int_equal(c & (C_IRQF | C_PF), C_IRQF | C_PF);
}

static void test_alarm(void **state)
{
	uint64_t end = now_ms() + 1500;
	uint8_t c = 0;

	cmos_write(REG_A, 0x20);
	/* Every second: all three fields "don't care". */
	cmos_write(0x01, 0xc0);
	cmos_write(0x03, 0xff);
	cmos_write(0x05, 0xc0);
	cmos_write(REG_B, B_24H | B_AIE);
	cmos_read(REG_C);
	while (!(c & C_AF) && now_ms() < end)
		c = cmos_read(REG_C);
	assert_int_equal(c, C_IRQF | C_AF | C_UF);

	/* An alarm an hour away does not fire. */
	cmos_write(0x01, cmos_read(0x00));
	cmos_write(0x03, cmos_read(0x02));
	cmos_write(0x05, (cmos_read(0x04) + 1) % 0x24);
	cmos_read(REG_C);
	usleep(1100 * 1000);
	assert_int_equal(cmos_read(REG_C) & C_AF, 0);
}

/* Update-ended interrupts from the I/O thread's timer, one edge each. */
static void test_update_irq(void **state)
{
	uint64_t end;

	cmos_write(REG_A, 0x20);
	cmos_read(REG_C); /* PF ticks from before */
	cmos_write(REG_B, B_24H | B_UIE);
	end = now_ms() + 1500;
	while (!fake_level(RTC_IRQ) && now_ms() < end)
		usleep(1000);
	assert_int_equal(fake_level(RTC_IRQ), 1);
	/* Held until register C is read, whatever else happens. */
	usleep(1100 * 1000);
	assert_int_equal(fake_rises(RTC_IRQ), 1);
	assert_int_equal(cmos_read(REG_C), C_IRQF | C_UF);
	assert_int_equal(fake_level(RTC_IRQ), 0);
	end = now_ms() + 1500;
	while (!fake_level(RTC_IRQ) && now_ms() < end)
		usleep(1000);
	assert_int_equal(fake_rises(RTC_IRQ), 2);
	/* A machine reset clears the enables and lowers the line. */
	rtc_device.reset(&vm);
	assert_int_equal(fake_level(RTC_IRQ), 0);
	assert_int_equal(cmos_read(REG_B), B_24H);
}

static void test_nvram_and_memory(void **state)
{
	rtc_device.shutdown(&vm);
	bus_reset();
	/* 3 GiB low, 5 GiB high; the RAM itself is never touched. */
	fake_vm_init(&vm, &cfg);
	vm.mem.nr_ranges = 2;
	vm.mem.ranges[0] = (struct mem_range){ .gpa = 0, .size = 3ULL << 30 };
	vm.mem.ranges[1] = (struct mem_range){ .gpa = 4ULL << 30, .size = 5ULL << 30 };
	assert_int_equal(rtc_device.init(&vm), 0);
	assert_int_equal(cmos_read(0x15) | cmos_read(0x16) << 8, 640);
	assert_int_equal(cmos_read(0x17) | cmos_read(0x18) << 8, 0xffff); /* capped */
	assert_int_equal(cmos_read(0x30) | cmos_read(0x31) << 8, 0xffff);
	assert_int_equal(cmos_read(0x34) | cmos_read(0x35) << 8, ((3u << 30) - (16u << 20)) >> 16);
	assert_int_equal(cmos_read(0x5b) | cmos_read(0x5c) << 8 | cmos_read(0x5d) << 16,
			 (5ULL << 30) >> 16);
	assert_int_equal(cmos_read(0x14), 0x06);
	rtc_device.shutdown(&vm);
	bus_reset();

	fake_vm_init(&vm, &cfg);
	vm.mem.nr_ranges = 1;
	vm.mem.ranges[0] = (struct mem_range){ .gpa = 0, .size = 64 << 20 };
	assert_int_equal(rtc_device.init(&vm), 0);
	assert_int_equal(cmos_read(0x17) | cmos_read(0x18) << 8, 63 * 1024);
	assert_int_equal(cmos_read(0x34) | cmos_read(0x35) << 8, (48 << 20) >> 16);
	assert_int_equal(cmos_read(0x5b) | cmos_read(0x5c) | cmos_read(0x5d), 0);

	/* Plain NVRAM; index bit 7 is the NMI mask, not part of the index. */
	cmos_write(0x50, 0xab);
	outb(0x70, 0x80 | 0x50);
	assert_int_equal(inb(0x71), 0xab);
	assert_int_equal(inb(0x70), 0xff);
	/* Register C and D are read-only. */
	cmos_write(REG_D, 0);
	assert_int_equal(cmos_read(REG_D), 0x80);
	/* The DSDT describes the RTC. */
	assert_int_equal(vm.platform.nr_isa_devs, 1);
	assert_string_equal(vm.platform.isa_devs[0].hid, "PNP0B00");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bcd_and_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_12_hour, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reg_c_and_uip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alarm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nvram_and_memory, setup, teardown),
	};

	return cmocka_run_group_tests(tests, fake_ioloop_setup, fake_ioloop_teardown);
}
