// SPDX-License-Identifier: GPL-2.0
/*
 * The block layer on temporary files: raw and qcow2, each back-end
 * (io_uring, libaio, threads), buffered and O_DIRECT. Reads, writes,
 * flush, discard, write-zeroes, range and alignment checks, read-only
 * images, OFD locking; qcow2 images made by qemu-img, written here and
 * judged by `qemu-img check` and `qemu-img compare` against a raw file
 * holding what was written; backing chains; malformed headers refused.
 * The qcow2 tests skip (loudly) when qemu-img is missing.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/block/block.h"

#define MiB (1ULL << 20)

static char dir[64];
static bool have_qemu_img;

struct waiter {
	struct blk_req req;
	int result;
	int calls;
};

static void done(struct blk_req *req, int result)
{
	struct waiter *w = req->opaque;

	w->result = result;
	w->calls++;
}

/* One request, waited for. */
static int run(struct blk *b, enum blk_op op, uint64_t off, void *buf, uint64_t len)
{
	struct iovec iov = { buf, len };
	struct waiter w = { .req = { .op = op, .offset = off, .len = len, .done = done } };

	w.req.opaque = &w;
	if (op == BLK_READ || op == BLK_WRITE) {
		w.req.iov = &iov;
		w.req.iovcnt = 1;
	}
	blk_submit(b, &w.req);
	blk_drain(b);
	assert_int_equal(w.calls, 1);
	return w.result;
}

static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st != 0)
		fail_msg("command failed (%d): %s", st, cmd);
}

