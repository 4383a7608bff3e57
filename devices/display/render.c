// SPDX-License-Identifier: GPL-2.0
/*
 * Pixels from device state: VGA text cells, framebuffer rows, BMP files.
 * Pure functions over buffers the caller checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/display/font.h"
#include "devices/display/render.h"

static void render_cell(const struct text_state *t, unsigned int idx, uint32_t *px,
			unsigned int stride)
{
	uint8_t ch = t->cells[idx * 2], attr = t->cells[idx * 2 + 1];
	uint32_t fg = t->palette[attr & 0xf];
	uint32_t bg = t->palette[t->blink_attr ? (attr >> 4) & 7 : attr >> 4];
	bool dup9 = t->cell_w == 9 && t->line_graphics && ch >= 0xc0 && ch <= 0xdf;

	for (unsigned int y = 0; y < TEXT_CELL_H; y++) {
		unsigned int bits = vga_font8x16[ch][y];
		uint32_t *row = px + (size_t)y * stride;

		if (idx == (unsigned int)t->cursor && y >= t->cursor_start && y <= t->cursor_end)
			bits = 0xff | (dup9 ? 0 : 0x100); /* the cursor line fills the cell */
		for (unsigned int x = 0; x < 8; x++)
			row[x] = bits & (0x80 >> x) ? fg : bg;
		if (t->cell_w == 9)
			row[8] = (dup9 ? bits & 1 : bits & 0x100) ? fg : bg;
	}
}

void render_text(const struct text_state *t, uint32_t *px, unsigned int stride)
{
	for (unsigned int r = 0; r < TEXT_ROWS; r++)
		for (unsigned int c = 0; c < TEXT_COLS; c++)
			render_cell(t, r * TEXT_COLS + c,
				    px + (size_t)r * TEXT_CELL_H * stride + c * t->cell_w, stride);
}

/* 5 or 6 bits to 8, as a DAC does: the top bits repeat in the low ones. */
static uint32_t expand(uint32_t v, unsigned int bits)
{
	return (v << (8 - bits)) | (v >> (2 * bits - 8));
}

void render_row(const uint8_t *src, unsigned int bpp, unsigned int width, const uint32_t *palette,
		uint32_t *dst)
{
	for (unsigned int x = 0; x < width; x++) {
		uint32_t v;

		switch (bpp) {
		case 8: dst[x] = palette[src[x]]; break;
		case 15:
		case 16:
			v = src[2 * x] | src[2 * x + 1] << 8;
			if (bpp == 15)
				dst[x] = expand(v >> 10 & 0x1f, 5) << 16 |
					 expand(v >> 5 & 0x1f, 5) << 8 | expand(v & 0x1f, 5);
			else
				dst[x] = expand(v >> 11, 5) << 16 | expand(v >> 5 & 0x3f, 6) << 8 |
					 expand(v & 0x1f, 5);
			break;
		case 24: dst[x] = src[3 * x] | src[3 * x + 1] << 8 | src[3 * x + 2] << 16; break;
		default:
			memcpy(&v, src + 4 * x, 4);
			dst[x] = v & 0xffffff;
			break;
		}
	}
}

static void put_le(uint8_t *p, uint32_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		p[i] = v >> (8 * i);
}

int bmp_write(const char *path, const uint32_t *px, unsigned int w, unsigned int h)
{
	size_t row = ((size_t)w * 3 + 3) & ~(size_t)3;
	uint8_t hdr[54] = { 'B', 'M' };
	uint8_t *line;
	FILE *f;
	int ret = 0;

	if (!w || !h || w > 65536 || h > 65536)
		return -EINVAL;
	put_le(hdr + 2, sizeof(hdr) + row * h, 4);
	put_le(hdr + 10, sizeof(hdr), 4); /* pixels start */
	put_le(hdr + 14, 40, 4);	  /* BITMAPINFOHEADER */
	put_le(hdr + 18, w, 4);
	put_le(hdr + 22, h, 4); /* positive: bottom-up */
	put_le(hdr + 26, 1, 2);
	put_le(hdr + 28, 24, 2);
	put_le(hdr + 34, row * h, 4);
	put_le(hdr + 38, 2835, 4); /* 72 dpi */
	put_le(hdr + 42, 2835, 4);
	line = calloc(1, row);
	f = line ? fopen(path, "wb") : NULL;
	if (!f) {
		ret = line ? -errno : -ENOMEM;
		free(line);
		return ret;
	}
	if (fwrite(hdr, sizeof(hdr), 1, f) != 1)
		ret = -EIO;
	for (unsigned int y = h; !ret && y-- > 0;) {
		for (unsigned int x = 0; x < w; x++)
			put_le(line + 3 * x, px[(size_t)y * w + x], 3); /* B, G, R */
		if (fwrite(line, row, 1, f) != 1)
			ret = -EIO;
	}
	if (fclose(f) && !ret)
		ret = -EIO;
	free(line);
	return ret;
}
