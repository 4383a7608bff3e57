// SPDX-License-Identifier: GPL-2.0
/*
 * The i8042 keyboard controller (ports 0x60 data, 0x64 status/command)
 * with a minimal PS/2 keyboard and mouse behind it.
 *
 * Its jobs here: reset the machine (command 0xfe, output port bit 0, and
 * the ACPI reset register, which the FADT points at port 0x64), and let a
 * guest's probing finish at once: Linux's i8042 driver self-tests the
 * controller, checks the AUX port with the loopback command and waits for
 * IRQ12, then atkbd and psmouse identify their devices. Every reply is
 * queued the moment the command is written, so IBF never shows.
 *
 * Bytes reach the guest through the one-byte output buffer. Controller
 * replies go first, then the keyboard's queue, then the mouse's, each
 * only while its interface is enabled in the command byte. Reading the
 * data port empties the buffer, which drops the IRQ line; the next byte
 * raises it again: a fresh edge per byte, as the ISA lines are edge
 * triggered (IRQ1 for keyboard bytes, IRQ12 for mouse bytes, when enabled
 * in the command byte).
 *
 * Keyboard and mouse input will come from a display front end through
 * i8042_kbd_push() / i8042_aux_push().
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "bios/tables.h"
#include "cpu/vm.h"
#include "devices/device.h"
#include "devices/i8042.h"
#include "mmio/bus.h"

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT	0x64
#define I8042_KBD_IRQ	1
#define I8042_AUX_IRQ	12
#define I8042_RESET_CMD 0xfe

/* Status register (read from 0x64); names as in Linux's i8042.h. */
#define I8042_STR_OBF	  0x01
#define I8042_STR_IBF	  0x02
#define I8042_STR_SYSFLAG 0x04
#define I8042_STR_CMDDAT  0x08 /* last write went to 0x64 */
#define I8042_STR_KEYLOCK 0x10 /* set: keyboard not inhibited */
#define I8042_STR_AUXDATA 0x20

/* Command byte (controller RAM byte 0). */
#define I8042_CTR_KBDINT  0x01
#define I8042_CTR_AUXINT  0x02
#define I8042_CTR_SYSFLAG 0x04
#define I8042_CTR_KBDDIS  0x10
#define I8042_CTR_AUXDIS  0x20
#define I8042_CTR_XLATE	  0x40

/* Output port (0xd0 / 0xd1). */
#define I8042_OUT_RESET	  0x01 /* low: CPU in reset */
#define I8042_OUT_A20	  0x02
#define I8042_OUT_KBD_OBF 0x10
#define I8042_OUT_AUX_OBF 0x20

/* Controller commands. */
#define I8042_CMD_READ_RAM     0x20 /* 0x20-0x3f: RAM byte n; 0x20 = command byte */
#define I8042_CMD_WRITE_RAM    0x60 /* 0x60-0x7f */
#define I8042_CMD_PWD_TEST     0xa4
#define I8042_CMD_AUX_DISABLE  0xa7
#define I8042_CMD_AUX_ENABLE   0xa8
#define I8042_CMD_AUX_TEST     0xa9
#define I8042_CMD_CTL_TEST     0xaa
#define I8042_CMD_KBD_TEST     0xab
#define I8042_CMD_KBD_DISABLE  0xad
#define I8042_CMD_KBD_ENABLE   0xae
#define I8042_CMD_READ_INPUT   0xc0
#define I8042_CMD_READ_OUTPUT  0xd0
#define I8042_CMD_WRITE_OUTPUT 0xd1
#define I8042_CMD_KBD_LOOP     0xd2
#define I8042_CMD_AUX_LOOP     0xd3
#define I8042_CMD_AUX_SEND     0xd4
#define I8042_CMD_A20_OFF      0xdd
#define I8042_CMD_A20_ON       0xdf
#define I8042_CMD_READ_TEST    0xe0
#define I8042_CMD_PULSE	       0xf0 /* 0xf0-0xff: bits 3:0 low = pulse that line */

#define I8042_CTL_TEST_OK 0x55
#define I8042_NO_PASSWORD 0xf1

/* PS/2 device protocol. */
#define PS2_ACK	   0xfa
#define PS2_RESEND 0xfe
#define PS2_BAT_OK 0xaa

