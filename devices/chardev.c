// SPDX-License-Identifier: GPL-2.0
/*
 * Character device back-ends: "stdio", "file:PATH" and "none".
 *
 * Output. A guest console writes one byte per exit, so bytes are collected
 * and written per line: a newline, a full buffer or a short timer on the
 * I/O thread (for prompts and echoed keys) flushes them. The fd is
 * non-blocking where that can be done without touching a file description
 * shared with the shell (a tty or pipe on stdout is reopened through
 * /proc/self/fd/1); what the host cannot take yet stays queued and the
 * timer retries. Only when a whole MiB is stuck does a writer wait, in
 * short slices that end when the machine stops, so the queue is bounded,
 * nothing is dropped while the guest runs, and a stuck reader cannot hold
 * a vCPU past shut-down. chardev_close() writes out what is left.
 *
 * Input (stdio only). stdin is never switched to O_NONBLOCK (that flag
 * lives in the file description the shell shares): a read is done only
 * after poll() says it will not block. A terminal is put in raw mode like
 * QEMU's -nographic: no echo, no line editing, no signals from Ctrl-C
 * (it goes to the guest), output post-processing kept. QEMU's escapes are
 * interpreted on stdio whether stdin is a terminal or a pipe (so scripts
 * can send Ctrl-A x): Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A Ctrl-A
 * sends one Ctrl-A; any other key after Ctrl-A is swallowed, as in QEMU.
 * At end of input the fd is no longer watched.
 *
 * Locks: live_lock (I/O thread callbacks), then the front end's own lock,
 * then in_lock, then out_lock (help text is written under in_lock). A
 * front end may hold its lock around any call here but chardev_close().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "config/status.h"
#include "cpu/vm.h"
#include "devices/chardev.h"
#include "mmio/ioloop.h"

#define OUT_FLUSH_SIZE 4096	  /* write out once this much is queued */
#define OUT_MAX	       (1u << 20) /* a writer waits beyond this */
#define OUT_DELAY_NS   4000000	  /* a partial line waits at most 4 ms */
#define OUT_WAIT_MS    50	  /* slice of a writer's wait for room */
#define OUT_CLOSE_MS   2000	  /* at close, give up after this long stuck */

#define ESC_CHAR 0x01 /* Ctrl-A */

enum chardev_kind { CD_NONE, CD_STDIO, CD_FILE };

struct chardev {
	struct vm *vm;
	enum chardev_kind kind;
	const char *name;

	/* Output: guest bytes queue in buf[0, len) until flushed. */
	pthread_mutex_t out_lock;
	int out_fd;	/* -1: discard */
	bool out_owned; /* ours to close */
	bool out_send;	/* a socket: send(MSG_DONTWAIT) */
	bool out_dead;	/* the host end failed: discard from now on */
	uint8_t *buf;
	size_t len, cap;
	int timer_fd; /* -1: no I/O thread timer, write through */
	bool timer_armed;
	uint64_t lost;

	/* Input. */
	pthread_mutex_t in_lock;
	int in_fd;	 /* -1: no input */
	int watch_fd;	 /* what the ioloop watches: in_fd or kick_fd */
	int kick_fd;	 /* always-readable eventfd for fds epoll refuses */
	bool registered; /* watch_fd is in the ioloop */
	bool watching;	 /* ... with EPOLLIN */
	bool accept;
	bool eof;
	bool escape; /* the previous byte was Ctrl-A */
	chardev_input_fn in_fn;
	void *in_opaque;

	unsigned int refs; /* chardev_open() of the same spec shares it */
	struct chardev *live_next;
};

static atomic_bool stdio_taken;

/*
 * I/O thread callbacks may already be on their way to a chardev that
 * chardev_close() frees (the ioloop cannot tell us when a dispatch is
 * over). Callbacks run under live_lock and only for a chardev still on the
 * live list, and chardev_close() takes it off the list under that lock.
 */
static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chardev *live_list;

/* Returns with live_lock held when @cd is alive; the caller unlocks. */
static bool live_get(struct chardev *cd)
{
	pthread_mutex_lock(&live_lock);
	for (struct chardev *c = live_list; c; c = c->live_next)
		if (c == cd)
			return true;
	pthread_mutex_unlock(&live_lock);
	return false;
}

static void live_add(struct chardev *cd)
{
	pthread_mutex_lock(&live_lock);
	cd->live_next = live_list;
	live_list = cd;
	pthread_mutex_unlock(&live_lock);
}

