// SPDX-License-Identifier: GPL-2.0
/*
 * aio=native: raw reads, writes and flushes through Linux AIO (libaio),
 * each iocb tagged with the completion eventfd (io_set_eventfd) the I/O
 * thread watches. Without O_DIRECT (cache=none), Linux AIO on a regular file
 * completes inside io_submit: correct, only not asynchronous - as in QEMU.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/block/blk_int.h"

#define AIO_ENTRIES 256

struct aio {
	io_context_t ctx;
	unsigned int queued;
	struct blk_io *backlog_head, *backlog_tail;
};

static int aio_init(struct blk *b)
{
	struct aio *a = calloc(1, sizeof(*a));
	int ret;

	if (!a)
		return -ENOMEM;
	ret = io_setup(AIO_ENTRIES, &a->ctx);
	if (ret < 0) {
		free(a);
		return ret;
	}
	b->be_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->be_efd < 0) {
		ret = -errno;
		io_destroy(a->ctx);
		free(a);
		return ret;
	}
	b->be_priv = a;
	return 0;
}

/* submit_lock held. */
static void aio_push(struct blk *b)
{
	struct aio *a = b->be_priv;

	while (a->backlog_head && a->queued < AIO_ENTRIES) {
		struct blk_io *io = a->backlog_head;
		struct blk_req *r = io->req;
		struct iocb *cb = &io->iocb;
		int ret;

		switch (r->op) {
		case BLK_READ:
			io_prep_preadv(cb, b->img->fd, io->iov, (int)io->iovcnt,
				       (long long)r->offset);
			break;
		case BLK_WRITE:
			io_prep_pwritev(cb, b->img->fd, io->iov, (int)io->iovcnt,
					(long long)r->offset);
			break;
		default: io_prep_fdsync(cb, b->img->fd); break;
		}
		cb->data = io;
		io_set_eventfd(cb, b->be_efd);
		ret = io_submit(a->ctx, 1, &cb);
		if (ret == -EAGAIN && a->queued)
			return; /* retried when something completes */
		a->backlog_head = io->next;
		if (!a->backlog_head)
			a->backlog_tail = NULL;
		if (ret != 1) {
			/* Refused (e.g. fdsync unsupported): fail through the pool. */
			io->result = ret < 0 ? ret : -EIO;
			io->sync = false;
			blk_pool_submit(b, io);
			continue;
		}
		a->queued++;
	}
}

static void aio_submit(struct blk *b, struct blk_io *io)
{
	struct aio *a = b->be_priv;

	io->next = NULL;
	if (a->backlog_tail)
		a->backlog_tail->next = io;
	else
		a->backlog_head = io;
	a->backlog_tail = io;
	aio_push(b);
}

static void aio_reap(struct blk *b)
{
	struct aio *a = b->be_priv;
	struct io_event ev[64];
	struct timespec zero = { 0, 0 };
	unsigned int total = 0;
	int n;

	while ((n = io_getevents(a->ctx, 0, 64, ev, &zero)) > 0) {
		for (int i = 0; i < n; i++) {
			struct blk_io *io = ev[i].data;
			long res = (long)ev[i].res;

			if (res >= 0 && io->req->op != BLK_FLUSH && (uint64_t)res != io->req->len) {
				/* Short transfer: finish it synchronously. */
				uint64_t done = (uint64_t)res;
				struct iovec rest[16];
				unsigned int cnt = iov_slice(io->iov, io->iovcnt, done,
							     io->req->len - done, rest, 16);

				if (iov_size(rest, cnt) != io->req->len - done)
					res = -EIO;
				else if (io->req->op == BLK_READ)
					res = file_preadv(b->img, rest, cnt,
							  io->req->offset + done);
				else
					res = file_pwritev(b->img, rest, cnt,
							   io->req->offset + done);
			}
			blk_complete(b, io, res < 0 ? (int)res : 0);
		}
		total += (unsigned int)n;
	}
	if (total) {
		pthread_mutex_lock(&b->submit_lock);
		a->queued -= total;
		aio_push(b);
		pthread_mutex_unlock(&b->submit_lock);
	}
}

static void aio_fini(struct blk *b)
{
	struct aio *a = b->be_priv;

	if (!a)
		return;
	io_destroy(a->ctx);
	if (b->be_efd >= 0)
		close(b->be_efd);
	b->be_efd = -1;
	free(a);
	b->be_priv = NULL;
}

const struct blk_backend_ops blk_aio_ops = {
	.name = "native",
	.init = aio_init,
	.submit = aio_submit,
	.reap = aio_reap,
	.fini = aio_fini,
};
