// SPDX-License-Identifier: GPL-2.0
/*
 * INT 13h on ATA disks and ATAPI CD-ROMs of the PIIX IDE controller's
 * legacy ports, polled PIO (rep insw/outsw: one instruction per block),
 * and the El Torito no-emulation boot. Hard disks are 0x80.., CD-ROMs
 * 0xe0.. (as SeaBIOS numbers them).
 */
#include "fw.h"

#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DF  0x20
#define ST_BSY 0x80
#define POLLS  2000000

#define CD_DRIVE0 0xe0
#define CD_SECTOR 2048

struct ata_dev {
	u16 base, ctrl;
	u8 slave, atapi, lba48;
	u32 sectors; /* capped at 2^32 - 1 */
	u16 cyls, heads, spt;
};

static struct ata_dev disks[4], cdroms[4];
static u8 nr_disks, nr_cdroms, last_status;

/* The El Torito boot we did, for INT 13h AX=4B01h. */
static struct {
	u8 drive;
	u32 lba;
	u16 load_seg, count;
} eltorito;

static const u16 chan_base[2] = { 0x1f0, 0x170 };
static const u16 chan_ctrl[2] = { 0x3f6, 0x376 };

static int ata_wait(const struct ata_dev *d, u8 mask)
{
	u32 i;
	u8 s;

	for (i = 0; i < POLLS; i++) {
		s = inb(d->base + 7);
		if (s == 0xff)
			return -1;
		if (s & ST_BSY)
			continue;
		if (s & (ST_ERR | ST_DF))
			return -1;
		if ((s & mask) == mask)
			return s;
	}
	return -1;
}

static void ins(u16 port, u32 lin, u16 words)
{
	u32 off = lin & 15, cnt = words;

	asm volatile("pushw %%es\n\tmovw %w3, %%es\n\trep insw\n\tpopw %%es"
		     : "+D"(off), "+c"(cnt)
		     : "d"(port), "r"(seg_of(lin))
		     : "memory");
}

static void outs(u16 port, u32 lin, u16 words)
{
	u32 off = lin & 15, cnt = words;

	asm volatile("pushw %%ds\n\tmovw %w3, %%ds\n\trep outsw\n\tpopw %%ds"
		     : "+S"(off), "+c"(cnt)
		     : "d"(port), "r"(seg_of(lin))
		     : "memory");
}

static void ata_select(const struct ata_dev *d, u8 bits)
{
	outb(0xa0 | bits | (d->slave << 4), d->base + 6);
}

/* Read/write @count sectors at @lba to/from linear @lin (< 1 MiB). */
static int ata_rw(const struct ata_dev *d, u32 lba, u16 count, u32 lin, int write)
{
	while (count) {
		u16 n = count > 128 ? 128 : count, i;
		int big = d->lba48 && (lba + n > 0x0fffffff || lba + n < lba);

		if (big) {
			ata_select(d, 0x40);
			outb(0, d->base + 2);
			outb(lba >> 24, d->base + 3);
			outb(0, d->base + 4);
			outb(0, d->base + 5);
		} else {
			ata_select(d, 0x40 | ((lba >> 24) & 15));
		}
		outb(n, d->base + 2);
		outb(lba, d->base + 3);
		outb(lba >> 8, d->base + 4);
		outb(lba >> 16, d->base + 5);
		outb(write ? (big ? 0x34 : 0x30) : (big ? 0x24 : 0x20), d->base + 7);
		for (i = 0; i < n; i++, lin += 512) {
			if (ata_wait(d, ST_DRQ) < 0)
				return -1;
			if (write)
				outs(d->base, lin, 256);
			else
				ins(d->base, lin, 256);
		}
		if (write && ata_wait(d, 0) < 0)
			return -1;
		lba += n;
		count -= n;
	}
	return 0;
}

/* One ATAPI packet command reading at most @max bytes to @lin. */
static int atapi_cmd(const struct ata_dev *d, const u8 *pkt, u32 lin, u32 max)
{
	u32 got = 0;

	ata_select(d, 0);
	if (ata_wait(d, 0) < 0)
		return -1;
	outb(0, d->base + 1);
	outb(0x00, d->base + 4); /* byte count limit 0xf800: 31 CD sectors */
	outb(0xf8, d->base + 5);
	outb(0xa0, d->base + 7);
	if (ata_wait(d, ST_DRQ) < 0)
		return -1;
	outs(d->base, FW_BASE + (u16)(u32)pkt, 6);
	for (;;) {
		int s = ata_wait(d, 0);
		u16 n;

		if (s < 0)
			return -1;
		if (!(s & ST_DRQ))
			break;
		n = inb(d->base + 4) | inb(d->base + 5) << 8;
		if (got + n > max)
			return -1;
		ins(d->base, lin, (n + 1) / 2);
		lin += n;
		got += n;
	}
	return got;
}

