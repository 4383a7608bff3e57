// SPDX-License-Identifier: GPL-2.0
/*
 * emul/: the decoder, the page walker and the instructions, from tables of
 * bytes and states. A 128 KiB fake guest RAM holds hand-built page tables
 * for every paging mode (4- and 5-level, PAE, 32-bit) and identity-maps
 * its own pages, with a few pages given special attributes (read-only,
 * user, not present, NX, remapped, outside RAM). Each execution case gives
 * the bytes, the registers and memory before, and the registers, memory or
 * exception after; everything a case does not mention must stay as it was.
 * Instruction bytes are copied to a buffer of their exact size, so ASan
 * catches a decoder that reads past the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include <asm/processor-flags.h>

#include "emul/emul.h"

/* <asm/msr-index.h> is not a UAPI header. */
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* Paging-structure entry bits. */
#define P  0x001ull
#define RW 0x002ull
#define US 0x004ull
#define A  0x020ull
#define D  0x040ull
#define PS 0x080ull
#define NX (1ull << 63)

/* #PF error code bits. */
#define PF_P	1u
#define PF_W	2u
#define PF_U	4u
#define PF_RSVD 8u
#define PF_ID	16u

/* The fake RAM: page tables low, then the pages instructions use. */
#define RAM_SIZE 0x20000
#define PML4	 0x1000
#define PDPT	 0x2000
#define PD	 0x3000
#define PT	 0x4000 /* shared by 4-/5-level and PAE */
#define PML5	 0x5000
#define PAE_PDPT 0x6000
#define PAE_PD	 0x7000
#define PD32	 0x8000
#define PT32	 0x9000
#define CODE	 0x10000 /* RIP of every case */
#define DATA	 0x11000
#define DATA2	 0x12000
#define RO	 0x13000 /* read-only */
#define USER	 0x14000 /* user page */
#define NOTP	 0x15000 /* not present */
#define NXPG	 0x16000 /* NX */
#define REMAP	 0x17000 /* maps to REMAP_PA: not contiguous with the next page */
#define AFTER	 0x18000
#define REMAP_PA 0x19000
#define HIBIT	 0x1a000 /* PTE bit 52 set: ignored in long mode, reserved with PAE */
#define MMIO	 0x1b000 /* maps to a guest-physical address outside RAM */
#define MMIO_PA	 0x200000

#define LA_2M	    0x200000ull	       /* PD[1]: 2 MiB page at 0 */
#define LA_2M_BAD   0x400000ull	       /* PD[2]: 2 MiB page with reserved bit 13 */
#define LA_PT_HOLE  0x600000ull	       /* PD[3]: page table outside RAM */
#define LA_1G	    0x40000000ull      /* PDPT[1]: 1 GiB page at 0 */
#define LA_PML4_PS  0x8000000000ull    /* PML4[1]: PS set (reserved) */
#define LA_HIGH	    0xffff800000000000 /* PML4[256]: the upper half */
#define LA_4M	    0x400000ull	       /* 32-bit PD[1]: 4 MiB page at 0 */
#define LA_4M_BAD   0x800000ull	       /* 32-bit PD[2]: bit 21 set */
#define NONCANON    0x0000800000000000ull
#define DATA_REGION CODE /* from here to the end of RAM: compared after each case */

static uint8_t *ram;

static void *ram_ptr(void *ctx, uint64_t gpa, size_t len)
{
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return NULL;
	return ram + gpa;
}

static const struct emul_mem mem = { ram_ptr, NULL };

static void put64(uint64_t gpa, uint64_t v)
{
	memcpy(ram + gpa, &v, 8);
}

static void put32(uint64_t gpa, uint32_t v)
{
	memcpy(ram + gpa, &v, 4);
}

static uint64_t pte_for(uint64_t la)
{
	uint64_t pa = la, f = P | RW;

	switch (la) {
	case RO: f = P; break;
	case USER: f |= US; break;
	case NOTP: return 0;
	case NXPG: f |= NX; break;
	case REMAP: pa = REMAP_PA; break;
	case HIBIT: f |= 1ull << 52; break;
	case MMIO: pa = MMIO_PA; break;
	}
	return pa | f;
}

static void build_tables(void)
{
	memset(ram, 0, RAM_SIZE);
	put64(PML5, PML4 | P | RW | US);
	put64(PML4, PDPT | P | RW | US);
	put64(PML4 + 8, PS | P | RW | US);
	put64(PML4 + 256 * 8, PDPT | P | RW | US);
	/* The last page below the non-canonical hole, for accesses running into it. */
	put64(PML4 + 255 * 8, PDPT | P | RW | US);
	put64(PDPT + 511 * 8, PD | P | RW | US);
	put64(PD + 511 * 8, PT | P | RW | US);
	put64(PT + 511 * 8, 0x1f000 | P | RW);
	put64(PDPT, PD | P | RW | US);
	put64(PDPT + 8, PS | P | RW | US);
	put64(PD, PT | P | RW | US);
	put64(PD + 8, PS | P | RW | US);
	put64(PD + 16, 1ull << 13 | PS | P | RW | US);
	put64(PD + 24, 0x300000 | P | RW | US);
	put64(PAE_PDPT, PAE_PD | P);
	put64(PAE_PDPT + 8, PAE_PD | P | RW); /* R/W is reserved in a PDPTE */
	put64(PAE_PD, PT | P | RW | US);
	put64(PAE_PD + 8, PS | P | RW | US);
	put32(PD32, PT32 | P | RW | US);
	put32(PD32 + 4, PS | P | RW | US);
	put32(PD32 + 8, 1u << 21 | PS | P | RW | US);
	for (uint64_t page = 0; page < RAM_SIZE / 4096; page++) {
		uint64_t e = pte_for(page << 12);

		put64(PT + page * 8, e);
		put32(PT32 + page * 4, (uint32_t)e);
	}
}

enum tmode {
	T64,   /* long mode, 4-level paging, NXE */
	T57,   /* long mode, 5-level paging */
	TPAE,  /* 32-bit code, PAE paging, NXE */
	T32,   /* 32-bit code, 2-level paging, PSE */
	TFLAT, /* 32-bit code, no paging */
	T16,   /* 16-bit code, no paging */
};

static void cpu_init(struct emul_cpu *cpu, enum tmode m)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->rip = CODE;
	cpu->rflags = X86_EFLAGS_FIXED;
	cpu->mxcsr = 0x1f80;
	cpu->fcw = 0x37f;
	cpu->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	cpu->cr4 = X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	for (int r = 0; r < 16; r++)
		for (int k = 0; k < 16; k++)
			cpu->xmm[r][k] = r << 4 | k;
	switch (m) {
	case T64:
	case T57:
		cpu->cr4 |= X86_CR4_PAE | X86_CR4_FSGSBASE | (m == T57 ? X86_CR4_LA57 : 0);
		cpu->efer = EFER_LME | EFER_LMA | EFER_NXE;
		cpu->cs_l = true;
		cpu->cr3 = m == T57 ? PML5 : PML4;
		break;
	case TPAE:
		cpu->cr4 |= X86_CR4_PAE;
		cpu->efer = EFER_NXE;
		cpu->cs_db = true;
		cpu->cr3 = PAE_PDPT;
		break;
	case T32:
		cpu->cr4 |= X86_CR4_PSE;
		cpu->cs_db = true;
		cpu->cr3 = PD32;
		break;
	case TFLAT:
		cpu->cr0 &= ~X86_CR0_PG;
		cpu->cs_db = true;
		break;
	case T16: cpu->cr0 &= ~X86_CR0_PG; break;
	}
}

/* xorshift64*: the random tests are reproducible. */
static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* ---- execution cases ---- */

struct mem_bytes {
	uint64_t gpa;
	uint8_t len; /* 0: unused */
	uint8_t b[16];
};

struct xmm_val {
	uint8_t reg1; /* register + 1; 0: unused */
	uint8_t v[16];
};

struct exec_case {
	const char *name;
	enum tmode mode;
	uint8_t bytes[16];
	uint8_t len;
	/* the state before (on top of cpu_init()) */
	uint64_t gpr[16];
	uint64_t flags; /* or-ed into RFLAGS */
	uint64_t cr0_set, cr0_clr, cr4_set, cr4_clr, efer_clr;
	uint8_t cpl;
	uint64_t seg[EMUL_NSEG];
	uint32_t mxcsr, mxcsr_mask; /* mxcsr 0: 0x1f80 */
	uint16_t fsw;
	struct mem_bytes mem[3];
	struct xmm_val xmm[2];
	/* what is expected */
	enum emul_result result;
	uint8_t vector;
	bool has_ec, trap;
	uint32_t ec;
	uint64_t cr2;
	uint16_t check; /* GPRs compared with out[]; the others must not change */
	uint64_t out[16];
	uint64_t ignore[16];		/* bits of out[] not compared (random values) */
	uint64_t flags_mask, flags_out; /* RFLAGS bits that may change, and their values */
	unsigned int dirty;
	struct mem_bytes mem_out[3];
	struct xmm_val xmm_out[2];
	bool check_mxcsr, check_seg;
	uint32_t mxcsr_out;
	uint64_t seg_out[EMUL_NSEG];
};

#define BYTES(...) .bytes = { __VA_ARGS__ }, .len = sizeof((uint8_t[]){ __VA_ARGS__ })
#define MEMB(a, ...)                                                                        \
	{                                                                                   \
		.gpa = (a), .len = sizeof((uint8_t[]){ __VA_ARGS__ }), .b = { __VA_ARGS__ } \
	}
#define XMMV(r, ...)                                  \
	{                                             \
		.reg1 = (r) + 1, .v = { __VA_ARGS__ } \
	}
#define LE16(v)	 (uint8_t)(v), (uint8_t)((v) >> 8)
#define LE32(v)	 LE16(v), LE16((v) >> 16)
#define LE64(v)	 LE32(v), LE32((uint64_t)(v) >> 32)
#define R(x)	 (1u << EMUL_##x)
#define EXC(v)	 .result = EMUL_EXCEPTION, .vector = (v)
#define GP0	 EXC(13), .has_ec = true, .ec = 0
#define UD	 EXC(6)
#define PF(e, a) EXC(14), .has_ec = true, .ec = (e), .cr2 = (a)
#define UNH	 .result = EMUL_UNHANDLED
#define ARITH                                                                            \
	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF | X86_EFLAGS_SF | \
	 X86_EFLAGS_OF)
#define FPU EMUL_DIRTY_FPU
#define GPR EMUL_DIRTY_GPR
/* The fixed xmm pattern of cpu_init(): byte k of xmm r is r << 4 | k. */
#define XPAT(r)                                                                             \
	(r) << 4 | 0, (r) << 4 | 1, (r) << 4 | 2, (r) << 4 | 3, (r) << 4 | 4, (r) << 4 | 5, \
		(r) << 4 | 6, (r) << 4 | 7, (r) << 4 | 8, (r) << 4 | 9, (r) << 4 | 10,      \
		(r) << 4 | 11, (r) << 4 | 12, (r) << 4 | 13, (r) << 4 | 14, (r) << 4 | 15
#define XLOW(r)                                                                             \
	(r) << 4 | 0, (r) << 4 | 1, (r) << 4 | 2, (r) << 4 | 3, (r) << 4 | 4, (r) << 4 | 5, \
		(r) << 4 | 6, (r) << 4 | 7
#define SEQ16 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15

#define FAIL(t, ...)                                        \
	do {                                                \
		print_message("case \"%s\":\n", (t)->name); \
		fail_msg(__VA_ARGS__);                      \
	} while (0)

static void setup_cpu(struct emul_cpu *cpu, const struct exec_case *t)
{
	cpu_init(cpu, t->mode);
	memcpy(cpu->gpr, t->gpr, sizeof(cpu->gpr));
	cpu->rflags |= t->flags;
	cpu->cr0 = (cpu->cr0 | t->cr0_set) & ~t->cr0_clr;
	cpu->cr4 = (cpu->cr4 | t->cr4_set) & ~t->cr4_clr;
	cpu->efer &= ~t->efer_clr;
	cpu->cpl = t->cpl;
	memcpy(cpu->seg_base, t->seg, sizeof(cpu->seg_base));
	if (t->mxcsr)
		cpu->mxcsr = t->mxcsr;
	cpu->mxcsr_mask = t->mxcsr_mask;
	cpu->fsw = t->fsw;
	for (int i = 0; i < 2; i++)
		if (t->xmm[i].reg1)
			memcpy(cpu->xmm[t->xmm[i].reg1 - 1], t->xmm[i].v, 16);
}

/* The state the case expects: the state before with what it lists applied. */
static void expected_cpu(const struct exec_case *t, const struct emul_cpu *before,
			 struct emul_cpu *want)
{
	*want = *before;
	if (t->result == EMUL_UNHANDLED)
		return;
	if (t->result == EMUL_EXCEPTION) {
		if (t->trap)
			want->rip += t->len;
		return;
	}
	want->rip += t->len;
	for (int r = 0; r < 16; r++)
		if (t->check & (1u << r))
			want->gpr[r] = t->out[r];
	want->rflags = (before->rflags & ~t->flags_mask) | t->flags_out;
	if (t->check_mxcsr)
		want->mxcsr = t->mxcsr_out;
	if (t->check_seg)
		memcpy(want->seg_base, t->seg_out, sizeof(want->seg_base));
	for (int i = 0; i < 2; i++)
		if (t->xmm_out[i].reg1)
			memcpy(want->xmm[t->xmm_out[i].reg1 - 1], t->xmm_out[i].v, 16);
}

static void compare_cpu(const struct exec_case *t, const struct emul_cpu *got,
			const struct emul_cpu *want)
{
	for (int r = 0; r < 16; r++)
		if ((got->gpr[r] ^ want->gpr[r]) & ~t->ignore[r])
			FAIL(t, "gpr[%d] = %#llx, want %#llx", r, (unsigned long long)got->gpr[r],
			     (unsigned long long)want->gpr[r]);
	if (got->rip != want->rip)
		FAIL(t, "rip = %#llx, want %#llx", (unsigned long long)got->rip,
		     (unsigned long long)want->rip);
	if (got->rflags != want->rflags)
		FAIL(t, "rflags = %#llx, want %#llx", (unsigned long long)got->rflags,
		     (unsigned long long)want->rflags);
	if (got->mxcsr != want->mxcsr)
		FAIL(t, "mxcsr = %#x, want %#x", got->mxcsr, want->mxcsr);
	if (memcmp(got->seg_base, want->seg_base, sizeof(got->seg_base)))
		FAIL(t, "segment bases changed (fs %#llx gs %#llx)",
		     (unsigned long long)got->seg_base[EMUL_FS],
		     (unsigned long long)got->seg_base[EMUL_GS]);
	for (int r = 0; r < 16; r++)
		if (memcmp(got->xmm[r], want->xmm[r], 16))
			FAIL(t, "xmm%d = %02x %02x .. %02x, want %02x %02x .. %02x", r,
			     got->xmm[r][0], got->xmm[r][1], got->xmm[r][15], want->xmm[r][0],
			     want->xmm[r][1], want->xmm[r][15]);
	if (got->cr0 != want->cr0 || got->cr2 != want->cr2 || got->cr3 != want->cr3 ||
	    got->cr4 != want->cr4 || got->efer != want->efer || got->cpl != want->cpl ||
	    got->fsw != want->fsw || got->fcw != want->fcw || got->mxcsr_mask != want->mxcsr_mask)
		FAIL(t, "control state changed");
}

