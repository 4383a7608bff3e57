// SPDX-License-Identifier: GPL-2.0
/*
 * 16550A UARTs: COM1-COM4. COM1 is connected to --serial, the others to
 * nothing (present, so probing finds the PC's usual four ports).
 *
 * The model follows the PC16550D datasheet where a guest can tell:
 *  - Transmit is instant: a THR write goes straight to the character
 *    device, so THRE and TEMT are always set. A THR write clears the THRE
 *    interrupt and the now empty THR raises it again at once: the net
 *    effect is "THRE interrupt pending", which is what a real UART shows
 *    one character time later.
 *  - Receive: host input fills the RX FIFO (16 bytes, or a 1-byte RBR when
 *    the FIFOs are off). When it is full the character device is told to
 *    stop reading; it is told to go on once the guest has read half of it,
 *    so a paste waits in the host instead of being lost.
 *  - Character timeout: input arrives from the host in bursts, and nothing
 *    follows a burst for "four character times", so data below the
 *    trigger level reports the timeout interrupt (IIR 0xc) at once; at or
 *    above the trigger level it is "data available" (IIR 0x4).
 *  - Interrupt priority: line status > RX data / timeout > THRE > modem
 *    status. Reading IIR clears THRE when that is what it reports.
 *  - IRQ: on a PC the OUT2 pin gates the UART's IRQ onto the ISA bus, and
 *    loopback forces OUT2 inactive, so the line is "interrupt pending &&
 *    OUT2 && !LOOP". ISA IRQs are edge-triggered: the line is driven to
 *    that level and the irqchip sees the transitions. COM1/COM3 and
 *    COM2/COM4 share a line; sharing is a wired-OR here, which Linux's
 *    8250 driver (it polls every port on a shared IRQ) copes with.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <linux/serial_reg.h>

#include "bios/tables.h"
#include "cpu/vm.h"
#include "devices/chardev.h"
#include "devices/device.h"
#include "devices/uart.h"
#include "mmio/bus.h"

#define UART_NR	       4
#define UART_REGS      8
#define UART_FIFO_SIZE 16
#define ISA_IRQS       16
/* IIR bits 7:6 read 11 when the FIFOs are enabled (16550A); not in the UAPI header. */
#define UART_IIR_FIFO_BITS 0xc0
/* The status inputs a connected modem port shows outside loopback. */
#define UART_MSR_LINES (UART_MSR_DCD | UART_MSR_RI | UART_MSR_DSR | UART_MSR_CTS)

static const struct {
	uint16_t base;
	uint8_t irq;
	const char *name;
} uart_ports[UART_NR] = {
	{ 0x3f8, 4, "COM1" },
	{ 0x2f8, 3, "COM2" },
	{ 0x3e8, 4, "COM3" },
	{ 0x2e8, 3, "COM4" },
};

struct uart {
	pthread_mutex_t lock;
	struct vm *vm;
	struct chardev *cd;
	struct bus_region *region;
	unsigned int irq;

	uint8_t ier, lcr, mcr, msr, scr, fcr, dll, dlm;
	uint8_t lsr_err;   /* OE/PE/FE/BI: cleared by reading LSR */
	uint8_t rbr;	   /* the last byte read, returned again when empty */
	bool thr_ipending; /* THRE interrupt latched */
	uint8_t rx[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;
	bool rx_paused; /* the character device was told to stop */
	bool has_input; /* host input comes here (not with --console virtio) */
	bool irq_out;	/* this UART drives its IRQ line high */
};

static struct uart uarts[UART_NR];

/* Wired-OR of the UARTs sharing an ISA line. Nests inside a UART's lock. */
static pthread_mutex_t irq_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned int irq_users[ISA_IRQS];

static void irq_drive(struct uart *u, bool level)
{
	bool was, now;

	if (u->irq_out == level)
		return;
	u->irq_out = level;
	pthread_mutex_lock(&irq_lock);
	was = irq_users[u->irq] != 0;
	irq_users[u->irq] += level ? 1 : -1;
	now = irq_users[u->irq] != 0;
	if (was != now)
		vm_irq_line(u->vm, u->irq, now);
	pthread_mutex_unlock(&irq_lock);
}

static bool fifo_on(const struct uart *u)
{
	return u->fcr & UART_FCR_ENABLE_FIFO;
}

static unsigned int rx_capacity(const struct uart *u)
{
	return fifo_on(u) ? UART_FIFO_SIZE : 1;
}

static unsigned int rx_trigger(const struct uart *u)
{
	static const uint8_t levels[] = { 1, 4, 8, 14 };

	return fifo_on(u) ? levels[UART_FCR_R_TRIG_BITS(u->fcr)] : 1;
}

/* The highest-priority pending interrupt, as IIR bits 3:0 show it. */
static uint8_t uart_iir_id(const struct uart *u)
{
	if ((u->ier & UART_IER_RLSI) && u->lsr_err)
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_RDI) && u->rx_count)
		return u->rx_count < rx_trigger(u) ? UART_IIR_RX_TIMEOUT : UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thr_ipending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_MSI) && (u->msr & UART_MSR_ANY_DELTA))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

