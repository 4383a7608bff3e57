// SPDX-License-Identifier: GPL-2.0
/*
 * Starting the other CPUs: INIT-SIPI-SIPI from ring 3 through the LAPIC's
 * ICR, to a trampoline below 1 MiB (trampoline.S) that takes each AP
 * through the 32-bit entry and head.S to kit_ap_start() at ring 3.
 */
#include "kit_priv.h"

#define LAPIC_ICR_LO  0x300
#define LAPIC_ICR_HI  0x310
#define ICR_BUSY      (1u << 12)
#define ICR_INIT      0x00004500 /* INIT, level assert */
#define ICR_SIPI      0x00004600 /* start-up, vector in bits 0-7 */
#define AP_TIMEOUT_US 1000000

extern const char kit_trampoline_start[], kit_trampoline_end[];

static kit_ap_fn ap_fn;
static int checked_in;

_Noreturn void kit_ap_start(int index)
{
	kit_cpu_init(index);
	kit_irq_init_cpu();
	if (ap_fn)
		ap_fn(index);
	__atomic_add_fetch(&checked_in, 1, __ATOMIC_RELEASE);
	kit_park();
}

static void send_ipi(uint32_t apic_id, uint32_t icr)
{
	uint64_t base = kit_lapic_base();
	int spins = 100000;

	mmio_write32(base + LAPIC_ICR_HI, apic_id << 24);
	mmio_write32(base + LAPIC_ICR_LO, icr);
	while ((mmio_read32(base + LAPIC_ICR_LO) & ICR_BUSY) && --spins)
		cpu_relax();
}

static int wait_aps(int expected, uint64_t us)
{
	uint64_t end = kit_now_us() + us;

	while (__atomic_load_n(&checked_in, __ATOMIC_ACQUIRE) < expected && kit_now_us() < end)
		cpu_relax();
	return __atomic_load_n(&checked_in, __ATOMIC_ACQUIRE);
}

int kit_start_aps(kit_ap_fn fn)
{
	uint32_t ids[KIT_MAX_CPUS], self;
	int n, i, expected = 0;

	kit_irq_init_cpu();
	self = kit_this_cpu()->apic_id;
	n = kit_cpu_apic_ids(ids, KIT_MAX_CPUS);
	ap_fn = fn;
	memcpy(kit_phys(KIT_TRAMPOLINE), kit_trampoline_start,
	       kit_trampoline_end - kit_trampoline_start);
	for (i = 0; i < n; i++) {
		if (ids[i] == self || ids[i] > 0xfe) /* xAPIC addressing */
			continue;
		send_ipi(ids[i], ICR_INIT);
		expected++;
	}
	if (!expected)
		return 0;
	kit_udelay(10000);
	/* Two SIPIs, as the MP specification says; a CPU that already left
	 * wait-for-SIPI ignores the second. */
	for (int round = 0; round < 2; round++) {
		for (i = 0; i < n; i++)
			if (ids[i] != self && ids[i] <= 0xfe)
				send_ipi(ids[i], ICR_SIPI | KIT_TRAMPOLINE >> 12);
		if (wait_aps(expected, round ? AP_TIMEOUT_US : 200) == expected)
			break;
	}
	return __atomic_load_n(&checked_in, __ATOMIC_ACQUIRE);
}
