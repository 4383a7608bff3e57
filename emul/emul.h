/* SPDX-License-Identifier: GPL-2.0 */
/*
 * emul/: completing, in user space, the instructions KVM's own emulator
 * refuses (KVM_EXIT_INTERNAL_ERROR, emulation failure).
 *
 * Nothing here knows KVM: the caller (cpu/vcpu.c) copies the vCPU's state
 * into a struct emul_cpu, calls emul_execute(), and writes back what the
 * result says changed, or injects the exception. That keeps the decoder,
 * the page walker and every instruction testable from a table of bytes
 * and states (tests/unit/test_emul.c).
 */
#ifndef VMM_EMUL_EMUL_H
#define VMM_EMUL_EMUL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EMUL_MAX_INSN 15 /* the architectural limit on an instruction's length */

/* General-purpose registers in encoding order (ModRM.reg/rm with REX). */
enum emul_gpr {
	EMUL_RAX,
	EMUL_RCX,
	EMUL_RDX,
	EMUL_RBX,
	EMUL_RSP,
	EMUL_RBP,
	EMUL_RSI,
	EMUL_RDI,
	EMUL_R8,
	EMUL_R9,
	EMUL_R10,
	EMUL_R11,
	EMUL_R12,
	EMUL_R13,
	EMUL_R14,
	EMUL_R15,
};

/* Segment registers in encoding order (the Sreg field of mov/push). */
enum emul_seg { EMUL_ES, EMUL_CS, EMUL_SS, EMUL_DS, EMUL_FS, EMUL_GS, EMUL_NSEG };

/* Which parts of struct emul_cpu an instruction changed (emul_execute's *dirty). */
#define EMUL_DIRTY_GPR	 (1u << 0) /* gpr[] or rflags (rip is always written back) */
#define EMUL_DIRTY_FPU	 (1u << 1) /* mxcsr, fcw, fsw or xmm[] */
#define EMUL_DIRTY_SREGS (1u << 2) /* seg_base[] (wrfsbase/wrgsbase) */
#define EMUL_DIRTY_SEGS	 (1u << 3) /* seg[] (selectors and descriptor caches: iret) */

/* A segment register: selector and descriptor cache (as KVM's struct kvm_segment). */
struct emul_segment {
	uint64_t base;
	uint32_t limit; /* in bytes, granularity applied */
	uint16_t sel;
	uint8_t type, s, dpl, present, db, l, g, avl, unusable;
};

/*
 * The vCPU state an instruction may read or write. Memory is reached only
 * through struct emul_mem, by guest-physical address.
 */
struct emul_cpu {
	uint64_t gpr[16];
	uint64_t rip;
	uint64_t rflags;
	uint64_t cr0, cr2, cr3, cr4, efer;
	uint64_t seg_base[EMUL_NSEG];
	uint8_t cpl; /* CS.DPL (SS.DPL) */
	bool cs_l;   /* CS.L: 64-bit code segment (with EFER.LMA) */
	bool cs_db;  /* CS.D: 32-bit default operand/address size */
	uint32_t mxcsr;
	uint32_t mxcsr_mask; /* bits ldmxcsr may set; 0 means the default 0xffbf */
	uint16_t fcw, fsw;
	uint8_t xmm[16][16];
	struct emul_segment seg[EMUL_NSEG]; /* seg[i].base == seg_base[i] */
	uint64_t gdt_base;
	uint16_t gdt_limit;
};

/*
 * Guest memory by guest-physical address. ptr() returns a host pointer
 * to [gpa, gpa + len) when the whole range is guest RAM, else NULL (the
 * access then faults like MMIO the emulator does not handle).
 */
struct emul_mem {
	void *(*ptr)(void *ctx, uint64_t gpa, size_t len);
	void *ctx;
};

/* An exception to inject, with the error code and CR2 where it has them. */
struct emul_exception {
	uint8_t vector;
	bool has_error_code;
	uint32_t error_code;
	uint64_t cr2; /* #PF only */
};