static void uart_update_irq(struct uart *u)
{
	bool pending = uart_iir_id(u) != UART_IIR_NO_INT;

	irq_drive(u, pending && (u->mcr & UART_MCR_OUT2) && !(u->mcr & UART_MCR_LOOP));
}

/* ------------------------------------------------------------------ */
/* Receive                                                             */

static void rx_push(struct uart *u, uint8_t c)
{
	if (u->rx_count == rx_capacity(u)) {
		u->lsr_err |= UART_LSR_OE;
		/* 16450 mode: the new byte overwrites RBR; a full FIFO keeps its bytes. */
		if (!fifo_on(u))
			u->rx[u->rx_head] = c;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = c;
	u->rx_count++;
}

static uint8_t rx_pop(struct uart *u)
{
	if (u->rx_count) {
		u->rbr = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
		u->rx_count--;
	}
	return u->rbr;
}

static void rx_clear(struct uart *u)
{
	u->rx_head = u->rx_count = 0;
}

static void rx_pause(struct uart *u)
{
	if (!u->rx_paused) {
		u->rx_paused = true;
		if (u->has_input)
			chardev_accept_input(u->cd, false);
	}
}

/* Let host input in again once half the FIFO is free (not while looped back). */
static void rx_maybe_resume(struct uart *u)
{
	if (u->rx_paused && !(u->mcr & UART_MCR_LOOP) && u->rx_count <= rx_capacity(u) / 2) {
		u->rx_paused = false;
		if (u->has_input)
			chardev_accept_input(u->cd, true);
	}
}

/* I/O thread: the character device has input. */
static void uart_rx_ready(void *opaque)
{
	struct uart *u = opaque;
	uint8_t buf[UART_FIFO_SIZE];
	size_t room, n;

	pthread_mutex_lock(&u->lock);
	/* In loopback the receiver is disconnected from the line. */
	room = (u->mcr & UART_MCR_LOOP) ? 0 : rx_capacity(u) - u->rx_count;
	n = room ? chardev_read(u->cd, buf, room) : 0;
	for (size_t i = 0; i < n; i++)
		rx_push(u, buf[i]);
	if (u->rx_count == rx_capacity(u) || (u->mcr & UART_MCR_LOOP))
		rx_pause(u);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */

/* MSR status bits follow MCR in loopback; deltas accumulate until read. */
static void msr_update(struct uart *u)
{
	uint8_t lines, changed;

	if (u->mcr & UART_MCR_LOOP) {
		lines = (u->mcr & UART_MCR_RTS ? UART_MSR_CTS : 0) |
			(u->mcr & UART_MCR_DTR ? UART_MSR_DSR : 0) |
			(u->mcr & UART_MCR_OUT1 ? UART_MSR_RI : 0) |
			(u->mcr & UART_MCR_OUT2 ? UART_MSR_DCD : 0);
	} else {
		lines = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	}
	changed = (u->msr ^ lines) & UART_MSR_LINES;
	if (changed & UART_MSR_CTS)
		u->msr |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		u->msr |= UART_MSR_DDSR;
	if ((changed & UART_MSR_RI) && !(lines & UART_MSR_RI))
		u->msr |= UART_MSR_TERI; /* trailing edge only */
	if (changed & UART_MSR_DCD)
		u->msr |= UART_MSR_DDCD;
	u->msr = (u->msr & UART_MSR_ANY_DELTA) | lines;
}

static uint8_t uart_lsr(const struct uart *u)
{
	return UART_LSR_TEMT | UART_LSR_THRE | u->lsr_err | (u->rx_count ? UART_LSR_DR : 0);
}

static uint8_t reg_read(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RX:
		if (dlab)
			return u->dll;
		v = rx_pop(u);
		rx_maybe_resume(u);
		return v;
	case UART_IER: return dlab ? u->dlm : u->ier;
	case UART_IIR:
		v = uart_iir_id(u);
		if (v == UART_IIR_THRI)
			u->thr_ipending = false; /* reading IIR acknowledges THRE */
		return v | (fifo_on(u) ? UART_IIR_FIFO_BITS : 0);
	case UART_LCR: return u->lcr;
	case UART_MCR: return u->mcr;
	case UART_LSR:
		v = uart_lsr(u);
		u->lsr_err = 0;
		return v;
	case UART_MSR:
		v = u->msr;
		u->msr &= ~UART_MSR_ANY_DELTA;
		return v;
	default: return u->scr;
	}
}

static void ier_write(struct uart *u, uint8_t v)
{
	uint8_t changed = (u->ier ^ v) & 0x0f;

	u->ier = v & 0x0f;
	/*
	 * Enabling ETBEI with THR empty raises THRE even if an IIR read had
	 * cleared it (Windows and Linux's UART_BUG_THRE probe rely on it).
	 */
	if (changed & UART_IER_THRI)
		u->thr_ipending = u->ier & UART_IER_THRI;
}

static void fcr_write(struct uart *u, uint8_t v)
{
	/* FCR bits are programmed only with bit 0 set; clearing it turns the FIFOs off. */
	if (!(v & UART_FCR_ENABLE_FIFO)) {
		if (fifo_on(u))
			rx_clear(u);
		u->fcr = 0;
		return;
	}
	if (!fifo_on(u))
		v |= UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT;
	if (v & UART_FCR_CLEAR_RCVR)
		rx_clear(u);
	if (v & UART_FCR_CLEAR_XMIT)
		u->thr_ipending = true; /* the (always empty) THR "emptied" */
	u->fcr = v & (UART_FCR_ENABLE_FIFO | UART_FCR_DMA_SELECT | UART_FCR_TRIGGER_MASK);
}

static void mcr_write(struct uart *u, uint8_t v)
{
	/* 16550A: bits 7:5 read as zero. */
	u->mcr = v & (UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_OUT1 | UART_MCR_RTS | UART_MCR_DTR);
	msr_update(u);
	if (u->mcr & UART_MCR_LOOP)
		rx_pause(u);
}

/* Returns true when @v is a byte to transmit to the character device. */
static bool reg_write(struct uart *u, unsigned int reg, uint8_t v, uint8_t *tx)
{
	bool dlab = u->lcr & UART_LCR_DLAB;

	switch (reg) {
	case UART_TX:
		if (dlab) {
			u->dll = v;
			return false;
		}
		/*
		 * All 8 bits go out whatever LCR's word length says: guests
		 * that print without programming the UART (LCR 0: 5 bits)
		 * are common, and QEMU passes 8 bits too. The write clears
		 * THRE and the instant drain raises it again.
		 */
		u->thr_ipending = true;
		if (u->mcr & UART_MCR_LOOP) {
			rx_push(u, v);
			return false;
		}
		*tx = v;
		return true;
	case UART_IER:
		if (dlab)
			u->dlm = v;
		else
			ier_write(u, v);
		return false;
	case UART_FCR:
		fcr_write(u, v);
		rx_maybe_resume(u);
		return false;
	case UART_LCR: u->lcr = v; return false;
	case UART_MCR:
		mcr_write(u, v);
		rx_maybe_resume(u);
		return false;
	case UART_SCR: u->scr = v; return false;
	default: /* LSR and MSR writes (factory test) are ignored */ return false;
	}
}

/* Wider accesses are split into byte accesses to consecutive registers. */
static uint64_t uart_read(void *opaque, uint64_t off, unsigned int len)
{
	struct uart *u = opaque;
	uint64_t val = 0;

	pthread_mutex_lock(&u->lock);
	for (unsigned int i = 0; i < len && off + i < UART_REGS; i++)
		val |= (uint64_t)reg_read(u, off + i) << (8 * i);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return val;
}

static void uart_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct uart *u = opaque;
	struct chardev *cd;
	uint8_t tx[8];
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	for (unsigned int i = 0; i < len && off + i < UART_REGS; i++)
		if (reg_write(u, off + i, val >> (8 * i), &tx[n]))
			n++;
	uart_update_irq(u);
	cd = u->cd;
	pthread_mutex_unlock(&u->lock);
	/* Outside the lock: a stalled host must not hold up this UART's input. */
	if (n)
		chardev_write(cd, tx, n);
}

