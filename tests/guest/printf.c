// SPDX-License-Identifier: GPL-2.0
/*
 * kit_printf: a small printf to COM1, polled. Each byte costs two exits
 * (LSR, THR). The FIFO is left alone: switching it on would drop input
 * that is already waiting (the echo test types before the guest prints).
 */
#include <linux/serial_reg.h>

#include "kit_priv.h"

static volatile int print_lock;
static bool uart_ready;

static void uart_init(void)
{
	/* 8N1 and DLAB clear, whatever the firmware left: THR/RBR at +0. */
	outb(UART_LCR_WLEN8, KIT_COM1 + UART_LCR);
	uart_ready = true;
}

void kit_putc(char c)
{
	int spins = 100000;

	if (!uart_ready)
		uart_init();
	while (!(inb(KIT_COM1 + UART_LSR) & UART_LSR_THRE) && --spins)
		cpu_relax();
	outb(c, KIT_COM1 + UART_TX);
}

static void put_string(const char *s)
{
	for (; *s; s++) {
		if (*s == '\n')
			kit_putc('\r');
		kit_putc(*s);
	}
}

static void lock(void)
{
	while (__atomic_exchange_n(&print_lock, 1, __ATOMIC_ACQUIRE))
		while (print_lock)
			cpu_relax();
}

static void unlock(void)
{
	__atomic_store_n(&print_lock, 0, __ATOMIC_RELEASE);
}

void kit_vprintf(const char *fmt, va_list ap)
{
	char buf[256];

	kit_vsnprintf(buf, sizeof(buf), fmt, ap);
	lock();
	put_string(buf);
	unlock();
}

void kit_printf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kit_vprintf(fmt, ap);
	va_end(ap);
}

void kit_printf_unlocked(const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	kit_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_string(buf);
}

struct out {
	char *buf;
	size_t n, len;
};

static void emit(struct out *o, char c)
{
	if (o->len + 1 < o->n)
		o->buf[o->len] = c;
	o->len++;
}

struct spec {
	bool zero, left;
	int width;
};

static void emit_padded(struct out *o, const struct spec *sp, const char *s, int len)
{
	int pad = sp->width > len ? sp->width - len : 0;

	if (!sp->left)
		while (pad-- > 0)
			emit(o, sp->zero ? '0' : ' ');
	while (len--)
		emit(o, *s++);
	if (sp->left)
		while (pad-- > 0)
			emit(o, ' ');
}

static void emit_number(struct out *o, const struct spec *sp, uint64_t v, int base, bool upper,
			bool neg)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = digits[v % base];
		v /= base;
	} while (v);
	if (neg) {
		if (sp->zero && sp->width > 0) {
			struct spec s2 = *sp;

			emit(o, '-');
			s2.width--;
			emit_padded(o, &s2, tmp + i, sizeof(tmp) - i);
			return;
		}
		tmp[--i] = '-';
	}
	emit_padded(o, sp, tmp + i, sizeof(tmp) - i);
}

/* Fetch an integer argument of the size the modifiers say. */
static uint64_t get_arg(va_list *ap, int lng, bool is_signed, bool *neg)
{
	int64_t s;

	*neg = false;
	if (!is_signed)
		return lng ? va_arg(*ap, unsigned long) : va_arg(*ap, unsigned int);
	s = lng ? va_arg(*ap, long) : va_arg(*ap, int);
	if (s < 0) {
		*neg = true;
		return -(uint64_t)s;
	}
	return s;
}

int kit_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = { buf, n, 0 };
	va_list args;

	va_copy(args, ap);
	for (; *fmt; fmt++) {
		struct spec sp = { false, false, 0 };
		int lng = 0;
		bool neg;
		uint64_t v;
		const char *s;
		char c;

		if (*fmt != '%') {
			emit(&o, *fmt);
			continue;
		}
		for (fmt++; *fmt == '0' || *fmt == '-'; fmt++)
			*(*fmt == '0' ? &sp.zero : &sp.left) = true;
		for (; *fmt >= '0' && *fmt <= '9'; fmt++)
			sp.width = sp.width * 10 + *fmt - '0';
		for (; *fmt == 'l' || *fmt == 'z' || *fmt == 'h'; fmt++)
			lng |= *fmt != 'h';
		switch (*fmt) {
		case 'd':
		case 'i':
			v = get_arg(&args, lng, true, &neg);
			emit_number(&o, &sp, v, 10, false, neg);
			break;
		case 'u':
			v = get_arg(&args, lng, false, &neg);
			emit_number(&o, &sp, v, 10, false, false);
			break;
		case 'x':
		case 'X':
			v = get_arg(&args, lng, false, &neg);
			emit_number(&o, &sp, v, 16, *fmt == 'X', false);
			break;
		case 'p':
			emit(&o, '0');
			emit(&o, 'x');
			emit_number(&o, &sp, (uintptr_t)va_arg(args, void *), 16, false, false);
			break;
		case 's':
			s = va_arg(args, const char *);
			if (!s)
				s = "(null)";
			emit_padded(&o, &sp, s, strlen(s));
			break;
		case 'c':
			c = va_arg(args, int);
			emit_padded(&o, &sp, &c, 1);
			break;
		case '%': emit(&o, '%'); break;
		case '\0': fmt--; break;
		default: emit(&o, '%'); emit(&o, *fmt);
		}
	}
	va_end(args);
	if (n)
		buf[o.len < n ? o.len : n - 1] = '\0';
	return o.len;
}

int kit_snprintf(char *buf, size_t n, const char *fmt, ...)
{
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = kit_vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return len;
}
