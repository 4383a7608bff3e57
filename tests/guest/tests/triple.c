// SPDX-License-Identifier: GPL-2.0
/*
 * Triple fault on purpose: load an empty IDT at ring 0, then raise an
 * exception. With no IDT the #GP becomes a #DF, then a shutdown: vmm must
 * report a guest crash (status 8) with a register dump.
 */
#include "kit.h"

static long crash(long arg)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idt = { 0, 0 };

	__asm__ volatile("lidt %0; ud2" : : "m"(idt));
	return arg;
}

void kit_main(void)
{
	kit_printf("KIT: triple faulting\n");
	kit_ring0_call(crash, 0);
	kit_fail("survived a triple fault");
}
