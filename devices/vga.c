// SPDX-License-Identifier: GPL-2.0
/*
 * The standard VGA, as QEMU's -vga std and Bochs define it: PCI 1234:1111,
 * class 030000, three parts.
 *
 * - Framebuffer: 16 MiB of host memory, BAR 0, a KVM memory slot with
 *   dirty-page logging wherever the guest puts the BAR (moved by
 *   bar_remap), so drawing costs the guest no exit and an idle screen costs
 *   the host one KVM_GET_DIRTY_LOG a frame. Accesses that do exit (the slot
 *   could not be placed) reach the same memory through the bus.
 * - Bochs VBE "DISPI" registers: index port 0x1ce, data port 0x1cf, and the
 *   same registers in BAR 2 at 0x500 (16-bit each), beside the VGA ports at
 *   0x400 and QEMU's extended registers at 0x600, which Linux's bochs DRM
 *   driver uses. Setting ENABLE shows XRES x YRES at BPP from the
 *   framebuffer, starting at (X_OFFSET, Y_OFFSET) of a VIRT_WIDTH wide
 *   screen.
 * - VGA text mode, shown while DISPI is off: the legacy window
 *   0xa0000-0xbffff is a 128 KiB slot of its own (dirty-logged too; the
 *   RAM behind it is cut out, mmio/mem.c), 80x25 cells at 0xb8000 drawn in
 *   9x16 dots (8 when the sequencer says so) with the cursor and start
 *   address from the CRTC and colours through the attribute palette and
 *   the DAC. Planar graphics modes (13h, 12h) and banked DISPI windows are
 *   not modelled: nothing vmm boots uses them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kvm.h>
#include <linux/pci_regs.h>

#include "cpu/monitor.h"
#include "cpu/vm.h"
#include "devices/device.h"
#include "devices/display/render.h"
#include "devices/pci.h"
#include "devices/vga.h"
#include "mmio/bus.h"
#include "mmio/mem.h"

/* Bochs VBE DISPI interface (Bochs' vbe.h, QEMU's hw/display/vga.h). */
#define VBE_DISPI_IOPORT_INDEX		 0x1ce
#define VBE_DISPI_INDEX_ID		 0x0
#define VBE_DISPI_INDEX_XRES		 0x1
#define VBE_DISPI_INDEX_YRES		 0x2
#define VBE_DISPI_INDEX_BPP		 0x3
#define VBE_DISPI_INDEX_ENABLE		 0x4
#define VBE_DISPI_INDEX_BANK		 0x5
#define VBE_DISPI_INDEX_VIRT_WIDTH	 0x6
#define VBE_DISPI_INDEX_VIRT_HEIGHT	 0x7
#define VBE_DISPI_INDEX_X_OFFSET	 0x8
#define VBE_DISPI_INDEX_Y_OFFSET	 0x9
#define VBE_DISPI_INDEX_VIDEO_MEMORY_64K 0xa
#define VBE_DISPI_INDEX_NB		 0xb
#define VBE_DISPI_ID0			 0xb0c0
#define VBE_DISPI_ID5			 0xb0c5
#define VBE_DISPI_ENABLED		 0x01
#define VBE_DISPI_GETCAPS		 0x02
#define VBE_DISPI_8BIT_DAC		 0x20
#define VBE_DISPI_LFB_ENABLED		 0x40
#define VBE_DISPI_NOCLEARMEM		 0x80
#define VBE_DISPI_MAX_XRES		 16000
#define VBE_DISPI_MAX_YRES		 12000
#define VBE_DISPI_MAX_BPP		 32

/* BAR 2 (QEMU's "stdvga mmio"). */
#define VGA_MMIO_SIZE	  0x1000
#define VGA_MMIO_VGA	  0x400 /* ports 0x3c0-0x3df */
#define VGA_MMIO_DISPI	  0x500
#define VGA_MMIO_QEXT	  0x600
#define VGA_QEXT_SIZE	  8
#define VGA_QEXT_LITTLE	  0x1e1e1e1e
#define VGA_PORT_BASE	  0x3c0
#define VGA_PORT_LEN	  0x20
#define VGA_WINDOW_TEXT	  0x18000 /* 0xb8000 in the window */
#define VGA_PCI_CLASS	  0x030000
#define VGA_PCI_SUBVENDOR 0x1af4
#define VGA_PCI_SUBSYS	  0x1100
#define VGA_PCI_REVISION  2
#define VGA_WINDOW_SIZE	  (MEM_VGA_END - MEM_VGA_START)
#define VGA_PAGE	  4096u

