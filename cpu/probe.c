// SPDX-License-Identifier: GPL-2.0
/*
 * What can this host's KVM run at guest ring 0? On hardware KVM, every
 * instruction the CPU has. On hosts where KVM emulates guest ring 0 an
 * instruction at a time (kvm_pvm in a nested sandbox), its emulator
 * refuses some, and a guest that uses them stops with an emulation
 * failure. vmm completes a few in user space (emul/), but an exit to user
 * space per use is dear, and some (XSAVE state, AVX) are large to emulate.
 *
 * So before the real VM's CPUID is set, a throw-away probe VM first asks
 * CPUID at CPL 0 what a guest will actually see, then runs each candidate
 * instruction once at CPL 0 in long mode. A feature is hidden, with what
 * depends on it, when the guest would see it but KVM_GET_SUPPORTED_CPUID
 * does not offer it (KVM cannot virtualise it), or when its instruction
 * comes back as an emulation failure. Guests then take their software
 * path, which costs less than trapping each use (Linux: SLUB without
 * cmpxchg16b, FXSAVE instead of XSAVE, no AVX, no stac/clac, C popcount).
 * The probe costs two small VMs and ~40 exits (about 3 ms here); on
 * hardware KVM it hides nothing.
 *
 * Some hosts (kvm_pvm) run the guest's CPUID instruction natively, so the
 * CPUID table vmm sets does not reach the guest. The probe notices (what
 * CPL 0 sees differs from the table) and then also says which Linux
 * command-line options hide the same features (clearcpuid=, noxsave);
 * the Linux loaders append them. Other guests see the host's CPUID there.
 *
 * No CPUID bit hides int3, fwait, ldmxcsr/stmxcsr or the SSE2 moves: emul/
 * completes those when KVM refuses them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <asm/processor-flags.h>
#include <linux/kvm.h>

#include "cpu/probe.h"
#include "cpu/vcpu.h"

/* A CPUID bit: leaf, subleaf, register (0 eax .. 3 edx), bit. */
struct cpuid_bit {
	uint32_t leaf;
	uint8_t index;
	uint8_t reg;
	uint8_t bit;
};

enum { EAX, EBX, ECX, EDX };

#define BIT(l, i, r, b)            \
	{                          \
		(l), (i), (r), (b) \
	}
#define MAX_BITS 40
#define MAX_CODE 16

struct probe {
	const char *name;
	uint8_t code[MAX_CODE]; /* the instruction; "out %al, $0x80" is appended */
	uint8_t len;
	bool zero_leaf_0xd; /* hide the XSAVE state leaf too */
	struct cpuid_bit hide[MAX_BITS];
};

/*
 * The probes. The CPU state (see probe_regs()): long mode, CR4 with
 * OSFXSR, OSXMMEXCPT, OSXSAVE (XCR0 = x87|SSE) and FSGSBASE where the
 * host has them, RDI -> a zeroed 64-byte-aligned scratch page, other GPRs 0.
 */
