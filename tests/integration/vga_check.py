#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Pixel checks for t_vga.sh, computed here on their own (not from vmm's code).

  vga_check.py pattern IMG         IMG is the kit guest's part=vbe screen
  vga_check.py text IMG FONT       IMG is its part=text screen, drawn with the
                                   8x16 PSF font FONT (Debian's default8x16)
  vga_check.py same A B [text]     A and B have the same pixels; with "text",
                                   cells may differ only where the two fonts
                                   draw a character differently (every cell
                                   of that character, consistently), and the
                                   cursor cell (its blink phase) is ignored
  vga_check.py same A B cursor     the same pixels but in the cursor cell
  vga_check.py find IMG TEXT FONT [CELL_W]
                                   TEXT is on the screen IMG in character cells
                                   CELL_W (8) x 16 wide, glyphs as in FONT (at
                                   most one glyph may differ: another font's
                                   '0' or '-'), whatever the colours: for a
                                   Linux framebuffer console

IMG is a 24-bit BMP or a binary PPM (P6). Prints one line on failure, exits 1.
"""
import gzip
import struct
import sys

W, H = 640, 480
COLS, ROWS, CW, CH = 80, 25, 9, 16
CURSOR = (22, 10)
CURSOR_LINES = (13, 14)


def load(path):
    try:
        d = open(path, "rb").read()
    except OSError as e:
        sys.exit("%s: %s" % (path, e.strerror))
    if d[:2] == b"BM":
        off = struct.unpack_from("<I", d, 10)[0]
        w, h = struct.unpack_from("<ii", d, 18)
        if struct.unpack_from("<H", d, 28)[0] != 24:
            sys.exit("%s: not a 24-bit BMP" % path)
        row = (w * 3 + 3) & ~3
        px = bytearray()
        for y in range(abs(h)):
            src = (abs(h) - 1 - y) if h > 0 else y
            r = d[off + src * row:off + src * row + w * 3]
            for x in range(w):
                px += bytes((r[3 * x + 2], r[3 * x + 1], r[3 * x]))
        return w, abs(h), bytes(px)
    if d[:2] == b"P6":
        parts = d.split(maxsplit=4)
        w, h = int(parts[1]), int(parts[2])
        return w, h, parts[4][:w * h * 3]
    sys.exit("%s: neither BMP nor PPM" % path)


def pattern():
    out = bytearray()
    for y in range(H):
        for x in range(W):
            b = 0xff if ((x // 32) ^ (y // 32)) & 1 else 0x40
            out += bytes((x * 255 // (W - 1), y * 255 // (H - 1), b))
    return W, H, bytes(out)


# The EGA palette through a 6-bit DAC (as QEMU converts it: 0x2a -> 0xa8).
def palette():
    def c8(v):
        return v << 2 | (v & 1) << 1 | (v & 1)
    ega = [0, 1, 2, 3, 4, 5, 0x14, 7, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f]
    pal = []
    for i in ega:
        r = (0x2a if i & 4 else 0) + (0x15 if i & 0x20 else 0)
        g = (0x2a if i & 2 else 0) + (0x15 if i & 0x10 else 0)
        b = (0x2a if i & 1 else 0) + (0x15 if i & 0x08 else 0)
        pal.append(bytes((c8(r), c8(g), c8(b))))
    return pal


LOW = [0x0000, 0x263A, 0x263B, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022, 0x25D8, 0x25CB,
       0x25D9, 0x2642, 0x2640, 0x266A, 0x266B, 0x263C, 0x25BA, 0x25C4, 0x2195, 0x203C,
       0x00B6, 0x00A7, 0x25AC, 0x21A8, 0x2191, 0x2193, 0x2192, 0x2190, 0x221F, 0x2194,
       0x25B2, 0x25BC]


def font(path):
    d = gzip.open(path).read()
    n = 512 if d[2] & 1 else 256
    glyphs = [d[4 + i * 16:4 + i * 16 + 16] for i in range(n)]
    uni, pos = {}, 4 + n * 16
    for g in range(n):
        seq = False
        while True:
            u = d[pos] | d[pos + 1] << 8
            pos += 2
            if u == 0xFFFF:
                break
            seq = seq or u == 0xFFFE
            if not seq:
                uni.setdefault(u, g)
    out = []
    for c in range(256):
        u = LOW[c] if c < 32 else 0x2302 if c == 0x7f else ord(bytes([c]).decode("cp437"))
        out.append(bytes(16) if c == 0 else glyphs[uni[u]])
    return out


def screen_cells():
    cells = [[(0x20, 0x07)] * COLS for _ in range(ROWS)]

    def put(r, c, s, a):
        for i, ch in enumerate(s):
            cells[r][c + i] = (ord(ch), a)
    put(0, 0, " vmm VGA text mode: 80x25, 8x16 font, 16 colours ", 0x1f)
    put(2, 2, "The quick brown fox jumps over the lazy dog. 0123456789 !@#$%^&*()", 0x07)
    for ch in range(256):
        cells[4 + ch // 32][2 + ch % 32] = (ch, 0x0e)
    for bg in range(8):
        for fg in range(16):
            put(13 + bg, 2 + fg * 3, "%X" % fg, bg << 4 | fg)
    put(22, 2, "cursor>", 0x0f)
    return cells


def text(font_path):
    glyphs, pal, cells = font(font_path), palette(), screen_cells()
    out = bytearray(COLS * CW * ROWS * CH * 3)
    for r in range(ROWS):
        for c in range(COLS):
            ch, a = cells[r][c]
            fg, bg = pal[a & 15], pal[(a >> 4) & 7]
            for y in range(CH):
                bits = glyphs[ch][y] << 1
                if ch in range(0xc0, 0xe0):
                    bits |= bits >> 1 & 1  # column 9 repeats column 8
                if (r, c) == CURSOR and CURSOR_LINES[0] <= y <= CURSOR_LINES[1]:
                    bits = 0x1ff
                for x in range(CW):
                    i = (((r * CH + y) * COLS * CW) + c * CW + x) * 3
                    out[i:i + 3] = fg if bits & (0x100 >> x) else bg
    return COLS * CW, ROWS * CH, bytes(out)


def cell_diffs(a, b):
    w = a[0]
    diffs = {}
    for y in range(a[1]):
        ra = a[2][y * w * 3:(y + 1) * w * 3]
        rb = b[2][y * w * 3:(y + 1) * w * 3]
        if ra == rb:
            continue
        for x in range(w):
            if ra[x * 3:x * 3 + 3] != rb[x * 3:x * 3 + 3]:
                key = (y // CH, x // CW)
                diffs.setdefault(key, (x, y, ra[x * 3:x * 3 + 3].hex(), rb[x * 3:x * 3 + 3].hex()))
    return diffs


def compare(a, b, what, text_mode=False, cursor=False):
    if a[:2] != b[:2]:
        sys.exit("%s: size %dx%d, expected %dx%d" % (what, a[0], a[1], b[0], b[1]))
    if a[2] == b[2]:
        return
    diffs = cell_diffs(a, b) if a[0] == COLS * CW else {}
    if cursor and list(diffs) == [CURSOR]:
        return
    if text_mode and diffs:
        diffs.pop(CURSOR, None)
        cells = screen_cells()
        odd = {cells[r][c][0] for (r, c) in diffs}
        # Every cell showing a character whose glyph differs must differ too.
        # (Where foreground and background are the same colour, none shows.)
        pal = palette()
        expect = {(r, c) for r in range(ROWS) for c in range(COLS)
                  if cells[r][c][0] in odd and (r, c) != CURSOR and
                  pal[cells[r][c][1] & 15] != pal[cells[r][c][1] >> 4 & 7]}
        table = {(4 + ch // 32, 2 + ch % 32) for ch in odd}
        if set(diffs) == expect and table <= expect and len(odd) <= 16:
            print("%s: same but for the glyphs of %d characters: %s" %
                  (what, len(odd), " ".join("%02x" % ch for ch in sorted(odd))))
            return
    if text_mode and diffs:
        print("cells that differ: %s; expected: %s" % (sorted(set(diffs) - expect),
                                                       sorted(expect - set(diffs))))
    n = sum(1 for i in range(0, len(a[2]), 3) if a[2][i:i + 3] != b[2][i:i + 3])
    first = sorted(diffs.items())[:3] if diffs else ""
    sys.exit("%s: %d pixels differ %s" % (what, n, first))


def find(img, text, font_path, cw):
    w, h, px = img
    glyphs = font(font_path)

    def pixel(x, y):
        return px[(y * w + x) * 3:(y * w + x) * 3 + 3]

    # A pixel is lit when it differs from its cell's top left (a glyph's
    # first row is empty): any colours, any background.
    lit = [[pixel(x, y) != pixel(x - x % cw, y - y % CH) for x in range(w)] for y in range(h)]
    for r in range(h // CH):
        for c in range(w // cw - len(text) + 1):
            bad = 0
            for i, ch in enumerate(text.encode("cp437")):
                x0, y0 = (c + i) * cw, r * CH
                ok = all(lit[y0 + y][x0 + x] == bool(glyphs[ch][y] & (0x80 >> x))
                         for y in range(CH) for x in range(8))
                bad += not ok
                if bad > 1:
                    break
            if bad <= 1:
                print("found at row %d, column %d" % (r, c))
                return
    sys.exit("'%s' is not on the screen" % text)


def main():
    cmd = sys.argv[1]
    if cmd == "pattern":
        compare(load(sys.argv[2]), pattern(), "VBE pattern")
    elif cmd == "text":
        compare(load(sys.argv[2]), text(sys.argv[3]), "text screen")
    elif cmd == "same":
        how = sys.argv[4] if len(sys.argv) > 4 else ""
        compare(load(sys.argv[2]), load(sys.argv[3]), "screens", how == "text", how == "cursor")
    elif cmd == "find":
        find(load(sys.argv[2]), sys.argv[3], sys.argv[4],
             int(sys.argv[5]) if len(sys.argv) > 5 else 8)
    else:
        sys.exit("usage: vga_check.py pattern|text|same|find ...")


main()
