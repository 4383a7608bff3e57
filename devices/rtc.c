// SPDX-License-Identifier: GPL-2.0
/*
 * MC146818 CMOS RTC and NVRAM: index port 0x70 (bit 7 masks NMI), data
 * port 0x71, 128 bytes.
 *
 * Time is the host's CLOCK_REALTIME (UTC) plus an offset the guest sets by
 * writing the time registers, so nothing ticks here: every read computes
 * the registers, in BCD or binary and 12- or 24-hour form as register B
 * says. While register B's SET bit is on, or the divider is held in reset
 * (register A), the time registers are plain memory; when the clock runs
 * again the offset is taken from them. Following the datasheet, the first
 * update after a divider reset comes 500 ms later; after SET alone the
 * divider's phase is kept.
 *
 * Register A's UIP bit is set during the last 244 us before each second's
 * update, the window in which the datasheet lets registers change.
 *
 * Register C's flags are computed when it is read: an update (UF), an
 * alarm match (AF) or a periodic tick (PF) since the last read. For
 * interrupts, a timerfd on the I/O thread fires at the next event whose
 * enable bit is set, and only while IRQ 8 is low: the guest's read of
 * register C lowers the line and arms the next one, so an unserviced RTC
 * costs nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <linux/rtc.h> /* register C flags: RTC_IRQF, RTC_PF, RTC_AF, RTC_UF */

#include "bios/tables.h"
#include "cpu/vm.h"
#include "devices/device.h"
#include "devices/rtc.h"
#include "mmio/bus.h"
#include "mmio/ioloop.h"

#define RTC_PORT	 0x70
#define RTC_IRQ		 8
#define CMOS_SIZE	 128
#define CMOS_INDEX_MASK	 0x7f
#define CMOS_NMI_DISABLE 0x80

/* Register indexes and bits: the names of Linux's mc146818rtc.h (not UAPI). */
#define RTC_SECONDS	  0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES	  0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS	  0x04
#define RTC_HOURS_ALARM	  0x05
#define RTC_DAY_OF_WEEK	  0x06
#define RTC_DAY_OF_MONTH  0x07
#define RTC_MONTH	  0x08
#define RTC_YEAR	  0x09
#define RTC_REG_A	  0x0a
#define RTC_REG_B	  0x0b
#define RTC_REG_C	  0x0c
#define RTC_REG_D	  0x0d
#define CMOS_CENTURY	  0x32 /* the FADT's century index */

#define RTC_UIP		   0x80
#define RTC_DIV_CTL	   0x70
#define RTC_REF_CLCK_32KHZ 0x20
#define RTC_DIV_RESET1	   0x60 /* 0x60 and 0x70 hold the divider in reset */
#define RTC_RATE_SELECT	   0x0f

#define RTC_SET	      0x80
#define RTC_PIE	      0x40
#define RTC_AIE	      0x20
#define RTC_UIE	      0x10
#define RTC_SQWE      0x08
#define RTC_DM_BINARY 0x04
#define RTC_24H	      0x02
#define RTC_DST_EN    0x01

#define RTC_VRT		    0x80
#define RTC_HOUR_PM	    0x80 /* 12-hour mode */
#define RTC_ALARM_DONT_CARE 0xc0 /* both top bits set: matches anything */

/* NVRAM bytes firmware reads. */
#define CMOS_EQUIPMENT	      0x14
#define CMOS_BASE_MEM_LO      0x15
#define CMOS_EXT_MEM_LO	      0x17
#define CMOS_CHECKSUM_HI      0x2e /* sum of 0x10-0x2d, big-endian */
#define CMOS_EXT_MEM2_LO      0x30
#define CMOS_MEM_ABOVE_16M_LO 0x34
#define CMOS_MEM_ABOVE_4G     0x5b /* three bytes */
#define CMOS_EQUIP_FPU	      0x02
#define CMOS_EQUIP_PS2_MOUSE  0x04

#define NSEC	      1000000000LL
#define UIP_WINDOW_NS 244000LL
#define RTC_HZ	      32768

