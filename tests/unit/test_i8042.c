// SPDX-License-Identifier: GPL-2.0
/*
 * i8042 through the real bus: controller self-test and command byte, the
 * output buffer with its IRQ edges, keyboard and mouse replies as Linux's
 * probes expect them, the AUX loopback IRQ12 test, and reset requests.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "devices/i8042.h"
#include "tests/unit/fake_vm.h"

#define DATA	    0x60
#define CMD	    0x64
#define STR_OBF	    0x01
#define STR_SYS	    0x04
#define STR_CMDDAT  0x08
#define STR_AUXDATA 0x20
#define CTR_KBDINT  0x01
#define CTR_AUXINT  0x02
#define CTR_KBDDIS  0x10
#define CTR_AUXDIS  0x20

static struct vm vm;
static struct config cfg;

static int setup(void **state)
{
	fake_vm_init(&vm, &cfg);
	return i8042_device.init(&vm);
}

static int teardown(void **state)
{
	i8042_device.shutdown(&vm);
	bus_reset();
	return 0;
}

/* Read one byte as Linux's i8042_wait_read() does: status first. */
static int read_byte(void)
{
	if (!(inb(CMD) & STR_OBF))
		return -1;
	return inb(DATA);
}

static void command(uint8_t cmd)
{
	outb(CMD, cmd);
}

static void command_arg(uint8_t cmd, uint8_t arg)
{
	outb(CMD, cmd);
	outb(DATA, arg);
}

static void test_self_test_and_command_byte(void **state)
{
	assert_int_equal(inb(CMD) & STR_OBF, 0);
	command(0xaa);
	assert_int_equal(inb(CMD) & (STR_OBF | STR_SYS | STR_CMDDAT),
			 STR_OBF | STR_SYS | STR_CMDDAT);
	assert_int_equal(read_byte(), 0x55);
	assert_int_equal(read_byte(), -1);
	command(0xab); /* keyboard interface test */
	assert_int_equal(read_byte(), 0x00);
	command(0xa9); /* AUX interface test */
	assert_int_equal(read_byte(), 0x00);

	/* As firmware leaves it: kbd IRQ, system flag, AUX off, translation. */
	command(0x20);
	assert_int_equal(read_byte(), 0x65);
	command_arg(0x60, 0x43);
	assert_int_equal(inb(CMD) & STR_CMDDAT, 0); /* last write was data */
	command(0x20);
	assert_int_equal(read_byte(), 0x43);
	/* The status system flag follows the command byte's bit 2. */
	command_arg(0x60, 0x41);
	assert_int_equal(inb(CMD) & STR_SYS, 0);
	/* 0xa7/0xa8 and 0xad/0xae flip the disable bits. */
	command(0xa8);
	command(0xad);
	command(0x20);
	assert_int_equal(read_byte(), 0x41 | CTR_KBDDIS);
	command(0xa7);
	command(0xae);
	command(0x20);
	assert_int_equal(read_byte(), 0x41 | CTR_AUXDIS);
	/* Other RAM bytes. */
	command_arg(0x61, 0x99);
	command(0x21);
	assert_int_equal(read_byte(), 0x99);
	/* Unknown data when empty: the last byte again, no OBF. */
	assert_int_equal(inb(DATA), 0x99);
	/* The DSDT and FADT get what they need. */
	assert_int_equal(vm.platform.reset_port, 0x64);
	assert_int_equal(vm.platform.reset_value, 0xfe);
	assert_int_equal(vm.platform.nr_isa_devs, 2);
	assert_string_equal(vm.platform.isa_devs[0].hid, "PNP0303");
	assert_string_equal(vm.platform.isa_devs[1].hid, "PNP0F13");
}

static void test_keyboard(void **state)
{
	/* Reset: ACK then BAT OK, each byte its own IRQ1 edge. */
	outb(DATA, 0xff);
	assert_int_equal(fake_level(1), 1);
	assert_int_equal(read_byte(), 0xfa);
	assert_int_equal(fake_level(1), 1);
	assert_int_equal(fake_rises(1), 2);
	assert_int_equal(read_byte(), 0xaa);
	assert_int_equal(fake_level(1), 0);
	assert_int_equal(read_byte(), -1);

	outb(DATA, 0xf2); /* identify: an MF2 keyboard */
	assert_int_equal(read_byte(), 0xfa);
	assert_int_equal(read_byte(), 0xab);
	assert_int_equal(read_byte(), 0x83);
	outb(DATA, 0xed); /* LEDs, with an argument */
	assert_int_equal(read_byte(), 0xfa);
	outb(DATA, 0x07);
	assert_int_equal(read_byte(), 0xfa);
	outb(DATA, 0xf0); /* scan code set: query */
	assert_int_equal(read_byte(), 0xfa);
	outb(DATA, 0x00);
	assert_int_equal(read_byte(), 0xfa);
	assert_int_equal(read_byte(), 0x02);
	outb(DATA, 0xf3); /* typematic */
	outb(DATA, 0x20);
	assert_int_equal(read_byte(), 0xfa);
	assert_int_equal(read_byte(), 0xfa);
	outb(DATA, 0xee); /* echo */
	assert_int_equal(read_byte(), 0xee);
	for (uint8_t c = 0xf4; c <= 0xf6; c++) {
		outb(DATA, c);
		assert_int_equal(read_byte(), 0xfa);
	}
	outb(DATA, 0x12); /* not a command */
	assert_int_equal(read_byte(), 0xfe);

	/* No interrupt without KBDINT; the byte still arrives. */
	command_arg(0x60, 0x00);
	fake_clear();
	outb(DATA, 0xee);
	assert_int_equal(fake_rises(1), 0);
	assert_int_equal(read_byte(), 0xee);
}

