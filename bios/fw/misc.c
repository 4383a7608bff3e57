// SPDX-License-Identifier: GPL-2.0
/*
 * INT 15h (memory map from vmm's handoff block, A20, configuration),
 * INT 16h (i8042 polled, plus COM1 input as keys), INT 1Ah (BDA ticks,
 * CMOS clock, PCI BIOS), INT 11h, INT 12h.
 */
#include "fw.h"

#define SMAP 0x534d4150

struct fw_handoff *handoff;

/* Without vmm (QEMU -bios): a map from QEMU's CMOS sizes, for testing. */
static struct fw_e820 cmos_map[5];
static u8 cmos_nr;

static u8 cmos(u8 reg)
{
	outb(reg, 0x70);
	return inb(0x71);
}

static void cmos_e820(void)
{
	u32 ext = (cmos(0x34) | (u32)cmos(0x35) << 8); /* 64 KiB units above 16 MiB */
	u64 high = (cmos(0x5b) | (u32)cmos(0x5c) << 8 | (u32)cmos(0x5d) << 16);

	cmos_map[0] = (struct fw_e820){ 0, 0x9fc00, 1 };
	cmos_map[1] = (struct fw_e820){ 0x9fc00, 0x400, 2 };
	cmos_map[2] = (struct fw_e820){ 0xf0000, 0x10000, 2 };
	cmos_map[3] = (struct fw_e820){ 0x100000, ((u64)ext << 16) + 0xf00000, 1 };
	cmos_nr = 4;
	if (high)
		cmos_map[cmos_nr++] = (struct fw_e820){ 0x100000000ULL, high << 16, 1 };
}

static const struct fw_e820 *map(u8 *n)
{
	if (handoff) {
		*n = handoff->nr_e820 > FW_HANDOFF_E820 ? FW_HANDOFF_E820 : handoff->nr_e820;
		return handoff->e820;
	}
	if (!cmos_nr)
		cmos_e820();
	*n = cmos_nr;
	return cmos_map;
}

/* RAM contiguous from 1 MiB, capped below 4 GiB: for E801h and 88h. */
static u32 ext_kb(void)
{
	u8 n, i;
	const struct fw_e820 *m = map(&n);

	for (i = 0; i < n; i++) {
		u64 end = m[i].addr + m[i].size;

		if (m[i].type == 1 && m[i].addr <= 0x100000 && end > 0x100000) {
			if (end > 0xffffffffULL)
				end = 0xfff00000ULL;
			return (u32)(end - 0x100000) >> 10;
		}
	}
	return 0;
}

static void e820(struct bregs *r)
{
	u8 n;
	const struct fw_e820 *m = map(&n);
	u32 i = r->ebx, dst = (u32)r->es * 16 + (u16)r->edi;

	if (r->edx != SMAP || r->ecx < 20 || i >= n) {
		fail(r, 0x86);
		return;
	}
	far_copy_to(dst, &m[i], 20);
	if (r->ecx >= 24) {
		wr32(dst + 20, 1); /* ACPI 3.0: enabled */
		r->ecx = 24;
	} else {
		r->ecx = 20;
	}
	r->eax = SMAP;
	r->ebx = i + 1 < n ? i + 1 : 0;
	ok(r);
}

/* PIT channel 0's count (mode 2, counting down from 65536 at 1.193182 MHz). */
static u16 pit_count(void)
{
	u8 lo;

	outb(0x00, 0x43); /* latch channel 0 */
	lo = inb(0x40);
	return lo | (u16)inb(0x40) << 8;
}

/*
 * Busy-wait @us microseconds on the PIT, polled far more often than its
 * 55 ms wrap, with interrupts on as a PC BIOS has them here: the timer
 * keeps ticking (its handler is entry.S's, which never re-enters C).
 */
static void udelay(u32 us)
{
	u32 ticks = us / 1000 * 1193 + us % 1000 * 1193 / 1000;
	u16 last = pit_count(), now, d;

	asm volatile("sti");
	while (ticks) {
		now = pit_count();
		d = last - now;
		last = now;
		ticks -= d < ticks ? d : ticks;
	}
	asm volatile("cli");
}