static int atapi_read(const struct ata_dev *d, u32 lba, u16 count, u32 lin)
{
	while (count) {
		u16 n = count > 31 ? 31 : count;
		u8 pkt[12] = { 0x28, 0, lba >> 24, lba >> 16, lba >> 8, lba, 0, n >> 8, n };
		int tries;

		/* The first command after a media change gets UNIT ATTENTION. */
		for (tries = 0; tries < 4; tries++)
			if (atapi_cmd(d, pkt, lin, (u32)n * CD_SECTOR) == n * CD_SECTOR)
				break;
		if (tries == 4)
			return -1;
		lba += n;
		count -= n;
		lin += (u32)n * CD_SECTOR;
	}
	return 0;
}

static void geometry(struct ata_dev *d)
{
	u32 total = d->sectors;
	u16 heads = 16;

	/* LBA-assisted translation, as BIOSes do for big disks. */
	while (total / ((u32)heads * 63) > 1024 && heads < 255)
		heads = heads == 128 ? 255 : heads * 2;
	d->heads = heads;
	d->spt = 63;
	total /= (u32)heads * 63;
	d->cyls = total > 1024 ? 1024 : total ? total : 1;
}

static u16 ident[256];

static void probe(u8 chan, u8 slave)
{
	struct ata_dev d = { .base = chan_base[chan], .ctrl = chan_ctrl[chan], .slave = slave };
	u8 s;

	outb(0x02, d.ctrl); /* nIEN: we poll */
	ata_select(&d, 0);
	s = inb(d.base + 7);
	if (s == 0xff)
		return;
	/* The reset signature: packet devices 14h/EBh (and no DRDY). */
	if (inb(d.base + 4) == 0x14 && inb(d.base + 5) == 0xeb) {
		d.atapi = 1;
		outb(0xa1, d.base + 7);
	} else if (s & 0x40) {
		outb(0xec, d.base + 7);
	} else {
		return;
	}
	if (ata_wait(&d, ST_DRQ) < 0)
		return;
	ins(d.base, FW_BASE + (u16)(u32)ident, 256);
	if (d.atapi) {
		if (nr_cdroms < 4)
			cdroms[nr_cdroms++] = d;
		return;
	}
	d.sectors = ident[60] | (u32)ident[61] << 16;
	if (ident[83] & (1 << 10)) {
		d.lba48 = 1;
		d.sectors =
			ident[102] || ident[103] ? 0xffffffff : ident[100] | (u32)ident[101] << 16;
	}
	geometry(&d);
	if (nr_disks < 4)
		disks[nr_disks++] = d;
}

void disk_init(void)
{
	u8 c, u, i;

	for (c = 0; c < 2; c++)
		for (u = 0; u < 2; u++)
			probe(c, u);
	wr8(BDA_NDISKS, nr_disks);
	for (i = 0; i < nr_disks; i++) {
		con_puts("ata: disk 0x");
		con_hex(0x80 + i, 2);
		con_puts(", ");
		con_dec(disks[i].sectors >> 11);
		con_puts(" MiB\n");
	}
	for (i = 0; i < nr_cdroms; i++) {
		con_puts("ata: cdrom 0x");
		con_hex(CD_DRIVE0 + i, 2);
		con_puts("\n");
	}
}

static u32 user_ptr(u32 segoff)
{
	return (segoff >> 16) * 16 + (u16)segoff;
}

static void done(struct bregs *r, int err, u8 code)
{
	last_status = err ? code : 0;
	if (err)
		fail(r, code);
	else {
		SET_AH(r, 0);
		ok(r);
	}
}

/* EDD packet (DS:SI): count at 2, buffer at 4, LBA at 8. */
static int edd_io(struct bregs *r, const struct ata_dev *d, int write)
{
	u32 pkt = (u32)r->ds * 16 + (u16)r->esi;
	u16 count = rd16(pkt + 2);
	u32 buf = user_ptr(rd32(pkt + 4));
	u32 lba = rd32(pkt + 8), hi = rd32(pkt + 12);
	u32 max = d->atapi ? 0xffffffff : d->sectors;
	int err;

	if (rd8(pkt) < 0x10 || hi || rd32(pkt + 4) == 0xffffffff || lba >= max ||
	    count > max - lba) {
		wr16(pkt + 2, 0);
		return -1;
	}
	if (d->atapi)
		err = write ? -1 : atapi_read(d, lba, count, buf);
	else
		err = ata_rw(d, lba, count, buf, write);
	if (err)
		wr16(pkt + 2, 0);
	return err;
}

