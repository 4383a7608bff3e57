// SPDX-License-Identifier: GPL-2.0
/*
 * A target for gdb (tests/integration/t_gdb.sh): a function to break on,
 * globals to read, write and watch, a loop to step through, a ring-0
 * function, and a spin that only gdb can end. "cpus=2" on the command line
 * starts the second CPU first, so gdb sees two threads.
 *
 * gdb changes what the program prints: gdbt_value (set by gdb at the
 * breakpoint) and gdbt_release (ends the spin).
 */
#include "kit.h"

volatile long gdbt_value = 1;
volatile long gdbt_watched;
volatile long gdbt_counter;
volatile int gdbt_release;

/* Not static: gdb finds them by name, and gcc keeps them whole. */
long gdbt_target(long x);
long gdbt_ring0(long x);
void gdbt_loop(void);

__attribute__((noinline)) long gdbt_target(long x)
{
	return x * 2 + gdbt_value;
}

__attribute__((noinline)) long gdbt_ring0(long x)
{
	return x + 1;
}

__attribute__((noinline)) void gdbt_loop(void)
{
	for (int i = 0; i < 100; i++)
		gdbt_counter += i;
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
	r = gdbt_target(20);
	kit_printf("KIT: target=%ld value=%ld\n", r, gdbt_value);
	gdbt_watched = 42;
	gdbt_loop();
	kit_printf("KIT: watched=%ld counter=%ld\n", gdbt_watched, gdbt_counter);
	if (kit_cmdline_long("ring0", 0))
		kit_printf("KIT: ring0=%ld\n", kit_ring0_call(gdbt_ring0, 41));
	if (kit_cmdline_long("spin", 0)) {
		kit_printf("KIT: spinning\n");
		while (!gdbt_release)
			cpu_relax();
		kit_printf("KIT: released\n");
	}
	kit_printf("KIT: gdbt done\n");
}
