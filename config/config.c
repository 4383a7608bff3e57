// SPDX-License-Identifier: GPL-2.0
/*
 * Command line and config file. Both go through one table of keys, so a
 * flag `--mem 1G` and a config line `mem = 1G` are the same thing. Every
 * error is one line naming the key and quoting the offending text.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "config/config.h"

#define MIN_MEM		 (8ULL << 20) /* room for the boot layout below 1 MiB and a kernel */
#define MAX_MEM		 (1ULL << 46) /* 64 TiB: the guest-physical space we lay out */
#define MAX_CPUS	 255	      /* xAPIC IDs in the MP table and MADT */
#define MAX_CONFIG_DEPTH 8

enum key_type {
	K_STRING,
	K_SIZE,
	K_UINT,
	K_BOOL,
	K_SERIAL,
	K_ON_RESET,
	K_CONFIG,
	K_DISK,
	K_NET,
	K_CONSOLE,
	K_TRANSPORT,
	K_CDROM,
	K_DISPLAY,
	K_VGA,
	K_BOOT,
	K_GDB,
	K_ENLIGHT,
	K_ENLIGHT_DENY,
};

struct key {
	const char *name;
	enum key_type type;
	const char *arg; /* shown in --help; NULL for flags without a value */
	const char *help;
};

static const struct key keys[] = {
	{ "kernel", K_STRING, "FILE", "Linux bzImage (protocol >= 2.06) or ELF vmlinux (PVH)" },
	{ "initrd", K_STRING, "FILE", "initial ramdisk" },
	{ "append", K_STRING, "CMDLINE", "kernel command line" },
	{ "mem", K_SIZE, "SIZE", "guest RAM, e.g. 512M, 2G (plain numbers are MiB; default 512M)" },
	{ "cpus", K_UINT, "N", "number of vCPUs, 1-255 (default 1)" },
	{ "serial", K_SERIAL, "stdio|file:PATH|none", "where COM1 goes (default stdio)" },
	{ "timeout", K_UINT, "SECONDS", "stop the guest after this long; exit status 124" },
	{ "stats", K_BOOL, NULL, "print exit statistics per device when vmm exits" },
	{ "on-reset", K_ON_RESET, "exit|reboot", "what a guest reset does (default reboot)" },
	{ "disk", K_DISK, "file=PATH[,...]",
	  "a disk, virtio-blk or IDE (repeatable); also format=raw|qcow2, readonly, "
	  "cache=none|writeback, "
	  "aio=io_uring|native|threads, serial=ID, transport=pci|mmio, "
	  "if=ide|virtio (default virtio with --kernel, else ide)" },
	{ "cdrom", K_CDROM, "FILE", "ATAPI CD-ROM image (read-only) on the IDE secondary master" },
	{ "net", K_NET, "tap=NAME[,mac=MAC]",
	  "virtio-net on an existing tap device (repeatable); also transport=pci|mmio" },
	{ "console", K_CONSOLE, "virtio",
	  "a virtio console (hvc0); it takes this terminal's input" },
	{ "rng", K_BOOL, NULL, "a virtio-rng device fed by the host's getrandom()" },
	{ "virtio-transport", K_TRANSPORT, "pci|mmio",
	  "transport of virtio devices (default pci)" },
	{ "display", K_DISPLAY, "none|sdl",
	  "a window with the VGA screen, keyboard and mouse (default sdl with $DISPLAY)" },
	{ "vga", K_VGA, "std|none", "the display device: the standard VGA, or none (default std)" },
	{ "screenshot-on-exit", K_STRING, "FILE.bmp", "save the screen as a BMP image at exit" },
	{ "name", K_STRING, "NAME", "the VM's name, for the window title (default the kernel's)" },
	{ "firmware", K_STRING, "FILE",
	  "BIOS image to boot without --kernel (64-256 KiB, a multiple of 64 KiB; default: "
	  "vmm's own)" },
	{ "boot", K_BOOT, "disk|cdrom", "firmware boot order: which comes first (default disk)" },
	{ "gdb", K_GDB, "tcp::PORT|tcp:HOST:PORT|unix:PATH",
	  "serve the gdb remote protocol there (gdb: target remote ...)" },
	{ "gdb-wait", K_BOOL, NULL,
	  "hold the vCPUs before their first instruction until gdb continues" },
	{ "enlight", K_ENLIGHT, "on|off",
	  "IDE disks also offer virtio rings to a guest shunt driver (default on)" },
	{ "enlight-deny", K_ENLIGHT_DENY, "PRODUCT:BUILD",
	  "refuse enlightened mode to this guest driver (repeatable)" },
	{ "config", K_CONFIG, "FILE", "read more keys from FILE: one 'key = value' per line" },
};

