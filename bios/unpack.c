// SPDX-License-Identifier: GPL-2.0
/*
 * Native decompression of a bzImage's kernel, for hosts whose KVM emulates
 * guest ring 0: there the kernel's own decompressor runs an instruction at
 * a time (Debian's XZ payload: not done after 300 s), while liblzma does it
 * in about a second. The boot protocol says where the payload is
 * (payload_offset/payload_length, protocol 2.08+); it is an ELF vmlinux,
 * and Linux built with CONFIG_PVH (Debian's is) is then entered through
 * PVH (bios/pvh.c). Where ring 0 runs natively this gains nothing, so vmm
 * uses it only where the CPU probe saw KVM's emulator at CPL 0.
 *
 * XZ only: that is what Debian's kernels use. Other payloads (gzip, zstd,
 * ...) boot through the kernel's own decompressor as before.
 */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>

#include "bios/linux.h"
#include "bios/pvh.h"

#define UNPACKED_MAX (1ULL << 30)
static const uint8_t xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };

int linux_unpack(const struct kernel_image *bz, struct kernel_image *elf)
{
	size_t len, in_pos = 0, out_pos = 0;
	uint64_t memlimit = UINT64_MAX;
	const uint8_t *in;
	uint32_t size;
	uint8_t *out;

	if (linux_check(bz->data, bz->size) || !memcmp(bz->data, "\177ELF", 4))
		return -1;
	in = linux_payload(bz, &len);
	if (!in || len < sizeof(xz_magic) + 4 || memcmp(in, xz_magic, sizeof(xz_magic)))
		return -1;
	/* Linux appends the uncompressed size (le32) after the stream. */
	memcpy(&size, in + len - 4, 4);
	if (size < 64 || size > UNPACKED_MAX)
		return -1;
	out = malloc(size);
	if (!out)
		return -1;
	if (lzma_stream_buffer_decode(&memlimit, 0, NULL, in, &in_pos, len - 4, out, &out_pos,
				      size) != LZMA_OK ||
	    out_pos != size || pvh_check(out, size, NULL)) {
		free(out);
		return -1;
	}
	*elf = (struct kernel_image){ .path = bz->path, .data = out, .size = size };
	return 0;
}
