#!/usr/bin/python3
"""Writes the hostile-image corpus to fuzz/hostile-images/ (committed; re-run only to change it).

    scripts/make-hostile-images.py [OUT_DIR]

Every file is built here from first principles (PNG and GIF chunk by chunk, with zlib), or by
patching a small real image from the test fixtures (JPEG SOF, WebP VP8X, AVIF ispe), so each
one's hostility is exactly what its name says. The WebP and AVIF bases are made with libvips'
`vips` command (libvips-tools), only when this script runs; the tests read the committed files.

The expected answer of each file through `/<name>?w=100` is in fuzz/hostile-images/EXPECTED,
which HostileImageTests reads: 422 for what must be refused, 200 for what is heavy but legal.
"""
import os
import random
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
FIXTURES = os.path.join(REPO, "Tests", "WharfImageTests", "Fixtures")
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "fuzz", "hostile-images")

expected = []
# Seeded: re-running the script gives the same bytes.
NOISE = random.Random(7)


def emit(name, data, status, why):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    expected.append((name, status, why))


# --- PNG -------------------------------------------------------------------------------------
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width, height, rows, colour=2, depth=8, extra=b"", level=9):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
            + chunk(b"IDAT", zlib.compress(rows, level)) + chunk(b"IEND", b""))


def zero_rows(width, height, bytes_per_pixel):
    # Filter byte 0 then zeros, row after row: compresses about 1000:1.
    return b"\x00" * ((width * bytes_per_pixel + 1) * height)


