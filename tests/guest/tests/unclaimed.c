// SPDX-License-Identifier: GPL-2.0
/*
 * Reads from an I/O port and an MMIO address nothing decodes. Real
 * hardware answers all-ones (ISA bus float, PCI master abort); so do vmm
 * and, for ports, QEMU. The port: 0x2a0 is free on QEMU pc and microvm
 * (checked with "info mtree"); override with port=0xNNN. The MMIO address
 * is in the PCI hole: mmio=0xNNNNNNNN.
 */
#include "kit.h"

void kit_main(void)
{
	uint16_t port = kit_cmdline_long("port", 0x2a0);
	uint64_t mmio = kit_cmdline_long("mmio", 0xd0000000);

	kit_printf("KIT: pio8=0x%x pio16=0x%x pio32=0x%x\n", inb(port), inw(port), inl(port));
	kit_printf("KIT: mmio8=0x%x mmio16=0x%x mmio32=0x%x\n", mmio_read8(mmio), mmio_read16(mmio),
		   mmio_read32(mmio));
	kit_exit(1);
}
