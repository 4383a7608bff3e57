/* SPDX-License-Identifier: GPL-2.0 */
/* vmm's BIOS image (bios/fw/, 64 KiB), built into the binary. */
	.section .rodata
	.balign	4096
	.global	vmm_bios_image, vmm_bios_image_end
vmm_bios_image:
	.incbin	FW_BIN_PATH
vmm_bios_image_end:
	.section .note.GNU-stack, "", @progbits
