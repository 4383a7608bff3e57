// SPDX-License-Identifier: GPL-2.0
/*
 * The gdb remote protocol (cpu/gdb_proto.c) against a fake target: framing,
 * checksums and acks, no-ack mode, registers, memory (hex and binary),
 * breakpoints, vCont, the interrupt, target.xml and monitor output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cpu/gdb_proto.h"

#define MEM_BASE 0x1000
#define MEM_SIZE 0x100

static struct fake {
	uint8_t regs[GDB_REGS_BYTES];
	uint8_t mem[MEM_SIZE];
	char sent[65536];
	size_t nsent;
	enum gdb_action act[3];
	int resumed, interrupted, detached, killed;
	int bp_type;
	uint64_t bp_addr, bp_len;
} F;

static struct gdb_proto P;

static int f_nr(void *t)
{
	return 2;
}

static int f_read_regs(void *t, int thread, uint8_t *r)
{
	memcpy(r, F.regs, GDB_REGS_BYTES);
	return 0;
}

static int f_write_regs(void *t, int thread, const uint8_t *r)
{
	memcpy(F.regs, r, GDB_REGS_BYTES);
	return 0;
}

static int f_read_mem(void *t, int thread, uint64_t a, uint8_t *b, size_t n)
{
	if (a < MEM_BASE || a - MEM_BASE > MEM_SIZE || n > MEM_SIZE - (a - MEM_BASE))
		return -14;
	memcpy(b, F.mem + (a - MEM_BASE), n);
	return 0;
}

static int f_write_mem(void *t, int thread, uint64_t a, const uint8_t *b, size_t n)
{
	if (a < MEM_BASE || a - MEM_BASE > MEM_SIZE || n > MEM_SIZE - (a - MEM_BASE))
		return -14;
	memcpy(F.mem + (a - MEM_BASE), b, n);
	return 0;
}

static int f_bp(void *t, enum gdb_bp_type type, uint64_t a, uint64_t len)
{
	F.bp_type = type;
	F.bp_addr = a;
	F.bp_len = len;
	return 0;
}

static void f_resume(void *t, const enum gdb_action *act)
{
	F.resumed++;
	memcpy(F.act, act, sizeof(F.act));
}

static void f_interrupt(void *t)
{
	F.interrupted++;
}

static void f_detach(void *t)
{
	F.detached++;
}

static void f_kill(void *t)
{
	F.killed++;
}

static int f_monitor(void *t, const char *cmd, char **out)
{
	if (strcmp(cmd, "hello"))
		return -2;
	*out = strdup("hi\n");
	return 0;
}

static void f_send(void *t, const void *b, size_t n)
{
	assert_true(F.nsent + n < sizeof(F.sent));
	memcpy(F.sent + F.nsent, b, n);
	F.nsent += n;
	F.sent[F.nsent] = 0;
}

static const struct gdb_target target = {
	.nr_threads = f_nr,
	.read_regs = f_read_regs,
	.write_regs = f_write_regs,
	.read_mem = f_read_mem,
	.write_mem = f_write_mem,
	.insert_bp = f_bp,
	.remove_bp = f_bp,
	.resume = f_resume,
	.interrupt = f_interrupt,
	.detach = f_detach,
	.kill = f_kill,
	.monitor = f_monitor,
	.send = f_send,
};

static int setup(void **state)
{
	struct gdb_stop st = { .kind = GDB_STOP_SIGNAL, .thread = 1, .signal = 5 };

	memset(&F, 0, sizeof(F));
	gdb_proto_init(&P, &target, &st);
	return 0;
}

/* Send one packet with a correct checksum; return what came back. */
static const char *ask(const char *body)
{
	char pkt[8192];
	uint8_t sum = 0;

	for (const char *p = body; *p; p++)
		sum += (uint8_t)*p;
	snprintf(pkt, sizeof(pkt), "$%s#%02x", body, sum);
	F.nsent = 0;
	F.sent[0] = 0;
	gdb_proto_input(&P, (const uint8_t *)pkt, strlen(pkt));
	return F.sent;
}

/* The packet gdb would get for @body: "$body#cs", after @ack. */
static void assert_reply(const char *got, const char *ack, const char *body)
{
	char want[8192];
	uint8_t sum = 0;

	for (const char *p = body; *p; p++)
		sum += (uint8_t)*p;
	snprintf(want, sizeof(want), "%s$%s#%02x", ack, body, sum);
	assert_string_equal(got, want);
}

