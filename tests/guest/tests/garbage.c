// SPDX-License-Identifier: GPL-2.0
/*
 * A malicious guest: random port I/O of every width, string I/O (rep
 * ins/outs with large counts) and MMIO garbage in the PCI hole, through
 * the real exit path. vmm must survive, and its devices keep working:
 * afterwards the test re-programs COM1 and reports.
 *
 * Left alone are ports whose effect would end or derail the run on any
 * PC (the debug-exit port, the i8042 command port (reset), the ACPI PM
 * block (power-off)) and the interrupt controllers and PIT, whose random
 * programming would deliver interrupts at vectors the kit treats as
 * exceptions.
 */
#include "kit.h"

#define ACCESSES 20000

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int port_ok(uint16_t p)
{
	return !((p >= 0xf0 && p <= 0xff) ||   /* debug-exit 0xf4-0xf7 */
		 p == 0x64 ||		       /* i8042 commands: reset */
		 (p >= 0x600 && p <= 0x60f) || /* ACPI PM1: power-off */
		 (p >= 0x20 && p <= 0x21) ||   /* 8259 master */
		 (p >= 0xa0 && p <= 0xa1) ||   /* 8259 slave */
		 (p >= 0x40 && p <= 0x43) ||   /* PIT */
		 p == 0x61 ||		       /* PIT channel 2 gate */
		 (p >= 0x4d0 && p <= 0x4d1) || /* ELCR */
		 (p >= 0xcf8 && p <= 0xcff));  /* PCI config (a PIIX resets at 0xcf9) */
}

static uint16_t random_port(void)
{
	static const uint16_t hot[] = { 0x60,  0x70,  0x71,  0x80,  0x3f8, 0x3f9, 0x3fa, 0x3fb,
					0x3fc, 0x3fd, 0x2f8, 0x2fb, 0x3e8, 0x2e8, 0x2a0 };
	uint16_t p;

	do
		p = rnd() & 1 ? hot[rnd() % (sizeof(hot) / sizeof(hot[0]))] + (rnd() & 7)
			      : (uint16_t)rnd();
	while (!port_ok(p) || !port_ok(p + 3));
	return p;
}

static void string_io(uint16_t port, uint8_t *buf, unsigned long n)
{
	__asm__ volatile("rep outsb" : "+S"(buf), "+c"(n) : "d"(port) : "memory");
}

static void string_in(uint16_t port, uint8_t *buf, unsigned long n)
{
	__asm__ volatile("rep insb" : "+D"(buf), "+c"(n) : "d"(port) : "memory");
}

static uint8_t big[8192];

void kit_main(void)
{
	unsigned int i;

	rng_state = kit_cmdline_long("seed", 1) | 1;
	kit_printf("KIT: garbage seed=%lu\n", (unsigned long)rng_state);
	for (i = 0; i < ACCESSES; i++) {
		uint16_t port = random_port();
		uint32_t v = rnd();

		switch (rnd() % 8) {
		case 0: outb(v, port); break;
		case 1: outw(v, port); break;
		case 2: outl(v, port); break;
		case 3: (void)inb(port); break;
		case 4: (void)inw(port); break;
		case 5: (void)inl(port); break;
		case 6: mmio_write32(0xc0000000 + (rnd() % 0x3e000000 & ~3ull), v); break;
		case 7: (void)mmio_read32(0xc0000000 + (rnd() % 0x3e000000 & ~3ull)); break;
		}
	}
	/* String I/O: thousands of items in one instruction, out and in. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = rnd();
	string_io(0x80, big, sizeof(big));
	string_io(0x2a0, big, sizeof(big));
	string_in(0x2a0, big, sizeof(big));
	for (i = 0; i < sizeof(big); i++)
		if (big[i] != 0xff)
			kit_fail("rep insb from an unclaimed port gave %#x at %u", big[i], i);
	if (inb(0x80) != 0xff) /* the last byte written to port 0x80 was the pattern's */
		kit_printf("KIT: port 0x80 holds %#x\n", inb(0x80));

	/* COM1 may be in loopback, at another speed, with DLAB set: reset it. */
	outb(0x00, 0x3f9); /* IER off (with DLAB possibly set, this is DLM) */
	outb(0x03, 0x3fb); /* 8N1, DLAB off */
	outb(0x00, 0x3f9); /* IER off */
	outb(0x03, 0x3fc); /* DTR, RTS, no loopback */
	outb(0x07, 0x3fa); /* FIFO on and cleared */
	kit_printf("\nKIT: survived %u accesses and 3 string I/O of %u bytes\n", ACCESSES,
		   (unsigned int)sizeof(big));
	kit_exit(1);
}
