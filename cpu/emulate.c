// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM side of emul/: on an emulation failure, copy the vCPU's state
 * into a struct emul_cpu, let emul/ execute the instruction, and write back
 * what it changed or inject the exception it raised.
 *
 * The bytes come from KVM when it hands them over
 * (KVM_CAP_EXIT_ON_EMULATION_FAILURE); when it gives fewer than an
 * instruction may need, or none, they are fetched through a walk of the
 * guest's page tables (emul_fetch).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>

#include "cpu/emulate.h"
#include "cpu/syscall.h"
#include "cpu/vcpu.h"
#include "cpu/vm.h"
#include "emul/emul.h"

#define EFER_LMA (1ULL << 10)

/* Per-instruction counts for --stats: index map * 256 + opcode. */
static atomic_uint_fast64_t counts[4 * 256];
static uint8_t sample[4 * 256][EMUL_MAX_INSN]; /* bytes of one, to name it */

static void *mem_at(void *ctx, uint64_t gpa, size_t len)
{
	return mem_ptr(ctx, gpa, len);
}

/* Paging and mode from the segment registers (the vCPU at CPL 0 unless load_cpu says). */
static void cpu_from_sregs(struct emul_cpu *c, const struct kvm_sregs *s)
{
	memset(c, 0, sizeof(*c));
	c->cr0 = s->cr0;
	c->cr2 = s->cr2;
	c->cr3 = s->cr3;
	c->cr4 = s->cr4;
	c->efer = s->efer;
	c->cs_l = s->cs.l && (s->efer & EFER_LMA);
	c->cs_db = s->cs.db;
}

static void load_cpu(struct emul_cpu *c, const struct kvm_regs *r, const struct kvm_sregs *s,
		     const struct kvm_fpu *f)
{
	const struct kvm_segment *seg[EMUL_NSEG] = {
		&s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs
	};

	cpu_from_sregs(c, s);
	c->gpr[EMUL_RAX] = r->rax;
	c->gpr[EMUL_RCX] = r->rcx;
	c->gpr[EMUL_RDX] = r->rdx;
	c->gpr[EMUL_RBX] = r->rbx;
	c->gpr[EMUL_RSP] = r->rsp;
	c->gpr[EMUL_RBP] = r->rbp;
	c->gpr[EMUL_RSI] = r->rsi;
	c->gpr[EMUL_RDI] = r->rdi;
	c->gpr[EMUL_R8] = r->r8;
	c->gpr[EMUL_R9] = r->r9;
	c->gpr[EMUL_R10] = r->r10;
	c->gpr[EMUL_R11] = r->r11;
	c->gpr[EMUL_R12] = r->r12;
	c->gpr[EMUL_R13] = r->r13;
	c->gpr[EMUL_R14] = r->r14;
	c->gpr[EMUL_R15] = r->r15;
	c->rip = r->rip;
	c->rflags = r->rflags;
	for (int i = 0; i < EMUL_NSEG; i++) {
		c->seg_base[i] = seg[i]->base;
		c->seg[i] = (struct emul_segment){
			.base = seg[i]->base,
			.limit = seg[i]->limit,
			.sel = seg[i]->selector,
			.type = seg[i]->type,
			.s = seg[i]->s,
			.dpl = seg[i]->dpl,
			.present = seg[i]->present,
			.db = seg[i]->db,
			.l = seg[i]->l,
			.g = seg[i]->g,
			.avl = seg[i]->avl,
			.unusable = seg[i]->unusable,
		};
	}
	c->gdt_base = s->gdt.base;
	c->gdt_limit = s->gdt.limit;
	c->cpl = s->cs.dpl;
	c->mxcsr = f->mxcsr;
	c->fcw = f->fcw;
	c->fsw = f->fsw;
	memcpy(c->xmm, f->xmm, sizeof(c->xmm));
}