static void check_exception(const struct exec_case *t, const struct emul_exception *exc)
{
	if (exc->vector != t->vector)
		FAIL(t, "vector %u, want %u", exc->vector, t->vector);
	if (exc->has_error_code != t->has_ec)
		FAIL(t, "has_error_code %d, want %d", exc->has_error_code, t->has_ec);
	if (t->has_ec && exc->error_code != t->ec)
		FAIL(t, "error code %#x, want %#x", exc->error_code, t->ec);
	if (t->vector == 14 && exc->cr2 != t->cr2)
		FAIL(t, "cr2 %#llx, want %#llx", (unsigned long long)exc->cr2,
		     (unsigned long long)t->cr2);
}

/* Guest memory after: the data pages as before but for mem_out[], and mem_out[] anywhere. */
static void check_memory(const struct exec_case *t, uint8_t *snap)
{
	for (int i = 0; i < 3; i++) {
		const struct mem_bytes *m = &t->mem_out[i];

		if (!m->len)
			continue;
		if (memcmp(ram + m->gpa, m->b, m->len))
			FAIL(t, "memory at %#llx: %02x %02x .., want %02x %02x ..",
			     (unsigned long long)m->gpa, ram[m->gpa], ram[m->gpa + 1], m->b[0],
			     m->b[1]);
		if (m->gpa >= DATA_REGION && t->result == EMUL_DONE)
			memcpy(snap + m->gpa - DATA_REGION, m->b, m->len);
	}
	for (size_t off = 0; off < RAM_SIZE - DATA_REGION; off++)
		if (snap[off] != ram[DATA_REGION + off])
			FAIL(t, "memory at %#zx changed to %02x (was %02x)", DATA_REGION + off,
			     ram[DATA_REGION + off], snap[off]);
}

static void run_exec_case(const struct exec_case *t)
{
	uint8_t *snap = malloc(RAM_SIZE - DATA_REGION), *bytes = malloc(t->len);
	struct emul_cpu cpu, before, want;
	struct emul_exception exc;
	unsigned int dirty = 0xdead;
	enum emul_result r;

	build_tables();
	for (int i = 0; i < 3; i++)
		if (t->mem[i].len)
			memcpy(ram + t->mem[i].gpa, t->mem[i].b, t->mem[i].len);
	setup_cpu(&cpu, t);
	before = cpu;
	memcpy(snap, ram + DATA_REGION, RAM_SIZE - DATA_REGION);
	memcpy(bytes, t->bytes, t->len);
	memset(&exc, 0xcc, sizeof(exc));
	r = emul_execute(&cpu, &mem, bytes, t->len, &exc, &dirty);
	if (r != t->result)
		FAIL(t, "result %d, want %d (vector %u, error code %#x)", r, t->result, exc.vector,
		     exc.error_code);
	if (r == EMUL_EXCEPTION)
		check_exception(t, &exc);
	if (r == EMUL_DONE && dirty != t->dirty)
		FAIL(t, "dirty %#x, want %#x", dirty, t->dirty);
	expected_cpu(t, &before, &want);
	compare_cpu(t, &cpu, &want);
	check_memory(t, snap);
	free(snap);
	free(bytes);
}

static void run_exec_table(const struct exec_case *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_exec_case(&t[i]);
}

#define RUN(table) run_exec_table(table, sizeof(table) / sizeof(table[0]))

static const struct exec_case traps[] = {
	{ "int3", T64, BYTES(0xcc), EXC(3), .trap = true },
	{ "int3 in 16-bit code", T16, BYTES(0xcc), EXC(3), .trap = true },
	{ "int1", T64, BYTES(0xf1), EXC(1), .trap = true },
	{ "int 0x80 is left to the caller", T64, BYTES(0xcd, 0x80), UNH },
	{ "into in 64-bit mode", T64, BYTES(0xce), UD },
	{ "into with OF", T32, BYTES(0xce), .flags = X86_EFLAGS_OF, EXC(4), .trap = true },
	{ "into without OF", T32, BYTES(0xce) },
	{ "fwait", T64, BYTES(0x9b) },
	{ "fwait with TS and MP", T64, BYTES(0x9b), .cr0_set = X86_CR0_TS, EXC(7) },
	{ "fwait with TS, no MP", T64, BYTES(0x9b), .cr0_set = X86_CR0_TS, .cr0_clr = X86_CR0_MP },
	{ "fwait with a pending x87 error", T64, BYTES(0x9b), .fsw = 0x80, EXC(16) },
	{ "fwait, x87 error, CR0.NE clear", T64, BYTES(0x9b), .fsw = 0x80, .cr0_clr = X86_CR0_NE },
	{ "fwait, TS+MP before the x87 error", T64, BYTES(0x9b), .fsw = 0x80, .cr0_set = X86_CR0_TS,
	  EXC(7) },
	{ "clac", T64, BYTES(0x0f, 0x01, 0xca), .flags = X86_EFLAGS_AC, .flags_mask = X86_EFLAGS_AC,
	  .dirty = GPR },
	{ "stac", T64, BYTES(0x0f, 0x01, 0xcb), .flags_mask = X86_EFLAGS_AC,
	  .flags_out = X86_EFLAGS_AC, .dirty = GPR },
	{ "clac at CPL 3", T64, BYTES(0x0f, 0x01, 0xca), .cpl = 3, UD },
	{ "stac at CPL 1", T32, BYTES(0x0f, 0x01, 0xcb), .cpl = 1, UD },
	{ "ud2", T64, BYTES(0x0f, 0x0b), UD },
	{ "an unhandled instruction (nop)", T64, BYTES(0x90), UNH },
	{ "an unhandled one with memory (mov)", T64, BYTES(0x89, 0x07), .gpr[EMUL_RDI] = DATA,
	  UNH },
	{ "vex is decoded only", T64, BYTES(0xc5, 0xf9, 0x6f, 0xc1), UNH },
};

static void test_traps_fwait_clac(void **state)
{
	RUN(traps);
}

static const struct exec_case mxcsr[] = {
	{ "ldmxcsr 4(%rsp)", T64, BYTES(0x0f, 0xae, 0x54, 0x24, 0x04), .gpr[EMUL_RSP] = DATA,
	  .mem = { MEMB(DATA + 4, LE32(0x9f80)) }, .check_mxcsr = true, .mxcsr_out = 0x9f80,
	  .dirty = FPU },
	{ "ldmxcsr DAZ with the default mask", T64, BYTES(0x0f, 0xae, 0x10), .gpr[EMUL_RAX] = DATA,
	  .mem = { MEMB(DATA, LE32(0x1fc0)) }, GP0 },
	{ "ldmxcsr DAZ with a mask allowing it", T64, BYTES(0x0f, 0xae, 0x10),
	  .gpr[EMUL_RAX] = DATA, .mxcsr_mask = 0xffff, .mem = { MEMB(DATA, LE32(0x1fc0)) },
	  .check_mxcsr = true, .mxcsr_out = 0x1fc0, .dirty = FPU },
	{ "ldmxcsr reserved bit 16", T64, BYTES(0x0f, 0xae, 0x10), .gpr[EMUL_RAX] = DATA,
	  .mem = { MEMB(DATA, LE32(0x11f80)) }, GP0 },
	{ "ldmxcsr with CR0.TS", T64, BYTES(0x0f, 0xae, 0x10), .gpr[EMUL_RAX] = DATA,
	  .cr0_set = X86_CR0_TS, EXC(7) },
	{ "ldmxcsr with CR0.EM", T64, BYTES(0x0f, 0xae, 0x10), .gpr[EMUL_RAX] = DATA,
	  .cr0_set = X86_CR0_EM | X86_CR0_TS, UD },
	{ "ldmxcsr without OSFXSR", T64, BYTES(0x0f, 0xae, 0x10), .gpr[EMUL_RAX] = DATA,
	  .cr4_clr = X86_CR4_OSFXSR, UD },
	{ "ldmxcsr not present", T64, BYTES(0x0f, 0xae, 0x10), .gpr[EMUL_RAX] = NOTP + 0x40,
	  PF(0, NOTP + 0x40) },
	{ "ldmxcsr rip-relative", T64, BYTES(0x0f, 0xae, 0x15, LE32(DATA - CODE - 7)),
	  .mem = { MEMB(DATA, LE32(0x1f00)) }, .check_mxcsr = true, .mxcsr_out = 0x1f00,
	  .dirty = FPU },
	{ "ldmxcsr rip-relative, negative", T64, BYTES(0x0f, 0xae, 0x15, LE32(-7 - 0x10)),
	  .mem = { MEMB(CODE - 0x10, LE32(0x1f01)) }, .check_mxcsr = true, .mxcsr_out = 0x1f01,
	  .dirty = FPU },
	{ "ldmxcsr 0x10(%rbx,%rcx,4)", T64, BYTES(0x0f, 0xae, 0x54, 0x8b, 0x10),
	  .gpr = { [EMUL_RBX] = DATA, [EMUL_RCX] = 8 }, .mem = { MEMB(DATA + 0x30, LE32(0x1f02)) },
	  .check_mxcsr = true, .mxcsr_out = 0x1f02, .dirty = FPU },
	{ "ldmxcsr (%r12,%r13,8)", T64, BYTES(0x43, 0x0f, 0xae, 0x14, 0xec),
	  .gpr = { [EMUL_R12] = DATA, [EMUL_R13] = 2 }, .mem = { MEMB(DATA + 16, LE32(0x1f03)) },
	  .check_mxcsr = true, .mxcsr_out = 0x1f03, .dirty = FPU },
	{ "ldmxcsr 0x8(%r13) (no rip-relative with REX.B)", T64,
	  BYTES(0x41, 0x0f, 0xae, 0x55, 0x08), .gpr[EMUL_R13] = DATA,
	  .mem = { MEMB(DATA + 8, LE32(0x1f04)) }, .check_mxcsr = true, .mxcsr_out = 0x1f04,
	  .dirty = FPU },
	{ "stmxcsr (%rdi)", T64, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = DATA + 0x100,
	  .mxcsr = 0x1fa0, .mem_out = { MEMB(DATA + 0x100, LE32(0x1fa0)) } },
	{ "stmxcsr sets A and D", T64, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = DATA,
	  .mem_out = { MEMB(DATA, LE32(0x1f80)),
		       MEMB(PT + (DATA >> 12) * 8, LE64(DATA | P | RW | A | D)),
		       MEMB(PML4, LE64(PDPT | P | RW | US | A)) } },
	{ "ldmxcsr sets A only", T64, BYTES(0x0f, 0xae, 0x17), .gpr[EMUL_RDI] = DATA,
	  .mem = { MEMB(DATA, LE32(0x1f80)) }, .check_mxcsr = true, .mxcsr_out = 0x1f80,
	  .dirty = FPU, .mem_out = { MEMB(PT + (DATA >> 12) * 8, LE64(DATA | P | RW | A)) } },
	{ "stmxcsr to read-only, CR0.WP", T64, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = RO + 8,
	  PF(PF_P | PF_W, RO + 8) },
	{ "stmxcsr to read-only, no WP", T64, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = RO + 8,
	  .cr0_clr = X86_CR0_WP, .mem_out = { MEMB(RO + 8, LE32(0x1f80)) } },
	{ "stmxcsr %fs:0x20", T64, BYTES(0x64, 0x0f, 0xae, 0x1c, 0x25, LE32(0x20)),
	  .seg[EMUL_FS] = DATA, .mem_out = { MEMB(DATA + 0x20, LE32(0x1f80)) } },
	{ "stmxcsr %gs:(%rax)", T64, BYTES(0x65, 0x0f, 0xae, 0x18), .seg[EMUL_GS] = 0x1000,
	  .gpr[EMUL_RAX] = DATA - 0x1000, .mem_out = { MEMB(DATA, LE32(0x1f80)) } },
	{ "es: is ignored in 64-bit mode", T64, BYTES(0x26, 0x0f, 0xae, 0x18),
	  .seg[EMUL_ES] = 0x1000, .gpr[EMUL_RAX] = DATA, .mem_out = { MEMB(DATA, LE32(0x1f80)) } },
	{ "ds base is ignored in 64-bit mode", T64, BYTES(0x0f, 0xae, 0x18), .seg[EMUL_DS] = 0x1000,
	  .gpr[EMUL_RAX] = DATA, .mem_out = { MEMB(DATA, LE32(0x1f80)) } },
	{ "stmxcsr 0x10 with addr32", T64, BYTES(0x67, 0x0f, 0xae, 0x58, 0x10),
	  .gpr[EMUL_RAX] = 0x100000000 + DATA, .mem_out = { MEMB(DATA + 0x10, LE32(0x1f80)) } },
	{ "stmxcsr in the upper half", T64, BYTES(0x0f, 0xae, 0x18),
	  .gpr[EMUL_RAX] = LA_HIGH + DATA, .mem_out = { MEMB(DATA, LE32(0x1f80)) } },
	{ "stmxcsr non-canonical", T64, BYTES(0x0f, 0xae, 0x18), .gpr[EMUL_RAX] = NONCANON, GP0 },
	{ "stmxcsr through a 2 MiB page", T64, BYTES(0x0f, 0xae, 0x18),
	  .gpr[EMUL_RAX] = LA_2M + DATA + 4, .mem_out = { MEMB(DATA + 4, LE32(0x1f80)) } },
	{ "stmxcsr through a 1 GiB page", T64, BYTES(0x0f, 0xae, 0x18),
	  .gpr[EMUL_RAX] = LA_1G + DATA + 8, .mem_out = { MEMB(DATA + 8, LE32(0x1f80)) } },
	{ "stmxcsr to MMIO", T64, BYTES(0x0f, 0xae, 0x18), .gpr[EMUL_RAX] = MMIO, UNH },
	{ "stmxcsr 5-level", T57, BYTES(0x0f, 0xae, 0x18), .gpr[EMUL_RAX] = NONCANON + DATA,
	  .mem_out = { MEMB(DATA, LE32(0x1f80)) } },
	{ "stmxcsr 5-level non-canonical", T57, BYTES(0x0f, 0xae, 0x18),
	  .gpr[EMUL_RAX] = 1ull << 56, GP0 },
	{ "stmxcsr 32-bit paging, es:", T32, BYTES(0x26, 0x0f, 0xae, 0x18), .seg[EMUL_ES] = 0x1000,
	  .gpr[EMUL_RAX] = DATA - 0x1000,
	  .mem_out = { MEMB(DATA, LE32(0x1f80)),
		       MEMB(PT32 + (DATA >> 12) * 4, LE32(DATA | P | RW | A | D)) } },
	{ "stmxcsr 32-bit, ds base", T32, BYTES(0x0f, 0xae, 0x18), .seg[EMUL_DS] = 0x800,
	  .gpr[EMUL_RAX] = DATA - 0x800, .mem_out = { MEMB(DATA, LE32(0x1f80)) } },
	{ "stmxcsr 32-bit, (%ebp) is ss:", T32, BYTES(0x0f, 0xae, 0x5d, 0x00),
	  .seg = { [EMUL_SS] = 0x100, [EMUL_DS] = 0x4000 }, .gpr[EMUL_RBP] = DATA - 0x100,
	  .mem_out = { MEMB(DATA, LE32(0x1f80)) } },
	{ "stmxcsr 32-bit, 4 MiB page", T32, BYTES(0x0f, 0xae, 0x18), .gpr[EMUL_RAX] = LA_4M + DATA,
	  .mem_out = { MEMB(DATA, LE32(0x1f80)) } },
	{ "stmxcsr 32-bit address wraps", TFLAT, BYTES(0x0f, 0xae, 0x98, LE32(DATA + 1)),
	  .gpr[EMUL_RAX] = 0xffffffff, .mem_out = { MEMB(DATA, LE32(0x1f80)) } },
	{ "stmxcsr flat, addr16 disp16", TFLAT, BYTES(0x67, 0x0f, 0xae, 0x1e, LE16(0x1234)),
	  .seg[EMUL_DS] = 0x10000, .mem_out = { MEMB(0x11234, LE32(0x1f80)) } },
	{ "stmxcsr 16-bit (%bx,%si)", T16, BYTES(0x0f, 0xae, 0x18), .seg[EMUL_DS] = 0x10000,
	  .gpr = { [EMUL_RBX] = 0x1000, [EMUL_RSI] = 0x10 },
	  .mem_out = { MEMB(0x11010, LE32(0x1f80)) } },
	{ "stmxcsr 16-bit (%bp,%di) is ss:", T16, BYTES(0x0f, 0xae, 0x1b),
	  .seg = { [EMUL_SS] = 0x10000, [EMUL_DS] = 0x5000 },
	  .gpr = { [EMUL_RBP] = 0x1000, [EMUL_RDI] = 0x20 },
	  .mem_out = { MEMB(0x11020, LE32(0x1f80)) } },
	{ "stmxcsr 16-bit address wraps", T16, BYTES(0x0f, 0xae, 0x18), .seg[EMUL_DS] = 0x10000,
	  .gpr = { [EMUL_RBX] = 0xffff, [EMUL_RSI] = 0x1001 },
	  .mem_out = { MEMB(0x11000, LE32(0x1f80)) } },
	{ "stmxcsr 16-bit -2(%bp)", T16, BYTES(0x0f, 0xae, 0x5e, 0xfe), .seg[EMUL_SS] = 0x10000,
	  .gpr[EMUL_RBP] = 0x1012, .mem_out = { MEMB(0x11010, LE32(0x1f80)) } },
	{ "stmxcsr 16-bit code, addr32", T16, BYTES(0x67, 0x0f, 0xae, 0x18),
	  .seg[EMUL_DS] = 0x10000, .gpr[EMUL_RAX] = 0x1000,
	  .mem_out = { MEMB(0x11000, LE32(0x1f80)) } },
	{ "stmxcsr PAE", TPAE, BYTES(0x0f, 0xae, 0x18), .gpr[EMUL_RAX] = DATA,
	  .mem_out = { MEMB(DATA, LE32(0x1f80)) } },
	{ "stmxcsr PAE 2 MiB page", TPAE, BYTES(0x0f, 0xae, 0x18), .gpr[EMUL_RAX] = LA_2M + DATA,
	  .mem_out = { MEMB(DATA, LE32(0x1f80)) } },
	{ "stmxcsr PAE, reserved high bit", TPAE, BYTES(0x0f, 0xae, 0x18), .gpr[EMUL_RAX] = HIBIT,
	  PF(PF_P | PF_W | PF_RSVD, HIBIT) },
	{ "the same page in long mode", T64, BYTES(0x0f, 0xae, 0x18), .gpr[EMUL_RAX] = HIBIT,
	  .mem_out = { MEMB(HIBIT, LE32(0x1f80)) } },
	{ "lfence", T64, BYTES(0x0f, 0xae, 0xe8) },
	{ "mfence", T64, BYTES(0x0f, 0xae, 0xf0) },
	{ "sfence", T32, BYTES(0x0f, 0xae, 0xf8) },
	{ "lock mfence", T64, BYTES(0xf0, 0x0f, 0xae, 0xf0), UD },
	{ "tpause is not done", T64, BYTES(0x66, 0x0f, 0xae, 0xf0), UNH },
	{ "clflush (%rax)", T64, BYTES(0x0f, 0xae, 0x38), .gpr[EMUL_RAX] = DATA },
	{ "clflush read-only", T64, BYTES(0x0f, 0xae, 0x38), .gpr[EMUL_RAX] = RO },
	{ "clflush MMIO", T64, BYTES(0x0f, 0xae, 0x38), .gpr[EMUL_RAX] = MMIO },
	{ "clflush not present", T64, BYTES(0x0f, 0xae, 0x38), .gpr[EMUL_RAX] = NOTP + 1,
	  PF(0, NOTP + 1) },
	{ "clflushopt", T64, BYTES(0x66, 0x0f, 0xae, 0x38), .gpr[EMUL_RAX] = DATA },
	{ "clwb", T64, BYTES(0x66, 0x0f, 0xae, 0x30), .gpr[EMUL_RAX] = DATA },
	{ "clwb not present", T64, BYTES(0x66, 0x0f, 0xae, 0x30), .gpr[EMUL_RAX] = NOTP,
	  PF(0, NOTP) },
	{ "clwb user page at CPL 3", T64, BYTES(0x66, 0x0f, 0xae, 0x30), .cpl = 3,
	  .gpr[EMUL_RAX] = USER },
	{ "fxsave", T64, BYTES(0x0f, 0xae, 0x00), .gpr[EMUL_RAX] = DATA, UNH },
	{ "xrstor64", T64, BYTES(0x48, 0x0f, 0xae, 0x2f), .gpr[EMUL_RDI] = DATA, UNH },
	{ "xsave", T64, BYTES(0x0f, 0xae, 0x27), .gpr[EMUL_RDI] = DATA, UNH },
	{ "xsaveopt", T64, BYTES(0x0f, 0xae, 0x37), .gpr[EMUL_RDI] = DATA, UNH },
};

