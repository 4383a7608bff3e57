// SPDX-License-Identifier: GPL-2.0
/*
 * Device self-registration. Constructors run before main() in link order,
 * so the list is built without a lock; devices_init() then walks it once
 * per level, which gives "by level, then registration order".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/device.h"

static struct device *dev_head;
static struct device **dev_tail = &dev_head;
/* How many devices, in init order, completed init: only those are shut down. */
static unsigned int nr_inited;
/* Of those, how many are not shut down yet (a second shut-down does nothing). */
static unsigned int nr_live;

void device_register(struct device *dev)
{
	dev->next = NULL;
	*dev_tail = dev;
	dev_tail = &dev->next;
}

/* The @n-th device in init order (by level, then registration), or NULL. */
static struct device *device_nth(unsigned int n)
{
	for (int level = 0; level < DEV_LEVEL_NR; level++) {
		for (struct device *d = dev_head; d; d = d->next) {
			if ((int)d->level != level)
				continue;
			if (n-- == 0)
				return d;
		}
	}
	return NULL;
}

int devices_init(struct vm *vm)
{
	struct device *d;
	int ret;

	nr_inited = nr_live = 0;
	while ((d = device_nth(nr_inited))) {
		ret = d->init ? d->init(vm) : 0;
		if (ret < 0) {
			/* -ECANCELED: the device printed its own error line. */
			if (ret != -ECANCELED)
				fprintf(stderr, "vmm: device %s: %s\n", d->name, strerror(-ret));
			return ret;
		}
		nr_inited++;
		nr_live = nr_inited;
	}
	return 0;
}

void devices_reset(struct vm *vm)
{
	for (unsigned int i = 0; i < nr_inited; i++) {
		struct device *d = device_nth(i);

		if (d->reset)
			d->reset(vm);
	}
}

/*
 * Reverse init order: a device on a bus goes before the bus, the chipset
 * last. Also after a failed devices_init(), for the devices that made it.
 */
void devices_shutdown(struct vm *vm)
{
	unsigned int n = nr_live;

	nr_live = 0;
	for (unsigned int i = n; i--;) {
		struct device *d = device_nth(i);

		if (d->shutdown)
			d->shutdown(vm);
	}
}

void devices_print_stats(struct vm *vm, FILE *f)
{
	for (unsigned int i = 0; i < nr_inited; i++) {
		struct device *d = device_nth(i);

		if (d->print_stats)
			d->print_stats(vm, f);
	}
}
