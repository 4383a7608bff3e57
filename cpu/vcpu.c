// SPDX-License-Identifier: GPL-2.0
/*
 * One thread per vCPU running KVM_RUN. Every exit is handled here: port and
 * MMIO accesses go to the bus, machine events to cpu/vm.c. Application
 * processors need no special start: the in-kernel LAPIC holds them in
 * KVM_RUN until the guest sends INIT/SIPI.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <asm/kvm_para.h>
#include <asm/processor-flags.h>

#include "config/status.h"
#include "cpu/emulate.h"
#include "cpu/gdbstub.h"
#include "cpu/syscall.h"
#include "cpu/vcpu.h"
#include "cpu/vm.h"
#include "mmio/bus.h"

/* MSR numbers (arch/x86/include/asm/msr-index.h is not a UAPI header). */
#define MSR_IA32_SYSENTER_CS	0x174
#define MSR_IA32_SYSENTER_ESP	0x175
#define MSR_IA32_SYSENTER_EIP	0x176
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MSR_IA32_CR_PAT		0x277
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_CSTAR		0xc0000083
#define MSR_SYSCALL_MASK	0xc0000084
#define MSR_KERNEL_GS_BASE	0xc0000102
#define MSR_IA32_TSC		0x10
#define MISC_ENABLE_FAST_STRING (1ULL << 0)
#define PAT_POWER_ON		0x0007040600070406ULL
#define EFER_LME		(1ULL << 8)
#define EFER_LMA		(1ULL << 10)

struct vcpu *vcpu_create(struct vm *vm, unsigned int id)
{
	struct vcpu *v = calloc(1, sizeof(*v));
	int sz;

	if (!v)
		return NULL;
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		fprintf(stderr, "vmm: cannot create vCPU %u: %s\n", id, strerror(errno));
		free(v);
		return NULL;
	}
	sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	v->run = sz > 0 ? mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0) : MAP_FAILED;
	if (v->run == MAP_FAILED) {
		fprintf(stderr, "vmm: cannot map vCPU %u state: %s\n", id, strerror(errno));
		close(v->fd);
		free(v);
		return NULL;
	}
	v->run_size = sz;
	return v;
}

int vcpu_set_cpuid(struct vcpu *v)
{
	struct kvm_cpuid2 *c = cpuid_for_vcpu(v->vm->supported_cpuid, v->id, v->vm->nr_vcpus);
	int ret;

	if (!c)
		return -ENOMEM;
	ret = ioctl(v->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return ret;
}

/*
 * MSRs at power-on. Besides the architectural ones, the KVM paravirtual
 * MSRs are switched off: after a reset, KVM must stop writing kvmclock and
 * steal time into memory that now belongs to the next boot.
 */
static const struct {
	uint32_t index;
	uint64_t data;
} reset_msrs[] = {
	{ MSR_IA32_SYSENTER_CS, 0 },
	{ MSR_IA32_SYSENTER_ESP, 0 },
	{ MSR_IA32_SYSENTER_EIP, 0 },
	{ MSR_STAR, 0 },
	{ MSR_LSTAR, 0 },
	{ MSR_CSTAR, 0 },
	{ MSR_SYSCALL_MASK, 0 },
	{ MSR_KERNEL_GS_BASE, 0 },
	{ MSR_IA32_TSC, 0 },
	{ MSR_IA32_CR_PAT, PAT_POWER_ON },
	{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
	{ MSR_KVM_SYSTEM_TIME_NEW, 0 },
	{ MSR_KVM_SYSTEM_TIME, 0 },
	{ MSR_KVM_ASYNC_PF_EN, 0 },
	{ MSR_KVM_STEAL_TIME, 0 },
	{ MSR_KVM_PV_EOI_EN, 0 },
	{ MSR_KVM_POLL_CONTROL, 1 },
};

/* One MSR at a time: a host whose KVM lacks one still gets the others. */
static void vcpu_set_msrs(struct vcpu *v)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1 };

	for (size_t i = 0; i < sizeof(reset_msrs) / sizeof(reset_msrs[0]); i++) {
		m.e = (struct kvm_msr_entry){ .index = reset_msrs[i].index,
					      .data = reset_msrs[i].data };
		ioctl(v->fd, KVM_SET_MSRS, &m);
	}
}

