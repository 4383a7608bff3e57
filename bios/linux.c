// SPDX-License-Identifier: GPL-2.0
/*
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst), 64-bit
 * entry: the protected-mode kernel is loaded at its preferred address and
 * entered at +0x200 in long mode, with an identity map, a flat GDT and
 * RSI pointing at a filled struct boot_params.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asm/bootparam.h>

#include "bios/layout.h"
#include "bios/linux.h"
#include "bios/pvh.h"
#include "bios/tables.h"
#include "config/status.h"
#include "cpu/vm.h"

#define BOOT_SECTOR_MAGIC     0xaa55
#define HDRS_MAGIC	      0x53726448 /* "HdrS" */
#define SETUP_HDR_OFF	      0x1f1
#define MIN_PROTOCOL	      0x0206
#define PROTOCOL_PAYLOAD      0x0208 /* payload_offset/length exist from 2.08 */
#define PROTOCOL_RSDP	      0x020e /* acpi_rsdp_addr exists from 2.14 */
#define LOADER_TYPE_UNDEFINED 0xff
#define PTE_P		      (1ULL << 0)
#define PTE_RW		      (1ULL << 1)
#define PTE_PS		      (1ULL << 7)
#define SZ_2M		      (2ULL << 20)
#define BOOT_STACK	      LAYOUT_BOOT_PARAMS /* grows down towards the GDT */

static const struct setup_header *hdr_of(const uint8_t *data)
{
	return (const struct setup_header *)(data + SETUP_HDR_OFF);
}

static size_t setup_size(const struct setup_header *h)
{
	return ((size_t)(h->setup_sects ? h->setup_sects : 4) + 1) * 512;
}

const char *linux_check(const uint8_t *data, size_t size)
{
	const struct setup_header *h;

	if (size >= 4 && !memcmp(data, "\177ELF", 4))
		return pvh_check(data, size, NULL);
	if (size < SETUP_HDR_OFF + sizeof(*h))
		return "is too small to be a bzImage";
	h = hdr_of(data);
	if (h->boot_flag != BOOT_SECTOR_MAGIC || h->header != HDRS_MAGIC)
		return "is not a bzImage (no 'HdrS' Linux boot header)";
	if (h->version < MIN_PROTOCOL)
		return "uses Linux boot protocol older than 2.06";
	if (!(h->loadflags & LOADED_HIGH))
		return "is a zImage, not a bzImage (not loaded high)";
	if (!(h->xloadflags & XLF_KERNEL_64))
		return "has no 64-bit entry point (XLF_KERNEL_64)";
	if (size < setup_size(h) || size - setup_size(h) < (size_t)h->syssize * 16 || !h->syssize)
		return "is truncated (shorter than its header says)";
	return NULL;
}

const uint8_t *linux_payload(const struct kernel_image *k, size_t *len)
{
	const struct setup_header *h = hdr_of(k->data);
	size_t setup = setup_size(h);

	if (h->version < PROTOCOL_PAYLOAD || !h->payload_length || setup > k->size ||
	    h->payload_offset > k->size - setup ||
	    h->payload_length > k->size - setup - h->payload_offset)
		return NULL;
	*len = h->payload_length;
	return k->data + setup + h->payload_offset;
}

/* Anything bigger is not a kernel: refuse it before reading it into memory. */
#define KERNEL_MAX_SIZE (1ULL << 30)

static int read_file(const char *path, uint8_t **data, size_t *size)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > KERNEL_MAX_SIZE) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : !S_ISREG(st.st_mode) ? -ENOTSUP : -EFBIG;
	}
	*data = malloc(st.st_size ? st.st_size : 1);
	if (!*data) {
		close(fd);
		return -ENOMEM;
	}
	while (got < (size_t)st.st_size && (n = read(fd, *data + got, st.st_size - got)) > 0)
		got += n;
	close(fd);
	*size = got;
	return 0;
}

