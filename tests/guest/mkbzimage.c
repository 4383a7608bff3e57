// SPDX-License-Identifier: GPL-2.0
/*
 * mkbzimage: turn a kit ELF into a Linux boot-protocol image (bzImage).
 *
 * The ELF has two kinds of PT_LOAD segments: the real-mode setup, linked
 * at 0 (it becomes the setup sectors), and the protected-mode part, linked
 * at code32_start (it follows the setup in the file). The setup header is
 * filled here through struct setup_header from <asm/bootparam.h>, so the
 * offsets are the UAPI's and not retyped. This is a host program.
 *
 * usage: mkbzimage IN.elf OUT.bzImage
 */
#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/bootparam.h>

#include "kit_defs.h"

#define SECTOR	     512
#define HDR_OFFSET   0x1f1
#define HDR_END	     (HDR_OFFSET + sizeof(struct setup_header))
#define SETUP_MAX    0x8000 /* what a loader may assume (boot.rst) */
#define CMDLINE_SIZE 4095   /* kit.h: KIT_CMDLINE_MAX - 1 */

_Static_assert(offsetof(struct boot_params, hdr) == HDR_OFFSET, "setup header is at 0x1f1");
_Static_assert(HDR_OFFSET + offsetof(struct setup_header, jump) == 0x200, "the jump is at 0x200");
_Static_assert(HDR_END <= KIT_SETUP_CODE, "setup code overlaps the header");

struct image {
	uint8_t setup[SETUP_MAX];
	size_t setup_len;
	uint8_t *kernel; /* file bytes from KIT_LOAD_ADDR */
	size_t kernel_len;
	uint64_t mem_end; /* highest p_paddr + p_memsz */
};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "mkbzimage: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		die("%s: cannot open", path);
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		die("%s: cannot size", path);
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n)
		die("%s: cannot read", path);
	fclose(f);
	*len = n;
	return buf;
}

/* Copy one PT_LOAD segment into the setup or the kernel part. */
static void place_segment(struct image *img, const uint8_t *elf, size_t elf_len,
			  const Elf64_Phdr *ph)
{
	uint64_t end = ph->p_paddr + ph->p_memsz;

	if (ph->p_offset > elf_len || ph->p_filesz > elf_len - ph->p_offset ||
	    ph->p_filesz > ph->p_memsz)
		die("%s", "segment outside the file");
	if (ph->p_paddr < KIT_LOAD_ADDR) {
		if (end > SETUP_MAX)
			die("%s", "setup segment too large");
		memcpy(img->setup + ph->p_paddr, elf + ph->p_offset, ph->p_filesz);
		if (end > img->setup_len)
			img->setup_len = end;
		return;
	}
	if (end > img->mem_end)
		img->mem_end = end;
	if (!ph->p_filesz)
		return;
	end = ph->p_paddr - KIT_LOAD_ADDR + ph->p_filesz;
	if (end > img->kernel_len) {
		img->kernel = realloc(img->kernel, end);
		if (!img->kernel)
			die("%s", "out of memory");
		memset(img->kernel + img->kernel_len, 0, end - img->kernel_len);
		img->kernel_len = end;
	}
	memcpy(img->kernel + ph->p_paddr - KIT_LOAD_ADDR, elf + ph->p_offset, ph->p_filesz);
}

static void load_elf(struct image *img, const char *path)
{
	size_t len;
	uint8_t *elf = read_file(path, &len);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
	int i;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		die("%s: not an x86-64 ELF", path);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > len ||
	    (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		die("%s: bad program headers", path);
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff) + i;

		if (ph->p_type == PT_LOAD && ph->p_memsz)
			place_segment(img, elf, len, ph);
	}
	free(elf);
	if (img->setup_len < KIT_SETUP_CODE || !img->kernel_len)
		die("%s: no setup or no protected-mode part", path);
}

/* The header area must be ours to fill: zero, except the jump over it. */
static void check_setup(const struct image *img)
{
	const uint8_t *s = img->setup;
	size_t i;

	for (i = HDR_OFFSET; i < HDR_END; i++)
		if (s[i] && i != 0x200 && i != 0x201)
			die("%s", "setup bytes inside the header area");
	if (s[0x200] != 0xeb || 0x202 + (size_t)(int8_t)s[0x201] < HDR_END)
		die("%s", "setup must start with a short jump past the header");
}

/* syssize counts 16-byte paragraphs: make the file hold all of them. */
static void pad_kernel(struct image *img)
{
	size_t len = (img->kernel_len + 15) & ~(size_t)15;

	img->kernel = realloc(img->kernel, len);
	if (!img->kernel)
		die("%s", "out of memory");
	memset(img->kernel + img->kernel_len, 0, len - img->kernel_len);
	img->kernel_len = len;
}

static void fill_header(struct image *img, size_t setup_sects)
{
	struct setup_header *hdr = (struct setup_header *)(img->setup + HDR_OFFSET);
	uint64_t init_size = (img->mem_end - KIT_LOAD_ADDR + 4095) & ~4095ULL;

	hdr->setup_sects = setup_sects;
	hdr->syssize = img->kernel_len / 16;
	hdr->vid_mode = 0xffff; /* "normal" */
	hdr->boot_flag = 0xaa55;
	hdr->header = 0x53726448; /* "HdrS" */
	hdr->version = 0x020f;	  /* 2.15 */
	hdr->loadflags = LOADED_HIGH;
	hdr->code32_start = KIT_LOAD_ADDR;
	hdr->initrd_addr_max = 0x7fffffff;
	hdr->kernel_alignment = KIT_LOAD_ADDR;
	hdr->relocatable_kernel = 0;
	hdr->min_alignment = 20;	 /* log2(KIT_LOAD_ADDR) */
	hdr->xloadflags = XLF_KERNEL_64; /* 64-bit entry at +0x200 */
	hdr->cmdline_size = CMDLINE_SIZE;
	hdr->pref_address = KIT_LOAD_ADDR;
	hdr->init_size = init_size;
}

static void write_image(const struct image *img, size_t setup_len, const char *path)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		die("%s: cannot create", path);
	if (fwrite(img->setup, 1, setup_len, f) != setup_len ||
	    fwrite(img->kernel, 1, img->kernel_len, f) != img->kernel_len || fclose(f))
		die("%s: write failed", path);
}

int main(int argc, char **argv)
{
	static struct image img;
	size_t setup_len;

	if (argc != 3) {
		fprintf(stderr, "usage: mkbzimage IN.elf OUT.bzImage\n");
		return 2;
	}
	load_elf(&img, argv[1]);
	check_setup(&img);
	pad_kernel(&img);
	setup_len = (img.setup_len + SECTOR - 1) / SECTOR * SECTOR;
	fill_header(&img, setup_len / SECTOR - 1);
	write_image(&img, setup_len, argv[2]);
	free(img.kernel);
	return 0;
}
