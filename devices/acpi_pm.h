/* SPDX-License-Identifier: GPL-2.0 */
/* The ACPI PM1 register block and PM timer (devices/acpi_pm.c). */
#ifndef VMM_DEVICES_ACPI_PM_H
#define VMM_DEVICES_ACPI_PM_H

#include "devices/device.h"

/* Exported for unit tests (init one device alone). */
extern struct device acpi_pm_device;

/*
 * The power button was pressed (a window closed, a control command): sets
 * PWRBTN_STS and raises the SCI if the guest enabled PWRBTN_EN; an ACPI
 * guest then shuts down cleanly. Safe from any thread.
 */
void acpi_pm_power_button(void);

#endif
