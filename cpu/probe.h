/* SPDX-License-Identifier: GPL-2.0 */
/* Which instructions this host's KVM refuses at guest ring 0 (cpu/probe.c). */
#ifndef VMM_CPU_PROBE_H
#define VMM_CPU_PROBE_H

#include <stddef.h>

#include <stdbool.h>

struct kvm_cpuid2;

struct cpu_probe {
	int count;
	char hidden[512];	 /* hidden features, Linux's names, space-separated */
	bool ring0_emulated;	 /* KVM's emulator ran (and refused) code at CPL 0 */
	bool cpuid_ignored;	 /* the guest's CPUID instruction does not see our table */
	bool syscall_stays_cpl3; /* SYSCALL from CPL 3 jumps to LSTAR but stays at CPL 3 */
	bool int3_exits;	 /* int3 at CPL 0 comes to vmm as an emulation failure */
	char linux_args[512];	 /* then: "clearcpuid=... noxsave" for Linux guests */
};

/*
 * In a throw-away VM, see what CPUID the guest gets and run each candidate
 * instruction; clear from @cpuid the features (and their dependants) KVM
 * cannot virtualise or run. Returns how many were hidden, or -errno when
 * the probe VM could not be made (nothing hidden).
 */
int cpu_probe_hide(int kvm_fd, struct kvm_cpuid2 *cpuid, struct cpu_probe *out);

#endif
