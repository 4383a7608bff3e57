// SPDX-License-Identifier: GPL-2.0
/*
 * emul/: any instruction bytes in any vCPU state, over page tables the
 * input partly controls, must end in one of the three results, never a
 * crash, a read outside the given bytes or outside guest RAM.
 *
 * The input is read as: the mode and control bits, the registers, the
 * segment bases, the attributes of the 16 identity-mapped pages, up to
 * eight 8-byte patches anywhere in RAM (page-table entries included), the
 * instruction length and bytes; whatever follows fills the data pages.
 * Past the end of the input everything reads as zero.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <asm/processor-flags.h>

#include "emul/emul.h"

#define RAM_SIZE 0x10000
#define EFER_LME (1ull << 8) /* <asm/msr-index.h> is not a UAPI header */
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* Page-table layout, as in tests/unit/test_emul.c. */
#define PML4	 0x1000
#define PDPT	 0x2000
#define PD	 0x3000
#define PT	 0x4000
#define PML5	 0x5000
#define PAE_PDPT 0x6000
#define PAE_PD	 0x7000
#define PD32	 0x8000
#define PT32	 0x9000
#define DATA	 0xa000 /* the input's tail lands here */

#define PG_P  1ull
#define PG_RW 2ull
#define PG_US 4ull
#define PG_PS 0x80ull
#define PG_NX (1ull << 63)

static uint8_t *ram;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	return 0;
}

static void *ram_ptr(void *ctx, uint64_t gpa, size_t len)
{
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return NULL;
	return ram + gpa;
}

/* The input, read front to back; zeros past its end. */
struct reader {
	const uint8_t *d;
	size_t n, pos;
};

static uint64_t get(struct reader *r, unsigned int bytes)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < bytes; i++, r->pos++)
		if (r->pos < r->n)
			v |= (uint64_t)r->d[r->pos] << (8 * i);
	return v;
}

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(ram + gpa, &v, 4);
}

/* Every paging mode's tables; the 16 pages' PTE flags come from the input. */
static void build_tables(struct reader *r)
{
	memset(ram, 0, RAM_SIZE);
	put64(PML5, PML4 | PG_P | PG_RW | PG_US);
	put64(PML4, PDPT | PG_P | PG_RW | PG_US);
	put64(PML4 + 8, PG_PS | PG_P);
	put64(PDPT, PD | PG_P | PG_RW | PG_US);
	put64(PDPT + 8, PG_PS | PG_P | PG_RW);
	put64(PD, PT | PG_P | PG_RW | PG_US);
	put64(PD + 8, PG_PS | PG_P | PG_RW | PG_US);
	put64(PD + 16, 0x100000 | PG_P | PG_RW); /* a table outside RAM */
	put64(PAE_PDPT, PAE_PD | PG_P);
	put64(PAE_PD, PT | PG_P | PG_RW | PG_US);
	put64(PAE_PD + 8, PG_PS | PG_P | PG_RW);
	put32(PD32, PT32 | PG_P | PG_RW | PG_US);
	put32(PD32 + 4, PG_PS | PG_P | PG_RW);
	for (uint64_t page = 0; page < RAM_SIZE / 4096; page++) {
		uint64_t f = get(r, 1), e = page << 12 | (f & 0x7f);

		if (f & 0x80)
			e |= PG_NX;
		put64(PT + page * 8, e);
		put32(PT32 + page * 4, (uint32_t)e);
	}
}

static void set_mode(struct emul_cpu *cpu, unsigned int mode)
{
	cpu->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	switch (mode % 6) {
	case 0:
	case 1:
		cpu->cr4 = X86_CR4_PAE | (mode % 6 == 1 ? X86_CR4_LA57 : 0);
		cpu->efer = EFER_LME | EFER_LMA;
		cpu->cs_l = true;
		cpu->cr3 = mode % 6 == 1 ? PML5 : PML4;
		break;
	case 2:
		cpu->cr4 = X86_CR4_PAE;
		cpu->cs_db = true;
		cpu->cr3 = PAE_PDPT;
		break;
	case 3:
		cpu->cr4 = X86_CR4_PSE;
		cpu->cs_db = true;
		cpu->cr3 = PD32;
		break;
	case 4:
		cpu->cr0 &= ~X86_CR0_PG;
		cpu->cs_db = true;
		break;
	default: cpu->cr0 &= ~X86_CR0_PG; break;
	}
	/* Odd modes past 6: CS.L without EFER.LMA, CS.D in long mode, and so on. */
	if (mode >= 6) {
		cpu->cs_l = mode & 8;
		cpu->cs_db = mode & 16;
	}
}