static const struct probe probes[] = {
	{ "cx16",
	  { 0xf0, 0x48, 0x0f, 0xc7, 0x0f },
	  5,
	  false, /* lock cmpxchg16b (%rdi) */
	  { BIT(1, 0, ECX, 13) } },
	/* xsave64 (%rdi); xrstor64 (%rdi): without XSAVE, no AVX state either. */
	{ "xsave",
	  { 0x48, 0x0f, 0xae, 0x27, 0x48, 0x0f, 0xae, 0x2f },
	  8,
	  true,
	  { BIT(1, 0, ECX, 26),		BIT(1, 0, ECX, 12), BIT(1, 0, ECX, 27),
	    BIT(1, 0, ECX, 28),		BIT(1, 0, ECX, 29), BIT(7, 0, EBX, 5),
	    BIT(7, 0, EBX, 14),		BIT(7, 0, EBX, 16), BIT(7, 0, EBX, 17),
	    BIT(7, 0, EBX, 21),		BIT(7, 0, EBX, 26), BIT(7, 0, EBX, 27),
	    BIT(7, 0, EBX, 28),		BIT(7, 0, EBX, 30), BIT(7, 0, EBX, 31),
	    BIT(7, 0, ECX, 1),		BIT(7, 0, ECX, 3),  BIT(7, 0, ECX, 4),
	    BIT(7, 0, ECX, 6),		BIT(7, 0, ECX, 7),  BIT(7, 0, ECX, 9),
	    BIT(7, 0, ECX, 10),		BIT(7, 0, ECX, 11), BIT(7, 0, ECX, 12),
	    BIT(7, 0, ECX, 14),		BIT(7, 0, EDX, 2),  BIT(7, 0, EDX, 3),
	    BIT(7, 0, EDX, 8),		BIT(7, 0, EDX, 20), BIT(7, 0, EDX, 22),
	    BIT(7, 0, EDX, 23),		BIT(7, 0, EDX, 24), BIT(7, 0, EDX, 25),
	    BIT(7, 1, EAX, 4),		BIT(7, 1, EAX, 5),  BIT(0x80000001, 0, ECX, 11),
	    BIT(0x80000001, 0, ECX, 16) } },
	{ "popcnt",
	  { 0xf3, 0x48, 0x0f, 0xb8, 0xc0 },
	  5,
	  false, /* popcnt %rax, %rax */
	  { BIT(1, 0, ECX, 23) } },
	{ "pni",
	  { 0xf2, 0x0f, 0x7c, 0xc1 },
	  4,
	  false, /* SSE3: haddps %xmm1, %xmm0 */
	  { BIT(1, 0, ECX, 0) } },
	{ "smap",
	  { 0x0f, 0x01, 0xcb, 0x0f, 0x01, 0xca },
	  6,
	  false, /* stac; clac */
	  { BIT(7, 0, EBX, 20) } },
	{ "ssse3",
	  { 0x66, 0x0f, 0x38, 0x00, 0xc1 },
	  5,
	  false, /* pshufb %xmm1, %xmm0 */
	  { BIT(1, 0, ECX, 9) } },
	{ "sse4_1",
	  { 0x66, 0x0f, 0x38, 0x17, 0xc1 },
	  5,
	  false, /* ptest %xmm1, %xmm0 */
	  { BIT(1, 0, ECX, 19) } },
	{ "sse4_2",
	  { 0xf2, 0x0f, 0x38, 0xf1, 0xc0 },
	  5,
	  false, /* crc32 %eax, %eax */
	  { BIT(1, 0, ECX, 20) } },
	{ "pclmulqdq", { 0x66, 0x0f, 0x3a, 0x44, 0xc1, 0x00 }, 6, false, { BIT(1, 0, ECX, 1) } },
	{ "aes",
	  { 0x66, 0x0f, 0x38, 0xdc, 0xc1 },
	  5,
	  false, /* aesenc %xmm1, %xmm0 */
	  { BIT(1, 0, ECX, 25) } },
	{ "sha_ni",
	  { 0x0f, 0x38, 0xc8, 0xc1 },
	  4,
	  false, /* sha1nexte %xmm1, %xmm0 */
	  { BIT(7, 0, EBX, 29) } },
	{ "gfni", { 0x66, 0x0f, 0x38, 0xcf, 0xc1 }, 5, false, { BIT(7, 0, ECX, 8) } },
	{ "movbe",
	  { 0x0f, 0x38, 0xf0, 0x07 },
	  4,
	  false, /* movbe (%rdi), %eax */
	  { BIT(1, 0, ECX, 22) } },
	{ "rdrand", { 0x48, 0x0f, 0xc7, 0xf0 }, 4, false, { BIT(1, 0, ECX, 30) } },
	{ "rdseed", { 0x48, 0x0f, 0xc7, 0xf8 }, 4, false, { BIT(7, 0, EBX, 18) } },
	{ "fsgsbase",
	  { 0xf3, 0x48, 0x0f, 0xae, 0xc0 },
	  5,
	  false, /* rdfsbase %rax */
	  { BIT(7, 0, EBX, 0) } },
	{ "bmi1",
	  { 0xc4, 0xe2, 0x78, 0xf2, 0xc1 },
	  5,
	  false, /* andn %ecx, %eax, %eax */
	  { BIT(7, 0, EBX, 3) } },
	{ "bmi2",
	  { 0xc4, 0xe2, 0x7b, 0xf6, 0xc1 },
	  5,
	  false, /* mulx %ecx, %eax, %eax */
	  { BIT(7, 0, EBX, 8) } },
	{ "adx",
	  { 0x66, 0x0f, 0x38, 0xf6, 0xc1 },
	  5,
	  false, /* adcx %ecx, %eax */
	  { BIT(7, 0, EBX, 19) } },
	{ "abm", { 0xf3, 0x0f, 0xbd, 0xc1 }, 4, false, { BIT(0x80000001, 0, ECX, 5) } },
	/* invpcid (%rdi), %rax with type 0 would #GP on a zero PCID; type 2 is always valid. */
	{ "invpcid",
	  { 0xb0, 0x02, 0x66, 0x0f, 0x38, 0x82, 0x07 },
	  7,
	  false,
	  { BIT(7, 0, EBX, 10) } },
	{ "rdpid", { 0xf3, 0x0f, 0xc7, 0xf8 }, 4, false, { BIT(7, 0, ECX, 22) } },
	{ "rdtscp", { 0x0f, 0x01, 0xf9 }, 3, false, { BIT(0x80000001, 0, EDX, 27) } },
	{ "clflushopt", { 0x66, 0x0f, 0xae, 0x3f }, 4, false, { BIT(7, 0, EBX, 23) } },
	{ "clwb", { 0x66, 0x0f, 0xae, 0x37 }, 4, false, { BIT(7, 0, EBX, 24) } },
	{ "serialize", { 0x0f, 0x01, 0xe8 }, 3, false, { BIT(7, 0, EDX, 14) } },
	/* monitorx (%rax = scratch); mwaitx with a timer would wait: monitor only. */
	{ "mwaitx",
	  { 0x48, 0x89, 0xf8, 0x0f, 0x01, 0xfa },
	  6,
	  false,
	  { BIT(0x80000001, 0, ECX, 29) } },
	{ "clzero",
	  { 0x48, 0x89, 0xf8, 0x0f, 0x01, 0xfc },
	  6,
	  false,
	  { BIT(0x80000008, 0, EBX, 0) } },
};

