#!/bin/bash
# make bench: vmm against QEMU on the same guests in the same run. Prints
# ratios; asserts nothing. Every number comes from build/bench/measure
# (wall time from fork to exit, peak RSS from wait4).
set -u
cd "$(dirname "$0")/../.."
VMM=build/vmm
G=build/guest
M=build/bench/measure
FLOOR=build/bench/kvm_floor
QEMU=${QEMU:-qemu-system-x86_64}
PAIRS=${BENCH_PAIRS:-21}
LOOPS=${BENCH_LOOPS:-100000}

if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo "SKIP: no /dev/kvm"
	exit 0
fi
have_qemu=1
command -v "$QEMU" >/dev/null || { echo "note: $QEMU not found; vmm numbers only"; have_qemu=0; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
# field N of measure's output over many runs: median
col() { awk -v c="$1" '{print $c}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

QEMU_MICROVM=(-M microvm -device isa-debug-exit,iobase=0xf4,iosize=0x4 -nodefaults
	-no-user-config -nographic)

echo "== 1. start-up: null boot-protocol guest ($PAIRS paired, alternating runs)"
: >/tmp/vmm-bench-vmm.txt
: >/tmp/vmm-bench-qemu.txt
: >/tmp/vmm-bench-qemukvm.txt
: >/tmp/vmm-bench-qemuasync.txt
for i in $(seq "$PAIRS"); do
	$M "$VMM" --kernel $G/null.bzImage --serial none >>/tmp/vmm-bench-vmm.txt
	[ $have_qemu = 1 ] && $M "$QEMU" "${QEMU_MICROVM[@]}" -kernel $G/null.bzImage \
		>>/tmp/vmm-bench-qemu.txt
	[ $have_qemu = 1 ] && $M "$QEMU" "${QEMU_MICROVM[@]}" -enable-kvm -kernel $G/null.bzImage \
		>>/tmp/vmm-bench-qemukvm.txt
	# vmm hands VM teardown to a helper process; QEMU can do the same.
	[ $have_qemu = 1 ] && $M "$QEMU" "${QEMU_MICROVM[@]}" -enable-kvm -async-teardown \
		-kernel $G/null.bzImage >>/tmp/vmm-bench-qemuasync.txt
done
report_startup() {
	local name=$1 file=$2
	local wall rss st
	wall=$(col 1 <"$file" | median)
	rss=$(col 2 <"$file" | median)
	st=$(col 3 <"$file" | sort -u | tr '\n' ' ')
	printf "%-34s median wall %8.2f ms  peak RSS %7d KiB  status %s\n" "$name" \
		"$(awk -v w="$wall" 'BEGIN{print w/1e6}')" "$rss" "$st"
	eval "${3}_wall=$wall ${3}_rss=$rss"
}
report_startup "vmm" /tmp/vmm-bench-vmm.txt v
if [ $have_qemu = 1 ]; then
	report_startup "qemu microvm (TCG, issue's command)" /tmp/vmm-bench-qemu.txt q
	report_startup "qemu microvm -enable-kvm" /tmp/vmm-bench-qemukvm.txt k
	report_startup "qemu ... -enable-kvm -async-teardown" /tmp/vmm-bench-qemuasync.txt a
	echo "ratio vmm/qemu-microvm wall: $(ratio "$v_wall" "$q_wall")  (target <= 0.6)," \
		"vs -enable-kvm: $(ratio "$v_wall" "$k_wall"), vs -async-teardown: $(ratio "$v_wall" "$a_wall")"
	echo "ratio vmm/qemu-microvm RSS:  $(ratio "$v_rss" "$q_rss")  (target <= 0.1)," \
		"vs -enable-kvm: $(ratio "$v_rss" "$k_rss"), vs -async-teardown: $(ratio "$v_rss" "$a_rss")"
fi

echo
echo "== 2. exit cost: ring-3 'inb' loop, $LOOPS iterations minus 0 (ns per exit, median of 5)"
# ns/exit = (wall(LOOPS) - wall(0)) / LOOPS, so start-up cost cancels out.
exit_cost() {
	local t0 t1
	t0=$(for i in 1 2 3 4 5; do "$@" "port=$PORT loops=0" | col 1; done | median)
	t1=$(for i in 1 2 3 4 5; do "$@" "port=$PORT loops=$LOOPS" | col 1; done | median)
	awk -v a="$t1" -v b="$t0" -v n="$LOOPS" 'BEGIN { printf "%.0f", (a - b) / n }'
}
PORT=0x80
vmm_run() { $M "$VMM" --kernel $G/ioloop.bzImage --serial none --append "$1"; }
floor_run() { $M "$FLOOR" $G/ioloop.bzImage "$1"; }
qemu_run() { $M "$QEMU" -M microvm -enable-kvm -device isa-debug-exit,iobase=0xf4,iosize=0x4 \
	-nodefaults -no-user-config -nographic -kernel $G/ioloop.bzImage -append "$1"; }
f=$(exit_cost floor_run)
v=$(exit_cost vmm_run)
echo "bare KVM_RUN loop (floor): $f ns/exit"
echo "vmm (port 0x80 device):    $v ns/exit   ratio to floor $(ratio "$v" "$f") (target <= 1.1)"
if [ $have_qemu = 1 ]; then
	q=$(exit_cost qemu_run)
	echo "qemu microvm (port 0x80):  $q ns/exit   ratio vmm/qemu $(ratio "$v" "$q")"
fi
