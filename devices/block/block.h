/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The block layer every disk front end uses (virtio-blk now, IDE later):
 * an image (raw or qcow2, detected from the header) on an asynchronous
 * back-end (io_uring, libaio, or a thread pool), chosen at open.
 *
 * Requests are submitted from the I/O thread and complete on it: the
 * back-end's completion eventfd is watched by mmio/ioloop.c, and each
 * request's done() runs there. blk_drain() waits for every submitted request
 * (shutdown, device reset) and may be called from any thread once the
 * front end stopped submitting.
 *
 * A read-write image is locked with an OFD lock (fcntl F_OFD_SETLK) so a
 * second vmm cannot open it; FLUSH completes only after fdatasync (or the
 * qcow2 metadata and data are on disk).
 */
#ifndef VMM_DEVICES_BLOCK_BLOCK_H
#define VMM_DEVICES_BLOCK_BLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>

#include "config/config.h"

struct blk;

enum blk_op { BLK_READ, BLK_WRITE, BLK_FLUSH, BLK_DISCARD, BLK_WRITE_ZEROES };

struct blk_req {
	enum blk_op op;
	uint64_t offset; /* bytes; READ/WRITE/DISCARD/WRITE_ZEROES */
	uint64_t len;	 /* bytes; for READ/WRITE the sum of iov lengths */
	struct iovec *iov;
	unsigned int iovcnt;
	/* Runs on the I/O thread: 0, or -errno (-EIO, -ENOSPC, -EINVAL...). */
	void (*done)(struct blk_req *req, int result);
	void *opaque;
};

/*
 * Open @o->file as @o says. NULL on failure with one line, without the
 * "vmm: " prefix or newline, in @err (e.g. "'a.img': No such file or
 * directory", "'a.img' is locked by another process").
 */
struct blk *blk_open(const struct disk_opts *o, char *err, size_t errlen);
/*
 * Requests beyond the end, not in whole 512-byte sectors, or writes to a
 * read-only image, fail -EINVAL/-EROFS (through done(), never inside
 * blk_submit() itself).
 */
void blk_submit(struct blk *b, struct blk_req *req);
uint64_t blk_size(const struct blk *b); /* bytes the guest sees */
bool blk_readonly(const struct blk *b);
/* Wait for all submitted requests, running their done() callbacks. */
void blk_drain(struct blk *b);
/* Drain, flush, unlock, close. */
void blk_close(struct blk *b);
/* "raw"/"qcow2" and "io_uring"/"native"/"threads", for --stats. */
const char *blk_format_name(const struct blk *b);
const char *blk_backend_name(const struct blk *b);
void blk_print_stats(const struct blk *b, const char *name, FILE *f);

/*
 * Optional: @fn runs on the I/O thread after each batch of done() calls,
 * so a front end can interrupt the guest once per batch.
 */
void blk_set_batch_end(struct blk *b, void (*fn)(void *opaque), void *opaque);

/*
 * Optional, I/O thread: between blk_plug() and blk_unplug() submissions are
 * queued and go to the kernel together (one io_uring_submit for a batch).
 * blk_poll() completes whatever already finished (an io_uring read from the
 * page cache often has by the time it was submitted), running done()
 * callbacks in the caller: call it without locks done() takes.
 */
void blk_plug(struct blk *b);
void blk_unplug(struct blk *b);
void blk_poll(struct blk *b);

/*
 * The machine's --disk images, opened (and locked) by main() before KVM is
 * touched: a missing, unreadable, locked or malformed image is a usage
 * error. 0, or VMM_EXIT_USAGE after one line on stderr. blk_disk(i) is
 * disk i's blk (NULL if none); blk_close_disks() closes them all.
 */
int blk_open_disks(const struct config *c);
struct blk *blk_disk(unsigned int i);
/* The --cdrom image (read-only raw), NULL if none; closed with the disks. */
struct blk *blk_cdrom(void);
/* A medium change: @b (or NULL) is the CD now; the caller closes the old one. */
struct blk *blk_swap_cdrom(struct blk *b);
void blk_close_disks(void);

/*
 * iovec helpers, for front ends too: each walks only [off, off + len) of
 * @iov and stops at its end; @out never gets more than @max entries.
 */
uint64_t iov_size(const struct iovec *iov, unsigned int cnt);
/* Sub-vector [off, off + len) of @iov into @out (at most @max entries); count. */
unsigned int iov_slice(const struct iovec *iov, unsigned int cnt, uint64_t off, uint64_t len,
		       struct iovec *out, unsigned int max);
void iov_memset(const struct iovec *iov, unsigned int cnt, uint64_t off, int c, uint64_t len);
void iov_to_buf(const struct iovec *iov, unsigned int cnt, uint64_t off, void *buf, uint64_t len);
void iov_from_buf(const struct iovec *iov, unsigned int cnt, uint64_t off, const void *buf,
		  uint64_t len);

#endif