static void test_mxcsr_fences_flushes(void **state)
{
	RUN(mxcsr);
}

static const struct exec_case fsgs[] = {
	{ "rdfsbase %rax", T64, BYTES(0xf3, 0x48, 0x0f, 0xae, 0xc0),
	  .seg[EMUL_FS] = 0xffff888012345678, .check = R(RAX), .out[EMUL_RAX] = 0xffff888012345678,
	  .dirty = GPR },
	{ "rdgsbase %ecx", T64, BYTES(0xf3, 0x0f, 0xae, 0xc9), .seg[EMUL_GS] = 0x1122334455667788,
	  .gpr[EMUL_RCX] = ~0ull, .check = R(RCX), .out[EMUL_RCX] = 0x55667788, .dirty = GPR },
	{ "wrfsbase %rdx", T64, BYTES(0xf3, 0x48, 0x0f, 0xae, 0xd2),
	  .gpr[EMUL_RDX] = 0xffffffff81000000, .check_seg = true,
	  .seg_out[EMUL_FS] = 0xffffffff81000000, .dirty = EMUL_DIRTY_SREGS },
	{ "wrgsbase %r8", T64, BYTES(0xf3, 0x49, 0x0f, 0xae, 0xd8), .gpr[EMUL_R8] = 0x7000,
	  .check_seg = true, .seg_out[EMUL_GS] = 0x7000, .dirty = EMUL_DIRTY_SREGS },
	{ "wrfsbase %eax", T64, BYTES(0xf3, 0x0f, 0xae, 0xd0), .gpr[EMUL_RAX] = 0xabcd12345678,
	  .seg[EMUL_FS] = 1, .check_seg = true, .seg_out[EMUL_FS] = 0x12345678,
	  .dirty = EMUL_DIRTY_SREGS },
	{ "wrfsbase non-canonical", T64, BYTES(0xf3, 0x48, 0x0f, 0xae, 0xd2),
	  .gpr[EMUL_RDX] = NONCANON, GP0 },
	{ "wrfsbase 5-level", T57, BYTES(0xf3, 0x48, 0x0f, 0xae, 0xd2), .gpr[EMUL_RDX] = NONCANON,
	  .check_seg = true, .seg_out[EMUL_FS] = NONCANON, .dirty = EMUL_DIRTY_SREGS },
	{ "wrfsbase without CR4.FSGSBASE", T64, BYTES(0xf3, 0x48, 0x0f, 0xae, 0xd2),
	  .cr4_clr = X86_CR4_FSGSBASE, UD },
	{ "rdfsbase in 32-bit mode", T32, BYTES(0xf3, 0x0f, 0xae, 0xc0),
	  .cr4_set = X86_CR4_FSGSBASE, UD },
};

static void test_fsgsbase(void **state)
{
	RUN(fsgs);
}

static const struct exec_case bitcount[] = {
	{ "popcnt %rdi,%rax", T64, BYTES(0xf3, 0x48, 0x0f, 0xb8, 0xc7),
	  .gpr[EMUL_RDI] = 0xf0f0f0f0f0f0f0f0, .flags = ARITH, .check = R(RAX), .out[EMUL_RAX] = 32,
	  .flags_mask = ARITH, .dirty = GPR },
	{ "popcnt of 0", T64, BYTES(0xf3, 0x48, 0x0f, 0xb8, 0xc7), .gpr[EMUL_RAX] = 5,
	  .flags = ARITH & ~X86_EFLAGS_ZF, .check = R(RAX), .flags_mask = ARITH,
	  .flags_out = X86_EFLAGS_ZF, .dirty = GPR },
	{ "popcnt %ecx,%eax zero-extends", T64, BYTES(0xf3, 0x0f, 0xb8, 0xc1),
	  .gpr = { [EMUL_RAX] = ~0ull, [EMUL_RCX] = 0xff00000007 }, .check = R(RAX),
	  .out[EMUL_RAX] = 3, .flags_mask = ARITH, .dirty = GPR },
	{ "popcnt %cx,%ax keeps the rest", T64, BYTES(0x66, 0xf3, 0x0f, 0xb8, 0xc1),
	  .gpr = { [EMUL_RAX] = 0x1111111111111111, [EMUL_RCX] = 0xffff00ff }, .check = R(RAX),
	  .out[EMUL_RAX] = 0x1111111111110008, .flags_mask = ARITH, .dirty = GPR },
	{ "popcnt (%rdi),%rax", T64, BYTES(0xf3, 0x48, 0x0f, 0xb8, 0x07), .gpr[EMUL_RDI] = DATA,
	  .mem = { MEMB(DATA, LE64(0x8000000000000001)) }, .check = R(RAX), .out[EMUL_RAX] = 2,
	  .flags_mask = ARITH, .dirty = GPR },
	{ "popcnt %r8,%r9", T64, BYTES(0xf3, 0x4d, 0x0f, 0xb8, 0xc8), .gpr[EMUL_R8] = 0xff,
	  .check = R(R9), .out[EMUL_R9] = 8, .flags_mask = ARITH, .dirty = GPR },
	{ "popcnt across pages", T64, BYTES(0xf3, 0x48, 0x0f, 0xb8, 0x07),
	  .gpr[EMUL_RDI] = DATA2 - 3,
	  .mem = { MEMB(DATA2 - 3, 0xff, 0xff, 0xff), MEMB(DATA2, 0x01, 0, 0, 0, 0x80) },
	  .check = R(RAX), .out[EMUL_RAX] = 26, .flags_mask = ARITH, .dirty = GPR },
	{ "popcnt across pages, remapped", T64, BYTES(0xf3, 0x48, 0x0f, 0xb8, 0x07),
	  .gpr[EMUL_RDI] = AFTER - 2,
	  .mem = { MEMB(REMAP_PA + 0xffe, 0x03, 0x01), MEMB(AFTER, 0x0f) }, .check = R(RAX),
	  .out[EMUL_RAX] = 7, .flags_mask = ARITH, .dirty = GPR },
	{ "popcnt into a page not present", T64, BYTES(0xf3, 0x48, 0x0f, 0xb8, 0x07),
	  .gpr[EMUL_RDI] = NOTP - 4, PF(0, NOTP) },
	{ "popcnt 32-bit mode", T32, BYTES(0xf3, 0x0f, 0xb8, 0x01), .gpr[EMUL_RCX] = DATA,
	  .mem = { MEMB(DATA, LE32(0x70000001)) }, .check = R(RAX), .out[EMUL_RAX] = 4,
	  .flags_mask = ARITH, .dirty = GPR },
	{ "popcnt 16-bit mode", T16, BYTES(0xf3, 0x0f, 0xb8, 0xc1), .gpr[EMUL_RCX] = 0x30007,
	  .gpr[EMUL_RAX] = 0x50000, .check = R(RAX), .out[EMUL_RAX] = 0x50003, .flags_mask = ARITH,
	  .dirty = GPR },
	{ "popcnt 16-bit mode, 66", T16, BYTES(0x66, 0xf3, 0x0f, 0xb8, 0xc1),
	  .gpr[EMUL_RCX] = 0x30007, .check = R(RAX), .out[EMUL_RAX] = 5, .flags_mask = ARITH,
	  .dirty = GPR },
	{ "lock popcnt", T64, BYTES(0xf0, 0xf3, 0x48, 0x0f, 0xb8, 0xc7), UD },
	{ "lzcnt %rcx,%rax", T64, BYTES(0xf3, 0x48, 0x0f, 0xbd, 0xc1), .gpr[EMUL_RCX] = 1,
	  .flags = X86_EFLAGS_CF | X86_EFLAGS_ZF, .check = R(RAX), .out[EMUL_RAX] = 63,
	  .flags_mask = X86_EFLAGS_CF | X86_EFLAGS_ZF, .dirty = GPR },
	{ "lzcnt of 0", T64, BYTES(0xf3, 0x48, 0x0f, 0xbd, 0xc1), .check = R(RAX),
	  .out[EMUL_RAX] = 64, .flags_mask = X86_EFLAGS_CF | X86_EFLAGS_ZF,
	  .flags_out = X86_EFLAGS_CF, .dirty = GPR },
	{ "lzcnt 32, top bit set", T64, BYTES(0xf3, 0x0f, 0xbd, 0xc1),
	  .gpr = { [EMUL_RCX] = 0x80000000, [EMUL_RAX] = ~0ull }, .check = R(RAX),
	  .out[EMUL_RAX] = 0, .flags_mask = X86_EFLAGS_CF | X86_EFLAGS_ZF,
	  .flags_out = X86_EFLAGS_ZF, .dirty = GPR },
	{ "lzcnt 16", T64, BYTES(0x66, 0xf3, 0x0f, 0xbd, 0xc1),
	  .gpr = { [EMUL_RCX] = 0xf0001, [EMUL_RAX] = 0xaaaa0000 }, .check = R(RAX),
	  .out[EMUL_RAX] = 0xaaaa000f, .flags_mask = X86_EFLAGS_CF | X86_EFLAGS_ZF, .dirty = GPR },
	{ "lzcnt keeps OF SF AF PF", T64, BYTES(0xf3, 0x48, 0x0f, 0xbd, 0xc1),
	  .gpr[EMUL_RCX] = 0x100,
	  .flags = X86_EFLAGS_OF | X86_EFLAGS_SF | X86_EFLAGS_AF | X86_EFLAGS_PF, .check = R(RAX),
	  .out[EMUL_RAX] = 55, .flags_mask = X86_EFLAGS_CF | X86_EFLAGS_ZF, .dirty = GPR },
	{ "tzcnt %rcx,%rax", T64, BYTES(0xf3, 0x48, 0x0f, 0xbc, 0xc1), .gpr[EMUL_RCX] = 0x100,
	  .check = R(RAX), .out[EMUL_RAX] = 8, .flags_mask = X86_EFLAGS_CF | X86_EFLAGS_ZF,
	  .dirty = GPR },
	{ "tzcnt 32 of 0", T64, BYTES(0xf3, 0x0f, 0xbc, 0xc1), .gpr[EMUL_RCX] = 0xff00000000,
	  .check = R(RAX), .out[EMUL_RAX] = 32, .flags_mask = X86_EFLAGS_CF | X86_EFLAGS_ZF,
	  .flags_out = X86_EFLAGS_CF, .dirty = GPR },
	{ "tzcnt 16", T64, BYTES(0x66, 0xf3, 0x0f, 0xbc, 0xc1), .gpr[EMUL_RCX] = 0x8000,
	  .check = R(RAX), .out[EMUL_RAX] = 15, .flags_mask = X86_EFLAGS_CF | X86_EFLAGS_ZF,
	  .dirty = GPR },
	{ "tzcnt bit 0: ZF", T64, BYTES(0xf3, 0x48, 0x0f, 0xbc, 0x07), .gpr[EMUL_RDI] = DATA,
	  .mem = { MEMB(DATA, 1) }, .check = R(RAX), .out[EMUL_RAX] = 0,
	  .flags_mask = X86_EFLAGS_CF | X86_EFLAGS_ZF, .flags_out = X86_EFLAGS_ZF, .dirty = GPR },
	{ "bsf is not done", T64, BYTES(0x48, 0x0f, 0xbc, 0xc1), UNH },
	{ "bsr is not done", T64, BYTES(0xf2, 0x0f, 0xbd, 0xc1), UNH },
};

