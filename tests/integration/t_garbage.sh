#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A malicious guest (random port I/O, string I/O, MMIO garbage): vmm
# survives, counts it, and its devices still work afterwards.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

for seed in 1 2 3; do
	begin "garbage_seed_${seed}_vmm"
	if need_kvm "$CHECK" && need_file "$CHECK" "$GUEST/garbage.bzImage"; then
		run_vmm "$WORK/garbage$seed" --kernel "$GUEST/garbage.bzImage" \
			--append "seed=$seed" --stats
		expect_status 3
		grep -aq '^KIT: survived 20000 accesses and 3 string I/O of 8192 bytes$' \
			"$WORK/garbage$seed" || _why "no survival line"
		grep -aqE '^\(unclaimed\) +mmio +- +[1-9][0-9]* ' "$WORK/garbage$seed" ||
			_why "the MMIO garbage was not counted"
		if grep -aqE 'vmm: (guest crash|KVM_|bus:)' "$WORK/garbage$seed"; then
			_why "vmm complained: $(grep -aE 'vmm: ' "$WORK/garbage$seed" | head -1)"
		fi
		end_check "$WORK/garbage$seed"
	fi
done