/* VGA register indices (IBM VGA; Linux's video/vga.h names). */
#define VGA_ATT_W	 0x3c0
#define VGA_ATT_R	 0x3c1
#define VGA_MIS_W	 0x3c2
#define VGA_SEQ_I	 0x3c4
#define VGA_SEQ_D	 0x3c5
#define VGA_PEL_MSK	 0x3c6
#define VGA_PEL_IR	 0x3c7
#define VGA_PEL_IW	 0x3c8
#define VGA_PEL_D	 0x3c9
#define VGA_MIS_R	 0x3cc
#define VGA_GFX_I	 0x3ce
#define VGA_GFX_D	 0x3cf
#define VGA_CRT_IC	 0x3d4
#define VGA_CRT_DC	 0x3d5
#define VGA_IS1_RC	 0x3da
#define VGA_ATC_MODE	 0x10
#define VGA_ATC_PAS	 0x20 /* palette address source: display on */
#define VGA_SEQ_CLOCK	 0x01
#define VGA_SR01_8DOT	 0x01
#define VGA_CRTC_CUR_S	 0x0a
#define VGA_CRTC_CUR_E	 0x0b
#define VGA_CRTC_START_H 0x0c
#define VGA_CRTC_START_L 0x0d
#define VGA_CRTC_CUR_H	 0x0e
#define VGA_CRTC_CUR_L	 0x0f
#define VGA_CUR_OFF	 0x20

struct vga {
	pthread_mutex_t lock; /* registers below, slot placement */
	struct vm *vm;
	struct pci_dev pci;
	uint8_t *fb;	 /* VGA_FB_SIZE */
	uint8_t *window; /* VGA_WINDOW_SIZE: 0xa0000-0xbffff */
	int fb_slot, win_slot;
	uint64_t fb_gpa; /* where the fb slot is, 0 = none */
	bool win_mapped;
	struct bus_region *dispi_region, *port_region, *win_region;

	uint16_t dispi_index;
	uint16_t dispi[VBE_DISPI_INDEX_NB];
	uint8_t ar[0x15], ar_index;
	bool ar_flip; /* next 0x3c0 write is data */
	uint8_t sr[8], sr_index;
	uint8_t gr[9], gr_index;
	uint8_t cr[0x19], cr_index;
	uint8_t misc, pel_mask, is1;
	uint8_t dac[256][3]; /* 6 bits each (8 with VBE_DISPI_8BIT_DAC) */
	uint8_t dac_windex, dac_rindex, dac_wsub, dac_rsub, dac_latch[3];

	uint64_t gen;  /* bumped on every change a full redraw must show */
	bool sw_dirty; /* memory written through the bus */
	uint64_t stat_changed, stat_frames;
};

static struct vga vga;

bool vga_present(void)
{
	return vga.vm != NULL;
}

/* ------------------------------------------------------------------ */
/* DISPI                                                               */

static unsigned int dispi_bytes_pp(const struct vga *s)
{
	return (s->dispi[VBE_DISPI_INDEX_BPP] + 7) / 8;
}

/* Keep the registers describing a screen inside the framebuffer, as QEMU does. */
static void dispi_fixup(struct vga *s)
{
	uint16_t *r = s->dispi;
	uint32_t line, maxy;

	switch (r[VBE_DISPI_INDEX_BPP]) {
	case 8:
	case 15:
	case 16:
	case 24:
	case 32: break;
	default: r[VBE_DISPI_INDEX_BPP] = 8; break;
	}
	r[VBE_DISPI_INDEX_XRES] &= ~7u;
	if (!r[VBE_DISPI_INDEX_XRES] || r[VBE_DISPI_INDEX_XRES] > VBE_DISPI_MAX_XRES)
		r[VBE_DISPI_INDEX_XRES] = 640;
	if (!r[VBE_DISPI_INDEX_YRES] || r[VBE_DISPI_INDEX_YRES] > VBE_DISPI_MAX_YRES)
		r[VBE_DISPI_INDEX_YRES] = 480;
	if (r[VBE_DISPI_INDEX_VIRT_WIDTH] < r[VBE_DISPI_INDEX_XRES])
		r[VBE_DISPI_INDEX_VIRT_WIDTH] = r[VBE_DISPI_INDEX_XRES];
	line = r[VBE_DISPI_INDEX_VIRT_WIDTH] * dispi_bytes_pp(s);
	maxy = VGA_FB_SIZE / line;
	if (maxy < r[VBE_DISPI_INDEX_YRES]) {
		/* A virtual width this wide leaves no room: fall back to XRES. */
		r[VBE_DISPI_INDEX_VIRT_WIDTH] = r[VBE_DISPI_INDEX_XRES];
		line = r[VBE_DISPI_INDEX_XRES] * dispi_bytes_pp(s);
		maxy = VGA_FB_SIZE / line;
		if (maxy < r[VBE_DISPI_INDEX_YRES])
			r[VBE_DISPI_INDEX_YRES] = maxy;
	}
	r[VBE_DISPI_INDEX_VIRT_HEIGHT] = maxy > 0xffff ? 0xffff : maxy;
	if (r[VBE_DISPI_INDEX_X_OFFSET] > r[VBE_DISPI_INDEX_VIRT_WIDTH] - r[VBE_DISPI_INDEX_XRES])
		r[VBE_DISPI_INDEX_X_OFFSET] =
			r[VBE_DISPI_INDEX_VIRT_WIDTH] - r[VBE_DISPI_INDEX_XRES];
	if (r[VBE_DISPI_INDEX_Y_OFFSET] > maxy - r[VBE_DISPI_INDEX_YRES])
		r[VBE_DISPI_INDEX_Y_OFFSET] = maxy - r[VBE_DISPI_INDEX_YRES];
}

