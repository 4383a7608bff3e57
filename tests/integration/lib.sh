# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Helpers for the integration tests: every tests/integration/t_*.sh sources
# this file, then runs checks. A check is one or more expectations about a
# run of vmm (or of QEMU, as a differential oracle), reported as one line:
#
#	PASS name
#	FAIL name: why	(followed by the end of the run's output, indented)
#	SKIP name: why
#
#	begin hello_vmm
#	run_vmm "$WORK/hello" --kernel "$GUEST/hello.bzImage"
#	expect_status 3
#	expect_line "KIT: hello from vCPU 0" "$WORK/hello"
#	end_check "$WORK/hello"
#
# run.sh runs every t_*.sh and counts the lines; a t_*.sh also runs alone.

set -u

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1

# vmm opens a window by default when it sees a display: not in tests (t_vga.sh
# starts an X server of its own).
unset DISPLAY WAYLAND_DISPLAY

VMM=${VMM:-build/vmm}
GUEST=${GUEST:-build/guest}
QEMU=${QEMU:-qemu-system-x86_64}
RUN_TIMEOUT=${RUN_TIMEOUT:-60}	# seconds, for every vmm or QEMU run
RESULTS=${RESULTS:-}		# run.sh collects the result lines here

if [ -z "${WORK:-}" ]; then
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/vmm-it.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
fi

# QEMU with the devices the kit uses; the machine comes from the caller.
# -M pc boots through qboot when QEMU has it (0.1 s instead of SeaBIOS's
# seconds where real mode is emulated); microvm always uses qboot.
# shellcheck disable=SC2034,SC2054 # used by the t_*.sh; the comma is QEMU's
QEMU_COMMON=(-enable-kvm -nodefaults -nographic -no-reboot -monitor none
	     -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04)
# shellcheck disable=SC2034
QEMU_MICROVM=(-M microvm)
QEMU_PC=(-M pc)
for dir in $("$QEMU" -L help 2>/dev/null); do
	if [ -f "$dir/qboot.rom" ]; then
		# shellcheck disable=SC2034
		QEMU_PC=(-M pc -bios qboot.rom)
		break
	fi
done

# Results of the last run_vmm/run_qemu.
STATUS=
ELAPSED_MS=
KILLED=

_record() {
	echo "$1"
	if [ -n "$RESULTS" ]; then
		echo "$1" >>"$RESULTS"
	fi
}

pass() {
	_record "PASS $1"
}

# fail NAME WHY [OUTPUT]: the last lines of OUTPUT help whoever reads CI logs.
fail() {
	_record "FAIL $1: $2"
	if [ -n "${3:-}" ] && [ -s "$3" ]; then
		tail -n 12 "$3" | sed 's/^/    | /'
	fi
}

skip() {
	_record "SKIP $1: $2"
}

# --- environment -----------------------------------------------------------

have_qemu() {
	command -v "$QEMU" >/dev/null 2>&1
}

# Why KVM cannot be used, or nothing. Cached for the whole run (run.sh).
_kvm_problem() {
	if [ ! -e /dev/kvm ]; then
		echo "no /dev/kvm"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "no /dev/kvm access for $(id -un)"
	elif have_qemu && ! echo quit | timeout 20 "$QEMU" -M none -accel kvm \
			-nodefaults -display none -monitor stdio >/dev/null 2>&1; then
		echo "no usable /dev/kvm (QEMU cannot start a KVM VM)"
	fi
}

if [ -z "${KVM_PROBLEM+set}" ]; then
	KVM_PROBLEM=$(_kvm_problem)
	export KVM_PROBLEM
fi

have_kvm() {
	[ -z "$KVM_PROBLEM" ]
}

# need_kvm NAME / need_qemu NAME: skip NAME (and return 1) when missing.
need_kvm() {
	if ! have_kvm; then
		skip "$1" "$KVM_PROBLEM"
		return 1
	fi
}

need_qemu() {
	need_kvm "$1" || return 1
	if ! have_qemu; then
		skip "$1" "no $QEMU"
		return 1
	fi
}

# --- running guests --------------------------------------------------------

