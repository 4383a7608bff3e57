// SPDX-License-Identifier: GPL-2.0
/* Command line and config file: good input parses, bad input is one quoted error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config/config.h"

static char errbuf[4096];

/* Parse argv with stderr captured into errbuf. */
static int parse(struct config *c, char **argv)
{
	int argc = 0, ret, saved = dup(2);
	FILE *tmp = tmpfile();

	while (argv[argc])
		argc++;
	config_free(c);
	config_defaults(c);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	ret = config_parse(c, argc, argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	memset(errbuf, 0, sizeof(errbuf));
	if (fread(errbuf, 1, sizeof(errbuf) - 1, tmp)) {
		/* captured */
	}
	fclose(tmp);
	return ret;
}

#define ARGV(...) ((char *[]){ "vmm", __VA_ARGS__, NULL })

static void expect_error(char **argv, const char *quoted)
{
	struct config c = { 0 };

	assert_int_equal(parse(&c, argv), -1);
	assert_non_null(strstr(errbuf, quoted));
	/* exactly one line */
	assert_non_null(strchr(errbuf, '\n'));
	assert_null(strchr(strchr(errbuf, '\n') + 1, '\n'));
	config_free(&c);
}

static void test_defaults_and_flags(void **state)
{
	struct config c = { 0 };

	assert_int_equal(parse(&c, ARGV("--kernel", "bz")), 0);
	assert_string_equal(c.kernel, "bz");
	assert_int_equal(c.mem_size, 512ULL << 20);
	assert_int_equal(c.cpus, 1);
	assert_string_equal(c.serial, "stdio");
	assert_int_equal(c.on_reset, ON_RESET_REBOOT);
	assert_false(c.stats);

	assert_int_equal(
		parse(&c, ARGV("--kernel=bz", "--mem", "2G", "--cpus=2", "--append",
			       "console=ttyS0 quiet", "--serial", "file:/tmp/x", "--timeout", "30",
			       "--stats", "--on-reset", "exit", "--initrd", "rd")),
		0);
	assert_int_equal(c.mem_size, 2ULL << 30);
	assert_int_equal(c.cpus, 2);
	assert_string_equal(c.append, "console=ttyS0 quiet");
	assert_string_equal(c.serial, "file:/tmp/x");
	assert_int_equal(c.timeout, 30);
	assert_true(c.stats);
	assert_int_equal(c.on_reset, ON_RESET_EXIT);
	assert_string_equal(c.initrd, "rd");
	assert_int_equal(parse(&c, ARGV("--kernel", "bz", "--stats=no")), 0);
	assert_false(c.stats);
}

static void test_sizes(void **state)
{
	uint64_t v;

	assert_int_equal(config_parse_size("512", &v), 0);
	assert_int_equal(v, 512ULL << 20);
	assert_int_equal(config_parse_size("64K", &v), 0);
	assert_int_equal(v, 64ULL << 10);
	assert_int_equal(config_parse_size("1g", &v), 0);
	assert_int_equal(v, 1ULL << 30);
	assert_int_equal(config_parse_size("2GiB", &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(config_parse_size("4096B", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_not_equal(config_parse_size("", &v), 0);
	assert_int_not_equal(config_parse_size("abc", &v), 0);
	assert_int_not_equal(config_parse_size("-1G", &v), 0);
	assert_int_not_equal(config_parse_size("1X", &v), 0);
	assert_int_not_equal(config_parse_size("1G2", &v), 0);
	assert_int_not_equal(config_parse_size("99999999999999999999", &v), 0);
	assert_int_not_equal(config_parse_size("99999999999T", &v), 0); /* overflows */
}

static void test_bad_flags(void **state)
{
	expect_error(ARGV("--kernel", "bz", "--frobnicate"), "'--frobnicate'");
	expect_error(ARGV("--kernel", "bz", "stray"), "'stray'");
	expect_error(ARGV("--kernel", "bz", "--mem", "lots"), "'lots'");
	expect_error(ARGV("--kernel", "bz", "--mem", "1M"), "'1M' is too small");
	expect_error(ARGV("--kernel", "bz", "--mem", "64T"), "'64T' is too large");
	expect_error(ARGV("--kernel", "bz", "--cpus", "0"), "--cpus '0'");
	expect_error(ARGV("--kernel", "bz", "--cpus", "256"), "--cpus '256'");
	expect_error(ARGV("--kernel", "bz", "--cpus", "two"), "'two'");
	expect_error(ARGV("--kernel", "bz", "--cpus", "-1"), "'-1'");
	expect_error(ARGV("--kernel", "bz", "--serial", "tcp:1"), "'tcp:1'");
	expect_error(ARGV("--kernel", "bz", "--serial", "file:"), "'file:'");
	expect_error(ARGV("--kernel", "bz", "--on-reset", "panic"), "'panic'");
	expect_error(ARGV("--kernel", "bz", "--timeout", "soon"), "'soon'");
	expect_error(ARGV("--kernel", "bz", "--stats=maybe"), "'maybe'");
	expect_error(ARGV("--kernel"), "--kernel needs a value");
	expect_error(ARGV("--mem", "1G"), "no --kernel");
	expect_error(ARGV("--disk", "file=d", "--boot", "floppy"), "'floppy'");
	expect_error(ARGV("--kernel", "bz", "--firmware", "f"), "exclude each other");
	expect_error(ARGV("--kernel", "bz", "--config", "/nonexistent/vm.conf"),
		     "'/nonexistent/vm.conf'");
}

/* Without --kernel the firmware boots: a drive is enough, --boot picks the first kind. */
static void test_firmware_boot(void **state)
{
	struct config c = { 0 };

	assert_int_equal(parse(&c, ARGV("--cdrom", "x.iso", "--boot", "cdrom")), 0);
	assert_null(c.kernel);
	assert_null(c.firmware);
	assert_int_equal(c.boot, BOOT_CDROM);
	config_free(&c);
	assert_int_equal(parse(&c, ARGV("--disk", "file=d", "--firmware", "bios.bin")), 0);
	assert_string_equal(c.firmware, "bios.bin");
	assert_int_equal(c.boot, BOOT_DISK);
	assert_true(config_disk_is_ide(&c, 0));
	config_free(&c);
}

static void test_help_version(void **state)
{
	struct config c = { 0 };
	int saved = dup(1);
	FILE *null = fopen("/dev/null", "w");

	fflush(stdout);
	dup2(fileno(null), 1);
	assert_int_equal(parse(&c, ARGV("--help")), 1);
	assert_int_equal(parse(&c, ARGV("--version")), 1);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	fclose(null);
}

static char *write_conf(const char *text)
{
	static char path[] = "/tmp/vmm-test-XXXXXX";
	int fd;

	strcpy(path, "/tmp/vmm-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_config_file(void **state)
{
	struct config c = { 0 };
	char *path = write_conf("# a VM\n\nkernel = /boot/bz\nmem=1G\ncpus 4\n"
				"append = \"console=ttyS0 root=/dev/vda\"\nstats\n"
				"  on-reset = exit   \n");

	assert_int_equal(parse(&c, ARGV("--config", path)), 0);
	assert_string_equal(c.kernel, "/boot/bz");
	assert_int_equal(c.mem_size, 1ULL << 30);
	assert_int_equal(c.cpus, 4);
	assert_string_equal(c.append, "console=ttyS0 root=/dev/vda");
	assert_true(c.stats);
	assert_int_equal(c.on_reset, ON_RESET_EXIT);
	/* Later flags override the file. */
	assert_int_equal(parse(&c, ARGV("--config", path, "--cpus", "2")), 0);
	assert_int_equal(c.cpus, 2);
	unlink(path);
	config_free(&c);

	path = write_conf("kernel = bz\nmemory = 1G\n");
	expect_error(ARGV("--config", path), ":2: unknown key 'memory'");
	unlink(path);
	path = write_conf("kernel = bz\ncpus = many\n");
	expect_error(ARGV("--config", path), "'many'");
	unlink(path);
	path = write_conf("kernel = bz\ncpus =\n");
	expect_error(ARGV("--config", path), ":2: 'cpus' needs a value");
	unlink(path);
}

static void test_config_recursion(void **state)
{
	char *path = write_conf("");
	char text[128];
	FILE *f;

	/* A file that includes itself must end in an error, not a stack overflow. */
	snprintf(text, sizeof(text), "config = %s\n", path);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	expect_error(ARGV("--kernel", "bz", "--config", path), "nest too deeply");
	unlink(path);
}

/* --disk, --net, --console, --rng, --virtio-transport: every sub-option. */
static void test_virtio_devices(void **state)
{
	struct config c = { 0 };

	assert_int_equal(
		parse(&c, ARGV("--kernel", "bz", "--disk",
			       "file=a.img,format=qcow2,readonly,cache=none,aio=native,"
			       "serial=ABC-123,transport=mmio",
			       "--disk", "file=b.img", "--net", "tap=tap0,mac=52:54:00:aa:bb:cc",
			       "--net", "tap=tap1,transport=pci", "--console", "virtio", "--rng",
			       "--virtio-transport", "mmio")),
		0);
	assert_int_equal(c.nr_disks, 2);
	assert_string_equal(c.disks[0].file, "a.img");
	assert_int_equal(c.disks[0].format, DISK_FMT_QCOW2);
	assert_true(c.disks[0].readonly);
	assert_int_equal(c.disks[0].cache, DISK_CACHE_NONE);
	assert_int_equal(c.disks[0].aio, DISK_AIO_NATIVE);
	assert_string_equal(c.disks[0].serial, "ABC-123");
	assert_int_equal(c.disks[0].transport, VT_MMIO);
	assert_string_equal(c.disks[1].file, "b.img");
	assert_int_equal(c.disks[1].format, DISK_FMT_AUTO);
	assert_false(c.disks[1].readonly);
	assert_int_equal(c.disks[1].aio, DISK_AIO_IO_URING);
	assert_int_equal(config_transport(&c, c.disks[1].transport), VT_MMIO);
	assert_int_equal(c.nr_nets, 2);
	assert_string_equal(c.nets[0].tap, "tap0");
	assert_true(c.nets[0].mac_set);
	assert_memory_equal(c.nets[0].mac, ((uint8_t[]){ 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc }), 6);
	assert_false(c.nets[1].mac_set);
	assert_true(c.virtio_console);
	assert_true(c.rng);
	assert_int_equal(parse(&c, ARGV("--kernel", "bz", "--disk", "file=a,readonly=off", "--disk",
					"file=b,readonly=yes")),
			 0);
	assert_false(c.disks[0].readonly);
	assert_true(c.disks[1].readonly);
	assert_int_equal(config_transport(&c, c.nets[1].transport), VT_PCI);
	config_free(&c);
}

static void test_bad_virtio_devices(void **state)
{
	expect_error(ARGV("--kernel", "bz", "--disk", "a.img"), "'a.img'");
	expect_error(ARGV("--kernel", "bz", "--disk", "format=raw"), "no file=PATH");
	expect_error(ARGV("--kernel", "bz", "--disk", "file=a,format=vmdk"), "'format=vmdk'");
	expect_error(ARGV("--kernel", "bz", "--disk", "file=a,aio=posix"), "'aio=posix'");
	expect_error(ARGV("--kernel", "bz", "--disk", "file=a,cache=unsafe"), "'cache=unsafe'");
	expect_error(ARGV("--kernel", "bz", "--disk", "file=a,serial=123456789012345678901"),
		     "serial=");
	expect_error(ARGV("--kernel", "bz", "--disk", "file=a,transport=isa"), "'transport=isa'");
	expect_error(ARGV("--kernel", "bz", "--disk", "file="), "'file='");
	expect_error(ARGV("--kernel", "bz", "--net", "mac=52:54:00:12:34:56"), "no tap=NAME");
	expect_error(ARGV("--kernel", "bz", "--net", "tap=t,mac=01:00:5e:00:00:01"),
		     "'mac=01:00:5e:00:00:01'");
	expect_error(ARGV("--kernel", "bz", "--net", "tap=t,mac=52:54:00:12:34"),
		     "'mac=52:54:00:12:34'");
	expect_error(ARGV("--kernel", "bz", "--net", "tap=a-name-far-too-long"), "tap=");
	expect_error(ARGV("--kernel", "bz", "--console", "serial"), "expected virtio");
	expect_error(ARGV("--kernel", "bz", "--disk", "file=a,readonly=maybe"), "'readonly=maybe'");
	expect_error(ARGV("--kernel", "bz", "--virtio-transport", "ccw"), "expected pci or mmio");
}

static void test_display(void **state)
{
	struct config c = { 0 };

	assert_int_equal(parse(&c, ARGV("--kernel", "bz")), 0);
	assert_int_equal(c.display, DISPLAY_AUTO);
	assert_null(c.screenshot);
	assert_int_equal(parse(&c, ARGV("--kernel", "bz", "--display", "sdl",
					"--screenshot-on-exit", "s.bmp", "--name", "web1")),
			 0);
	assert_int_equal(c.display, DISPLAY_SDL);
	assert_string_equal(c.screenshot, "s.bmp");
	assert_string_equal(c.name, "web1");
	assert_int_equal(parse(&c, ARGV("--kernel", "bz", "--display=sdl", "--display", "none")),
			 0);
	assert_int_equal(c.display, DISPLAY_NONE);
	config_free(&c);
	expect_error(ARGV("--kernel", "bz", "--display", "gtk"), "'gtk'");
	assert_int_equal(parse(&c, ARGV("--kernel", "bz", "--vga", "none")), 0);
	assert_true(c.no_vga);
	config_free(&c);
	assert_int_equal(parse(&c, ARGV("--kernel", "bz", "--vga", "std")), 0);
	assert_false(c.no_vga);
	config_free(&c);
	expect_error(ARGV("--kernel", "bz", "--vga", "cirrus"), "'cirrus'");
	expect_error(ARGV("--kernel", "bz", "--vga", "none", "--screenshot-on-exit", "a.bmp"),
		     "not --vga none");
	expect_error(ARGV("--kernel", "bz", "--screenshot-on-exit", ""), "--screenshot-on-exit");
}

static void test_gdb(void **state)
{
	struct config c = { 0 };
	struct config_gdb_addr a;

	assert_int_equal(parse(&c, ARGV("--kernel", "bz", "--gdb", "tcp::1234", "--gdb-wait")), 0);
	assert_string_equal(c.gdb, "tcp::1234");
	assert_true(c.gdb_wait);
	assert_int_equal(config_gdb_addr("tcp::1234", &a), 0);
	assert_false(a.is_unix);
	assert_string_equal(a.host, "");
	assert_int_equal(a.port, 1234);
	assert_int_equal(config_gdb_addr("tcp:127.0.0.1:65535", &a), 0);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 65535);
	assert_int_equal(config_gdb_addr("tcp:[::1]:9", &a), 0);
	assert_string_equal(a.host, "::1");
	assert_int_equal(config_gdb_addr("unix:/tmp/s", &a), 0);
	assert_true(a.is_unix);
	assert_string_equal(a.path, "/tmp/s");
	assert_int_equal(config_gdb_addr("tcp::0", &a), -1);
	assert_int_equal(config_gdb_addr("tcp::65536", &a), -1);
	assert_int_equal(config_gdb_addr("tcp:1234", &a), -1);
	assert_int_equal(config_gdb_addr("unix:", &a), -1);
	assert_int_equal(config_gdb_addr("udp::1", &a), -1);
	config_free(&c);
	expect_error(ARGV("--kernel", "bz", "--gdb", "1234"), "got '1234'");
	expect_error(ARGV("--kernel", "bz", "--gdb-wait"), "--gdb-wait needs --gdb");
}

/* --enlight on|off, --enlight-deny PRODUCT:BUILD (repeatable, checked). */
static void test_enlight(void **state)
{
	struct config c = { 0 };

	assert_int_equal(parse(&c, ARGV("--disk", "file=d")), 0);
	assert_false(c.no_enlight);
	assert_int_equal(c.nr_enlight_deny, 0);
	config_free(&c);
	assert_int_equal(parse(&c, ARGV("--disk", "file=d", "--enlight", "off", "--enlight-deny",
					"1:2", "--enlight-deny", "0x10:4294967295")),
			 0);
	assert_true(c.no_enlight);
	assert_int_equal(c.nr_enlight_deny, 2);
	assert_int_equal(c.enlight_deny[0].product, 1);
	assert_int_equal(c.enlight_deny[0].build, 2);
	assert_int_equal(c.enlight_deny[1].product, 16);
	assert_int_equal(c.enlight_deny[1].build, 0xffffffffu);
	config_free(&c);
	expect_error(ARGV("--disk", "file=d", "--enlight", "maybe"), "'maybe'");
	expect_error(ARGV("--disk", "file=d", "--enlight-deny", "1"), "'1'");
	expect_error(ARGV("--disk", "file=d", "--enlight-deny", "1:"), "'1:'");
	expect_error(ARGV("--disk", "file=d", "--enlight-deny", "1:2x"), "'1:2x'");
	expect_error(ARGV("--disk", "file=d", "--enlight-deny", "-1:2"), "'-1:2'");
	expect_error(ARGV("--disk", "file=d", "--enlight-deny", "4294967296:0"), "'4294967296:0'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_and_flags),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_virtio_devices),
		cmocka_unit_test(test_bad_virtio_devices),
		cmocka_unit_test(test_display),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_help_version),
		cmocka_unit_test(test_firmware_boot),
		cmocka_unit_test(test_config_file),
		cmocka_unit_test(test_config_recursion),
		cmocka_unit_test(test_gdb),
		cmocka_unit_test(test_enlight),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
