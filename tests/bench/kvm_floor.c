// SPDX-License-Identifier: GPL-2.0
/*
 * The exit-cost floor: the same guest set-up as vmm (it links vmm's own
 * VM, memory and loader code) but a bare KVM_RUN loop with no device logic:
 * every port read returns all-ones, writes are dropped, a write to 0xf4
 * ends the run. What vmm adds per exit is vmm's time minus this.
 *
 * usage: kvm_floor KERNEL [CMDLINE]
 */
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "bios/layout.h"
#include "bios/linux.h"
#include "bios/tables.h"
#include "config/config.h"
#include "cpu/vcpu.h"
#include "cpu/vm.h"
#include "devices/device.h"

#define DEBUG_EXIT_PORT 0xf4

static int run(struct vcpu *v)
{
	struct kvm_run *r = v->run;

	for (;;) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			perror("KVM_RUN");
			return 1;
		}
		if (r->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "kvm_floor: exit reason %u\n", r->exit_reason);
			return 1;
		}
		if (r->io.port == DEBUG_EXIT_PORT && r->io.direction == KVM_EXIT_IO_OUT)
			return 0;
		if (r->io.direction == KVM_EXIT_IO_IN)
			memset((char *)r + r->io.data_offset, 0xff, r->io.size * r->io.count);
	}
}

int main(int argc, char **argv)
{
	struct config cfg;
	struct kernel_image k;
	struct boot_entry e;
	struct vm vm;

	if (argc < 2) {
		fprintf(stderr, "usage: kvm_floor KERNEL [CMDLINE]\n");
		return 2;
	}
	config_defaults(&cfg);
	cfg.mem_size = 64 << 20;
	cfg.serial = "none";
	if (linux_read_kernel(&k, argv[1]) || vm_create(&vm, &cfg) || devices_init(&vm) ||
	    linux_load(&vm, &k, NULL, argc > 2 ? argv[2] : "", &e) ||
	    acpi_build(&vm, LAYOUT_BIOS, LAYOUT_BIOS_SIZE) || vcpu_set_boot_state(vm.vcpus[0], &e))
		return 1;
	return run(vm.vcpus[0]);
}
