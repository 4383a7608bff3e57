/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small AML (ACPI Machine Language) writer for the DSDT.
 *
 * Open constructs (Scope, Device, Package, Buffer, ResourceTemplate) with a
 * *_begin() call and close them with aml_end(): the writer fills in the
 * PkgLength (and a Buffer's size) when the construct is closed, so nobody
 * computes those bytes by hand. Errors are sticky: once a call fails (bad
 * name, out of memory, unbalanced end) every later call is a no-op and
 * aml_error() reports the first failure, so callers check once at the end.
 *
 * Example, a 16550 at 0x3f8:
 *	aml_device_begin(a, "COM1");
 *	aml_name_eisaid(a, "_HID", "PNP0501");
 *	aml_name_int(a, "_UID", 1);
 *	aml_name_decl(a, "_CRS");
 *	aml_restemplate_begin(a);
 *	aml_res_io(a, 0x3f8, 8);
 *	aml_res_irq(a, 1u << 4, false);
 *	aml_end(a);			// ResourceTemplate
 *	aml_end(a);			// Device
 */
#ifndef VMM_BIOS_AML_H
#define VMM_BIOS_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 16

struct aml {
	uint8_t *buf;
	size_t len;
	size_t cap;
	int err; /* first error (-errno), sticky */
	int depth;
	struct {
		size_t start; /* offset of the construct's body */
		uint8_t kind; /* enum aml_kind in aml.c */
	} open[AML_MAX_DEPTH];
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
/* 0, or the first error; -EINVAL also when a construct is still open. */
int aml_error(const struct aml *a);

/* Raw bytes: an escape hatch for opcodes this writer has no helper for. */
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);

/* Data objects. */
void aml_integer(struct aml *a, uint64_t v); /* smallest encoding */
void aml_string(struct aml *a, const char *s);
void aml_eisaid(struct aml *a, const char *id); /* "PNP0501" */
/*
 * A NameString: "\\_SB", "^FOO", "_S5", "\\_SB.PCI0.ISA". Segments shorter
 * than four characters are padded with '_' as iasl does.
 */
void aml_name_string(struct aml *a, const char *path);

/* Name (name, <next object>): follow with one data object. */
void aml_name_decl(struct aml *a, const char *name);
void aml_name_int(struct aml *a, const char *name, uint64_t v);
void aml_name_str(struct aml *a, const char *name, const char *s);
void aml_name_eisaid(struct aml *a, const char *name, const char *id);

/* Constructs closed by aml_end(). */
void aml_scope_begin(struct aml *a, const char *path);
void aml_device_begin(struct aml *a, const char *name);
void aml_package_begin(struct aml *a, uint8_t nr_elements);
void aml_buffer_begin(struct aml *a);
/* A Buffer of resource descriptors; aml_end() appends the EndTag. */
void aml_restemplate_begin(struct aml *a);
void aml_end(struct aml *a);

/* Resource descriptors (inside a ResourceTemplate). */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len); /* Decode16, fixed */
/* ISA IRQ(s) in @mask: edge/high (IRQNoFlags) or level/high, shared. */
void aml_res_irq(struct aml *a, uint16_t mask, bool level);
void aml_res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len, bool writable);
/* Extended Interrupt (any GSI), consumer, exclusive. */
void aml_res_interrupt(struct aml *a, uint32_t gsi, bool level, bool active_low);

/*
 * Address space descriptors, as a bridge's _CRS lists its windows: resource
 * producer, fixed minimum and maximum, positive decode. Word: bus numbers
 * or I/O (ISA and non-ISA ranges); DWord: non-prefetchable memory.
 */
enum aml_addr_space { AML_ADDR_MEM = 0, AML_ADDR_IO = 1, AML_ADDR_BUS = 2 };
void aml_res_word_addr(struct aml *a, enum aml_addr_space type, uint16_t min, uint16_t max);
void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max);

#endif
