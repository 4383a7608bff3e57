#!/bin/bash
# tests/guest/linux/symbols.sh OUTDIR: OUTDIR/System.map for the kernel that
# build.sh put in OUTDIR (its VERSION), for gdb checks that need addresses
# (start_kernel). Debian's linux-image package ships a stub System.map ("The
# real System.map is in the linux-image-<version>-dbg package"), so this
# downloads that package (~860 MB, apt-get download, nothing installed),
# runs nm over its vmlinux and keeps only the map (~10 MB). Cached: a no-op
# when OUTDIR/System.map is newer than OUTDIR/VERSION. About 2 minutes
# (mostly xz) on a 2-core machine.
set -euo pipefail

die() { echo "linux-symbols: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: $0 OUTDIR"
out=$(cd "$1" && pwd) || die "no $1 (make linux-guest first)"
[ -s "$out/VERSION" ] || die "no $out/VERSION (make linux-guest first)"
ver=$(cat "$out/VERSION")
map=$out/System.map
if [ -s "$map" ] && [ "$map" -nt "$out/VERSION" ]; then
	echo "linux-symbols: up to date in $map"
	exit 0
fi
for t in apt-get dpkg-deb tar nm; do
	command -v "$t" >/dev/null || die "'$t' not found (needs: apt dpkg tar binutils)"
done
tmp=$(mktemp -d "$out/dbg.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sandbox=()
[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)
(cd "$tmp" && apt-get download -q "${sandbox[@]}" "linux-image-$ver-dbg" >&2) ||
	die "cannot download linux-image-$ver-dbg"
dpkg-deb --fsys-tarfile "$tmp"/linux-image-"$ver"-dbg_*.deb |
	tar -x -O "./usr/lib/debug/boot/vmlinux-$ver" >"$tmp/vmlinux" ||
	die "no vmlinux-$ver in linux-image-$ver-dbg"
nm -n "$tmp/vmlinux" >"$tmp/System.map"
grep -q ' T start_kernel$' "$tmp/System.map" || die "no start_kernel in the symbols"
mv "$tmp/System.map" "$map"
echo "linux-symbols: $map ($(wc -l <"$map") symbols)"