struct config_str {
	struct config_str *next;
	char s[];
};

static int config_depth;

/* A config-file value lives as long as the config (flags point into argv). */
static const char *config_keep(struct config *c, const char *val)
{
	size_t n = strlen(val) + 1;
	struct config_str *o = malloc(sizeof(*o) + n);

	if (!o)
		return NULL;
	memcpy(o->s, val, n);
	o->next = c->owned;
	c->owned = o;
	return o->s;
}

void config_free(struct config *c)
{
	while (c->owned) {
		struct config_str *next = c->owned->next;

		free(c->owned);
		c->owned = next;
	}
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: vmm --kernel FILE [options]\n"
		   "       vmm --disk file=IMG | --cdrom ISO [--boot disk|cdrom] [options]\n\n"
		   "Boots a guest on /dev/kvm with its serial console on this terminal.\n"
		   "Ctrl-A x quits, Ctrl-A h lists the console keys.\n\nOptions:\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", keys[i].name, keys[i].arg ? " " : "",
			 keys[i].arg ? keys[i].arg : "");
		fprintf(f, "  %-32s %s\n", left, keys[i].help);
	}
	fprintf(f, "  %-32s %s\n  %-32s %s\n", "--help", "this text", "--version",
		"print the version");
	fprintf(f, "\nA config file (--config) takes the same keys without the dashes:\n"
		   "  # vm.conf\n  kernel = bzImage\n  mem = 1G\n  cpus = 2\n  stats = yes\n"
		   "Keys apply in order; a later flag overrides an earlier one.\n\n"
		   "Exit status: 0 guest power-off; (v << 1) | 1 when the guest writes v to\n"
		   "port 0xf4; 1 host error; 2 usage error; 4 guest reset with --on-reset exit;\n"
		   "8 guest crash; 124 --timeout; 128+N killed by signal N.\n");
}

void config_defaults(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->mem_size = 512ULL << 20;
	c->cpus = 1;
	c->serial = "stdio";
	c->on_reset = ON_RESET_REBOOT;
}