#define KBD_CMD_SET_LEDS   0xed
#define KBD_CMD_ECHO	   0xee
#define KBD_CMD_SCANSET	   0xf0
#define KBD_CMD_GET_ID	   0xf2
#define KBD_CMD_SET_REP	   0xf3
#define KBD_CMD_ENABLE	   0xf4
#define KBD_CMD_RESET_DIS  0xf5
#define KBD_CMD_RESET_DEF  0xf6
#define KBD_CMD_SET3_FIRST 0xf7 /* 0xf7-0xfd: set 3 key modes */
#define KBD_CMD_SET3_LAST  0xfd
#define KBD_CMD_RESEND	   0xfe
#define KBD_CMD_RESET	   0xff
#define KBD_ID_1	   0xab /* MF2 keyboard */
#define KBD_ID_2	   0x83

#define AUX_CMD_SCALE11	    0xe6
#define AUX_CMD_SCALE21	    0xe7
#define AUX_CMD_SET_RES	    0xe8
#define AUX_CMD_GET_STATUS  0xe9
#define AUX_CMD_SET_STREAM  0xea
#define AUX_CMD_POLL	    0xeb
#define AUX_CMD_RESET_WRAP  0xec
#define AUX_CMD_SET_WRAP    0xee
#define AUX_CMD_SET_REMOTE  0xf0
#define AUX_CMD_GET_ID	    0xf2
#define AUX_CMD_SET_RATE    0xf3
#define AUX_CMD_ENABLE	    0xf4
#define AUX_CMD_DISABLE	    0xf5
#define AUX_CMD_SET_DEFAULT 0xf6
#define AUX_CMD_RESEND	    0xfe
#define AUX_CMD_RESET	    0xff
#define AUX_ID		    0x00 /* plain PS/2 mouse */
#define AUX_ID_WHEEL	    0x03 /* IntelliMouse: 4-byte packets with a wheel */
#define AUX_STATUS_REMOTE   0x40
#define AUX_STATUS_ENABLED  0x20
#define AUX_STATUS_SCALE21  0x10
#define AUX_PACKET_ALWAYS1  0x08 /* bit 3 of a movement packet's first byte */

#define PS2_QUEUE_SIZE	64
#define CTRL_QUEUE_SIZE 4

struct ps2_queue {
	uint8_t data[PS2_QUEUE_SIZE];
	unsigned int head, count;
};

struct ps2_kbd {
	struct ps2_queue q;
	uint8_t arg_cmd; /* command waiting for its argument byte, 0 = none */
	uint8_t last;	 /* for 0xfe resend */
	uint8_t scanset;
	uint8_t leds;
	bool scanning;
};

struct ps2_aux {
	struct ps2_queue q;
	uint8_t arg_cmd;
	uint8_t last;
	uint8_t resolution, rate;
	bool scale21, remote, wrap, reporting;
	uint8_t id;	  /* AUX_ID, or AUX_ID_WHEEL after the magic rate sequence */
	uint8_t rates[3]; /* the last three sample rates set: 200, 100, 80 = wheel */
};

struct i8042 {
	pthread_mutex_t lock;
	struct vm *vm;
	struct bus_region *data_region, *cmd_region;

	uint8_t ram[32]; /* ram[0] is the command byte */
	uint8_t status;	 /* SYSFLAG and CMDDAT; the rest is computed */
	uint8_t outport;
	uint8_t pending; /* controller command waiting for a data byte */

	/* The output buffer and replies of the controller itself. */
	uint8_t out;
	bool out_full, out_aux;
	struct {
		uint8_t byte;
		bool aux;
	} ctrl[CTRL_QUEUE_SIZE];
	unsigned int ctrl_count;

	struct ps2_kbd kbd;
	struct ps2_aux aux;
	bool irq1, irq12; /* line levels */
};

static struct i8042 i8042;

/* ------------------------------------------------------------------ */
/* Queues and the output buffer                                        */

static void q_push(struct ps2_queue *q, uint8_t b)
{
	if (q->count == PS2_QUEUE_SIZE)
		return; /* a full device buffer drops, as hardware does */
	q->data[(q->head + q->count) % PS2_QUEUE_SIZE] = b;
	q->count++;
}

