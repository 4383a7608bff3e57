// SPDX-License-Identifier: GPL-2.0
/*
 * Enlightened mode: the emulated IDE disks also offer virtio rings.
 *
 * The PIIX3 IDE function gets BAR 5 (32-bit memory, ENL_BAR_SIZE):
 *
 *	0x0000	control page (enlight/abi.h: magic, handshake, switch)
 *	0x1000	MSI-X table (ENL_VECTORS), 0x2000 its PBA
 *	0x4000	drive 0's window, then one window per drive position:
 *		modern virtio-pci common config, ISR, device config and
 *		doorbells (ENLIGHT_WIN_*), found by the guest through vendor
 *		capabilities, not by these numbers
 *
 * Each ATA disk gets a virtio-blk device (virtio/blk.c) on the disk's own
 * block back-end, so both paths reach one image through one queue of
 * requests, in the order they were submitted. The common configuration
 * is virtio/pci_common.c's; doorbells are KVM_IOEVENTFDs as on virtio-pci.
 *
 * Switch (a vCPU writes COMMAND): the drive is marked enlightened first,
 * so from then on the IDE registers hide it (devices/ide.c); then every
 * emulated block request it had in flight is waited for and the image
 * flushed; only then does the write return and the device accept
 * DRIVER_OK. Before the switch a drive's device refuses to start, so a
 * disk is never driven through both paths at once by a well-behaved
 * driver.
 *
 * Locking: e->lock serialises the control page (a switch holds it while it
 * drains); a window's registers take its virtio device's lock, as on
 * virtio-pci; drive state belongs to devices/ide.c's channel lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <linux/kvm.h>
#include <linux/virtio_pci.h>

#include "config/config.h"
#include "cpu/vm.h"
#include "devices/block/block.h"
#include "devices/ide.h"
#include "enlight/abi.h"
#include "enlight/enlight.h"
#include "virtio/blk.h"
#include "virtio/transport.h"
#include "virtio/virtio.h"

#define ENL_BAR	       5
#define ENL_BAR_SIZE   0x20000
#define ENL_CONTROL    0x0000
#define ENL_CTL_SIZE   0x1000
#define ENL_MSIX_TABLE 0x1000
#define ENL_MSIX_PBA   0x2000
#define ENL_WIN_BASE   0x4000
#define ENL_VECTORS    (ENLIGHT_MAX_DRIVES * ENLIGHT_MSIX_PER_DRIVE)
#define ENL_CAP_START  0x80 /* the PIIX's own registers are at 0x40-0x4f */

struct enlight;

struct enl_drive {
	struct enlight *e;
	unsigned int n;	     /* channel * 2 + unit */
	struct ide_drive *d; /* NULL: no hard disk at this position */
	struct virtio_dev *vdev;
	struct vpci_common regs;
	uint64_t ioeventfd_addr; /* where the doorbell is registered, 0 = none */
	char name[24];
	/* --stats */
	uint64_t st_exits, st_switches, st_drained;
};

struct enlight {
	struct vm *vm;
	struct ide_ctrl *c;
	pthread_mutex_t lock;
	uint32_t drives; /* DRIVES */
	uint32_t product, build, result, state;
	uint32_t enlightened; /* ENLIGHTENED (atomic: read without the lock) */
	bool ioeventfd_failed;
	struct enl_drive drv[ENLIGHT_MAX_DRIVES];
};

static struct enlight *enlight_of(struct ide_ctrl *c)
{
	return c->enlight;
}

/* ------------------------------------------------------------------ */
/* Interrupts: MSI-X of the IDE function, or none (the ISR says why)    */

