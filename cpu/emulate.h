/* SPDX-License-Identifier: GPL-2.0 */
/* Completing what KVM's emulator refused, through emul/ (cpu/emulate.c). */
#ifndef VMM_CPU_EMULATE_H
#define VMM_CPU_EMULATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vcpu;

enum emulate_result {
	EMULATE_DONE,	   /* executed, or its exception injected: run on */
	EMULATE_UNHANDLED, /* not an instruction emul/ completes: a guest crash */
	EMULATE_ERROR,	   /* a KVM ioctl failed */
};

/* On KVM_EXIT_INTERNAL_ERROR: try to complete the instruction. */
enum emulate_result vcpu_emulate(struct vcpu *v);
/* Guest-virtual memory through the vCPU's page tables (a CPL 0 access). */
struct kvm_sregs;
int vcpu_virt_to_phys(struct vcpu *v, const struct kvm_sregs *s, uint64_t va, uint64_t *gpa);
int vcpu_read_virt(struct vcpu *v, const struct kvm_sregs *s, uint64_t va, void *buf, size_t len);
/* How often each instruction was completed, for --stats. */
void emulate_print_stats(FILE *f);

#endif