static uint8_t q_pop(struct ps2_queue *q)
{
	uint8_t b = q->data[q->head];

	q->head = (q->head + 1) % PS2_QUEUE_SIZE;
	q->count--;
	return b;
}

static void q_clear(struct ps2_queue *q)
{
	q->head = q->count = 0;
}

static void ctrl_reply(struct i8042 *c, uint8_t b, bool aux)
{
	if (c->ctrl_count == CTRL_QUEUE_SIZE)
		return;
	c->ctrl[c->ctrl_count].byte = b;
	c->ctrl[c->ctrl_count].aux = aux;
	c->ctrl_count++;
}

static void kbd_send(struct i8042 *c, uint8_t b)
{
	c->kbd.last = b;
	q_push(&c->kbd.q, b);
}

static void aux_send(struct i8042 *c, uint8_t b)
{
	c->aux.last = b;
	q_push(&c->aux.q, b);
}

/* Load the output buffer: controller replies, then keyboard, then mouse. */
static void out_refill(struct i8042 *c)
{
	if (c->out_full)
		return;
	if (c->ctrl_count) {
		c->out = c->ctrl[0].byte;
		c->out_aux = c->ctrl[0].aux;
		memmove(c->ctrl, c->ctrl + 1, --c->ctrl_count * sizeof(c->ctrl[0]));
	} else if (!(c->ram[0] & I8042_CTR_KBDDIS) && c->kbd.q.count) {
		c->out = q_pop(&c->kbd.q);
		c->out_aux = false;
	} else if (!(c->ram[0] & I8042_CTR_AUXDIS) && c->aux.q.count) {
		c->out = q_pop(&c->aux.q);
		c->out_aux = true;
	} else {
		return;
	}
	c->out_full = true;
}

static void irq_set(struct i8042 *c, bool *cur, unsigned int irq, bool level)
{
	if (*cur != level) {
		*cur = level;
		vm_irq_line(c->vm, irq, level);
	}
}

static void update_irqs(struct i8042 *c)
{
	irq_set(c, &c->irq1, I8042_KBD_IRQ,
		c->out_full && !c->out_aux && (c->ram[0] & I8042_CTR_KBDINT));
	irq_set(c, &c->irq12, I8042_AUX_IRQ,
		c->out_full && c->out_aux && (c->ram[0] & I8042_CTR_AUXINT));
}

/* After any change: fill the output buffer and drive the lines. */
static void i8042_sync(struct i8042 *c)
{
	out_refill(c);
	update_irqs(c);
}

/* ------------------------------------------------------------------ */
/* PS/2 keyboard                                                       */

static void kbd_defaults(struct ps2_kbd *k)
{
	k->arg_cmd = 0;
	k->scanset = 2;
	k->leds = 0;
}

static void kbd_arg(struct i8042 *c, uint8_t cmd, uint8_t v)
{
	struct ps2_kbd *k = &c->kbd;

	switch (cmd) {
	case KBD_CMD_SCANSET:
		if (v == 0) {
			kbd_send(c, PS2_ACK);
			kbd_send(c, k->scanset);
		} else if (v <= 3) {
			k->scanset = v;
			kbd_send(c, PS2_ACK);
		} else {
			kbd_send(c, PS2_RESEND);
		}
		break;
	case KBD_CMD_SET_LEDS:
		k->leds = v & 7;
		kbd_send(c, PS2_ACK);
		break;
	default: /* KBD_CMD_SET_REP: typematic rate, nothing to model */
		kbd_send(c, PS2_ACK);
		break;
	}
}

