// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-console (hvc0, no multiport): write a line on the transmit queue,
 * read a line of host input from the receive queue and echo it back on
 * the transmit queue. vmm sends hvc0's output where COM1's goes, so both
 * lines show up in the test's output.
 */
#include "kit.h"
#include "virtio.h"

static struct kv_queue rxq, txq;
static char rxbuf[4][64];
static char line[128];

static void tx(struct kv_dev *d, const char *s)
{
	static char buf[160];
	struct kv_buf b = { buf, strlen(s) };
	uint32_t len;

	memcpy(buf, s, b.len);
	if (kv_submit(&txq, &b, 1, 0) < 0)
		kit_fail("vcons: no tx descriptor");
	kv_kick(&txq);
	if (kv_wait(&txq, &len, 5000000) < 0)
		kit_fail("vcons: transmit not completed (status 0x%x)", kv_status(d));
}

static void rx_post(int i)
{
	struct kv_buf b = { rxbuf[i], sizeof(rxbuf[i]) };

	if (kv_submit(&rxq, &b, 0, 1) != i)
		kit_fail("vcons: rx descriptor %d", i);
}

void kit_main(void)
{
	struct kv_dev d;
	size_t n = 0;
	char out[160];

	if (kv_find(&d, VIRTIO_ID_CONSOLE, 0))
		kit_fail("vcons: no virtio-console device");
	if (kv_init(&d, 0) || kv_queue_init(&d, &rxq, 0, 4) || kv_queue_init(&d, &txq, 1, 4) ||
	    kv_driver_ok(&d))
		kit_fail("vcons: set-up failed (status 0x%x)", kv_status(&d));
	/* Four receive buffers, descriptors 0..3, each a single buffer. */
	for (int i = 0; i < 4; i++)
		rx_post(i);
	kv_kick(&rxq);
	tx(&d, "KIT: vcons hello from hvc0\n");
	kit_printf("KIT: vcons transmitted\n");

	/* Read host input until a newline (at most 30 s). */
	while (n < sizeof(line) - 1) {
		uint32_t len;
		int head = kv_wait(&rxq, &len, 30000000);
		bool nl = false;

		if (head < 0 || head > 3)
			kit_fail("vcons: no input (status 0x%x)", kv_status(&d));
		for (uint32_t i = 0; i < len && n < sizeof(line) - 1; i++) {
			char ch = rxbuf[head][i];

			if (ch == '\n' || ch == '\r') {
				nl = true;
				break;
			}
			line[n++] = ch;
		}
		rx_post(head);
		kv_kick(&rxq);
		if (nl)
			break;
	}
	line[n] = 0;
	kit_printf("KIT: vcons got '%s'\n", line);
	kit_snprintf(out, sizeof(out), "KIT: vcons echo %s\n", line);
	tx(&d, out);
	kit_exit(1);
}
