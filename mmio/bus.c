// SPDX-License-Identifier: GPL-2.0
/*
 * The PIO/MMIO bus. Each address space has a sorted array of regions that
 * vCPUs search without a lock: writers build a new array under a mutex and
 * publish it with one atomic store. Replaced arrays and removed regions are
 * kept until bus_reset(), because a vCPU may still be reading them; they
 * are few (registration happens at start-up and on rare BAR moves).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mmio/bus.h"

struct bus_region {
	enum bus_space space;
	uint64_t base;
	uint64_t len;
	const struct bus_ops *ops;
	void *opaque;
	const char *name;
	atomic_uint_fast64_t reads;
	atomic_uint_fast64_t writes;
	atomic_uint_fast64_t ns;
	struct bus_region *next_all; /* every region ever registered, for stats */
	bool gone;		     /* unregistered (a PCI BAR that moved) */
};

struct bus_table {
	struct bus_table *retired; /* older tables, freed at bus_reset() */
	size_t n;
	struct bus_region *r[];
};

struct bus_unclaimed {
	atomic_uint_fast64_t reads;
	atomic_uint_fast64_t writes;
};

static pthread_mutex_t bus_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(struct bus_table *) bus_tables[BUS_NR_SPACES];
static struct bus_region *all_regions;
static struct bus_unclaimed unclaimed[BUS_NR_SPACES];
static atomic_bool bus_timing;
/*
 * vCPU threads inside bus_access(). A table that was replaced may be freed
 * once no other thread is inside: a thread that enters later loads the new
 * table (both sides use sequentially consistent operations). The calling
 * thread's own access, if any (a BAR write that moves a region), no longer
 * touches the table once the device callback runs.
 */
static atomic_int bus_readers;
static _Thread_local int bus_depth;

static const char *const space_names[BUS_NR_SPACES] = { "pio", "mmio" };

static struct bus_table *table_alloc(size_t n)
{
	struct bus_table *t = calloc(1, sizeof(*t) + n * sizeof(t->r[0]));

	if (t)
		t->n = n;
	return t;
}

