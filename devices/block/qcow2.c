// SPDX-License-Identifier: GPL-2.0
/*
 * qcow2 images (version 3, and version 2), as QEMU's docs/interop/qcow2.txt
 * describes them: two-level cluster map (L1 -> L2 -> data), refcounts
 * (refcount table -> refcount blocks), an optional backing file.
 *
 * Design, chosen for being simple and correct rather than fast:
 *  - A qcow2 request runs synchronously, start to end, on a block-layer pool
 *    thread, one request per image at a time (img->lock). Metadata lookups,
 *    copy-on-write and allocation are sequences of dependent I/O; written
 *    as straight-line code on a worker they cannot reorder, the I/O thread
 *    never blocks, and no state machine is needed. The cost is no
 *    parallelism within one qcow2 image.
 *  - Metadata is cached (L1 and the refcount table whole, L2 tables and
 *    refcount blocks in small LRU caches) and written through at once, in
 *    512-byte pieces, so close never has anything to write back.
 *  - Allocation only ever appends at the end of the file. A write that
 *    allocates (1) takes clusters (refcount blocks updated first, new
 *    refcount blocks written before the refcount table points at them),
 *    (2) writes the data with copy-on-write of the rest of each cluster and
 *    any new L2 table, (3) fdatasync()s, and only then (4) points the L2
 *    entries and L1 entries at them. A crash at any point leaks clusters
 *    at worst; nothing ever points at unwritten data.
 *  - Discard frees whole clusters (see qcow2_discard()); write-zeroes
 *    writes zeros (allocating), except where the cluster reads as zeros.
 *  - Internal snapshots (refcounts above 1) and compressed clusters are not
 *    written; an image with snapshots opens read-only only, and reading a
 *    compressed cluster fails that request with -EIO.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/falloc.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/block/blk_int.h"

#define QCOW2_MAGIC	     0x514649fbU /* "QFI\xfb" */
#define HDR_V2_LEN	     72
#define HDR_V3_LEN	     104
#define INCOMPAT_DIRTY	     (1ULL << 0)
#define INCOMPAT_CORRUPT     (1ULL << 1)
#define INCOMPAT_DATA_FILE   (1ULL << 2)
#define INCOMPAT_COMPRESSION (1ULL << 3)
#define INCOMPAT_EXTL2	     (1ULL << 4)
#define OFLAG_COPIED	     (1ULL << 63)
#define OFLAG_COMPRESSED     (1ULL << 62)
#define OFLAG_ZERO	     1ULL
#define ENTRY_OFFSET_MASK    0x00fffffffffffe00ULL
#define L1_RESERVED	     0x7f000000000001feULL
#define L2_RESERVED	     0x3f000000000001feULL
#define REFT_OFFSET_MASK     0xfffffffffffffe00ULL
#define EXT_BACKING_FORMAT   0xe2792acaU
#define MAX_L1_BYTES	     (32ULL << 20) /* as QEMU: QCOW_MAX_L1_SIZE */
#define MAX_REFTABLE_BYTES   (8ULL << 20)  /* QCOW_MAX_REFTABLE_SIZE */
#define META_CHUNK	     512
#define L2_CACHE	     16
/* Clusters past the end of the file already counted (a crash's leaks): more is a bad image. */
#define MAX_ALLOC_SKIP (1ULL << 20)
#define RB_CACHE       4

enum cluster_kind { CL_UNALLOC, CL_ZERO, CL_NORMAL, CL_COMPRESSED };

struct qtable {
	uint64_t off; /* 0: empty slot */
	uint8_t *data;
	uint64_t used;
};

struct qcow2 {
	uint32_t version;
	uint32_t cluster_bits;
	uint64_t cs;	  /* cluster size */
	uint32_t l2_bits; /* log2 of entries per L2 table */
	uint32_t l1_size;
	uint64_t l1_off;
	uint64_t *l1; /* on-disk (big-endian) copy, cluster-rounded */
	uint64_t rt_off;
	uint64_t rt_entries;
	uint64_t *rt; /* on-disk copy */
	uint32_t refcount_order;
	uint32_t rb_bits; /* log2 of entries per refcount block */
	struct bimg *backing;
	uint64_t file_size; /* host bytes, grows with allocation */
	uint64_t next_free; /* next host offset to try to allocate */
	struct qtable l2c[L2_CACHE], rbc[RB_CACHE];
	uint64_t tick;
};

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return be64toh(v);
}

bool qcow2_probe(const uint8_t *hdr, size_t len)
{
	return len >= 4 && rd32(hdr) == QCOW2_MAGIC;
}

