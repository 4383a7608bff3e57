// SPDX-License-Identifier: GPL-2.0
/*
 * The interactive guest: echoes what arrives on COM1, interrupt-driven
 * (UART RX interrupt -> ISA IRQ 4 -> IOAPIC -> LAPIC), halting between
 * interrupts. A line "quit" powers off.
 */
#include <linux/serial_reg.h>

#include "kit.h"

#define COM1	 0x3f8
#define COM1_IRQ 4

static char ring[256];
static volatile unsigned int ring_head, ring_tail;

/* Drain the receiver, so the IRQ line drops and the next byte is an edge. */
static void uart_rx(int vector)
{
	while (inb(COM1 + UART_LSR) & UART_LSR_DR) {
		char c = inb(COM1 + UART_RX);

		if (ring_head - ring_tail < sizeof(ring))
			ring[ring_head++ % sizeof(ring)] = c;
	}
}

static void handle_line(const char *line)
{
	if (!strcmp(line, "quit")) {
		kit_printf("KIT: quit\n");
		kit_poweroff();
		kit_fail("power-off failed");
	}
}

static void echo_byte(char c, char *line, size_t *len)
{
	if (c == '\r' || c == '\n') {
		kit_putc('\r');
		kit_putc('\n');
		line[*len] = '\0';
		handle_line(line);
		*len = 0;
	} else if (c == 0x7f || c == '\b') {
		if (*len) {
			(*len)--;
			kit_putc('\b');
			kit_putc(' ');
			kit_putc('\b');
		}
	} else {
		kit_putc(c);
		if (*len < 79)
			line[(*len)++] = c;
	}
}

void kit_main(void)
{
	char line[80];
	size_t len = 0;

	kit_printf("KIT: echo ready, type something\n");
	/* Route the IRQ before the UART can raise it: an edge-triggered
	 * IOAPIC input that is already high would never fire. */
	if (kit_isa_irq(COM1_IRQ, uart_rx) < 0)
		kit_fail("cannot route IRQ %d", COM1_IRQ);
	outb(UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2, COM1 + UART_MCR);
	outb(UART_IER_RDI, COM1 + UART_IER);
	uart_rx(0); /* whatever came before the interrupt was on */
	for (;;) {
		while (ring_tail != ring_head) {
			char c = ring[ring_tail % sizeof(ring)];

			ring_tail++;
			echo_byte(c, line, &len);
		}
		kit_halt();
	}
}
