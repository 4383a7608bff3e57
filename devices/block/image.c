// SPDX-License-Identifier: GPL-2.0
/*
 * Image files: open (format detection, OFD lock, O_DIRECT), synchronous
 * I/O with bounce buffers for O_DIRECT, and the raw format's requests.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/block/blk_int.h"

uint64_t iov_size(const struct iovec *iov, unsigned int cnt)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	return n;
}

unsigned int iov_slice(const struct iovec *iov, unsigned int cnt, uint64_t off, uint64_t len,
		       struct iovec *out, unsigned int max)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < cnt && len && n < max; i++) {
		uint64_t l = iov[i].iov_len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > len)
			l = len;
		out[n].iov_base = (uint8_t *)iov[i].iov_base + off;
		out[n].iov_len = l;
		n++;
		len -= l;
		off = 0;
	}
	return n;
}

/* Walk [off, off + len) of @iov calling @fn on each piece. */
#define IOV_WALK(iov, cnt, off, len, body)                               \
	do {                                                             \
		uint64_t _o = (off), _l = (len), _pos = 0;               \
		for (unsigned int _i = 0; _i < (cnt) && _l; _i++) {      \
			uint64_t _il = (iov)[_i].iov_len;                \
			if (_o >= _il) {                                 \
				_o -= _il;                               \
				continue;                                \
			}                                                \
			uint8_t *p = (uint8_t *)(iov)[_i].iov_base + _o; \
			uint64_t n = _il - _o < _l ? _il - _o : _l;      \
			uint64_t pos = _pos;                             \
			(void)pos;                                       \
			body;                                            \
			_pos += n;                                       \
			_l -= n;                                         \
			_o = 0;                                          \
		}                                                        \
	} while (0)

void iov_memset(const struct iovec *iov, unsigned int cnt, uint64_t off, int c, uint64_t len)
{
	IOV_WALK(iov, cnt, off, len, memset(p, c, n));
}

void iov_to_buf(const struct iovec *iov, unsigned int cnt, uint64_t off, void *buf, uint64_t len)
{
	IOV_WALK(iov, cnt, off, len, memcpy((uint8_t *)buf + pos, p, n));
}

void iov_from_buf(const struct iovec *iov, unsigned int cnt, uint64_t off, const void *buf,
		  uint64_t len)
{
	IOV_WALK(iov, cnt, off, len, memcpy(p, (const uint8_t *)buf + pos, n));
}

static bool iov_aligned(const struct iovec *iov, unsigned int cnt)
{
	for (unsigned int i = 0; i < cnt; i++)
		if ((uintptr_t)iov[i].iov_base % BLK_MEM_ALIGN || iov[i].iov_len % BLK_SECTOR)
			return false;
	return true;
}