static void *zalloc_aligned(uint64_t len)
{
	void *p;

	if (posix_memalign(&p, BLK_MEM_ALIGN, len ? len : BLK_SECTOR))
		return NULL;
	memset(p, 0, len);
	return p;
}

/* Write the 512-byte pieces of an in-memory table covering [off, off + len). */
static int meta_write(struct bimg *img, const void *table, uint64_t disk_off, uint64_t off,
		      uint64_t len)
{
	uint64_t s = off & ~(uint64_t)(META_CHUNK - 1);
	uint64_t e = (off + len + META_CHUNK - 1) & ~(uint64_t)(META_CHUNK - 1);

	return file_pwrite(img, (const uint8_t *)table + s, e - s, disk_off + s);
}

/* --- metadata caches ---------------------------------------------------- */

static int table_load(struct bimg *img, struct qtable *cache, int n, uint64_t off, uint8_t **out)
{
	struct qcow2 *q = img->q;
	struct qtable *victim = &cache[0];
	int ret;

	for (int i = 0; i < n; i++) {
		if (cache[i].off == off) {
			cache[i].used = ++q->tick;
			*out = cache[i].data;
			return 0;
		}
		if (cache[i].used < victim->used)
			victim = &cache[i];
	}
	if (!victim->data) {
		/* Filled by the read below (zeros past the end of the file). */
		if (posix_memalign((void **)&victim->data, BLK_MEM_ALIGN, q->cs)) {
			victim->data = NULL;
			return -ENOMEM;
		}
	}
	victim->off = 0;
	ret = file_pread(img, victim->data, q->cs, off);
	if (ret)
		return ret;
	victim->off = off;
	victim->used = ++q->tick;
	*out = victim->data;
	return 0;
}

static void table_forget(struct qtable *cache, int n, uint64_t off)
{
	for (int i = 0; i < n; i++)
		if (cache[i].off == off)
			cache[i].off = 0;
}

/* A table cluster's offset must be aligned and inside the file. */
static bool table_off_ok(const struct qcow2 *q, uint64_t off)
{
	return off && !(off & (q->cs - 1)) && off <= q->file_size && q->cs <= q->file_size - off;
}

/* --- refcounts ---------------------------------------------------------- */

static uint64_t rc_get(const struct qcow2 *q, const uint8_t *rb, uint64_t i)
{
	switch (q->refcount_order) {
	case 3: return rb[i];
	case 4: {
		uint16_t v;

		memcpy(&v, rb + 2 * i, 2);
		return be16toh(v);
	}
	case 5: return rd32(rb + 4 * i);
	default: return rd64(rb + 8 * i);
	}
}

/* Byte offset of entry @i in its block, and its width. */
static void rc_set(const struct qcow2 *q, uint8_t *rb, uint64_t i, uint64_t v, uint64_t *boff,
		   uint64_t *blen)
{
	switch (q->refcount_order) {
	case 3:
		rb[i] = (uint8_t)v;
		*boff = i;
		*blen = 1;
		break;
	case 4: {
		uint16_t x = htobe16((uint16_t)v);

		memcpy(rb + 2 * i, &x, 2);
		*boff = 2 * i;
		*blen = 2;
		break;
	}
	case 5: {
		uint32_t x = htobe32((uint32_t)v);

		memcpy(rb + 4 * i, &x, 4);
		*boff = 4 * i;
		*blen = 4;
		break;
	}
	default: {
		uint64_t x = htobe64(v);

		memcpy(rb + 8 * i, &x, 8);
		*boff = 8 * i;
		*blen = 8;
		break;
	}
	}
}

/*
 * Take the first free cluster at or after the end of the file: refcount 1
 * written before anyone may point at it. A missing refcount block is
 * created in the cluster it is about (so it counts itself) and written
 * before the refcount table names it. A full refcount table: -ENOSPC.
 */
