// SPDX-License-Identifier: GPL-2.0
/*
 * The x86 decoder behind emul_execute(): legacy prefixes, REX, the one-byte,
 * 0F, 0F38 and 0F3A maps, ModRM/SIB/displacement and immediates, in 16-,
 * 32- and 64-bit code. Two tables say per opcode whether a ModRM byte and
 * which immediate follow; a few group encodings are checked once the ModRM
 * byte is known. VEX and EVEX are decoded for their length only.
 *
 * The input is never read past its end: every byte goes through take(),
 * which also enforces the 15-byte limit by capping the length it sees.
 */
#include <stdio.h>
#include <string.h>

#include "emul/emul.h"

#define EFER_LMA (1ull << 10) /* <asm/msr-index.h> is not a UAPI header */

#define REX_W 0x08
#define REX_R 0x04
#define REX_X 0x02
#define REX_B 0x01

/* Which immediate follows the opcode (and ModRM). */
enum imm_kind {
	I_NONE,
	I_B,	 /* 8 bits */
	I_W,	 /* 16 bits (ret imm16) */
	I_Z,	 /* 16 or 32 bits by operand size */
	I_V,	 /* 16, 32 or 64 bits by operand size (mov r, imm) */
	I_WB,	 /* enter: imm16 then imm8 */
	I_MOFFS, /* mov moffs: an address of the address size */
	I_FAR,	 /* far pointer: offset (16/32) then selector */
	I_REL,	 /* near branch: rel16/32, always rel32 in 64-bit mode */
	I_GRP3,	 /* F6/F7: test /0 /1 take an immediate, the rest none */
};

#define IMM_MASK 0x0f
#define M	 0x10 /* a ModRM byte follows */
#define I64	 0x20 /* invalid in 64-bit mode */
#define BAD	 0x40 /* invalid in every mode (#UD) */

static const uint8_t map0[256] = {
	[0x00 ... 0x03] = M,
	[0x04] = I_B,
	[0x05] = I_Z,
	[0x06 ... 0x07] = I64,
	[0x08 ... 0x0b] = M,
	[0x0c] = I_B,
	[0x0d] = I_Z,
	[0x0e] = I64,
	[0x10 ... 0x13] = M,
	[0x14] = I_B,
	[0x15] = I_Z,
	[0x16 ... 0x17] = I64,
	[0x18 ... 0x1b] = M,
	[0x1c] = I_B,
	[0x1d] = I_Z,
	[0x1e ... 0x1f] = I64,
	[0x20 ... 0x23] = M,
	[0x24] = I_B,
	[0x25] = I_Z,
	[0x27] = I64,
	[0x28 ... 0x2b] = M,
	[0x2c] = I_B,
	[0x2d] = I_Z,
	[0x2f] = I64,
	[0x30 ... 0x33] = M,
	[0x34] = I_B,
	[0x35] = I_Z,
	[0x37] = I64,
	[0x38 ... 0x3b] = M,
	[0x3c] = I_B,
	[0x3d] = I_Z,
	[0x3f] = I64,
	[0x60 ... 0x61] = I64,
	[0x62] = M | I64,
	[0x63] = M,
	[0x68] = I_Z,
	[0x69] = M | I_Z,
	[0x6a] = I_B,
	[0x6b] = M | I_B,
	[0x70 ... 0x7f] = I_B,
	[0x80] = M | I_B,
	[0x81] = M | I_Z,
	[0x82] = M | I_B | I64,
	[0x83] = M | I_B,
	[0x84 ... 0x8f] = M,
	[0x9a] = I_FAR | I64,
	[0xa0 ... 0xa3] = I_MOFFS,
	[0xa8] = I_B,
	[0xa9] = I_Z,
	[0xb0 ... 0xb7] = I_B,
	[0xb8 ... 0xbf] = I_V,
	[0xc0 ... 0xc1] = M | I_B,
	[0xc2] = I_W,
	[0xc4 ... 0xc5] = M | I64,
	[0xc6] = M | I_B,
	[0xc7] = M | I_Z,
	[0xc8] = I_WB,
	[0xca] = I_W,
	[0xcd] = I_B,
	[0xce] = I64,
	[0xd0 ... 0xd3] = M,
	[0xd4 ... 0xd5] = I_B | I64,
	[0xd6] = I64,
	[0xd8 ... 0xdf] = M,
	[0xe0 ... 0xe7] = I_B,
	[0xe8 ... 0xe9] = I_REL,
	[0xea] = I_FAR | I64,
	[0xeb] = I_B,
	[0xf6 ... 0xf7] = M | I_GRP3,
	[0xfe ... 0xff] = M,
};

