/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The frames the virtio-net kit test (vnet.c) and its host peer
 * (tests/integration/netpeer.c) exchange. Both sides build them from here,
 * so each can check what it receives byte for byte. Only <stdint.h> and
 * static inline code: the kit is freestanding, the peer uses libc.
 *
 * Addresses are private to the test's network namespace: locally
 * administered MACs, IPv4 from TEST-NET-1 (RFC 5737), the IEEE local
 * experimental EtherType for plain frames.
 *
 * Frame layout (data and hello): Ethernet header, then
 *	[14] kind, [15] direction, [16] index, [17] 0, [18...] pattern.
 */
#ifndef VNET_FRAMES_H
#define VNET_FRAMES_H

#include <stdint.h>

#define VNET_ETHERTYPE	0x88b5 /* IEEE 802 local experimental 1 */
#define VNET_ETH_IP	0x0800
#define VNET_KIND_HELLO 1
#define VNET_KIND_DATA	2
#define VNET_TO_PEER	0 /* direction: guest -> peer */
#define VNET_TO_GUEST	1 /* peer -> guest */
#define VNET_NR_DATA	24

#define VNET_UDP_PAYLOAD 333  /* odd: the checksum's last byte is padded */
#define VNET_TSO_PAYLOAD 4000 /* three segments of VNET_TSO_MSS, and a bit */
#define VNET_TSO_MSS	 1448
#define VNET_L4_OFF	 34 /* Ethernet + IPv4 without options */
#define VNET_MAX_FRAME	 (VNET_L4_OFF + 20 + VNET_TSO_PAYLOAD)

static const uint8_t vnet_peer_mac[6] = { 0x02, 0x00, 0x00, 0x76, 0x6d, 0x6d };
static const uint8_t vnet_ip[2][4] = { { 192, 0, 2, 1 }, { 192, 0, 2, 2 } }; /* guest, peer */

/* Frame lengths without the FCS: the minimum, odd sizes, the maximum. */
static const uint16_t vnet_data_len[VNET_NR_DATA] = {
	60,  61,  62,  63,  64,	  65,	100,  127,  128,  129,	255,  256,
	257, 511, 512, 513, 1000, 1023, 1024, 1025, 1400, 1500, 1513, 1514,
};

static inline uint8_t vnet_pattern(unsigned int dir, unsigned int i, unsigned int k)
{
	return (uint8_t)(k * 7 + i * 31 + dir * 101 + (k >> 8) * 13);
}

static inline void vnet_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	for (int k = 0; k < 6; k++) {
		f[k] = dst[k];
		f[6 + k] = src[k];
	}
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
}

/* A data (or hello) frame of @len bytes; returns @len. */
static inline unsigned int vnet_data_frame(uint8_t *f, unsigned int len, unsigned int kind,
					   unsigned int dir, unsigned int i, const uint8_t *dst,
					   const uint8_t *src)
{
	vnet_eth(f, dst, src, VNET_ETHERTYPE);
	f[14] = (uint8_t)kind;
	f[15] = (uint8_t)dir;
	f[16] = (uint8_t)i;
	f[17] = 0;
	for (unsigned int k = 18; k < len; k++)
		f[k] = vnet_pattern(dir, i, k);
	return len;
}