struct rtc {
	pthread_mutex_t lock;
	struct vm *vm;
	struct bus_region *region;
	uint8_t index;
	bool nmi_masked;	 /* recorded only: KVM has no NMI gate here */
	uint8_t cmos[CMOS_SIZE]; /* time bytes are live only while frozen */
	int64_t offset_ns;	 /* guest time = CLOCK_REALTIME + offset_ns */
	int64_t seen_ns;	 /* flags are collected up to this guest time */
	bool div_was_reset;	 /* the divider was held in reset while frozen */
	uint8_t flags;		 /* RTC_PF | RTC_AF | RTC_UF */
	bool irq;
	int timer_fd;
};

static struct rtc rtc;

static const uint8_t time_regs[] = {
	RTC_SECONDS,	  RTC_MINUTES, RTC_HOURS, RTC_DAY_OF_WEEK,
	RTC_DAY_OF_MONTH, RTC_MONTH,   RTC_YEAR,  CMOS_CENTURY,
};

static bool is_time_reg(unsigned int i)
{
	return memchr(time_regs, i, sizeof(time_regs)) != NULL;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static int64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static int64_t guest_ns(const struct rtc *r)
{
	return host_ns() + r->offset_ns;
}

/* ------------------------------------------------------------------ */
/* Modes                                                               */

static bool div_in_reset(uint8_t a)
{
	return (a & RTC_DIV_RESET1) == RTC_DIV_RESET1;
}

/* The time registers hold still: SET, or the divider held in reset. */
static bool frozen(const struct rtc *r)
{
	return (r->cmos[RTC_REG_B] & RTC_SET) || div_in_reset(r->cmos[RTC_REG_A]);
}

/* Periodic rate: period in 32768 Hz ticks (rates 1 and 2 repeat 8 and 9). */
static int64_t periodic_ticks(const struct rtc *r)
{
	unsigned int rs = r->cmos[RTC_REG_A] & RTC_RATE_SELECT;

	if (!rs || div_in_reset(r->cmos[RTC_REG_A]))
		return 0;
	if (rs < 3)
		rs += 7;
	return 1LL << (rs - 1);
}

static uint8_t to_reg(const struct rtc *r, int v)
{
	if (r->cmos[RTC_REG_B] & RTC_DM_BINARY)
		return v;
	return ((v / 10) << 4) | (v % 10);
}

static int from_reg(const struct rtc *r, uint8_t v)
{
	if (r->cmos[RTC_REG_B] & RTC_DM_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t hour_to_reg(const struct rtc *r, int h)
{
	if (r->cmos[RTC_REG_B] & RTC_24H)
		return to_reg(r, h);
	return to_reg(r, h % 12 ? h % 12 : 12) | (h >= 12 ? RTC_HOUR_PM : 0);
}

static int hour_from_reg(const struct rtc *r, uint8_t v)
{
	if (r->cmos[RTC_REG_B] & RTC_24H)
		return from_reg(r, v);
	return from_reg(r, v & ~RTC_HOUR_PM) % 12 + (v & RTC_HOUR_PM ? 12 : 0);
}

/* ------------------------------------------------------------------ */
/* Time registers                                                      */

#define RTC_MAX_SECS (1LL << 32)

/* Write the registers for guest second @secs into cmos[]. */
static void time_to_cmos(struct rtc *r, int64_t secs)
{
	time_t t = secs;
	struct tm tm;
	int year;

	gmtime_r(&t, &tm);
	year = tm.tm_year + 1900;
	r->cmos[RTC_SECONDS] = to_reg(r, tm.tm_sec);
	r->cmos[RTC_MINUTES] = to_reg(r, tm.tm_min);
	r->cmos[RTC_HOURS] = hour_to_reg(r, tm.tm_hour);
	r->cmos[RTC_DAY_OF_WEEK] = to_reg(r, tm.tm_wday + 1);
	r->cmos[RTC_DAY_OF_MONTH] = to_reg(r, tm.tm_mday);
	r->cmos[RTC_MONTH] = to_reg(r, tm.tm_mon + 1);
	r->cmos[RTC_YEAR] = to_reg(r, year % 100);
	r->cmos[CMOS_CENTURY] = to_reg(r, year / 100);
}

/* The guest second cmos[] describes (out-of-range fields roll over). */
static int64_t time_from_cmos(const struct rtc *r)
{
	struct tm tm = {
		.tm_sec = from_reg(r, r->cmos[RTC_SECONDS]),
		.tm_min = from_reg(r, r->cmos[RTC_MINUTES]),
		.tm_hour = hour_from_reg(r, r->cmos[RTC_HOURS]),
		.tm_mday = from_reg(r, r->cmos[RTC_DAY_OF_MONTH]),
		.tm_mon = from_reg(r, r->cmos[RTC_MONTH]) - 1,
		.tm_year = from_reg(r, r->cmos[CMOS_CENTURY]) * 100 +
			   from_reg(r, r->cmos[RTC_YEAR]) - 1900,
	};

	int64_t t = timegm(&tm);

	/*
	 * Guest time is kept in nanoseconds (int64_t: years 1677-2262). A
	 * guest may write any century or invalid BCD; clamp to +-2^32 s
	 * around 1970 (years 1834-2106) rather than overflow.
	 */
	if (t < -RTC_MAX_SECS)
		return -RTC_MAX_SECS;
	return t > RTC_MAX_SECS ? RTC_MAX_SECS : t;
}

/* Restart the clock at the second in cmos[] with sub-second @phase_ns. */
static void clock_set(struct rtc *r, int64_t phase_ns)
{
	int64_t t = time_from_cmos(r) * NSEC + phase_ns;

	r->offset_ns = t - host_ns();
	r->seen_ns = t; /* a jump is not an update */
}

static int64_t phase_of(int64_t t)
{
	return t - floor_div(t, NSEC) * NSEC;
}

/* ------------------------------------------------------------------ */
/* Flags, IRQ 8 and the timer                                          */

static bool dont_care(uint8_t alarm)
{
	return (alarm & RTC_ALARM_DONT_CARE) == RTC_ALARM_DONT_CARE;
}

static bool alarm_field_match(uint8_t alarm, int value, int decoded)
{
	return dont_care(alarm) || decoded == value;
}

static bool alarm_matches(const struct rtc *r, int64_t secs)
{
	int64_t tod = secs - floor_div(secs, 86400) * 86400;
	uint8_t h = r->cmos[RTC_HOURS_ALARM];

	return alarm_field_match(r->cmos[RTC_SECONDS_ALARM], tod % 60,
				 from_reg(r, r->cmos[RTC_SECONDS_ALARM])) &&
	       alarm_field_match(r->cmos[RTC_MINUTES_ALARM], tod / 60 % 60,
				 from_reg(r, r->cmos[RTC_MINUTES_ALARM])) &&
	       alarm_field_match(h, tod / 3600, hour_from_reg(r, h));
}

/* The first second in (after, limit] whose update matches the alarm, or -1. */
static int64_t next_alarm(const struct rtc *r, int64_t after, int64_t limit)
{
	uint8_t as = r->cmos[RTC_SECONDS_ALARM], am = r->cmos[RTC_MINUTES_ALARM];
	int64_t step = 1, s = after + 1;

	/* The alarm repeats at least daily: one day of candidates is enough. */
	if (limit > after + 86400)
		limit = after + 86400;
	/* A fixed second (and minute) repeats every minute (hour): stride. */
	if (!dont_care(as)) {
		int64_t want = from_reg(r, as);

		step = 60;
		if (!dont_care(am)) {
			want += 60 * from_reg(r, am);
			step = 3600;
		}
		s += ((want - s) % step + step) % step;
	}
	for (; s <= limit; s += step)
		if (alarm_matches(r, s))
			return s;
	return -1;
}

static int64_t ticks_at(int64_t t)
{
	return (int64_t)((__int128)t * RTC_HZ / NSEC) - ((__int128)t * RTC_HZ % NSEC < 0);
}

/* Collect the flags for the guest time since the last collection. */
static void rtc_collect(struct rtc *r, int64_t now)
{
	int64_t period = periodic_ticks(r);

	if (now <= r->seen_ns)
		return;
	if (!frozen(r)) {
		int64_t s0 = floor_div(r->seen_ns, NSEC), s1 = floor_div(now, NSEC);

		if (s1 > s0) {
			r->flags |= RTC_UF;
			if (next_alarm(r, s0, s1) >= 0)
				r->flags |= RTC_AF;
		}
	}
	/* The divider runs under SET too: periodic ticks go on. */
	if (period && floor_div(ticks_at(now), period) > floor_div(ticks_at(r->seen_ns), period))
		r->flags |= RTC_PF;
	r->seen_ns = now;
}

static uint8_t enabled_flags(const struct rtc *r)
{
	uint8_t b = r->cmos[RTC_REG_B];

	return r->flags & ((b & RTC_PIE ? RTC_PF : 0) | (b & RTC_AIE ? RTC_AF : 0) |
			   (b & RTC_UIE ? RTC_UF : 0));
}

static void rtc_update_irq(struct rtc *r)
{
	bool level = enabled_flags(r) != 0;

	if (level != r->irq) {
		r->irq = level;
		vm_irq_line(r->vm, RTC_IRQ, level);
	}
}

/* Guest time of the next event that would raise IRQ 8, or -1 for none. */
static int64_t next_event(const struct rtc *r)
{
	uint8_t b = r->cmos[RTC_REG_B];
	int64_t period = periodic_ticks(r), next = -1, s0, t;

	if ((b & RTC_PIE) && period) {
		int64_t k = floor_div(ticks_at(r->seen_ns), period) + 1;

		/* Round up so the timer never fires just before the tick. */
		next = (int64_t)(((__int128)k * period * NSEC + RTC_HZ - 1) / RTC_HZ);
	}
	if (frozen(r) || !(b & (RTC_UIE | RTC_AIE)))
		return next;
	s0 = floor_div(r->seen_ns, NSEC);
	t = -1;
	if (b & RTC_UIE)
		t = (s0 + 1) * NSEC;
	else if ((t = next_alarm(r, s0, s0 + 86400)) >= 0)
		t *= NSEC;
	if (t >= 0 && (next < 0 || t < next))
		next = t;
	return next;
}

static void rtc_arm_timer(struct rtc *r)
{
	struct itimerspec its = { 0 };
	int64_t t = r->irq ? -1 : next_event(r);

	if (r->timer_fd < 0)
		return;
	if (t >= 0) {
		t -= r->offset_ns; /* to host CLOCK_REALTIME */
		its.it_value.tv_sec = floor_div(t, NSEC);
		its.it_value.tv_nsec = phase_of(t);
		if (its.it_value.tv_sec <= 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1; /* 0 would disarm */
	}
	timerfd_settime(r->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Collect flags, drive the line, arm the next event: after any change. */
static void rtc_sync(struct rtc *r)
{
	rtc_collect(r, guest_ns(r));
	rtc_update_irq(r);
	rtc_arm_timer(r);
}

/* I/O thread. */
static void rtc_timer_fired(void *opaque, uint32_t events)
{
	struct rtc *r = opaque;
	uint64_t n;

	if (read(r->timer_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&r->lock);
	rtc_sync(r);
	pthread_mutex_unlock(&r->lock);
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */

static uint8_t reg_a_read(const struct rtc *r)
{
	uint8_t a = r->cmos[RTC_REG_A] & ~RTC_UIP;

	if (!frozen(r) && phase_of(guest_ns(r)) >= NSEC - UIP_WINDOW_NS)
		a |= RTC_UIP;
	return a;
}

static uint8_t reg_c_read(struct rtc *r)
{
	uint8_t c;

	rtc_collect(r, guest_ns(r));
	c = r->flags | (enabled_flags(r) ? RTC_IRQF : 0);
	r->flags = 0;
	return c;
}

static uint8_t cmos_read(struct rtc *r, unsigned int i)
{
	if (is_time_reg(i)) {
		if (!frozen(r))
			time_to_cmos(r, floor_div(guest_ns(r), NSEC));
		return r->cmos[i];
	}
	switch (i) {
	case RTC_REG_A: return reg_a_read(r);
	case RTC_REG_C: return reg_c_read(r);
	case RTC_REG_D: return RTC_VRT; /* the battery is fine */
	default: return r->cmos[i];
	}
}

/* A running clock takes a time register write as "set that field now". */
static void time_write(struct rtc *r, unsigned int i, uint8_t v)
{
	int64_t now;

	if (frozen(r)) {
		r->cmos[i] = v;
		return;
	}
	now = guest_ns(r);
	rtc_collect(r, now);
	time_to_cmos(r, floor_div(now, NSEC));
	r->cmos[i] = v;
	clock_set(r, phase_of(now));
}

/* A write to A or B: freezing snapshots the time, thawing restarts it. */
static void mode_write(struct rtc *r, unsigned int i, uint8_t v)
{
	bool was = frozen(r);
	int64_t now = guest_ns(r);

	rtc_collect(r, now);
	if (i == RTC_REG_B && (v & RTC_SET))
		v &= ~RTC_UIE; /* SET clears UIE, as the datasheet says */
	r->cmos[i] = i == RTC_REG_A ? v & ~RTC_UIP : v;
	if (!was && frozen(r)) {
		/* Snapshot in the new mode: it is the one the guest reads in. */
		time_to_cmos(r, floor_div(now, NSEC));
		r->div_was_reset = div_in_reset(r->cmos[RTC_REG_A]);
	} else if (was && !frozen(r)) {
		/* Out of divider reset, the first update comes 500 ms later. */
		clock_set(r, r->div_was_reset ? NSEC / 2 : phase_of(now));
		r->div_was_reset = false;
	} else if (was && div_in_reset(r->cmos[RTC_REG_A])) {
		r->div_was_reset = true;
	}
}

static void cmos_write(struct rtc *r, unsigned int i, uint8_t v)
{
	if (is_time_reg(i)) {
		time_write(r, i, v);
		return;
	}
	switch (i) {
	case RTC_REG_A:
	case RTC_REG_B: mode_write(r, i, v); break;
	case RTC_SECONDS_ALARM:
	case RTC_MINUTES_ALARM:
	case RTC_HOURS_ALARM:
		rtc_collect(r, guest_ns(r)); /* matches so far used the old alarm */
		r->cmos[i] = v;
		break;
	case RTC_REG_C:
	case RTC_REG_D: break; /* read-only */
	default: r->cmos[i] = v; break;
	}
}

/* What changes flags, enables or the time: only then re-arm the timer. */
static bool needs_sync(unsigned int i)
{
	return i <= RTC_REG_C || i == CMOS_CENTURY;
}

/* Byte by byte, so "outw 0x70" (index, then data) works as on hardware. */
static uint64_t rtc_read(void *opaque, uint64_t off, unsigned int len)
{
	struct rtc *r = opaque;
	uint64_t val = 0;

	pthread_mutex_lock(&r->lock);
	for (unsigned int i = 0; i < len; i++) {
		uint8_t v = 0xff; /* the index port is write-only */

		if (off + i == 1) {
			v = cmos_read(r, r->index);
			if (r->index == RTC_REG_C)
				rtc_sync(r);
		}
		val |= (uint64_t)v << (8 * i);
	}
	pthread_mutex_unlock(&r->lock);
	return val;
}

static void rtc_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct rtc *r = opaque;

	pthread_mutex_lock(&r->lock);
	for (unsigned int i = 0; i < len; i++) {
		uint8_t v = val >> (8 * i);

		if (off + i == 0) {
			r->index = v & CMOS_INDEX_MASK;
			r->nmi_masked = v & CMOS_NMI_DISABLE;
		} else if (off + i == 1) {
			cmos_write(r, r->index, v);
			if (needs_sync(r->index))
				rtc_sync(r);
		}
	}
	pthread_mutex_unlock(&r->lock);
}

static const struct bus_ops rtc_ops = {
	.read = rtc_read,
	.write = rtc_write,
};

/* ------------------------------------------------------------------ */
/* NVRAM contents                                                      */

static void cmos_put16(struct rtc *r, unsigned int i, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	r->cmos[i] = v;
	r->cmos[i + 1] = v >> 8;
}

static void cmos_fill_memory(struct rtc *r, const struct guest_mem *m)
{
	uint64_t low_end = 0, high = 0, kib_ext = 0, above_16m = 0;
	uint16_t sum = 0;

	for (int i = 0; i < m->nr_ranges; i++) {
		const struct mem_range *mr = &m->ranges[i];

		if (mr->gpa >= MEM_4G)
			high += mr->size;
		else if (mr->gpa + mr->size > low_end)
			low_end = mr->gpa + mr->size;
	}
	if (low_end > (1 << 20))
		kib_ext = (low_end - (1 << 20)) >> 10;
	if (low_end > (16 << 20))
		above_16m = (low_end - (16 << 20)) >> 16;
	high >>= 16;
	if (high > 0xffffff)
		high = 0xffffff;

	cmos_put16(r, CMOS_BASE_MEM_LO, 640);
	cmos_put16(r, CMOS_EXT_MEM_LO, kib_ext);
	cmos_put16(r, CMOS_EXT_MEM2_LO, kib_ext);
	cmos_put16(r, CMOS_MEM_ABOVE_16M_LO, above_16m);
	r->cmos[CMOS_MEM_ABOVE_4G] = high;
	r->cmos[CMOS_MEM_ABOVE_4G + 1] = high >> 8;
	r->cmos[CMOS_MEM_ABOVE_4G + 2] = high >> 16;
	/* No floppy, EGA/VGA-class video, an FPU and a PS/2 mouse. */
	r->cmos[CMOS_EQUIPMENT] = CMOS_EQUIP_FPU | CMOS_EQUIP_PS2_MOUSE;

	for (unsigned int i = 0x10; i < CMOS_CHECKSUM_HI; i++)
		sum += r->cmos[i];
	r->cmos[CMOS_CHECKSUM_HI] = sum >> 8;
	r->cmos[CMOS_CHECKSUM_HI + 1] = sum;
}

/* ------------------------------------------------------------------ */
/* Device                                                              */

/*
 * The RESET pin (a machine reset) clears the interrupt enables and flags;
 * time and NVRAM are battery-backed and stay.
 */
static void rtc_reset(struct vm *vm)
{
	struct rtc *r = &rtc;

	pthread_mutex_lock(&r->lock);
	rtc_collect(r, guest_ns(r));
	r->cmos[RTC_REG_B] &= ~(RTC_PIE | RTC_AIE | RTC_UIE | RTC_SQWE);
	r->flags = 0;
	rtc_sync(r);
	pthread_mutex_unlock(&r->lock);
}

static void rtc_shutdown(struct vm *vm)
{
	struct rtc *r = &rtc;

	bus_unregister(r->region);
	r->region = NULL;
	if (r->timer_fd >= 0) {
		ioloop_del(r->timer_fd);
		close(r->timer_fd);
		r->timer_fd = -1;
	}
}

static int rtc_init(struct vm *vm)
{
	static const struct isa_dev_desc desc = {
		.name = "RTC",
		.hid = "PNP0B00",
		.uid = 0,
		.io = { { RTC_PORT, 2 } },
		.irq_mask = 1u << RTC_IRQ,
	};
	struct rtc *r = &rtc;
	int ret;

	memset(r, 0, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	r->vm = vm;
	r->cmos[RTC_REG_A] = RTC_REF_CLCK_32KHZ | 0x06; /* 32 kHz, 1024 Hz periodic */
	r->cmos[RTC_REG_B] = RTC_24H;			/* BCD, 24-hour */
	r->seen_ns = guest_ns(r);
	cmos_fill_memory(r, &vm->mem);

	/* Without the timer the flags still work when polled; only IRQ 8 is lost. */
	r->timer_fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->timer_fd >= 0 && ioloop_add(r->timer_fd, EPOLLIN, rtc_timer_fired, r) < 0) {
		close(r->timer_fd);
		r->timer_fd = -1;
	}
	r->region = bus_register(BUS_PIO, RTC_PORT, 2, &rtc_ops, r, "rtc");
	ret = r->region ? platform_add_isa_dev(&vm->platform, &desc) : -EBUSY;
	if (ret)
		rtc_shutdown(vm);
	return ret;
}

struct device rtc_device = {
	.name = "rtc",
	.level = DEV_LEVEL_PLATFORM,
	.init = rtc_init,
	.reset = rtc_reset,
	.shutdown = rtc_shutdown,
};
device_init(rtc_device);
