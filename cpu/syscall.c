// SPDX-License-Identifier: GPL-2.0
/*
 * Completing SYSCALL where the host's KVM leaves it at CPL 3.
 *
 * On kvm_pvm (KVM that emulates guest ring 0), SYSCALL from user mode loads
 * RIP from LSTAR, RCX, R11 and the masked RFLAGS, but leaves CS and SS at
 * CPL 3 (cpu/probe.c checks this before the guest starts). The fetch of the
 * kernel's entry code then faults: the guest gets a #PF with a user-fetch
 * error code at RIP == LSTAR, and a Linux guest kills every process at its
 * first system call. KVM offers no exception intercept for #PF, so vmm
 * puts an int3 on the first instruction of the guest's #PF handler (found
 * through the guest's IDT). On such hosts int3 at CPL 0 comes to vmm as an
 * emulation failure (also probed). There:
 *  - a #PF whose frame says "user fetch at LSTAR from CPL 3" is the broken
 *    SYSCALL: vmm drops the frame and enters LSTAR at CPL 0 with the user's
 *    RSP and the masked RFLAGS, CS and SS from STAR, as SYSCALL would have;
 *  - any other #PF goes on into the handler: vmm skips the instruction the
 *    int3 replaced (only no-op forms are ever replaced: NOPs, ENDBR64).
 * The hook is re-checked when the guest may have moved its IDT or rewritten
 * the byte (alternatives patching, a reboot loading the kernel again).
 * Nothing of this runs on hosts where SYSCALL works.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <linux/kvm.h>

#include "cpu/emulate.h"
#include "cpu/syscall.h"
#include "cpu/vcpu.h"
#include "cpu/vm.h"
#include "emul/emul.h"

#define MSR_STAR   0xc0000081
#define MSR_LSTAR  0xc0000082
#define PF_VECTOR  14
#define PFEC_USER  (1u << 2)
#define EFLAGS_RF  (1ULL << 16)
#define INT3	   0xcc
#define RECHECK_NS (100 * 1000 * 1000ULL)

static struct {
	pthread_mutex_t lock;
	bool armed;
	uint64_t va, gpa;	      /* the guest's #PF entry and where its first byte is */
	uint8_t saved[EMUL_MAX_INSN]; /* the instruction the int3 replaced */
	uint8_t skip;		      /* its length */
} hook = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* When the hook was last checked: read lock-free on every I/O exit. */
static atomic_uint_fast64_t last_check_ns;

static atomic_uint_fast64_t completed;

uint64_t syscall_fix_count(void)
{
	return atomic_load(&completed);
}