static const struct bus_ops uart_ops = {
	.read = uart_read,
	.write = uart_write,
};

/* ------------------------------------------------------------------ */
/* Device                                                              */

/* Power-on state (PC16550D table: everything 0 but LSR THRE/TEMT, 9600 baud). */
static void uart_power_on(struct uart *u)
{
	u->ier = u->lcr = u->mcr = u->scr = u->fcr = 0;
	u->lsr_err = 0;
	u->rbr = 0;
	u->dll = 0x0c; /* 115200 / 12 = 9600 baud, as firmware leaves it */
	u->dlm = 0;
	u->thr_ipending = false;
	u->msr = UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	rx_clear(u);
}

static void uart_reset(struct vm *vm)
{
	for (int i = 0; i < UART_NR; i++) {
		struct uart *u = &uarts[i];

		pthread_mutex_lock(&u->lock);
		uart_power_on(u);
		uart_update_irq(u);
		rx_maybe_resume(u);
		pthread_mutex_unlock(&u->lock);
	}
}

static void uart_close(struct uart *u)
{
	struct chardev *cd;

	bus_unregister(u->region);
	u->region = NULL;
	/* The I/O thread's input callback may still look at u->cd. */
	pthread_mutex_lock(&u->lock);
	cd = u->cd;
	u->cd = NULL;
	pthread_mutex_unlock(&u->lock);
	chardev_close(cd); /* flushes what is queued */
}

