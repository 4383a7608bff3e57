// SPDX-License-Identifier: GPL-2.0
/*
 * The gdb remote serial protocol (gdb_proto.h): no KVM here, so a fuzzer
 * and the unit tests can drive every byte path. Replies that cannot fit
 * or that the target refuses are E replies; a packet we do not know gets
 * the empty reply, which gdb reads as "not supported".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/gdb_proto.h"

/* One line per register: name, bits, type (gdb's 64bit-core/sse + QEMU's system regs). */
static const struct {
	const char *name;
	unsigned int bits;
	const char *type;
} regs[GDB_NREGS] = {
	{ "rax", 64, "int64" },	    { "rbx", 64, "int64" },	{ "rcx", 64, "int64" },
	{ "rdx", 64, "int64" },	    { "rsi", 64, "int64" },	{ "rdi", 64, "int64" },
	{ "rbp", 64, "data_ptr" },  { "rsp", 64, "data_ptr" },	{ "r8", 64, "int64" },
	{ "r9", 64, "int64" },	    { "r10", 64, "int64" },	{ "r11", 64, "int64" },
	{ "r12", 64, "int64" },	    { "r13", 64, "int64" },	{ "r14", 64, "int64" },
	{ "r15", 64, "int64" },	    { "rip", 64, "code_ptr" },	{ "eflags", 32, "i386_eflags" },
	{ "cs", 32, "int32" },	    { "ss", 32, "int32" },	{ "ds", 32, "int32" },
	{ "es", 32, "int32" },	    { "fs", 32, "int32" },	{ "gs", 32, "int32" },
	{ "fs_base", 64, "int64" }, { "gs_base", 64, "int64" }, { "k_gs_base", 64, "int64" },
	{ "cr0", 64, "int64" },	    { "cr2", 64, "int64" },	{ "cr3", 64, "int64" },
	{ "cr4", 64, "int64" },	    { "cr8", 64, "int64" },	{ "efer", 64, "int64" },
	{ "st0", 80, "i387_ext" },  { "st1", 80, "i387_ext" },	{ "st2", 80, "i387_ext" },
	{ "st3", 80, "i387_ext" },  { "st4", 80, "i387_ext" },	{ "st5", 80, "i387_ext" },
	{ "st6", 80, "i387_ext" },  { "st7", 80, "i387_ext" },	{ "fctrl", 32, "int" },
	{ "fstat", 32, "int" },	    { "ftag", 32, "int" },	{ "fiseg", 32, "int" },
	{ "fioff", 32, "int" },	    { "foseg", 32, "int" },	{ "fooff", 32, "int" },
	{ "fop", 32, "int" },	    { "xmm0", 128, "vec128" },	{ "xmm1", 128, "vec128" },
	{ "xmm2", 128, "vec128" },  { "xmm3", 128, "vec128" },	{ "xmm4", 128, "vec128" },
	{ "xmm5", 128, "vec128" },  { "xmm6", 128, "vec128" },	{ "xmm7", 128, "vec128" },
	{ "xmm8", 128, "vec128" },  { "xmm9", 128, "vec128" },	{ "xmm10", 128, "vec128" },
	{ "xmm11", 128, "vec128" }, { "xmm12", 128, "vec128" }, { "xmm13", 128, "vec128" },
	{ "xmm14", 128, "vec128" }, { "xmm15", 128, "vec128" }, { "mxcsr", 32, "i386_mxcsr" },
};

unsigned int gdb_reg_size(unsigned int r)
{
	return r < GDB_NREGS ? regs[r].bits / 8 : 0;
}

unsigned int gdb_reg_offset(unsigned int r)
{
	unsigned int off = 0;

	for (unsigned int i = 0; i < r && i < GDB_NREGS; i++)
		off += regs[i].bits / 8;
	return off;
}

/* Built once from regs[]: gdb needs the core feature with the SSE registers. */
#define XML_MAX 8192
static char xml[XML_MAX];

