// SPDX-License-Identifier: GPL-2.0
/* ACPI S5 power-off: vmm and QEMU exit 0. Anything else is a failure. */
#include "kit.h"

void kit_main(void)
{
	kit_printf("KIT: powering off\n");
	kit_poweroff();
	kit_fail("still running after the power-off");
}
