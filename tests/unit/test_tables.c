// SPDX-License-Identifier: GPL-2.0
/*
 * Boot tables: e820, MP table, ACPI and the AML writer, built against real
 * guest memory and read back the way a guest would.
 *
 * VMM_TABLES_DUMP=DIR writes the ACPI tables of an 8-vCPU guest to DIR
 * (dsdt.dat, facp.dat, ...) for `iasl -d`.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <asm/e820.h>

#include "bios/acpi.h"
#include "bios/aml.h"
#include "bios/layout.h"
#include "bios/mptable.h"
#include "bios/tables.h"
#include "cpu/vm.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* ------------------------------------------------------------------ */
/* A machine as vmm would create it                                    */

static void add_isa(struct vm *vm, const char *name, const char *hid, uint32_t uid, uint16_t io0,
		    uint8_t len0, uint16_t io1, uint8_t len1, int irq)
{
	struct isa_dev_desc d = { .uid = uid };

	strcpy(d.name, name);
	strcpy(d.hid, hid);
	d.io[0].base = io0;
	d.io[0].len = len0;
	d.io[1].base = io1;
	d.io[1].len = len1;
	d.irq_mask = irq >= 0 ? 1u << irq : 0;
	assert_int_equal(platform_add_isa_dev(&vm->platform, &d), 0);
}

static void vm_setup(struct vm *vm, uint64_t mem, unsigned int nr_vcpus)
{
	memset(vm, 0, sizeof(*vm));
	assert_int_equal(mem_init(&vm->mem, mem), 0);
	vm->nr_vcpus = nr_vcpus;
	/* What devices/acpi_pm.c and the i8042 fill in. */
	vm->platform.pm1a_evt_blk = 0x600;
	vm->platform.pm1a_cnt_blk = 0x604;
	vm->platform.pm_tmr_blk = 0x608;
	vm->platform.sci_irq = 9;
	vm->platform.s5_slp_typ = 5;
	vm->platform.reset_port = 0x64;
	vm->platform.reset_value = 0xfe;
	vm->platform.level_irqs = 1u << 9;
	/* And what the UARTs, the i8042 and the RTC register. */
	add_isa(vm, "COM1", "PNP0501", 1, 0x3f8, 8, 0, 0, 4);
	add_isa(vm, "COM2", "PNP0501", 2, 0x2f8, 8, 0, 0, 3);
	add_isa(vm, "COM3", "PNP0501", 3, 0x3e8, 8, 0, 0, 4);
	add_isa(vm, "COM4", "PNP0501", 4, 0x2e8, 8, 0, 0, 3);
	add_isa(vm, "KBD", "PNP0303", 0, 0x60, 1, 0x64, 1, 1);
	add_isa(vm, "MOU", "PNP0F13", 0, 0, 0, 0, 0, 12);
	add_isa(vm, "RTC", "PNP0B00", 0, 0x70, 2, 0, 0, 8);
}

static void vm_teardown(struct vm *vm)
{
	mem_free(&vm->mem);
}

