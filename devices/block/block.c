// SPDX-License-Identifier: GPL-2.0
/*
 * The block layer: requests in, completions out on the I/O thread.
 *
 * Raw reads, writes and flushes go to the chosen back-end. The rest runs on
 * a small thread pool every blk has: qcow2 requests (see qcow2.c for why),
 * discard and write-zeroes (fallocate, which io_uring could do but libaio
 * cannot, and whose fall-back is a loop of writes), and requests that fail
 * before reaching a back-end (so done() never runs inside blk_submit(),
 * where the caller may hold its own lock).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "config/status.h"
#include "devices/block/blk_int.h"
#include "mmio/ioloop.h"

static const char *const op_names[] = { "read", "write", "flush", "discard", "write-zeroes" };

static void efd_signal(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		perror("vmm: block: eventfd");
}

static void efd_clear(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		perror("vmm: block: eventfd");
}

void blk_complete(struct blk *b, struct blk_io *io, int result)
{
	struct blk_req *req = io->req;

	if (io->bounce) {
		if (!result && req->op == BLK_READ)
			iov_from_buf(req->iov, req->iovcnt, 0, io->bounce, req->len);
		free(io->bounce);
	}
	atomic_fetch_add(&b->st_reqs[req->op], 1);
	if (result)
		atomic_fetch_add(&b->st_errors, 1);
	else if (req->op != BLK_FLUSH)
		atomic_fetch_add(&b->st_bytes[req->op], req->len);
	free(io);
	req->done(req, result);
	atomic_fetch_sub(&b->inflight, 1);
}

/* --- thread pool ------------------------------------------------------ */

static void *pool_thread(void *arg)
{
	struct blk *b = arg;

	pthread_mutex_lock(&b->pool_lock);
	for (;;) {
		struct blk_io *io;

		while (!b->pool_head && !b->pool_stop)
			pthread_cond_wait(&b->pool_cond, &b->pool_lock);
		if (!b->pool_head)
			break;
		io = b->pool_head;
		b->pool_head = io->next;
		if (!b->pool_head)
			b->pool_tail = NULL;
		pthread_mutex_unlock(&b->pool_lock);

		if (io->sync) {
			struct blk_req *r = io->req;

			io->result =
				img_exec(b->img, r->op, r->offset, r->len, io->iov, io->iovcnt);
		}

		pthread_mutex_lock(&b->pool_lock);
		io->next = b->pool_done;
		b->pool_done = io;
		efd_signal(b->pool_efd);
	}
	pthread_mutex_unlock(&b->pool_lock);
	return NULL;
}

void blk_pool_submit(struct blk *b, struct blk_io *io)
{
	pthread_mutex_lock(&b->pool_lock);
	io->next = NULL;
	if (b->pool_tail)
		b->pool_tail->next = io;
	else
		b->pool_head = io;
	b->pool_tail = io;
	pthread_cond_signal(&b->pool_cond);
	pthread_mutex_unlock(&b->pool_lock);
}

static void pool_reap(struct blk *b)
{
	struct blk_io *list, *rev = NULL;

	pthread_mutex_lock(&b->pool_lock);
	list = b->pool_done;
	b->pool_done = NULL;
	pthread_mutex_unlock(&b->pool_lock);
	/* The list is newest first: complete in finishing order. */
	while (list) {
		struct blk_io *n = list->next;

		list->next = rev;
		rev = list;
		list = n;
	}
	while (rev) {
		struct blk_io *n = rev->next;

		blk_complete(b, rev, rev->result);
		rev = n;
	}
}

/* aio=threads: the pool is the back-end. */
static void threads_submit(struct blk *b, struct blk_io *io)
{
	io->sync = true;
	blk_pool_submit(b, io);
}

static int threads_init(struct blk *b)
{
	return 0;
}

static void threads_nop(struct blk *b)
{
}

const struct blk_backend_ops blk_threads_ops = {
	.name = "threads",
	.init = threads_init,
	.submit = threads_submit,
	.reap = threads_nop,
	.fini = threads_nop,
};

/* --- completion ------------------------------------------------------- */

static void reap_all(struct blk *b)
{
	pthread_mutex_lock(&b->reap_lock);
	if (b->be_efd >= 0) {
		efd_clear(b->be_efd);
		b->be->reap(b);
	}
	efd_clear(b->pool_efd);
	pool_reap(b);
	if (b->batch_end)
		b->batch_end(b->batch_opaque);
	pthread_mutex_unlock(&b->reap_lock);
}

static void blk_io_ready(void *opaque, uint32_t events)
{
	reap_all(opaque);
}

void blk_set_batch_end(struct blk *b, void (*fn)(void *opaque), void *opaque)
{
	pthread_mutex_lock(&b->reap_lock);
	b->batch_end = fn;
	b->batch_opaque = opaque;
	pthread_mutex_unlock(&b->reap_lock);
}

void blk_drain(struct blk *b)
{
	while (atomic_load(&b->inflight)) {
		struct pollfd p[2] = { { .fd = b->pool_efd, .events = POLLIN },
				       { .fd = b->be_efd, .events = POLLIN } };

		reap_all(b);
		if (!atomic_load(&b->inflight))
			break;
		/*
		 * The I/O thread may take the wake-up first and reap: a short
		 * timeout instead of a hang.
		 */
		poll(p, b->be_efd >= 0 ? 2 : 1, 5);
	}
}

