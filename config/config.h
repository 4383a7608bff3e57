/* SPDX-License-Identifier: GPL-2.0 */
/* The machine as the user described it: flags and config-file keys. */
#ifndef VMM_CONFIG_CONFIG_H
#define VMM_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#define VMM_VERSION "0.1.0"

enum on_reset { ON_RESET_REBOOT, ON_RESET_EXIT };

#define CONFIG_MAX_DISKS 16
#define CONFIG_MAX_NETS	 8
#define CONFIG_SERIAL_ID 20 /* VIRTIO_BLK_ID_BYTES */

/* Which virtio transport a device sits on; DEFAULT follows --virtio-transport. */
enum virtio_transport { VT_DEFAULT, VT_PCI, VT_MMIO };
enum disk_format { DISK_FMT_AUTO, DISK_FMT_RAW, DISK_FMT_QCOW2 };
enum disk_cache { DISK_CACHE_WRITEBACK, DISK_CACHE_NONE };
enum disk_aio { DISK_AIO_IO_URING, DISK_AIO_NATIVE, DISK_AIO_THREADS };
/* --boot: which kind of drive the firmware tries first (default disks). */
enum boot_first { BOOT_DISK, BOOT_CDROM };
/* Which front end serves a disk; DEFAULT: virtio with --kernel, IDE without. */
enum disk_if { DISK_IF_DEFAULT, DISK_IF_VIRTIO, DISK_IF_IDE };
#define CONFIG_MAX_IDE 4 /* two channels, master and slave */
/* --display: AUTO is SDL when $DISPLAY/$WAYLAND_DISPLAY is set and SDL starts. */
enum display_kind { DISPLAY_AUTO, DISPLAY_NONE, DISPLAY_SDL };

/* --disk file=PATH[,format=raw|qcow2][,readonly][,cache=][,aio=][,serial=][,transport=] */
struct disk_opts {
	const char *file;
	enum disk_format format;
	bool readonly;
	enum disk_cache cache;
	enum disk_aio aio;
	char serial[CONFIG_SERIAL_ID + 1]; /* "" = none */
	enum virtio_transport transport;
	enum disk_if iface; /* if=ide|virtio */
};

/* --net tap=NAME[,mac=52:54:00:12:34:56][,transport=] */
struct net_opts {
	const char *tap;
	uint8_t mac[6];
	bool mac_set; /* else vmm picks 52:54:00:12:34:(56 + index) */
	enum virtio_transport transport;
};

#define CONFIG_MAX_ENLIGHT_DENY 16

struct config {
	const char *kernel;
	const char *initrd;
	const char *append;
	uint64_t mem_size; /* bytes */
	unsigned int cpus;
	const char *serial;   /* "stdio", "file:PATH", "none" */
	unsigned int timeout; /* seconds, 0 = none */
	bool stats;
	enum on_reset on_reset;
	unsigned int nr_disks;
	struct disk_opts disks[CONFIG_MAX_DISKS];
	unsigned int nr_nets;
	struct net_opts nets[CONFIG_MAX_NETS];
	bool virtio_console;		 /* --console virtio: hvc0 */
	bool rng;			 /* --rng: virtio-rng from getrandom() */
	enum virtio_transport transport; /* --virtio-transport, default PCI */
	enum display_kind display;	 /* --display */
	bool no_vga;			 /* --vga none: no display device at all */
	const char *screenshot;		 /* --screenshot-on-exit FILE.bmp */
	const char *name;		 /* --name: window title; default the kernel's name */
	const char *gdb;		 /* --gdb SPEC, or NULL */
	bool gdb_wait;			 /* --gdb-wait */
	struct config_str *owned;	 /* values read from config files */
	const char *cdrom;		 /* --cdrom FILE: ATAPI, secondary master */
	const char *firmware;		 /* --firmware FILE; no --kernel: the BIOS boots */
	enum boot_first boot;		 /* --boot disk|cdrom */
	bool no_enlight;		 /* --enlight off: a plain PIIX IDE */
	unsigned int nr_enlight_deny;	 /* --enlight-deny PRODUCT:BUILD */
	struct {
		uint32_t product, build;
	} enlight_deny[CONFIG_MAX_ENLIGHT_DENY];
};

/* --gdb: tcp::PORT (all addresses), tcp:HOST:PORT, unix:PATH. */
struct config_gdb_addr {
	bool is_unix;
	char host[256]; /* "" = any */
	unsigned int port;
	char path[108]; /* sun_path */
};

/* Parse a --gdb value into @a (may be NULL: syntax check). 0 or -1. */
int config_gdb_addr(const char *spec, struct config_gdb_addr *a);

/* Defaults: 512 MiB, 1 vCPU, serial on stdio, reboot on reset. */
void config_defaults(struct config *c);
/*
 * Parse argv (and any --config FILE it names) into @c. Returns 0 to run,
 * 1 when --help or --version was printed, -1 after printing one error line
 * (the caller exits with VMM_EXIT_USAGE).
 */
int config_parse(struct config *c, int argc, char **argv);
/* Free what config files allocated. */
void config_free(struct config *c);
/* Parse one size such as 512M, 2G, 1048576 (bytes unless suffixed: M default). */
int config_parse_size(const char *s, uint64_t *out);
/* A device's transport after defaults: VT_PCI or VT_MMIO. */
enum virtio_transport config_transport(const struct config *c, enum virtio_transport t);

/* Does disk @i go to the IDE controller (if=ide, or no --kernel)? */
bool config_disk_is_ide(const struct config *c, unsigned int i);

#endif
