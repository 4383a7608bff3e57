// SPDX-License-Identifier: GPL-2.0
/*
 * Linear to guest-physical translation as the CPU does it, for the
 * emulator's memory operands and instruction fetches: no paging, 32-bit
 * (2-level, 4 MiB pages with CR4.PSE), PAE (3-level) and long mode (4- and
 * 5-level) paging, with the present, R/W (CR0.WP), U/S, SMEP, SMAP, NX and
 * reserved-bit checks, and the accessed and dirty bits set as the CPU sets
 * them: with a locked OR, since other vCPUs and the guest's own page-table
 * code touch the same entries concurrently.
 *
 * Not modelled: segment limits and access rights (the caller adds segment
 * bases; a flat kernel never hits a limit), protection keys, the PDPTE
 * registers of PAE paging (PDPTEs are read from memory on every walk) and
 * a MAXPHYADDR below 52 (no address bits are reserved in long mode).
 */
#include <string.h>
#include <asm/processor-flags.h>

#include "emul/emul.h"

/* <asm/msr-index.h> is not a UAPI header: the EFER bits we need. */
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

/* Paging-structure entry bits (no UAPI header has them). */
#define PG_P	(1ull << 0)
#define PG_RW	(1ull << 1)
#define PG_US	(1ull << 2)
#define PG_A	(1ull << 5)
#define PG_D	(1ull << 6)
#define PG_PS	(1ull << 7)
#define PG_NX	(1ull << 63)
#define PG_ADDR 0x000ffffffffff000ull /* bits 51:12 */

/* Bits h:l of a 64-bit entry. */
#define BITS(h, l) ((~0ull >> (63 - (h))) & ~((1ull << (l)) - 1))

/* Page-fault error code bits. */
#define PFEC_P	  (1u << 0)
#define PFEC_W	  (1u << 1)
#define PFEC_U	  (1u << 2)
#define PFEC_RSVD (1u << 3)
#define PFEC_ID	  (1u << 4)

#define VEC_GP 13
#define VEC_PF 14

enum walk_res { WALK_OK, WALK_NOT_PRESENT, WALK_RSVD };

/* One translation in progress. */
struct walk {
	const struct emul_cpu *cpu;
	const struct emul_mem *mem;
	uint64_t la;
	unsigned int access;
	bool wide;	   /* 8-byte entries (PAE and long mode) */
	void *entry[5];	   /* host pointers of the entries used, for A/D */
	unsigned int used; /* how many of entry[] */
	bool user, writable, nx;
	uint64_t frame;	    /* physical base of the page */
	uint64_t page_mask; /* offset bits within the page */
};

static bool nxe(const struct emul_cpu *cpu)
{
	return cpu->efer & EFER_NXE;
}

/*
 * Read one paging-structure entry. One outside RAM (ptr() NULL) is
 * reported as a reserved-bit #PF: the CPU would read whatever the bus
 * returns there, which we cannot; a #PF with RSVD set is what a guest
 * kernel reports most clearly as a corrupt page table.
 */
static enum walk_res read_entry(struct walk *w, uint64_t gpa, bool record, uint64_t *val)
{
	void *p = w->mem->ptr(w->mem->ctx, gpa, w->wide ? 8 : 4);

	if (!p)
		return WALK_RSVD;
	if (w->wide)
		*val = __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED);
	else
		*val = __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
	if (!(*val & PG_P))
		return WALK_NOT_PRESENT;
	if (record)
		w->entry[w->used++] = p;
	return WALK_OK;
}

/* The rights an entry grants are the intersection along the walk. */
static void use_entry(struct walk *w, uint64_t e)
{
	w->user &= !!(e & PG_US);
	w->writable &= !!(e & PG_RW);
	if (w->wide && nxe(w->cpu) && (e & PG_NX))
		w->nx = true;
}

/* Reserved bits of a present 8-byte entry at a level (1 = PTE ... 5 = PML5E). */
static uint64_t reserved_bits(const struct walk *w, unsigned int level, uint64_t e)
{
	uint64_t r = 0;

	if (!nxe(w->cpu))
		r |= PG_NX;
	if (!(w->cpu->efer & EFER_LMA))
		r |= BITS(62, 52); /* PAE: everything above MAXPHYADDR; long mode ignores 62:52 */
	if (e & PG_PS) {
		if (level >= 4)
			r |= PG_PS; /* no pages at PML4/PML5 */
		else if (level == 3)
			r |= BITS(29, 13); /* 1 GiB page: the frame is 30-bit aligned */
		else if (level == 2)
			r |= BITS(20, 13); /* 2 MiB page */
	}
	return r;
}

