// SPDX-License-Identifier: GPL-2.0
/*
 * The POST-code port 0x80. Firmware writes progress codes here and Linux
 * uses it as an I/O delay (outb_p), so it must be cheap: the last value is
 * kept in an atomic (one byte needs no mutex) and reads return it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#include "devices/device.h"
#include "devices/port80.h"
#include "mmio/bus.h"

#define PORT80 0x80

static atomic_uchar post_code;
static struct bus_region *port80_region;

uint8_t port80_last(void)
{
	return atomic_load_explicit(&post_code, memory_order_relaxed);
}

static uint64_t port80_read(void *opaque, uint64_t off, unsigned int len)
{
	return port80_last();
}

static void port80_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	atomic_store_explicit(&post_code, val, memory_order_relaxed);
}

static const struct bus_ops port80_ops = {
	.read = port80_read,
	.write = port80_write,
};

static int port80_init(struct vm *vm)
{
	atomic_store(&post_code, 0);
	port80_region = bus_register(BUS_PIO, PORT80, 1, &port80_ops, NULL, "port80");
	return port80_region ? 0 : -EBUSY;
}

static void port80_reset(struct vm *vm)
{
	atomic_store(&post_code, 0);
}

static void port80_shutdown(struct vm *vm)
{
	bus_unregister(port80_region);
	port80_region = NULL;
}

struct device port80_device = {
	.name = "port80",
	.level = DEV_LEVEL_PLATFORM,
	.init = port80_init,
	.reset = port80_reset,
	.shutdown = port80_shutdown,
};
device_init(port80_device);
