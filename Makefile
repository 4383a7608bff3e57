# vmm: one binary, built from the folders below. `make help` lists targets.
SHELL	:= /bin/bash
CC	?= gcc
BUILD	:= build
VMM	:= $(BUILD)/vmm
NETPEER	:= $(BUILD)/tests/netpeer

WARN	:= -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wstrict-prototypes \
	   -Wmissing-prototypes -Wvla
CFLAGS	?= -O2 -g
CFLAGS	+= -std=gnu11 $(WARN) -I. -D_GNU_SOURCE -pthread -fno-strict-aliasing \
	   -MMD -MP
LDLIBS	+= -pthread -llzma -luring -laio -lSDL2

# Everything except main() goes into the objects unit tests link against.
LIB_SRCS := $(wildcard cpu/*.c mmio/*.c devices/*.c devices/block/*.c devices/display/*.c \
			virtio/*.c emul/*.c \
			enlight/*.c bios/*.c config/*.c)
SRCS	:= vmm.c $(LIB_SRCS)
OBJS	:= $(SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/bios/fw_image.o

# Unit tests: cmocka under AddressSanitizer and UBSan.
SAN	:= -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_OBJS := $(LIB_SRCS:%.c=$(BUILD)/asan/%.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/unit/%)

# Debian packages: building, testing, and the test guests' peers.
DEB_BUILD := gcc make binutils libc6-dev linux-libc-dev liblzma-dev liburing-dev libaio-dev \
	     libsdl2-dev
# The default Linux guest (tests/guest/linux/build.sh): Debian's kernel and
# busybox-static are downloaded with apt-get and unpacked, never installed.
DEB_GUEST := apt dpkg coreutils findutils xz-utils gzip cpio kmod
# Tests; t_vga.sh adds an X server, input, screenshots and the VGA font it checks text with.
DEB_TEST  := libcmocka-dev qemu-system-x86 qemu-utils util-linux clang-format clang \
	     fdisk mtools dosfstools syslinux syslinux-common isolinux grub-pc-bin xorriso \
	     libclang-rt-14-dev iproute2 e2fsprogs xvfb xdotool imagemagick python3 libx11-6 \
	     console-data gdb
DEB_ALL   := $(DEB_BUILD) $(DEB_GUEST) $(DEB_TEST)

.PHONY: all run test unit integration bench deps help clean guest fuzz fuzz-smoke fuzz-corpus \
	format format-check linux-guest shunt shunt-if-headers
all: $(VMM) guest $(NETPEER)

help:
	@echo "make           build $(VMM) and the test guests"
	@echo "make run       build and boot the default guest on this terminal"
	@echo "make test      build and run every test (unit under ASan/UBSan, integration on /dev/kvm)"
	@echo "make bench     run the benchmarks (ratios against QEMU; asserts nothing)"
	@echo "make fuzz      run the libFuzzer harnesses (FUZZ_SECONDS=60 each)"
	@echo "make deps      install missing Debian packages (as root)"

$(VMM): $(OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/asan/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -c -o $@ $<

$(BUILD)/libvmm-asan.a: $(ASAN_OBJS)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/unit/%: tests/unit/%.c $(BUILD)/libvmm-asan.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) -o $@ $< $(BUILD)/libvmm-asan.a -lcmocka $(LDLIBS)

include tests/guest/guest.mk
include bios/fw/fw.mk

# The virtio-net tests' host end: a raw socket on the tap (t_net.sh, bench).
$(NETPEER): tests/integration/netpeer.c tests/guest/tests/vnet.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# libFuzzer harnesses (clang): bad input must never crash vmm. `make fuzz`
# runs each for FUZZ_SECONDS; `make test` runs a short seeded regression.
FUZZ_CC	:= clang
FUZZ_CFLAGS := -g -O1 -std=gnu11 -I. -D_GNU_SOURCE -pthread -fsanitize=fuzzer,address,undefined \
	       -fno-sanitize-recover=all -Wall -Wextra -Werror -Wno-unused-parameter
FUZZ_SECONDS ?= 60
FUZZ_NAMES := devices bzimage config emul virtqueue qcow2 net ide gdb
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)
# The IDE controller needs the block layer: fuzz_ide stubs it (images' iov helpers are real).
FUZZ_SRCS_devices := $(filter-out devices/ide.c devices/atapi.c,$(wildcard devices/*.c)) \
		     mmio/*.c config/*.c bios/*.c devices/display/render.c \
		     devices/display/font.c cpu/monitor.c
FUZZ_SRCS_ide := devices/ide.c devices/atapi.c devices/pci.c devices/device.c mmio/*.c \
		 config/config.c cpu/monitor.c enlight/*.c virtio/virtio.c virtio/blk.c \
		 virtio/pci.c virtio/pci_common.c virtio/virtqueue.c devices/block/image.c \
		 devices/block/qcow2.c
FUZZ_SRCS_bzimage := bios/*.c mmio/mem.c config/config.c
# fuzz_net.c includes virtio/net.c (its static ring code) and stubs the rest.
FUZZ_SRCS_net := virtio/virtqueue.c mmio/mem.c
FUZZ_SRCS_config := config/config.c
FUZZ_SRCS_emul := emul/*.c
FUZZ_SRCS_virtqueue := virtio/virtqueue.c mmio/mem.c
FUZZ_SRCS_qcow2 := devices/block/image.c devices/block/qcow2.c
FUZZ_SRCS_gdb := cpu/gdb_proto.c

.SECONDEXPANSION:
$(BUILD)/fuzz/fuzz_net: virtio/net.c
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $$(wildcard $$(FUZZ_SRCS_$$*)) $(wildcard */*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(wildcard $(FUZZ_SRCS_$*)) -llzma

# Seed corpora: the kit's images for the loader, a command line for config.
fuzz-corpus: guest
	@mkdir -p $(FUZZ_NAMES:%=$(BUILD)/fuzz/corpus-%)
	@cp $(BUILD)/guest/null.bzImage $(BUILD)/guest/hello.bzImage $(BUILD)/guest/pvh.elf \
		$(BUILD)/fuzz/corpus-bzimage/
	@printf -- '--kernel\0bz\0--mem\0512M\0--cpus\0002\0--serial\0file:x' \
		>$(BUILD)/fuzz/corpus-config/seed
	@printf '+$$qSupported:swbreak+#c9$$g#67$$m1000,40#c6$$X10,2:}]#20$$vCont;s:2;c#86\003$$qRcmd,7374617473#15' \
		>$(BUILD)/fuzz/corpus-gdb/seed
	@tests/fuzz/qcow2_seeds.sh $(BUILD)/fuzz/corpus-qcow2
	@# fuzz_net: a TX ring laid over the used ring's flags once hung the I/O thread.
	@echo AAAAAAABAAAAAAA7AAIA/wAAAAEEAAAAtwAIAAAAAAAAAQAAAAAAAA4AAAAAAAAA | base64 -d \
		>$(BUILD)/fuzz/corpus-net/ring-overlap

fuzz: deps $(FUZZ_BINS) fuzz-corpus
	@for f in $(FUZZ_NAMES); do echo "== fuzz_$$f for $(FUZZ_SECONDS) s"; \
		$(BUILD)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -close_fd_mask=3 \
			-print_final_stats=1 $(BUILD)/fuzz/corpus-$$f 2>&1 | \
			grep -aE "stat::number_of_executed_units|ERROR|SUMMARY|^Done"; \
		[ $${PIPESTATUS[0]} -eq 0 ] || exit 1; done

# In make test: a fixed seed and run count, so a red result is reproducible.
fuzz-smoke: $(FUZZ_BINS) fuzz-corpus
	@for f in $(FUZZ_NAMES); do \
		out=$$($(BUILD)/fuzz/fuzz_$$f -seed=1 -runs=30000 -close_fd_mask=3 \
			$(BUILD)/fuzz/corpus-$$f 2>&1) || { echo "$$out" | tail -20; \
			echo "FAIL fuzz_$$f"; exit 1; }; \
		echo "fuzz_$$f: $$(echo "$$out" | grep -ao "Done [0-9]* runs.*")"; done

# `make deps`: install what is missing; say what to run when not root.
deps:
	@missing=$$(for p in $(DEB_ALL); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null \
		| grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "deps: installing $$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -q $$missing >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null && apt-get install -y -q $$missing; }; \
	else \
		echo "deps: missing Debian packages: $$missing"; \
		echo "deps: run 'sudo make deps' (or sudo apt-get install $$missing)"; exit 1; \
	fi

unit: deps $(UNIT_BINS)
	@tests/unit/run.sh $(UNIT_BINS)

integration: deps $(VMM) guest linux-guest shunt-if-headers
	@tests/integration/run.sh

# The default guest: Debian's kernel (as an ELF vmlinux for PVH boot) and a
# busybox initramfs, cached in $(LINUX_OUT); the script is a no-op when
# everything is up to date.
LINUX_OUT := $(BUILD)/linux
linux-guest:
	@tests/guest/linux/build.sh $(LINUX_OUT)

# The guest shunt driver (enlight/guest/), a module for the guest kernel,
# built against its Debian headers in $(BUILD)/shunt/ (kbuild writes beside
# the sources, so they are copied there). `make shunt` fails without the
# headers; `make integration` just says how to get them.
SHUNT_SRCS := enlight/guest/shunt.c enlight/guest/Kbuild enlight/abi.h
shunt shunt-if-headers: linux-guest
	@kver=$$(cat $(LINUX_OUT)/VERSION); kdir=/usr/src/linux-headers-$$kver; \
	if [ ! -e $$kdir/Makefile ]; then \
		echo "shunt: no headers for the guest kernel $$kver in $$kdir:" \
			"run 'apt-get install linux-headers-$$kver'"; \
		[ $@ = shunt-if-headers ]; exit; fi; \
	mkdir -p $(BUILD)/shunt && cp -p $(SHUNT_SRCS) $(BUILD)/shunt/ && \
	$(MAKE) --no-print-directory -s -C $$kdir M=$(abspath $(BUILD)/shunt) \
		CONFIG_DEBUG_INFO_BTF_MODULES= modules

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz-smoke
	@$(MAKE) --no-print-directory integration

BENCH_BINS := $(BUILD)/bench/kvm_floor $(BUILD)/bench/measure
$(BUILD)/bench/kvm_floor: tests/bench/kvm_floor.c $(filter-out $(BUILD)/obj/vmm.o,$(OBJS))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench/measure: tests/bench/measure.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

bench: deps $(VMM) guest $(BENCH_BINS) $(NETPEER)
	@tests/bench/run.sh
	@tests/bench/blk.sh
	@tests/bench/enlight.sh
	@tests/bench/net.sh

# The default guest: Debian's kernel to a busybox shell on this terminal;
# `poweroff` ends it (status 0), so does Ctrl-A x. On a host whose KVM
# emulates ring 0 the boot takes minutes (see README).
RUN_ARGS ?= --mem 512M
run: deps
	@$(MAKE) --no-print-directory all linux-guest
	$(VMM) --kernel $(LINUX_OUT)/vmlinux --initrd $(LINUX_OUT)/initramfs.cpio \
		--append "$$(cat tests/guest/linux/cmdline)" $(RUN_ARGS)

clean:
	rm -rf $(BUILD)

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(C_FILES)

# Every C file follows .clang-format (part of make test).
format-check:
	@bad=$$(for f in $(C_FILES); do clang-format --dry-run -Werror "$$f" >/dev/null 2>&1 \
		|| echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "format: not clang-formatted (run 'make format'):"; \
		echo "$$bad" | sed 's/^/  /'; exit 1; fi; echo "format: $(words $(C_FILES)) files ok"

-include $(OBJS:.o=.d) $(ASAN_OBJS:.o=.d)