static uint16_t dispi_read(struct vga *s)
{
	uint16_t i = s->dispi_index;

	if (i >= VBE_DISPI_INDEX_NB)
		return 0;
	if (s->dispi[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_GETCAPS) {
		switch (i) {
		case VBE_DISPI_INDEX_XRES: return VBE_DISPI_MAX_XRES;
		case VBE_DISPI_INDEX_YRES: return VBE_DISPI_MAX_YRES;
		case VBE_DISPI_INDEX_BPP: return VBE_DISPI_MAX_BPP;
		}
	}
	if (i == VBE_DISPI_INDEX_VIDEO_MEMORY_64K)
		return VGA_FB_SIZE >> 16;
	return s->dispi[i];
}

static void dispi_enable(struct vga *s, uint16_t v)
{
	uint16_t *r = s->dispi;
	bool was = r[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED;

	if ((v & VBE_DISPI_ENABLED) && !was) {
		/* A new mode starts at the top left of a screen its own width. */
		r[VBE_DISPI_INDEX_VIRT_WIDTH] = r[VBE_DISPI_INDEX_XRES];
		r[VBE_DISPI_INDEX_X_OFFSET] = r[VBE_DISPI_INDEX_Y_OFFSET] = 0;
		r[VBE_DISPI_INDEX_ENABLE] = v;
		dispi_fixup(s);
		if (!(v & VBE_DISPI_NOCLEARMEM))
			memset(s->fb, 0,
			       (size_t)r[VBE_DISPI_INDEX_YRES] * r[VBE_DISPI_INDEX_XRES] *
				       dispi_bytes_pp(s));
	}
	r[VBE_DISPI_INDEX_ENABLE] = v;
}

/* Bochs: the geometry may change only while the mode is off; QEMU allows more. */
static void dispi_write(struct vga *s, uint16_t v)
{
	uint16_t i = s->dispi_index, *r = s->dispi;
	bool on = r[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED;

	switch (i) {
	case VBE_DISPI_INDEX_ID:
		if (v >= VBE_DISPI_ID0 && v <= VBE_DISPI_ID5)
			r[i] = v;
		return;
	case VBE_DISPI_INDEX_XRES:
	case VBE_DISPI_INDEX_YRES:
	case VBE_DISPI_INDEX_BPP:
		if (!on)
			r[i] = v;
		return;
	case VBE_DISPI_INDEX_ENABLE: dispi_enable(s, v); break;
	case VBE_DISPI_INDEX_BANK: r[i] = v; return;
	case VBE_DISPI_INDEX_VIRT_WIDTH:
	case VBE_DISPI_INDEX_X_OFFSET:
	case VBE_DISPI_INDEX_Y_OFFSET: r[i] = v; break;
	default: return; /* VIRT_HEIGHT and the memory size are computed */
	}
	if (r[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED)
		dispi_fixup(s);
	s->gen++;
}

/* ------------------------------------------------------------------ */
/* VGA ports                                                           */

static uint8_t vga_port_read(struct vga *s, unsigned int port)
{
	uint8_t v;

	switch (port) {
	case VGA_ATT_W: return s->ar_index;
	case VGA_ATT_R: return (s->ar_index & 0x1f) < sizeof(s->ar) ? s->ar[s->ar_index & 0x1f] : 0;
	case VGA_MIS_R: return s->misc;
	case VGA_SEQ_I: return s->sr_index;
	case VGA_SEQ_D: return s->sr[s->sr_index & 7];
	case VGA_PEL_MSK: return s->pel_mask;
	case VGA_PEL_IR: return 3; /* DAC state: read mode */
	case VGA_PEL_IW: return s->dac_windex;
	case VGA_PEL_D:
		v = s->dac[s->dac_rindex][s->dac_rsub];
		if (++s->dac_rsub == 3) {
			s->dac_rsub = 0;
			s->dac_rindex++;
		}
		return v;
	case VGA_GFX_I: return s->gr_index;
	case VGA_GFX_D: return s->gr_index < sizeof(s->gr) ? s->gr[s->gr_index] : 0xff;
	case VGA_CRT_IC: return s->cr_index;
	case VGA_CRT_DC: return s->cr_index < sizeof(s->cr) ? s->cr[s->cr_index] : 0xff;
	case VGA_IS1_RC:
		/* Retrace bits toggle on each read, so polling loops end. */
		s->ar_flip = false;
		s->is1 ^= 0x09;
		return s->is1;
	default: return 0xff;
	}
}

static void ar_write(struct vga *s, uint8_t v)
{
	if (!s->ar_flip) {
		s->ar_index = v & 0x3f;
	} else if ((s->ar_index & 0x1f) < sizeof(s->ar)) {
		s->ar[s->ar_index & 0x1f] = v;
	}
	s->ar_flip = !s->ar_flip;
}

static void dac_write(struct vga *s, uint8_t v)
{
	s->dac_latch[s->dac_wsub++] = v;
	if (s->dac_wsub == 3) {
		memcpy(s->dac[s->dac_windex++], s->dac_latch, 3);
		s->dac_wsub = 0;
	}
}

static void vga_port_write(struct vga *s, unsigned int port, uint8_t v)
{
	switch (port) {
	case VGA_ATT_W: ar_write(s, v); break;
	case VGA_MIS_W: s->misc = v; break;
	case VGA_SEQ_I: s->sr_index = v; break;
	case VGA_SEQ_D: s->sr[s->sr_index & 7] = v; break;
	case VGA_PEL_MSK: s->pel_mask = v; break;
	case VGA_PEL_IR:
		s->dac_rindex = v;
		s->dac_rsub = 0;
		break;
	case VGA_PEL_IW:
		s->dac_windex = v;
		s->dac_wsub = 0;
		break;
	case VGA_PEL_D: dac_write(s, v); break;
	case VGA_GFX_I: s->gr_index = v; break;
	case VGA_GFX_D:
		if (s->gr_index < sizeof(s->gr))
			s->gr[s->gr_index] = v;
		break;
	case VGA_CRT_IC: s->cr_index = v; break;
	case VGA_CRT_DC:
		if (s->cr_index < sizeof(s->cr))
			s->cr[s->cr_index] = v;
		break;
	default: return;
	}
	s->gen++;
}

/* ------------------------------------------------------------------ */
/* Bus callbacks                                                       */

static uint64_t ports_read(void *opaque, uint64_t off, unsigned int len)
{
	struct vga *s = opaque;
	uint64_t v = 0;

	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; i < len && off + i < VGA_PORT_LEN; i++)
		v |= (uint64_t)vga_port_read(s, VGA_PORT_BASE + off + i) << (8 * i);
	pthread_mutex_unlock(&s->lock);
	return v;
}

static void ports_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct vga *s = opaque;

	/* outw(0x3d4) is index then data: bytes in address order. */
	pthread_mutex_lock(&s->lock);
	for (unsigned int i = 0; i < len && off + i < VGA_PORT_LEN; i++)
		vga_port_write(s, VGA_PORT_BASE + off + i, val >> (8 * i));
	pthread_mutex_unlock(&s->lock);
}

/* 0x1ce index, 0x1cf data (0x1d0 too, as in QEMU). */
static uint64_t dispi_port_read(void *opaque, uint64_t off, unsigned int len)
{
	struct vga *s = opaque;
	uint16_t v;

	pthread_mutex_lock(&s->lock);
	v = off ? dispi_read(s) : s->dispi_index;
	pthread_mutex_unlock(&s->lock);
	return v;
}

static void dispi_port_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct vga *s = opaque;

	pthread_mutex_lock(&s->lock);
	if (off)
		dispi_write(s, val);
	else
		s->dispi_index = val;
	pthread_mutex_unlock(&s->lock);
}

static uint64_t mmio_read(void *opaque, uint64_t off, unsigned int len)
{
	struct vga *s = opaque;
	uint64_t v = 0;

	if (off >= VGA_MMIO_VGA && off < VGA_MMIO_VGA + VGA_PORT_LEN)
		return ports_read(s, off - VGA_MMIO_VGA, len);
	pthread_mutex_lock(&s->lock);
	if (off >= VGA_MMIO_DISPI && off < VGA_MMIO_DISPI + 2 * VBE_DISPI_INDEX_NB) {
		s->dispi_index = (off - VGA_MMIO_DISPI) / 2;
		v = dispi_read(s);
	} else if (off == VGA_MMIO_QEXT) {
		v = VGA_QEXT_SIZE;
	} else if (off == VGA_MMIO_QEXT + 4) {
		v = VGA_QEXT_LITTLE; /* framebuffer byte order: little endian */
	}
	/* 0x000-0x3ff would be the EDID blob: none (reads 0, no header). */
	pthread_mutex_unlock(&s->lock);
	return v;
}

static void mmio_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct vga *s = opaque;

	if (off >= VGA_MMIO_VGA && off < VGA_MMIO_VGA + VGA_PORT_LEN) {
		ports_write(s, off - VGA_MMIO_VGA, val, len);
		return;
	}
	pthread_mutex_lock(&s->lock);
	if (off >= VGA_MMIO_DISPI && off < VGA_MMIO_DISPI + 2 * VBE_DISPI_INDEX_NB) {
		s->dispi_index = (off - VGA_MMIO_DISPI) / 2;
		dispi_write(s, val);
	}
	/* The byte-order register stays little endian: there is no other here. */
	pthread_mutex_unlock(&s->lock);
}