static void kbd_write(struct i8042 *c, uint8_t v)
{
	struct ps2_kbd *k = &c->kbd;

	if (k->arg_cmd) {
		uint8_t cmd = k->arg_cmd;

		k->arg_cmd = 0;
		kbd_arg(c, cmd, v);
		return;
	}
	switch (v) {
	case KBD_CMD_SET_LEDS:
	case KBD_CMD_SCANSET:
	case KBD_CMD_SET_REP:
		k->arg_cmd = v;
		kbd_send(c, PS2_ACK);
		break;
	case KBD_CMD_ECHO: kbd_send(c, KBD_CMD_ECHO); break;
	case KBD_CMD_GET_ID:
		kbd_send(c, PS2_ACK);
		kbd_send(c, KBD_ID_1);
		kbd_send(c, KBD_ID_2);
		break;
	case KBD_CMD_ENABLE:
		k->scanning = true;
		kbd_send(c, PS2_ACK);
		break;
	case KBD_CMD_RESET_DIS:
	case KBD_CMD_RESET_DEF:
		kbd_defaults(k);
		k->scanning = v == KBD_CMD_RESET_DEF;
		kbd_send(c, PS2_ACK);
		break;
	case KBD_CMD_SET3_FIRST ... KBD_CMD_SET3_LAST: kbd_send(c, PS2_ACK); break;
	case KBD_CMD_RESEND: q_push(&k->q, k->last); break;
	case KBD_CMD_RESET:
		q_clear(&k->q);
		kbd_defaults(k);
		k->scanning = true;
		kbd_send(c, PS2_ACK);
		kbd_send(c, PS2_BAT_OK);
		break;
	default: kbd_send(c, PS2_RESEND); break;
	}
}

/* ------------------------------------------------------------------ */
/* PS/2 mouse                                                          */

static void aux_defaults(struct ps2_aux *a)
{
	a->arg_cmd = 0;
	a->resolution = 2; /* 4 counts/mm */
	a->rate = 100;
	a->scale21 = a->remote = a->wrap = a->reporting = false;
}

static void aux_status(struct i8042 *c)
{
	struct ps2_aux *a = &c->aux;

	aux_send(c, PS2_ACK);
	aux_send(c, (a->remote ? AUX_STATUS_REMOTE : 0) | (a->reporting ? AUX_STATUS_ENABLED : 0) |
			    (a->scale21 ? AUX_STATUS_SCALE21 : 0));
	aux_send(c, a->resolution);
	aux_send(c, a->rate);
}

static void aux_write(struct i8042 *c, uint8_t v)
{
	struct ps2_aux *a = &c->aux;

	if (a->arg_cmd) {
		if (a->arg_cmd == AUX_CMD_SET_RES) {
			a->resolution = v & 3;
		} else {
			a->rate = v;
			a->rates[0] = a->rates[1];
			a->rates[1] = a->rates[2];
			a->rates[2] = v;
			/* IntelliMouse's knock (psmouse's intellimouse_detect). */
			if (a->rates[0] == 200 && a->rates[1] == 100 && a->rates[2] == 80)
				a->id = AUX_ID_WHEEL;
		}
		a->arg_cmd = 0;
		aux_send(c, PS2_ACK);
		return;
	}
	/* Wrap (echo) mode: everything comes back but its two ways out. */
	if (a->wrap && v != AUX_CMD_RESET_WRAP && v != AUX_CMD_RESET) {
		aux_send(c, v);
		return;
	}
	switch (v) {
	case AUX_CMD_SCALE11:
	case AUX_CMD_SCALE21:
		a->scale21 = v == AUX_CMD_SCALE21;
		aux_send(c, PS2_ACK);
		break;
	case AUX_CMD_SET_RES:
	case AUX_CMD_SET_RATE:
		a->arg_cmd = v;
		aux_send(c, PS2_ACK);
		break;
	case AUX_CMD_GET_STATUS: aux_status(c); break;
	case AUX_CMD_SET_STREAM:
	case AUX_CMD_SET_REMOTE:
		a->remote = v == AUX_CMD_SET_REMOTE;
		aux_send(c, PS2_ACK);
		break;
	case AUX_CMD_POLL: /* a packet without movement */
		aux_send(c, PS2_ACK);
		aux_send(c, AUX_PACKET_ALWAYS1);
		aux_send(c, 0);
		aux_send(c, 0);
		break;
	case AUX_CMD_RESET_WRAP:
	case AUX_CMD_SET_WRAP:
		a->wrap = v == AUX_CMD_SET_WRAP;
		aux_send(c, PS2_ACK);
		break;
	case AUX_CMD_GET_ID:
		aux_send(c, PS2_ACK);
		aux_send(c, a->id);
		break;
	case AUX_CMD_ENABLE:
	case AUX_CMD_DISABLE:
		a->reporting = v == AUX_CMD_ENABLE;
		aux_send(c, PS2_ACK);
		break;
	case AUX_CMD_SET_DEFAULT:
		aux_defaults(a);
		aux_send(c, PS2_ACK);
		break;
	case AUX_CMD_RESEND: q_push(&a->q, a->last); break;
	case AUX_CMD_RESET:
		q_clear(&a->q);
		aux_defaults(a);
		a->id = AUX_ID;
		aux_send(c, PS2_ACK);
		aux_send(c, PS2_BAT_OK);
		aux_send(c, AUX_ID);
		break;
	default:
		/*
		 * A real mouse NAKs what it does not know. An ACK without the
		 * data a vendor probe (TrackPoint 0xe1, ...) waits for would
		 * cost psmouse a timeout per probe.
		 */
		aux_send(c, PS2_RESEND);
		break;
	}
}

