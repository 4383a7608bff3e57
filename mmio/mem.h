/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest RAM. One host mapping, cut into at most three guest-physical ranges:
 * [0, 640 KiB) and [768 KiB, low) around the legacy VGA window, which is
 * never RAM (the display device maps it), below the PCI hole, and
 * [4 GiB, 4 GiB + high) above it. The mapping keeps guest offsets below
 * 4 GiB: the window's 128 KiB of it are simply not used.
 *
 * mem_ptr() is the only way to turn a guest-physical address into a host
 * pointer. It checks the whole range (address + length, overflow included)
 * and returns NULL unless every byte is inside one RAM range.
 */
#ifndef VMM_MMIO_MEM_H
#define VMM_MMIO_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_PCI_HOLE_START 0xc0000000ULL /* 3 GiB: low RAM ends here at most */
#define MEM_4G		   0x100000000ULL
#define MEM_MAX_RANGES	   3
#define MEM_VGA_START	   0xa0000ULL /* legacy VGA window: not RAM */
#define MEM_VGA_END	   0xc0000ULL

struct mem_range {
	uint64_t gpa;  /* first guest-physical byte */
	uint64_t size; /* bytes */
	uint8_t *hva;  /* host address of gpa */
};

struct guest_mem {
	uint8_t *base; /* the host mapping of all of RAM */
	uint64_t size; /* total RAM */
	int nr_ranges;
	struct mem_range ranges[MEM_MAX_RANGES];
};

/* Map @size bytes of anonymous memory and lay out the ranges. 0 or -errno. */
int mem_init(struct guest_mem *m, uint64_t size);
void mem_free(struct guest_mem *m);
/* Register each range as a KVM memory slot. 0 or -errno. */
int mem_register(const struct guest_mem *m, int vm_fd);

/* Host pointer for [gpa, gpa + len) or NULL if any byte is outside RAM. */
void *mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);
bool mem_valid(const struct guest_mem *m, uint64_t gpa, uint64_t len);
/* Copy in/out; 0 or -EFAULT when the range is not entirely RAM. */
int mem_read(const struct guest_mem *m, uint64_t gpa, void *buf, uint64_t len);
int mem_write(const struct guest_mem *m, uint64_t gpa, const void *buf, uint64_t len);
/* End of RAM below the PCI hole (the last low range's end). */
uint64_t mem_low_end(const struct guest_mem *m);

/*
 * KVM memory slots beyond RAM (a framebuffer, a firmware ROM): slots below
 * MEM_SLOT_EXTRA belong to the RAM ranges; mem_slot_alloc() hands out the
 * rest, once each. mem_slot_set() (re)places slot @slot at @gpa; @size 0
 * deletes it. @flags: KVM_MEM_READONLY, KVM_MEM_LOG_DIRTY_PAGES. 0 or -errno.
 */
#define MEM_SLOT_EXTRA 8
int mem_slot_alloc(void);
int mem_slot_set(int vm_fd, int slot, uint64_t gpa, uint64_t size, void *hva, uint32_t flags);

#endif
