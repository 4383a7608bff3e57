// SPDX-License-Identifier: GPL-2.0
/* Spin forever at ring 3, without exits: only a timeout ends it. */
#include "kit.h"

void kit_main(void)
{
	kit_printf("KIT: spinning\n");
	for (;;)
		cpu_relax();
}
