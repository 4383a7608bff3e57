/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmm's enlightened IDE (enlight/abi.h) for kit guests: find the control
 * page and the drive windows through the IDE function's capabilities, do
 * the handshake, switch a drive, and attach the kit's virtio driver to a
 * drive's window (kv_window()).
 *
 *	struct ke k;
 *	struct kv_dev d;
 *
 *	ide_find();
 *	if (ke_find(&k, ide_devfn) == 0 &&
 *	    ke_hello(&k, ENLIGHT_PRODUCT_KIT, 1) == ENLIGHT_RES_OK &&
 *	    ke_switch(&k, 0) == ENLIGHT_RES_OK && ke_drive(&k, 0, &d) == 0)
 *		... kv_init(&d, ...) as any virtio-blk device
 */
#ifndef KIT_ENLIGHT_H
#define KIT_ENLIGHT_H

#include <stdint.h>

#include "../../enlight/abi.h"
#include "virtio.h"

struct ke {
	uint8_t devfn;
	uint16_t subsys_vendor, subsys_device;
	uint64_t ctl; /* control page (0: no capability) */
	uint32_t ctl_len;
	uint64_t win[ENLIGHT_MAX_DRIVES]; /* each drive's window (0: none) */
	uint32_t win_len[ENLIGHT_MAX_DRIVES];
	int ncaps;	  /* ENLIGHT_CAP_DRIVE capabilities */
	int msix_entries; /* MSI-X table size (0: no capability) */
};

/*
 * Read function @devfn's subsystem IDs and capabilities into @k. 0 when it
 * is enlightenable (subsystem IDs and a control capability in a decoded
 * BAR), 1 when not.
 */
int ke_find(struct ke *k, uint8_t devfn);
uint32_t ke_read(struct ke *k, uint32_t reg);
void ke_write(struct ke *k, uint32_t reg, uint32_t v);
/* Write PRODUCT, BUILD, then HELLO: the RESULT. */
uint32_t ke_hello(struct ke *k, uint32_t product, uint32_t build);
/* SWITCH drive @n: the RESULT. */
uint32_t ke_switch(struct ke *k, unsigned int n);
/* Attach @d to drive @n's window (MSI-X entries from n * ENLIGHT_MSIX_PER_DRIVE). */
int ke_drive(struct ke *k, unsigned int n, struct kv_dev *d);

#endif