/* ------------------------------------------------------------------ */
/* Controller                                                          */

static void i8042_reset_cpu(struct i8042 *c)
{
	vm_request_reset(c->vm, "i8042 reset");
}

static void outport_write(struct i8042 *c, uint8_t v)
{
	/* A20 is recorded for 0xd0; KVM has no A20 gate, the line stays enabled. */
	c->outport = v;
	if (!(v & I8042_OUT_RESET))
		i8042_reset_cpu(c);
}

static uint8_t outport_read(const struct i8042 *c)
{
	uint8_t v = c->outport & ~(I8042_OUT_KBD_OBF | I8042_OUT_AUX_OBF);

	if (c->out_full)
		v |= c->out_aux ? I8042_OUT_AUX_OBF : I8042_OUT_KBD_OBF;
	return v;
}

static void command_byte_write(struct i8042 *c, uint8_t v)
{
	c->ram[0] = v;
	/* The status register's system flag follows the command byte's. */
	if (v & I8042_CTR_SYSFLAG)
		c->status |= I8042_STR_SYSFLAG;
	else
		c->status &= ~I8042_STR_SYSFLAG;
}

static void cmd_write(struct i8042 *c, uint8_t cmd)
{
	c->status |= I8042_STR_CMDDAT;
	c->pending = 0;

	if (cmd >= I8042_CMD_READ_RAM && cmd < I8042_CMD_READ_RAM + 0x20) {
		ctrl_reply(c, c->ram[cmd & 0x1f], false);
		return;
	}
	if (cmd >= I8042_CMD_WRITE_RAM && cmd < I8042_CMD_WRITE_RAM + 0x20) {
		c->pending = cmd;
		return;
	}
	if (cmd >= I8042_CMD_PULSE) {
		if (!(cmd & I8042_OUT_RESET))
			i8042_reset_cpu(c);
		return;
	}
	switch (cmd) {
	case I8042_CMD_PWD_TEST: ctrl_reply(c, I8042_NO_PASSWORD, false); break;
	case I8042_CMD_AUX_DISABLE: c->ram[0] |= I8042_CTR_AUXDIS; break;
	case I8042_CMD_AUX_ENABLE: c->ram[0] &= ~I8042_CTR_AUXDIS; break;
	case I8042_CMD_AUX_TEST:
	case I8042_CMD_KBD_TEST:
	case I8042_CMD_READ_TEST:
		ctrl_reply(c, 0x00, false); /* no error / lines low */
		break;
	case I8042_CMD_CTL_TEST:
		c->status |= I8042_STR_SYSFLAG;
		ctrl_reply(c, I8042_CTL_TEST_OK, false);
		break;
	case I8042_CMD_KBD_DISABLE: c->ram[0] |= I8042_CTR_KBDDIS; break;
	case I8042_CMD_KBD_ENABLE: c->ram[0] &= ~I8042_CTR_KBDDIS; break;
	case I8042_CMD_READ_INPUT:
		ctrl_reply(c, 0x80, false); /* bit 7: keyboard not inhibited */
		break;
	case I8042_CMD_READ_OUTPUT: ctrl_reply(c, outport_read(c), false); break;
	case I8042_CMD_WRITE_OUTPUT:
	case I8042_CMD_KBD_LOOP:
	case I8042_CMD_AUX_LOOP:
	case I8042_CMD_AUX_SEND: c->pending = cmd; break;
	case I8042_CMD_A20_OFF: c->outport &= ~I8042_OUT_A20; break;
	case I8042_CMD_A20_ON: c->outport |= I8042_OUT_A20; break;
	default: /* vendor commands: ignored, as on most controllers */ break;
	}
}