static void test_popcnt_lzcnt_tzcnt(void **state)
{
	RUN(bitcount);
}

#define CX16(rbp)                     \
	.gpr = { [EMUL_RBP] = (rbp),  \
		 [EMUL_RAX] = 0x1111, \
		 [EMUL_RDX] = 0x2222, \
		 [EMUL_RBX] = 0x3333, \
		 [EMUL_RCX] = 0x4444 }

static const struct exec_case cmpxchg[] = {
	{ "lock cmpxchg16b 0x20(%rbp)", T64, BYTES(0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20), CX16(DATA),
	  .mem = { MEMB(DATA + 0x20, LE64(0x1111), LE64(0x2222)) },
	  .mem_out = { MEMB(DATA + 0x20, LE64(0x3333), LE64(0x4444)) }, .flags_mask = X86_EFLAGS_ZF,
	  .flags_out = X86_EFLAGS_ZF, .dirty = GPR },
	{ "cmpxchg16b mismatch", T64, BYTES(0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20), CX16(DATA),
	  .flags = X86_EFLAGS_ZF, .mem = { MEMB(DATA + 0x20, LE64(0x1111), LE64(0x2223)) },
	  .check = R(RAX) | R(RDX), .out = { [EMUL_RAX] = 0x1111, [EMUL_RDX] = 0x2223 },
	  .flags_mask = X86_EFLAGS_ZF, .dirty = GPR },
	{ "cmpxchg16b misaligned", T64, BYTES(0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20), CX16(DATA + 8),
	  GP0 },
	{ "cmpxchg16b read-only, mismatch", T64, BYTES(0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20),
	  CX16(RO), PF(PF_P | PF_W, RO + 0x20) },
	{ "cmpxchg16b user page at CPL 3", T64, BYTES(0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20),
	  CX16(USER), .cpl = 3, .mem = { MEMB(USER + 0x20, LE64(0x1111), LE64(0x2222)) },
	  .mem_out = { MEMB(USER + 0x20, LE64(0x3333), LE64(0x4444)) }, .flags_mask = X86_EFLAGS_ZF,
	  .flags_out = X86_EFLAGS_ZF, .dirty = GPR },
	{ "cmpxchg16b supervisor page at CPL 3", T64, BYTES(0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20),
	  CX16(DATA), .cpl = 3, PF(PF_P | PF_W | PF_U, DATA + 0x20) },
	{ "cmpxchg16b MMIO", T64, BYTES(0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20), CX16(MMIO), UNH },
	{ "cmpxchg16b 1 GiB page", T64, BYTES(0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20),
	  CX16(LA_1G + DATA), .mem = { MEMB(DATA + 0x20, LE64(0x1111), LE64(0x2222)) },
	  .mem_out = { MEMB(DATA + 0x20, LE64(0x3333), LE64(0x4444)) }, .flags_mask = X86_EFLAGS_ZF,
	  .flags_out = X86_EFLAGS_ZF, .dirty = GPR },
	{ "cmpxchg8b (%rdi)", T64, BYTES(0x0f, 0xc7, 0x0f),
	  .gpr = { [EMUL_RDI] = DATA,
		   [EMUL_RAX] = 0xdead00000000aaaa,
		   [EMUL_RDX] = 0xbbbb,
		   [EMUL_RBX] = 0xcccc,
		   [EMUL_RCX] = 0xdddd },
	  .mem = { MEMB(DATA, LE32(0xaaaa), LE32(0xbbbb)) },
	  .mem_out = { MEMB(DATA, LE32(0xcccc), LE32(0xdddd)) }, .flags_mask = X86_EFLAGS_ZF,
	  .flags_out = X86_EFLAGS_ZF, .dirty = GPR },
	{ "cmpxchg8b mismatch zero-extends", T64, BYTES(0xf0, 0x0f, 0xc7, 0x0f),
	  .gpr = { [EMUL_RDI] = DATA,
		   [EMUL_RAX] = 0xdead000000000001,
		   [EMUL_RDX] = 0xbeef00000000bbbb },
	  .flags = X86_EFLAGS_ZF, .mem = { MEMB(DATA, LE32(0xaaaa), LE32(0xbbbb)) },
	  .check = R(RAX) | R(RDX), .out = { [EMUL_RAX] = 0xaaaa, [EMUL_RDX] = 0xbbbb },
	  .flags_mask = X86_EFLAGS_ZF, .dirty = GPR },
	{ "cmpxchg8b 32-bit mode", T32, BYTES(0xf0, 0x0f, 0xc7, 0x0e),
	  .gpr = { [EMUL_RSI] = DATA + 4,
		   [EMUL_RAX] = 1,
		   [EMUL_RDX] = 2,
		   [EMUL_RBX] = 3,
		   [EMUL_RCX] = 4 },
	  .mem = { MEMB(DATA + 4, LE32(1), LE32(2)) },
	  .mem_out = { MEMB(DATA + 4, LE32(3), LE32(4)) }, .flags_mask = X86_EFLAGS_ZF,
	  .flags_out = X86_EFLAGS_ZF, .dirty = GPR },
	{ "cmpxchg8b across pages", T64, BYTES(0x0f, 0xc7, 0x0f),
	  .gpr = { [EMUL_RDI] = DATA2 - 4,
		   [EMUL_RAX] = 1,
		   [EMUL_RDX] = 2,
		   [EMUL_RBX] = 3,
		   [EMUL_RCX] = 4 },
	  .mem = { MEMB(DATA2 - 4, LE32(1), LE32(2)) },
	  .mem_out = { MEMB(DATA2 - 4, LE32(3), LE32(4)) }, .flags_mask = X86_EFLAGS_ZF,
	  .flags_out = X86_EFLAGS_ZF, .dirty = GPR },
	{ "cmpxchg8b across non-contiguous pages", T64, BYTES(0x0f, 0xc7, 0x0f),
	  .gpr = { [EMUL_RDI] = AFTER - 4,
		   [EMUL_RAX] = 1,
		   [EMUL_RDX] = 2,
		   [EMUL_RBX] = 3,
		   [EMUL_RCX] = 4 },
	  .mem = { MEMB(REMAP_PA + 0xffc, LE32(1)), MEMB(AFTER, LE32(2)) },
	  .mem_out = { MEMB(REMAP_PA + 0xffc, LE32(3)), MEMB(AFTER, LE32(4)) },
	  .flags_mask = X86_EFLAGS_ZF, .flags_out = X86_EFLAGS_ZF, .dirty = GPR },
	{ "cmpxchg8b non-contiguous mismatch", T64, BYTES(0x0f, 0xc7, 0x0f),
	  .gpr = { [EMUL_RDI] = AFTER - 4, [EMUL_RAX] = 1, [EMUL_RDX] = 2 },
	  .mem = { MEMB(REMAP_PA + 0xffc, LE32(1)), MEMB(AFTER, LE32(7)) },
	  .check = R(RAX) | R(RDX), .out = { [EMUL_RAX] = 1, [EMUL_RDX] = 7 },
	  .flags_mask = X86_EFLAGS_ZF, .dirty = GPR },
	{ "cmpxchg8b into a page not present", T64, BYTES(0x0f, 0xc7, 0x0f),
	  .gpr[EMUL_RDI] = NOTP - 4, .mem = { MEMB(NOTP - 4, LE32(0)) }, PF(PF_W, NOTP) },
	{ "cmpxchg8b %eax", T64, BYTES(0x0f, 0xc7, 0xc8), UD },
	{ "rdrand %rax", T64, BYTES(0x48, 0x0f, 0xc7, 0xf0), .flags = ARITH, .check = R(RAX),
	  .ignore[EMUL_RAX] = ~0ull, .flags_mask = ARITH, .flags_out = X86_EFLAGS_CF,
	  .dirty = GPR },
	{ "rdrand %ax", T64, BYTES(0x66, 0x0f, 0xc7, 0xf0), .gpr[EMUL_RAX] = 0x123456789abc0000,
	  .check = R(RAX), .out[EMUL_RAX] = 0x123456789abc0000, .ignore[EMUL_RAX] = 0xffff,
	  .flags_mask = ARITH, .flags_out = X86_EFLAGS_CF, .dirty = GPR },
	{ "rdseed %ecx", T64, BYTES(0x0f, 0xc7, 0xf9), .gpr[EMUL_RCX] = ~0ull, .check = R(RCX),
	  .ignore[EMUL_RCX] = 0xffffffff, .flags_mask = ARITH, .flags_out = X86_EFLAGS_CF,
	  .dirty = GPR },
	{ "rdseed %r11", T64, BYTES(0x49, 0x0f, 0xc7, 0xfb), .check = R(R11),
	  .ignore[EMUL_R11] = ~0ull, .flags_mask = ARITH, .flags_out = X86_EFLAGS_CF,
	  .dirty = GPR },
	{ "rdrand 32-bit mode", T32, BYTES(0x0f, 0xc7, 0xf3), .check = R(RBX),
	  .ignore[EMUL_RBX] = 0xffffffff, .flags_mask = ARITH, .flags_out = X86_EFLAGS_CF,
	  .dirty = GPR },
	{ "rdpid is not done", T64, BYTES(0xf3, 0x0f, 0xc7, 0xf8), UNH },
	{ "vmptrld is not done", T64, BYTES(0x0f, 0xc7, 0x37), UNH },
};

static void test_cmpxchg_rdrand(void **state)
{
	RUN(cmpxchg);
}

#define SSE_OFF(b, ...)                                                                           \
	{                                                                                         \
		"#NM " #b, T64, BYTES(__VA_ARGS__), .gpr[EMUL_RDI] = DATA, .cr0_set = X86_CR0_TS, \
		EXC(7)                                                                            \
	},                                                                                        \
		{ "#UD EM " #b,		 T64, BYTES(__VA_ARGS__), .gpr[EMUL_RDI] = DATA,          \
		  .cr0_set = X86_CR0_EM, UD },                                                    \
	{                                                                                         \
		"#UD !OSFXSR " #b, T64, BYTES(__VA_ARGS__),                                       \
			.gpr[EMUL_RDI] = DATA, .cr4_clr = X86_CR4_OSFXSR, .cr0_set = X86_CR0_TS,  \
			UD                                                                        \
	}

