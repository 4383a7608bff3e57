/* SPDX-License-Identifier: GPL-2.0 */
/* QEMU isa-debug-exit compatible port 0xf4 (devices/debug_exit.c). */
#ifndef VMM_DEVICES_DEBUG_EXIT_H
#define VMM_DEVICES_DEBUG_EXIT_H

#include <stdint.h>

#include "devices/device.h"

/* Exported for unit tests (init one device alone). */
extern struct device debug_exit_device;

/* The exit status for a guest write of @v: ((v << 1) | 1) & 0xff. */
int debug_exit_status(uint64_t v);

#endif
