// SPDX-License-Identifier: GPL-2.0
/*
 * shunt: vmm's enlightened-mode driver for Linux guests.
 *
 * vmm's emulated PIIX IDE function (8086:7010, subsystem
 * ENLIGHT_SUBSYS_VENDOR:ENLIGHT_SUBSYS_DEVICE) also offers each hard disk
 * as a virtio block device (enlight/abi.h). On probe the shunt does the
 * handshake, switches every hard disk onto its virtqueues and registers a
 * virtio device for it through the small transport below; the stock
 * virtio_blk driver then gives /dev/vdX. The disks vanish from the IDE
 * registers, the CD-ROM stays there: the probe then fails on purpose, so
 * the function stays free for ata_piix. Hence nothing here is devres.
 */
#include <linux/delay.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/msi.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/version.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/virtio_ids.h>
#include <uapi/linux/virtio_pci.h>

#include "abi.h"

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0) || LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#error "shunt_keep_msi() follows Linux 6.1's kernel/irq/msi.c: check it"
#endif

static unsigned int build = 1;
module_param(build, uint, 0444);
MODULE_PARM_DESC(build, "build number told to vmm (its deny list matches it)");

struct shunt_drive {
	struct virtio_device vdev;
	struct pci_dev *pdev;
	void __iomem *win;
	struct virtio_pci_common_cfg __iomem *common;
	int n; /* drive number: channel * 2 + unit */
	int cfg_irq, vq_irq;
	bool registered;
};

static struct shunt {
	struct pci_dev *pdev;
	void __iomem *ctl;
	int bar;
	struct msi_device_data *msi;
	struct shunt_drive *drive[ENLIGHT_MAX_DRIVES];
} shunt;

static struct shunt_drive *to_drive(struct virtio_device *vdev)
{
	return container_of(vdev, struct shunt_drive, vdev);
}

static void shunt_get(struct virtio_device *vdev, unsigned int off, void *buf, unsigned int len)
{
	void __iomem *p = to_drive(vdev)->win + ENLIGHT_WIN_DEVCFG + off;
	__le16 w;
	__le32 l;

	switch (len) {
	case 2:
		w = cpu_to_le16(ioread16(p));
		memcpy(buf, &w, 2);
		break;
	case 4:
	case 8:
		l = cpu_to_le32(ioread32(p));
		memcpy(buf, &l, 4);
		if (len == 8) {
			l = cpu_to_le32(ioread32(p + 4));
			memcpy(buf + 4, &l, 4);
		}
		break;
	default:
		while (len--)
			*(u8 *)buf++ = ioread8(p++);
	}
}

static void shunt_set(struct virtio_device *vdev, unsigned int off, const void *buf,
		      unsigned int len)
{
	void __iomem *p = to_drive(vdev)->win + ENLIGHT_WIN_DEVCFG + off;

	while (len--)
		iowrite8(*(const u8 *)buf++, p++);
}

static u32 shunt_generation(struct virtio_device *vdev)
{
	return ioread8(&to_drive(vdev)->common->config_generation);
}

static u8 shunt_get_status(struct virtio_device *vdev)
{
	return ioread8(&to_drive(vdev)->common->device_status);
}

static void shunt_set_status(struct virtio_device *vdev, u8 status)
{
	WARN_ON(!status); /* 0 is a reset: shunt_reset() */
	iowrite8(status, &to_drive(vdev)->common->device_status);
}

static void shunt_synchronize_cbs(struct virtio_device *vdev)
{
	struct shunt_drive *d = to_drive(vdev);

	synchronize_irq(d->vq_irq);
	synchronize_irq(d->cfg_irq);
}

static void shunt_reset(struct virtio_device *vdev)
{
	struct shunt_drive *d = to_drive(vdev);

	iowrite8(0, &d->common->device_status);
	/* The reset is done when the status reads 0 again (virtio 1.1 4.1.4.3). */
	while (ioread8(&d->common->device_status))
		msleep(1);
	shunt_synchronize_cbs(vdev);
}

static u64 shunt_get_features(struct virtio_device *vdev)
{
	struct virtio_pci_common_cfg __iomem *c = to_drive(vdev)->common;
	u64 f;

	iowrite32(0, &c->device_feature_select);
	f = ioread32(&c->device_feature);
	iowrite32(1, &c->device_feature_select);
	return f | (u64)ioread32(&c->device_feature) << 32;
}