static int alloc_cluster(struct bimg *img, uint64_t *out)
{
	struct qcow2 *q = img->q;
	uint64_t skipped = 0;
	int ret;

	for (;;) {
		uint64_t h = q->next_free, c = h >> q->cluster_bits;
		uint64_t rt_idx = c >> q->rb_bits, idx = c & ((1ULL << q->rb_bits) - 1);
		uint64_t rte, rb_off, boff, blen;
		uint8_t *rb;

		if (rt_idx >= q->rt_entries)
			return -ENOSPC;
		rte = be64toh(q->rt[rt_idx]);
		if (rte & ~REFT_OFFSET_MASK)
			return -EIO;
		rb_off = rte & REFT_OFFSET_MASK;
		if (!rb_off) {
			uint8_t *nb = zalloc_aligned(q->cs);

			if (!nb)
				return -ENOMEM;
			rc_set(q, nb, idx, 1, &boff, &blen);
			ret = file_pwrite(img, nb, q->cs, h);
			free(nb);
			if (ret)
				return ret;
			q->next_free = h + q->cs;
			if (q->next_free > q->file_size)
				q->file_size = q->next_free;
			q->rt[rt_idx] = htobe64(h);
			ret = meta_write(img, q->rt, q->rt_off, rt_idx * 8, 8);
			if (ret)
				return ret;
			continue;
		}
		if (!table_off_ok(q, rb_off))
			return -EIO;
		ret = table_load(img, q->rbc, RB_CACHE, rb_off, &rb);
		if (ret)
			return ret;
		q->next_free = h + q->cs;
		if (rc_get(q, rb, idx)) {
			/* An image whose refcount blocks say "used" everywhere: no hang. */
			if (++skipped > MAX_ALLOC_SKIP)
				return -EIO;
			continue; /* counted already (leaked by a crash): skip */
		}
		rc_set(q, rb, idx, 1, &boff, &blen);
		ret = meta_write(img, rb, rb_off, boff, blen);
		if (ret) {
			table_forget(q->rbc, RB_CACHE, rb_off);
			return ret;
		}
		if (q->next_free > q->file_size)
			q->file_size = q->next_free;
		*out = h;
		return 0;
	}
}

/* --- the cluster map ---------------------------------------------------- */

/* L2 table offset for L1 index @i: 0 when none, -EIO when the entry is bad. */
static int l1_lookup(struct qcow2 *q, uint64_t i, uint64_t *l2_off)
{
	uint64_t e = be64toh(q->l1[i]);

	if (e & L1_RESERVED)
		return -EIO;
	*l2_off = e & ENTRY_OFFSET_MASK;
	if (*l2_off && !table_off_ok(q, *l2_off))
		return -EIO;
	return 0;
}

static int classify(const struct qcow2 *q, uint64_t e, uint64_t *host)
{
	*host = 0;
	if (e & OFLAG_COMPRESSED)
		return CL_COMPRESSED;
	if (e & L2_RESERVED)
		return -EIO;
	*host = e & ENTRY_OFFSET_MASK;
	if (*host & (q->cs - 1))
		return -EIO;
	if (e & OFLAG_ZERO) {
		if (q->version < 3)
			return -EIO; /* reserved in version 2 */
		return CL_ZERO;
	}
	return *host ? CL_NORMAL : CL_UNALLOC;
}

/* The L2 entry of guest cluster @gc (0 when no L2 table). */
static int l2_entry(struct bimg *img, uint64_t gc, uint64_t *entry)
{
	struct qcow2 *q = img->q;
	uint64_t l1i = gc >> q->l2_bits, l2_off;
	uint8_t *t;
	int ret;

	*entry = 0;
	if (l1i >= q->l1_size)
		return -EIO;
	ret = l1_lookup(q, l1i, &l2_off);
	if (ret || !l2_off)
		return ret;
	ret = table_load(img, q->l2c, L2_CACHE, l2_off, &t);
	if (ret)
		return ret;
	*entry = rd64(t + 8 * (gc & ((1ULL << q->l2_bits) - 1)));
	return 0;
}

/* Guest bytes of an unallocated cluster: the backing file's, or zeros. */
static int read_unalloc(struct qcow2 *q, uint64_t goff, uint8_t *buf, uint64_t len)
{
	if (q->backing)
		return img_read(q->backing, goff, buf, len);
	memset(buf, 0, len);
	return 0;
}

static int qcow2_read(struct bimg *img, uint64_t off, uint64_t len, const struct iovec *iov,
		      unsigned int iovcnt, struct iovec *tmp, uint8_t *cbuf)
{
	struct qcow2 *q = img->q;
	uint64_t pos = 0;
	int ret;

	while (pos < len) {
		uint64_t g = off + pos, in = g & (q->cs - 1);
		uint64_t n = q->cs - in < len - pos ? q->cs - in : len - pos;
		uint64_t e, host;
		unsigned int cnt;
		int kind;

		ret = l2_entry(img, g >> q->cluster_bits, &e);
		if (ret)
			return ret;
		kind = classify(q, e, &host);
		switch (kind) {
		case CL_UNALLOC:
			if (!q->backing) {
				iov_memset(iov, iovcnt, pos, 0, n);
				break;
			}
			ret = read_unalloc(q, g, cbuf, n);
			if (ret)
				return ret;
			iov_from_buf(iov, iovcnt, pos, cbuf, n);
			break;
		case CL_ZERO: iov_memset(iov, iovcnt, pos, 0, n); break;
		case CL_NORMAL:
			cnt = iov_slice(iov, iovcnt, pos, n, tmp, iovcnt);
			ret = file_preadv(img, tmp, cnt, host + in);
			if (ret)
				return ret;
			break;
		case CL_COMPRESSED: return -EIO; /* not supported */
		default: return kind;
		}
		pos += n;
	}
	return 0;
}