static const char *target_xml(void)
{
	size_t n;

	if (xml[0])
		return xml;
	n = snprintf(xml, sizeof(xml),
		     "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
		     "<target><architecture>i386:x86-64</architecture>"
		     "<feature name=\"org.gnu.gdb.i386.core\">"
		     "<flags id=\"i386_eflags\" size=\"4\">"
		     "<field name=\"CF\" start=\"0\" end=\"0\"/>"
		     "<field name=\"PF\" start=\"2\" end=\"2\"/>"
		     "<field name=\"AF\" start=\"4\" end=\"4\"/>"
		     "<field name=\"ZF\" start=\"6\" end=\"6\"/>"
		     "<field name=\"SF\" start=\"7\" end=\"7\"/>"
		     "<field name=\"TF\" start=\"8\" end=\"8\"/>"
		     "<field name=\"IF\" start=\"9\" end=\"9\"/>"
		     "<field name=\"DF\" start=\"10\" end=\"10\"/>"
		     "<field name=\"OF\" start=\"11\" end=\"11\"/>"
		     "<field name=\"NT\" start=\"14\" end=\"14\"/>"
		     "<field name=\"RF\" start=\"16\" end=\"16\"/>"
		     "<field name=\"VM\" start=\"17\" end=\"17\"/>"
		     "<field name=\"AC\" start=\"18\" end=\"18\"/>"
		     "<field name=\"VIF\" start=\"19\" end=\"19\"/>"
		     "<field name=\"VIP\" start=\"20\" end=\"20\"/>"
		     "<field name=\"ID\" start=\"21\" end=\"21\"/>"
		     "</flags>"
		     "<flags id=\"i386_mxcsr\" size=\"4\">"
		     "<field name=\"IE\" start=\"0\" end=\"0\"/>"
		     "<field name=\"DE\" start=\"1\" end=\"1\"/>"
		     "<field name=\"ZE\" start=\"2\" end=\"2\"/>"
		     "<field name=\"OE\" start=\"3\" end=\"3\"/>"
		     "<field name=\"UE\" start=\"4\" end=\"4\"/>"
		     "<field name=\"PE\" start=\"5\" end=\"5\"/>"
		     "<field name=\"DAZ\" start=\"6\" end=\"6\"/>"
		     "<field name=\"IM\" start=\"7\" end=\"7\"/>"
		     "<field name=\"DM\" start=\"8\" end=\"8\"/>"
		     "<field name=\"ZM\" start=\"9\" end=\"9\"/>"
		     "<field name=\"OM\" start=\"10\" end=\"10\"/>"
		     "<field name=\"UM\" start=\"11\" end=\"11\"/>"
		     "<field name=\"PM\" start=\"12\" end=\"12\"/>"
		     "<field name=\"FZ\" start=\"15\" end=\"15\"/>"
		     "</flags>"
		     "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>"
		     "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>"
		     "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
		     "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>"
		     "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>"
		     "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
		     "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/>"
		     "<field name=\"v2_double\" type=\"v2d\"/>"
		     "<field name=\"v16_int8\" type=\"v16i8\"/>"
		     "<field name=\"v8_int16\" type=\"v8i16\"/>"
		     "<field name=\"v4_int32\" type=\"v4i32\"/>"
		     "<field name=\"v2_int64\" type=\"v2i64\"/>"
		     "<field name=\"uint128\" type=\"uint128\"/></union>");
	for (unsigned int i = 0; i < GDB_NREGS && n < sizeof(xml); i++) {
		const char *group = i >= GDB_FCTRL && i <= GDB_FOP ? " group=\"float\""
				    : i == GDB_MXCSR		   ? " group=\"vector\""
								   : "";

		n += snprintf(xml + n, sizeof(xml) - n,
			      "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\"%s%s/>", regs[i].name,
			      regs[i].bits, regs[i].type, i == 0 ? " regnum=\"0\"" : "", group);
	}
	if (n < sizeof(xml))
		snprintf(xml + n, sizeof(xml) - n, "</feature></target>");
	return xml;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char hexd[] = "0123456789abcdef";

/* Hex digits to bytes: exactly 2*n digits, else -1. */
static int unhex(const char *s, size_t digits, uint8_t *out, size_t n)
{
	if (digits != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = hi << 4 | lo;
	}
	return 0;
}

static void tohex(char *out, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexd[b[i] >> 4];
		out[2 * i + 1] = hexd[b[i] & 15];
	}
	out[2 * n] = 0;
}

/* A hex number up to a delimiter; *s moves past it. -1 when there are no digits or too many. */
static int parse_hex(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	int d, n = 0;

	while ((d = hexval(*p)) >= 0) {
		if (++n > 16)
			return -1;
		x = x << 4 | d;
		p++;
	}
	if (!n)
		return -1;
	*v = x;
	*s = p;
	return 0;
}

/* A thread id: hex number, -1 (all) or 0 (any). */
static int parse_thread(const char **s, int *tid)
{
	uint64_t v;

	if (**s == '-' && (*s)[1] == '1') {
		*s += 2;
		*tid = -1;
		return 0;
	}
	if (parse_hex(s, &v) || v > 0x7fffffff)
		return -1;
	*tid = (int)v;
	return 0;
}

