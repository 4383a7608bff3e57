// SPDX-License-Identifier: GPL-2.0
/*
 * The kit's start at ring 3: clear .bss, keep what the loader passed
 * (boot_params, the command line) before anything can overwrite it, run
 * the test. Also the exits and the fatal-exception report.
 */
#include "kit_priv.h"

extern char __bss_start[], __bss_end[];
extern uint64_t kit_boot_params_addr; /* head.S, in .data */

struct kit_cpu kit_cpus[KIT_MAX_CPUS];

static struct boot_params boot_params;
static char cmdline[KIT_CMDLINE_MAX];

static void copy_boot_params(void)
{
	const struct boot_params *bp = (const void *)kit_boot_params_addr;
	uint64_t ptr;
	const char *src;
	size_t i;

	memcpy(&boot_params, bp, sizeof(boot_params));
	ptr = boot_params.hdr.cmd_line_ptr | (uint64_t)boot_params.ext_cmd_line_ptr << 32;
	if (!ptr)
		return;
	src = (const char *)ptr;
	for (i = 0; i < sizeof(cmdline) - 1 && src[i]; i++)
		cmdline[i] = src[i];
	cmdline[i] = '\0';
}

void kit_cpu_init(int index)
{
	struct kit_cpu *cpu = &kit_cpus[index];

	cpu->self = cpu;
	cpu->index = index;
}

_Noreturn void kit_start(void)
{
	/* Ring 0 has not touched .bss: only now is it cleared (at native
	 * speed), and interrupts stay off until it is. */
	memset(__bss_start, 0, __bss_end - __bss_start);
	kit_cpu_init(0);
	kit_timer_boot();
	copy_boot_params();
	kit_main();
	kit_exit(0);
}

const struct boot_params *kit_boot_params(void)
{
	return &boot_params;
}

const char *kit_cmdline(void)
{
	return cmdline;
}

int kit_cmdline_get(const char *key, char *buf, size_t n)
{
	size_t klen = strlen(key);
	const char *p = cmdline;

	while (*p) {
		const char *tok = p;
		size_t len = 0;

		while (*p && *p != ' ')
			p++;
		if ((size_t)(p - tok) > klen && !strncmp(tok, key, klen) && tok[klen] == '=') {
			tok += klen + 1;
			while (tok + len < p && len + 1 < n) {
				buf[len] = tok[len];
				len++;
			}
			if (n)
				buf[len] = '\0';
			return len;
		}
		while (*p == ' ')
			p++;
	}
	return -1;
}

long kit_cmdline_long(const char *key, long def)
{
	char buf[32];
	const char *end;
	long v;

	if (kit_cmdline_get(key, buf, sizeof(buf)) <= 0)
		return def;
	v = kit_strtol(buf, &end);
	return *end ? def : v;
}

int kit_cpu_index(void)
{
	return kit_this_cpu()->index;
}

_Noreturn void kit_park(void)
{
	for (;;)
		asm volatile("cli; hlt" : : : "memory");
}

_Noreturn void kit_exit(unsigned int code)
{
	outb(code, KIT_DEBUG_EXIT_PORT);
	kit_printf("KIT: debug-exit port 0x%x did not stop the machine\n", KIT_DEBUG_EXIT_PORT);
	kit_park();
}

_Noreturn void kit_fail(const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	kit_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kit_printf("KIT: FAIL %s\n", buf);
	kit_exit(KIT_EXIT_FAIL);
}

long kit_ring0_call(long (*fn)(long), long arg)
{
	long ret;

	asm volatile("ud2" : "=a"(ret) : "a"(KIT_RING0_MAGIC), "D"(fn), "S"(arg) : "memory");
	return ret;
}

static uint64_t read_cr2(void)
{
	uint64_t v;

	asm volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static bool is_ring0_call(const struct kit_regs *r)
{
	const uint8_t *ip = (const uint8_t *)r->rip;

	return r->vector == 6 && r->rax == KIT_RING0_MAGIC && (r->cs & 3) && ip[0] == 0x0f &&
	       ip[1] == 0x0b;
}

/* In .data: it must hold even before .bss is cleared. */
static int in_exception __attribute__((section(".data")));

/* Ring 0, interrupts off. */
void kit_exception(struct kit_regs *r)
{
	if (is_ring0_call(r)) {
		r->rax = ((long (*)(long))r->rdi)(r->rsi);
		r->rip += 2;
		return;
	}
	/* Report once: a fault while reporting must not loop. No lock: the
	 * faulting code may hold it. */
	if (!__atomic_exchange_n(&in_exception, 1, __ATOMIC_ACQ_REL)) {
		kit_printf_unlocked("KIT: exception %lu err 0x%lx rip 0x%lx\n", r->vector, r->error,
				    r->rip);
		kit_printf_unlocked("KIT: cs 0x%lx rflags 0x%lx rsp 0x%lx cr2 0x%lx\n", r->cs,
				    r->rflags, r->rsp, read_cr2());
	}
	outb(KIT_EXIT_EXCEPTION, KIT_DEBUG_EXIT_PORT);
	for (;;)
		asm volatile("cli; hlt");
}