struct pending {
	uint64_t gc;
	uint64_t entry; /* the new L2 entry, host-endian */
};

struct new_l2 {
	uint64_t l1i;
	uint64_t off;
	uint8_t *t;
};

static struct new_l2 *find_new_l2(struct new_l2 *nl, unsigned int n, uint64_t l1i)
{
	for (unsigned int i = 0; i < n; i++)
		if (nl[i].l1i == l1i)
			return &nl[i];
	return NULL;
}

/*
 * Write [off, off + len) from @iov, or zeros when @iov is NULL (then
 * clusters that already read as zeros are left alone). See the top of the
 * file for the order of allocation.
 */
static int qcow2_write(struct bimg *img, uint64_t off, uint64_t len, const struct iovec *iov,
		       unsigned int iovcnt, struct iovec *tmp, uint8_t *cbuf)
{
	struct qcow2 *q = img->q;
	uint64_t first = off >> q->cluster_bits;
	uint64_t last = len ? (off + len - 1) >> q->cluster_bits : first;
	uint64_t maxc = last - first + 1, pos = 0, l2_mask = (1ULL << q->l2_bits) - 1;
	struct pending *pend = calloc(maxc, sizeof(*pend));
	struct new_l2 *nl = calloc(maxc, sizeof(*nl));
	unsigned int np = 0, nn = 0;
	int ret = 0;

	if (!pend || !nl) {
		ret = -ENOMEM;
		goto out;
	}
	/* Phase 1: data in place, or into newly allocated clusters. */
	while (pos < len) {
		uint64_t g = off + pos, gc = g >> q->cluster_bits, in = g & (q->cs - 1);
		uint64_t n = q->cs - in < len - pos ? q->cs - in : len - pos;
		uint64_t l1i = gc >> q->l2_bits, l2_off, e = 0, host;
		struct new_l2 *t = find_new_l2(nl, nn, l1i);
		int kind;

		if (l1i >= q->l1_size) {
			ret = -EIO;
			goto out;
		}
		if (!t) {
			ret = l1_lookup(q, l1i, &l2_off);
			if (ret)
				goto out;
			if (l2_off) {
				ret = l2_entry(img, gc, &e);
				if (ret)
					goto out;
			} else if (!iov && !q->backing) {
				pos += n; /* no table, no backing: zeros already */
				continue;
			} else {
				t = &nl[nn];
				t->l1i = l1i;
				t->t = zalloc_aligned(q->cs);
				if (!t->t) {
					ret = -ENOMEM;
					goto out;
				}
				nn++;
				ret = alloc_cluster(img, &t->off);
				if (ret)
					goto out;
			}
		}
		if (t)
			e = rd64(t->t + 8 * (gc & l2_mask));
		kind = classify(q, e, &host);
		if (kind < 0) {
			ret = kind;
			goto out;
		}
		if (!iov && (kind == CL_ZERO || (kind == CL_UNALLOC && !q->backing))) {
			pos += n; /* reads as zeros already */
			continue;
		}
		if (kind == CL_NORMAL && (e & OFLAG_COPIED)) {
			if (iov) {
				unsigned int cnt = iov_slice(iov, iovcnt, pos, n, tmp, iovcnt);

				ret = file_pwritev(img, tmp, cnt, host + in);
			} else {
				memset(cbuf, 0, n);
				ret = file_pwrite(img, cbuf, n, host + in);
			}
			if (ret)
				goto out;
			pos += n;
			continue;
		}
		if (kind == CL_COMPRESSED || kind == CL_NORMAL) {
			ret = -EIO; /* compressed or shared (snapshot): not written */
			goto out;
		}
		/* Unallocated or zero: a whole new cluster, old contents around ours. */
		if (kind == CL_ZERO && host && (e & OFLAG_COPIED)) {
			/* Preallocated zero cluster: reuse it. */
		} else {
			ret = alloc_cluster(img, &host);
			if (ret)
				goto out;
		}
		if (kind == CL_ZERO)
			memset(cbuf, 0, q->cs);
		else if (in || n < q->cs) {
			ret = read_unalloc(q, gc << q->cluster_bits, cbuf, q->cs);
			if (ret)
				goto out;
		}
		if (iov)
			iov_to_buf(iov, iovcnt, pos, cbuf + in, n);
		else
			memset(cbuf + in, 0, n);
		ret = file_pwrite(img, cbuf, q->cs, host);
		if (ret)
			goto out;
		e = host | OFLAG_COPIED;
		if (t) {
			uint64_t be = htobe64(e);

			memcpy(t->t + 8 * (gc & l2_mask), &be, 8);
		} else {
			pend[np].gc = gc;
			pend[np].entry = e;
			np++;
		}
		pos += n;
	}
	for (unsigned int i = 0; i < nn; i++) {
		ret = file_pwrite(img, nl[i].t, q->cs, nl[i].off);
		if (ret)
			goto out;
	}
	if (!np && !nn)
		goto out;
	/* Phase 2: everything new is on disk before anything points at it. */
	if (fdatasync(img->fd) < 0) {
		ret = -errno;
		goto out;
	}
	/* Phase 3: the pointers. */
	for (unsigned int i = 0; i < np; i++) {
		uint64_t l1i = pend[i].gc >> q->l2_bits, l2_off, be = htobe64(pend[i].entry);
		uint64_t boff = 8 * (pend[i].gc & l2_mask);
		uint8_t *t;

		ret = l1_lookup(q, l1i, &l2_off);
		if (!ret && !l2_off)
			ret = -EIO;
		if (!ret)
			ret = table_load(img, q->l2c, L2_CACHE, l2_off, &t);
		if (ret)
			goto out;
		memcpy(t + boff, &be, 8);
		ret = meta_write(img, t, l2_off, boff, 8);
		if (ret) {
			table_forget(q->l2c, L2_CACHE, l2_off);
			goto out;
		}
	}
	for (unsigned int i = 0; i < nn; i++) {
		q->l1[nl[i].l1i] = htobe64(nl[i].off | OFLAG_COPIED);
		ret = meta_write(img, q->l1, q->l1_off, nl[i].l1i * 8, 8);
		if (ret)
			goto out;
	}
out:
	if (nl)
		for (unsigned int i = 0; i < nn; i++)
			free(nl[i].t);
	free(nl);
	free(pend);
	return ret;
}