static void send_packet(struct gdb_proto *p, const char *data, size_t n)
{
	char hdr = '$', tail[3];
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += (uint8_t)data[i];
	tail[0] = '#';
	tail[1] = hexd[sum >> 4];
	tail[2] = hexd[sum & 15];
	p->t->send(p->t->opaque, &hdr, 1);
	if (n)
		p->t->send(p->t->opaque, data, n);
	p->t->send(p->t->opaque, tail, 3);
}

static void reply(struct gdb_proto *p, const char *s)
{
	send_packet(p, s, strlen(s));
}

static void reply_err(struct gdb_proto *p, int err)
{
	char e[8];

	snprintf(e, sizeof(e), "E%02x", (err < 0 ? -err : err) & 0xff);
	reply(p, e);
}

static void reply_status(struct gdb_proto *p, int ret)
{
	if (ret)
		reply_err(p, ret);
	else
		reply(p, "OK");
}

static int nr_threads(struct gdb_proto *p)
{
	return p->t->nr_threads(p->t->opaque);
}

/* The thread registers and memory come from: Hg's, else the one that stopped. */
static int cur_thread(struct gdb_proto *p)
{
	if (p->g_thread > 0 && p->g_thread <= nr_threads(p))
		return p->g_thread;
	return p->last.thread > 0 ? p->last.thread : 1;
}

static void send_stop(struct gdb_proto *p, const struct gdb_stop *s)
{
	char r[96];

	switch (s->kind) {
	case GDB_STOP_EXITED: snprintf(r, sizeof(r), "W%02x", s->signal & 0xff); break;
	case GDB_STOP_SWBREAK: snprintf(r, sizeof(r), "T05thread:%x;swbreak:;", s->thread); break;
	case GDB_STOP_HWBREAK: snprintf(r, sizeof(r), "T05thread:%x;hwbreak:;", s->thread); break;
	case GDB_STOP_WATCH:
		snprintf(r, sizeof(r), "T05thread:%x;%swatch:%llx;", s->thread,
			 s->watch == GDB_WP_READ     ? "r"
			 : s->watch == GDB_WP_ACCESS ? "a"
						     : "",
			 (unsigned long long)s->addr);
		break;
	default: snprintf(r, sizeof(r), "T%02xthread:%x;", s->signal & 0xff, s->thread); break;
	}
	reply(p, r);
}

void gdb_proto_init(struct gdb_proto *p, const struct gdb_target *t, const struct gdb_stop *why)
{
	memset(p, 0, sizeof(*p));
	p->t = t;
	p->last = *why;
}

void gdb_proto_stopped(struct gdb_proto *p, const struct gdb_stop *s)
{
	p->last = *s;
	p->g_thread = 0; /* gdb sets Hg again after a stop; until then, the stopped one */
	if (!p->running)
		return;
	p->running = false;
	send_stop(p, s);
}

static void cmd_read_regs(struct gdb_proto *p)
{
	uint8_t r[GDB_REGS_BYTES];
	int ret = p->t->read_regs(p->t->opaque, cur_thread(p), r);

	if (ret)
		return reply_err(p, ret);
	tohex(p->out, r, sizeof(r));
	reply(p, p->out);
}

static void cmd_write_regs(struct gdb_proto *p, const char *a, size_t n)
{
	uint8_t r[GDB_REGS_BYTES];

	if (unhex(a, n, r, sizeof(r)))
		return reply_err(p, EINVAL);
	reply_status(p, p->t->write_regs(p->t->opaque, cur_thread(p), r));
}

/* p N / P N=VALUE: one register, through the whole block. */
static void cmd_reg(struct gdb_proto *p, const char *a, size_t n, bool write)
{
	uint8_t r[GDB_REGS_BYTES];
	const char *end = a + n;
	uint64_t reg;
	unsigned int off, sz;
	int ret;

	if (parse_hex(&a, &reg) || reg >= GDB_NREGS)
		return reply_err(p, EINVAL);
	off = gdb_reg_offset(reg);
	sz = gdb_reg_size(reg);
	ret = p->t->read_regs(p->t->opaque, cur_thread(p), r);
	if (ret)
		return reply_err(p, ret);
	if (!write) {
		if (a != end)
			return reply_err(p, EINVAL);
		tohex(p->out, r + off, sz);
		return reply(p, p->out);
	}
	if (*a != '=' || unhex(a + 1, end - a - 1, r + off, sz))
		return reply_err(p, EINVAL);
	reply_status(p, p->t->write_regs(p->t->opaque, cur_thread(p), r));
}