static int sh_status(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static struct blk *open_img(const char *path, enum disk_format fmt, enum disk_aio aio,
			    enum disk_cache cache, bool ro)
{
	struct disk_opts o = {
		.file = path, .format = fmt, .aio = aio, .cache = cache, .readonly = ro
	};
	char err[512] = "";
	struct blk *b = blk_open(&o, err, sizeof(err));

	if (!b)
		fail_msg("blk_open %s: %s", path, err);
	return b;
}

static const char *open_fails(const char *path, enum disk_format fmt, bool ro)
{
	static char err[512];
	struct disk_opts o = { .file = path, .format = fmt, .readonly = ro };
	struct blk *b;

	err[0] = 0;
	b = blk_open(&o, err, sizeof(err));
	if (b) {
		blk_close(b);
		fail_msg("%s opened, expected an error", path);
	}
	assert_true(err[0]);
	return err;
}

static void fill(uint8_t *p, uint64_t len, unsigned int seed)
{
	for (uint64_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

static bool all(const uint8_t *p, uint64_t len, uint8_t v)
{
	for (uint64_t i = 0; i < len; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* --- raw ------------------------------------------------------------------- */

static void raw_case(enum disk_aio aio, enum disk_cache cache)
{
	char path[128];
	uint8_t *w = NULL, *r = NULL, *odd;
	struct blk *b;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/raw-%d-%d.img", dir, aio, cache);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8 * MiB), 0);
	close(fd);

	b = open_img(path, DISK_FMT_AUTO, aio, cache, false);
	assert_string_equal(blk_format_name(b), "raw");
	assert_string_equal(blk_backend_name(b), aio == DISK_AIO_NATIVE	   ? "native"
						 : aio == DISK_AIO_THREADS ? "threads"
									   : "io_uring");
	assert_int_equal(blk_size(b), 8 * MiB);
	assert_false(blk_readonly(b));
	assert_int_equal(posix_memalign((void **)&w, 4096, 1 * MiB), 0);
	assert_int_equal(posix_memalign((void **)&r, 4096, 1 * MiB + 4096), 0);

	fill(w, MiB, 1);
	assert_int_equal(run(b, BLK_WRITE, 3 * MiB, w, MiB), 0);
	memset(r, 0, MiB);
	assert_int_equal(run(b, BLK_READ, 3 * MiB, r, MiB), 0);
	assert_memory_equal(r, w, MiB);
	assert_int_equal(run(b, BLK_FLUSH, 0, NULL, 0), 0);

	/* A buffer O_DIRECT cannot use directly: bounced. */
	odd = r + 1;
	fill(odd, 4096, 2);
	assert_int_equal(run(b, BLK_WRITE, 512, odd, 4096), 0);
	memset(r, 0, 8192);
	assert_int_equal(run(b, BLK_READ, 0, r + 3, 8192), 0);
	fill(w, 4096, 2);
	assert_memory_equal(r + 3 + 512, w, 4096);
	assert_true(all(r + 3, 512, 0));

	/* Unaligned and longer than one O_DIRECT bounce piece (1 MiB). */
	{
		uint8_t *bw = malloc(3 * MiB + 1024 + 1), *br = malloc(3 * MiB + 1024 + 3);

		fill(bw + 1, 3 * MiB + 1024, 5);
		assert_int_equal(run(b, BLK_WRITE, 4 * MiB, bw + 1, 3 * MiB + 1024), 0);
		memset(br, 0, 3 * MiB + 1024 + 3);
		assert_int_equal(run(b, BLK_READ, 4 * MiB, br + 3, 3 * MiB + 1024), 0);
		assert_memory_equal(br + 3, bw + 1, 3 * MiB + 1024);
		free(bw);
		free(br);
	}

	/* Discard and write-zeroes read back as zeros. */
	assert_int_equal(run(b, BLK_DISCARD, 3 * MiB, NULL, 64 * 1024), 0);
	assert_int_equal(run(b, BLK_READ, 3 * MiB, r, 64 * 1024), 0);
	assert_true(all(r, 64 * 1024, 0));
	assert_int_equal(run(b, BLK_WRITE_ZEROES, 3 * MiB + 65536, NULL, 4096), 0);
	assert_int_equal(run(b, BLK_READ, 3 * MiB + 65536, r, 8192), 0);
	assert_true(all(r, 4096, 0));
	fill(w, MiB, 1);
	assert_memory_equal(r + 4096, w + 65536 + 4096, 4096);

	/* Out of range, overflow, unaligned. */
	assert_int_equal(run(b, BLK_READ, 8 * MiB, r, 512), -EINVAL);
	assert_int_equal(run(b, BLK_READ, 8 * MiB - 512, r, 1024), -EINVAL);
	assert_int_equal(run(b, BLK_WRITE, UINT64_MAX - 511, w, 512), -EINVAL);
	assert_int_equal(run(b, BLK_DISCARD, 7 * MiB, NULL, 2 * MiB), -EINVAL);
	assert_int_equal(run(b, BLK_WRITE_ZEROES, 1ULL << 62, NULL, 512), -EINVAL);
	assert_int_equal(run(b, BLK_READ, 100, r, 512), -EINVAL);
	assert_int_equal(run(b, BLK_READ, 0, r, 100), -EINVAL);
	assert_int_equal(run(b, BLK_READ, 8 * MiB - 512, r, 512), 0);

	/* Many in flight at once, then drained. */
	{
		struct waiter ws[64];
		struct iovec iov[64];

		for (int i = 0; i < 64; i++) {
			iov[i] = (struct iovec){ w + i * 4096, 4096 };
			ws[i] = (struct waiter){ .req = { .op = BLK_WRITE,
							  .offset = (uint64_t)i * 4096,
							  .len = 4096,
							  .iov = &iov[i],
							  .iovcnt = 1,
							  .done = done } };
			ws[i].req.opaque = &ws[i];
			blk_submit(b, &ws[i].req);
		}
		blk_drain(b);
		for (int i = 0; i < 64; i++) {
			assert_int_equal(ws[i].calls, 1);
			assert_int_equal(ws[i].result, 0);
		}
		assert_int_equal(run(b, BLK_READ, 0, r, 64 * 4096), 0);
		assert_memory_equal(r, w, 64 * 4096);
	}
	blk_close(b);

	/* The file holds exactly what was written. */
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, r, 64 * 4096, 0), 64 * 4096);
	assert_memory_equal(r, w, 64 * 4096);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 8 * MiB);
	close(fd);

	/* Read-only: reads work, the rest is refused. */
	b = open_img(path, DISK_FMT_RAW, aio, cache, true);
	assert_true(blk_readonly(b));
	assert_int_equal(run(b, BLK_READ, 0, r, 4096), 0);
	assert_int_equal(run(b, BLK_WRITE, 0, w, 4096), -EROFS);
	assert_int_equal(run(b, BLK_DISCARD, 0, NULL, 4096), -EROFS);
	assert_int_equal(run(b, BLK_WRITE_ZEROES, 0, NULL, 4096), -EROFS);
	blk_close(b);
	free(w);
	free(r);
}

static void test_raw_uring(void **s)
{
	raw_case(DISK_AIO_IO_URING, DISK_CACHE_WRITEBACK);
}

static void test_raw_uring_direct(void **s)
{
	raw_case(DISK_AIO_IO_URING, DISK_CACHE_NONE);
}

static void test_raw_native(void **s)
{
	raw_case(DISK_AIO_NATIVE, DISK_CACHE_WRITEBACK);
}

static void test_raw_native_direct(void **s)
{
	raw_case(DISK_AIO_NATIVE, DISK_CACHE_NONE);
}

static void test_raw_threads(void **s)
{
	raw_case(DISK_AIO_THREADS, DISK_CACHE_WRITEBACK);
}

static void test_raw_threads_direct(void **s)
{
	raw_case(DISK_AIO_THREADS, DISK_CACHE_NONE);
}

static void test_lock(void **s)
{
	char path[128];
	struct blk *a, *b;
	const char *err;

	snprintf(path, sizeof(path), "%s/lock.img", dir);
	sh("truncate -s 1M %s", path);
	a = open_img(path, DISK_FMT_AUTO, DISK_AIO_IO_URING, DISK_CACHE_WRITEBACK, false);
	err = open_fails(path, DISK_FMT_AUTO, false);
	assert_non_null(strstr(err, "is locked by another process"));
	/* Not even read-only while someone writes. */
	err = open_fails(path, DISK_FMT_AUTO, true);
	assert_non_null(strstr(err, "is locked by another process"));
	blk_close(a);
	/* Two readers share; a writer is refused. */
	a = open_img(path, DISK_FMT_AUTO, DISK_AIO_IO_URING, DISK_CACHE_WRITEBACK, true);
	b = open_img(path, DISK_FMT_AUTO, DISK_AIO_THREADS, DISK_CACHE_WRITEBACK, true);
	err = open_fails(path, DISK_FMT_AUTO, false);
	assert_non_null(strstr(err, "is locked"));
	blk_close(a);
	blk_close(b);
	b = open_img(path, DISK_FMT_AUTO, DISK_AIO_IO_URING, DISK_CACHE_WRITEBACK, false);
	blk_close(b);
}

static void test_missing(void **s)
{
	char path[128];
	const char *err;

	snprintf(path, sizeof(path), "%s/nope.img", dir);
	err = open_fails(path, DISK_FMT_AUTO, false);
	assert_non_null(strstr(err, "No such file or directory"));
	err = open_fails(dir, DISK_FMT_AUTO, true);
	assert_non_null(strstr(err, "not a regular file"));
	/* format=qcow2 on a raw file. */
	snprintf(path, sizeof(path), "%s/plain.img", dir);
	sh("truncate -s 1M %s", path);
	err = open_fails(path, DISK_FMT_QCOW2, false);
	assert_non_null(strstr(err, "not a qcow2 image"));
}

/* --- qcow2 ----------------------------------------------------------------- */

#define SKIP_NO_QEMU_IMG()                                                                \
	do {                                                                              \
		if (!have_qemu_img) {                                                     \
			fprintf(stderr, "SKIP: qemu-img is missing: qcow2 not tested\n"); \
			skip();                                                           \
		}                                                                         \
	} while (0)

/* Write @len bytes at @off to the qcow2 blk and to the raw mirror. */
static void twin_write(struct blk *b, int mirror, uint64_t off, uint8_t *buf, uint64_t len)
{
	assert_int_equal(run(b, BLK_WRITE, off, buf, len), 0);
	assert_int_equal(pwrite(mirror, buf, len, (off_t)off), (ssize_t)len);
}

static void check_clean(const char *qcow, const char *raw)
{
	/* No errors, no leaks, and the same guest-visible bytes. */
	sh("qemu-img check -q %s", qcow);
	sh("qemu-img check %s 2>&1 | grep -q 'No errors were found'", qcow);
	sh("qemu-img compare -q -f qcow2 -F raw %s %s", qcow, raw);
}

static void qcow2_case_opts(enum disk_aio aio, enum disk_cache cache, unsigned int cluster,
			    uint64_t size, const char *opts)
{
	char q[128], m[128];
	uint8_t *buf = NULL, *r = NULL;
	struct blk *b;
	int mirror;
	uint64_t cs = cluster;

	SKIP_NO_QEMU_IMG();
	snprintf(q, sizeof(q), "%s/q-%d-%d-%u.qcow2", dir, aio, cache, cluster);
	snprintf(m, sizeof(m), "%s/q-%d-%d-%u.raw", dir, aio, cache, cluster);
	sh("qemu-img create -q -f qcow2 -o cluster_size=%u%s %s %llu", cluster, opts, q,
	   (unsigned long long)size);
	mirror = open(m, O_CREAT | O_TRUNC | O_RDWR, 0644);
	assert_true(mirror >= 0);
	assert_int_equal(ftruncate(mirror, (off_t)size), 0);

	b = open_img(q, DISK_FMT_AUTO, aio, cache, false);
	assert_string_equal(blk_format_name(b), "qcow2");
	assert_int_equal(blk_size(b), size);
	assert_int_equal(posix_memalign((void **)&buf, 4096, 4 * MiB), 0);
	assert_int_equal(posix_memalign((void **)&r, 4096, 4 * MiB), 0);

	/* Fresh image reads zeros. */
	memset(r, 0xaa, 65536);
	assert_int_equal(run(b, BLK_READ, 0, r, 65536), 0);
	assert_true(all(r, 65536, 0));

	/* Partial clusters, cluster-spanning, whole clusters, far apart. */
	fill(buf, 512, 3);
	twin_write(b, mirror, 512, buf, 512);
	fill(buf, 3 * cs + 1024, 4);
	twin_write(b, mirror, 5 * cs - 512, buf, 3 * cs + 1024);
	fill(buf, MiB, 5);
	twin_write(b, mirror, size / 2, buf, MiB);
	fill(buf, 4096, 6);
	twin_write(b, mirror, size - 4096, buf, 4096);
	/* Overwrite allocated data in place, partly. */
	fill(buf, 1024, 7);
	twin_write(b, mirror, 5 * cs, buf, 1024);
	/* Write-zeroes over data and over nothing. */
	assert_int_equal(run(b, BLK_WRITE_ZEROES, size / 2 + 4096, NULL, 8192), 0);
	memset(buf, 0, 8192);
	assert_int_equal(pwrite(mirror, buf, 8192, (off_t)(size / 2 + 4096)), 8192);
	assert_int_equal(run(b, BLK_WRITE_ZEROES, 64 * cs, NULL, 4 * cs), 0);
	/* Discard frees whole clusters: they read as zeros (no backing file). */
	assert_int_equal(run(b, BLK_DISCARD, 0, NULL, cs), 0);
	memset(buf, 0, MiB);
	assert_int_equal(pwrite(mirror, buf, cs, 0), (ssize_t)cs);
	assert_int_equal(run(b, BLK_DISCARD, size / 2 + MiB / 2, NULL, MiB / 2), 0);
	assert_int_equal(pwrite(mirror, buf, MiB / 2, (off_t)(size / 2 + MiB / 2)),
			 (ssize_t)(MiB / 2));
	/* Partial clusters are left alone. */
	if (cs > 512)
		assert_int_equal(run(b, BLK_DISCARD, 5 * cs + 512, NULL, 512), 0);
	assert_int_equal(run(b, BLK_FLUSH, 0, NULL, 0), 0);

	/* Reads see what the mirror holds. */
	assert_int_equal(run(b, BLK_READ, size / 2 - 4096, r, MiB + 8192), 0);
	assert_int_equal(pread(mirror, buf, MiB + 8192, (off_t)(size / 2 - 4096)),
			 (ssize_t)(MiB + 8192));
	assert_memory_equal(r, buf, MiB + 8192);
	assert_int_equal(run(b, BLK_READ, 0, r, 8 * cs), 0);
	assert_int_equal(pread(mirror, buf, 8 * cs, 0), (ssize_t)(8 * cs));
	assert_memory_equal(r, buf, 8 * cs);

	assert_int_equal(run(b, BLK_READ, size, r, 512), -EINVAL);
	assert_int_equal(run(b, BLK_WRITE, size - 512, buf, 1024), -EINVAL);
	blk_close(b);
	close(mirror);

	check_clean(q, m);
	sh("qemu-img info %s | grep -q 'virtual size: .*(%llu bytes)'", q,
	   (unsigned long long)size);

	/* Re-opened: the same bytes. */
	b = open_img(q, DISK_FMT_AUTO, aio, cache, true);
	assert_int_equal(run(b, BLK_READ, 5 * cs - 512, r, 3 * cs + 1024), 0);
	fill(buf, 3 * cs + 1024, 4);
	fill(buf + 512, 1024, 7);
	assert_memory_equal(r, buf, 3 * cs + 1024);
	blk_close(b);
	free(buf);
	free(r);
}

static void qcow2_case(enum disk_aio aio, enum disk_cache cache, unsigned int cluster,
		       uint64_t size)
{
	qcow2_case_opts(aio, cache, cluster, size, "");
}

/* 8- and 64-bit refcounts (refcount_order 3 and 6), and a version 2 image. */
static void test_qcow2_refcount_widths(void **s)
{
	qcow2_case_opts(DISK_AIO_THREADS, DISK_CACHE_WRITEBACK, 512, 8 * MiB, ",refcount_bits=8");
	qcow2_case_opts(DISK_AIO_THREADS, DISK_CACHE_WRITEBACK, 1024, 8 * MiB, ",refcount_bits=64");
	qcow2_case_opts(DISK_AIO_THREADS, DISK_CACHE_WRITEBACK, 4096, 8 * MiB, ",compat=0.10");
}

static void test_qcow2_uring(void **s)
{
	qcow2_case(DISK_AIO_IO_URING, DISK_CACHE_WRITEBACK, 65536, 64 * MiB);
}

static void test_qcow2_native_direct(void **s)
{
	qcow2_case(DISK_AIO_NATIVE, DISK_CACHE_NONE, 4096, 64 * MiB);
}

static void test_qcow2_threads(void **s)
{
	qcow2_case(DISK_AIO_THREADS, DISK_CACHE_WRITEBACK, 4096, 32 * MiB);
}

/* 512-byte clusters: a refcount block covers 128 KiB, so writes need new ones. */
static void test_qcow2_refblocks(void **s)
{
	qcow2_case(DISK_AIO_IO_URING, DISK_CACHE_WRITEBACK, 512, 16 * MiB);
}

/* The refcount table cannot grow: writing past what it covers is -ENOSPC, cleanly. */
static void test_qcow2_reftable_full(void **s)
{
	char q[128];
	uint8_t *buf;
	struct blk *b;
	int ret = 0;
	uint64_t off;

	SKIP_NO_QEMU_IMG();
	snprintf(q, sizeof(q), "%s/full.qcow2", dir);
	/* 512-byte clusters: 64 refcount blocks of 256 clusters = 8 MiB of file. */
	sh("qemu-img create -q -f qcow2 -o cluster_size=512 %s 64M", q);
	b = open_img(q, DISK_FMT_AUTO, DISK_AIO_THREADS, DISK_CACHE_WRITEBACK, false);
	buf = calloc(1, 65536);
	fill(buf, 65536, 9);
	for (off = 0; off < 64 * MiB && !ret; off += 65536)
		ret = run(b, BLK_WRITE, off, buf, 65536);
	assert_int_equal(ret, -ENOSPC);
	assert_true(off > 4 * MiB);
	blk_close(b);
	free(buf);
	/* Leaked clusters at most, never errors. */
	assert_true(sh_status("qemu-img check -q %s >/dev/null 2>&1", q) >> 8 <= 3 &&
		    sh_status("qemu-img check -q %s >/dev/null 2>&1", q) >> 8 != 2);
}

static void test_qcow2_backing(void **s)
{
	char base[128], mid[128], top[128], m[128];
	uint8_t *buf = NULL, *r = NULL;
	struct blk *b;
	int fd;

	SKIP_NO_QEMU_IMG();
	snprintf(base, sizeof(base), "%s/base.raw", dir);
	snprintf(mid, sizeof(mid), "%s/mid.qcow2", dir);
	snprintf(top, sizeof(top), "%s/top.qcow2", dir);
	snprintf(m, sizeof(m), "%s/top.expect", dir);
	buf = malloc(4 * MiB);
	r = malloc(4 * MiB);
	fill(buf, 4 * MiB, 11);
	fd = open(base, O_CREAT | O_TRUNC | O_RDWR, 0644);
	assert_int_equal(pwrite(fd, buf, 4 * MiB, 0), (ssize_t)(4 * MiB));
	close(fd);
	/* Relative names, resolved from each image's directory. */
	sh("cd %s && qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 && "
	   "qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2 8M",
	   dir);
	/* The middle layer gets its own data, the top reads it through. */
	b = open_img(mid, DISK_FMT_AUTO, DISK_AIO_IO_URING, DISK_CACHE_WRITEBACK, false);
	fill(r, 4096, 12);
	assert_int_equal(run(b, BLK_WRITE, MiB + 512, r, 4096), 0);
	blk_close(b);
	memcpy(buf + MiB + 512, r, 4096);

	b = open_img(top, DISK_FMT_AUTO, DISK_AIO_THREADS, DISK_CACHE_WRITEBACK, false);
	assert_int_equal(blk_size(b), 8 * MiB);
	assert_int_equal(run(b, BLK_READ, 0, r, 4 * MiB), 0);
	assert_memory_equal(r, buf, 4 * MiB);
	assert_int_equal(run(b, BLK_READ, 4 * MiB, r, 4 * MiB), 0);
	assert_true(all(r, 4 * MiB, 0));
	/* A partial-cluster write copies the rest of the cluster from below. */
	fill(r, 1024, 13);
	assert_int_equal(run(b, BLK_WRITE, 2 * MiB + 1024, r, 1024), 0);
	memcpy(buf + 2 * MiB + 1024, r, 1024);
	assert_int_equal(run(b, BLK_WRITE_ZEROES, 3 * MiB, NULL, 65536), 0);
	memset(buf + 3 * MiB, 0, 65536);
	/* Discarding an allocated cluster over a backing file: reads as zeros. */
	assert_int_equal(run(b, BLK_DISCARD, 2 * MiB, NULL, 65536), 0);
	memset(buf + 2 * MiB, 0, 65536);
	/* An unallocated one: left to the backing file (discard is advisory). */
	assert_int_equal(run(b, BLK_DISCARD, 0, NULL, 65536), 0);
	assert_int_equal(run(b, BLK_READ, 0, r, 4 * MiB), 0);
	assert_memory_equal(r, buf, 4 * MiB);
	blk_close(b);

	fd = open(m, O_CREAT | O_TRUNC | O_RDWR, 0644);
	assert_int_equal(pwrite(fd, buf, 4 * MiB, 0), (ssize_t)(4 * MiB));
	assert_int_equal(ftruncate(fd, 8 * MiB), 0);
	close(fd);
	check_clean(top, m);
	sh("qemu-img check -q %s", mid);
	/* The backing files were opened read-only and are untouched. */
	fd = open(base, O_RDONLY);
	assert_int_equal(pread(fd, r, 4 * MiB, 0), (ssize_t)(4 * MiB));
	close(fd);
	fill(buf, 4 * MiB, 11);
	assert_memory_equal(r, buf, 4 * MiB);
	free(buf);
	free(r);
}

static void test_qcow2_backing_missing(void **s)
{
	char top[128];
	const char *err;

	SKIP_NO_QEMU_IMG();
	snprintf(top, sizeof(top), "%s/orphan.qcow2", dir);
	sh("qemu-img create -q -f qcow2 -u -b gone.raw -F raw %s 1M", top);
	err = open_fails(top, DISK_FMT_AUTO, false);
	assert_non_null(strstr(err, "backing file"));
	assert_non_null(strstr(err, "No such file"));
}

static void test_qcow2_compressed(void **s)
{
	char raw[128], q[128];
	uint8_t *r = malloc(65536);
	struct blk *b;

	SKIP_NO_QEMU_IMG();
	snprintf(raw, sizeof(raw), "%s/c.raw", dir);
	snprintf(q, sizeof(q), "%s/c.qcow2", dir);
	sh("yes hello | head -c 1048576 >%s && qemu-img convert -c -O qcow2 %s %s", raw, raw, q);
	b = open_img(q, DISK_FMT_AUTO, DISK_AIO_IO_URING, DISK_CACHE_WRITEBACK, true);
	assert_int_equal(run(b, BLK_READ, 0, r, 65536), -EIO);
	blk_close(b);
	free(r);
}

static void test_qcow2_forced_raw(void **s)
{
	char q[128];
	struct blk *b;
	struct stat st;

	SKIP_NO_QEMU_IMG();
	snprintf(q, sizeof(q), "%s/forced.qcow2", dir);
	sh("qemu-img create -q -f qcow2 %s 1G", q);
	b = open_img(q, DISK_FMT_RAW, DISK_AIO_IO_URING, DISK_CACHE_WRITEBACK, true);
	assert_string_equal(blk_format_name(b), "raw");
	assert_int_equal(stat(q, &st), 0);
	assert_int_equal(blk_size(b), (uint64_t)st.st_size & ~511ULL);
	blk_close(b);
}

/* Patch @len bytes (big-endian @v) at @off of a copy of a fresh image. */
static const char *corrupt(const char *name, uint64_t off, int len, uint64_t v)
{
	static char path[128];
	uint8_t be[8];
	int fd;

	snprintf(path, sizeof(path), "%s/bad-%s.qcow2", dir, name);
	sh("qemu-img create -q -f qcow2 -o cluster_size=65536 %s 64M", path);
	for (int i = 0; i < len; i++)
		be[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
	fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, be, (size_t)len, (off_t)off), len);
	close(fd);
	return open_fails(path, DISK_FMT_AUTO, false);
}

static void test_qcow2_malformed(void **s)
{
	SKIP_NO_QEMU_IMG();
	assert_non_null(strstr(corrupt("version", 4, 4, 4), "version 4"));
	assert_non_null(strstr(corrupt("cb8", 20, 4, 8), "cluster_bits"));
	assert_non_null(strstr(corrupt("cb22", 20, 4, 22), "cluster_bits"));
	assert_non_null(strstr(corrupt("crypt", 32, 4, 1), "encrypted"));
	assert_non_null(strstr(corrupt("l1small", 36, 4, 0), "too small"));
	assert_non_null(strstr(corrupt("l1huge", 36, 4, 0x10000000), "L1 table"));
	assert_non_null(strstr(corrupt("l1align", 40, 8, 0x30200), "L1 table offset"));
	assert_non_null(strstr(corrupt("l1eof", 40, 8, 0x100000000ULL), "L1 table offset"));
	assert_non_null(strstr(corrupt("rtoff", 48, 8, 0x10000000000ULL), "refcount table"));
	assert_non_null(strstr(corrupt("rtzero", 56, 4, 0), "refcount table"));
	assert_non_null(strstr(corrupt("dirty", 72, 8, 1), "dirty"));
	assert_non_null(strstr(corrupt("corrupt", 72, 8, 2), "corrupt"));
	assert_non_null(strstr(corrupt("incompat", 72, 8, 1ULL << 40), "incompatible"));
	assert_non_null(strstr(corrupt("rorder", 96, 4, 7), "refcount_order"));
	assert_non_null(strstr(corrupt("hlen", 100, 4, 50), "header_length"));
	assert_non_null(strstr(corrupt("size", 24, 8, 1ULL << 63), "virtual size"));
	assert_non_null(strstr(corrupt("backing", 8, 8, 0x20000), "backing file name"));
	/* A bad L2 pointer is found on use: that request fails, not the open. */
	{
		char path[128];
		uint8_t *r = malloc(4096);
		struct blk *b;
		uint64_t l1off, e;
		int fd;

		snprintf(path, sizeof(path), "%s/badl1e.qcow2", dir);
		sh("qemu-img create -q -f qcow2 %s 64M", path);
		fd = open(path, O_RDWR);
		assert_int_equal(pread(fd, &l1off, 8, 40), 8);
		e = htobe64(0x12345ULL | (1ULL << 63));
		assert_int_equal(pwrite(fd, &e, 8, (off_t)be64toh(l1off)), 8);
		close(fd);
		b = open_img(path, DISK_FMT_AUTO, DISK_AIO_THREADS, DISK_CACHE_WRITEBACK, false);
		assert_int_equal(run(b, BLK_READ, 0, r, 4096), -EIO);
		assert_int_equal(run(b, BLK_WRITE, 0, r, 4096), -EIO);
		assert_int_equal(run(b, BLK_READ, 512 * MiB - 4096, r, 512), -EINVAL);
		blk_close(b);
		free(r);
	}
}

/*
 * Every refcount table entry names one refcount block that says "used"
 * for every cluster: allocation must give up, not scan 2^39 clusters.
 */
static void test_qcow2_refcounts_all_used(void **s)
{
	char path[128];
	uint64_t rt_off, rb_be, cs = 2 * MiB;
	uint8_t *buf = malloc(cs), *w = calloc(1, 4096);
	struct blk *b;
	int fd;

	SKIP_NO_QEMU_IMG();
	snprintf(path, sizeof(path), "%s/allused.qcow2", dir);
	sh("qemu-img create -q -f qcow2 -o cluster_size=2M,refcount_bits=8 %s 64M", path);
	fd = open(path, O_RDWR);
	assert_int_equal(pread(fd, &rt_off, 8, 48), 8);
	rt_off = be64toh(rt_off);
	assert_int_equal(pread(fd, &rb_be, 8, (off_t)rt_off), 8);
	memset(buf, 0xff, cs);
	assert_int_equal(pwrite(fd, buf, cs, (off_t)be64toh(rb_be)), (ssize_t)cs);
	for (uint64_t i = 0; i < cs / 8; i++)
		memcpy(buf + 8 * i, &rb_be, 8);
	assert_int_equal(pwrite(fd, buf, cs, (off_t)rt_off), (ssize_t)cs);
	close(fd);
	b = open_img(path, DISK_FMT_AUTO, DISK_AIO_THREADS, DISK_CACHE_WRITEBACK, false);
	assert_int_equal(run(b, BLK_WRITE, 0, w, 4096), -EIO);
	blk_close(b);
	free(buf);
	free(w);
}

/* A probed raw image: the guest cannot make it a qcow2 image (with a backing file). */
static void test_raw_probed_sector0(void **s)
{
	static const enum disk_aio aios[] = { DISK_AIO_IO_URING, DISK_AIO_NATIVE,
					      DISK_AIO_THREADS };
	char path[128];
	uint8_t *w = NULL, *r;
	struct blk *b;

	assert_int_equal(posix_memalign((void **)&w, 4096, 8192), 0);
	r = malloc(8192);
	snprintf(path, sizeof(path), "%s/probed.img", dir);
	sh("truncate -s 1M %s", path);
	for (unsigned int i = 0; i < 3; i++) {
		b = open_img(path, DISK_FMT_AUTO, aios[i],
			     i ? DISK_CACHE_NONE : DISK_CACHE_WRITEBACK, false);
		assert_string_equal(blk_format_name(b), "raw");
		fill(w, 8192, 20 + i);
		memcpy(w, "QFI\xfb", 4);
		assert_int_equal(run(b, BLK_WRITE, 0, w, 8192), -EPERM);
		memcpy(w + 4097, "QFI\xfb", 4); /* unaligned: bounced with cache=none */
		assert_int_equal(run(b, BLK_WRITE, 0, w + 4097, 512), -EPERM);
		/* Elsewhere, or anything else at 0: written. */
		assert_int_equal(run(b, BLK_WRITE, 4096, w, 4096), 0);
		w[0] = 'X';
		assert_int_equal(run(b, BLK_WRITE, 0, w, 8192), 0);
		assert_int_equal(run(b, BLK_READ, 0, r, 8192), 0);
		assert_memory_equal(r, w, 8192);
		blk_close(b);
	}
	/* format=raw says what it is: then sector 0 is the guest's. */
	b = open_img(path, DISK_FMT_RAW, DISK_AIO_IO_URING, DISK_CACHE_WRITEBACK, false);
	memcpy(w, "QFI\xfb", 4);
	assert_int_equal(run(b, BLK_WRITE, 0, w, 512), 0);
	blk_close(b);
	free(w);
	free(r);
}

static void test_stats(void **s)
{
	char path[128];
	char *out = NULL;
	size_t outlen = 0;
	uint8_t buf[4096] = { 0 };
	struct blk *b;
	FILE *f;

	snprintf(path, sizeof(path), "%s/stats.img", dir);
	sh("truncate -s 1M %s", path);
	b = open_img(path, DISK_FMT_AUTO, DISK_AIO_NATIVE, DISK_CACHE_WRITEBACK, false);
	assert_int_equal(run(b, BLK_WRITE, 0, buf, 4096), 0);
	assert_int_equal(run(b, BLK_READ, 0, buf, 4096), 0);
	assert_int_equal(run(b, BLK_READ, 0, buf, 512), 0);
	assert_int_equal(run(b, BLK_READ, 1 << 20, buf, 512), -EINVAL);
	f = open_memstream(&out, &outlen);
	blk_print_stats(b, "virtio-blk0", f);
	fclose(f);
	assert_non_null(strstr(out, "raw, aio=native"));
	assert_non_null(strstr(out, "read 3 write 1 flush 0"));
	assert_non_null(strstr(out, "errors 1"));
	assert_non_null(strstr(out, "bytes read 4608 written 4096"));
	free(out);
	blk_close(b);
}

static int setup_all(void **s)
{
	snprintf(dir, sizeof(dir), "/var/tmp/vmm-blk.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	have_qemu_img = system("qemu-img --version >/dev/null 2>&1") == 0;
	if (!have_qemu_img)
		fprintf(stderr, "SKIP: qemu-img is missing: the qcow2 tests are skipped\n");
	return 0;
}

static int teardown_all(void **s)
{
	return sh_status("rm -rf %s", dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_uring),
		cmocka_unit_test(test_raw_uring_direct),
		cmocka_unit_test(test_raw_native),
		cmocka_unit_test(test_raw_native_direct),
		cmocka_unit_test(test_raw_threads),
		cmocka_unit_test(test_raw_threads_direct),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_raw_probed_sector0),
		cmocka_unit_test(test_qcow2_uring),
		cmocka_unit_test(test_qcow2_native_direct),
		cmocka_unit_test(test_qcow2_threads),
		cmocka_unit_test(test_qcow2_refblocks),
		cmocka_unit_test(test_qcow2_refcount_widths),
		cmocka_unit_test(test_qcow2_reftable_full),
		cmocka_unit_test(test_qcow2_backing),
		cmocka_unit_test(test_qcow2_backing_missing),
		cmocka_unit_test(test_qcow2_compressed),
		cmocka_unit_test(test_qcow2_forced_raw),
		cmocka_unit_test(test_qcow2_malformed),
		cmocka_unit_test(test_qcow2_refcounts_all_used),
	};

	return cmocka_run_group_tests(tests, setup_all, teardown_all);
}
