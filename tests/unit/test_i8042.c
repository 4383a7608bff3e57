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

#include "devices/display/keymap.h"
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

/* Every byte waiting, as the guest would read them; returns how many. */
static int drain(uint8_t *buf, int max)
{
	int n = 0, b;

	while (n < max && (b = read_byte()) >= 0)
		buf[n++] = b;
	return n;
}

static void expect_bytes(const uint8_t *want, int n)
{
	uint8_t got[32];

	assert_int_equal(drain(got, sizeof(got)), n);
	assert_memory_equal(got, want, n);
}

/* A key by its USB HID usage (SDL scancode), down then up. */
static void press(unsigned int usage)
{
	unsigned int code = keymap_hid_to_set2(usage);

	assert_int_not_equal(code, 0);
	i8042_kbd_key(code, true);
	i8042_kbd_key(code, false);
}

/*
 * Host keys reach the guest in scan code set 1 (the controller translates,
 * as firmware leaves it): make codes from the IBM PC/AT tables, break =
 * make | 0x80, E0 before the extended keys.
 */
static void test_key_events_set1(void **state)
{
	static const struct {
		unsigned int usage;
		uint8_t set1;
	} keys[] = {
		{ 0x04, 0x1e },
		/* a */ { 0x14, 0x10 },
		/* q */ { 0x1d, 0x2c }, /* z */
		{ 0x1e, 0x02 },
		/* 1 */ { 0x27, 0x0b },
		/* 0 */ { 0x28, 0x1c }, /* Enter */
		{ 0x29, 0x01 },
		/* Esc */ { 0x2a, 0x0e },
		/* BS */ { 0x2b, 0x0f }, /* Tab */
		{ 0x2c, 0x39 },
		/* Space */ { 0x3a, 0x3b },
		/* F1 */ { 0x40, 0x41 }, /* F7 */
		{ 0x45, 0x58 },
		/* F12 */ { 0xe1, 0x2a },
		/* LShift */ { 0xe5, 0x36 }, /* RShift */
		{ 0xe0, 0x1d },
		/* LCtrl */ { 0xe2, 0x38 },
		/* LAlt */ { 0x39, 0x3a }, /* Caps */
		{ 0x53, 0x45 },
		/* NumLock */ { 0x5f, 0x47 },
		/* KP7 */ { 0x55, 0x37 }, /* KP* */
	};
	static const struct {
		unsigned int usage;
		uint8_t set1;
	} ext[] = {
		{ 0x52, 0x48 },
		/* Up */ { 0x50, 0x4b },
		/* Left */ { 0x51, 0x50 }, /* Down */
		{ 0x4f, 0x4d },
		/* Right */ { 0x58, 0x1c },
		/* KP Enter */ { 0xe4, 0x1d }, /* RCtrl */
		{ 0xe6, 0x38 },
		/* RAlt */ { 0x4c, 0x53 },
		/* Delete */ { 0x4a, 0x47 }, /* Home */
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		uint8_t want[] = { keys[i].set1, keys[i].set1 | 0x80 };

		press(keys[i].usage);
		expect_bytes(want, 2);
	}
	for (size_t i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		uint8_t want[] = { 0xe0, ext[i].set1, 0xe0, ext[i].set1 | 0x80 };

		press(ext[i].usage);
		expect_bytes(want, 4);
	}
	/* PrintScreen and Pause have sequences of their own. */
	press(0x46);
	expect_bytes((const uint8_t[]){ 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa }, 8);
	press(0x48);
	expect_bytes((const uint8_t[]){ 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5 }, 6);
	/* Keys a PC keyboard does not have, and nonsense, send nothing. */
	assert_int_equal(keymap_hid_to_set2(0x00), 0);
	assert_int_equal(keymap_hid_to_set2(0x68), 0); /* F13 */
	assert_int_equal(keymap_hid_to_set2(100000), 0);
	i8042_kbd_key(0, true);
	assert_int_equal(read_byte(), -1);
}

/* Translation off (or scan code set chosen by the guest): set 2 as is. */
static void test_key_events_set2(void **state)
{
	command_arg(0x60, CTR_KBDINT); /* XLATE off */
	press(0x04);
	expect_bytes((const uint8_t[]){ 0x1c, 0xf0, 0x1c }, 3);
	press(0x52);
	expect_bytes((const uint8_t[]){ 0xe0, 0x75, 0xe0, 0xf0, 0x75 }, 5);
	/* Set 1 chosen by the keyboard command F0 01: translated again. */
	outb(DATA, 0xf0);
	outb(DATA, 0x01);
	expect_bytes((const uint8_t[]){ 0xfa, 0xfa }, 2);
	press(0x04);
	expect_bytes((const uint8_t[]){ 0x1e, 0x9e }, 2);
	/* A disabled keyboard (F5) drops keys, as a real one does. */
	outb(DATA, 0xf5);
	expect_bytes((const uint8_t[]){ 0xfa }, 1);
	press(0x04);
	assert_int_equal(read_byte(), -1);
}

static void aux(uint8_t v)
{
	command_arg(0xd4, v);
}

static void test_mouse_events(void **state)
{
	command_arg(0x60, CTR_KBDINT | CTR_AUXINT);
	/* Not streaming yet: nothing is sent. */
	i8042_mouse_event(5, 5, 0, 0);
	assert_int_equal(read_byte(), -1);
	aux(0xf4);
	expect_bytes((const uint8_t[]){ 0xfa }, 1);
	/* Right 10, up 5 (screen y grows downwards), left button held. */
	i8042_mouse_event(10, -5, 0, 1);
	expect_bytes((const uint8_t[]){ 0x09, 10, 5 }, 3);
	assert_true(fake_rises(12) > 0);
	/* Left 300, down 2: two packets, each within the 9-bit range. */
	i8042_mouse_event(-300, 2, 0, 4);
	expect_bytes((const uint8_t[]){ 0x3c, 0x01, 0xfe, 0x1c, 0xd3, 0x00 }, 6);
	/* No wheel byte until the IntelliMouse knock: 200, 100, 80. */
	i8042_mouse_event(0, 0, -1, 0);
	expect_bytes((const uint8_t[]){ 0x08, 0, 0 }, 3);
	aux(0xf3), aux(200), aux(0xf3), aux(100), aux(0xf3), aux(80), aux(0xf2);
	expect_bytes((const uint8_t[]){ 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0xfa, 0x03 }, 8);
	i8042_mouse_event(0, 0, -1, 2);
	expect_bytes((const uint8_t[]){ 0x0a, 0, 0, 0xff }, 4);
	i8042_mouse_event(0, 0, 9, 0); /* 7 notches a packet at most */
	expect_bytes((const uint8_t[]){ 0x08, 0, 0, 0x07, 0x08, 0, 0, 0x02 }, 8);
	/* A reset forgets the wheel. */
	aux(0xff);
	expect_bytes((const uint8_t[]){ 0xfa, 0xaa, 0x00 }, 3);
	aux(0xf2);
	expect_bytes((const uint8_t[]){ 0xfa, 0x00 }, 2);
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
		cmocka_unit_test_setup_teardown(test_key_events_set1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_events_set2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mouse_events, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
