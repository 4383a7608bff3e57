/* SPDX-License-Identifier: GPL-2.0 */
/* Host key positions to PC scan codes (devices/display/keymap.c). */
#ifndef VMM_DEVICES_DISPLAY_KEYMAP_H
#define VMM_DEVICES_DISPLAY_KEYMAP_H

/*
 * The scan code set 2 code (i8042.h's KEY_SET2_* form) of the key at USB
 * HID usage @usage (page 7, which is what SDL scancodes are), or 0 for a
 * key a PC keyboard does not have. Positions, not symbols: the keyboard
 * layout is the guest's business, as on real hardware.
 */
unsigned int keymap_hid_to_set2(unsigned int usage);

#endif
