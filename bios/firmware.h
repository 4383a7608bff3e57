/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Booting through a BIOS instead of a kernel (no --kernel): vmm's own
 * (bios/fw/, built into the binary) or --firmware FILE. The image is
 * mapped read-only at the top of 4 GiB (the reset vector) and copied into
 * RAM at the top of the first megabyte; vmm writes the handoff block
 * (bios/fw/handoff.h: memory map, boot order) and the MP/ACPI tables.
 */
#ifndef VMM_BIOS_FIRMWARE_H
#define VMM_BIOS_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct vm;

#define FIRMWARE_MIN_SIZE  0x10000 /* 64 KiB */
#define FIRMWARE_MAX_SIZE  0x40000 /* 256 KiB */
#define FIRMWARE_LOW_LIMIT 0x20000 /* at most 128 KiB goes below 1 MiB */

struct firmware {
	const char *path; /* NULL: the built-in BIOS */
	uint8_t *data;
	size_t size;
	void *rom; /* page-aligned copy for the read-only slot */
	int slot;
};

/* A size --firmware accepts: NULL, or what is wrong with it. */
const char *firmware_check_size(uint64_t size);
/* Read --firmware FILE or take the built-in image. 0, or an exit status after one line. */
int firmware_read(struct firmware *fw, const struct config *cfg);
/* Map the ROM (once), fill low memory and the tables. 0 or an exit status. */
int firmware_load(struct vm *vm, struct firmware *fw);
void firmware_free(struct firmware *fw);

#endif
