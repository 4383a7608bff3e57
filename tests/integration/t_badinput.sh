#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Bad input: each case gives exactly one clear line on stderr, quoting the
# offending text, and the documented status (2 usage, 1 host error). None
# of these may crash vmm or leave it running.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

HELLO=$GUEST/hello.bzImage

# bad NAME STATUS ERE ARGS...: vmm ARGS must exit STATUS with one stderr line matching ERE.
bad() {
	local name=$1 status=$2 ere=$3 lines
	shift 3
	begin "badinput_$name"
	_run "$WORK/$name" "$VMM" "$@"
	expect_status "$status"
	expect_grep "$ere" "$WORK/$name"
	lines=$(wc -l <"$WORK/$name")
	[ "$lines" -eq 1 ] || _why "$lines lines of output, expected exactly one"
	expect_no_grep 'AddressSanitizer|Segmentation|core dumped' "$WORK/$name"
	end_check "$WORK/$name"
}

printf 'this is not a kernel\n' >"$WORK/notakernel"
head -c 3000 "$HELLO" >"$WORK/truncated.bzImage"
cp "$HELLO" "$WORK/unreadable.bzImage"
chmod 000 "$WORK/unreadable.bzImage"
printf '\177ELF\002\001\001' >"$WORK/elf"

bad missing_kernel 2 "^vmm: --kernel '$WORK/nope.bzImage': No such file or directory$" \
	--kernel "$WORK/nope.bzImage"
bad kernel_is_device 2 "^vmm: --kernel '/dev/zero': not a regular file$" --kernel /dev/zero
truncate -s 2G "$WORK/huge.bzImage"
bad kernel_too_large 2 "^vmm: --kernel '$WORK/huge.bzImage': larger than 1 GiB: not a kernel$" \
	--kernel "$WORK/huge.bzImage"
bad kernel_is_directory 2 "^vmm: --kernel '$WORK': Is a directory$" --kernel "$WORK"
bad not_a_bzimage 2 "^vmm: --kernel '$WORK/notakernel' is too small to be a bzImage$" \
	--kernel "$WORK/notakernel"
bad elf_kernel 2 "^vmm: --kernel '$WORK/elf' is an ELF file but not a 64-bit x86 one" \
	--kernel "$WORK/elf"
# An ELF without the PVH note (the kit's null.elf is entered only as a bzImage).
bad elf_without_pvh 2 "^vmm: --kernel '$GUEST/null.elf' is an ELF file without a PVH entry note" \
	--kernel "$GUEST/null.elf"
bad truncated_bzimage 2 "^vmm: --kernel '$WORK/truncated.bzImage' is truncated" \
	--kernel "$WORK/truncated.bzImage"
bad no_kernel 2 "^vmm: no --kernel given" --mem 64M
bad mem_garbage 2 "^vmm: --mem: invalid size 'lots'" --kernel "$HELLO" --mem lots
bad mem_too_small 2 "^vmm: --mem '1M' is too small" --kernel "$HELLO" --mem 1M
bad mem_too_large 2 "^vmm: --mem '64T' is too large" --kernel "$HELLO" --mem 64T
bad mem_negative 2 "^vmm: --mem: invalid size '-1'" --kernel "$HELLO" --mem -1
bad cpus_zero 2 "^vmm: --cpus '0' is out of range" --kernel "$HELLO" --cpus 0
bad cpus_too_many 2 "^vmm: --cpus '4096' is out of range" --kernel "$HELLO" --cpus 4096
bad cpus_garbage 2 "^vmm: --cpus: invalid number 'two'" --kernel "$HELLO" --cpus two
bad unknown_flag 2 "^vmm: unknown option '--frobnicate'" --kernel "$HELLO" --frobnicate
bad missing_value 2 "^vmm: --mem needs a value" --kernel "$HELLO" --mem
bad bad_serial 2 "^vmm: --serial: expected stdio, none or file:PATH, got 'tcp:1234'" \
	--kernel "$HELLO" --serial tcp:1234
bad missing_initrd 2 "^vmm: --initrd '$WORK/nope.img': No such file or directory" \
	--kernel "$HELLO" --initrd "$WORK/nope.img" --serial none
printf 'kernel = %s\nmemory = 1G\n' "$HELLO" >"$WORK/bad.conf"
bad config_unknown_key 2 "^vmm: $WORK/bad.conf:2: unknown key 'memory'" --config "$WORK/bad.conf"

# Running as root, the file mode does not stop reading; as another user it does.
if [ "$(id -u)" != 0 ]; then
	bad unreadable_kernel 2 "Permission denied" --kernel "$WORK/unreadable.bzImage"
fi

# No /dev/kvm: hide it in a private mount namespace (needs root: unshare -m).
begin badinput_no_dev_kvm
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	_run "$WORK/nokvm" unshare -m sh -c \
		'mount -t tmpfs none /dev && exec "$0" --kernel "$1"' "$VMM" "$HELLO"
	expect_status 1
	expect_grep '^vmm: no /dev/kvm: KVM is not available on this host' "$WORK/nokvm"
	[ "$(wc -l <"$WORK/nokvm")" -eq 1 ] || _why "more than one line of output"
	end_check "$WORK/nokvm"
else
	skip "$CHECK" "needs root for a private mount namespace"
fi

# /dev/kvm without permission: run as nobody (needs root to switch user).
begin badinput_kvm_permission
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && have_kvm; then
	chmod 755 "$WORK"
	chmod 644 "$WORK/unreadable.bzImage"
	if [ "$(stat -c %a /dev/kvm)" = 666 ]; then
		skip "$CHECK" "/dev/kvm is world-writable here"
	elif ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$VMM"; then
		skip "$CHECK" "nobody cannot execute $VMM (its folder is private)"
	else
		_run "$WORK/noperm" setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$VMM" --kernel "$WORK/unreadable.bzImage"
		expect_status 1
		expect_grep "^vmm: /dev/kvm: permission denied" "$WORK/noperm"
		end_check "$WORK/noperm"
	fi
else
	skip "$CHECK" "needs root, setpriv and /dev/kvm"
fi
