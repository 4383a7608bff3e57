/* SPDX-License-Identifier: GPL-2.0 */
/* PVH direct boot of an ELF vmlinux (see bios/pvh.c). */
#ifndef VMM_BIOS_PVH_H
#define VMM_BIOS_PVH_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/vcpu.h"

struct vm;
struct kernel_image;

/*
 * Is this ELF file a kernel vmm can enter through PVH? NULL when it is (and
 * *entry, if given, is the 32-bit entry point), else what is wrong.
 */
const char *pvh_check(const uint8_t *data, size_t size, uint32_t *entry);
/* Load segments, start info, memory map and initrd; set *entry. */
int pvh_load(struct vm *vm, const struct kernel_image *k, const char *initrd, const char *cmdline,
	     struct boot_entry *entry);

#endif