/* The vCPU state: mode, control bits, registers, segment bases. */
static void read_cpu(struct reader *r, struct emul_cpu *cpu)
{
	uint64_t ctl;

	memset(cpu, 0, sizeof(*cpu));
	set_mode(cpu, get(r, 1));
	ctl = get(r, 4);
	cpu->cpl = ctl & 3;
	cpu->cr0 ^= ctl & (X86_CR0_TS | X86_CR0_EM | X86_CR0_MP | X86_CR0_NE | X86_CR0_WP);
	if (ctl & (1u << 20))
		cpu->cr4 |= X86_CR4_SMEP;
	if (ctl & (1u << 21))
		cpu->cr4 |= X86_CR4_SMAP;
	if (ctl & (1u << 9))
		cpu->cr4 |= X86_CR4_OSFXSR;
	if (ctl & (1u << 16))
		cpu->cr4 |= X86_CR4_FSGSBASE;
	if (ctl & (1u << 11))
		cpu->efer |= EFER_NXE;
	cpu->rflags = X86_EFLAGS_FIXED | (ctl & (X86_EFLAGS_AC | 0xfd5));
	cpu->fsw = (ctl >> 24) & 0x80;
	cpu->mxcsr = 0x1f80;
	cpu->mxcsr_mask = (ctl & (1u << 30)) ? 0xffff : 0;
	/* Registers: small values address RAM; a flag byte makes some of them full 64-bit. */
	for (int i = 0; i < 16; i++)
		cpu->gpr[i] = get(r, 2);
	for (uint64_t wide = get(r, 2), i = 0; i < 16; i++)
		if (wide & (1u << i))
			cpu->gpr[i] = cpu->gpr[i] * 0x9e3779b97f4a7c15ull;
	for (int s = 0; s < EMUL_NSEG; s++)
		cpu->seg_base[s] = get(r, 2);
	cpu->rip = get(r, 2);
	for (int i = 0; i < 16; i++)
		for (int k = 0; k < 16; k++)
			cpu->xmm[i][k] = i * 16 + k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size, 0 };
	struct emul_mem mem = { ram_ptr, NULL };
	uint8_t insn_bytes[EMUL_MAX_INSN + 1], fetched[EMUL_MAX_INSN], *b;
	struct emul_exception exc;
	struct emul_insn insn;
	struct emul_cpu cpu;
	unsigned int dirty;
	enum emul_result res;
	char name[96];
	size_t len;
	uint64_t gpa;

	read_cpu(&r, &cpu);
	build_tables(&r);
	for (int i = 0; i < 8; i++) {
		uint64_t off = get(&r, 2) & (RAM_SIZE - 8), v = get(&r, 8);

		if (off)
			put64(off, v);
	}
	len = get(&r, 1) % (EMUL_MAX_INSN + 2); /* 16: more than an instruction may be */
	for (size_t i = 0; i < len; i++)
		insn_bytes[i] = get(&r, 1);
	if (r.pos < size)
		memcpy(ram + DATA, data + r.pos,
		       size - r.pos < RAM_SIZE - DATA ? size - r.pos : RAM_SIZE - DATA);

	/* Exactly len bytes on the heap: ASan sees any read past them. */
	b = malloc(len ? len : 1);
	memcpy(b, insn_bytes, len);
	if (emul_decode(&cpu, b, len, &insn) == 0) {
		if (insn.len > len || insn.len > EMUL_MAX_INSN)
			abort();
		emul_name(&insn, name, sizeof(name));
	}
	res = emul_execute(&cpu, &mem, b, len, &exc, &dirty);
	if (res != EMUL_DONE && res != EMUL_EXCEPTION && res != EMUL_UNHANDLED)
		abort();
	free(b);

	if (emul_fetch(&cpu, &mem, fetched, sizeof(fetched), &exc) > sizeof(fetched))
		abort();
	emul_walk(&cpu, &mem, cpu.gpr[0], cpu.gpr[1] & 7, &gpa, &exc);
	return 0;
}
