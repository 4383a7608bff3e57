// SPDX-License-Identifier: GPL-2.0
/*
 * The gdb stub's KVM side (gdbstub.h). One gdb connection at a time, served
 * on the I/O thread; the protocol is cpu/gdb_proto.c.
 *
 * All-stop: a stop (breakpoint, step, watchpoint, gdb's 0x03, a new
 * connection) sets `halt` and kicks every vCPU out of KVM_RUN; each parks
 * in gdbstub_vcpu_before_run(). The last one to park tells the I/O thread
 * (an eventfd), which then sends the stop reply; only then does gdb get to
 * read registers, so no ioctl ever waits on a running vCPU. KVM wants
 * KVM_SET_GUEST_DEBUG from the vCPU's own thread: a parked vCPU applies
 * the current debug state when it leaves the park.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <asm/processor-flags.h>
#include <linux/kvm.h>

#include "config/status.h"
#include "cpu/emulate.h"
#include "cpu/gdb_proto.h"
#include "cpu/gdbstub.h"
#include "cpu/monitor.h"
#include "cpu/vcpu.h"
#include "cpu/vm.h"
#include "devices/device.h"
#include "mmio/bus.h"
#include "mmio/ioloop.h"

#define MSR_KERNEL_GS_BASE 0xc0000102
#define DR6_BS		   (1u << 14) /* single step */
#define DR7_GE		   (1u << 9)
#define DR7_LE		   (1u << 8)
#define BP_VECTOR	   3
#define DB_VECTOR	   1
#define MAX_SW_BP	   64
#define MAX_HW_BP	   4

struct sw_bp {
	uint64_t addr; /* linear, as gdb gave it */
	uint64_t gpa;  /* where the int3 went */
	uint8_t orig;
};

struct hw_bp {
	bool used;
	enum gdb_bp_type type;
	uint64_t addr, len;
};

struct gdb_vcpu {
	bool live; /* its thread runs the vCPU loop: it may be kicked */
	bool parked;
	bool hold; /* vCont left this thread stopped */
	bool step;
	unsigned long applied_gen; /* debug state generation last given to KVM */
	bool reapply;		   /* after a one-shot INJECT_BP/DB */
};

bool gdbstub_enabled;

static struct gdbstub {
	struct vm *vm;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct gdb_vcpu *cpu;
	unsigned int n, nparked;
	bool halt;	      /* vCPUs must park */
	bool stopped;	      /* every vCPU parked and the stop reported */
	struct gdb_stop stop; /* why `halt` was set */
	unsigned long gen;    /* bumped when breakpoints or steps change */
	uint32_t blockirq;    /* KVM_GUESTDBG_BLOCKIRQ when this KVM has it */

	struct sw_bp sw[MAX_SW_BP];
	unsigned int nsw;
	struct hw_bp hw[MAX_HW_BP];

	int listen_fd, conn_fd, event_fd;
	bool conn_live; /* conn_fd watched and the protocol started */
	struct gdb_proto proto;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.listen_fd = -1,
	.conn_fd = -1,
	.event_fd = -1 };

static void notify_io(void)
{
	uint64_t one = 1;

	if (write(S.event_fd, &one, sizeof(one)) < 0) {
		/* Only EAGAIN (counter full): the I/O thread has a wake-up pending anyway. */
	}
}

/* With S.lock held: stop the machine for @why, unless a stop is already under way. */
static void halt_locked(const struct gdb_stop *why, struct vcpu *self)
{
	if (S.halt)
		return;
	S.halt = true;
	S.stopped = false;
	S.stop = *why;
	for (unsigned int i = 0; i < S.n; i++)
		if (S.cpu[i].live && S.vm->vcpus[i] != self)
			vcpu_kick(S.vm->vcpus[i]);
	if (S.nparked == S.n)
		notify_io();
}

bool gdbstub_paused(void)
{
	/* A racy read is fine: the title catches up at the next refresh. */
	return gdbstub_enabled && __atomic_load_n(&S.halt, __ATOMIC_RELAXED);
}

/* ---- vCPU side ---- */

