// SPDX-License-Identifier: GPL-2.0
/*
 * Start every CPU the MADT lists; each reports its APIC ID. The BSP then
 * prints how many CPUs ran (itself included) and exits 1.
 */
#include "kit.h"

static void ap_main(int cpu)
{
	kit_printf("KIT: cpu %u up\n", kit_lapic_id());
}

void kit_main(void)
{
	int expected = kit_cpu_count();
	int aps;

	kit_printf("KIT: cpu %u up\n", kit_lapic_id());
	aps = kit_start_aps(ap_main);
	kit_printf("KIT: cpus=%d\n", aps + 1);
	if (aps + 1 != expected)
		kit_fail("the MADT lists %d CPUs", expected);
	kit_exit(1);
}
