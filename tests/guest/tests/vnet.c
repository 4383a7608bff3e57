// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net: exchange the frames of vnet.h with the host's netpeer
 * (tests/integration/netpeer.c) on the tap behind the device, and check
 * what arrives byte for byte.
 *
 * Command line:
 *	offload=1	negotiate CSUM, GUEST_CSUM, HOST_TSO4, GUEST_TSO4: the UDP
 *			frame goes out with a partial checksum (NEEDS_CSUM), a TSO
 *			frame follows, and the peer's come back the same way
 *	mrg=0		no MRG_RXBUF: each RX buffer (header and data as two
 *			descriptors) holds a whole frame
 *	rxbuf=N		RX buffer bytes (default 2048 with mrg, else what the spec
 *			asks: 1526, or 65562 with TSO)
 *	mode=tx|rx	benchmark: send 64-byte frames for secs=N seconds, or count
 *			what the peer floods for that long
 *			(rxwait=MS: how long to wait for the first one)
 *	index=N		use the N-th virtio-net device (default 0)
 *	mode=badtx|badrx  first a broken chain on that queue (DEVICE_NEEDS_RESET
 *			expected), then a reset and the normal exchange
 *
 * The MAC comes from the device's config space; the peer is told it too.
 */
#include <linux/virtio_net.h>

#include "kit.h"
#include "virtio.h"
#include "vnet.h"

#define RXQ	 0
#define TXQ	 1
#define QSIZE	 256
#define HDR	 ((uint32_t)sizeof(struct virtio_net_hdr_mrg_rxbuf))
#define RX_POOL	 (1024 * 1024)
#define TX_SLOTS 64
#define TX_SLOT	 4352 /* header + the TSO frame */

static struct kv_dev dev;
static struct kv_queue rxq, txq;
static uint8_t rx_pool[RX_POOL] __attribute__((aligned(4096)));
static uint8_t rx_hdr[QSIZE][HDR]; /* mrg=0: the header's own descriptor */
static int rx_buf_of_head[QSIZE];  /* which buffer a used head is */
static uint8_t tx_slot[TX_SLOTS][TX_SLOT] __attribute__((aligned(64)));
static unsigned int tx_next, tx_done; /* frames queued, frames completed (in order) */
static uint8_t frame[VNET_MAX_FRAME + 65536], want[VNET_MAX_FRAME];

static uint8_t mac[6];
static bool offload, mrg;
static uint32_t rxbuf, nr_rx;

static void rx_post(uint32_t i)
{
	struct kv_buf b[2];
	int head;

	if (mrg) {
		b[0].addr = rx_pool + (uint64_t)i * rxbuf;
		b[0].len = rxbuf;
		head = kv_submit(&rxq, b, 0, 1);
	} else {
		b[0].addr = rx_hdr[i];
		b[0].len = HDR;
		b[1].addr = rx_pool + (uint64_t)i * rxbuf;
		b[1].len = rxbuf - HDR;
		head = kv_submit(&rxq, b, 0, 2);
	}
	if (head < 0)
		kit_fail("vnet: RX queue full");
	rx_buf_of_head[head] = (int)i;
}

/* Copy @len bytes of RX buffer @i, from @off, to @dst. */
static void rx_copy(uint32_t i, uint32_t off, uint8_t *dst, uint32_t len)
{
	for (uint32_t k = 0; k < len; k++, off++) {
		if (!mrg && off < HDR)
			dst[k] = rx_hdr[i][off];
		else
			dst[k] = rx_pool[(uint64_t)i * rxbuf + off - (mrg ? 0 : HDR)];
	}
}

/*
 * The next frame (header in @h) within @timeout_us: its length, or -1. Its
 * buffers go back to the device at once.
 */
static int rx_frame(struct virtio_net_hdr_mrg_rxbuf *h, uint64_t timeout_us, uint32_t *nbuf)
{
	uint32_t len, total = 0, n;
	int head, i;

	/* As Linux's NAPI poll: buffers go back at once, the kick waits until idle. */
	head = kv_poll(&rxq, &len);
	if (head < 0) {
		kv_kick(&rxq);
		head = kv_wait(&rxq, &len, timeout_us);
	}
	if (head < 0)
		return -1;
	i = rx_buf_of_head[head];
	if (len < HDR || len > rxbuf)
		kit_fail("vnet: RX used length %u (buffer %u)", len, rxbuf);
	rx_copy(i, 0, (uint8_t *)h, HDR);
	rx_copy(i, HDR, frame, len - HDR);
	total = len - HDR;
	rx_post(i);
	/* Without MRG_RXBUF the spec says num_buffers is 1; QEMU 7.2 leaves 0: ignored, as Linux
	 * does. */
	n = mrg ? h->num_buffers : 1;
	if (!n)
		kit_fail("vnet: num_buffers 0");
	for (uint32_t b = 1; b < n; b++) {
		head = kv_wait(&rxq, &len, 1000000);
		if (head < 0)
			kit_fail("vnet: buffer %u of %u missing", b + 1, n);
		i = rx_buf_of_head[head];
		if (len > rxbuf || total + len > sizeof(frame))
			kit_fail("vnet: RX used length %u", len);
		rx_copy(i, 0, frame + total, len);
		total += len;
		rx_post(i);
	}
	*nbuf = n;
	return (int)total;
}

