#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run every integration test (tests/integration/t_*.sh) and count results.
# Each check prints PASS/FAIL/SKIP; the last line is "N passed, N failed,
# N skipped". Exit status 1 if anything failed. Without a usable /dev/kvm
# every check that needs it is skipped, loudly, never passed.
#
#	tests/integration/run.sh [t_NAME.sh...]
#	VMM=path/to/vmm QEMU=... RUN_TIMEOUT=60 tests/integration/run.sh

set -u
here=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/vmm-it.XXXXXX")
RESULTS=$WORK/results
export WORK RESULTS
trap 'rm -rf "$WORK"' EXIT
: >"$RESULTS"

# shellcheck source=tests/integration/lib.sh
. "$here/lib.sh"

if ! have_kvm; then
	echo "SKIP: $KVM_PROBLEM -- every test that boots a guest is SKIPPED, not passed"
fi

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=("$here"/t_*.sh)
fi

for t in "${tests[@]}"; do
	[ -e "$t" ] || t=$here/$t
	before=$(wc -l <"$RESULTS")
	bash "$t"
	rc=$?
	# A script that dies half-way must not pass by saying nothing.
	checks=$(($(wc -l <"$RESULTS") - before))
	if [ "$rc" -ne 0 ] || [ "$checks" -eq 0 ]; then
		_record "FAIL $(basename "$t"): exited with status $rc after $checks checks"
	fi
done

passed=$(grep -c '^PASS ' "$RESULTS")
failed=$(grep -c '^FAIL ' "$RESULTS")
skipped=$(grep -c '^SKIP ' "$RESULTS")
if ! have_kvm; then
	echo "SKIP: $KVM_PROBLEM -- $skipped checks skipped"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
