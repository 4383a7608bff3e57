// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI tables for a PC-compatible (not hardware-reduced) machine, built
 * from what the devices put in vm->platform:
 *
 *	RSDP ─▶ RSDT/XSDT ─▶ FADT ─▶ FACS, DSDT
 *	                  ├─▶ MADT
 *	                  └─▶ MCFG (with a PCI host bridge)
 *
 * The tables are composed in a host buffer and copied into guest memory
 * in one go, so a failure leaves the guest area untouched.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bios/acpi.h"
#include "bios/aml.h"
#include "bios/tables.h"
#include "cpu/vm.h"
#include "devices/pci.h"

#define ACPI_FADT_REVISION 6 /* ACPI 6.0: 276 bytes */
#define ACPI_FADT_MINOR	   0
#define ACPI_MADT_REVISION 3
#define ACPI_DSDT_REVISION 2 /* 64-bit AML integers */
#define ACPI_FACS_VERSION  2
#define ACPI_RTC_CENTURY   0x32 /* CMOS index of the century byte */
/* Latencies above 100/1000 us say "C2/C3 not supported". */
#define ACPI_NO_C2_LATENCY 0x0fff
#define ACPI_NO_C3_LATENCY 0x0fff

#define ISA_IRQS 16
/* IRQ0 has its own override (to pin 2); IRQ2, the cascade, has none. */
#define ISO_SKIP_IRQS	   ((1u << 0) | (1u << 2))
#define ACPI_MAX_SDT	   3 /* FADT, MADT, MCFG */
#define ACPI_MCFG_REVISION 1
#define PCI_NR_SLOTS	   32

/* Where each table goes: absolute guest-physical addresses. */
struct acpi_layout {
	uint64_t rsdp, rsdt, xsdt, fadt, facs, madt, mcfg, dsdt, end;
	uint32_t madt_len, dsdt_len;
	unsigned int nr_sdt;
};

/* ------------------------------------------------------------------ */
/* Registration by devices                                             */

static bool isa_dev_valid(const struct isa_dev_desc *d)
{
	struct aml a;
	int ret;

	if (!memchr(d->name, 0, sizeof(d->name)) || !memchr(d->hid, 0, sizeof(d->hid)))
		return false;
	if (strpbrk(d->name, "\\^.") || !d->name[0])
		return false;
	/* Let the writer validate the name and EISA id as it would later. */
	aml_init(&a);
	aml_name_string(&a, d->name);
	aml_eisaid(&a, d->hid);
	ret = aml_error(&a);
	aml_free(&a);
	return ret == 0;
}

int platform_add_isa_dev(struct platform_info *p, const struct isa_dev_desc *d)
{
	if (!isa_dev_valid(d))
		return -EINVAL;
	if (p->nr_isa_devs == PLATFORM_MAX_ISA_DEVS)
		return -ENOSPC;
	p->isa_devs[p->nr_isa_devs++] = *d;
	return 0;
}

int platform_add_dsdt_hook(struct platform_info *p,
			   void (*fn)(struct aml *a, const struct vm *vm, void *opaque),
			   void *opaque)
{
	if (p->nr_dsdt_hooks == PLATFORM_MAX_DSDT_HOOKS)
		return -ENOSPC;
	p->dsdt_hooks[p->nr_dsdt_hooks++] = (struct dsdt_hook){ fn, opaque };
	return 0;
}

/* ------------------------------------------------------------------ */
/* DSDT                                                                */

/* The SCI is level-triggered whether or not its device said so. */
static uint16_t level_irqs(const struct platform_info *p)
{
	uint16_t level = p->level_irqs;

	if (p->sci_irq && p->sci_irq < ISA_IRQS)
		level |= 1u << p->sci_irq;
	return level;
}

/* Processor devices matching the MADT's processor UIDs. */
static void dsdt_cpus(struct aml *a, unsigned int nr_vcpus)
{
	char name[5];
	unsigned int i;

	/* nr_vcpus < 0xff was checked: three hex digits always suffice. */
	for (i = 0; i < nr_vcpus && i <= 0xfff; i++) {
		snprintf(name, sizeof(name), "C%03X", i & 0xfff);
		aml_device_begin(a, name);
		aml_name_str(a, "_HID", "ACPI0007");
		aml_name_int(a, "_UID", i);
		aml_end(a);
	}
}

