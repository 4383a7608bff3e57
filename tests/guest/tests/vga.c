// SPDX-License-Identifier: GPL-2.0
/*
 * The standard VGA (PCI 1234:1111), the PS/2 keyboard and mouse and the
 * ACPI power button, as a driver sees them. The command line picks a part:
 *
 *   part=text  80x25 text at 0xb8000: every character of the font, the 16
 *              colours on each other, and the cursor at row 22, column 10
 *   part=vbe    a Bochs VBE mode, 640x480x32 through ports 0x1ce/0x1cf,
 *              filled with the pattern vga_pixel() below (the test computes
 *              it again on its own)
 *   part=input  keyboard and mouse on IRQ 1 and 12: every byte printed as
 *              "KIT: kbd XX", mouse packets as "KIT: mouse b=B dx=X dy=Y dz=Z"
 *
 * Then "KIT: ready", and the guest waits for the power button (PWRBTN_EN
 * set, PWRBTN_STS polled) and powers off: under vmm, closing the window;
 * under QEMU, system_powerdown. The test takes its screenshots meanwhile.
 */
#include "kit.h"
#include "virtio.h"

#define VGA_VENDOR 0x1234
#define VGA_DEVICE 0x1111

#define DISPI_INDEX   0x1ce
#define DISPI_DATA    0x1cf
#define DISPI_ID      0
#define DISPI_XRES    1
#define DISPI_YRES    2
#define DISPI_BPP     3
#define DISPI_ENABLE  4
#define DISPI_VIRT_W  6
#define DISPI_MEM64K  0xa
#define DISPI_ENABLED 0x01
#define DISPI_LFB     0x40
#define MODE_W	      640
#define MODE_H	      480

#define FADT_SCI_INT	 46
#define FADT_SMI_CMD	 48
#define FADT_ACPI_ENABLE 52
#define FADT_PM1A_EVT	 56
#define FADT_PM1_EVT_LEN 88
#define PM1_PWRBTN	 (1u << 8)

static uint8_t vga_devfn;

static void find_vga(void)
{
	for (int devfn = 0; devfn < 256; devfn += 8) {
		uint32_t id = kv_pci_read32(devfn, 0);

		if (id == (VGA_DEVICE << 16 | VGA_VENDOR)) {
			vga_devfn = devfn;
			kit_printf("KIT: vga %02x.%x class %06x\n", devfn >> 3, devfn & 7,
				   kv_pci_read32(devfn, 8) >> 8);
			return;
		}
	}
	kit_fail("no 1234:1111 PCI function");
}

static uint16_t dispi_read(uint16_t index)
{
	outw(index, DISPI_INDEX);
	return inw(DISPI_DATA);
}

static void dispi_write(uint16_t index, uint16_t v)
{
	outw(index, DISPI_INDEX);
	outw(v, DISPI_DATA);
}

/* The attribute controller's "palette address source" bit: display on. */
static void screen_on(void)
{
	inb(0x3da); /* the flip-flop to "index" */
	outb(0x20, 0x3c0);
}

/* The pattern: a red/green ramp with a blue 32-pixel checkerboard. */
static uint32_t vga_pixel(unsigned int x, unsigned int y)
{
	uint32_t r = x * 255 / (MODE_W - 1), g = y * 255 / (MODE_H - 1);
	uint32_t b = ((x / 32) ^ (y / 32)) & 1 ? 0xff : 0x40;

	return r << 16 | g << 8 | b;
}

static void draw_vbe(void)
{
	uint32_t bar0, bar2, cmd;
	volatile uint32_t *fb;

	/* Firmware that leaves BARs alone (qboot): place them as vmm would. */
	if (!(kv_pci_read32(vga_devfn, 0x10) & ~0xfu)) {
		uint32_t base = kit_cmdline_long("kit_pci_mem", 0xc0000000);

		kv_pci_write32(vga_devfn, 0x10, base);
		kv_pci_write32(vga_devfn, 0x18, base + (16 << 20));
	}
	bar0 = kv_pci_read32(vga_devfn, 0x10) & ~0xfu;
	bar2 = kv_pci_read32(vga_devfn, 0x18) & ~0xfu;
	cmd = kv_pci_read32(vga_devfn, 4);
	kv_pci_write32(vga_devfn, 4, (cmd & 0xffff) | 0x2 /* memory space */);
	kit_printf("KIT: dispi id %04x mem64k %u\n", dispi_read(DISPI_ID),
		   dispi_read(DISPI_MEM64K));
	if (!bar0 || (dispi_read(DISPI_ID) & 0xfff0) != 0xb0c0)
		kit_fail("no framebuffer or no DISPI");
	/* BAR 2 has the same registers at 0x500 (16-bit each). */
	if (bar2)
		kit_printf("KIT: mmio dispi id %04x\n", mmio_read16(bar2 + 0x500));
	dispi_write(DISPI_ENABLE, 0);
	dispi_write(DISPI_XRES, MODE_W);
	dispi_write(DISPI_YRES, MODE_H);
	dispi_write(DISPI_BPP, 32);
	dispi_write(DISPI_ENABLE, DISPI_ENABLED | DISPI_LFB);
	screen_on();
	kit_printf("KIT: mode %ux%ux%u virt_width %u\n", dispi_read(DISPI_XRES),
		   dispi_read(DISPI_YRES), dispi_read(DISPI_BPP), dispi_read(DISPI_VIRT_W));
	fb = kit_phys(bar0);
	for (unsigned int y = 0; y < MODE_H; y++)
		for (unsigned int x = 0; x < MODE_W; x++)
			fb[y * MODE_W + x] = vga_pixel(x, y);
}

