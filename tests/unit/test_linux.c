// SPDX-License-Identifier: GPL-2.0
/* The bzImage loader: header checks and the boot_params it fills. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <elf.h>
#include <lzma.h>

#include <asm/bootparam.h>

#include "bios/layout.h"
#include "bios/linux.h"
#include "bios/pvh.h"
#include "config/status.h"
#include "cpu/vm.h"

#define SETUP_SECTS 4
#define PM_SIZE	    0x3000

/* A synthetic bzImage: boot sector, setup, and a protected-mode part. */
static uint8_t *make_bzimage(size_t *size, uint16_t version)
{
	size_t setup = (SETUP_SECTS + 1) * 512;
	uint8_t *img = calloc(1, setup + PM_SIZE);
	struct setup_header *h = (struct setup_header *)(img + 0x1f1);

	h->setup_sects = SETUP_SECTS;
	h->boot_flag = 0xaa55;
	h->jump = 0x66eb; /* header ends at 0x202 + 0x66 = 0x268 */
	h->header = 0x53726448;
	h->version = version;
	h->loadflags = LOADED_HIGH;
	h->code32_start = 0x100000;
	h->syssize = PM_SIZE / 16;
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 0x200000;
	h->cmdline_size = 255;
	h->xloadflags = XLF_KERNEL_64;
	h->pref_address = 0x1000000;
	h->init_size = 0x400000;
	for (size_t i = 0; i < PM_SIZE; i++)
		img[setup + i] = (uint8_t)(i * 7);
	*size = setup + PM_SIZE;
	return img;
}

static void test_check(void **state)
{
	size_t size;
	uint8_t *img = make_bzimage(&size, 0x020f);
	struct setup_header *h = (struct setup_header *)(img + 0x1f1);

	assert_null(linux_check(img, size));
	assert_non_null(strstr(linux_check(img, size - 1), "truncated"));
	assert_non_null(strstr(linux_check(img, 1000), "truncated"));
	assert_non_null(strstr(linux_check(img, 100), "too small"));
	assert_non_null(strstr(linux_check((const uint8_t *)"\177ELF\2\1\1", 7), "not a 64-bit"));
	h->header = 0;
	assert_non_null(strstr(linux_check(img, size), "not a bzImage"));
	h->header = 0x53726448;
	h->version = 0x0204;
	assert_non_null(strstr(linux_check(img, size), "2.06"));
	h->version = 0x020f;
	h->loadflags = 0;
	assert_non_null(strstr(linux_check(img, size), "zImage"));
	h->loadflags = LOADED_HIGH;
	h->xloadflags = 0;
	assert_non_null(strstr(linux_check(img, size), "64-bit"));
	h->xloadflags = XLF_KERNEL_64;
	h->syssize = 0xffffffff; /* claims more than the file has */
	assert_non_null(strstr(linux_check(img, size), "truncated"));
	free(img);
}

static void vm_with_mem(struct vm *vm, uint64_t size)
{
	static struct config cfg;

	memset(vm, 0, sizeof(*vm));
	config_defaults(&cfg);
	vm->cfg = &cfg;
	vm->nr_vcpus = 1;
	assert_int_equal(mem_init(&vm->mem, size), 0);
}

static void test_boot_params(void **state)
{
	char initrd[] = "/tmp/vmm-initrd-XXXXXX";
	const char *cmdline = "console=ttyS0 root=/dev/vda";
	struct kernel_image k = { .path = "test" };
	struct boot_entry e;
	struct boot_params *bp;
	struct vm vm;
	uint8_t payload[10000];
	int fd;

	k.data = make_bzimage(&k.size, 0x020f);
	vm_with_mem(&vm, 64 << 20);
	fd = mkstemp(initrd);
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i ^ 0x5a);
	assert_int_equal(write(fd, payload, sizeof(payload)), sizeof(payload));
	close(fd);

	assert_int_equal(linux_load(&vm, &k, initrd, cmdline, &e), 0);
	bp = mem_ptr(&vm.mem, LAYOUT_BOOT_PARAMS, sizeof(*bp));
	/* Entered at the 64-bit entry of a kernel loaded at pref_address. */
	assert_int_equal(e.rip, 0x1000000 + 0x200);
	assert_int_equal(e.rsi, LAYOUT_BOOT_PARAMS);
	assert_int_equal(bp->hdr.code32_start, 0x1000000);
	assert_memory_equal(mem_ptr(&vm.mem, 0x1000000, PM_SIZE), k.data + (SETUP_SECTS + 1) * 512,
			    PM_SIZE);
	assert_int_equal(bp->hdr.header, 0x53726448);
	assert_int_equal(bp->hdr.version, 0x020f);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_true(bp->hdr.loadflags & CAN_USE_HEAP);
	assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	assert_string_equal((char *)mem_ptr(&vm.mem, LAYOUT_CMDLINE, 64), cmdline);
	assert_int_equal(bp->acpi_rsdp_addr, LAYOUT_BIOS);
	/* The initrd: page-aligned, at the top of RAM, after the kernel, intact. */
	assert_int_equal(bp->hdr.ramdisk_size, sizeof(payload));
	assert_int_equal(bp->hdr.ramdisk_image & 0xfff, 0);
	assert_true(bp->hdr.ramdisk_image + sizeof(payload) <= (64 << 20));
	assert_true(bp->hdr.ramdisk_image >= 0x1000000 + 0x400000);
	assert_memory_equal(mem_ptr(&vm.mem, bp->hdr.ramdisk_image, sizeof(payload)), payload,
			    sizeof(payload));
	/* An e820 map is there and RAM above 1 MiB is in it. */
	assert_true(bp->e820_entries > 0 && bp->e820_entries <= E820_MAX_ENTRIES_ZEROPAGE);
	/* The identity map covers 4 GiB with 2 MiB pages. */
	assert_int_equal(e.cr3, LAYOUT_PML4);
	assert_int_equal(*(uint64_t *)mem_ptr(&vm.mem, LAYOUT_PD + 8 * 2047, 8),
			 (2047ULL << 21) | 0x83);
	unlink(initrd);
	mem_free(&vm.mem);
	free(k.data);
}

