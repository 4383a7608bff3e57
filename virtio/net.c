// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net on a tap device: one receive and one transmit queue.
 *
 * Back-end: the existing tap named by --net tap=NAME, opened with
 * IFF_VNET_HDR and a 12-byte vnet header, which is exactly virtio 1's
 * struct virtio_net_hdr_mrg_rxbuf: frames go between guest buffers and the
 * tap with readv/writev and no copy, header included. The tap is told
 * which offloads the driver accepted (TUNSETOFFLOAD): those decide what the
 * kernel may hand us (partial checksums, TSO frames); what we write may
 * always carry them.
 *
 * Everything runs on the I/O thread: tap readable (RX), queue kicks
 * (RX: new buffers; TX: new frames), and an eventfd that resumes TX after
 * a full batch so one busy guest cannot starve the loop. n->lock keeps
 * that work apart from activate/reset, which come from vCPU threads with
 * vdev->lock held; interrupts and DEVICE_NEEDS_RESET are raised before
 * n->lock is dropped: once it is, a reset may clear the rings that
 * virtio_notify() reads (the transports' interrupt paths take only their
 * own locks, never vdev->lock).
 *
 * RX: chains are popped until they hold the largest frame the tap may
 * produce (with MRG_RXBUF; without it, one chain per frame), the tap reads
 * straight into them, num_buffers says how many were used, and chains
 * popped but not needed go back to the ring at the end of the batch (the
 * avail index is simply rewound: nothing else consumes the queue). When
 * the guest has no buffers, the tap is not polled until it kicks RX; the
 * kernel queues (and at worst drops) frames meanwhile, as a full NIC does.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "cpu/vm.h"
#include "devices/device.h"
#include "mmio/ioloop.h"
#include "virtio/virtio.h"

#define NET_RXQ	       0
#define NET_TXQ	       1
#define NET_QUEUES     2
#define NET_QUEUE_SIZE 256
#define NET_HDR_LEN    ((uint32_t)sizeof(struct virtio_net_hdr_mrg_rxbuf))
#define NET_BATCH      64    /* frames per handler run, each way */
#define NET_RX_CHAINS  256   /* chains popped ahead for RX */
#define NET_RX_IOVS    1024  /* their buffers (UIO_MAXIOV) */
#define NET_MAX_GSO    65550 /* a TSO frame: 64 KiB IP packet + Ethernet + VLAN */
#define VLAN_HLEN      4

/* The offloads a guest may turn on for RX; each needs the tap's support. */
#define NET_GUEST_OFFLOADS                                                   \
	(1ULL << VIRTIO_NET_F_GUEST_CSUM | 1ULL << VIRTIO_NET_F_GUEST_TSO4 | \
	 1ULL << VIRTIO_NET_F_GUEST_TSO6 | 1ULL << VIRTIO_NET_F_GUEST_ECN)
#define NET_FEATURES                                                                               \
	(1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS | 1ULL << VIRTIO_NET_F_MRG_RXBUF | \
	 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_HOST_TSO4 |                              \
	 1ULL << VIRTIO_NET_F_HOST_TSO6 | 1ULL << VIRTIO_NET_F_HOST_ECN |                          \
	 1ULL << VIRTIO_RING_F_EVENT_IDX | 1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define NET_TUN_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)

/* One popped RX chain: its device-writable buffers are rx_iov[first, first + nr). */
struct rx_chain {
	uint16_t head;
	uint32_t cap;
	unsigned int first, nr;
};

struct net_dev {
	struct virtio_dev vdev;
	char name[24]; /* "virtio-net0" */
	char ifname[IFNAMSIZ];
	int tap_fd;
	int tx_fd; /* eventfd: TX has more after a full batch */
	struct virtio_net_config cfg;

	pthread_mutex_t lock;
	bool active;	 /* DRIVER_OK and not reset */
	bool broken;	 /* a queue is broken: nothing runs until reset */
	bool tap_gone;	 /* the tap vanished (EPOLLERR): not polled any more */
	bool rx_wait;	 /* no guest buffers: the tap waits for an RX kick */
	bool tx_wait;	 /* the tap refused a write (EAGAIN): TX waits for EPOLLOUT */
	uint32_t events; /* what the tap is polled for now */
	bool mrg, guest_csum;
	uint32_t rx_max; /* header + the largest frame the tap may hand us */

