/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest test kit: what a test program (tests/guest/tests/NAME.c) may
 * use. The kit boots, sets up ring 0 and calls kit_main() at ring 3 on the
 * boot CPU, with every I/O port and every page of the first 4 GiB (RAM,
 * LAPIC, IOAPIC, PCI MMIO) directly usable. When kit_main() returns, the
 * kit exits through the debug-exit port with 0 (status 1).
 *
 * cli, sti and hlt work at ring 3 too: ring 0 emulates them when they
 * fault (hlt always does; cli/sti where the host ignores IOPL 3).
 *
 * Output goes to COM1 (0x3f8). Lines the integration tests look for start
 * with "KIT: ".
 */
#ifndef KIT_H
#define KIT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <asm/bootparam.h>

#include "kit_defs.h"

/* The test. Runs at ring 3 on the boot CPU. */
void kit_main(void);

/* Port I/O, Linux argument order: value first. */
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint8_t v, uint16_t port)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

/* CMOS RAM through the RTC's index/data ports (0x70/0x71): boot counters etc. */
static inline uint8_t cmos_read(uint8_t reg)
{
	outb(reg, 0x70);
	return inb(0x71);
}

static inline void cmos_write(uint8_t reg, uint8_t v)
{
	outb(reg, 0x70);
	outb(v, 0x71);
}

static inline void outw(uint16_t v, uint16_t port)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint32_t v, uint16_t port)
{
	asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/*
 * A pointer to physical (= virtual) address @addr. The empty asm hides the
 * constant from gcc, which otherwise takes low addresses for null + offset.
 */
static inline void *kit_phys(uint64_t addr)
{
	asm("" : "+r"(addr));
	return (void *)addr;
}

/* MMIO: one access of exactly the given width (volatile, no tearing). */
#define KIT_MMIO_ACCESSORS(bits)                                             \
	static inline uint##bits##_t mmio_read##bits(uint64_t addr)          \
	{                                                                    \
		return *(volatile uint##bits##_t *)addr;                     \
	}                                                                    \
	static inline void mmio_write##bits(uint64_t addr, uint##bits##_t v) \
	{                                                                    \
		*(volatile uint##bits##_t *)addr = v;                        \
	}
KIT_MMIO_ACCESSORS(8)
KIT_MMIO_ACCESSORS(16)
KIT_MMIO_ACCESSORS(32)
KIT_MMIO_ACCESSORS(64)
#undef KIT_MMIO_ACCESSORS

/* Interrupts on/off for this CPU (exits where emulated: see above). */
static inline void kit_cli(void)
{
	asm volatile("cli" : : : "memory");
}

static inline void kit_sti(void)
{
	asm volatile("sti" : : : "memory");
}

static inline void cpu_relax(void)
{
	asm volatile("pause" : : : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline void kit_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile("cpuid"
		     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
		     : "a"(leaf), "c"(sub));
}

/* Output on COM1 (polled; safe from any CPU, lines are not interleaved). */
void kit_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kit_vprintf(const char *fmt, va_list ap);
/* %d %i %u %x %X %p %s %c %%, flags '0' '-', width, l/ll/z/h modifiers. */
int kit_snprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kit_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
void kit_putc(char c); /* one byte, as is ('\n' is not expanded) */

/*
 * Leave through the debug-exit port (0xf4): vmm and QEMU's isa-debug-exit
 * then exit with status (code << 1) | 1. Codes above 127 wrap in an exit
 * status. If nothing decodes the port, the CPU stops (a timeout ends it).
 */
_Noreturn void kit_exit(unsigned int code);
/* ACPI S5 power-off (vmm and QEMU then exit 0). Returns only on failure. */
void kit_poweroff(void);
/* Print "KIT: FAIL ..." and exit with KIT_EXIT_FAIL. */
_Noreturn void kit_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The boot command line (copied at boot; at most KIT_CMDLINE_MAX - 1 bytes). */
#define KIT_CMDLINE_MAX 4096
const char *kit_cmdline(void);
/* Copy the value of "key=value" into @buf (NUL-terminated). Length or -1. */
int kit_cmdline_get(const char *key, char *buf, size_t n);
/* The value of "key=N" (decimal or 0x hex), or @def if absent or bad. */
long kit_cmdline_long(const char *key, long def);
/* A copy of the loader's boot_params (the zero page). */
const struct boot_params *kit_boot_params(void);

/*
 * Interrupts. They are off until the first use of this API, which
 * reprograms and masks the 8259s, enables this CPU's LAPIC and turns them
 * on (kit_sti()). An interrupt only marks its vector pending (at ring 0);
 * handlers run at ring 3 from kit_halt() or kit_irq_poll(), highest vector
 * first, each followed by the LAPIC EOI. An edge interrupt that recurs
 * before its handler ran is seen once.
 */
typedef void (*kit_irq_fn)(int vector);
void kit_irq_handler(int vector, kit_irq_fn fn);
/*
 * Route ISA IRQ @irq to @vector on this CPU through the IOAPIC (MADT
 * interrupt source overrides honoured; without a MADT, IRQ 0 -> GSI 2,
 * else IRQ n -> GSI n). 0 or -1.
 */
int kit_ioapic_route(int irq, int vector);
/* Both of the above with vector KIT_ISA_VECTOR + irq. Returns the vector. */
int kit_isa_irq(int irq, kit_irq_fn fn);
/*
 * Wait for an interrupt (unless one is already pending), then run the
 * pending handlers. Interrupts must be on.
 */
void kit_halt(void);
/* Run pending handlers now. */
void kit_irq_poll(void);
void kit_lapic_eoi(void);
uint32_t kit_lapic_id(void);
uint64_t kit_lapic_base(void);

/*
 * Time: the TSC, calibrated on first use: KVM's pvclock, else PIT channel
 * 2, else the ACPI PM timer (kit_clock=pit or kit_clock=pm on the command
 * line skips the ones before).
 */
uint64_t kit_tsc_khz(void);
uint64_t kit_now_us(void);    /* since boot */
void kit_udelay(uint64_t us); /* spins at ring 3 */

/* ACPI tables (checksums verified). */
struct kit_acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __attribute__((packed));

const struct kit_acpi_header *kit_acpi_find(const char *sig);

/* CPUs. */
int kit_cpu_count(void); /* enabled CPUs in the MADT (1 without) */
/* APIC IDs of the enabled CPUs in MADT order; returns how many (<= max). */
int kit_cpu_apic_ids(uint32_t *ids, int max);
int kit_cpu_index(void); /* the kit's number for this CPU, BSP 0 */
typedef void (*kit_ap_fn)(int cpu);
/*
 * Start every other CPU of the MADT (INIT-SIPI-SIPI), once: each runs @fn
 * at ring 3, checks in and parks. Returns how many checked in within a
 * second.
 */
int kit_start_aps(kit_ap_fn fn);

/*
 * Run fn(arg) at ring 0 and return its result: a ud2 that the #UD handler
 * recognises. Slow where ring 0 is emulated.
 */
long kit_ring0_call(long (*fn)(long), long arg);

/* Freestanding string functions (gcc may emit calls to the first four). */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
long kit_strtol(const char *s, const char **end);

#endif