static const struct exec_case sse[] = {
	{ "movd %ecx,%xmm15", T64, BYTES(0x66, 0x44, 0x0f, 0x6e, 0xf9),
	  .gpr[EMUL_RCX] = 0x1122334455667788, .xmm_out = { XMMV(15, 0x88, 0x77, 0x66, 0x55) },
	  .dirty = FPU },
	{ "movq %rcx,%xmm1", T64, BYTES(0x66, 0x48, 0x0f, 0x6e, 0xc9),
	  .gpr[EMUL_RCX] = 0x1122334455667788, .xmm_out = { XMMV(1, LE64(0x1122334455667788)) },
	  .dirty = FPU },
	{ "movd (%rax),%xmm2", T64, BYTES(0x66, 0x0f, 0x6e, 0x10), .gpr[EMUL_RAX] = DATA,
	  .mem = { MEMB(DATA, 1, 2, 3, 4, 5) }, .xmm_out = { XMMV(2, 1, 2, 3, 4) }, .dirty = FPU },
	{ "movd %xmm3,%eax", T64, BYTES(0x66, 0x0f, 0x7e, 0xd8), .gpr[EMUL_RAX] = ~0ull,
	  .check = R(RAX), .out[EMUL_RAX] = 0x33323130, .dirty = GPR },
	{ "movq %xmm3,%rax", T64, BYTES(0x66, 0x48, 0x0f, 0x7e, 0xd8), .check = R(RAX),
	  .out[EMUL_RAX] = 0x3736353433323130, .dirty = GPR },
	{ "movd %xmm3,(%rdi)", T64, BYTES(0x66, 0x0f, 0x7e, 0x1f), .gpr[EMUL_RDI] = DATA,
	  .mem_out = { MEMB(DATA, 0x30, 0x31, 0x32, 0x33, 0) } },
	{ "movq %xmm3,(%rdi)", T64, BYTES(0x66, 0x48, 0x0f, 0x7e, 0x1f), .gpr[EMUL_RDI] = DATA,
	  .mem_out = { MEMB(DATA, XLOW(3), 0) } },
	{ "movq (%rdi),%xmm4", T64, BYTES(0xf3, 0x0f, 0x7e, 0x27), .gpr[EMUL_RDI] = DATA,
	  .mem = { MEMB(DATA, SEQ16) }, .xmm_out = { XMMV(4, 0, 1, 2, 3, 4, 5, 6, 7) },
	  .dirty = FPU },
	{ "movq %xmm5,%xmm6", T64, BYTES(0xf3, 0x0f, 0x7e, 0xf5), .xmm_out = { XMMV(6, XLOW(5)) },
	  .dirty = FPU },
	{ "movq %xmm7,(%rdi)", T64, BYTES(0x66, 0x0f, 0xd6, 0x3f), .gpr[EMUL_RDI] = DATA + 3,
	  .mem_out = { MEMB(DATA + 3, XLOW(7), 0) } },
	{ "movq %xmm1,%xmm2 (D6)", T64, BYTES(0x66, 0x0f, 0xd6, 0xca),
	  .xmm_out = { XMMV(2, XLOW(1)) }, .dirty = FPU },
	{ "movdqa (%rdi),%xmm0", T64, BYTES(0x66, 0x0f, 0x6f, 0x07), .gpr[EMUL_RDI] = DATA + 16,
	  .mem = { MEMB(DATA + 16, SEQ16) }, .xmm_out = { XMMV(0, SEQ16) }, .dirty = FPU },
	{ "movdqa misaligned", T64, BYTES(0x66, 0x0f, 0x6f, 0x07), .gpr[EMUL_RDI] = DATA + 8, GP0 },
	{ "movdqa misaligned before not present", T64, BYTES(0x66, 0x0f, 0x6f, 0x07),
	  .gpr[EMUL_RDI] = NOTP + 8, GP0 },
	{ "movdqa (%r8),%xmm9", T64, BYTES(0x66, 0x45, 0x0f, 0x6f, 0x08), .gpr[EMUL_R8] = DATA,
	  .mem = { MEMB(DATA, SEQ16) }, .xmm_out = { XMMV(9, SEQ16) }, .dirty = FPU },
	{ "movdqu across pages", T64, BYTES(0xf3, 0x0f, 0x6f, 0x07), .gpr[EMUL_RDI] = DATA2 - 8,
	  .mem = { MEMB(DATA2 - 8, SEQ16) }, .xmm_out = { XMMV(0, SEQ16) }, .dirty = FPU },
	{ "movdqu into a page not present", T64, BYTES(0xf3, 0x0f, 0x6f, 0x07),
	  .gpr[EMUL_RDI] = NOTP - 8, PF(0, NOTP) },
	{ "movdqa %xmm1,(%rdi)", T64, BYTES(0x66, 0x0f, 0x7f, 0x0f), .gpr[EMUL_RDI] = DATA,
	  .mem_out = { MEMB(DATA, XPAT(1)) } },
	{ "movdqa %xmm1,%xmm2 (7F)", T64, BYTES(0x66, 0x0f, 0x7f, 0xca),
	  .xmm_out = { XMMV(2, XPAT(1)) }, .dirty = FPU },
	{ "movdqu store into a page not present", T64, BYTES(0xf3, 0x0f, 0x7f, 0x0f),
	  .gpr[EMUL_RDI] = NOTP - 8, PF(PF_W, NOTP) },
	{ "movdqu store across remapped pages", T64, BYTES(0xf3, 0x0f, 0x7f, 0x0f),
	  .gpr[EMUL_RDI] = AFTER - 8,
	  .mem_out = { MEMB(REMAP_PA + 0xff8, XLOW(1)),
		       MEMB(AFTER, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0) } },
	{ "movaps (%rdi),%xmm0", T64, BYTES(0x0f, 0x28, 0x07), .gpr[EMUL_RDI] = DATA,
	  .mem = { MEMB(DATA, SEQ16) }, .xmm_out = { XMMV(0, SEQ16) }, .dirty = FPU },
	{ "movaps misaligned", T64, BYTES(0x0f, 0x28, 0x07), .gpr[EMUL_RDI] = DATA + 4, GP0 },
	{ "movaps %xmm1,(%rdi)", T64, BYTES(0x0f, 0x29, 0x0f), .gpr[EMUL_RDI] = DATA + 32,
	  .mem_out = { MEMB(DATA + 32, XPAT(1)) } },
	{ "movaps store misaligned", T64, BYTES(0x0f, 0x29, 0x0f), .gpr[EMUL_RDI] = DATA + 1, GP0 },
	{ "movapd %xmm3,%xmm4", T64, BYTES(0x66, 0x0f, 0x28, 0xe3), .xmm_out = { XMMV(4, XPAT(3)) },
	  .dirty = FPU },
	{ "movups misaligned load", T64, BYTES(0x0f, 0x10, 0x07), .gpr[EMUL_RDI] = DATA + 1,
	  .mem = { MEMB(DATA + 1, SEQ16) }, .xmm_out = { XMMV(0, SEQ16) }, .dirty = FPU },
	{ "movups %xmm1,(%rdi)", T64, BYTES(0x0f, 0x11, 0x0f), .gpr[EMUL_RDI] = DATA + 5,
	  .mem_out = { MEMB(DATA + 5, XPAT(1)) } },
	{ "movups store to read-only", T64, BYTES(0x0f, 0x11, 0x0f), .gpr[EMUL_RDI] = RO,
	  PF(PF_P | PF_W, RO) },
	{ "movupd (%rdi),%xmm0", T64, BYTES(0x66, 0x0f, 0x10, 0x07), .gpr[EMUL_RDI] = DATA + 3,
	  .mem = { MEMB(DATA + 3, SEQ16) }, .xmm_out = { XMMV(0, SEQ16) }, .dirty = FPU },
	{ "movss is not done", T64, BYTES(0xf3, 0x0f, 0x10, 0x07), .gpr[EMUL_RDI] = DATA, UNH },
	{ "movsd is not done", T64, BYTES(0xf2, 0x0f, 0x11, 0x07), .gpr[EMUL_RDI] = DATA, UNH },
	{ "pxor %xmm1,%xmm2", T64, BYTES(0x66, 0x0f, 0xef, 0xd1),
	  .xmm_out = { XMMV(2, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
			    0x30, 0x30, 0x30, 0x30, 0x30) },
	  .dirty = FPU },
	{ "pxor (%rdi),%xmm0", T64, BYTES(0x66, 0x0f, 0xef, 0x07), .gpr[EMUL_RDI] = DATA,
	  .mem = { MEMB(DATA, SEQ16) }, .xmm_out = { XMMV(0) }, .dirty = FPU },
	{ "pxor misaligned", T64, BYTES(0x66, 0x0f, 0xef, 0x07), .gpr[EMUL_RDI] = DATA + 2, GP0 },
	{ "pxor %xmm15,%xmm15", T64, BYTES(0x66, 0x45, 0x0f, 0xef, 0xff), .xmm_out = { XMMV(15) },
	  .dirty = FPU },
	{ "xorps %xmm0,%xmm0", T64, BYTES(0x0f, 0x57, 0xc0), .xmm_out = { XMMV(0) }, .dirty = FPU },
	{ "xorpd %xmm1,%xmm0", T64, BYTES(0x66, 0x0f, 0x57, 0xc1),
	  .xmm_out = { XMMV(0, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
			    0x10, 0x10, 0x10, 0x10, 0x10) },
	  .dirty = FPU },
	{ "MMX pxor is not done", T64, BYTES(0x0f, 0xef, 0xc1), UNH },
	{ "MMX movd is not done", T64, BYTES(0x0f, 0x6e, 0xc1), UNH },
	{ "MMX movq is not done", T64, BYTES(0x0f, 0x6f, 0xc1), UNH },
	{ "movd 32-bit mode", T32, BYTES(0x66, 0x0f, 0x6e, 0xc9), .gpr[EMUL_RCX] = 0xabcdef,
	  .xmm_out = { XMMV(1, 0xef, 0xcd, 0xab) }, .dirty = FPU },
	{ "movdqu 16-bit mode", T16, BYTES(0xf3, 0x0f, 0x7f, 0x07), .seg[EMUL_DS] = 0x10000,
	  .gpr[EMUL_RBX] = 0x1000, .mem_out = { MEMB(0x11000, XPAT(0)) } },
	{ "movdqa user page with SMAP", T64, BYTES(0x66, 0x0f, 0x6f, 0x07), .cr4_set = X86_CR4_SMAP,
	  .gpr[EMUL_RDI] = USER, PF(PF_P, USER) },
	{ "movdqa user page with SMAP and AC", T64, BYTES(0x66, 0x0f, 0x6f, 0x07),
	  .cr4_set = X86_CR4_SMAP, .flags = X86_EFLAGS_AC, .gpr[EMUL_RDI] = USER,
	  .xmm_out = { XMMV(0) }, .dirty = FPU },
	{ "lock movdqa", T64, BYTES(0xf0, 0x66, 0x0f, 0x6f, 0x07), UD },
	SSE_OFF(movd, 0x66, 0x0f, 0x6e, 0xc1),
	SSE_OFF(movd_store, 0x66, 0x0f, 0x7e, 0x07),
	SSE_OFF(movq, 0xf3, 0x0f, 0x7e, 0x07),
	SSE_OFF(movq_d6, 0x66, 0x0f, 0xd6, 0x07),
	SSE_OFF(movdqa, 0x66, 0x0f, 0x6f, 0x07),
	SSE_OFF(movdqu_store, 0xf3, 0x0f, 0x7f, 0x07),
	SSE_OFF(movaps, 0x0f, 0x28, 0x07),
	SSE_OFF(movups_store, 0x0f, 0x11, 0x07),
	SSE_OFF(pxor, 0x66, 0x0f, 0xef, 0xc1),
	SSE_OFF(xorps, 0x0f, 0x57, 0xc1),
	SSE_OFF(stmxcsr, 0x0f, 0xae, 0x1f),
};

static void test_sse(void **state)
{
	RUN(sse);
}

/* Faults from the page walk as seen through instructions. */
static const struct exec_case faults[] = {
	{ "read not present", T64, BYTES(0x0f, 0xae, 0x17), .gpr[EMUL_RDI] = NOTP + 0x123,
	  PF(0, NOTP + 0x123) },
	{ "write not present", T64, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = NOTP,
	  PF(PF_W, NOTP) },
	{ "CPL 3 read, not present", T64, BYTES(0x0f, 0xae, 0x17), .cpl = 3, .gpr[EMUL_RDI] = NOTP,
	  PF(PF_U, NOTP) },
	{ "CPL 3 read of a supervisor page", T64, BYTES(0x0f, 0xae, 0x17), .cpl = 3,
	  .gpr[EMUL_RDI] = DATA, PF(PF_P | PF_U, DATA) },
	{ "CPL 3 write of a supervisor page", T64, BYTES(0x0f, 0xae, 0x1f), .cpl = 3,
	  .gpr[EMUL_RDI] = DATA + 4, PF(PF_P | PF_W | PF_U, DATA + 4) },
	{ "CPL 3 write of a user page", T64, BYTES(0x0f, 0xae, 0x1f), .cpl = 3,
	  .gpr[EMUL_RDI] = USER, .mem_out = { MEMB(USER, LE32(0x1f80)) } },
	{ "CPL 3 write, read-only, no WP", T64, BYTES(0x0f, 0xae, 0x1f), .cpl = 3,
	  .cr0_clr = X86_CR0_WP, .gpr[EMUL_RDI] = RO, PF(PF_P | PF_W | PF_U, RO) },
	{ "SMAP write of a user page", T64, BYTES(0x0f, 0xae, 0x1f), .cr4_set = X86_CR4_SMAP,
	  .gpr[EMUL_RDI] = USER, PF(PF_P | PF_W, USER) },
	{ "SMAP with AC", T64, BYTES(0x0f, 0xae, 0x1f), .cr4_set = X86_CR4_SMAP,
	  .flags = X86_EFLAGS_AC, .gpr[EMUL_RDI] = USER, .mem_out = { MEMB(USER, LE32(0x1f80)) } },
	{ "SMAP at CPL 3 is no matter", T64, BYTES(0x0f, 0xae, 0x1f), .cr4_set = X86_CR4_SMAP,
	  .cpl = 3, .gpr[EMUL_RDI] = USER, .mem_out = { MEMB(USER, LE32(0x1f80)) } },
	{ "SMEP does not stop data", T64, BYTES(0x0f, 0xae, 0x1f), .cr4_set = X86_CR4_SMEP,
	  .gpr[EMUL_RDI] = USER, .mem_out = { MEMB(USER, LE32(0x1f80)) } },
	{ "NX does not stop data", T64, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = NXPG,
	  .mem_out = { MEMB(NXPG, LE32(0x1f80)) } },
	{ "NX bit without EFER.NXE", T64, BYTES(0x0f, 0xae, 0x17), .efer_clr = EFER_NXE,
	  .gpr[EMUL_RDI] = NXPG, PF(PF_P | PF_RSVD, NXPG) },
	{ "PS in a PML4E", T64, BYTES(0x0f, 0xae, 0x17), .gpr[EMUL_RDI] = LA_PML4_PS,
	  PF(PF_P | PF_RSVD, LA_PML4_PS) },
	{ "2 MiB page, reserved bit", T64, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = LA_2M_BAD + 8,
	  PF(PF_P | PF_W | PF_RSVD, LA_2M_BAD + 8) },
	{ "page table outside RAM", T64, BYTES(0x0f, 0xae, 0x17), .gpr[EMUL_RDI] = LA_PT_HOLE,
	  PF(PF_P | PF_RSVD, LA_PT_HOLE) },
	{ "PAE PDPTE with R/W", TPAE, BYTES(0x0f, 0xae, 0x17), .gpr[EMUL_RDI] = LA_1G,
	  PF(PF_P | PF_RSVD, LA_1G) },
	{ "PAE PDPTE not present", TPAE, BYTES(0x0f, 0xae, 0x17), .gpr[EMUL_RDI] = 0x80000000,
	  PF(0, 0x80000000) },
	{ "32-bit 4 MiB page, bit 21", T32, BYTES(0x0f, 0xae, 0x17), .gpr[EMUL_RDI] = LA_4M_BAD,
	  PF(PF_P | PF_RSVD, LA_4M_BAD) },
	{ "32-bit PS without CR4.PSE is a table", T32, BYTES(0x0f, 0xae, 0x17),
	  .cr4_clr = X86_CR4_PSE, .gpr[EMUL_RDI] = LA_4M + DATA, PF(0, LA_4M + DATA) },
	{ "32-bit read-only with WP", T32, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = RO,
	  PF(PF_P | PF_W, RO) },
	{ "32-bit remapped page", T32, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = REMAP + 4,
	  .mem_out = { MEMB(REMAP_PA + 4, LE32(0x1f80)) } },
	{ "no paging: nothing faults", TFLAT, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = NOTP,
	  .mem_out = { MEMB(NOTP, LE32(0x1f80)) } },
	{ "no paging: outside RAM", TFLAT, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = 0x300000,
	  UNH },
	{ "write crossing into read-only", T64, BYTES(0xf3, 0x0f, 0x7f, 0x0f),
	  .gpr[EMUL_RDI] = RO - 4, PF(PF_P | PF_W, RO) },
	{ "read crossing into a supervisor page at CPL 3", T64, BYTES(0xf3, 0x0f, 0x6f, 0x07),
	  .cpl = 3, .gpr[EMUL_RDI] = NOTP - 1, PF(PF_U, NOTP) },
	{ "crossing into the non-canonical hole", T64, BYTES(0xf3, 0x0f, 0x6f, 0x07),
	  .gpr[EMUL_RDI] = NONCANON - 8, GP0 },
	{ "just below the hole", T64, BYTES(0x0f, 0xae, 0x1f), .gpr[EMUL_RDI] = NONCANON - 4,
	  .mem_out = { MEMB(0x1fffc, LE32(0x1f80)) } },
};

static void test_page_faults(void **state)
{
	RUN(faults);
}

/* ---- emul_walk() and emul_fetch() directly ---- */

struct walk_case {
	const char *name;
	enum tmode mode;
	uint64_t la;
	unsigned int access;
	uint64_t cr0_clr, cr4_set, cr4_clr, efer_clr, flags;
	int ret;
	uint64_t gpa;
	uint8_t vector;
	uint32_t ec;
};

#define RD     0
#define WR     EMUL_ACC_WRITE
#define USR    EMUL_ACC_USER
#define FETCH  EMUL_ACC_FETCH
#define WPF(e) .ret = -1, .vector = 14, .ec = (e)
#define WGP    .ret = -1, .vector = 13