static void data_write(struct i8042 *c, uint8_t v)
{
	uint8_t cmd = c->pending;

	c->status &= ~I8042_STR_CMDDAT;
	c->pending = 0;
	if (cmd >= I8042_CMD_WRITE_RAM && cmd < I8042_CMD_WRITE_RAM + 0x20) {
		if (cmd == I8042_CMD_WRITE_RAM)
			command_byte_write(c, v);
		else
			c->ram[cmd & 0x1f] = v;
		return;
	}
	switch (cmd) {
	case I8042_CMD_WRITE_OUTPUT: outport_write(c, v); break;
	case I8042_CMD_KBD_LOOP:
	case I8042_CMD_AUX_LOOP: ctrl_reply(c, v, cmd == I8042_CMD_AUX_LOOP); break;
	case I8042_CMD_AUX_SEND: aux_write(c, v); break;
	default:
		/* To the keyboard; sending to it enables its interface again. */
		c->ram[0] &= ~I8042_CTR_KBDDIS;
		kbd_write(c, v);
		break;
	}
}

static uint8_t status_read(const struct i8042 *c)
{
	uint8_t v = c->status | I8042_STR_KEYLOCK;

	if (c->out_full)
		v |= I8042_STR_OBF | (c->out_aux ? I8042_STR_AUXDATA : 0);
	return v;
}

static uint8_t data_read(struct i8042 *c)
{
	if (c->out_full) {
		c->out_full = false;
		update_irqs(c); /* the line drops; the next byte raises it anew */
	}
	return c->out; /* an empty buffer reads its last byte again */
}

static uint64_t i8042_data_read(void *opaque, uint64_t off, unsigned int len)
{
	struct i8042 *c = opaque;
	uint8_t v;

	pthread_mutex_lock(&c->lock);
	v = data_read(c);
	i8042_sync(c);
	pthread_mutex_unlock(&c->lock);
	return v;
}

static void i8042_data_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct i8042 *c = opaque;

	pthread_mutex_lock(&c->lock);
	data_write(c, val);
	i8042_sync(c);
	pthread_mutex_unlock(&c->lock);
}

static uint64_t i8042_status_read(void *opaque, uint64_t off, unsigned int len)
{
	struct i8042 *c = opaque;
	uint8_t v;

	pthread_mutex_lock(&c->lock);
	v = status_read(c);
	pthread_mutex_unlock(&c->lock);
	return v;
}

static void i8042_cmd_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct i8042 *c = opaque;

	pthread_mutex_lock(&c->lock);
	cmd_write(c, val);
	i8042_sync(c);
	pthread_mutex_unlock(&c->lock);
}

static const struct bus_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct bus_ops i8042_cmd_ops = {
	.read = i8042_status_read,
	.write = i8042_cmd_write,
};

/* ------------------------------------------------------------------ */
/* Input from the host                                                 */

void i8042_kbd_push(const uint8_t *bytes, size_t n)
{
	struct i8042 *c = &i8042;

	if (!c->vm)
		return;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; c->kbd.scanning && i < n; i++)
		kbd_send(c, bytes[i]);
	i8042_sync(c);
	pthread_mutex_unlock(&c->lock);
}

void i8042_aux_push(const uint8_t *bytes, size_t n)
{
	struct i8042 *c = &i8042;
	bool streaming;

	if (!c->vm)
		return;
	pthread_mutex_lock(&c->lock);
	streaming = c->aux.reporting && !c->aux.remote && !c->aux.wrap;
	for (size_t i = 0; streaming && i < n; i++)
		aux_send(c, bytes[i]);
	i8042_sync(c);
	pthread_mutex_unlock(&c->lock);
}

/*
 * The 8042's translation of scan code set 2 into set 1, for codes below
 * 0x80 (IBM PS/2 technical reference; QEMU's ps2.c has the same table).
 * Set 2's F7 (0x83) becomes 0x41; prefixes and replies pass unchanged.
 */