int vcpu_save_reset_state(struct vcpu *v)
{
	struct vcpu_reset_state *r = &v->reset;

	if (ioctl(v->fd, KVM_GET_REGS, &r->regs) < 0 ||
	    ioctl(v->fd, KVM_GET_SREGS, &r->sregs) < 0 || ioctl(v->fd, KVM_GET_FPU, &r->fpu) < 0 ||
	    ioctl(v->fd, KVM_GET_LAPIC, &r->lapic) < 0 ||
	    ioctl(v->fd, KVM_GET_MP_STATE, &r->mp_state) < 0 ||
	    ioctl(v->fd, KVM_GET_VCPU_EVENTS, &r->events) < 0 ||
	    ioctl(v->fd, KVM_GET_DEBUGREGS, &r->debugregs) < 0)
		return -errno;
	r->xsave = calloc(1, sizeof(*r->xsave));
	if (r->xsave && ioctl(v->fd, KVM_GET_XSAVE, r->xsave) < 0) {
		free(r->xsave); /* no XSAVE: KVM_SET_FPU covers the state */
		r->xsave = NULL;
	}
	r->have_xcrs = ioctl(v->fd, KVM_GET_XCRS, &r->xcrs) == 0;
	vcpu_set_msrs(v);
	return 0;
}

int vcpu_reset(struct vcpu *v)
{
	struct vcpu_reset_state *r = &v->reset;

	/* SREGS first: it carries the APIC base that KVM_SET_LAPIC depends on. */
	if (ioctl(v->fd, KVM_SET_SREGS, &r->sregs) < 0 ||
	    ioctl(v->fd, KVM_SET_REGS, &r->regs) < 0 || ioctl(v->fd, KVM_SET_FPU, &r->fpu) < 0 ||
	    (r->have_xcrs && ioctl(v->fd, KVM_SET_XCRS, &r->xcrs) < 0) ||
	    (r->xsave && ioctl(v->fd, KVM_SET_XSAVE, r->xsave) < 0) ||
	    ioctl(v->fd, KVM_SET_LAPIC, &r->lapic) < 0 ||
	    ioctl(v->fd, KVM_SET_VCPU_EVENTS, &r->events) < 0 ||
	    ioctl(v->fd, KVM_SET_DEBUGREGS, &r->debugregs) < 0 ||
	    ioctl(v->fd, KVM_SET_MP_STATE, &r->mp_state) < 0)
		return -errno;
	vcpu_set_msrs(v);
	return 0;
}

void vcpu_flat_seg(struct kvm_segment *s, uint16_t sel, bool code, bool long_mode, uint8_t dpl)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = code ? 0xb : 0x3, /* execute/read, accessed; read/write, accessed */
		.present = 1,
		.dpl = dpl,
		.db = !(code && long_mode),
		.s = 1,
		.l = code && long_mode,
		.g = 1,
	};
}

/*
 * BOOT_LONG64: long mode, paging on the loader's identity map (boot.rst).
 * BOOT_PVH32: 32-bit protected mode, paging off, EBX = start info (PVH).
 * Both: flat segments, the loader's GDT, a busy TSS at 0x20, interrupts off.
 */
