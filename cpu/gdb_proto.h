/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The gdb remote serial protocol, without KVM: packet framing, checksums,
 * acks, and the commands, answered through struct gdb_target. cpu/gdbstub.c
 * is the KVM target; the unit tests and tests/fuzz/fuzz_gdb.c drive this
 * file with a fake one.
 */
#ifndef VMM_CPU_GDB_PROTO_H
#define VMM_CPU_GDB_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GDB_PACKET_MAX 4096 /* PacketSize we announce (payload bytes) */

/*
 * The register file of the target description (always i386:x86-64, the
 * layout of gdb's 64bit-core.xml + 64bit-sse.xml with the system
 * registers QEMU adds): index, size in bytes.
 */
enum gdb_reg {
	GDB_RAX,
	GDB_RBX,
	GDB_RCX,
	GDB_RDX,
	GDB_RSI,
	GDB_RDI,
	GDB_RBP,
	GDB_RSP,
	GDB_R8,
	GDB_R15 = GDB_R8 + 7,
	GDB_RIP,
	GDB_EFLAGS,
	GDB_CS,
	GDB_SS,
	GDB_DS,
	GDB_ES,
	GDB_FS,
	GDB_GS,
	GDB_FS_BASE,
	GDB_GS_BASE,
	GDB_K_GS_BASE,
	GDB_CR0,
	GDB_CR2,
	GDB_CR3,
	GDB_CR4,
	GDB_CR8,
	GDB_EFER,
	GDB_ST0,
	GDB_FCTRL = GDB_ST0 + 8,
	GDB_FSTAT,
	GDB_FTAG,
	GDB_FISEG,
	GDB_FIOFF,
	GDB_FOSEG,
	GDB_FOOFF,
	GDB_FOP,
	GDB_XMM0,
	GDB_MXCSR = GDB_XMM0 + 16,
	GDB_NREGS,
};

/* Size of register @r in bytes; offset in the 'g' block. */
unsigned int gdb_reg_size(unsigned int r);
unsigned int gdb_reg_offset(unsigned int r);
#define GDB_REGS_BYTES 608 /* the whole 'g' block */

/* The target.xml we serve. */
const char *gdb_target_xml_text(void);

/* Breakpoint and watchpoint kinds (the Z packet's type). */
enum gdb_bp_type {
	GDB_BP_SW,
	GDB_BP_HW,
	GDB_WP_WRITE,
	GDB_WP_READ,
	GDB_WP_ACCESS,
};

/* Why the target stopped (the stop reply). */
enum gdb_stop_kind {
	GDB_STOP_SIGNAL,  /* plain signal (step done, interrupt) */
	GDB_STOP_SWBREAK, /* our int3 */
	GDB_STOP_HWBREAK, /* a debug-register execute breakpoint */
	GDB_STOP_WATCH,	  /* a debug-register watchpoint, at addr */
	GDB_STOP_EXITED,  /* the machine is gone: W status */
};

struct gdb_stop {
	enum gdb_stop_kind kind;
	int thread; /* 1-based gdb thread id (vCPU index + 1) */
	int signal; /* 5 = SIGTRAP, 2 = SIGINT */
	uint64_t addr;
	enum gdb_bp_type watch; /* GDB_STOP_WATCH: which kind */
};

/* What resume asks of one thread (vCont actions, or c/s). */
enum gdb_action { GDB_ACT_NONE, GDB_ACT_CONTINUE, GDB_ACT_STEP };

/*
 * The target. Threads are 1..nr_threads(). Every call but interrupt()
 * comes while the target is stopped. 0 or -errno (sent as an E reply).
 */
struct gdb_target {
	int (*nr_threads)(void *t);
	int (*read_regs)(void *t, int thread, uint8_t regs[GDB_REGS_BYTES]);
	int (*write_regs)(void *t, int thread, const uint8_t regs[GDB_REGS_BYTES]);
	int (*read_mem)(void *t, int thread, uint64_t addr, uint8_t *buf, size_t len);
	int (*write_mem)(void *t, int thread, uint64_t addr, const uint8_t *buf, size_t len);
	int (*insert_bp)(void *t, enum gdb_bp_type type, uint64_t addr, uint64_t len);
	int (*remove_bp)(void *t, enum gdb_bp_type type, uint64_t addr, uint64_t len);
	/* actions[1..nr_threads]: run; a stop is reported later (gdb_proto_stopped). */
	void (*resume)(void *t, const enum gdb_action *actions);
	/* Stop everything (0x03); the stop comes through gdb_proto_stopped(). */
	void (*interrupt)(void *t);
	/* Remove every breakpoint and resume all (D), or end the machine (k). */
	void (*detach)(void *t);
	void (*kill)(void *t);
	/* gdb's "monitor CMD": *out = malloc'ed text (freed here), or NULL. */
	int (*monitor)(void *t, const char *cmd, char **out);
	/* Send bytes to gdb. */
	void (*send)(void *t, const void *buf, size_t len);
	void *opaque;
};

enum gdb_rx_state { GDB_RX_IDLE, GDB_RX_DATA, GDB_RX_ESC, GDB_RX_SUM1, GDB_RX_SUM2 };

struct gdb_proto {
	const struct gdb_target *t;
	enum gdb_rx_state rx;
	uint8_t sum, rx_sum;
	size_t len;
	bool overflow;
	bool no_ack;
	bool running; /* resumed: the next stop is reported */
	int g_thread; /* Hg: registers and memory of this thread */
	struct gdb_stop last;
	char buf[GDB_PACKET_MAX + 1];
	char out[GDB_PACKET_MAX + 8]; /* replies; PacketSize bounds them */
};

/* A new connection: the target is stopped (gdb attaches to a stopped machine). */
void gdb_proto_init(struct gdb_proto *p, const struct gdb_target *t, const struct gdb_stop *why);
/* Bytes from gdb. */
void gdb_proto_input(struct gdb_proto *p, const uint8_t *data, size_t len);
/* The target stopped after resume/interrupt: send the stop reply. */
void gdb_proto_stopped(struct gdb_proto *p, const struct gdb_stop *s);

#endif
