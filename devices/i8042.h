/* SPDX-License-Identifier: GPL-2.0 */
/* The i8042 keyboard controller with a PS/2 keyboard and mouse (devices/i8042.c). */
#ifndef VMM_DEVICES_I8042_H
#define VMM_DEVICES_I8042_H

#include <stddef.h>
#include <stdint.h>

#include "devices/device.h"

/* Exported for unit tests (init one device alone). */
extern struct device i8042_device;

/*
 * Bytes the keyboard sends, queued for the guest while the keyboard is
 * scanning (dropped otherwise, as a keyboard does). They are delivered as
 * given: when the command byte's XLATE bit is set (the default, and what
 * Linux keeps) the guest expects scan code set 1, else the set it chose.
 * Safe from any thread.
 */
void i8042_kbd_push(const uint8_t *bytes, size_t n);
/* Mouse packet bytes, queued while the mouse is streaming (0xf4 sent). */
void i8042_aux_push(const uint8_t *bytes, size_t n);

#endif
