// SPDX-License-Identifier: GPL-2.0
/*
 * The firmware boot path: see firmware.h. The vCPUs start in KVM's reset
 * state (CS base 0xffff0000, IP 0xfff0), which vm_reset() restores on a
 * reboot; nothing here sets registers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asm/e820.h>
#include <linux/kvm.h>

#include "bios/firmware.h"
#include "bios/fw/handoff.h"
#include "bios/layout.h"
#include "bios/tables.h"
#include "config/config.h"
#include "config/status.h"
#include "cpu/vm.h"
#include "mmio/mem.h"

/* bios/fw_image.S; weak so that builds without it (fuzzers) still link. */
extern const uint8_t vmm_bios_image[] __attribute__((weak));
extern const uint8_t vmm_bios_image_end[] __attribute__((weak));

#define BDA_EBDA_SEGMENT 0x40e

const char *firmware_check_size(uint64_t size)
{
	if (size < FIRMWARE_MIN_SIZE || size > FIRMWARE_MAX_SIZE || size % FIRMWARE_MIN_SIZE)
		return "must be 64, 128, 192 or 256 KiB";
	return NULL;
}

static int read_file(struct firmware *fw, const char *path)
{
	struct stat st;
	const char *bad;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "vmm: --firmware %s: %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return VMM_EXIT_USAGE;
	}
	bad = S_ISREG(st.st_mode) ? firmware_check_size(st.st_size) : "not a regular file";
	if (bad) {
		fprintf(stderr, "vmm: --firmware %s: %lld bytes: %s\n", path, (long long)st.st_size,
			bad);
		close(fd);
		return VMM_EXIT_USAGE;
	}
	fw->size = st.st_size;
	fw->data = malloc(fw->size);
	if (!fw->data || read(fd, fw->data, fw->size) != (ssize_t)fw->size) {
		fprintf(stderr, "vmm: --firmware %s: cannot read it\n", path);
		close(fd);
		return VMM_EXIT_USAGE;
	}
	close(fd);
	return 0;
}

int firmware_read(struct firmware *fw, const struct config *cfg)
{
	memset(fw, 0, sizeof(*fw));
	fw->slot = -1;
	fw->path = cfg->firmware;
	if (fw->path)
		return read_file(fw, fw->path);
	if (!vmm_bios_image || vmm_bios_image_end - vmm_bios_image != FW_IMAGE_SIZE) {
		fprintf(stderr,
			"vmm: this vmm has no built-in BIOS: give --kernel or --firmware\n");
		return VMM_EXIT_USAGE;
	}
	fw->size = FW_IMAGE_SIZE;
	fw->data = malloc(fw->size);
	if (!fw->data)
		return VMM_EXIT_HOST_ERROR;
	memcpy(fw->data, vmm_bios_image, fw->size);
	return 0;
}

void firmware_free(struct firmware *fw)
{
	free(fw->data);
	fw->data = NULL;
	/* The ROM mapping lives as long as the VM. */
}

/* The read-only copy at the top of 4 GiB, where the reset vector is. */
static int map_rom(struct vm *vm, struct firmware *fw)
{
	int ret;

	if (fw->rom)
		return 0;
	fw->rom = mmap(NULL, fw->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fw->rom == MAP_FAILED) {
		fw->rom = NULL;
		return -errno;
	}
	memcpy(fw->rom, fw->data, fw->size);
	fw->slot = mem_slot_alloc();
	ret = mem_slot_set(vm->vm_fd, fw->slot, MEM_4G - fw->size, fw->size, fw->rom,
			   KVM_MEM_READONLY);
	if (ret == -EINVAL) /* no read-only memory in this KVM: a RAM copy does */
		ret = mem_slot_set(vm->vm_fd, fw->slot, MEM_4G - fw->size, fw->size, fw->rom, 0);
	return ret;
}

