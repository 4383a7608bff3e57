// SPDX-License-Identifier: GPL-2.0
/*
 * A malicious guest's port I/O against every platform device: the input is
 * a sequence of accesses (port, width, direction, value) dispatched through
 * the real bus, as vCPU exits would be. ASan/UBSan catch any out-of-bounds
 * access or undefined behaviour in a device model; the devices go back to
 * power-on state before each input.
 */
#include <stdint.h>
#include <stdio.h>

#include "devices/acpi_pm.h"
#include "devices/debug_exit.h"
#include "devices/i8042.h"
#include "devices/port80.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "tests/unit/fake_vm.h"

static struct vm vm;
static struct config cfg;
static struct device *const devs[] = {
	&uart_device,	 &i8042_device,	 &rtc_device,
	&acpi_pm_device, &port80_device, &debug_exit_device,
};

/* Where devices live; a byte with the top bit set picks any port instead. */
static const uint16_t ports[] = {
	0x60,  0x64,  0x70,  0x71,  0x80,  0xf4,  0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc,
	0x3fd, 0x3fe, 0x3ff, 0x2f8, 0x2f9, 0x2fa, 0x2fb, 0x2fc, 0x2fd, 0x3e8, 0x2e8,
	0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x608, 0x609, 0x60a, 0x60b,
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fake_vm_init(&vm, &cfg);
	if (mem_init(&vm.mem, 64 << 20))
		return 1;
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (devs[i]->init(&vm))
			return 1;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		if (devs[i]->reset)
			devs[i]->reset(&vm);
	fake_clear();
	/* 6 bytes an access: port, width|direction, 4 bytes of value. */
	for (; size >= 6; data += 6, size -= 6) {
		uint16_t port = data[0] & 0x80
					? (uint16_t)(data[0] << 8 | data[1])
					: ports[data[0] % (sizeof(ports) / sizeof(ports[0]))];
		unsigned int len = 1u << (data[1] & 3);
		uint8_t buf[8] = { data[2], data[3], data[4], data[5], data[2], data[3] };

		bus_access(BUS_PIO, port, buf, len, data[1] & 4);
	}
	return 0;
}