static void put(int row, int col, const char *s, uint8_t attr)
{
	volatile uint16_t *cells = kit_phys(0xb8000);

	for (; *s; s++, col++)
		cells[row * 80 + col] = attr << 8 | (uint8_t)*s;
}

static void crtc(uint8_t index, uint8_t v)
{
	outb(index, 0x3d4);
	outb(v, 0x3d5);
}

static void draw_text(void)
{
	volatile uint16_t *cells = kit_phys(0xb8000);
	char buf[8];

	for (int i = 0; i < 80 * 25; i++)
		cells[i] = 0x0720;
	put(0, 0, " vmm VGA text mode: 80x25, 8x16 font, 16 colours ", 0x1f);
	put(2, 2, "The quick brown fox jumps over the lazy dog. 0123456789 !@#$%^&*()", 0x07);
	/* Every character: 8 rows of 32. */
	for (int c = 0; c < 256; c++)
		cells[(4 + c / 32) * 80 + 2 + c % 32] = 0x0e00 | c;
	/* Each foreground on each of the 8 backgrounds (bit 7 is blink). */
	for (int bg = 0; bg < 8; bg++)
		for (int fg = 0; fg < 16; fg++) {
			kit_snprintf(buf, sizeof(buf), "%X", fg);
			put(13 + bg, 2 + fg * 3, buf, bg << 4 | fg);
		}
	put(22, 2, "cursor>", 0x0f);
	crtc(0x0a, 13); /* cursor scan lines 13-14 */
	crtc(0x0b, 14);
	crtc(0x0c, 0); /* start address 0 */
	crtc(0x0d, 0);
	crtc(0x0e, (22 * 80 + 10) >> 8);
	crtc(0x0f, (22 * 80 + 10) & 0xff);
	screen_on();
}

/* ------------------------------------------------------------------ */
/* Keyboard and mouse                                                  */

#define KBD_DATA   0x60
#define KBD_STATUS 0x64
#define STR_OBF	   0x01
#define STR_IBF	   0x02
#define STR_AUX	   0x20

static volatile uint8_t ring[256], ring_aux[256];
static volatile unsigned int ring_head, ring_tail;
static int mouse_id;

static void kbc_wait_write(void)
{
	for (int i = 0; i < 100000 && (inb(KBD_STATUS) & STR_IBF); i++)
		cpu_relax();
}

static int kbc_read(void)
{
	for (int i = 0; i < 100000; i++)
		if (inb(KBD_STATUS) & STR_OBF)
			return inb(KBD_DATA);
	return -1;
}

static void kbc_cmd(uint8_t cmd)
{
	kbc_wait_write();
	outb(cmd, KBD_STATUS);
}

static void kbc_data(uint8_t v)
{
	kbc_wait_write();
	outb(v, KBD_DATA);
}

static int aux_cmd(uint8_t v)
{
	kbc_cmd(0xd4);
	kbc_data(v);
	return kbc_read();
}

/* Both interrupts drain the controller: each byte says whose it is. */
static void kbc_irq(int vector)
{
	uint8_t st;

	while ((st = inb(KBD_STATUS)) & STR_OBF) {
		uint8_t b = inb(KBD_DATA);

		ring[ring_head % 256] = b;
		ring_aux[ring_head % 256] = !!(st & STR_AUX);
		ring_head++;
	}
}

