// SPDX-License-Identifier: GPL-2.0
/*
 * ACPI: find tables, read the MADT, power off through the FADT.
 * Field offsets are the ACPI specification's (6.x).
 */
#include "kit_priv.h"

struct rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

/* Generic Address Structure. */
struct gas {
	uint8_t space; /* 0 system memory, 1 system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;
	uint64_t address;
} __attribute__((packed));

#define GAS_MEMORY 0
#define GAS_IO	   1

/* FADT offsets. */
#define FADT_DSDT	   40
#define FADT_PM1A_CNT	   64
#define FADT_PM1B_CNT	   68
#define FADT_PM_TMR	   76
#define FADT_FLAGS	   112
#define FADT_X_DSDT	   140
#define FADT_X_PM1A_CNT	   172
#define FADT_X_PM1B_CNT	   184
#define FADT_SLEEP_CONTROL 244
#define FADT_HW_REDUCED	   (1u << 20)

#define PM1_SLP_TYP_SHIFT   10
#define PM1_SLP_EN	    (1u << 13)
#define SLEEP_CTL_TYP_SHIFT 2
#define SLEEP_CTL_EN	    (1u << 5)

/* MADT. */
#define MADT_LAPIC_ADDR	    36
#define MADT_ENTRIES	    44
#define MADT_LAPIC	    0
#define MADT_IOAPIC	    1
#define MADT_ISO	    2
#define MADT_LAPIC_OVERRIDE 5
#define MADT_X2APIC	    9
#define MADT_ENABLED	    1u

static const struct rsdp *rsdp;

static uint8_t sum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (n--)
		s += *b++;
	return s;
}

static const struct rsdp *rsdp_at(uint64_t addr)
{
	const struct rsdp *r = (const void *)addr;

	if (memcmp(r->signature, "RSD PTR ", 8) || sum(r, 20))
		return NULL;
	if (r->revision >= 2 && r->length >= sizeof(*r) && sum(r, r->length))
		return NULL;
	return r;
}

static const struct rsdp *rsdp_scan(uint64_t start, uint64_t len)
{
	uint64_t a;

	for (a = start; a + sizeof(struct rsdp) <= start + len; a += 16) {
		const struct rsdp *r = rsdp_at(a);

		if (r)
			return r;
	}
	return NULL;
}

/* Where the boot protocol or the BIOS put it: boot_params, EBDA, 0xe0000. */
static const struct rsdp *find_rsdp(void)
{
	uint64_t given = kit_boot_params()->acpi_rsdp_addr;
	uint64_t ebda = (uint64_t) * (volatile uint16_t *)kit_phys(0x40e) << 4;

	if (rsdp)
		return rsdp;
	if (given && given < (1ULL << 32))
		rsdp = rsdp_at(given);
	if (!rsdp && ebda >= 0x80000 && ebda < 0xa0000)
		rsdp = rsdp_scan(ebda, 1024);
	if (!rsdp)
		rsdp = rsdp_scan(0xe0000, 0x20000);
	return rsdp;
}

static const struct kit_acpi_header *table_at(uint64_t addr)
{
	const struct kit_acpi_header *h = (const void *)addr;

	if (!addr || addr >= (1ULL << 32) || h->length < sizeof(*h) || sum(h, h->length))
		return NULL;
	return h;
}

const struct kit_acpi_header *kit_acpi_find(const char *sig)
{
	const struct rsdp *r = find_rsdp();
	const struct kit_acpi_header *root;
	size_t entry, n, i;

	if (!r)
		return NULL;
	if (r->revision >= 2 && (root = table_at(r->xsdt)))
		entry = 8;
	else if ((root = table_at(r->rsdt)))
		entry = 4;
	else
		return NULL;
	n = (root->length - sizeof(*root)) / entry;
	for (i = 0; i < n; i++) {
		const uint8_t *p = (const uint8_t *)(root + 1) + i * entry;
		uint64_t addr = 0;
		const struct kit_acpi_header *t;

		memcpy(&addr, p, entry);
		t = table_at(addr);
		if (t && !memcmp(t->signature, sig, 4))
			return t;
	}
	return NULL;
}

static uint32_t get32(const void *base, size_t off)
{
	uint32_t v;

	memcpy(&v, (const uint8_t *)base + off, 4);
	return v;
}

static uint64_t get64(const void *base, size_t off)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)base + off, 8);
	return v;
}

