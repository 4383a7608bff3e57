// SPDX-License-Identifier: GPL-2.0
/*
 * emul_execute(): one instruction KVM's emulator refused, executed on a
 * copy of the vCPU state that is committed only when the instruction
 * completes. Every check that can fault (#UD, #NM, #GP, #PF) comes before
 * the first write to guest memory, and memory is written last, so an
 * exception or an unhandled instruction leaves the guest untouched.
 *
 * Memory operands: segment base + effective address, wrapped to the
 * address size, then translated page by page with emul_walk(); an access
 * that crosses a page boundary translates both pages before touching
 * either. An operand outside guest RAM (MMIO) is EMUL_UNHANDLED: the
 * instructions here are not ones a guest aims at devices.
 *
 * Not done here: single-stepping (RFLAGS.TF after an emulated instruction),
 * RFLAGS.RF, segment limits, and alignment checking (CR0.AM/RFLAGS.AC).
 */
#include <string.h>
#include <sys/random.h>
#include <asm/processor-flags.h>

#include "emul/emul.h"

#define EFER_LMA (1ull << 10) /* <asm/msr-index.h> is not a UAPI header */

#define REX_W 0x08
#define REX_X 0x02
#define REX_B 0x01

#define FSW_ES		   0x0080 /* x87 error summary: an unmasked exception is pending */
#define MXCSR_MASK_DEFAULT 0xffbf /* without DAZ, as FXSAVE reports a zero mask */

#define ARITH_FLAGS                                                                      \
	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF | X86_EFLAGS_SF | \
	 X86_EFLAGS_OF)

enum {
	VEC_DB = 1,
	VEC_BP = 3,
	VEC_OF = 4,
	VEC_UD = 6,
	VEC_NM = 7,
	VEC_GP = 13,
	VEC_MF = 16,
};

/* One instruction being executed. */
struct ctx {
	struct emul_cpu st; /* working copy, committed on EMUL_DONE */
	const struct emul_mem *mem;
	struct emul_insn insn;
	struct emul_exception *exc;
	int mode; /* 16, 32 or 64 */
	uint64_t next_rip;
	bool trap; /* the exception is delivered after the instruction (int3, int1) */
	unsigned int dirty;
};

/* Host pointers to an access's part in each of at most two pages. */
struct span {
	uint64_t gpa[2];
	uint8_t *host[2];
	size_t n[2]; /* n[1] == 0: one page */
};

static int cpu_mode(const struct emul_cpu *cpu)
{
	if (cpu->cs_l && (cpu->efer & EFER_LMA))
		return 64;
	return cpu->cs_db ? 32 : 16;
}

static enum emul_result raise(struct ctx *c, uint8_t vector, bool has_ec, uint32_t ec)
{
	memset(c->exc, 0, sizeof(*c->exc));
	c->exc->vector = vector;
	c->exc->has_error_code = has_ec;
	c->exc->error_code = ec;
	return EMUL_EXCEPTION;
}

static enum emul_result ud(struct ctx *c)
{
	return raise(c, VEC_UD, false, 0);
}

static enum emul_result gp0(struct ctx *c)
{
	return raise(c, VEC_GP, true, 0);
}

static bool canonical(const struct ctx *c, uint64_t v)
{
	unsigned int unused = (c->st.cr4 & X86_CR4_LA57) ? 64 - 57 : 64 - 48;

	return (uint64_t)((int64_t)(v << unused) >> unused) == v;
}

