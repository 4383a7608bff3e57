// SPDX-License-Identifier: GPL-2.0
/*
 * The standard VGA through the real bus, without KVM (its memory slots
 * cannot be placed, so the framebuffer and the text window are reached
 * through bus exits, which the device serves from the same memory): the
 * Bochs DISPI registers and their limits, pixels in each VBE format, text
 * cells through the font with the cursor, and screendump.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "cpu/monitor.h"
#include "devices/display/font.h"
#include "devices/display/render.h"
#include "devices/pci.h"
#include "devices/vga.h"
#include "tests/unit/fake_vm.h"

#define DISPI_INDEX 0x1ce
#define DISPI_DATA  0x1cf

enum { ID, XRES, YRES, BPP, ENABLE, BANK, VIRT_W, VIRT_H, X_OFF, Y_OFF, MEM64K };

static struct vm vm;
static struct config cfg;
static uint64_t bar0, bar2;

static uint32_t cfg_read(unsigned int devfn, unsigned int off)
{
	outl(0xcf8, 0x80000000u | devfn << 8 | off);
	return inl(0xcfc);
}

static void cfg_write(unsigned int devfn, unsigned int off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | devfn << 8 | off);
	outl(0xcfc, v);
}

static int setup(void **state)
{
	fake_vm_init(&vm, &cfg);
	if (pci_device.init(&vm) || vga_device.init(&vm))
		return -1;
	for (unsigned int devfn = 0; devfn < 256; devfn += 8) {
		if (cfg_read(devfn, 0) != (VGA_PCI_DEVICE << 16 | VGA_PCI_VENDOR))
			continue;
		assert_int_equal(cfg_read(devfn, 8) >> 8, 0x030000);
		cfg_write(devfn, 4, PCI_COMMAND_MEMORY);
		bar0 = cfg_read(devfn, 0x10) & ~0xfu;
		bar2 = cfg_read(devfn, 0x18) & ~0xfu;
		return bar0 && bar2 ? 0 : -1;
	}
	return -1;
}

static int teardown(void **state)
{
	vga_device.shutdown(&vm);
	pci_device.shutdown(&vm);
	bus_reset();
	return 0;
}

static uint16_t dispi(unsigned int index)
{
	outw(DISPI_INDEX, index);
	return inw(DISPI_DATA);
}

static void dispi_set(unsigned int index, uint16_t v)
{
	outw(DISPI_INDEX, index);
	outw(DISPI_DATA, v);
}

static void mode(unsigned int w, unsigned int h, unsigned int bpp)
{
	dispi_set(ENABLE, 0);
	dispi_set(XRES, w);
	dispi_set(YRES, h);
	dispi_set(BPP, bpp);
	dispi_set(ENABLE, 0x41); /* enabled, linear framebuffer */
}

static void mmio_write(uint64_t addr, uint64_t v, unsigned int len)
{
	bus_access(BUS_MMIO, addr, (uint8_t *)&v, len, true);
}

static uint64_t mmio_read(uint64_t addr, unsigned int len)
{
	uint64_t v = 0;

	bus_access(BUS_MMIO, addr, (uint8_t *)&v, len, false);
	return v;
}

static void test_dispi_registers(void **state)
{
	assert_int_equal(dispi(ID), 0xb0c5);
	assert_int_equal(dispi(MEM64K), VGA_FB_SIZE >> 16);
	/* GETCAPS: the maxima instead of the values. */
	dispi_set(ENABLE, 0x02);
	assert_int_equal(dispi(XRES), 16000);
	assert_int_equal(dispi(YRES), 12000);
	assert_int_equal(dispi(BPP), 32);
	mode(800, 600, 32);
	assert_int_equal(dispi(XRES), 800);
	assert_int_equal(dispi(VIRT_W), 800);
	assert_int_equal(dispi(VIRT_H), VGA_FB_SIZE / (800 * 4));
	/* Geometry is fixed while the mode is on. */
	dispi_set(XRES, 1024);
	assert_int_equal(dispi(XRES), 800);
	/* Offsets stay inside the framebuffer. */
	dispi_set(X_OFF, 5000);
	assert_int_equal(dispi(X_OFF), 0); /* virtual width == XRES */
	dispi_set(Y_OFF, 0xffff);
	assert_int_equal(dispi(Y_OFF), VGA_FB_SIZE / (800 * 4) - 600);
	/* A virtual width that leaves no room for YRES lines falls back. */
	dispi_set(VIRT_W, 0xfff8);
	assert_int_equal(dispi(VIRT_W), 800);
	/* Nonsense modes are made sane: 8 bpp, a multiple of 8 wide, and fit. */
	mode(0xffff, 0xffff, 7);
	assert_int_equal(dispi(BPP), 8);
	assert_true(dispi(XRES) <= 16000 && dispi(XRES) % 8 == 0);
	assert_true((uint64_t)dispi(XRES) * dispi(YRES) <= VGA_FB_SIZE);
	/* The same registers in BAR 2 at 0x500, and QEMU's extension at 0x600. */
	assert_int_equal(mmio_read(bar2 + 0x500, 2), 0xb0c5);
	mmio_write(bar2 + 0x500 + 2 * ENABLE, 0, 2);
	mmio_write(bar2 + 0x500 + 2 * XRES, 320, 2);
	assert_int_equal(dispi(XRES), 320);
	assert_int_equal(mmio_read(bar2 + 0x600, 4), 8);
	assert_int_equal(mmio_read(bar2 + 0x604, 4), 0x1e1e1e1e);
	/* The EDID area has no header: drivers use their default modes. */
	assert_int_equal(mmio_read(bar2, 4), 0);
}