static const uint8_t map1[256] = {
	[0x00 ... 0x03] = M,
	[0x04] = BAD,
	[0x0a ... 0x0c] = BAD, /* 0b: ud2 */
	[0x0d] = M,
	[0x0f] = M | I_B, /* 3DNow!: the imm8 is the opcode */
	[0x10 ... 0x23] = M,
	[0x24 ... 0x27] = BAD,
	[0x28 ... 0x2f] = M,
	[0x36] = BAD,
	[0x39] = BAD,
	[0x3b ... 0x3f] = BAD,
	[0x40 ... 0x6f] = M,
	[0x70 ... 0x73] = M | I_B,
	[0x74 ... 0x76] = M,
	[0x78 ... 0x79] = M,
	[0x7a ... 0x7b] = BAD,
	[0x7c ... 0x7f] = M,
	[0x80 ... 0x8f] = I_REL,
	[0x90 ... 0x9f] = M,
	[0xa3] = M,
	[0xa4] = M | I_B,
	[0xa5] = M,
	[0xa6 ... 0xa7] = BAD,
	[0xab] = M,
	[0xac] = M | I_B,
	[0xad ... 0xb8] = M,
	[0xb9] = BAD, /* ud1 */
	[0xba] = M | I_B,
	[0xbb ... 0xc1] = M,
	[0xc2] = M | I_B,
	[0xc3] = M,
	[0xc4 ... 0xc6] = M | I_B,
	[0xc7] = M,
	[0xd0 ... 0xfe] = M,
	[0xff] = BAD, /* ud0 */
};

/* The instruction bytes, capped at EMUL_MAX_INSN, and how far we are. */
struct cursor {
	const uint8_t *b;
	size_t len;
	size_t pos;
};

static int take(struct cursor *c, uint8_t *v)
{
	if (c->pos >= c->len)
		return -1;
	*v = c->b[c->pos++];
	return 0;
}

static int peek(const struct cursor *c, uint8_t *v)
{
	if (c->pos >= c->len)
		return -1;
	*v = c->b[c->pos];
	return 0;
}

static int take_le(struct cursor *c, unsigned int n, uint64_t *v)
{
	uint64_t x = 0;

	if (n > c->len - c->pos)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		x |= (uint64_t)c->b[c->pos + i] << (8 * i);
	c->pos += n;
	*v = x;
	return 0;
}

static int cpu_mode(const struct emul_cpu *cpu)
{
	if (cpu->cs_l && (cpu->efer & EFER_LMA))
		return 64;
	return cpu->cs_db ? 32 : 16;
}

static bool legacy_prefix(struct emul_insn *insn, uint8_t b)
{
	static const int8_t seg[256] = {
		[0x26] = EMUL_ES + 1, [0x2e] = EMUL_CS + 1, [0x36] = EMUL_SS + 1,
		[0x3e] = EMUL_DS + 1, [0x64] = EMUL_FS + 1, [0x65] = EMUL_GS + 1,
	};

	switch (b) {
	case 0x66: insn->opsize = true; return true;
	case 0x67: insn->adsize = true; return true;
	case 0xf0: insn->lock = true; return true;
	case 0xf2:
	case 0xf3: insn->rep = b; return true;
	}
	if (!seg[b])
		return false;
	insn->seg = seg[b] - 1;
	return true;
}

/*
 * Prefixes up to the first opcode byte, left in *op. A REX prefix counts
 * only right before the opcode: one followed by a legacy prefix is ignored,
 * as the CPU does, and of two REX prefixes the last wins.
 */
