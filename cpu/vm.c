// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM VM: /dev/kvm checks with errors a user can act on, VM creation
 * with the in-kernel irqchip and PIT, guest memory, vCPUs, and the
 * machine-event handshake between vCPU/device threads and the main thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "bios/layout.h"
#include "config/status.h"
#include "cpu/vcpu.h"
#include "cpu/probe.h"
#include "cpu/vm.h"

#define KVM_DEVICE "/dev/kvm"

static const struct {
	int cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_SET_IDENTITY_MAP_ADDR, "KVM_CAP_SET_IDENTITY_MAP_ADDR" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

static int kvm_open(struct vm *vm)
{
	int api;

	vm->kvm_fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;

		if (e == ENOENT || e == ENODEV || e == ENXIO)
			fprintf(stderr,
				"vmm: no /dev/kvm: KVM is not available on this host "
				"(load kvm_intel or kvm_amd, or enable nested virtualisation)\n");
		else if (e == EACCES || e == EPERM)
			fprintf(stderr, "vmm: /dev/kvm: permission denied "
					"(add your user to the 'kvm' group, or run as root)\n");
		else
			fprintf(stderr, "vmm: /dev/kvm: %s\n", strerror(e));
		return VMM_EXIT_HOST_ERROR;
	}
	api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		fprintf(stderr, "vmm: /dev/kvm speaks KVM API %d; vmm needs %d\n", api,
			KVM_API_VERSION);
		return VMM_EXIT_HOST_ERROR;
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			fprintf(stderr, "vmm: this host's KVM lacks %s, which vmm needs\n",
				required_caps[i].name);
			return VMM_EXIT_HOST_ERROR;
		}
	}
	return 0;
}

static int check_cpus(struct vm *vm)
{
	int max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);

	if (max <= 0)
		max = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (max <= 0)
		max = 4; /* what KVM guarantees without the capability */
	if (vm->cfg->cpus > (unsigned int)max) {
		fprintf(stderr, "vmm: --cpus %u is above this host's KVM limit of %d\n",
			vm->cfg->cpus, max);
		return VMM_EXIT_USAGE;
	}
	return 0;
}

/*
 * A PC's wiring, as the MP table and MADT describe it: ISA IRQ 0 (the PIT)
 * reaches IOAPIC pin 2, every other GSI n reaches pin n; GSIs 0-15 also
 * reach the 8259 pair (pin 2 of the master is the cascade). KVM's default
 * sends GSI 0 to IOAPIC pin 0, where no guest looks for the timer.
 * Then the MSI routes. KVM replaces its table whole, so this always sends
 * everything. Called with routing_lock held (or before any thread runs).
 */
static int vm_set_irq_routing(struct vm *vm)
{
	struct kvm_irq_routing *r;
	unsigned int n = 0;
	int ret;

	r = calloc(1, sizeof(*r) + (16 + IOAPIC_PINS + VM_MAX_MSI) * sizeof(r->entries[0]));
	if (!r)
		return -ENOMEM;
	for (unsigned int gsi = 0; gsi < 16; gsi++) {
		if (gsi == 2)
			continue;
		r->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
							  : KVM_IRQCHIP_PIC_SLAVE,
				       .pin = gsi % 8 },
		};
	}
	for (unsigned int gsi = 0; gsi < IOAPIC_PINS; gsi++) {
		if (gsi == 2)
			continue;
		r->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = gsi,
			.type = KVM_IRQ_ROUTING_IRQCHIP,
			.u.irqchip = { .irqchip = KVM_IRQCHIP_IOAPIC, .pin = gsi ? gsi : 2 },
		};
	}
	for (unsigned int i = 0; i < VM_MAX_MSI; i++) {
		if (!vm->msi[i].used)
			continue;
		r->entries[n++] = (struct kvm_irq_routing_entry){
			.gsi = VM_MSI_GSI_BASE + i,
			.type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = (uint32_t)vm->msi[i].addr,
				   .address_hi = (uint32_t)(vm->msi[i].addr >> 32),
				   .data = vm->msi[i].data },
		};
	}
	r->nr = n;
	ret = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, r) < 0 ? -errno : 0;
	free(r);
	return ret;
}

int vm_msi_route_add(struct vm *vm, uint64_t addr, uint32_t data)
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&vm->routing_lock);
	for (unsigned int i = 0; i < VM_MAX_MSI; i++) {
		if (vm->msi[i].used)
			continue;
		vm->msi[i] = (struct vm_msi_route){ true, addr, data };
		ret = vm_set_irq_routing(vm);
		if (ret < 0)
			vm->msi[i].used = false; /* KVM kept the old table */
		else
			ret = VM_MSI_GSI_BASE + i;
		break;
	}
	pthread_mutex_unlock(&vm->routing_lock);
	return ret;
}

