// SPDX-License-Identifier: GPL-2.0
/*
 * cpu/vm.c's MSI routing table without KVM (vm_fd = -1): every ioctl fails,
 * and each call must report it and leave the table as it was, so a GSI is
 * never handed out that KVM does not route. Then the same calls against a
 * real KVM VM with an in-kernel irqchip, where /dev/kvm can be opened.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cpu/vm.h"

static void vm_without_kvm(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = -1;
	pthread_mutex_init(&vm->routing_lock, NULL);
}

static unsigned int used(const struct vm *vm)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < VM_MAX_MSI; i++)
		n += vm->msi[i].used;
	return n;
}

static void test_add_fails_cleanly(void **state)
{
	static struct vm vm;

	vm_without_kvm(&vm);
	assert_int_equal(vm_msi_route_add(&vm, 0xfee00000, 0x4041), -EBADF);
	assert_int_equal(used(&vm), 0);
	assert_int_equal(vm_irqfd(&vm, 0, VM_MSI_GSI_BASE, true), -EBADF);
}

static void test_set_and_del(void **state)
{
	static struct vm vm;

	vm_without_kvm(&vm);
	/* Not a GSI of ours, or not in use: refused without an ioctl. */
	assert_int_equal(vm_msi_route_set(&vm, 5, 0xfee00000, 1), -EINVAL);
	assert_int_equal(vm_msi_route_set(&vm, VM_MSI_GSI_BASE, 0xfee00000, 1), -EINVAL);
	assert_int_equal(vm_msi_route_set(&vm, VM_MSI_GSI_BASE + VM_MAX_MSI, 0, 0), -EINVAL);
	/* In use: KVM refuses the new table, so the old message stays. */
	vm.msi[3] = (struct vm_msi_route){ true, 0xfee00000, 0x4041 };
	assert_int_equal(vm_msi_route_set(&vm, VM_MSI_GSI_BASE + 3, 0xfee01000, 0x4042), -EBADF);
	assert_int_equal(vm.msi[3].addr, 0xfee00000);
	assert_int_equal(vm.msi[3].data, 0x4041);
	/* Freeing always frees (nothing signals the GSI any more). */
	vm_msi_route_del(&vm, VM_MSI_GSI_BASE + 3);
	assert_false(vm.msi[3].used);
	vm_msi_route_del(&vm, 2); /* an IOAPIC GSI: ignored */
	vm_msi_route_del(&vm, VM_MSI_GSI_BASE + VM_MAX_MSI);
}

static void test_table_full(void **state)
{
	static struct vm vm;

	vm_without_kvm(&vm);
	for (unsigned int i = 0; i < VM_MAX_MSI; i++)
		vm.msi[i].used = true;
	assert_int_equal(vm_msi_route_add(&vm, 0xfee00000, 0), -ENOSPC);
}

static void test_real_kvm(void **state)
{
	static struct vm vm;
	int gsi, gsi2, fd;

	vm_without_kvm(&vm);
	vm.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm.kvm_fd < 0)
		skip();
	vm.vm_fd = ioctl(vm.kvm_fd, KVM_CREATE_VM, 0);
	assert_true(vm.vm_fd >= 0);
	assert_int_equal(ioctl(vm.vm_fd, KVM_CREATE_IRQCHIP, 0), 0);
	gsi = vm_msi_route_add(&vm, 0xfee00000, 0x4041);
	assert_int_equal(gsi, VM_MSI_GSI_BASE);
	gsi2 = vm_msi_route_add(&vm, 0xfee00000, 0x4042);
	assert_int_equal(gsi2, VM_MSI_GSI_BASE + 1);
	assert_int_equal(vm_msi_route_set(&vm, gsi, 0xfee01000, 0x4051), 0);
	assert_int_equal(vm.msi[0].data, 0x4051);
	fd = eventfd(0, EFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(vm_irqfd(&vm, fd, gsi, true), 0);
	assert_int_equal(vm_irqfd(&vm, fd, gsi, true), -EBUSY); /* bound once */
	assert_int_equal(vm_irqfd(&vm, fd, gsi, false), 0);
	vm_msi_route_del(&vm, gsi);
	assert_false(vm.msi[0].used);
	/* The freed GSI is handed out again. */
	assert_int_equal(vm_msi_route_add(&vm, 0xfee00000, 1), gsi);
	close(fd);
	close(vm.vm_fd);
	close(vm.kvm_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_fails_cleanly),
		cmocka_unit_test(test_set_and_del),
		cmocka_unit_test(test_table_full),
		cmocka_unit_test(test_real_kvm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