static void build_debug(struct kvm_guest_debug *d, const struct gdb_vcpu *g)
{
	static const uint8_t rw[] = {
		[GDB_BP_HW] = 0, [GDB_WP_WRITE] = 1, [GDB_WP_READ] = 3, [GDB_WP_ACCESS] = 3
	};
	bool hw = false;

	memset(d, 0, sizeof(*d));
	if (!S.conn_live && !S.nsw && !g->step)
		return; /* control 0: debugging off */
	d->control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP;
	d->arch.debugreg[7] = DR7_GE | DR7_LE;
	for (int i = 0; i < MAX_HW_BP; i++) {
		const struct hw_bp *b = &S.hw[i];
		unsigned int len = b->type == GDB_BP_HW ? 0
				   : b->len == 2	? 1
				   : b->len == 8	? 2
				   : b->len == 4	? 3
							: 0;

		if (!b->used)
			continue;
		hw = true;
		d->arch.debugreg[i] = b->addr;
		d->arch.debugreg[7] |= (2u << (i * 2)) | ((uint64_t)rw[b->type] << (16 + i * 4)) |
				       ((uint64_t)len << (18 + i * 4));
	}
	if (hw)
		d->control |= KVM_GUESTDBG_USE_HW_BP;
	if (g->step)
		d->control |= KVM_GUESTDBG_SINGLESTEP | S.blockirq;
}

void gdbstub_vcpu_before_run(struct vcpu *v)
{
	struct gdb_vcpu *g = &S.cpu[v->id];
	struct kvm_guest_debug dbg;
	bool apply;

	pthread_mutex_lock(&S.lock);
	g->live = true;
	while ((S.halt || g->hold) && !atomic_load(&v->vm->stopping)) {
		struct timespec ts;

		if (!g->parked) {
			g->parked = true;
			if (++S.nparked == S.n && S.halt)
				notify_io();
		}
		/* Timed: a machine exit sets vm->stopping without taking our lock. */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&S.cond, &S.lock, &ts);
	}
	if (g->parked) {
		g->parked = false;
		S.nparked--;
	}
	apply = g->applied_gen != S.gen || g->reapply;
	if (apply) {
		build_debug(&dbg, g);
		g->applied_gen = S.gen;
		g->reapply = false;
	}
	pthread_mutex_unlock(&S.lock);
	if (apply && ioctl(v->fd, KVM_SET_GUEST_DEBUG, &dbg) < 0)
		fprintf(stderr, "vmm: gdb: vCPU %u: KVM_SET_GUEST_DEBUG: %s\n", v->id,
			strerror(errno));
}

void gdbstub_vcpu_exit(struct vcpu *v)
{
	/* Before pthread_join can return: a kick after it would hit a dead thread. */
	pthread_mutex_lock(&S.lock);
	S.cpu[v->id].live = false;
	pthread_mutex_unlock(&S.lock);
}

static int find_sw_locked(uint64_t addr)
{
	for (unsigned int i = 0; i < S.nsw; i++)
		if (S.sw[i].addr == addr)
			return i;
	return -1;
}

/* A #BP or #DB that is not ours goes to the guest, once. */
static void reinject(struct vcpu *v, uint32_t what)
{
	struct kvm_guest_debug d;

	pthread_mutex_lock(&S.lock);
	build_debug(&d, &S.cpu[v->id]);
	S.cpu[v->id].reapply = true;
	pthread_mutex_unlock(&S.lock);
	d.control |= what | KVM_GUESTDBG_ENABLE;
	ioctl(v->fd, KVM_SET_GUEST_DEBUG, &d);
}

void gdbstub_debug_exit(struct vcpu *v)
{
	struct kvm_debug_exit_arch *a = &v->run->debug.arch;
	struct gdb_stop st = { .kind = GDB_STOP_SIGNAL, .thread = v->id + 1, .signal = 5 };
	uint32_t inject = 0;

	pthread_mutex_lock(&S.lock);
	if (a->exception == BP_VECTOR) {
		if (find_sw_locked(a->pc) >= 0)
			st.kind = GDB_STOP_SWBREAK;
		else
			inject = KVM_GUESTDBG_INJECT_BP;
	} else if (a->exception == DB_VECTOR) {
		int hit = -1;

		for (int i = 0; i < MAX_HW_BP; i++)
			if (S.hw[i].used && (a->dr6 & (1u << i)))
				hit = i;
		if (hit >= 0 && S.hw[hit].type == GDB_BP_HW) {
			st.kind = GDB_STOP_HWBREAK;
		} else if (hit >= 0) {
			st.kind = GDB_STOP_WATCH;
			st.watch = S.hw[hit].type;
			st.addr = S.hw[hit].addr;
		} else if (!(S.cpu[v->id].step && (a->dr6 & DR6_BS))) {
			inject = KVM_GUESTDBG_INJECT_DB;
		}
	}
	if (!inject)
		halt_locked(&st, v);
	pthread_mutex_unlock(&S.lock);
	if (inject)
		reinject(v, inject);
}

