#!/usr/bin/env python3
"""Converts Linux console fonts (PSF1/PSF2, gzipped) into the HUD's bitmap font files.

Usage: scripts/make_font.py CONSOLEFONTS_DIR OUT_DIR

CONSOLEFONTS_DIR holds the Uni2-Terminus*.psf.gz files of Debian's console-setup-linux package
(`apt-get download console-setup-linux && dpkg -x console-setup-linux_*.deb x`, then
x/usr/share/consolefonts). Made with console-setup-linux 1.221 (Debian bookworm), whose
Terminus Font is under the SIL Open Font License 1.1 (see Assets/fonts/LICENSE).

Output format (little-endian), one file per size, read by Sources/HUD/BitmapFont.swift:
  8 bytes  magic "HUDFONT1"
  u16 width, u16 height, u32 glyph_count, u32 map_count
  glyph_count bitmaps: height rows of ceil(width/8) bytes, most significant bit = leftmost pixel
  map_count pairs (u32 codepoint, u32 glyph index), sorted by codepoint
Only single code points are kept (PSF "sequences" are dropped). The files are named hud-mono-*
because the OFL reserves the name "Terminus Font" for the original, unconverted font.
"""
import gzip
import os
import struct
import sys

# source file stem -> output name
FONTS = {
    "Uni2-Terminus12x6": "hud-mono-6x12",
    "Uni2-Terminus16": "hud-mono-8x16",
    "Uni2-TerminusBold16": "hud-mono-bold-8x16",
    "Uni2-Terminus24x12": "hud-mono-12x24",
    "Uni2-TerminusBold24x12": "hud-mono-bold-12x24",
    "Uni2-TerminusBold32x16": "hud-mono-bold-16x32",
}


def read_psf(data):
    """Returns (width, height, [bitmap bytes], {codepoint: glyph index})."""
    if data[:2] == b"\x36\x04":
        mode, height = data[2], data[3]
        count = 512 if mode & 0x01 else 256
        width, glyph_bytes, offset = 8, height, 4
        glyphs = [data[offset + i * glyph_bytes: offset + (i + 1) * glyph_bytes] for i in range(count)]
        mapping = {}
        if mode & 0x06:
            table = data[offset + count * glyph_bytes:]
            glyph, position, in_sequence = 0, 0, False
            while position + 1 < len(table) and glyph < count:
                (value,) = struct.unpack_from("<H", table, position)
                position += 2
                if value == 0xFFFF:
                    glyph, in_sequence = glyph + 1, False
                elif value == 0xFFFE:
                    in_sequence = True
                elif not in_sequence:
                    mapping.setdefault(value, glyph)
        return width, height, glyphs, mapping
    magic, _version, header_size, flags, count, glyph_bytes, height, width = struct.unpack_from("<IIIIIIII", data)
    if magic != 0x864AB572:
        raise SystemExit("not a PSF font")
    glyphs = [data[header_size + i * glyph_bytes: header_size + (i + 1) * glyph_bytes] for i in range(count)]
    mapping = {}
    if flags & 0x01:
        table = data[header_size + count * glyph_bytes:]
        glyph, position, in_sequence = 0, 0, False
        while position < len(table) and glyph < count:
            byte = table[position]
            if byte == 0xFF:
                glyph, in_sequence, position = glyph + 1, False, position + 1
            elif byte == 0xFE:
                in_sequence, position = True, position + 1
            else:
                length = 1 if byte < 0x80 else 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
                if not in_sequence:
                    mapping.setdefault(ord(table[position:position + length].decode("utf-8")), glyph)
                position += length
    return width, height, glyphs, mapping


def write_font(path, width, height, glyphs, mapping):
    row_bytes = (width + 7) // 8
    with open(path, "wb") as out:
        out.write(b"HUDFONT1")
        out.write(struct.pack("<HHII", width, height, len(glyphs), len(mapping)))
        for glyph in glyphs:
            assert len(glyph) == row_bytes * height, (path, len(glyph))
            out.write(glyph)
        for codepoint in sorted(mapping):
            out.write(struct.pack("<II", codepoint, mapping[codepoint]))


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    source, destination = sys.argv[1], sys.argv[2]
    for stem, name in FONTS.items():
        with gzip.open(os.path.join(source, stem + ".psf.gz")) as handle:
            width, height, glyphs, mapping = read_psf(handle.read())
        path = os.path.join(destination, name + ".hudfont")
        write_font(path, width, height, glyphs, mapping)
        print(f"{path}: {width}x{height}, {len(glyphs)} glyphs, {len(mapping)} code points")


if __name__ == "__main__":
    main()