int linux_read_kernel(struct kernel_image *k, const char *path)
{
	const char *why;
	int ret;

	memset(k, 0, sizeof(*k));
	k->path = path;
	ret = read_file(path, &k->data, &k->size);
	if (ret) {
		fprintf(stderr, "vmm: --kernel '%s': %s\n", path,
			ret == -ENOTSUP ? "not a regular file"
			: ret == -EFBIG ? "larger than 1 GiB: not a kernel"
					: strerror(-ret));
		return ret == -ENOMEM ? VMM_EXIT_HOST_ERROR : VMM_EXIT_USAGE;
	}
	why = linux_check(k->data, k->size);
	if (why) {
		fprintf(stderr, "vmm: --kernel '%s' %s\n", path, why);
		linux_free_kernel(k);
		return VMM_EXIT_USAGE;
	}
	return 0;
}

void linux_free_kernel(struct kernel_image *k)
{
	free(k->data);
	k->data = NULL;
}

/* Identity-map the first 4 GiB with 2 MiB pages: PML4 -> PDPT -> 4 PDs. */
static void build_page_tables(struct vm *vm)
{
	uint64_t *pml4 = mem_ptr(&vm->mem, LAYOUT_PML4, 4096);
	uint64_t *pdpt = mem_ptr(&vm->mem, LAYOUT_PDPT, 4096);
	uint64_t *pd = mem_ptr(&vm->mem, LAYOUT_PD, 4 * 4096);

	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | PTE_P | PTE_RW;
	for (int i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096) | PTE_P | PTE_RW;
	for (int i = 0; i < 4 * 512; i++)
		pd[i] = (uint64_t)i * SZ_2M | PTE_P | PTE_RW | PTE_PS;
}

/* Null, null, __BOOT_CS (0x10), __BOOT_DS (0x18), then a TSS for VM entry. */
static uint16_t build_gdt(struct vm *vm)
{
	static const uint64_t gdt[] = {
		0,
		0,
		0x00af9b000000ffffULL, /* 64-bit code, present, DPL 0 */
		0x00cf93000000ffffULL, /* data, present, DPL 0, 4 GiB */
		0x0000890000000067ULL, /* 64-bit TSS (base 0), low half */
		0,		       /* TSS high half */
	};

	mem_write(&vm->mem, LAYOUT_GDT, gdt, sizeof(gdt));
	return sizeof(gdt) - 1;
}

static uint64_t kernel_load_addr(const struct setup_header *h)
{
	/* pref_address exists from 2.10; a relocatable kernel still prefers it. */
	if (h->version >= 0x020a && h->pref_address >= LAYOUT_KERNEL)
		return h->pref_address;
	return LAYOUT_KERNEL;
}

