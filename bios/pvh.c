// SPDX-License-Identifier: GPL-2.0
/*
 * PVH direct boot of an uncompressed ELF vmlinux, as QEMU, Firecracker and
 * Cloud Hypervisor do it: the kernel's PT_LOAD segments go to their physical
 * addresses, and the BSP enters the address in the Xen ELF note
 * XEN_ELFNOTE_PHYS32_ENTRY in 32-bit protected mode, paging off, with EBX
 * pointing at a struct hvm_start_info (command line, memory map, RSDP,
 * initrd as module 0). Linux has the note when built with CONFIG_PVH
 * (Debian's kernels are).
 *
 * Why it matters here: a bzImage decompresses itself at ring 0, which a
 * host whose KVM emulates ring 0 runs ~3500x slower than native (minutes).
 * An ELF vmlinux skips the decompressor (tests/guest/linux/ extracts one).
 *
 * The start-info layout is Xen's public ABI
 * (xen/include/public/arch-x86/hvm/start_info.h); no UAPI header has it.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "bios/layout.h"
#include "bios/linux.h"
#include "bios/pvh.h"
#include "bios/tables.h"
#include "config/status.h"
#include "cpu/vm.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define HVM_START_MAGIC		 0x336ec578
#define HVM_START_VERSION	 1 /* version 1 adds the memory map */

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries;
	uint32_t reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type; /* e820 types */
	uint32_t reserved;
};

/* In the page below the (unused) zero page: start info, module, memory map. */
#define PVH_MODLIST  (LAYOUT_PVH_INFO + 0x40)
#define PVH_MEMMAP   (LAYOUT_PVH_INFO + 0x100)
#define PVH_MEMMAP_N ((0x1000 - 0x100) / sizeof(struct hvm_memmap_table_entry))

/* Everything PVH enters must sit below 4 GiB: the entry is 32-bit code. */
#define PVH_LIMIT (1ULL << 32)

static bool in_file(size_t size, uint64_t off, uint64_t len)
{
	return off <= size && len <= size - off;
}

static const Elf64_Phdr *phdrs(const uint8_t *data)
{
	return (const Elf64_Phdr *)(data + ((const Elf64_Ehdr *)data)->e_phoff);
}

/* The PHYS32_ENTRY note's value, 0 when there is none. Bounds-checked walk. */
static uint32_t find_entry_note(const uint8_t *data, const Elf64_Phdr *ph)
{
	uint64_t off = ph->p_offset, end = ph->p_offset + ph->p_filesz;

	while (end - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr n;
		uint64_t name, desc, next;

		memcpy(&n, data + off, sizeof(n));
		name = off + sizeof(n);
		desc = name + (((uint64_t)n.n_namesz + 3) & ~3ULL);
		next = desc + (((uint64_t)n.n_descsz + 3) & ~3ULL);
		if (next > end)
			return 0;
		if (n.n_type == XEN_ELFNOTE_PHYS32_ENTRY && n.n_namesz == 4 &&
		    !memcmp(data + name, "Xen", 4) && n.n_descsz >= 4) {
			uint32_t entry;

			memcpy(&entry, data + desc, sizeof(entry));
			return entry;
		}
		off = next;
	}
	return 0;
}

const char *pvh_check(const uint8_t *data, size_t size, uint32_t *entry_out)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)data;
	const Elf64_Phdr *ph;
	uint32_t entry = 0;
	bool entry_loaded = false, any_load = false;

	if (size < sizeof(*eh) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64)
		return "is an ELF file but not a 64-bit x86 one";
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum ||
	    !in_file(size, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)) ||
	    eh->e_phoff % 8)
		return "is an ELF file with a truncated or malformed program header table";
	ph = phdrs(data);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_NOTE) {
			if (!in_file(size, ph[i].p_offset, ph[i].p_filesz))
				return "is an ELF file with a truncated note segment";
			if (!entry)
				entry = find_entry_note(data, &ph[i]);
		}
	}
	if (!entry)
		return "is an ELF file without a PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY; "
		       "build Linux with CONFIG_PVH or boot its bzImage)";
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (!in_file(size, ph[i].p_offset, ph[i].p_filesz) ||
		    ph[i].p_filesz > ph[i].p_memsz)
			return "is an ELF file with a truncated segment";
		if (ph[i].p_paddr >= PVH_LIMIT || ph[i].p_memsz > PVH_LIMIT - ph[i].p_paddr ||
		    ph[i].p_paddr < LAYOUT_KERNEL)
			return "is an ELF file with a segment outside 1 MiB..4 GiB";
		if (entry >= ph[i].p_paddr && entry - ph[i].p_paddr < ph[i].p_filesz)
			entry_loaded = true;
		any_load = true;
	}
	if (!any_load || !entry_loaded)
		return "is an ELF file whose PVH entry point is not in a loaded segment";
	if (entry_out)
		*entry_out = entry;
	return NULL;
}

