// SPDX-License-Identifier: GPL-2.0
/*
 * emul/: iret outside long mode, which KVM's emulator refuses in protected
 * mode (SYSLINUX and GRUB return from their interrupt handlers with it).
 * A flat 64 KiB RAM without paging, a GDT at GDT_BASE and the stack at
 * STACK; each case pops a frame and checks where the CPU went, or the
 * exception it raised with nothing changed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <asm/processor-flags.h>

#include "emul/emul.h"

#define RAM_SIZE 0x10000
#define GDT_BASE 0x2000
#define STACK	 0x8000
#define CODE	 0x1000

static uint8_t ram[RAM_SIZE];

static void *ram_ptr(void *ctx, uint64_t gpa, size_t len)
{
	return gpa < RAM_SIZE && len <= RAM_SIZE - gpa ? ram + gpa : NULL;
}

static const struct emul_mem mem = { ram_ptr, NULL };

/* GDT entries by index (selector >> 3). */
static const uint64_t gdt[] = {
	0,
	0x00cf9b000000ffff, /* 0x08: 32-bit code, flat, DPL 0 */
	0x00cf93000000ffff, /* 0x10: 32-bit data, flat, DPL 0 */
	0x00009b010000ffff, /* 0x18: 16-bit code, base 0x10000, DPL 0 */
	0x00cffb000000ffff, /* 0x20: 32-bit code, flat, DPL 3 */
	0x00cff3000000ffff, /* 0x28: 32-bit data, flat, DPL 3 */
	0x00cf1b000000ffff, /* 0x30: 32-bit code, not present */
};

static void put(uint64_t gpa, uint64_t v, unsigned int size)
{
	memcpy(ram + gpa, &v, size);
}

static void seg_flat(struct emul_segment *s, uint16_t sel, uint8_t type, uint8_t dpl)
{
	*s = (struct emul_segment){ .sel = sel,
				    .limit = 0xffffffff,
				    .type = type,
				    .s = 1,
				    .dpl = dpl,
				    .present = 1,
				    .db = 1,
				    .g = 1 };
}

/* 32-bit protected mode at CPL 0 (or 3), no paging, flat segments. */
static void pm32(struct emul_cpu *c, unsigned int cpl)
{
	memset(c, 0, sizeof(*c));
	memset(ram, 0, sizeof(ram));
	memcpy(ram + GDT_BASE, gdt, sizeof(gdt));
	c->cr0 = X86_CR0_PE | X86_CR0_ET;
	c->rip = CODE;
	c->rflags = X86_EFLAGS_FIXED;
	c->gdt_base = GDT_BASE;
	c->gdt_limit = sizeof(gdt) - 1;
	c->cs_db = true;
	c->cpl = cpl;
	for (int i = 0; i < EMUL_NSEG; i++)
		seg_flat(&c->seg[i], cpl ? 0x2b : 0x10, 3, cpl);
	seg_flat(&c->seg[EMUL_CS], cpl ? 0x23 : 0x08, 0xb, cpl);
	c->gpr[EMUL_RSP] = STACK;
	c->gpr[EMUL_RAX] = 0x1111;
}

static enum emul_result iret(struct emul_cpu *c, const uint8_t *bytes, size_t n,
			     struct emul_exception *exc, unsigned int *dirty)
{
	return emul_execute(c, &mem, bytes, n, exc, dirty);
}

static const uint8_t IRETD[] = { 0xcf };
static const uint8_t IRETW32[] = { 0x66, 0xcf }; /* 16-bit frame from 32-bit code */

static void test_iret_real_mode(void **state)
{
	struct emul_cpu c;
	struct emul_exception exc;
	unsigned int dirty;

	pm32(&c, 0);
	c.cr0 = X86_CR0_ET;
	c.cs_db = false;
	c.seg[EMUL_SS].db = 0;
	c.gpr[EMUL_RSP] = 0x12340000 | STACK; /* a 16-bit stack uses SP only */
	put(STACK, 0x1234, 2);
	put(STACK + 2, 0x2000, 2);
	put(STACK + 4, X86_EFLAGS_IF | X86_EFLAGS_CF, 2);
	assert_int_equal(iret(&c, IRETD, 1, &exc, &dirty), EMUL_DONE);
	assert_int_equal(c.rip, 0x1234);
	assert_int_equal(c.seg[EMUL_CS].sel, 0x2000);
	assert_int_equal(c.seg_base[EMUL_CS], 0x20000);
	assert_int_equal(c.rflags, X86_EFLAGS_FIXED | X86_EFLAGS_IF | X86_EFLAGS_CF);
	assert_int_equal(c.gpr[EMUL_RSP], 0x12340000 | (STACK + 6));
	assert_true(dirty & EMUL_DIRTY_SEGS);
}

static void test_iret_pm_same_level(void **state)
{
	struct emul_cpu c;
	struct emul_exception exc;
	unsigned int dirty;

	pm32(&c, 0);
	put(STACK, 0x5000, 4);
	put(STACK + 4, 0x08, 4);
	put(STACK + 8, X86_EFLAGS_IF | X86_EFLAGS_ZF | X86_EFLAGS_IOPL, 4);
	assert_int_equal(iret(&c, IRETD, 1, &exc, &dirty), EMUL_DONE);
	assert_int_equal(c.rip, 0x5000);
	assert_int_equal(c.seg[EMUL_CS].sel, 0x08);
	assert_int_equal(c.gpr[EMUL_RSP], STACK + 12);
	assert_int_equal(c.rflags,
			 X86_EFLAGS_FIXED | X86_EFLAGS_IF | X86_EFLAGS_ZF | X86_EFLAGS_IOPL);
	assert_int_equal(c.cpl, 0);
	assert_true(c.cs_db);
	assert_int_equal(c.gpr[EMUL_RAX], 0x1111);
}