/* Guest-virtual to guest-physical with the vCPU's paging, as a CPL 0 read. */
int vcpu_virt_to_phys(struct vcpu *v, const struct kvm_sregs *s, uint64_t va, uint64_t *gpa)
{
	struct emul_mem m = { .ptr = mem_at, .ctx = &v->vm->mem };
	struct emul_exception exc;
	struct emul_cpu c;

	cpu_from_sregs(&c, s);
	return emul_walk(&c, &m, va, 0, gpa, &exc);
}

int vcpu_read_virt(struct vcpu *v, const struct kvm_sregs *s, uint64_t va, void *buf, size_t len)
{
	uint8_t *out = buf;

	while (len) {
		size_t chunk = 4096 - (va & 4095);
		uint64_t gpa;
		void *p;

		if (chunk > len)
			chunk = len;
		if (vcpu_virt_to_phys(v, s, va, &gpa) < 0 ||
		    !(p = mem_ptr(&v->vm->mem, gpa, chunk)))
			return -1;
		memcpy(out, p, chunk);
		out += chunk;
		va += chunk;
		len -= chunk;
	}
	return 0;
}

static void store_regs(const struct emul_cpu *c, struct kvm_regs *r)
{
	r->rax = c->gpr[EMUL_RAX];
	r->rcx = c->gpr[EMUL_RCX];
	r->rdx = c->gpr[EMUL_RDX];
	r->rbx = c->gpr[EMUL_RBX];
	r->rsp = c->gpr[EMUL_RSP];
	r->rbp = c->gpr[EMUL_RBP];
	r->rsi = c->gpr[EMUL_RSI];
	r->rdi = c->gpr[EMUL_RDI];
	r->r8 = c->gpr[EMUL_R8];
	r->r9 = c->gpr[EMUL_R9];
	r->r10 = c->gpr[EMUL_R10];
	r->r11 = c->gpr[EMUL_R11];
	r->r12 = c->gpr[EMUL_R12];
	r->r13 = c->gpr[EMUL_R13];
	r->r14 = c->gpr[EMUL_R14];
	r->r15 = c->gpr[EMUL_R15];
	r->rip = c->rip;
	r->rflags = c->rflags;
}

static void store_segs(const struct emul_cpu *c, struct kvm_sregs *s)
{
	struct kvm_segment *seg[EMUL_NSEG] = { &s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs };

	for (int i = 0; i < EMUL_NSEG; i++) {
		const struct emul_segment *e = &c->seg[i];

		*seg[i] = (struct kvm_segment){
			.base = c->seg_base[i],
			.limit = e->limit,
			.selector = e->sel,
			.type = e->type,
			.present = e->present,
			.dpl = e->dpl,
			.db = e->db,
			.s = e->s,
			.l = e->l,
			.g = e->g,
			.avl = e->avl,
			.unusable = e->unusable,
		};
	}
}

/* The instruction's bytes: KVM's, completed from guest memory if short. */
static size_t insn_bytes(struct vcpu *v, const struct emul_cpu *c, const struct emul_mem *m,
			 uint8_t *buf, struct emul_exception *exc)
{
	struct kvm_run *run = v->run;
	size_t have = 0, fetched;
	uint8_t walk[EMUL_MAX_INSN];

	if (run->emulation_failure.ndata >= 3 &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		have = run->emulation_failure.insn_size;
		if (have > EMUL_MAX_INSN)
			have = EMUL_MAX_INSN;
		memcpy(buf, run->emulation_failure.insn_bytes, have);
		if (have == EMUL_MAX_INSN)
			return have;
	}
	fetched = emul_fetch(c, m, walk, EMUL_MAX_INSN, exc);
	/* Trust the walk only where it agrees with what KVM saw. */
	if (fetched > have && !memcmp(walk, buf, have)) {
		memcpy(buf, walk, fetched);
		return fetched;
	}
	return have;
}

