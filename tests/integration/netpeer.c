// SPDX-License-Identifier: GPL-2.0
/*
 * The host end of the virtio-net tests: a raw AF_PACKET socket on the tap
 * that vmm (or QEMU) serves, inside the test's own network namespace.
 *
 *	netpeer check IFNAME GUEST_MAC [offload]
 *		Wait for the kit guest's hello (tests/guest/tests/vnet.c), send
 *		it the frames of vnet.h, receive its frames and check them byte
 *		for byte. With "offload" the socket carries virtio-net headers
 *		(PACKET_VNET_HDR): the UDP frame goes out with a partial
 *		checksum (NEEDS_CSUM) and a TSO frame follows; the guest's UDP
 *		frame must come with NEEDS_CSUM and its TSO frame as one GSO
 *		frame, and both complete to the right bytes. Exit 0 when all
 *		is well.
 *	netpeer sink IFNAME GUEST_MAC SECONDS
 *		Count the guest's data frames after its hello for SECONDS.
 *	netpeer flood IFNAME GUEST_MAC SECONDS
 *		After the guest's hello, send data frames as fast as the socket
 *		takes them for SECONDS.
 *
 * Lines start with "PEER: ". "PEER: ready" means the socket is bound (start
 * the guest after it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#include "tests/guest/tests/vnet.h"

#define VHDR	 sizeof(struct virtio_net_hdr)
#define BUF_SIZE 70000

static int sock = -1;
static bool offload;
static uint8_t guest_mac[6];
static unsigned int failures;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bad(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("PEER: FAIL ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	failures++;
}

static int open_socket(const char *ifname)
{
	struct sockaddr_ll sll = { 0 };
	int one = 1;
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (s < 0) {
		perror("netpeer: socket(AF_PACKET)");
		exit(2);
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (!sll.sll_ifindex || bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		fprintf(stderr, "netpeer: %s: %s\n", ifname, strerror(errno ? errno : ENODEV));
		exit(2);
	}
	if (offload && setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0) {
		perror("netpeer: PACKET_VNET_HDR");
		exit(2);
	}
	return s;
}

/*
 * The next frame from the guest (not one we sent, not someone else's)
 * within @timeout seconds: its length, or -1. With offload, @h gets its
 * virtio-net header.
 */