/* Index of the first region whose end is above @addr. */
static size_t table_lower_bound(const struct bus_table *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bus_region *r = t->r[mid];

		if (addr - r->base < r->len || addr < r->base)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static struct bus_region *table_find(const struct bus_table *t, uint64_t addr)
{
	size_t i;

	if (!t)
		return NULL;
	i = table_lower_bound(t, addr);
	if (i < t->n && addr >= t->r[i]->base && addr - t->r[i]->base < t->r[i]->len)
		return t->r[i];
	return NULL;
}

/* Free replaced tables when nobody else can be reading them. bus_lock held. */
static void tables_reclaim(void)
{
	if (atomic_load(&bus_readers) - bus_depth != 0)
		return;
	for (int s = 0; s < BUS_NR_SPACES; s++) {
		struct bus_table *t = atomic_load(&bus_tables[s]);

		while (t && t->retired) {
			struct bus_table *next = t->retired->retired;

			free(t->retired);
			t->retired = next;
		}
	}
}

static void table_publish(enum bus_space space, struct bus_table *nt)
{
	struct bus_table *old = atomic_load(&bus_tables[space]);

	nt->retired = old;
	atomic_store(&bus_tables[space], nt);
	tables_reclaim();
}

/*
 * A region this device had before (a PCI BAR the guest moved or stopped
 * decoding): reused, so its counts carry on and a guest that moves BARs
 * forever cannot make vmm allocate forever. bus_lock held.
 */
static struct bus_region *region_revive(enum bus_space space, const struct bus_ops *ops,
					void *opaque, const char *name)
{
	for (struct bus_region *r = all_regions; r; r = r->next_all)
		if (r->gone && r->space == space && r->ops == ops && r->opaque == opaque &&
		    !strcmp(r->name, name))
			return r;
	return NULL;
}

struct bus_region *bus_register(enum bus_space space, uint64_t base, uint64_t len,
				const struct bus_ops *ops, void *opaque, const char *name)
{
	struct bus_table *t, *nt;
	struct bus_region *r;
	bool fresh;
	size_t i, n;

	if (space >= BUS_NR_SPACES || !len || base + len - 1 < base) {
		fprintf(stderr, "vmm: bus: bad region %s %#" PRIx64 "+%#" PRIx64 " (%s)\n",
			space < BUS_NR_SPACES ? space_names[space] : "?", base, len, name);
		return NULL;
	}
	pthread_mutex_lock(&bus_lock);
	r = region_revive(space, ops, opaque, name);
	fresh = !r;
	if (fresh)
		r = calloc(1, sizeof(*r));
	if (!r) {
		pthread_mutex_unlock(&bus_lock);
		return NULL;
	}
	r->space = space;
	r->base = base;
	r->len = len;
	r->ops = ops;
	r->opaque = opaque;
	r->name = name;
	t = atomic_load(&bus_tables[space]);
	n = t ? t->n : 0;
	/* Insertion point: first region starting above base. */
	for (i = 0; i < n && t->r[i]->base < base; i++)
		;
	if ((i > 0 && t->r[i - 1]->base + t->r[i - 1]->len - 1 >= base) ||
	    (i < n && t->r[i]->base <= base + len - 1)) {
		const struct bus_region *o =
			(i > 0 && t->r[i - 1]->base + t->r[i - 1]->len - 1 >= base) ? t->r[i - 1]
										    : t->r[i];

		pthread_mutex_unlock(&bus_lock);
		fprintf(stderr,
			"vmm: bus: %s %#" PRIx64 "+%#" PRIx64 " (%s) overlaps %#" PRIx64
			"+%#" PRIx64 " (%s)\n",
			space_names[space], base, len, name, o->base, o->len, o->name);
		if (fresh)
			free(r);
		return NULL;
	}
	nt = table_alloc(n + 1);
	if (!nt) {
		pthread_mutex_unlock(&bus_lock);
		if (fresh)
			free(r);
		return NULL;
	}
	if (i)
		memcpy(nt->r, t->r, i * sizeof(nt->r[0]));
	nt->r[i] = r;
	if (n - i)
		memcpy(nt->r + i + 1, t->r + i, (n - i) * sizeof(nt->r[0]));
	if (fresh) {
		r->next_all = all_regions;
		all_regions = r;
	}
	r->gone = false;
	table_publish(space, nt);
	pthread_mutex_unlock(&bus_lock);
	return r;
}

void bus_unregister(struct bus_region *r)
{
	struct bus_table *t, *nt;
	size_t i, j;

	if (!r)
		return;
	pthread_mutex_lock(&bus_lock);
	t = atomic_load(&bus_tables[r->space]);
	nt = t ? table_alloc(t->n) : NULL;
	if (nt) {
		for (i = 0, j = 0; i < t->n; i++)
			if (t->r[i] != r)
				nt->r[j++] = t->r[i];
		nt->n = j;
		table_publish(r->space, nt);
	}
	r->gone = true;
	pthread_mutex_unlock(&bus_lock);
	/* The region itself stays on all_regions (its stats) until bus_reset(). */
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void dispatch(enum bus_space space, struct bus_region *r, uint64_t addr, uint8_t *data,
		     unsigned int len, bool is_write);

void bus_access(enum bus_space space, uint64_t addr, uint8_t *data, unsigned int len, bool is_write)
{
	struct bus_table *t;
	struct bus_region *r;

	if (space >= BUS_NR_SPACES || !len || len > 8)
		return;
	atomic_fetch_add(&bus_readers, 1);
	bus_depth++;
	t = atomic_load(&bus_tables[space]);
	r = table_find(t, addr);
	dispatch(space, r, addr, data, len, is_write);
	bus_depth--;
	atomic_fetch_sub(&bus_readers, 1);
}

static void dispatch(enum bus_space space, struct bus_region *r, uint64_t addr, uint8_t *data,
		     unsigned int len, bool is_write)
{
	uint64_t val = 0, t0 = 0;
	bool timed;

	if (!r) {
		if (is_write) {
			atomic_fetch_add_explicit(&unclaimed[space].writes, 1,
						  memory_order_relaxed);
		} else {
			atomic_fetch_add_explicit(&unclaimed[space].reads, 1, memory_order_relaxed);
			memset(data, 0xff, len);
		}
		return;
	}
	timed = atomic_load_explicit(&bus_timing, memory_order_relaxed);
	if (timed)
		t0 = now_ns();
	if (is_write) {
		memcpy(&val, data, len); /* x86 host: little-endian, as the guest */
		if (r->ops->write)
			r->ops->write(r->opaque, addr - r->base, val, len);
		atomic_fetch_add_explicit(&r->writes, 1, memory_order_relaxed);
	} else {
		val = r->ops->read ? r->ops->read(r->opaque, addr - r->base, len) : ~0ULL;
		memcpy(data, &val, len);
		atomic_fetch_add_explicit(&r->reads, 1, memory_order_relaxed);
	}
	if (timed)
		atomic_fetch_add_explicit(&r->ns, now_ns() - t0, memory_order_relaxed);
}

void bus_set_timing(bool on)
{
	atomic_store(&bus_timing, on);
}

static int region_cmp(const void *a, const void *b)
{
	const struct bus_region *x = *(struct bus_region *const *)a;
	const struct bus_region *y = *(struct bus_region *const *)b;

	if (x->space != y->space)
		return x->space < y->space ? -1 : 1;
	return x->base < y->base ? -1 : x->base > y->base;
}

static bool same_place(const struct bus_region *a, const struct bus_region *b)
{
	return a->space == b->space && a->base == b->base && a->len == b->len &&
	       !strcmp(a->name, b->name);
}

void bus_print_stats(FILE *f)
{
	struct bus_region **v;
	struct bus_region *r;
	size_t n = 0, i;

	pthread_mutex_lock(&bus_lock);
	for (r = all_regions; r; r = r->next_all)
		n++;
	v = calloc(n ? n : 1, sizeof(*v));
	for (i = 0, r = all_regions; v && r; r = r->next_all)
		v[i++] = r;
	if (v)
		qsort(v, n, sizeof(*v), region_cmp);
	fprintf(f, "%-20s %-4s %-23s %10s %10s %10s %10s %8s\n", "device/region", "bus", "range",
		"exits", "reads", "writes", "time(us)", "ns/exit");
	for (i = 0; v && i < n; i++) {
		uint64_t rd = atomic_load(&v[i]->reads), wr = atomic_load(&v[i]->writes);
		uint64_t ns = atomic_load(&v[i]->ns);
		bool live = !v[i]->gone;
		char range[40];

		/*
		 * A BAR the guest sized or moved leaves regions behind: one
		 * line per place, the counts of each visit summed, and none
		 * for a place that was never accessed.
		 */
		while (i + 1 < n && same_place(v[i], v[i + 1])) {
			i++;
			rd += atomic_load(&v[i]->reads);
			wr += atomic_load(&v[i]->writes);
			ns += atomic_load(&v[i]->ns);
			live |= !v[i]->gone;
		}
		if (!live && !rd && !wr)
			continue;

		snprintf(range, sizeof(range), "%#" PRIx64 "-%#" PRIx64, v[i]->base,
			 v[i]->base + v[i]->len - 1);
		fprintf(f,
			"%-20s %-4s %-23s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64
			" %8" PRIu64 "\n",
			v[i]->name, space_names[v[i]->space], range, rd + wr, rd, wr, ns / 1000,
			rd + wr ? ns / (rd + wr) : 0);
	}
	for (i = 0; i < BUS_NR_SPACES; i++) {
		uint64_t rd = atomic_load(&unclaimed[i].reads);
		uint64_t wr = atomic_load(&unclaimed[i].writes);

		fprintf(f, "%-20s %-4s %-23s %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10s %8s\n",
			"(unclaimed)", space_names[i], "-", rd + wr, rd, wr, "-", "-");
	}
	pthread_mutex_unlock(&bus_lock);
	free(v);
}

void bus_reset(void)
{
	pthread_mutex_lock(&bus_lock);
	for (int s = 0; s < BUS_NR_SPACES; s++) {
		struct bus_table *t = atomic_exchange(&bus_tables[s], NULL);

		while (t) {
			struct bus_table *next = t->retired;

			free(t);
			t = next;
		}
		atomic_store(&unclaimed[s].reads, 0);
		atomic_store(&unclaimed[s].writes, 0);
	}
	while (all_regions) {
		struct bus_region *next = all_regions->next_all;

		free(all_regions);
		all_regions = next;
	}
	pthread_mutex_unlock(&bus_lock);
}