static uint64_t size_mask(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* Registers: without REX, byte registers 4-7 are AH, CH, DH, BH. */
static uint64_t get_gpr(const struct ctx *c, unsigned int reg, unsigned int size)
{
	if (size == 1 && !c->insn.rex && reg >= 4 && reg < 8)
		return (c->st.gpr[reg - 4] >> 8) & 0xff;
	return c->st.gpr[reg] & size_mask(size);
}

/* Writes of 8 and 16 bits keep the rest of the register; 32-bit ones zero-extend. */
static void set_gpr(struct ctx *c, unsigned int reg, unsigned int size, uint64_t v)
{
	uint64_t *r = &c->st.gpr[reg];

	if (size == 1 && !c->insn.rex && reg >= 4 && reg < 8) {
		r = &c->st.gpr[reg - 4];
		*r = (*r & ~0xff00ull) | (v & 0xff) << 8;
	} else if (size < 4) {
		*r = (*r & ~size_mask(size)) | (v & size_mask(size));
	} else {
		*r = v & size_mask(size);
	}
	c->dirty |= EMUL_DIRTY_GPR;
}

static void set_flags(struct ctx *c, uint64_t clear, uint64_t set)
{
	c->st.rflags = (c->st.rflags & ~clear) | set;
	c->dirty |= EMUL_DIRTY_GPR;
}

/* ---- memory operands ---- */

static uint64_t ea_16(const struct ctx *c, int *seg)
{
	static const uint8_t base[8] = { EMUL_RBX, EMUL_RBX, EMUL_RBP, EMUL_RBP,
					 EMUL_RSI, EMUL_RDI, EMUL_RBP, EMUL_RBX };
	static const int8_t index[8] = { EMUL_RSI, EMUL_RDI, EMUL_RSI, EMUL_RDI, -1, -1, -1, -1 };
	const struct emul_insn *i = &c->insn;
	unsigned int rm = i->rm & 7;
	uint64_t ea = i->disp;

	if (!(i->mod == 0 && rm == 6)) {
		ea += c->st.gpr[base[rm]];
		if (base[rm] == EMUL_RBP)
			*seg = EMUL_SS;
	}
	if (index[rm] >= 0)
		ea += c->st.gpr[index[rm]];
	return ea & 0xffff;
}

static uint64_t ea_32_64(const struct ctx *c, int *seg)
{
	const struct emul_insn *i = &c->insn;
	uint64_t ea = i->disp;
	int base = i->rm;

	if (i->has_sib) {
		unsigned int index = ((i->sib >> 3) & 7) | (i->rex & REX_X) << 2;

		if (index != 4)
			ea += c->st.gpr[index] << (i->sib >> 6);
		base = (i->sib & 7) | (i->rex & REX_B) << 3;
		if (i->mod == 0 && (i->sib & 7) == 5)
			base = -1;
	} else if (i->mod == 0 && (i->rm & 7) == 5) {
		base = -1;
		if (c->mode == 64)
			ea += c->next_rip; /* RIP-relative */
	}
	if (base >= 0) {
		ea += c->st.gpr[base];
		if (base == EMUL_RSP || base == EMUL_RBP)
			*seg = EMUL_SS;
	}
	return i->adsz == 4 ? ea & 0xffffffff : ea;
}

/*
 * The linear address of the ModRM memory operand. In 64-bit mode only FS
 * and GS have a base; elsewhere every segment does. Limits are not checked.
 */
static uint64_t linear(const struct ctx *c)
{
	int seg = EMUL_DS;
	uint64_t ea = c->insn.adsz == 2 ? ea_16(c, &seg) : ea_32_64(c, &seg);

	if (c->insn.seg >= 0)
		seg = c->insn.seg;
	if (c->mode == 64)
		return (seg == EMUL_FS || seg == EMUL_GS) ? ea + c->st.seg_base[seg] : ea;
	return (c->st.seg_base[seg] + ea) & 0xffffffff;
}

/*
 * Translate [la, la + size) page by page, before anything is accessed: a
 * fault in the second page reports that page's address in CR2.
 */
static enum emul_result translate(struct ctx *c, uint64_t la, size_t size, unsigned int acc,
				  struct span *s)
{
	size_t first = 4096 - (la & 4095);

	memset(s, 0, sizeof(*s));
	s->n[0] = size < first ? size : first;
	s->n[1] = size - s->n[0];
	if (c->st.cpl == 3)
		acc |= EMUL_ACC_USER;
	for (int i = 0; i < 2 && s->n[i]; i++) {
		uint64_t part = la + (i ? s->n[0] : 0);

		if (c->mode != 64)
			part &= 0xffffffff;
		if (emul_walk(&c->st, c->mem, part, acc, &s->gpa[i], c->exc))
			return EMUL_EXCEPTION;
	}
	return EMUL_DONE;
}

static enum emul_result map_span(struct ctx *c, uint64_t la, size_t size, unsigned int acc,
				 struct span *s)
{
	enum emul_result r = translate(c, la, size, acc, s);

	for (int i = 0; r == EMUL_DONE && i < 2 && s->n[i]; i++) {
		s->host[i] = c->mem->ptr(c->mem->ctx, s->gpa[i], s->n[i]);
		if (!s->host[i])
			r = EMUL_UNHANDLED; /* MMIO or a hole */
	}
	return r;
}

static enum emul_result read_mem(struct ctx *c, uint64_t la, void *buf, size_t size)
{
	struct span s;
	enum emul_result r = map_span(c, la, size, 0, &s);

	if (r != EMUL_DONE)
		return r;
	memcpy(buf, s.host[0], s.n[0]);
	if (s.n[1])
		memcpy((uint8_t *)buf + s.n[0], s.host[1], s.n[1]);
	return EMUL_DONE;
}

static enum emul_result write_mem(struct ctx *c, uint64_t la, const void *buf, size_t size)
{
	struct span s;
	enum emul_result r = map_span(c, la, size, EMUL_ACC_WRITE, &s);

	if (r != EMUL_DONE)
		return r;
	memcpy(s.host[0], buf, s.n[0]);
	if (s.n[1])
		memcpy(s.host[1], (const uint8_t *)buf + s.n[0], s.n[1]);
	return EMUL_DONE;
}

/* The r/m operand as a GPR or memory, up to 8 bytes (x86 is little-endian, as is the host). */
static enum emul_result read_rm(struct ctx *c, unsigned int size, uint64_t *v)
{
	*v = 0;
	if (c->insn.mod == 3) {
		*v = get_gpr(c, c->insn.rm, size);
		return EMUL_DONE;
	}
	return read_mem(c, linear(c), v, size);
}

static enum emul_result write_rm(struct ctx *c, unsigned int size, uint64_t v)
{
	if (c->insn.mod == 3) {
		set_gpr(c, c->insn.rm, size, v);
		return EMUL_DONE;
	}
	return write_mem(c, linear(c), &v, size);
}

/* ---- traps, fwait, clac/stac ---- */

static enum emul_result trap(struct ctx *c, uint8_t vector)
{
	c->trap = true;
	return raise(c, vector, false, 0);
}

static enum emul_result op_fwait(struct ctx *c)
{
	uint64_t cr0 = c->st.cr0;

	if ((cr0 & X86_CR0_TS) && (cr0 & X86_CR0_MP))
		return raise(c, VEC_NM, false, 0);
	/*
	 * A pending unmasked x87 exception is delivered here: #MF with
	 * CR0.NE, else the CPU would signal FERR# to the (unmodelled)
	 * external logic and go on: a no-op.
	 */
	if ((c->st.fsw & FSW_ES) && (cr0 & X86_CR0_NE))
		return raise(c, VEC_MF, false, 0);
	return EMUL_DONE;
}

static enum emul_result op_clac_stac(struct ctx *c)
{
	if (c->insn.opsize || c->insn.rep)
		return EMUL_UNHANDLED;
	if (c->st.cpl > 0)
		return ud(c);
	if (c->insn.modrm == 0xca)
		set_flags(c, X86_EFLAGS_AC, 0);
	else
		set_flags(c, 0, X86_EFLAGS_AC);
	return EMUL_DONE;
}

/* ---- 0F AE: mxcsr, fences, cache-line flushes, fs/gs base ---- */

/* What every SSE instruction checks first: #UD without SSE enabled, then #NM for lazy FPU. */
static enum emul_result sse_check(struct ctx *c)
{
	if ((c->st.cr0 & X86_CR0_EM) || !(c->st.cr4 & X86_CR4_OSFXSR))
		return ud(c);
	if (c->st.cr0 & X86_CR0_TS)
		return raise(c, VEC_NM, false, 0);
	return EMUL_DONE;
}

static enum emul_result op_ldmxcsr(struct ctx *c)
{
	uint32_t v, mask = c->st.mxcsr_mask ? c->st.mxcsr_mask : MXCSR_MASK_DEFAULT;
	enum emul_result r = sse_check(c);

	if (r == EMUL_DONE)
		r = read_mem(c, linear(c), &v, 4);
	if (r != EMUL_DONE)
		return r;
	if (v & ~mask)
		return gp0(c);
	c->st.mxcsr = v;
	c->dirty |= EMUL_DIRTY_FPU;
	return EMUL_DONE;
}

static enum emul_result op_stmxcsr(struct ctx *c)
{
	enum emul_result r = sse_check(c);

	if (r != EMUL_DONE)
		return r;
	return write_mem(c, linear(c), &c->st.mxcsr, 4);
}

/*
 * clflush, clflushopt, clwb: host and guest share coherent memory, so
 * there is nothing to flush, but the operand faults like a byte read.
 */
static enum emul_result op_flush_line(struct ctx *c)
{
	struct span s;

	return translate(c, linear(c), 1, 0, &s);
}

static enum emul_result op_fsgsbase(struct ctx *c, unsigned int op)
{
	int seg = (op & 1) ? EMUL_GS : EMUL_FS;
	unsigned int size = (c->insn.rex & REX_W) ? 8 : 4;
	uint64_t v;

	if (c->mode != 64 || !(c->st.cr4 & X86_CR4_FSGSBASE))
		return ud(c);
	if (op < 2) {
		set_gpr(c, c->insn.rm, size, c->st.seg_base[seg]);
		return EMUL_DONE;
	}
	v = get_gpr(c, c->insn.rm, size);
	if (!canonical(c, v))
		return gp0(c);
	c->st.seg_base[seg] = v;
	c->dirty |= EMUL_DIRTY_SREGS;
	return EMUL_DONE;
}

static enum emul_result op_0f_ae(struct ctx *c)
{
	const struct emul_insn *i = &c->insn;
	unsigned int op = (i->modrm >> 3) & 7;

	if (i->mod == 3) {
		if (i->rep == 0xf3 && op < 4)
			return op_fsgsbase(c, op);
		if (i->rep || i->opsize || op < 5)
			return EMUL_UNHANDLED;		 /* tpause, umwait, incssp, ... */
		__atomic_thread_fence(__ATOMIC_SEQ_CST); /* lfence, mfence, sfence */
		return EMUL_DONE;
	}
	if (i->rep)
		return EMUL_UNHANDLED; /* ptwrite, ... */
	if (i->opsize)
		return op >= 6 ? op_flush_line(c) : EMUL_UNHANDLED; /* clwb, clflushopt */
	switch (op) {
	case 2: return op_ldmxcsr(c);
	case 3: return op_stmxcsr(c);
	case 7: return op_flush_line(c);
	}
	/* fxsave, fxrstor, xsave, xrstor, xsaveopt: they need the whole FPU/xstate image. */
	return EMUL_UNHANDLED;
}

/* ---- popcnt, tzcnt, lzcnt ---- */

static enum emul_result op_bitcount(struct ctx *c)
{
	unsigned int size = c->insn.opsz, bits = 8 * size;
	uint64_t src, res;
	enum emul_result r;

	if (c->insn.rep != 0xf3)
		return EMUL_UNHANDLED; /* bsf, bsr */
	r = read_rm(c, size, &src);
	if (r != EMUL_DONE)
		return r;
	switch (c->insn.opcode) {
	case 0xb8:
		res = __builtin_popcountll(src);
		set_flags(c, ARITH_FLAGS, res ? 0 : X86_EFLAGS_ZF);
		break;
	default:
		if (!src)
			res = bits;
		else if (c->insn.opcode == 0xbc)
			res = __builtin_ctzll(src);
		else
			res = __builtin_clzll(src) - (64 - bits);
		/* OF, SF, AF and PF are undefined: left as they were. */
		set_flags(c, X86_EFLAGS_CF | X86_EFLAGS_ZF,
			  (src ? 0 : X86_EFLAGS_CF) | (res ? 0 : X86_EFLAGS_ZF));
		break;
	}
	set_gpr(c, c->insn.reg, size, res);
	return EMUL_DONE;
}

/* ---- 0F C7: cmpxchg8b/16b, rdrand, rdseed ---- */

static bool cas8(void *p, uint64_t *expected, uint64_t desired)
{
	return __atomic_compare_exchange_n((uint64_t *)p, expected, desired, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/*
 * lock cmpxchg16b on the host. The target attribute lets gcc and clang
 * inline it without -mcx16 for the whole build (every x86-64 CPU KVM runs
 * on has CX16); noinline keeps clang from dropping the attribute by
 * inlining it into a caller without it (it would then call libatomic).
 */
__attribute__((target("cx16"), noinline)) static bool cas16(void *p, unsigned __int128 *expected,
							    unsigned __int128 desired)
{
	unsigned __int128 old =
		__sync_val_compare_and_swap((unsigned __int128 *)p, *expected, desired);
	bool ok = old == *expected;

	*expected = old;
	return ok;
}

/*
 * Not atomic: for an operand split across pages that are not contiguous
 * in guest-physical memory, where no single host access covers it. The
 * CPU locks the bus here; the guest's other vCPUs may interleave with us.
 * On a mismatch we do not write the old value back, which the CPU does,
 * since a non-atomic write-back could undo another vCPU's store.
 */
static bool cas_split(const struct span *s, void *expected, const void *desired, size_t size)
{
	uint8_t cur[16];

	memcpy(cur, s->host[0], s->n[0]);
	memcpy(cur + s->n[0], s->host[1], s->n[1]);
	if (memcmp(cur, expected, size)) {
		memcpy(expected, cur, size);
		return false;
	}
	memcpy(s->host[0], desired, s->n[0]);
	memcpy(s->host[1], (const uint8_t *)desired + s->n[0], s->n[1]);
	return true;
}

static bool cas_host(uint8_t *p, void *expected, const void *desired, size_t size)
{
	unsigned __int128 e16, d16;
	uint64_t e8, d8;

	if (size == 16) {
		memcpy(&e16, expected, 16);
		memcpy(&d16, desired, 16);
		if (cas16(p, &e16, d16))
			return true;
		memcpy(expected, &e16, 16);
		return false;
	}
	memcpy(&e8, expected, 8);
	memcpy(&d8, desired, 8);
	if (cas8(p, &e8, d8))
		return true;
	memcpy(expected, &e8, 8);
	return false;
}

/*
 * Compare-and-exchange size bytes at the operand; *expected gets the old
 * value on a mismatch. A misaligned cmpxchg8b crossing a cache line is a
 * split lock on the host, as it would have been for the guest natively.
 */
static bool cmpxchg_mem(struct ctx *c, const struct span *s, void *expected, const void *desired,
			size_t size)
{
	uint8_t *p = s->host[0];

	if (s->n[1]) {
		/* Two pages: one host access when they are adjacent in guest-physical memory. */
		p = NULL;
		if (s->gpa[1] == s->gpa[0] + s->n[0])
			p = c->mem->ptr(c->mem->ctx, s->gpa[0], size);
		if (!p)
			return cas_split(s, expected, desired, size);
	}
	return cas_host(p, expected, desired, size);
}

static enum emul_result op_cmpxchg8b16b(struct ctx *c)
{
	bool wide = c->insn.rex & REX_W;
	unsigned int half = wide ? 8 : 4;
	uint64_t la = linear(c), *g = c->st.gpr;
	uint8_t expected[16], desired[16];
	uint64_t lo = 0, hi = 0;
	enum emul_result r;
	struct span s;

	if (wide && (la & 15))
		return gp0(c);
	/* The CPU always writes the destination: check it is writable (and set D) first. */
	r = map_span(c, la, 2 * half, EMUL_ACC_WRITE, &s);
	if (r != EMUL_DONE)
		return r;
	/* The host address must be 16-aligned too: it is unless RAM is mapped oddly. */
	if (wide && ((uintptr_t)s.host[0] & 15))
		return EMUL_UNHANDLED;
	memcpy(expected, &g[EMUL_RAX], half);
	memcpy(expected + half, &g[EMUL_RDX], half);
	memcpy(desired, &g[EMUL_RBX], half);
	memcpy(desired + half, &g[EMUL_RCX], half);
	if (cmpxchg_mem(c, &s, expected, desired, 2 * half)) {
		set_flags(c, X86_EFLAGS_ZF, X86_EFLAGS_ZF);
		return EMUL_DONE;
	}
	memcpy(&lo, expected, half);
	memcpy(&hi, expected + half, half);
	set_gpr(c, EMUL_RAX, half, lo);
	set_gpr(c, EMUL_RDX, half, hi);
	set_flags(c, X86_EFLAGS_ZF, 0);
	return EMUL_DONE;
}

/*
 * rdrand/rdseed from getrandom(2) rather than the host instruction (which
 * would need -mrdrnd/-mrdseed). When no randomness is at hand the result
 * is 0 with CF clear, as the CPU reports an empty entropy source.
 */
static enum emul_result op_rdrand(struct ctx *c)
{
	unsigned int size = c->insn.opsz;
	uint64_t v = 0;
	bool ok = getrandom(&v, size, GRND_NONBLOCK) == (ssize_t)size;

	if (!ok)
		v = 0;
	set_gpr(c, c->insn.rm, size, v);
	set_flags(c, ARITH_FLAGS, ok ? X86_EFLAGS_CF : 0);
	return EMUL_DONE;
}

static enum emul_result op_0f_c7(struct ctx *c)
{
	const struct emul_insn *i = &c->insn;
	unsigned int op = (i->modrm >> 3) & 7;

	if (op == 1)
		return i->mod == 3 ? ud(c) : op_cmpxchg8b16b(c);
	if (i->mod == 3 && (op == 6 || op == 7) && !i->rep)
		return op_rdrand(c);
	return EMUL_UNHANDLED; /* rdpid, xsaves, vmptrld, ... */
}

/* ---- SSE moves and xors the kernel uses in kernel_fpu_begin() sections ---- */

/* The xmm/m operand: size bytes, 16-byte aligned in memory when 'aligned'. */
static enum emul_result read_xmm_rm(struct ctx *c, uint8_t *v, size_t size, bool aligned)
{
	uint64_t la;

	if (c->insn.mod == 3) {
		memcpy(v, c->st.xmm[c->insn.rm], size);
		return EMUL_DONE;
	}
	la = linear(c);
	if (aligned && (la & 15))
		return gp0(c);
	return read_mem(c, la, v, size);
}

/* Store size bytes to the xmm/m operand; a register destination's upper bytes are zeroed. */
static enum emul_result write_xmm_rm(struct ctx *c, const uint8_t *v, size_t size, bool aligned)
{
	uint8_t tmp[16] = { 0 };
	uint64_t la;

	if (c->insn.mod == 3) {
		memcpy(tmp, v, size);
		memcpy(c->st.xmm[c->insn.rm], tmp, 16);
		c->dirty |= EMUL_DIRTY_FPU;
		return EMUL_DONE;
	}
	la = linear(c);
	if (aligned && (la & 15))
		return gp0(c);
	return write_mem(c, la, v, size);
}

/* xmm[reg] = the low 'size' bytes of v, zero-extended to 128 bits. */
static void set_xmm(struct ctx *c, const void *v, size_t size)
{
	uint8_t tmp[16] = { 0 };

	memcpy(tmp, v, size);
	memcpy(c->st.xmm[c->insn.reg], tmp, 16);
	c->dirty |= EMUL_DIRTY_FPU;
}

/* movaps/movups/movupd/movapd/movdqa/movdqu, loads and stores. */
static enum emul_result mov128(struct ctx *c, bool load, bool aligned)
{
	uint8_t v[16];
	enum emul_result r = sse_check(c);

	if (r != EMUL_DONE)
		return r;
	if (!load)
		return write_xmm_rm(c, c->st.xmm[c->insn.reg], 16, aligned);
	r = read_xmm_rm(c, v, 16, aligned);
	if (r == EMUL_DONE)
		set_xmm(c, v, 16);
	return r;
}

/* pxor/xorps/xorpd: legacy SSE wants a 16-byte aligned memory operand. */
static enum emul_result xor128(struct ctx *c)
{
	uint8_t v[16];
	enum emul_result r = sse_check(c);

	if (r == EMUL_DONE)
		r = read_xmm_rm(c, v, 16, true);
	if (r != EMUL_DONE)
		return r;
	for (int k = 0; k < 16; k++)
		v[k] ^= c->st.xmm[c->insn.reg][k];
	set_xmm(c, v, 16);
	return EMUL_DONE;
}

/* movd/movq r/m32/64 to xmm (66 [REX.W] 0F 6E). */
static enum emul_result movd_to_xmm(struct ctx *c)
{
	unsigned int size = (c->insn.rex & REX_W) ? 8 : 4;
	enum emul_result r = sse_check(c);
	uint64_t v;

	if (r == EMUL_DONE)
		r = read_rm(c, size, &v);
	if (r == EMUL_DONE)
		set_xmm(c, &v, size);
	return r;
}

/* movd/movq xmm to r/m32/64 (66 [REX.W] 0F 7E). */
static enum emul_result movd_from_xmm(struct ctx *c)
{
	unsigned int size = (c->insn.rex & REX_W) ? 8 : 4;
	enum emul_result r = sse_check(c);
	uint64_t v = 0;

	if (r != EMUL_DONE)
		return r;
	memcpy(&v, c->st.xmm[c->insn.reg], size);
	return write_rm(c, size, v);
}

/* movq xmm/m64 to xmm (F3 0F 7E): the upper half is zeroed. */
static enum emul_result movq_load(struct ctx *c)
{
	uint8_t v[8];
	enum emul_result r = sse_check(c);

	if (r == EMUL_DONE)
		r = read_xmm_rm(c, v, 8, false);
	if (r == EMUL_DONE)
		set_xmm(c, v, 8);
	return r;
}

/* movq xmm to xmm/m64 (66 0F D6). */
static enum emul_result movq_store(struct ctx *c)
{
	uint8_t v[8];
	enum emul_result r = sse_check(c);

	if (r != EMUL_DONE)
		return r;
	memcpy(v, c->st.xmm[c->insn.reg], 8);
	return write_xmm_rm(c, v, 8, false);
}

static enum emul_result op_sse(struct ctx *c)
{
	const struct emul_insn *i = &c->insn;
	bool p66 = i->opsize && !i->rep, f3 = i->rep == 0xf3;
	uint8_t op = i->opcode;

	switch (op) {
	case 0x10: /* movups, movupd (same thing); F3/F2: movss, movsd */
	case 0x11: return i->rep ? EMUL_UNHANDLED : mov128(c, op == 0x10, false);
	case 0x28: /* movaps, movapd */
	case 0x29: return i->rep ? EMUL_UNHANDLED : mov128(c, op == 0x28, true);
	case 0x57: return i->rep ? EMUL_UNHANDLED : xor128(c); /* xorps, xorpd */
	case 0xef: return p66 ? xor128(c) : EMUL_UNHANDLED;    /* pxor (not the MMX one) */
	case 0x6e: return p66 ? movd_to_xmm(c) : EMUL_UNHANDLED;
	case 0x6f: /* movdqu (F3), movdqa (66) */
	case 0x7f:
		if (!f3 && !p66)
			return EMUL_UNHANDLED; /* MMX movq */
		return mov128(c, op == 0x6f, !f3);
	case 0x7e:
		if (f3)
			return movq_load(c);
		return p66 ? movd_from_xmm(c) : EMUL_UNHANDLED;
	case 0xd6: return p66 ? movq_store(c) : EMUL_UNHANDLED;
	}
	return EMUL_UNHANDLED;
}

/* ---- iret outside 64-bit mode (KVM's emulator does real mode only) ---- */

static enum emul_result pop(struct ctx *c, uint64_t *sp, unsigned int size, uint64_t *v)
{
	uint64_t la = (c->st.seg_base[EMUL_SS] +
		       (c->st.seg[EMUL_SS].db ? (uint32_t)*sp : (uint16_t)*sp)) &
		      0xffffffff;
	enum emul_result r;

	*v = 0;
	r = read_mem(c, la, v, size);
	*sp += size;
	return r;
}

/* A segment register loaded from the GDT: #GP(sel) when it cannot be. */
static enum emul_result load_desc(struct ctx *c, uint16_t sel, struct emul_segment *seg)
{
	uint64_t d;
	enum emul_result r;
	unsigned int saved_cpl = c->st.cpl;

	if ((sel & ~3) == 0 || (sel & 4) || (sel | 7) > c->st.gdt_limit)
		return (sel & 4) ? EMUL_UNHANDLED : raise(c, VEC_GP, true, sel & ~3);
	c->st.cpl = 0; /* descriptor tables are read as supervisor */
	r = read_mem(c, c->st.gdt_base + (sel & ~7), &d, 8);
	c->st.cpl = saved_cpl;
	if (r != EMUL_DONE)
		return r;
	memset(seg, 0, sizeof(*seg));
	seg->sel = sel;
	seg->limit = (d & 0xffff) | ((d >> 48) & 0xf) << 16;
	seg->base = ((d >> 16) & 0xffffff) | ((d >> 56) & 0xff) << 24;
	seg->type = (d >> 40) & 15;
	seg->s = (d >> 44) & 1;
	seg->dpl = (d >> 45) & 3;
	seg->present = (d >> 47) & 1;
	seg->avl = (d >> 52) & 1;
	seg->l = (d >> 53) & 1;
	seg->db = (d >> 54) & 1;
	seg->g = (d >> 55) & 1;
	if (seg->g)
		seg->limit = seg->limit << 12 | 0xfff;
	if (!seg->s)
		return raise(c, VEC_GP, true, sel & ~3);
	if (!seg->present)
		return raise(c, 11, true, sel & ~3); /* #NP */
	return EMUL_DONE;
}

static void set_seg(struct ctx *c, int i, const struct emul_segment *seg)
{
	c->st.seg[i] = *seg;
	c->st.seg_base[i] = seg->base;
	c->dirty |= EMUL_DIRTY_SEGS;
}

static enum emul_result iret_real(struct ctx *c, uint64_t sp, uint64_t ip, uint64_t cs, uint64_t fl,
				  unsigned int size)
{
	struct emul_segment seg = c->st.seg[EMUL_CS];
	uint64_t keep = size == 2 ? ~0xffffull : (X86_EFLAGS_VM | X86_EFLAGS_VIF | X86_EFLAGS_VIP);

	seg.sel = cs;
	seg.base = cs << 4;
	set_seg(c, EMUL_CS, &seg);
	c->st.rflags = ((c->st.rflags & keep) | (fl & ~keep)) | X86_EFLAGS_FIXED;
	set_gpr(c, EMUL_RSP, c->st.seg[EMUL_SS].db ? 4 : 2, sp);
	c->next_rip = ip;
	c->dirty |= EMUL_DIRTY_GPR;
	return EMUL_DONE;
}

static enum emul_result op_iret(struct ctx *c)
{
	unsigned int size = c->insn.opsz;
	uint64_t sp = c->st.gpr[EMUL_RSP], ip, cs, fl, nsp, nss, mask;
	struct emul_segment cseg, sseg;
	enum emul_result r;
	unsigned int rpl;

	if (c->mode == 64 || (c->st.rflags & (X86_EFLAGS_VM | X86_EFLAGS_NT)))
		return EMUL_UNHANDLED; /* long mode, virtual-8086, task return */
	if ((r = pop(c, &sp, size, &ip)) != EMUL_DONE ||
	    (r = pop(c, &sp, size, &cs)) != EMUL_DONE || (r = pop(c, &sp, size, &fl)) != EMUL_DONE)
		return r;
	cs &= 0xffff;
	if (!(c->st.cr0 & X86_CR0_PE))
		return iret_real(c, sp, ip, cs, fl, size);
	if ((fl & X86_EFLAGS_VM) && size == 4 && c->st.cpl == 0)
		return EMUL_UNHANDLED; /* back to virtual-8086 mode */
	rpl = cs & 3;
	if (rpl < c->st.cpl)
		return raise(c, VEC_GP, true, cs & ~3);
	if ((r = load_desc(c, cs, &cseg)) != EMUL_DONE)
		return r;
	if (!(cseg.type & 8) || (!(cseg.type & 4) && cseg.dpl != rpl) ||
	    ((cseg.type & 4) && cseg.dpl > rpl))
		return raise(c, VEC_GP, true, cs & ~3);
	if (rpl > c->st.cpl) {
		/* To an outer level: its stack, too. */
		if ((r = pop(c, &sp, size, &nsp)) != EMUL_DONE ||
		    (r = pop(c, &sp, size, &nss)) != EMUL_DONE)
			return r;
		nss &= 0xffff;
		if ((nss & 3) != rpl)
			return raise(c, VEC_GP, true, nss & ~3);
		if ((r = load_desc(c, nss, &sseg)) != EMUL_DONE)
			return r;
		if ((sseg.type & 0xa) != 2 || sseg.dpl != rpl)
			return raise(c, VEC_GP, true, nss & ~3);
	}
	/* Which flags the popped value may change, by the level we are at. */
	mask = X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | X86_EFLAGS_ZF | X86_EFLAGS_SF |
	       X86_EFLAGS_TF | X86_EFLAGS_DF | X86_EFLAGS_OF | X86_EFLAGS_NT;
	if (size == 4)
		mask |= X86_EFLAGS_RF | X86_EFLAGS_AC | X86_EFLAGS_ID;
	if (c->st.cpl == 0)
		mask |= X86_EFLAGS_IOPL | (size == 4 ? X86_EFLAGS_VIF | X86_EFLAGS_VIP : 0);
	if (c->st.cpl <= ((c->st.rflags & X86_EFLAGS_IOPL) >> 12))
		mask |= X86_EFLAGS_IF;
	c->st.rflags = (c->st.rflags & ~mask) | (fl & mask) | X86_EFLAGS_FIXED;
	cseg.sel = (cs & ~3) | rpl;
	set_seg(c, EMUL_CS, &cseg);
	if (rpl > c->st.cpl) {
		set_seg(c, EMUL_SS, &sseg);
		sp = nsp;
	}
	set_gpr(c, EMUL_RSP, c->st.seg[EMUL_SS].db ? 4 : 2, sp);
	c->st.cpl = rpl;
	c->st.cs_db = cseg.db;
	c->st.cs_l = false;
	c->next_rip = size == 2 ? (uint16_t)ip : (uint32_t)ip;
	c->dirty |= EMUL_DIRTY_GPR;
	return EMUL_DONE;
}

/* ---- dispatch ---- */

static enum emul_result exec_map0(struct ctx *c)
{
	switch (c->insn.opcode) {
	case 0xcc: return trap(c, VEC_BP); /* int3 */
	case 0xf1: return trap(c, VEC_DB); /* int1 (icebp) */
	case 0xce:			   /* into: decoded only outside 64-bit mode */
		return (c->st.rflags & X86_EFLAGS_OF) ? trap(c, VEC_OF) : EMUL_DONE;
	case 0x9b: return op_fwait(c);
	case 0xcf: return op_iret(c);
	}
	/*
	 * Everything else, int n (CD) included: a software interrupt has to
	 * be injected by KVM as one (with the instruction length), not as an
	 * exception, which only the caller can do.
	 */
	return EMUL_UNHANDLED;
}

static enum emul_result exec_map1(struct ctx *c)
{
	switch (c->insn.opcode) {
	case 0x01:
		if (c->insn.modrm == 0xca || c->insn.modrm == 0xcb)
			return op_clac_stac(c);
		return EMUL_UNHANDLED;
	case 0xae: return op_0f_ae(c);
	case 0xb8:
	case 0xbc:
	case 0xbd: return op_bitcount(c);
	case 0xc7: return op_0f_c7(c);
	}
	return op_sse(c);
}

enum emul_result emul_execute(struct emul_cpu *cpu, const struct emul_mem *mem,
			      const uint8_t *bytes, size_t len, struct emul_exception *exc,
			      unsigned int *dirty)
{
	struct ctx c = { .st = *cpu, .mem = mem, .exc = exc, .mode = cpu_mode(cpu) };
	enum emul_result r;

	*dirty = 0;
	if (emul_decode(cpu, bytes, len, &c.insn))
		return ud(&c);
	c.next_rip = cpu->rip + c.insn.len;
	if (c.mode != 64)
		c.next_rip &= 0xffffffff;
	if (c.insn.vex)
		r = EMUL_UNHANDLED; /* decoded for length only */
	else if (c.insn.map == 0)
		r = exec_map0(&c);
	else if (c.insn.map == 1)
		r = exec_map1(&c);
	else
		r = EMUL_UNHANDLED;
	if (r == EMUL_DONE) {
		*cpu = c.st;
		cpu->rip = c.next_rip; /* iret: where it returned to */
		*dirty = c.dirty;
	} else if (r == EMUL_EXCEPTION && c.trap) {
		cpu->rip = c.next_rip;
	}
	return r;
}
