#!/bin/bash
# tests/guest/linux/build.sh OUTDIR: the default Linux guest for vmm, built
# from Debian's own binaries (nothing is compiled, nothing is installed on
# the host). Produces, cached under OUTDIR:
#   vmlinuz            Debian's kernel as shipped (bzImage)
#   vmlinux            the ELF kernel (with its PVH note) extracted from it
#   initramfs.cpio     busybox-static, the virtio/ATA modules, /init
#   VERSION            the kernel release, e.g. 6.1.0-56-amd64
# Work files: OUTDIR/deb (downloaded .debs), OUTDIR/pkg (the unpacked kernel
# package), OUTDIR/busybox (the unpacked busybox-static), OUTDIR/initramfs
# (the initramfs tree). When everything is up to date it prints one line.
# To move to a newer Debian kernel: rm -rf OUTDIR.
set -euo pipefail

die() { echo "linux-guest: $*" >&2; exit 1; }
say() { echo "linux-guest: $*"; }

if [ $# -ne 1 ] || [ -z "$1" ]; then die "usage: $0 OUTDIR"; fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$1" || die "cannot create $1"
out=$(cd "$1" && pwd)
export PATH="$PATH:/usr/sbin:/sbin"	# depmod, modinfo for non-root users
export LC_ALL=C

# Kernel modules the guest may need; their dependencies are added. Missing
# ones (not built by this kernel) and built-in ones are skipped.
modules=(virtio virtio_ring virtio_pci virtio_pci_modern_dev
	virtio_pci_legacy_dev virtio_mmio virtio_blk virtio_net net_failover
	failover virtio_console virtio_rng rng-core
	libata ata_piix ata_generic pata_acpi scsi_mod scsi_common sd_mod
	sr_mod cdrom ext4 crc32c_generic bochs)
# busybox applets given a link (the shell runs every applet without one).
# No /sbin/modprobe: the kernel asks it for four modules we do not have
# (crypto-*) before /init runs; /init points the kernel at /bin/modprobe
# when it starts the shell.
bin_links=(sh modprobe)
sbin_links=(init poweroff reboot halt)

# ---- up to date? ------------------------------------------------------
# $1 is missing or older than one of the rest.
stale() {
	local t=$1 d
	[ -e "$t" ] || return 0
	shift
	for d; do [ "$d" -nt "$t" ] && return 0; done
	return 1
}
initramfs_stale() {
	stale "$out/initramfs.cpio" "$out/vmlinuz" "$out/busybox/.stamp" ||
		[ -n "$(find "$here/build.sh" "$here/rootfs" -newer "$out/initramfs.cpio" -print -quit)" ]
}
if [ -s "$out/VERSION" ] && [ -s "$out/vmlinuz" ] && [ -e "$out/busybox/.stamp" ] &&
	! stale "$out/vmlinux" "$out/vmlinuz" && ! initramfs_stale; then
	say "up to date in $out (kernel $(cat "$out/VERSION"))"
	exit 0
fi

for t in apt-get apt-cache dpkg-deb od dd xz gzip cpio find depmod modinfo objcopy; do
	command -v "$t" >/dev/null ||
		die "'$t' not found (needs: apt dpkg coreutils findutils xz-utils gzip cpio kmod binutils)"
done

# ---- apt ---------------------------------------------------------------
apt_updated=
apt_update() {	# once, as root; otherwise tell the user
	[ -z "$apt_updated" ] || return 1
	[ "$(id -u)" = 0 ] || die "no usable apt package lists: run 'sudo apt-get update'"
	say "apt-get update"
	apt-get update -q >&2 || die "apt-get update failed"
	apt_updated=1
}
sandbox=()
[ "$(id -u)" = 0 ] && sandbox=(-o APT::Sandbox::User=root)	# no _apt warning

# The versioned kernel package linux-image-amd64 depends on.
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *|\{0,1\}Depends: \(linux-image-.*-amd64\)$/\1/p' |
		grep -v -- -unsigned | head -n1 || true
}