int config_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 20; /* a plain number means MiB, as in QEMU */
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K':
		shift = 10;
		end++;
		break;
	case 'M':
		shift = 20;
		end++;
		break;
	case 'G':
		shift = 30;
		end++;
		break;
	case 'T':
		shift = 40;
		end++;
		break;
	case 'B':
		shift = 0;
		end++;
		break;
	default: return -EINVAL;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end)
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_uint(const char *s, unsigned int *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "1", "yes", "on", "true" };
	static const char *const no[] = { "0", "no", "off", "false" };

	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(s, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

static uint64_t host_memory(void)
{
	struct sysinfo si;

	if (sysinfo(&si) < 0)
		return MAX_MEM;
	return ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
}

static int config_file(struct config *c, const char *path);

static int check_mem(uint64_t v, const char *text)
{
	uint64_t host = host_memory();

	if (v < MIN_MEM) {
		fprintf(stderr, "vmm: --mem '%s' is too small: at least 8M\n", text);
		return -1;
	}
	if (v > MAX_MEM || v > host) {
		fprintf(stderr,
			"vmm: --mem '%s' is too large: this host has %" PRIu64
			" MiB of RAM and swap\n",
			text, host >> 20);
		return -1;
	}
	return 0;
}

static int parse_transport(const char *s, enum virtio_transport *t)
{
	if (!strcmp(s, "pci"))
		*t = VT_PCI;
	else if (!strcmp(s, "mmio"))
		*t = VT_MMIO;
	else
		return -1;
	return 0;
}

enum virtio_transport config_transport(const struct config *c, enum virtio_transport t)
{
	if (t != VT_DEFAULT)
		return t;
	return c->transport == VT_MMIO ? VT_MMIO : VT_PCI;
}

/* One "name" or "name=value" item of a comma-separated option list. */
struct subopt {
	char name[32];
	const char *val; /* NULL for a bare name */
};

/*
 * Cut @s at the next comma into @o; returns the rest or NULL at the end.
 * Values are copied into config-owned storage so they outlive @s.
 */
static const char *subopt_next(struct config *c, const char *s, struct subopt *o, int *err)
{
	const char *end = strchr(s, ','), *eq;
	size_t len = end ? (size_t)(end - s) : strlen(s);
	char buf[4096];

	eq = memchr(s, '=', len);
	*err = 0;
	o->val = NULL;
	if ((size_t)((eq ? eq : s + len) - s) >= sizeof(o->name) || len >= sizeof(buf)) {
		*err = -1;
		return NULL;
	}
	memcpy(o->name, s, (eq ? eq : s + len) - s);
	o->name[(eq ? eq : s + len) - s] = '\0';
	if (eq) {
		memcpy(buf, eq + 1, len - (eq + 1 - s));
		buf[len - (eq + 1 - s)] = '\0';
		o->val = config_keep(c, buf);
		if (!o->val)
			*err = -1;
	}
	return end ? end + 1 : NULL;
}

static int disk_item(struct config *c, struct disk_opts *d, const struct subopt *o)
{
	const char *v = o->val;

	if (!strcmp(o->name, "readonly")) {
		if (!v) { /* a bare "readonly" */
			d->readonly = true;
			return 0;
		}
		return parse_bool(v, &d->readonly);
	}
	if (!v)
		return -1;
	if (!strcmp(o->name, "file") && *v)
		d->file = v;
	else if (!strcmp(o->name, "format") && !strcmp(v, "raw"))
		d->format = DISK_FMT_RAW;
	else if (!strcmp(o->name, "format") && !strcmp(v, "qcow2"))
		d->format = DISK_FMT_QCOW2;
	else if (!strcmp(o->name, "cache") && !strcmp(v, "none"))
		d->cache = DISK_CACHE_NONE;
	else if (!strcmp(o->name, "cache") && !strcmp(v, "writeback"))
		d->cache = DISK_CACHE_WRITEBACK;
	else if (!strcmp(o->name, "aio") && !strcmp(v, "io_uring"))
		d->aio = DISK_AIO_IO_URING;
	else if (!strcmp(o->name, "aio") && !strcmp(v, "native"))
		d->aio = DISK_AIO_NATIVE;
	else if (!strcmp(o->name, "aio") && !strcmp(v, "threads"))
		d->aio = DISK_AIO_THREADS;
	else if (!strcmp(o->name, "serial") && strlen(v) <= CONFIG_SERIAL_ID)
		strcpy(d->serial, v);
	else if (!strcmp(o->name, "transport"))
		return parse_transport(v, &d->transport);
	else if (!strcmp(o->name, "if") && !strcmp(v, "ide"))
		d->iface = DISK_IF_IDE;
	else if (!strcmp(o->name, "if") && !strcmp(v, "virtio"))
		d->iface = DISK_IF_VIRTIO;
	else
		return -1;
	return 0;
}

static int parse_disk(struct config *c, const char *val)
{
	struct disk_opts d = { 0 };
	struct subopt o;
	const char *s = val;
	int err;

	if (c->nr_disks >= CONFIG_MAX_DISKS) {
		fprintf(stderr, "vmm: --disk: at most %d disks\n", CONFIG_MAX_DISKS);
		return -1;
	}
	while (s) {
		s = subopt_next(c, s, &o, &err);
		if (err || disk_item(c, &d, &o)) {
			fprintf(stderr, "vmm: --disk: bad option '%s%s%s' in '%s'\n", o.name,
				o.val ? "=" : "", o.val ? o.val : "", val);
			return -1;
		}
	}
	if (!d.file) {
		fprintf(stderr, "vmm: --disk: no file=PATH in '%s'\n", val);
		return -1;
	}
	c->disks[c->nr_disks++] = d;
	return 0;
}

bool config_disk_is_ide(const struct config *c, unsigned int i)
{
	if (i >= c->nr_disks)
		return false;
	if (c->disks[i].iface == DISK_IF_DEFAULT)
		return !c->kernel;
	return c->disks[i].iface == DISK_IF_IDE;
}

/* The PC has two IDE channels: four drives, the CD-ROM counted. */
static int check_ide(const struct config *c)
{
	unsigned int n = c->cdrom ? 1 : 0;

	for (unsigned int i = 0; i < c->nr_disks; i++)
		n += config_disk_is_ide(c, i);
	if (n > CONFIG_MAX_IDE) {
		fprintf(stderr, "vmm: --disk: at most %d IDE drives (--cdrom counts), got %u\n",
			CONFIG_MAX_IDE, n);
		return -1;
	}
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &end) != 6 ||
	    strlen(s) != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	return mac[0] & 1 ? -1 : 0; /* a multicast address is no station address */
}