static int read_prefixes(struct cursor *c, struct emul_insn *insn, int mode, uint8_t *op)
{
	uint8_t b;

	for (;;) {
		if (take(c, &b))
			return -1;
		if (legacy_prefix(insn, b)) {
			insn->rex = 0;
			continue;
		}
		if (mode == 64 && (b & 0xf0) == 0x40) {
			insn->rex = b;
			continue;
		}
		*op = b;
		return 0;
	}
}

static void set_sizes(struct emul_insn *insn, int mode)
{
	if (mode == 64) {
		insn->opsz = (insn->rex & REX_W) ? 8 : insn->opsize ? 2 : 4;
		insn->adsz = insn->adsize ? 4 : 8;
		return;
	}
	insn->opsz = (mode == 32) != insn->opsize ? 4 : 2;
	insn->adsz = (mode == 32) != insn->adsize ? 4 : 2;
}

static int decode_modrm(struct cursor *c, struct emul_insn *insn)
{
	unsigned int disp = 0;
	uint64_t v;

	if (take(c, &insn->modrm))
		return -1;
	insn->has_modrm = true;
	insn->mod = insn->modrm >> 6;
	insn->reg = ((insn->modrm >> 3) & 7) | (insn->rex & REX_R) << 1;
	insn->rm = (insn->modrm & 7) | (insn->rex & REX_B) << 3;
	if (insn->mod == 3)
		return 0;
	if (insn->adsz == 2) {
		/* 16-bit forms: no SIB; mod 0 rm 6 is a bare disp16. */
		if (insn->mod == 1)
			disp = 1;
		else if (insn->mod == 2 || (insn->modrm & 7) == 6)
			disp = 2;
	} else {
		if ((insn->modrm & 7) == 4) {
			if (take(c, &insn->sib))
				return -1;
			insn->has_sib = true;
		}
		if (insn->mod == 1)
			disp = 1;
		else if (insn->mod == 2)
			disp = 4;
		else if ((insn->has_sib ? insn->sib : insn->modrm) % 8 == 5)
			disp = 4; /* disp32 (RIP-relative in 64-bit mode without SIB) */
	}
	if (take_le(c, disp, &v))
		return -1;
	if (disp == 1)
		insn->disp = (int8_t)v;
	else if (disp == 2)
		insn->disp = (int16_t)v;
	else
		insn->disp = (int32_t)v;
	return 0;
}

static unsigned int imm_size(const struct emul_insn *insn, unsigned int kind, int mode)
{
	unsigned int z = insn->opsz == 2 ? 2 : 4;

	switch (kind) {
	case I_B: return 1;
	case I_W: return 2;
	case I_Z: return z;
	case I_V: return insn->opsz;
	case I_WB: return 3;
	case I_MOFFS: return insn->adsz;
	case I_FAR: return 2 + z;
	case I_REL: return mode == 64 ? 4 : z; /* Intel ignores 66 on 64-bit branches */
	case I_GRP3:
		if ((insn->modrm >> 3) & 6)
			return 0;
		return (insn->opcode & 1) ? z : 1;
	}
	return 0;
}

/*
 * C4/C5 (VEX) and 62 (EVEX) outside 64-bit mode are LES, LDS and BOUND,
 * unless the next byte has mod = 11, which those cannot encode.
 */
static bool vex_escape(const struct cursor *c, int mode, uint8_t b)
{
	uint8_t next;

	if (b != 0xc4 && b != 0xc5 && b != 0x62)
		return false;
	if (mode == 64)
		return true;
	return peek(c, &next) == 0 && (next >> 6) == 3;
}

static bool vex_has_imm8(unsigned int map, uint8_t op)
{
	if (map == 3)
		return true;
	return map == 1 && ((op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6));
}

