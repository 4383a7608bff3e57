/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The I/O thread: one epoll loop serving device back-ends (stdin for the
 * serial console, timers, later block completions, tap, sockets).
 * Handlers run on the I/O thread, one at a time.
 */
#ifndef VMM_MMIO_IOLOOP_H
#define VMM_MMIO_IOLOOP_H

#include <stdint.h>

typedef void (*ioloop_fn)(void *opaque, uint32_t events);

int ioloop_init(void);
/* Watch @fd for @events (EPOLLIN, ...); level-triggered. 0 or -errno. */
int ioloop_add(int fd, uint32_t events, ioloop_fn fn, void *opaque);
int ioloop_mod(int fd, uint32_t events);
void ioloop_del(int fd);
/* Start / stop the thread. ioloop_stop() waits for it to finish. */
int ioloop_start(void);
void ioloop_stop(void);

#endif