static struct vm_msi_route *msi_route(struct vm *vm, unsigned int gsi)
{
	if (gsi < VM_MSI_GSI_BASE || gsi - VM_MSI_GSI_BASE >= VM_MAX_MSI)
		return NULL;
	return &vm->msi[gsi - VM_MSI_GSI_BASE];
}

int vm_msi_route_set(struct vm *vm, unsigned int gsi, uint64_t addr, uint32_t data)
{
	struct vm_msi_route *m = msi_route(vm, gsi), old;
	int ret = -EINVAL;

	pthread_mutex_lock(&vm->routing_lock);
	if (m && m->used) {
		old = *m;
		m->addr = addr;
		m->data = data;
		ret = vm_set_irq_routing(vm);
		if (ret < 0)
			*m = old;
	}
	pthread_mutex_unlock(&vm->routing_lock);
	return ret;
}

void vm_msi_route_del(struct vm *vm, unsigned int gsi)
{
	struct vm_msi_route *m = msi_route(vm, gsi);
	int ret;

	pthread_mutex_lock(&vm->routing_lock);
	if (m && m->used) {
		m->used = false;
		/*
		 * If KVM refuses the smaller table it keeps routing the GSI;
		 * nothing signals it any more (its irqfd is gone), so the
		 * slot is still free to reuse.
		 */
		ret = vm_set_irq_routing(vm);
		if (ret < 0)
			fprintf(stderr, "vmm: KVM_SET_GSI_ROUTING (freeing GSI %u): %s\n", gsi,
				strerror(-ret));
	}
	pthread_mutex_unlock(&vm->routing_lock);
}

int vm_irqfd(struct vm *vm, int fd, unsigned int gsi, bool assign)
{
	struct kvm_irqfd irqfd = {
		.fd = fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

/* The per-boot part: a fresh KVM VM over the same guest memory. */
static int vm_setup_kvm(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t ident = LAYOUT_IDENT_MAP;
	const char *what;

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		what = "KVM_CREATE_VM";
		goto fail;
	}
	/*
	 * Memory before the irqchip: with in-kernel devices on KVM's I/O bus,
	 * a memslot update waits for an SRCU grace period (measured here: 6 ms
	 * after KVM_CREATE_IRQCHIP, 0.3 ms before it).
	 */
	what = "KVM_SET_USER_MEMORY_REGION";
	errno = 0;
	if (mem_register(&vm->mem, vm->vm_fd) < 0)
		goto fail;
	what = "KVM_SET_IDENTITY_MAP_ADDR";
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
		goto fail;
	what = "KVM_SET_TSS_ADDR";
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)LAYOUT_TSS) < 0)
		goto fail;
	what = "KVM_CREATE_IRQCHIP";
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		goto fail;
	what = "KVM_SET_GSI_ROUTING";
	if (vm_set_irq_routing(vm) < 0)
		goto fail;
	what = "KVM_CREATE_PIT2";
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		goto fail;
	/* Hand instructions KVM cannot emulate to user space with their bytes. */
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_ON_EMULATION_FAILURE) > 0) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_ON_EMULATION_FAILURE,
					      .args = { 1 } };

		ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap);
	}
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		vm->vcpus[i] = vcpu_create(vm, i);
		if (!vm->vcpus[i])
			return VMM_EXIT_HOST_ERROR;
		what = "KVM_SET_CPUID2";
		if (vcpu_set_cpuid(vm->vcpus[i]) < 0)
			goto fail;
		what = "reading the vCPU's power-on state";
		if (vcpu_save_reset_state(vm->vcpus[i]) < 0)
			goto fail;
	}
	what = "KVM_GET_IRQCHIP/KVM_GET_PIT2";
	for (int chip = 0; chip < 3; chip++) {
		vm->reset_irqchip[chip].chip_id = chip;
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &vm->reset_irqchip[chip]) < 0)
			goto fail;
	}
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &vm->reset_pit) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "vmm: %s: %s\n", what, strerror(errno));
	return VMM_EXIT_HOST_ERROR;
}

