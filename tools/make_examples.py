#!/usr/bin/env python3
"""Build the style-transfer example pair and the test images.

Writes:
  www/examples/cat.jpg        content photo: scikit-image's `chelsea.png` (CC0, Stefan van der
                              Walt) from the PyPI wheel scikit-image 0.25.2 (sha256 pinned).
  www/examples/swirls.jpg     style image: brush-stroke swirls drawn by this script (seeded;
                              the project's own work, same licence as Easel).
  tests/data/images/*         small images for the decoder tests and the page tests: good ones
                              in many encodings and bad ones of every kind the page must refuse.
  tests/data/own/**           a folder of "your own images" for the GAN tests: 40 small sunset
                              pictures (PNG and JPEG, some in a subfolder) and 4 bad files.
  www/examples/SOURCES.md

Run from the repository root:  python3 tools/make_examples.py
Needs: pip (to download the wheel), numpy, Pillow.
"""
import hashlib, io, math, os, random, struct, subprocess, sys, tempfile, zipfile, zlib

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

PKG = "scikit-image==0.25.2"
WHEEL = "scikit_image-0.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641"
EX = os.path.join("www", "examples")
TI = os.path.join("tests", "data", "images")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch_chelsea() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "--only-binary=:all:", "--platform", "manylinux2014_x86_64",
                        "--python-version", "3.11", PKG, "-d", tmp], check=True)
        blob = open(os.path.join(tmp, WHEEL), "rb").read()
    if sha256(blob) != WHEEL_SHA256:
        sys.exit(f"{WHEEL}: sha256 {sha256(blob)} != pinned {WHEEL_SHA256}")
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        return z.read("skimage/data/chelsea.png")


def swirls(size=512, seed=3) -> Image.Image:
    """Thick curved brush strokes following a swirling flow field, in a night-sky palette."""
    rnd = random.Random(seed)
    img = Image.new("RGB", (size, size), (22, 38, 92))
    draw = ImageDraw.Draw(img)
    palette = [(24, 52, 128), (40, 86, 170), (70, 126, 200), (120, 170, 220), (236, 206, 84),
               (250, 232, 140), (200, 150, 40), (16, 30, 70), (90, 140, 120)]
    centres = [(rnd.uniform(0, size), rnd.uniform(0, size), rnd.choice([-1, 1])) for _ in range(6)]

    def flow(x, y):
        a = 0.0
        vx = vy = 0.0
        for cx, cy, s in centres:
            dx, dy = x - cx, y - cy
            r2 = dx * dx + dy * dy + 400.0
            vx += s * -dy / r2 * 4000
            vy += s * dx / r2 * 4000
        a = math.atan2(vy + 0.3, vx + 1.0)
        return math.cos(a), math.sin(a)

    for _ in range(2600):
        x, y = rnd.uniform(0, size), rnd.uniform(0, size)
        colour = rnd.choice(palette)
        jitter = tuple(max(0, min(255, c + rnd.randint(-18, 18))) for c in colour)
        width = rnd.randint(3, 8)
        pts = [(x, y)]
        for _ in range(rnd.randint(6, 16)):
            ux, uy = flow(x, y)
            x, y = x + ux * 4, y + uy * 4
            pts.append((x, y))
        draw.line(pts, fill=jitter, width=width, joint="curve")
    return img.filter(ImageFilter.SMOOTH)


def save(img: Image.Image, path: str, **kw):
    img.save(path, **kw)
    return open(path, "rb").read()