/* "ADDR,LEN" then @delim (or the end). */
static int parse_addr_len(const char **a, uint64_t *addr, uint64_t *len, char delim)
{
	if (parse_hex(a, addr) || **a != ',')
		return -1;
	(*a)++;
	if (parse_hex(a, len) || **a != delim)
		return -1;
	if (delim)
		(*a)++;
	return 0;
}

static void cmd_read_mem(struct gdb_proto *p, const char *a)
{
	uint8_t b[GDB_PACKET_MAX / 2];
	uint64_t addr, len;
	int ret;

	if (parse_addr_len(&a, &addr, &len, 0))
		return reply_err(p, EINVAL);
	if (len > sizeof(b))
		len = sizeof(b); /* gdb asks again for the rest */
	ret = p->t->read_mem(p->t->opaque, cur_thread(p), addr, b, len);
	if (ret)
		return reply_err(p, ret);
	tohex(p->out, b, len);
	reply(p, p->out);
}

/* M addr,len:HEX or X addr,len:BINARY (already unescaped). */
static void cmd_write_mem(struct gdb_proto *p, const char *a, size_t n, bool binary)
{
	uint8_t b[GDB_PACKET_MAX];
	const char *end = a + n;
	uint64_t addr, len;

	if (parse_addr_len(&a, &addr, &len, ':') || len > sizeof(b))
		return reply_err(p, EINVAL);
	if (binary) {
		if ((uint64_t)(end - a) != len)
			return reply_err(p, EINVAL);
		memcpy(b, a, len);
	} else if (unhex(a, end - a, b, len)) {
		return reply_err(p, EINVAL);
	}
	if (!len)
		return reply(p, "OK");
	reply_status(p, p->t->write_mem(p->t->opaque, cur_thread(p), addr, b, len));
}

/* Z/z type,addr,kind */
static void cmd_bp(struct gdb_proto *p, const char *a, bool insert)
{
	uint64_t type, addr, kind;

	if (parse_hex(&a, &type) || *a++ != ',' || parse_addr_len(&a, &addr, &kind, 0))
		return reply_err(p, EINVAL);
	if (type > GDB_WP_ACCESS)
		return reply(p, "");
	if (insert)
		reply_status(p, p->t->insert_bp(p->t->opaque, type, addr, kind));
	else
		reply_status(p, p->t->remove_bp(p->t->opaque, type, addr, kind));
}

static void resume(struct gdb_proto *p, const enum gdb_action *act)
{
	p->running = true;
	p->t->resume(p->t->opaque, act);
}

/* c / s [addr]: the current thread steps, or all continue. Resuming at addr is refused. */
static void cmd_cont(struct gdb_proto *p, const char *a, bool step)
{
	enum gdb_action act[256 + 1] = { 0 };
	int n = nr_threads(p);

	if (*a)
		return reply_err(p, EINVAL);
	for (int i = 1; i <= n && i <= 256; i++)
		act[i] = step ? GDB_ACT_NONE : GDB_ACT_CONTINUE;
	if (step)
		act[cur_thread(p) <= 256 ? cur_thread(p) : 1] = GDB_ACT_STEP;
	resume(p, act);
}

/* vCont;ACTION[:TID];... : the first action that names a thread wins for it. */
static void cmd_vcont(struct gdb_proto *p, const char *a)
{
	enum gdb_action act[256 + 1] = { 0 };
	int n = nr_threads(p);

	if (n > 256)
		n = 256;
	while (*a == ';') {
		enum gdb_action what;
		uint64_t sig;
		int tid = -1;

		a++;
		switch (*a++) {
		case 'c': what = GDB_ACT_CONTINUE; break;
		case 's': what = GDB_ACT_STEP; break;
		case 'C':
		case 'S':
			/* The signal means nothing to a machine: resume as c/s. */
			what = a[-1] == 'C' ? GDB_ACT_CONTINUE : GDB_ACT_STEP;
			if (parse_hex(&a, &sig))
				return reply_err(p, EINVAL);
			break;
		case 't': what = GDB_ACT_NONE; break;
		default: return reply_err(p, EINVAL);
		}
		if (*a == ':') {
			a++;
			if (parse_thread(&a, &tid))
				return reply_err(p, EINVAL);
		}
		if (*a && *a != ';')
			return reply_err(p, EINVAL);
		for (int i = 1; i <= n; i++)
			if ((tid <= 0 || tid == i) && act[i] == GDB_ACT_NONE)
				act[i] = what;
	}
	if (*a)
		return reply_err(p, EINVAL);
	resume(p, act);
}