static int shunt_finalize_features(struct virtio_device *vdev)
{
	struct virtio_pci_common_cfg __iomem *c = to_drive(vdev)->common;

	vring_transport_features(vdev);
	if (!__virtio_test_bit(vdev, VIRTIO_F_VERSION_1)) {
		dev_err(&vdev->dev, "the drive does not offer VIRTIO_F_VERSION_1\n");
		return -EINVAL;
	}
	iowrite32(0, &c->guest_feature_select);
	iowrite32(lower_32_bits(vdev->features), &c->guest_feature);
	iowrite32(1, &c->guest_feature_select);
	iowrite32(upper_32_bits(vdev->features), &c->guest_feature);
	return 0;
}

static bool shunt_notify(struct virtqueue *vq)
{
	iowrite16(vq->index, (void __iomem *)vq->priv);
	return true;
}

static void shunt_del_vqs(struct virtio_device *vdev)
{
	struct shunt_drive *d = to_drive(vdev);
	struct virtqueue *vq, *n;

	list_for_each_entry_safe(vq, n, &vdev->vqs, list) {
		iowrite16(vq->index, &d->common->queue_select);
		iowrite16(VIRTIO_MSI_NO_VECTOR, &d->common->queue_msix_vector);
		free_irq(d->vq_irq, vq);
		vring_del_virtqueue(vq);
	}
}

/* Queue i of a drive: a split ring, its doorbell, its MSI-X vector. */
static struct virtqueue *shunt_setup_vq(struct shunt_drive *d, unsigned int i, vq_callback_t *cb,
					const char *name, bool ctx, u16 vector)
{
	struct virtio_pci_common_cfg __iomem *c = d->common;
	struct virtqueue *vq;
	u16 num;
	int err;

	iowrite16(i, &c->queue_select);
	num = ioread16(&c->queue_size);
	if (!num || ioread16(&c->queue_enable))
		return ERR_PTR(-ENOENT);
	vq = vring_create_virtqueue(i, num, SMP_CACHE_BYTES, &d->vdev, true, true, ctx,
				    shunt_notify, cb, name);
	if (!vq)
		return ERR_PTR(-ENOMEM);
	vq->priv = d->win + ENLIGHT_WIN_NOTIFY + i * ENLIGHT_NOTIFY_MULT;
	iowrite16(virtqueue_get_vring_size(vq), &c->queue_size);
	iowrite32(lower_32_bits(virtqueue_get_desc_addr(vq)), &c->queue_desc_lo);
	iowrite32(upper_32_bits(virtqueue_get_desc_addr(vq)), &c->queue_desc_hi);
	iowrite32(lower_32_bits(virtqueue_get_avail_addr(vq)), &c->queue_avail_lo);
	iowrite32(upper_32_bits(virtqueue_get_avail_addr(vq)), &c->queue_avail_hi);
	iowrite32(lower_32_bits(virtqueue_get_used_addr(vq)), &c->queue_used_lo);
	iowrite32(upper_32_bits(virtqueue_get_used_addr(vq)), &c->queue_used_hi);
	iowrite16(vector, &c->queue_msix_vector);
	err = -EBUSY;
	if (ioread16(&c->queue_msix_vector) != vector)
		goto fail;
	/* Every queue of the drive shares its one queue vector. */
	err = request_irq(d->vq_irq, vring_interrupt, IRQF_SHARED, dev_name(&d->vdev.dev), vq);
	if (err)
		goto fail;
	iowrite16(1, &c->queue_enable);
	return vq;
fail:
	iowrite16(VIRTIO_MSI_NO_VECTOR, &c->queue_msix_vector);
	vring_del_virtqueue(vq);
	return ERR_PTR(err);
}

static int shunt_find_vqs(struct virtio_device *vdev, unsigned int nvqs, struct virtqueue *vqs[],
			  vq_callback_t *callbacks[], const char *const names[], const bool *ctx,
			  struct irq_affinity *desc)
{
	struct shunt_drive *d = to_drive(vdev);
	u16 vector = d->n * ENLIGHT_MSIX_PER_DRIVE + 1;
	unsigned int i, q = 0;