static void test_too_small_and_too_long(void **state)
{
	struct kernel_image k = { .path = "test" };
	struct boot_entry e;
	struct vm vm;
	char longline[300];

	k.data = make_bzimage(&k.size, 0x020f);
	/* pref_address 16 MiB + init_size 4 MiB does not fit in 16 MiB of RAM. */
	vm_with_mem(&vm, 16 << 20);
	assert_int_equal(linux_load(&vm, &k, NULL, "", &e), VMM_EXIT_USAGE);
	mem_free(&vm.mem);

	vm_with_mem(&vm, 64 << 20);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0; /* 299 > cmdline_size 255 */
	assert_int_equal(linux_load(&vm, &k, NULL, longline, &e), VMM_EXIT_USAGE);
	assert_int_equal(linux_load(&vm, &k, "/nonexistent/initrd", "", &e), VMM_EXIT_USAGE);
	mem_free(&vm.mem);
	free(k.data);
}

static void test_old_protocol_loads_at_1m(void **state)
{
	struct kernel_image k = { .path = "test" };
	struct boot_entry e;
	struct boot_params *bp;
	struct vm vm;

	k.data = make_bzimage(&k.size, 0x0206); /* no pref_address before 2.10 */
	vm_with_mem(&vm, 32 << 20);
	assert_int_equal(linux_load(&vm, &k, NULL, NULL, &e), 0);
	bp = mem_ptr(&vm.mem, LAYOUT_BOOT_PARAMS, sizeof(*bp));
	assert_int_equal(e.rip, 0x100000 + 0x200);
	assert_int_equal(bp->acpi_rsdp_addr, 0); /* field is newer than 2.06 */
	assert_int_equal(bp->hdr.ramdisk_image, 0);
	mem_free(&vm.mem);
	free(k.data);
}

static void test_read_kernel_errors(void **state)
{
	struct kernel_image k;
	char path[] = "/tmp/vmm-kernel-XXXXXX";
	int fd = mkstemp(path);
	FILE *saved = stderr;

	assert_int_equal(write(fd, "not a kernel at all", 19), 19);
	close(fd);
	stderr = fopen("/dev/null", "w");
	assert_int_equal(linux_read_kernel(&k, "/nonexistent/bzImage"), VMM_EXIT_USAGE);
	assert_int_equal(linux_read_kernel(&k, "/tmp"), VMM_EXIT_USAGE);
	assert_int_equal(linux_read_kernel(&k, path), VMM_EXIT_USAGE);
	fclose(stderr);
	stderr = saved;
	unlink(path);
}

/* A synthetic PVH vmlinux: ELF header, PT_LOAD at 16 MiB, PT_NOTE with the entry. */
struct pvh_image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	struct {
		Elf64_Nhdr n;
		char name[4];
		uint32_t entry;
	} note;
	uint8_t text[256];
};

#define PVH_TEXT 0x1000000ULL

static struct pvh_image *make_pvh(void)
{
	struct pvh_image *im = calloc(1, sizeof(*im));