/* qXfer:features:read:target.xml:OFF,LEN */
static void cmd_xfer(struct gdb_proto *p, const char *a)
{
	static const char pre[] = "features:read:target.xml:";
	const char *x = target_xml();
	size_t total = strlen(x);
	uint64_t off, len;

	if (strncmp(a, pre, sizeof(pre) - 1))
		return reply(p, "");
	a += sizeof(pre) - 1;
	if (parse_addr_len(&a, &off, &len, 0))
		return reply_err(p, EINVAL);
	if (off >= total)
		return reply(p, "l");
	if (len > GDB_PACKET_MAX - 1)
		len = GDB_PACKET_MAX - 1;
	if (len > total - off)
		len = total - off;
	p->out[0] = off + len >= total ? 'l' : 'm';
	memcpy(p->out + 1, x + off, len);
	/* Binary data: '#', '$', '}' and '*' are escaped. */
	{
		char tmp[GDB_PACKET_MAX * 2];
		size_t m = 0;

		tmp[m++] = p->out[0];
		for (size_t i = 0; i < len; i++) {
			char c = x[off + i];

			if (c == '#' || c == '$' || c == '}' || c == '*') {
				tmp[m++] = '}';
				c ^= 0x20;
			}
			tmp[m++] = c;
		}
		send_packet(p, tmp, m);
	}
}

static void cmd_rcmd(struct gdb_proto *p, const char *a, size_t n)
{
	const size_t chunk = (GDB_PACKET_MAX - 2) / 2;
	char cmd[256], *text = NULL;
	size_t len = n / 2, tl;
	int ret;

	if (len >= sizeof(cmd) || unhex(a, n, (uint8_t *)cmd, len))
		return reply_err(p, EINVAL);
	cmd[len] = 0;
	if (!p->t->monitor)
		return reply(p, "");
	ret = p->t->monitor(p->t->opaque, cmd, &text);
	tl = text ? strlen(text) : 0;
	/* Console output: 'O' then hex, as many packets as it takes, then the reply. */
	for (size_t off = 0; off < tl; off += chunk) {
		size_t m = tl - off < chunk ? tl - off : chunk;

		p->out[0] = 'O';
		tohex(p->out + 1, (const uint8_t *)text + off, m);
		reply(p, p->out);
	}
	free(text);
	reply_status(p, ret);
}

static void cmd_thread_info(struct gdb_proto *p)
{
	int n = nr_threads(p), m = 1;

	p->out[0] = 'm';
	for (int i = 1; i <= n && m < GDB_PACKET_MAX - 16; i++)
		m += snprintf(p->out + m, GDB_PACKET_MAX - m, "%s%x", i > 1 ? "," : "", i);
	reply(p, p->out);
}

static void cmd_query(struct gdb_proto *p, const char *a, size_t n)
{
	char r[128];

	if (!strncmp(a, "qSupported", 10)) {
		snprintf(r, sizeof(r),
			 "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;"
			 "vContSupported+;QStartNoAckMode+",
			 GDB_PACKET_MAX);
		reply(p, r);
	} else if (!strncmp(a, "qXfer:", 6)) {
		cmd_xfer(p, a + 6);
	} else if (!strcmp(a, "qfThreadInfo")) {
		cmd_thread_info(p);
	} else if (!strcmp(a, "qsThreadInfo")) {
		reply(p, "l");
	} else if (!strcmp(a, "qC")) {
		snprintf(r, sizeof(r), "QC%x", cur_thread(p));
		reply(p, r);
	} else if (!strcmp(a, "qAttached")) {
		reply(p, "1");
	} else if (!strncmp(a, "qRcmd,", 6)) {
		cmd_rcmd(p, a + 6, n - 6);
	} else if (!strcmp(a, "QStartNoAckMode")) {
		reply(p, "OK");
		p->no_ack = true; /* after the OK, which gdb still acks */
	} else {
		reply(p, "");
	}
}

/* Hg/Hc TID */
static void cmd_thread_set(struct gdb_proto *p, const char *a)
{
	char op = *a++;
	int tid;

	if ((op != 'g' && op != 'c') || parse_thread(&a, &tid) || *a || tid > nr_threads(p))
		return reply_err(p, EINVAL);
	if (op == 'g')
		p->g_thread = tid;
	reply(p, "OK");
}