	struct vq_elem *elem; /* scratch for vq_pop */
	struct rx_chain rx[NET_RX_CHAINS];
	unsigned int nr_rx;
	struct iovec rx_iov[NET_RX_IOVS];
	unsigned int nr_rx_iov;

	/* --stats; written on the I/O thread, read after it stopped. */
	uint64_t rx_frames, rx_bytes, rx_dropped, rx_waits;
	uint64_t tx_frames, tx_bytes, tx_errors;
	bool tx_error_logged;
};

static struct net_dev *nets[CONFIG_MAX_NETS];
static unsigned int nr_nets;

/* What a handler found that must be acted on once n->lock is dropped. */
struct net_after {
	bool notify[NET_QUEUES];
	const char *broken;
	bool config_changed;
};

static void net_set_events(struct net_dev *n)
{
	uint32_t ev = 0;

	if (n->active && !n->broken && !n->tap_gone) {
		if (!n->rx_wait)
			ev |= EPOLLIN;
		if (n->tx_wait)
			ev |= EPOLLOUT;
	}
	if (ev != n->events && ioloop_mod(n->tap_fd, ev) == 0)
		n->events = ev;
}

static void net_fail(struct net_dev *n, struct virtqueue *vq, struct net_after *a)
{
	n->broken = true;
	a->broken = vq->why_broken ? vq->why_broken : "broken queue";
	net_set_events(n);
}

/* Copy @len bytes into the iovec array at byte @off (a header field). */
static void iov_put(const struct iovec *iov, unsigned int cnt, size_t off, const void *src,
		    size_t len)
{
	for (unsigned int i = 0; i < cnt && len; i++) {
		size_t n;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		n = iov[i].iov_len - off;
		if (n > len)
			n = len;
		memcpy((uint8_t *)iov[i].iov_base + off, src, n);
		src = (const uint8_t *)src + n;
		len -= n;
		off = 0;
	}
}

/*
 * Pop RX chains until those from @from on hold @need bytes. 1 when they do,
 * 0 when the ring ran out first, 2 when our pool did, -EIO when the queue
 * broke.
 */
static int rx_fill(struct net_dev *n, struct virtqueue *vq, unsigned int from, uint32_t need)
{
	struct vq_elem *e = n->elem;
	uint64_t cap = 0;

	for (unsigned int i = from; i < n->nr_rx; i++)
		cap += n->rx[i].cap;
	while (cap < need) {
		struct rx_chain *c;
		int r;

		if (n->nr_rx == NET_RX_CHAINS)
			return 2;
		r = vq_pop(vq, e);
		if (r <= 0)
			return r;
		if (e->nr_in == 0)
			return vq_fail(vq, "RX chain without a device-writable buffer");
		if (e->in_len < NET_HDR_LEN)
			return vq_fail(vq, "RX buffer smaller than the virtio-net header");
		if (n->nr_rx_iov + e->nr_in > NET_RX_IOVS) {
			vq->last_avail--; /* no room for its iovecs: give it back */
			return 2;
		}
		c = &n->rx[n->nr_rx++];
		c->head = e->head;
		c->cap = e->in_len > UINT32_MAX ? UINT32_MAX : (uint32_t)e->in_len;
		c->first = n->nr_rx_iov;
		c->nr = e->nr_in;
		memcpy(&n->rx_iov[c->first], &e->iov[e->nr_out], e->nr_in * sizeof(struct iovec));
		n->nr_rx_iov += e->nr_in;
		cap += c->cap;
	}
	return 1;
}

