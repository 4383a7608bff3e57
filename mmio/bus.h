/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one PIO/MMIO bus every exit is dispatched through.
 *
 * Regions live in a sorted array per address space, looked up by binary
 * search. The array is published with an atomic pointer swap, so the vCPU
 * hot path takes no lock; registration (rare: start-up, a PCI BAR move)
 * takes a mutex and copies. Overlapping registrations are refused.
 *
 * A device serialises its own state with its own lock: the bus calls it
 * from any vCPU thread.
 */
#ifndef VMM_MMIO_BUS_H
#define VMM_MMIO_BUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum bus_space { BUS_PIO, BUS_MMIO, BUS_NR_SPACES };

struct bus_ops {
	/* @off is relative to the region's base; @len is 1, 2, 4 or 8. */
	uint64_t (*read)(void *opaque, uint64_t off, unsigned int len);
	void (*write)(void *opaque, uint64_t off, uint64_t val, unsigned int len);
};

struct bus_region;

/*
 * Claim [base, base + len) in @space. Returns the region, or NULL (with a
 * message on stderr) when it overlaps another region or len is 0.
 * @name shows up in --stats; it must outlive the region.
 */
struct bus_region *bus_register(enum bus_space space, uint64_t base, uint64_t len,
				const struct bus_ops *ops, void *opaque, const char *name);
void bus_unregister(struct bus_region *r);

/*
 * Dispatch one access from a vCPU. Unclaimed reads fill @data with all-ones,
 * unclaimed writes are dropped; both are counted. @data is little-endian
 * bytes as KVM hands them over; @len is 1..8.
 */
void bus_access(enum bus_space space, uint64_t addr, uint8_t *data, unsigned int len,
		bool is_write);

/* Turn timing of each access on (--stats); counts are always kept. */
void bus_set_timing(bool on);
/* The exit statistics table, one line per region, then the unclaimed. */
void bus_print_stats(FILE *f);
/* Drop every region (tests, shutdown). */
void bus_reset(void);

#endif
