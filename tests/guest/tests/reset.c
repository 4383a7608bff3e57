// SPDX-License-Identifier: GPL-2.0
/* Pulse the reset line through the i8042 (command 0xfe on port 0x64). */
#include "kit.h"

void kit_main(void)
{
	kit_printf("KIT: resetting\n");
	outb(0xfe, 0x64);
	kit_udelay(1000000);
	kit_fail("still running a second after the i8042 reset");
}