#define NPROBES (sizeof(probes) / sizeof(probes[0]))

/* The probe VM's memory: page tables, GDT, code, scratch, stack. */
#define P_MEM	  0x10000
#define P_PML4	  0x1000
#define P_PDPT	  0x2000
#define P_PD	  0x3000
#define P_GDT	  0x4000
#define P_CODE	  0x5000
#define P_SCRATCH 0x6000
#define P_STACK	  0x9000

#define PTE_P  (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PS (1ULL << 7)

#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

#define XCR0_X87_SSE 3

static const struct cpuid_bit cpuid_xsave = BIT(1, 0, ECX, 26);
static const struct cpuid_bit cpuid_fsgsbase = BIT(7, 0, EBX, 0);

struct probe_vm {
	int vm_fd, vcpu_fd;
	struct kvm_run *run;
	uint8_t *mem;
	bool xsave, fsgsbase;
	/* CPUID as CPL 0 sees it, for the leaves the probes name. */
	struct kvm_cpuid_entry2 seen[6];
};

static const struct {
	uint32_t leaf, index;
} seen_leaves[] = { { 1, 0 }, { 7, 0 }, { 7, 1 }, { 0x80000001, 0 }, { 0x80000008, 0 } };

static struct kvm_cpuid_entry2 *find_leaf(struct kvm_cpuid2 *c, uint32_t leaf, uint32_t index)
{
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == leaf &&
		    (c->entries[i].index == index ||
		     !(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX)))
			return &c->entries[i];
	return NULL;
}