static int recv_frame(uint8_t *buf, struct virtio_net_hdr *h, double timeout)
{
	static uint8_t raw[BUF_SIZE + VHDR];
	double end = now() + timeout;

	for (;;) {
		struct pollfd p = { .fd = sock, .events = POLLIN };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		double left = end - now();
		ssize_t n;

		n = recvfrom(sock, raw, sizeof(raw), MSG_TRUNC | MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl);
		if (n < 0 && errno == EAGAIN) {
			if (left <= 0 || poll(&p, 1, (int)(left * 1000) + 1) <= 0)
				return -1;
			continue;
		}
		if (n < 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (n > (ssize_t)sizeof(raw)) {
			bad("frame of %zd bytes truncated", n);
			continue;
		}
		if (offload) {
			if (n < (ssize_t)VHDR)
				continue;
			memcpy(h, raw, VHDR);
			n -= VHDR;
			memcpy(buf, raw + VHDR, n);
		} else {
			memset(h, 0, sizeof(*h));
			memcpy(buf, raw, n);
		}
		if (n >= 14 && !memcmp(buf + 6, guest_mac, 6))
			return (int)n;
	}
}

static void send_frame(const uint8_t *f, unsigned int len, const struct virtio_net_hdr *h)
{
	static uint8_t raw[BUF_SIZE + VHDR];
	unsigned int off = 0;

	if (offload) {
		memcpy(raw, h, VHDR);
		off = VHDR;
	}
	memcpy(raw + off, f, len);
	for (;;) {
		if (send(sock, raw, off + len, 0) == (ssize_t)(off + len))
			return;
		if (errno != ENOBUFS && errno != EAGAIN) {
			bad("send: %s", strerror(errno));
			return;
		}
		usleep(100); /* the tap's queue is full: the guest is behind */
	}
}

static void wait_hello(double timeout)
{
	uint8_t f[BUF_SIZE];
	struct virtio_net_hdr h;
	int n;

	while ((n = recv_frame(f, &h, timeout)) >= 0) {
		if (n >= 18 && f[12] == VNET_ETHERTYPE >> 8 && f[13] == (VNET_ETHERTYPE & 0xff) &&
		    f[14] == VNET_KIND_HELLO) {
			printf("PEER: hello from the guest\n");
			fflush(stdout);
			return;
		}
	}
	printf("PEER: FAIL no hello from the guest in %.0f s\n", timeout);
	exit(1);
}

static void first_diff(const uint8_t *a, const uint8_t *b, unsigned int len, const char *what)
{
	for (unsigned int k = 0; k < len; k++)
		if (a[k] != b[k]) {
			bad("%s: byte %u is 0x%02x, expected 0x%02x", what, k, a[k], b[k]);
			return;
		}
}

static void send_all(void)
{
	static uint8_t f[BUF_SIZE];
	struct virtio_net_hdr h = { 0 };
	unsigned int len;

	for (unsigned int i = 0; i < VNET_NR_DATA; i++) {
		len = vnet_data_frame(f, vnet_data_len[i], VNET_KIND_DATA, VNET_TO_GUEST, i,
				      guest_mac, vnet_peer_mac);
		send_frame(f, len, &h);
	}
	len = vnet_udp_frame(f, VNET_TO_GUEST, guest_mac, vnet_peer_mac, offload);
	if (offload) {
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.csum_start = VNET_L4_OFF;
		h.csum_offset = 6;
	}
	send_frame(f, len, &h);
	if (offload) {
		len = vnet_tso_frame(f, VNET_TO_GUEST, guest_mac, vnet_peer_mac);
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.csum_start = VNET_L4_OFF;
		h.csum_offset = 16;
		h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		h.gso_size = VNET_TSO_MSS;
		h.hdr_len = VNET_L4_OFF + 20;
		send_frame(f, len, &h);
	}
	printf("PEER: sent %u data frames, a UDP frame%s\n", VNET_NR_DATA,
	       offload ? " (partial checksum) and a TSO frame" : "");
	fflush(stdout);
}

static void check_udp(uint8_t *f, int n, const struct virtio_net_hdr *h)
{
	static uint8_t want[BUF_SIZE];
	unsigned int len = vnet_udp_frame(want, VNET_TO_PEER, vnet_peer_mac, guest_mac, 0);

	if ((unsigned int)n != len) {
		bad("udp: %d bytes, expected %u", n, len);
		return;
	}
	if (offload) {
		/* The guest asked for checksum offload: the header must say so. */
		if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || h->csum_start != VNET_L4_OFF ||
		    h->csum_offset != 6) {
			bad("udp: flags %u csum_start %u csum_offset %u, expected NEEDS_CSUM 34/6",
			    h->flags, h->csum_start, h->csum_offset);
			return;
		}
		vnet_csum_complete(f, len, h->csum_start, h->csum_offset);
	}
	if (!vnet_l4_csum_ok(f, len))
		bad("udp: bad checksum");
	first_diff(f, want, len, "udp");
	printf("PEER: rx udp len %d flags %u checksum 0x%02x%02x %s\n", n, h->flags,
	       f[VNET_L4_OFF + 6], f[VNET_L4_OFF + 7], vnet_l4_csum_ok(f, len) ? "ok" : "bad");
}