bool gdbstub_emulation_failure(struct vcpu *v)
{
	struct gdb_stop st = { .kind = GDB_STOP_SWBREAK, .thread = v->id + 1, .signal = 5 };
	struct kvm_regs r;
	struct kvm_sregs s;
	bool ours;

	/*
	 * Where KVM emulates guest ring 0 (nested, kvm_pvm), an int3 there is
	 * an emulation failure rather than a #BP exit; at an address where we
	 * planted one, it is our breakpoint all the same.
	 */
	pthread_mutex_lock(&S.lock);
	ours = S.nsw > 0;
	pthread_mutex_unlock(&S.lock);
	if (!ours)
		return false; /* no int3 of ours anywhere: not worth two ioctls */
	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return false;
	pthread_mutex_lock(&S.lock);
	ours = find_sw_locked(s.cs.base + r.rip) >= 0;
	if (ours)
		halt_locked(&st, v);
	pthread_mutex_unlock(&S.lock);
	return ours;
}

void gdbstub_wake(void)
{
	pthread_mutex_lock(&S.lock);
	pthread_cond_broadcast(&S.cond);
	pthread_mutex_unlock(&S.lock);
}

/* ---- the target, on the I/O thread, with every vCPU parked ---- */

static struct vcpu *vcpu_of(int thread)
{
	if (thread < 1 || (unsigned int)thread > S.n)
		thread = 1;
	return S.vm->vcpus[thread - 1];
}

static int t_nr_threads(void *t)
{
	return S.n;
}

static void put(uint8_t *regs, unsigned int r, uint64_t v)
{
	unsigned int sz = gdb_reg_size(r);

	/* The g packet is target byte order: little-endian, as this host. */
	memcpy(regs + gdb_reg_offset(r), &v, sz < 8 ? sz : 8);
}

static uint64_t get(const uint8_t *regs, unsigned int r)
{
	uint64_t v = 0;
	unsigned int sz = gdb_reg_size(r);

	memcpy(&v, regs + gdb_reg_offset(r), sz < 8 ? sz : 8);
	return v;
}

static uint64_t read_msr(struct vcpu *v, uint32_t index)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = index };

	return ioctl(v->fd, KVM_GET_MSRS, &m) == 1 ? m.e.data : 0;
}

/* gdb's order of the 16 GPRs (rax rbx rcx rdx rsi rdi rbp rsp r8..r15) in kvm_regs. */
static __u64 *gpr(struct kvm_regs *r, unsigned int i)
{
	__u64 *const map[16] = { &r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
				 &r->rbp, &r->rsp, &r->r8,  &r->r9,  &r->r10, &r->r11,
				 &r->r12, &r->r13, &r->r14, &r->r15 };
	return map[i];
}

