// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's e820 map, from the RAM ranges vm->mem really has.
 *
 * Everything in [EBDA, 1 MiB) is kept out of the RAM entries. The EBDA and
 * the BIOS area (RSDP, ACPI tables, FACS; the MP table in the F segment)
 * are E820_RESERVED rather than E820_ACPI: the FACS must never be reclaimed
 * (it belongs in non-volatile firmware memory, and E820_ACPI says
 * "reusable once the tables are parsed"), and the RSDP and MP table must
 * stay where a kexec'd or rebooted kernel looks for them. The legacy area
 * costs 384 KiB at most and Linux never allocates from it anyway.
 * [0xa0000, 0xe0000) (VGA window, option ROMs) is left out of the map
 * entirely, as on a PC. With a PCI host bridge, its ECAM window is
 * reserved too, where Linux first looks before it trusts the MCFG table.
 */
#include <errno.h>

#include <asm/e820.h>

#include "bios/layout.h"
#include "bios/tables.h"
#include "cpu/vm.h"
#include "devices/pci.h"

struct e820_area {
	uint64_t start;
	uint64_t end; /* exclusive */
};

/* Address space that is never RAM in the map, sorted by address. */
static const struct e820_area e820_holes[] = {
	{ LAYOUT_EBDA, LAYOUT_KERNEL },
	{ LAYOUT_IDENT_MAP, LAYOUT_RESERVED_TOP },
};

/* The reserved entries, described whether or not RAM backs them. */
static const struct e820_area e820_reserved[] = {
	{ LAYOUT_EBDA, LAYOUT_EBDA + LAYOUT_EBDA_SIZE },
	{ LAYOUT_BIOS, LAYOUT_BIOS + LAYOUT_BIOS_SIZE },
	{ LAYOUT_MPTABLE, LAYOUT_MPTABLE + LAYOUT_MPTABLE_SIZE },
	/* KVM_SET_IDENTITY_MAP_ADDR page + KVM_SET_TSS_ADDR's three pages. */
	{ LAYOUT_IDENT_MAP, LAYOUT_RESERVED_TOP },
};

struct e820_table {
	struct boot_e820_entry *tab;
	int nr;
	int max;
};

static int e820_add(struct e820_table *t, uint64_t start, uint64_t end, uint32_t type)
{
	if (start >= end)
		return 0;
	if (t->nr == t->max)
		return -ENOSPC;
	t->tab[t->nr++] = (struct boot_e820_entry){
		.addr = start,
		.size = end - start,
		.type = type,
	};
	return 0;
}

/* Add RAM [start, end) minus the holes. */
static int e820_add_ram(struct e820_table *t, uint64_t start, uint64_t end)
{
	size_t i;
	int ret;

	for (i = 0; i < sizeof(e820_holes) / sizeof(e820_holes[0]); i++) {
		const struct e820_area *h = &e820_holes[i];

		if (h->end <= start || h->start >= end)
			continue;
		ret = e820_add(t, start, h->start < end ? h->start : end, E820_RAM);
		if (ret)
			return ret;
		start = h->end;
		if (start >= end)
			return 0;
	}
	return e820_add(t, start, end, E820_RAM);
}

/* Insertion sort: a dozen entries at most. */
static void e820_sort(struct e820_table *t)
{
	int i, j;

	for (i = 1; i < t->nr; i++) {
		struct boot_e820_entry e = t->tab[i];

		for (j = i; j > 0 && t->tab[j - 1].addr > e.addr; j--)
			t->tab[j] = t->tab[j - 1];
		t->tab[j] = e;
	}
}

/* Join touching entries of one type (the BIOS area's parts, say). */
static void e820_merge(struct e820_table *t)
{
	int i, n = 0;

	for (i = 0; i < t->nr; i++) {
		struct boot_e820_entry *prev = n ? &t->tab[n - 1] : NULL;

		if (prev && prev->type == t->tab[i].type &&
		    prev->addr + prev->size == t->tab[i].addr)
			prev->size += t->tab[i].size;
		else
			t->tab[n++] = t->tab[i];
	}
	t->nr = n;
}

int e820_build(const struct vm *vm, struct boot_e820_entry *tab, int max)
{
	struct e820_table t = { .tab = tab, .max = max };
	const struct guest_mem *m = &vm->mem;
	size_t i;
	int ret;

	for (i = 0; i < (size_t)m->nr_ranges; i++) {
		const struct mem_range *r = &m->ranges[i];

		ret = e820_add_ram(&t, r->gpa, r->gpa + r->size);
		if (ret)
			return ret;
	}
	for (i = 0; i < sizeof(e820_reserved) / sizeof(e820_reserved[0]); i++) {
		ret = e820_add(&t, e820_reserved[i].start, e820_reserved[i].end, E820_RESERVED);
		if (ret)
			return ret;
	}
	if (vm->platform.pci_ecam_base) {
		ret = e820_add(&t, vm->platform.pci_ecam_base,
			       vm->platform.pci_ecam_base + PCI_ECAM_SIZE, E820_RESERVED);
		if (ret)
			return ret;
	}
	e820_sort(&t);
	e820_merge(&t);
	return t.nr;
}