static uint8_t sum8(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

static void *guest(struct vm *vm, uint64_t gpa, uint64_t len)
{
	void *p = mem_ptr(&vm->mem, gpa, len);

	assert_non_null(p);
	return p;
}

static const void *find_bytes(const void *hay, size_t n, const void *needle, size_t m)
{
	return memmem(hay, n, needle, m);
}

/* ------------------------------------------------------------------ */
/* e820                                                                */

static const struct boot_e820_entry *find_e820(const struct boot_e820_entry *t, int n,
					       uint64_t addr)
{
	for (int i = 0; i < n; i++) {
		if (t[i].addr == addr)
			return &t[i];
	}
	return NULL;
}

static void check_e820(uint64_t mem)
{
	struct boot_e820_entry t[E820_MAX_ENTRIES_ZEROPAGE];
	const struct boot_e820_entry *e;
	uint64_t ram = 0;
	struct vm vm;
	int n, i;

	vm_setup(&vm, mem, 1);
	n = e820_build(&vm, t, E820_MAX_ENTRIES_ZEROPAGE);
	assert_true(n > 0);
	for (i = 0; i < n; i++) {
		assert_true(t[i].size > 0);
		assert_true(t[i].type == E820_RAM || t[i].type == E820_RESERVED);
		if (i) /* sorted and non-overlapping */
			assert_true(t[i - 1].addr + t[i - 1].size <= t[i].addr);
		if (t[i].type == E820_RAM) {
			/* RAM entries are RAM, all of it... */
			assert_true(mem_valid(&vm.mem, t[i].addr, t[i].size));
			ram += t[i].size;
		}
	}
	/* ...and cover all of it but the EBDA and the legacy hole. */
	assert_int_equal(ram, mem - (LAYOUT_KERNEL - LAYOUT_EBDA));

	e = find_e820(t, n, 0);
	assert_non_null(e);
	assert_int_equal(e->size, LAYOUT_EBDA);
	assert_int_equal(e->type, E820_RAM);
	e = find_e820(t, n, LAYOUT_EBDA);
	assert_non_null(e);
	assert_int_equal(e->size, LAYOUT_EBDA_SIZE);
	assert_int_equal(e->type, E820_RESERVED);
	e = find_e820(t, n, LAYOUT_BIOS);
	assert_non_null(e);
	assert_int_equal(e->addr + e->size, LAYOUT_KERNEL);
	assert_int_equal(e->type, E820_RESERVED);
	e = find_e820(t, n, LAYOUT_KERNEL);
	assert_non_null(e);
	assert_int_equal(e->addr + e->size, mem_low_end(&vm.mem));
	assert_int_equal(e->type, E820_RAM);
	e = find_e820(t, n, LAYOUT_IDENT_MAP);
	assert_non_null(e);
	assert_int_equal(e->addr + e->size, LAYOUT_RESERVED_TOP);
	assert_int_equal(e->type, E820_RESERVED);
	e = find_e820(t, n, MEM_4G);
	if (mem > MEM_PCI_HOLE_START) {
		assert_non_null(e);
		assert_int_equal(e->size, mem - MEM_PCI_HOLE_START);
		assert_int_equal(e->type, E820_RAM);
		assert_ptr_equal(e, &t[n - 1]);
		assert_int_equal(n, 6);
	} else {
		assert_null(e);
		assert_int_equal(n, 5);
	}
	assert_int_equal(e820_build(&vm, t, n - 1), -ENOSPC);
	vm_teardown(&vm);
}

static void test_e820_64m(void **state)
{
	check_e820(64 * MiB);
}

static void test_e820_3g(void **state)
{
	check_e820(3 * GiB);
}

static void test_e820_5g(void **state)
{
	check_e820(5 * GiB);
}

/* ------------------------------------------------------------------ */
/* MP table                                                            */

static void test_mptable(void **state)
{
	unsigned int nr = (uintptr_t)*state;
	unsigned int cpus = 0, buses = 0, ioapics = 0, ints = 0, lints = 0, i;
	const struct mpf_intel *mpf;
	const struct mpc_table *mpc;
	const uint8_t *p, *end;
	struct vm vm;

	vm_setup(&vm, 64 * MiB, nr);
	assert_int_equal(mptable_build(&vm, LAYOUT_MPTABLE, LAYOUT_MPTABLE_SIZE), 0);

	mpf = guest(&vm, LAYOUT_MPTABLE, sizeof(*mpf));
	assert_memory_equal(mpf->signature, "_MP_", 4);
	assert_int_equal(sum8(mpf, sizeof(*mpf)), 0);
	assert_int_equal(mpf->length, 1);
	assert_int_equal(mpf->spec_rev, 4);
	assert_int_equal(mpf->feature1, 0);

	mpc = guest(&vm, mpf->physptr, sizeof(*mpc));
	assert_memory_equal(mpc->signature, "PCMP", 4);
	assert_int_equal(mpf->physptr, LAYOUT_MPTABLE + sizeof(*mpf));
	assert_true(mpf->physptr + mpc->length <= LAYOUT_MPTABLE + LAYOUT_MPTABLE_SIZE);
	mpc = guest(&vm, mpf->physptr, mpc->length);
	assert_int_equal(sum8(mpc, mpc->length), 0);
	assert_int_equal(mpc->spec_rev, 4);
	assert_int_equal(mpc->lapic, LAPIC_ADDR);

	p = (const uint8_t *)(mpc + 1);
	end = (const uint8_t *)mpc + mpc->length;
	for (i = 0; i < mpc->count; i++) {
		const struct mpc_cpu *c = (const void *)p;
		const struct mpc_ioapic *io = (const void *)p;
		const struct mpc_intsrc *is = (const void *)p;

		assert_true(p < end);
		switch (*p) {
		case MP_PROCESSOR:
			assert_int_equal(c->apicid, cpus);
			assert_int_equal(c->cpuflag, CPU_ENABLED | (cpus ? 0 : CPU_BOOTPROCESSOR));
			cpus++;
			p += sizeof(*c);
			break;
		case MP_BUS:
			assert_memory_equal(((const struct mpc_bus *)p)->bustype, "ISA   ", 6);
			buses++;
			p += sizeof(struct mpc_bus);
			break;
		case MP_IOAPIC:
			assert_int_equal(io->apicid, nr);
			assert_int_equal(io->apicaddr, IOAPIC_ADDR);
			assert_int_equal(io->flags, MPC_APIC_USABLE);
			ioapics++;
			p += sizeof(*io);
			break;
		case MP_INTSRC:
			assert_int_equal(is->irqtype, MP_INT);
			assert_int_equal(is->dstapic, nr);
			assert_int_not_equal(is->srcbusirq, 2); /* the cascade */
			if (is->srcbusirq == 0)
				assert_int_equal(is->dstirq, 2);
			else
				assert_int_equal(is->dstirq, is->srcbusirq);
			/* The SCI is level, active high; the rest are ISA. */
			assert_int_equal(
				is->irqflag,
				is->srcbusirq == 9 ? MP_IRQTRIG_LEVEL | MP_IRQPOL_ACTIVE_HIGH : 0);
			ints++;
			p += sizeof(*is);
			break;
		case MP_LINTSRC:
			assert_int_equal(is->dstirq, lints);
			assert_int_equal(is->irqtype, lints ? MP_NMI : MP_EXTINT);
			assert_int_equal(is->dstapic, MP_APIC_ALL);
			lints++;
			p += sizeof(*is);
			break;
		default: fail_msg("unknown MP entry type %u", *p);
		}
	}
	assert_ptr_equal(p, end);
	assert_int_equal(cpus, nr);
	assert_int_equal(buses, 1);
	assert_int_equal(ioapics, 1);
	assert_int_equal(ints, 15);
	assert_int_equal(lints, 2);
	vm_teardown(&vm);
}

static void test_mptable_errors(void **state)
{
	struct vm vm;
	uint8_t *p;

	vm_setup(&vm, 64 * MiB, 2);
	p = guest(&vm, LAYOUT_EBDA, LAYOUT_EBDA_SIZE);
	assert_int_equal(mptable_build(&vm, LAYOUT_EBDA, 64), -ENOSPC);
	assert_int_equal(mptable_build(&vm, LAYOUT_EBDA + 4, 512), -EINVAL);
	/* Nothing written on failure. */
	for (size_t i = 0; i < LAYOUT_EBDA_SIZE; i++)
		assert_int_equal(p[i], 0);
	/* 1 KiB holds 40 vCPUs; the F segment holds the most APIC IDs allow. */
	vm.nr_vcpus = 40;
	assert_int_equal(mptable_build(&vm, LAYOUT_EBDA, LAYOUT_EBDA_SIZE), 0);
	vm.nr_vcpus = 41;
	assert_int_equal(mptable_build(&vm, LAYOUT_EBDA, LAYOUT_EBDA_SIZE), -ENOSPC);
	vm.nr_vcpus = 254;
	assert_int_equal(mptable_build(&vm, LAYOUT_MPTABLE, LAYOUT_MPTABLE_SIZE), 0);
	vm.nr_vcpus = 255;
	assert_int_equal(mptable_build(&vm, LAYOUT_MPTABLE, LAYOUT_MPTABLE_SIZE), -EINVAL);
	/* It must stay below 1 MiB, where guests scan for it. */
	vm.nr_vcpus = 2;
	assert_int_equal(mptable_build(&vm, LAYOUT_KERNEL, 0x1000), -EINVAL);
	vm_teardown(&vm);
}

/* ------------------------------------------------------------------ */
/* ACPI                                                                */

struct acpi_view {
	const struct acpi_rsdp *rsdp;
	const struct acpi_table_header *rsdt, *xsdt, *dsdt;
	const struct acpi_fadt *fadt;
	const struct acpi_madt *madt;
	const struct acpi_facs *facs;
};

/* A table at @gpa inside the BIOS area, its checksum checked. */
static const void *acpi_table(struct vm *vm, uint64_t gpa, const char *sig)
{
	const struct acpi_table_header *h = guest(vm, gpa, sizeof(*h));

	assert_memory_equal(h->signature, sig, 4);
	assert_true(gpa >= LAYOUT_BIOS);
	assert_true(gpa + h->length <= LAYOUT_BIOS + LAYOUT_BIOS_SIZE);
	h = guest(vm, gpa, h->length);
	assert_int_equal(sum8(h, h->length), 0);
	assert_memory_equal(h->oem_id, "VMM   ", 6);
	return h;
}

static void acpi_read(struct vm *vm, struct acpi_view *v)
{
	uint32_t r[2];
	uint64_t x[2];

	v->rsdp = guest(vm, LAYOUT_BIOS, sizeof(*v->rsdp));
	assert_memory_equal(v->rsdp->signature, "RSD PTR ", 8);
	assert_int_equal(sum8(v->rsdp, 20), 0);
	assert_int_equal(sum8(v->rsdp, sizeof(*v->rsdp)), 0);
	assert_int_equal(v->rsdp->revision, 2);
	assert_int_equal(v->rsdp->length, 36);

	/* XSDT and RSDT list the same two tables: FADT, then MADT. */
	v->xsdt = acpi_table(vm, v->rsdp->xsdt_address, "XSDT");
	assert_int_equal(v->xsdt->length, sizeof(*v->xsdt) + 2 * 8);
	v->rsdt = acpi_table(vm, v->rsdp->rsdt_address, "RSDT");
	assert_int_equal(v->rsdt->length, sizeof(*v->rsdt) + 2 * 4);
	/* XSDT entries sit at offset 36: not 8-byte aligned. */
	memcpy(x, v->xsdt + 1, sizeof(x));
	memcpy(r, v->rsdt + 1, sizeof(r));
	assert_int_equal(x[0], r[0]);
	assert_int_equal(x[1], r[1]);
	v->fadt = acpi_table(vm, x[0], "FACP");
	v->madt = acpi_table(vm, x[1], "APIC");

	assert_int_equal(v->fadt->header.length, sizeof(*v->fadt));
	assert_int_equal(v->fadt->header.revision, 6);
	assert_int_equal(v->fadt->x_dsdt, v->fadt->dsdt);
	v->dsdt = acpi_table(vm, v->fadt->dsdt, "DSDT");
	assert_int_equal(v->dsdt->revision, 2);
	assert_int_equal(v->fadt->firmware_ctrl % 64, 0);
	assert_int_equal(v->fadt->x_firmware_ctrl, 0);
	v->facs = guest(vm, v->fadt->firmware_ctrl, sizeof(*v->facs));
	assert_memory_equal(v->facs->signature, "FACS", 4);
	assert_int_equal(v->facs->length, 64);
}

static void check_gas(const struct acpi_gas *g, uint16_t port, uint8_t bytes)
{
	assert_int_equal(g->space_id, ACPI_SPACE_SYSTEM_IO);
	assert_int_equal(g->bit_width, 8 * bytes);
	assert_int_equal(g->bit_offset, 0);
	assert_int_equal(g->address, port);
}

static void check_fadt(const struct acpi_fadt *f)
{
	assert_int_equal(f->sci_int, 9);
	assert_int_equal(f->smi_cmd, 0);
	assert_int_equal(f->pm1a_evt_blk, 0x600);
	assert_int_equal(f->pm1_evt_len, 4);
	check_gas(&f->x_pm1a_evt_blk, 0x600, 4);
	assert_int_equal(f->pm1a_cnt_blk, 0x604);
	assert_int_equal(f->pm1_cnt_len, 2);
	check_gas(&f->x_pm1a_cnt_blk, 0x604, 2);
	assert_int_equal(f->pm_tmr_blk, 0x608);
	assert_int_equal(f->pm_tmr_len, 4);
	check_gas(&f->x_pm_tmr_blk, 0x608, 4);
	assert_int_equal(f->pm1b_evt_blk, 0);
	assert_int_equal(f->gpe0_blk_len, 0);
	check_gas(&f->reset_reg, 0x64, 1);
	assert_int_equal(f->reset_value, 0xfe);
	assert_true(f->flags & ACPI_FADT_RESET_REG_SUP);
	assert_true(f->flags & ACPI_FADT_WBINVD);
	assert_true(f->flags & ACPI_FADT_PROC_C1);
	assert_true(f->flags & ACPI_FADT_SLP_BUTTON);
	assert_false(f->flags & (1u << 20)); /* not hardware-reduced */
	assert_int_equal(f->iapc_boot_arch, ACPI_IAPC_LEGACY_DEVICES | ACPI_IAPC_8042);
	assert_int_equal(f->century, 0x32);
}

static void check_madt(const struct acpi_madt *m, unsigned int nr)
{
	const uint8_t *p = (const uint8_t *)(m + 1);
	const uint8_t *end = (const uint8_t *)m + m->header.length;
	unsigned int lapics = 0, ioapics = 0, nmis = 0;
	bool irq0 = false, sci = false;

	assert_int_equal(m->lapic_address, LAPIC_ADDR);
	assert_int_equal(m->flags, ACPI_MADT_PCAT_COMPAT);
	while (p < end) {
		const struct acpi_madt_lapic *l = (const void *)p;
		const struct acpi_madt_ioapic *io = (const void *)p;
		const struct acpi_madt_iso *iso = (const void *)p;
		const struct acpi_madt_lapic_nmi *nmi = (const void *)p;

		assert_true(p[1] >= 2 && p + p[1] <= end);
		switch (p[0]) {
		case ACPI_MADT_LAPIC:
			assert_int_equal(l->length, sizeof(*l));
			assert_int_equal(l->apic_id, lapics);
			assert_int_equal(l->processor_uid, lapics);
			assert_int_equal(l->flags, 1);
			lapics++;
			break;
		case ACPI_MADT_IOAPIC:
			assert_int_equal(io->length, sizeof(*io));
			assert_int_equal(io->address, IOAPIC_ADDR);
			assert_int_equal(io->gsi_base, 0);
			assert_int_equal(io->ioapic_id, nr);
			ioapics++;
			break;
		case ACPI_MADT_ISO:
			assert_int_equal(iso->length, sizeof(*iso));
			assert_int_equal(iso->bus, 0);
			if (iso->source == 0) {
				assert_int_equal(iso->gsi, 2);
				assert_int_equal(iso->flags, 0);
				irq0 = true;
			} else {
				assert_int_equal(iso->source, 9);
				assert_int_equal(iso->gsi, 9);
				assert_int_equal(iso->flags, ACPI_MPS_LEVEL | ACPI_MPS_ACTIVE_HIGH);
				sci = true;
			}
			break;
		case ACPI_MADT_LAPIC_NMI:
			assert_int_equal(nmi->length, sizeof(*nmi));
			assert_int_equal(nmi->processor_uid, 0xff);
			assert_int_equal(nmi->lint, 1);
			nmis++;
			break;
		default: fail_msg("unexpected MADT entry type %u", p[0]);
		}
		p += p[1];
	}
	assert_ptr_equal(p, end);
	assert_int_equal(lapics, nr);
	assert_int_equal(ioapics, 1);
	assert_int_equal(nmis, 1);
	assert_true(irq0);
	assert_true(sci);
}

static void check_dsdt(const struct acpi_table_header *d, unsigned int nr)
{
	/* Name (\_S5, Package (4) { 5, 5, 0, 0 }) */
	static const uint8_t s5[] = {
		0x08, '\\', '_',  'S',	'5',  '_',  0x12, 0x08,
		0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,
	};
	/* Name (_HID, EisaId ("PNP0501")) */
	static const uint8_t com_hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	/* IO (Decode16, 0x3f8, 0x3f8, 1, 8), IRQNoFlags () {4} */
	static const uint8_t com1_crs[] = {
		0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x01, 0x08, 0x22, 0x10, 0x00, 0x79, 0x00,
	};
	const uint8_t *aml = (const uint8_t *)(d + 1);
	size_t len = d->length - sizeof(*d);
	char cpu[5];

	assert_non_null(find_bytes(aml, len, s5, sizeof(s5)));
	assert_non_null(find_bytes(aml, len, "\\_SB_", 5));
	assert_non_null(find_bytes(aml, len, "COM1", 4));
	assert_non_null(find_bytes(aml, len, "COM4", 4));
	assert_non_null(find_bytes(aml, len, "KBD_", 4));
	assert_non_null(find_bytes(aml, len, "MOU_", 4));
	assert_non_null(find_bytes(aml, len, "RTC_", 4));
	assert_non_null(find_bytes(aml, len, com_hid, sizeof(com_hid)));
	assert_non_null(find_bytes(aml, len, com1_crs, sizeof(com1_crs)));
	snprintf(cpu, sizeof(cpu), "C%03X", nr - 1);
	assert_non_null(find_bytes(aml, len, cpu, 4));
	snprintf(cpu, sizeof(cpu), "C%03X", nr);
	assert_null(find_bytes(aml, len, cpu, 4));
}

static void dump_table(const char *dir, const char *name, const void *t, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dat", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(t, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void dump_tables(const struct acpi_view *v)
{
	const char *dir = getenv("VMM_TABLES_DUMP");

	if (!dir)
		return;
	dump_table(dir, "rsdp", v->rsdp, v->rsdp->length);
	dump_table(dir, "rsdt", v->rsdt, v->rsdt->length);
	dump_table(dir, "xsdt", v->xsdt, v->xsdt->length);
	dump_table(dir, "facp", v->fadt, v->fadt->header.length);
	dump_table(dir, "facs", v->facs, v->facs->length);
	dump_table(dir, "apic", v->madt, v->madt->header.length);
	dump_table(dir, "dsdt", v->dsdt, v->dsdt->length);
}

static void test_acpi(void **state)
{
	unsigned int nr = (uintptr_t)*state;
	struct acpi_view v;
	struct vm vm;

	vm_setup(&vm, 64 * MiB, nr);
	assert_int_equal(acpi_build(&vm, LAYOUT_BIOS, LAYOUT_BIOS_SIZE), 0);
	acpi_read(&vm, &v);
	check_fadt(v.fadt);
	check_madt(v.madt, nr);
	check_dsdt(v.dsdt, nr);
	if (nr == 8)
		dump_tables(&v);
	vm_teardown(&vm);
}

static void test_acpi_no_reset_no_timer(void **state)
{
	struct acpi_view v;
	struct vm vm;

	vm_setup(&vm, 64 * MiB, 1);
	vm.platform.reset_port = 0;
	vm.platform.pm_tmr_blk = 0;
	assert_int_equal(acpi_build(&vm, LAYOUT_BIOS, LAYOUT_BIOS_SIZE), 0);
	acpi_read(&vm, &v);
	assert_false(v.fadt->flags & ACPI_FADT_RESET_REG_SUP);
	assert_int_equal(v.fadt->reset_reg.address, 0);
	assert_int_equal(v.fadt->pm_tmr_blk, 0);
	assert_int_equal(v.fadt->pm_tmr_len, 0);
	assert_int_equal(v.fadt->x_pm_tmr_blk.address, 0);
	vm_teardown(&vm);
}

static void test_acpi_errors(void **state)
{
	struct vm vm;
	uint8_t *p;

	vm_setup(&vm, 64 * MiB, 2);
	p = guest(&vm, LAYOUT_BIOS, LAYOUT_BIOS_SIZE);
	assert_int_equal(acpi_build(&vm, LAYOUT_BIOS, 256), -ENOSPC);
	assert_int_equal(acpi_build(&vm, LAYOUT_BIOS, 1024), -ENOSPC);
	assert_int_equal(acpi_build(&vm, LAYOUT_BIOS + 8, LAYOUT_BIOS_SIZE - 8), -EINVAL);
	/* Nothing written on failure. */
	for (size_t i = 0; i < LAYOUT_BIOS_SIZE; i++)
		assert_int_equal(p[i], 0);
	/* Outside RAM. */
	assert_int_equal(acpi_build(&vm, 128 * MiB, 0x10000), -EFAULT);
	/* No ACPI PM device: no valid FADT. */
	vm.platform.pm1a_evt_blk = 0;
	assert_int_equal(acpi_build(&vm, LAYOUT_BIOS, LAYOUT_BIOS_SIZE), -EINVAL);
	vm_teardown(&vm);
}

static void test_acpi_isa_registration(void **state)
{
	struct isa_dev_desc d = { .name = "COM1", .hid = "PNP0501" };
	struct platform_info p = { 0 };
	int i;

	strcpy(d.name, "com1");
	assert_int_equal(platform_add_isa_dev(&p, &d), -EINVAL);
	strcpy(d.name, "1COM");
	assert_int_equal(platform_add_isa_dev(&p, &d), -EINVAL);
	strcpy(d.name, "A.B");
	assert_int_equal(platform_add_isa_dev(&p, &d), -EINVAL);
	strcpy(d.name, "");
	assert_int_equal(platform_add_isa_dev(&p, &d), -EINVAL);
	strcpy(d.name, "COM1");
	strcpy(d.hid, "PNP050");
	assert_int_equal(platform_add_isa_dev(&p, &d), -EINVAL);
	strcpy(d.hid, "pnp0501");
	assert_int_equal(platform_add_isa_dev(&p, &d), -EINVAL);
	strcpy(d.hid, "PNP05G1");
	assert_int_equal(platform_add_isa_dev(&p, &d), -EINVAL);
	strcpy(d.hid, "PNP0501");
	for (i = 0; i < PLATFORM_MAX_ISA_DEVS; i++)
		assert_int_equal(platform_add_isa_dev(&p, &d), 0);
	assert_int_equal(platform_add_isa_dev(&p, &d), -ENOSPC);
}

/* A device adding its own DSDT content, e.g. virtio-mmio. */
static void virtio_mmio_dsdt(struct aml *a, const struct vm *vm, void *opaque)
{
	aml_device_begin(a, "VR00");
	aml_name_str(a, "_HID", "LNRO0005");
	aml_name_int(a, "_UID", 0);
	aml_name_decl(a, "_CRS");
	aml_restemplate_begin(a);
	aml_res_mem32_fixed(a, 0xd0000000, 0x200, true);
	aml_res_interrupt(a, *(uint32_t *)opaque, false, false);
	aml_end(a);
	aml_end(a);
}

static void bad_dsdt(struct aml *a, const struct vm *vm, void *opaque)
{
	aml_device_begin(a, "bad");
	aml_end(a);
}

static void test_acpi_dsdt_hook(void **state)
{
	static const uint8_t irq[] = { 0x89, 0x06, 0x00, 0x03, 0x01, 0x10, 0x00, 0x00, 0x00 };
	static const uint8_t mem[] = {
		0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xd0, 0x00, 0x02, 0x00, 0x00,
	};
	uint32_t gsi = 16;
	struct acpi_view v;
	struct vm vm;
	size_t len;

	vm_setup(&vm, 64 * MiB, 2);
	assert_int_equal(platform_add_dsdt_hook(&vm.platform, virtio_mmio_dsdt, &gsi), 0);
	assert_int_equal(acpi_build(&vm, LAYOUT_BIOS, LAYOUT_BIOS_SIZE), 0);
	acpi_read(&vm, &v);
	len = v.dsdt->length - sizeof(*v.dsdt);
	assert_non_null(find_bytes(v.dsdt + 1, len, "VR00", 4));
	assert_non_null(find_bytes(v.dsdt + 1, len, "LNRO0005", 9));
	assert_non_null(find_bytes(v.dsdt + 1, len, irq, sizeof(irq)));
	assert_non_null(find_bytes(v.dsdt + 1, len, mem, sizeof(mem)));
	if (getenv("VMM_TABLES_DUMP"))
		dump_table(getenv("VMM_TABLES_DUMP"), "dsdt-hook", v.dsdt, v.dsdt->length);

	assert_int_equal(platform_add_dsdt_hook(&vm.platform, bad_dsdt, NULL), 0);
	assert_int_equal(acpi_build(&vm, LAYOUT_BIOS, LAYOUT_BIOS_SIZE), -EINVAL);
	vm_teardown(&vm);
}

/* ------------------------------------------------------------------ */
/* AML writer                                                          */

static void assert_aml(struct aml *a, const void *want, size_t len)
{
	assert_int_equal(aml_error(a), 0);
	assert_int_equal(a->len, len);
	assert_memory_equal(a->buf, want, len);
	aml_free(a);
}

static void test_aml_integers(void **state)
{
	static const uint8_t want[] = {
		0x00, 0x01, 0x0a, 0x02, 0x0a, 0xff, 0x0b, 0x00, 0x01, 0x0c, 0x00,
		0x00, 0x01, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
		0x00, 0x0d, 'h',  'i',	0x00, 0x0c, 0x41, 0xd0, 0x03, 0x03, /* EisaId ("PNP0303") */
	};
	struct aml a;

	aml_init(&a);
	aml_integer(&a, 0);
	aml_integer(&a, 1);
	aml_integer(&a, 2);
	aml_integer(&a, 0xff);
	aml_integer(&a, 0x100);
	aml_integer(&a, 0x10000);
	aml_integer(&a, 1ULL << 32);
	aml_string(&a, "hi");
	aml_eisaid(&a, "PNP0303");
	assert_aml(&a, want, sizeof(want));
}

static void test_aml_names(void **state)
{
	static const uint8_t want[] = {
		'K', 'B', 'D', '_', '\\', '_',	'S',  'B', '_', '\\', 0x2e, '_',  'S',	'B',
		'_', 'P', 'C', 'I', '0',  0x2f, 0x03, '_', 'S', 'B',  '_',  'P',  'C',	'I',
		'0', 'I', 'S', 'A', '_',  '^',	'^',  'F', 'O', 'O',  '_',  '\\', 0x00,
	};
	static const char *const bad[] = {
		"", "kbd", "1ABC", "ABCDE", "A..B", "A.", ".A", "\\^A", "A-B",
	};
	struct aml a;
	size_t i;

	aml_init(&a);
	aml_name_string(&a, "KBD");
	aml_name_string(&a, "\\_SB");
	aml_name_string(&a, "\\_SB.PCI0");
	aml_name_string(&a, "_SB.PCI0.ISA");
	aml_name_string(&a, "^^FOO");
	aml_name_string(&a, "\\");
	assert_aml(&a, want, sizeof(want));

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		aml_init(&a);
		aml_name_string(&a, bad[i]);
		if (aml_error(&a) != -EINVAL)
			fail_msg("name \"%s\" accepted", bad[i]);
		aml_free(&a);
	}
}

/* A Package with @body bytes of elements: check the PkgLength bytes. */
static void check_pkglength(size_t body, const uint8_t *want, size_t n)
{
	struct aml a;
	size_t i;

	aml_init(&a);
	aml_package_begin(&a, 0); /* NumElements: one byte of the body */
	for (i = 1; i < body; i++)
		aml_byte(&a, 0x00);
	aml_end(&a);
	assert_int_equal(aml_error(&a), 0);
	assert_int_equal(a.len, 1 + n + body);
	assert_int_equal(a.buf[0], 0x12);
	assert_memory_equal(a.buf + 1, want, n);
	aml_free(&a);
}

static void test_aml_pkglength(void **state)
{
	check_pkglength(62, (const uint8_t[]){ 0x3f }, 1);
	check_pkglength(63, (const uint8_t[]){ 0x41, 0x04 }, 2);	 /* 65 */
	check_pkglength(4093, (const uint8_t[]){ 0x4f, 0xff }, 2);	 /* 4095 */
	check_pkglength(4094, (const uint8_t[]){ 0x81, 0x00, 0x01 }, 3); /* 4097 */
	check_pkglength(0xffffc, (const uint8_t[]){ 0x8f, 0xff, 0xff }, 3);
	check_pkglength(0xffffd, (const uint8_t[]){ 0xc1, 0x00, 0x00, 0x01 }, 4);
}

static void test_aml_constructs(void **state)
{
	/* Scope (\_SB) { Device (KBD) { Name (_CRS, ResourceTemplate () { IO } }) } */
	static const uint8_t want[] = {
		0x10,
		0x20,
		'\\',
		'_',
		'S',
		'B',
		'_',
		0x5b,
		0x82,
		0x18,
		'K',
		'B',
		'D',
		'_',
		0x08,
		'_',
		'C',
		'R',
		'S',
		0x11,
		0x0d,
		0x0a,
		0x0a,
		0x47,
		0x01,
		0x60,
		0x00,
		0x60,
		0x00,
		0x01,
		0x01,
		0x79,
		0x00,
		/* Buffer () { 1, 2, 3 } */
		0x11,
		0x06,
		0x0a,
		0x03,
		0x01,
		0x02,
		0x03,
	};
	struct aml a;

	aml_init(&a);
	aml_scope_begin(&a, "\\_SB");
	aml_device_begin(&a, "KBD");
	aml_name_decl(&a, "_CRS");
	aml_restemplate_begin(&a);
	aml_res_io(&a, 0x60, 1);
	aml_end(&a);
	aml_end(&a);
	aml_end(&a);
	aml_buffer_begin(&a);
	aml_bytes(&a, "\x01\x02\x03", 3);
	aml_end(&a);
	assert_aml(&a, want, sizeof(want));

	/* Unbalanced: an end too many, or a construct left open. */
	aml_init(&a);
	aml_end(&a);
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);
	aml_init(&a);
	aml_device_begin(&a, "FOO");
	assert_int_equal(aml_error(&a), -EINVAL);
	aml_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820_64m),
		cmocka_unit_test(test_e820_3g),
		cmocka_unit_test(test_e820_5g),
		cmocka_unit_test_prestate(test_mptable, (void *)1),
		cmocka_unit_test_prestate(test_mptable, (void *)2),
		cmocka_unit_test_prestate(test_mptable, (void *)8),
		cmocka_unit_test(test_mptable_errors),
		cmocka_unit_test_prestate(test_acpi, (void *)1),
		cmocka_unit_test_prestate(test_acpi, (void *)2),
		cmocka_unit_test_prestate(test_acpi, (void *)8),
		cmocka_unit_test(test_acpi_no_reset_no_timer),
		cmocka_unit_test(test_acpi_errors),
		cmocka_unit_test(test_acpi_isa_registration),
		cmocka_unit_test(test_acpi_dsdt_hook),
		cmocka_unit_test(test_aml_integers),
		cmocka_unit_test(test_aml_names),
		cmocka_unit_test(test_aml_pkglength),
		cmocka_unit_test(test_aml_constructs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