static int t_read_regs(void *t, int thread, uint8_t *regs)
{
	struct vcpu *v = vcpu_of(thread);
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu f;
	uint32_t ftag = 0;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0 ||
	    ioctl(v->fd, KVM_GET_FPU, &f) < 0)
		return -errno;
	memset(regs, 0, GDB_REGS_BYTES);
	for (unsigned int i = 0; i < 16; i++)
		put(regs, GDB_RAX + i, *gpr(&r, i));
	put(regs, GDB_RIP, r.rip);
	put(regs, GDB_EFLAGS, r.rflags);
	put(regs, GDB_CS, s.cs.selector);
	put(regs, GDB_SS, s.ss.selector);
	put(regs, GDB_DS, s.ds.selector);
	put(regs, GDB_ES, s.es.selector);
	put(regs, GDB_FS, s.fs.selector);
	put(regs, GDB_GS, s.gs.selector);
	put(regs, GDB_FS_BASE, s.fs.base);
	put(regs, GDB_GS_BASE, s.gs.base);
	put(regs, GDB_K_GS_BASE, read_msr(v, MSR_KERNEL_GS_BASE));
	put(regs, GDB_CR0, s.cr0);
	put(regs, GDB_CR2, s.cr2);
	put(regs, GDB_CR3, s.cr3);
	put(regs, GDB_CR4, s.cr4);
	put(regs, GDB_CR8, s.cr8);
	put(regs, GDB_EFER, s.efer);
	for (int i = 0; i < 8; i++)
		memcpy(regs + gdb_reg_offset(GDB_ST0 + i), f.fpr[i], 10);
	/* KVM has the abridged (FXSAVE) tag: a set bit is a valid register (00), else empty (11).
	 */
	for (int i = 0; i < 8; i++)
		ftag |= (f.ftwx & (1u << i) ? 0u : 3u) << (2 * i);
	put(regs, GDB_FCTRL, f.fcw);
	put(regs, GDB_FSTAT, f.fsw);
	put(regs, GDB_FTAG, ftag);
	put(regs, GDB_FIOFF, f.last_ip);
	put(regs, GDB_FOOFF, f.last_dp);
	put(regs, GDB_FOP, f.last_opcode);
	for (int i = 0; i < 16; i++)
		memcpy(regs + gdb_reg_offset(GDB_XMM0 + i), f.xmm[i], 16);
	put(regs, GDB_MXCSR, f.mxcsr);
	return 0;
}

/*
 * GPRs, RIP, RFLAGS, FS/GS bases and the control registers are written;
 * segment selectors (which would need descriptor loads) and x87/SSE state
 * are kept as they are.
 */
static int t_write_regs(void *t, int thread, const uint8_t *regs)
{
	struct vcpu *v = vcpu_of(thread);
	struct kvm_regs r;
	struct kvm_sregs s, s0;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	s0 = s;
	for (unsigned int i = 0; i < 16; i++)
		*gpr(&r, i) = get(regs, GDB_RAX + i);
	r.rip = get(regs, GDB_RIP);
	r.rflags = get(regs, GDB_EFLAGS) | X86_EFLAGS_FIXED;
	s.fs.base = get(regs, GDB_FS_BASE);
	s.gs.base = get(regs, GDB_GS_BASE);
	s.cr0 = get(regs, GDB_CR0);
	s.cr2 = get(regs, GDB_CR2);
	s.cr3 = get(regs, GDB_CR3);
	s.cr4 = get(regs, GDB_CR4);
	s.cr8 = get(regs, GDB_CR8);
	s.efer = get(regs, GDB_EFER);
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0)
		return -errno;
	if (memcmp(&s, &s0, sizeof(s)) && ioctl(v->fd, KVM_SET_SREGS, &s) < 0)
		return -errno;
	return 0;
}

/* Guest RAM under a linear address: the vCPU's page walk (or none with paging off). */
static uint8_t *guest_ptr(struct vcpu *v, const struct kvm_sregs *s, uint64_t la, size_t len,
			  uint64_t *gpa_out)
{
	uint64_t gpa;

	if (vcpu_virt_to_phys(v, s, la, &gpa) < 0)
		return NULL;
	if (gpa_out)
		*gpa_out = gpa;
	return mem_ptr(&v->vm->mem, gpa, len);
}