static const struct walk_case walks[] = {
	{ "read", T64, DATA + 5, RD, .gpa = DATA + 5 },
	{ "1 GiB page", T64, LA_1G + 0x11234, RD, .gpa = 0x11234 },
	{ "2 MiB page", T64, LA_2M + 0x11234, WR, .gpa = 0x11234 },
	{ "upper half", T64, LA_HIGH + 0x11234, RD, .gpa = 0x11234 },
	{ "non-canonical", T64, NONCANON, RD, WGP },
	{ "last page below the hole", T64, NONCANON - 1, WR, .gpa = 0x1ffff },
	{ "non-canonical, top", T64, 0xfff0000000000000 >> 1, RD, WGP },
	{ "remapped", T64, REMAP + 1, RD, .gpa = REMAP_PA + 1 },
	{ "outside RAM is not the walker's business", T64, MMIO, WR, .gpa = MMIO_PA },
	{ "ignored high bit", T64, HIBIT, RD, .gpa = HIBIT },
	{ "not present", T64, NOTP, RD, WPF(0) },
	{ "not present, write", T64, NOTP, WR, WPF(PF_W) },
	{ "not present, user", T64, NOTP, USR, WPF(PF_U) },
	{ "not present, fetch", T64, NOTP, FETCH, WPF(PF_ID) },
	{ "read-only, WP", T64, RO, WR, WPF(PF_P | PF_W) },
	{ "read-only, no WP", T64, RO, WR, .cr0_clr = X86_CR0_WP, .gpa = RO },
	{ "user page, user write", T64, USER, WR | USR, .gpa = USER },
	{ "supervisor page, user", T64, DATA, USR, WPF(PF_P | PF_U) },
	{ "supervisor page, user fetch", T64, CODE, USR | FETCH, WPF(PF_P | PF_U | PF_ID) },
	{ "SMAP", T64, USER, RD, .cr4_set = X86_CR4_SMAP, WPF(PF_P) },
	{ "SMAP with AC", T64, USER, WR, .cr4_set = X86_CR4_SMAP, .flags = X86_EFLAGS_AC,
	  .gpa = USER },
	{ "SMAP does not stop fetches", T64, USER, FETCH, .cr4_set = X86_CR4_SMAP, .gpa = USER },
	{ "SMEP", T64, USER, FETCH, .cr4_set = X86_CR4_SMEP, WPF(PF_P | PF_ID) },
	{ "SMEP, user fetch is fine", T64, USER, FETCH | USR, .cr4_set = X86_CR4_SMEP,
	  .gpa = USER },
	{ "NX fetch", T64, NXPG, FETCH, WPF(PF_P | PF_ID) },
	{ "NX read", T64, NXPG, RD, .gpa = NXPG },
	{ "NX without NXE", T64, NXPG, RD, .efer_clr = EFER_NXE, WPF(PF_P | PF_RSVD) },
	{ "fetch without NXE: no I/D", T64, NOTP, FETCH, .efer_clr = EFER_NXE, WPF(0) },
	{ "PS in PML4E", T64, LA_PML4_PS, RD, WPF(PF_P | PF_RSVD) },
	{ "2 MiB reserved", T64, LA_2M_BAD, FETCH, WPF(PF_P | PF_RSVD | PF_ID) },
	{ "table outside RAM", T64, LA_PT_HOLE, WR, WPF(PF_P | PF_W | PF_RSVD) },
	{ "5-level", T57, DATA, RD, .gpa = DATA },
	{ "5-level, bit 47", T57, NONCANON + DATA, RD, .gpa = DATA },
	{ "5-level non-canonical", T57, 1ull << 56, RD, WGP },
	{ "5-level upper half", T57, 0xff00000000000000 | DATA, RD, WPF(0) },
	{ "PAE", TPAE, DATA, WR, .gpa = DATA },
	{ "PAE upper bits ignored", TPAE, 0x100000000 + DATA, RD, .gpa = DATA },
	{ "PAE 2 MiB", TPAE, LA_2M + 0x11234, RD, .gpa = 0x11234 },
	{ "PAE high bit reserved", TPAE, HIBIT, RD, WPF(PF_P | PF_RSVD) },
	{ "PAE NX fetch", TPAE, NXPG, FETCH, WPF(PF_P | PF_ID) },
	{ "PAE PDPTE reserved", TPAE, LA_1G, RD, WPF(PF_P | PF_RSVD) },
	{ "32-bit", T32, DATA, WR, .gpa = DATA },
	{ "32-bit 4 MiB", T32, LA_4M + 0x11234, RD, .gpa = 0x11234 },
	{ "32-bit 4 MiB bit 21", T32, LA_4M_BAD, RD, WPF(PF_P | PF_RSVD) },
	{ "32-bit NX bit is ignored", T32, NXPG, FETCH, .gpa = NXPG },
	{ "32-bit fetch, not present: no I/D", T32, NOTP, FETCH, WPF(0) },
	{ "32-bit fetch with SMEP: I/D", T32, NOTP, FETCH, .cr4_set = X86_CR4_SMEP, WPF(PF_ID) },
	{ "32-bit user", T32, DATA, USR, WPF(PF_P | PF_U) },
	{ "32-bit user page", T32, USER, USR | WR, .gpa = USER },
	{ "no paging", TFLAT, 0x12345678, WR, .gpa = 0x12345678 },
	{ "no paging, 16-bit", T16, 0xffff0, FETCH | USR, .gpa = 0xffff0 },
};

static void test_walk(void **state)
{
	for (size_t i = 0; i < sizeof(walks) / sizeof(walks[0]); i++) {
		const struct walk_case *t = &walks[i];
		struct emul_exception exc;
		struct emul_cpu cpu;
		uint64_t gpa = 0;
		int ret;

		build_tables();
		cpu_init(&cpu, t->mode);
		cpu.cr0 &= ~t->cr0_clr;
		cpu.cr4 = (cpu.cr4 | t->cr4_set) & ~t->cr4_clr;
		cpu.efer &= ~t->efer_clr;
		cpu.rflags |= t->flags;
		memset(&exc, 0xcc, sizeof(exc));
		ret = emul_walk(&cpu, &mem, t->la, t->access, &gpa, &exc);
		if (ret != t->ret)
			FAIL(t, "returned %d (vector %u ec %#x), want %d", ret, exc.vector,
			     exc.error_code, t->ret);
		if (!ret && gpa != t->gpa)
			FAIL(t, "gpa %#llx, want %#llx", (unsigned long long)gpa,
			     (unsigned long long)t->gpa);
		if (ret &&
		    (exc.vector != t->vector || !exc.has_error_code || exc.error_code != t->ec))
			FAIL(t, "vector %u ec %#x, want %u %#x", exc.vector, exc.error_code,
			     t->vector, t->ec);
		if (ret && t->vector == 14 &&
		    exc.cr2 != (t->mode >= TPAE ? (uint32_t)t->la : t->la))
			FAIL(t, "cr2 %#llx", (unsigned long long)exc.cr2);
	}
}

static void test_walk_accessed_dirty(void **state)
{
	struct emul_exception exc;
	struct emul_cpu cpu;
	uint64_t gpa, e;

	build_tables();
	cpu_init(&cpu, T64);
	assert_int_equal(emul_walk(&cpu, &mem, LA_2M + DATA, WR, &gpa, &exc), 0);
	memcpy(&e, ram + PD + 8, 8);
	assert_int_equal(e, PS | P | RW | US | A | D); /* a 2 MiB page's D is in the PDE */
	memcpy(&e, ram + PDPT, 8);
	assert_int_equal(e, PD | P | RW | US | A);
	/* PAE PDPTEs have no A bit: it would be a reserved bit. */
	cpu_init(&cpu, TPAE);
	assert_int_equal(emul_walk(&cpu, &mem, DATA, RD, &gpa, &exc), 0);
	memcpy(&e, ram + PAE_PDPT, 8);
	assert_int_equal(e, PAE_PD | P);
	memcpy(&e, ram + PAE_PD, 8);
	assert_int_equal(e, PT | P | RW | US | A);
	/* A faulting walk sets nothing. */
	build_tables();
	cpu_init(&cpu, T64);
	assert_int_equal(emul_walk(&cpu, &mem, RO, WR, &gpa, &exc), -1);
	memcpy(&e, ram + PML4, 8);
	assert_int_equal(e, PDPT | P | RW | US);
	/* 32-bit 4 MiB page. */
	cpu_init(&cpu, T32);
	assert_int_equal(emul_walk(&cpu, &mem, LA_4M, WR, &gpa, &exc), 0);
	assert_int_equal(*(uint32_t *)(ram + PD32 + 4), PS | P | RW | US | A | D);
}

struct fetch_case {
	const char *name;
	enum tmode mode;
	uint64_t rip;
	uint8_t cpl;
	uint64_t cs_base, cr4_set;
	size_t want;
	uint64_t want_la; /* where the bytes come from */
	uint8_t vector;
	uint32_t ec;
	uint64_t cr2;
};

static const struct fetch_case fetches[] = {
	{ "code", T64, CODE, .want = 15, .want_la = CODE },
	{ "shortened by a page not present", T64, NOTP - 3, .want = 3, .want_la = NOTP - 3 },
	{ "across pages", T64, DATA2 - 5, .want = 15, .want_la = DATA2 - 5 },
	{ "NX", T64, NXPG, .vector = 14, .ec = PF_P | PF_ID, .cr2 = NXPG },
	{ "not present", T64, NOTP + 9, .vector = 14, .ec = PF_ID, .cr2 = NOTP + 9 },
	{ "CPL 3 from a supervisor page", T64, CODE, .cpl = 3, .vector = 14,
	  .ec = PF_P | PF_U | PF_ID, .cr2 = CODE },
	{ "CPL 3 from a user page", T64, USER, .cpl = 3, .want = 15, .want_la = USER },
	{ "SMEP", T64, USER + 1, .cr4_set = X86_CR4_SMEP, .vector = 14, .ec = PF_P | PF_ID,
	  .cr2 = USER + 1 },
	{ "outside RAM", T64, MMIO, .vector = 13 },
	{ "shortened by MMIO", T64, MMIO - 2, .want = 2, .want_la = MMIO - 2 },
	{ "non-canonical", T64, NONCANON, .vector = 13 },
	{ "32-bit with a CS base", T32, 0xf000, .cs_base = 0x1000, .want = 15, .want_la = CODE },
	{ "32-bit not present: no I/D", T32, NOTP, .vector = 14, .ec = 0, .cr2 = NOTP },
	{ "16-bit", T16, 0x0, .cs_base = CODE, .want = 15, .want_la = CODE },
};

static void test_fetch(void **state)
{
	for (size_t i = 0; i < sizeof(fetches) / sizeof(fetches[0]); i++) {
		const struct fetch_case *t = &fetches[i];
		struct emul_exception exc;
		struct emul_cpu cpu;
		uint8_t buf[15];
		size_t n;

		build_tables();
		for (int k = 0; k < RAM_SIZE - DATA_REGION; k++)
			ram[DATA_REGION + k] = (uint8_t)(k * 7 + 1);
		cpu_init(&cpu, t->mode);
		cpu.rip = t->rip;
		cpu.cpl = t->cpl;
		cpu.seg_base[EMUL_CS] = t->cs_base;
		cpu.cr4 |= t->cr4_set;
		memset(&exc, 0xcc, sizeof(exc));
		n = emul_fetch(&cpu, &mem, buf, sizeof(buf), &exc);
		if (n != t->want)
			FAIL(t, "fetched %zu, want %zu", n, t->want);
		if (n && memcmp(buf, ram + t->want_la, n))
			FAIL(t, "wrong bytes");
		if (!t->want && (exc.vector != t->vector || !exc.has_error_code ||
				 exc.error_code != t->ec || (t->vector == 14 && exc.cr2 != t->cr2)))
			FAIL(t, "vector %u ec %#x cr2 %#llx", exc.vector, exc.error_code,
			     (unsigned long long)exc.cr2);
	}
}

/* ---- the decoder ---- */

struct len_case {
	enum tmode mode;
	uint8_t bytes[16];
	uint8_t len; /* of bytes[] */
	uint8_t want;
};

#define L(m, n, ...)                               \
	{                                          \
		m, BYTES(__VA_ARGS__), .want = (n) \
	}
#define Z4 0, 0, 0, 0
#define Z8 Z4, Z4

static const struct len_case lengths[] = {
	L(T64, 1, 0x90),
	L(T64, 2, 0x40, 0x90),
	L(T32, 1, 0x40), /* inc %eax */
	L(T64, 3, 0xf6, 0xc0, 0x12),
	L(T64, 2, 0xf6, 0xd0),
	L(T64, 6, 0xf7, 0xc0, Z4),
	L(T64, 5, 0x66, 0xf7, 0xc0, 0, 0),
	L(T64, 7, 0x48, 0xf7, 0xc0, Z4),
	L(T64, 2, 0xf7, 0xd8),
	L(T64, 7, 0xf7, 0x48, 0x08, Z4), /* /1 is an alias of test: an imm32 too */
	L(T64, 4, 0xc8, 0x10, 0x00, 0x01),
	L(T64, 9, 0xa0, Z8),
	L(T64, 6, 0x67, 0xa1, Z4),
	L(T32, 5, 0xa1, Z4),
	L(T32, 4, 0x67, 0xa3, 0, 0),
	L(T16, 3, 0xa0, 0, 0),
	L(T16, 6, 0x67, 0xa0, Z4),
	L(T64, 5, 0xb8, Z4),
	L(T64, 10, 0x48, 0xb8, Z8),
	L(T64, 10, 0x49, 0xbf, Z8),
	L(T64, 4, 0x66, 0xb8, 0, 0),
	L(T16, 3, 0xb8, 0, 0),
	L(T16, 6, 0x66, 0xb8, Z4),
	L(T32, 7, 0x9a, Z4, 0, 0),
	L(T32, 6, 0x66, 0xea, Z4),
	L(T16, 5, 0xea, Z4),
	L(T64, 5, 0x0f, 0x3a, 0x0f, 0xc1, 0x08),
	L(T64, 6, 0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x08),
	L(T64, 4, 0x0f, 0x38, 0x00, 0xc1),
	L(T64, 5, 0xe8, Z4),
	L(T64, 6, 0x66, 0xe8, Z4),
	L(T32, 4, 0x66, 0xe8, 0, 0),
	L(T16, 3, 0xe8, 0, 0),
	L(T64, 6, 0x0f, 0x84, Z4),
	L(T16, 4, 0x0f, 0x84, 0, 0),
	L(T64, 2, 0x75, 0xfe),
	L(T64, 6, 0x8b, 0x05, Z4),
	L(T64, 7, 0x8b, 0x04, 0x25, Z4),
	L(T64, 7, 0x8b, 0x04, 0x65, Z4), /* SIB base 5, mod 0: disp32, no base */
	L(T64, 4, 0x8b, 0x44, 0x24, 0x08),
	L(T64, 7, 0x8b, 0x84, 0x24, Z4),
	L(T64, 3, 0x8b, 0x04, 0x24),
	L(T16, 4, 0x8b, 0x06, 0x34, 0x12),
	L(T16, 3, 0x8b, 0x46, 0x01),
	L(T16, 4, 0x8b, 0x86, 0, 0),
	L(T16, 2, 0x8b, 0x00),
	L(T16, 2, 0x8b, 0x04), /* (%si): no SIB with 16-bit addresses */
	L(T32, 5, 0x67, 0x8b, 0x06, 0x34, 0x12),
	L(T16, 4, 0x67, 0x8b, 0x04, 0x24),
	L(T16, 7, 0x67, 0x8b, 0x05, Z4),
	L(T64, 4, 0xc5, 0xf9, 0x6f, 0xc1),
	L(T64, 6, 0xc4, 0xe3, 0x79, 0x0f, 0xc1, 0x08),
	L(T64, 3, 0xc5, 0xf8, 0x77),
	L(T64, 5, 0xc4, 0xe2, 0x79, 0x00, 0xc1),
	L(T64, 5, 0xc5, 0xf9, 0x70, 0xc1, 0x08),
	L(T64, 9, 0xc4, 0xe2, 0x79, 0x00, 0x80, Z4),
	L(T32, 4, 0xc5, 0xf9, 0x6f, 0xc1),
	L(T32, 6, 0xc5, 0x05, Z4), /* lds (disp32) */
	L(T32, 2, 0xc4, 0x00),	   /* les (%eax) */
	L(T64, 6, 0x62, 0xf1, 0x7d, 0x48, 0x6f, 0xc1),
	L(T64, 7, 0x62, 0xf3, 0x7d, 0x48, 0x0f, 0xc1, 0x08),
	L(T64, 7, 0x62, 0xf1, 0x7d, 0x48, 0x6f, 0x40, 0x01),
	L(T32, 6, 0x62, 0xf1, 0x7d, 0x48, 0x6f, 0xc1),
	L(T32, 2, 0x62, 0x00), /* bound */
	L(T64, 5, 0x48, 0x66, 0xb8, 0, 0),
	L(T64, 11, 0x66, 0x48, 0xb8, Z8),
	L(T64, 15, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	  0x66, 0x90),
	L(T64, 15, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
	  0x66, 0x90, 0x90), /* trailing bytes */
	L(T64, 4, 0x0f, 0x0f, 0xc1, 0xb4),
	L(T64, 6, 0xc7, 0xf8, Z4),
	L(T64, 3, 0xc6, 0xf8, 0x12),
	L(T64, 4, 0x0f, 0xba, 0xe0, 0x05),
	L(T64, 4, 0xf3, 0x0f, 0xb8, 0xc1),
	L(T64, 6, 0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20),
	L(T64, 3, 0x0f, 0x01, 0xca),
	L(T64, 4, 0x3e, 0x64, 0x8b, 0x00),
	L(T64, 3, 0x63, 0x04, 0x24),
	L(T64, 4, 0xf0, 0x83, 0x00, 0x01),
	L(T64, 3, 0xc2, 0x08, 0x00),
	L(T64, 2, 0xcd, 0x80),
	L(T32, 2, 0xd4, 0x0a),
	L(T32, 1, 0xd6),
	L(T64, 3, 0x0f, 0x20, 0xc0, 0x90),	       /* mov %cr0: always a register */
	L(T64, 3, 0x0f, 0x78, 0xc0),		       /* vmread */
	L(T64, 6, 0x66, 0x0f, 0x78, 0xc0, 0x01, 0x02), /* extrq (AMD) */
	L(T64, 11, 0x81, 0x84, 0x24, Z4, 0x01, 0, 0),  /* one byte short: must fail */
};