static void edd_params(struct bregs *r, const struct ata_dev *d)
{
	u32 p = (u32)r->ds * 16 + (u16)r->esi;
	u16 size = rd16(p);

	if (size < 0x1a) {
		done(r, 1, 0x01);
		return;
	}
	wr16(p, size >= 0x1e ? 0x1e : 0x1a);
	if (d->atapi) {
		wr16(p + 2, 0x74); /* removable, lockable, change line */
		wr32(p + 4, 0xffffffff);
		wr32(p + 8, 0xffffffff);
		wr32(p + 12, 0xffffffff);
		wr32(p + 16, 0xffffffff);
		wr32(p + 20, 0xffffffff);
		wr16(p + 24, CD_SECTOR);
	} else {
		wr16(p + 2, 0x02); /* CHS valid */
		wr32(p + 4, d->cyls);
		wr32(p + 8, d->heads);
		wr32(p + 12, d->spt);
		wr32(p + 16, d->sectors);
		wr32(p + 20, 0);
		wr16(p + 24, 512);
	}
	if (size >= 0x1e)
		wr32(p + 26, 0xffffffff); /* no DPTE */
	done(r, 0, 0);
}

static void edd_check(struct bregs *r)
{
	if ((u16)r->ebx != 0x55aa) {
		done(r, 1, 0x01);
		return;
	}
	SET_BX(r, 0xaa55);
	SET_AH(r, 0x30); /* EDD 3.0 */
	SET_CX(r, 0x0007);
	ok(r);
}

static void chs_io(struct bregs *r, const struct ata_dev *d, int write)
{
	u16 cyl = CH(r) | (u16)(CL(r) & 0xc0) << 2;
	u8 sec = CL(r) & 0x3f, head = DH(r), n = AL(r);
	u32 lba;

	if (!n || !sec || sec > d->spt || head >= d->heads || cyl >= d->cyls) {
		SET_AL(r, 0);
		done(r, 1, 0x01);
		return;
	}
	lba = ((u32)cyl * d->heads + head) * d->spt + sec - 1;
	if (lba + n > d->sectors || ata_rw(d, lba, n, (u32)r->es * 16 + (u16)r->ebx, write)) {
		SET_AL(r, 0);
		done(r, 1, write ? 0xcc : 0x04);
		return;
	}
	done(r, 0, 0);
	SET_AL(r, n);
}

static void hd13(struct bregs *r, const struct ata_dev *d)
{
	u32 max;

	switch (AH(r)) {
	case 0x00:
	case 0x04:
	case 0x0c:
	case 0x0d:
	case 0x10:
	case 0x11:
	case 0x14:
	case 0x44:
	case 0x47: done(r, 0, 0); break;
	case 0x01:
		SET_AH(r, last_status);
		if (last_status)
			r->flags |= F_CF;
		else
			ok(r);
		break;
	case 0x02: chs_io(r, d, 0); break;
	case 0x03: chs_io(r, d, 1); break;
	case 0x08:
		max = d->cyls - 1;
		SET_CH(r, max);
		SET_CL(r, d->spt | (max >> 2 & 0xc0));
		SET_DH(r, d->heads - 1);
		SET_DL(r, nr_disks);
		SET_AX(r, 0);
		SET_BX(r, 0);
		ok(r);
		break;
	case 0x15:
		max = (u32)d->cyls * d->heads * d->spt;
		SET_AH(r, 3);
		SET_CX(r, max >> 16);
		SET_DX(r, max);
		ok(r);
		break;
	case 0x41: edd_check(r); break;
	case 0x42: done(r, edd_io(r, d, 0), 0x04); break;
	case 0x43: done(r, edd_io(r, d, 1), 0xcc); break;
	case 0x48: edd_params(r, d); break;
	default: done(r, 1, 0x01);
	}
}

static void spec_packet(struct bregs *r)
{
	u32 p = (u32)r->ds * 16 + (u16)r->esi;

	far_zero(p, 0x13);
	wr8(p, 0x13);
	wr8(p + 1, 0); /* no emulation */
	wr8(p + 2, eltorito.drive);
	wr8(p + 3, 0); /* controller */
	wr32(p + 4, eltorito.lba);
	wr16(p + 8, cdroms[eltorito.drive - CD_DRIVE0].slave);
	wr16(p + 12, eltorito.load_seg);
	wr16(p + 14, eltorito.count);
	done(r, 0, 0);
}