/* VEX and EVEX: the map, the opcode and the length; the operands are not kept. */
static int decode_vex(struct cursor *c, struct emul_insn *insn, uint8_t esc)
{
	uint8_t p[3], op;
	unsigned int map = 1, n = esc == 0xc5 ? 1 : esc == 0xc4 ? 2 : 3;
	uint64_t imm;

	/* 66, F2, F3, F0 and REX are encoded inside; as prefixes they are #UD. */
	if (insn->opsize || insn->rep || insn->lock || insn->rex)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		if (take(c, &p[i]))
			return -1;
	if (esc == 0xc4)
		map = p[0] & 0x1f;
	if (esc == 0x62)
		map = p[0] & 7;
	if (map < 1 || map > 6 || map == 4 || (esc == 0xc4 && map > 3))
		return -1;
	if (esc == 0x62 && !(p[1] & 4)) /* EVEX P1 bit 2 is fixed at 1 */
		return -1;
	if (take(c, &op))
		return -1;
	insn->vex = true;
	insn->map = map;
	insn->opcode = op;
	/* vzeroupper/vzeroall (VEX 0F 77) are the only ones without ModRM. */
	if (!(esc != 0x62 && map == 1 && op == 0x77) && decode_modrm(c, insn))
		return -1;
	if (vex_has_imm8(map, op)) {
		if (take_le(c, 1, &imm))
			return -1;
		insn->imm = imm;
		insn->imm_len = 1;
	}
	return 0;
}

/* The opcode byte(s) after the prefixes: the map, and the table flags. */
static int decode_opcode(struct cursor *c, struct emul_insn *insn, uint8_t b, uint8_t *flags)
{
	if (b != 0x0f) {
		insn->map = 0;
		insn->opcode = b;
		*flags = map0[b];
		return 0;
	}
	if (take(c, &b))
		return -1;
	if (b == 0x38 || b == 0x3a) {
		insn->map = b == 0x38 ? 2 : 3;
		*flags = b == 0x38 ? M : M | I_B; /* every 0F3A opcode has an imm8 */
		return take(c, &insn->opcode);
	}
	insn->map = 1;
	insn->opcode = b;
	*flags = map1[b];
	return 0;
}

/* Group encodings that are #UD for some ModRM.reg or register forms. */
static bool group_invalid(const struct emul_insn *insn)
{
	unsigned int grp = (insn->modrm >> 3) & 7;
	bool reg_form = insn->mod == 3;

	if (insn->map == 0) {
		switch (insn->opcode) {
		case 0x8d: return reg_form; /* lea */
		case 0x8f: return grp != 0; /* pop r/m (XOP on AMD) */
		case 0xc6:
		case 0xc7: return grp != 0 && insn->modrm != 0xf8; /* xabort, xbegin */
		case 0xfe: return grp >= 2;
		case 0xff: return grp == 7 || (reg_form && (grp == 3 || grp == 5));
		}
		return false;
	}
	if (insn->map != 1)
		return false;
	switch (insn->opcode) {
	case 0x00: return grp >= 6;
	case 0xb2:
	case 0xb4:
	case 0xb5: return reg_form;	     /* lss, lfs, lgs */
	case 0xb8: return insn->rep != 0xf3; /* popcnt; plain 0F B8 is IA-64's jmpe */
	case 0xba: return grp < 4;
	case 0xc7: return grp == 1 && reg_form; /* cmpxchg8b/16b need memory */
	}
	return false;
}

/* LOCK is #UD except on these read-modify-write instructions with a memory destination. */
static bool lock_allowed(const struct emul_insn *insn)
{
	unsigned int grp = (insn->modrm >> 3) & 7;
	uint8_t op = insn->opcode;

	if (!insn->has_modrm || insn->mod == 3)
		return insn->map == 1 && (op == 0x20 || op == 0x22); /* AMD's mov cr8 alias */
	if (insn->map == 0) {
		if (op < 0x38 && (op & 6) == 0) /* add or adc sbb and sub xor */
			return true;
		switch (op) {
		case 0x80 ... 0x83: return grp != 7;
		case 0x86:
		case 0x87: return true;
		case 0xf6:
		case 0xf7: return grp == 2 || grp == 3;
		case 0xfe:
		case 0xff: return grp < 2;
		}
		return false;
	}
	if (insn->map != 1)
		return false;
	switch (op) {
	case 0xab:
	case 0xb3:
	case 0xbb:
	case 0xb0:
	case 0xb1:
	case 0xc0:
	case 0xc1: return true;
	case 0xba: return grp >= 5;
	case 0xc7: return grp == 1;
	}
	return false;
}