static uint32_t *cpuid_reg(struct kvm_cpuid_entry2 *e, int reg)
{
	switch (reg) {
	case EAX: return &e->eax;
	case EBX: return &e->ebx;
	case ECX: return &e->ecx;
	default: return &e->edx;
	}
}

static bool has_bit(struct kvm_cpuid2 *c, const struct cpuid_bit *b)
{
	struct kvm_cpuid_entry2 *e = find_leaf(c, b->leaf, b->index);

	return e && (*cpuid_reg(e, b->reg) & (1u << b->bit));
}

static void build_memory(uint8_t *m)
{
	uint64_t *pml4 = (uint64_t *)(m + P_PML4), *pdpt = (uint64_t *)(m + P_PDPT);
	uint64_t *pd = (uint64_t *)(m + P_PD), *gdt = (uint64_t *)(m + P_GDT);

	pml4[0] = P_PDPT | PTE_P | PTE_RW;
	pdpt[0] = P_PD | PTE_P | PTE_RW;
	pd[0] = PTE_P | PTE_RW | PTE_PS; /* 0..2 MiB, identity */
	gdt[1] = 0x00af9b000000ffffULL;	 /* 0x08: 64-bit code, DPL 0 */
	gdt[2] = 0x00cf93000000ffffULL;	 /* 0x10: data */
}