int vm_create(struct vm *vm, const struct config *cfg)
{
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = -1;
	vm->cfg = cfg;
	vm->nr_vcpus = cfg->cpus;
	pthread_mutex_init(&vm->event_lock, NULL);
	pthread_cond_init(&vm->event_cond, NULL);
	pthread_mutex_init(&vm->routing_lock, NULL);

	ret = kvm_open(vm);
	if (!ret)
		ret = check_cpus(vm);
	if (ret)
		return ret;
	vm->supported_cpuid = cpuid_supported(vm->kvm_fd);
	if (!vm->supported_cpuid) {
		fprintf(stderr, "vmm: KVM_GET_SUPPORTED_CPUID: %s\n", strerror(errno));
		return VMM_EXIT_HOST_ERROR;
	}
	/* Hide what this host's KVM cannot run at ring 0 (cpu/probe.c). */
	ret = cpu_probe_hide(vm->kvm_fd, vm->supported_cpuid, &vm->cpu_probe);
	if (ret < 0)
		fprintf(stderr, "vmm: warning: cannot probe the host's instructions: %s\n",
			strerror(-ret));
	ret = mem_init(&vm->mem, cfg->mem_size);
	if (ret) {
		fprintf(stderr, "vmm: cannot allocate %llu MiB of guest memory: %s\n",
			(unsigned long long)(cfg->mem_size >> 20), strerror(-ret));
		return VMM_EXIT_HOST_ERROR;
	}
	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return VMM_EXIT_HOST_ERROR;
	return vm_setup_kvm(vm);
}

bool vm_reset_begin(struct vm *vm)
{
	bool ok;

	pthread_mutex_lock(&vm->event_lock);
	ok = vm->event != VM_EVENT_EXIT;
	if (ok) {
		vm->event = VM_EVENT_NONE;
		atomic_store(&vm->stopping, false);
	}
	pthread_mutex_unlock(&vm->event_lock);
	return ok;
}

/*
 * In place rather than a new VM: tearing a VM down waits for SRCU grace
 * periods per in-kernel device, which took from 5 ms to minutes on a
 * nested host, and a reset must not depend on that.
 */
int vm_reset(struct vm *vm)
{
	const char *what = "KVM_SET_IRQCHIP";

	for (int chip = 0; chip < 3; chip++)
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &vm->reset_irqchip[chip]) < 0)
			goto fail;
	what = "KVM_SET_PIT2";
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &vm->reset_pit) < 0)
		goto fail;
	what = "resetting a vCPU";
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		if (vcpu_reset(vm->vcpus[i]) < 0)
			goto fail;
	return 0;
fail:
	fprintf(stderr, "vmm: reset: %s: %s\n", what, strerror(errno));
	return VMM_EXIT_HOST_ERROR;
}

/*
 * The teardown helper: it shares vmm's memory and file table, so while it
 * lives the VM and guest RAM stay; it dies with vmm (PDEATHSIG) and its
 * exit then does the slow part. Raw syscalls only: it runs on vmm's TLS.
 */
static int teardown_helper(void *arg)
{
	pid_t parent = (pid_t)(intptr_t)arg;

	syscall(SYS_prctl, PR_SET_NAME, "vmm-teardown", 0, 0, 0);
	syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (syscall(SYS_getppid) != parent)
		syscall(SYS_exit, 0); /* vmm is already gone */
	for (;;)
		syscall(SYS_pause);
	return 0;
}

void vm_teardown_async(struct vm *vm)
{
	static char stack[16384] __attribute__((aligned(16)));

	/* On failure nothing changes: the exit below tears down in place. */
	clone(teardown_helper, stack + sizeof(stack), CLONE_VM | CLONE_FILES,
	      (void *)(intptr_t)getpid());
}

void vm_irq_line(struct vm *vm, unsigned int gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		fprintf(stderr, "vmm: KVM_IRQ_LINE %u: %s\n", gsi, strerror(errno));
}

static void vm_post_event(struct vm *vm, enum vm_event ev, int status, const char *why)
{
	pthread_mutex_lock(&vm->event_lock);
	if (vm->event != VM_EVENT_EXIT) { /* an exit overrides a pending reset */
		if (why)
			fprintf(stderr, "vmm: %s\n", why);
		vm->event = ev;
		vm->exit_status = status;
		atomic_store(&vm->stopping, true);
		pthread_cond_broadcast(&vm->event_cond);
	}
	pthread_mutex_unlock(&vm->event_lock);
}

void vm_request_exit(struct vm *vm, int status, const char *why)
{
	vm_post_event(vm, VM_EVENT_EXIT, status, why);
}

void vm_request_reset(struct vm *vm, const char *why)
{
	if (vm->cfg->on_reset == ON_RESET_EXIT)
		vm_post_event(vm, VM_EVENT_EXIT, VMM_EXIT_RESET, why);
	else
		vm_post_event(vm, VM_EVENT_RESET, 0, why);
}

enum vm_event vm_poll_event(struct vm *vm)
{
	enum vm_event ev;

	pthread_mutex_lock(&vm->event_lock);
	ev = vm->event;
	pthread_mutex_unlock(&vm->event_lock);
	return ev;
}

enum vm_event vm_wait_event(struct vm *vm)
{
	enum vm_event ev;

	pthread_mutex_lock(&vm->event_lock);
	while (vm->event == VM_EVENT_NONE)
		pthread_cond_wait(&vm->event_cond, &vm->event_lock);
	ev = vm->event;
	pthread_mutex_unlock(&vm->event_lock);
	return ev;
}
