/* SPDX-License-Identifier: GPL-2.0 */
/* Completing SYSCALL where the host's KVM leaves it at CPL 3 (cpu/syscall.c). */
#ifndef VMM_CPU_SYSCALL_H
#define VMM_CPU_SYSCALL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vcpu;

/* Keep the hook on the guest's #PF entry in place (at most every 100 ms). */
void syscall_fix_check(struct vcpu *v);
/*
 * On an emulation failure: is it the hook's int3? 1 handled (a SYSCALL
 * completed, or a real #PF sent on), 0 not ours, -1 a KVM ioctl failed.
 */
int syscall_fix_hit(struct vcpu *v, const uint8_t *bytes, size_t len);
uint64_t syscall_fix_count(void);
bool syscall_fix_armed(void);

#endif
