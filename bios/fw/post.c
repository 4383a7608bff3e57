// SPDX-License-Identifier: GPL-2.0
/*
 * POST: the interrupt vectors, the BIOS data area, the 8259s' vector
 * bases (the in-kernel PIC/PIT/LAPIC are KVM's: we only program them as a
 * PC BIOS does), COM1, the disks; then INT 19h boots in the order vmm
 * asked for (handoff block), disks first by default.
 */
#include "fw.h"

#define FW_SEG	 (FW_BASE >> 4)
#define EBDA_SEG 0x9fc0

extern char int08_entry[], irq_master_entry[], irq_slave_entry[], iret_entry[];
extern char int10_entry[], int11_entry[], int12_entry[], int13_entry[];
extern char int15_entry[], int16_entry[], int18_entry[], int19_entry[], int1a_entry[];

u16 boot_vec[2];
u8 boot_dl;

static void set_vec(u8 n, const char *handler)
{
	wr32((u32)n * 4, (u32)FW_SEG << 16 | (u16)(u32)handler);
}

static void pic_init(void)
{
	outb(0x11, 0x20); /* ICW1: edge, cascade, ICW4 */
	outb(0x11, 0xa0);
	outb(0x08, 0x21); /* ICW2: IRQ0-7 -> INT 08h-0Fh */
	outb(0x70, 0xa1); /* IRQ8-15 -> INT 70h-77h */
	outb(0x04, 0x21); /* ICW3: slave on IRQ2 */
	outb(0x02, 0xa1);
	outb(0x01, 0x21); /* ICW4: 8086 mode */
	outb(0x01, 0xa1);
	outb(0xfa, 0x21); /* only the timer (and the cascade) */
	outb(0xff, 0xa1);
}

static void pit_init(void)
{
	outb(0x34, 0x43); /* channel 0, mode 2, 65536: 18.2 Hz */
	outb(0, 0x40);
	outb(0, 0x40);
}

static int has_apic(void)
{
	u32 a = 1, b, c = 0, d;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return d & (1 << 9);
}

void post(void)
{
	u16 n;

	if (*(u32 *)FW_HANDOFF_OFFSET == FW_HANDOFF_MAGIC)
		handoff = (struct fw_handoff *)FW_HANDOFF_OFFSET;
	for (n = 0; n < 256; n++)
		set_vec(n, iret_entry);
	for (n = 0x09; n < 0x10; n++)
		set_vec(n, irq_master_entry);
	for (n = 0x70; n < 0x78; n++)
		set_vec(n, irq_slave_entry);
	set_vec(0x08, int08_entry);
	set_vec(0x10, int10_entry);
	set_vec(0x11, int11_entry);
	set_vec(0x12, int12_entry);
	set_vec(0x13, int13_entry);
	set_vec(0x15, int15_entry);
	set_vec(0x16, int16_entry);
	set_vec(0x18, int18_entry);
	set_vec(0x19, int19_entry);
	set_vec(0x1a, int1a_entry);

	far_zero(0x400, 0x100);
	wr16(BDA_COM1, 0x3f8);
	wr16(BDA_EQUIP, 0x0222); /* one serial port, 80x25 colour, x87 */
	wr16(BDA_MEMKB, EBDA_SEG >> 6);
	wr16(BDA_EBDA, EBDA_SEG);
	wr16(0x41a, 0x1e); /* an empty keyboard buffer */
	wr16(0x41c, 0x1e);
	wr16(0x480, 0x1e);
	wr16(0x482, 0x3e);
	far_zero((u32)EBDA_SEG << 4, 0x400);
	wr8((u32)EBDA_SEG << 4, 1); /* EBDA size in KiB */

	pic_init();
	pit_init();
	if (has_apic())
		apic_virtual_wire();
	con_init();
	con_puts("vmm BIOS\n");
	disk_init();
}

void boot_failed(const char *why)
{
	con_puts("vmm BIOS: ");
	con_puts(why);
	con_puts("\n");
	if (handoff && (handoff->flags & FW_FLAG_RESET_ON_FAIL)) {
		con_puts("vmm BIOS: resetting (--on-reset exit)\n");
		cpu_reset();
	}
	con_puts("vmm BIOS: halted\n");
	cpu_halt();
}

static const u8 default_order[] = { FW_BOOT_DISK, FW_BOOT_CDROM, FW_BOOT_END };

/* INT 19h: load the first bootable drive's boot image; entry.S jumps to it. */
void boot(void)
{
	const u8 *order = handoff ? handoff->boot_order : default_order;
	u16 seg;
	int i, n;

	for (i = 0; i < 4 && order[i] != FW_BOOT_END; i++) {
		for (n = 0; n < 4; n++) {
			if (order[i] == FW_BOOT_DISK && !boot_disk(n, &boot_dl)) {
				boot_vec[0] = 0x7c00;
				boot_vec[1] = 0;
				return;
			}
			if (order[i] == FW_BOOT_CDROM && !boot_cdrom(n, &boot_dl, &seg)) {
				boot_vec[0] = 0;
				boot_vec[1] = seg;
				return;
			}
		}
	}
	boot_failed("no bootable drive");
}

void int18(struct bregs *r)
{
	boot_failed("boot failed (INT 18h)");
}
