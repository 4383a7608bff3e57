// SPDX-License-Identifier: GPL-2.0
/* The smallest kit test: one line, then debug-exit 1 (status 3). */
#include "kit.h"

void kit_main(void)
{
	kit_printf("KIT: hello from vCPU %d\n", kit_cpu_index());
	kit_exit(1);
}