static void test_framing(void **state)
{
	assert_reply(ask("?"), "+", "T05thread:1;");
	/* A bad checksum: '-' and nothing else. */
	F.nsent = 0;
	gdb_proto_input(&P, (const uint8_t *)"$?#00", 5);
	assert_string_equal(F.sent, "-");
	/* Unknown packets: the empty reply. */
	assert_reply(ask("Qwhatever"), "+", "");
	/* No-ack mode: OK is still acked, nothing after. */
	assert_reply(ask("QStartNoAckMode"), "+", "OK");
	assert_reply(ask("?"), "", "T05thread:1;");
}

static void test_supported(void **state)
{
	const char *r = ask("qSupported:multiprocess+;swbreak+;hwbreak+");

	assert_non_null(strstr(r, "PacketSize=1000;"));
	assert_non_null(strstr(r, "qXfer:features:read+"));
	assert_non_null(strstr(r, "swbreak+"));
	assert_non_null(strstr(r, "hwbreak+"));
	assert_non_null(strstr(r, "vContSupported+"));
	assert_reply(ask("vCont?"), "+", "vCont;c;C;s;S");
}

static void test_layout(void **state)
{
	unsigned int total = 0;

	for (unsigned int r = 0; r < GDB_NREGS; r++)
		total += gdb_reg_size(r);
	assert_int_equal(total, GDB_REGS_BYTES);
	assert_int_equal(gdb_reg_offset(GDB_RIP), 16 * 8);
	assert_int_equal(gdb_reg_offset(GDB_EFLAGS), 17 * 8);
	assert_int_equal(gdb_reg_offset(GDB_CS), 17 * 8 + 4);
	assert_int_equal(gdb_reg_offset(GDB_FS_BASE), 17 * 8 + 4 + 6 * 4);
	assert_int_equal(gdb_reg_size(GDB_ST0), 10);
	assert_int_equal(gdb_reg_size(GDB_XMM0), 16);
}

static void test_regs(void **state)
{
	const char *r;

	F.regs[gdb_reg_offset(GDB_RIP)] = 0x34;
	F.regs[gdb_reg_offset(GDB_RIP) + 1] = 0x12;
	r = ask("g");
	assert_int_equal(strlen(r), 1 + 1 + 2 * GDB_REGS_BYTES + 3);
	assert_memory_equal(r + 2 + 2 * gdb_reg_offset(GDB_RIP), "3412000000000000", 16);
	assert_reply(ask("p10"), "+", "3412000000000000");
	assert_reply(ask("P10=efbeadde00000000"), "+", "OK");
	assert_int_equal(F.regs[gdb_reg_offset(GDB_RIP)], 0xef);
	assert_reply(ask("p999"), "+", "E16");
	assert_reply(ask("P10=zz"), "+", "E16");
	assert_reply(ask("G00"), "+", "E16");
}

static void test_mem(void **state)
{
	/* X carries binary: '}' escapes '#', '$', '}' (xor 0x20). */
	static const uint8_t x[] = "$X1000,3:a}\x03}]#ee";
	uint8_t sum = 0;
	char pkt[64];

	assert_reply(ask("M1000,2:abcd"), "+", "OK");
	assert_reply(ask("m1000,3"), "+", "abcd00");
	assert_reply(ask("m0,1"), "+", "E0e");
	assert_reply(ask("m1000"), "+", "E16");
	assert_reply(ask("M1000,2:abc"), "+", "E16");
	/* The checksum covers the escaped bytes as sent. */
	for (size_t i = 1; i < sizeof(x) - 4; i++)
		sum += x[i];
	memcpy(pkt, x, sizeof(x));
	snprintf(pkt + sizeof(x) - 3, 3, "%02x", sum);
	F.nsent = 0;
	gdb_proto_input(&P, (const uint8_t *)pkt, sizeof(x) - 1);
	assert_reply(F.sent, "+", "OK");
	assert_int_equal(F.mem[0], 'a');
	assert_int_equal(F.mem[1], '#');
	assert_int_equal(F.mem[2], '}');
}

static void test_bp(void **state)
{
	assert_reply(ask("Z0,105a70,1"), "+", "OK");
	assert_int_equal(F.bp_type, GDB_BP_SW);
	assert_int_equal(F.bp_addr, 0x105a70);
	assert_reply(ask("Z2,2000,8"), "+", "OK");
	assert_int_equal(F.bp_type, GDB_WP_WRITE);
	assert_int_equal(F.bp_len, 8);
	assert_reply(ask("Z5,0,1"), "+", "");
	assert_reply(ask("Z0,zz,1"), "+", "E16");
}

