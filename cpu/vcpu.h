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

/* How the BSP enters the kernel. */
enum boot_mode {
	BOOT_LONG64, /* bzImage 64-bit entry: long mode on an identity map, RSI = boot_params */
	BOOT_PVH32,  /* PVH: 32-bit protected mode, paging off, EBX = hvm_start_info */
};

/* Where the boot loader wants the BSP to start. */
struct boot_entry {
	enum boot_mode mode;
	uint64_t rip;
	uint64_t rsi; /* struct boot_params (BOOT_LONG64) */
	uint64_t rbx; /* struct hvm_start_info (BOOT_PVH32) */
	uint64_t rsp;
	uint64_t cr3; /* identity-mapping page tables (BOOT_LONG64) */
	uint64_t gdt; /* GDT with code at 0x10, data at 0x18, TSS at 0x20 */
	uint16_t gdt_limit;
};

struct vcpu *vcpu_create(struct vm *vm, unsigned int id);
/* CPUID for this vCPU: the default model (see cpu/cpuid.c). */
int vcpu_set_cpuid(struct vcpu *v);
/* A flat 4 GiB segment at @dpl: code (64-bit if @long_mode, else 32-bit) or data. */
void vcpu_flat_seg(struct kvm_segment *s, uint16_t sel, bool code, bool long_mode, uint8_t dpl);
/* Registers, segments and MSRs for entering a kernel (struct boot_entry). */
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
