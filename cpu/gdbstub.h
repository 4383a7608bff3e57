/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gdb stub's KVM side (--gdb): the socket on the I/O thread, all-stop
 * of the vCPUs, registers, memory through the page tables, breakpoints,
 * single step. The protocol itself is cpu/gdb_proto.c.
 */
#ifndef VMM_CPU_GDBSTUB_H
#define VMM_CPU_GDBSTUB_H

#include <stdbool.h>

struct vm;
struct vcpu;

/* Set when --gdb was given; the vCPU loop calls the hooks below only then. */
extern bool gdbstub_enabled;

/* Open the socket and watch it on the I/O thread (after ioloop_init). 0 or vmm status. */
int gdbstub_init(struct vm *vm);
/* vCPU thread, before each KVM_RUN: park while gdb holds the machine, apply debug state. */
void gdbstub_vcpu_before_run(struct vcpu *v);
/* vCPU thread, leaving its loop (the machine stops or resets). */
void gdbstub_vcpu_exit(struct vcpu *v);
/* vCPU thread: KVM_EXIT_DEBUG. */
void gdbstub_debug_exit(struct vcpu *v);
/* vCPU thread: an emulation failure; true when it was our int3 (a breakpoint stop). */
bool gdbstub_emulation_failure(struct vcpu *v);
/* vmm exits with @status (I/O thread stopped): tell a gdb that waits for a stop. */
void gdbstub_exit(int status);
/* Wake parked vCPUs (the machine is stopping). */
void gdbstub_wake(void);
/* Any thread: gdb holds the machine (stopped, or held by --gdb-wait); for a window title. */
bool gdbstub_paused(void);

#endif