static void check_tso(const uint8_t *f, int n, const struct virtio_net_hdr *h)
{
	static uint8_t want[BUF_SIZE];
	unsigned int len = vnet_tso_frame(want, VNET_TO_PEER, vnet_peer_mac, guest_mac);

	if ((unsigned int)n != len) {
		bad("tso: %d bytes, expected %u (segmented?)", n, len);
		return;
	}
	if ((h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_TCPV4 ||
	    h->gso_size != VNET_TSO_MSS || !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		bad("tso: gso_type %u gso_size %u flags %u, expected TCPV4 %u NEEDS_CSUM",
		    h->gso_type, h->gso_size, VNET_TSO_MSS, h->flags);
		return;
	}
	first_diff(f, want, len, "tso");
	printf("PEER: rx tso len %d gso_type %u gso_size %u ok\n", n, h->gso_type, h->gso_size);
}

static int do_check(void)
{
	static uint8_t f[BUF_SIZE], want[BUF_SIZE];
	bool seen[VNET_NR_DATA] = { false };
	unsigned int nr_data = 0, udp = 0, tso = 0, want_tso = offload ? 1 : 0;
	struct virtio_net_hdr h;
	int n;

	wait_hello(30);
	send_all();
	while (nr_data < VNET_NR_DATA || !udp || tso < want_tso) {
		n = recv_frame(f, &h, 20);
		if (n < 0) {
			bad("timeout: %u data frames, %u udp, %u tso received", nr_data, udp, tso);
			break;
		}
		if (f[12] == VNET_ETHERTYPE >> 8 && f[13] == (VNET_ETHERTYPE & 0xff) && n >= 18 &&
		    f[14] == VNET_KIND_DATA) {
			unsigned int i = f[16];
			char what[32];

			if (i >= VNET_NR_DATA || seen[i]) {
				bad("data frame index %u unexpected", i);
				continue;
			}
			seen[i] = true;
			nr_data++;
			if ((unsigned int)n != vnet_data_len[i]) {
				bad("data %u: %d bytes, expected %u", i, n, vnet_data_len[i]);
				continue;
			}
			vnet_data_frame(want, n, VNET_KIND_DATA, VNET_TO_PEER, i, vnet_peer_mac,
					guest_mac);
			snprintf(what, sizeof(what), "data %u", i);
			first_diff(f, want, n, what);
			printf("PEER: rx data %u len %d %s\n", i, n,
			       memcmp(f, want, n) ? "MISMATCH" : "ok");
		} else if (n > VNET_L4_OFF && f[12] == 0x08 && f[13] == 0 && f[23] == 17) {
			udp++;
			check_udp(f, n, &h);
		} else if (n > VNET_L4_OFF && f[12] == 0x08 && f[13] == 0 && f[23] == 6) {
			tso++;
			check_tso(f, n, &h);
		}
	}
	printf("PEER: done: %u data, %u udp, %u tso, %u failures\n", nr_data, udp, tso, failures);
	return failures ? 1 : 0;
}

static int do_sink(double seconds)
{
	static uint8_t f[BUF_SIZE];
	struct virtio_net_hdr h;
	unsigned long frames = 0, bytes = 0;
	double start, end;
	int n;

	/* Room for bursts: the guest sends while this process waits for a CPU. */
	setsockopt(sock, SOL_SOCKET, SO_RCVBUFFORCE, &(int){ 64 << 20 }, sizeof(int));
	wait_hello(30);
	start = now();
	end = start + seconds;
	while (now() < end && (n = recv_frame(f, &h, end - now())) >= 0) {
		if (f[12] == VNET_ETHERTYPE >> 8 && n >= 18 && f[14] == VNET_KIND_DATA) {
			frames++;
			bytes += n;
		}
	}
	printf("PEER: sink %lu frames %lu bytes in %.2f s: %.0f frames/s\n", frames, bytes,
	       now() - start, frames / (now() - start));
	return 0;
}

static int do_flood(double seconds)
{
	static uint8_t f[BUF_SIZE];
	struct virtio_net_hdr h = { 0 };
	unsigned long frames = 0;
	double start, end;

	wait_hello(30);
	start = now();
	end = start + seconds;
	while (now() < end) {
		for (int k = 0; k < 64; k++, frames++) {
			unsigned int len = vnet_data_frame(f, 64, VNET_KIND_DATA, VNET_TO_GUEST,
							   frames & 0xff, guest_mac, vnet_peer_mac);

			send_frame(f, len, &h);
		}
	}
	printf("PEER: flood %lu frames in %.2f s: %.0f frames/s offered\n", frames, now() - start,
	       frames / (now() - start));
	return 0;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -1;
	for (int k = 0; k < 6; k++)
		mac[k] = (uint8_t)b[k];
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || parse_mac(argv[3], guest_mac)) {
		fprintf(stderr,
			"usage: netpeer check|sink|flood IFNAME GUEST_MAC [offload|SECONDS]\n");
		return 2;
	}
	offload = argc > 4 && !strcmp(argv[4], "offload");
	sock = open_socket(argv[2]);
	printf("PEER: ready on %s\n", argv[2]);
	fflush(stdout);
	if (!strcmp(argv[1], "check"))
		return do_check();
	if (!strcmp(argv[1], "sink"))
		return do_sink(argc > 4 ? atof(argv[4]) : 5);
	if (!strcmp(argv[1], "flood"))
		return do_flood(argc > 4 ? atof(argv[4]) : 5);
	fprintf(stderr, "netpeer: unknown mode '%s'\n", argv[1]);
	return 2;
}