/* Tap -> guest, up to NET_BATCH frames. */
static void net_rx(struct net_dev *n, struct net_after *a)
{
	struct virtqueue *vq = &n->vdev.vqs[NET_RXQ];
	unsigned int cur = 0, frames = 0, rechecks = 0;
	bool wait = !vq->avail; /* a queue the driver never enabled has no buffers */

	/* Rechecks are bounded as in net_tx(); the tap stays polled, so we come back. */
	while (!wait && frames < NET_BATCH && rechecks < NET_BATCH) {
		struct rx_chain *c;
		unsigned int cnt, k;
		uint64_t cap = 0;
		uint16_t nbuf;
		ssize_t len;
		size_t left;
		int r;

		r = rx_fill(n, vq, cur, n->mrg ? n->rx_max : 1);
		if (r < 0) {
			net_fail(n, vq, a);
			break;
		}
		if (r == 2 && cur == n->nr_rx)
			break; /* the pool is used up: the batch ends, the tap stays polled */
		if (cur == n->nr_rx || (r == 0 && n->mrg)) {
			/*
			 * Not enough room for the largest frame: wait for the
			 * guest rather than drop what the tap has. Unless our
			 * pool is what is full: then try, and drop if too big.
			 */
			if (!vq_enable_kicks(vq)) {
				wait = true;
				break;
			}
			rechecks++;
			vq_disable_kicks(vq);
			continue;
		}
		c = &n->rx[cur];
		if (n->mrg) {
			cnt = n->nr_rx_iov - c->first;
			for (unsigned int i = cur; i < n->nr_rx; i++)
				cap += n->rx[i].cap;
		} else {
			cnt = c->nr;
			cap = c->cap;
		}
		len = readv(n->tap_fd, &n->rx_iov[c->first], (int)cnt);
		if (len < 0)
			break; /* EAGAIN: the tap is empty */
		if ((uint64_t)len > cap || (size_t)len < NET_HDR_LEN) {
			/* The tap says how long the frame was, not what it copied. */
			n->rx_dropped++;
			frames++;
			continue; /* the same buffers take the next frame */
		}
		/* Without GUEST_CSUM the flags must be 0 (no DATA_VALID either). */
		if (!n->guest_csum) {
			uint8_t zero = 0;

			iov_put(&n->rx_iov[c->first], cnt, 0, &zero, 1);
		}
		/* How many chains the frame took; the header says so before they are used. */
		left = (size_t)len;
		for (k = 0; left; k++)
			left -= left < n->rx[cur + k].cap ? left : n->rx[cur + k].cap;
		nbuf = (uint16_t)k; /* little-endian, as virtio 1 and x86 are */
		iov_put(&n->rx_iov[c->first], cnt,
			offsetof(struct virtio_net_hdr_mrg_rxbuf, num_buffers), &nbuf,
			sizeof(nbuf));
		left = (size_t)len;
		for (unsigned int i = 0; i < k; i++) {
			uint32_t used =
				left < n->rx[cur + i].cap ? (uint32_t)left : n->rx[cur + i].cap;

			left -= used;
			vq_push(vq, n->rx[cur + i].head, used);
		}
		cur += k;
		frames++;
		n->rx_frames++;
		n->rx_bytes += (uint64_t)len - NET_HDR_LEN;
		a->notify[NET_RXQ] = true;
	}
	/* Chains popped but not filled go back: we are the queue's only reader. */
	if (!n->broken)
		vq->last_avail -= (uint16_t)(n->nr_rx - cur);
	n->nr_rx = 0;
	n->nr_rx_iov = 0;
	if (wait && !n->rx_wait) {
		n->rx_wait = true;
		n->rx_waits++;
		net_set_events(n);
	}
}

/* Guest -> tap, up to NET_BATCH frames; more is resumed through tx_fd. */
static void net_tx(struct net_dev *n, struct net_after *a)
{
	struct virtqueue *vq = &n->vdev.vqs[NET_TXQ];
	struct vq_elem *e = n->elem;
	unsigned int frames = 0, rechecks = 0;

	if (!vq->avail)
		return; /* never enabled: nothing to send */
	vq_disable_kicks(vq);
	for (;;) {
		ssize_t len;
		int r;

		/*
		 * A full batch, or too many "more came meanwhile": a ring the
		 * driver laid over our own flag/event writes can say so forever.
		 */
		if (frames == NET_BATCH || rechecks == NET_BATCH) {
			uint64_t one = 1;

			if (write(n->tx_fd, &one, sizeof(one)) < 0)
				vq_enable_kicks(vq); /* cannot happen; kicks still work */
			break;
		}
		r = vq_pop(vq, e);
		if (r < 0) {
			net_fail(n, vq, a);
			break;
		}
		if (r == 0) {
			if (!vq_enable_kicks(vq))
				break;
			rechecks++;
			vq_disable_kicks(vq);
			continue;
		}
		if (e->out_len < NET_HDR_LEN) {
			vq_fail(vq, "TX chain shorter than the virtio-net header");
			net_fail(n, vq, a);
			break;
		}
		len = writev(n->tap_fd, e->iov, (int)e->nr_out);
		if (len < 0 && errno == EAGAIN) {
			vq->last_avail--; /* retried when the tap can take it */
			n->tx_wait = true;
			net_set_events(n);
			break;
		}
		if (len < 0) {
			/* A frame the tap refuses (bad GSO header, ...): dropped. */
			if (!n->tx_error_logged)
				fprintf(stderr, "vmm: %s: tap %s refused a frame: %s\n", n->name,
					n->ifname, strerror(errno));
			n->tx_error_logged = true;
			n->tx_errors++;
		} else {
			n->tx_frames++;
			n->tx_bytes += e->out_len - NET_HDR_LEN;
		}
		vq_push(vq, e->head, 0);
		a->notify[NET_TXQ] = true;
		frames++;
	}
}

