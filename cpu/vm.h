/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtual machine: the KVM VM, its memory, vCPUs and machine-wide
 * events (power-off, reset, crash). Devices get a struct vm * at init.
 */
#ifndef VMM_CPU_VM_H
#define VMM_CPU_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#include "bios/tables.h"
#include "config/config.h"
#include "cpu/probe.h"
#include "mmio/mem.h"

struct vcpu;

/*
 * MSI routes: GSIs from VM_MSI_GSI_BASE up, above the IOAPIC's pins. KVM
 * takes the routing table whole, so vm.c keeps it (the PC's IRQ routes
 * plus these) and sends all of it on each change.
 */
#define VM_MSI_GSI_BASE 24
#define VM_MAX_MSI	1024

struct vm_msi_route {
	bool used;
	uint64_t addr;
	uint32_t data;
};

enum vm_event {
	VM_EVENT_NONE,
	VM_EVENT_EXIT,	/* stop and exit with vm->exit_status */
	VM_EVENT_RESET, /* guest asked for a reset and --on-reset reboot */
};

struct vm {
	int kvm_fd;
	int vm_fd;
	const struct config *cfg;
	struct guest_mem mem;
	unsigned int nr_vcpus;
	struct vcpu **vcpus;
	struct kvm_cpuid2 *supported_cpuid; /* less what cpu/probe.c hid */
	struct cpu_probe cpu_probe;	    /* what was hidden, and how */

	/* Filled by devices at init, read by the table builders. */
	struct platform_info platform;

	/* Machine events: first request wins, the main thread acts on it. */
	pthread_mutex_t event_lock;
	pthread_cond_t event_cond;
	enum vm_event event;
	int exit_status;
	atomic_bool stopping; /* vCPUs must leave KVM_RUN and park */

	/* MSI routes (GSI VM_MSI_GSI_BASE + index), under routing_lock. */
	pthread_mutex_t routing_lock;
	struct vm_msi_route msi[VM_MAX_MSI];

	/* Power-on state of the in-kernel PICs, IOAPIC and PIT, for reset. */
	struct kvm_irqchip reset_irqchip[3];
	struct kvm_pit_state2 reset_pit;
};

/* Open /dev/kvm, check it, create the VM, irqchip, PIT and memory. */
int vm_create(struct vm *vm, const struct config *cfg);
/*
 * At exit, leave the VM's teardown to a helper process that outlives vmm,
 * as QEMU's -async-teardown does: destroying a VM waits for an SRCU grace
 * period per in-kernel device (5-20 ms measured on a nested host, minutes
 * when it is unwell), and unmapping a big guest takes long too; the exit
 * status should not wait for either. Call it last, then exit.
 */
void vm_teardown_async(struct vm *vm);

/* Drive an in-kernel irqchip input (ISA IRQ n is GSI n). */
void vm_irq_line(struct vm *vm, unsigned int gsi, int level);

/*
 * MSI routing, any thread. vm_msi_route_add() routes a new GSI to the MSI
 * (@addr, @data) and returns it (>= VM_MSI_GSI_BASE), or -ENOSPC, or the
 * ioctl's -errno (the table is then as it was). vm_msi_route_set() changes
 * a GSI's message; vm_msi_route_del() frees it. vm_irqfd() binds (@assign)
 * or unbinds the eventfd @fd to @gsi (KVM_IRQFD). 0 or -errno.
 */
int vm_msi_route_add(struct vm *vm, uint64_t addr, uint32_t data);
int vm_msi_route_set(struct vm *vm, unsigned int gsi, uint64_t addr, uint32_t data);
void vm_msi_route_del(struct vm *vm, unsigned int gsi);
int vm_irqfd(struct vm *vm, int fd, unsigned int gsi, bool assign);

/*
 * Ask the machine to stop and vmm to exit with @status; @why is logged
 * when it is not a plain power-off. Safe from any thread, first one wins.
 */
void vm_request_exit(struct vm *vm, int status, const char *why);
/* A guest reset request (i8042, ACPI reset register); honours --on-reset. */
void vm_request_reset(struct vm *vm, const char *why);
/* Main thread: wait for the next machine event. */
enum vm_event vm_wait_event(struct vm *vm);
/* The pending machine event, VM_EVENT_NONE if none (a loop that cannot block). */
enum vm_event vm_poll_event(struct vm *vm);
/*
 * Reboot in place, as a PC resets: the vCPUs (stopped and joined), the
 * interrupt controllers and the PIT go back to their power-on state. The VM
 * and its memory stay. Returns 0, or a vmm exit status after an error line.
 */
int vm_reset(struct vm *vm);
/*
 * Between a reset event and vm_reset(): clear the event so the machine may
 * run again. False when an exit was requested meanwhile (it wins).
 */
bool vm_reset_begin(struct vm *vm);

#endif
