// SPDX-License-Identifier: GPL-2.0
/*
 * A malicious guest's port I/O and MMIO against every platform device and
 * the PCI host bridge: the input is a sequence of accesses (port or MMIO
 * target, width, direction, value) dispatched through the real bus, as
 * vCPU exits would be. A PCI function with I/O, 32-bit and 64-bit BARs, a
 * vendor capability and MSI-X sits in slot 1, so config cycles (mechanism
 * #1 and ECAM) size and move its BARs, toggle decoding and program MSI-X;
 * a write to its BAR1 raises an interrupt. ASan/UBSan catch any
 * out-of-bounds access or undefined behaviour in a device model; the
 * devices go back to power-on state before each input. The standard VGA
 * (slot 2, its memory reached through the bus here) gets its DISPI and VGA
 * ports, and each input ends with a full render of whatever screen the
 * registers now describe.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "devices/debug_exit.h"
#include "devices/i8042.h"
#include "devices/pci.h"
#include "devices/port80.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "devices/vga.h"
#include "tests/unit/fake_vm.h"

static struct vm vm;
static struct config cfg;
static struct device *const devs[] = {
	&uart_device,	&i8042_device,	    &rtc_device, &acpi_pm_device,
	&port80_device, &debug_exit_device, &pci_device,
};

static struct pci_dev fn;

static uint64_t fn_read(void *opaque, uint64_t off, unsigned int len)
{
	return (uintptr_t)opaque == 2 ? pci_msix_read(&fn, off, len) : 0;
}

/* BAR1: any write raises vector val % 10 (some out of range) and sets INTx. */
static void fn_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	if ((uintptr_t)opaque == 2) {
		pci_msix_write(&fn, off, val, len);
	} else if ((uintptr_t)opaque == 1) {
		pci_msix_notify(&fn, val % 10);
		pci_intx_set(&fn, val & 1);
	}
}

static const struct bus_ops fn_ops = { .read = fn_read, .write = fn_write };

static int fn_setup(void)
{
	static const uint8_t vcap[16] = { PCI_CAP_ID_VNDR, 0, 16, 1, 2, 3, 4, 5 };
	static const uint8_t vmask[16] = { 0, 0, 0, 0xff, 0xff, 0, 0x0f };

	pci_dev_init(&fn, "fuzz", 0x1af4, 0x1041, 0x1af4, 1, 0x010000, 1, 1);
	if (pci_add_bar(&fn, 0, PCI_BAR_IO, 32, &fn_ops, (void *)0) ||
	    pci_add_bar(&fn, 1, PCI_BAR_MEM32, 4096, &fn_ops, (void *)1) ||
	    pci_add_bar(&fn, 2, PCI_BAR_MEM64, 8192, &fn_ops, (void *)2) ||
	    pci_add_cap(&fn, vcap, sizeof(vcap), vmask) < 0 ||
	    pci_add_msix(&fn, 8, 2, 0, 0x1000) < 0)
		return -1;
	return pci_register(&vm, &fn);
}

/* MMIO targets: ECAM (slots 0 and 1), the function's BAR1 and BAR2. */
static uint64_t mmio_addr(const uint8_t *d)
{
	unsigned int off = (d[0] >> 3) << 8 | d[5];

	switch (d[0] & 3) {
	case 0: return PCI_ECAM_BASE + ((d[0] >> 2 & 1) << 15 | (off & 0xfff));
	case 1: return fn.bar_mapped[1] ? fn.bar_mapped[1] + (off & 0xfff) : 0;
	default: return fn.bar_mapped[2] ? fn.bar_mapped[2] + (off & 0x1fff) : 0;
	}
}

/* Where devices live; a byte with the top bit set picks any port instead. */
static const uint16_t ports[] = {
	0x60,  0x64,  0x70,  0x71,  0x80,  0xf4,   0x3f8,  0x3f9,  0x3fa, 0x3fb, 0x3fc,
	0x3fd, 0x3fe, 0x3ff, 0x2f8, 0x2f9, 0x2fa,  0x2fb,  0x2fc,  0x2fd, 0x3e8, 0x2e8,
	0x600, 0x601, 0x602, 0x603, 0x604, 0x605,  0x608,  0x609,  0x60a, 0x60b, 0xcf8,
	0xcf9, 0xcfc, 0xcfd, 0xcfe, 0xcff, 0xc000, 0xc001, 0xc004, 0xcf8, 0x1ce, 0x1cf,
	0x3c0, 0x3c1, 0x3c4, 0x3c5, 0x3c7, 0x3c8,  0x3c9,  0x3d4,  0x3d5, 0x3da,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fake_vm_init(&vm, &cfg);
	if (mem_init(&vm.mem, 64 << 20))
		return 1;
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (devs[i]->init(&vm))
			return 1;
	return fn_setup() || vga_device.init(&vm) ? 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *data0 = data;
	size_t size0 = size;

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (devs[i]->reset)
			devs[i]->reset(&vm);
	vga_device.reset(&vm);
	fake_clear();
	/*
	 * 6 bytes an access: port, width|direction|MMIO, 4 bytes of value
	 * (MMIO: 3 bytes of value, the last is the low address byte).
	 */
	for (; size >= 6; data += 6, size -= 6) {
		uint16_t port = data[0] & 0x80
					? (uint16_t)(data[0] << 8 | data[1])
					: ports[data[0] % (sizeof(ports) / sizeof(ports[0]))];
		unsigned int len = 1u << (data[1] & 3);
		uint8_t buf[8] = { data[2], data[3], data[4], data[5], data[2], data[3] };

		if (data[1] & 8) {
			uint64_t addr = mmio_addr(data);

			if (addr)
				bus_access(BUS_MMIO, addr, buf, len, data[1] & 4);
			continue;
		}
		/* Mostly aim CF8 at slots 0 and 1 with the enable bit set. */
		if (port == 0xcf8 && len == 4 && data[5] != 0xff) {
			uint32_t v = 0x80000000u | (data[3] & 1) << 11 | (data[2] & 0xfc);

			memcpy(buf, &v, 4);
		}
		bus_access(BUS_PIO, port, buf, len, data[1] & 4);
	}
	/*
	 * The screen the registers describe, drawn from (and only from) VGA
	 * memory: for one input in 16 (a whole screen costs milliseconds).
	 */
	if (size0 >= 6 && (data0[0] & 0xf) == 0xf) {
		struct vga_frame f = { 0 };
		unsigned int y0, y1;

		vga_render(&f, false, true, &y0, &y1);
		vga_frame_free(&f);
	}
	return 0;
}