static int access_mem(int thread, uint64_t addr, uint8_t *buf, size_t len, bool write)
{
	struct vcpu *v = vcpu_of(thread);
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	while (len) {
		size_t chunk = 4096 - (addr & 4095);
		uint8_t *p;

		if (chunk > len)
			chunk = len;
		p = guest_ptr(v, &s, addr, chunk, NULL);
		if (!p)
			return -EFAULT;
		if (write)
			memcpy(p, buf, chunk);
		else
			memcpy(buf, p, chunk);
		addr += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

static int t_read_mem(void *t, int thread, uint64_t addr, uint8_t *buf, size_t len)
{
	return access_mem(thread, addr, buf, len, false);
}

static int t_write_mem(void *t, int thread, uint64_t addr, const uint8_t *buf, size_t len)
{
	return access_mem(thread, addr, (uint8_t *)buf, len, true);
}

/* Software breakpoints go where the stopped vCPU's page tables map them now. */
static int sw_insert(uint64_t addr)
{
	struct vcpu *v = vcpu_of(S.stop.thread);
	struct kvm_sregs s;
	struct sw_bp *b;
	uint8_t *p;

	if (find_sw_locked(addr) >= 0)
		return 0;
	if (S.nsw == MAX_SW_BP)
		return -ENOSPC;
	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return -errno;
	b = &S.sw[S.nsw];
	p = guest_ptr(v, &s, addr, 1, &b->gpa);
	if (!p)
		return -EFAULT;
	b->addr = addr;
	b->orig = *p;
	*p = 0xcc;
	S.nsw++;
	return 0;
}

static void sw_restore(unsigned int i)
{
	uint8_t *p = mem_ptr(&S.vm->mem, S.sw[i].gpa, 1);

	/* Unless the guest wrote over it meanwhile. */
	if (p && *p == 0xcc)
		*p = S.sw[i].orig;
	S.sw[i] = S.sw[--S.nsw];
}

static int sw_remove(uint64_t addr)
{
	int i = find_sw_locked(addr);

	if (i < 0)
		return -ENOENT;
	sw_restore(i);
	return 0;
}

static int hw_insert(enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	if (type != GDB_BP_HW && len != 1 && len != 2 && len != 4 && len != 8)
		return -EINVAL;
	if (type != GDB_BP_HW && (addr & (len - 1)))
		return -EINVAL; /* the debug registers want aligned ranges */
	for (int i = 0; i < MAX_HW_BP; i++) {
		if (S.hw[i].used)
			continue;
		S.hw[i] = (struct hw_bp){ .used = true, .type = type, .addr = addr, .len = len };
		return 0;
	}
	return -ENOSPC;
}

static int hw_remove(enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	for (int i = 0; i < MAX_HW_BP; i++) {
		if (S.hw[i].used && S.hw[i].type == type && S.hw[i].addr == addr) {
			S.hw[i].used = false;
			return 0;
		}
	}
	return -ENOENT;
}

/* Breakpoints change under the lock; the new generation tells each vCPU to reapply them. */
static int change_bp(bool insert, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	int ret;

	pthread_mutex_lock(&S.lock);
	if (type == GDB_BP_SW)
		ret = insert ? sw_insert(addr) : sw_remove(addr);
	else
		ret = insert ? hw_insert(type, addr, len) : hw_remove(type, addr, len);
	S.gen++;
	pthread_mutex_unlock(&S.lock);
	return ret;
}

static int t_insert_bp(void *t, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	return change_bp(true, type, addr, len);
}

static int t_remove_bp(void *t, enum gdb_bp_type type, uint64_t addr, uint64_t len)
{
	return change_bp(false, type, addr, len);
}

static void resume_locked(const enum gdb_action *act)
{
	for (unsigned int i = 0; i < S.n; i++) {
		enum gdb_action a = act ? act[i + 1] : GDB_ACT_CONTINUE;

		S.cpu[i].step = a == GDB_ACT_STEP;
		S.cpu[i].hold = a == GDB_ACT_NONE;
	}
	S.gen++;
	S.halt = false;
	S.stopped = false;
	pthread_cond_broadcast(&S.cond);
}

static void t_resume(void *t, const enum gdb_action *act)
{
	pthread_mutex_lock(&S.lock);
	resume_locked(act);
	pthread_mutex_unlock(&S.lock);
}

static void t_interrupt(void *t)
{
	struct gdb_stop st = { .kind = GDB_STOP_SIGNAL, .thread = 1, .signal = 2 };

	pthread_mutex_lock(&S.lock);
	halt_locked(&st, NULL);
	pthread_mutex_unlock(&S.lock);
}

/* Every breakpoint out of guest memory and the debug registers, and run. */
static void detach_locked(bool resume)
{
	while (S.nsw)
		sw_restore(S.nsw - 1);
	memset(S.hw, 0, sizeof(S.hw));
	S.conn_live = false;
	if (resume)
		resume_locked(NULL);
}

/* @resume: as a detach (the guest runs on), else the machine stays held. */
static void close_conn(bool resume)
{
	if (S.conn_fd < 0)
		return;
	if (S.conn_live)
		ioloop_del(S.conn_fd);
	close(S.conn_fd);
	S.conn_fd = -1;
	pthread_mutex_lock(&S.lock);
	detach_locked(resume);
	pthread_mutex_unlock(&S.lock);
}

static void t_detach(void *t)
{
	close_conn(true);
}

static void t_kill(void *t)
{
	vm_request_exit(S.vm, VMM_EXIT_GDB_KILL, "killed from gdb");
	close_conn(false);
}

static int t_monitor(void *t, const char *cmd, char **out)
{
	size_t n;
	FILE *f = open_memstream(out, &n);
	int ret;

	if (!f)
		return -ENOMEM;
	ret = monitor_exec(S.vm, cmd, f);
	fclose(f);
	return ret;
}

static void t_send(void *t, const void *buf, size_t len)
{
	const char *p = buf;

	while (len && S.conn_fd >= 0) {
		ssize_t n = send(S.conn_fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* the read side sees the hang-up and closes */
		p += n;
		len -= n;
	}
}

static const struct gdb_target target = {
	.nr_threads = t_nr_threads,
	.read_regs = t_read_regs,
	.write_regs = t_write_regs,
	.read_mem = t_read_mem,
	.write_mem = t_write_mem,
	.insert_bp = t_insert_bp,
	.remove_bp = t_remove_bp,
	.resume = t_resume,
	.interrupt = t_interrupt,
	.detach = t_detach,
	.kill = t_kill,
	.monitor = t_monitor,
	.send = t_send,
};

void gdbstub_exit(int status)
{
	struct gdb_stop st = { .kind = GDB_STOP_EXITED, .signal = status };

	/* As a process exits under gdb: "W" with the status, then the socket closes. */
	if (S.conn_live)
		gdb_proto_stopped(&S.proto, &st);
}

/* ---- the socket, on the I/O thread ---- */

static void on_conn(void *opaque, uint32_t events)
{
	uint8_t buf[4096];
	ssize_t n = recv(S.conn_fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* gdb went away: as a detach, the guest runs on. */
		close_conn(true);
		return;
	}
	gdb_proto_input(&S.proto, buf, n);
}

/* The machine is stopped for the pending connection: start talking. */
static void start_conn(const struct gdb_stop *st)
{
	if (ioloop_add(S.conn_fd, EPOLLIN, on_conn, NULL) < 0) {
		close(S.conn_fd);
		S.conn_fd = -1;
		pthread_mutex_lock(&S.lock);
		resume_locked(NULL);
		pthread_mutex_unlock(&S.lock);
		return;
	}
	pthread_mutex_lock(&S.lock);
	S.conn_live = true;
	S.gen++; /* debug state on (USE_SW_BP) before the first resume */
	pthread_mutex_unlock(&S.lock);
	gdb_proto_init(&S.proto, &target, st);
}

/* A vCPU parked last: if the machine is now wholly stopped, tell gdb. */
static void on_event(void *opaque, uint32_t events)
{
	struct gdb_stop st;
	uint64_t n;
	bool now;

	if (read(S.event_fd, &n, sizeof(n)) < 0)
		return;
	pthread_mutex_lock(&S.lock);
	now = S.halt && !S.stopped && S.nparked == S.n;
	if (now)
		S.stopped = true;
	st = S.stop;
	pthread_mutex_unlock(&S.lock);
	if (!now)
		return;
	if (S.conn_fd >= 0 && !S.conn_live)
		start_conn(&st);
	else if (S.conn_live)
		gdb_proto_stopped(&S.proto, &st);
}

static void on_listen(void *opaque, uint32_t events)
{
	struct gdb_stop st = { .kind = GDB_STOP_SIGNAL, .thread = 1, .signal = 5 };
	int fd = accept4(S.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	int one = 1;

	if (fd < 0)
		return;
	if (S.conn_fd >= 0) {
		close(fd); /* one gdb at a time */
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	S.conn_fd = fd;
	pthread_mutex_lock(&S.lock);
	if (S.halt && S.stopped) {
		st = S.stop;
		pthread_mutex_unlock(&S.lock);
		start_conn(&st);
		return;
	}
	halt_locked(&st, NULL); /* on_event starts the connection once all are parked */
	pthread_mutex_unlock(&S.lock);
}

static int open_listen(const struct config_gdb_addr *a)
{
	int fd, one = 1;

	if (a->is_unix) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };

		strcpy(sun.sun_path, a->path);
		unlink(a->path); /* a stale socket from an earlier run */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
		    listen(fd, 1) < 0)
			goto fail;
		return fd;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res;
	char port[8];
	int err;

	snprintf(port, sizeof(port), "%u", a->port);
	err = getaddrinfo(a->host[0] ? a->host : NULL, port, &hints, &res);
	if (err) {
		fprintf(stderr, "vmm: --gdb: %s: %s\n", a->host, gai_strerror(err));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 1) < 0) {
		freeaddrinfo(res);
		goto fail;
	}
	freeaddrinfo(res);
	return fd;
fail:
	fprintf(stderr, "vmm: --gdb: cannot listen on %s: %s\n", S.vm->cfg->gdb, strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

int gdbstub_init(struct vm *vm)
{
	struct config_gdb_addr a;
	int mask;

	if (!vm->cfg->gdb)
		return 0;
	S.vm = vm;
	S.n = vm->nr_vcpus;
	S.cpu = calloc(S.n, sizeof(*S.cpu));
	if (!S.cpu || config_gdb_addr(vm->cfg->gdb, &a))
		return VMM_EXIT_HOST_ERROR;
	for (unsigned int i = 0; i < S.n; i++)
		S.cpu[i].applied_gen = ~0ul;
	mask = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_GUEST_DEBUG2);
	if (mask > 0 && (mask & KVM_GUESTDBG_BLOCKIRQ))
		S.blockirq = KVM_GUESTDBG_BLOCKIRQ;
	S.listen_fd = open_listen(&a);
	if (S.listen_fd < 0)
		return VMM_EXIT_HOST_ERROR;
	S.event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (S.event_fd < 0 || ioloop_add(S.listen_fd, EPOLLIN, on_listen, NULL) < 0 ||
	    ioloop_add(S.event_fd, EPOLLIN, on_event, NULL) < 0) {
		fprintf(stderr, "vmm: --gdb: %s\n", strerror(errno));
		return VMM_EXIT_HOST_ERROR;
	}
	if (vm->cfg->gdb_wait) {
		/* Held before the first instruction, as if stopped there. */
		S.halt = true;
		S.stop = (struct gdb_stop){ .kind = GDB_STOP_SIGNAL, .thread = 1, .signal = 5 };
	}
	if (vm->cpu_probe.ring0_emulated)
		fprintf(stderr,
			"vmm: --gdb: this host's KVM emulates guest ring 0 (nested); it may "
			"give guest ring 3 its own #BP/#DB, so breakpoints, steps and "
			"watchpoints there would not stop (README: Debugging with gdb)\n");
	gdbstub_enabled = true;
	return 0;
}

/* ---- monitor commands ---- */

static int mon_stats(struct vm *vm, const char *args, FILE *out)
{
	vcpu_print_stats(vm, out);
	emulate_print_stats(out);
	bus_print_stats(out);
	devices_print_stats(vm, out);
	return 0;
}

static int mon_regs(struct vm *vm, const char *args, FILE *out)
{
	bool stopped;

	pthread_mutex_lock(&S.lock);
	stopped = S.vm && S.halt && S.stopped;
	pthread_mutex_unlock(&S.lock);
	/* A register ioctl waits for a running vCPU to leave KVM_RUN: only when stopped. */
	if (!stopped) {
		fprintf(out, "the machine is running: stop it first (gdb stops it)\n");
		return -EBUSY;
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_dump_regs(vm->vcpus[i], out);
	return 0;
}

static struct monitor_cmd stats_cmd = { .name = "stats",
					.help = "stats            exit statistics (as --stats)",
					.run = mon_stats };
static struct monitor_cmd regs_cmd = { .name = "regs",
				       .help = "regs             registers of every stopped vCPU",
				       .run = mon_regs };
monitor_command(stats_cmd);
monitor_command(regs_cmd);
