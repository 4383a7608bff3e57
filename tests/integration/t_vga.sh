#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The graphical console (tests/guest/tests/vga.c): the standard VGA, the SDL
# window, PS/2 keyboard and mouse, the power button on window close.
#
# vmm runs with --display sdl on a private Xvfb (or SDL's offscreen driver
# where there is none: then only the screenshots at exit are checked). The
# screens are checked against images vga_check.py computes on its own (the
# VBE pattern exactly, the text glyph for glyph from Debian's font file),
# and against the window as X shows it. QEMU's -vga std runs the same guest
# and its screendump must give the same pixels (text: but for the few
# characters its VGA BIOS font draws differently). xdotool types and moves
# the mouse in the window; the guest prints the scan codes and packets.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

CHK=(python3 tests/integration/vga_check.py)
FONT=/usr/share/consolefonts/default8x16.psf.gz
XCLOSE=tests/integration/xclose.py
IMG=$GUEST/vga.bzImage
XVFB_PID=

# --- an X server of our own -------------------------------------------------

start_x() {
	local n

	command -v Xvfb >/dev/null && command -v xdotool >/dev/null &&
		command -v import >/dev/null || return 1
	for n in $(seq $((100 + $$ % 400)) $((140 + $$ % 400))); do
		[ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ] && continue
		Xvfb ":$n" -screen 0 1280x1024x24 -nolisten tcp >/dev/null 2>&1 &
		XVFB_PID=$!
		for _ in $(seq 50); do
			if [ -e "/tmp/.X11-unix/X$n" ]; then
				export DISPLAY=":$n"
				return 0
			fi
			sleep 0.1
		done
		kill "$XVFB_PID" 2>/dev/null
		XVFB_PID=
	done
	return 1
}

prev_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
# shellcheck disable=SC2064 # expand the previous trap now
trap "[ -n \"\$XVFB_PID\" ] && kill \"\$XVFB_PID\" 2>/dev/null; $prev_trap" EXIT

if start_x; then
	HAVE_X=1
else
	HAVE_X=
	export SDL_VIDEODRIVER=offscreen
fi