static void test_resume_and_stop(void **state)
{
	struct gdb_stop st = { .kind = GDB_STOP_SWBREAK, .thread = 2, .signal = 5 };

	assert_string_equal(ask("vCont;s:2;c"), "+");
	assert_int_equal(F.resumed, 1);
	assert_int_equal(F.act[1], GDB_ACT_CONTINUE);
	assert_int_equal(F.act[2], GDB_ACT_STEP);
	/* While running only 0x03 counts. */
	assert_string_equal(ask("g"), "+");
	F.nsent = 0;
	gdb_proto_input(&P, (const uint8_t *)"\x03", 1);
	assert_int_equal(F.interrupted, 1);
	gdb_proto_stopped(&P, &st);
	assert_reply(F.sent, "", "T05thread:2;swbreak:;");
	assert_reply(ask("qC"), "+", "QC2");
	/* Hg picks the thread, c continues all. */
	assert_reply(ask("Hg1"), "+", "OK");
	assert_reply(ask("qC"), "+", "QC1");
	assert_reply(ask("Hg9"), "+", "E16");
	assert_string_equal(ask("c"), "+");
	assert_int_equal(F.act[1], GDB_ACT_CONTINUE);
	assert_int_equal(F.act[2], GDB_ACT_CONTINUE);
	st = (struct gdb_stop){ .kind = GDB_STOP_WATCH, .thread = 1, .addr = 0x1234 };
	F.nsent = 0;
	gdb_proto_stopped(&P, &st);
	assert_reply(F.sent, "", "T05thread:1;watch:1234;");
	assert_reply(ask("vCont;x"), "+", "E16");
	assert_reply(ask("qfThreadInfo"), "+", "m1,2");
	assert_reply(ask("qsThreadInfo"), "+", "l");
	assert_reply(ask("T2"), "+", "OK");
	assert_reply(ask("T3"), "+", "E03");
	assert_reply(ask("D"), "+", "OK");
	assert_int_equal(F.detached, 1);
}

static void test_xml(void **state)
{
	char xml[16384] = "";
	size_t n = 0;

	for (;;) {
		char q[64];
		const char *r;
		size_t len;

		snprintf(q, sizeof(q), "qXfer:features:read:target.xml:%zx,400", n);
		r = ask(q);
		assert_true(r[0] == '+' && r[1] == '$');
		len = strlen(r) - 2 - 3 - 1;
		assert_true(n + len < sizeof(xml));
		memcpy(xml + n, r + 3, len);
		n += len;
		xml[n] = 0;
		if (r[2] == 'l')
			break;
		assert_int_equal(r[2], 'm');
	}
	assert_non_null(strstr(xml, "<architecture>i386:x86-64</architecture>"));
	assert_non_null(strstr(xml, "org.gnu.gdb.i386.core"));
	assert_non_null(strstr(xml, "<reg name=\"fs_base\" bitsize=\"64\""));
	assert_non_null(strstr(xml, "<reg name=\"cr3\" bitsize=\"64\""));
	assert_non_null(strstr(xml, "<reg name=\"mxcsr\" bitsize=\"32\""));
	assert_non_null(strstr(xml, "</target>"));
	assert_reply(ask("qXfer:features:read:other.xml:0,10"), "+", "");
}

static void test_monitor(void **state)
{
	/* "hello" in hex; the answer is an O packet ("hi\n"), then OK. */
	{
		char r[64];

		snprintf(r, sizeof(r), "%s", ask("qRcmd,68656c6c6f"));
		/* The OK packet right after the O packet. */
		assert_reply(strchr(r + 2, '$'), "", "OK");
		*strchr(r + 2, '$') = 0;
		assert_reply(r, "+", "O68690a");
	}
	assert_reply(ask("qRcmd,7a"), "+", "E02");
	assert_reply(ask("qRcmd,7"), "+", "E16");
}

static void test_overflow(void **state)
{
	char big[GDB_PACKET_MAX + 100];

	memset(big, 'g', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	assert_string_equal(ask(big), "-");
	assert_string_equal(ask("k"), "+");
	assert_int_equal(F.killed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_framing, setup),
		cmocka_unit_test_setup(test_supported, setup),
		cmocka_unit_test_setup(test_layout, setup),
		cmocka_unit_test_setup(test_regs, setup),
		cmocka_unit_test_setup(test_mem, setup),
		cmocka_unit_test_setup(test_bp, setup),
		cmocka_unit_test_setup(test_resume_and_stop, setup),
		cmocka_unit_test_setup(test_xml, setup),
		cmocka_unit_test_setup(test_monitor, setup),
		cmocka_unit_test_setup(test_overflow, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
