#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The gdb stub on the Debian kernel, run by t_linux_gdb.sh (a helper, not
# a t_*.sh, so run.sh does not run it twice): vmm --gdb-wait
# holds the boot CPU at the PVH entry, with paging off; gdb sets a hardware
# breakpoint on start_kernel's linear address (from System.map, which
# tests/guest/linux/symbols.sh recovers from the kernel's kallsyms tables),
# continues, and must stop there. A second boot stops at x86_64_start_kernel
# (hbreak) and then at start_kernel with a software breakpoint, which needs
# the kernel's page tables to map it.
# kill ends vmm with status 6. The guest never gets past start_kernel.
#
#	tests/guest/linux/symbols.sh build/linux && bash tests/integration/linux_gdb.sh
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

LINUX=${LINUX:-build/linux}
MAP=$LINUX/System.map
APPEND="$(cat tests/guest/linux/cmdline) nokaslr"
RUN_TIMEOUT=${LINUX_GDB_TIMEOUT:-600}
PORT=$((20000 + RANDOM % 20000))

sym() {
	awk -v s="$1" '$3 == s { print $1; exit }' "$MAP"
}

# linux_gdb NAME GDB-ARGS...: boot held by --gdb-wait, gdb runs the commands.
linux_gdb() {
	local name=$1 vpid start
	shift
	PORT=$((PORT + 1))
	timeout -k 5 "$RUN_TIMEOUT" "$VMM" --kernel "$LINUX/vmlinux" --initrd "$LINUX/initramfs.cpio" \
		--append "$APPEND" --serial none --gdb "tcp:127.0.0.1:$PORT" --gdb-wait \
		>"$WORK/$name.vmm" 2>&1 &
	vpid=$!
	for ((i = 0; i < 100; i++)); do
		ss -Hltn "sport = :$PORT" 2>/dev/null | grep -q . && break
		sleep 0.05
	done
	start=$(date +%s%N)
	timeout -k 5 "$RUN_TIMEOUT" gdb -batch -nx -ex "target remote :$PORT" "$@" -ex kill \
		</dev/null >"$WORK/$name.gdb" 2>&1
	ELAPSED_MS=$((($(date +%s%N) - start) / 1000000))
	wait "$vpid"
	STATUS=$?
	KILLED=
	[ "$STATUS" = 124 ] && KILLED=1
}

begin linux_gdb_hbreak_start_kernel
if need_kvm "$CHECK" && need_file "$CHECK" "$LINUX/vmlinux" && need_file "$CHECK" "$MAP"; then
	SK=$(sym start_kernel)
	linux_gdb hbreak -ex "hbreak *0x$SK" -ex continue -ex 'info registers rip'
	expect_status 6
	expect_line "Breakpoint 1, 0x$SK in ?? ()" "$WORK/hbreak.gdb"
	expect_grep "^rip +0x$SK " "$WORK/hbreak.gdb"
	expect_line "vmm: killed from gdb" "$WORK/hbreak.vmm"
	echo "linux_gdb: start_kernel reached in $ELAPSED_MS ms (hbreak)"
	end_check "$WORK/hbreak.gdb"
fi

begin linux_gdb_break_after_paging
if need_kvm "$CHECK" && need_file "$CHECK" "$LINUX/vmlinux" && need_file "$CHECK" "$MAP"; then
	SK=$(sym start_kernel)
	XK=$(sym x86_64_start_kernel)
	linux_gdb sw -ex "hbreak *0x$XK" -ex continue -ex delete -ex "break *0x$SK" -ex continue \
		-ex 'info registers rip'
	expect_status 6
	expect_line "Breakpoint 1, 0x$XK in ?? ()" "$WORK/sw.gdb"
	expect_line "Breakpoint 2, 0x$SK in ?? ()" "$WORK/sw.gdb"
	expect_grep "^rip +0x$SK " "$WORK/sw.gdb"
	echo "linux_gdb: start_kernel reached in $ELAPSED_MS ms (hbreak, then break)"
	end_check "$WORK/sw.gdb"
fi