/* The 8-byte-entry levels from 'level' down to the page (PAE's PD/PT, long mode's all). */
static enum walk_res walk_wide(struct walk *w, unsigned int level, uint64_t table)
{
	for (;; level--) {
		unsigned int shift = 12 + 9 * (level - 1);
		enum walk_res res;
		uint64_t e;

		res = read_entry(w, table + ((w->la >> shift) & 511) * 8, true, &e);
		if (res != WALK_OK)
			return res;
		if (e & reserved_bits(w, level, e))
			return WALK_RSVD;
		use_entry(w, e);
		if (level == 1 || (e & PG_PS)) {
			w->page_mask = (1ull << shift) - 1;
			w->frame = e & PG_ADDR & ~w->page_mask;
			return WALK_OK;
		}
		table = e & PG_ADDR;
	}
}

/*
 * PAE: CR3 points at four PDPTEs. They have no R/W, U/S or A bits (those
 * positions are reserved), so they neither restrict rights nor get A set.
 */
static enum walk_res walk_pae(struct walk *w)
{
	uint64_t pdpte, rsvd = BITS(2, 1) | BITS(8, 5) | BITS(63, 52);
	enum walk_res res;

	res = read_entry(w, (w->cpu->cr3 & 0xffffffe0) + ((w->la >> 30) & 3) * 8, false, &pdpte);
	if (res != WALK_OK)
		return res;
	if (pdpte & rsvd)
		return WALK_RSVD;
	return walk_wide(w, 2, pdpte & PG_ADDR);
}

/* 32-bit paging: a PD and a PT of 4-byte entries, or a 4 MiB page with CR4.PSE. */
static enum walk_res walk_32(struct walk *w)
{
	uint64_t pde, pte;
	enum walk_res res;

	res = read_entry(w, (w->cpu->cr3 & 0xfffff000) + ((w->la >> 22) & 1023) * 4, true, &pde);
	if (res != WALK_OK)
		return res;
	use_entry(w, pde);
	if ((pde & PG_PS) && (w->cpu->cr4 & X86_CR4_PSE)) {
		/* PSE-36 with a 40-bit MAXPHYADDR: bits 20:13 are address bits 39:32, 21 reserved.
		 */
		if (pde & (1u << 21))
			return WALK_RSVD;
		w->page_mask = 0x3fffff;
		w->frame = (pde & 0xffc00000) | ((pde >> 13) & 0xff) << 32;
		return WALK_OK;
	}
	res = read_entry(w, (pde & 0xfffff000) + ((w->la >> 12) & 1023) * 4, true, &pte);
	if (res != WALK_OK)
		return res;
	use_entry(w, pte);
	w->page_mask = 0xfff;
	w->frame = pte & 0xfffff000;
	return WALK_OK;
}

/* Whether the rights the walk found allow the access. */
static bool access_allowed(const struct walk *w)
{
	const struct emul_cpu *cpu = w->cpu;
	bool user = w->access & EMUL_ACC_USER, fetch = w->access & EMUL_ACC_FETCH;

	if (user && !w->user)
		return false;
	if (!user && w->user) {
		if (fetch && (cpu->cr4 & X86_CR4_SMEP))
			return false;
		/*
		 * SMAP lets explicit supervisor accesses through with RFLAGS.AC;
		 * implicit ones (descriptor tables, ...) ignore AC, but the
		 * emulator makes no implicit accesses.
		 */
		if (!fetch && (cpu->cr4 & X86_CR4_SMAP) && !(cpu->rflags & X86_EFLAGS_AC))
			return false;
	}
	if ((w->access & EMUL_ACC_WRITE) && !w->writable && (user || (cpu->cr0 & X86_CR0_WP)))
		return false;
	return !(fetch && w->nx);
}

/* Accessed on every entry used, dirty on the page's own entry for a write. */
static void set_accessed(const struct walk *w)
{
	for (unsigned int i = 0; i < w->used; i++) {
		uint64_t bits = PG_A;

		if (i == w->used - 1 && (w->access & EMUL_ACC_WRITE))
			bits |= PG_D;
		if (w->wide) {
			uint64_t *e = w->entry[i];

			if ((__atomic_load_n(e, __ATOMIC_RELAXED) & bits) != bits)
				__atomic_fetch_or(e, bits, __ATOMIC_SEQ_CST);
		} else {
			uint32_t *e = w->entry[i];

			if ((__atomic_load_n(e, __ATOMIC_RELAXED) & bits) != bits)
				__atomic_fetch_or(e, (uint32_t)bits, __ATOMIC_SEQ_CST);
		}
	}
}