static int decode_rest(struct cursor *c, struct emul_insn *insn, uint8_t flags, int mode)
{
	unsigned int n;

	if (flags & BAD)
		return -1;
	if ((flags & I64) && mode == 64)
		return -1;
	if ((flags & M) && decode_modrm(c, insn))
		return -1;
	if (group_invalid(insn))
		return -1;
	n = imm_size(insn, flags & IMM_MASK, mode);
	/* AMD's extrq/insertq (66/F2 0F 78) carry two imm8s where Intel has vmread. */
	if (insn->map == 1 && insn->opcode == 0x78 && (insn->opsize || insn->rep == 0xf2))
		n = 2;
	if (take_le(c, n, &insn->imm))
		return -1;
	insn->imm_len = n;
	if (insn->lock && !lock_allowed(insn))
		return -1;
	return 0;
}

int emul_decode(const struct emul_cpu *cpu, const uint8_t *bytes, size_t len,
		struct emul_insn *insn)
{
	struct cursor c = { bytes, len < EMUL_MAX_INSN ? len : EMUL_MAX_INSN, 0 };
	int mode = cpu_mode(cpu);
	uint8_t b, flags;

	memset(insn, 0, sizeof(*insn));
	insn->seg = -1;
	if (read_prefixes(&c, insn, mode, &b))
		return -1;
	set_sizes(insn, mode);
	if (vex_escape(&c, mode, b)) {
		if (decode_vex(&c, insn, b))
			return -1;
	} else if (decode_opcode(&c, insn, b, &flags) || decode_rest(&c, insn, flags, mode)) {
		return -1;
	}
	insn->len = c.pos;
	return 0;
}

/* ---- emul_name(): AT&T-style text for logs ---- */

/* How emul_name() prints the operands. */
enum name_ops {
	N_NONE,
	N_RM,	/* the r/m operand alone */
	N_RM_R, /* r/m, reg (GPRs) */
	N_X_X,	/* xmm/m, xmm (loads and xmm ops) */
	N_XS,	/* xmm, xmm/m (stores) */
	N_G_X,	/* r/m (GPR), xmm */
	N_X_G,	/* xmm, r/m (GPR) */
};

struct name {
	const char *mn;
	enum name_ops ops;
};

static struct name name_0f_ae(const struct emul_insn *insn)
{
	static const char *const mem[8] = { "fxsave", "fxrstor", "ldmxcsr",  "stmxcsr",
					    "xsave",  "xrstor",	 "xsaveopt", "clflush" };
	static const char *const fence[8] = { [5] = "lfence", [6] = "mfence", [7] = "sfence" };
	static const char *const fsgs[4] = { "rdfsbase", "rdgsbase", "wrfsbase", "wrgsbase" };
	unsigned int grp = (insn->modrm >> 3) & 7;

	if (insn->mod == 3 && insn->rep == 0xf3 && grp < 4)
		return (struct name){ fsgs[grp], N_RM };
	if (insn->mod == 3)
		return (struct name){ fence[grp], N_NONE };
	if (insn->opsize && grp >= 6)
		return (struct name){ grp == 6 ? "clwb" : "clflushopt", N_RM };
	if (insn->rep)
		return (struct name){ NULL, N_NONE };
	return (struct name){ mem[grp], N_RM };
}

static struct name name_0f_c7(const struct emul_insn *insn)
{
	unsigned int grp = (insn->modrm >> 3) & 7;

	if (grp == 1 && insn->mod != 3)
		return (struct name){ (insn->rex & REX_W) ? "cmpxchg16b" : "cmpxchg8b", N_RM };
	if (insn->mod == 3 && grp == 6)
		return (struct name){ "rdrand", N_RM };
	if (insn->mod == 3 && grp == 7 && !insn->rep)
		return (struct name){ "rdseed", N_RM };
	return (struct name){ NULL, N_NONE };
}

static struct name name_sse(const struct emul_insn *insn)
{
	bool p66 = insn->opsize && !insn->rep, f3 = insn->rep == 0xf3;
	bool w = insn->rex & REX_W;

