/* SPDX-License-Identifier: GPL-2.0 */
/* The i8042 keyboard controller with a PS/2 keyboard and mouse (devices/i8042.c). */
#ifndef VMM_DEVICES_I8042_H
#define VMM_DEVICES_I8042_H

#include <stdbool.h>
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

/*
 * A key went down or up. @code is the key's scan code set 2 make code,
 * with KEY_SET2_E0 for the extended (E0-prefixed) keys, or one of the two
 * keys with sequences of their own. The keyboard sends make / break
 * (F0-prefixed) bytes, translated to set 1 when the controller translates
 * (the default) or the guest chose set 1. Any thread.
 */
#define KEY_SET2_E0    0x100
#define KEY_SET2_PRINT 0x200
#define KEY_SET2_PAUSE 0x201
void i8042_kbd_key(unsigned int code, bool down);
/* The 8042's set 2 to set 1 translation of one byte. */
uint8_t i8042_xlate(uint8_t code);
/*
 * Relative motion (@dy grows downwards, as on a screen), wheel clicks
 * (@dz, positive towards the user) and buttons (bit 0 left, 1 right,
 * 2 middle), sent as stream packets (4 bytes after the IntelliMouse
 * sequence), split when a delta exceeds a packet's range. Any thread.
 */
void i8042_mouse_event(int dx, int dy, int dz, unsigned int buttons);

#endif