# wait_for LINE FILE PID: until LINE is in FILE (20 s at most, or PID died).
wait_for() {
	for _ in $(seq 200); do
		grep -qF -- "$1" "$2" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# finish PID OUT: wait for a background run, set STATUS/KILLED as _run does.
finish() {
	wait "$1"
	STATUS=$?
	KILLED=
	[ "$STATUS" = 124 ] || [ "$STATUS" = 137 ] && KILLED=1
	tr -d '\r' <"$2.raw" >"$2"
}

# window_run OUT PART ACTIONS [vmm args]: vmm with the window; once the
# guest is ready, run the shell function ACTIONS with the window's id,
# capture the window (OUT.win.ppm), close it. The screen at exit is OUT.bmp.
window_run() {
	local out=$1 part=$2 actions=$3 pid win
	shift 3

	rm -f "$out.serial"
	timeout -k 5 "$RUN_TIMEOUT" "$VMM" --kernel "$IMG" --append "part=$part" \
		--display sdl --name "vga-$part" --serial "file:$out.serial" \
		--screenshot-on-exit "$out.bmp" "$@" >"$out.raw" 2>&1 &
	pid=$!
	if ! wait_for "KIT: ready" "$out.serial" "$pid"; then
		_why "the guest never got ready"
	elif [ -n "$HAVE_X" ]; then
		win=$(xdotool search --sync --limit 1 --name "^vmm: vga-$part")
		sleep 0.3 # a few refreshes
		"$actions" "$win"
		import -window "$win" "$out.win.png" && convert "$out.win.png" "$out.win.ppm"
		python3 "$XCLOSE" "$win" || _why "could not close the window"
	else
		sleep 0.5
		kill -TERM "$pid"
	fi
	finish "$pid" "$out"
	tr -d "\r" <"$out.serial" >>"$out"
}

no_actions() {
	:
}

# expect_image CHECK-ARGS...: vga_check.py agrees (its line says why not).
expect_image() {
	local why

	why=$("${CHK[@]}" "$@" 2>&1) || _why "$why"
}

expect_closed() {
	if [ -n "$HAVE_X" ]; then
		expect_status 0
		expect_line "KIT: power button sci" "$1"
		expect_grep "window closed: pressing the power button" "$1"
	else
		expect_status 143
	fi
}

if ! need_file vga_setup "$IMG"; then
	exit 0
fi

begin vga_text_vmm
if need_kvm "$CHECK"; then
	window_run "$WORK/text" text no_actions
	expect_closed "$WORK/text"
	expect_image text "$WORK/text.bmp" "$FONT"
	# The window: the same, but for the cursor's blink phase.
	[ -n "$HAVE_X" ] && expect_image same "$WORK/text.win.ppm" "$WORK/text.bmp" cursor
	end_check "$WORK/text"
fi

# The VBE mode; --stats shows the dirty log at work: the window looked at
# the framebuffer ~60 times a second, and found changes only once or twice.
begin vga_vbe_vmm
if need_kvm "$CHECK"; then
	window_run "$WORK/vbe" vbe no_actions --stats
	expect_closed "$WORK/vbe"
	expect_line "KIT: mode 640x480x32 virt_width 640" "$WORK/vbe"
	expect_line "KIT: mmio dispi id b0c5" "$WORK/vbe"
	expect_image pattern "$WORK/vbe.bmp"
	if [ -n "$HAVE_X" ]; then
		expect_image same "$WORK/vbe.win.ppm" "$WORK/vbe.bmp"
		frames=$(sed -n 's/^vga: \([0-9]*\) frames looked at, \([0-9]*\) with changes$/\1 \2/p' "$WORK/vbe")
		# shellcheck disable=SC2086
		set -- $frames
		if [ $# -ne 2 ] || [ "$1" -lt 10 ] || [ "$2" -gt 4 ]; then
			_why "dirty tracking: '$frames' (frames, frames with changes)"
		fi
	fi
	end_check "$WORK/vbe"
fi

type_and_point() {
	local win=$1

	xdotool windowfocus --sync "$win"
	xdotool mousemove --window "$win" 100 100
	sleep 0.2
	xdotool type --delay 30 "ab"
	xdotool key --delay 30 shift+a Return Up
	sleep 0.1
	xdotool mousemove --window "$win" 110 95 # right 10, up 5
	sleep 0.2
	xdotool click 1 # press and release: grabs the pointer
	sleep 0.2
	xdotool click 4 # the wheel, one notch up
	sleep 0.2
	xdotool getwindowname "$win" >"$WORK/input.title1"
	xdotool key ctrl+alt+g
	sleep 0.2
	xdotool getwindowname "$win" >"$WORK/input.title2"
	sleep 0.3
}

begin vga_input_vmm
if [ -z "$HAVE_X" ]; then
	skip "$CHECK" "no Xvfb and xdotool"
elif need_kvm "$CHECK"; then
	window_run "$WORK/input" input type_and_point
	expect_closed "$WORK/input"
	expect_line "KIT: mouse id 3" "$WORK/input"
	kbd=$(sed -n 's/^KIT: kbd //p' "$WORK/input" | tr '\n' ' ')
	# Set 1 as the guest sees it (translation on): a, b; Shift+a; Enter; Up
	# (E0-prefixed); then Ctrl and Alt of Ctrl-Alt-G, whose G stays in vmm.
	for seq in "1e 9e 30 b0 2a 1e" "1c 9c e0 48 e0 c8 1d 38"; do
		case " $kbd" in
		*" $seq "*) ;;
		*) _why "no '$seq' in the scan codes: $kbd" ;;
		esac
	done
	case " $kbd" in *" aa "*) ;; *) _why "no Shift break (aa): $kbd" ;; esac
	case " $kbd" in *" 22 "*) _why "Ctrl-Alt-G reached the guest: $kbd" ;; esac
	expect_line "KIT: mouse b=0 dx=10 dy=5 dz=0" "$WORK/input"
	expect_line "KIT: mouse b=1 dx=0 dy=0 dz=0" "$WORK/input"
	expect_line "KIT: mouse b=0 dx=0 dy=0 dz=-1" "$WORK/input"
	grep -q "input grabbed" "$WORK/input.title1" 2>/dev/null ||
		_why "title after the click: $(cat "$WORK/input.title1" 2>/dev/null)"
	grep -qx "vmm: vga-input" "$WORK/input.title2" 2>/dev/null ||
		_why "title after Ctrl-Alt-G: $(cat "$WORK/input.title2" 2>/dev/null)"
	end_check "$WORK/input"