void blk_plug(struct blk *b)
{
	pthread_mutex_lock(&b->submit_lock);
	b->plugged = true;
	pthread_mutex_unlock(&b->submit_lock);
}

void blk_unplug(struct blk *b)
{
	pthread_mutex_lock(&b->submit_lock);
	b->plugged = false;
	if (b->be->flush_queued)
		b->be->flush_queued(b);
	pthread_mutex_unlock(&b->submit_lock);
}

void blk_poll(struct blk *b)
{
	if (atomic_load(&b->inflight))
		reap_all(b);
}

/* --- requests --------------------------------------------------------- */

static int check_req(const struct blk *b, const struct blk_req *r)
{
	uint64_t size = b->img->size;

	if ((unsigned int)r->op > BLK_WRITE_ZEROES)
		return -EINVAL;
	if (r->op != BLK_READ && r->op != BLK_FLUSH && b->img->readonly)
		return -EROFS;
	if (r->op == BLK_FLUSH)
		return 0;
	if (r->op == BLK_READ || r->op == BLK_WRITE) {
		if (iov_size(r->iov, r->iovcnt) != r->len)
			return -EINVAL;
	}
	if (r->offset % BLK_SECTOR || r->len % BLK_SECTOR)
		return -EINVAL;
	if (r->offset > size || r->len > size - r->offset)
		return -EINVAL;
	return 0;
}

void blk_submit(struct blk *b, struct blk_req *req)
{
	struct blk_io *io = calloc(1, sizeof(*io));
	int err;

	if (!io) {
		/* Nothing to carry the request: fail it where it stands. */
		req->done(req, -ENOMEM);
		return;
	}
	io->b = b;
	io->req = req;
	io->iov = req->iov;
	io->iovcnt = req->iovcnt;
	atomic_fetch_add(&b->inflight, 1);

	err = check_req(b, req);
	if (err) {
		io->result = err;
		blk_pool_submit(b, io);
		return;
	}
	if (b->img->q || req->op == BLK_DISCARD || req->op == BLK_WRITE_ZEROES ||
	    b->be == &blk_threads_ops ||
	    (b->img->probed && req->op == BLK_WRITE && req->offset < BLK_SECTOR)) {
		/*
		 * Synchronous on the pool (image code bounces for O_DIRECT
		 * itself, and checks sector 0 of a probed raw image).
		 */
		io->sync = true;
		blk_pool_submit(b, io);
		return;
	}
	if (b->img->direct && req->op != BLK_FLUSH) {
		bool ok = true;

		for (unsigned int i = 0; i < req->iovcnt; i++)
			if ((uintptr_t)req->iov[i].iov_base % BLK_MEM_ALIGN ||
			    req->iov[i].iov_len % BLK_SECTOR)
				ok = false;
		if (!ok) {
			/*
			 * The pool copies through 1 MiB pieces (image.c): a
			 * whole-request copy here would be as large as the guest
			 * likes, for each request in flight.
			 */
			io->sync = true;
			blk_pool_submit(b, io);
			return;
		}
	}
	pthread_mutex_lock(&b->submit_lock);
	b->be->submit(b, io);
	pthread_mutex_unlock(&b->submit_lock);
}

/* --- open / close ----------------------------------------------------- */

struct blk *blk_open(const struct disk_opts *o, char *err, size_t errlen)
{
	struct blk *b = calloc(1, sizeof(*b));
	const struct blk_backend_ops *be;
	sigset_t all, old;
	int ret;

	if (!b) {
		snprintf(err, errlen, "'%s': out of memory", o->file);
		return NULL;
	}
	b->opts = *o;
	b->be_efd = -1;
	b->pool_efd = -1;
	pthread_mutex_init(&b->pool_lock, NULL);
	pthread_cond_init(&b->pool_cond, NULL);
	pthread_mutex_init(&b->submit_lock, NULL);
	pthread_mutex_init(&b->reap_lock, NULL);

