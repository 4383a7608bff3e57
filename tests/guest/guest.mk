# Guest test kit (tests/guest/README.md): freestanding x86-64 programs
# packaged as bzImages, booted by vmm and by QEMU alike. Included by the
# top-level Makefile; its own compiler flags (no host CFLAGS, no
# sanitizers). Outputs: build/guest/NAME.bzImage and NAME.elf (symbols,
# for gdb) for every tests/guest/tests/NAME.c, and build/guest/null.bzImage.

GUEST_SRC	:= tests/guest
GUEST_OUT	:= $(BUILD)/guest
GUEST_CC	?= gcc
GUEST_HOSTCC	?= $(CC)

GUEST_INC	:= -nostdinc -isystem $(shell $(GUEST_CC) -print-file-name=include) \
		   -isystem /usr/include/$(shell $(GUEST_CC) -print-multiarch) \
		   -isystem /usr/include -I$(GUEST_SRC)
GUEST_CFLAGS	:= -std=gnu11 -O2 -g -ffreestanding -fno-builtin-printf \
		   -mno-red-zone -mgeneral-regs-only -fno-pic -fno-pie \
		   -fno-stack-protector -fno-asynchronous-unwind-tables \
		   -fno-omit-frame-pointer -fcf-protection=none \
		   -Wall -Wextra -Werror -Wno-unused-parameter \
		   -Wstrict-prototypes -Wmissing-prototypes -MMD -MP $(GUEST_INC)
GUEST_ASFLAGS	:= -D__ASSEMBLY__ -g -Wall -Werror -MMD -MP $(GUEST_INC)
GUEST_LDFLAGS	:= -nostdlib -static -no-pie -Wl,--build-id=none \
		   -Wl,-z,max-page-size=4096 -Wl,-z,noexecstack \
		   -Wl,--no-warn-rwx-segments

GUEST_KIT_SRCS	:= head.S setup.S trampoline.S runtime.c printf.c string.c \
		   acpi.c irq.c timer.c smp.c virtio.c ide.c enlight.c
GUEST_KIT_OBJS	:= $(patsubst %,$(GUEST_OUT)/obj/%.o,$(basename $(GUEST_KIT_SRCS)))
GUEST_TESTS	:= $(basename $(notdir $(wildcard $(GUEST_SRC)/tests/*.c)))
GUEST_IMAGES	:= $(GUEST_TESTS:%=$(GUEST_OUT)/%.bzImage) $(GUEST_OUT)/null.bzImage
GUEST_ELFS	:= $(GUEST_TESTS:%=$(GUEST_OUT)/%.elf) $(GUEST_OUT)/null.elf $(GUEST_OUT)/pvh.elf \
		   $(GUEST_OUT)/syscall.elf
MKBZIMAGE	:= $(GUEST_OUT)/mkbzimage

.PHONY: guest
guest: $(GUEST_IMAGES) $(GUEST_ELFS)

$(GUEST_OUT)/obj/%.o: $(GUEST_SRC)/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_OUT)/obj/%.o: $(GUEST_SRC)/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_ASFLAGS) -c -o $@ $<

$(GUEST_OUT)/obj/tests/%.o: $(GUEST_SRC)/tests/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

$(GUEST_OUT)/%.elf: $(GUEST_OUT)/obj/tests/%.o $(GUEST_KIT_OBJS) $(GUEST_SRC)/kit.lds
	$(GUEST_CC) $(GUEST_LDFLAGS) -Wl,-T,$(GUEST_SRC)/kit.lds -o $@ \
		$(GUEST_KIT_OBJS) $<

$(GUEST_OUT)/null.elf: $(GUEST_OUT)/obj/null.o $(GUEST_SRC)/null.lds
	$(GUEST_CC) $(GUEST_LDFLAGS) -Wl,-T,$(GUEST_SRC)/null.lds -o $@ $<

# pvh.elf and syscall.elf are booted as they are (PVH ELF note), not as bzImages.
$(GUEST_OUT)/pvh.elf $(GUEST_OUT)/syscall.elf: $(GUEST_OUT)/%.elf: $(GUEST_OUT)/obj/%.o \
		$(GUEST_SRC)/pvh.lds
	$(GUEST_CC) $(GUEST_LDFLAGS) -Wl,-T,$(GUEST_SRC)/pvh.lds -o $@ $<

$(GUEST_OUT)/%.bzImage: $(GUEST_OUT)/%.elf $(MKBZIMAGE)
	$(MKBZIMAGE) $< $@

# A host program: the host compiler, plain flags.
$(MKBZIMAGE): $(GUEST_SRC)/mkbzimage.c $(GUEST_SRC)/kit_defs.h
	@mkdir -p $(dir $@)
	$(GUEST_HOSTCC) -O2 -Wall -Wextra -Werror -o $@ $<

.SECONDARY: $(GUEST_ELFS) $(GUEST_KIT_OBJS) $(GUEST_TESTS:%=$(GUEST_OUT)/obj/tests/%.o)

-include $(wildcard $(GUEST_OUT)/obj/*.d $(GUEST_OUT)/obj/tests/*.d)