/* Send @len bytes of @f with header @h; odd slots put them in one descriptor. */
static void tx_frame(const uint8_t *f, uint32_t len, const struct virtio_net_hdr_mrg_rxbuf *h,
		     bool kick)
{
	uint8_t *s = tx_slot[tx_next % TX_SLOTS];
	struct kv_buf b[2];
	uint32_t ulen;
	int head;

	/* Reclaim what the device has sent; wait when every slot is in flight. */
	while (kv_poll(&txq, &ulen) >= 0)
		tx_done++;
	while (txq.nr_free < 2 || tx_next - tx_done >= TX_SLOTS) {
		if (kv_wait(&txq, &ulen, 1000000) < 0)
			kit_fail("vnet: TX does not complete");
		tx_done++;
	}
	memcpy(s, h, HDR);
	memcpy(s + HDR, f, len);
	if (tx_next & 1) {
		b[0].addr = s;
		b[0].len = HDR + len;
		head = kv_submit(&txq, b, 1, 0);
	} else {
		b[0].addr = s;
		b[0].len = HDR;
		b[1].addr = s + HDR;
		b[1].len = len;
		head = kv_submit(&txq, b, 2, 0);
	}
	if (head < 0)
		kit_fail("vnet: TX queue full");
	tx_next++;
	if (kick)
		kv_kick(&txq);
}

static void send_all(void)
{
	struct virtio_net_hdr_mrg_rxbuf h = { 0 };
	uint8_t f[VNET_MAX_FRAME];
	uint32_t len;

	for (unsigned int i = 0; i < VNET_NR_DATA; i++) {
		len = vnet_data_frame(f, vnet_data_len[i], VNET_KIND_DATA, VNET_TO_PEER, i,
				      vnet_peer_mac, mac);
		tx_frame(f, len, &h, i % 4 == 3); /* batches of four per kick */
	}
	len = vnet_udp_frame(f, VNET_TO_PEER, vnet_peer_mac, mac, offload);
	if (offload) {
		h.hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.hdr.csum_start = VNET_L4_OFF;
		h.hdr.csum_offset = 6;
	}
	tx_frame(f, len, &h, true);
	if (offload) {
		len = vnet_tso_frame(f, VNET_TO_PEER, vnet_peer_mac, mac);
		h.hdr.csum_offset = 16;
		h.hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		h.hdr.gso_size = VNET_TSO_MSS;
		h.hdr.hdr_len = VNET_L4_OFF + 20;
		tx_frame(f, len, &h, true);
	}
}

static bool is_ip(const uint8_t *f, int n, uint8_t proto)
{
	return n > VNET_L4_OFF && f[12] == 0x08 && f[13] == 0 && f[23] == proto &&
	       !memcmp(f, mac, 6);
}

static void check_data(int n, uint32_t nbuf)
{
	unsigned int i = frame[16];

	if (frame[15] != VNET_TO_GUEST || i >= VNET_NR_DATA)
		kit_fail("vnet: unexpected data frame (dir %u index %u)", frame[15], i);
	if ((unsigned int)n != vnet_data_len[i])
		kit_fail("vnet: data %u: %d bytes, expected %u", i, n, vnet_data_len[i]);
	vnet_data_frame(want, n, VNET_KIND_DATA, VNET_TO_GUEST, i, mac, vnet_peer_mac);
	for (int k = 0; k < n; k++)
		if (frame[k] != want[k])
			kit_fail("vnet: data %u: byte %d is 0x%02x, expected 0x%02x", i, k,
				 frame[k], want[k]);
	kit_printf("KIT: vnet rx data %u len %d buffers %u ok\n", i, n, nbuf);
}