# fetch PKG: OUTDIR/deb/PKG_*.deb, downloaded unless there; prints its path.
fetch() {
	local pkg=$1 debs
	shopt -s nullglob
	debs=("$out/deb/${pkg}"_*.deb)
	shopt -u nullglob
	if [ ${#debs[@]} -eq 0 ]; then
		say "apt-get download $pkg" >&2
		rm -rf "$out/deb/.dl" && mkdir -p "$out/deb/.dl"
		until (cd "$out/deb/.dl" && apt-get download -q "${sandbox[@]}" "$pkg" >&2); do
			apt_update >&2 || die "apt-get download $pkg failed"
		done
		mv "$out/deb/.dl/${pkg}"_*.deb "$out/deb/" || die "apt-get download $pkg: no .deb"
		rmdir "$out/deb/.dl"
		debs=("$out/deb/${pkg}"_*.deb)
	fi
	[ ${#debs[@]} -eq 1 ] || die "several $pkg .debs in $out/deb: remove the old ones"
	echo "${debs[0]}"
}

# unpack DEB DIR: dpkg-deb -x, redone for another or a newer .deb.
unpack() {
	if stale "$2/.stamp" "$1" || [ "$(cat "$2/.stamp")" != "${1##*/}" ]; then
		say "unpacking ${1##*/}"
		rm -rf "$2"
		dpkg-deb -x "$1" "$2" || die "dpkg-deb -x $1 failed"
		echo "${1##*/}" > "$2/.stamp"
	fi
}

# ---- kernel ------------------------------------------------------------
mkdir -p "$out/deb"
kpkg=$(kernel_pkg)
if [ -z "$kpkg" ]; then
	shopt -s nullglob
	cached=("$out"/deb/linux-image-*-amd64_*.deb)
	shopt -u nullglob
	if [ ${#cached[@]} -eq 1 ]; then	# offline: use what we have
		kpkg=$(basename "${cached[0]}"); kpkg=${kpkg%%_*}
	else
		apt_update || true
		kpkg=$(kernel_pkg)
		[ -n "$kpkg" ] || die "apt-cache depends linux-image-amd64 names no linux-image-*-amd64 package"
	fi
fi
version=${kpkg#linux-image-}
# A different kernel than the cached one: drop the old .deb.
find "$out/deb" -maxdepth 1 -name 'linux-image-*.deb' ! -name "${kpkg}_*" -delete
kdeb=$(fetch "$kpkg")
unpack "$kdeb" "$out/pkg"
kimage=$out/pkg/boot/vmlinuz-$version
moddir=$out/pkg/lib/modules/$version
[ -f "$kimage" ] || die "$kdeb has no boot/vmlinuz-$version"
[ -d "$moddir/kernel" ] || die "$kdeb has no lib/modules/$version/kernel"

if stale "$out/vmlinuz" "$out/pkg/.stamp"; then
	cp "$kimage" "$out/vmlinuz.tmp" && mv "$out/vmlinuz.tmp" "$out/vmlinuz"
fi
[ "$(cat "$out/VERSION" 2>/dev/null)" = "$version" ] || echo "$version" > "$out/VERSION"

# ---- vmlinux: the ELF inside the bzImage ---------------------------------
u8() { od -An -tu1 -j "$2" -N1 "$1" | tr -d ' \n'; }
u32() { od -An -tu4 --endian=little -j "$2" -N4 "$1" | tr -d ' \n'; }
hex() { od -An -tx1 -j "$2" -N "$3" "$1" 2>/dev/null | tr -d ' \n'; }

extract_vmlinux() {	# BZIMAGE OUT
	local img=$1 dst=$2 sects off len start size magic want got
	local -a dec
	[ "$(hex "$img" $((0x202)) 4)" = 48647253 ] || die "$img: not a bzImage (no HdrS)"
	sects=$(u8 "$img" $((0x1f1)))
	[ "$sects" -ne 0 ] || sects=4
	off=$(u32 "$img" $((0x248)))	# payload_offset
	len=$(u32 "$img" $((0x24c)))	# payload_length
	start=$(((sects + 1) * 512 + off))
	size=$(stat -c %s "$img")
	[ "$len" -gt 4 ] || die "$img: payload_length is $len"
	[ $((start + len)) -le "$size" ] ||
		die "$img: payload (offset $start, length $len) is not inside the file ($size bytes)"
	magic=$(hex "$img" "$start" 6)
	case $magic in
	fd377a585a00) dec=(xz -dc) ;;
	1f8b*) dec=(gzip -dc) ;;
	5d0000*) dec=(xz -dc --format=lzma) ;;
	425a68*) dec=(bzip2 -dc) ;;
	28b52ffd*) dec=(zstd -dcq) ;;
	*) die "$img: unknown payload compression (magic $magic)" ;;
	esac
	command -v "${dec[0]}" >/dev/null ||
		die "$img: payload needs '${dec[0]}' to decompress (install it)"
	# The payload ends with the uncompressed size (u32), not part of the stream.
	want=$(u32 "$img" $((start + len - 4)))
	dd if="$img" bs=64K iflag=skip_bytes,count_bytes skip="$start" \
		count=$((len - 4)) status=none | "${dec[@]}" > "$dst.tmp" ||
		die "$img: decompressing the payload with ${dec[*]} failed"
	[ "$(hex "$dst.tmp" 0 4)" = 7f454c46 ] || die "$img: payload is not an ELF"
	got=$(stat -c %s "$dst.tmp")
	[ "$got" = "$want" ] || die "$img: vmlinux is $got bytes, the header says $want"
	mv "$dst.tmp" "$dst"
}
if stale "$out/vmlinux" "$out/vmlinuz"; then
	say "extracting vmlinux"
	extract_vmlinux "$out/vmlinuz" "$out/vmlinux"
fi

# unsign KO: cut the signature the kernel's sign-file appended (payload,
# 12-byte struct module_signature with the big-endian payload length at
# its end, then the 28-byte magic).
unsign() {
	local f=$1 size len
	size=$(stat -c %s "$f")
	[ "$size" -gt 40 ] && [ "$(tail -c 28 "$f")" = "~Module signature appended~" ] || return 0
	len=$(od -An -tu1 -j $((size - 32)) -N4 "$f" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
	[ "$len" -lt $((size - 40)) ] || die "$f: bad module signature length $len"
	truncate -s $((size - 40 - len)) "$f" || die "truncate $f failed"
}

# ---- initramfs -----------------------------------------------------------
unpack "$(fetch busybox-static)" "$out/busybox"
[ -x "$out/busybox/bin/busybox" ] || die "busybox-static has no bin/busybox"

if initramfs_stale; then
	say "building initramfs.cpio"
	st=$out/initramfs
	rm -rf "$st"
	mkdir -p "$st"/{bin,sbin,etc,dev,proc,sys,tmp,run,root,mnt} "$st/lib/modules/$version"
	cp "$out/busybox/bin/busybox" "$st/bin/"
	for a in "${bin_links[@]}"; do ln -s busybox "$st/bin/$a"; done
	for a in "${sbin_links[@]}"; do ln -s ../bin/busybox "$st/sbin/$a"; done
	cp -R "$here/rootfs/." "$st/"
	chmod 755 "$st/init"

	# Modules: name (with _) -> path under $moddir; the built-in ones.
	declare -A path=() builtin=() want=()
	while read -r f; do
		n=${f##*/}; n=${n%.ko}; path[${n//-/_}]=${f#"$moddir"/}
	done < <(find "$moddir/kernel" -name '*.ko')
	while read -r f; do
		n=${f##*/}; n=${n%.ko}; builtin[${n//-/_}]=1
	done < "$moddir/modules.builtin"
	skipped=()
	add() {	# add NAME TOP: NAME and its dependencies
		local n=${1//-/_} d deps
		[ -z "${want[$n]:-}" ] && [ -z "${builtin[$n]:-}" ] || return 0
		if [ -z "${path[$n]:-}" ]; then
			[ "$2" = top ] || die "module $1 (a dependency) is not in $kdeb"
			skipped+=("$1"); return 0
		fi
		want[$n]=1
		deps=$(modinfo -F depends "$moddir/${path[$n]}") ||
			die "modinfo ${path[$n]} failed"
		for d in ${deps//,/ }; do add "$d" dep; done
	}
	for m in "${modules[@]}"; do add "$m" top; done
	[ ${#skipped[@]} -eq 0 ] || say "not built by $version, skipped: ${skipped[*]}"
	for n in "${!want[@]}"; do
		mkdir -p "$st/lib/modules/$version/$(dirname "${path[$n]}")"
		cp "$moddir/${path[$n]}" "$st/lib/modules/$version/${path[$n]}"
	done
	sm=$st/lib/modules/$version
	# Modules stay xz-compressed in the initramfs: busybox's modprobe
	# unpacks one at ring 3 (native speed) when a device needs it, and the
	# kernel copies far fewer bytes at boot (ring 0, dear on some hosts).
	# Each module's appended signature is dropped: the kernel then skips
	# hashing the whole module (SHA-256 at ring 0, 20-60 s a module on
	# such hosts; ext4 is 2 MB) and only taints itself ("E"), since
	# Debian's kernel does not enforce signatures without Secure Boot.
	while read -r f; do unsign "$f"; done < <(find "$sm" -name '*.ko')
	# Without their ORC unwind tables: loading a module sorts them and
	# applies a relocation per entry at ring 0 (ext4: 13800 of each, the
	# bulk of its 150 s load here). Stack traces through these modules
	# lose ORC accuracy; nothing else changes. objcopy is binutils'.
	# And without their BTF: a module's BTF is checked against the kernel's
	# own, which the kernel then parses first (minutes at ring 0; the
	# command line keeps the built-in code from asking for it too).
	find "$sm" -name '*.ko' -exec objcopy -R .orc_unwind -R .orc_unwind_ip \
		-R .rela.orc_unwind_ip -R .BTF {} \; || die "objcopy of the modules failed"
	find "$sm" -name '*.ko' -exec xz --check=crc32 -9 {} + || die "xz of the modules failed"
	cp "$moddir/modules.builtin" "$moddir/modules.builtin.modinfo" "$sm/"
	while read -r f; do	# modules.order, for the modules we have
		[ ! -e "$sm/$f.xz" ] || echo "$f.xz"
	done < "$moddir/modules.order" > "$sm/modules.order"
	depmod -b "$st" "$version" || die "depmod -b $st $version failed"
	# Only kmod reads these; busybox's modprobe reads modules.dep, .alias.
	rm -f "$sm"/*.bin "$sm/modules.builtin.modinfo"

	# Same inputs, same bytes: fixed times, owner root, sorted names.
	find "$st" -exec touch -h -d @0 {} +
	# Not compressed as a whole: the kernel would inflate it at ring 0
	# (minutes where ring 0 is emulated); copying it is cheaper.
	(cd "$st" && find . -mindepth 1 | sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
		> "$out/initramfs.cpio.tmp" || die "cpio failed"
	mv "$out/initramfs.cpio.tmp" "$out/initramfs.cpio"
	say "initramfs: ${#want[@]} modules, $(stat -c %s "$out/initramfs.cpio") bytes"
fi
say "done in $out (kernel $version)"
