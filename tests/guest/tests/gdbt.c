// SPDX-License-Identifier: GPL-2.0
/*
 * A target for gdb (tests/integration/t_gdb.sh): a function to break on,
 * globals to read, write and watch, a loop to step through, and a spin
 * that only gdb can end. With "ring0=1" on the command line the work runs
 * at ring 0 (kit_ring0_call), else at ring 3 as kit_main does; "cpus=2"
 * starts the second CPU first, so gdb sees two threads; "spin=1" waits
 * for gdb to set gdbt_release; "int3=1" ends in an int3 of the guest's own,
 * which must reach the guest (the kit reports exception 3) with gdb or without.
 *
 * gdb changes what the program prints: gdbt_value (written by gdb at the
 * breakpoint) and gdbt_release.
 */
#include "kit.h"

volatile long gdbt_value = 1;
volatile long gdbt_watched;
volatile long gdbt_counter;
volatile int gdbt_release;

/* Not static: gdb finds them by name, and gcc keeps them whole. */
long gdbt_target(long x);
long gdbt_work(long x);

__attribute__((noinline)) long gdbt_target(long x)
{
	return x * 2 + gdbt_value;
}

/* Everything gdb looks at, in one function that runs at ring 3 or ring 0. */
__attribute__((noinline)) long gdbt_work(long x)
{
	long r = gdbt_target(x);

	gdbt_watched = 42;
	for (int i = 0; i < 100; i++)
		gdbt_counter += i;
	return r;
}

static void ap_main(int cpu)
{
	kit_printf("KIT: cpu %d up\n", cpu);
}

void kit_main(void)
{
	long r;

	if (kit_cmdline_long("cpus", 1) > 1)
		kit_printf("KIT: cpus=%d\n", kit_start_aps(ap_main) + 1);
	kit_printf("KIT: gdbt start\n");
	if (kit_cmdline_long("ring0", 0))
		r = kit_ring0_call(gdbt_work, 20);
	else
		r = gdbt_work(20);
	kit_printf("KIT: target=%ld value=%ld watched=%ld counter=%ld\n", r, gdbt_value,
		   gdbt_watched, gdbt_counter);
	if (kit_cmdline_long("spin", 0)) {
		kit_printf("KIT: spinning\n");
		while (!gdbt_release)
			cpu_relax();
		kit_printf("KIT: released\n");
	}
	if (kit_cmdline_long("int3", 0))
		asm volatile("int3");
	kit_printf("KIT: gdbt done\n");
}