static void test_keyboard_disabled_holds_bytes(void **state)
{
	command(0xad);
	i8042_kbd_push((const uint8_t *)"\x1c\x9c", 2);
	assert_int_equal(read_byte(), -1);
	command(0xae);
	assert_int_equal(read_byte(), 0x1c);
	assert_int_equal(read_byte(), 0x9c);
	/* A disabled keyboard (0xf5) drops keys. */
	outb(DATA, 0xf5);
	assert_int_equal(read_byte(), 0xfa);
	i8042_kbd_push((const uint8_t *)"\x1c", 1);
	assert_int_equal(read_byte(), -1);
}

static void test_mouse(void **state)
{
	command_arg(0x60, CTR_KBDINT | CTR_AUXINT); /* AUX enabled, IRQ12 on */
	command_arg(0xd4, 0xff);
	assert_int_equal(inb(CMD) & (STR_OBF | STR_AUXDATA), STR_OBF | STR_AUXDATA);
	assert_int_equal(fake_level(12), 1);
	assert_int_equal(fake_level(1), 0);
	assert_int_equal(read_byte(), 0xfa);
	assert_int_equal(read_byte(), 0xaa);
	assert_int_equal(read_byte(), 0x00);
	assert_int_equal(fake_rises(12), 3);
	assert_int_equal(fake_level(12), 0);

	command_arg(0xd4, 0xf2); /* ID: a plain PS/2 mouse */
	assert_int_equal(read_byte(), 0xfa);
	assert_int_equal(read_byte(), 0x00);
	command_arg(0xd4, 0xe8); /* resolution + argument */
	command_arg(0xd4, 0x03);
	assert_int_equal(read_byte(), 0xfa);
	assert_int_equal(read_byte(), 0xfa);
	command_arg(0xd4, 0xf3); /* sample rate + argument */
	command_arg(0xd4, 0xc8);
	assert_int_equal(read_byte(), 0xfa);
	assert_int_equal(read_byte(), 0xfa);
	command_arg(0xd4, 0xe9); /* status: ACK + 3 bytes */
	assert_int_equal(read_byte(), 0xfa);
	assert_int_equal(read_byte(), 0x00);
	assert_int_equal(read_byte(), 0x03);
	assert_int_equal(read_byte(), 200);
	command_arg(0xd4, 0xf4);
	assert_int_equal(read_byte(), 0xfa);
	i8042_aux_push((const uint8_t *)"\x08\x01\x02", 3);
	assert_int_equal(read_byte(), 0x08);
	assert_int_equal(read_byte(), 0x01);
	assert_int_equal(read_byte(), 0x02);
	command_arg(0xd4, 0xe1); /* unknown: NAK, no timeout */
	assert_int_equal(read_byte(), 0xfe);

	/* AUX disabled in the command byte: replies wait. */
	command(0xa7);
	command_arg(0xd4, 0xf2);
	assert_int_equal(read_byte(), -1);
	command(0xa8);
	assert_int_equal(read_byte(), 0xfa);
	assert_int_equal(read_byte(), 0x00);
}

/* Linux's i8042_check_aux(): loopback, then IRQ12 delivery. */
static void test_aux_loop_irq(void **state)
{
	command_arg(0xd3, 0x5a); /* with AUX still disabled */
	assert_int_equal(inb(CMD) & STR_AUXDATA, STR_AUXDATA);
	assert_int_equal(read_byte(), 0x5a);
	assert_int_equal(fake_rises(12), 0); /* AUXINT off */
	command_arg(0x60, CTR_KBDINT | CTR_AUXINT);
	command_arg(0xd3, 0xa5);
	assert_int_equal(fake_level(12), 1);
	assert_int_equal(read_byte(), 0xa5);
	assert_int_equal(fake_level(12), 0);
	/* 0xd2 writes the keyboard's buffer: IRQ1. */
	command_arg(0xd2, 0x42);
	assert_int_equal(fake_level(1), 1);
	assert_int_equal(inb(CMD) & STR_AUXDATA, 0);
	assert_int_equal(read_byte(), 0x42);
}

static void test_reset_requests(void **state)
{
	command(0xfe);
	assert_int_equal(fake.resets, 1);
	command(0xff); /* pulses nothing */
	command(0xf1); /* bit 0 high: not reset */
	assert_int_equal(fake.resets, 1);
	command(0xf0);
	assert_int_equal(fake.resets, 2);
	/* Output port: A20 set, reset line high; writing bit 0 low resets. */
	command(0xd0);
	assert_int_equal(read_byte() & 0x03, 0x03);
	command_arg(0xd1, 0xdf); /* the classic A20 enable */
	assert_int_equal(fake.resets, 2);
	command_arg(0xd1, 0xde);
	assert_int_equal(fake.resets, 3);
	command(0xdd);
	command(0xd0);
	assert_int_equal(read_byte() & 0x02, 0);
	/* A machine reset brings the power-on state back. */
	command_arg(0x60, 0x00);
	outb(DATA, 0xee);
	i8042_device.reset(&vm);
	assert_int_equal(read_byte(), -1);
	command(0x20);
	assert_int_equal(read_byte(), 0x65);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_self_test_and_command_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyboard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyboard_disabled_holds_bytes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mouse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aux_loop_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_requests, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
