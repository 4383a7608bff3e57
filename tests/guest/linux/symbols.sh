#!/bin/bash
# tests/guest/linux/symbols.sh OUTDIR: OUTDIR/System.map for the kernel that
# build.sh put in OUTDIR (OUTDIR/vmlinux), for gdb checks that need addresses
# (start_kernel). Debian's linux-image package ships a stub System.map (the
# real one is in the ~860 MB -dbg package), so this recovers the map from the
# kernel's own kallsyms tables (kallsyms.py: every symbol /proc/kallsyms would
# show, with the addresses of the real map). Under a second, so not cached.
set -euo pipefail

die() { echo "linux-symbols: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
out=$(cd "$1" && pwd) || die "no $1 (make linux-guest first)"
[ -s "$out/vmlinux" ] || die "no $out/vmlinux (make linux-guest first)"
map=$out/System.map
command -v python3 >/dev/null || die "'python3' not found"
python3 "$(dirname "$0")/kallsyms.py" "$out/vmlinux" >"$map.tmp" || { rm -f "$map.tmp"; exit 1; }
grep -q ' T start_kernel$' "$map.tmp" || { rm -f "$map.tmp"; die "no start_kernel in the symbols"; }
mv "$map.tmp" "$map"
echo "linux-symbols: $map ($(wc -l <"$map") symbols)"