/* SYSLINUX's way back to its 16-bit code: a 16-bit segment with a base. */
static void test_iret_pm_to_16bit_segment(void **state)
{
	struct emul_cpu c;
	struct emul_exception exc;
	unsigned int dirty;

	pm32(&c, 0);
	put(STACK, 0xabcd, 2);
	put(STACK + 2, 0x18, 2);
	put(STACK + 4, 0x0002, 2);
	assert_int_equal(iret(&c, IRETW32, 2, &exc, &dirty), EMUL_DONE);
	assert_int_equal(c.rip, 0xabcd);
	assert_int_equal(c.seg_base[EMUL_CS], 0x10000);
	assert_int_equal(c.seg[EMUL_CS].limit, 0xffff);
	assert_false(c.cs_db);
	assert_int_equal(c.gpr[EMUL_RSP], STACK + 6);
}

static void test_iret_pm_to_ring3(void **state)
{
	struct emul_cpu c;
	struct emul_exception exc;
	unsigned int dirty;

	pm32(&c, 0);
	put(STACK, 0x6000, 4);
	put(STACK + 4, 0x23, 4);
	put(STACK + 8, X86_EFLAGS_IF, 4);
	put(STACK + 12, 0x9000, 4);
	put(STACK + 16, 0x2b, 4);
	assert_int_equal(iret(&c, IRETD, 1, &exc, &dirty), EMUL_DONE);
	assert_int_equal(c.cpl, 3);
	assert_int_equal(c.rip, 0x6000);
	assert_int_equal(c.seg[EMUL_CS].sel, 0x23);
	assert_int_equal(c.seg[EMUL_SS].sel, 0x2b);
	assert_int_equal(c.seg[EMUL_SS].dpl, 3);
	assert_int_equal(c.gpr[EMUL_RSP], 0x9000);
}

/* At CPL 3 with IOPL 0, iret leaves IF and IOPL alone. */
static void test_iret_ring3_keeps_if_iopl(void **state)
{
	struct emul_cpu c;
	struct emul_exception exc;
	unsigned int dirty;

	pm32(&c, 3);
	c.rflags |= X86_EFLAGS_IF;
	put(STACK, 0x7000, 4);
	put(STACK + 4, 0x23, 4);
	put(STACK + 8, X86_EFLAGS_IOPL | X86_EFLAGS_CF, 4);
	assert_int_equal(iret(&c, IRETD, 1, &exc, &dirty), EMUL_DONE);
	assert_int_equal(c.rflags, X86_EFLAGS_FIXED | X86_EFLAGS_IF | X86_EFLAGS_CF);
}

struct bad_case {
	const char *what;
	unsigned int cpl;
	uint32_t cs;
	uint8_t vector;
	uint32_t error_code;
};

static const struct bad_case bad[] = {
	{ "selector past the GDT limit", 0, 0x80, 13, 0x80 },
	{ "null selector", 0, 0x00, 13, 0 },
	{ "a data segment", 0, 0x10, 13, 0x10 },
	{ "not present", 0, 0x30, 11, 0x30 },
	{ "to an inner level", 3, 0x08, 13, 0x08 },
	{ "RPL 0 for a DPL 3 segment", 0, 0x20, 13, 0x20 },
};

static void test_iret_faults(void **state)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct emul_cpu c, before;
		struct emul_exception exc;
		unsigned int dirty;

		pm32(&c, bad[i].cpl);
		put(STACK, 0x5000, 4);
		put(STACK + 4, bad[i].cs, 4);
		put(STACK + 8, 0, 4);
		before = c;
		print_message("%s\n", bad[i].what);
		assert_int_equal(iret(&c, IRETD, 1, &exc, &dirty), EMUL_EXCEPTION);
		assert_int_equal(exc.vector, bad[i].vector);
		assert_true(exc.has_error_code);
		assert_int_equal(exc.error_code, bad[i].error_code);
		assert_memory_equal(&c, &before, sizeof(c));
	}
}

/* What stays KVM's (or a crash report): task returns, long mode, stacks in MMIO. */
static void test_iret_unhandled(void **state)
{
	struct emul_cpu c;
	struct emul_exception exc;
	unsigned int dirty;

	pm32(&c, 0);
	c.rflags |= X86_EFLAGS_NT;
	assert_int_equal(iret(&c, IRETD, 1, &exc, &dirty), EMUL_UNHANDLED);
	pm32(&c, 0);
	c.gpr[EMUL_RSP] = 0x100000; /* outside RAM */
	assert_int_equal(iret(&c, IRETD, 1, &exc, &dirty), EMUL_UNHANDLED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_iret_real_mode),
		cmocka_unit_test(test_iret_pm_same_level),
		cmocka_unit_test(test_iret_pm_to_16bit_segment),
		cmocka_unit_test(test_iret_pm_to_ring3),
		cmocka_unit_test(test_iret_ring3_keeps_if_iopl),
		cmocka_unit_test(test_iret_faults),
		cmocka_unit_test(test_iret_unhandled),
	};

	return cmocka_run_group_tests_name("emul_iret", tests, NULL, NULL);
}
