// SPDX-License-Identifier: GPL-2.0
/*
 * 16550A UART through the real bus: register defaults, DLAB, FIFO order
 * and overrun, THRE interrupt rules, IIR priority, OUT2/loopback gating,
 * shared IRQ lines, output to a file, and stdin input with backpressure
 * and the Ctrl-A escapes (through a pipe on fd 0 and the real I/O thread).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include <linux/serial_reg.h>

#include "config/status.h"
#include "devices/uart.h"
#include "mmio/ioloop.h"
#include "tests/unit/fake_vm.h"

#define COM1	 0x3f8
#define COM3	 0x3e8
#define COM1_IRQ 4

static struct vm vm;
static struct config cfg;

static int setup(void **state)
{
	fake_vm_init(&vm, &cfg);
	return uart_device.init(&vm);
}

static int teardown(void **state)
{
	uart_device.shutdown(&vm);
	bus_reset();
	return 0;
}

static void test_defaults(void **state)
{
	assert_int_equal(inb(COM1 + UART_IER), 0);
	assert_int_equal(inb(COM1 + UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(inb(COM1 + UART_LCR), 0);
	assert_int_equal(inb(COM1 + UART_MCR), 0);
	assert_int_equal(inb(COM1 + UART_LSR), UART_LSR_TEMT | UART_LSR_THRE);
	assert_int_equal(inb(COM1 + UART_MSR), UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	/* All four ports exist. */
	for (uint16_t base = 0x2e8; base <= 0x3f8; base += 0x100)
		assert_int_equal(inb(base + UART_LSR), UART_LSR_TEMT | UART_LSR_THRE);
	/* Scratch is plain memory. */
	outb(COM1 + UART_SCR, 0x5a);
	assert_int_equal(inb(COM1 + UART_SCR), 0x5a);
	/* The DSDT describes them. */
	assert_int_equal(vm.platform.nr_isa_devs, 4);
	assert_string_equal(vm.platform.isa_devs[0].name, "COM1");
	assert_int_equal(vm.platform.isa_devs[0].irq_mask, 1 << COM1_IRQ);
}

