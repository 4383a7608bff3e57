// SPDX-License-Identifier: GPL-2.0
/*
 * A reboot must give back a machine as fresh as at power-on: boot, start
 * the APs, reset through the i8042; on the second boot the APs must start
 * again. The boot count lives in CMOS NVRAM (byte 0x50), which, as on a PC,
 * survives the reset.
 */
#include "kit.h"

#define CMOS_BOOT_COUNT 0x50

static void ap_main(int cpu)
{
}

void kit_main(void)
{
	int boot = cmos_read(CMOS_BOOT_COUNT) + 1;
	int cpus = kit_start_aps(ap_main) + 1;

	kit_printf("KIT: boot %d cpus=%d\n", boot, cpus);
	if (cpus != kit_cpu_count())
		kit_fail("the MADT lists %d CPUs", kit_cpu_count());
	if (boot >= 2) {
		cmos_write(CMOS_BOOT_COUNT, 0);
		kit_exit(1);
	}
	cmos_write(CMOS_BOOT_COUNT, boot);
	outb(0xfe, 0x64); /* pulse the reset line */
	kit_udelay(1000000);
	kit_fail("still running a second after the i8042 reset");
}
