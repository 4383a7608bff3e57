#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The gdb stub (--gdb, --gdb-wait): a real gdb in batch mode against the
# gdbt kit guest (tests/guest/tests/gdbt.c, built with symbols), asserting
# on its transcript; the same script against QEMU's stub (-gdb -S, TCG, so
# that it works wherever QEMU does) and the two transcripts compared.
#
# Where the host's KVM delivers the guest's own #BP/#DB instead of exiting
# to vmm (kvm_pvm: ring-3 breakpoints, single steps and watchpoints reach
# the guest), the checks that need it SKIP with that reason; on hardware
# KVM they run and must pass. The probe is a ring-3 software breakpoint.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

ELF=$GUEST/gdbt.elf
IMG=$GUEST/gdbt.bzImage
PORT=$((20000 + RANDOM % 20000))
GDB=${GDB:-gdb}

# wait_listen PORT: until something listens there (5 s at most).
wait_listen() {
	local i

	for ((i = 0; i < 100; i++)); do
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# gdb_run OUT SCRIPT TARGET-CMD...: start the target in the background
# listening on $PORT, run gdb with SCRIPT (target remote :$PORT added in
# front) into OUT.gdb, wait for the target (output OUT, status STATUS).
# $SIGINT_AFTER: send SIGINT to gdb after that many seconds.
gdb_run() {
	local out=$1 script=$2 tpid gpid
	shift 2
	PORT=$((PORT + 1))
	{
		echo "set pagination off"
		echo "set confirm off"
		echo "target remote :$PORT"
		sed "s/@PORT@/$PORT/g" "$script"
	} >"$out.script"
	timeout -k 5 "$RUN_TIMEOUT" "${@//@PORT@/$PORT}" </dev/null >"$out.raw" 2>&1 &
	tpid=$!
	if ! wait_listen "$PORT"; then
		echo "gdb_run: nothing listens on $PORT" >>"$out.gdb"
	fi
	# --foreground: timeout then passes our SIGINT to gdb once; otherwise it
	# also sends it to its process group, and a second Ctrl-C makes gdb give up.
	timeout --foreground -k 5 "$RUN_TIMEOUT" "$GDB" -batch -nx -x "$out.script" "$ELF" \
		</dev/null >"$out.gdb" 2>&1 &
	gpid=$!
	if [ -n "${SIGINT_AFTER:-}" ]; then
		sleep "$SIGINT_AFTER"
		kill -INT "$gpid" 2>/dev/null
	fi
	wait "$gpid"
	wait "$tpid"
	STATUS=$?
	KILLED=
	[ "$STATUS" = 124 ] && KILLED=1
	tr -d '\r' <"$out.raw" >"$out"
}

# QEMU's stub over TCG: KVM under QEMU has this host's quirks, TCG has none.
QEMU_TCG=()
for a in "${QEMU_COMMON[@]}"; do
	[ "$a" = -enable-kvm ] || QEMU_TCG+=("$a")
done
QEMU_TCG+=(-accel tcg)

# The comparable part of a transcript: stops, values, disassembly, frames.
normalize() {
	grep -E '^(Breakpoint [0-9]+, |Hardware (assisted |)(break|watch)point|Old value|New value|\$[0-9]+ = |=> |   0x|#[0-9]|rip |Thread [0-9.]+ received|[ *] +[0-9]+ +Thread )' "$1" |
		sed -E 's/ \(CPU#[0-9]+ \[[a-z ]+\]\)//; s/ +/ /g; s/Thread 1\.([0-9]+)/Thread \1/g; s/^(#[0-9]+ +)0x[0-9a-f]+ in /\1/; s/^\* / /' |
		grep -vE '^(Hardware assisted breakpoint|Breakpoint [0-9]+ at)'
}

# expect_same_transcript A B: the two stubs agree on what gdb shows.
expect_same_transcript() {
	local d

	d=$(diff <(normalize "$1") <(normalize "$2")) ||
		_why "gdb transcripts differ: $(echo "$d" | grep '^[<>]' | head -4 | tr '\n' ' ')"
}

have_gdb() {
	if ! command -v "$GDB" >/dev/null 2>&1; then
		skip "$1" "no $GDB (apt-get install gdb)"
		return 1
	fi
}

# --- probe: does this host's KVM report a ring-3 #BP to vmm? -----------------
cat >"$WORK/probe.gdb" <<'EOF'
break gdbt_target
continue
kill
EOF
RING3=
begin gdb_probe_ring3
if need_kvm "$CHECK" && have_gdb "$CHECK" && need_file "$CHECK" "$ELF"; then
	gdb_run "$WORK/probe" "$WORK/probe.gdb" "$VMM" --kernel "$IMG" --gdb tcp::@PORT@ --gdb-wait
	if grep -q '^Breakpoint 1, gdbt_target' "$WORK/probe.gdb"; then
		RING3=1
		expect_status 6
		end_check "$WORK/probe.gdb"
	elif grep -q '^KIT: exception 3 ' "$WORK/probe"; then
		RING3=0
		skip "$CHECK" "this host's KVM gives the guest its own ring-3 #BP instead of a debug exit (KVM_GUESTDBG_USE_SW_BP ignored at CPL3, e.g. kvm_pvm): ring-3 breakpoints, steps and watchpoints cannot work here; those checks are skipped, ring 0 is tested"
	else
		_why "the breakpoint neither stopped nor reached the guest"
		end_check "$WORK/probe.gdb"
	fi
fi

# --- a session at ring 0 (works on every KVM, and in QEMU) -----------------
# Software breakpoint by name, hardware breakpoint, registers, backtrace,
# disassembly, read and write a variable, stepi, monitor, detach.
cat >"$WORK/ring0.gdb" <<'EOF'
break gdbt_work
continue
hbreak gdbt_target
continue
info registers rip
bt
x/4i $pc
print gdbt_value
set var gdbt_value = 7
print gdbt_value
stepi
info registers rip
stepi
info registers rip
stepi
info registers rip
delete
info threads
monitor stats
monitor regs
monitor nosuchcommand
detach
EOF
begin gdb_ring0_vmm
if need_kvm "$CHECK" && have_gdb "$CHECK" && need_file "$CHECK" "$ELF"; then
	gdb_run "$WORK/r0.vmm" "$WORK/ring0.gdb" "$VMM" --kernel "$IMG" --append ring0=1 \
		--gdb tcp::@PORT@ --gdb-wait
	G=$WORK/r0.vmm.gdb
	expect_status 1
	expect_grep '^Breakpoint 1, gdbt_work \(x=20\)' "$G"
	expect_grep '^Breakpoint 2, gdbt_target \(x=x@entry=20\)' "$G"
	expect_grep '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <gdbt_target>$' "$G"
	expect_grep '^#1 +0x[0-9a-f]+ in gdbt_work \(x=' "$G"
	expect_grep '^=> 0x[0-9a-f]+ <gdbt_target>:' "$G"
	expect_line '$1 = 1' "$G"
	expect_line '$2 = 7' "$G"
	[ "$(grep -cE '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <gdbt_target\+[0-9]+>$' "$G")" -ge 2 ] ||
		_why "stepi did not move through gdbt_target"
	expect_grep '^\* 1 +Thread 1 ' "$G"
	expect_grep '^[0-9]+ +io +' "$G"
	expect_grep '^vCPU 0 registers:' "$G"
	expect_grep '^ *cr0 [0-9a-f]+ cr2' "$G"
	expect_grep "^unknown command 'nosuchcommand'" "$G"
	expect_grep 'Inferior 1 \(Remote target\) detached' "$G"
	# What gdb wrote is what the guest computed with: 20 * 2 + 7.
	expect_line "KIT: target=47 value=7 watched=42 counter=4950" "$WORK/r0.vmm"
	expect_line "KIT: gdbt done" "$WORK/r0.vmm"
	end_check "$G"
fi

begin gdb_ring0_qemu
if need_qemu "$CHECK" && have_gdb "$CHECK" && need_file "$CHECK" "$ELF"; then
	gdb_run "$WORK/r0.qemu" "$WORK/ring0.gdb" "$QEMU" "${QEMU_TCG[@]}" "${QEMU_MICROVM[@]}" \
		-kernel "$IMG" -append ring0=1 -gdb tcp::@PORT@ -S
	expect_status 1
	expect_line "KIT: target=47 value=7 watched=42 counter=4950" "$WORK/r0.qemu"
	if [ -s "$WORK/r0.vmm.gdb" ]; then
		expect_same_transcript "$WORK/r0.qemu.gdb" "$WORK/r0.vmm.gdb"
	fi
	end_check "$WORK/r0.qemu.gdb"
fi

# --- the same at ring 3, plus a write watchpoint -----------------------------
cat >"$WORK/ring3.gdb" <<'EOF'
break gdbt_target
continue
info registers rip
bt
x/4i $pc
print gdbt_value
set var gdbt_value = 7
stepi
info registers rip
stepi
info registers rip
delete
watch gdbt_watched
continue
delete
detach
EOF
ring3_checks() {
	local G=$1.gdb

	expect_status 1
	expect_grep '^Breakpoint 1, gdbt_target \(x=x@entry=20\)' "$G"
	expect_grep '^#1 +0x[0-9a-f]+ in gdbt_work \(x=' "$G"
	expect_grep '^=> 0x[0-9a-f]+ <gdbt_target>:' "$G"
	expect_line '$1 = 1' "$G"
	[ "$(grep -cE '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <gdbt_target\+[0-9]+>$' "$G")" -ge 2 ] ||
		_why "stepi did not move through gdbt_target"
	expect_grep '^Hardware watchpoint 2: gdbt_watched' "$G"
	expect_line 'Old value = 0' "$G"
	expect_line 'New value = 42' "$G"
	expect_line "KIT: target=47 value=7 watched=42 counter=4950" "$1"
}
begin gdb_ring3_vmm
if [ "$RING3" = 0 ]; then
	skip "$CHECK" "ring-3 debug exits do not reach vmm on this host (see gdb_probe_ring3)"
elif [ "$RING3" = 1 ]; then
	gdb_run "$WORK/r3.vmm" "$WORK/ring3.gdb" "$VMM" --kernel "$IMG" --gdb tcp::@PORT@ --gdb-wait
	ring3_checks "$WORK/r3.vmm"
	end_check "$WORK/r3.vmm.gdb"
fi

begin gdb_ring3_qemu
if need_qemu "$CHECK" && have_gdb "$CHECK" && need_file "$CHECK" "$ELF"; then
	gdb_run "$WORK/r3.qemu" "$WORK/ring3.gdb" "$QEMU" "${QEMU_TCG[@]}" "${QEMU_MICROVM[@]}" \
		-kernel "$IMG" -gdb tcp::@PORT@ -S
	ring3_checks "$WORK/r3.qemu"
	if [ -s "$WORK/r3.vmm.gdb" ]; then
		expect_same_transcript "$WORK/r3.qemu.gdb" "$WORK/r3.vmm.gdb"
	fi
	end_check "$WORK/r3.qemu.gdb"
fi

# --- two vCPUs, Ctrl-C on a spinning guest, detach -----------------------------
cat >"$WORK/smp.gdb" <<'EOF'
continue
info threads
print gdbt_release
set var gdbt_release = 1
detach
EOF
begin gdb_smp_ctrlc_vmm
if need_kvm "$CHECK" && have_gdb "$CHECK" && need_file "$CHECK" "$ELF"; then
	SIGINT_AFTER=3 gdb_run "$WORK/smp.vmm" "$WORK/smp.gdb" "$VMM" --kernel "$IMG" --cpus 2 \
		--append "cpus=2 spin=1" --gdb tcp::@PORT@ --gdb-wait
	G=$WORK/smp.vmm.gdb
	expect_status 1
	expect_grep 'received signal SIGINT' "$G"
	expect_grep '^\* 1 +Thread 1 ' "$G"
	expect_grep '^  2 +Thread 2 ' "$G"
	expect_line '$1 = 0' "$G"
	expect_line "KIT: cpus=2" "$WORK/smp.vmm"
	expect_line "KIT: released" "$WORK/smp.vmm"
	expect_line "KIT: gdbt done" "$WORK/smp.vmm"
	end_check "$G"
fi

begin gdb_smp_ctrlc_qemu
if need_qemu "$CHECK" && have_gdb "$CHECK" && need_file "$CHECK" "$ELF"; then
	SIGINT_AFTER=3 gdb_run "$WORK/smp.qemu" "$WORK/smp.gdb" "$QEMU" "${QEMU_TCG[@]}" \
		"${QEMU_MICROVM[@]}" -smp 2 -kernel "$IMG" -append "cpus=2 spin=1" -gdb tcp::@PORT@ -S
	expect_status 1
	expect_line "KIT: released" "$WORK/smp.qemu"
	if [ -s "$WORK/smp.vmm.gdb" ]; then
		expect_same_transcript "$WORK/smp.qemu.gdb" "$WORK/smp.vmm.gdb"
	fi
	end_check "$WORK/smp.qemu.gdb"
fi

# --- attach to a running guest (no --gdb-wait): it stops, detach lets it go on ---
printf 'info registers cs\nprint gdbt_release\nset var gdbt_release = 1\ndetach\n' \
	>"$WORK/attach.gdb"
begin gdb_attach_running_vmm
if need_kvm "$CHECK" && have_gdb "$CHECK" && need_file "$CHECK" "$ELF"; then
	gdb_run "$WORK/attach.vmm" "$WORK/attach.gdb" "$VMM" --kernel "$IMG" --append spin=1 \
		--gdb tcp::@PORT@
	expect_status 1
	expect_grep '^cs +0x[0-9a-f]+ ' "$WORK/attach.vmm.gdb"
	expect_line '$1 = 0' "$WORK/attach.vmm.gdb"
	expect_line "KIT: released" "$WORK/attach.vmm"
	end_check "$WORK/attach.vmm.gdb"
fi

# --- the guest's own int3 reaches the guest; its exit reaches gdb -------------
printf 'continue\n' >"$WORK/int3.gdb"
begin gdb_guest_int3_vmm
if need_kvm "$CHECK" && have_gdb "$CHECK" && need_file "$CHECK" "$ELF"; then
	gdb_run "$WORK/int3.vmm" "$WORK/int3.gdb" "$VMM" --kernel "$IMG" --append int3=1 \
		--gdb tcp::@PORT@ --gdb-wait
	expect_status 253
	expect_grep '^KIT: exception 3 err 0x0 rip 0x[0-9a-f]+$' "$WORK/int3.vmm"
	expect_line '[Inferior 1 (Remote target) exited with code 0375]' "$WORK/int3.vmm.gdb"
	expect_no_grep 'SIGTRAP' "$WORK/int3.vmm.gdb"
	end_check "$WORK/int3.vmm.gdb"
fi

begin gdb_guest_int3_qemu
if need_qemu "$CHECK" && have_gdb "$CHECK" && need_file "$CHECK" "$ELF"; then
	gdb_run "$WORK/int3.qemu" "$WORK/int3.gdb" "$QEMU" "${QEMU_TCG[@]}" "${QEMU_MICROVM[@]}" \
		-kernel "$IMG" -append int3=1 -gdb tcp::@PORT@ -S
	expect_status 253
	expect_grep '^KIT: exception 3 err 0x0 rip 0x[0-9a-f]+$' "$WORK/int3.qemu"
	# The exception line, not the next one: RFLAGS.IOPL differs on kvm_pvm (README).
	if [ -s "$WORK/int3.vmm" ] &&
		! diff <(grep -v '^KIT: cs ' "$WORK/int3.vmm" | kit_lines /dev/stdin) \
			<(grep -v '^KIT: cs ' "$WORK/int3.qemu" | kit_lines /dev/stdin) >/dev/null; then
		_why "KIT lines differ from vmm's"
	fi
	end_check "$WORK/int3.qemu.gdb"
fi

# --- kill over a Unix socket ends vmm -----------------------------------------
begin gdb_unix_kill
if need_kvm "$CHECK" && have_gdb "$CHECK" && need_file "$CHECK" "$ELF"; then
	SOCK=$WORK/gdb.sock
	printf 'info registers rip\nkill\n' >"$WORK/kill.gdb"
	timeout -k 5 "$RUN_TIMEOUT" "$VMM" --kernel "$IMG" --gdb "unix:$SOCK" --gdb-wait \
		>"$WORK/kill" 2>&1 &
	VPID=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$SOCK" ] && break
		sleep 0.05
	done
	timeout -k 5 "$RUN_TIMEOUT" "$GDB" -batch -nx -ex "target remote $SOCK" \
		-x "$WORK/kill.gdb" "$ELF" </dev/null >"$WORK/kill.gdb.out" 2>&1
	wait "$VPID"
	STATUS=$?
	KILLED=
	expect_status 6
	expect_grep '^rip +0x[0-9a-f]+ +0x[0-9a-f]+ <kit_startup_64>$' "$WORK/kill.gdb.out"
	expect_no_grep '^KIT: gdbt start' "$WORK/kill"
	end_check "$WORK/kill.gdb.out"
fi

# --- garbage and a dropped connection leave vmm running -------------------------
begin gdb_garbage_drop
if need_kvm "$CHECK" && need_file "$CHECK" "$IMG"; then
	PORT=$((PORT + 1))
	timeout -k 5 "$RUN_TIMEOUT" "$VMM" --kernel "$IMG" --gdb "tcp:127.0.0.1:$PORT" \
		--gdb-wait >"$WORK/garbage.raw" 2>&1 &
	VPID=$!
	wait_listen "$PORT"
	python3 - "$PORT" >"$WORK/garbage.py" 2>&1 <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
def session(data, expect_reply):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(data)
    got = b""
    s.settimeout(1)
    try:
        while expect_reply:
            d = s.recv(4096)
            if not d:
                break
            got += d
    except socket.timeout:
        pass
    s.close()  # dropped: no D, no k
    return got
def pkt(body):
    return b"$" + body + b"#" + ("%02x" % (sum(body) & 0xff)).encode()
# Garbage: bad checksums, binary noise, an overlong packet, bad arguments,
# memory outside the guest.
g = session(b"$g#00$qSupported:xx#ff\xff\xfe\x00}}}$m,#00$" + b"A" * 9000 + b"#00" +
            pkt(b"Z9,zz,1") + pkt(b"mffffffffffffffff,10") + pkt(b"G12") +
            pkt(b"vCont;x") + pkt(b"p999") + pkt(b"Hg99"), True)
print("garbage reply:", g)
# A second connection still gets answers; then it drops too.
r = session(b"$?#3f", True)
print("status reply:", r)
EOF
	wait "$VPID"
	STATUS=$?
	KILLED=
	[ "$STATUS" = 124 ] && KILLED=1
	tr -d '\r' <"$WORK/garbage.raw" >"$WORK/garbage"
	expect_status 1
	expect_grep "^garbage reply: b'----\\+\\\$E16#..\\+\\\$E0e#..\\+\\\$E16#..\\+\\\$E16#..\\+\\\$E16#..\\+\\\$E16#..'" "$WORK/garbage.py"
	expect_grep "^status reply: b'\+\\\$T05thread:1;" "$WORK/garbage.py"
	expect_line "KIT: gdbt done" "$WORK/garbage"
	end_check "$WORK/garbage.py"
fi

# --- usage errors ------------------------------------------------------------
begin gdb_usage
run_vmm "$WORK/usage1" --kernel "$IMG" --gdb tcp:nope
expect_status 2
expect_grep '^vmm: --gdb: expected tcp::PORT, tcp:HOST:PORT or unix:PATH' "$WORK/usage1"
run_vmm "$WORK/usage2" --kernel "$IMG" --gdb-wait
expect_status 2
expect_line 'vmm: --gdb-wait needs --gdb' "$WORK/usage2"
end_check "$WORK/usage2"

# A port another program listens on: the host's problem, status 1, one line.
begin gdb_port_busy
if need_kvm "$CHECK"; then
	PORT=$((PORT + 1))
	python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(1); time.sleep(5)' "$PORT" &
	HOLDER=$!
	wait_listen "$PORT"
	run_vmm "$WORK/busy" --kernel "$IMG" --gdb "tcp::$PORT"
	kill "$HOLDER" 2>/dev/null
	wait "$HOLDER" 2>/dev/null
	expect_status 1
	expect_grep "^vmm: --gdb: cannot listen on tcp::$PORT: Address already in use$" "$WORK/busy"
	end_check "$WORK/busy"
fi