/* FADT field at @off if the table is long enough for it, else 0. */
static uint32_t fadt32(const struct kit_acpi_header *f, size_t off)
{
	return f->length >= off + 4 ? get32(f, off) : 0;
}

static const struct gas *fadt_gas(const struct kit_acpi_header *f, size_t off)
{
	const struct gas *g = (const void *)((const uint8_t *)f + off);

	return f->length >= off + sizeof(*g) && g->address ? g : NULL;
}

static const struct kit_acpi_header *find_dsdt(const struct kit_acpi_header *fadt)
{
	const struct kit_acpi_header *d = NULL;

	if (fadt->length >= FADT_X_DSDT + 8)
		d = table_at(get64(fadt, FADT_X_DSDT));
	if (!d)
		d = table_at(fadt32(fadt, FADT_DSDT));
	return d && !memcmp(d->signature, "DSDT", 4) ? d : NULL;
}

/* An AML integer constant: ZeroOp, OneOp, BytePrefix, WordPrefix... */
static int aml_int(const uint8_t *p, const uint8_t *end)
{
	if (p >= end)
		return -1;
	switch (*p) {
	case 0x00: return 0;
	case 0x01: return 1;
	case 0x0a: /* BytePrefix */
	case 0x0b: /* WordPrefix: SLP_TYP is 3 bits anyway */
	case 0x0c: /* DWordPrefix */ return p + 1 < end ? p[1] : -1;
	default: return -1;
	}
}

/*
 * SLP_TYP for S5: the first element of the DSDT's "Name (_S5_, Package
 * () {...})" (NameOp, name, PackageOp, PkgLength, NumElements, element).
 */
static int s5_slp_typ(const struct kit_acpi_header *dsdt)
{
	const uint8_t *p = (const uint8_t *)(dsdt + 1);
	const uint8_t *end = (const uint8_t *)dsdt + dsdt->length;

	for (; p + 4 < end; p++) {
		if (memcmp(p, "_S5_", 4))
			continue;
		p += 4;
		if (*p != 0x12) /* PackageOp */
			continue;
		p += 1 + 1 + (p[1] >> 6); /* PkgLength: lead byte + extra */
		p++;			  /* NumElements */
		return aml_int(p, end);
	}
	return -1;
}

static void gas_write8(const struct gas *g, uint8_t v)
{
	if (g->space == GAS_IO)
		outb(v, g->address);
	else if (g->space == GAS_MEMORY)
		mmio_write8(g->address, v);
}

static void pm1_sleep(uint32_t port, int typ)
{
	uint16_t v;

	if (!port)
		return;
	v = inw(port) & ~(7u << PM1_SLP_TYP_SHIFT | PM1_SLP_EN);
	outw(v | typ << PM1_SLP_TYP_SHIFT | PM1_SLP_EN, port);
}

static uint32_t pm1_port(const struct kit_acpi_header *fadt, size_t off, size_t xoff)
{
	const struct gas *g = fadt_gas(fadt, xoff);
	uint32_t port = fadt32(fadt, off);

	if (!port && g && g->space == GAS_IO)
		port = g->address;
	return port;
}

/*
 * Writing SLP_EN without first switching to ACPI mode (SMI_CMD) is fine on
 * vmm and QEMU, which act on the write; the switch would take an SMI.
 */
void kit_poweroff(void)
{
	const struct kit_acpi_header *fadt = kit_acpi_find("FACP");
	const struct kit_acpi_header *dsdt;
	int typ;

	if (!fadt) {
		kit_printf("KIT: poweroff: no FADT\n");
		return;
	}
	dsdt = find_dsdt(fadt);
	typ = dsdt ? s5_slp_typ(dsdt) : -1;
	if (typ < 0) {
		kit_printf("KIT: poweroff: no _S5_ in the DSDT\n");
		return;
	}
	if (fadt32(fadt, FADT_FLAGS) & FADT_HW_REDUCED) {
		const struct gas *g = fadt_gas(fadt, FADT_SLEEP_CONTROL);

		if (!g) {
			kit_printf("KIT: poweroff: no sleep control register\n");
			return;
		}
		gas_write8(g, (typ & 7) << SLEEP_CTL_TYP_SHIFT | SLEEP_CTL_EN);
	} else {
		pm1_sleep(pm1_port(fadt, FADT_PM1A_CNT, FADT_X_PM1A_CNT), typ);
		pm1_sleep(pm1_port(fadt, FADT_PM1B_CNT, FADT_X_PM1B_CNT), typ);
	}
	kit_udelay(100000);
	kit_printf("KIT: poweroff: still running\n");
}