static void live_remove(struct chardev *cd)
{
	pthread_mutex_lock(&live_lock);
	for (struct chardev **p = &live_list; *p; p = &(*p)->live_next) {
		if (*p == cd) {
			*p = cd->live_next;
			break;
		}
	}
	pthread_mutex_unlock(&live_lock);
}

/* The terminal as we found it; read by a signal handler, so set up first. */
static struct termios term_saved;
static volatile sig_atomic_t term_is_raw;

void chardev_restore_terminal(void)
{
	/* tcsetattr() is async-signal-safe; nothing else is touched. */
	if (term_is_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &term_saved);
}

static void term_make_raw(void)
{
	static bool atexit_done;
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &term_saved) < 0)
		return;
	atomic_signal_fence(memory_order_seq_cst);
	term_is_raw = 1;
	if (!atexit_done && atexit(chardev_restore_terminal) == 0)
		atexit_done = true;

	t = term_saved;
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag |= OPOST;
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(CSIZE | PARENB);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) < 0)
		fprintf(stderr, "vmm: stdio: cannot set raw mode: %s\n", strerror(errno));
}

static void term_restore(void)
{
	chardev_restore_terminal();
	term_is_raw = 0;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */

static void out_fail(struct chardev *cd, int err)
{
	cd->out_dead = true;
	cd->lost += cd->len;
	cd->len = 0;
	/* EPIPE: the reader went away (vmm | head); nothing worth a message. */
	if (err != EPIPE)
		fprintf(stderr, "vmm: %s: output failed: %s; discarding it from now on\n", cd->name,
			strerror(err));
}

/* Write what the host takes without blocking; the rest stays queued. */
static void out_flush_locked(struct chardev *cd)
{
	size_t done = 0;

	while (done < cd->len) {
		ssize_t n;

		if (cd->out_send)
			n = send(cd->out_fd, cd->buf + done, cd->len - done,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			n = write(cd->out_fd, cd->buf + done, cd->len - done);
		if (n > 0) {
			done += n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			break;
		} else {
			out_fail(cd, n < 0 ? errno : EIO);
			return;
		}
	}
	if (done && done < cd->len)
		memmove(cd->buf, cd->buf + done, cd->len - done);
	cd->len -= done;
}

static bool out_set_timer(struct chardev *cd)
{
	struct itimerspec its = { .it_value.tv_nsec = OUT_DELAY_NS };

	return timerfd_settime(cd->timer_fd, 0, &its, NULL) == 0;
}

/* out_lock held. */
static void out_arm_timer(struct chardev *cd)
{
	if (out_set_timer(cd))
		cd->timer_armed = true;
}

/* I/O thread: the delay of a partial line is over, or the host was full. */
static void out_timer_fired(void *opaque, uint32_t events)
{
	struct chardev *cd = opaque;
	uint64_t ticks;

	if (!live_get(cd))
		return;
	if (read(cd->timer_fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		goto out;
	/* A writer waiting for room holds the lock: do not stall stdin behind it. */
	if (pthread_mutex_trylock(&cd->out_lock)) {
		out_set_timer(cd); /* timer_armed stays true: try again later */
		goto out;
	}
	cd->timer_armed = false;
	if (!cd->out_dead)
		out_flush_locked(cd);
	if (cd->len)
		out_arm_timer(cd);
	pthread_mutex_unlock(&cd->out_lock);
out:
	pthread_mutex_unlock(&live_lock);
}

static bool out_wait_writable(struct chardev *cd, int ms)
{
	struct pollfd p = { .fd = cd->out_fd, .events = POLLOUT };

	return poll(&p, 1, ms) > 0;
}

/*
 * The queue is full: the host has not taken a MiB. Wait for it in slices,
 * but give up once the machine is stopping (the bytes are then lost).
 */
static void out_make_room(struct chardev *cd, size_t need)
{
	while (!cd->out_dead && cd->len + need > OUT_MAX) {
		if (cd->vm && atomic_load(&cd->vm->stopping))
			break;
		out_wait_writable(cd, OUT_WAIT_MS);
		out_flush_locked(cd);
	}
}

static bool out_reserve(struct chardev *cd, size_t need)
{
	size_t cap = cd->cap ? cd->cap : OUT_FLUSH_SIZE;
	uint8_t *b;

	while (cap < cd->len + need)
		cap *= 2;
	if (cap == cd->cap)
		return true;
	b = realloc(cd->buf, cap);
	if (!b)
		return false;
	cd->buf = b;
	cd->cap = cap;
	return true;
}

static void out_queue(struct chardev *cd, const uint8_t *p, size_t n)
{
	if (cd->len + n > OUT_MAX)
		out_make_room(cd, n);
	if (cd->out_dead)
		return;
	if (cd->len + n > OUT_MAX) {
		size_t room = OUT_MAX > cd->len ? OUT_MAX - cd->len : 0;

		cd->lost += n - room;
		n = room;
	}
	if (!out_reserve(cd, n)) {
		cd->lost += n;
		return;
	}
	memcpy(cd->buf + cd->len, p, n);
	cd->len += n;
}

void chardev_write(struct chardev *cd, const void *buf, size_t len)
{
	if (!cd || cd->out_fd < 0 || !len)
		return;
	pthread_mutex_lock(&cd->out_lock);
	if (cd->out_dead) {
		pthread_mutex_unlock(&cd->out_lock);
		return;
	}
	out_queue(cd, buf, len);
	if (cd->timer_fd < 0 || cd->len >= OUT_FLUSH_SIZE || memchr(buf, '\n', len))
		out_flush_locked(cd);
	if (cd->len && cd->timer_fd >= 0 && !cd->timer_armed)
		out_arm_timer(cd);
	pthread_mutex_unlock(&cd->out_lock);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Shut-down: write everything, giving up after OUT_CLOSE_MS without progress. */
static void out_drain(struct chardev *cd)
{
	int64_t deadline = now_ms() + OUT_CLOSE_MS;

	pthread_mutex_lock(&cd->out_lock);
	while (cd->len && !cd->out_dead) {
		size_t before = cd->len;

		out_flush_locked(cd);
		if (cd->len < before) {
			deadline = now_ms() + OUT_CLOSE_MS;
		} else if (now_ms() >= deadline) {
			cd->lost += cd->len;
			cd->len = 0;
		} else {
			out_wait_writable(cd, OUT_WAIT_MS);
		}
	}
	if (cd->lost)
		fprintf(stderr, "vmm: %s: %" PRIu64 " bytes of guest output lost\n", cd->name,
			cd->lost);
	pthread_mutex_unlock(&cd->out_lock);
}

/* stdout, non-blocking in a description of our own where possible. */
static void out_open_stdout(struct chardev *cd)
{
	struct stat st;
	int fd;

	if (fstat(STDOUT_FILENO, &st) < 0)
		return; /* closed: discard */
	cd->out_fd = STDOUT_FILENO;
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return; /* never EAGAIN; keeps the shell's offset (>>, >) */
	if (S_ISSOCK(st.st_mode)) {
		cd->out_send = true;
		return;
	}
	fd = open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		cd->out_fd = fd;
		cd->out_owned = true;
	}
}

static int out_open_file(struct chardev *cd, const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY | O_CLOEXEC, 0644);
	if (fd < 0) {
		int err = errno;

		fprintf(stderr, "vmm: serial: cannot open '%s': %s\n", path, strerror(err));
		return -err;
	}
	/* A FIFO or a device: it is our own description, make it non-blocking. */
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode))
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	cd->out_fd = fd;
	cd->out_owned = true;
	return 0;
}

/* Without the I/O thread's timer (unit tests) every write goes straight out. */
static void out_setup_timer(struct chardev *cd)
{
	cd->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (cd->timer_fd < 0)
		return;
	if (ioloop_add(cd->timer_fd, EPOLLIN, out_timer_fired, cd) < 0) {
		close(cd->timer_fd);
		cd->timer_fd = -1;
	}
}

/* ------------------------------------------------------------------ */
/* Input                                                               */

static void in_ready(void *opaque, uint32_t events);

/* Bring the ioloop watch in line with the state. in_lock held. */
static void in_update_watch(struct chardev *cd)
{
	bool want = cd->in_fd >= 0 && cd->in_fn && cd->accept && !cd->eof;
	int ret;

	if (want && !cd->registered) {
		ret = ioloop_add(cd->watch_fd, EPOLLIN, in_ready, cd);
		if (ret == -EPERM && cd->kick_fd < 0) {
			/* A regular file or /dev/null: epoll refuses, it never blocks. */
			cd->kick_fd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
			if (cd->kick_fd >= 0) {
				cd->watch_fd = cd->kick_fd;
				ret = ioloop_add(cd->watch_fd, EPOLLIN, in_ready, cd);
			}
		}
		if (ret < 0) {
			fprintf(stderr, "vmm: %s: cannot watch input: %s\n", cd->name,
				strerror(-ret));
			cd->eof = true;
			return;
		}
		cd->registered = cd->watching = true;
	} else if (cd->registered && cd->eof) {
		ioloop_del(cd->watch_fd);
		cd->registered = cd->watching = false;
	} else if (cd->registered && want != cd->watching) {
		/* Paused: no EPOLLIN. A hang-up still wakes us, see in_ready(). */
		if (ioloop_mod(cd->watch_fd, want ? EPOLLIN : 0) == 0)
			cd->watching = want;
	}
}

/* I/O thread: input may be ready; the front end calls chardev_read(). */
static void in_ready(void *opaque, uint32_t events)
{
	struct chardev *cd = opaque;
	chardev_input_fn fn = NULL;
	void *fn_opaque = NULL;

	if (!live_get(cd))
		return;
	pthread_mutex_lock(&cd->in_lock);
	if (cd->watching && !cd->eof) {
		fn = cd->in_fn;
		fn_opaque = cd->in_opaque;
	} else if (cd->registered) {
		/*
		 * EPOLLHUP/EPOLLERR are reported even while paused; stop
		 * watching until the front end has room again (data still
		 * in the pipe is not lost: it is read then).
		 */
		ioloop_del(cd->watch_fd);
		cd->registered = cd->watching = false;
	}
	pthread_mutex_unlock(&cd->in_lock);
	/* Not under in_lock: the front end takes its own lock, then ours. */
	if (fn)
		fn(fn_opaque);
	pthread_mutex_unlock(&live_lock);
}

void chardev_set_input(struct chardev *cd, chardev_input_fn fn, void *opaque)
{
	if (!cd)
		return;
	pthread_mutex_lock(&cd->in_lock);
	cd->in_fn = fn;
	cd->in_opaque = opaque;
	in_update_watch(cd);
	pthread_mutex_unlock(&cd->in_lock);
}

void chardev_accept_input(struct chardev *cd, bool on)
{
	if (!cd)
		return;
	pthread_mutex_lock(&cd->in_lock);
	if (cd->accept != on) {
		cd->accept = on;
		in_update_watch(cd);
	}
	pthread_mutex_unlock(&cd->in_lock);
}

static const char esc_help[] = "\r\n"
			       "C-a h    print this help\r\n"
			       "C-a x    exit vmm\r\n"
			       "C-a C-a  send C-a to the guest\r\n";

static void in_escape_cmd(struct chardev *cd, uint8_t c)
{
	switch (c) {
	case 'x': vm_request_exit(cd->vm, VMM_EXIT_POWEROFF, "quit (Ctrl-A x)"); break;
	case 'h':
	case '?': chardev_write(cd, esc_help, sizeof(esc_help) - 1); break;
	default: /* swallowed, as QEMU does */ break;
	}
}

/* Strip the Ctrl-A escapes from @buf in place; returns the bytes left. */
static size_t in_filter(struct chardev *cd, uint8_t *buf, size_t n)
{
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		uint8_t c = buf[i];

		if (cd->escape) {
			cd->escape = false;
			if (c == ESC_CHAR)
				buf[out++] = c;
			else
				in_escape_cmd(cd, c);
		} else if (c == ESC_CHAR) {
			cd->escape = true;
		} else {
			buf[out++] = c;
		}
	}
	return out;
}