static void test_decode_lengths(void **state)
{
	struct emul_cpu cpu;
	struct emul_insn insn;

	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		const struct len_case *t = &lengths[i];
		uint8_t *b = malloc(t->len);
		int ret;

		memcpy(b, t->bytes, t->len);
		cpu_init(&cpu, t->mode);
		ret = emul_decode(&cpu, b, t->len, &insn);
		if (t->want > t->len) {
			/* The last case: too short; the decoder must say so. */
			if (ret != -1)
				fail_msg("length case %zu: decoded a truncated instruction", i);
		} else if (ret != 0 || insn.len != t->want) {
			fail_msg("length case %zu (first byte %02x): ret %d len %u, want %u", i,
				 t->bytes[0], ret, insn.len, t->want);
		}
		free(b);
	}
}

static void test_decode_fields(void **state)
{
	static const uint8_t cx16[] = { 0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20 };
	static const uint8_t rex_dropped[] = { 0x48, 0x66, 0x90 };
	static const uint8_t movdqa[] = { 0x66, 0x45, 0x0f, 0x6f, 0x4c, 0xa0, 0xf0 };
	static const uint8_t segs[] = { 0x64, 0x3e, 0xf3, 0xf2, 0x8b, 0x00 };
	static const uint8_t imm64[] = { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t enter[] = { 0xc8, 0x34, 0x12, 0x56 };
	static const uint8_t vex[] = { 0xc4, 0xe3, 0x79, 0x0f, 0xc1, 0x08 };
	struct emul_insn insn;
	struct emul_cpu cpu;

	cpu_init(&cpu, T64);
	assert_int_equal(emul_decode(&cpu, cx16, sizeof(cx16), &insn), 0);
	assert_true(insn.lock);
	assert_int_equal(insn.rex, 0x48);
	assert_int_equal(insn.map, 1);
	assert_int_equal(insn.opcode, 0xc7);
	assert_int_equal(insn.mod, 1);
	assert_int_equal(insn.reg, 1);
	assert_int_equal(insn.rm, 5);
	assert_int_equal(insn.disp, 0x20);
	assert_int_equal(insn.opsz, 8);
	assert_int_equal(insn.adsz, 8);
	assert_int_equal(insn.seg, -1);
	assert_int_equal(emul_decode(&cpu, rex_dropped, sizeof(rex_dropped), &insn), 0);
	assert_int_equal(insn.rex, 0);
	assert_int_equal(insn.opsz, 2);
	assert_int_equal(emul_decode(&cpu, movdqa, sizeof(movdqa), &insn), 0);
	assert_int_equal(insn.reg, 9);
	assert_true(insn.has_sib);
	assert_int_equal(insn.sib, 0xa0);
	assert_int_equal(insn.disp, -16);
	assert_true(insn.opsize);
	assert_int_equal(emul_decode(&cpu, segs, sizeof(segs), &insn), 0);
	assert_int_equal(insn.seg, EMUL_DS);
	assert_int_equal(insn.rep, 0xf2);
	assert_int_equal(emul_decode(&cpu, imm64, sizeof(imm64), &insn), 0);
	assert_int_equal(insn.imm_len, 8);
	assert_int_equal(insn.imm, 0x0807060504030201);
	assert_int_equal(emul_decode(&cpu, enter, sizeof(enter), &insn), 0);
	assert_int_equal(insn.imm_len, 3);
	assert_int_equal(insn.imm, 0x561234);
	assert_int_equal(emul_decode(&cpu, vex, sizeof(vex), &insn), 0);
	assert_true(insn.vex);
	assert_int_equal(insn.map, 3);
	assert_int_equal(insn.opcode, 0x0f);
	cpu_init(&cpu, T16);
	assert_int_equal(emul_decode(&cpu, enter, sizeof(enter), &insn), 0);
	assert_int_equal(insn.opsz, 2);
	assert_int_equal(insn.adsz, 2);
	cpu_init(&cpu, T64);
	cpu.efer &= ~EFER_LMA; /* CS.L without LMA: not 64-bit mode */
	cpu.cs_db = false;
	assert_int_equal(emul_decode(&cpu, enter, sizeof(enter), &insn), 0);
	assert_int_equal(insn.opsz, 2);
}

/* Encodings that must be #UD (EMUL_EXCEPTION, vector 6, RIP unchanged). */
struct ud_case {
	enum tmode mode;
	uint8_t bytes[20];
	uint8_t len;
};

#define U(m, ...)                     \
	{                             \
		m, BYTES(__VA_ARGS__) \
	}
#define P8 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66

static const struct ud_case uds[] = {
	/* every prefix alone */
	U(T64, 0x66),
	U(T64, 0x67),
	U(T64, 0xf0),
	U(T64, 0xf2),
	U(T64, 0xf3),
	U(T64, 0x2e),
	U(T64, 0x36),
	U(T64, 0x3e),
	U(T64, 0x26),
	U(T64, 0x64),
	U(T64, 0x65),
	U(T64, 0x40),
	U(T64, 0x48),
	U(T64, 0x4f),
	U(T32, 0x66),
	U(T32, 0xf0),
	U(T32, 0x26),
	U(T16, 0x67),
	U(T16, 0x65),
	U(T64, 0x66, 0x48),
	U(T64, 0x48, 0x66),
	/* too long */
	U(T64, P8, P8, 0x90),
	U(T64, P8, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x90),
	U(T64, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x48, 0xb8, 1, 2, 3, 4,
	  5, 6, 7, 8),
	U(T64, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0xf0, 0xf2, 0xf3, 0x66, 0x67, 0x40, 0x41, 0x0f,
	  0xae, 0x80, 1, 2, 3, 4),
	/* cut short */
	U(T64, 0x0f),
	U(T64, 0x0f, 0x38),
	U(T64, 0x0f, 0x3a),
	U(T64, 0x0f, 0x3a, 0x0f, 0xc1),
	U(T64, 0x8b),
	U(T64, 0x8b, 0x04),
	U(T64, 0x8b, 0x05, 0, 0),
	U(T64, 0x8b, 0x44, 0x24),
	U(T64, 0x8b, 0x80, 0, 0, 0),
	U(T64, 0xb8, 1, 2, 3),
	U(T64, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7),
	U(T64, 0xc8, 0, 0),
	U(T64, 0xa0, 1, 2, 3, 4, 5, 6, 7),
	U(T64, 0xf6, 0xc0),
	U(T64, 0xf7, 0xc0, 0, 0, 0),
	U(T64, 0x0f, 0xae),
	U(T64, 0x0f, 0x01),
	U(T64, 0x0f, 0xc7),
	U(T64, 0xf0, 0x48, 0x0f, 0xc7, 0x4d),
	U(T64, 0xe8, 0, 0, 0),
	U(T16, 0x8b, 0x06, 0x34),
	U(T16, 0x9a, 0, 0, 0),
	U(T32, 0xa1, 0, 0, 0),
	U(T32, 0x67, 0xa1, 0),
	U(T32, 0x0f),
	U(T16, 0xb8, 0),
	U(T32, 0x8b, 0x04),
	/* invalid in 64-bit mode */
	U(T64, 0x06),
	U(T64, 0x07),
	U(T64, 0x0e),
	U(T64, 0x16),
	U(T64, 0x17),
	U(T64, 0x1e),
	U(T64, 0x1f),
	U(T64, 0x27),
	U(T64, 0x2f),
	U(T64, 0x37),
	U(T64, 0x3f),
	U(T64, 0x60),
	U(T64, 0x61),
	U(T64, 0x82, 0xc0, 0x01),
	U(T64, 0x9a, 1, 2, 3, 4, 5, 6),
	U(T64, 0xce),
	U(T64, 0xd4, 0x0a),
	U(T64, 0xd5, 0x0a),
	U(T64, 0xd6),
	U(T64, 0xea, 1, 2, 3, 4, 5, 6),
	U(T64, 0x62, 0x00, 0x00, 0x00, 0x00, 0x00), /* not a valid EVEX, not BOUND either */
	U(T64, 0xc4, 0x00, 0x00, 0x00, 0x00),
	U(T64, 0x48, 0x06),
	/* VEX and EVEX, cut short or malformed */
	U(T64, 0xc5),
	U(T64, 0xc5, 0xf9),
	U(T64, 0xc5, 0xf9, 0x6f),
	U(T64, 0xc4, 0xe3),
	U(T64, 0xc4, 0xe3, 0x79),
	U(T64, 0xc4, 0xe3, 0x79, 0x0f, 0xc1),
	U(T64, 0xc4, 0xe0, 0x79, 0x0f, 0xc1),
	U(T64, 0xc4, 0xe5, 0x79, 0x0f, 0xc1),
	U(T64, 0x66, 0xc5, 0xf9, 0x6f, 0xc1),
	U(T64, 0x48, 0xc5, 0xf9, 0x6f, 0xc1),
	U(T64, 0xf3, 0xc5, 0xf9, 0x6f, 0xc1),
	U(T64, 0xf0, 0xc5, 0xf9, 0x6f, 0xc1),
	U(T64, 0x62),
	U(T64, 0x62, 0xf1, 0x7d),
	U(T64, 0x62, 0xf1, 0x7d, 0x48),
	U(T64, 0x62, 0xf1, 0x7d, 0x48, 0x6f),
	U(T64, 0x62, 0xf1, 0x79, 0x48, 0x6f, 0xc1),
	U(T64, 0x62, 0xf3, 0x7d, 0x48, 0x0f, 0xc1),
	U(T32, 0xc5),
	U(T32, 0xc5, 0xf9),
	U(T32, 0xc4, 0xc0),
	U(T32, 0x62, 0xf1, 0x7d),
	/* always invalid */
	U(T64, 0x0f, 0x0b),
	U(T32, 0x0f, 0x0b),
	U(T16, 0x0f, 0x0b),
	U(T64, 0x0f, 0xb9, 0xc0),
	U(T64, 0x0f, 0xff, 0xc0),
	U(T64, 0x0f, 0x04),
	U(T64, 0x0f, 0x0a),
	U(T64, 0x0f, 0x0c),
	U(T64, 0x0f, 0x24, 0xc0),
	U(T64, 0x0f, 0x36),
	U(T64, 0x0f, 0x39),
	U(T64, 0x0f, 0x3b),
	U(T64, 0x0f, 0xa6),
	U(T64, 0x0f, 0xa7),
	U(T64, 0x0f, 0x7a),
	U(T64, 0x0f, 0xb8, 0xc1),
	U(T64, 0x8d, 0xc0),
	U(T64, 0x8f, 0xc8),
	U(T64, 0xc6, 0xc8, 0x00),
	U(T64, 0xc7, 0xc8, 0, 0, 0, 0),
	U(T64, 0xfe, 0xd0),
	U(T64, 0xff, 0xf8),
	U(T64, 0xff, 0xd8),
	U(T64, 0xff, 0xe8),
	U(T64, 0x0f, 0x00, 0xf0),
	U(T64, 0x0f, 0xba, 0xc0, 0x05),
	U(T64, 0x0f, 0xc7, 0xc8),
	U(T64, 0x0f, 0xb2, 0xc0),
	/* LOCK where it is not allowed */
	U(T64, 0xf0, 0x90),
	U(T64, 0xf0, 0xf3, 0x48, 0x0f, 0xb8, 0xc7),
	U(T64, 0xf0, 0x0f, 0xae, 0x10),
	U(T64, 0xf0, 0x01, 0xc0),
	U(T64, 0xf0, 0xcc),
	U(T64, 0xf0, 0x83, 0x38, 0x01),
	U(T64, 0xf0, 0x0f, 0xc7, 0xf0),
	U(T64, 0xf0, 0x66, 0x0f, 0x6e, 0xc1),
};

static void test_invalid_encodings(void **state)
{
	for (size_t i = 0; i < sizeof(uds) / sizeof(uds[0]); i++) {
		const struct ud_case *t = &uds[i];
		struct emul_exception exc;
		struct emul_cpu cpu;
		unsigned int dirty;
		uint8_t *b = malloc(t->len);
		enum emul_result r;

		build_tables();
		memcpy(b, t->bytes, t->len);
		cpu_init(&cpu, t->mode);
		r = emul_execute(&cpu, &mem, b, t->len, &exc, &dirty);
		if (r != EMUL_EXCEPTION || exc.vector != 6 || exc.has_error_code || cpu.rip != CODE)
			fail_msg("#UD case %zu (mode %d, %u bytes %02x %02x ..): result %d vector "
				 "%u",
				 i, t->mode, t->len, t->bytes[0], t->len > 1 ? t->bytes[1] : 0, r,
				 exc.vector);
		free(b);
	}
}

/* Valid instructions: each must decode to exactly its length, and every proper prefix must be #UD.
 */
static const struct ud_case valid[] = {
	U(T64, 0xcc),
	U(T64, 0xf1),
	U(T64, 0x9b),
	U(T64, 0xcd, 0x80),
	U(T64, 0x0f, 0x01, 0xca),
	U(T64, 0x0f, 0x01, 0xcb),
	U(T64, 0x0f, 0xae, 0x54, 0x24, 0x04),
	U(T64, 0x0f, 0xae, 0x15, 1, 2, 3, 4),
	U(T64, 0x64, 0x0f, 0xae, 0x1c, 0x25, 1, 2, 3, 4),
	U(T64, 0x0f, 0xae, 0xe8),
	U(T64, 0x66, 0x0f, 0xae, 0x38),
	U(T64, 0xf3, 0x48, 0x0f, 0xae, 0xc0),
	U(T64, 0xf3, 0x48, 0x0f, 0xb8, 0xc7),
	U(T64, 0x66, 0xf3, 0x0f, 0xbd, 0xc1),
	U(T64, 0xf3, 0x4d, 0x0f, 0xbc, 0x84, 0x8b, 1, 2, 3, 4),
	U(T64, 0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20),
	U(T64, 0xf0, 0x0f, 0xc7, 0x0f),
	U(T64, 0x48, 0x0f, 0xc7, 0xf0),
	U(T64, 0x66, 0x44, 0x0f, 0x6e, 0xf9),
	U(T64, 0x66, 0x48, 0x0f, 0x7e, 0xd8),
	U(T64, 0xf3, 0x0f, 0x7e, 0x27),
	U(T64, 0x66, 0x0f, 0xd6, 0x3f),
	U(T64, 0x66, 0x45, 0x0f, 0x6f, 0x4c, 0xa0, 0xf0),
	U(T64, 0x0f, 0x29, 0x87, 1, 2, 3, 4),
	U(T64, 0x66, 0x0f, 0xef, 0xd1),
	U(T64, 0x0f, 0x57, 0xc0),
	U(T64, 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8),
	U(T64, 0xc8, 1, 2, 3),
	U(T64, 0xa0, 1, 2, 3, 4, 5, 6, 7, 8),
	U(T64, 0xf7, 0xc0, 1, 2, 3, 4),
	U(T64, 0x0f, 0x3a, 0x0f, 0xc1, 0x08),
	U(T64, 0xc4, 0xe3, 0x79, 0x0f, 0xc1, 0x08),
	U(T64, 0xc5, 0xf8, 0x77),
	U(T64, 0x62, 0xf1, 0x7d, 0x48, 0x6f, 0x40, 0x01),
	U(T64, 0x81, 0x84, 0x24, 1, 2, 3, 4, 5, 6, 7, 8),
	U(T64, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x0f, 0xae, 0x10),
	U(T32, 0x9a, 1, 2, 3, 4, 5, 6),
	U(T32, 0xce),
	U(T32, 0x66, 0xe8, 1, 2),
	U(T32, 0xc5, 0xf9, 0x6f, 0xc1),
	U(T32, 0xc4, 0x05, 1, 2, 3, 4),
	U(T16, 0x0f, 0xae, 0x1e, 0x34, 0x12),
	U(T16, 0x67, 0x0f, 0xae, 0x5c, 0x24, 0x08),
	U(T16, 0xea, 1, 2, 3, 4),
};

static void test_truncated_prefixes(void **state)
{
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		const struct ud_case *t = &valid[i];
		struct emul_insn insn;
		struct emul_cpu cpu;
		uint8_t more[32];

		cpu_init(&cpu, t->mode);
		memset(more, 0x90, sizeof(more));
		memcpy(more, t->bytes, t->len);
		if (emul_decode(&cpu, more, sizeof(more), &insn) || insn.len != t->len)
			fail_msg("valid case %zu (%02x ..): length %u, want %u", i, t->bytes[0],
				 insn.len, t->len);
		for (size_t k = 0; k < t->len; k++) {
			struct emul_exception exc;
			unsigned int dirty;
			uint8_t *b = malloc(k ? k : 1);
			enum emul_result r;

			memcpy(b, t->bytes, k);
			cpu_init(&cpu, t->mode);
			r = emul_execute(&cpu, &mem, b, k, &exc, &dirty);
			if (r != EMUL_EXCEPTION || exc.vector != 6 || cpu.rip != CODE)
				fail_msg("valid case %zu cut to %zu bytes: result %d vector %u", i,
					 k, r, exc.vector);
			free(b);
		}
	}
}

