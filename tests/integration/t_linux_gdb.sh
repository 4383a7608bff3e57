#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The gdb stub on the Debian kernel (linux_gdb.sh): --gdb-wait, a hardware
# breakpoint on start_kernel set while paging is still off, and a software
# one once the kernel maps it; each boot ends there (~15 s here), so this
# runs with the quick tests, not beside them as t_linux.sh's boots do. The
# addresses come from the System.map that symbols.sh recovers from the
# kernel's own kallsyms tables.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"
LINUX=${LINUX:-build/linux}

if have_kvm && [ -e "$LINUX/vmlinux" ]; then
	tests/guest/linux/symbols.sh "$LINUX" ||
		echo "linux_gdb: no System.map for the kernel: its checks are skipped below"
fi
bash tests/integration/linux_gdb.sh