	for (i = 0; i < nvqs; i++) {
		if (!names[i]) {
			vqs[i] = NULL;
			continue;
		}
		vqs[i] = shunt_setup_vq(d, q++, callbacks[i], names[i], ctx ? ctx[i] : false,
					vector);
		if (IS_ERR(vqs[i])) {
			int err = PTR_ERR(vqs[i]);

			shunt_del_vqs(vdev);
			return err;
		}
	}
	return 0;
}

static const char *shunt_bus_name(struct virtio_device *vdev)
{
	return pci_name(to_drive(vdev)->pdev);
}

static const struct virtio_config_ops shunt_config_ops = {
	.get = shunt_get,
	.set = shunt_set,
	.generation = shunt_generation,
	.get_status = shunt_get_status,
	.set_status = shunt_set_status,
	.reset = shunt_reset,
	.find_vqs = shunt_find_vqs,
	.del_vqs = shunt_del_vqs,
	.synchronize_cbs = shunt_synchronize_cbs,
	.get_features = shunt_get_features,
	.finalize_features = shunt_finalize_features,
	.bus_name = shunt_bus_name,
};

static irqreturn_t shunt_config_irq(int irq, void *data)
{
	virtio_config_changed(&((struct shunt_drive *)data)->vdev);
	return IRQ_HANDLED;
}

static void shunt_release(struct device *dev)
{
	kfree(to_drive(dev_to_virtio(dev)));
}

/*
 * Linux 6.1 keeps a device's MSI state (msi_setup_device_data()) in devres,
 * which our failing probe would release (with a warning, leaving the
 * vectors in use without their descriptors) and which would then make
 * ata_piix's probe fail ("Resources present before probing"). So set that
 * state up first, outside devres, as msi_setup_device_data() does, and
 * tell the PCI core not to add its devres release either (it does when a
 * pcim_ driver such as ata_piix had the function before).
 */
static struct attribute *shunt_msi_attrs[] = { NULL };
static const struct attribute_group shunt_msi_group = {
	.name = "msi_irqs",
	.attrs = shunt_msi_attrs,
};

static int shunt_keep_msi(struct pci_dev *pdev)
{
	struct msi_device_data *md;
	int err;

	if (pdev->dev.msi.data)
		return -EBUSY;
	md = kzalloc(sizeof(*md), GFP_KERNEL);
	if (!md)
		return -ENOMEM;
	err = sysfs_create_group(&pdev->dev.kobj, &shunt_msi_group);
	if (err) {
		kfree(md);
		return err;
	}
	xa_init(&md->__store);
	mutex_init(&md->mutex);
	pdev->dev.msi.data = md;
	pdev->is_msi_managed = 1;
	shunt.msi = md;
	return 0;
}

static void shunt_drop_msi(struct pci_dev *pdev)
{
	pci_free_irq_vectors(pdev);
	if (!shunt.msi)
		return;
	pdev->is_msi_managed = 0;
	pdev->dev.msi.data = NULL;
	sysfs_remove_group(&pdev->dev.kobj, &shunt_msi_group);
	xa_destroy(&shunt.msi->__store);
	kfree(shunt.msi);
	shunt.msi = NULL;
}

static int shunt_cmd(u32 cmd)
{
	iowrite32(cmd, shunt.ctl + ENLIGHT_REG_COMMAND);
	return ioread32(shunt.ctl + ENLIGHT_REG_RESULT);
}

/* Switch drive n onto its rings and register its virtio device. */
static int shunt_switch(struct pci_dev *pdev, struct shunt_drive *d)
{
	int res, err;

	res = shunt_cmd(ENLIGHT_CMD_SWITCH | d->n << 8);
	if (res != ENLIGHT_RES_OK) {
		pci_err(pdev, "drive %d: switch refused (result %d)\n", d->n, res);
		return -EIO;
	}
	d->common = d->win + ENLIGHT_WIN_COMMON;
	d->cfg_irq = pci_irq_vector(pdev, d->n * ENLIGHT_MSIX_PER_DRIVE);
	d->vq_irq = pci_irq_vector(pdev, d->n * ENLIGHT_MSIX_PER_DRIVE + 1);
	iowrite16(d->n * ENLIGHT_MSIX_PER_DRIVE, &d->common->msix_config);
	err = request_irq(d->cfg_irq, shunt_config_irq, 0, "shunt-config", d);
	if (err)
		return err;
	d->vdev.dev.parent = &pdev->dev;
	d->vdev.dev.release = shunt_release;
	d->vdev.config = &shunt_config_ops;
	d->vdev.id.vendor = pdev->subsystem_vendor;
	d->vdev.id.device = VIRTIO_ID_BLOCK;
	err = register_virtio_device(&d->vdev);
	if (err) {
		free_irq(d->cfg_irq, d);
		pci_iounmap(pdev, d->win);
		shunt.drive[d->n] = NULL;
		put_device(&d->vdev.dev); /* frees d */
		return err;
	}
	d->registered = true;
	pci_info(pdev, "drive %d enlightened: %s\n", d->n, dev_name(&d->vdev.dev));
	return 0;
}