static void cd13(struct bregs *r, const struct ata_dev *d)
{
	switch (AH(r)) {
	case 0x00:
	case 0x04:
	case 0x0d:
	case 0x10:
	case 0x44:
	case 0x45:
	case 0x47: done(r, 0, 0); break;
	case 0x01:
		SET_AH(r, last_status);
		ok(r);
		break;
	case 0x03:
	case 0x43: done(r, 1, 0x03); break; /* write protected */
	case 0x41: edd_check(r); break;
	case 0x42: done(r, edd_io(r, d, 0), 0x04); break;
	case 0x48: edd_params(r, d); break;
	case 0x4b:
		if ((AL(r) == 0x00 || AL(r) == 0x01) && eltorito.drive)
			spec_packet(r);
		else
			done(r, 1, 0x01);
		break;
	default: done(r, 1, 0x01);
	}
}

void int13(struct bregs *r)
{
	u8 drv = DL(r);

	if (drv >= 0x80 && drv < 0x80 + nr_disks)
		hd13(r, &disks[drv - 0x80]);
	else if (drv >= CD_DRIVE0 && drv < CD_DRIVE0 + nr_cdroms)
		cd13(r, &cdroms[drv - CD_DRIVE0]);
	else if (AH(r) == 0x4b && AL(r) == 0x01 && eltorito.drive)
		spec_packet(r); /* some loaders ask with another DL */
	else if (AH(r) == 0x15 && drv < 0x80)
		done(r, 0, 0); /* AH = 0: no such floppy */
	else
		done(r, 1, 0x01);
}

static void say(const char *what, u8 drive, const char *msg)
{
	con_puts("boot: ");
	con_puts(what);
	con_puts(" 0x");
	con_hex(drive, 2);
	con_puts(msg);
}

/* The MBR of disk @nth at 0:7c00. 0, or -1 with the reason printed. */
int boot_disk(int nth, u8 *drive)
{
	if (nth >= nr_disks)
		return -1;
	*drive = 0x80 + nth;
	if (ata_rw(&disks[nth], 0, 1, 0x7c00, 0)) {
		say("disk", *drive, ": read error\n");
		return -1;
	}
	if (rd16(0x7dfe) != 0xaa55) {
		say("disk", *drive, ": no boot signature\n");
		return -1;
	}
	say("disk", *drive, "\n");
	return 0;
}

static u8 sector[CD_SECTOR];

/* El Torito no-emulation boot from CD-ROM @nth. */
int boot_cdrom(int nth, u8 *drive, u16 *seg)
{
	const struct ata_dev *d = &cdroms[nth];
	u32 buf = FW_BASE + (u16)(u32)sector, cat, lba;
	u16 count;

	if (nth >= nr_cdroms)
		return -1;
	*drive = CD_DRIVE0 + nth;
	if (atapi_read(d, 17, 1, buf)) {
		say("cdrom", *drive, ": read error (no medium?)\n");
		return -1;
	}
	if (sector[0] || memcmp(sector + 1, "CD001\1EL TORITO SPECIFICATION", 29)) {
		say("cdrom", *drive, ": not El Torito bootable\n");
		return -1;
	}
	cat = *(u32 *)(sector + 0x47);
	if (atapi_read(d, cat, 1, buf)) {
		say("cdrom", *drive, ": cannot read the boot catalog\n");
		return -1;
	}
	if (sector[0] != 1 || sector[0x1e] != 0x55 || sector[0x1f] != 0xaa ||
	    sector[0x20] != 0x88 || (sector[0x21] & 15)) {
		say("cdrom", *drive, ": no no-emulation boot entry\n");
		return -1;
	}
	*seg = *(u16 *)(sector + 0x22);
	if (!*seg)
		*seg = 0x7c0;
	count = *(u16 *)(sector + 0x26);
	lba = *(u32 *)(sector + 0x28);
	if (!count || (u32)*seg * 16 + (u32)count * 512 > 0xa0000 || *seg < 0x50 ||
	    atapi_read(d, lba, (count + 3) / 4, (u32)*seg * 16)) {
		say("cdrom", *drive, ": cannot load the boot image\n");
		return -1;
	}
	eltorito.drive = *drive;
	eltorito.lba = lba;
	eltorito.load_seg = *seg;
	eltorito.count = count;
	say("cdrom", *drive, "\n");
	return 0;
}