static int page_fault(const struct walk *w, uint32_t ec, struct emul_exception *exc)
{
	const struct emul_cpu *cpu = w->cpu;

	if (w->access & EMUL_ACC_WRITE)
		ec |= PFEC_W;
	if (w->access & EMUL_ACC_USER)
		ec |= PFEC_U;
	/* I/D is reported only where fetches can fault for it: SMEP, or NX with PAE/long mode. */
	if ((w->access & EMUL_ACC_FETCH) &&
	    ((cpu->cr4 & X86_CR4_SMEP) || ((cpu->cr4 & X86_CR4_PAE) && nxe(cpu))))
		ec |= PFEC_ID;
	memset(exc, 0, sizeof(*exc));
	exc->vector = VEC_PF;
	exc->has_error_code = true;
	exc->error_code = ec;
	exc->cr2 = w->la;
	return -1;
}

static bool canonical(const struct emul_cpu *cpu, uint64_t la)
{
	unsigned int unused = (cpu->cr4 & X86_CR4_LA57) ? 64 - 57 : 64 - 48;

	return (uint64_t)((int64_t)(la << unused) >> unused) == la;
}

int emul_walk(const struct emul_cpu *cpu, const struct emul_mem *mem, uint64_t la,
	      unsigned int access, uint64_t *gpa, struct emul_exception *exc)
{
	struct walk w = {
		.cpu = cpu, .mem = mem, .la = la, .access = access, .user = true, .writable = true
	};
	enum walk_res res;

	if (!(cpu->cr0 & X86_CR0_PG)) {
		*gpa = la & 0xffffffff; /* paging off means 32-bit linear addresses */
		return 0;
	}
	if (cpu->efer & EFER_LMA) {
		/* The CPU raises #SS instead for stack-segment accesses; we do not tell them apart.
		 */
		if (!canonical(cpu, la)) {
			memset(exc, 0, sizeof(*exc));
			exc->vector = VEC_GP;
			exc->has_error_code = true;
			return -1;
		}
		w.wide = true;
		res = walk_wide(&w, (cpu->cr4 & X86_CR4_LA57) ? 5 : 4, cpu->cr3 & PG_ADDR);
	} else {
		w.la = la & 0xffffffff;
		w.wide = cpu->cr4 & X86_CR4_PAE;
		res = w.wide ? walk_pae(&w) : walk_32(&w);
	}
	if (res == WALK_NOT_PRESENT)
		return page_fault(&w, 0, exc);
	if (res == WALK_RSVD)
		return page_fault(&w, PFEC_P | PFEC_RSVD, exc);
	if (!access_allowed(&w))
		return page_fault(&w, PFEC_P, exc);
	set_accessed(&w);
	*gpa = w.frame | (w.la & w.page_mask);
	return 0;
}

/*
 * Instruction bytes at CS:RIP, page by page. A fault past the first byte
 * only shortens the result: the decoder then sees a truncated instruction,
 * and the caller can re-fetch to get the fault when it matters.
 */
size_t emul_fetch(const struct emul_cpu *cpu, const struct emul_mem *mem, uint8_t *buf, size_t len,
		  struct emul_exception *exc)
{
	bool long64 = cpu->cs_l && (cpu->efer & EFER_LMA);
	unsigned int access = EMUL_ACC_FETCH | (cpu->cpl == 3 ? EMUL_ACC_USER : 0);
	uint64_t la = long64 ? cpu->rip : (cpu->seg_base[EMUL_CS] + cpu->rip) & 0xffffffff;
	size_t got = 0;

	while (got < len) {
		uint64_t cur = long64 ? la + got : (la + got) & 0xffffffff, gpa;
		size_t chunk = 4096 - (cur & 4095);
		struct emul_exception e;
		void *p;

		if (chunk > len - got)
			chunk = len - got;
		if (emul_walk(cpu, mem, cur, access, &gpa, &e)) {
			if (!got)
				*exc = e;
			break;
		}
		p = mem->ptr(mem->ctx, gpa, chunk);
		if (!p) {
			/*
			 * Executing from outside RAM (MMIO, a hole): neither KVM's
			 * emulator nor this one can, so the guest gets #GP(0).
			 */
			if (!got) {
				memset(exc, 0, sizeof(*exc));
				exc->vector = VEC_GP;
				exc->has_error_code = true;
			}
			break;
		}
		memcpy(buf + got, p, chunk);
		got += chunk;
	}
	return got;
}