/* Drop one reference to host cluster @host (never below zero). */
static int cluster_unref(struct bimg *img, uint64_t host)
{
	struct qcow2 *q = img->q;
	uint64_t c = host >> q->cluster_bits, rt_idx = c >> q->rb_bits, rte, rb_off, boff, blen;
	uint64_t idx = c & ((1ULL << q->rb_bits) - 1), v;
	uint8_t *rb;
	int ret;

	if (rt_idx >= q->rt_entries)
		return -EIO;
	rte = be64toh(q->rt[rt_idx]);
	rb_off = rte & REFT_OFFSET_MASK;
	if (rte & ~REFT_OFFSET_MASK || !table_off_ok(q, rb_off))
		return -EIO;
	ret = table_load(img, q->rbc, RB_CACHE, rb_off, &rb);
	if (ret)
		return ret;
	v = rc_get(q, rb, idx);
	if (!v)
		return -EIO;
	rc_set(q, rb, idx, v - 1, &boff, &blen);
	ret = meta_write(img, rb, rb_off, boff, blen);
	if (ret)
		table_forget(q->rbc, RB_CACHE, rb_off);
	return ret;
}

/*
 * Discard whole clusters: the L2 entry first (unallocated, or reads-as-zero
 * over a backing file), then the refcount drops to zero and the host
 * cluster becomes a hole. A crash in between leaks the cluster, no more.
 * Freed clusters are not reused (allocation appends); partial clusters,
 * compressed and shared ones are left as they are (discard is advisory).
 */
