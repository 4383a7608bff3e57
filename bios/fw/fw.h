/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm's BIOS: common definitions. 16-bit real-mode C (gcc -m16): the C
 * code runs with CS = DS = ES = SS = 0xf000 (its image, copied to RAM),
 * so globals and locals are plain pointers; everything else in the first
 * megabyte is reached through the far accessors below, by linear address.
 */
#ifndef VMM_BIOS_FW_FW_H
#define VMM_BIOS_FW_FW_H

#include <stdint.h>

#include "handoff.h"

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

/* The caller's registers, as entry.S saved them (pushal order reversed). */
struct bregs {
	u16 es, ds;
	u32 edi, esi, ebp, esp, ebx, edx, ecx, eax;
	u16 handler, ip, cs, flags;
} __attribute__((packed));

#define F_CF 0x0001
#define F_ZF 0x0040
#define F_IF 0x0200

#define AL(r)	     ((u8)(r)->eax)
#define AH(r)	     ((u8)((r)->eax >> 8))
#define BL(r)	     ((u8)(r)->ebx)
#define BH(r)	     ((u8)((r)->ebx >> 8))
#define CL(r)	     ((u8)(r)->ecx)
#define CH(r)	     ((u8)((r)->ecx >> 8))
#define DL(r)	     ((u8)(r)->edx)
#define DH(r)	     ((u8)((r)->edx >> 8))
#define SET_AL(r, v) ((r)->eax = ((r)->eax & ~0xffu) | (u8)(v))
#define SET_AH(r, v) ((r)->eax = ((r)->eax & ~0xff00u) | ((u32)(u8)(v) << 8))
#define SET_AX(r, v) ((r)->eax = ((r)->eax & ~0xffffu) | (u16)(v))
#define SET_BX(r, v) ((r)->ebx = ((r)->ebx & ~0xffffu) | (u16)(v))
#define SET_BL(r, v) ((r)->ebx = ((r)->ebx & ~0xffu) | (u8)(v))
#define SET_BH(r, v) ((r)->ebx = ((r)->ebx & ~0xff00u) | ((u32)(u8)(v) << 8))
#define SET_CX(r, v) ((r)->ecx = ((r)->ecx & ~0xffffu) | (u16)(v))
#define SET_CL(r, v) ((r)->ecx = ((r)->ecx & ~0xffu) | (u8)(v))
#define SET_CH(r, v) ((r)->ecx = ((r)->ecx & ~0xff00u) | ((u32)(u8)(v) << 8))
#define SET_DX(r, v) ((r)->edx = ((r)->edx & ~0xffffu) | (u16)(v))
#define SET_DL(r, v) ((r)->edx = ((r)->edx & ~0xffu) | (u8)(v))
#define SET_DH(r, v) ((r)->edx = ((r)->edx & ~0xff00u) | ((u32)(u8)(v) << 8))

static inline void ok(struct bregs *r)
{
	r->flags &= ~F_CF;
}

static inline void fail(struct bregs *r, u8 ah)
{
	SET_AH(r, ah);
	r->flags |= F_CF;
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %w1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u16 inw(u16 port)
{
	u16 v;

	asm volatile("inw %w1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline u32 inl(u16 port)
{
	u32 v;

	asm volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(u8 v, u16 port)
{
	asm volatile("outb %0, %w1" : : "a"(v), "Nd"(port));
}

static inline void outw(u16 v, u16 port)
{
	asm volatile("outw %0, %w1" : : "a"(v), "Nd"(port));
}

static inline void outl(u32 v, u16 port)
{
	asm volatile("outl %0, %w1" : : "a"(v), "Nd"(port));
}

/* Far memory by linear address (< 1 MiB), through %fs. */
static inline u16 seg_of(u32 lin)
{
	return lin >> 4;
}

#define FAR_RW(bits, sfx, rc)                                             \
	static inline u##bits rd##bits(u32 lin)                           \
	{                                                                 \
		u##bits v;                                                \
		asm volatile("movw %w1, %%fs\n\tmov" sfx " %%fs:(%2), %0" \
			     : "=" rc(v)                                  \
			     : "r"(seg_of(lin)), "r"(lin & 15)            \
			     : "memory");                                 \
		return v;                                                 \
	}                                                                 \
	static inline void wr##bits(u32 lin, u##bits v)                   \
	{                                                                 \
		asm volatile("movw %w0, %%fs\n\tmov" sfx " %1, %%fs:(%2)" \
			     :                                            \
			     : "r"(seg_of(lin)), rc(v), "r"(lin & 15)     \
			     : "memory");                                 \
	}
FAR_RW(8, "b", "q")
FAR_RW(16, "w", "r")
FAR_RW(32, "l", "r")

/* Copy between our data segment and far memory (one rep movsb each). */
void far_copy_to(u32 lin, const void *src, u16 n);
void far_copy_from(void *dst, u32 lin, u16 n);
void far_zero(u32 lin, u16 n);
void *memset(void *d, int c, unsigned long n);
void *memcpy(void *d, const void *s, unsigned long n);
int memcmp(const void *a, const void *b, unsigned long n);

/* BIOS data area (0x400). */
#define BDA_COM1     0x400
#define BDA_EQUIP    0x410
#define BDA_MEMKB    0x413
#define BDA_VMODE    0x449
#define BDA_COLS     0x44a
#define BDA_PAGESIZE 0x44c
#define BDA_CURSOR   0x450
#define BDA_CSHAPE   0x460
#define BDA_PAGE     0x462
#define BDA_CRTC     0x463
#define BDA_TICKS    0x46c
#define BDA_MIDNIGHT 0x470
#define BDA_NDISKS   0x475
#define BDA_ROWS     0x484
#define BDA_CHARH    0x485
#define BDA_EBDA     0x40e
#define BDA_KBFLAGS  0x417

/* console.c */
void con_init(void);
void con_putc(char c);
void con_puts(const char *s);
void con_hex(u32 v, int digits);
void con_dec(u32 v);
void int10(struct bregs *r);

/* disk.c */
void disk_init(void);
void int13(struct bregs *r);
int boot_disk(int nth, u8 *drive);
int boot_cdrom(int nth, u8 *drive, u16 *seg);

/* misc.c */
extern struct fw_handoff *handoff;
void int15(struct bregs *r);
void int16(struct bregs *r);
void int1a(struct bregs *r);
void int11(struct bregs *r);
void int12(struct bregs *r);
void int_unhandled(struct bregs *r);

/* post.c */
void post(void);
void int18(struct bregs *r);
extern u16 boot_vec[2]; /* offset, segment of the boot image */
extern u8 boot_dl;
void boot(void);
void boot_failed(const char *why);
void cpu_reset(void);
void cpu_halt(void);
void apic_virtual_wire(void);

#endif