int vcpu_set_boot_state(struct vcpu *v, const struct boot_entry *e)
{
	bool pvh = e->mode == BOOT_PVH32;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	vcpu_flat_seg(&sregs.cs, 0x10, true, !pvh, 0);
	vcpu_flat_seg(&sregs.ds, 0x18, false, false, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.tr =
		(struct kvm_segment){ .selector = 0x20, .limit = 0x67, .type = 0xb, .present = 1 };
	sregs.ldt = (struct kvm_segment){ .type = 2, .present = 1, .limit = 0xffff, .unusable = 1 };
	sregs.gdt.base = e->gdt;
	sregs.gdt.limit = e->gdt_limit;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	if (pvh) {
		sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
		sregs.cr3 = sregs.cr4 = sregs.efer = 0;
	} else {
		sregs.cr0 =
			X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
		sregs.cr3 = e->cr3;
		sregs.cr4 = X86_CR4_PAE;
		sregs.efer = EFER_LME | EFER_LMA;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	regs.rip = e->rip;
	regs.rsi = e->rsi;
	regs.rbx = e->rbx;
	regs.rsp = e->rsp;
	regs.rflags = X86_EFLAGS_FIXED;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;
	return 0;
}

void vcpu_dump_regs(struct vcpu *v, FILE *f)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(f, "vmm: vCPU %u: cannot read registers: %s\n", v->id, strerror(errno));
		return;
	}
	fprintf(f,
		"vCPU %u registers:\n"
		" rip %016llx rsp %016llx rflags %016llx\n"
		" rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		" rsi %016llx rdi %016llx rbp %016llx\n"
		" r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		" r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		" cs %04x (base %llx l%d db%d dpl%d) ss %04x ds %04x es %04x fs %04x gs %04x\n"
		" cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n"
		" gdt %llx/%x idt %llx/%x tr %04x apic_base %llx\n",
		v->id, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
		r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cs.selector, s.cs.base,
		s.cs.l, s.cs.db, s.cs.dpl, s.ss.selector, s.ds.selector, s.es.selector,
		s.fs.selector, s.gs.selector, s.cr0, s.cr2, s.cr3, s.cr4, s.efer, s.gdt.base,
		s.gdt.limit, s.idt.base, s.idt.limit, s.tr.selector, s.apic_base);
}

static void vcpu_crash(struct vcpu *v, const char *fmt, const char *detail)
{
	fprintf(stderr, "vmm: guest crash on vCPU %u: %s%s\n", v->id, fmt, detail ? detail : "");
	vcpu_dump_regs(v, stderr);
	vm_request_exit(v->vm, VMM_EXIT_CRASH, NULL);
}

static void handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;

	/* String I/O (rep ins/outs) arrives as count items in one exit. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		bus_access(BUS_PIO, run->io.port, data, run->io.size, out);
}

static void handle_internal_error(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char detail[256];
	int n;

	n = snprintf(detail, sizeof(detail), " (suberror %u", run->internal.suberror);
	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
		/* With KVM_CAP_EXIT_ON_EMULATION_FAILURE, data[] carries the bytes. */
		n += snprintf(detail + n, sizeof(detail) - n, ", emulation failure");
		if (run->emulation_failure.ndata >= 3 &&
		    (run->emulation_failure.flags &
		     KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
			n += snprintf(detail + n, sizeof(detail) - n, ", insn");
			for (unsigned int i = 0; i < run->emulation_failure.insn_size && i < 15 &&
						 n < (int)sizeof(detail) - 4;
			     i++)
				n += snprintf(detail + n, sizeof(detail) - n, " %02x",
					      run->emulation_failure.insn_bytes[i]);
		}
	}
	snprintf(detail + n, sizeof(detail) - n, ")");
	vcpu_crash(v, "KVM internal error", detail);
}

static void handle_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN: vm_request_exit(v->vm, VMM_EXIT_POWEROFF, NULL); break;
	case KVM_SYSTEM_EVENT_RESET: vm_request_reset(v->vm, "system event reset"); break;
	default: vcpu_crash(v, "system event crash", NULL); break;
	}
}

