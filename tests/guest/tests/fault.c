// SPDX-License-Identifier: GPL-2.0
/*
 * An unexpected exception: a write above the kit's 4 GiB map page-faults,
 * the kit reports "KIT: exception 14 err 0x6 ..." and exits with 0x7e.
 */
#include "kit.h"

void kit_main(void)
{
	kit_printf("KIT: writing above 4 GiB\n");
	mmio_write32(0x100000000ULL, 1);
	kit_fail("no page fault");
}
