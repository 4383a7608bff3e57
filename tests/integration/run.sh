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

# run_one T RESULTS: run one script; a script that dies half-way must not pass
# by saying nothing.
run_one() {
	local t=$1 before rc checks
	before=$(wc -l <"$2")
	RESULTS=$2 bash "$t"
	rc=$?
	checks=$(($(wc -l <"$2") - before))
	if [ "$rc" -ne 0 ] || [ "$checks" -eq 0 ]; then
		RESULTS=$2 _record "FAIL $(basename "$t"): exited with status $rc after $checks checks"
	fi
}

# A script marked "# run.sh: background" (a Debian boot: one busy vCPU for
# many minutes) starts first and runs beside the others; its output and
# results are shown when it ends. Nothing else changes for it: its own
# result file, its own log, the same counting.
bg=()
for t in "${tests[@]}"; do
	[ -e "$t" ] || t=$here/$t
	if [ "${#tests[@]}" -gt 1 ] && grep -q '^# run.sh: background$' "$t"; then
		n=${#bg[@]}
		: >"$WORK/bg$n.results"
		run_one "$t" "$WORK/bg$n.results" >"$WORK/bg$n.log" 2>&1 &
		bg+=("$!:$t")
		echo "(started $(basename "$t") in the background)"
	fi
done
for t in "${tests[@]}"; do
	[ -e "$t" ] || t=$here/$t
	[ "${#tests[@]}" -gt 1 ] && grep -q '^# run.sh: background$' "$t" && continue
	run_one "$t" "$RESULTS"
done
for i in "${!bg[@]}"; do
	wait "${bg[$i]%%:*}"
	echo "--- $(basename "${bg[$i]#*:}") (ran in the background)"
	cat "$WORK/bg$i.log"
	cat "$WORK/bg$i.results" >>"$RESULTS"
done

passed=$(grep -c '^PASS ' "$RESULTS")
failed=$(grep -c '^FAIL ' "$RESULTS")
skipped=$(grep -c '^SKIP ' "$RESULTS")
if ! have_kvm; then
	echo "SKIP: $KVM_PROBLEM -- $skipped checks skipped"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
