#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# --stats prints, at exit, exits per vCPU and a table per device region
# with reads, writes and time; the counts must match what the guest did.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

begin stats_vmm
if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/ioloop.bzImage"; then
	run_vmm "$WORK/stats" --kernel "$GUEST/ioloop.bzImage" --append "port=0x80 loops=1000" \
		--stats --serial none
	expect_status 3
	expect_grep '^vmm: exit statistics$' "$WORK/stats"
	expect_grep '^0 +io +[0-9]+$' "$WORK/stats"
	# The guest read port 0x80 exactly 1000 times and wrote 0xf4 once.
	expect_grep '^port80 +pio +0x80-0x80 +1000 +1000 +0 ' "$WORK/stats"
	expect_grep '^debug-exit +pio +0xf4-0xf7 +1 +0 +1 ' "$WORK/stats"
	expect_grep '^\(unclaimed\) +mmio' "$WORK/stats"
	end_check "$WORK/stats"
fi