static void dsdt_isa_dev(struct aml *a, const struct isa_dev_desc *d, uint16_t level)
{
	unsigned int i;

	aml_device_begin(a, d->name);
	aml_name_eisaid(a, "_HID", d->hid);
	aml_name_int(a, "_UID", d->uid);
	aml_name_decl(a, "_CRS");
	aml_restemplate_begin(a);
	for (i = 0; i < 2; i++) {
		if (d->io[i].len)
			aml_res_io(a, d->io[i].base, d->io[i].len);
	}
	/* One descriptor per IRQ: in _CRS several bits would be ambiguous. */
	for (i = 0; i < ISA_IRQS; i++) {
		if (d->irq_mask & (1u << i))
			aml_res_irq(a, 1u << i, level & (1u << i));
	}
	aml_end(a);
	aml_end(a);
}

/*
 * The PCI root bridge (bus 0): its windows in _CRS, and in _PRT the INTx
 * swizzle onto IOAPIC inputs (pci_intx_gsi()); GSI entries (source 0)
 * mean level-triggered, active-low to the OS, which KVM's IOAPIC takes
 * as asserted while the line is high. ECAM is reserved by a motherboard
 * resource device, where Linux looks before it trusts the MCFG table.
 */
static void dsdt_pci(struct aml *a, const struct platform_info *p)
{
	aml_device_begin(a, "PCI0");
	aml_name_eisaid(a, "_HID", "PNP0A08");
	aml_name_eisaid(a, "_CID", "PNP0A03");
	aml_name_int(a, "_SEG", 0);
	aml_name_int(a, "_BBN", 0);
	aml_name_int(a, "_UID", 0);
	aml_name_decl(a, "_CRS");
	aml_restemplate_begin(a);
	aml_res_word_addr(a, AML_ADDR_BUS, 0, 0);
	aml_res_io(a, 0xcf8, 8);
	aml_res_word_addr(a, AML_ADDR_IO, 0x0000, 0x0cf7);
	aml_res_word_addr(a, AML_ADDR_IO, 0x0d00, 0xffff);
	aml_res_dword_mem(a, PCI_MMIO32_BASE, PCI_MMIO32_END - 1);
	aml_end(a);
	aml_name_decl(a, "_PRT");
	aml_package_begin(a, PCI_NR_SLOTS * 4);
	for (unsigned int slot = 0; slot < PCI_NR_SLOTS; slot++) {
		for (unsigned int pin = 1; pin <= 4; pin++) {
			aml_package_begin(a, 4);
			aml_integer(a, slot << 16 | 0xffff); /* any function */
			aml_integer(a, pin - 1);	     /* 0 = INTA# */
			aml_integer(a, 0);		     /* a GSI, not a link device */
			aml_integer(a, pci_intx_gsi(slot, pin));
			aml_end(a);
		}
	}
	aml_end(a);
	aml_end(a);

	aml_device_begin(a, "MRES");
	aml_name_eisaid(a, "_HID", "PNP0C02");
	aml_name_int(a, "_UID", 0);
	aml_name_decl(a, "_CRS");
	aml_restemplate_begin(a);
	aml_res_mem32_fixed(a, p->pci_ecam_base, PCI_ECAM_SIZE, true);
	aml_end(a);
	aml_end(a);
}

static int dsdt_build(struct aml *a, const struct vm *vm)
{
	const struct platform_info *p = &vm->platform;
	unsigned int i;

	/* \_S5: SLP_TYP for PM1a and PM1b, then two reserved values. */
	aml_name_decl(a, "\\_S5");
	aml_package_begin(a, 4);
	aml_integer(a, p->s5_slp_typ);
	aml_integer(a, p->s5_slp_typ);
	aml_integer(a, 0);
	aml_integer(a, 0);
	aml_end(a);

	aml_scope_begin(a, "\\_SB");
	dsdt_cpus(a, vm->nr_vcpus);
	for (i = 0; i < p->nr_isa_devs; i++)
		dsdt_isa_dev(a, &p->isa_devs[i], level_irqs(p));
	if (p->pci_ecam_base)
		dsdt_pci(a, p);
	for (i = 0; i < p->nr_dsdt_hooks; i++)
		p->dsdt_hooks[i].fn(a, vm, p->dsdt_hooks[i].opaque);
	aml_end(a);
	return aml_error(a);
}