def png_streamed(width, height, bytes_per_pixel):
    """A PNG whose IDAT is compressed in pieces, so the zeros never sit in memory at once."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6 if bytes_per_pixel == 4 else 2, 0, 0, 0)
    z = zlib.compressobj(9)
    row = b"\x00" * (width * bytes_per_pixel + 1)
    out = bytearray()
    for _ in range(height):
        out += z.compress(row)
    out += z.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", bytes(out)) + chunk(b"IEND", b"")


small = png(64, 64, zero_rows(64, 64, 3))
emit("png-header-bomb.png", png(65535, 65535, zero_rows(1, 1, 3)), 422,
     "IHDR declares 65535x65535 (4.3 GP) with one row of data")
emit("png-zlib-bomb-49mp.png", png_streamed(7000, 7000, 3), 200,
     "7000x7000 RGB of zeros: 147 MB decoded from a ~150 KB file; under the 50 MP limit, so legal and heavy")
emit("png-zero-size.png", png(0, 0, b""), 422, "IHDR declares 0x0")
emit("png-truncated.png", png(256, 256, NOISE.randbytes(256 * 3 * 256 + 256))[:3000], 422, "cut inside IDAT")
emit("png-bad-crc.png", small[:20] + bytes([small[20] ^ 0xFF]) + small[21:], 422, "IHDR with a wrong CRC")
emit("png-iccp-zlib-bomb.png",
     png(64, 64, zero_rows(64, 64, 3),
         extra=chunk(b"iCCP", b"bomb\x00\x00" + zlib.compress(b"\x00" * (200 << 20), 9))),
     200, "iCCP decompresses to 200 MB (libpng's chunk limit stops it; the profile is dropped)")
emit("png-100k-text-chunks.png",
     png(64, 64, zero_rows(64, 64, 3), extra=b"".join(chunk(b"tEXt", b"k\x00v") for _ in range(100_000))),
     200, "100,000 tEXt chunks before the image data")
emit("png-idat-after-iend.png", small + chunk(b"IDAT", zlib.compress(b"\x00" * 1000)), 200,
     "extra IDAT after IEND (ignored)")

# --- GIF -------------------------------------------------------------------------------------
def gif_lzw_uniform(pixels, colour=0, min_code=2):
    """LZW for `pixels` copies of one palette `colour`, sent as literals with a clear code before the table
    would grow past 9 bits: simple and valid, about 9 bits a pixel."""
    clear, end = 1 << min_code, (1 << min_code) + 1
    bits, nbits, out = 0, 0, bytearray()
    width = min_code + 1

    def put(code):
        nonlocal bits, nbits
        bits |= code << nbits
        nbits += width
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8

    put(clear)
    run = 0
    for _ in range(pixels):
        put(colour)
        run += 1
        if run == (1 << width) - end - 2:  # keep the code width fixed: clear before it grows
            put(clear)
            run = 0
    put(end)
    if nbits:
        out.append(bits & 0xFF)
    blocks = bytearray([min_code])
    for i in range(0, len(out), 255):
        piece = out[i:i + 255]
        blocks += bytes([len(piece)]) + piece
    return bytes(blocks + b"\x00")


def gif(screen_w, screen_h, frames, frame_w, frame_h, delay=2, pixels=None):
    head = b"GIF89a" + struct.pack("<HHBBB", screen_w, screen_h, 0xF0, 0, 0) + b"\x00\x00\x00\xff\xff\xff"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    # Frames alternate black and white, so an encoder cannot merge them as duplicates.
    count = frame_w * frame_h if pixels is None else pixels
    data = [gif_lzw_uniform(count, colour) for colour in (0, 1)]
    frame = [b"\x21\xf9\x04\x00" + struct.pack("<H", delay) + b"\x00\x00"
             + b"\x2c" + struct.pack("<HHHHB", 0, 0, frame_w, frame_h, 0) + d for d in data]
    return head + loop + b"".join(frame[i % 2] for i in range(frames)) + b"\x3b"


emit("gif-screen-bomb.gif", gif(65535, 65535, 1, 1, 1), 200,
     "logical screen 65535x65535 around one 1x1 frame (libnsgif sizes the image by its frames: 1x1)")
emit("gif-frame-bomb.gif", gif(65535, 65535, 1, 65535, 65535, pixels=16), 422,
     "one frame declaring 65535x65535 with 16 pixels of data")
emit("gif-5000-frames.gif", gif(400, 300, 5000, 16, 16), 200,
     "5,000 frames on a 400x300 screen (only the first is decoded by default)")
emit("gif-truncated.gif", gif(64, 64, 3, 64, 64)[:200], 422, "cut inside the first frame's data")
emit("gif-no-frames.gif", gif(64, 64, 0, 1, 1), 422, "a screen and no image")

# --- JPEG ------------------------------------------------------------------------------------
jpeg = open(os.path.join(FIXTURES, "rocket.jpg"), "rb").read()


def patch_sof(data, width, height):
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            return data[:i + 5] + struct.pack(">HH", height, width) + data[i + 9:]
        i += 2 + length
    raise SystemExit("no SOF in the JPEG fixture")


emit("jpeg-header-bomb.jpg", patch_sof(jpeg, 65000, 65000), 422, "SOF declares 65000x65000 (4.2 GP)")
emit("jpeg-truncated.jpg", jpeg[:len(jpeg) // 3], 422, "cut at a third")
emit("jpeg-zero-width.jpg", patch_sof(jpeg, 0, 100), 422, "SOF declares width 0")
icc_garbage = NOISE.randbytes(2 << 20)
segments = [icc_garbage[i:i + 65000] for i in range(0, len(icc_garbage), 65000)]
app2 = b"".join(b"\xff\xe2" + struct.pack(">H", 2 + 14 + len(s)) + b"ICC_PROFILE\x00" + bytes([n + 1, len(segments)]) + s
                for n, s in enumerate(segments))
emit("jpeg-huge-icc.jpg", jpeg[:2] + app2 + jpeg[2:], 200, "a 2 MB ICC profile of random bytes in 33 APP2 segments")
emit("jpeg-only-markers.jpg", b"\xff\xd8" + b"\xff\xfe\x00\x04ab" * 20000 + b"\xff\xd9", 422,
     "SOI, 20,000 comments, EOI: no frame")

# --- WebP and AVIF (bases from libvips) -------------------------------------------------------
with tempfile.TemporaryDirectory() as tmp:
    src = os.path.join(FIXTURES, "rocket.jpg")
    webp_path, avif_path = os.path.join(tmp, "b.webp"), os.path.join(tmp, "b.avif")
    subprocess.run(["vips", "thumbnail", src, webp_path + "[lossless]", "32"], check=True)
    subprocess.run(["vips", "thumbnail", src, avif_path + "[compression=av1]", "32"], check=True)
    webp = open(webp_path, "rb").read()
    avif = open(avif_path, "rb").read()

# A VP8X header declaring a 16384x16384 canvas in front of the real 32 px bitstream.
vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (16383).to_bytes(3, "little") * 2
body = b"WEBP" + vp8x + webp[12:]
emit("webp-canvas-bomb.webp", b"RIFF" + struct.pack("<I", len(body)) + body, 422,
     "VP8X canvas 16384x16384 (268 MP) around a 32 px image")
emit("webp-truncated.webp", webp[:len(webp) // 2], 422, "cut in half")
emit("webp-riff-lies.webp", b"RIFF" + struct.pack("<I", 0xFFFFFFF0) + webp[8:], 422,
     "RIFF size says 4 GB, beyond the file (libwebp refuses it)")

i = avif.find(b"ispe")
if i < 0:
    raise SystemExit("no ispe box in the AVIF base")
emit("avif-ispe-bomb.avif", avif[:i + 8] + struct.pack(">II", 65535, 65535) + avif[i + 16:], 422,
     "ispe declares 65535x65535")
emit("avif-truncated.avif", avif[:len(avif) // 2], 422, "cut in half")

# --- Wrong magic: types the allow-list refuses, under image names -----------------------------
laughs = ('<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">'
          + "".join(f'<!ENTITY {chr(98 + n)} "{("&" + chr(97 + n) + ";") * 10}">' for n in range(9))
          + ']><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>&j;</text></svg>')
emit("svg-billion-laughs.png", laughs.encode(), 422, "an SVG entity bomb named .png")
emit("pdf-as-jpeg.jpg", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", 422, "a PDF named .jpg")
emit("tiff-as-png.png", b"II*\x00\x08\x00\x00\x00" + b"\x00" * 64, 422, "a TIFF header named .png")
emit("random.webp", bytes((i * 131 + 7) & 0xFF for i in range(4096)), 422, "4 KB of noise")
emit("empty.jpg", b"", 422, "zero bytes")

with open(os.path.join(OUT, "EXPECTED"), "w") as f:
    f.write("# file  status  what it is (generated by scripts/make-hostile-images.py)\n")
    for name, status, why in expected:
        f.write(f"{name}\t{status}\t{why}\n")
print(f"{len(expected)} hostile images in {OUT}")