	switch (insn->opcode) {
	case 0x10:
	case 0x11:
		if (insn->rep)
			return (struct name){ f3 ? "movss" : "movsd", N_NONE };
		return (struct name){ p66 ? "movupd" : "movups", insn->opcode & 1 ? N_XS : N_X_X };
	case 0x28:
	case 0x29:
		if (insn->rep)
			break;
		return (struct name){ p66 ? "movapd" : "movaps", insn->opcode & 1 ? N_XS : N_X_X };
	case 0x57:
		if (insn->rep)
			break;
		return (struct name){ p66 ? "xorpd" : "xorps", N_X_X };
	case 0x6e:
		if (p66)
			return (struct name){ w ? "movq" : "movd", N_G_X };
		break;
	case 0x7e:
		if (f3)
			return (struct name){ "movq", N_X_X };
		if (p66)
			return (struct name){ w ? "movq" : "movd", N_X_G };
		break;
	case 0x6f:
	case 0x7f:
		if (f3 || p66)
			return (struct name){ f3 ? "movdqu" : "movdqa",
					      insn->opcode == 0x7f ? N_XS : N_X_X };
		break;
	case 0xd6:
		if (p66)
			return (struct name){ "movq", N_XS };
		break;
	case 0xef:
		if (p66)
			return (struct name){ "pxor", N_X_X };
		break;
	}
	return (struct name){ NULL, N_NONE };
}

static struct name name_of(const struct emul_insn *insn)
{
	if (insn->vex)
		return (struct name){ NULL, N_NONE };
	if (insn->map == 0) {
		switch (insn->opcode) {
		case 0xcc: return (struct name){ "int3", N_NONE };
		case 0xcd: return (struct name){ "int", N_NONE };
		case 0xce: return (struct name){ "into", N_NONE };
		case 0xf1: return (struct name){ "int1", N_NONE };
		case 0x9b: return (struct name){ "fwait", N_NONE };
		}
		return (struct name){ NULL, N_NONE };
	}
	if (insn->map != 1)
		return (struct name){ NULL, N_NONE };
	switch (insn->opcode) {
	case 0x01:
		if (insn->modrm == 0xca || insn->modrm == 0xcb)
			return (struct name){ insn->modrm == 0xca ? "clac" : "stac", N_NONE };
		break;
	case 0xae: return name_0f_ae(insn);
	case 0xc7: return name_0f_c7(insn);
	case 0xb8:
	case 0xbc:
	case 0xbd:
		if (insn->rep != 0xf3)
			break;
		return (struct name){ insn->opcode == 0xb8   ? "popcnt"
				      : insn->opcode == 0xbc ? "tzcnt"
							     : "lzcnt",
				      N_RM_R };
	default: return name_sse(insn);
	}
	return (struct name){ NULL, N_NONE };
}

static const char *gpr_name(unsigned int reg, unsigned int size, char *buf, size_t n)
{
	static const char *const low[8] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };

	if (reg >= 8)
		snprintf(buf, n, "%%r%u%s", reg, size == 8 ? "" : size == 4 ? "d" : "w");
	else
		snprintf(buf, n, "%%%s%s", size == 8 ? "r" : size == 4 ? "e" : "", low[reg]);
	return buf;
}

