// SPDX-License-Identifier: GPL-2.0
/*
 * The gdb remote protocol parser (cpu/gdb_proto.c): the input is the byte
 * stream from gdb, fed in pieces of varying size, against a fake target
 * with a little memory; stops arrive in between. Any input must give
 * replies, never a crash, an out-of-bounds access or a hang.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/gdb_proto.h"

static uint8_t regs[GDB_REGS_BYTES];
static uint8_t mem[4096];
static size_t sent;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int nr(void *t)
{
	return 4;
}

static int rregs(void *t, int th, uint8_t *r)
{
	if (th < 1 || th > 4)
		__builtin_trap(); /* the parser must only name threads that exist */
	memcpy(r, regs, sizeof(regs));
	return 0;
}

static int wregs(void *t, int th, const uint8_t *r)
{
	memcpy(regs, r, sizeof(regs));
	return 0;
}

static int rmem(void *t, int th, uint64_t a, uint8_t *b, size_t n)
{
	if (a > sizeof(mem) || n > sizeof(mem) - a)
		return -14;
	memcpy(b, mem + a, n);
	return 0;
}

static int wmem(void *t, int th, uint64_t a, const uint8_t *b, size_t n)
{
	if (a > sizeof(mem) || n > sizeof(mem) - a)
		return -14;
	memcpy(mem + a, b, n);
	return 0;
}

static int bp(void *t, enum gdb_bp_type type, uint64_t a, uint64_t n)
{
	return type > GDB_WP_ACCESS ? (__builtin_trap(), 0) : (a & 1 ? -28 : 0);
}

static void resume(void *t, const enum gdb_action *act)
{
	for (int i = 1; i <= 4; i++)
		if (act[i] > GDB_ACT_STEP)
			__builtin_trap();
}

static void nop(void *t)
{
}

static int monitor(void *t, const char *cmd, char **out)
{
	/* Long output, to cover the split into O packets. */
	size_t n = strlen(cmd) * 97 % 9000;

	*out = malloc(n + 1);
	if (!*out)
		return -12;
	memset(*out, 'x', n);
	(*out)[n] = 0;
	return cmd[0] == 'e' ? -5 : 0;
}

static void send_fn(void *t, const void *b, size_t n)
{
	sent += n;
}

static const struct gdb_target target = {
	.nr_threads = nr,
	.read_regs = rregs,
	.write_regs = wregs,
	.read_mem = rmem,
	.write_mem = wmem,
	.insert_bp = bp,
	.remove_bp = bp,
	.resume = resume,
	.interrupt = nop,
	.detach = nop,
	.kill = nop,
	.monitor = monitor,
	.send = send_fn,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gdb_proto p;
	struct gdb_stop st = { .kind = GDB_STOP_SIGNAL, .thread = 1, .signal = 5 };
	size_t off = 0;

	gdb_proto_init(&p, &target, &st);
	/* The first byte picks the chunk size; every chunk may be followed by a stop. */
	size_t chunk = size ? (data[0] % 64) + 1 : 1;

	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;

		gdb_proto_input(&p, data + off, n);
		off += n;
		st.kind = (enum gdb_stop_kind)(off % 5);
		st.thread = (int)(off % 4) + 1;
		st.addr = off;
		gdb_proto_stopped(&p, &st);
	}
	return 0;
}
