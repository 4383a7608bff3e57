#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# tests/guest/linux/kallsyms.py VMLINUX > System.map
#
# Prints System.map-style lines ("ffffffff83079e46 T start_kernel", sorted by
# address) recovered from the kernel's own kallsyms tables in a stripped
# vmlinux (no .symtab). Why: Debian's linux-image package ships only a stub
# System.map, and the real one is in an ~860 MB -dbg package; the gdb checks
# (tests/integration/linux_gdb.sh) only need a few addresses, which the
# kernel already carries for /proc/kallsyms. Python 3, standard library only.
#
# The tables, as scripts/kallsyms.c of Linux 6.1 emits them on 64-bit
# (CONFIG_KALLSYMS_BASE_RELATIVE; each label 8-aligned; 6.4 changed the
# order): kallsyms_offsets (s32 each), kallsyms_relative_base (u64),
# kallsyms_num_syms, kallsyms_names (per symbol a length, 1 byte, or 2 bytes
# LEB128 if the first has bit 7, then that many token numbers; the first
# expanded character is the nm type), kallsyms_markers (u32: offset of every
# 256th name), kallsyms_seqs_of_names (6.2+, backported to Debian's 6.1: 3
# bytes a symbol, unused here), kallsyms_token_table (256 NUL-terminated
# strings), kallsyms_token_index (256 u16: each token's offset in the table).
# Found without symbols, as vmlinux-to-elf does: the token table holds the
# single-character tokens "0" .. "9" back to back and the index after it
# points at them; the rest is reached backwards from there and cross-checked
# (names must end at the markers and agree with every one of them).
import struct
import sys

DIGITS = b"".join(bytes([c, 0]) for c in b"0123456789")


def fail(msg):
    sys.exit("kallsyms: " + msg)


def u32(d, o): return struct.unpack_from("<I", d, o)[0]
def u64(d, o): return struct.unpack_from("<Q", d, o)[0]
def align8(x): return (x + 7) & ~7


def find_tokens(d):
    """(kallsyms_token_table offset, its 256 tokens) or None."""
    p = d.find(DIGITS)
    while p >= 0:
        for q in range(align8(p), p + 0x10000, 8):
            idx = struct.unpack_from("<256H", d, q)
            if idx[0] != 0 or any(idx[0x31 + i] - idx[0x30 + i] != 2 for i in range(9)):
                continue
            tt = p - idx[0x30]
            toks = [d[tt + o:d.index(b"\0", tt + o)] for o in idx]
            if all(idx[i] + len(toks[i]) + 1 == idx[i + 1] for i in range(255)) and \
                    align8(tt + idx[255] + len(toks[255]) + 1) == q:
                return tt, toks
        p = d.find(DIGITS, p + 1)
    return None


def read_names(d, at, count, end):
    """Token-number strings of count names from at, each entry's offset, and
    where they end; None if they would run past end."""
    names, offs, o = [], [], at
    for _ in range(count):
        if o >= end:
            return None
        offs.append(o - at)
        n = d[o]
        o += 1
        if n & 0x80:
            n = (n & 0x7F) | (d[o] << 7)
            o += 1
        names.append(d[o:o + n])
        o += n
    return names, offs, o


def find_names(d, tt):
    """(kallsyms_num_syms offset, names) given the token table's offset."""
    # The markers (first u32 0, then ascending) end at the token table, or
    # at kallsyms_seqs_of_names, which ends there: guess their count m from
    # the gap (4 bytes a marker, or 4 + 3 * 256), then check it all.
    for ms in range(tt - 8, max(tt - 0x800000, 0), -8):
        if u32(d, ms):
            continue
        gap = tt - ms
        for m in {gap // 4 - 1, gap // 4} | {gap // 772 + k for k in (-1, 0, 1)}:
            if m < 1 or (m > 1 and not 0 < u32(d, ms + 4) < 0x10000):
                continue
            mk = struct.unpack_from("<%dI" % m, d, ms)
            if any(x >= y for x, y in zip(mk, mk[1:])):
                continue
            seqs = gap - align8(4 * m)
            # kallsyms_num_syms: an aligned u64 in range, just before the
            # names, whose names end at the markers and agree with them.
            top = (ms - 8 - mk[-1]) & ~7
            for n in range(top, max(top - 0x10000, 0), -8):
                count = u64(d, n)
                if not 256 * (m - 1) < count <= 256 * m or seqs not in (0, align8(3 * count)):
                    continue
                got = read_names(d, n + 8, count, ms)
                if got and align8(got[2]) == ms and got[1][::256] == list(mk):
                    return n, got[0]
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: kallsyms.py VMLINUX > System.map")
    try:
        with open(sys.argv[1], "rb") as f:
            d = f.read()
    except OSError as e:
        fail(str(e))
    found = find_tokens(d)
    if found:
        tt, toks = found
        found = find_names(d, tt)
    if not found:
        fail("no kallsyms tables found in %s (not a 64-bit Linux "
             "vmlinux up to 6.3 with CONFIG_KALLSYMS?)" % sys.argv[1])
    n, names = found
    count = len(names)
    base = u64(d, n - 8)
    offsets = struct.unpack_from("<%di" % count, d, n - 8 - align8(4 * count))
    # With CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86-64 SMP) the offsets of the
    # relocatable symbols are negative (base - 1 - offset) and the per-cpu
    # ones are absolute (type "A" here, "D" in nm's System.map); otherwise
    # every offset is unsigned from base.
    percpu = sum(o < 0 for o in offsets) > count // 2
    out = []
    for off, name in zip(offsets, names):
        if percpu:
            addr = off if off >= 0 else base - 1 - off
        else:
            addr = base + (off & 0xFFFFFFFF)
        s = b"".join(toks[t] for t in name).decode("ascii", "replace")
        out.append((addr, "%016x %s %s" % (addr, s[0], s[1:])))
    out.sort(key=lambda a: a[0])
    sys.stdout.write("".join(line + "\n" for _, line in out))


if __name__ == "__main__":
    main()