static void setup_input(void)
{
	kbc_cmd(0xad); /* keyboard off while we set up */
	kbc_cmd(0xa7);
	while (inb(KBD_STATUS) & STR_OBF)
		inb(KBD_DATA);
	kbc_cmd(0x60);
	kbc_data(0x47); /* both interrupts, system flag, translation */
	kbc_cmd(0xa8);
	/* The IntelliMouse knock: rates 200, 100, 80, then the ID says 3. */
	static const uint8_t knock[] = { 200, 100, 80 };

	for (unsigned int i = 0; i < sizeof(knock); i++) {
		aux_cmd(0xf3);
		aux_cmd(knock[i]);
	}
	if (aux_cmd(0xf2) == 0xfa)
		mouse_id = kbc_read();
	kit_printf("KIT: mouse id %d\n", mouse_id);
	if (aux_cmd(0xf4) != 0xfa)
		kit_printf("KIT: FAIL mouse enable not acknowledged\n");
	kbc_cmd(0xae);
	kit_isa_irq(1, kbc_irq);
	kit_isa_irq(12, kbc_irq);
}

static void print_input(void)
{
	static uint8_t pkt[4];
	static unsigned int n;
	unsigned int len = mouse_id == 3 ? 4 : 3;

	while (ring_tail != ring_head) {
		uint8_t b = ring[ring_tail % 256];

		if (!ring_aux[ring_tail % 256]) {
			kit_printf("KIT: kbd %02x\n", b);
		} else {
			if (n == 0 && !(b & 0x08)) { /* out of sync: wait for a first byte */
				ring_tail++;
				continue;
			}
			pkt[n++] = b;
			if (n == len) {
				int dx = pkt[1] - (pkt[0] & 0x10 ? 256 : 0);
				int dy = pkt[2] - (pkt[0] & 0x20 ? 256 : 0);
				int dz = len == 4 ? (int8_t)(pkt[3] << 4) >> 4 : 0;

				kit_printf("KIT: mouse b=%d dx=%d dy=%d dz=%d\n", pkt[0] & 7, dx,
					   dy, dz);
				n = 0;
			}
		}
		ring_tail++;
	}
}

/* ------------------------------------------------------------------ */
/* Power button                                                        */

static uint16_t pm1_sts, pm1_en;
static volatile bool sci_seen;

/* The SCI (level): the button's status bit cleared here ends it. */
static void sci_irq(int vector)
{
	if (inw(pm1_sts) & PM1_PWRBTN) {
		outw(PM1_PWRBTN, pm1_sts);
		sci_seen = true;
	}
}

static void setup_power_button(void)
{
	const struct kit_acpi_header *f = kit_acpi_find("FACP");
	const uint8_t *p = (const uint8_t *)f;
	uint32_t smi, evt;

	if (!f)
		kit_fail("no FADT");
	memcpy(&smi, p + FADT_SMI_CMD, 4);
	memcpy(&evt, p + FADT_PM1A_EVT, 4);
	/* Firmware that starts in legacy mode (SeaBIOS) switches on request. */
	if (smi && p[FADT_ACPI_ENABLE])
		outb(p[FADT_ACPI_ENABLE], smi);
	pm1_sts = evt;
	pm1_en = evt + p[FADT_PM1_EVT_LEN] / 2;
	outw(PM1_PWRBTN, pm1_sts); /* stale status */
	kit_isa_irq(p[FADT_SCI_INT] | p[FADT_SCI_INT + 1] << 8, sci_irq);
	outw(inw(pm1_en) | PM1_PWRBTN, pm1_en);
}

/*
 * Until the button: its status bit, polled, and its SCI. Once the bit
 * shows, the SCI has 50 ms to arrive ("KIT: power button sci").
 */
static void wait_power_button(bool input)
{
	kit_printf("KIT: ready\n");
	for (;;) {
		kit_irq_poll();
		if (input)
			print_input();
		if (sci_seen || (inw(pm1_sts) & PM1_PWRBTN))
			break;
		kit_udelay(2000);
	}
	for (int i = 0; i < 25 && !sci_seen; i++) {
		kit_udelay(2000);
		kit_irq_poll();
	}
	outw(PM1_PWRBTN, pm1_sts);
	kit_printf("KIT: power button%s\n", sci_seen ? " sci" : "");
	kit_poweroff();
}

void kit_main(void)
{
	char mode[16] = "text";

	kit_cmdline_get("part", mode, sizeof(mode));
	setup_power_button();
	if (!strcmp(mode, "input")) {
		setup_input();
		wait_power_button(true);
	}
	find_vga();
	if (!strcmp(mode, "vbe"))
		draw_vbe();
	else
		draw_text();
	wait_power_button(false);
}