/* The control page and the drives' windows from the vendor capabilities. */
static int shunt_map(struct pci_dev *pdev)
{
	int pos, bar, type, id;
	u32 off, len;
	void __iomem *p;

	for (pos = pci_find_capability(pdev, PCI_CAP_ID_VNDR); pos;
	     pos = pci_find_next_capability(pdev, pos, PCI_CAP_ID_VNDR)) {
		struct shunt_drive *d;
		u8 v;

		pci_read_config_byte(pdev, pos + offsetof(struct virtio_pci_cap, cfg_type), &v);
		type = v;
		pci_read_config_byte(pdev, pos + offsetof(struct virtio_pci_cap, bar), &v);
		bar = v;
		pci_read_config_byte(pdev, pos + offsetof(struct virtio_pci_cap, id), &v);
		id = v;
		pci_read_config_dword(pdev, pos + offsetof(struct virtio_pci_cap, offset), &off);
		pci_read_config_dword(pdev, pos + offsetof(struct virtio_pci_cap, length), &len);
		if (type != ENLIGHT_CAP_CONTROL && type != ENLIGHT_CAP_DRIVE)
			continue;
		if (bar > PCI_STD_NUM_BARS - 1 ||
		    !(pci_resource_flags(pdev, bar) & IORESOURCE_MEM) ||
		    len < (type == ENLIGHT_CAP_DRIVE ? ENLIGHT_WIN_SIZE : 0x24) ||
		    (u64)off + len > pci_resource_len(pdev, bar) ||
		    (type == ENLIGHT_CAP_DRIVE && (id >= ENLIGHT_MAX_DRIVES || shunt.drive[id]))) {
			pci_err(pdev, "bad capability at 0x%x\n", pos);
			return -EINVAL;
		}
		p = pci_iomap_range(pdev, bar, off, len);
		if (!p)
			return -ENOMEM;
		if (type == ENLIGHT_CAP_CONTROL) {
			if (shunt.ctl)
				pci_iounmap(pdev, shunt.ctl);
			shunt.ctl = p;
			shunt.bar = bar;
			continue;
		}
		d = kzalloc(sizeof(*d), GFP_KERNEL);
		if (!d) {
			pci_iounmap(pdev, p);
			return -ENOMEM;
		}
		d->pdev = pdev;
		d->win = p;
		d->n = id;
		shunt.drive[id] = d;
	}
	return shunt.ctl ? 0 : -ENODEV;
}

static void shunt_unmap(struct pci_dev *pdev)
{
	int n;

	for (n = 0; n < ENLIGHT_MAX_DRIVES; n++) {
		struct shunt_drive *d = shunt.drive[n];

		if (!d)
			continue;
		shunt.drive[n] = NULL;
		if (d->registered) {
			void __iomem *win = d->win;

			free_irq(d->cfg_irq, d);
			unregister_virtio_device(&d->vdev); /* frees d */
			pci_iounmap(pdev, win);
			continue;
		}
		pci_iounmap(pdev, d->win);
		kfree(d);
	}
	if (shunt.ctl)
		pci_iounmap(pdev, shunt.ctl);
	shunt.ctl = NULL;
}