static int parse_net(struct config *c, const char *val)
{
	struct net_opts n = { 0 };
	struct subopt o;
	const char *s = val;
	int err;

	if (c->nr_nets >= CONFIG_MAX_NETS) {
		fprintf(stderr, "vmm: --net: at most %d network devices\n", CONFIG_MAX_NETS);
		return -1;
	}
	while (s) {
		s = subopt_next(c, s, &o, &err);
		if (!err && o.val && !strcmp(o.name, "tap") && *o.val && strlen(o.val) < 16)
			n.tap = o.val;
		else if (!err && o.val && !strcmp(o.name, "mac") && !parse_mac(o.val, n.mac))
			n.mac_set = true;
		else if (!err && o.val && !strcmp(o.name, "transport") &&
			 !parse_transport(o.val, &n.transport))
			continue;
		else {
			fprintf(stderr, "vmm: --net: bad option '%s%s%s' in '%s'\n", o.name,
				o.val ? "=" : "", o.val ? o.val : "", val);
			return -1;
		}
	}
	if (!n.tap) {
		fprintf(stderr, "vmm: --net: no tap=NAME in '%s'\n", val);
		return -1;
	}
	c->nets[c->nr_nets++] = n;
	return 0;
}

int config_gdb_addr(const char *spec, struct config_gdb_addr *a)
{
	struct config_gdb_addr tmp;
	const char *colon;
	unsigned int port;
	size_t hl;

	if (!a)
		a = &tmp;
	memset(a, 0, sizeof(*a));
	if (!strncmp(spec, "unix:", 5)) {
		if (!spec[5] || strlen(spec + 5) >= sizeof(a->path))
			return -1;
		a->is_unix = true;
		strcpy(a->path, spec + 5);
		return 0;
	}
	if (strncmp(spec, "tcp:", 4))
		return -1;
	spec += 4;
	colon = strrchr(spec, ':');
	if (!colon || parse_uint(colon + 1, &port) || port < 1 || port > 65535)
		return -1;
	hl = colon - spec;
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++; /* [IPv6]:PORT */
		hl -= 2;
	}
	if (hl >= sizeof(a->host))
		return -1;
	memcpy(a->host, spec, hl);
	a->host[hl] = 0;
	a->port = port;
	return 0;
}

/* Apply one key. @val may be NULL only for K_BOOL. Strings are kept, not copied. */

/* --enlight-deny PRODUCT:BUILD: 32-bit numbers, decimal or 0x hex. */
static int parse_enlight_deny(struct config *c, const char *val)
{
	unsigned long long p, b;
	char *end;

	errno = 0;
	p = strtoull(val, &end, 0);
	if (!errno && end != val && *end == ':' && p <= UINT32_MAX && val[0] != '-') {
		const char *bs = end + 1;

		b = strtoull(bs, &end, 0);
		if (!errno && end != bs && !*end && b <= UINT32_MAX && bs[0] != '-') {
			if (c->nr_enlight_deny == CONFIG_MAX_ENLIGHT_DENY) {
				fprintf(stderr, "vmm: --enlight-deny: at most %d entries\n",
					CONFIG_MAX_ENLIGHT_DENY);
				return -1;
			}
			c->enlight_deny[c->nr_enlight_deny].product = p;
			c->enlight_deny[c->nr_enlight_deny].build = b;
			c->nr_enlight_deny++;
			return 0;
		}
	}
	fprintf(stderr, "vmm: --enlight-deny: expected PRODUCT:BUILD (two numbers), got '%s'\n",
		val);
	return -1;
}