/* Opcodes emul/ implements, to start half of the random instructions with. */
static const uint8_t seeds[][5] = {
	{ 2, 0x0f, 0xae },
	{ 2, 0x0f, 0xc7 },
	{ 3, 0xf3, 0x0f, 0xb8 },
	{ 3, 0xf3, 0x0f, 0xbc },
	{ 3, 0xf3, 0x0f, 0xbd },
	{ 3, 0x66, 0x0f, 0x6e },
	{ 3, 0x66, 0x0f, 0x7e },
	{ 3, 0xf3, 0x0f, 0x7e },
	{ 3, 0x66, 0x0f, 0xd6 },
	{ 3, 0x66, 0x0f, 0x6f },
	{ 3, 0xf3, 0x0f, 0x7f },
	{ 2, 0x0f, 0x28 },
	{ 2, 0x0f, 0x11 },
	{ 3, 0x66, 0x0f, 0xef },
	{ 2, 0x0f, 0x57 },
	{ 2, 0x0f, 0x01 },
	{ 3, 0xf0, 0x0f, 0xc7 },
	{ 4, 0xf0, 0x48, 0x0f, 0xc7 },
	{ 4, 0xf3, 0x48, 0x0f, 0xae },
	{ 1, 0x9b },
	{ 1, 0xcc },
};

/* Random bytes, or a seed opcode then random bytes, after up to 3 random prefixes. */
static size_t random_insn(uint8_t *b)
{
	static const uint8_t prefixes[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36,
					    0x3e, 0x26, 0x64, 0x65, 0x41, 0x48, 0x4c };
	size_t len = 1 + rnd() % EMUL_MAX_INSN, n = 0;

	for (size_t k = 0; k < len; k++)
		b[k] = rnd();
	if (rnd() & 1)
		return len;
	for (unsigned int p = rnd() % 4; p && n < len; p--)
		b[n++] = prefixes[rnd() % sizeof(prefixes)];
	const uint8_t *seed = seeds[rnd() % (sizeof(seeds) / sizeof(seeds[0]))];

	for (unsigned int k = 0; k < seed[0] && n < len; k++)
		b[n++] = seed[1 + k];
	return len;
}

static void random_state(struct emul_cpu *cpu, enum tmode mode)
{
	cpu_init(cpu, mode);
	for (int g = 0; g < 16; g++)
		cpu->gpr[g] = (rnd() & 1) ? rnd() : rnd() % RAM_SIZE;
	cpu->seg_base[rnd() % EMUL_NSEG] = rnd() % RAM_SIZE;
	cpu->cr0 ^= rnd() & (X86_CR0_TS | X86_CR0_EM | X86_CR0_WP | X86_CR0_NE);
	cpu->cr4 ^= rnd() & (X86_CR4_SMEP | X86_CR4_SMAP | X86_CR4_OSFXSR | X86_CR4_FSGSBASE);
	cpu->cpl = (rnd() & 3) == 3 ? 3 : 0;
	cpu->rflags |= rnd() & (ARITH | X86_EFLAGS_AC);
	cpu->fsw = rnd() & 0x80;
	cpu->mxcsr_mask = (rnd() & 1) ? 0xffff : 0;
}

static void test_random_bytes(void **state)
{
	static const enum tmode modes[] = { T64, T32, T16, TPAE, T57, TFLAT };
	unsigned long count[3] = { 0 };

	rng_state = 0x9e3779b97f4a7c15ull;
	for (int i = 0; i < 200000; i++) {
		uint8_t tmp[EMUL_MAX_INSN], *b;
		struct emul_exception exc;
		struct emul_insn insn;
		struct emul_cpu cpu;
		unsigned int dirty;
		enum emul_result r;
		uint64_t rip;
		size_t len;

		if (i % 1000 == 0)
			build_tables(); /* random stores may hit the page tables */
		len = random_insn(tmp);
		b = malloc(len);
		memcpy(b, tmp, len);
		random_state(&cpu, modes[i % 6]);
		rip = cpu.rip;
		r = emul_execute(&cpu, &mem, b, len, &exc, &dirty);
		assert_true(r == EMUL_DONE || r == EMUL_EXCEPTION || r == EMUL_UNHANDLED);
		count[r]++;
		if (r == EMUL_UNHANDLED)
			assert_int_equal(cpu.rip, rip);
		if (r == EMUL_EXCEPTION)
			assert_true(exc.vector <= 16);
		if (r == EMUL_DONE) {
			assert_int_equal(emul_decode(&cpu, b, len, &insn), 0);
			assert_int_equal(cpu.rip, rip + insn.len);
		}
		free(b);
	}
	print_message("random: %lu done, %lu exceptions, %lu unhandled\n", count[0], count[1],
		      count[2]);
}

/* ---- emul_name() ---- */

static void test_names(void **state)
{
	static const struct {
		enum tmode mode;
		uint8_t bytes[16];
		uint8_t len;
		const char *want;
	} names[] = {
		{ T64, BYTES(0xf0, 0x48, 0x0f, 0xc7, 0x0f), "lock cmpxchg16b (%rdi)" },
		{ T64, BYTES(0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x20), "lock cmpxchg16b 0x20(%rbp)" },
		{ T64, BYTES(0x0f, 0xc7, 0x0f), "cmpxchg8b (%rdi)" },
		{ T64, BYTES(0xf3, 0x48, 0x0f, 0xb8, 0xc7), "popcnt %rdi,%rax" },
		{ T64, BYTES(0x66, 0xf3, 0x0f, 0xbd, 0xc1), "lzcnt %cx,%ax" },
		{ T64, BYTES(0x66, 0x44, 0x0f, 0x6e, 0xf9), "movd %ecx,%xmm15" },
		{ T64, BYTES(0x66, 0x48, 0x0f, 0x7e, 0xd8), "movq %xmm3,%rax" },
		{ T64, BYTES(0x66, 0x0f, 0x7f, 0x0f), "movdqa %xmm1,(%rdi)" },
		{ T64, BYTES(0x0f, 0xae, 0x54, 0x24, 0x04), "ldmxcsr 0x4(%rsp)" },
		{ T64, BYTES(0x0f, 0xae, 0x15, 0xf9, 0x0f, 0, 0), "ldmxcsr 0xff9(%rip)" },
		{ T64, BYTES(0x64, 0x0f, 0xae, 0x1c, 0x25, 0x20, 0, 0, 0), "stmxcsr %fs:0x20" },
		{ T64, BYTES(0xf3, 0x0f, 0xae, 0xc9), "rdgsbase %ecx" },
		{ T64, BYTES(0x0f, 0x01, 0xca), "clac" },
		{ T64, BYTES(0xcc), "int3" },
		{ T64, BYTES(0x9b), "fwait" },
		{ T64, BYTES(0x66, 0x0f, 0xef, 0x44, 0x8b, 0xf0), "pxor -0x10(%rbx,%rcx,4),%xmm0" },
		{ T64, BYTES(0x8b, 0x44, 0x8b, 0x10), "8b /0 0x10(%rbx,%rcx,4)" },
		{ T64, BYTES(0x0f, 0xa2), "0f a2" },
		{ T64, BYTES(0xc5, 0xf8, 0x77), "vex 0f 77" },
		{ T16, BYTES(0x0f, 0xae, 0x18), "stmxcsr (%bx,%si)" },
		{ T32, BYTES(0x0f, 0xae, 0x5c, 0x24, 0x08), "stmxcsr 0x8(%esp)" },
	};
	struct emul_insn insn;
	struct emul_cpu cpu;
	char buf[64], tiny[8];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cpu_init(&cpu, names[i].mode);
		assert_int_equal(emul_decode(&cpu, names[i].bytes, names[i].len, &insn), 0);
		assert_string_equal(emul_name(&insn, buf, sizeof(buf)), names[i].want);
	}
	assert_string_equal(emul_name(&insn, tiny, sizeof(tiny)), "stmxcsr");
}

/* ---- atomicity ---- */

#define INCREMENTS 40000

struct hammer {
	int wide; /* cmpxchg16b, else cmpxchg8b */
	unsigned long retries;
};

/* lock cmpxchg{8,16}b (%rdi) in a retry loop, as a guest's atomic increment. */
static void *hammer(void *arg)
{
	static const uint8_t cx16[] = { 0xf0, 0x48, 0x0f, 0xc7, 0x0f };
	static const uint8_t cx8[] = { 0xf0, 0x0f, 0xc7, 0x0f };
	struct hammer *h = arg;
	const uint8_t *b = h->wide ? cx16 : cx8;
	size_t len = h->wide ? sizeof(cx16) : sizeof(cx8);
	uint64_t half = h->wide ? ~0ull : 0xffffffff;
	struct emul_exception exc;
	struct emul_cpu cpu;
	unsigned int dirty;

	cpu_init(&cpu, T64);
	cpu.gpr[EMUL_RDI] = DATA;
	for (int i = 0; i < INCREMENTS; i++) {
		for (;;) {
			uint64_t lo = cpu.gpr[EMUL_RAX], hi = cpu.gpr[EMUL_RDX];

			/* new = old + 1, carrying into the high half (RCX:RBX). */
			cpu.gpr[EMUL_RBX] = (lo + 1) & half;
			cpu.gpr[EMUL_RCX] = (hi + (cpu.gpr[EMUL_RBX] == 0)) & half;
			cpu.rip = CODE;
			if (emul_execute(&cpu, &mem, b, len, &exc, &dirty) != EMUL_DONE)
				return (void *)1;
			if (cpu.rflags & X86_EFLAGS_ZF)
				break;
			h->retries++;
		}
		cpu.gpr[EMUL_RAX] = cpu.gpr[EMUL_RBX];
		cpu.gpr[EMUL_RDX] = cpu.gpr[EMUL_RCX];
	}
	return NULL;
}

static void hammer_pair(int wide, uint64_t start_lo)
{
	struct hammer h[2] = { { wide, 0 }, { wide, 0 } };
	uint64_t lo, hi, want;
	pthread_t th[2];
	void *ret;

	build_tables();
	/* Start near a carry into the high half, so that path is exercised too. */
	memcpy(ram + DATA, &start_lo, 8);
	memset(ram + DATA + 8, 0, 8);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &h[i]), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	if (wide) {
		memcpy(&lo, ram + DATA, 8);
		memcpy(&hi, ram + DATA + 8, 8);
		want = start_lo + 2 * INCREMENTS;
		assert_int_equal(lo, want);
		assert_int_equal(hi, want < start_lo);
	} else {
		uint32_t l32, h32;

		memcpy(&l32, ram + DATA, 4);
		memcpy(&h32, ram + DATA + 4, 4);
		want = (uint32_t)start_lo + 2ull * INCREMENTS;
		assert_int_equal(l32, (uint32_t)want);
		assert_int_equal(h32, (uint32_t)(want >> 32) + (uint32_t)(start_lo >> 32));
	}
	print_message("cmpxchg%s: %lu + %lu retries\n", wide ? "16b" : "8b", h[0].retries,
		      h[1].retries);
}

static void test_cmpxchg16b_atomic(void **state)
{
	hammer_pair(1, ~0ull - INCREMENTS);
}

static void test_cmpxchg8b_atomic(void **state)
{
	hammer_pair(0, 0xffffffffull - INCREMENTS);
}

static int setup(void **state)
{
	ram = aligned_alloc(4096, RAM_SIZE);
	return ram ? 0 : -1;
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_traps_fwait_clac),
		cmocka_unit_test(test_mxcsr_fences_flushes),
		cmocka_unit_test(test_fsgsbase),
		cmocka_unit_test(test_popcnt_lzcnt_tzcnt),
		cmocka_unit_test(test_cmpxchg_rdrand),
		cmocka_unit_test(test_sse),
		cmocka_unit_test(test_page_faults),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_walk_accessed_dirty),
		cmocka_unit_test(test_fetch),
		cmocka_unit_test(test_decode_lengths),
		cmocka_unit_test(test_decode_fields),
		cmocka_unit_test(test_invalid_encodings),
		cmocka_unit_test(test_truncated_prefixes),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_cmpxchg16b_atomic),
		cmocka_unit_test(test_cmpxchg8b_atomic),
	};

	return cmocka_run_group_tests_name("emul", tests, setup, teardown);
}