/* The handshake: false when vmm refuses this driver or is not vmm. */
static bool shunt_hello(struct pci_dev *pdev)
{
	u32 magic = ioread32(shunt.ctl + ENLIGHT_REG_MAGIC);
	u32 version = ioread32(shunt.ctl + ENLIGHT_REG_VERSION);
	int res;

	if (magic != ENLIGHT_MAGIC || version != ENLIGHT_VERSION) {
		pci_info(pdev, "magic 0x%x version %u: not vmm's enlight v%d\n", magic, version,
			 ENLIGHT_VERSION);
		return false;
	}
	iowrite32(ENLIGHT_PRODUCT_LINUX, shunt.ctl + ENLIGHT_REG_PRODUCT);
	iowrite32(build, shunt.ctl + ENLIGHT_REG_BUILD);
	res = shunt_cmd(ENLIGHT_CMD_HELLO);
	if (res == ENLIGHT_RES_DENIED)
		pci_info(pdev,
			 "denied by the host (product %d build %u): leaving the disks emulated\n",
			 ENLIGHT_PRODUCT_LINUX, build);
	else if (res != ENLIGHT_RES_OK)
		pci_err(pdev, "hello failed (result %d)\n", res);
	return res == ENLIGHT_RES_OK;
}

/*
 * Always fails (-ENODEV), so that ata_piix can take the function for the
 * drives that stay emulated (the CD-ROMs); what was set up for the
 * enlightened drives stays until the module is unloaded.
 */
static int shunt_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	u32 drives;
	int n, nvec = 0, err, ok = 0;

	if (shunt.pdev)
		return -ENODEV; /* one controller, set up once */
	err = pci_enable_device(pdev);
	if (err)
		return err;
	err = shunt_map(pdev);
	if (err)
		goto disable;
	err = -ENODEV;
	if (!shunt_hello(pdev))
		goto unmap;
	drives = ioread32(shunt.ctl + ENLIGHT_REG_DRIVES);
	for (n = 0; n < ENLIGHT_MAX_DRIVES; n++)
		if (drives & BIT(n) && shunt.drive[n])
			nvec = (n + 1) * ENLIGHT_MSIX_PER_DRIVE;
	pci_info(pdev, "vmm enlight v%d, drives 0x%x\n", ENLIGHT_VERSION, drives);
	if (!nvec)
		goto unmap;
	err = pci_request_region(pdev, shunt.bar, "shunt");
	if (err)
		goto unmap;
	err = shunt_keep_msi(pdev);
	if (err)
		goto release;
	err = pci_alloc_irq_vectors(pdev, nvec, nvec, PCI_IRQ_MSIX);
	if (err < 0) {
		pci_err(pdev, "no %d MSI-X vectors (%d)\n", nvec, err);
		goto drop_msi;
	}
	pci_set_master(pdev); /* the rings and MSI-X are bus mastering */
	shunt.pdev = pdev;
	for (n = 0; n < ENLIGHT_MAX_DRIVES; n++)
		if (drives & BIT(n) && shunt.drive[n] && !shunt_switch(pdev, shunt.drive[n]))
			ok++;
	if (ok)
		return -ENODEV;
	shunt.pdev = NULL;
	err = -ENODEV;
drop_msi:
	shunt_drop_msi(pdev);
release:
	pci_release_region(pdev, shunt.bar);
unmap:
	shunt_unmap(pdev);
disable:
	pci_disable_device(pdev);
	return err;
}

static const struct pci_device_id shunt_ids[] = {
	{ PCI_DEVICE_SUB(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_82371SB_1, ENLIGHT_SUBSYS_VENDOR,
			 ENLIGHT_SUBSYS_DEVICE) },
	{}
};
MODULE_DEVICE_TABLE(pci, shunt_ids);

static struct pci_driver shunt_driver = {
	.name = "shunt",
	.id_table = shunt_ids,
	.probe = shunt_probe,
};

static int __init shunt_init(void)
{
	return pci_register_driver(&shunt_driver);
}

/*
 * Unloading removes the virtio devices; the drives stay enlightened (the
 * ABI has no way back but a machine reset), so they are gone until then.
 */
static void __exit shunt_exit(void)
{
	struct pci_dev *pdev = shunt.pdev;

	pci_unregister_driver(&shunt_driver);
	if (!pdev)
		return;
	shunt_unmap(pdev);
	shunt_drop_msi(pdev);
	pci_release_region(pdev, shunt.bar);
	pci_disable_device(pdev);
	shunt.pdev = NULL;
}

module_init(shunt_init);
module_exit(shunt_exit);
MODULE_DESCRIPTION("vmm enlightened IDE disks as virtio block devices");
MODULE_LICENSE("GPL");
