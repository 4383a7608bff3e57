// SPDX-License-Identifier: GPL-2.0
/*
 * INT 10h: VGA text mode 3 at 0xb8000, page 0, with the teletype output
 * mirrored to COM1 so that a boot loader is readable on a headless serial
 * console. The hardware cursor is moved by AH=02h and at each line end
 * only: four port writes per character would be four exits each.
 */
#include "fw.h"

#define VGA  0xb8000
#define COLS 80
#define ROWS 25
#define ATTR 0x07
#define COM1 0x3f8
#define CRTC 0x3d4

void *memset(void *d, int c, unsigned long n)
{
	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return d;
}

void *memcpy(void *d, const void *s, unsigned long n)
{
	void *r = d;

	asm volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return r;
}

void far_copy_to(u32 lin, const void *src, u16 n)
{
	u32 off = lin & 15, cnt = n;

	asm volatile("pushw %%es\n\tmovw %w3, %%es\n\trep movsb\n\tpopw %%es"
		     : "+D"(off), "+S"(src), "+c"(cnt)
		     : "r"(seg_of(lin))
		     : "memory");
}

void far_copy_from(void *dst, u32 lin, u16 n)
{
	u32 off = lin & 15, cnt = n;

	asm volatile("pushw %%ds\n\tmovw %w3, %%ds\n\trep movsb\n\tpopw %%ds"
		     : "+D"(dst), "+S"(off), "+c"(cnt)
		     : "r"(seg_of(lin))
		     : "memory");
}

void far_zero(u32 lin, u16 n)
{
	u32 off = lin & 15, cnt = n;

	asm volatile("pushw %%es\n\tmovw %w2, %%es\n\trep stosb\n\tpopw %%es"
		     : "+D"(off), "+c"(cnt)
		     : "r"(seg_of(lin)), "a"(0)
		     : "memory");
}

/* Fill @n words at VGA offset @off with @w (one rep stosw). */
static void vga_fill(u16 off, u16 w, u16 n)
{
	u32 o = off, cnt = n;

	asm volatile("pushw %%es\n\tmovw %w2, %%es\n\trep stosw\n\tpopw %%es"
		     : "+D"(o), "+c"(cnt)
		     : "r"(VGA >> 4), "a"(w)
		     : "memory");
}

/* Move @n words inside VGA memory (one rep movsw; backwards if @down). */
static void vga_move(u16 dst, u16 src, u16 n, int down)
{
	u32 d = dst, s = src, cnt = n;

	if (down) {
		d += 2 * n - 2;
		s += 2 * n - 2;
	}
	asm volatile("pushw %%ds\n\tpushw %%es\n\tmovw %w3, %%ds\n\tmovw %w3, %%es\n\t"
		     "testb %b4, %b4\n\tjz 1f\n\tstd\n1:\trep movsw\n\tcld\n\t"
		     "popw %%es\n\tpopw %%ds"
		     : "+D"(d), "+S"(s), "+c"(cnt)
		     : "r"(VGA >> 4), "q"((u8)down)
		     : "memory");
}

static void scroll(u8 top, u8 left, u8 bottom, u8 right, int lines, u8 attr, int up)
{
	u16 w = right - left + 1;
	int h = bottom - top + 1;
	u16 blank = (u16)attr << 8 | ' ';
	int r;

	if (right >= COLS || bottom >= ROWS || left > right || top > bottom)
		return;
	if (!lines || lines > h)
		lines = h;
	if (up) {
		for (r = top; r + lines <= bottom; r++)
			vga_move((r * COLS + left) * 2, ((r + lines) * COLS + left) * 2, w, 0);
		for (r = bottom - lines + 1; r <= bottom; r++)
			vga_fill((r * COLS + left) * 2, blank, w);
	} else {
		for (r = bottom; r - lines >= top; r--)
			vga_move((r * COLS + left) * 2, ((r - lines) * COLS + left) * 2, w, 0);
		for (r = top; r < top + lines; r++)
			vga_fill((r * COLS + left) * 2, blank, w);
	}
}

static void hw_cursor(u8 row, u8 col)
{
	u16 pos = row * COLS + col;

	outb(0x0e, CRTC);
	outb(pos >> 8, CRTC + 1);
	outb(0x0f, CRTC);
	outb(pos, CRTC + 1);
}

static void serial_putc(char c)
{
	int i;

	/* A real 16550 needs THRE; vmm's and QEMU's are always ready. */
	for (i = 0; i < 10000 && !(inb(COM1 + 5) & 0x20); i++)
		;
	outb(c, COM1);
}

static void set_cursor(u8 page, u8 row, u8 col)
{
	wr16(BDA_CURSOR + 2 * (page & 7), (u16)row << 8 | col);
}

static u16 get_cursor(u8 page)
{
	return rd16(BDA_CURSOR + 2 * (page & 7));
}

