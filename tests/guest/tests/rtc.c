// SPDX-License-Identifier: GPL-2.0
/*
 * Read the CMOS real-time clock as a PC BIOS or Linux does (wait for the
 * update-in-progress flag to clear, honour BCD/binary and 12/24-hour
 * modes from register B) and print it; the host compares it with its own
 * UTC time.
 */
#include "kit.h"

#define CMOS_INDEX   0x70
#define CMOS_DATA    0x71
#define RTC_REG_A    0x0a
#define RTC_REG_B    0x0b
#define RTC_UIP	     0x80
#define RTC_B_24H    0x02
#define RTC_B_BINARY 0x04
#define RTC_PM	     0x80
#define RTC_CENTURY  0x32

static uint8_t cmos(uint8_t reg)
{
	outb(reg, CMOS_INDEX);
	return inb(CMOS_DATA);
}

static int bcd(uint8_t v, int binary)
{
	return binary ? v : (v >> 4) * 10 + (v & 0xf);
}

void kit_main(void)
{
	int sec, min, hour, day, mon, year, cent;
	uint8_t b = cmos(RTC_REG_B), h;
	int bin = b & RTC_B_BINARY;

	while (cmos(RTC_REG_A) & RTC_UIP)
		cpu_relax();
	sec = bcd(cmos(0x00), bin);
	min = bcd(cmos(0x02), bin);
	h = cmos(0x04);
	day = bcd(cmos(0x07), bin);
	mon = bcd(cmos(0x08), bin);
	year = bcd(cmos(0x09), bin);
	cent = bcd(cmos(RTC_CENTURY), bin);
	hour = bcd(h & 0x7f, bin);
	if (!(b & RTC_B_24H))
		hour = hour % 12 + ((h & RTC_PM) ? 12 : 0);
	kit_printf("KIT: rtc %02d%02d-%02d-%02d %02d:%02d:%02d\n", cent ? cent : 20, year, mon, day,
		   hour, min, sec);
	kit_exit(1);
}
