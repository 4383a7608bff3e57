// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net's ring work against a malicious driver: the input is a
 * header (queue sizes, ring addresses, negotiated features, frame sizes)
 * and the first 64 KiB of guest memory (descriptors, rings, indirect
 * tables). A socketpair stands in for the tap (SOCK_SEQPACKET keeps frame
 * boundaries); frames are queued on it, then virtio/net.c receives them
 * into the guest's RX buffers and sends the guest's TX chains, as the I/O
 * thread would. ASan checks every byte it touches is guest RAM or its own;
 * a bad ring must end in a broken queue, never a crash or a hang.
 *
 * virtio/net.c is included, so its static functions are reachable; the
 * rest of vmm it calls (I/O thread, virtio core, registration) is stubbed.
 */
#include <sys/socket.h>

#include "virtio/net.c"

#define RAM_SIZE (1u << 20)
#define WINDOW	 (64u << 10)
#define RINGS	 8192
#define HDR	 24

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stubs: what net.c needs from the rest of vmm. */
int ioloop_add(int fd, uint32_t events, ioloop_fn fn, void *opaque)
{
	return 0;
}

int ioloop_mod(int fd, uint32_t events)
{
	return 0;
}

void ioloop_del(int fd)
{
}

static unsigned int notifies, resets;

void virtio_notify(struct virtio_dev *vdev, unsigned int q)
{
	if (q >= NET_QUEUES)
		__builtin_trap();
	notifies++;
}

void virtio_needs_reset(struct virtio_dev *vdev, const char *why)
{
	if (!why)
		__builtin_trap();
	resets++;
}

void virtio_config_changed(struct virtio_dev *vdev)
{
}

bool virtio_has_feature(const struct virtio_dev *vdev, unsigned int bit)
{
	return bit < 64 && (vdev->driver_features >> bit & 1);
}

int virtio_dev_create(struct vm *vm, struct virtio_dev *vdev)
{
	return -ENODEV;
}

enum virtio_transport config_transport(const struct config *c, enum virtio_transport t)
{
	return VT_PCI;
}

void device_register(struct device *dev)
{
}

static struct guest_mem mem;
static struct net_dev *n;
static int peer_fd;
static uint8_t frame[16384];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int sv[2];

	if (mem_init(&mem, RAM_SIZE) || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv))
		return 1;
	n = calloc(1, sizeof(*n));
	n->elem = malloc(sizeof(*n->elem));
	pthread_mutex_init(&n->lock, NULL);
	snprintf(n->name, sizeof(n->name), "virtio-net0");
	n->tap_fd = sv[0];
	peer_fd = sv[1];
	n->tx_fd = eventfd(0, EFD_NONBLOCK);
	n->vdev.priv = n;
	n->vdev.nr_queues = NET_QUEUES;
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7);
	return 0;
}

static uint64_t ring_addr(const uint8_t *p, unsigned int align)
{
	uint32_t v = p[0] | p[1] << 8 | (uint32_t)p[2] << 16;

	if (p[2] & 0x80)
		return (uint64_t)v << 20 | v; /* outside RAM or straddling its end */
	return (v % RINGS) & ~(uint64_t)(align - 1);
}

static void drain(int fd)
{
	uint8_t b[256];

	while (read(fd, b, sizeof(b)) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_after a = { 0 };
	uint8_t flags;
	size_t len;

	if (size < HDR)
		return 0;
	flags = data[0];
	len = size - HDR;
	if (!len) {
		memset(mem.base, 0, WINDOW);
	} else {
		memcpy(mem.base, data + HDR, len < WINDOW ? len : WINDOW);
		for (size_t filled = len; filled < WINDOW; filled *= 2)
			memcpy(mem.base + filled, mem.base,
			       filled <= WINDOW - filled ? filled : WINDOW - filled);
	}

	for (unsigned int q = 0; q < NET_QUEUES; q++) {
		struct virtqueue *vq = &n->vdev.vqs[q];
		const uint8_t *p = data + 1 + 10 * q;

		vq_reset(vq);
		vq->size = 1u << (p[0] % 9);
		vq->desc_gpa = ring_addr(p + 1, 16);
		vq->avail_gpa = ring_addr(p + 4, 2);
		vq->used_gpa = ring_addr(p + 7, 4);
		vq->event_idx = flags & 1;
		vq->indirect = flags & 2;
		vq->ready = true;
		if (vq_start(vq, &mem) < 0 && !(flags & 0x80))
			return 0;
		vq->last_avail = p[9];
	}
	n->active = true;
	n->broken = n->rx_wait = n->tx_wait = n->tap_gone = false;
	n->nr_rx = n->nr_rx_iov = 0;
	n->mrg = flags & 4;
	n->guest_csum = flags & 8;
	n->rx_max = NET_HDR_LEN + (flags & 16 ? NET_MAX_GSO : 1518);

	/* Frames from the "tap": each at least a header, some bigger than any buffer. */
	for (unsigned int i = 0; i < 4; i++) {
		size_t flen = NET_HDR_LEN + (data[21 + (i & 1)] << (i + 2)) % (sizeof(frame) - 12);

		if (write(peer_fd, frame, flen) < 0)
			break;
	}
	for (int round = 0; round < 3 && !n->broken; round++) {
		n->rx_wait = false;
		net_rx(n, &a);
		net_tx(n, &a);
	}
	if (n->broken != !!a.broken)
		__builtin_trap();
	drain(peer_fd);
	drain(n->tap_fd);
	drain(n->tx_fd);
	return 0;
}