static const u8 config_table[] = {
	8,    0, 0xfc, 0, 0, /* size, model AT, submodel, revision */
	0x74,		     /* second 8259, RTC, INT 15h 4Fh, EBDA */
	0x40, 0, 0,    0,
};

void int15(struct bregs *r)
{
	u32 kb;
	u8 port92;

	switch (AH(r)) {
	case 0x24:
		port92 = inb(0x92);
		switch (AL(r)) {
		case 0x00: outb(port92 & ~3, 0x92); break;
		case 0x01: outb((port92 | 2) & ~1, 0x92); break;
		case 0x02: SET_AL(r, (port92 >> 1) & 1); break;
		case 0x03: SET_BX(r, 3); break;
		default: fail(r, 0x86); return;
		}
		SET_AH(r, 0);
		ok(r);
		return;
	case 0x88:
		kb = ext_kb();
		SET_AX(r, kb > 0xffff ? 0xffff : kb);
		ok(r);
		return;
	case 0x86:
		udelay((u32)(u16)r->ecx << 16 | (u16)r->edx);
		SET_AH(r, 0);
		ok(r);
		return;
	case 0xc0:
		r->es = FW_BASE >> 4;
		SET_BX(r, (u16)(u32)config_table);
		SET_AH(r, 0);
		ok(r);
		return;
	case 0xe8:
		if (AL(r) == 0x20) {
			e820(r);
			return;
		}
		if (AL(r) == 0x01) {
			kb = ext_kb();
			u32 low = kb > 15 * 1024 ? 15 * 1024 : kb;
			u32 hi = kb > 15 * 1024 ? (kb - 15 * 1024) >> 6 : 0;

			SET_AX(r, low);
			SET_CX(r, low);
			SET_BX(r, hi);
			SET_DX(r, hi);
			ok(r);
			return;
		}
		break;
	}
	fail(r, 0x86);
}

/* One key waiting for INT 16h (scan << 8 | ascii); 0 when none. */
static u16 pending;
static u8 e0;

static const char sc_ascii[0x3a] =
	"\0\0331234567890-=\b\tqwertyuiop[]\r\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";

static u16 poll_key(void)
{
	u8 s, c;

	s = inb(0x3fd);
	if (s != 0xff && (s & 1)) {
		c = inb(0x3f8);
		if (c == '\n')
			c = '\r';
		if (c == 0x7f)
			c = '\b';
		return (c == '\r' ? 0x1c : c == '\b' ? 0x0e : c == 0x1b ? 0x01 : 0) << 8 | c;
	}
	s = inb(0x64);
	if (s == 0xff || !(s & 1))
		return 0;
	c = inb(0x60);
	if (s & 0x20)
		return 0; /* the mouse */
	if (c == 0xe0) {
		e0 = 1;
		return 0;
	}
	if (c & 0x80) {
		e0 = 0;
		return 0;
	}
	if (e0 || c >= sizeof(sc_ascii)) {
		e0 = 0;
		return (u16)c << 8; /* arrows, F keys: scan code only */
	}
	return (u16)c << 8 | (u8)sc_ascii[c];
}

void int16(struct bregs *r)
{
	switch (AH(r)) {
	case 0x00:
	case 0x10:
		while (!pending)
			pending = poll_key();
		SET_AX(r, pending);
		pending = 0;
		return;
	case 0x01:
	case 0x11:
		if (!pending)
			pending = poll_key();
		if (pending) {
			SET_AX(r, pending);
			r->flags &= ~F_ZF;
		} else {
			r->flags |= F_ZF;
		}
		return;
	case 0x02:
	case 0x12: SET_AX(r, 0); return;
	case 0x05:
		pending = r->ecx;
		SET_AL(r, 0);
		return;
	default: return;
	}
}

static u32 pci_addr(u16 bdf, u16 reg)
{
	return 0x80000000u | (u32)bdf << 8 | (reg & 0xfc);
}