	b->img = img_open(o->file, o->format, o->readonly, o->cache == DISK_CACHE_NONE, 0, err,
			  errlen);
	if (!b->img) {
		free(b);
		return NULL;
	}
	switch (o->aio) {
	case DISK_AIO_NATIVE: be = &blk_aio_ops; break;
	case DISK_AIO_THREADS: be = &blk_threads_ops; break;
	default: be = &blk_uring_ops; break;
	}
	/* qcow2 requests run on the pool whatever aio= says (see qcow2.c). */
	if (b->img->q)
		be = &blk_threads_ops;
	b->pool_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->pool_efd < 0) {
		snprintf(err, errlen, "'%s': eventfd: %s", o->file, strerror(errno));
		goto fail;
	}
	/* Workers take no signals: the main thread's signal handling owns them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (; b->nr_pool_threads < BLK_POOL_THREADS; b->nr_pool_threads++) {
		ret = pthread_create(&b->pool_threads[b->nr_pool_threads], NULL, pool_thread, b);
		if (ret) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			snprintf(err, errlen, "'%s': threads: %s", o->file, strerror(ret));
			goto fail;
		}
		pthread_setname_np(b->pool_threads[b->nr_pool_threads], "vmm-blk");
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	ret = be->init(b);
	if (ret) {
		snprintf(err, errlen, "'%s': aio=%s: %s", o->file, be->name, strerror(-ret));
		goto fail;
	}
	b->be = be;
	if (ioloop_add(b->pool_efd, EPOLLIN, blk_io_ready, b) < 0 ||
	    (b->be_efd >= 0 && ioloop_add(b->be_efd, EPOLLIN, blk_io_ready, b) < 0)) {
		snprintf(err, errlen, "'%s': I/O thread: %s", o->file, strerror(errno));
		goto fail;
	}
	return b;
fail:
	if (b->be && b->be->fini)
		b->be->fini(b);
	b->be = NULL;
	blk_close(b);
	return NULL;
}

void blk_close(struct blk *b)
{
	if (!b)
		return;
	if (b->be) {
		blk_drain(b);
		if (!b->img->readonly && fdatasync(b->img->fd) < 0)
			fprintf(stderr, "vmm: '%s': flush at close: %s\n", b->img->path,
				strerror(errno));
	}
	if (b->pool_efd >= 0)
		ioloop_del(b->pool_efd);
	if (b->be_efd >= 0)
		ioloop_del(b->be_efd);
	pthread_mutex_lock(&b->pool_lock);
	b->pool_stop = true;
	pthread_cond_broadcast(&b->pool_cond);
	pthread_mutex_unlock(&b->pool_lock);
	for (unsigned int i = 0; i < b->nr_pool_threads; i++)
		pthread_join(b->pool_threads[i], NULL);
	if (b->be)
		b->be->fini(b);
	if (b->pool_efd >= 0)
		close(b->pool_efd);
	img_close(b->img);
	free(b);
}

uint64_t blk_size(const struct blk *b)
{
	return b->img->size;
}

bool blk_readonly(const struct blk *b)
{
	return b->img->readonly;
}

const char *blk_format_name(const struct blk *b)
{
	return b->img->fmt == DISK_FMT_QCOW2 ? "qcow2" : "raw";
}

const char *blk_backend_name(const struct blk *b)
{
	return b->be->name;
}

void blk_print_stats(const struct blk *b, const char *name, FILE *f)
{
	struct blk *m = (struct blk *)b;

	fprintf(f, "%s: %s, %s, aio=%s%s%s%s, %llu MiB\n", name, b->img->path, blk_format_name(b),
		blk_backend_name(b),
		b->img->q && b->opts.aio != DISK_AIO_THREADS ? " (qcow2 runs on the thread pool)"
							     : "",
		b->img->direct ? ", cache=none" : "", b->img->readonly ? ", readonly" : "",
		(unsigned long long)(b->img->size >> 20));
	fprintf(f, "%s: requests", name);
	for (int op = 0; op <= BLK_WRITE_ZEROES; op++)
		fprintf(f, " %s %llu", op_names[op],
			(unsigned long long)atomic_load(&m->st_reqs[op]));
	fprintf(f, ", errors %llu\n", (unsigned long long)atomic_load(&m->st_errors));
	fprintf(f, "%s: bytes read %llu written %llu\n", name,
		(unsigned long long)atomic_load(&m->st_bytes[BLK_READ]),
		(unsigned long long)atomic_load(&m->st_bytes[BLK_WRITE]));
}

/* --- the machine's disks ---------------------------------------------- */

static struct blk *disks[CONFIG_MAX_DISKS];
static struct blk *cdrom;

int blk_open_disks(const struct config *c)
{
	char err[512];

	for (unsigned int i = 0; i < c->nr_disks; i++) {
		disks[i] = blk_open(&c->disks[i], err, sizeof(err));
		if (!disks[i]) {
			fprintf(stderr, "vmm: --disk %s\n", err);
			blk_close_disks();
			return VMM_EXIT_USAGE;
		}
	}
	if (c->cdrom) {
		/* Raw whatever it holds (an ISO), and never written. */
		struct disk_opts o = { .file = c->cdrom, .format = DISK_FMT_RAW, .readonly = true };

		cdrom = blk_open(&o, err, sizeof(err));
		if (!cdrom) {
			fprintf(stderr, "vmm: --cdrom %s\n", err);
			blk_close_disks();
			return VMM_EXIT_USAGE;
		}
	}
	return 0;
}

struct blk *blk_cdrom(void)
{
	return cdrom;
}

struct blk *blk_swap_cdrom(struct blk *b)
{
	struct blk *old = cdrom;

	cdrom = b;
	return old;
}

struct blk *blk_disk(unsigned int i)
{
	return i < CONFIG_MAX_DISKS ? disks[i] : NULL;
}

void blk_close_disks(void)
{
	for (unsigned int i = 0; i < CONFIG_MAX_DISKS; i++) {
		blk_close(disks[i]);
		disks[i] = NULL;
	}
	blk_close(cdrom);
	cdrom = NULL;
}