static void check_udp(int n, const struct virtio_net_hdr_mrg_rxbuf *h)
{
	uint32_t len = vnet_udp_frame(want, VNET_TO_GUEST, mac, vnet_peer_mac, 0);
	bool partial = h->hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;

	if ((uint32_t)n != len)
		kit_fail("vnet: udp: %d bytes, expected %u", n, len);
	/* With GUEST_CSUM the host may leave the checksum to us; without, never. */
	if (partial != offload)
		kit_fail("vnet: udp: flags %u with offload=%d", h->hdr.flags, offload);
	if (partial) {
		if (h->hdr.csum_start != VNET_L4_OFF || h->hdr.csum_offset != 6)
			kit_fail("vnet: udp: csum_start %u csum_offset %u", h->hdr.csum_start,
				 h->hdr.csum_offset);
		vnet_csum_complete(frame, len, h->hdr.csum_start, h->hdr.csum_offset);
	}
	if (!vnet_l4_csum_ok(frame, len) || memcmp(frame, want, len))
		kit_fail("vnet: udp: wrong bytes or checksum");
	kit_printf("KIT: vnet rx udp len %d checksum %s ok\n", n,
		   partial ? "partial, completed here" : "complete");
}

static void check_tso(int n, const struct virtio_net_hdr_mrg_rxbuf *h, uint32_t nbuf)
{
	uint32_t len = vnet_tso_frame(want, VNET_TO_GUEST, mac, vnet_peer_mac);

	if (!offload)
		kit_fail("vnet: a TCP frame without offloads");
	if ((uint32_t)n != len || h->hdr.gso_type != VIRTIO_NET_HDR_GSO_TCPV4 ||
	    h->hdr.gso_size != VNET_TSO_MSS || !(h->hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		kit_fail("vnet: tso: len %d gso_type %u gso_size %u flags %u", n, h->hdr.gso_type,
			 h->hdr.gso_size, h->hdr.flags);
	if (memcmp(frame, want, len))
		kit_fail("vnet: tso: wrong bytes");
	kit_printf("KIT: vnet rx tso len %d gso_size %u in %s ok\n", n, h->hdr.gso_size,
		   nbuf > 1 ? "several buffers" : "one buffer");
}

static void run_check(void)
{
	unsigned int data = 0, udp = 0, tso = 0, other = 0, want_tso = offload ? 1 : 0;
	struct virtio_net_hdr_mrg_rxbuf h;
	uint32_t nbuf;
	int n;

	send_all();
	while (data < VNET_NR_DATA || !udp || tso < want_tso) {
		n = rx_frame(&h, 20000000, &nbuf);
		if (n < 0)
			kit_fail("vnet: timeout after %u data, %u udp, %u tso frames", data, udp,
				 tso);
		if (n >= 18 && frame[12] == VNET_ETHERTYPE >> 8 &&
		    frame[13] == (VNET_ETHERTYPE & 0xff) && frame[14] == VNET_KIND_DATA) {
			check_data(n, nbuf);
			data++;
		} else if (is_ip(frame, n, 17)) {
			check_udp(n, &h);
			udp++;
		} else if (is_ip(frame, n, 6)) {
			check_tso(n, &h, nbuf);
			tso++;
		} else {
			other++; /* the host's own chatter, if any */
		}
	}
	kit_printf("KIT: vnet received %u data, %u udp, %u tso frames\n", data, udp, tso);
}

/* Benchmark: send 64-byte frames for @secs seconds, 32 per kick. */
static void run_tx(long secs)
{
	struct virtio_net_hdr_mrg_rxbuf h = { 0 };
	uint64_t start = kit_now_us(), end = start + secs * 1000000, frames = 0;
	uint8_t f[64];

	vnet_data_frame(f, 64, VNET_KIND_DATA, VNET_TO_PEER, 0, vnet_peer_mac, mac);
	while (kit_now_us() < end)
		for (int k = 0; k < 32; k++, frames++)
			tx_frame(f, 64, &h, k == 31);
	kit_printf("KIT: vnet tx %llu frames in %llu us\n", (unsigned long long)frames,
		   (unsigned long long)(kit_now_us() - start));
}

/* Benchmark: count data frames until none came for a second. */
static void run_rx(long secs)
{
	struct virtio_net_hdr_mrg_rxbuf h;
	uint64_t first = 0, last = 0, frames = 0;
	uint32_t nbuf;
	int n;

	uint64_t first_wait = kit_cmdline_long("rxwait", (secs + 30) * 1000) * 1000;

	while ((n = rx_frame(&h, frames ? 1000000 : first_wait, &nbuf)) >= 0) {
		if (n >= 18 && frame[14] == VNET_KIND_DATA) {
			last = kit_now_us();
			if (!frames++)
				first = last;
		}
	}
	kit_printf("KIT: vnet rx %llu frames in %llu us\n", (unsigned long long)frames,
		   (unsigned long long)(last - first));
	kit_printf("KIT: vnet link %s\n",
		   kv_cfg_read(&dev, 6, 2) & VIRTIO_NET_S_LINK_UP ? "up" : "down");
}

/* Negotiate, set up both queues, DRIVER_OK; the MAC from config space. */
static void setup(bool quiet)
{
	uint64_t need, feat;
	uint16_t status;

	need = 1ULL << VIRTIO_NET_F_MAC | (mrg ? 1ULL << VIRTIO_NET_F_MRG_RXBUF : 0);
	if (offload)
		need |= 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
			1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO4;
	feat = kv_device_features(&dev);
	if ((feat & need) != need)
		kit_fail("vnet: features 0x%llx offered, 0x%llx needed", (unsigned long long)feat,
			 (unsigned long long)need);
	if (kv_init(&dev, need | 1ULL << VIRTIO_NET_F_STATUS | 1ULL << VIRTIO_RING_F_EVENT_IDX))
		kit_fail("vnet: feature negotiation failed");
	if (kv_queue_init(&dev, &rxq, RXQ, QSIZE) || kv_queue_init(&dev, &txq, TXQ, QSIZE))
		kit_fail("vnet: no queues");
	if (kv_driver_ok(&dev))
		kit_fail("vnet: DRIVER_OK refused (status 0x%x)", kv_status(&dev));
	tx_next = tx_done = 0;
	for (int k = 0; k < 6; k++)
		mac[k] = (uint8_t)kv_cfg_read(&dev, k, 1);
	status = (dev.features & 1ULL << VIRTIO_NET_F_STATUS) ? (uint16_t)kv_cfg_read(&dev, 6, 2)
							      : VIRTIO_NET_S_LINK_UP;
	if (!quiet)
		kit_printf(
			"KIT: vnet mac %02x:%02x:%02x:%02x:%02x:%02x link %s, offload %d, mrg %d\n",
			mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
			status & VIRTIO_NET_S_LINK_UP ? "up" : "down", offload, mrg);
}

/*
 * A broken chain on queue @q (TX: shorter than the header; RX: no
 * device-writable buffer) must earn DEVICE_NEEDS_RESET, not a crash.
 */
static void break_queue(unsigned int q)
{
	static uint8_t small[4];
	struct kv_buf b = { small, sizeof(small) };
	uint64_t end;

	if (kv_submit(q == TXQ ? &txq : &rxq, &b, 1, 0) < 0)
		kit_fail("vnet: cannot queue the bad chain");
	kv_kick(q == TXQ ? &txq : &rxq);
	end = kit_now_us() + 2000000;
	while (!(kv_status(&dev) & VIRTIO_CONFIG_S_NEEDS_RESET))
		if (kit_now_us() > end)
			kit_fail("vnet: bad %s chain: no NEEDS_RESET (status 0x%x)",
				 q == TXQ ? "TX" : "RX", kv_status(&dev));
	kit_printf("KIT: vnet bad %s chain: DEVICE_NEEDS_RESET\n", q == TXQ ? "TX" : "RX");
	kv_reset(&dev);
}

void kit_main(void)
{
	char mode[8] = "check";
	uint8_t f[64];
	struct virtio_net_hdr_mrg_rxbuf h = { 0 };

	offload = kit_cmdline_long("offload", 0);
	mrg = kit_cmdline_long("mrg", 1);
	kit_cmdline_get("mode", mode, sizeof(mode));
	rxbuf = kit_cmdline_long("rxbuf", mrg ? 2048 : offload ? 65562 : 1526);
	if (rxbuf < HDR + 1 || rxbuf > RX_POOL)
		kit_fail("vnet: rxbuf=%u", rxbuf);

	if (kv_find(&dev, VIRTIO_ID_NET, (int)kit_cmdline_long("index", 0)))
		kit_fail("vnet: no virtio-net device");
	if (!strcmp(mode, "badtx") || !strcmp(mode, "badrx")) {
		/* Then reset, and the normal exchange shows the device works again. */
		setup(true);
		break_queue(!strcmp(mode, "badtx") ? TXQ : RXQ);
	}
	setup(false);

	/* Buffers first, so that nothing the peer sends after our hello is lost. */
	nr_rx = RX_POOL / rxbuf;
	if (nr_rx > (mrg ? rxq.size : rxq.size / 2))
		nr_rx = mrg ? rxq.size : rxq.size / 2;
	for (uint32_t i = 0; i < nr_rx; i++)
		rx_post(i);
	kv_kick(&rxq);
	vnet_data_frame(f, 60, VNET_KIND_HELLO, VNET_TO_PEER, 0, vnet_peer_mac, mac);
	tx_frame(f, 60, &h, true);

	if (!strcmp(mode, "tx"))
		run_tx(kit_cmdline_long("secs", 3));
	else if (!strcmp(mode, "rx"))
		run_rx(kit_cmdline_long("secs", 3));
	else
		run_check();
	kit_exit(1);
}