static u32 pci_read32(u16 bdf, u16 reg)
{
	outl(pci_addr(bdf, reg), 0xcf8);
	return inl(0xcfc);
}

/* The @index-th function matching (@match, @mask) at config @reg, or -1. */
static int pci_find(u16 reg, u32 match, u32 mask, u16 index)
{
	u16 bdf;

	for (bdf = 0; bdf < 256; bdf++) {
		u32 id = pci_read32(bdf, 0);

		if ((u16)id == 0xffff) {
			if (!(bdf & 7))
				bdf += 7; /* no function 0: no device */
			continue;
		}
		if ((pci_read32(bdf, reg) & mask) == match && !index--)
			return bdf;
		if (!(bdf & 7) && !(pci_read32(bdf, 0x0c) & 0x800000))
			bdf += 7; /* single-function device */
	}
	return -1;
}

static void pcibios(struct bregs *r)
{
	u16 bdf = r->ebx, reg = r->edi & 0xff;
	u16 port = 0xcfc + (reg & 3);
	int f;

	switch (AL(r)) {
	case 0x01:
		SET_AX(r, 0x0001); /* configuration mechanism #1 */
		SET_BX(r, 0x0210);
		SET_CL(r, 0);
		r->edx = 0x20494350; /* "PCI " */
		r->edi = 0;
		ok(r);
		return;
	case 0x02:
	case 0x03:
		if (AL(r) == 0x02)
			f = pci_find(0, (u32)(u16)r->ecx << 16 | (u16)r->edx, 0xffffffff, r->esi);
		else
			f = pci_find(8, (r->ecx & 0xffffff) << 8, 0xffffff00, r->esi);
		if (f < 0) {
			fail(r, 0x86);
			return;
		}
		SET_BX(r, f);
		SET_AH(r, 0);
		ok(r);
		return;
	case 0x08:
	case 0x09:
	case 0x0a:
	case 0x0b:
	case 0x0c:
	case 0x0d:
		outl(pci_addr(bdf, reg), 0xcf8);
		switch (AL(r)) {
		case 0x08: SET_CL(r, inb(port)); break;
		case 0x09: SET_CX(r, inw(port)); break;
		case 0x0a: r->ecx = inl(0xcfc); break;
		case 0x0b: outb(r->ecx, port); break;
		case 0x0c: outw(r->ecx, port); break;
		case 0x0d: outl(r->ecx, 0xcfc); break;
		}
		SET_AH(r, 0);
		ok(r);
		return;
	}
	fail(r, 0x81);
}

void int1a(struct bregs *r)
{
	switch (AH(r)) {
	case 0x00:
		r->ecx = (r->ecx & ~0xffffu) | (rd32(BDA_TICKS) >> 16);
		SET_DX(r, rd32(BDA_TICKS));
		SET_AL(r, rd8(BDA_MIDNIGHT));
		wr8(BDA_MIDNIGHT, 0);
		ok(r);
		return;
	case 0x01:
		wr32(BDA_TICKS, (u32)(u16)r->ecx << 16 | (u16)r->edx);
		wr8(BDA_MIDNIGHT, 0);
		ok(r);
		return;
	case 0x02:
		SET_CH(r, cmos(4));
		SET_CL(r, cmos(2));
		SET_DH(r, cmos(0));
		SET_DL(r, 0);
		SET_AH(r, 0);
		ok(r);
		return;
	case 0x04:
		SET_CH(r, cmos(0x32));
		SET_CL(r, cmos(9));
		SET_DH(r, cmos(8));
		SET_DL(r, cmos(7));
		SET_AH(r, 0);
		ok(r);
		return;
	case 0xb1: pcibios(r); return;
	}
	fail(r, 0x86);
}

void int11(struct bregs *r)
{
	SET_AX(r, rd16(BDA_EQUIP));
}

void int12(struct bregs *r)
{
	SET_AX(r, rd16(BDA_MEMKB));
}