def png_header_only(w: int, h: int) -> bytes:
    """A PNG whose header claims w x h pixels, with a tiny (wrong) body: the size must be
    refused from the header, before any decoding."""
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_images():
    os.makedirs(TI, exist_ok=True)
    rng = np.random.default_rng(5)
    yy, xx = np.mgrid[0:48, 0:64]
    base = np.stack([xx * 4, yy * 5, 255 - xx * 3], axis=-1).astype(np.uint8)  # 64 x 48 gradient
    rgb = Image.fromarray(base)
    save(rgb, os.path.join(TI, "good.png"))
    save(rgb, os.path.join(TI, "good.jpg"), quality=92)
    save(rgb, os.path.join(TI, "good.webp"), lossless=True)
    save(rgb, os.path.join(TI, "good.bmp"))
    save(rgb.convert("P", palette=Image.ADAPTIVE), os.path.join(TI, "palette.gif"))
    save(rgb.convert("L"), os.path.join(TI, "grey.png"))
    # 16 bits per channel: PIL writes 16-bit RGB PNG from a 'I;16' stack only via raw bytes.
    arr16 = (base.astype(np.uint16) * 257).astype(">u2")
    raw = b"".join(b"\0" + arr16[r].tobytes() for r in range(arr16.shape[0]))
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    png16 = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 48, 16, 2, 0, 0, 0))
             + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    open(os.path.join(TI, "rgb16.png"), "wb").write(png16)
    # Alpha: left half opaque red, right half fully transparent (must come out white).
    rgba = np.zeros((48, 64, 4), np.uint8)
    rgba[:, :32] = (255, 0, 0, 255)
    rgba[:, 32:] = (0, 0, 255, 0)
    save(Image.fromarray(rgba), os.path.join(TI, "alpha.png"))
    # CMYK JPEG.
    save(rgb.convert("CMYK"), os.path.join(TI, "cmyk.jpg"), quality=95)
    # EXIF orientation 6 (rotate 90° clockwise to display): stored 64 x 48, shown 48 x 64.
    exif = Image.Exif()
    exif[0x0112] = 6
    marked = base.copy()
    marked[:8, :8] = (255, 255, 255)  # a white block at the stored top-left corner
    save(Image.fromarray(marked), os.path.join(TI, "exif_rotate90.jpg"), quality=95, exif=exif.tobytes())
    # Bad files.
    open(os.path.join(TI, "empty.png"), "wb").close()
    open(os.path.join(TI, "not_an_image.jpg"), "wb").write(b"Dear diary, this is text, not a photo.\n" * 4)
    good = open(os.path.join(TI, "good.png"), "rb").read()
    open(os.path.join(TI, "truncated.png"), "wb").write(good[: len(good) // 2])
    # A JPEG cut off half-way: its decoder fills the missing part with grey, without an error.
    good_jpg = open(os.path.join(TI, "good.jpg"), "rb").read()
    open(os.path.join(TI, "truncated.jpg"), "wb").write(good_jpg[: len(good_jpg) // 2])
    jpg = bytearray(open(os.path.join(TI, "good.jpg"), "rb").read())
    for i in range(len(jpg) // 2, len(jpg) - 2, 7):
        jpg[i] = rng.integers(0, 256)
    open(os.path.join(TI, "corrupt.jpg"), "wb").write(bytes(jpg))
    save(rgb, os.path.join(TI, "unsupported.tiff"))
    open(os.path.join(TI, "huge.png"), "wb").write(png_header_only(30000, 30000))


def sunset(rng, w, h):
    """A sky gradient, a sun disc and dark ground: simple, varied, clearly a picture."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    top = rng.uniform(0, 255, 3)
    bottom = rng.uniform(0, 255, 3)
    t = (yy / h)[..., None]
    img = top * (1 - t) + bottom * t
    cx, cy, r = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.6) * h, rng.uniform(0.1, 0.25) * min(w, h)
    sun = ((xx - cx) ** 2 + (yy - cy) ** 2) < r * r
    img[sun] = rng.uniform(150, 255, 3)
    horizon = rng.uniform(0.6, 0.85) * h + 3 * np.sin(xx / w * 6.28 * rng.uniform(0.5, 2))
    img[yy > horizon] = rng.uniform(0, 70, 3)
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def own_set(folder=os.path.join("tests", "data", "own"), count=40, bad=True, seed=11):
    os.makedirs(os.path.join(folder, "more"), exist_ok=True)
    rng = np.random.default_rng(seed)
    for i in range(count):
        w, h = [(80, 60), (60, 80), (64, 64), (96, 54)][i % 4]
        img = sunset(rng, w, h)
        sub = "more" if i % 5 == 4 else ""
        if i % 3 == 0:
            save(img, os.path.join(folder, sub, f"sunset{i:03}.jpg"), quality=90)
        else:
            save(img, os.path.join(folder, sub, f"sunset{i:03}.png"))
    if bad:
        open(os.path.join(folder, "notes.txt"), "w").write("These are my holiday pictures.\n")
        good = open(os.path.join(folder, "sunset001.png"), "rb").read()
        open(os.path.join(folder, "broken.png"), "wb").write(good[: len(good) // 3])
        open(os.path.join(folder, "huge.png"), "wb").write(png_header_only(30000, 30000))
        open(os.path.join(folder, "more", "empty.jpg"), "wb").close()


def main():
    if sys.argv[1:2] == ["own"]:
        # Only the own-images folder (no download), or a bigger set for a demo run:
        #   python3 tools/make_examples.py own [FOLDER COUNT]
        if len(sys.argv) > 3:
            own_set(sys.argv[2], int(sys.argv[3]), bad=False, seed=12)
        else:
            own_set()
        return
    os.makedirs(EX, exist_ok=True)
    cat = Image.open(io.BytesIO(fetch_chelsea())).convert("RGB")
    cat_bytes = save(cat, os.path.join(EX, "cat.jpg"), quality=90)
    sw_bytes = save(swirls(), os.path.join(EX, "swirls.jpg"), quality=90)
    test_images()
    own_set()
    with open(os.path.join(EX, "SOURCES.md"), "w") as fh:
        fh.write(f"""# Style-transfer examples shipped with Easel

Produced by `python3 tools/make_examples.py` (do not edit by hand).

## cat.jpg
- "Chelsea the cat", `skimage/data/chelsea.png` from the PyPI wheel `{WHEEL}`
  (sha256 `{WHEEL_SHA256}`), re-encoded as JPEG quality 90, {cat.width} x {cat.height}.
- Licence: CC0, by the photographer Stefan van der Walt (as stated in scikit-image's
  `skimage/data/_fetchers.py`).
- Output: {len(cat_bytes)} bytes, sha256 `{sha256(cat_bytes)}`.

## swirls.jpg
- Brush-stroke swirls in a night-sky palette, drawn by the script (seed 3), 512 x 512.
  The project's own work, under Easel's licence.
- Output: {len(sw_bytes)} bytes, sha256 `{sha256(sw_bytes)}`.
""")
    print("examples and test images written")


if __name__ == "__main__":
    main()
