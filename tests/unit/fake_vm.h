/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For device unit tests: defines (not only declares) the cpu/vm.c entry
 * points devices call, recording what they were asked to do, so a device
 * runs without /dev/kvm. Include it in exactly one file per test binary;
 * then the linker never pulls cpu/vm.o out of the archive.
 *
 * Calls may come from the I/O thread (timers, input), hence the lock.
 */
#ifndef VMM_TESTS_FAKE_VM_H
#define VMM_TESTS_FAKE_VM_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>

#include "config/config.h"
#include "cpu/vm.h"
#include "mmio/bus.h"
#include "mmio/ioloop.h"

#define FAKE_MAX_IRQ_EVENTS 256

struct fake_irq_event {
	unsigned int gsi;
	int level;
};

static struct {
	pthread_mutex_t lock;
	struct fake_irq_event ev[FAKE_MAX_IRQ_EVENTS];
	unsigned int nr_ev;
	int level[32];		/* current level of each GSI */
	unsigned int rises[32]; /* 0 -> 1 transitions seen per GSI */
	int exits, exit_status;
	int resets;
	/* MSI routing (cpu/vm.c's table, without KVM): index = GSI - 24. */
	struct vm_msi_route msi[VM_MAX_MSI];
	int irqfd[VM_MAX_MSI];	 /* eventfd bound to each GSI, -1 = none */
	unsigned int route_sets; /* successful table updates */
	int msi_fail;		 /* nonzero: routing calls fail with -msi_fail */
} fake = { .lock = PTHREAD_MUTEX_INITIALIZER };

void vm_irq_line(struct vm *vm, unsigned int gsi, int level)
{
	pthread_mutex_lock(&fake.lock);
	if (fake.nr_ev < FAKE_MAX_IRQ_EVENTS)
		fake.ev[fake.nr_ev++] = (struct fake_irq_event){ gsi, level };
	if (gsi < 32) {
		if (level && !fake.level[gsi])
			fake.rises[gsi]++;
		fake.level[gsi] = level;
	}
	pthread_mutex_unlock(&fake.lock);
}

void vm_request_exit(struct vm *vm, int status, const char *why)
{
	pthread_mutex_lock(&fake.lock);
	if (!fake.exits++)
		fake.exit_status = status; /* first one wins, as in cpu/vm.c */
	pthread_mutex_unlock(&fake.lock);
}

void vm_request_reset(struct vm *vm, const char *why)
{
	pthread_mutex_lock(&fake.lock);
	fake.resets++;
	pthread_mutex_unlock(&fake.lock);
}

int vm_msi_route_add(struct vm *vm, uint64_t addr, uint32_t data)
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&fake.lock);
	if (fake.msi_fail) {
		ret = -fake.msi_fail;
	} else {
		for (unsigned int i = 0; i < VM_MAX_MSI; i++) {
			if (fake.msi[i].used)
				continue;
			fake.msi[i] = (struct vm_msi_route){ true, addr, data };
			fake.route_sets++;
			ret = VM_MSI_GSI_BASE + i;
			break;
		}
	}
	pthread_mutex_unlock(&fake.lock);
	return ret;
}

int vm_msi_route_set(struct vm *vm, unsigned int gsi, uint64_t addr, uint32_t data)
{
	int ret = -EINVAL;

	pthread_mutex_lock(&fake.lock);
	if (fake.msi_fail) {
		ret = -fake.msi_fail;
	} else if (gsi >= VM_MSI_GSI_BASE && gsi - VM_MSI_GSI_BASE < VM_MAX_MSI &&
		   fake.msi[gsi - VM_MSI_GSI_BASE].used) {
		fake.msi[gsi - VM_MSI_GSI_BASE].addr = addr;
		fake.msi[gsi - VM_MSI_GSI_BASE].data = data;
		fake.route_sets++;
		ret = 0;
	}
	pthread_mutex_unlock(&fake.lock);
	return ret;
}

void vm_msi_route_del(struct vm *vm, unsigned int gsi)
{
	pthread_mutex_lock(&fake.lock);
	if (gsi >= VM_MSI_GSI_BASE && gsi - VM_MSI_GSI_BASE < VM_MAX_MSI)
		fake.msi[gsi - VM_MSI_GSI_BASE].used = false;
	pthread_mutex_unlock(&fake.lock);
}

int vm_irqfd(struct vm *vm, int fd, unsigned int gsi, bool assign)
{
	int ret = -EINVAL;

	pthread_mutex_lock(&fake.lock);
	if (gsi >= VM_MSI_GSI_BASE && gsi - VM_MSI_GSI_BASE < VM_MAX_MSI) {
		fake.irqfd[gsi - VM_MSI_GSI_BASE] = assign ? fd : -1;
		ret = 0;
	}
	pthread_mutex_unlock(&fake.lock);
	return ret;
}

static inline void fake_clear(void)
{
	pthread_mutex_lock(&fake.lock);
	memset(fake.msi, 0, sizeof(fake.msi));
	memset(fake.irqfd, 0xff, sizeof(fake.irqfd));
	fake.route_sets = 0;
	fake.msi_fail = 0;
	fake.nr_ev = 0;
	memset(fake.level, 0, sizeof(fake.level));
	memset(fake.rises, 0, sizeof(fake.rises));
	fake.exits = fake.exit_status = fake.resets = 0;
	pthread_mutex_unlock(&fake.lock);
}

static inline int fake_level(unsigned int gsi)
{
	int v;

	pthread_mutex_lock(&fake.lock);
	v = fake.level[gsi];
	pthread_mutex_unlock(&fake.lock);
	return v;
}

static inline unsigned int fake_rises(unsigned int gsi)
{
	unsigned int v;

	pthread_mutex_lock(&fake.lock);
	v = fake.rises[gsi];
	pthread_mutex_unlock(&fake.lock);
	return v;
}

static inline int fake_exits(void)
{
	int v;

	pthread_mutex_lock(&fake.lock);
	v = fake.exits;
	pthread_mutex_unlock(&fake.lock);
	return v;
}

/* A struct vm with default config and no KVM behind it. */
static inline void fake_vm_init(struct vm *vm, struct config *cfg)
{
	memset(vm, 0, sizeof(*vm));
	config_defaults(cfg);
	cfg->serial = "none";
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = -1;
	vm->nr_vcpus = 1;
	fake_clear();
}

/*
 * The I/O thread runs for a whole test group, as in vmm. With fd 0 closed,
 * pipe() would hand out 0 and tests that play with stdin would break.
 */
static inline int fake_ioloop_setup(void **state)
{
	if (fcntl(0, F_GETFD) < 0 && open("/dev/null", O_RDONLY) != 0)
		return -1;
	return ioloop_start();
}

static inline int fake_ioloop_teardown(void **state)
{
	ioloop_stop();
	return 0;
}

/* Port I/O through the real bus, as a vCPU exit would do it. */
static inline void outb(uint16_t port, uint8_t v)
{
	bus_access(BUS_PIO, port, &v, 1, true);
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	bus_access(BUS_PIO, port, &v, 1, false);
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	bus_access(BUS_PIO, port, (uint8_t *)&v, 4, true);
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	bus_access(BUS_PIO, port, (uint8_t *)&v, 4, false);
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	bus_access(BUS_PIO, port, (uint8_t *)&v, 2, true);
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	bus_access(BUS_PIO, port, (uint8_t *)&v, 2, false);
	return v;
}

#endif