static void test_dlab(void **state)
{
	outb(COM1 + UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	assert_int_equal(inb(COM1 + UART_DLL), 0x0c); /* 9600 baud */
	assert_int_equal(inb(COM1 + UART_DLM), 0);
	outb(COM1 + UART_DLL, 0x01);
	outb(COM1 + UART_DLM, 0x02);
	assert_int_equal(inb(COM1 + UART_DLL), 0x01);
	assert_int_equal(inb(COM1 + UART_DLM), 0x02);
	/* DLAB off: the same offsets are RBR/THR and IER again. */
	outb(COM1 + UART_LCR, UART_LCR_WLEN8);
	assert_int_equal(inb(COM1 + UART_IER), 0);
	outb(COM1 + UART_IER, 0xff);
	assert_int_equal(inb(COM1 + UART_IER), 0x0f); /* upper bits read 0 */
	outb(COM1 + UART_LCR, UART_LCR_DLAB);
	assert_int_equal(inb(COM1 + UART_DLM), 0x02);
	/* MCR keeps only its five bits. */
	outb(COM1 + UART_LCR, 0);
	outb(COM1 + UART_MCR, 0xff);
	assert_int_equal(inb(COM1 + UART_MCR), 0x1f);
}

static void test_fifo_order_and_overrun(void **state)
{
	outb(COM1 + UART_MCR, UART_MCR_LOOP);
	outb(COM1 + UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
	assert_int_equal(inb(COM1 + UART_IIR) & 0xc0, 0xc0); /* FIFOs on */
	for (int i = 0; i < 16; i++)
		outb(COM1 + UART_TX, 'a' + i);
	assert_true(inb(COM1 + UART_LSR) & UART_LSR_DR);
	outb(COM1 + UART_TX, 'X'); /* 17th: overrun, dropped */
	assert_int_equal(inb(COM1 + UART_LSR) & (UART_LSR_OE | UART_LSR_DR),
			 UART_LSR_OE | UART_LSR_DR);
	assert_int_equal(inb(COM1 + UART_LSR) & UART_LSR_OE, 0); /* read clears */
	for (int i = 0; i < 16; i++)
		assert_int_equal(inb(COM1 + UART_RX), 'a' + i);
	assert_int_equal(inb(COM1 + UART_LSR) & UART_LSR_DR, 0);

	/* FIFO reset drops what is queued. */
	outb(COM1 + UART_TX, 'q');
	outb(COM1 + UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	assert_int_equal(inb(COM1 + UART_LSR) & UART_LSR_DR, 0);

	/* FIFOs off: a one-byte RBR; the next byte overwrites it. */
	outb(COM1 + UART_FCR, 0);
	assert_int_equal(inb(COM1 + UART_IIR) & 0xc0, 0);
	outb(COM1 + UART_TX, '1');
	outb(COM1 + UART_TX, '2');
	assert_true(inb(COM1 + UART_LSR) & UART_LSR_OE);
	assert_int_equal(inb(COM1 + UART_RX), '2');
	assert_int_equal(inb(COM1 + UART_LSR) & UART_LSR_DR, 0);
}

static void test_thre_interrupt(void **state)
{
	outb(COM1 + UART_MCR, UART_MCR_OUT2);
	assert_int_equal(fake_level(COM1_IRQ), 0);

	/* Enabling ETBEI with THR empty raises THRE. */
	outb(COM1 + UART_IER, UART_IER_THRI);
	assert_int_equal(fake_level(COM1_IRQ), 1);
	assert_int_equal(fake_rises(COM1_IRQ), 1);
	/* Reading IIR reports it and clears it. */
	assert_int_equal(inb(COM1 + UART_IIR), UART_IIR_THRI);
	assert_int_equal(fake_level(COM1_IRQ), 0);
	assert_int_equal(inb(COM1 + UART_IIR), UART_IIR_NO_INT);

	/* A THR write: THR drains at once, THRE is back: a new edge. */
	outb(COM1 + UART_TX, 'x');
	assert_int_equal(fake_level(COM1_IRQ), 1);
	assert_int_equal(fake_rises(COM1_IRQ), 2);
	/* More bytes while it is pending: no extra edges (one per batch). */
	outb(COM1 + UART_TX, 'y');
	outb(COM1 + UART_TX, 'z');
	assert_int_equal(fake_rises(COM1_IRQ), 2);
	assert_int_equal(inb(COM1 + UART_IIR), UART_IIR_THRI);

	/* Linux's UART_BUG_THRE probe: toggling ETBEI re-raises THRE. */
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_IER, UART_IER_THRI);
	assert_int_equal(inb(COM1 + UART_IIR), UART_IIR_THRI);
	outb(COM1 + UART_IER, 0);
	assert_int_equal(inb(COM1 + UART_IIR), UART_IIR_NO_INT);
	assert_int_equal(fake_level(COM1_IRQ), 0);
}

static void test_iir_priority(void **state)
{
	/* Loopback: the sources work, the IRQ pin is off. */
	outb(COM1 + UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	outb(COM1 + UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_4);
	inb(COM1 + UART_MSR); /* drop the deltas of entering loopback */
	outb(COM1 + UART_IER, UART_IER_RLSI | UART_IER_RDI | UART_IER_THRI | UART_IER_MSI);

	/* Only THRE. */
	assert_int_equal(inb(COM1 + UART_IIR) & UART_IIR_ID, UART_IIR_THRI);
	assert_int_equal(inb(COM1 + UART_IIR) & UART_IIR_ID, UART_IIR_NO_INT & UART_IIR_ID);

	/* Below the trigger level: character timeout; at it: data available. */
	outb(COM1 + UART_TX, 'a');
	assert_int_equal(inb(COM1 + UART_IIR) & 0x0f, UART_IIR_RX_TIMEOUT);
	for (int i = 0; i < 3; i++)
		outb(COM1 + UART_TX, 'b' + i);
	assert_int_equal(inb(COM1 + UART_IIR) & 0x0f, UART_IIR_RDI);

	/* Overrun: line status beats data. */
	for (int i = 0; i < 13; i++)
		outb(COM1 + UART_TX, 'x');
	outb(COM1 + UART_MCR, UART_MCR_LOOP | UART_MCR_RTS); /* modem delta too */
	assert_int_equal(inb(COM1 + UART_IIR) & 0x0f, UART_IIR_RLSI);
	inb(COM1 + UART_LSR);
	assert_int_equal(inb(COM1 + UART_IIR) & 0x0f, UART_IIR_RDI);
	while (inb(COM1 + UART_LSR) & UART_LSR_DR)
		inb(COM1 + UART_RX);
	/* Data gone: THRE (raised by the writes) before modem status. */
	assert_int_equal(inb(COM1 + UART_IIR) & 0x0f, UART_IIR_THRI);
	assert_int_equal(inb(COM1 + UART_IIR) & 0x0f, UART_IIR_MSI);
	assert_true(inb(COM1 + UART_MSR) & UART_MSR_DCTS);
	assert_int_equal(inb(COM1 + UART_IIR) & 0x0f, UART_IIR_NO_INT);
	assert_int_equal(fake_rises(COM1_IRQ), 0); /* loopback gates the pin */
}

static void test_loopback_modem_lines(void **state)
{
	/* Linux's autoconfig check: LOOP|RTS|OUT2 must read CTS|DCD. */
	outb(COM1 + UART_MCR, UART_MCR_LOOP | 0x0a);
	assert_int_equal(inb(COM1 + UART_MSR) & 0xf0, 0x90);
	outb(COM1 + UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
	assert_int_equal(inb(COM1 + UART_MSR) & 0xf0, UART_MSR_DSR | UART_MSR_RI);
	/* RI falling sets TERI. */
	outb(COM1 + UART_MCR, UART_MCR_LOOP);
	assert_true(inb(COM1 + UART_MSR) & UART_MSR_TERI);
	/* Out of loopback the port looks connected again. */
	outb(COM1 + UART_MCR, 0);
	assert_int_equal(inb(COM1 + UART_MSR) & 0xf0, UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}

static void test_out2_gates_irq(void **state)
{
	outb(COM1 + UART_IER, UART_IER_THRI);
	assert_int_equal(fake_level(COM1_IRQ), 0); /* pending, but OUT2 off */
	assert_int_equal(inb(COM1 + UART_IIR), UART_IIR_THRI);
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_IER, UART_IER_THRI);
	outb(COM1 + UART_MCR, UART_MCR_OUT2);
	assert_int_equal(fake_level(COM1_IRQ), 1);
	outb(COM1 + UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP);
	assert_int_equal(fake_level(COM1_IRQ), 0);
	outb(COM1 + UART_MCR, UART_MCR_OUT2);
	assert_int_equal(fake_level(COM1_IRQ), 1);
	/* Machine reset: back to power-on, line low. */
	uart_device.reset(&vm);
	assert_int_equal(fake_level(COM1_IRQ), 0);
	assert_int_equal(inb(COM1 + UART_MCR), 0);
}

static void test_shared_irq(void **state)
{
	outb(COM1 + UART_MCR, UART_MCR_OUT2);
	outb(COM3 + UART_MCR, UART_MCR_OUT2);
	outb(COM1 + UART_IER, UART_IER_THRI);
	outb(COM3 + UART_IER, UART_IER_THRI);
	assert_int_equal(fake_rises(COM1_IRQ), 1);
	/* COM1 acknowledged: COM3 still holds the line. */
	inb(COM1 + UART_IIR);
	assert_int_equal(fake_level(COM1_IRQ), 1);
	inb(COM3 + UART_IIR);
	assert_int_equal(fake_level(COM1_IRQ), 0);
}

static char out_path[64];

static int setup_file(void **state)
{
	static char spec[80];
	int fd;

	strcpy(out_path, "/tmp/vmm-uart-XXXXXX");
	fd = mkstemp(out_path);
	if (fd < 0)
		return -1;
	close(fd);
	fake_vm_init(&vm, &cfg);
	snprintf(spec, sizeof(spec), "file:%s", out_path);
	cfg.serial = spec;
	return uart_device.init(&vm);
}

static int teardown_file(void **state)
{
	teardown(state);
	unlink(out_path);
	return 0;
}

static void test_output_to_file(void **state)
{
	const char *msg = "hello, world\r\nno newline";
	char buf[64] = { 0 };
	FILE *f;

	for (const char *p = msg; *p; p++)
		outb(COM1 + UART_TX, *p);
	outb(0x2f8 + UART_TX, '!'); /* COM2 goes nowhere */
	outb(COM1 + UART_MCR, UART_MCR_LOOP);
	outb(COM1 + UART_TX, '?'); /* loopback: not on the line */
	uart_device.shutdown(&vm); /* flushes the partial line */
	f = fopen(out_path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, f), strlen(msg));
	fclose(f);
	assert_string_equal(buf, msg);
}

/* stdin is a pipe we feed; the real I/O thread delivers it. */
static int stdin_saved = -1, pipe_w = -1;

static int setup_stdio(void **state)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	stdin_saved = dup(0);
	dup2(p[0], 0);
	close(p[0]);
	pipe_w = p[1];
	fake_vm_init(&vm, &cfg);
	cfg.serial = "stdio";
	return uart_device.init(&vm);
}

static int teardown_stdio(void **state)
{
	teardown(state);
	if (pipe_w >= 0)
		close(pipe_w);
	dup2(stdin_saved, 0);
	close(stdin_saved);
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait (up to 2 s) for a received byte, as a polling guest driver would. */
static int rx_byte(void)
{
	uint64_t end = now_ms() + 2000;

	while (!(inb(COM1 + UART_LSR) & UART_LSR_DR)) {
		if (now_ms() > end)
			return -1;
		usleep(1000);
	}
	return inb(COM1 + UART_RX);
}

static void feed(const char *s, size_t n)
{
	assert_int_equal(write(pipe_w, s, n), n);
}

static void test_stdin_input(void **state)
{
	const char *text = "ABCDEFGHIJKLMNOPQRST";
	unsigned int held = 0;
	struct timespec t0, t1;

	outb(COM1 + UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_8);
	outb(COM1 + UART_MCR, UART_MCR_OUT2);
	outb(COM1 + UART_IER, UART_IER_RDI);
	feed(text, 20);

	/* The FIFO fills to 16 and the rest waits in the pipe. */
	assert_int_equal(rx_byte(), 'A');
	usleep(100 * 1000);
	assert_int_equal(fake_level(COM1_IRQ), 1);
	assert_int_equal(inb(COM1 + UART_IIR) & 0x0f, UART_IIR_RDI);
	/*
	 * Read below the half-FIFO resume point, so nothing new comes in: the
	 * FIFO still holds what it took (16 - 1 - 6 = 9 bytes), none overran.
	 */
	for (held = 0; held < 6; held++)
		assert_int_equal(inb(COM1 + UART_RX), text[1 + held]);
	assert_int_equal(inb(COM1 + UART_LSR) & (UART_LSR_DR | UART_LSR_OE), UART_LSR_DR);
	/* The rest, including what waited in the host, arrives in order. */
	for (unsigned int i = 1 + held; i < 20; i++)
		assert_int_equal(rx_byte(), text[i]);
	/* Drained: the line drops (it may have stayed up while input resumed). */
	assert_true(fake_rises(COM1_IRQ) >= 1);
	assert_int_equal(fake_level(COM1_IRQ), 0);

	/* Ctrl-A Ctrl-A is one Ctrl-A; other escapes are swallowed. */
	feed("\x01\x01"
	     "a\x01zb",
	     6);
	assert_int_equal(rx_byte(), 0x01);
	assert_int_equal(rx_byte(), 'a');
	assert_int_equal(rx_byte(), 'b');
	assert_int_equal(fake_exits(), 0);

	/* Ctrl-A x, split across reads, quits with a power-off status. */
	feed("\x01", 1);
	usleep(20 * 1000);
	feed("x", 1);
	for (uint64_t end = now_ms() + 2000; !fake_exits() && now_ms() < end;)
		usleep(1000);
	assert_int_equal(fake_exits(), 1);
	assert_int_equal(fake.exit_status, VMM_EXIT_POWEROFF);

	/* End of input: no longer watched, so the I/O thread does not spin. */
	close(pipe_w);
	pipe_w = -1;
	usleep(20 * 1000);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
	usleep(200 * 1000);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 50);
	assert_int_equal(inb(COM1 + UART_LSR) & UART_LSR_DR, 0);
}

/* stdout is a pipe nobody reads yet: the guest must not block, nothing is lost. */
static int stdout_saved = -1, pipe_r = -1;

static int setup_stdout_pipe(void **state)
{
	int in[2], out[2];

	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	fflush(stdout);
	stdin_saved = dup(0);
	stdout_saved = dup(1);
	dup2(in[0], 0);
	close(in[0]);
	pipe_w = in[1];
	dup2(out[1], 1);
	close(out[1]);
	pipe_r = out[0];
	fake_vm_init(&vm, &cfg);
	cfg.serial = "stdio";
	return uart_device.init(&vm);
}

static int teardown_stdout_pipe(void **state)
{
	teardown_stdio(state);
	dup2(stdout_saved, 1);
	close(stdout_saved);
	close(pipe_r);
	return 0;
}

static void test_stdout_backpressure(void **state)
{
	enum { LINES = 4000, LINE = 50 }; /* 200 KB: three pipes' worth */
	static char got[LINES * LINE + 1];
	size_t n = 0;
	uint64_t t0 = now_ms(), end;
	char line[LINE + 1];

	for (int i = 0; i < LINES; i++) {
		snprintf(line, sizeof(line), "%048d\r\n", i);
		for (int j = 0; j < LINE; j++)
			outb(COM1 + UART_TX, line[j]);
	}
	assert_true(now_ms() - t0 < 1000); /* queued, not blocked */
	end = now_ms() + 5000;
	while (n < sizeof(got) - 1 && now_ms() < end) {
		struct pollfd p = { .fd = pipe_r, .events = POLLIN };
		ssize_t r = poll(&p, 1, 100) > 0 ? read(pipe_r, got + n, sizeof(got) - 1 - n) : 0;

		if (r > 0)
			n += r;
	}
	assert_int_equal(n, LINES * LINE);
	for (int i = 0; i < LINES; i++) {
		snprintf(line, sizeof(line), "%048d\r\n", i);
		assert_memory_equal(got + i * LINE, line, LINE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dlab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_order_and_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iir_priority, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback_modem_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out2_gates_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_irq, setup, teardown),
		cmocka_unit_test_setup_teardown(test_output_to_file, setup_file, teardown_file),
		cmocka_unit_test_setup_teardown(test_stdin_input, setup_stdio, teardown_stdio),
		cmocka_unit_test_setup_teardown(test_stdout_backpressure, setup_stdout_pipe,
						teardown_stdout_pipe),
	};

	return cmocka_run_group_tests(tests, fake_ioloop_setup, fake_ioloop_teardown);
}
