// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM: one anonymous mapping, split around the PCI hole, and the
 * checked translation from guest-physical to host addresses.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/kvm.h>

#include "mmio/mem.h"

/*
 * Low RAM [0, low), less the VGA window: reads and writes there go to the
 * display device (a PC's RAM behind the window is not reachable either).
 */
static void mem_add_low(struct guest_mem *m, uint64_t low)
{
	uint64_t first = low < MEM_VGA_START ? low : MEM_VGA_START;

	m->ranges[m->nr_ranges++] = (struct mem_range){ .gpa = 0, .size = first, .hva = m->base };
	if (low > MEM_VGA_END)
		m->ranges[m->nr_ranges++] = (struct mem_range){ .gpa = MEM_VGA_END,
								.size = low - MEM_VGA_END,
								.hva = m->base + MEM_VGA_END };
}

int mem_init(struct guest_mem *m, uint64_t size)
{
	uint64_t low = size < MEM_PCI_HOLE_START ? size : MEM_PCI_HOLE_START;
	void *p;

	memset(m, 0, sizeof(*m));
	if (!size || size > (1ULL << 46))
		return -EINVAL;
	/* NORESERVE: the guest touches what it uses; a big idle guest costs nothing. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	/*
	 * Transparent huge pages: fewer TLB misses and faults for the guest.
	 * No MADV_MERGEABLE: registering with KSM costs ~14 ms of start-up and
	 * exit here (measured with tests/bench), and pays off only for many
	 * similar long-lived guests.
	 */
	madvise(p, size, MADV_HUGEPAGE);
	m->base = p;
	m->size = size;
	mem_add_low(m, low);
	if (size > low)
		m->ranges[m->nr_ranges++] = (struct mem_range){ .gpa = MEM_4G,
								.size = size - low,
								.hva = m->base + low };
	return 0;
}

void mem_free(struct guest_mem *m)
{
	if (m->base)
		munmap(m->base, m->size);
	memset(m, 0, sizeof(*m));
}

int mem_register(const struct guest_mem *m, int vm_fd)
{
	for (int i = 0; i < m->nr_ranges; i++) {
		struct kvm_userspace_memory_region r = {
			.slot = i,
			.guest_phys_addr = m->ranges[i].gpa,
			.memory_size = m->ranges[i].size,
			.userspace_addr = (uintptr_t)m->ranges[i].hva,
		};

		if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return -errno;
	}
	return 0;
}

int mem_slot_alloc(void)
{
	static int next = MEM_SLOT_EXTRA;

	return __atomic_fetch_add(&next, 1, __ATOMIC_RELAXED);
}

int mem_slot_set(int vm_fd, int slot, uint64_t gpa, uint64_t size, void *hva, uint32_t flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	return ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

void *mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < m->nr_ranges; i++) {
		const struct mem_range *r = &m->ranges[i];

		/* Written so that no sum can wrap: gpa - r->gpa only once gpa >= r->gpa. */
		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;
		return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

bool mem_valid(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	return mem_ptr(m, gpa, len) != NULL;
}

int mem_read(const struct guest_mem *m, uint64_t gpa, void *buf, uint64_t len)
{
	void *p = mem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

int mem_write(const struct guest_mem *m, uint64_t gpa, const void *buf, uint64_t len)
{
	void *p = mem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

uint64_t mem_low_end(const struct guest_mem *m)
{
	uint64_t end = 0;

	for (int i = 0; i < m->nr_ranges; i++)
		if (m->ranges[i].gpa < MEM_4G)
			end = m->ranges[i].gpa + m->ranges[i].size;
	return end;
}
