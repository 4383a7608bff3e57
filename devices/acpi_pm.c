// SPDX-License-Identifier: GPL-2.0
/*
 * The ACPI PM1 register block (fixed hardware, ACPI spec 4.8.3), in one
 * 12-byte I/O region:
 *   0x600  PM1a_STS  (2)  write 1 to clear
 *   0x602  PM1a_EN   (2)
 *   0x604  PM1a_CNT  (2)  SCI_EN, SLP_TYP, SLP_EN
 *   0x608  PM_TMR    (4)  24-bit counter at 3.579545 MHz
 * Accesses of any width are split into bytes, so a 32-bit access to
 * PM1a_STS also reaches PM1a_EN, as the spec's register grouping allows.
 *
 * The SCI (IRQ 9, level-triggered, described so in the MADT) is high
 * while any enabled status bit is set. Writing SLP_TYP = S5 with SLP_EN
 * powers the machine off. There is no SMI_CMD: the machine is always in
 * ACPI mode and SCI_EN reads as set.
 *
 * The PM timer is derived from CLOCK_MONOTONIC on each read. TMR_STS
 * (bit 23 of the counter toggled) is computed when PM1a_STS is read; no
 * interrupt is generated for it (TMR_EN), which Linux does not use.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "bios/tables.h"
#include "config/status.h"
#include "cpu/vm.h"
#include "devices/acpi_pm.h"
#include "devices/device.h"
#include "mmio/bus.h"

#define PM_BASE	      0x600
#define PM_LEN	      12
#define PM1_STS_OFF   0x0
#define PM1_EN_OFF    0x2
#define PM1_CNT_OFF   0x4
#define PM_TMR_OFF    0x8
#define PM_SCI_IRQ    9
#define PM_S5_SLP_TYP 5

/* PM1 status / enable bits (the enable bit sits at the same position). */
#define ACPI_PM1_TMR	 (1u << 0)
#define ACPI_PM1_BM_STS	 (1u << 4)
#define ACPI_PM1_GBL	 (1u << 5)
#define ACPI_PM1_PWRBTN	 (1u << 8)
#define ACPI_PM1_SLPBTN	 (1u << 9)
#define ACPI_PM1_RTC	 (1u << 10)
#define ACPI_PM1_WAK_STS (1u << 15)
#define ACPI_PM1_EN_MASK \
	(ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | ACPI_PM1_RTC)