static int qcow2_discard(struct bimg *img, uint64_t off, uint64_t len)
{
	struct qcow2 *q = img->q;
	uint64_t gc = (off + q->cs - 1) >> q->cluster_bits, end = (off + len) >> q->cluster_bits;
	uint64_t l2_mask = (1ULL << q->l2_bits) - 1;
	int ret;

	if (q->backing && q->version < 3)
		return 0; /* no zero flag: the backing file would show through */
	for (; gc < end; gc++) {
		uint64_t l1i = gc >> q->l2_bits, l2_off, e, host, ne;
		uint8_t *t;
		int kind;

		if (l1i >= q->l1_size)
			return -EIO;
		ret = l1_lookup(q, l1i, &l2_off);
		if (ret)
			return ret;
		if (!l2_off) {
			gc |= l2_mask; /* no table: nothing in its range */
			continue;
		}
		ret = table_load(img, q->l2c, L2_CACHE, l2_off, &t);
		if (ret)
			return ret;
		e = rd64(t + 8 * (gc & l2_mask));
		kind = classify(q, e, &host);
		if (kind < 0)
			return kind;
		if (kind == CL_COMPRESSED || !host || !(e & OFLAG_COPIED))
			continue;
		ne = htobe64(q->backing ? OFLAG_ZERO : 0);
		memcpy(t + 8 * (gc & l2_mask), &ne, 8);
		ret = meta_write(img, t, l2_off, 8 * (gc & l2_mask), 8);
		if (ret) {
			table_forget(q->l2c, L2_CACHE, l2_off);
			return ret;
		}
		ret = cluster_unref(img, host);
		if (ret)
			return ret;
		/* Give the space back; where holes are not supported it stays used. */
		(void)fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)host,
				(off_t)q->cs);
	}
	return 0;
}

int qcow2_exec(struct bimg *img, enum blk_op op, uint64_t off, uint64_t len,
	       const struct iovec *iov, unsigned int iovcnt)
{
	struct qcow2 *q = img->q;
	struct iovec *tmp = NULL;
	uint8_t *cbuf = NULL;
	int ret;

	if (op == BLK_FLUSH) {
		/* Metadata is written through: one fdatasync covers it and the data. */
		return fdatasync(img->fd) < 0 ? -errno : 0;
	}
	if (op != BLK_READ && img->readonly)
		return -EROFS;
	if (op == BLK_DISCARD) {
		pthread_mutex_lock(&img->lock);
		ret = qcow2_discard(img, off, len);
		pthread_mutex_unlock(&img->lock);
		return ret;
	}
	tmp = calloc(iovcnt ? iovcnt : 1, sizeof(*tmp));
	/* A cluster-sized bounce (up to 2 MiB): only where it can be used. */
	if (op != BLK_READ || q->backing)
		cbuf = zalloc_aligned(q->cs);
	if (!tmp || (!cbuf && (op != BLK_READ || q->backing))) {
		ret = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&img->lock);
	switch (op) {
	case BLK_READ: ret = qcow2_read(img, off, len, iov, iovcnt, tmp, cbuf); break;
	case BLK_WRITE: ret = qcow2_write(img, off, len, iov, iovcnt, tmp, cbuf); break;
	case BLK_WRITE_ZEROES: ret = qcow2_write(img, off, len, NULL, 0, tmp, cbuf); break;
	default: ret = -EINVAL;
	}
	pthread_mutex_unlock(&img->lock);
out:
	free(tmp);
	free(cbuf);
	return ret;
}

/* --- open ---------------------------------------------------------------- */

#define BAD(...)                                    \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

static int open_backing(struct bimg *img, const char *name, const char *fmt, int depth, char *err,
			size_t errlen)
{
	struct qcow2 *q = img->q;
	enum disk_format f = DISK_FMT_AUTO;
	char path[PATH_MAX], dir[PATH_MAX];

	if (depth + 1 >= BLK_MAX_BACKING)
		BAD("'%s': backing chain longer than %d", img->path, BLK_MAX_BACKING);
	if (!strcmp(fmt, "raw"))
		f = DISK_FMT_RAW;
	else if (!strcmp(fmt, "qcow2"))
		f = DISK_FMT_QCOW2;
	else if (fmt[0])
		BAD("'%s': backing file format '%s' not supported", img->path, fmt);
	if (name[0] == '/') {
		snprintf(path, sizeof(path), "%s", name);
	} else {
		/* Relative names are relative to the image's directory. */
		snprintf(dir, sizeof(dir), "%s", img->path);
		if (snprintf(path, sizeof(path), "%s/%s", dirname(dir), name) >= (int)sizeof(path))
			BAD("'%s': backing file name too long", img->path);
	}
	q->backing = img_open(path, f, true, img->direct, depth + 1, err, errlen);
	if (!q->backing) {
		char inner[400];

		snprintf(inner, sizeof(inner), "%s", err);
		snprintf(err, errlen, "'%s': backing file: %s", img->path, inner);
		return -EINVAL;
	}
	return 0;
}