static void net_after(struct net_dev *n, const struct net_after *a)
{
	if (a->broken)
		virtio_needs_reset(&n->vdev, a->broken);
	if (a->config_changed)
		virtio_config_changed(&n->vdev);
	for (unsigned int q = 0; q < NET_QUEUES; q++)
		if (a->notify[q])
			virtio_notify(&n->vdev, q);
}

static bool net_running(const struct net_dev *n)
{
	return n->active && !n->broken;
}

static void net_tap_event(void *opaque, uint32_t events)
{
	struct net_dev *n = opaque;
	struct net_after a = { 0 };

	pthread_mutex_lock(&n->lock);
	if (events & (EPOLLERR | EPOLLHUP)) {
		/* Reported even when not asked for: stop watching for good. */
		fprintf(stderr, "vmm: %s: tap %s is gone; the link is down\n", n->name, n->ifname);
		ioloop_del(n->tap_fd);
		n->tap_gone = true;
		/* The driver learns it from the status field (VIRTIO_NET_F_STATUS). */
		__atomic_store_n(&n->cfg.status, 0, __ATOMIC_RELEASE);
		a.config_changed = true;
	} else if (net_running(n)) {
		if ((events & EPOLLOUT) && n->tx_wait) {
			n->tx_wait = false;
			net_set_events(n);
			net_tx(n, &a);
		}
		if ((events & EPOLLIN) && !n->rx_wait && net_running(n))
			net_rx(n, &a);
	}
	net_after(n, &a);
	pthread_mutex_unlock(&n->lock);
}

static void net_tx_more(void *opaque, uint32_t events)
{
	struct net_dev *n = opaque;
	struct net_after a = { 0 };
	uint64_t v;

	if (read(n->tx_fd, &v, sizeof(v)) < 0)
		return;
	pthread_mutex_lock(&n->lock);
	if (net_running(n) && !n->tx_wait)
		net_tx(n, &a);
	net_after(n, &a);
	pthread_mutex_unlock(&n->lock);
}

static void net_queue_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct net_dev *n = vdev->priv;
	struct net_after a = { 0 };

	pthread_mutex_lock(&n->lock);
	if (net_running(n) && q == NET_RXQ) {
		/* New buffers: poll the tap again (kicks are off while we do). */
		if (n->rx_wait) {
			n->rx_wait = false;
			net_set_events(n);
		}
		vq_disable_kicks(&vdev->vqs[NET_RXQ]);
		if (!n->tap_gone)
			net_rx(n, &a);
	} else if (net_running(n) && q == NET_TXQ && !n->tx_wait) {
		net_tx(n, &a);
	}
	net_after(n, &a);
	pthread_mutex_unlock(&n->lock);
}