static int set_long_mode(struct probe_vm *p)
{
	struct kvm_sregs s;

	if (ioctl(p->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	vcpu_flat_seg(&s.cs, 0x08, true, true, 0);
	vcpu_flat_seg(&s.ds, 0x10, false, false, 0);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.tr = (struct kvm_segment){ .selector = 0x18, .limit = 0x67, .type = 0xb, .present = 1 };
	s.gdt.base = P_GDT;
	s.gdt.limit = 0x1f;
	s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	s.cr3 = P_PML4;
	s.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	if (p->xsave)
		s.cr4 |= X86_CR4_OSXSAVE;
	if (p->fsgsbase)
		s.cr4 |= X86_CR4_FSGSBASE;
	s.efer = EFER_LME | EFER_LMA | EFER_NXE;
	if (ioctl(p->vcpu_fd, KVM_SET_SREGS, &s) < 0)
		return -1;
	if (p->xsave) {
		struct kvm_xcrs x = { .nr_xcrs = 1,
				      .xcrs = { { .xcr = 0, .value = XCR0_X87_SSE } } };

		if (ioctl(p->vcpu_fd, KVM_SET_XCRS, &x) < 0)
			return -1;
	}
	return 0;
}

static int probe_vm_create(int kvm_fd, struct kvm_cpuid2 *cpuid, struct probe_vm *p)
{
	struct kvm_userspace_memory_region r = { .slot = 0, .memory_size = P_MEM };
	int sz;

	p->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (p->vm_fd < 0)
		return -1;
	p->mem = mmap(NULL, P_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED)
		return -1;
	build_memory(p->mem);
	r.userspace_addr = (uintptr_t)p->mem;
	if (ioctl(p->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ||
	    ioctl(p->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0)
		return -1;
	p->vcpu_fd = ioctl(p->vm_fd, KVM_CREATE_VCPU, 0);
	sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (p->vcpu_fd < 0 || sz <= 0)
		return -1;
	p->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, p->vcpu_fd, 0);
	if (p->run == MAP_FAILED || ioctl(p->vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
		return -1;
	p->xsave = has_bit(cpuid, &cpuid_xsave);
	p->fsgsbase = has_bit(cpuid, &cpuid_fsgsbase);
	return set_long_mode(p);
}

/* Run code at CPL 0: 1 ran, 0 refused by KVM's emulator, -1 something else. */
static int run_code(struct probe_vm *p, const uint8_t *insn, size_t len, struct kvm_regs *regs)
{
	uint8_t *code = p->mem + P_CODE;

	memcpy(code, insn, len);
	code[len] = 0xe6; /* out %al, $0x80 */
	code[len + 1] = 0x80;
	memset(p->mem + P_SCRATCH, 0, 4096);
	regs->rip = P_CODE;
	regs->rsp = P_STACK;
	regs->rdi = P_SCRATCH;
	regs->rflags = X86_EFLAGS_FIXED;
	if (set_long_mode(p) < 0 || ioctl(p->vcpu_fd, KVM_SET_REGS, regs) < 0)
		return -1;
	if (ioctl(p->vcpu_fd, KVM_RUN, 0) < 0)
		return -1;
	if (p->run->exit_reason == KVM_EXIT_IO && p->run->io.port == 0x80)
		return ioctl(p->vcpu_fd, KVM_GET_REGS, regs) < 0 ? -1 : 1;
	if (p->run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
	    p->run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION)
		return 0;
	return -1;
}

static int run_probe(struct probe_vm *p, const struct probe *pr)
{
	struct kvm_regs regs = { 0 };

	return run_code(p, pr->code, pr->len, &regs);
}

/* What the guest's CPUID instruction returns at CPL 0, for each probed leaf. */
static int read_seen_cpuid(struct probe_vm *p)
{
	static const uint8_t cpuid_insn[] = { 0x0f, 0xa2 };

	for (size_t i = 0; i < sizeof(seen_leaves) / sizeof(seen_leaves[0]); i++) {
		struct kvm_regs regs = { .rax = seen_leaves[i].leaf, .rcx = seen_leaves[i].index };

		if (run_code(p, cpuid_insn, sizeof(cpuid_insn), &regs) != 1)
			return -1;
		p->seen[i] = (struct kvm_cpuid_entry2){ .function = seen_leaves[i].leaf,
							.index = seen_leaves[i].index,
							.flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
							.eax = regs.rax,
							.ebx = regs.rbx,
							.ecx = regs.rcx,
							.edx = regs.rdx };
	}
	return 0;
}

static bool seen_bit(struct probe_vm *p, const struct cpuid_bit *b)
{
	for (size_t i = 0; i < sizeof(seen_leaves) / sizeof(seen_leaves[0]); i++)
		if (p->seen[i].function == b->leaf && p->seen[i].index == b->index)
			return *cpuid_reg(&p->seen[i], b->reg) & (1u << b->bit);
	return false;
}

static void hide(struct kvm_cpuid2 *cpuid, const struct probe *pr)
{
	for (int i = 0; i < MAX_BITS && pr->hide[i].leaf; i++) {
		struct kvm_cpuid_entry2 *e = find_leaf(cpuid, pr->hide[i].leaf, pr->hide[i].index);

		if (e)
			*cpuid_reg(e, pr->hide[i].reg) &= ~(1u << pr->hide[i].bit);
	}
	if (pr->zero_leaf_0xd) {
		for (unsigned int i = 0; i < cpuid->nent; i++)
			if (cpuid->entries[i].function == 0xd)
				cpuid->entries[i].eax = cpuid->entries[i].ebx =
					cpuid->entries[i].ecx = cpuid->entries[i].edx = 0;
	}
}

/*
 * SYSCALL from CPL 3: some hosts (kvm_pvm) load RIP from LSTAR, RCX, R11 and
 * RFLAGS as they should, but leave CS/SS at CPL 3, so the first fetch of
 * the kernel's entry faults (#PF, user fetch of a supervisor page) and a
 * Linux guest's user space dies at its first system call. cpu/syscall.c
 * completes such a SYSCALL; this says whether it is needed, and whether
 * int3 at CPL 0 reaches vmm (its hook relies on that).
 */
#define S_PT	  0x4000
#define S_KCODE	  0x5000
#define S_IDT	  0x6000
#define S_UCODE	  0x7000
#define S_TSS	  0x8000
#define S_KSTACK  0xb000
#define S_USTACK  0xd000
#define S_STUBS	  0xe000
#define S_GDT	  0xf000
#define MSR_STAR  0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define EFER_SCE  (1ULL << 0)

static void syscall_memory(uint8_t *m)
{
	uint64_t *pdpt = (uint64_t *)(m + P_PDPT), *pml4 = (uint64_t *)(m + P_PML4);
	uint64_t *pd = (uint64_t *)(m + P_PD), *pt = (uint64_t *)(m + S_PT);
	uint64_t *gdt = (uint64_t *)(m + S_GDT), *idt = (uint64_t *)(m + S_IDT);

	memset(m, 0, P_MEM);
	pml4[0] = P_PDPT | 7;
	pdpt[0] = P_PD | 7;
	pd[0] = S_PT | 7;
	for (int i = 0; i < 16; i++)
		pt[i] = (uint64_t)i << 12 | PTE_P | PTE_RW;	/* supervisor */
	pt[S_UCODE >> 12] |= 4;					/* user code */
	pt[(S_USTACK >> 12) - 1] |= 4;				/* user stack */
	gdt[2] = 0x00af9b000000ffffULL;				/* 0x10 kernel code */
	gdt[3] = 0x00cf93000000ffffULL;				/* 0x18 kernel data */
	gdt[5] = 0x00cff3000000ffffULL;				/* 0x2b user data */
	gdt[6] = 0x00affb000000ffffULL;				/* 0x33 user code */
	gdt[8] = 0x0000890000000067ULL | (uint64_t)S_TSS << 16; /* 0x40 TSS */
	memcpy(m + S_TSS + 4, &(uint64_t){ S_KSTACK }, 8);	/* RSP0 */
	/* Each vector: "mov $v, %al; out %al, $0x81". */
	for (int v = 0; v < 32; v++) {
		uint64_t h = S_STUBS + v * 8;

		memcpy(m + h, (uint8_t[]){ 0xb0, (uint8_t)v, 0xe6, 0x81 }, 4);
		idt[v * 2] = (h & 0xffff) | 0x10ULL << 16 | 0x8eULL << 40 | (h >> 16) << 48;
	}
	memcpy(m + S_KCODE, (uint8_t[]){ 0xe6, 0x90 }, 2); /* out %al, $0x90 */
	memcpy(m + S_UCODE, (uint8_t[]){ 0x0f, 0x05 }, 2); /* syscall */
}

static int set_msr(int fd, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} b = { { .nmsrs = 1 }, { .index = index, .data = value } };

	return ioctl(fd, KVM_SET_MSRS, &b) == 1 ? 0 : -1;
}

static int syscall_state(struct probe_vm *p)
{
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = S_UCODE, .rsp = S_USTACK, .rflags = X86_EFLAGS_FIXED };

	if (ioctl(p->vcpu_fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	vcpu_flat_seg(&s.cs, 0x33, true, true, 3);
	vcpu_flat_seg(&s.ss, 0x2b, false, false, 3);
	s.ds = s.es = s.fs = s.gs = s.ss;
	s.tr = (struct kvm_segment){
		.base = S_TSS, .selector = 0x40, .limit = 0x67, .type = 0xb, .present = 1
	};
	s.gdt.base = S_GDT;
	s.gdt.limit = 0x4f;
	s.idt.base = S_IDT;
	s.idt.limit = 32 * 16 - 1;
	s.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	s.cr3 = P_PML4;
	s.cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s.efer = EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE;
	if (ioctl(p->vcpu_fd, KVM_SET_SREGS, &s) < 0 ||
	    set_msr(p->vcpu_fd, MSR_STAR, 0x23ULL << 48 | 0x10ULL << 32) ||
	    set_msr(p->vcpu_fd, MSR_LSTAR, S_KCODE) || set_msr(p->vcpu_fd, MSR_FMASK, 0x200))
		return -1;
	return ioctl(p->vcpu_fd, KVM_SET_REGS, &r);
}

/* Last: it replaces the long-mode memory the other probes run in. */
static void probe_syscall(struct probe_vm *p, struct cpu_probe *out)
{
	syscall_memory(p->mem);
	if (syscall_state(p) < 0 || ioctl(p->vcpu_fd, KVM_RUN, 0) < 0 ||
	    p->run->exit_reason != KVM_EXIT_IO)
		return;
	if (p->run->io.port == 0x81 && *((uint8_t *)p->run + p->run->io.data_offset) == 14) {
		/* #PF; the frame (error code, RIP, CS, ...) says where and from which ring. */
		uint64_t *frame = (uint64_t *)(p->mem + S_KSTACK - 6 * 8);

		out->syscall_stays_cpl3 = frame[1] == S_KCODE && (frame[2] & 3) == 3;
	}
	/* Otherwise (port 0x90 at CPL 0) SYSCALL works. */
}

/* Does int3 at CPL 0 come to vmm as an emulation failure? */
static void probe_int3(struct probe_vm *p, struct cpu_probe *out)
{
	static const uint8_t int3[] = { 0xcc };
	struct kvm_regs regs = { 0 };

	out->int3_exits = run_code(p, int3, 1, &regs) == 0;
}

/* Does the guest see vmm's table? Compare leaf 1's feature flags (not the dynamic OSXSAVE). */
static bool cpuid_reaches_guest(struct probe_vm *p, struct kvm_cpuid2 *cpuid)
{
	struct kvm_cpuid_entry2 *e = find_leaf(cpuid, 1, 0);
	uint32_t dynamic = 1u << 27;

	return e && !((e->ecx ^ p->seen[0].ecx) & ~dynamic) && e->edx == p->seen[0].edx;
}

static void add_name(struct cpu_probe *out, const char *name)
{
	size_t n = strlen(out->hidden);

	snprintf(out->hidden + n, sizeof(out->hidden) - n, "%s%s", n ? " " : "", name);
}

/* "clearcpuid=a,b noxsave": Linux's own switches for the same features. */
static void linux_args(struct cpu_probe *out)
{
	char list[sizeof(out->hidden)], *save = NULL, *tok;
	size_t n = 0, c = 0;

	snprintf(list, sizeof(list), "%s", out->hidden);
	out->linux_args[0] = 0;
	for (tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (!strcmp(tok, "xsave"))
			continue;
		n += snprintf(out->linux_args + n, sizeof(out->linux_args) - n, "%s%s",
			      c++ ? "," : "clearcpuid=", tok);
	}
	if (strstr(out->hidden, "xsave"))
		snprintf(out->linux_args + n, sizeof(out->linux_args) - n, "%snoxsave",
			 n ? " " : "");
}

int cpu_probe_hide(int kvm_fd, struct kvm_cpuid2 *cpuid, struct cpu_probe *out)
{
	struct probe_vm p = { .vm_fd = -1, .vcpu_fd = -1, .mem = MAP_FAILED };

	memset(out, 0, sizeof(*out));
	/*
	 * The probe VM's fds stay open: closing a VM can wait for SRCU grace
	 * periods (milliseconds to minutes on a nested host); they go with
	 * vmm's own VM at exit (vm_teardown_async()).
	 */
	if (probe_vm_create(kvm_fd, cpuid, &p) < 0 || read_seen_cpuid(&p) < 0)
		return -errno;
	out->cpuid_ignored = !cpuid_reaches_guest(&p, cpuid);
	for (size_t i = 0; i < NPROBES; i++) {
		const struct probe *pr = &probes[i];
		bool offered = has_bit(cpuid, &pr->hide[0]);

		/* The first bit is the feature itself; the rest depend on it. */
		if (!seen_bit(&p, &pr->hide[0]) && !offered)
			continue;
		if (offered) {
			int ran = run_probe(&p, pr);

			if (ran == 0)
				out->ring0_emulated = true;
			if (ran != 0)
				continue; /* KVM offers it and it ran (or the probe is moot) */
		}
		hide(cpuid, pr);
		add_name(out, pr->name);
		out->count++;
	}
	if (out->cpuid_ignored)
		linux_args(out);
	probe_int3(&p, out);
	probe_syscall(&p, out);
	return out->count;
}
