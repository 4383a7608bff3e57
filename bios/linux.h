/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Direct Linux boot: a bzImage (boot protocol >= 2.06) entered at its 64-bit
 * entry, or an ELF vmlinux entered through PVH (bios/pvh.c).
 */
#ifndef VMM_BIOS_LINUX_H
#define VMM_BIOS_LINUX_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/vcpu.h"

struct vm;

struct kernel_image {
	const char *path;
	uint8_t *data;
	size_t size;
};

/*
 * Read and check a kernel: a bzImage or a PVH ELF vmlinux. Returns 0, or a
 * vmm exit status after one error line on stderr (missing, unreadable, not
 * a kernel, truncated, too old, no PVH note).
 */
int linux_read_kernel(struct kernel_image *k, const char *path);
/* The checks alone, on a buffer: NULL when fine, else what is wrong. */
const char *linux_check(const uint8_t *data, size_t size);
void linux_free_kernel(struct kernel_image *k);
/*
 * Where a checked bzImage's compressed kernel is (protocol 2.08+), or NULL
 * when its header does not say or points outside the file.
 */
const uint8_t *linux_payload(const struct kernel_image *k, size_t *len);
/*
 * Decompress a bzImage's XZ payload natively into an ELF vmlinux that PVH
 * can enter (bios/unpack.c). 0 and *elf (free with linux_free_kernel()),
 * or -1 when the kernel is not such a bzImage.
 */
int linux_unpack(const struct kernel_image *bz, struct kernel_image *elf);
/* Is the initrd a readable regular file? 0, or a vmm exit status after one error line. */
int linux_check_initrd(const char *path);
/*
 * Read the initrd to the top of low RAM (below limit), page-aligned, above
 * kernel_end. 0 and its place, or a vmm exit status after one error line.
 */
int linux_place_initrd(struct vm *vm, const char *path, uint64_t kernel_end, uint64_t limit,
		       uint64_t *addr, uint64_t *size);

/*
 * Lay the kernel, initrd, command line, boot_params, page tables and GDT
 * out in guest memory and say where the BSP starts. The e820 map comes from
 * bios/e820.c. Returns 0 or a vmm exit status after one error line.
 */
int linux_load(struct vm *vm, const struct kernel_image *k, const char *initrd, const char *cmdline,
	       struct boot_entry *entry);

#endif