/* Memory reached through exits (no slot in place): same bytes, redraw all. */
static uint64_t mem_access_read(uint8_t *base, uint64_t size, uint64_t off, unsigned int len)
{
	uint64_t v = 0;

	if (off < size && len <= size - off)
		memcpy(&v, base + off, len);
	return v;
}

static void mem_access_write(struct vga *s, uint8_t *base, uint64_t size, uint64_t off,
			     uint64_t val, unsigned int len)
{
	if (off < size && len <= size - off) {
		memcpy(base + off, &val, len);
		__atomic_store_n(&s->sw_dirty, true, __ATOMIC_RELAXED);
	}
}

static uint64_t fb_read(void *opaque, uint64_t off, unsigned int len)
{
	return mem_access_read(vga.fb, VGA_FB_SIZE, off, len);
}

static void fb_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	mem_access_write(&vga, vga.fb, VGA_FB_SIZE, off, val, len);
}

static uint64_t win_read(void *opaque, uint64_t off, unsigned int len)
{
	return mem_access_read(vga.window, VGA_WINDOW_SIZE, off, len);
}

static void win_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	mem_access_write(&vga, vga.window, VGA_WINDOW_SIZE, off, val, len);
}

static const struct bus_ops ports_ops = { .read = ports_read, .write = ports_write };
static const struct bus_ops dispi_ops = { .read = dispi_port_read, .write = dispi_port_write };
static const struct bus_ops mmio_ops = { .read = mmio_read, .write = mmio_write };
static const struct bus_ops fb_ops = { .read = fb_read, .write = fb_write };
static const struct bus_ops win_ops = { .read = win_read, .write = win_write };