/* ------------------------------------------------------------------ */
/* Fixed tables                                                        */

static uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return -sum;
}

static void acpi_header(void *table, const char *sig, uint32_t len, uint8_t rev)
{
	struct acpi_table_header *h = table;
	char table_id[9];

	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	snprintf(table_id, sizeof(table_id), ACPI_OEM_TABLE_PREFIX "%.4s ", sig);
	memcpy(h->oem_table_id, table_id, sizeof(h->oem_table_id));
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = ACPI_CREATOR_REVISION;
}

/* Called last for each table: the checksum covers every other byte. */
static void acpi_seal(void *table)
{
	struct acpi_table_header *h = table;

	h->checksum = 0;
	h->checksum = acpi_checksum(h, h->length);
}

static struct acpi_gas io_gas(uint16_t port, uint8_t bytes, uint8_t access)
{
	if (!port)
		return (struct acpi_gas){ 0 };
	return (struct acpi_gas){
		.space_id = ACPI_SPACE_SYSTEM_IO,
		.bit_width = 8 * bytes,
		.access_size = access,
		.address = port,
	};
}

static void fadt_fill(struct acpi_fadt *f, const struct platform_info *p,
		      const struct acpi_layout *l)
{
	acpi_header(f, "FACP", sizeof(*f), ACPI_FADT_REVISION);
	f->minor_revision = ACPI_FADT_MINOR;
	/* X_FIRMWARE_CTRL must stay zero when FIRMWARE_CTRL is set. */
	f->firmware_ctrl = l->facs;
	f->dsdt = l->dsdt;
	f->x_dsdt = l->dsdt;
	f->sci_int = p->sci_irq;
	/* SMI_CMD = 0: always in ACPI mode, SCI_EN reads as set. */
	f->pm1a_evt_blk = p->pm1a_evt_blk;
	f->pm1_evt_len = 4;
	f->x_pm1a_evt_blk = io_gas(p->pm1a_evt_blk, 4, ACPI_ACCESS_WORD);
	f->pm1a_cnt_blk = p->pm1a_cnt_blk;
	f->pm1_cnt_len = 2;
	f->x_pm1a_cnt_blk = io_gas(p->pm1a_cnt_blk, 2, ACPI_ACCESS_WORD);
	if (p->pm_tmr_blk) {
		f->pm_tmr_blk = p->pm_tmr_blk;
		f->pm_tmr_len = 4;
		f->x_pm_tmr_blk = io_gas(p->pm_tmr_blk, 4, ACPI_ACCESS_DWORD);
	}
	f->p_lvl2_lat = ACPI_NO_C2_LATENCY;
	f->p_lvl3_lat = ACPI_NO_C3_LATENCY;
	f->century = ACPI_RTC_CENTURY;
	f->iapc_boot_arch = ACPI_IAPC_LEGACY_DEVICES | ACPI_IAPC_8042;
	/*
	 * The power button is a fixed feature (PWR_BUTTON clear), there is
	 * no sleep button; the PM timer is the 24-bit one (TMR_VAL_EXT
	 * clear), which a 32-bit counter also satisfies.
	 */
	f->flags = ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_SLP_BUTTON | ACPI_FADT_RTC_S4;
	if (p->reset_port) {
		f->flags |= ACPI_FADT_RESET_REG_SUP;
		f->reset_reg = io_gas(p->reset_port, 1, ACPI_ACCESS_BYTE);
		f->reset_value = p->reset_value;
	}
}

static uint8_t *madt_add(uint8_t *p, const void *entry, size_t len)
{
	memcpy(p, entry, len);
	return p + len;
}

static uint8_t *madt_add_iso(uint8_t *p, uint8_t irq, uint32_t gsi, uint16_t flags)
{
	struct acpi_madt_iso iso = {
		.type = ACPI_MADT_ISO,
		.length = sizeof(iso),
		.source = irq,
		.gsi = gsi,
		.flags = flags,
	};

	return madt_add(p, &iso, sizeof(iso));
}

/* IRQs that need an override: IRQ0 (moves to pin 2) and every level one. */
static unsigned int madt_nr_iso(const struct platform_info *p)
{
	return 1 + __builtin_popcount(level_irqs(p) & ~ISO_SKIP_IRQS);
}