/* preadv/pwritev until done; reads past EOF give zeros. */
static int file_rw_plain(struct bimg *img, bool write, const struct iovec *iov, unsigned int cnt,
			 uint64_t off)
{
	uint64_t len = iov_size(iov, cnt), done = 0;
	struct iovec stack[16], *tmp = stack;
	int ret = 0;

	if (cnt > 16) {
		tmp = malloc(cnt * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
	}
	while (done < len) {
		unsigned int n = iov_slice(iov, cnt, done, len - done, tmp, cnt);
		ssize_t r = write ? pwritev(img->fd, tmp, (int)n, (off_t)(off + done))
				  : preadv(img->fd, tmp, (int)n, (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			break;
		}
		if (r == 0) {
			if (write) {
				ret = -EIO;
				break;
			}
			iov_memset(iov, cnt, done, 0, len - done); /* past EOF */
			break;
		}
		done += (uint64_t)r;
	}
	if (tmp != stack)
		free(tmp);
	return ret;
}

static int file_rw(struct bimg *img, bool write, const struct iovec *iov, unsigned int cnt,
		   uint64_t off)
{
	uint64_t len = iov_size(iov, cnt), done, n;
	struct iovec b;
	void *buf;
	int ret = 0;

	if (!img->direct || (iov_aligned(iov, cnt) && !(off % BLK_SECTOR)))
		return file_rw_plain(img, write, iov, cnt, off);
	/*
	 * O_DIRECT wants aligned memory: go through an aligned copy, a piece
	 * at a time, since the guest chooses the length (up to the disk's).
	 */
	if (write && len % BLK_SECTOR)
		return -EINVAL; /* reads may round up to whole sectors; writes must be whole */
	if (posix_memalign(&buf, BLK_MEM_ALIGN, BLK_BOUNCE_MAX))
		return -ENOMEM;
	for (done = 0; done < len && !ret; done += n) {
		n = len - done < BLK_BOUNCE_MAX ? len - done : BLK_BOUNCE_MAX;
		b.iov_base = buf;
		b.iov_len = write ? n : (n + BLK_SECTOR - 1) & ~(uint64_t)(BLK_SECTOR - 1);
		if (write)
			iov_to_buf(iov, cnt, done, buf, n);
		else
			memset(buf, 0, b.iov_len);
		ret = file_rw_plain(img, write, &b, 1, off + done);
		if (!ret && !write)
			iov_from_buf(iov, cnt, done, buf, n);
	}
	free(buf);
	return ret;
}

int file_preadv(struct bimg *img, const struct iovec *iov, unsigned int cnt, uint64_t off)
{
	return file_rw(img, false, iov, cnt, off);
}

int file_pwritev(struct bimg *img, const struct iovec *iov, unsigned int cnt, uint64_t off)
{
	return file_rw(img, true, iov, cnt, off);
}

int file_pread(struct bimg *img, void *buf, uint64_t len, uint64_t off)
{
	struct iovec v = { buf, len };

	return file_rw(img, false, &v, 1, off);
}

int file_pwrite(struct bimg *img, const void *buf, uint64_t len, uint64_t off)
{
	struct iovec v = { (void *)buf, len };

	return file_rw(img, true, &v, 1, off);
}

/* Write-zeroes where fallocate cannot: plain zero writes, 1 MiB at a time. */
static int write_zeros(struct bimg *img, uint64_t off, uint64_t len)
{
	uint64_t chunk = 1 << 20;
	void *z;
	int ret = 0;

	if (posix_memalign(&z, BLK_MEM_ALIGN, chunk))
		return -ENOMEM;
	memset(z, 0, chunk);
	while (len && !ret) {
		uint64_t n = len < chunk ? len : chunk;

		ret = file_pwrite(img, z, n, off);
		off += n;
		len -= n;
	}
	free(z);
	return ret;
}

/*
 * A write at 0 to a raw image found by probing: its first sector must not
 * become a qcow2 header, or the next start would open the guest's data as
 * qcow2, with a backing file of the guest's choosing (any host file or
 * device, read through to the guest). The sector is checked and written
 * from our own copy, so another vCPU cannot change it in between.
 */
static int raw_write_probed(struct bimg *img, const struct iovec *iov, unsigned int iovcnt,
			    uint64_t len)
{
	uint8_t sec[BLK_SECTOR];
	struct iovec head = { sec, sizeof(sec) }, *rest;
	unsigned int n;
	int ret;

	if (len < sizeof(sec))
		return len ? -EINVAL : 0;
	iov_to_buf(iov, iovcnt, 0, sec, sizeof(sec));
	if (qcow2_probe(sec, sizeof(sec)))
		return -EPERM;
	rest = calloc(iovcnt, sizeof(*rest));
	if (!rest)
		return -ENOMEM;
	n = iov_slice(iov, iovcnt, sizeof(sec), len - sizeof(sec), rest, iovcnt);
	ret = file_pwritev(img, &head, 1, 0);
	if (!ret && n)
		ret = file_pwritev(img, rest, n, sizeof(sec));
	free(rest);
	return ret;
}

static int raw_exec(struct bimg *img, enum blk_op op, uint64_t off, uint64_t len,
		    const struct iovec *iov, unsigned int iovcnt)
{
	switch (op) {
	case BLK_READ: return file_preadv(img, iov, iovcnt, off);
	case BLK_WRITE:
		if (img->probed && off < BLK_SECTOR)
			return raw_write_probed(img, iov, iovcnt, len);
		return file_pwritev(img, iov, iovcnt, off);
	case BLK_FLUSH: return fdatasync(img->fd) < 0 ? -errno : 0;
	case BLK_DISCARD:
		/* Advisory: where the file system cannot punch holes, do nothing. */
		if (fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off,
			      (off_t)len) < 0 &&
		    errno != EOPNOTSUPP)
			return -errno;
		return 0;
	case BLK_WRITE_ZEROES:
		if (fallocate(img->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off,
			      (off_t)len) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != EINVAL && errno != ENODEV)
			return -errno;
		return write_zeros(img, off, len);
	}
	return -EINVAL;
}

int img_exec(struct bimg *img, enum blk_op op, uint64_t off, uint64_t len, const struct iovec *iov,
	     unsigned int iovcnt)
{
	if (img->q)
		return qcow2_exec(img, op, off, len, iov, iovcnt);
	return raw_exec(img, op, off, len, iov, iovcnt);
}

int img_read(struct bimg *img, uint64_t off, void *buf, uint64_t len)
{
	struct iovec v = { buf, len };
	uint64_t n = len;

	if (off >= img->size) {
		memset(buf, 0, len);
		return 0;
	}
	if (off + len > img->size)
		n = img->size - off;
	memset((uint8_t *)buf + n, 0, len - n);
	v.iov_len = n;
	return img_exec(img, BLK_READ, off, n, &v, 1);
}

static int lock_file(int fd, bool readonly)
{
	struct flock fl = {
		.l_type = readonly ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
	};

	return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

struct bimg *img_open(const char *path, enum disk_format fmt, bool readonly, bool direct, int depth,
		      char *err, size_t errlen)
{
	struct bimg *img = calloc(1, sizeof(*img));
	uint8_t hdr[512];
	struct stat st;
	ssize_t n;
	int ret;

	if (!img) {
		snprintf(err, errlen, "'%s': out of memory", path);
		return NULL;
	}
	pthread_mutex_init(&img->lock, NULL);
	img->path = strdup(path);
	img->readonly = readonly;
	img->direct = direct;
	img->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (direct ? O_DIRECT : 0));
	if (img->fd < 0) {
		if (errno == EINVAL && direct)
			snprintf(err, errlen, "'%s': cache=none: O_DIRECT not supported here",
				 path);
		else
			snprintf(err, errlen, "'%s': %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(img->fd, &st) < 0) {
		snprintf(err, errlen, "'%s': %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t sz;

		if (ioctl(img->fd, BLKGETSIZE64, &sz) < 0) {
			snprintf(err, errlen, "'%s': %s", path, strerror(errno));
			goto fail;
		}
		st.st_size = (off_t)sz;
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "'%s': not a regular file or block device", path);
		goto fail;
	}
	ret = lock_file(img->fd, readonly);
	if (ret == -EAGAIN || ret == -EACCES) {
		snprintf(err, errlen, "'%s' is locked by another process", path);
		goto fail;
	} else if (ret) {
		snprintf(err, errlen, "'%s': cannot lock: %s", path, strerror(-ret));
		goto fail;
	}

	memset(hdr, 0, sizeof(hdr));
	{
		struct bimg tmp = *img;

		tmp.size = (uint64_t)st.st_size;
		n = st.st_size < (off_t)sizeof(hdr) ? st.st_size : (ssize_t)sizeof(hdr);
		ret = n > 0 ? file_pread(&tmp, hdr, sizeof(hdr), 0) : 0;
	}
	if (ret) {
		snprintf(err, errlen, "'%s': %s", path, strerror(-ret));
		goto fail;
	}
	if (fmt == DISK_FMT_AUTO) {
		fmt = qcow2_probe(hdr, (size_t)n) ? DISK_FMT_QCOW2 : DISK_FMT_RAW;
		img->probed = fmt == DISK_FMT_RAW;
	}
	img->fmt = fmt;
	if (fmt == DISK_FMT_QCOW2) {
		if (!qcow2_probe(hdr, (size_t)n)) {
			snprintf(err, errlen, "'%s': format=qcow2 but not a qcow2 image", path);
			goto fail;
		}
		if (qcow2_open(img, depth, err, errlen) < 0)
			goto fail;
	} else {
		/* The guest sees whole sectors; a partial last one is not shown. */
		img->size = (uint64_t)st.st_size & ~(uint64_t)(BLK_SECTOR - 1);
	}
	return img;
fail:
	img_close(img);
	return NULL;
}

void img_close(struct bimg *img)
{
	if (!img)
		return;
	if (img->q)
		qcow2_close(img);
	if (img->fd >= 0)
		close(img->fd); /* drops the OFD lock */
	pthread_mutex_destroy(&img->lock);
	free(img->path);
	free(img);
}