/* ------------------------------------------------------------------ */
/* Memory slots                                                        */

/* BAR 0 moved (or decoding toggled): the slot follows (dev->lock held). */
static void vga_bar_remap(struct pci_dev *dev, int bar, uint64_t addr)
{
	struct vga *s = dev->priv;

	if (bar != 0)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->fb_gpa) {
		mem_slot_set(s->vm->vm_fd, s->fb_slot, s->fb_gpa, 0, s->fb, 0);
		s->fb_gpa = 0;
	}
	/*
	 * A guest may put the BAR over RAM or another slot: KVM refuses, and
	 * the bus region (which pci.c placed) serves the accesses instead.
	 */
	if (addr && !mem_slot_set(s->vm->vm_fd, s->fb_slot, addr, VGA_FB_SIZE, s->fb,
				  KVM_MEM_LOG_DIRTY_PAGES))
		s->fb_gpa = addr;
	s->gen++; /* the new slot's log starts empty */
	pthread_mutex_unlock(&s->lock);
}

/*
 * Collect the dirty bitmap of @slot (@pages pages) into @bits; false when
 * the slot is not there or the log cannot be read (redraw everything).
 */
static bool dirty_log(struct vga *s, int slot, uint64_t *bits, unsigned int pages)
{
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bits };

	memset(bits, 0, (pages + 63) / 64 * 8);
	return ioctl(s->vm->vm_fd, KVM_GET_DIRTY_LOG, &log) == 0;
}