static void cmd_thread_alive(struct gdb_proto *p, const char *a)
{
	int tid;

	if (parse_thread(&a, &tid) || *a || tid < 1 || tid > nr_threads(p))
		return reply_err(p, ESRCH);
	reply(p, "OK");
}

static void dispatch(struct gdb_proto *p, const char *a, size_t n)
{
	if (p->running)
		return; /* only 0x03 while the target runs (gdb's all-stop mode) */
	switch (a[0]) {
	case '?': return send_stop(p, &p->last);
	case 'g': return n == 1 ? cmd_read_regs(p) : reply_err(p, EINVAL);
	case 'G': return cmd_write_regs(p, a + 1, n - 1);
	case 'p': return cmd_reg(p, a + 1, n - 1, false);
	case 'P': return cmd_reg(p, a + 1, n - 1, true);
	case 'm': return cmd_read_mem(p, a + 1);
	case 'M': return cmd_write_mem(p, a + 1, n - 1, false);
	case 'X': return cmd_write_mem(p, a + 1, n - 1, true);
	case 'Z': return cmd_bp(p, a + 1, true);
	case 'z': return cmd_bp(p, a + 1, false);
	case 'c': return cmd_cont(p, a + 1, false);
	case 's': return cmd_cont(p, a + 1, true);
	case 'H': return cmd_thread_set(p, a + 1);
	case 'T': return cmd_thread_alive(p, a + 1);
	case 'q':
	case 'Q': return cmd_query(p, a, n);
	case 'D':
		reply(p, "OK");
		p->t->detach(p->t->opaque);
		return;
	case 'k': p->t->kill(p->t->opaque); return; /* no reply to k */
	case 'v':
		if (!strcmp(a, "vCont?"))
			return reply(p, "vCont;c;C;s;S");
		if (!strncmp(a, "vCont", 5) && (a[5] == ';' || !a[5]))
			return cmd_vcont(p, a + 5);
		if (!strncmp(a, "vKill", 5)) {
			reply(p, "OK");
			p->t->kill(p->t->opaque);
			return;
		}
		return reply(p, "");
	default: return reply(p, "");
	}
}

/* One whole packet received: ack it, unless the checksum is wrong. */
static void packet_done(struct gdb_proto *p)
{
	bool good = p->sum == p->rx_sum && !p->overflow;

	if (!p->no_ack)
		p->t->send(p->t->opaque, good ? "+" : "-", 1);
	if (!good || !p->len)
		return;
	p->buf[p->len] = 0;
	/* A NUL inside (X's binary data may hold one) ends the string, not the packet. */
	dispatch(p, p->buf, p->len);
}

static void rx_byte(struct gdb_proto *p, uint8_t c)
{
	int v;

	switch (p->rx) {
	case GDB_RX_IDLE:
		if (c == 0x03 && p->running) {
			p->t->interrupt(p->t->opaque);
		} else if (c == '$') {
			p->rx = GDB_RX_DATA;
			p->len = 0;
			p->sum = 0;
			p->overflow = false;
		}
		/* '+', '-' and noise between packets: nothing to do (we never resend). */
		return;
	case GDB_RX_DATA:
	case GDB_RX_ESC:
		if (c == '#' && p->rx == GDB_RX_DATA) {
			p->rx = GDB_RX_SUM1;
			return;
		}
		p->sum += c;
		if (p->rx == GDB_RX_DATA && c == '}') {
			p->rx = GDB_RX_ESC;
			return;
		}
		if (p->rx == GDB_RX_ESC)
			c ^= 0x20;
		p->rx = GDB_RX_DATA;
		if (p->len < GDB_PACKET_MAX)
			p->buf[p->len++] = c;
		else
			p->overflow = true;
		return;
	case GDB_RX_SUM1:
		v = hexval(c);
		p->rx_sum = v < 0 ? 0 : v << 4;
		p->overflow |= v < 0;
		p->rx = GDB_RX_SUM2;
		return;
	case GDB_RX_SUM2:
		v = hexval(c);
		p->rx_sum |= v < 0 ? 0 : v;
		p->overflow |= v < 0;
		p->rx = GDB_RX_IDLE;
		packet_done(p);
		return;
	}
}

void gdb_proto_input(struct gdb_proto *p, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++)
		rx_byte(p, data[i]);
}

const char *gdb_target_xml_text(void)
{
	return target_xml();
}
