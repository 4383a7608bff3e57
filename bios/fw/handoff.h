/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vmm hands to its BIOS (bios/fw/), in guest memory at FW_HANDOFF_ADDR,
 * written before the first instruction runs. The BIOS never invents a
 * memory map: INT 15h E820/E801/88h and INT 12h come from this table.
 * Shared by vmm (gcc -m64) and the BIOS (gcc -m16): fixed-size, packed.
 */
#ifndef VMM_BIOS_FW_HANDOFF_H
#define VMM_BIOS_FW_HANDOFF_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/*
 * The BIOS image is 64 KiB at 0xf0000 (and at 0xffff0000). Its first
 * 30 KiB are left empty: vmm writes the MP table there (FW_MPTABLE), then
 * this block; BIOS code and data start at FW_CODE.
 */
#define FW_IMAGE_SIZE	  0x10000
#define FW_BASE		  0xf0000
#define FW_MPTABLE	  0xf0000
#define FW_MPTABLE_SIZE	  0x7800
#define FW_HANDOFF_ADDR	  0xf7800
#define FW_HANDOFF_OFFSET 0x7800 /* within the image */
#define FW_CODE_OFFSET	  0x8000
#define FW_HANDOFF_MAGIC  0x46464f48 /* "HOFF" */
#define FW_SIGNATURE	  "VMMBIOS1" /* at FW_CODE_OFFSET in the image: it reads the handoff */
#define FW_HANDOFF_E820	  32

/* flags */
#define FW_FLAG_RESET_ON_FAIL 0x01 /* --on-reset exit: no boot -> reset, vmm exits 4 */

#ifndef __ASSEMBLER__
enum fw_boot_dev {
	FW_BOOT_END = 0,
	FW_BOOT_DISK = 1,  /* ATA hard disks, first to last */
	FW_BOOT_CDROM = 2, /* ATAPI CD-ROMs, El Torito no-emulation */
};

struct fw_e820 {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __attribute__((packed));

struct fw_handoff {
	uint32_t magic;
	uint8_t version; /* 1 */
	uint8_t flags;
	uint8_t nr_e820;
	uint8_t boot_order[4]; /* enum fw_boot_dev, FW_BOOT_END-terminated */
	uint8_t pad;
	struct fw_e820 e820[FW_HANDOFF_E820];
} __attribute__((packed));
#endif

#endif
