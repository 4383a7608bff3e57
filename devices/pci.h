/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI: one host bridge (bus 0), reached through configuration mechanism #1
 * (ports 0xCF8/0xCFC) and ECAM (described by the ACPI MCFG table). Functions
 * are endpoints on bus 0; each has a 4 KiB configuration space kept here.
 *
 * A device model fills its header (IDs, class), declares its BARs and
 * capabilities, then registers. vmm places the BARs in the PCI hole (MMIO
 * below 4 GiB, I/O ports from 0xc000) as firmware would; the guest may move
 * them, and the bus regions follow (registered while the command register
 * enables decoding, at the BAR's current address).
 *
 * Interrupts: INTx (pin A..D, swizzled by slot onto IOAPIC pins described
 * in the DSDT's _PRT) and MSI-X (table and PBA in a BAR, each vector an
 * irqfd on a GSI routed with KVM_SET_GSI_ROUTING).
 */
#ifndef VMM_DEVICES_PCI_H
#define VMM_DEVICES_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/pci_regs.h>

#include "mmio/bus.h"

struct vm;
struct pci_dev;

#define PCI_MAX_BARS 6
#define PCI_CFG_SIZE 4096
#define PCI_MSIX_MAX 64 /* vectors per function */

enum pci_bar_type { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
	enum pci_bar_type type;
	uint64_t size; /* power of two; 0 = unused */
	uint64_t addr; /* current guest address (what the BAR register says) */
	const struct bus_ops *ops;
	void *opaque;
	struct bus_region *region; /* registered while decoding is on */
	char name[32];		   /* for --stats: "virtio-blk0 bar4" */
};

struct pci_msix_vector {
	uint64_t addr;
	uint32_t data;
	bool masked;  /* per-vector mask bit */
	bool pending; /* PBA bit */
	int gsi;      /* KVM GSI routed to (addr, data), -1 = none yet */
	int irqfd;    /* eventfd bound to gsi with KVM_IRQFD, -1 = none */
	bool stale;   /* addr/data changed since the route was last sent */
};

struct pci_msix {
	unsigned int nr; /* 0 = no MSI-X */
	int bar;	 /* BAR holding the table and the PBA */
	uint64_t table_off, pba_off;
	bool enabled, func_masked; /* message control bits */
	struct pci_msix_vector vec[PCI_MSIX_MAX];
};

struct pci_dev {
	/* Filled by the device model before pci_register(). */
	const char *name;
	uint8_t cfg[PCI_CFG_SIZE]; /* header at 0, capabilities after 0x40 */
	struct pci_bar bar[PCI_MAX_BARS];
	/* Called (with dev->lock held) after a BAR moved or decoding toggled:
	 * @addr is the new address, 0 while the BAR does not decode. Lets a
	 * transport move its ioeventfds. May be NULL. */
	void (*bar_remap)(struct pci_dev *dev, int bar, uint64_t addr);
	/* Called (with dev->lock held) before the guest reads config bytes
	 * [off, off + len), so the model may update dev->cfg, and after it
	 * wrote them (masks applied): a model's own config registers, such
	 * as virtio's PCI configuration access window. May be NULL. */
	void (*cfg_hook)(struct pci_dev *dev, unsigned int off, unsigned int len, bool is_write);
	void *priv; /* the device model's */

	/* Owned by devices/pci.c. */
	struct vm *vm;
	pthread_mutex_t lock; /* config space, BARs, MSI-X state */
	uint8_t devfn;	      /* slot << 3 | function */
	uint8_t next_cap;     /* where pci_add_cap() puts the next capability */
	uint8_t intx_pin;     /* 1 = INTA# .. 4 = INTD#, 0 = none */
	unsigned int intx_gsi;
	bool intx_level;
	struct pci_msix msix;
	/* Config space semantics: writable bits, write-1-to-clear bits, and
	 * the image pci_dev_reset() restores (taken at pci_register()). */
	uint8_t wmask[PCI_CFG_SIZE];
	uint8_t w1cmask[PCI_CFG_SIZE];
	uint8_t cfg_reset[PCI_CFG_SIZE];
	uint64_t bar_mapped[PCI_MAX_BARS]; /* where bar[n].region sits, 0 = unmapped */
	uint8_t msix_cap;		   /* offset of the MSI-X capability, 0 = none */
	bool intx_asserted;		   /* counted on intx_gsi (level && !INTX_DISABLE) */
	bool registered;
	/* --stats: MSI-X messages sent, notifies held while masked, INTx raises. */
	uint64_t stat_msix, stat_msix_held, stat_intx;
};

/*
 * Set the header: vendor, device, subsystem IDs, class code (24 bits:
 * class << 16 | subclass << 8 | prog-if), revision, and INTx pin (0..4).
 */
void pci_dev_init(struct pci_dev *dev, const char *name, uint16_t vendor, uint16_t device,
		  uint16_t subsys_vendor, uint16_t subsys, uint32_t class_code, uint8_t rev,
		  uint8_t intx_pin);
/* Declare BAR @n (a 64-bit BAR takes n and n + 1). 0 or -EINVAL. */
int pci_add_bar(struct pci_dev *dev, int n, enum pci_bar_type type, uint64_t size,
		const struct bus_ops *ops, void *opaque);
/*
 * Append a capability (@cap[0] = ID; @cap[1], the next pointer, is filled
 * here) of @len bytes; returns its offset in config space, or -ENOSPC.
 * Bytes the guest may write are not writable unless @wmask says so
 * (NULL: read-only capability).
 */
int pci_add_cap(struct pci_dev *dev, const void *cap, unsigned int len, const uint8_t *wmask);
/*
 * Add an MSI-X capability with @nr vectors whose table (at @table_off) and
 * PBA (at @pba_off) live in BAR @bar, which the device declared. The device
 * model's BAR ops must forward accesses in those ranges to pci_msix_read() /
 * pci_msix_write(). Returns the capability offset or -errno.
 */
int pci_add_msix(struct pci_dev *dev, unsigned int nr, int bar, uint64_t table_off,
		 uint64_t pba_off);
uint64_t pci_msix_read(struct pci_dev *dev, uint64_t bar_off, unsigned int len);
void pci_msix_write(struct pci_dev *dev, uint64_t bar_off, uint64_t val, unsigned int len);

/*
 * Put the function on bus 0 (next free slot), place its BARs, and make it
 * visible to config cycles. 0 or -errno.
 */
int pci_register(struct vm *vm, struct pci_dev *dev);

/*
 * Interrupts from a device model, any thread. pci_msix_enabled() tells
 * which kind the guest set up. pci_msix_notify() signals vector @v (sets
 * its PBA bit instead while masked; delivered on unmask); it is a no-op for
 * a vector out of range. pci_intx_set() drives the INTx line (level).
 */
bool pci_msix_enabled(struct pci_dev *dev);
void pci_msix_notify(struct pci_dev *dev, unsigned int v);
void pci_intx_set(struct pci_dev *dev, bool level);

/* Machine reset: config space back to what the model set, MSI-X off. */
void pci_dev_reset(struct pci_dev *dev);

/*
 * The IOAPIC input of INTx @pin (1 = INTA# .. 4 = INTD#) of @slot: the swizzle
 * the DSDT's _PRT describes.
 */
#define PCI_INTX_GSI_BASE 16
static inline unsigned int pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	return PCI_INTX_GSI_BASE + (slot + pin - 1) % 4;
}

/* The host bridge (00:00.0, config mechanism #1, ECAM); level DEV_LEVEL_BUS. */
struct device;
extern struct device pci_device;

/* ECAM window (MCFG): bus 0 only. */
#define PCI_ECAM_BASE 0xe0000000ULL
#define PCI_ECAM_SIZE 0x100000ULL /* 1 MiB: 32 devices x 8 functions x 4 KiB */
/* Where BARs go: 32-bit MMIO window in the hole, and I/O ports. */
#define PCI_MMIO32_BASE 0xc0000000ULL
#define PCI_MMIO32_END	0xd0000000ULL /* exclusive; virtio-mmio, then ECAM */
#define PCI_PIO_BASE	0xc000
#define PCI_PIO_END	0x10000

#endif
