// SPDX-License-Identifier: GPL-2.0
/*
 * AML writer: see aml.h. Encodings follow ACPI 6.x chapter 20 (AML
 * grammar) and chapter 6.4 (resource descriptors).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bios/aml.h"

#define AML_ZERO_OP	      0x00
#define AML_ONE_OP	      0x01
#define AML_NAME_OP	      0x08
#define AML_BYTE_PREFIX	      0x0a
#define AML_WORD_PREFIX	      0x0b
#define AML_DWORD_PREFIX      0x0c
#define AML_STRING_PREFIX     0x0d
#define AML_QWORD_PREFIX      0x0e
#define AML_SCOPE_OP	      0x10
#define AML_BUFFER_OP	      0x11
#define AML_PACKAGE_OP	      0x12
#define AML_DUAL_NAME_PREFIX  0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_OP_PREFIX     0x5b
#define AML_DEVICE_OP	      0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR	      '\\'
#define AML_PARENT_PREFIX     '^'

/* Resource descriptor tags. */
#define RES_IRQ_NOFLAGS 0x22 /* small item 0x4, length 2 */
#define RES_IRQ		0x23 /* small item 0x4, length 3 */
#define RES_IO		0x47 /* small item 0x8, length 7 */
#define RES_END_TAG	0x79 /* small item 0xf, length 1 */
#define RES_MEM32_FIXED 0x86 /* large item 0x6 */
#define RES_EXT_IRQ	0x89 /* large item 0x9 */
#define RES_DWORD_ADDR	0x87 /* large item 0x7 */
#define RES_WORD_ADDR	0x88 /* large item 0x8 */
/* Address space general flags: producer, _MIF, _MAF, positive decode. */
#define RES_ADDR_FIXED_WINDOW 0x0c
#define RES_IO_ENTIRE_RANGE   0x03 /* I/O type flags: ISA and non-ISA ports */
#define RES_MEM_RW	      0x01 /* memory type flags: read-write, non-cacheable */

enum aml_kind {
	AML_KIND_PLAIN,	      /* Scope, Device, Package: just a PkgLength */
	AML_KIND_BUFFER,      /* PkgLength + BufferSize */
	AML_KIND_RESTEMPLATE, /* a Buffer that needs an EndTag */
};

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_free(struct aml *a)
{
	free(a->buf);
	aml_init(a);
}

int aml_error(const struct aml *a)
{
	if (a->err)
		return a->err;
	return a->depth ? -EINVAL : 0;
}

static void aml_fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

/* Make room for @n more bytes; false (and the error set) on failure. */
static bool aml_reserve(struct aml *a, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (a->err)
		return false;
	if (a->len + n <= a->cap)
		return true;
	cap = a->cap ? a->cap : 256;
	while (cap < a->len + n)
		cap *= 2;
	p = realloc(a->buf, cap);
	if (!p) {
		aml_fail(a, -ENOMEM);
		return false;
	}
	a->buf = p;
	a->cap = cap;
	return true;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (!aml_reserve(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, int n)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < n; i++)
		b[i] = v >> (8 * i);
	aml_bytes(a, b, n);
}

/* Encode an integer into @out (at most 9 bytes); returns its length. */
static size_t aml_encode_integer(uint8_t *out, uint64_t v)
{
	size_t n, i;

	if (v == 0) {
		out[0] = AML_ZERO_OP;
		return 1;
	}
	if (v == 1) {
		out[0] = AML_ONE_OP;
		return 1;
	}
	if (v <= 0xff) {
		out[0] = AML_BYTE_PREFIX;
		n = 1;
	} else if (v <= 0xffff) {
		out[0] = AML_WORD_PREFIX;
		n = 2;
	} else if (v <= 0xffffffff) {
		out[0] = AML_DWORD_PREFIX;
		n = 4;
	} else {
		/* Needs a revision >= 2 table for 64-bit integers. */
		out[0] = AML_QWORD_PREFIX;
		n = 8;
	}
	for (i = 0; i < n; i++)
		out[1 + i] = v >> (8 * i);
	return n + 1;
}

void aml_integer(struct aml *a, uint64_t v)
{
	uint8_t b[9];

	aml_bytes(a, b, aml_encode_integer(b, v));
}

