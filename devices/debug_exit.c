// SPDX-License-Identifier: GPL-2.0
/*
 * A debug-exit port compatible with QEMU's "-device isa-debug-exit,
 * iobase=0xf4,iosize=0x04": a guest (a test kernel, a CI image) writes a
 * value v of any width and vmm exits with status (v << 1) | 1.
 *
 * A process's exit status is 8 bits, so QEMU's exit((v << 1) | 1) really
 * yields ((v << 1) | 1) & 0xff; the status is truncated the same way here,
 * before it is logged, so what is printed is what the shell sees. It is
 * always odd: see config/status.h for how vmm's own codes stay even.
 * Reads return 0, as QEMU's do.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/vm.h"
#include "devices/debug_exit.h"
#include "devices/device.h"
#include "mmio/bus.h"

#define DEBUG_EXIT_BASE 0xf4
#define DEBUG_EXIT_LEN	4

static struct bus_region *debug_exit_region;

int debug_exit_status(uint64_t v)
{
	return ((v << 1) | 1) & 0xff;
}

static uint64_t debug_exit_read(void *opaque, uint64_t off, unsigned int len)
{
	return 0;
}

static void debug_exit_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	char why[64];
	int status = debug_exit_status(val);

	snprintf(why, sizeof(why), "guest wrote %#llx to debug-exit: status %d",
		 (unsigned long long)val, status);
	vm_request_exit(opaque, status, why);
}

static const struct bus_ops debug_exit_ops = {
	.read = debug_exit_read,
	.write = debug_exit_write,
};

static int debug_exit_init(struct vm *vm)
{
	debug_exit_region = bus_register(BUS_PIO, DEBUG_EXIT_BASE, DEBUG_EXIT_LEN, &debug_exit_ops,
					 vm, "debug-exit");
	return debug_exit_region ? 0 : -EBUSY;
}

static void debug_exit_shutdown(struct vm *vm)
{
	bus_unregister(debug_exit_region);
	debug_exit_region = NULL;
}

struct device debug_exit_device = {
	.name = "debug-exit",
	.level = DEV_LEVEL_PLATFORM,
	.init = debug_exit_init,
	.shutdown = debug_exit_shutdown,
};
device_init(debug_exit_device);
