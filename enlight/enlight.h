/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Enlightened mode of the emulated IDE controller (enlight/abi.h is the
 * guest-visible contract): the controller's PCI function also carries a
 * control page and, per hard disk, a virtio-blk device on the disk's own
 * back-end. devices/ide.c calls these; nothing else knows about them.
 */
#ifndef VMM_ENLIGHT_ENLIGHT_H
#define VMM_ENLIGHT_ENLIGHT_H

#include <stdint.h>
#include <stdio.h>

struct ide_ctrl;
struct vm;

/*
 * Before the function is registered: subsystem IDs, BAR 5, the vendor
 * capabilities and MSI-X, one virtio-blk per ATA disk. Does nothing with
 * --enlight off. 0 or -errno (a line printed).
 */
int enlight_setup(struct vm *vm, struct ide_ctrl *c);
/* devices/pci.c's bar_remap hook of the IDE function (doorbell ioeventfds). */
void enlight_bar_remap(struct ide_ctrl *c, int bar, uint64_t addr);
/* Machine reset: rings stopped and drained, every drive emulated again. */
void enlight_reset(struct ide_ctrl *c);
/*
 * devices/ide.c, no lock held, before a data command reaches enlightened
 * drive @d on the IDE registers: submit what the driver already put on
 * the drive's ring (a doorbell the I/O thread has not served yet), so the
 * drain that follows makes the command land after it.
 */
struct ide_drive;
void enlight_take_ring(struct ide_ctrl *c, struct ide_drive *d);
/* --stats: one line per hard disk. */
void enlight_print_stats(struct ide_ctrl *c, FILE *f);

#endif