void aml_string(struct aml *a, const char *s)
{
	const char *c;

	/* AML strings are 7-bit ASCII without embedded NULs. */
	for (c = s; *c; c++) {
		if ((unsigned char)*c > 0x7f) {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * EISAID("PNP0501"): three letters compressed to 5 bits each, then four
 * hex digits, stored as a DWord in the byte order iasl produces.
 */
void aml_eisaid(struct aml *a, const char *id)
{
	uint8_t b[4];
	uint16_t vendor;
	int i, d[4];

	if (strlen(id) != 7) {
		aml_fail(a, -EINVAL);
		return;
	}
	for (i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	for (i = 0; i < 4; i++) {
		d[i] = hex_digit(id[3 + i]);
		if (d[i] < 0) {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	vendor = (id[0] - '@') << 10 | (id[1] - '@') << 5 | (id[2] - '@');
	b[0] = vendor >> 8;
	b[1] = vendor & 0xff;
	b[2] = d[0] << 4 | d[1];
	b[3] = d[2] << 4 | d[3];
	aml_byte(a, AML_DWORD_PREFIX);
	aml_bytes(a, b, 4);
}

static bool name_lead_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return name_lead_char(c) || (c >= '0' && c <= '9');
}

/* Parse one NameSeg of 1-4 chars at @p into @seg (padded with '_'). */
static const char *parse_seg(const char *p, char seg[4])
{
	int i;

	if (!name_lead_char(*p))
		return NULL;
	for (i = 0; i < 4 && name_char(*p); i++)
		seg[i] = *p++;
	for (; i < 4; i++)
		seg[i] = '_';
	if (*p && *p != '.')
		return NULL; /* too long or a bad character */
	return p;
}

void aml_name_string(struct aml *a, const char *path)
{
	char segs[255][4];
	const char *p = path;
	int n = 0;

	if (*p == AML_ROOT_CHAR) {
		aml_byte(a, AML_ROOT_CHAR);
		p++;
	} else {
		while (*p == AML_PARENT_PREFIX) {
			aml_byte(a, AML_PARENT_PREFIX);
			p++;
		}
	}
	while (*p) {
		if (n == 255)
			goto bad;
		p = parse_seg(p, segs[n++]);
		if (!p)
			goto bad;
		if (*p == '.' && !*++p)
			goto bad; /* trailing dot */
	}
	if (n == 0) {
		/* "\" alone: the root, a prefix followed by NullName. */
		if (p == path)
			goto bad;
		aml_byte(a, AML_ZERO_OP);
		return;
	}
	if (n == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (n > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, n);
	}
	aml_bytes(a, segs, 4 * (size_t)n);
	return;
bad:
	aml_fail(a, -EINVAL);
}

void aml_name_decl(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_name_string(a, name);
}

void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_name_decl(a, name);
	aml_integer(a, v);
}

void aml_name_str(struct aml *a, const char *name, const char *s)
{
	aml_name_decl(a, name);
	aml_string(a, s);
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_name_decl(a, name);
	aml_eisaid(a, id);
}

static void aml_open(struct aml *a, enum aml_kind kind)
{
	if (a->err)
		return;
	if (a->depth == AML_MAX_DEPTH) {
		aml_fail(a, -E2BIG);
		return;
	}
	a->open[a->depth].start = a->len;
	a->open[a->depth].kind = kind;
	a->depth++;
}

void aml_scope_begin(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE_OP);
	aml_open(a, AML_KIND_PLAIN);
	aml_name_string(a, path);
}

void aml_device_begin(struct aml *a, const char *name)
{
	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	aml_open(a, AML_KIND_PLAIN);
	aml_name_string(a, name);
}

void aml_package_begin(struct aml *a, uint8_t nr_elements)
{
	aml_byte(a, AML_PACKAGE_OP);
	aml_open(a, AML_KIND_PLAIN);
	aml_byte(a, nr_elements);
}

void aml_buffer_begin(struct aml *a)
{
	aml_byte(a, AML_BUFFER_OP);
	aml_open(a, AML_KIND_BUFFER);
}

void aml_restemplate_begin(struct aml *a)
{
	aml_byte(a, AML_BUFFER_OP);
	aml_open(a, AML_KIND_RESTEMPLATE);
}

/*
 * PkgLength counts its own bytes: one byte up to 63, else a lead byte
 * with the byte count in bits 7:6 and the low nibble, then 8 bits each.
 * Returns the encoded length, 0 if @body is too large (2^28).
 */
static size_t aml_encode_pkglength(uint8_t *out, size_t body)
{
	size_t n, total, i;

	if (body + 1 <= 0x3f) {
		out[0] = body + 1;
		return 1;
	}
	for (n = 2; n <= 4; n++) {
		total = body + n;
		if (total < (size_t)1 << (4 + 8 * (n - 1)))
			break;
	}
	if (n > 4)
		return 0;
	out[0] = (n - 1) << 6 | (total & 0xf);
	for (i = 1; i < n; i++)
		out[i] = total >> (4 + 8 * (i - 1));
	return n;
}

void aml_end(struct aml *a)
{
	uint8_t hdr[4 + 9];
	size_t start, body, n, m = 0;
	uint8_t size[9];
	enum aml_kind kind;

	if (a->err)
		return;
	if (!a->depth) {
		aml_fail(a, -EINVAL);
		return;
	}
	kind = a->open[a->depth - 1].kind;
	if (kind == AML_KIND_RESTEMPLATE) {
		/* EndTag; a zero checksum means "do not check". */
		aml_byte(a, RES_END_TAG);
		aml_byte(a, 0);
		if (a->err)
			return;
	}
	a->depth--;
	start = a->open[a->depth].start;
	body = a->len - start;
	if (kind != AML_KIND_PLAIN)
		m = aml_encode_integer(size, body);
	n = aml_encode_pkglength(hdr, body + m);
	if (!n) {
		aml_fail(a, -E2BIG);
		return;
	}
	memcpy(hdr + n, size, m);
	if (!aml_reserve(a, n + m))
		return;
	memmove(a->buf + start + n + m, a->buf + start, body);
	memcpy(a->buf + start, hdr, n + m);
	a->len += n + m;
}

void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	aml_byte(a, RES_IO);
	aml_byte(a, 0x01);  /* decodes 16 address bits */
	aml_le(a, base, 2); /* minimum */
	aml_le(a, base, 2); /* maximum: fixed at base */
	aml_byte(a, 1);	    /* alignment */
	aml_byte(a, len);
}

void aml_res_irq(struct aml *a, uint16_t mask, bool level)
{
	if (!level) {
		/* IRQNoFlags: edge-triggered, active high, exclusive. */
		aml_byte(a, RES_IRQ_NOFLAGS);
		aml_le(a, mask, 2);
		return;
	}
	aml_byte(a, RES_IRQ);
	aml_le(a, mask, 2);
	aml_byte(a, 1 << 4); /* level, active high, shared */
}

void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len, bool writable)
{
	aml_byte(a, RES_MEM32_FIXED);
	aml_le(a, 9, 2); /* length of what follows */
	aml_byte(a, writable ? 1 : 0);
	aml_le(a, base, 4);
	aml_le(a, len, 4);
}

void aml_res_interrupt(struct aml *a, uint32_t gsi, bool level, bool active_low)
{
	uint8_t flags = 1; /* resource consumer */

	if (!level)
		flags |= 1 << 1;
	if (active_low)
		flags |= 1 << 2;
	aml_byte(a, RES_EXT_IRQ);
	aml_le(a, 6, 2); /* flags, count, one 32-bit interrupt */
	aml_byte(a, flags);
	aml_byte(a, 1);
	aml_le(a, gsi, 4);
}

void aml_res_word_addr(struct aml *a, enum aml_addr_space type, uint16_t min, uint16_t max)
{
	aml_byte(a, RES_WORD_ADDR);
	aml_le(a, 13, 2); /* length of what follows */
	aml_byte(a, type);
	aml_byte(a, RES_ADDR_FIXED_WINDOW);
	aml_byte(a, type == AML_ADDR_IO ? RES_IO_ENTIRE_RANGE : 0);
	aml_le(a, 0, 2); /* granularity */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_le(a, 0, 2); /* translation offset */
	aml_le(a, (uint16_t)(max - min + 1), 2);
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	aml_byte(a, RES_DWORD_ADDR);
	aml_le(a, 23, 2);
	aml_byte(a, AML_ADDR_MEM);
	aml_byte(a, RES_ADDR_FIXED_WINDOW);
	aml_byte(a, RES_MEM_RW);
	aml_le(a, 0, 4);
	aml_le(a, min, 4);
	aml_le(a, max, 4);
	aml_le(a, 0, 4);
	aml_le(a, max - min + 1, 4);
}