/* The teletype on page 0 of the screen. */
static void vga_teletype(char c, u8 attr, int use_attr)
{
	u16 cur = get_cursor(0);
	u8 row = cur >> 8, col = cur;

	switch (c) {
	case '\r': col = 0; break;
	case '\n': row++; break;
	case '\b':
		if (col)
			col--;
		break;
	case '\a': break;
	default:
		if (use_attr)
			wr16(VGA + (row * COLS + col) * 2, (u16)attr << 8 | (u8)c);
		else
			wr8(VGA + (row * COLS + col) * 2, c);
		if (++col >= COLS) {
			col = 0;
			row++;
		}
	}
	if (row >= ROWS) {
		scroll(0, 0, ROWS - 1, COLS - 1, 1, ATTR, 1);
		row = ROWS - 1;
	}
	set_cursor(0, row, col);
	if (c == '\n')
		hw_cursor(row, col);
}

void con_putc(char c)
{
	vga_teletype(c, ATTR, 0);
	serial_putc(c);
}

void con_puts(const char *s)
{
	while (*s) {
		if (*s == '\n')
			con_putc('\r');
		con_putc(*s++);
	}
}

void con_hex(u32 v, int digits)
{
	while (digits--)
		con_putc("0123456789abcdef"[(v >> (4 * digits)) & 15]);
}

void con_dec(u32 v)
{
	char buf[11];
	int i = sizeof(buf);

	buf[--i] = 0;
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	con_puts(buf + i);
}

void con_init(void)
{
	/* COM1: 115200 8N1, FIFOs on, no interrupts (we poll). */
	outb(0x80, COM1 + 3);
	outb(1, COM1);
	outb(0, COM1 + 1);
	outb(0x03, COM1 + 3);
	outb(0xc7, COM1 + 2);
	outb(0x03, COM1 + 4);
	wr8(BDA_VMODE, 3);
	wr16(BDA_COLS, COLS);
	wr16(BDA_PAGESIZE, 4096);
	wr16(BDA_CRTC, CRTC);
	wr8(BDA_ROWS, ROWS - 1);
	wr16(BDA_CHARH, 16);
	wr16(BDA_CSHAPE, 0x0607);
	vga_fill(0, ATTR << 8 | ' ', COLS * ROWS);
	set_cursor(0, 0, 0);
}

static void write_string(struct bregs *r)
{
	u8 mode = AL(r), attr = BL(r);
	u16 n = r->ecx;
	u32 p = (u32)r->es * 16 + (u16)r->ebp;
	u16 saved = get_cursor(0);

	set_cursor(0, DH(r), DL(r));
	while (n--) {
		char c = rd8(p++);

		if (mode & 2)
			attr = rd8(p++);
		vga_teletype(c, attr, 1);
		serial_putc(c);
	}
	if (!(mode & 1))
		wr16(BDA_CURSOR, saved);
}

static void write_chars(struct bregs *r, int use_attr)
{
	u16 cur = get_cursor(0);
	u16 off = ((cur >> 8) * COLS + (u8)cur) * 2;
	u16 n = r->ecx;

	while (n-- && off < COLS * ROWS * 2) {
		if (use_attr)
			wr16(VGA + off, (u16)BL(r) << 8 | AL(r));
		else
			wr8(VGA + off, AL(r));
		off += 2;
	}
}

void int10(struct bregs *r)
{
	u16 cur;

	switch (AH(r)) {
	case 0x00: /* set mode: text mode 3 whatever was asked */
		wr8(BDA_VMODE, AL(r) & 0x7f);
		if (!(AL(r) & 0x80))
			vga_fill(0, ATTR << 8 | ' ', COLS * ROWS);
		set_cursor(0, 0, 0);
		SET_AL(r, 0x30);
		break;
	case 0x01: wr16(BDA_CSHAPE, r->ecx); break;
	case 0x02:
		set_cursor(BH(r), DH(r), DL(r));
		if (!BH(r))
			hw_cursor(DH(r), DL(r));
		break;
	case 0x03:
		cur = get_cursor(BH(r));
		SET_DX(r, cur);
		SET_CX(r, rd16(BDA_CSHAPE));
		break;
	case 0x05: wr8(BDA_PAGE, AL(r)); break;
	case 0x06:
	case 0x07: scroll(CH(r), CL(r), DH(r), DL(r), AL(r), BH(r), AH(r) == 0x06); break;
	case 0x08:
		cur = get_cursor(0);
		SET_AX(r, rd16(VGA + ((cur >> 8) * COLS + (u8)cur) * 2));
		break;
	case 0x09: write_chars(r, 1); break;
	case 0x0a: write_chars(r, 0); break;
	case 0x0e:
		vga_teletype(AL(r), ATTR, 0);
		serial_putc(AL(r));
		break;
	case 0x0f:
		SET_AL(r, rd8(BDA_VMODE));
		SET_AH(r, COLS);
		SET_BH(r, rd8(BDA_PAGE));
		break;
	case 0x11:
		if (AL(r) == 0x30) {
			SET_CX(r, 16);
			SET_DL(r, ROWS - 1);
		}
		break;
	case 0x12:
		if (BL(r) == 0x10) {
			SET_BX(r, 0x0003); /* colour, 256 KiB */
			SET_CX(r, 0);
		}
		break;
	case 0x13: write_string(r); break;
	case 0x1a:
		if (AL(r) == 0) {
			SET_AL(r, 0x1a);
			SET_BX(r, 0x0008); /* VGA, colour display */
		}
		break;
	case 0x4f: SET_AX(r, 0x014f); break; /* no VBE */
	default: break;
	}
}

int memcmp(const void *a, const void *b, unsigned long n)
{
	const u8 *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}