static uint32_t madt_len(const struct vm *vm)
{
	return sizeof(struct acpi_madt) + vm->nr_vcpus * sizeof(struct acpi_madt_lapic) +
	       sizeof(struct acpi_madt_ioapic) +
	       madt_nr_iso(&vm->platform) * sizeof(struct acpi_madt_iso) +
	       sizeof(struct acpi_madt_lapic_nmi);
}

static void madt_fill(struct acpi_madt *m, const struct vm *vm)
{
	uint16_t level = level_irqs(&vm->platform) & ~ISO_SKIP_IRQS;
	uint8_t *p = (uint8_t *)(m + 1);
	struct acpi_madt_ioapic ioapic = {
		.type = ACPI_MADT_IOAPIC,
		.length = sizeof(ioapic),
		/* The same ID as in the MP table. */
		.ioapic_id = vm->nr_vcpus,
		.address = IOAPIC_ADDR,
		.gsi_base = 0,
	};
	struct acpi_madt_lapic_nmi nmi = {
		.type = ACPI_MADT_LAPIC_NMI,
		.length = sizeof(nmi),
		.processor_uid = 0xff,
		.flags = 0,
		.lint = 1,
	};
	unsigned int i;

	acpi_header(m, "APIC", madt_len(vm), ACPI_MADT_REVISION);
	m->lapic_address = LAPIC_ADDR;
	m->flags = ACPI_MADT_PCAT_COMPAT;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct acpi_madt_lapic lapic = {
			.type = ACPI_MADT_LAPIC,
			.length = sizeof(lapic),
			.processor_uid = i,
			.apic_id = i,
			.flags = 1,
		};

		p = madt_add(p, &lapic, sizeof(lapic));
	}
	p = madt_add(p, &ioapic, sizeof(ioapic));
	/* The PIT's IRQ0 is on pin 2, as on every PC; flags 0 like QEMU. */
	p = madt_add_iso(p, 0, 2, 0);
	for (i = 0; i < ISA_IRQS; i++) {
		if (level & (1u << i))
			p = madt_add_iso(p, i, i, ACPI_MPS_LEVEL | ACPI_MPS_ACTIVE_HIGH);
	}
	madt_add(p, &nmi, sizeof(nmi));
}

/* One allocation: segment 0, bus 0 only. */
static void mcfg_fill(struct acpi_mcfg *m, const struct platform_info *p)
{
	struct acpi_mcfg_alloc alloc = {
		.address = p->pci_ecam_base,
		.segment = 0,
		.start_bus = 0,
		.end_bus = 0,
	};

	acpi_header(m, "MCFG", sizeof(*m) + sizeof(alloc), ACPI_MCFG_REVISION);
	memcpy(m + 1, &alloc, sizeof(alloc));
}

static void xsdt_fill(void *rsdt, void *xsdt, const struct acpi_layout *l)
{
	uint32_t r[ACPI_MAX_SDT] = { l->fadt, l->madt, l->mcfg };
	uint64_t x[ACPI_MAX_SDT] = { l->fadt, l->madt, l->mcfg };
	size_t hdr = sizeof(struct acpi_table_header);

	acpi_header(rsdt, "RSDT", hdr + l->nr_sdt * sizeof(r[0]), 1);
	memcpy((uint8_t *)rsdt + hdr, r, l->nr_sdt * sizeof(r[0]));
	acpi_header(xsdt, "XSDT", hdr + l->nr_sdt * sizeof(x[0]), 1);
	memcpy((uint8_t *)xsdt + hdr, x, l->nr_sdt * sizeof(x[0]));
}

static void rsdp_fill(struct acpi_rsdp *r, const struct acpi_layout *l)
{
	memcpy(r->signature, "RSD PTR ", sizeof(r->signature));
	memcpy(r->oem_id, ACPI_OEM_ID, sizeof(r->oem_id));
	r->revision = 2;
	r->rsdt_address = l->rsdt;
	r->length = sizeof(*r);
	r->xsdt_address = l->xsdt;
	r->checksum = acpi_checksum(r, ACPI_RSDP_V1_LEN);
	r->extended_checksum = acpi_checksum(r, sizeof(*r));
}

