/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The standard VGA (devices/vga.c): what QEMU calls -vga std. A PCI function
 * 1234:1111 with a 16 MiB linear framebuffer (BAR 0), the Bochs VBE "DISPI"
 * registers (ports 0x1ce/0x1cf and BAR 2 at 0x500), and VGA text mode
 * (80x25 at 0xb8000) with the few VGA registers text mode needs.
 *
 * A front end asks for the screen with vga_render(); it never touches guest
 * memory itself.
 */
#ifndef VMM_DEVICES_VGA_H
#define VMM_DEVICES_VGA_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/device.h"

extern struct device vga_device;

#define VGA_PCI_VENDOR 0x1234
#define VGA_PCI_DEVICE 0x1111
#define VGA_FB_SIZE    (16u << 20)

/* A rendered screen: XRGB8888, one row after another (stride = width). */
struct vga_frame {
	uint32_t *pixels;
	unsigned int width, height;
	size_t cap;	   /* pixels allocated */
	uint64_t gen;	   /* the device state it shows (internal) */
	bool cursor_shown; /* text mode: the cursor was drawn (internal) */
};

/*
 * Render the guest's screen into @f, resized (reallocated) when the mode
 * changed. @incremental: only what changed since the last incremental call
 * (KVM's dirty log of the framebuffer and of the text window; one caller
 * may use this: the display front end); otherwise redraw everything and
 * leave the logs alone. @cursor_on: draw the text cursor (blinking is the
 * caller's). Rows [*y0, *y1) changed (empty when nothing did). 0, or -ENODEV
 * without the device, -ENOMEM.
 */
int vga_render(struct vga_frame *f, bool incremental, bool cursor_on, unsigned int *y0,
	       unsigned int *y1);
void vga_frame_free(struct vga_frame *f);
/* Save the current screen as a 24-bit BMP. 0 or -errno. */
int vga_screendump(const char *path);
/* The device exists (vmm was started with it). */
bool vga_present(void);

#endif