# _run OUT CMD...: bounded by RUN_TIMEOUT; stdout and stderr in OUT (CRs
# removed; OUT.raw keeps them). Stdin is $STDIN (default /dev/null), or
# the output of the shell snippet $FEED (to type slowly).
_run() {
	local out=$1 start
	shift
	start=$(date +%s%N)
	if [ -n "${FEED:-}" ]; then
		bash -c "$FEED" | timeout -k 5 "$RUN_TIMEOUT" "$@" >"$out.raw" 2>&1
		STATUS=${PIPESTATUS[1]}
	else
		timeout -k 5 "$RUN_TIMEOUT" "$@" <"${STDIN:-/dev/null}" >"$out.raw" 2>&1
		STATUS=$?
	fi
	ELAPSED_MS=$((($(date +%s%N) - start) / 1000000))
	KILLED=
	if [ "$ELAPSED_MS" -ge $((RUN_TIMEOUT * 1000)) ]; then
		KILLED=1
	fi
	tr -d '\r' <"$out.raw" >"$out"
}

# run_vmm OUT ARGS...
run_vmm() {
	local out=$1
	shift
	_run "$out" "$VMM" "$@"
}

# run_qemu OUT ARGS... (with QEMU_COMMON; pass a machine, e.g. "${QEMU_PC[@]}")
run_qemu() {
	local out=$1
	shift
	_run "$out" "$QEMU" "${QEMU_COMMON[@]}" "$@"
}

# --- checks ----------------------------------------------------------------

CHECK=
WHY=

begin() {
	CHECK=$1
	WHY=
}

_why() {
	WHY="${WHY:+$WHY; }$*"
}

# end_check [OUTPUT]: one PASS or FAIL line for everything since begin.
end_check() {
	if [ -z "$WHY" ]; then
		pass "$CHECK"
	else
		fail "$CHECK" "$WHY" "${1:-}"
	fi
}

expect_status() {
	if [ -n "$KILLED" ]; then
		_why "killed after ${RUN_TIMEOUT}s (hung?), status $STATUS"
	elif [ "$STATUS" != "$1" ]; then
		_why "exit status $STATUS, expected $1"
	fi
}

# expect_line LINE FILE: LINE appears as a whole line.
expect_line() {
	grep -qxF -- "$1" "$2" || _why "no line '$1'"
}

# expect_grep ERE FILE / expect_no_grep ERE FILE
expect_grep() {
	grep -qE -- "$1" "$2" || _why "no line matching /$1/"
}

expect_no_grep() {
	local hit

	hit=$(grep -m1 -E -- "$1" "$2") && _why "unexpected line '$hit'"
}

expect_elapsed_max() {
	if [ "$ELAPSED_MS" -gt $(($1 * 1000)) ]; then
		_why "took ${ELAPSED_MS} ms, more than $1 s"
	fi
}

# The kit's marker lines of a run ("KIT: ..."), optionally sorted.
kit_lines() {
	grep -E '^KIT: ' "$1" | if [ "${2:-}" = sorted ]; then sort; else cat; fi
}

# expect_same_kit_lines A B [sorted]: the differential oracle.
expect_same_kit_lines() {
	local d

	d=$(diff <(kit_lines "$1" "${3:-}") <(kit_lines "$2" "${3:-}")) ||
		_why "KIT lines differ from $(basename "$1"): $(echo "$d" | grep '^[<>]' | head -4 | tr '\n' ' ')"
}

# need_file NAME FILE: FAIL (not skip) when a build product is missing.
need_file() {
	if [ ! -e "$2" ]; then
		fail "$1" "$2 is missing (make all)"
		return 1
	fi
}

# --- disk images ----------------------------------------------------------

# records TAG FIRST COUNT WIDTH RECS: sectors FIRST.. of "TAG%0WIDTHd\n" x RECS.
records() {
	awk -v t="$1" -v f="$2" -v n="$3" -v w="$4" -v r="$5" \
		'BEGIN { for (s = f; s < f + n; s++) for (i = 0; i < r; i++) printf "%s%0" w "d\n", t, s }'
}