static int write_handoff(struct vm *vm)
{
	struct boot_e820_entry e820[FW_HANDOFF_E820];
	struct fw_handoff h = { .magic = FW_HANDOFF_MAGIC, .version = 1 };
	const struct config *cfg = vm->cfg;
	int n = e820_build(vm, e820, FW_HANDOFF_E820);

	if (n < 0)
		return n;
	_Static_assert(sizeof(struct fw_e820) == sizeof(struct boot_e820_entry), "e820 entry");
	_Static_assert(FW_HANDOFF_ADDR + sizeof(h) <= FW_BASE + FW_CODE_OFFSET, "handoff size");
	memcpy(h.e820, e820, n * sizeof(e820[0]));
	h.nr_e820 = n;
	if (cfg->on_reset == ON_RESET_EXIT)
		h.flags |= FW_FLAG_RESET_ON_FAIL;
	if (cfg->boot == BOOT_CDROM) {
		h.boot_order[0] = FW_BOOT_CDROM;
		h.boot_order[1] = FW_BOOT_DISK;
	} else {
		h.boot_order[0] = FW_BOOT_DISK;
		h.boot_order[1] = FW_BOOT_CDROM;
	}
	return mem_write(&vm->mem, FW_HANDOFF_ADDR, &h, sizeof(h));
}

int firmware_load(struct vm *vm, struct firmware *fw)
{
	uint64_t low = fw->size < FIRMWARE_LOW_LIMIT ? fw->size : FIRMWARE_LOW_LIMIT;
	uint16_t ebda_seg = LAYOUT_EBDA >> 4;
	/* Our BIOS (built in or from a file) says so at FW_CODE_OFFSET. */
	bool ours = fw->size == FW_IMAGE_SIZE &&
		    !memcmp(fw->data + FW_CODE_OFFSET, FW_SIGNATURE, strlen(FW_SIGNATURE));
	int ret;

	ret = map_rom(vm, fw);
	if (ret < 0) {
		fprintf(stderr, "vmm: cannot map the firmware ROM: %s\n", strerror(-ret));
		return VMM_EXIT_HOST_ERROR;
	}
	/*
	 * Low memory as at power-on: zero, then the image's last 128 KiB at
	 * most, below 1 MiB. The VGA window (0xa0000-0xbffff) is the display's,
	 * not RAM: the two RAM pieces around it are cleared one by one.
	 */
	uint8_t *lowmem = mem_ptr(&vm->mem, 0, MEM_VGA_START);
	uint8_t *upper = mem_ptr(&vm->mem, MEM_VGA_END, LAYOUT_KERNEL - MEM_VGA_END);

	if (!lowmem || !upper) {
		fprintf(stderr, "vmm: firmware boot needs RAM below 1 MiB\n");
		return VMM_EXIT_HOST_ERROR;
	}
	memset(lowmem, 0, MEM_VGA_START);
	memset(upper, 0, LAYOUT_KERNEL - MEM_VGA_END);
	memcpy(upper + (LAYOUT_KERNEL - MEM_VGA_END) - low, fw->data + fw->size - low, low);
	memcpy(lowmem + BDA_EBDA_SEGMENT, &ebda_seg, sizeof(ebda_seg));
	/*
	 * Our BIOS leaves room for the MP table and the handoff block at the
	 * start of its image; the ACPI tables go below it at 0xe0000 as for a
	 * kernel. A foreign image of 64 KiB gets the ACPI tables only.
	 */
	ret = 0;
	if (ours) {
		ret = mptable_build(vm, FW_MPTABLE, FW_MPTABLE_SIZE);
		if (!ret)
			ret = write_handoff(vm);
	}
	if (!ret && low <= LAYOUT_KERNEL - LAYOUT_BIOS - LAYOUT_BIOS_SIZE)
		ret = acpi_build(vm, LAYOUT_BIOS, LAYOUT_BIOS_SIZE);
	if (ret < 0) {
		fprintf(stderr, "vmm: cannot build the firmware tables: %s\n", strerror(-ret));
		return VMM_EXIT_HOST_ERROR;
	}
	return 0;
}