/* One read that cannot block; 0 when nothing is there, sets eof at the end. */
static size_t in_read_raw(struct chardev *cd, void *buf, size_t max)
{
	struct pollfd p = { .fd = cd->in_fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & POLLNVAL) {
		n = 0;
	} else {
		n = read(cd->in_fd, buf, max);
		if (n > 0)
			return n;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
	}
	/* End of input (or a dead terminal): stop watching, do not spin. */
	cd->eof = true;
	in_update_watch(cd);
	return 0;
}

size_t chardev_read(struct chardev *cd, void *buf, size_t max)
{
	size_t n = 0;

	if (!cd || !max)
		return 0;
	pthread_mutex_lock(&cd->in_lock);
	/* Escapes may eat every byte of a read; try again while input is there. */
	while (n == 0 && cd->in_fd >= 0 && !cd->eof) {
		n = in_read_raw(cd, buf, max);
		if (n == 0)
			break;
		if (cd->kind == CD_STDIO)
			n = in_filter(cd, buf, n);
	}
	pthread_mutex_unlock(&cd->in_lock);
	return n;
}

static void in_open_stdin(struct chardev *cd)
{
	struct stat st;

	/* Closed, or something that is not input (an fd 0 that is not stdin). */
	if (fstat(STDIN_FILENO, &st) < 0)
		return;
	if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISREG(st.st_mode) &&
	    !S_ISSOCK(st.st_mode) && !S_ISBLK(st.st_mode))
		return;
	cd->in_fd = cd->watch_fd = STDIN_FILENO;
	if (isatty(STDIN_FILENO))
		term_make_raw();
}

