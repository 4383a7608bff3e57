// SPDX-License-Identifier: GPL-2.0
/*
 * aio=io_uring (the default): raw reads, writes and flushes on an io_uring.
 * Its completion eventfd (io_uring_register_eventfd) is watched by the I/O
 * thread. Requests beyond the ring's room wait on a backlog list and are
 * submitted as completions make room, so the CQ can never overflow.
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/block/blk_int.h"

#define URING_ENTRIES 256

struct uring {
	struct io_uring ring;
	unsigned int queued; /* in the ring, not reaped yet */
	struct blk_io *backlog_head, *backlog_tail;
};

static int uring_init(struct blk *b)
{
	struct uring *u = calloc(1, sizeof(*u));
	int ret;

	if (!u)
		return -ENOMEM;
	ret = io_uring_queue_init(URING_ENTRIES, &u->ring, 0);
	if (ret < 0) {
		free(u);
		return ret;
	}
	b->be_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (b->be_efd < 0) {
		ret = -errno;
		goto fail;
	}
	ret = io_uring_register_eventfd(&u->ring, b->be_efd);
	if (ret < 0)
		goto fail;
	b->be_priv = u;
	return 0;
fail:
	if (b->be_efd >= 0)
		close(b->be_efd);
	b->be_efd = -1;
	io_uring_queue_exit(&u->ring);
	free(u);
	return ret;
}

static void uring_prep(struct io_uring_sqe *sqe, struct blk *b, struct blk_io *io)
{
	struct blk_req *r = io->req;

	switch (r->op) {
	case BLK_READ: io_uring_prep_readv(sqe, b->img->fd, io->iov, io->iovcnt, r->offset); break;
	case BLK_WRITE:
		io_uring_prep_writev(sqe, b->img->fd, io->iov, io->iovcnt, r->offset);
		break;
	default: /* BLK_FLUSH: the others go to the pool */
		io_uring_prep_fsync(sqe, b->img->fd, IORING_FSYNC_DATASYNC);
		break;
	}
	io_uring_sqe_set_data(sqe, io);
}

/* submit_lock held. */
static void uring_push(struct blk *b)
{
	struct uring *u = b->be_priv;
	unsigned int n = 0;
	int ret;

	if (b->plugged)
		return; /* blk_unplug() pushes the batch */
	while (u->backlog_head && u->queued < URING_ENTRIES) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
		struct blk_io *io = u->backlog_head;

		if (!sqe)
			break;
		u->backlog_head = io->next;
		if (!u->backlog_head)
			u->backlog_tail = NULL;
		uring_prep(sqe, b, io);
		u->queued++;
		n++;
	}
	if (!n)
		return;
	do
		ret = io_uring_submit(&u->ring);
	while (ret == -EINTR || ret == -EAGAIN);
	if (ret < 0)
		fprintf(stderr, "vmm: io_uring_submit: %s\n", strerror(-ret));
}

static void uring_submit(struct blk *b, struct blk_io *io)
{
	struct uring *u = b->be_priv;

	io->next = NULL;
	if (u->backlog_tail)
		u->backlog_tail->next = io;
	else
		u->backlog_head = io;
	u->backlog_tail = io;
	uring_push(b);
}

static void uring_reap(struct blk *b)
{
	struct uring *u = b->be_priv;
	struct io_uring_cqe *cqe;
	unsigned int n = 0;

	while (io_uring_peek_cqe(&u->ring, &cqe) == 0) {
		struct blk_io *io = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&u->ring, cqe);
		n++;
		if (res >= 0 && io->req->op != BLK_FLUSH && (uint64_t)res != io->req->len) {
			/* Short transfer (rare): finish it synchronously. */
			uint64_t done = (uint64_t)res;
			struct iovec rest[16];
			unsigned int cnt =
				iov_slice(io->iov, io->iovcnt, done, io->req->len - done, rest, 16);

			if (iov_size(rest, cnt) != io->req->len - done)
				res = -EIO;
			else if (io->req->op == BLK_READ)
				res = file_preadv(b->img, rest, cnt, io->req->offset + done);
			else
				res = file_pwritev(b->img, rest, cnt, io->req->offset + done);
		}
		blk_complete(b, io, res < 0 ? res : 0);
	}
	if (n) {
		pthread_mutex_lock(&b->submit_lock);
		u->queued -= n;
		uring_push(b);
		pthread_mutex_unlock(&b->submit_lock);
	}
}

static void uring_fini(struct blk *b)
{
	struct uring *u = b->be_priv;

	if (!u)
		return;
	io_uring_queue_exit(&u->ring);
	if (b->be_efd >= 0)
		close(b->be_efd);
	b->be_efd = -1;
	free(u);
	b->be_priv = NULL;
}

const struct blk_backend_ops blk_uring_ops = {
	.name = "io_uring",
	.init = uring_init,
	.submit = uring_submit,
	.flush_queued = uring_push,
	.reap = uring_reap,
	.fini = uring_fini,
};
