// SPDX-License-Identifier: GPL-2.0
/*
 * Any file given as --kernel: the checks must refuse what is not a sound
 * bzImage, and whatever they accept must load without touching memory
 * outside guest RAM (ASan) or overflowing anything (UBSan).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bios/linux.h"
#include "cpu/vm.h"

static struct vm vm;
static struct config cfg;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	config_defaults(&cfg);
	vm.cfg = &cfg;
	vm.nr_vcpus = 1;
	return mem_init(&vm.mem, 32 << 20);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kernel_image k = { .path = "fuzz", .data = (uint8_t *)data, .size = size };
	struct boot_entry e;

	struct kernel_image elf;

	if (linux_check(data, size))
		return 0;
	/* The native decompression must refuse or succeed, never overrun. */
	if (linux_unpack(&k, &elf) == 0)
		linux_free_kernel(&elf);
	if (linux_load(&vm, &k, NULL, "console=ttyS0", &e) == 0) {
		/* What the vCPU would be told must point into guest RAM. */
		if (!mem_valid(&vm.mem, e.rip, 1) || !mem_valid(&vm.mem, e.rsi, 4096))
			__builtin_trap();
	}
	return 0;
}
