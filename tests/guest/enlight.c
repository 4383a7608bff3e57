// SPDX-License-Identifier: GPL-2.0
/* vmm's enlightened IDE for kit guests (see enlight.h). */
#include <linux/pci_regs.h>
#include <linux/virtio_pci.h>

#include "enlight.h"
#include "kit.h"

int ke_find(struct ke *k, uint8_t devfn)
{
	uint32_t sub = kv_pci_read32(devfn, PCI_SUBSYSTEM_VENDOR_ID);
	int guard = 0;
	uint8_t pos;

	memset(k, 0, sizeof(*k));
	k->devfn = devfn;
	k->subsys_vendor = sub;
	k->subsys_device = sub >> 16;
	if (!(kv_pci_read32(devfn, PCI_COMMAND) >> 16 & PCI_STATUS_CAP_LIST))
		return 1;
	kv_pci_assign_bars(devfn);
	for (pos = kv_pci_read8(devfn, PCI_CAPABILITY_LIST) & ~3; pos && guard < 48;
	     pos = kv_pci_read8(devfn, pos + 1) & ~3, guard++) {
		uint8_t id = kv_pci_read8(devfn, pos), type, bar, n;
		uint64_t addr;
		uint32_t len;

		if (id == PCI_CAP_ID_MSIX) {
			k->msix_entries =
				(kv_pci_read32(devfn, pos) >> 16 & PCI_MSIX_FLAGS_QSIZE) + 1;
			continue;
		}
		if (id != PCI_CAP_ID_VNDR)
			continue;
		type = kv_pci_read8(devfn, pos + VIRTIO_PCI_CAP_CFG_TYPE);
		bar = kv_pci_read8(devfn, pos + VIRTIO_PCI_CAP_BAR);
		n = kv_pci_read8(devfn, pos + __builtin_offsetof(struct virtio_pci_cap, id));
		addr = bar <= 5 ? kv_pci_bar(devfn, bar) : 0;
		if (!addr)
			continue;
		addr += kv_pci_read32(devfn, pos + VIRTIO_PCI_CAP_OFFSET);
		len = kv_pci_read32(devfn, pos + VIRTIO_PCI_CAP_LENGTH);
		if (type == ENLIGHT_CAP_CONTROL && !k->ctl) {
			k->ctl = addr;
			k->ctl_len = len;
		} else if (type == ENLIGHT_CAP_DRIVE && n < ENLIGHT_MAX_DRIVES) {
			k->win[n] = addr;
			k->win_len[n] = len;
			k->ncaps++;
		}
	}
	if (k->subsys_vendor != ENLIGHT_SUBSYS_VENDOR ||
	    k->subsys_device != ENLIGHT_SUBSYS_DEVICE || !k->ctl)
		return 1;
	return 0;
}

uint32_t ke_read(struct ke *k, uint32_t reg)
{
	return mmio_read32(k->ctl + reg);
}

void ke_write(struct ke *k, uint32_t reg, uint32_t v)
{
	mmio_write32(k->ctl + reg, v);
}

uint32_t ke_hello(struct ke *k, uint32_t product, uint32_t build)
{
	ke_write(k, ENLIGHT_REG_PRODUCT, product);
	ke_write(k, ENLIGHT_REG_BUILD, build);
	ke_write(k, ENLIGHT_REG_COMMAND, ENLIGHT_CMD_HELLO);
	return ke_read(k, ENLIGHT_REG_RESULT);
}

uint32_t ke_switch(struct ke *k, unsigned int n)
{
	ke_write(k, ENLIGHT_REG_COMMAND, ENLIGHT_CMD_SWITCH | n << 8);
	return ke_read(k, ENLIGHT_REG_RESULT);
}

int ke_drive(struct ke *k, unsigned int n, struct kv_dev *d)
{
	uint64_t w;

	if (n >= ENLIGHT_MAX_DRIVES || !k->win[n] || k->win_len[n] < ENLIGHT_WIN_SIZE)
		return -1;
	w = k->win[n];
	kv_window(d, VIRTIO_ID_BLOCK, k->devfn, w + ENLIGHT_WIN_COMMON, w + ENLIGHT_WIN_ISR,
		  w + ENLIGHT_WIN_DEVCFG, w + ENLIGHT_WIN_NOTIFY, ENLIGHT_NOTIFY_MULT,
		  n * ENLIGHT_MSIX_PER_DRIVE);
	return 0;
}
