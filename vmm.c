// SPDX-License-Identifier: GPL-2.0
/*
 * vmm: main. Parse the configuration, create the machine, load the guest,
 * run the vCPUs and wait for a machine event. Shut-down is one path: stop
 * the vCPUs, drain the devices, restore the terminal, report, exit with the
 * status the guest or the error asked for (config/status.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "bios/firmware.h"
#include "bios/layout.h"
#include "bios/linux.h"
#include "bios/tables.h"
#include "config/config.h"
#include "config/status.h"
#include "cpu/vcpu.h"
#include "cpu/emulate.h"
#include "cpu/gdbstub.h"
#include "cpu/vm.h"
#include "devices/chardev.h"
#include "devices/block/block.h"
#include "devices/device.h"
#include "devices/display/display.h"
#include "mmio/bus.h"
#include "mmio/ioloop.h"

#define BDA_EBDA_SEGMENT 0x40e /* BIOS data area: where the EBDA starts, >> 4 */

static struct vm the_vm;
static struct firmware the_firmware; /* no --kernel: the BIOS boots */

/* Fatal signals: give the terminal back, then die as the signal says. */
static void fatal_signal(int sig)
{
	chardev_restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_fatal_handlers(void)
{
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], fatal_signal);
	signal(SIGPIPE, SIG_IGN);
}

/* SIGINT/SIGTERM/SIGHUP are blocked everywhere and read on the I/O thread. */
static sigset_t shutdown_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1); /* vCPU kicks: unblocked in vCPU threads only */
	return set;
}

static void on_signal(void *opaque, uint32_t events)
{
	struct signalfd_siginfo si;
	int fd = *(int *)opaque;
	char why[64];

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	snprintf(why, sizeof(why), "terminated by SIG%s", sigabbrev_np(si.ssi_signo));
	vm_request_exit(&the_vm, VMM_EXIT_SIGNAL_BASE + si.ssi_signo, why);
}

static void on_timeout(void *opaque, uint32_t events)
{
	int fd = *(int *)opaque;
	uint64_t n;
	char why[64];

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	snprintf(why, sizeof(why), "timeout: stopped the guest after %u s", the_vm.cfg->timeout);
	vm_request_exit(&the_vm, VMM_EXIT_TIMEOUT, why);
}

static int watch_signals_and_timeout(const struct config *cfg)
{
	static int sig_fd = -1, timer_fd = -1;
	sigset_t set = shutdown_signals();

	sigdelset(&set, SIGUSR1);
	sig_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0 || ioloop_add(sig_fd, EPOLLIN, on_signal, &sig_fd) < 0)
		return -1;
	if (!cfg->timeout)
		return 0;
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (timer_fd < 0)
		return -1;
	struct itimerspec its = { .it_value = { .tv_sec = cfg->timeout } };

	if (timerfd_settime(timer_fd, 0, &its, NULL) < 0 ||
	    ioloop_add(timer_fd, EPOLLIN, on_timeout, &timer_fd) < 0)
		return -1;
	return 0;
}

/* Guest memory contents for a boot: kernel, tables, and the BSP's entry state. */
/*
 * The user's --append, plus, on hosts whose KVM shows the guest the host's
 * own CPUID, Linux's switches that hide what KVM cannot run (cpu/probe.c).
 */
static char *kernel_cmdline(const struct vm *vm)
{
	const char *user = vm->cfg->append ? vm->cfg->append : "";
	const char *extra = vm->cpu_probe.cpuid_ignored ? vm->cpu_probe.linux_args : "";
	char *s;

	if (asprintf(&s, "%s%s%s", user, *user && *extra ? " " : "", extra) < 0)
		return NULL;
	return s;
}

static int load_guest(struct vm *vm, const struct kernel_image *k)
{
	const struct config *cfg = vm->cfg;
	struct boot_entry entry;
	uint16_t ebda_seg = LAYOUT_EBDA >> 4;
	int ret;

	if (!cfg->kernel)
		return firmware_load(vm, &the_firmware);
	char *cmdline = kernel_cmdline(vm);

	if (!cmdline)
		return VMM_EXIT_HOST_ERROR;
	ret = linux_load(vm, k, cfg->initrd, cmdline, &entry);
	free(cmdline);
	if (ret)
		return ret;
	mem_write(&vm->mem, BDA_EBDA_SEGMENT, &ebda_seg, sizeof(ebda_seg));
	ret = mptable_build(vm, LAYOUT_MPTABLE, LAYOUT_MPTABLE_SIZE);
	if (!ret)
		ret = acpi_build(vm, LAYOUT_BIOS, LAYOUT_BIOS_SIZE);
	if (ret < 0) {
		fprintf(stderr, "vmm: cannot build the MP/ACPI tables: %s\n", strerror(-ret));
		return VMM_EXIT_HOST_ERROR;
	}
	ret = vcpu_set_boot_state(vm->vcpus[0], &entry);
	if (ret < 0) {
		fprintf(stderr, "vmm: cannot set the boot CPU state: %s\n", strerror(-ret));
		return VMM_EXIT_HOST_ERROR;
	}
	return 0;
}

