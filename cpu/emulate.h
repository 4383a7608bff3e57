/* SPDX-License-Identifier: GPL-2.0 */
/* Completing what KVM's emulator refused, through emul/ (cpu/emulate.c). */
#ifndef VMM_CPU_EMULATE_H
#define VMM_CPU_EMULATE_H

#include <stdio.h>

struct vcpu;

enum emulate_result {
	EMULATE_DONE,	   /* executed, or its exception injected: run on */
	EMULATE_UNHANDLED, /* not an instruction emul/ completes: a guest crash */
	EMULATE_ERROR,	   /* a KVM ioctl failed */
};

/* On KVM_EXIT_INTERNAL_ERROR: try to complete the instruction. */
enum emulate_result vcpu_emulate(struct vcpu *v);
/* How often each instruction was completed, for --stats. */
void emulate_print_stats(FILE *f);

#endif