static int qcow2_parse(struct bimg *img, int depth, char *err, size_t errlen)
{
	struct qcow2 *q = img->q;
	const char *p = img->path;
	uint8_t h[HDR_V3_LEN], *c0 = NULL;
	uint64_t boff, incompat, autoclear, size, need_l1, l2_entries, hdr_end, ext;
	uint32_t blen, hlen, nb_snap, rt_clusters;
	char bname[1024] = "", bfmt[16] = "";
	struct stat st;
	int ret;

	if (fstat(img->fd, &st) < 0)
		BAD("'%s': %s", p, strerror(errno));
	q->file_size = (uint64_t)st.st_size;
	if (q->file_size < HDR_V2_LEN)
		BAD("'%s': qcow2 header truncated", p);
	ret = file_pread(img, h, sizeof(h), 0);
	if (ret)
		BAD("'%s': %s", p, strerror(-ret));
	q->version = rd32(h + 4);
	if (q->version != 2 && q->version != 3)
		BAD("'%s': qcow2 version %u not supported", p, q->version);
	q->cluster_bits = rd32(h + 20);
	if (q->cluster_bits < 9 || q->cluster_bits > 21)
		BAD("'%s': qcow2 cluster_bits %u out of range 9..21", p, q->cluster_bits);
	q->cs = 1ULL << q->cluster_bits;
	q->l2_bits = q->cluster_bits - 3;
	l2_entries = 1ULL << q->l2_bits;
	if (rd32(h + 32))
		BAD("'%s': encrypted qcow2 images are not supported", p);
	if (q->version == 3) {
		if (q->file_size < HDR_V3_LEN)
			BAD("'%s': qcow2 header truncated", p);
		incompat = rd64(h + 72);
		autoclear = rd64(h + 88);
		q->refcount_order = rd32(h + 96);
		hlen = rd32(h + 100);
		if (hlen < HDR_V3_LEN || hlen % 8 || hlen > q->cs)
			BAD("'%s': qcow2 header_length %u invalid", p, hlen);
	} else {
		incompat = autoclear = 0;
		q->refcount_order = 4;
		hlen = HDR_V2_LEN;
	}
	if (incompat & INCOMPAT_DIRTY)
		BAD("'%s': qcow2 image is dirty (not closed cleanly): "
		    "run 'qemu-img check -r all' on it",
		    p);
	if (incompat & INCOMPAT_CORRUPT)
		BAD("'%s': qcow2 image is marked corrupt", p);
	if (incompat & INCOMPAT_DATA_FILE)
		BAD("'%s': qcow2 external data files are not supported", p);
	if (incompat & INCOMPAT_EXTL2)
		BAD("'%s': qcow2 extended L2 entries are not supported", p);
	if (incompat & ~(INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE |
			 INCOMPAT_COMPRESSION | INCOMPAT_EXTL2))
		BAD("'%s': qcow2 incompatible features 0x%llx not supported", p,
		    (unsigned long long)incompat);
	if (q->refcount_order < 3 || q->refcount_order > 6)
		BAD("'%s': qcow2 refcount_order %u not supported (3..6)", p, q->refcount_order);
	q->rb_bits = q->cluster_bits + 3 - q->refcount_order;

	size = rd64(h + 24);
	q->l1_size = rd32(h + 36);
	q->l1_off = rd64(h + 40);
	q->rt_off = rd64(h + 48);
	rt_clusters = rd32(h + 56);
	nb_snap = rd32(h + 60);
	boff = rd64(h + 8);
	blen = rd32(h + 16);

	/* Virtual size: what the L1 table can map, and no more than 2^62. */
	if (size > (1ULL << 62))
		BAD("'%s': qcow2 virtual size %llu too large", p, (unsigned long long)size);
	need_l1 = (size + (q->cs * l2_entries) - 1) / (q->cs * l2_entries);
	if ((uint64_t)q->l1_size * 8 > MAX_L1_BYTES)
		BAD("'%s': qcow2 L1 table too large (%u entries)", p, q->l1_size);
	if (q->l1_size < need_l1)
		BAD("'%s': qcow2 L1 table (%u entries) too small for the virtual size", p,
		    q->l1_size);
	if (q->l1_off & (q->cs - 1) || (q->l1_size && !q->l1_off) || q->l1_off > q->file_size ||
	    (uint64_t)q->l1_size * 8 > q->file_size - q->l1_off)
		BAD("'%s': qcow2 L1 table offset 0x%llx invalid", p, (unsigned long long)q->l1_off);
	if (!rt_clusters || rt_clusters * q->cs > MAX_REFTABLE_BYTES)
		BAD("'%s': qcow2 refcount table size %u clusters invalid", p, rt_clusters);
	if (!q->rt_off || q->rt_off & (q->cs - 1) || q->rt_off > q->file_size ||
	    rt_clusters * q->cs > q->file_size - q->rt_off)
		BAD("'%s': qcow2 refcount table offset 0x%llx invalid", p,
		    (unsigned long long)q->rt_off);
	if (nb_snap && !img->readonly)
		BAD("'%s': qcow2 image has internal snapshots: open it readonly", p);
	if (nb_snap && rd64(h + 64) & (q->cs - 1))
		BAD("'%s': qcow2 snapshot table offset invalid", p);

	/* Header extensions and the backing file name live in cluster 0. */
	hdr_end = q->cs < q->file_size ? q->cs : q->file_size;
	c0 = zalloc_aligned(q->cs);
	if (!c0)
		BAD("'%s': out of memory", p);
	ret = file_pread(img, c0, q->cs, 0);
	if (ret) {
		free(c0);
		BAD("'%s': %s", p, strerror(-ret));
	}
	for (ext = hlen; ext + 8 <= hdr_end;) {
		uint32_t type = rd32(c0 + ext), len = rd32(c0 + ext + 4);

		if (!type)
			break;
		if (len > hdr_end - ext - 8) {
			free(c0);
			BAD("'%s': qcow2 header extension 0x%x overruns the header", p, type);
		}
		if (type == EXT_BACKING_FORMAT) {
			if (len >= sizeof(bfmt)) {
				free(c0);
				BAD("'%s': qcow2 backing format name too long", p);
			}
			memcpy(bfmt, c0 + ext + 8, len);
			bfmt[len] = 0;
		}
		ext += 8 + (((uint64_t)len + 7) & ~7ULL);
	}
	if (boff) {
		if (!blen || blen >= sizeof(bname) || boff < hlen || boff > hdr_end ||
		    blen > hdr_end - boff) {
			free(c0);
			BAD("'%s': qcow2 backing file name out of the header", p);
		}
		memcpy(bname, c0 + boff, blen);
		bname[blen] = 0;
		if (strlen(bname) != blen) {
			free(c0);
			BAD("'%s': qcow2 backing file name has a NUL byte", p);
		}
	}
	free(c0);

	/* Tables. */
	q->l1 = zalloc_aligned(((uint64_t)q->l1_size * 8 + q->cs - 1) & ~(q->cs - 1));
	q->rt_entries = rt_clusters * q->cs / 8;
	q->rt = zalloc_aligned(rt_clusters * q->cs);
	if (!q->l1 || !q->rt)
		BAD("'%s': out of memory", p);
	ret = q->l1_size ? file_pread(img, q->l1,
				      ((uint64_t)q->l1_size * 8 + META_CHUNK - 1) &
					      ~(uint64_t)(META_CHUNK - 1),
				      q->l1_off)
			 : 0;
	if (!ret)
		ret = file_pread(img, q->rt, rt_clusters * q->cs, q->rt_off);
	if (ret)
		BAD("'%s': %s", p, strerror(-ret));
	/* Entries past l1_size in the last chunk are not ours: never written
	 * with other values, since they were read back from the file. */

	img->size = size & ~(uint64_t)(BLK_SECTOR - 1);
	q->next_free = (q->file_size + q->cs - 1) & ~(q->cs - 1);

	if (!img->readonly && autoclear) {
		/* The spec: a writer that does not know these bits clears them. */
		uint8_t hb[META_CHUNK];

		ret = file_pread(img, hb, sizeof(hb), 0);
		if (!ret) {
			memset(hb + 88, 0, 8);
			ret = file_pwrite(img, hb, sizeof(hb), 0);
		}
		if (ret)
			BAD("'%s': cannot update the qcow2 header: %s", p, strerror(-ret));
	}
	if (boff)
		return open_backing(img, bname, bfmt, depth, err, errlen);
	return 0;
}

int qcow2_open(struct bimg *img, int depth, char *err, size_t errlen)
{
	img->q = calloc(1, sizeof(*img->q));
	if (!img->q) {
		snprintf(err, errlen, "'%s': out of memory", img->path);
		return -ENOMEM;
	}
	return qcow2_parse(img, depth, err, errlen);
}

void qcow2_close(struct bimg *img)
{
	struct qcow2 *q = img->q;

	img_close(q->backing);
	for (int i = 0; i < L2_CACHE; i++)
		free(q->l2c[i].data);
	for (int i = 0; i < RB_CACHE; i++)
		free(q->rbc[i].data);
	free(q->l1);
	free(q->rt);
	free(q);
	img->q = NULL;
}
