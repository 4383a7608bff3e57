/* SPDX-License-Identifier: GPL-2.0 */
/* The CMOS RTC and NVRAM (devices/rtc.c). */
#ifndef VMM_DEVICES_RTC_H
#define VMM_DEVICES_RTC_H

#include "devices/device.h"

/* Exported for unit tests (init one device alone). */
extern struct device rtc_device;

#endif
