// SPDX-License-Identifier: GPL-2.0
/*
 * The default CPU model: everything KVM_GET_SUPPORTED_CPUID offers (the
 * host CPU as far as KVM can virtualise it), with these changes:
 *  - leaf 1: the APIC ID is the vCPU index; the hypervisor bit is set so
 *    guests know they are virtualised; no MONITOR/MWAIT (KVM does not
 *    expose them by default, and a guest idling in MWAIT would spin);
 *    no VMX (we offer no nested virtualisation).
 *  - topology: one socket of N cores, one thread per core, in leaves 1, 4,
 *    0xB and 0x1F, so guests count the CPUs we created and no more.
 *  - leaf 0x8000_0001: no SVM, for the same reason as VMX.
 * The KVM paravirtual leaves 0x4000_0000.. come from KVM as they are.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "cpu/vcpu.h"

#define CPUID_1_ECX_MONITOR	(1u << 3)
#define CPUID_1_ECX_VMX		(1u << 5)
#define CPUID_1_ECX_HYPERVISOR	(1u << 31)
#define CPUID_1_EDX_HTT		(1u << 28)
#define CPUID_8000_0001_ECX_SVM (1u << 2)
#define TOPO_LEVEL_SMT		1
#define TOPO_LEVEL_CORE		2

struct kvm_cpuid2 *cpuid_supported(int kvm_fd)
{
	for (unsigned int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

static unsigned int order_of(unsigned int n)
{
	unsigned int s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

static void topo_leaf(struct kvm_cpuid_entry2 *e, unsigned int id, unsigned int nr)
{
	/* ECX[15:8] level type; EAX shift to the next level; EBX CPUs at level. */
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (TOPO_LEVEL_SMT << 8) | e->index;
		break;
	case 1:
		e->eax = order_of(nr);
		e->ebx = nr;
		e->ecx = (TOPO_LEVEL_CORE << 8) | e->index;
		break;
	default:
		e->eax = 0;
		e->ebx = 0;
		e->ecx = e->index;
		break;
	}
	e->edx = id;
}

struct kvm_cpuid2 *cpuid_for_vcpu(const struct kvm_cpuid2 *sup, unsigned int id,
				  unsigned int nr_vcpus)
{
	size_t sz = sizeof(*sup) + sup->nent * sizeof(sup->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);

	if (!c)
		return NULL;
	memcpy(c, sup, sz);
	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x0000ffff) | (id << 24) |
				 ((nr_vcpus > 255 ? 255 : nr_vcpus) << 16);
			e->ecx &= ~(CPUID_1_ECX_MONITOR | CPUID_1_ECX_VMX);
			e->ecx |= CPUID_1_ECX_HYPERVISOR;
			if (nr_vcpus > 1)
				e->edx |= CPUID_1_EDX_HTT;
			else
				e->edx &= ~CPUID_1_EDX_HTT;
			break;
		case 4:
			/* EAX[31:26] cores per package - 1; [25:14] sharing the cache - 1. */
			e->eax &= 0x3fff;
			if (e->eax & 0x1f) {
				unsigned int level = (e->eax >> 5) & 7;

				e->eax |= (nr_vcpus - 1) << 26;
				if (level >= 3)
					e->eax |= (nr_vcpus - 1) << 14;
			}
			break;
		case 0xb:
		case 0x1f: topo_leaf(e, id, nr_vcpus); break;
		case 0x80000001: e->ecx &= ~CPUID_8000_0001_ECX_SVM; break;
		}
	}
	return c;
}