static void enl_notify_queue(struct virtio_dev *vdev, unsigned int q)
{
	struct enl_drive *ed = vdev->transport_priv;
	struct pci_dev *pci = &ed->e->c->pci;

	if (pci_msix_enabled(pci)) {
		uint16_t v = __atomic_load_n(&vdev->vqs[q].msix_vector, __ATOMIC_RELAXED);

		if (v != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(pci, v);
	}
}

static void enl_notify_config(struct virtio_dev *vdev)
{
	struct enl_drive *ed = vdev->transport_priv;
	struct pci_dev *pci = &ed->e->c->pci;

	if (pci_msix_enabled(pci)) {
		uint16_t v = __atomic_load_n(&ed->regs.msix_config, __ATOMIC_RELAXED);

		if (v != VIRTIO_MSI_NO_VECTOR)
			pci_msix_notify(pci, v);
	}
}

static void enl_reset(struct virtio_dev *vdev)
{
	struct enl_drive *ed = vdev->transport_priv;

	vpci_common_reset(&ed->regs);
}

static const struct virtio_transport_ops enl_tops = {
	.notify_queue = enl_notify_queue,
	.notify_config = enl_notify_config,
	.reset = enl_reset,
	.name = "enlightened IDE",
};

/* ------------------------------------------------------------------ */
/* The control page                                                    */

static bool denied(const struct config *cfg, uint32_t product, uint32_t build)
{
	for (unsigned int i = 0; i < cfg->nr_enlight_deny; i++)
		if (cfg->enlight_deny[i].product == product && cfg->enlight_deny[i].build == build)
			return true;
	return false;
}

/* A flush on the back-end, waited for (vCPU thread, no device lock held). */
static void sync_done(struct blk_req *br, int result)
{
	*(int *)br->opaque = result;
}

static int flush_sync(struct blk *b)
{
	int result = -EINPROGRESS;
	struct blk_req br = { .op = BLK_FLUSH, .done = sync_done, .opaque = &result };

	blk_submit(b, &br);
	blk_drain(b);
	return result == -EINPROGRESS ? -EIO : result;
}

/* e->lock held. */
static uint32_t do_switch(struct enlight *e, unsigned int n)
{
	struct enl_drive *ed;
	unsigned int drained;
	int ret;

	if (e->state != ENLIGHT_ST_ACCEPTED)
		return ENLIGHT_RES_NO_HELLO;
	if (n >= ENLIGHT_MAX_DRIVES || !(e->drives & 1u << n))
		return ENLIGHT_RES_NO_DRIVE;
	if (__atomic_load_n(&e->enlightened, __ATOMIC_ACQUIRE) & 1u << n)
		return ENLIGHT_RES_OK;
	ed = &e->drv[n];
	/* Hidden from the IDE registers first, then drained and flushed. */
	drained = ide_drive_enlighten(ed->d);
	blk_drain(ed->d->blk);
	ret = flush_sync(ed->d->blk);
	if (ret) {
		fprintf(stderr, "vmm: %s: flush before enlightened mode failed: %s\n", ed->d->name,
			strerror(-ret));
		ide_drive_emulate(ed->d);
		return ENLIGHT_RES_IO_ERROR;
	}
	ed->st_switches++;
	ed->st_drained += drained;
	__atomic_fetch_or(&e->enlightened, 1u << n, __ATOMIC_ACQ_REL);
	return ENLIGHT_RES_OK;
}

/* e->lock held. */
static void run_command(struct enlight *e, uint32_t cmd)
{
	switch (cmd & ENLIGHT_CMD_MASK) {
	case ENLIGHT_CMD_HELLO:
		if (denied(e->vm->cfg, e->product, e->build)) {
			e->state = ENLIGHT_ST_DENIED;
			e->result = ENLIGHT_RES_DENIED;
			fprintf(stderr,
				"vmm: enlightened mode refused to guest driver %" PRIu32 ":%" PRIu32
				" (--enlight-deny)\n",
				e->product, e->build);
		} else {
			e->state = ENLIGHT_ST_ACCEPTED;
			e->result = ENLIGHT_RES_OK;
		}
		break;
	case ENLIGHT_CMD_SWITCH: e->result = do_switch(e, cmd >> 8); break;
	default: e->result = ENLIGHT_RES_BAD_CMD; break;
	}
}

static uint32_t control_reg(struct enlight *e, uint64_t reg)
{
	switch (reg) {
	case ENLIGHT_REG_MAGIC: return ENLIGHT_MAGIC;
	case ENLIGHT_REG_VERSION: return ENLIGHT_VERSION;
	case ENLIGHT_REG_DRIVES: return e->drives;
	case ENLIGHT_REG_PRODUCT: return e->product;
	case ENLIGHT_REG_BUILD: return e->build;
	case ENLIGHT_REG_RESULT: return e->result;
	case ENLIGHT_REG_STATE: return e->state;
	case ENLIGHT_REG_ENLIGHTENED: return __atomic_load_n(&e->enlightened, __ATOMIC_ACQUIRE);
	default: return 0;
	}
}

/* Registers are 32-bit; a narrower read sees its bytes of one. */
static uint64_t control_read(struct enlight *e, uint64_t off, unsigned int len)
{
	uint64_t reg = off & ~3ull, v;

	pthread_mutex_lock(&e->lock);
	v = control_reg(e, reg);
	if (len == 8)
		v |= (uint64_t)control_reg(e, reg + 4) << 32;
	pthread_mutex_unlock(&e->lock);
	v >>= 8 * (off & 3);
	return len >= 8 ? v : v & ((1ull << (8 * len)) - 1);
}

/* Only whole, aligned 32-bit writes count: a register is one value. */
static void control_write(struct enlight *e, uint64_t off, uint64_t val, unsigned int len)
{
	if (len != 4 || (off & 3))
		return;
	pthread_mutex_lock(&e->lock);
	switch (off) {
	case ENLIGHT_REG_PRODUCT: e->product = val; break;
	case ENLIGHT_REG_BUILD: e->build = val; break;
	case ENLIGHT_REG_COMMAND: run_command(e, val); break;
	default: break;
	}
	pthread_mutex_unlock(&e->lock);
}

/* ------------------------------------------------------------------ */
/* A drive's window                                                    */

#define CC(field) offsetof(struct virtio_pci_common_cfg, field)

static uint64_t window_read(struct enl_drive *ed, uint64_t off, unsigned int len)
{
	struct virtio_dev *vdev = ed->vdev;
	uint64_t val = 0;

	__atomic_fetch_add(&ed->st_exits, 1, __ATOMIC_RELAXED);
	if (off >= ENLIGHT_WIN_ISR && off < ENLIGHT_WIN_DEVCFG)
		return off == ENLIGHT_WIN_ISR ? __atomic_exchange_n(&vdev->isr, 0, __ATOMIC_ACQ_REL)
					      : 0;
	pthread_mutex_lock(&vdev->lock);
	if (off < ENLIGHT_WIN_ISR) {
		val = vpci_common_read(&ed->regs, off, len);
	} else if (off >= ENLIGHT_WIN_DEVCFG && off < ENLIGHT_WIN_NOTIFY) {
		uint64_t c = off - ENLIGHT_WIN_DEVCFG;

		if (c + len <= vdev->config_size && vdev->ops->config_read)
			vdev->ops->config_read(vdev, c, &val, len);
	}
	pthread_mutex_unlock(&vdev->lock);
	return val;
}

static void window_write(struct enl_drive *ed, uint64_t off, uint64_t val, unsigned int len)
{
	struct virtio_dev *vdev = ed->vdev;
	uint32_t bit = 1u << ed->n;

	__atomic_fetch_add(&ed->st_exits, 1, __ATOMIC_RELAXED);
	if (off >= ENLIGHT_WIN_NOTIFY) {
		/* A doorbell KVM did not take: the same effect. */
		virtio_trapped_notify(vdev, (off - ENLIGHT_WIN_NOTIFY) / ENLIGHT_NOTIFY_MULT);
		return;
	}
	pthread_mutex_lock(&vdev->lock);
	if (off < ENLIGHT_WIN_ISR) {
		/* Until the switch the device does not start: one path at a time. */
		if (off == CC(device_status) && val &&
		    !(__atomic_load_n(&ed->e->enlightened, __ATOMIC_ACQUIRE) & bit)) {
			pthread_mutex_unlock(&vdev->lock);
			return;
		}
		vpci_common_write(&ed->regs, off, val, len);
	} else if (off >= ENLIGHT_WIN_DEVCFG) {
		uint64_t c = off - ENLIGHT_WIN_DEVCFG;

		if (c + len <= vdev->config_size && vdev->ops->config_write)
			vdev->ops->config_write(vdev, c, &val, len);
	}
	pthread_mutex_unlock(&vdev->lock);
}

static struct enl_drive *window_of(struct enlight *e, uint64_t *off)
{
	unsigned int n;

	if (*off < ENL_WIN_BASE)
		return NULL;
	n = (*off - ENL_WIN_BASE) / ENLIGHT_WIN_SIZE;
	if (n >= ENLIGHT_MAX_DRIVES || !e->drv[n].vdev)
		return NULL;
	*off = (*off - ENL_WIN_BASE) % ENLIGHT_WIN_SIZE;
	return &e->drv[n];
}

/* ------------------------------------------------------------------ */
/* BAR 5                                                               */

static uint64_t bar_read(void *opaque, uint64_t off, unsigned int len)
{
	struct enlight *e = opaque;
	struct enl_drive *ed;

	if (off < ENL_CTL_SIZE)
		return control_read(e, off, len);
	if (off < ENL_WIN_BASE)
		return pci_msix_read(&e->c->pci, off, len);
	ed = window_of(e, &off);
	return ed ? window_read(ed, off, len) : 0;
}

static void bar_write(void *opaque, uint64_t off, uint64_t val, unsigned int len)
{
	struct enlight *e = opaque;
	struct enl_drive *ed;

	if (off < ENL_CTL_SIZE) {
		control_write(e, off, val, len);
		return;
	}
	if (off < ENL_WIN_BASE) {
		pci_msix_write(&e->c->pci, off, val, len);
		return;
	}
	ed = window_of(e, &off);
	if (ed)
		window_write(ed, off, val, len);
}

static const struct bus_ops enl_bar_ops = { .read = bar_read, .write = bar_write };

/* Doorbells through KVM_IOEVENTFD: queue 0 of each drive. */
static int ioeventfd(struct enl_drive *ed, uint64_t bar_addr, bool assign)
{
	struct kvm_ioeventfd io = {
		.addr = bar_addr + ENL_WIN_BASE + ed->n * ENLIGHT_WIN_SIZE + ENLIGHT_WIN_NOTIFY,
		.len = 2,
		.fd = ed->vdev->kick_fd[0],
		.flags = assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN,
	};

	return ioctl(ed->e->vm->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

void enlight_bar_remap(struct ide_ctrl *c, int bar, uint64_t addr)
{
	struct enlight *e = enlight_of(c);

	if (!e || bar != ENL_BAR)
		return;
	for (unsigned int n = 0; n < ENLIGHT_MAX_DRIVES; n++) {
		struct enl_drive *ed = &e->drv[n];
		int ret;

		if (!ed->vdev || addr == ed->ioeventfd_addr)
			continue;
		if (ed->ioeventfd_addr)
			ioeventfd(ed, ed->ioeventfd_addr, false);
		ed->ioeventfd_addr = 0;
		if (!addr || e->ioeventfd_failed)
			continue;
		ret = ioeventfd(ed, addr, true);
		if (ret < 0) {
			fprintf(stderr, "vmm: %s: no KVM_IOEVENTFD (%s); notifications trap\n",
				ed->name, strerror(-ret));
			e->ioeventfd_failed = true;
			continue;
		}
		ed->ioeventfd_addr = addr;
	}
}

/* ------------------------------------------------------------------ */
/* Set-up, reset, --stats                                              */

static int add_cap(struct ide_ctrl *c, uint8_t type, uint8_t id, uint32_t off, uint32_t len)
{
	struct virtio_pci_cap cap = {
		.cap_vndr = PCI_CAP_ID_VNDR,
		.cap_len = sizeof(cap),
		.cfg_type = type,
		.bar = ENL_BAR,
		.id = id,
		.offset = off,
		.length = len,
	};

	return pci_add_cap(&c->pci, &cap, sizeof(cap), NULL);
}

static int add_drive(struct enlight *e, unsigned int n, struct ide_drive *d)
{
	struct enl_drive *ed = &e->drv[n];

	ed->e = e;
	ed->n = n;
	ed->d = d;
	snprintf(ed->name, sizeof(ed->name), "%s-virtio", d->name);
	ed->vdev = virtio_blk_attach(e->vm, d->blk, ed->name, "", &enl_tops, ed);
	if (!ed->vdev)
		return -ECANCELED;
	vpci_common_init(&ed->regs, ed->vdev, ENL_VECTORS);
	e->drives |= 1u << n;
	return add_cap(e->c, ENLIGHT_CAP_DRIVE, n, ENL_WIN_BASE + n * ENLIGHT_WIN_SIZE,
		       ENLIGHT_WIN_SIZE);
}

int enlight_setup(struct vm *vm, struct ide_ctrl *c)
{
	struct enlight *e;
	int ret;

	if (!vm->cfg || vm->cfg->no_enlight)
		return 0;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->vm = vm;
	e->c = c;
	pthread_mutex_init(&e->lock, NULL);
	c->enlight = e;
	c->pci.cfg[PCI_SUBSYSTEM_VENDOR_ID] = ENLIGHT_SUBSYS_VENDOR & 0xff;
	c->pci.cfg[PCI_SUBSYSTEM_VENDOR_ID + 1] = ENLIGHT_SUBSYS_VENDOR >> 8;
	c->pci.cfg[PCI_SUBSYSTEM_ID] = ENLIGHT_SUBSYS_DEVICE & 0xff;
	c->pci.cfg[PCI_SUBSYSTEM_ID + 1] = ENLIGHT_SUBSYS_DEVICE >> 8;
	c->pci.next_cap = ENL_CAP_START;
	ret = pci_add_bar(&c->pci, ENL_BAR, PCI_BAR_MEM32, ENL_BAR_SIZE, &enl_bar_ops, e);
	if (!ret)
		ret = add_cap(c, ENLIGHT_CAP_CONTROL, 0, ENL_CONTROL, ENL_CTL_SIZE);
	for (unsigned int n = 0; n < ENLIGHT_MAX_DRIVES && ret >= 0; n++) {
		struct ide_drive *d = &c->ch[n / 2].drive[n % 2];

		if (d->present && !d->atapi && d->blk)
			ret = add_drive(e, n, d);
	}
	if (ret >= 0)
		ret = pci_add_msix(&c->pci, ENL_VECTORS, ENL_BAR, ENL_MSIX_TABLE, ENL_MSIX_PBA);
	if (ret < 0) {
		if (ret != -ECANCELED)
			fprintf(stderr, "vmm: IDE enlightened interface: %s\n", strerror(-ret));
		return -ECANCELED;
	}
	return 0;
}

void enlight_reset(struct ide_ctrl *c)
{
	struct enlight *e = enlight_of(c);

	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	for (unsigned int n = 0; n < ENLIGHT_MAX_DRIVES; n++) {
		struct enl_drive *ed = &e->drv[n];

		if (!ed->vdev)
			continue;
		/* Rings stopped (their requests drained) before the disk is IDE again. */
		pthread_mutex_lock(&ed->vdev->lock);
		virtio_set_status(ed->vdev, 0);
		pthread_mutex_unlock(&ed->vdev->lock);
		ide_drive_emulate(ed->d);
	}
	e->product = e->build = e->result = 0;
	e->state = ENLIGHT_ST_NONE;
	__atomic_store_n(&e->enlightened, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&e->lock);
}

void enlight_take_ring(struct ide_ctrl *c, struct ide_drive *d)
{
	struct enlight *e = c ? enlight_of(c) : NULL;

	if (!e)
		return;
	for (unsigned int n = 0; n < ENLIGHT_MAX_DRIVES; n++) {
		struct virtio_dev *vdev = e->drv[n].vdev;

		/*
		 * One pass takes everything on the ring (its budget is larger
		 * than a queue) and submits it before it returns; if the I/O
		 * thread is in the middle of a pass, this waits for its lock.
		 */
		if (e->drv[n].d == d && vdev && (virtio_status(vdev) & VIRTIO_CONFIG_S_DRIVER_OK))
			virtio_blk_take_ring(vdev);
	}
}

void enlight_print_stats(struct ide_ctrl *c, FILE *f)
{
	struct enlight *e = enlight_of(c);

	if (!e)
		return;
	for (unsigned int n = 0; n < ENLIGHT_MAX_DRIVES; n++) {
		struct enl_drive *ed = &e->drv[n];
		struct ide_drive *d = ed->d;

		if (!ed->vdev)
			continue;
		fprintf(f,
			"enlight %s: mode %s; emulated: %" PRIu64 " exits, %" PRIu64
			" requests, %" PRIu64 " shunted; enlightened: %" PRIu64 " exits, %" PRIu64
			" kicks, %" PRIu64 " requests; switches %" PRIu64 ", drained %" PRIu64 "\n",
			d->name,
			__atomic_load_n(&e->enlightened, __ATOMIC_ACQUIRE) & 1u << n ? "enlightened"
										     : "emulated",
			d->st_exits, d->st_cmds, d->st_shunted, ed->st_exits,
			virtio_queue_kicks(ed->vdev, 0), virtio_blk_requests(ed->vdev),
			ed->st_switches, ed->st_drained);
	}
}
