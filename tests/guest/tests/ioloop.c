// SPDX-License-Identifier: GPL-2.0
/*
 * Exit-cost benchmark: loops=N (default 10000) reads of port=0xNN
 * (default 0x80) with inb at ring 3; prints the TSC cycles and the time
 * per read, exits 1.
 */
#include "kit.h"

void kit_main(void)
{
	uint16_t port = kit_cmdline_long("port", 0x80);
	long loops = kit_cmdline_long("loops", 10000);
	uint64_t khz = kit_tsc_khz();
	uint64_t t0, cycles;
	long i;

	if (loops <= 0)
		kit_fail("bad loops=%ld", loops);
	t0 = rdtsc();
	for (i = 0; i < loops; i++)
		(void)inb(port);
	cycles = rdtsc() - t0;
	kit_printf("KIT: ioloop port=0x%x loops=%ld cycles=%lu cycles/loop=%lu ns/loop=%lu "
		   "tsc_khz=%lu\n",
		   port, loops, cycles, cycles / loops, cycles * 1000000 / khz / loops, khz);
	kit_exit(1);
}
