/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host side of a character device (a COM port now, virtio-console
 * later): "stdio" (the terminal, in raw mode, with QEMU's Ctrl-A escapes),
 * "file:PATH" (output appended to a file, no input) or "none".
 */
#ifndef VMM_DEVICES_CHARDEV_H
#define VMM_DEVICES_CHARDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct vm;
struct chardev;

/* Input is ready: the front end should call chardev_read() now. */
typedef void (*chardev_input_fn)(void *opaque);

/*
 * Open the back-end @spec. NULL after one error line on stderr. @spec is
 * validated by config_parse() first, so an error here is a host error.
 * Opening a spec that is already open (COM1 and virtio-console both on
 * "stdio") shares that back-end: output goes to one queue, and input to
 * the one front end that sets an input callback. Each open is closed.
 */
struct chardev *chardev_open(struct vm *vm, const char *spec);
void chardev_close(struct chardev *cd);
/* Write guest output; never blocks the vCPU for long. */
void chardev_write(struct chardev *cd, const void *buf, size_t len);
/* Non-blocking read of pending input; returns bytes read (0 if none). */
size_t chardev_read(struct chardev *cd, void *buf, size_t max);
/*
 * Set the input callback (runs on the I/O thread). While the front end has
 * no room it calls chardev_accept_input(cd, false); input then waits in the
 * host (backpressure, nothing dropped) until it calls it again with true.
 */
void chardev_set_input(struct chardev *cd, chardev_input_fn fn, void *opaque);
void chardev_accept_input(struct chardev *cd, bool on);

/* Restore the terminal if stdio put it in raw mode. Async-signal-safe. */
void chardev_restore_terminal(void);

#endif
