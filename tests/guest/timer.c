// SPDX-License-Identifier: GPL-2.0
/*
 * Time from the TSC, calibrated once, on first use: from KVM's pvclock
 * where the hypervisor offers it (exact, no waiting), else against the
 * PIT's channel 2 (gate and output through port 0x61, as Linux does), else
 * the ACPI PM timer, else CPUID leaf 0x16. Polling a timer costs an exit
 * per read, so a 10 ms window is measured to within tens of microseconds.
 */
#include "kit_priv.h"

#define PIT_HZ	       1193182
#define PIT_CH2	       0x42
#define PIT_MODE       0x43
#define PIT_PORT_B     0x61
#define PORT_B_GATE2   0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2    0x20
#define PM_TIMER_HZ    3579545
#define CAL_MS	       10

#define KVM_CPUID_SIGNATURE	 0x40000000
#define KVM_CPUID_FEATURES	 0x40000001
#define KVM_FEATURE_CLOCKSOURCE	 (1u << 0)
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define MSR_KVM_SYSTEM_TIME	 0x12
#define MSR_KVM_SYSTEM_TIME_NEW	 0x4b564d01

/* struct pvclock_vcpu_time_info (not in the UAPI headers). */
struct pvclock {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((aligned(32)));

static struct pvclock pvclock;
static uint32_t pvclock_msr;
static uint64_t tsc_khz;
static uint64_t tsc_boot;

static long wrmsr_ring0(long val)
{
	asm volatile("wrmsr"
		     :
		     : "c"(pvclock_msr), "a"((uint32_t)val), "d"((uint32_t)((uint64_t)val >> 32)));
	return 0;
}

/* The pvclock's TSC -> ns scale gives the TSC frequency (as Linux does). */
static uint64_t kvmclock_khz(void)
{
	uint32_t r[4];
	uint64_t khz;

	kit_cpuid(KVM_CPUID_SIGNATURE, 0, r);
	if (r[0] < KVM_CPUID_FEATURES || memcmp(&r[1], "KVMKVMKVM\0\0\0", 12))
		return 0;
	kit_cpuid(KVM_CPUID_FEATURES, 0, r);
	if (r[0] & KVM_FEATURE_CLOCKSOURCE2)
		pvclock_msr = MSR_KVM_SYSTEM_TIME_NEW;
	else if (r[0] & KVM_FEATURE_CLOCKSOURCE)
		pvclock_msr = MSR_KVM_SYSTEM_TIME;
	else
		return 0;
	kit_ring0_call(wrmsr_ring0, (long)&pvclock | 1);
	kit_ring0_call(wrmsr_ring0, 0); /* one update is enough */
	if (!pvclock.tsc_to_system_mul)
		return 0;
	khz = (1000000ULL << 32) / pvclock.tsc_to_system_mul;
	return pvclock.tsc_shift < 0 ? khz << -pvclock.tsc_shift : khz >> pvclock.tsc_shift;
}

/* CPUID leaf 0x16: the base frequency in MHz, where the CPU reports it. */
static uint64_t cpuid_khz(void)
{
	uint32_t r[4];

	kit_cpuid(0, 0, r);
	if (r[0] < 0x16)
		return 0;
	kit_cpuid(0x16, 0, r);
	return (uint64_t)(r[0] & 0xffff) * 1000;
}

/* TSC cycles in CAL_MS ms of PIT channel 2 in mode 0; 0 if no PIT. */
static uint64_t cal_pit(void)
{
	uint32_t latch = PIT_HZ * CAL_MS / 1000;
	uint64_t t0, t1;
	uint8_t b = inb(PIT_PORT_B);
	long n;

	outb((b & ~PORT_B_SPEAKER) | PORT_B_GATE2, PIT_PORT_B);
	outb(0xb0, PIT_MODE); /* channel 2, lo/hi byte, mode 0 */
	outb(latch & 0xff, PIT_CH2);
	outb(latch >> 8, PIT_CH2);
	t0 = rdtsc();
	/* OUT2 is low while counting: if it already reads high, there is
	 * nothing there (all-ones) or it is not counting. */
	if (inb(PIT_PORT_B) & PORT_B_OUT2)
		return 0;
	for (n = 0; n < 10000000; n++)
		if (inb(PIT_PORT_B) & PORT_B_OUT2)
			break;
	t1 = rdtsc();
	outb(b, PIT_PORT_B);
	return n < 10000000 ? t1 - t0 : 0;
}

static uint32_t pm_read(uint32_t port)
{
	return inl(port) & 0xffffff; /* 24 bits is always safe */
}

static uint64_t cal_pm_timer(void)
{
	uint32_t port = kit_acpi_pm_timer();
	uint32_t ticks = PM_TIMER_HZ / 1000 * CAL_MS, start, now;
	uint64_t t0;
	long n;

	if (!port)
		return 0;
	start = pm_read(port);
	t0 = rdtsc();
	for (n = 0; n < 10000000; n++) {
		now = pm_read(port);
		if (((now - start) & 0xffffff) >= ticks)
			return rdtsc() - t0;
	}
	return 0;
}

/* kit_clock=pit|pm on the command line skips the clocks before it. */
static void calibrate(void)
{
	char want[8] = "";
	uint64_t cycles = 0;

	kit_cmdline_get("kit_clock", want, sizeof(want));
	if (!want[0])
		tsc_khz = kvmclock_khz();
	if (tsc_khz)
		return;
	if (strcmp(want, "pm"))
		cycles = cal_pit();
	if (!cycles)
		cycles = cal_pm_timer();
	tsc_khz = cycles / CAL_MS;
	if (!tsc_khz)
		tsc_khz = cpuid_khz();
	if (!tsc_khz) {
		kit_printf("kit: warning: no clock to calibrate the TSC; assuming 1 GHz\n");
		tsc_khz = 1000000;
	}
}

uint64_t kit_tsc_khz(void)
{
	if (!tsc_khz)
		calibrate();
	return tsc_khz;
}

uint64_t kit_now_us(void)
{
	uint64_t khz = kit_tsc_khz();
	uint64_t t = rdtsc() - tsc_boot;

	return t / khz * 1000 + t % khz * 1000 / khz;
}

void kit_udelay(uint64_t us)
{
	uint64_t khz = kit_tsc_khz();
	uint64_t end = rdtsc() + us / 1000 * khz + us % 1000 * khz / 1000;

	while ((int64_t)(rdtsc() - end) < 0)
		cpu_relax();
}

void kit_timer_boot(void)
{
	tsc_boot = rdtsc();
}