enum emul_result {
	EMUL_DONE,	/* state updated, RIP past the instruction */
	EMUL_EXCEPTION, /* *exc filled; RIP as the exception requires (trap or fault) */
	EMUL_UNHANDLED, /* a valid instruction emul/ does not implement; state untouched */
};

/* Access kinds for emul_walk(), or-ed. */
#define EMUL_ACC_WRITE (1u << 0)
#define EMUL_ACC_USER  (1u << 1) /* a CPL 3 access (not an implicit supervisor one) */
#define EMUL_ACC_FETCH (1u << 2)

/*
 * Translate a linear address the way the CPU would for cpu's paging mode
 * (none, 32-bit, PAE, 4- and 5-level), checking present, write (CR0.WP),
 * user/supervisor (with CR4.SMAP/SMEP and RFLAGS.AC), NX and reserved bits.
 * Returns 0 and *gpa, or -1 with *exc a #PF (error code, CR2 = la).
 */
int emul_walk(const struct emul_cpu *cpu, const struct emul_mem *mem, uint64_t la,
	      unsigned int access, uint64_t *gpa, struct emul_exception *exc);

/*
 * Read up to len instruction bytes at CS:RIP through the page walk, as far
 * as they are fetchable (a fault on a later page just shortens the result).
 * Returns the count read; 0 with *exc set when the first byte faults.
 */
size_t emul_fetch(const struct emul_cpu *cpu, const struct emul_mem *mem, uint8_t *buf, size_t len,
		  struct emul_exception *exc);

/* A decoded instruction (what the decoder found, before execution). */
struct emul_insn {
	uint8_t len;	/* total length in bytes */
	uint8_t map;	/* 0: one-byte, 1: 0F, 2: 0F38, 3: 0F3A */
	uint8_t opcode; /* the opcode byte within its map */
	uint8_t rex;	/* REX prefix or 0 */
	uint8_t rep;	/* 0, 0xf2 or 0xf3 (last of them wins) */
	bool opsize;	/* 66 prefix */
	bool adsize;	/* 67 prefix */
	bool lock;	/* f0 prefix */
	bool vex;	/* VEX- or EVEX-encoded (decoded for length only) */
	int8_t seg;	/* segment override (enum emul_seg) or -1 */
	bool has_modrm;
	uint8_t modrm, mod, reg, rm; /* reg and rm include REX.R / REX.B */
	bool has_sib;
	uint8_t sib;
	int64_t disp;
	uint8_t imm_len;
	uint64_t imm;
	uint8_t opsz; /* operand size in bytes: 2, 4 or 8 */
	uint8_t adsz; /* address size in bytes: 2, 4 or 8 */
};

/*
 * Decode bytes[0..len) in the mode cpu describes. Returns 0, or -1 when the
 * encoding is invalid in that mode, longer than 15 bytes, or needs more bytes
 * than len (all of which the CPU answers with #UD or #GP: emul_execute
 * injects #UD).
 */
int emul_decode(const struct emul_cpu *cpu, const uint8_t *bytes, size_t len,
		struct emul_insn *insn);

/*
 * Decode and execute one instruction at cpu->rip whose bytes are given.
 * Memory operands go through emul_walk() at cpu->cpl; a locked read-modify-
 * write is one host atomic on the mapped guest page, so it stays atomic
 * against vCPUs running natively. On EMUL_DONE, *dirty says which parts of
 * *cpu besides rip changed; on EMUL_EXCEPTION, cpu->rip is where the
 * exception is to be delivered from (after a trap such as int3, at the
 * instruction for a fault) and nothing else changed.
 */
enum emul_result emul_execute(struct emul_cpu *cpu, const struct emul_mem *mem,
			      const uint8_t *bytes, size_t len, struct emul_exception *exc,
			      unsigned int *dirty);

/* "lock cmpxchg16b (%rdi)"-style text for logs; returns buf. */
const char *emul_name(const struct emul_insn *insn, char *buf, size_t size);

#endif