static void render(struct vga_frame *f, bool incremental, unsigned int *y0, unsigned int *y1)
{
	assert_int_equal(vga_render(f, incremental, true, y0, y1), 0);
}

static void test_vbe_pixels(void **state)
{
	struct vga_frame f = { 0 };
	unsigned int y0, y1;

	mode(16, 8, 32);
	mmio_write(bar0 + (2 * 16 + 3) * 4, 0x00123456, 4);
	render(&f, true, &y0, &y1);
	assert_int_equal(f.width, 16);
	assert_int_equal(f.height, 8);
	assert_int_equal(y0, 0);
	assert_int_equal(y1, 8);
	assert_int_equal(f.pixels[2 * 16 + 3], 0x123456);
	assert_int_equal(f.pixels[0], 0); /* enabling cleared the framebuffer */
	/* Nothing written: nothing to upload. One pixel: its row. */
	render(&f, true, &y0, &y1);
	assert_int_equal(y1 - y0, 0);
	mmio_write(bar0 + (5 * 16) * 4, 0xffffff, 4);
	render(&f, true, &y0, &y1);
	assert_int_equal(f.pixels[5 * 16], 0xffffff);
	assert_true(y0 <= 5 && y1 > 5);

	/* Panning: the screen starts one line down a 32-pixel-wide screen. */
	dispi_set(VIRT_W, 32);
	dispi_set(Y_OFF, 1);
	mmio_write(bar0 + 32 * 4, 0xabcdef, 4);
	render(&f, true, &y0, &y1);
	assert_int_equal(f.pixels[0], 0xabcdef);

	/* 16 bpp (5:6:5) and 15 bpp (5:5:5), expanded to 8 bits a channel. */
	mode(16, 8, 16);
	mmio_write(bar0, 0xf800 | (uint64_t)0x07e0 << 16, 4);
	mmio_write(bar0 + 4, 0x001f, 2);
	render(&f, false, &y0, &y1);
	assert_int_equal(f.pixels[0], 0xff0000);
	assert_int_equal(f.pixels[1], 0x00ff00);
	assert_int_equal(f.pixels[2], 0x0000ff);
	mode(16, 8, 15);
	mmio_write(bar0, 0x7c00 | 0x0210, 2);
	render(&f, false, &y0, &y1);
	assert_int_equal(f.pixels[0], 0xff8484);
	/* 24 bpp, and 8 bpp through the DAC (6-bit values, as QEMU widens). */
	mode(16, 8, 24);
	mmio_write(bar0 + 3, 0x010203, 3);
	render(&f, false, &y0, &y1);
	assert_int_equal(f.pixels[1], 0x010203);
	mode(16, 8, 8);
	outb(0x3c8, 5);
	outb(0x3c9, 0x3f);
	outb(0x3c9, 0x15);
	outb(0x3c9, 0x00);
	mmio_write(bar0 + 7, 5, 1);
	render(&f, false, &y0, &y1);
	assert_int_equal(f.pixels[7], 0xff5700);
	outb(0x3c7, 5);
	assert_int_equal(inb(0x3c9), 0x3f);
	/* Accesses past the framebuffer BAR's end are not the framebuffer's. */
	assert_int_equal(mmio_read(bar0 + VGA_FB_SIZE - 2, 4), 0);
	vga_frame_free(&f);
}

static void crtc(uint8_t i, uint8_t v)
{
	outb(0x3d4, i);
	outb(0x3d5, v);
}

/* Cell @c of a 9-dot text frame drawn as the font says, in fg on bg. */
static void expect_glyph(const struct vga_frame *f, int c, uint8_t ch, uint32_t fg, uint32_t bg,
			 int cursor_from)
{
	for (int y = 0; y < 16; y++) {
		unsigned int bits = vga_font8x16[ch][y] << 1;

		if (cursor_from >= 0 && y >= cursor_from)
			bits = 0x1ff;
		for (int x = 0; x < 9; x++)
			assert_int_equal(f->pixels[y * f->width + c * 9 + x],
					 bits & (0x100 >> x) ? fg : bg);
	}
}