/* ------------------------------------------------------------------ */
/* Open / close                                                        */

static struct chardev *chardev_alloc(struct vm *vm, enum chardev_kind kind, const char *name)
{
	struct chardev *cd = calloc(1, sizeof(*cd));

	if (!cd)
		return NULL;
	cd->vm = vm;
	cd->kind = kind;
	cd->name = name;
	cd->out_fd = cd->in_fd = cd->watch_fd = cd->kick_fd = cd->timer_fd = -1;
	cd->accept = true;
	cd->refs = 1;
	pthread_mutex_init(&cd->out_lock, NULL);
	pthread_mutex_init(&cd->in_lock, NULL);
	return cd;
}

static void chardev_free(struct chardev *cd)
{
	if (cd->timer_fd >= 0)
		close(cd->timer_fd);
	if (cd->kick_fd >= 0)
		close(cd->kick_fd);
	if (cd->out_owned)
		close(cd->out_fd);
	pthread_mutex_destroy(&cd->out_lock);
	pthread_mutex_destroy(&cd->in_lock);
	free(cd->buf);
	free(cd);
}

/* An open back-end for @spec, with one more reference, or NULL. */
static struct chardev *chardev_share(const char *spec)
{
	struct chardev *c;

	pthread_mutex_lock(&live_lock);
	for (c = live_list; c; c = c->live_next)
		if (c->kind != CD_NONE && !strcmp(c->name, spec))
			break;
	if (c)
		c->refs++;
	pthread_mutex_unlock(&live_lock);
	return c;
}