static void stop_vcpus_upto(struct vm *vm, unsigned int n)
{
	atomic_store(&vm->stopping, true);
	gdbstub_wake();
	for (unsigned int i = 0; i < n; i++)
		vcpu_kick(vm->vcpus[i]);
	for (unsigned int i = 0; i < n; i++)
		vcpu_join(vm->vcpus[i]);
}

static void stop_vcpus(struct vm *vm)
{
	stop_vcpus_upto(vm, vm->nr_vcpus);
}

/* All or none: if one thread cannot start, the ones already running stop. */
static int start_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++) {
		int ret = vcpu_start(vm->vcpus[i]);

		if (ret < 0) {
			fprintf(stderr, "vmm: cannot start vCPU %u: %s\n", i, strerror(-ret));
			stop_vcpus_upto(vm, i);
			return VMM_EXIT_HOST_ERROR;
		}
	}
	return 0;
}

/*
 * Where KVM emulates guest ring 0, a bzImage's own decompressor takes
 * minutes; decompress it here and enter the result through PVH instead
 * (bios/unpack.c). Elsewhere, and for kernels it cannot do, nothing changes.
 */
static long unpack_ms = -1; /* for --stats */

static void unpack_if_it_wins(struct vm *vm, struct kernel_image *k)
{
	struct kernel_image elf;
	struct timespec t0, t1;

	if (!vm->cpu_probe.ring0_emulated || !k->data)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (linux_unpack(k, &elf) < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	unpack_ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	linux_free_kernel(k);
	*k = elf;
}

/* Run until the machine exits; a guest reset reboots in place. */
static int run_machine(struct vm *vm, const struct kernel_image *k)
{
	int ret;

	for (;;) {
		ret = start_vcpus(vm);
		if (ret)
			return ret;
		if (display_wait_event(vm) == VM_EVENT_EXIT)
			break;
		stop_vcpus(vm);
		if (!vm_reset_begin(vm))
			return vm->exit_status; /* an exit came in meanwhile */
		fprintf(stderr, "vmm: guest reset: rebooting\n");
		ret = vm_reset(vm);
		if (ret)
			return ret;
		devices_reset(vm);
		ret = load_guest(vm, k);
		if (ret)
			return ret;
	}
	stop_vcpus(vm);
	return vm->exit_status;
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct kernel_image kernel;
	struct vm *vm = &the_vm;
	sigset_t set = shutdown_signals();
	int ret;

	config_defaults(&cfg);
	ret = config_parse(&cfg, argc, argv);
	if (ret)
		return ret > 0 ? 0 : VMM_EXIT_USAGE;
	/* Every input file is checked before KVM is touched: usage errors first. */
	memset(&kernel, 0, sizeof(kernel));
	if (cfg.kernel)
		ret = linux_read_kernel(&kernel, cfg.kernel);
	else
		ret = firmware_read(&the_firmware, &cfg);
	if (!ret && cfg.initrd)
		ret = linux_check_initrd(cfg.initrd);
	/* Disk images are opened (and locked) here: a bad one is a usage error. */
	if (!ret)
		ret = blk_open_disks(&cfg);
	if (ret)
		return ret;

	install_fatal_handlers();
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* inherited by every thread */
	ret = vm_create(vm, &cfg);
	if (ret)
		return ret;
	unpack_if_it_wins(vm, &kernel);
	bus_set_timing(cfg.stats);
	if (ioloop_init() < 0 || watch_signals_and_timeout(&cfg) < 0) {
		fprintf(stderr, "vmm: cannot set up the I/O thread: %s\n", strerror(errno));
		return VMM_EXIT_HOST_ERROR;
	}
	if (devices_init(vm) < 0)
		return VMM_EXIT_HOST_ERROR;
	ret = gdbstub_init(vm);
	if (ret)
		return ret;
	ret = load_guest(vm, &kernel);
	if (!ret)
		ret = display_init(vm);
	if (ret)
		return ret;
	if (ioloop_start() < 0) {
		fprintf(stderr, "vmm: cannot start the I/O thread\n");
		return VMM_EXIT_HOST_ERROR;
	}

	ret = run_machine(vm, &kernel);
	display_fini();

	ioloop_stop(); /* no I/O callback may run while devices drain and free */
	gdbstub_exit(ret);
	devices_shutdown(vm);
	chardev_restore_terminal();
	if (cfg.stats) {
		fprintf(stderr, "\nvmm: exit statistics\n");
		if (unpack_ms >= 0)
			fprintf(stderr,
				"kernel: XZ payload decompressed by vmm in %ld ms, "
				"entered through PVH\n",
				unpack_ms);
		vcpu_print_stats(vm, stderr);
		emulate_print_stats(stderr);
		bus_print_stats(stderr);
		devices_print_stats(vm, stderr);
	}
	/* Before the teardown helper, which shares our files: unlock the images now. */
	blk_close_disks();
	linux_free_kernel(&kernel);
	firmware_free(&the_firmware);
	config_free(&cfg);
	vm_teardown_async(vm);
	return ret;
}