/* The tap's MTU (in this network namespace), or 1500. */
static unsigned int tap_mtu(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unsigned int mtu = ETH_DATA_LEN;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (s >= 0 && ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		mtu = (unsigned int)ifr.ifr_mtu;
	if (s >= 0)
		close(s);
	return mtu;
}

static int net_activate(struct virtio_dev *vdev)
{
	struct net_dev *n = vdev->priv;
	unsigned int offl = 0;
	bool tso;

	if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM)) {
		/* The tap takes TSO only with checksum offload, as the spec pairs them. */
		offl |= TUN_F_CSUM;
		if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO4))
			offl |= TUN_F_TSO4;
		if (virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_TSO6))
			offl |= TUN_F_TSO6;
		if ((offl & (TUN_F_TSO4 | TUN_F_TSO6)) &&
		    virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_ECN))
			offl |= TUN_F_TSO_ECN;
	}
	tso = offl & (TUN_F_TSO4 | TUN_F_TSO6);
	if (ioctl(n->tap_fd, TUNSETOFFLOAD, offl) < 0)
		return -errno;

	pthread_mutex_lock(&n->lock);
	n->mrg = virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
	n->guest_csum = offl & TUN_F_CSUM;
	n->rx_max = NET_HDR_LEN + (tso ? NET_MAX_GSO : tap_mtu(n->ifname) + ETH_HLEN + VLAN_HLEN);
	n->nr_rx = n->nr_rx_iov = 0;
	n->rx_wait = n->tx_wait = false;
	n->broken = false;
	n->active = true;
	net_set_events(n);
	pthread_mutex_unlock(&n->lock);
	return 0;
}

static void net_reset(struct virtio_dev *vdev)
{
	struct net_dev *n = vdev->priv;

	pthread_mutex_lock(&n->lock); /* waits for a handler that is running */
	n->active = false;
	n->broken = false;
	n->rx_wait = n->tx_wait = false;
	n->nr_rx = n->nr_rx_iov = 0;
	if (n->tap_fd >= 0) {
		net_set_events(n);
		/* The next driver may not want offloads: no partial checksums or TSO frames. */
		ioctl(n->tap_fd, TUNSETOFFLOAD, 0);
	}
	pthread_mutex_unlock(&n->lock);
}

static void net_config_read(struct virtio_dev *vdev, uint32_t off, void *buf, uint32_t len)
{
	struct net_dev *n = vdev->priv;

	memset(buf, 0, len);
	if (off < sizeof(n->cfg))
		memcpy(buf, (uint8_t *)&n->cfg + off,
		       len < sizeof(n->cfg) - off ? len : sizeof(n->cfg) - off);
}

/* The MAC is read-only in virtio 1 (no CTRL_MAC_ADDR); writes are ignored. */
static void net_config_write(struct virtio_dev *vdev, uint32_t off, const void *buf, uint32_t len)
{
}

static void net_print_stats(struct virtio_dev *vdev, FILE *f)
{
	struct net_dev *n = vdev->priv;

	fprintf(f,
		"  tap %s: rx %llu frames %llu bytes (%llu dropped, %llu waits for buffers), "
		"tx %llu frames %llu bytes (%llu refused by the tap)\n",
		n->ifname, (unsigned long long)n->rx_frames, (unsigned long long)n->rx_bytes,
		(unsigned long long)n->rx_dropped, (unsigned long long)n->rx_waits,
		(unsigned long long)n->tx_frames, (unsigned long long)n->tx_bytes,
		(unsigned long long)n->tx_errors);
}

static const struct virtio_dev_ops net_ops = {
	.config_read = net_config_read,
	.config_write = net_config_write,
	.activate = net_activate,
	.reset = net_reset,
	.queue_notify = net_queue_notify,
	.print_stats = net_print_stats,
};

/*
 * Attach to the existing tap @ifname. TUNSETIFF would create a missing
 * one, so its absence is checked first. -1 after one error line.
 */
static int tap_open(struct net_dev *n, const char *ifname, uint64_t *offloads)
{
	struct ifreq ifr = { 0 };
	unsigned int feat = 0;
	int hdr = NET_HDR_LEN;
	const char *why;
	int fd;

	if (!if_nametoindex(ifname)) {
		fprintf(stderr, "vmm: --net tap=%s: no such network interface\n", ifname);
		return -1;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "vmm: --net tap=%s: /dev/net/tun: %s\n", ifname, strerror(errno));
		return -1;
	}
	if (ioctl(fd, TUNGETFEATURES, &feat) < 0 || !(feat & IFF_VNET_HDR)) {
		fprintf(stderr, "vmm: --net tap=%s: the kernel's tun has no IFF_VNET_HDR\n",
			ifname);
		goto fail;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		switch (errno) {
		case EINVAL: why = "not a tap device (or a tun, or multi-queue)"; break;
		case EBUSY: why = "already in use by another process"; break;
		case EPERM: why = "permission denied (not its owner and no CAP_NET_ADMIN)"; break;
		default: why = strerror(errno);
		}
		fprintf(stderr, "vmm: --net tap=%s: %s\n", ifname, why);
		goto fail;
	}
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		fprintf(stderr, "vmm: --net tap=%s: TUNSETVNETHDRSZ: %s\n", ifname,
			strerror(errno));
		goto fail;
	}
	/* Offer the guest only the RX offloads this tap can deliver. */
	*offloads = 0;
	if (ioctl(fd, TUNSETOFFLOAD, NET_TUN_OFFLOADS) == 0)
		*offloads = NET_GUEST_OFFLOADS;
	ioctl(fd, TUNSETOFFLOAD, 0);
	snprintf(n->ifname, sizeof(n->ifname), "%s", ifname);
	return fd;