/* One exit; returns false when this vCPU must stop running. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char why[64];

	if (run->exit_reason < VCPU_EXIT_REASONS)
		atomic_fetch_add_explicit(&v->exits[run->exit_reason], 1, memory_order_relaxed);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(v);
		syscall_fix_check(v); /* throttled; nothing where SYSCALL works */
		return true;
	case KVM_EXIT_MMIO:
		bus_access(BUS_MMIO, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			   run->mmio.is_write);
		return true;
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTR: return true;
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault. A PC would reset; for CI a crash report is worth more. */
		vcpu_crash(v, "triple fault", NULL);
		return false;
	case KVM_EXIT_SYSTEM_EVENT: handle_system_event(v); return false;
	case KVM_EXIT_DEBUG:
		if (!gdbstub_enabled) {
			vcpu_crash(v, "debug exit without --gdb", NULL);
			return false;
		}
		gdbstub_debug_exit(v);
		return true;
	case KVM_EXIT_INTERNAL_ERROR:
		if (gdbstub_enabled && gdbstub_emulation_failure(v))
			return true;
		/* KVM's emulator refused an instruction: complete it in emul/. */
		switch (vcpu_emulate(v)) {
		case EMULATE_DONE: return true;
		case EMULATE_ERROR:
			snprintf(why, sizeof(why), ": %s", strerror(errno));
			vcpu_crash(v, "cannot complete an instruction", why);
			return false;
		default: handle_internal_error(v); return false;
		}
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(why, sizeof(why), " (hardware reason %#llx)",
			 run->fail_entry.hardware_entry_failure_reason);
		vcpu_crash(v, "VM entry failed", why);
		return false;
	default:
		snprintf(why, sizeof(why), " %u", run->exit_reason);
		vcpu_crash(v, "unexpected KVM exit reason", why);
		return false;
	}
}

static void kick_handler(int sig)
{
	/* Only there so the signal interrupts KVM_RUN with EINTR. */
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t set;
	char name[16];

	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!atomic_load(&v->vm->stopping)) {
		if (gdbstub_enabled) {
			gdbstub_vcpu_before_run(v);
			if (atomic_load(&v->vm->stopping))
				break;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				continue;
			}
			fprintf(stderr, "vmm: vCPU %u: KVM_RUN: %s\n", v->id, strerror(errno));
			vm_request_exit(v->vm, VMM_EXIT_HOST_ERROR, NULL);
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	if (gdbstub_enabled)
		gdbstub_vcpu_exit(v);
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	static bool handler_set;
	int ret;

	if (!handler_set) {
		struct sigaction sa = { .sa_handler = kick_handler };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART: KVM_RUN must see EINTR */
		handler_set = true;
	}
	v->run->immediate_exit = 0;
	ret = pthread_create(&v->thread, NULL, vcpu_thread, v);
	return -ret;
}

void vcpu_kick(struct vcpu *v)
{
	v->run->immediate_exit = 1;
	pthread_kill(v->thread, SIGUSR1);
}

void vcpu_join(struct vcpu *v)
{
	pthread_join(v->thread, NULL);
}

static const char *const exit_names[VCPU_EXIT_REASONS] = {
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_DEBUG] = "debug",
};

void vcpu_print_stats(struct vm *vm, FILE *f)
{
	fprintf(f, "cpu model: hidden (KVM cannot run them at ring 0): %s\n",
		vm->cpu_probe.count ? vm->cpu_probe.hidden : "none");
	if (vm->cpu_probe.cpuid_ignored)
		fprintf(f,
			"cpu model: this host's KVM shows the guest its own CPUID; "
			"Linux is told: %s\n",
			vm->cpu_probe.linux_args[0] ? vm->cpu_probe.linux_args : "nothing");
	if (vm->cpu_probe.syscall_stays_cpl3)
		fprintf(f,
			"cpu model: this host's KVM leaves SYSCALL at ring 3; vmm completed it "
			"%llu times (hook on the guest's #PF entry: %s)\n",
			(unsigned long long)syscall_fix_count(),
			syscall_fix_armed() ? "armed" : "not armed");
	fprintf(f, "%-6s %-16s %12s\n", "vcpu", "exit reason", "count");
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		struct vcpu *v = vm->vcpus[i];

		if (!v)
			continue;
		for (int r = 0; r < VCPU_EXIT_REASONS; r++) {
			uint64_t n = atomic_load(&v->exits[r]);
			char num[16];

			if (!n)
				continue;
			snprintf(num, sizeof(num), "%d", r);
			fprintf(f, "%-6u %-16s %12" PRIu64 "\n", i,
				exit_names[r] ? exit_names[r] : num, n);
		}
	}
}