/* ------------------------------------------------------------------ */

static uint64_t place(uint64_t *cur, uint64_t len, uint64_t align)
{
	uint64_t at = (*cur + align - 1) & ~(align - 1);

	*cur = at + len;
	return at;
}

static void acpi_plan(struct acpi_layout *l, uint64_t gpa, const struct vm *vm, size_t dsdt_aml_len)
{
	size_t hdr = sizeof(struct acpi_table_header);
	uint64_t cur = gpa;

	l->madt_len = madt_len(vm);
	l->dsdt_len = hdr + dsdt_aml_len;
	l->nr_sdt = vm->platform.pci_ecam_base ? 3 : 2;
	l->rsdp = place(&cur, sizeof(struct acpi_rsdp), 16);
	l->rsdt = place(&cur, hdr + l->nr_sdt * 4, 8);
	l->xsdt = place(&cur, hdr + l->nr_sdt * 8, 8);
	l->fadt = place(&cur, sizeof(struct acpi_fadt), 8);
	l->facs = place(&cur, sizeof(struct acpi_facs), 64);
	l->madt = place(&cur, l->madt_len, 8);
	l->mcfg = 0;
	if (vm->platform.pci_ecam_base)
		l->mcfg = place(&cur, sizeof(struct acpi_mcfg) + sizeof(struct acpi_mcfg_alloc), 8);
	l->dsdt = place(&cur, l->dsdt_len, 8);
	l->end = cur;
}

static void acpi_fill(uint8_t *buf, const struct acpi_layout *l, const struct vm *vm,
		      const struct aml *dsdt)
{
	struct acpi_facs *facs = (void *)(buf + (l->facs - l->rsdp));
	uint8_t *rsdt = buf + (l->rsdt - l->rsdp);
	uint8_t *xsdt = buf + (l->xsdt - l->rsdp);
	uint8_t *fadt = buf + (l->fadt - l->rsdp);
	uint8_t *madt = buf + (l->madt - l->rsdp);
	uint8_t *dsdt_tbl = buf + (l->dsdt - l->rsdp);

	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = ACPI_FACS_VERSION;

	acpi_header(dsdt_tbl, "DSDT", l->dsdt_len, ACPI_DSDT_REVISION);
	memcpy(dsdt_tbl + sizeof(struct acpi_table_header), dsdt->buf, dsdt->len);
	acpi_seal(dsdt_tbl);

	madt_fill((struct acpi_madt *)madt, vm);
	acpi_seal(madt);
	if (l->mcfg) {
		uint8_t *mcfg = buf + (l->mcfg - l->rsdp);

		mcfg_fill((struct acpi_mcfg *)mcfg, &vm->platform);
		acpi_seal(mcfg);
	}
	fadt_fill((struct acpi_fadt *)fadt, &vm->platform, l);
	acpi_seal(fadt);
	xsdt_fill(rsdt, xsdt, l);
	acpi_seal(rsdt);
	acpi_seal(xsdt);
	rsdp_fill((struct acpi_rsdp *)buf, l);
}

int acpi_build(struct vm *vm, uint64_t gpa, uint64_t size)
{
	struct acpi_layout l;
	struct aml dsdt;
	uint8_t *buf;
	int ret;

	/* The RSDT, FADT and MP-era pointers are 32-bit. */
	if ((gpa & 15) || size > MEM_4G || gpa > MEM_4G - size)
		return -EINVAL;
	if (!vm->nr_vcpus || vm->nr_vcpus >= 0xff)
		return -EINVAL;
	/* A FADT without PM1a blocks is not a valid PC; refuse to write one. */
	if (!vm->platform.pm1a_evt_blk || !vm->platform.pm1a_cnt_blk)
		return -EINVAL;

	aml_init(&dsdt);
	ret = dsdt_build(&dsdt, vm);
	if (ret)
		goto out;
	acpi_plan(&l, gpa, vm, dsdt.len);
	if (l.end - gpa > size) {
		ret = -ENOSPC;
		goto out;
	}
	buf = calloc(1, l.end - gpa);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	acpi_fill(buf, &l, vm, &dsdt);
	ret = mem_write(&vm->mem, gpa, buf, l.end - gpa);
	free(buf);
out:
	aml_free(&dsdt);
	return ret;
}
