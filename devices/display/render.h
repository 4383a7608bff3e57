/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pixels from device state, with no device or guest in sight (so unit tests
 * can check them): VGA text cells through the font, framebuffer rows in the
 * Bochs VBE pixel formats, and the BMP writer.
 */
#ifndef VMM_DEVICES_DISPLAY_RENDER_H
#define VMM_DEVICES_DISPLAY_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TEXT_COLS   80
#define TEXT_ROWS   25
#define TEXT_CELL_H 16

struct text_state {
	const uint8_t *cells;		       /* TEXT_COLS * TEXT_ROWS (char, attr) pairs */
	const uint32_t *palette;	       /* 16 colours, XRGB8888 */
	unsigned int cell_w;		       /* 8 or 9 dots */
	bool blink_attr;		       /* attribute bit 7 blinks (only 8 backgrounds) */
	bool line_graphics;		       /* 9-dot: column 9 repeats column 8 for 0xc0-0xdf */
	int cursor;			       /* cell index, -1 = none */
	unsigned int cursor_start, cursor_end; /* scan lines */
};

/* Draw the whole text screen: TEXT_COLS * cell_w by TEXT_ROWS * 16 pixels. */
void render_text(const struct text_state *t, uint32_t *px, unsigned int stride);

/*
 * One framebuffer row of @width pixels in @bpp (8 with @palette, 15, 16, 24,
 * 32) into XRGB8888.
 */
void render_row(const uint8_t *src, unsigned int bpp, unsigned int width, const uint32_t *palette,
		uint32_t *dst);

/* Write @px (@w x @h, XRGB8888) as a 24-bit bottom-up BMP. 0 or -errno. */
int bmp_write(const char *path, const uint32_t *px, unsigned int w, unsigned int h);

#endif
