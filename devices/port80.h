/* SPDX-License-Identifier: GPL-2.0 */
/* The POST-code port 0x80 (devices/port80.c). */
#ifndef VMM_DEVICES_PORT80_H
#define VMM_DEVICES_PORT80_H

#include <stdint.h>

#include "devices/device.h"

/* Exported for unit tests (init one device alone). */
extern struct device port80_device;

/* The last POST code the guest wrote (for a crash report or --stats). */
uint8_t port80_last(void);

#endif