static int config_set(struct config *c, const struct key *k, const char *val)
{
	uint64_t size;
	unsigned int u;
	bool b;

	switch (k->type) {
	case K_STRING:
		if (!*val && strcmp(k->name, "append")) {
			fprintf(stderr, "vmm: --%s needs a value\n", k->name);
			return -1;
		}
		if (!strcmp(k->name, "kernel"))
			c->kernel = val;
		else if (!strcmp(k->name, "initrd"))
			c->initrd = val;
		else if (!strcmp(k->name, "screenshot-on-exit"))
			c->screenshot = val;
		else if (!strcmp(k->name, "name"))
			c->name = val;
		else if (!strcmp(k->name, "firmware"))
			c->firmware = val;
		else
			c->append = val;
		return 0;
	case K_SIZE:
		if (config_parse_size(val, &size)) {
			fprintf(stderr, "vmm: --%s: invalid size '%s' (examples: 512M, 2G)\n",
				k->name, val);
			return -1;
		}
		if (check_mem(size, val))
			return -1;
		c->mem_size = size;
		return 0;
	case K_UINT:
		if (parse_uint(val, &u)) {
			fprintf(stderr, "vmm: --%s: invalid number '%s'\n", k->name, val);
			return -1;
		}
		if (!strcmp(k->name, "cpus")) {
			if (u < 1 || u > MAX_CPUS) {
				fprintf(stderr, "vmm: --cpus '%s' is out of range: 1 to %d\n", val,
					MAX_CPUS);
				return -1;
			}
			c->cpus = u;
		} else {
			c->timeout = u;
		}
		return 0;
	case K_BOOL:
		if (!val) {
			b = true;
		} else if (parse_bool(val, &b)) {
			fprintf(stderr, "vmm: --%s: expected yes or no, got '%s'\n", k->name, val);
			return -1;
		}
		if (!strcmp(k->name, "rng"))
			c->rng = b;
		else if (!strcmp(k->name, "gdb-wait"))
			c->gdb_wait = b;
		else
			c->stats = b;
		return 0;
	case K_DISK: return parse_disk(c, val);
	case K_BOOT:
		if (!strcmp(val, "disk")) {
			c->boot = BOOT_DISK;
		} else if (!strcmp(val, "cdrom")) {
			c->boot = BOOT_CDROM;
		} else {
			fprintf(stderr, "vmm: --boot: expected disk or cdrom, got '%s'\n", val);
			return -1;
		}
		return 0;
	case K_CDROM:
		if (!*val) {
			fprintf(stderr, "vmm: --cdrom: expected a file name\n");
			return -1;
		}
		c->cdrom = val;
		return 0;
	case K_NET: return parse_net(c, val);
	case K_CONSOLE:
		if (strcmp(val, "virtio")) {
			fprintf(stderr, "vmm: --console: expected virtio, got '%s'\n", val);
			return -1;
		}
		c->virtio_console = true;
		return 0;
	case K_TRANSPORT:
		if (parse_transport(val, &c->transport)) {
			fprintf(stderr, "vmm: --virtio-transport: expected pci or mmio, got '%s'\n",
				val);
			return -1;
		}
		return 0;
	case K_SERIAL:
		if (strcmp(val, "stdio") && strcmp(val, "none") &&
		    (strncmp(val, "file:", 5) || !val[5])) {
			fprintf(stderr,
				"vmm: --serial: expected stdio, none or file:PATH, got '%s'\n",
				val);
			return -1;
		}
		c->serial = val;
		return 0;
	case K_ON_RESET:
		if (!strcmp(val, "exit")) {
			c->on_reset = ON_RESET_EXIT;
		} else if (!strcmp(val, "reboot")) {
			c->on_reset = ON_RESET_REBOOT;
		} else {
			fprintf(stderr, "vmm: --on-reset: expected exit or reboot, got '%s'\n",
				val);
			return -1;
		}
		return 0;
	case K_CONFIG: return config_file(c, val);
	case K_DISPLAY:
		if (!strcmp(val, "none")) {
			c->display = DISPLAY_NONE;
		} else if (!strcmp(val, "sdl")) {
			c->display = DISPLAY_SDL;
		} else {
			fprintf(stderr, "vmm: --display: expected none or sdl, got '%s'\n", val);
			return -1;
		}
		return 0;
	case K_VGA:
		if (strcmp(val, "std") && strcmp(val, "none")) {
			fprintf(stderr, "vmm: --vga: expected std or none, got '%s'\n", val);
			return -1;
		}
		c->no_vga = !strcmp(val, "none");
		return 0;
	case K_ENLIGHT:
		if (strcmp(val, "on") && strcmp(val, "off")) {
			fprintf(stderr, "vmm: --enlight: expected on or off, got '%s'\n", val);
			return -1;
		}
		c->no_enlight = !strcmp(val, "off");
		return 0;
	case K_ENLIGHT_DENY: return parse_enlight_deny(c, val);
	case K_GDB:
		if (config_gdb_addr(val, NULL)) {
			fprintf(stderr,
				"vmm: --gdb: expected tcp::PORT, tcp:HOST:PORT or unix:PATH, got "
				"'%s'\n",
				val);
			return -1;
		}
		c->gdb = val;
		return 0;
	}
	return -1;
}