	memcpy(im->eh.e_ident, ELFMAG, SELFMAG);
	im->eh.e_ident[EI_CLASS] = ELFCLASS64;
	im->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im->eh.e_machine = EM_X86_64;
	im->eh.e_phoff = offsetof(struct pvh_image, ph);
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_phnum = 2;
	im->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
				  .p_offset = offsetof(struct pvh_image, text),
				  .p_paddr = PVH_TEXT,
				  .p_filesz = sizeof(im->text),
				  .p_memsz = 0x2000 };
	im->ph[1] = (Elf64_Phdr){ .p_type = PT_NOTE,
				  .p_offset = offsetof(struct pvh_image, note),
				  .p_filesz = sizeof(im->note) };
	im->note.n = (Elf64_Nhdr){ .n_namesz = 4, .n_descsz = 4, .n_type = 18 };
	memcpy(im->note.name, "Xen", 4);
	im->note.entry = PVH_TEXT + 0x10;
	for (size_t i = 0; i < sizeof(im->text); i++)
		im->text[i] = (uint8_t)(i * 3);
	return im;
}

static void test_pvh_check(void **state)
{
	struct pvh_image *im = make_pvh();
	const uint8_t *d = (const uint8_t *)im;
	uint32_t entry = 0;

	assert_null(pvh_check(d, sizeof(*im), &entry));
	assert_int_equal(entry, PVH_TEXT + 0x10);
	assert_null(linux_check(d, sizeof(*im)));
	/* Truncations: inside the header, the program headers, the note, the text. */
	assert_non_null(strstr(pvh_check(d, 40, NULL), "not a 64-bit"));
	assert_non_null(strstr(pvh_check(d, sizeof(im->eh) + 8, NULL), "program header"));
	assert_non_null(strstr(pvh_check(d, offsetof(struct pvh_image, note) + 8, NULL), "note"));
	assert_non_null(
		strstr(pvh_check(d, offsetof(struct pvh_image, text) + sizeof(im->text) - 1, NULL),
		       "truncated segment"));
	/* A note that claims more than its segment: no entry found. */
	im->note.n.n_descsz = 0xfffffff0;
	assert_non_null(strstr(pvh_check(d, sizeof(*im), NULL), "without a PVH entry"));
	im->note.n.n_descsz = 4;
	im->note.n.n_type = 17;
	assert_non_null(strstr(pvh_check(d, sizeof(*im), NULL), "without a PVH entry"));
	im->note.n.n_type = 18;
	/* The entry must be in loaded bytes; segments must sit in 1 MiB..4 GiB. */
	im->note.entry = PVH_TEXT + 0x1000; /* in p_memsz (bss), not p_filesz */
	assert_non_null(strstr(pvh_check(d, sizeof(*im), NULL), "not in a loaded segment"));
	im->note.entry = PVH_TEXT + 0x10;
	im->ph[0].p_paddr = 0xfffff000ULL;
	assert_non_null(strstr(pvh_check(d, sizeof(*im), NULL), "outside"));
	im->ph[0].p_paddr = 0x1000;
	assert_non_null(strstr(pvh_check(d, sizeof(*im), NULL), "outside"));
	im->ph[0].p_paddr = PVH_TEXT;
	im->ph[0].p_filesz = 0x3000; /* more than p_memsz */
	assert_non_null(strstr(pvh_check(d, sizeof(*im), NULL), "truncated segment"));
	im->ph[0].p_filesz = sizeof(im->text);
	im->eh.e_phentsize = 32;
	assert_non_null(strstr(pvh_check(d, sizeof(*im), NULL), "program header"));
	im->eh.e_phentsize = sizeof(Elf64_Phdr);
	im->eh.e_machine = EM_386;
	assert_non_null(strstr(pvh_check(d, sizeof(*im), NULL), "not a 64-bit"));
	free(im);
}