bool syscall_fix_armed(void)
{
	bool armed;

	pthread_mutex_lock(&hook.lock);
	armed = hook.armed;
	pthread_mutex_unlock(&hook.lock);
	return armed;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Length of a no-op instruction the int3 may stand in for, else 0. */
static uint8_t noop_len(const uint8_t *b, size_t len)
{
	if (len >= 1 && b[0] == 0x90)
		return 1;
	if (len >= 2 && b[0] == 0x66 && b[1] == 0x90)
		return 2;
	if (len >= 4 && b[0] == 0xf3 && b[1] == 0x0f && b[2] == 0x1e && b[3] == 0xfa)
		return 4;				/* endbr64 */
	if (len >= 3 && b[0] == 0x0f && b[1] == 0x1f) { /* nopl with ModRM */
		struct emul_insn insn;
		struct emul_cpu c = { .cs_l = true, .efer = 1ULL << 10 };

		if (emul_decode(&c, b, len, &insn) == 0 && insn.reg == 0)
			return insn.len;
	}
	return 0;
}

static bool read_gate(struct vcpu *v, const struct kvm_sregs *s, uint64_t *handler)
{
	uint8_t g[16];

	if (s->idt.limit < PF_VECTOR * 16 + 15 ||
	    vcpu_read_virt(v, s, s->idt.base + PF_VECTOR * 16, g, sizeof(g)) < 0)
		return false;
	*handler = (uint64_t)(g[0] | g[1] << 8) | (uint64_t)(g[6] | g[7] << 8) << 16 |
		   (uint64_t)(g[8] | g[9] << 8 | g[10] << 16 | (uint32_t)g[11] << 24) << 32;
	return (g[5] & 0x80) != 0; /* present */
}

/* Put (or keep) the int3 on the #PF handler's first instruction. Under hook.lock. */
static void arm(struct vcpu *v, const struct kvm_sregs *s)
{
	uint64_t handler, gpa;
	uint8_t *p, bytes[EMUL_MAX_INSN];
	uint8_t skip;

	if (!(s->cr0 & (1ULL << 31)) || !read_gate(v, s, &handler) ||
	    vcpu_virt_to_phys(v, s, handler, &gpa) < 0 ||
	    !(p = mem_ptr(&v->vm->mem, gpa, EMUL_MAX_INSN)))
		return;

	if (hook.armed && hook.va == handler && hook.gpa == gpa && p[0] == INT3)
		return;
	if (hook.armed) { /* moved or overwritten: undo what is still ours */
		uint8_t *old = mem_ptr(&v->vm->mem, hook.gpa, 1);

		if (old && old[0] == INT3 && hook.gpa != gpa)
			old[0] = hook.saved[0];
		hook.armed = false;
	}
	memcpy(bytes, p, sizeof(bytes));
	skip = noop_len(bytes, sizeof(bytes));
	if (!skip)
		return; /* not (yet) an entry we can hook: early boot's IDT, say */
	memcpy(hook.saved, bytes, sizeof(bytes));
	hook.skip = skip;
	hook.va = handler;
	hook.gpa = gpa;
	__atomic_store_n(&p[0], INT3, __ATOMIC_SEQ_CST);
	hook.armed = true;
}

void syscall_fix_check(struct vcpu *v)
{
	struct kvm_sregs s;
	uint64_t t, last;

	if (!v->vm->cpu_probe.syscall_stays_cpl3 || !v->vm->cpu_probe.int3_exits)
		return;
	/* On the exit path: a clock read and, when due, one vCPU wins the re-check. */
	t = now_ns();
	last = atomic_load_explicit(&last_check_ns, memory_order_relaxed);
	if (t - last <= RECHECK_NS || !atomic_compare_exchange_strong(&last_check_ns, &last, t))
		return;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	pthread_mutex_lock(&hook.lock);
	arm(v, &s);
	pthread_mutex_unlock(&hook.lock);
}

static int get_msrs(struct vcpu *v, uint64_t *star, uint64_t *lstar)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[2];
	} b = { { .nmsrs = 2 }, { { .index = MSR_STAR }, { .index = MSR_LSTAR } } };

	if (ioctl(v->fd, KVM_GET_MSRS, &b) != 2)
		return -1;
	*star = b.e[0].data;
	*lstar = b.e[1].data;
	return 0;
}

/* SYSCALL as it should have been: CPL 0 at LSTAR, the user's RSP, masked RFLAGS. */
static int complete_syscall(struct vcpu *v, struct kvm_regs *r, struct kvm_sregs *s,
			    const uint64_t *frame, uint64_t star, uint64_t lstar)
{
	uint16_t kcs = (star >> 32) & 0xfffc;

	r->rip = lstar;
	r->rsp = frame[4];
	r->rflags = frame[3] & ~EFLAGS_RF;
	vcpu_flat_seg(&s->cs, kcs, true, true, 0);
	vcpu_flat_seg(&s->ss, kcs + 8, false, false, 0);
	if (ioctl(v->fd, KVM_SET_SREGS, s) < 0 || ioctl(v->fd, KVM_SET_REGS, r) < 0)
		return -1;
	atomic_fetch_add_explicit(&completed, 1, memory_order_relaxed);
	return 0;
}

int syscall_fix_hit(struct vcpu *v, const uint8_t *bytes, size_t len)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t frame[6], star, lstar;
	bool ours;
	uint8_t skip;

	if (!v->vm->cpu_probe.syscall_stays_cpl3 || !len || bytes[0] != INT3)
		return 0;
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -1;
	pthread_mutex_lock(&hook.lock);
	ours = hook.armed && r.rip == hook.va;
	skip = hook.skip;
	pthread_mutex_unlock(&hook.lock);
	if (!ours)
		return 0;
	/* The #PF frame: error code, RIP, CS, RFLAGS, RSP, SS. */
	if (vcpu_read_virt(v, &s, r.rsp, frame, sizeof(frame)) < 0 || get_msrs(v, &star, &lstar))
		return -1;
	/* A user-mode fault on fetching LSTAR itself (I/D is set only with NX or SMEP). */
	if ((frame[2] & 3) == 3 && frame[1] == lstar && s.cr2 == lstar && (frame[0] & PFEC_USER))
		return complete_syscall(v, &r, &s, frame, star, lstar) < 0 ? -1 : 1;
	r.rip += skip; /* a real page fault: on into the handler */
	return ioctl(v->fd, KVM_SET_REGS, &r) < 0 ? -1 : 1;
}