static void mem_operand(const struct emul_insn *insn, char *buf, size_t n)
{
	static const char *const segs[EMUL_NSEG] = { "es", "cs", "ss", "ds", "fs", "gs" };
	static const char *const m16[8] = { "%bx,%si", "%bx,%di", "%bp,%si", "%bp,%di",
					    "%si",     "%di",	  "%bp",     "%bx" };
	char seg[8] = "", disp[24] = "", base[8] = "", index[16] = "", r[8];
	unsigned int a = insn->adsz;

	if (insn->seg >= 0)
		snprintf(seg, sizeof(seg), "%%%s:", segs[insn->seg]);
	if (insn->disp || (insn->mod == 0 && !insn->has_sib && insn->rm % 8 == 5))
		snprintf(disp, sizeof(disp), "%s0x%llx", insn->disp < 0 ? "-" : "",
			 (unsigned long long)(insn->disp < 0 ? -(uint64_t)insn->disp
							     : (uint64_t)insn->disp));
	if (a == 2) {
		if (insn->mod == 0 && insn->rm % 8 == 6)
			snprintf(buf, n, "%s%s", seg, disp);
		else
			snprintf(buf, n, "%s%s(%s)", seg, disp, m16[insn->rm % 8]);
		return;
	}
	if (insn->has_sib) {
		unsigned int b = (insn->sib & 7) | (insn->rex & REX_B) << 3;
		unsigned int x = ((insn->sib >> 3) & 7) | (insn->rex & REX_X) << 2;

		if (!(insn->mod == 0 && (insn->sib & 7) == 5))
			snprintf(base, sizeof(base), "%s", gpr_name(b, a, r, sizeof(r)));
		if (x != 4)
			snprintf(index, sizeof(index), ",%s,%u", gpr_name(x, a, r, sizeof(r)),
				 1u << (insn->sib >> 6));
	} else if (insn->mod == 0 && insn->rm % 8 == 5) {
		if (a == 8) /* RIP-relative: only 64-bit mode has 8-byte addresses */
			snprintf(base, sizeof(base), "%%rip");
	} else {
		gpr_name(insn->rm, a, base, sizeof(base));
	}
	if (!base[0] && !index[0])
		snprintf(buf, n, "%s%s", seg, disp);
	else
		snprintf(buf, n, "%s%s(%s%s)", seg, disp, base, index);
}

/* The r/m operand: memory, or a GPR or an xmm register. */
static void rm_operand(const struct emul_insn *insn, bool xmm, unsigned int size, char *buf,
		       size_t n)
{
	if (insn->mod != 3)
		mem_operand(insn, buf, n);
	else if (xmm)
		snprintf(buf, n, "%%xmm%u", insn->rm);
	else
		gpr_name(insn->rm, size, buf, n);
}

static void operands(const struct emul_insn *insn, enum name_ops ops, char *buf, size_t n)
{
	unsigned int size = insn->opsz;
	char rm[48], reg[16];

	buf[0] = '\0';
	if (ops == N_NONE)
		return;
	if (ops == N_G_X || ops == N_X_G)
		size = (insn->rex & REX_W) ? 8 : 4; /* movd/movq: 66 selects xmm, not 16 bits */
	rm_operand(insn, ops == N_X_X || ops == N_XS, size, rm, sizeof(rm));
	if (ops == N_RM_R)
		gpr_name(insn->reg, size, reg, sizeof(reg));
	else
		snprintf(reg, sizeof(reg), "%%xmm%u", insn->reg);
	switch (ops) {
	case N_RM: snprintf(buf, n, " %s", rm); break;
	case N_RM_R:
	case N_X_X:
	case N_G_X: snprintf(buf, n, " %s,%s", rm, reg); break;
	default: snprintf(buf, n, " %s,%s", reg, rm); break;
	}
}

const char *emul_name(const struct emul_insn *insn, char *buf, size_t size)
{
	static const char *const maps[] = { "", "0f ", "0f38 ", "0f3a ", "?", "map5 ", "map6 " };
	struct name nm = name_of(insn);
	char ops[96];

	if (!size)
		return buf;
	if (!nm.mn) {
		/* Unknown to us: the opcode bytes, and the ModRM operand if any. */
		char grp[8] = "", rm[64] = "";

		if (insn->has_modrm) {
			snprintf(grp, sizeof(grp), " /%u", (insn->modrm >> 3) & 7);
			rm_operand(insn, false, insn->opsz, rm + 1, sizeof(rm) - 1);
			rm[0] = ' ';
		}
		snprintf(buf, size, "%s%s%s%02x%s%s", insn->lock ? "lock " : "",
			 insn->vex ? "vex " : "", maps[insn->map % 7], insn->opcode, grp, rm);
		return buf;
	}
	operands(insn, nm.ops, ops, sizeof(ops));
	snprintf(buf, size, "%s%s%s", insn->lock ? "lock " : "", nm.mn, ops);
	return buf;
}
