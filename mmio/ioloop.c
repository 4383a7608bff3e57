// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O thread: an epoll loop. Handlers are registered per fd; an eventfd
 * wakes the loop when it must stop. Registration may happen from any thread
 * (epoll_ctl is thread-safe); handler records live until process exit.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "mmio/ioloop.h"

struct io_handler {
	int fd;
	ioloop_fn fn;
	void *opaque;
	struct io_handler *next;
};

static int epfd = -1;
static int stop_fd = -1;
static pthread_t io_thread;
static bool running;
static pthread_mutex_t handlers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct io_handler *handlers;

int ioloop_init(void)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (epfd >= 0)
		return 0;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (epfd < 0 || stop_fd < 0)
		return -errno;
	ev.data.ptr = NULL; /* NULL marks the stop eventfd */
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, stop_fd, &ev) < 0)
		return -errno;
	return 0;
}

static struct io_handler *handler_find(int fd)
{
	struct io_handler *h;

	for (h = handlers; h; h = h->next)
		if (h->fd == fd)
			return h;
	return NULL;
}

int ioloop_add(int fd, uint32_t events, ioloop_fn fn, void *opaque)
{
	struct epoll_event ev = { .events = events };
	struct io_handler *h;
	int ret = 0;

	if (epfd < 0 && ioloop_init() < 0)
		return -errno;
	pthread_mutex_lock(&handlers_lock);
	h = handler_find(fd);
	if (!h) {
		h = calloc(1, sizeof(*h));
		if (!h) {
			pthread_mutex_unlock(&handlers_lock);
			return -ENOMEM;
		}
		h->next = handlers;
		handlers = h;
	}
	h->fd = fd;
	h->fn = fn;
	h->opaque = opaque;
	ev.data.ptr = h;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		ret = -errno;
	pthread_mutex_unlock(&handlers_lock);
	return ret;
}

int ioloop_mod(int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	struct io_handler *h;

	pthread_mutex_lock(&handlers_lock);
	h = handler_find(fd);
	pthread_mutex_unlock(&handlers_lock);
	if (!h)
		return -ENOENT;
	ev.data.ptr = h;
	return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void ioloop_del(int fd)
{
	if (epfd >= 0)
		epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	/* The record stays (a wakeup may already be queued for it); fd -1 retires it. */
	pthread_mutex_lock(&handlers_lock);
	for (struct io_handler *h = handlers; h; h = h->next)
		if (h->fd == fd)
			h->fd = -1;
	pthread_mutex_unlock(&handlers_lock);
}

static void *ioloop_thread(void *arg)
{
	struct epoll_event evs[32];

	for (;;) {
		int n = epoll_wait(epfd, evs, 32, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("vmm: epoll_wait");
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			struct io_handler *h = evs[i].data.ptr;

			if (!h)
				return NULL; /* stop requested */
			if (h->fd >= 0)
				h->fn(h->opaque, evs[i].events);
		}
	}
}

int ioloop_start(void)
{
	int ret;

	if (epfd < 0 && (ret = ioloop_init()) < 0)
		return ret;
	ret = pthread_create(&io_thread, NULL, ioloop_thread, NULL);
	if (ret)
		return -ret;
	pthread_setname_np(io_thread, "vmm-io");
	running = true;
	return 0;
}

void ioloop_stop(void)
{
	uint64_t one = 1;

	if (!running)
		return;
	if (write(stop_fd, &one, sizeof(one)) < 0)
		perror("vmm: ioloop stop");
	pthread_join(io_thread, NULL);
	/* Consume the wake-up so a later ioloop_start() runs. */
	if (read(stop_fd, &one, sizeof(one)) < 0)
		one = 0;
	running = false;
}
