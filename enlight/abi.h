/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The enlightened-mode interface of vmm's emulated IDE controller: the
 * contract between vmm (enlight/enlight.c), the guest shunt driver
 * (enlight/guest/shunt.c, a Linux module) and the kit guests. Only
 * #defines, so every side, kernel or user space, includes it as it is.
 *
 * Discovery. The PIIX3 IDE function (PCI 8086:7010) of an enlightenable
 * controller has subsystem ENLIGHT_SUBSYS_VENDOR:ENLIGHT_SUBSYS_DEVICE
 * (real hardware and `--enlight off` do not) and vendor-specific
 * capabilities laid out as struct virtio_pci_cap (linux/virtio_pci.h):
 *
 *	cfg_type ENLIGHT_CAP_CONTROL	bar, offset, length of the control page
 *	cfg_type ENLIGHT_CAP_DRIVE	one per hard disk; id = drive number
 *					(channel * 2 + unit: 0 = primary
 *					master ... 3 = secondary slave),
 *					bar, offset, length of its window
 *
 * A drive's window is a virtio block device (virtio 1.x) in the modern
 * virtio-pci register layout, each structure at a fixed offset in it:
 * struct virtio_pci_common_cfg at ENLIGHT_WIN_COMMON, the ISR byte at
 * ENLIGHT_WIN_ISR (reading clears it), struct virtio_blk_config at
 * ENLIGHT_WIN_DEVCFG, and queue q's doorbell at ENLIGHT_WIN_NOTIFY +
 * q * ENLIGHT_NOTIFY_MULT. Interrupts are MSI-X of the IDE function
 * (a standard MSI-X capability, table in the same BAR): the driver puts
 * vector numbers in each drive's msix_config and queue_msix_vector; at
 * least ENLIGHT_MSIX_PER_DRIVE vectors per drive are offered. Without
 * MSI-X a drive raises no interrupt (its ISR still says why): poll.
 *
 * Control page registers (32-bit accesses):
 *	MAGIC		RO	ENLIGHT_MAGIC
 *	VERSION		RO	ENLIGHT_VERSION
 *	DRIVES		RO	bit n: drive n is a hard disk that can switch
 *	PRODUCT, BUILD	RW	the driver's product and build numbers
 *	COMMAND		WO	ENLIGHT_CMD_* (SWITCH: | drive << 8)
 *	RESULT		RO	the last command's ENLIGHT_RES_*
 *	STATE		RO	ENLIGHT_ST_* of the handshake
 *	ENLIGHTENED	RO	bit n: drive n is in enlightened mode
 *
 * Protocol: read MAGIC and VERSION; write PRODUCT and BUILD; write
 * ENLIGHT_CMD_HELLO. RESULT is ENLIGHT_RES_OK, or ENLIGHT_RES_DENIED when
 * the product:build is on vmm's deny list (--enlight-deny): the driver must
 * then leave the device alone. Then ENLIGHT_CMD_SWITCH | n << 8 per drive:
 * when the write returns, every emulated request of drive n has completed
 * and is flushed, and the drive is enlightened: its requests go through
 * its virtqueues; on the IDE registers it is hidden (IDENTIFY and device
 * selection see no drive), and a data command that still reaches it there
 * is carried out on the same back-end, in order, and counted. A machine
 * reset returns every drive to emulated mode and the handshake to
 * ENLIGHT_ST_NONE.
 */
#ifndef VMM_ENLIGHT_ABI_H
#define VMM_ENLIGHT_ABI_H

#define ENLIGHT_SUBSYS_VENDOR 0x1af4 /* the virtio vendor, as QEMU's subsystems */
#define ENLIGHT_SUBSYS_DEVICE 0x1e17 /* "enlightenable IDE controller" */

/* Vendor capabilities (struct virtio_pci_cap, cap_vndr PCI_CAP_ID_VNDR). */
#define ENLIGHT_CAP_CONTROL 0x40
#define ENLIGHT_CAP_DRIVE   0x41

#define ENLIGHT_MAX_DRIVES 4

/* Control page. */
#define ENLIGHT_REG_MAGIC	0x00
#define ENLIGHT_REG_VERSION	0x04
#define ENLIGHT_REG_DRIVES	0x08
#define ENLIGHT_REG_PRODUCT	0x0c
#define ENLIGHT_REG_BUILD	0x10
#define ENLIGHT_REG_COMMAND	0x14
#define ENLIGHT_REG_RESULT	0x18
#define ENLIGHT_REG_STATE	0x1c
#define ENLIGHT_REG_ENLIGHTENED 0x20

#define ENLIGHT_MAGIC	0x746c6e45 /* "Enlt" */
#define ENLIGHT_VERSION 1

#define ENLIGHT_CMD_HELLO  1
#define ENLIGHT_CMD_SWITCH 2 /* | drive << 8 */
#define ENLIGHT_CMD_MASK   0xff

#define ENLIGHT_RES_OK	     0
#define ENLIGHT_RES_DENIED   1 /* the driver is on the deny list */
#define ENLIGHT_RES_NO_HELLO 2 /* SWITCH before an accepted HELLO */
#define ENLIGHT_RES_NO_DRIVE 3 /* not a drive that can switch */
#define ENLIGHT_RES_IO_ERROR 4 /* the flush before the switch failed */
#define ENLIGHT_RES_BAD_CMD  5

#define ENLIGHT_ST_NONE	    0 /* no HELLO since reset */
#define ENLIGHT_ST_ACCEPTED 1
#define ENLIGHT_ST_DENIED   2

/* A drive's window: the modern virtio-pci structures at fixed offsets. */
#define ENLIGHT_WIN_COMMON  0x0000
#define ENLIGHT_WIN_ISR	    0x1000
#define ENLIGHT_WIN_DEVCFG  0x2000
#define ENLIGHT_WIN_NOTIFY  0x3000
#define ENLIGHT_WIN_SIZE    0x4000
#define ENLIGHT_NOTIFY_MULT 4

#define ENLIGHT_MSIX_PER_DRIVE 2 /* configuration changes, queue 0 */

/* Product numbers of the drivers vmm ships (PRODUCT register). */
#define ENLIGHT_PRODUCT_LINUX 1 /* enlight/guest/shunt.c */
#define ENLIGHT_PRODUCT_KIT   2 /* the kit guests' own driver */

#endif
