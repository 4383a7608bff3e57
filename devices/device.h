/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device self-registration. Each device file declares a struct device and
 * device_init(); a constructor adds it to the list before main() runs, and
 * devices_init() calls each init (by level, then link order). Only the
 * device knows its ports: it claims them on the bus in its init.
 */
#ifndef VMM_DEVICES_DEVICE_H
#define VMM_DEVICES_DEVICE_H

#include <stdio.h>

struct vm;

enum device_level {
	DEV_LEVEL_PLATFORM, /* chipset: PM block, RTC, i8042, ... */
	DEV_LEVEL_BUS,	    /* PCI host bridge */
	DEV_LEVEL_DEVICE,   /* devices on a bus */
	DEV_LEVEL_NR,
};

struct device {
	const char *name;
	enum device_level level;
	int (*init)(struct vm *vm);		     /* claim regions; 0 or -errno
						      * (-ECANCELED: error line printed) */
	void (*reset)(struct vm *vm);		     /* machine reset: back to power-on state */
	void (*shutdown)(struct vm *vm);	     /* drain and flush before exit */
	void (*print_stats)(struct vm *vm, FILE *f); /* --stats lines, may be NULL */
	struct device *next;
};

void device_register(struct device *dev);

#define device_init(dev)                                              \
	static void __attribute__((constructor)) dev##_register(void) \
	{                                                             \
		device_register(&(dev));                              \
	}

int devices_init(struct vm *vm);
void devices_reset(struct vm *vm);
void devices_shutdown(struct vm *vm);
/* After devices_shutdown() too: a device keeps its counters until exit. */
void devices_print_stats(struct vm *vm, FILE *f);

#endif