static const uint8_t xlate_set2[128] = {
	0xff, 0x43, 0x41, 0x3f, 0x3d, 0x3b, 0x3c, 0x58, 0x64, 0x44, 0x42, 0x40, 0x3e, 0x0f, 0x29,
	0x59, 0x65, 0x38, 0x2a, 0x70, 0x1d, 0x10, 0x02, 0x5a, 0x66, 0x71, 0x2c, 0x1f, 0x1e, 0x11,
	0x03, 0x5b, 0x67, 0x2e, 0x2d, 0x20, 0x12, 0x05, 0x04, 0x5c, 0x68, 0x39, 0x2f, 0x21, 0x14,
	0x13, 0x06, 0x5d, 0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5e, 0x6a, 0x72, 0x32, 0x24,
	0x16, 0x08, 0x09, 0x5f, 0x6b, 0x33, 0x25, 0x17, 0x18, 0x0b, 0x0a, 0x60, 0x6c, 0x34, 0x35,
	0x26, 0x27, 0x19, 0x0c, 0x61, 0x6d, 0x73, 0x28, 0x74, 0x1a, 0x0d, 0x62, 0x6e, 0x3a, 0x36,
	0x1c, 0x1b, 0x75, 0x2b, 0x63, 0x76, 0x55, 0x56, 0x77, 0x78, 0x79, 0x7a, 0x0e, 0x7b, 0x7c,
	0x4f, 0x7d, 0x4b, 0x47, 0x7e, 0x7f, 0x6f, 0x52, 0x53, 0x50, 0x4c, 0x4d, 0x48, 0x01, 0x45,
	0x57, 0x4e, 0x51, 0x4a, 0x37, 0x49, 0x46, 0x54,
};

uint8_t i8042_xlate(uint8_t code)
{
	if (code < 0x80)
		return xlate_set2[code];
	return code == 0x83 ? 0x41 : code;
}

/*
 * Queue set-2 bytes as the guest should see them: translated to set 1 when
 * the command byte's XLATE bit is on or the keyboard was put in set 1 (a
 * break prefix F0 then sets bit 7 of the next code). Set 3 is not
 * modelled: such a guest gets set 2.
 */
static void kbd_send_set2(struct i8042 *c, const uint8_t *b, size_t n)
{
	bool xlate = (c->ram[0] & I8042_CTR_XLATE) || c->kbd.scanset == 1;
	bool brk = false;

	for (size_t i = 0; i < n; i++) {
		if (!xlate) {
			kbd_send(c, b[i]);
		} else if (b[i] == 0xf0) {
			brk = true;
		} else {
			kbd_send(c, i8042_xlate(b[i]) | (brk ? 0x80 : 0));
			brk = false;
		}
	}
}

void i8042_kbd_key(unsigned int code, bool down)
{
	struct i8042 *c = &i8042;
	uint8_t b[8];
	size_t n = 0;

	if (!c->vm || !code)
		return;
	if (code == KEY_SET2_PAUSE) {
		/* Make only; Pause has no break code. */
		static const uint8_t pause[] = { 0xe1, 0x14, 0x77, 0xe1, 0xf0, 0x14, 0xf0, 0x77 };

		if (!down)
			return;
		memcpy(b, pause, sizeof(pause));
		n = sizeof(pause);
	} else if (code == KEY_SET2_PRINT) {
		/* A fake left Shift around keypad '*', as the keyboard sends it. */
		static const uint8_t make[] = { 0xe0, 0x12, 0xe0, 0x7c };
		static const uint8_t brk[] = { 0xe0, 0xf0, 0x7c, 0xe0, 0xf0, 0x12 };

		n = down ? sizeof(make) : sizeof(brk);
		memcpy(b, down ? make : brk, n);
	} else {
		if (code & KEY_SET2_E0)
			b[n++] = 0xe0;
		if (!down)
			b[n++] = 0xf0;
		b[n++] = code & 0xff;
	}
	pthread_mutex_lock(&c->lock);
	if (c->kbd.scanning)
		kbd_send_set2(c, b, n);
	i8042_sync(c);
	pthread_mutex_unlock(&c->lock);
}

static uint8_t clamp_delta(int *d, int lim)
{
	int v = *d < -lim ? -lim : *d > lim ? lim : *d;

	*d -= v;
	return (uint8_t)v;
}