fi

# --vga none: no display device on the bus (as QEMU's -vga none), and
# nothing to take a screenshot of.
begin vga_none_vmm
if need_kvm "$CHECK"; then
	run_vmm "$WORK/vganone" --kernel "$GUEST/pcienum.bzImage" --vga none
	expect_status 3
	expect_line "KIT: functions mech1 1" "$WORK/vganone"
	grep -q "1234:1111" "$WORK/vganone" && _why "the VGA is still on the bus"
	run_vmm "$WORK/vganone2" --kernel "$GUEST/pcienum.bzImage" --vga none \
		--screenshot-on-exit "$WORK/none.bmp"
	expect_status 2
	expect_line "vmm: --screenshot-on-exit needs a display device (not --vga none)" \
		"$WORK/vganone2"
	end_check "$WORK/vganone2"
fi

# The title says when gdb holds the machine (here --gdb-wait, before the
# first instruction): the pause is gdb's.
begin vga_title_paused_vmm
if [ -z "$HAVE_X" ]; then
	skip "$CHECK" "no Xvfb and xdotool"
elif need_kvm "$CHECK"; then
	timeout -k 5 "$RUN_TIMEOUT" "$VMM" --kernel "$IMG" --append "part=text" --display sdl \
		--name vga-paused --gdb "unix:$WORK/vga-gdb.sock" --gdb-wait >"$WORK/paused" 2>&1 &
	pid=$!
	win=$(timeout 20 xdotool search --sync --limit 1 --name "^vmm: vga-paused")
	sleep 0.3
	title=$([ -n "$win" ] && xdotool getwindowname "$win")
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	[ "$title" = "vmm: vga-paused - paused (gdb)" ] ||
		_why "title while gdb holds the machine: '$title'"
	end_check "$WORK/paused"
fi

# qemu_screendump OUT PART MACHINE...: the guest under QEMU -vga std; once
# ready, the monitor's screendump (OUT.ppm), then system_powerdown.
qemu_screendump() {
	local out=$1 part=$2 pid
	shift 2

	rm -f "$out.serial" "$out.mon.in" "$out.mon.out"
	mkfifo "$out.mon.in" "$out.mon.out"
	timeout -k 5 "$RUN_TIMEOUT" "$QEMU" -enable-kvm -nodefaults -display none -no-reboot \
		-serial "file:$out.serial" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-vga std -monitor "pipe:$out.mon" "$@" -kernel "$IMG" \
		-append "part=$part" >"$out.raw" 2>&1 &
	pid=$!
	exec 7>"$out.mon.in" 8<"$out.mon.out"
	cat <&8 >"$out.mon" &
	if wait_for "KIT: ready" "$out.serial" "$pid"; then
		echo "screendump $out.ppm" >&7
		sleep 0.5
		echo "system_powerdown" >&7
	else
		_why "the guest never got ready under QEMU"
	fi
	finish "$pid" "$out"
	exec 7>&- 8<&-
	tr -d "\r" <"$out.serial" >>"$out"
}

# qboot leaves the VGA alone: fine for a VBE mode (the guest places the BARs).
begin vga_vbe_qemu
if need_qemu "$CHECK"; then
	qemu_screendump "$WORK/vbe.qemu" vbe -M pc -bios qboot.rom
	expect_status 0
	expect_line "KIT: power button sci" "$WORK/vbe.qemu"
	expect_image pattern "$WORK/vbe.qemu.ppm"
	[ -e "$WORK/vbe.bmp" ] && expect_image same "$WORK/vbe.qemu.ppm" "$WORK/vbe.bmp"
	end_check "$WORK/vbe.qemu"
fi

# Text mode needs the VGA BIOS's set-up (SeaBIOS): mode 3 and its font.
begin vga_text_qemu
if need_qemu "$CHECK"; then
	qemu_screendump "$WORK/text.qemu" text -M pc
	expect_status 0
	expect_line "KIT: power button sci" "$WORK/text.qemu"
	[ -e "$WORK/text.bmp" ] && expect_image same "$WORK/text.qemu.ppm" "$WORK/text.bmp" text
	end_check "$WORK/text.qemu"
fi
