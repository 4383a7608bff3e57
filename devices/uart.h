/* SPDX-License-Identifier: GPL-2.0 */
/*
 * 16550A UARTs COM1-COM4 (devices/uart.c). The struct device is exported
 * so unit tests can init one device alone (and so pull it out of the
 * archive); everything else goes through the bus.
 */
#ifndef VMM_DEVICES_UART_H
#define VMM_DEVICES_UART_H

#include "devices/device.h"

extern struct device uart_device;

#endif
