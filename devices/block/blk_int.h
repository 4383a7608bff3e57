/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside the block layer: an image (raw file or qcow2, maybe with a backing
 * chain) and the I/O units the back-ends move.
 *
 * A request becomes one struct blk_io. Raw reads and writes go to the
 * chosen asynchronous back-end (io_uring, libaio, or the thread pool);
 * everything else - qcow2 requests, discard and write-zeroes, flush on the
 * thread pool - runs synchronously on a pool worker through img_exec().
 * Completions of both sources are reaped on the I/O thread (or by
 * blk_drain) under blk->reap_lock.
 */
#ifndef VMM_DEVICES_BLOCK_BLK_INT_H
#define VMM_DEVICES_BLOCK_BLK_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <libaio.h>

#include "devices/block/block.h"

#define BLK_SECTOR	 512
#define BLK_MEM_ALIGN	 4096 /* O_DIRECT buffers: safe on every host */
#define BLK_MAX_BACKING	 8    /* backing chain depth */
#define BLK_POOL_THREADS 4
#define BLK_BOUNCE_MAX	 (1ULL << 20) /* O_DIRECT copies of unaligned guest buffers, per piece */

struct qcow2;

/* One image file of a chain. */
struct bimg {
	char *path;
	int fd;
	bool readonly;
	bool direct;
	enum disk_format fmt;
	uint64_t size;	      /* virtual size in bytes */
	struct qcow2 *q;      /* qcow2 state, NULL for raw */
	bool probed;	      /* raw because no qcow2 magic was found (no format=) */
	pthread_mutex_t lock; /* qcow2: one request at a time */
};

struct blk_io {
	struct blk *b;
	struct blk_req *req;
	int result;
	bool sync;	   /* run by the pool through img_exec() */
	void *bounce;	   /* O_DIRECT: aligned copy of the guest buffers */
	struct iovec biov; /* the bounce buffer as an iovec */
	struct iovec *iov; /* what the back-end uses: req->iov or &biov */
	unsigned int iovcnt;
	struct iocb iocb; /* libaio */
	struct blk_io *next;
};

struct blk_backend_ops {
	const char *name;
	int (*init)(struct blk *b);
	void (*submit)(struct blk *b, struct blk_io *io);
	/* Push what was queued while plugged (submit_lock held); may be NULL. */
	void (*flush_queued)(struct blk *b);
	/* Reap finished ios into blk_complete(); reap_lock held. */
	void (*reap)(struct blk *b);
	void (*fini)(struct blk *b);
};

struct blk {
	struct disk_opts opts;
	struct bimg *img;
	const struct blk_backend_ops *be;
	void *be_priv;
	int be_efd; /* the back-end's completion eventfd, -1 for the pool */

	/* Thread pool: every blk has one (qcow2, fallocate, errors). */
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;
	struct blk_io *pool_head, *pool_tail;
	struct blk_io *pool_done;
	pthread_t pool_threads[BLK_POOL_THREADS];
	unsigned int nr_pool_threads;
	bool pool_stop;
	int pool_efd;

	pthread_mutex_t submit_lock; /* the back-end's submission side */
	bool plugged;		     /* submit_lock: hold back the kernel submit */
	pthread_mutex_t reap_lock;   /* completion side; done() runs under it */
	atomic_uint inflight;

	void (*batch_end)(void *opaque);
	void *batch_opaque;

	atomic_uint_fast64_t st_reqs[BLK_WRITE_ZEROES + 1];
	atomic_uint_fast64_t st_bytes[BLK_WRITE_ZEROES + 1];
	atomic_uint_fast64_t st_errors;
};

extern const struct blk_backend_ops blk_uring_ops, blk_aio_ops, blk_threads_ops;

/* An io finished with @result (0 or -errno): unbounce, count, call done(). */
void blk_complete(struct blk *b, struct blk_io *io, int result);
/* Hand @io to the thread pool (runs img_exec, or completes with io->result). */
void blk_pool_submit(struct blk *b, struct blk_io *io);

/* Images. */
struct bimg *img_open(const char *path, enum disk_format fmt, bool readonly, bool direct, int depth,
		      char *err, size_t errlen);
void img_close(struct bimg *img);
/* Synchronous request on @img: 0 or -errno. */
int img_exec(struct bimg *img, enum blk_op op, uint64_t off, uint64_t len, const struct iovec *iov,
	     unsigned int iovcnt);
/* Reads of a chain member (backing files): past the end reads zeros. */
int img_read(struct bimg *img, uint64_t off, void *buf, uint64_t len);

/* File I/O with O_DIRECT bouncing where the memory is misaligned. */
int file_preadv(struct bimg *img, const struct iovec *iov, unsigned int cnt, uint64_t off);
int file_pwritev(struct bimg *img, const struct iovec *iov, unsigned int cnt, uint64_t off);
int file_pread(struct bimg *img, void *buf, uint64_t len, uint64_t off);
int file_pwrite(struct bimg *img, const void *buf, uint64_t len, uint64_t off);

/* iovec helpers: see block.h. */

/* qcow2.c */
bool qcow2_probe(const uint8_t *hdr, size_t len);
int qcow2_open(struct bimg *img, int depth, char *err, size_t errlen);
void qcow2_close(struct bimg *img);
int qcow2_exec(struct bimg *img, enum blk_op op, uint64_t off, uint64_t len,
	       const struct iovec *iov, unsigned int iovcnt);

#endif
