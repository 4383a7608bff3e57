// SPDX-License-Identifier: GPL-2.0
/*
 * qcow2 header, header extensions, L1/L2 and refcount parsing: the input is
 * an image file (in a memfd, opened by its /proc path as vmm opens a
 * --disk). Opening must end in an image or one error line; then a few
 * sectors are read (start, middle, end, and one in each of the first L1
 * ranges) and, when the input's last byte is odd, one sector is written
 * (cluster allocation, refcount blocks, copy-on-write) and the first half
 * discarded (L2 entries cleared, refcounts dropped). Any request may
 * fail; none may crash, hang or leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "devices/block/blk_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], err[512];
	bool rw = size && (data[size - 1] & 1);
	struct bimg *img;
	uint8_t *buf;
	int fd;

	fd = memfd_create("fuzz-qcow2", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (size && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	img = img_open(path, DISK_FMT_AUTO, !rw, false, 0, err, sizeof(err));
	if (!img) {
		if (!err[0])
			abort(); /* a failure must say why */
		close(fd);
		return 0;
	}
	buf = calloc(1, 4096);
	if (buf && img->size >= 512) {
		uint64_t last = img->size - 512;
		struct iovec v = { buf, 512 };

		img_exec(img, BLK_READ, 0, 512, &v, 1);
		img_exec(img, BLK_READ, (last / 2) & ~511ULL, 512, &v, 1);
		img_exec(img, BLK_READ, last, 512, &v, 1);
		/* Spread over the disk: different L1 entries and L2 tables. */
		for (uint64_t i = 1; i < 8; i++)
			img_exec(img, BLK_READ, (last / 8 * i) & ~511ULL, 512, &v, 1);
		/* A whole page across a cluster boundary, for small clusters. */
		if (img->size >= 4096 + 3584) {
			v.iov_len = 4096;
			img_exec(img, BLK_READ, 3584, 4096, &v, 1);
			v.iov_len = 512;
		}
		if (rw) {
			memset(buf, 0x5a, 512);
			img_exec(img, BLK_WRITE, (last / 3) & ~511ULL, 512, &v, 1);
			img_exec(img, BLK_WRITE_ZEROES, 0, 512, NULL, 0);
			img_exec(img, BLK_READ, (last / 3) & ~511ULL, 512, &v, 1);
			img_exec(img, BLK_DISCARD, 0, (last / 2) & ~511ULL, NULL, 0);
			img_exec(img, BLK_READ, 0, 512, &v, 1);
		}
	}
	free(buf);
	img_close(img);
	close(fd);
	return 0;
}
