# vmm's BIOS (bios/fw/): 16-bit C and assembly, one 64 KiB flat image,
# embedded in vmm by bios/fw_image.S.
FW_DIR	:= $(BUILD)/fw
FW_CFLAGS := -m16 -march=i386 -ffreestanding -fno-pic -fno-pie -Os -std=gnu11 -Wall -Wextra \
	     -Werror -Wno-unused-parameter -fno-stack-protector -fno-asynchronous-unwind-tables \
	     -mregparm=3 -fno-builtin -fno-jump-tables -MMD -MP
FW_SRCS	:= $(wildcard bios/fw/*.c) bios/fw/entry.S
FW_OBJS	:= $(patsubst bios/fw/%,$(FW_DIR)/%.o,$(FW_SRCS))
FW_BIN	:= $(FW_DIR)/bios.bin

$(FW_DIR)/%.c.o: bios/fw/%.c
	@mkdir -p $(dir $@)
	$(CC) $(FW_CFLAGS) -c -o $@ $<

$(FW_DIR)/%.S.o: bios/fw/%.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -MMD -MP -c -o $@ $<

$(FW_BIN): $(FW_OBJS) bios/fw/bios.lds
	$(LD) -m elf_i386 --no-warn-rwx-segments -T bios/fw/bios.lds -o $(FW_DIR)/bios.elf $(FW_OBJS)
	objcopy -O binary $(FW_DIR)/bios.elf $@
	@test $$(stat -c %s $@) -eq 65536 || { echo "bios.bin is not 64 KiB"; exit 1; }

-include $(FW_OBJS:.o=.d)

$(BUILD)/obj/bios/fw_image.o: bios/fw_image.S $(FW_BIN)
	@mkdir -p $(dir $@)
	$(CC) -c -DFW_BIN_PATH='"$(FW_BIN)"' -o $@ $<

# Boot sectors for t_bios.sh: the BIOS services boot loaders use; a reboot.
$(FW_DIR)/%.img: tests/guest/bios/%.S
	@mkdir -p $(dir $@)
	$(CC) -m32 -c -o $(FW_DIR)/$*.o $<
	$(LD) -m elf_i386 -Ttext 0x7c00 -e _start --oformat binary -o $@ $(FW_DIR)/$*.o
	truncate -s 1M $@

$(VMM): $(FW_DIR)/biostest.img $(FW_DIR)/reboot.img