static int load_segments(struct vm *vm, const struct kernel_image *k, uint64_t *end)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)k->data;
	const Elf64_Phdr *ph = phdrs(k->data);

	*end = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		uint8_t *dst;

		if (ph[i].p_type != PT_LOAD)
			continue;
		dst = mem_ptr(&vm->mem, ph[i].p_paddr, ph[i].p_memsz);
		if (!dst || ph[i].p_paddr + ph[i].p_memsz > mem_low_end(&vm->mem)) {
			fprintf(stderr,
				"vmm: --kernel '%s' needs %llu MiB of RAM from %#llx: raise "
				"--mem\n",
				k->path,
				(unsigned long long)((ph[i].p_paddr + ph[i].p_memsz + (1 << 20) -
						      1) >>
						     20),
				(unsigned long long)ph[i].p_paddr);
			return VMM_EXIT_USAGE;
		}
		memcpy(dst, k->data + ph[i].p_offset, ph[i].p_filesz);
		memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
		if (ph[i].p_paddr + ph[i].p_memsz > *end)
			*end = ph[i].p_paddr + ph[i].p_memsz;
	}
	return 0;
}

static int write_memmap(struct vm *vm, struct hvm_start_info *si)
{
	struct boot_e820_entry e820[PVH_MEMMAP_N];
	struct hvm_memmap_table_entry *mm;
	int n = e820_build(vm, e820, PVH_MEMMAP_N);

	if (n < 0) {
		fprintf(stderr, "vmm: cannot build the memory map\n");
		return VMM_EXIT_HOST_ERROR;
	}
	mm = mem_ptr(&vm->mem, PVH_MEMMAP, n * sizeof(*mm));
	for (int i = 0; i < n; i++)
		mm[i] = (struct hvm_memmap_table_entry){ e820[i].addr, e820[i].size, e820[i].type,
							 0 };
	si->memmap_paddr = PVH_MEMMAP;
	si->memmap_entries = n;
	return 0;
}

/* Null, null, flat 32-bit code (0x10), flat data (0x18), 32-bit busy TSS (0x20). */
static uint16_t build_gdt32(struct vm *vm)
{
	static const uint64_t gdt[] = {
		0, 0, 0x00cf9b000000ffffULL, 0x00cf93000000ffffULL, 0x00008b0000000067ULL,
	};

	mem_write(&vm->mem, LAYOUT_GDT, gdt, sizeof(gdt));
	return sizeof(gdt) - 1;
}

int pvh_load(struct vm *vm, const struct kernel_image *k, const char *initrd, const char *cmdline,
	     struct boot_entry *entry)
{
	struct hvm_start_info *si = mem_ptr(&vm->mem, LAYOUT_PVH_INFO, sizeof(*si));
	size_t cmdline_len = cmdline ? strlen(cmdline) : 0;
	uint64_t kernel_end, addr, size;
	uint32_t pvh_entry = 0;
	int ret;

	if (pvh_check(k->data, k->size, &pvh_entry))
		return VMM_EXIT_USAGE; /* linux_read_kernel() said why */
	if (cmdline_len >= LAYOUT_CMDLINE_MAX) {
		fprintf(stderr, "vmm: --append is %zu bytes; at most %llu\n", cmdline_len,
			LAYOUT_CMDLINE_MAX - 1);
		return VMM_EXIT_USAGE;
	}
	ret = load_segments(vm, k, &kernel_end);
	if (ret)
		return ret;
	memset(si, 0, sizeof(*si));
	si->magic = HVM_START_MAGIC;
	si->version = HVM_START_VERSION;
	mem_write(&vm->mem, LAYOUT_CMDLINE, cmdline ? cmdline : "", cmdline_len + 1);
	si->cmdline_paddr = LAYOUT_CMDLINE;
	si->rsdp_paddr = LAYOUT_BIOS;
	ret = write_memmap(vm, si);
	if (ret)
		return ret;
	if (initrd) {
		ret = linux_place_initrd(vm, initrd, kernel_end, PVH_LIMIT, &addr, &size);
		if (ret)
			return ret;
		mem_write(&vm->mem, PVH_MODLIST,
			  &(struct hvm_modlist_entry){ .paddr = addr, .size = size },
			  sizeof(struct hvm_modlist_entry));
		si->nr_modules = 1;
		si->modlist_paddr = PVH_MODLIST;
	}
	*entry = (struct boot_entry){
		.mode = BOOT_PVH32,
		.rip = pvh_entry,
		.rbx = LAYOUT_PVH_INFO,
		.gdt = LAYOUT_GDT,
		.gdt_limit = build_gdt32(vm),
	};
	return 0;
}