struct hvm_start_info_v1 {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

static void test_pvh_load(void **state)
{
	char initrd[] = "/tmp/vmm-initrd-XXXXXX";
	struct pvh_image *im = make_pvh();
	struct kernel_image k = { .path = "pvh", .data = (uint8_t *)im, .size = sizeof(*im) };
	struct hvm_start_info_v1 *si;
	const uint64_t *mod;
	struct boot_entry e;
	struct vm vm;
	int fd = mkstemp(initrd);

	assert_int_equal(write(fd, "initrd!", 7), 7);
	close(fd);
	vm_with_mem(&vm, 64 << 20);
	memset(mem_ptr(&vm.mem, PVH_TEXT, 0x2000), 0xee, 0x2000);
	assert_int_equal(linux_load(&vm, &k, initrd, "console=ttyS0", &e), 0);
	assert_int_equal(e.mode, BOOT_PVH32);
	assert_int_equal(e.rip, PVH_TEXT + 0x10);
	/* Segment copied, its bss zeroed. */
	assert_memory_equal(mem_ptr(&vm.mem, PVH_TEXT, sizeof(im->text)), im->text,
			    sizeof(im->text));
	assert_int_equal(*(uint8_t *)mem_ptr(&vm.mem, PVH_TEXT + 0x1fff, 1), 0);
	si = mem_ptr(&vm.mem, e.rbx, sizeof(*si));
	assert_int_equal(si->magic, 0x336ec578);
	assert_int_equal(si->version, 1);
	assert_string_equal((char *)mem_ptr(&vm.mem, si->cmdline_paddr, 14), "console=ttyS0");
	assert_int_equal(si->rsdp_paddr, LAYOUT_BIOS);
	assert_true(si->memmap_entries > 0);
	assert_int_equal(si->nr_modules, 1);
	mod = mem_ptr(&vm.mem, si->modlist_paddr, 32);
	assert_int_equal(mod[1], 7);
	assert_memory_equal(mem_ptr(&vm.mem, mod[0], 7), "initrd!", 7);
	assert_true(mod[0] >= PVH_TEXT + 0x2000);
	/* Too little RAM for the segment: a usage error, nothing written out of bounds. */
	mem_free(&vm.mem);
	vm_with_mem(&vm, 8 << 20);
	assert_int_equal(linux_load(&vm, &k, NULL, "", &e), VMM_EXIT_USAGE);
	mem_free(&vm.mem);
	unlink(initrd);
	free(im);
}

/* A bzImage whose payload is the synthetic PVH ELF, XZ-compressed as Linux does it. */
static uint8_t *make_xz_bzimage(size_t *size, const struct pvh_image *elf)
{
	size_t setup = (SETUP_SECTS + 1) * 512, xz_len = 0, cap = 4096;
	uint8_t *img = calloc(1, setup + 0x40 + cap + 4);
	struct setup_header *h = (struct setup_header *)(img + 0x1f1);
	uint32_t raw = sizeof(*elf);

	assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, (const uint8_t *)elf,
						 sizeof(*elf), img + setup + 0x40, &xz_len, cap),
			 LZMA_OK);
	memcpy(img + setup + 0x40 + xz_len, &raw, 4); /* the size Linux appends */
	h->setup_sects = SETUP_SECTS;
	h->boot_flag = 0xaa55;
	h->jump = 0x66eb;
	h->header = 0x53726448;
	h->version = 0x020f;
	h->loadflags = LOADED_HIGH;
	h->xloadflags = XLF_KERNEL_64;
	h->pref_address = 0x1000000;
	h->payload_offset = 0x40;
	h->payload_length = xz_len + 4;
	*size = setup + 0x40 + xz_len + 4;
	h->syssize = (*size - setup) / 16;
	return img;
}

static void test_unpack(void **state)
{
	struct pvh_image *im = make_pvh();
	struct kernel_image bz = { .path = "bz" }, elf;
	struct setup_header *h;

	bz.data = make_xz_bzimage(&bz.size, im);
	h = (struct setup_header *)(bz.data + 0x1f1);
	assert_null(linux_check(bz.data, bz.size));
	assert_int_equal(linux_unpack(&bz, &elf), 0);
	assert_int_equal(elf.size, sizeof(*im));
	assert_memory_equal(elf.data, im, sizeof(*im));
	linux_free_kernel(&elf);
	/* A payload outside the file, a wrong appended size, a corrupt stream: no. */
	h->payload_offset = 0x7fffffff;
	assert_int_equal(linux_unpack(&bz, &elf), -1);
	h->payload_offset = 0x40;
	bz.data[bz.size - 4] ^= 1;
	assert_int_equal(linux_unpack(&bz, &elf), -1);
	bz.data[bz.size - 4] ^= 1;
	bz.data[(SETUP_SECTS + 1) * 512 + 0x40 + 40] ^= 0xff;
	assert_int_equal(linux_unpack(&bz, &elf), -1);
	bz.data[(SETUP_SECTS + 1) * 512 + 0x40 + 40] ^= 0xff;
	h->version = 0x0206; /* no payload fields before 2.08 */
	assert_int_equal(linux_unpack(&bz, &elf), -1);
	free(bz.data);
	/* An ELF is not a bzImage to unpack; a gzip-looking payload is left alone. */
	bz = (struct kernel_image){ .path = "elf", .data = (uint8_t *)im, .size = sizeof(*im) };
	assert_int_equal(linux_unpack(&bz, &elf), -1);
	free(im);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_boot_params),
		cmocka_unit_test(test_too_small_and_too_long),
		cmocka_unit_test(test_old_protocol_loads_at_1m),
		cmocka_unit_test(test_read_kernel_errors),
		cmocka_unit_test(test_pvh_check),
		cmocka_unit_test(test_pvh_load),
		cmocka_unit_test(test_unpack),
	};

	return cmocka_run_group_tests_name("linux boot", tests, NULL, NULL);
}