void i8042_mouse_event(int dx, int dy, int dz, unsigned int buttons)
{
	struct i8042 *c = &i8042;

	if (!c->vm)
		return;
	pthread_mutex_lock(&c->lock);
	/* PS/2 counts up as positive y; the host's y grows downwards. */
	dy = -dy;
	do {
		struct ps2_aux *a = &c->aux;
		int x = dx, y = dy;
		uint8_t px = clamp_delta(&dx, 255), py = clamp_delta(&dy, 255);
		uint8_t pz = clamp_delta(&dz, 7);
		uint8_t b0 = AUX_PACKET_ALWAYS1 | (buttons & 7);

		if (!a->reporting || a->remote || a->wrap ||
		    a->q.count + 4 > PS2_QUEUE_SIZE) /* no room: drop, as a mouse would */
			break;
		b0 |= (x < 0 ? 0x10 : 0) | (y < 0 ? 0x20 : 0);
		aux_send(c, b0);
		aux_send(c, px);
		aux_send(c, py);
		if (a->id == AUX_ID_WHEEL) /* a signed byte, -8..7 as QEMU sends */
			aux_send(c, pz);
	} while (dx || dy || dz);
	i8042_sync(c);
	pthread_mutex_unlock(&c->lock);
}

/* ------------------------------------------------------------------ */
/* Device                                                              */

/*
 * As firmware leaves it after POST: keyboard interrupt on, translation
 * on, AUX disabled, system flag set.
 */
static void i8042_power_on(struct i8042 *c)
{
	memset(c->ram, 0, sizeof(c->ram));
	c->ram[0] = I8042_CTR_KBDINT | I8042_CTR_SYSFLAG | I8042_CTR_AUXDIS | I8042_CTR_XLATE;
	c->status = I8042_STR_SYSFLAG;
	c->outport = I8042_OUT_RESET | I8042_OUT_A20;
	c->pending = 0;
	c->out = 0;
	c->out_full = c->out_aux = false;
	c->ctrl_count = 0;
	memset(&c->kbd, 0, sizeof(c->kbd));
	kbd_defaults(&c->kbd);
	c->kbd.scanning = true;
	memset(&c->aux, 0, sizeof(c->aux));
	aux_defaults(&c->aux);
}

static void i8042_reset(struct vm *vm)
{
	struct i8042 *c = &i8042;

	pthread_mutex_lock(&c->lock);
	i8042_power_on(c);
	update_irqs(c);
	pthread_mutex_unlock(&c->lock);
}

static void i8042_shutdown(struct vm *vm)
{
	struct i8042 *c = &i8042;

	bus_unregister(c->data_region);
	bus_unregister(c->cmd_region);
	c->data_region = c->cmd_region = NULL;
	c->vm = NULL;
}

static int i8042_describe(struct vm *vm)
{
	static const struct isa_dev_desc kbd = {
		.name = "KBD",
		.hid = "PNP0303",
		.uid = 0,
		.io = { { I8042_DATA_PORT, 1 }, { I8042_CMD_PORT, 1 } },
		.irq_mask = 1u << I8042_KBD_IRQ,
	};
	static const struct isa_dev_desc mouse = {
		.name = "MOU",
		.hid = "PNP0F13",
		.uid = 0,
		.irq_mask = 1u << I8042_AUX_IRQ,
	};
	int ret;

	ret = platform_add_isa_dev(&vm->platform, &kbd);
	if (!ret)
		ret = platform_add_isa_dev(&vm->platform, &mouse);
	if (ret)
		return ret;
	/* The ACPI reset register: the FADT points it at our pulse command. */
	vm->platform.reset_port = I8042_CMD_PORT;
	vm->platform.reset_value = I8042_RESET_CMD;
	return 0;
}

static int i8042_init(struct vm *vm)
{
	struct i8042 *c = &i8042;
	int ret;

	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->vm = vm;
	i8042_power_on(c);
	c->data_region =
		bus_register(BUS_PIO, I8042_DATA_PORT, 1, &i8042_data_ops, c, "i8042 data");
	c->cmd_region = bus_register(BUS_PIO, I8042_CMD_PORT, 1, &i8042_cmd_ops, c, "i8042 cmd");
	ret = c->data_region && c->cmd_region ? i8042_describe(vm) : -EBUSY;
	if (ret)
		i8042_shutdown(vm);
	return ret;
}

struct device i8042_device = {
	.name = "i8042",
	.level = DEV_LEVEL_PLATFORM,
	.init = i8042_init,
	.reset = i8042_reset,
	.shutdown = i8042_shutdown,
};
device_init(i8042_device);