static int uart_setup(struct vm *vm, int i)
{
	const char *spec = (i == 0 && vm->cfg && vm->cfg->serial) ? vm->cfg->serial : "none";
	struct isa_dev_desc desc = {
		.hid = "PNP0501",
		.uid = i + 1,
		.io = { { uart_ports[i].base, UART_REGS } },
		.irq_mask = 1u << uart_ports[i].irq,
	};
	struct uart *u = &uarts[i];
	int ret;

	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->vm = vm;
	u->irq = uart_ports[i].irq;
	uart_power_on(u);
	u->cd = chardev_open(vm, spec);
	if (!u->cd)
		return errno ? -errno : -EIO;
	u->region = bus_register(BUS_PIO, uart_ports[i].base, UART_REGS, &uart_ops, u,
				 uart_ports[i].name);
	if (!u->region) {
		uart_close(u);
		return -EBUSY;
	}
	strcpy(desc.name, uart_ports[i].name);
	ret = platform_add_isa_dev(&vm->platform, &desc);
	if (ret < 0) {
		uart_close(u);
		return ret;
	}
	/* With --console virtio, the terminal's input feeds hvc0 (virtio/console.c). */
	u->has_input = !(i == 0 && vm->cfg && vm->cfg->virtio_console);
	if (u->has_input)
		chardev_set_input(u->cd, uart_rx_ready, u);
	return 0;
}

static void uart_shutdown(struct vm *vm)
{
	for (int i = 0; i < UART_NR; i++)
		uart_close(&uarts[i]);
}

static int uart_init(struct vm *vm)
{
	int ret;

	memset(irq_users, 0, sizeof(irq_users));
	for (int i = 0; i < UART_NR; i++) {
		ret = uart_setup(vm, i);
		if (ret < 0) {
			while (i--)
				uart_close(&uarts[i]);
			return ret;
		}
	}
	return 0;
}

struct device uart_device = {
	.name = "uart",
	.level = DEV_LEVEL_PLATFORM,
	.init = uart_init,
	.reset = uart_reset,
	.shutdown = uart_shutdown,
};
device_init(uart_device);