static void test_text_mode(void **state)
{
	struct vga_frame f = { 0 };
	unsigned int y0, y1;

	/* "A" yellow on blue, then a grey-on-black space with the cursor. */
	mmio_write(0xb8000, 0x1e41 | (uint64_t)0x0720 << 16, 4);
	crtc(0x0a, 14);
	crtc(0x0b, 15);
	crtc(0x0e, 0);
	crtc(0x0f, 1);
	render(&f, true, &y0, &y1);
	assert_int_equal(f.width, 720);
	assert_int_equal(f.height, 400);
	assert_int_equal(y1, 400);
	expect_glyph(&f, 0, 'A', 0xffff57, 0x0000a8, -1);
	expect_glyph(&f, 1, ' ', 0xa8a8a8, 0, 14);
	/* Nothing changed: nothing redrawn; a new character: redrawn. */
	render(&f, true, &y0, &y1);
	assert_int_equal(y1 - y0, 0);
	mmio_write(0xb8000 + 4, 0x0f42, 2);
	render(&f, true, &y0, &y1);
	assert_int_equal(y1, 400);
	expect_glyph(&f, 2, 'B', 0xffffff, 0, -1);
	/* Without the cursor (its blink phase), the cell is a plain space. */
	assert_int_equal(vga_render(&f, false, false, &y0, &y1), 0);
	expect_glyph(&f, 1, ' ', 0xa8a8a8, 0, -1);
	/* 8-dot cells (sequencer clocking mode): 640 wide. */
	outb(0x3c4, 1);
	outb(0x3c5, 1);
	render(&f, true, &y0, &y1);
	assert_int_equal(f.width, 640);
	/* A start address past the window stays inside it. */
	crtc(0x0c, 0xff);
	crtc(0x0d, 0xff);
	render(&f, true, &y0, &y1);
	/* The attribute controller's PAS bit off: a black screen. */
	inb(0x3da);
	outb(0x3c0, 0x00);
	mmio_write(0xb8000, 0x7fdb, 2);
	render(&f, false, &y0, &y1);
	for (size_t i = 0; i < (size_t)f.width * f.height; i++)
		assert_int_equal(f.pixels[i], 0);
	vga_frame_free(&f);
}

static void test_screendump(void **state)
{
	char path[] = "/tmp/vmm-test-vga-XXXXXX";
	char line[300];
	struct stat st;
	uint8_t hdr[54];
	FILE *f, *out = tmpfile();
	int fd = mkstemp(path);

	assert_true(fd >= 0 && out);
	close(fd);
	snprintf(line, sizeof(line), "screendump %s", path);
	assert_int_equal(monitor_exec(&vm, line, out), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 54 + 720 * 3 * 400);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
	fclose(f);
	assert_memory_equal(hdr, "BM", 2);
	assert_int_equal(hdr[18] | hdr[19] << 8, 720);
	assert_int_equal(hdr[22] | hdr[23] << 8, 400);
	assert_int_equal(hdr[28], 24);
	unlink(path);
	assert_int_equal(monitor_exec(&vm, "screendump", out), -EINVAL);
	assert_int_equal(monitor_exec(&vm, "screendump /nonexistent/dir/x.bmp", out), -ENOENT);
	fclose(out);
}

/* render_row alone: the formats at their extremes. */
static void test_render_row(void **state)
{
	static const uint32_t pal[256] = { [1] = 0x102030, [255] = 0xffffff };
	const uint8_t p8[] = { 1, 255, 0 };
	const uint8_t p16[] = { 0xff, 0xff, 0x00, 0x00, 0x1f, 0x00 };
	const uint8_t p32[] = { 0x11, 0x22, 0x33, 0xff };
	uint32_t out[3];

	render_row(p8, 8, 3, pal, out);
	assert_int_equal(out[0], 0x102030);
	assert_int_equal(out[1], 0xffffff);
	assert_int_equal(out[2], 0);
	render_row(p16, 16, 3, NULL, out);
	assert_int_equal(out[0], 0xffffff);
	assert_int_equal(out[1], 0);
	assert_int_equal(out[2], 0x0000ff);
	render_row(p32, 32, 1, NULL, out);
	assert_int_equal(out[0], 0x332211); /* the top byte is not colour */
	assert_int_equal(bmp_write("/nonexistent/dir/x.bmp", out, 1, 1), -ENOENT);
	assert_int_equal(bmp_write("/dev/null", out, 0, 1), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dispi_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vbe_pixels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_screendump, setup, teardown),
		cmocka_unit_test(test_render_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