struct chardev *chardev_open(struct vm *vm, const char *spec)
{
	struct chardev *cd;
	int ret;

	if (!strcmp(spec, "none"))
		return chardev_alloc(vm, CD_NONE, "none");
	/* COM1 and hvc0 on the same terminal or file: one back-end, one queue. */
	cd = chardev_share(spec);
	if (cd)
		return cd;

	if (!strcmp(spec, "stdio")) {
		if (atomic_exchange(&stdio_taken, true)) {
			fprintf(stderr, "vmm: stdio can be used by one character device only\n");
			errno = EBUSY;
			return NULL;
		}
		cd = chardev_alloc(vm, CD_STDIO, "stdio");
		if (!cd) {
			atomic_store(&stdio_taken, false);
			return NULL;
		}
		out_open_stdout(cd);
		in_open_stdin(cd);
	} else if (!strncmp(spec, "file:", 5) && spec[5]) {
		cd = chardev_alloc(vm, CD_FILE, spec);
		if (!cd)
			return NULL;
		ret = out_open_file(cd, spec + 5);
		if (ret < 0) {
			chardev_free(cd);
			errno = -ret;
			return NULL;
		}
	} else {
		fprintf(stderr, "vmm: unknown character device '%s'\n", spec);
		errno = EINVAL;
		return NULL;
	}
	if (cd->out_fd >= 0)
		out_setup_timer(cd);
	live_add(cd);
	return cd;
}

void chardev_close(struct chardev *cd)
{
	bool last;

	if (!cd)
		return;
	pthread_mutex_lock(&live_lock);
	last = --cd->refs == 0;
	pthread_mutex_unlock(&live_lock);
	if (!last)
		return;
	live_remove(cd); /* waits for a callback in progress */
	pthread_mutex_lock(&cd->in_lock);
	if (cd->registered)
		ioloop_del(cd->watch_fd);
	cd->registered = cd->watching = false;
	cd->in_fn = NULL;
	pthread_mutex_unlock(&cd->in_lock);
	if (cd->timer_fd >= 0)
		ioloop_del(cd->timer_fd);
	if (cd->out_fd >= 0)
		out_drain(cd);
	if (cd->kind == CD_STDIO) {
		term_restore();
		atomic_store(&stdio_taken, false);
	}
	chardev_free(cd);
}