/* One's-complement sum of big-endian 16-bit words (RFC 1071). */
static inline uint32_t vnet_sum(const uint8_t *p, unsigned int len, uint32_t sum)
{
	unsigned int k;

	for (k = 0; k + 1 < len; k += 2)
		sum += (uint32_t)p[k] << 8 | p[k + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t vnet_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The TCP/UDP pseudo-header's sum for an IPv4 frame at @f. */
static inline uint32_t vnet_pseudo(const uint8_t *f, uint8_t proto, unsigned int l4len)
{
	uint32_t sum = vnet_sum(f + 26, 8, 0); /* source and destination address */

	return sum + proto + l4len;
}

/* Is the TCP/UDP checksum of the IPv4 frame @f (@len bytes) right? */
static inline int vnet_l4_csum_ok(const uint8_t *f, unsigned int len)
{
	unsigned int l4len = len - VNET_L4_OFF;

	return vnet_fold(vnet_sum(f + VNET_L4_OFF, l4len, vnet_pseudo(f, f[23], l4len))) == 0xffff;
}

/*
 * Complete a partial checksum as a NIC would for VIRTIO_NET_HDR_F_NEEDS_CSUM:
 * sum from @start to the end, store the complement at @start + @off.
 */
static inline void vnet_csum_complete(uint8_t *f, unsigned int len, unsigned int start,
				      unsigned int off)
{
	uint16_t c = (uint16_t)~vnet_fold(vnet_sum(f + start, len - start, 0));

	f[start + off] = (uint8_t)(c >> 8);
	f[start + off + 1] = (uint8_t)c;
}

static inline void vnet_ipv4(uint8_t *f, unsigned int dir, uint8_t proto, unsigned int l4len)
{
	uint8_t *ip = f + 14;
	unsigned int tot = 20 + l4len;
	uint16_t c;

	ip[0] = 0x45;
	ip[1] = 0;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[4] = 0x12;
	ip[5] = (uint8_t)(0x34 + dir);
	ip[6] = 0x40; /* DF */
	ip[7] = 0;
	ip[8] = 64;
	ip[9] = proto;
	ip[10] = ip[11] = 0;
	for (int k = 0; k < 4; k++) {
		ip[12 + k] = vnet_ip[dir == VNET_TO_PEER ? 0 : 1][k];
		ip[16 + k] = vnet_ip[dir == VNET_TO_PEER ? 1 : 0][k];
	}
	c = (uint16_t)~vnet_fold(vnet_sum(ip, 20, 0));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

/*
 * Store the L4 checksum at @at: complete, or (@partial) only the
 * pseudo-header's sum, as a driver leaves it for NEEDS_CSUM.
 */
static inline void vnet_l4_csum(uint8_t *f, unsigned int len, unsigned int at, int partial)
{
	unsigned int l4len = len - VNET_L4_OFF;
	uint32_t sum = vnet_pseudo(f, f[23], l4len);
	uint16_t c;

	f[at] = f[at + 1] = 0;
	if (partial) {
		c = vnet_fold(sum);
	} else {
		c = (uint16_t)~vnet_fold(vnet_sum(f + VNET_L4_OFF, l4len, sum));
		if (!c && f[23] == 17)
			c = 0xffff; /* UDP: 0 means "no checksum" */
	}
	f[at] = (uint8_t)(c >> 8);
	f[at + 1] = (uint8_t)c;
}

/* IPv4/UDP, VNET_UDP_PAYLOAD bytes of pattern; returns the length. */
static inline unsigned int vnet_udp_frame(uint8_t *f, unsigned int dir, const uint8_t *dst,
					  const uint8_t *src, int partial)
{
	unsigned int l4len = 8 + VNET_UDP_PAYLOAD, len = VNET_L4_OFF + l4len;
	uint8_t *u = f + VNET_L4_OFF;

	vnet_eth(f, dst, src, VNET_ETH_IP);
	vnet_ipv4(f, dir, 17, l4len);
	u[0] = 0x76;
	u[1] = (uint8_t)(0x60 + dir);
	u[2] = 0x76;
	u[3] = (uint8_t)(0x70 + dir);
	u[4] = (uint8_t)(l4len >> 8);
	u[5] = (uint8_t)l4len;
	for (unsigned int k = 8; k < l4len; k++)
		u[k] = vnet_pattern(dir, 200, k);
	vnet_l4_csum(f, len, VNET_L4_OFF + 6, partial);
	return len;
}

/* IPv4/TCP with VNET_TSO_PAYLOAD bytes, partial checksum (a TSO frame). */
static inline unsigned int vnet_tso_frame(uint8_t *f, unsigned int dir, const uint8_t *dst,
					  const uint8_t *src)
{
	unsigned int l4len = 20 + VNET_TSO_PAYLOAD, len = VNET_L4_OFF + l4len;
	uint8_t *t = f + VNET_L4_OFF;

	vnet_eth(f, dst, src, VNET_ETH_IP);
	vnet_ipv4(f, dir, 6, l4len);
	for (unsigned int k = 0; k < 20; k++)
		t[k] = 0;
	t[0] = 0x76;
	t[1] = (uint8_t)(0x80 + dir);
	t[2] = 0x76;
	t[3] = (uint8_t)(0x90 + dir);
	t[4] = 0x10; /* sequence number 0x10000000 */
	t[12] = 5 << 4;
	t[13] = 0x18; /* PSH, ACK */
	t[14] = t[15] = 0xff;
	for (unsigned int k = 20; k < l4len; k++)
		t[k] = vnet_pattern(dir, 100, k);
	vnet_l4_csum(f, len, VNET_L4_OFF + 16, 1);
	return len;
}

#endif