/* Open the initrd: a readable regular file, or one error line and -1. */
static int initrd_open(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		fprintf(stderr, "vmm: --initrd '%s': %s\n", path,
			fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int linux_check_initrd(const char *path)
{
	struct stat st;
	int fd = initrd_open(path, &st);

	if (fd < 0)
		return VMM_EXIT_USAGE;
	close(fd);
	return 0;
}

int linux_place_initrd(struct vm *vm, const char *path, uint64_t kernel_end, uint64_t limit,
		       uint64_t *addr_out, uint64_t *size_out)
{
	uint64_t top = mem_low_end(&vm->mem), addr;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = initrd_open(path, &st);
	if (fd < 0)
		return VMM_EXIT_USAGE;
	if (top > limit)
		top = limit;
	if ((uint64_t)st.st_size > top || ((top - st.st_size) & ~0xfffULL) < kernel_end) {
		fprintf(stderr,
			"vmm: --initrd '%s' (%lld MiB) does not fit in guest memory "
			"below %#llx: raise --mem\n",
			path, (long long)st.st_size >> 20, (unsigned long long)top);
		close(fd);
		return VMM_EXIT_USAGE;
	}
	addr = (top - st.st_size) & ~0xfffULL;
	while (got < (size_t)st.st_size &&
	       (n = read(fd, mem_ptr(&vm->mem, addr + got, st.st_size - got), st.st_size - got)) >
		       0)
		got += n;
	close(fd);
	if (got != (size_t)st.st_size) {
		fprintf(stderr, "vmm: --initrd '%s': short read\n", path);
		return VMM_EXIT_HOST_ERROR;
	}
	*addr_out = addr;
	*size_out = st.st_size;
	return 0;
}

static int load_initrd(struct vm *vm, struct boot_params *bp, const char *path, uint64_t kernel_end)
{
	uint64_t limit = bp->hdr.initrd_addr_max ? (uint64_t)bp->hdr.initrd_addr_max + 1 : ~0ULL;
	uint64_t addr, size;
	int ret = linux_place_initrd(vm, path, kernel_end, limit, &addr, &size);

	if (ret)
		return ret;
	bp->hdr.ramdisk_image = (uint32_t)addr;
	bp->ext_ramdisk_image = addr >> 32;
	bp->hdr.ramdisk_size = (uint32_t)size;
	bp->ext_ramdisk_size = size >> 32;
	return 0;
}

int linux_load(struct vm *vm, const struct kernel_image *k, const char *initrd, const char *cmdline,
	       struct boot_entry *entry)
{
	const struct setup_header *h;
	size_t setup, kernel_size;
	size_t hdr_end, cmdline_len = cmdline ? strlen(cmdline) : 0;
	uint64_t load, need;
	struct boot_params *bp;
	void *dst;
	int ret;

	if (k->size >= 4 && !memcmp(k->data, "\177ELF", 4))
		return pvh_load(vm, k, initrd, cmdline, entry);
	h = hdr_of(k->data);
	setup = setup_size(h);
	kernel_size = k->size - setup;
	hdr_end = 0x202 + k->data[0x201]; /* jump at 0x200 ends the header */
	load = kernel_load_addr(h);
	need = h->init_size > kernel_size ? h->init_size : kernel_size;

	bp = mem_ptr(&vm->mem, LAYOUT_BOOT_PARAMS, sizeof(*bp));
	dst = mem_ptr(&vm->mem, load, need);
	if (!bp || !dst || load + need > mem_low_end(&vm->mem)) {
		fprintf(stderr,
			"vmm: --kernel '%s' needs %llu MiB of RAM from %#llx: raise --mem\n",
			k->path, (unsigned long long)((load + need + (1 << 20) - 1) >> 20),
			(unsigned long long)load);
		return VMM_EXIT_USAGE;
	}
	if (cmdline_len >= LAYOUT_CMDLINE_MAX ||
	    (h->cmdline_size && cmdline_len > h->cmdline_size)) {
		fprintf(stderr, "vmm: --append is %zu bytes; this kernel takes at most %u\n",
			cmdline_len, h->cmdline_size);
		return VMM_EXIT_USAGE;
	}
	memcpy(dst, k->data + setup, kernel_size);

	memset(bp, 0, sizeof(*bp));
	if (hdr_end > SETUP_HDR_OFF + sizeof(bp->hdr) || hdr_end < SETUP_HDR_OFF)
		hdr_end = SETUP_HDR_OFF + sizeof(bp->hdr);
	memcpy(&bp->hdr, k->data + SETUP_HDR_OFF, hdr_end - SETUP_HDR_OFF);
	bp->hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
	bp->hdr.loadflags |= CAN_USE_HEAP;
	bp->hdr.heap_end_ptr = 0xfe00;
	bp->hdr.vid_mode = 0xffff; /* "normal" */
	bp->hdr.code32_start = (uint32_t)load;
	bp->hdr.cmd_line_ptr = LAYOUT_CMDLINE;
	mem_write(&vm->mem, LAYOUT_CMDLINE, cmdline ? cmdline : "", cmdline_len + 1);
	if (h->version >= PROTOCOL_RSDP)
		bp->acpi_rsdp_addr = LAYOUT_BIOS;
	bp->e820_entries = e820_build(vm, bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
	if (initrd) {
		ret = load_initrd(vm, bp, initrd, load + need);
		if (ret)
			return ret;
	}

	build_page_tables(vm);
	memset(entry, 0, sizeof(*entry));
	entry->mode = BOOT_LONG64;
	entry->gdt = LAYOUT_GDT;
	entry->gdt_limit = build_gdt(vm);
	entry->cr3 = LAYOUT_PML4;
	entry->rip = load + 0x200; /* the 64-bit entry point */
	entry->rsi = LAYOUT_BOOT_PARAMS;
	entry->rsp = BOOT_STACK;
	return 0;
}
