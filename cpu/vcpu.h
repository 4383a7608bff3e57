/* SPDX-License-Identifier: GPL-2.0 */
#ifndef VMM_CPU_VCPU_H
#define VMM_CPU_VCPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/kvm.h>

struct vm;

#define VCPU_EXIT_REASONS 64

/* A vCPU's power-on state, read right after creation, restored at reset. */
struct vcpu_reset_state {
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_xsave *xsave; /* ends in a flexible array: allocated */
	struct kvm_xcrs xcrs;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp_state;
	struct kvm_vcpu_events events;
	struct kvm_debugregs debugregs;
	bool have_xcrs;
};

struct vcpu {
	struct vm *vm;
	unsigned int id; /* also its APIC ID */
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	atomic_uint_fast64_t exits[VCPU_EXIT_REASONS];
	struct vcpu_reset_state reset;
};

/* Where the boot loader wants the BSP to start, in 64-bit long mode. */
struct boot_entry {
	uint64_t rip;
	uint64_t rsi; /* struct boot_params */
	uint64_t rsp;
	uint64_t cr3; /* identity-mapping page tables */
	uint64_t gdt; /* GDT with __BOOT_CS at 0x10, __BOOT_DS at 0x18 */
	uint16_t gdt_limit;
};

struct vcpu *vcpu_create(struct vm *vm, unsigned int id);
/* CPUID for this vCPU: the default model (see cpu/cpuid.c). */
int vcpu_set_cpuid(struct vcpu *v);
/* Registers, segments and MSRs for entering a 64-bit kernel. */
int vcpu_set_boot_state(struct vcpu *v, const struct boot_entry *e);
/* Snapshot the power-on state (once, after CPUID is set). */
int vcpu_save_reset_state(struct vcpu *v);
/* Back to power-on state, as after a hardware reset; the thread must be stopped. */
int vcpu_reset(struct vcpu *v);
int vcpu_start(struct vcpu *v);
/* Make the vCPU leave KVM_RUN soon (it sees vm->stopping and returns). */
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
void vcpu_dump_regs(struct vcpu *v, FILE *f);
/* Per-exit-reason counts of every vCPU, for --stats. */
void vcpu_print_stats(struct vm *vm, FILE *f);

/* cpu/cpuid.c */
struct kvm_cpuid2 *cpuid_supported(int kvm_fd);
struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *sup, unsigned int id,
				  unsigned int nr_vcpus);

#endif