static const struct key *key_find(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strlen(keys[i].name) == len && !strncmp(keys[i].name, name, len))
			return &keys[i];
	return NULL;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One line: "key = value", "key value", or a bare boolean "key". */
static int config_line(struct config *c, const char *path, int lineno, char *line)
{
	char *key = trim(line), *val, *p;
	const struct key *k;
	size_t klen;

	if (!*key || *key == '#')
		return 0;
	for (p = key; *p && !isspace((unsigned char)*p) && *p != '='; p++)
		;
	klen = p - key;
	val = p;
	while (isspace((unsigned char)*val))
		val++;
	if (*val == '=')
		val++;
	val = trim(val);
	/* A quoted value keeps its inner spaces: append = "console=ttyS0 quiet" */
	if (*val == '"' && strlen(val) >= 2 && val[strlen(val) - 1] == '"') {
		val[strlen(val) - 1] = '\0';
		val++;
	}
	k = key_find(key, klen);
	if (!k) {
		key[klen] = '\0';
		fprintf(stderr, "vmm: %s:%d: unknown key '%s'\n", path, lineno, key);
		return -1;
	}
	if (!*val && k->type == K_BOOL)
		return config_set(c, k, NULL);
	if (!*val && k->type != K_STRING) {
		fprintf(stderr, "vmm: %s:%d: '%s' needs a value\n", path, lineno, k->name);
		return -1;
	}
	val = (char *)config_keep(c, val);
	if (!val) {
		fprintf(stderr, "vmm: %s:%d: out of memory\n", path, lineno);
		return -1;
	}
	return config_set(c, k, val);
}

static int config_file(struct config *c, const char *path)
{
	char line[4096];
	int lineno = 0, ret = 0;
	FILE *f;

	if (++config_depth > MAX_CONFIG_DEPTH) {
		fprintf(stderr, "vmm: --config '%s': config files nest too deeply\n", path);
		config_depth--;
		return -1;
	}
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "vmm: --config '%s': %s\n", path, strerror(errno));
		config_depth--;
		return -1;
	}
	while (!ret && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			fprintf(stderr, "vmm: %s:%d: line too long\n", path, lineno);
			ret = -1;
			break;
		}
		ret = config_line(c, path, lineno, line);
	}
	fclose(f);
	config_depth--;
	return ret;
}

int config_parse(struct config *c, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *val = NULL;
		const struct key *k;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			usage(stdout);
			return 1;
		}
		if (!strcmp(arg, "--version")) {
			printf("vmm %s\n", VMM_VERSION);
			return 1;
		}
		if (strncmp(arg, "--", 2) || !arg[2]) {
			fprintf(stderr, "vmm: unexpected argument '%s' (try --help)\n", arg);
			return -1;
		}
		name = arg + 2;
		eq = strchr(name, '=');
		k = key_find(name, eq ? (size_t)(eq - name) : strlen(name));
		if (!k) {
			fprintf(stderr, "vmm: unknown option '%s' (try --help)\n", arg);
			return -1;
		}
		if (eq) {
			val = eq + 1;
		} else if (k->arg) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vmm: --%s needs a value (%s)\n", k->name, k->arg);
				return -1;
			}
			val = argv[++i];
		}
		if (config_set(c, k, val))
			return -1;
	}
	if (check_ide(c))
		return -1;
	if (!c->kernel && !c->firmware && !c->nr_disks && !c->cdrom) {
		fprintf(stderr, "vmm: no --kernel given, nor a --disk or --cdrom to boot from "
				"(try --help)\n");
		return -1;
	}
	if (c->kernel && c->firmware) {
		fprintf(stderr, "vmm: --kernel and --firmware exclude each other\n");
		return -1;
	}
	if (c->no_vga && c->screenshot) {
		fprintf(stderr,
			"vmm: --screenshot-on-exit needs a display device (not --vga none)\n");
		return -1;
	}
	if (c->gdb_wait && !c->gdb) {
		fprintf(stderr, "vmm: --gdb-wait needs --gdb\n");
		return -1;
	}
	return 0;
}
