// SPDX-License-Identifier: GPL-2.0
/*
 * Jump to an address with no RAM behind it (the PCI hole): KVM cannot
 * fetch an instruction from MMIO and stops with an internal error
 * (emulation failure). vmm must report a guest crash (status 8) with the
 * register dump, not hang or die.
 */
#include "kit.h"

#define NO_RAM 0xd0000000UL

void kit_main(void)
{
	void (*fn)(void) = (void (*)(void))NO_RAM;

	kit_printf("KIT: executing from MMIO\n");
	fn();
	kit_fail("returned from MMIO");
}