static int inject(struct vcpu *v, const struct emul_exception *exc, struct kvm_sregs *s)
{
	struct kvm_vcpu_events ev;

	if (exc->vector == 14) { /* #PF: CR2 first (no KVM_CAP_EXCEPTION_PAYLOAD) */
		s->cr2 = exc->cr2;
		if (ioctl(v->fd, KVM_SET_SREGS, s) < 0)
			return -errno;
	}
	if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
		return -errno;
	ev.exception.injected = 1;
	ev.exception.nr = exc->vector;
	ev.exception.has_error_code = exc->has_error_code;
	ev.exception.error_code = exc->error_code;
	ev.flags = 0; /* leave NMI, SIPI and SMM state as they are */
	return ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0 ? -errno : 0;
}

static void count(const uint8_t *bytes, size_t len, const struct emul_cpu *c)
{
	struct emul_insn insn;
	unsigned int slot;

	if (emul_decode(c, bytes, len, &insn) < 0)
		return;
	slot = (insn.map & 3) * 256 + insn.opcode;
	if (atomic_fetch_add_explicit(&counts[slot], 1, memory_order_relaxed) == 0)
		memcpy(sample[slot], bytes, len < EMUL_MAX_INSN ? len : EMUL_MAX_INSN);
}

enum emulate_result vcpu_emulate(struct vcpu *v)
{
	struct emul_mem m = { .ptr = mem_at, .ctx = &v->vm->mem };
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu f;
	struct emul_cpu c;
	struct emul_exception exc = { 0 };
	uint8_t bytes[EMUL_MAX_INSN] = { 0 };
	unsigned int dirty = 0;
	size_t len;
	enum emul_result res;

	if (v->run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION)
		return EMULATE_UNHANDLED;
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0 ||
	    ioctl(v->fd, KVM_GET_FPU, &f) < 0)
		return EMULATE_ERROR;
	load_cpu(&c, &r, &s, &f);
	len = insn_bytes(v, &c, &m, bytes, &exc);
	switch (syscall_fix_hit(v, bytes, len)) {
	case 1: return EMULATE_DONE;
	case -1: return EMULATE_ERROR;
	}
	syscall_fix_check(v);
	/* No bytes (say, code in MMIO): nothing to complete; a guest crash, as before. */
	if (!len)
		return EMULATE_UNHANDLED;
	res = emul_execute(&c, &m, bytes, len, &exc, &dirty);
	if (res == EMUL_UNHANDLED)
		return EMULATE_UNHANDLED;
	count(bytes, len, &c);
	store_regs(&c, &r);
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return EMULATE_ERROR;
	if (res == EMUL_EXCEPTION)
		return inject(v, &exc, &s) < 0 ? EMULATE_ERROR : EMULATE_DONE;
	if (dirty & EMUL_DIRTY_FPU) {
		f.mxcsr = c.mxcsr;
		f.fcw = c.fcw;
		f.fsw = c.fsw;
		memcpy(f.xmm, c.xmm, sizeof(f.xmm));
		if (ioctl(v->fd, KVM_SET_FPU, &f) < 0)
			return EMULATE_ERROR;
	}
	if (dirty & EMUL_DIRTY_SEGS)
		store_segs(&c, &s);
	if (dirty & (EMUL_DIRTY_SREGS | EMUL_DIRTY_SEGS)) {
		s.fs.base = c.seg_base[EMUL_FS];
		s.gs.base = c.seg_base[EMUL_GS];
		if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
			return EMULATE_ERROR;
	}
	return EMULATE_DONE;
}

void emulate_print_stats(FILE *f)
{
	bool any = false;

	for (unsigned int i = 0; i < 4 * 256; i++) {
		uint64_t n = atomic_load(&counts[i]);
		struct emul_insn insn;
		struct emul_cpu c = { .cs_l = true, .efer = EFER_LMA };
		char name[64] = "?";

		if (!n)
			continue;
		if (!any)
			fprintf(f, "%-32s %12s\n", "emulated in user space", "count");
		any = true;
		if (emul_decode(&c, sample[i], EMUL_MAX_INSN, &insn) == 0)
			emul_name(&insn, name, sizeof(name));
		fprintf(f, "%-32s %12llu\n", name, (unsigned long long)n);
	}
}