uint32_t kit_acpi_pm_timer(void)
{
	const struct kit_acpi_header *fadt = kit_acpi_find("FACP");

	return fadt ? fadt32(fadt, FADT_PM_TMR) : 0;
}

/* Walk the MADT; @fn gets each entry (type, body). */
static void madt_walk(void (*fn)(const uint8_t *e, void *arg), void *arg)
{
	const struct kit_acpi_header *m = kit_acpi_find("APIC");
	const uint8_t *p, *end;

	if (!m || m->length < MADT_ENTRIES)
		return;
	end = (const uint8_t *)m + m->length;
	for (p = (const uint8_t *)m + MADT_ENTRIES; p + 2 <= end && p[1] >= 2 && p + p[1] <= end;
	     p += p[1])
		fn(p, arg);
}

struct cpu_list {
	uint32_t *ids;
	int max, n;
};

static void add_cpu(const uint8_t *e, void *arg)
{
	struct cpu_list *l = arg;
	uint32_t id;

	if (e[0] == MADT_LAPIC && e[1] >= 8 && (get32(e, 4) & MADT_ENABLED))
		id = e[3];
	else if (e[0] == MADT_X2APIC && e[1] >= 16 && (get32(e, 8) & MADT_ENABLED))
		id = get32(e, 4);
	else
		return;
	if (l->n < l->max && l->ids)
		l->ids[l->n] = id;
	l->n++;
}

int kit_cpu_apic_ids(uint32_t *ids, int max)
{
	struct cpu_list l = { ids, max, 0 };

	madt_walk(add_cpu, &l);
	return l.n < max ? l.n : max;
}

int kit_cpu_count(void)
{
	struct cpu_list l = { NULL, 0, 0 };

	madt_walk(add_cpu, &l);
	return l.n ? l.n : 1;
}

uint64_t kit_madt_lapic_base(void)
{
	const struct kit_acpi_header *m = kit_acpi_find("APIC");
	uint64_t base = m ? get32(m, MADT_LAPIC_ADDR) : 0;
	const uint8_t *p, *end;

	if (m) {
		end = (const uint8_t *)m + m->length;
		for (p = (const uint8_t *)m + MADT_ENTRIES;
		     p + 2 <= end && p[1] >= 2 && p + p[1] <= end; p += p[1])
			if (p[0] == MADT_LAPIC_OVERRIDE && p[1] >= 12)
				base = get64(p, 4);
	}
	return base ? base : 0xfee00000;
}

struct ioapic_find {
	uint32_t gsi;
	uint64_t addr; /* of the IOAPIC serving gsi */
	uint32_t base; /* its first GSI */
};

static void find_ioapic(const uint8_t *e, void *arg)
{
	struct ioapic_find *f = arg;
	uint32_t base;

	if (e[0] != MADT_IOAPIC || e[1] < 12)
		return;
	base = get32(e, 8);
	if (base <= f->gsi && (!f->addr || base > f->base)) {
		f->addr = get32(e, 4);
		f->base = base;
	}
}

uint64_t kit_madt_ioapic(uint32_t gsi, uint32_t *pin)
{
	struct ioapic_find f = { gsi, 0, 0 };

	madt_walk(find_ioapic, &f);
	if (!f.addr) {
		*pin = gsi;
		return 0xfec00000;
	}
	*pin = gsi - f.base;
	return f.addr;
}

struct iso_find {
	int irq;
	bool found;
	uint32_t gsi;
	uint16_t flags;
};

static void find_iso(const uint8_t *e, void *arg)
{
	struct iso_find *f = arg;

	if (e[0] == MADT_ISO && e[1] >= 10 && e[2] == 0 && e[3] == f->irq) {
		f->found = true;
		f->gsi = get32(e, 4);
		f->flags = e[8] | e[9] << 8;
	}
}

uint32_t kit_madt_isa_gsi(int irq, uint16_t *flags)
{
	struct iso_find f = { irq, false, 0, 0 };

	*flags = 0;
	if (!kit_acpi_find("APIC"))
		return irq == 0 ? 2 : irq;
	madt_walk(find_iso, &f);
	if (!f.found)
		return irq;
	*flags = f.flags;
	return f.gsi;
}