/* PM1 control. */
#define ACPI_PM1_SCI_EN	       (1u << 0)
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK  (7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN	       (1u << 13) /* write-only, reads 0 */
#define ACPI_PM1_CNT_MASK      (ACPI_PM1_SCI_EN | (1u << 1) | (1u << 2) | ACPI_PM1_SLP_TYP_MASK)

#define PM_TMR_HZ	  3579545ULL
#define PM_TMR_MASK	  0xffffff
#define PM_TMR_TOGGLE_BIT 23

struct acpi_pm {
	pthread_mutex_t lock;
	struct vm *vm;
	struct bus_region *region;
	uint16_t sts, en, cnt;
	uint64_t tmr_epoch; /* counter >> 23 when TMR_STS was last computed */
	bool sci;
};

static struct acpi_pm pm;

static uint64_t pm_ticks(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * PM_TMR_HZ + ts.tv_nsec * PM_TMR_HZ / 1000000000ULL;
}

static void pm_update_sci(struct acpi_pm *p)
{
	bool level = (p->sts & p->en & ACPI_PM1_EN_MASK) != 0;

	if (level != p->sci) {
		p->sci = level;
		vm_irq_line(p->vm, PM_SCI_IRQ, level);
	}
}

/* TMR_STS: set each time the counter's bit 23 toggles. */
static void pm_collect_tmr(struct acpi_pm *p)
{
	uint64_t epoch = pm_ticks() >> PM_TMR_TOGGLE_BIT;

	if (epoch != p->tmr_epoch) {
		p->sts |= ACPI_PM1_TMR;
		p->tmr_epoch = epoch;
	}
}

static uint8_t pm_read_byte(struct acpi_pm *p, unsigned int off)
{
	unsigned int shift = 8 * (off & 1);

	switch (off & ~1u) {
	case PM1_STS_OFF:
		if (!shift)
			pm_collect_tmr(p);
		return p->sts >> shift;
	case PM1_EN_OFF: return p->en >> shift;
	case PM1_CNT_OFF: return p->cnt >> shift;
	default: return 0;
	}
}

static void pm_cnt_write(struct acpi_pm *p, uint16_t v)
{
	unsigned int slp_typ = (v & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT;

	/* SCI_EN stays set: there is no legacy mode to go back to. */
	p->cnt = (v & ACPI_PM1_CNT_MASK) | ACPI_PM1_SCI_EN;
	if ((v & ACPI_PM1_SLP_EN) && slp_typ == PM_S5_SLP_TYP)
		vm_request_exit(p->vm, VMM_EXIT_POWEROFF, NULL);
	/* Other sleep states are not offered in the DSDT: ignored. */
}

static void pm_write_byte(struct acpi_pm *p, unsigned int off, uint8_t v)
{
	unsigned int shift = 8 * (off & 1);
	uint16_t mask = 0xff << shift, val = v << shift;

	switch (off & ~1u) {
	case PM1_STS_OFF:
		p->sts &= ~(val & mask); /* write 1 to clear */
		break;
	case PM1_EN_OFF: p->en = ((p->en & ~mask) | val) & ACPI_PM1_EN_MASK; break;
	case PM1_CNT_OFF: pm_cnt_write(p, (p->cnt & ~mask) | val); break;
	default: /* PM_TMR is read-only */ break;
	}
}

static uint64_t pm_read(void *opaque, uint64_t off, unsigned int len)
{
	struct acpi_pm *p = opaque;
	uint64_t val = 0;

	/* The timer alone needs no lock, and is what a guest reads most. */
	if (off == PM_TMR_OFF && len == 4)
		return pm_ticks() & PM_TMR_MASK;

	pthread_mutex_lock(&p->lock);
	for (unsigned int i = 0; i < len && off + i < PM_LEN; i++) {
		unsigned int o = off + i;
		uint8_t b;

		if (o >= PM_TMR_OFF)
			b = (pm_ticks() & PM_TMR_MASK) >> (8 * (o - PM_TMR_OFF));
		else
			b = pm_read_byte(p, o);
		val |= (uint64_t)b << (8 * i);
	}
	pthread_mutex_unlock(&p->lock);
	return val;
}

static void pm_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct acpi_pm *p = opaque;

	pthread_mutex_lock(&p->lock);
	for (unsigned int i = 0; i < len && off + i < PM_LEN; i++)
		pm_write_byte(p, off + i, val >> (8 * i));
	pm_update_sci(p);
	pthread_mutex_unlock(&p->lock);
}

static const struct bus_ops pm_ops = {
	.read = pm_read,
	.write = pm_write,
};

void acpi_pm_power_button(void)
{
	struct acpi_pm *p = &pm;

	if (!p->vm)
		return;
	pthread_mutex_lock(&p->lock);
	p->sts |= ACPI_PM1_PWRBTN;
	pm_update_sci(p);
	pthread_mutex_unlock(&p->lock);
}

static void pm_power_on(struct acpi_pm *p)
{
	p->sts = p->en = 0;
	p->cnt = ACPI_PM1_SCI_EN;
	p->tmr_epoch = pm_ticks() >> PM_TMR_TOGGLE_BIT;
}

static void pm_reset(struct vm *vm)
{
	struct acpi_pm *p = &pm;

	pthread_mutex_lock(&p->lock);
	pm_power_on(p);
	pm_update_sci(p);
	pthread_mutex_unlock(&p->lock);
}

static void pm_shutdown(struct vm *vm)
{
	bus_unregister(pm.region);
	pm.region = NULL;
	pm.vm = NULL;
}

static int pm_init(struct vm *vm)
{
	struct platform_info *pi = &vm->platform;
	struct acpi_pm *p = &pm;

	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->vm = vm;
	pm_power_on(p);
	p->region = bus_register(BUS_PIO, PM_BASE, PM_LEN, &pm_ops, p, "acpi-pm");
	if (!p->region) {
		p->vm = NULL;
		return -EBUSY;
	}
	pi->pm1a_evt_blk = PM_BASE + PM1_STS_OFF;
	pi->pm1a_cnt_blk = PM_BASE + PM1_CNT_OFF;
	pi->pm_tmr_blk = PM_BASE + PM_TMR_OFF;
	pi->sci_irq = PM_SCI_IRQ;
	pi->s5_slp_typ = PM_S5_SLP_TYP;
	pi->level_irqs |= 1u << PM_SCI_IRQ;
	return 0;
}

struct device acpi_pm_device = {
	.name = "acpi-pm",
	.level = DEV_LEVEL_PLATFORM,
	.init = pm_init,
	.reset = pm_reset,
	.shutdown = pm_shutdown,
};
device_init(acpi_pm_device);