static bool bit_range(const uint64_t *bits, uint64_t first, uint64_t last)
{
	for (uint64_t p = first; p <= last; p++)
		if (bits[p / 64] & (1ULL << (p % 64)))
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                           */

/*
 * 6-bit DAC values to 8 bits, the low bit repeated into the two new ones,
 * as QEMU does (0x2a -> 0xa8, 0x15 -> 0x57, 0x3f -> 0xff): the same guest
 * gives the same pixels under both.
 */
static uint32_t dac6_to_8(uint8_t v)
{
	v &= 0x3f;
	return v << 2 | (v & 1) << 1 | (v & 1);
}

static uint32_t dac_color(const struct vga *s, uint8_t idx)
{
	const uint8_t *c = s->dac[idx & s->pel_mask];

	if (s->dispi[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC)
		return c[0] << 16 | c[1] << 8 | c[2];
	return dac6_to_8(c[0]) << 16 | dac6_to_8(c[1]) << 8 | dac6_to_8(c[2]);
}

static bool frame_size(struct vga_frame *f, unsigned int w, unsigned int h)
{
	if ((size_t)w * h > f->cap) {
		uint32_t *p = realloc(f->pixels, (size_t)w * h * sizeof(*p));

		if (!p)
			return false;
		f->pixels = p;
		f->cap = (size_t)w * h;
	}
	f->width = w;
	f->height = h;
	return true;
}

struct snapshot {
	bool graphics, blank;
	unsigned int w, h, bpp, pitch;
	uint64_t start; /* byte offset of the top left pixel in the fb */
	uint32_t palette[256];
	struct text_state text;
	uint8_t cells[TEXT_COLS * TEXT_ROWS * 2];
	uint32_t text_palette[16];
	uint64_t gen;
	uint64_t text_off; /* window offset of the first cell */
};

/* Copy what rendering needs (lock held): the guest may change it meanwhile. */
static void take_snapshot(struct vga *s, struct snapshot *sn)
{
	const uint16_t *r = s->dispi;

	sn->gen = s->gen;
	sn->blank = !(s->ar_index & VGA_ATC_PAS);
	sn->graphics = r[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED;
	if (sn->graphics) {
		sn->w = r[VBE_DISPI_INDEX_XRES];
		sn->h = r[VBE_DISPI_INDEX_YRES];
		sn->bpp = r[VBE_DISPI_INDEX_BPP];
		sn->pitch = r[VBE_DISPI_INDEX_VIRT_WIDTH] * dispi_bytes_pp(s);
		sn->start = (uint64_t)r[VBE_DISPI_INDEX_Y_OFFSET] * sn->pitch +
			    (uint64_t)r[VBE_DISPI_INDEX_X_OFFSET] * dispi_bytes_pp(s);
		for (int i = 0; i < 256; i++)
			sn->palette[i] = dac_color(s, i);
		return;
	}
	unsigned int start = (s->cr[VGA_CRTC_START_H] << 8 | s->cr[VGA_CRTC_START_L]) & 0x3fff;
	unsigned int cursor = (s->cr[VGA_CRTC_CUR_H] << 8 | s->cr[VGA_CRTC_CUR_L]) & 0x3fff;

	sn->text_off = VGA_WINDOW_TEXT + 2 * start;
	if (sn->text_off + sizeof(sn->cells) > VGA_WINDOW_SIZE)
		sn->text_off = VGA_WINDOW_TEXT; /* keep inside the window */
	for (int i = 0; i < 16; i++)
		sn->text_palette[i] = dac_color(s, s->ar[i] & 0x3f);
	sn->text = (struct text_state){
		.cells = sn->cells,
		.palette = sn->text_palette,
		.cell_w = s->sr[VGA_SEQ_CLOCK] & VGA_SR01_8DOT ? 8 : 9,
		.blink_attr = s->ar[VGA_ATC_MODE] & 0x08,
		.line_graphics = s->ar[VGA_ATC_MODE] & 0x04,
		.cursor = cursor >= start && cursor - start < TEXT_COLS * TEXT_ROWS &&
					  !(s->cr[VGA_CRTC_CUR_S] & VGA_CUR_OFF)
				  ? (int)(cursor - start)
				  : -1,
		.cursor_start = s->cr[VGA_CRTC_CUR_S] & 0x1f,
		.cursor_end = s->cr[VGA_CRTC_CUR_E] & 0x1f,
	};
	sn->w = TEXT_COLS * sn->text.cell_w;
	sn->h = TEXT_ROWS * TEXT_CELL_H;
}

static void render_graphics(struct vga *s, const struct snapshot *sn, struct vga_frame *f,
			    const uint64_t *dirty, unsigned int *y0, unsigned int *y1)
{
	unsigned int bytes = sn->w * ((sn->bpp + 7) / 8);

	for (unsigned int y = 0; y < sn->h; y++) {
		uint64_t off = sn->start + (uint64_t)y * sn->pitch;

		if (off + bytes > VGA_FB_SIZE) /* dispi_fixup keeps it inside; be sure */
			break;
		if (dirty && !bit_range(dirty, off / VGA_PAGE, (off + bytes - 1) / VGA_PAGE))
			continue;
		render_row(s->fb + off, sn->bpp, sn->w, sn->palette, f->pixels + (size_t)y * sn->w);
		if (*y0 > y)
			*y0 = y;
		*y1 = y + 1;
	}
}

/* The text pages of the window: 0xb8000-0xbffff. */
static bool text_dirty(const uint64_t *win_bits)
{
	return bit_range(win_bits, VGA_WINDOW_TEXT / VGA_PAGE, (VGA_WINDOW_SIZE - 1) / VGA_PAGE);
}

int vga_render(struct vga_frame *f, bool incremental, bool cursor_on, unsigned int *y0,
	       unsigned int *y1)
{
	struct vga *s = &vga;
	static uint64_t fb_bits[VGA_FB_SIZE / VGA_PAGE / 64];
	uint64_t win_bits[VGA_WINDOW_SIZE / VGA_PAGE / 64 + 1];
	struct snapshot *sn;
	bool full, fb_ok = false, win_ok = false;

	*y0 = *y1 = 0;
	if (!s->vm)
		return -ENODEV;
	sn = malloc(sizeof(*sn));
	if (!sn)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	take_snapshot(s, sn);
	/*
	 * The logs are read even when a full redraw follows: they restart now.
	 * Without a slot, only bus writes change the memory, and they set
	 * sw_dirty.
	 */
	if (incremental) {
		memset(fb_bits, 0, sizeof(fb_bits));
		memset(win_bits, 0, sizeof(win_bits));
		fb_ok = !s->fb_gpa || dirty_log(s, s->fb_slot, fb_bits, VGA_FB_SIZE / VGA_PAGE);
		win_ok = !s->win_mapped ||
			 dirty_log(s, s->win_slot, win_bits, VGA_WINDOW_SIZE / VGA_PAGE);
	}
	/* Taken only by the one incremental caller, and always: not short-circuited. */
	full = incremental && __atomic_exchange_n(&s->sw_dirty, false, __ATOMIC_RELAXED);
	full |= !incremental || f->gen != sn->gen || !f->pixels || f->width != sn->w ||
		f->height != sn->h;
	if (!sn->graphics)
		memcpy(sn->cells, s->window + sn->text_off, sizeof(sn->cells));
	pthread_mutex_unlock(&s->lock);

	if (!frame_size(f, sn->w, sn->h)) {
		free(sn);
		return -ENOMEM;
	}
	f->gen = sn->gen;
	if (sn->blank) {
		if (full) {
			memset(f->pixels, 0, (size_t)sn->w * sn->h * 4);
			*y1 = sn->h;
		}
	} else if (sn->graphics) {
		*y0 = sn->h;
		render_graphics(s, sn, f, full || !fb_ok ? NULL : fb_bits, y0, y1);
		if (*y0 >= *y1)
			*y0 = *y1 = 0;
	} else if (full || !win_ok || text_dirty(win_bits) ||
		   (cursor_on && sn->text.cursor >= 0) != f->cursor_shown) {
		if (!cursor_on)
			sn->text.cursor = -1;
		render_text(&sn->text, f->pixels, sn->w);
		f->cursor_shown = sn->text.cursor >= 0;
		*y1 = sn->h;
	}
	if (incremental) {
		s->stat_frames++;
		if (*y1 > *y0)
			s->stat_changed++;
	}
	free(sn);
	return 0;
}

void vga_frame_free(struct vga_frame *f)
{
	free(f->pixels);
	memset(f, 0, sizeof(*f));
}

int vga_screendump(const char *path)
{
	struct vga_frame f = { 0 };
	unsigned int y0, y1;
	int ret = vga_render(&f, false, true, &y0, &y1);

	if (!ret)
		ret = bmp_write(path, f.pixels, f.width, f.height);
	vga_frame_free(&f);
	return ret;
}

static int screendump_cmd(struct vm *vm, const char *args, FILE *out)
{
	int ret;

	if (!*args) {
		fprintf(out, "usage: screendump FILE\n");
		return -EINVAL;
	}
	ret = vga_screendump(args);
	if (ret)
		fprintf(out, "screendump %s: %s\n", args, strerror(-ret));
	else
		fprintf(out, "screen saved to %s\n", args);
	return ret;
}

static struct monitor_cmd screendump_monitor = {
	.name = "screendump",
	.help = "screendump FILE  save the screen as a BMP image",
	.run = screendump_cmd,
};
monitor_command(screendump_monitor);

/* ------------------------------------------------------------------ */
/* Device                                                              */

/* As the BIOS leaves mode 3: 80x25, 9-dot cells, the EGA palette. */
static void vga_power_on(struct vga *s)
{
	static const uint8_t ega[16] = { 0,    1,    2,	   3,	 4,    5,    0x14, 7,
					 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f };

	memset(s->dispi, 0, sizeof(s->dispi));
	s->dispi[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
	s->dispi[VBE_DISPI_INDEX_BPP] = 8;
	s->dispi_index = 0;
	memset(s->ar, 0, sizeof(s->ar));
	memcpy(s->ar, ega, sizeof(ega));
	s->ar[VGA_ATC_MODE] = 0x0c; /* blink, line graphics */
	s->ar_index = VGA_ATC_PAS;
	s->ar_flip = false;
	memset(s->sr, 0, sizeof(s->sr));
	memset(s->gr, 0, sizeof(s->gr));
	memset(s->cr, 0, sizeof(s->cr));
	s->cr[VGA_CRTC_CUR_S] = 14;
	s->cr[VGA_CRTC_CUR_E] = 15;
	s->misc = 0x67;
	s->pel_mask = 0xff;
	memset(s->dac, 0, sizeof(s->dac));
	/* DAC entries 0-63: the EGA colours, rgbRGB (primary 2/3, secondary 1/3). */
	for (int i = 0; i < 64; i++) {
		s->dac[i][0] = (i & 4 ? 0x2a : 0) + (i & 0x20 ? 0x15 : 0);
		s->dac[i][1] = (i & 2 ? 0x2a : 0) + (i & 0x10 ? 0x15 : 0);
		s->dac[i][2] = (i & 1 ? 0x2a : 0) + (i & 0x08 ? 0x15 : 0);
	}
	s->dac_windex = s->dac_rindex = s->dac_wsub = s->dac_rsub = 0;
	s->gen++;
}

static void vga_reset(struct vm *vm)
{
	if (!vga.vm)
		return;
	pthread_mutex_lock(&vga.lock);
	vga_power_on(&vga);
	pthread_mutex_unlock(&vga.lock);
	pci_dev_reset(&vga.pci);
}

static void vga_unregister(struct vga *s)
{
	bus_unregister(s->dispi_region);
	bus_unregister(s->port_region);
	bus_unregister(s->win_region);
	s->dispi_region = s->port_region = s->win_region = NULL;
	s->vm = NULL; /* the memory stays until exit: the VM may still map it */
}

/* The screen as it was when the guest stopped: --screenshot-on-exit. */
static void vga_shutdown(struct vm *vm)
{
	const char *shot = vm->cfg->screenshot;
	int ret;

	if (!vga.vm)
		return;
	if (shot && (ret = vga_screendump(shot)))
		fprintf(stderr, "vmm: --screenshot-on-exit %s: %s\n", shot, strerror(-ret));
	vga_unregister(&vga);
}

static void vga_print_stats(struct vm *vm, FILE *f)
{
	if (vga.stat_frames)
		fprintf(f, "vga: %lu frames looked at, %lu with changes\n",
			(unsigned long)vga.stat_frames, (unsigned long)vga.stat_changed);
}

static int vga_map_window(struct vga *s)
{
	s->win_region =
		bus_register(BUS_MMIO, MEM_VGA_START, VGA_WINDOW_SIZE, &win_ops, s, "vga window");
	if (!s->win_region)
		return -EBUSY;
	s->win_mapped = !mem_slot_set(s->vm->vm_fd, s->win_slot, MEM_VGA_START, VGA_WINDOW_SIZE,
				      s->window, KVM_MEM_LOG_DIRTY_PAGES);
	return 0;
}

static int vga_init(struct vm *vm)
{
	struct vga *s = &vga;
	int ret;

	if (vm->cfg->no_vga) /* --vga none: the window stays unclaimed, as on a PC without VGA */
		return 0;
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->vm = vm;
	s->fb = mmap(NULL, VGA_FB_SIZE + VGA_WINDOW_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (s->fb == MAP_FAILED) {
		s->vm = NULL;
		return -errno;
	}
	s->window = s->fb + VGA_FB_SIZE;
	s->fb_slot = mem_slot_alloc();
	s->win_slot = mem_slot_alloc();
	vga_power_on(s);

	pci_dev_init(&s->pci, "vga", VGA_PCI_VENDOR, VGA_PCI_DEVICE, VGA_PCI_SUBVENDOR,
		     VGA_PCI_SUBSYS, VGA_PCI_CLASS, VGA_PCI_REVISION, 0);
	s->pci.priv = s;
	s->pci.bar_remap = vga_bar_remap;
	ret = pci_add_bar(&s->pci, 0, PCI_BAR_MEM32, VGA_FB_SIZE, &fb_ops, s);
	if (!ret)
		ret = pci_add_bar(&s->pci, 2, PCI_BAR_MEM32, VGA_MMIO_SIZE, &mmio_ops, s);
	if (ret)
		goto fail;
	s->dispi_region = bus_register(BUS_PIO, VBE_DISPI_IOPORT_INDEX, 3, &dispi_ops, s, "vbe");
	s->port_region = bus_register(BUS_PIO, VGA_PORT_BASE, VGA_PORT_LEN, &ports_ops, s, "vga");
	ret = s->dispi_region && s->port_region ? vga_map_window(s) : -EBUSY;
	if (!ret)
		ret = pci_register(vm, &s->pci);
	if (!ret)
		return 0;
fail:
	vga_unregister(s);
	return ret;
}

struct device vga_device = {
	.name = "vga",
	.level = DEV_LEVEL_DEVICE,
	.init = vga_init,
	.reset = vga_reset,
	.shutdown = vga_shutdown,
	.print_stats = vga_print_stats,
};
device_init(vga_device);