fail:
	close(fd);
	return -1;
}

static int net_create(struct vm *vm, unsigned int index)
{
	const struct net_opts *o = &vm->cfg->nets[index];
	struct net_dev *n = calloc(1, sizeof(*n));
	uint64_t offloads = 0;
	int ret;

	if (!n)
		return -ENOMEM;
	n->elem = malloc(sizeof(*n->elem));
	n->tap_fd = n->elem ? tap_open(n, o->tap, &offloads) : -1;
	if (n->tap_fd < 0) {
		free(n->elem);
		free(n);
		return -ECANCELED; /* reported */
	}
	n->tx_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pthread_mutex_init(&n->lock, NULL);
	snprintf(n->name, sizeof(n->name), "virtio-net%u", index);
	if (o->mac_set) {
		memcpy(n->cfg.mac, o->mac, ETH_ALEN);
	} else {
		/* QEMU's default OUI: locally administered. */
		static const uint8_t def[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

		memcpy(n->cfg.mac, def, ETH_ALEN);
		n->cfg.mac[5] = (uint8_t)(0x56 + index);
	}
	n->cfg.status = VIRTIO_NET_S_LINK_UP;
	n->cfg.max_virtqueue_pairs = 1;

	n->vdev.name = n->name;
	n->vdev.device_id = VIRTIO_ID_NET;
	n->vdev.host_features = NET_FEATURES | offloads;
	n->vdev.nr_queues = NET_QUEUES;
	n->vdev.queue_max = NET_QUEUE_SIZE;
	n->vdev.config_size = offsetof(struct virtio_net_config, mtu);
	n->vdev.ops = &net_ops;
	n->vdev.priv = n;
	n->vdev.transport = config_transport(vm->cfg, o->transport);

	/* Watched from the start for nothing: net_set_events() turns it on. */
	if (n->tx_fd < 0 || ioloop_add(n->tap_fd, 0, net_tap_event, n) < 0 ||
	    ioloop_add(n->tx_fd, EPOLLIN, net_tx_more, n) < 0) {
		ret = -errno;
		goto fail;
	}
	ret = virtio_dev_create(vm, &n->vdev);
	if (ret < 0)
		goto fail;
	nets[nr_nets++] = n;
	return 0;
fail:
	fprintf(stderr, "vmm: %s (tap %s): %s\n", n->name, n->ifname, strerror(-ret));
	ioloop_del(n->tap_fd);
	if (n->tx_fd >= 0)
		ioloop_del(n->tx_fd);
	close(n->tap_fd);
	if (n->tx_fd >= 0)
		close(n->tx_fd);
	free(n->elem);
	free(n);
	return -ECANCELED;
}

static int net_init(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->cfg->nr_nets; i++) {
		int ret = net_create(vm, i);

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The I/O thread has stopped: nothing uses the taps any more. */
static void net_shutdown(struct vm *vm)
{
	for (unsigned int i = 0; i < nr_nets; i++) {
		struct net_dev *n = nets[i];

		if (n->tap_fd >= 0) {
			ioloop_del(n->tap_fd);
			close(n->tap_fd);
			n->tap_fd = -1;
		}
	}
}

struct device virtio_net_device = {
	.name = "virtio-net",
	.level = DEV_LEVEL_DEVICE,
	.init = net_init,
	.shutdown = net_shutdown,
};
device_init(virtio_net_device);
